# tests/lint/build.mk: the lint's golden-output tests, and the header
# the linter's core files share (the top Makefile's pattern rule knows
# only CORE_HDRS).
CHECKS +=	tests/lint/check.sh # spfgate lint against zones and goldens

$(B)/common/lint/lint.o $(B)/common/lint/lintrecord.o \
    $(B)/common/lint/lintrules.o $(B)/common/lint/lintterms.o: \
    common/lint/lintint.h
