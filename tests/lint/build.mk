# tests/lint/build.mk: the lint's golden-output tests, and the header
# the linter's core files share (the top Makefile's pattern rule knows
# only CORE_HDRS).
CHECKS +=	tests/lint/check.sh # spfgate lint against zones and goldens

$(B)/common/lint.o $(B)/common/lintrecord.o $(B)/common/lintrules.o \
    $(B)/common/lintterms.o: common/lintint.h
