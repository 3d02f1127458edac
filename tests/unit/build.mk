# tests/unit/build.mk: cmocka unit tests of the pure parts of common/,
# linked against the core library as the programs are.  Included by the
# top Makefile, which defines CC, CFLAGS, LDLIBS, B, CORE_LIB, CORE_HDRS.
# Not part of "all": only "make check" needs libcmocka-dev.

UNIT_NAMES =	record macro addr domain dnsmsg config header json dnssecstate \
		jsonbuild verdict
UNIT_BINS =	$(UNIT_NAMES:%=$(B)/tests/unit/test_%)
UNIT_LIBS =	-lcmocka

CHECKS +=	tests/unit/check.sh

unit-tests: $(UNIT_BINS)

# check.sh runs exactly the binaries built here.
unit-tests-list:
	@echo $(UNIT_BINS)

$(B)/tests/unit/test_%: tests/unit/test_%.c tests/unit/unit.h $(CORE_LIB) \
    $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CORE_LIB) $(LDLIBS) $(UNIT_LIBS)

.PHONY: unit-tests unit-tests-list
