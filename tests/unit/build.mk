# tests/unit/build.mk: cmocka unit tests of common/, linked against the
# core library as the programs are, with the shared helper and the
# scripted resolver (scripted.c) in place of resolver.c: the lookup
# layer, the evaluator and the linter run on scripted answers.
# Included by the top Makefile, which defines CC, CFLAGS, LDLIBS, B,
# CORE_LIB, CORE_HDRS.  Not part of "all": only "make check" needs
# libcmocka-dev.

UNIT_NAMES =	record macro addr domain dnsmsg dnsbad config cfgargs \
		header json dnssecstate lookup eval lint jsonbuild verdict \
		idn policy policyproto cache
UNIT_HELPERS =	tests/unit/helper.c tests/unit/jsoncheck.c \
		tests/unit/scripted.c
UNIT_BINS =	$(UNIT_NAMES:%=$(B)/tests/unit/test_%)
UNIT_LIBS =	-lcmocka

CHECKS +=	tests/unit/check.sh

unit-tests: $(UNIT_BINS)

# check.sh runs exactly the binaries built here.
unit-tests-list:
	@echo $(UNIT_BINS)

$(B)/tests/unit/test_%: tests/unit/test_%.c tests/unit/unit.h \
    $(UNIT_HELPERS) $(CORE_LIB) $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(UNIT_HELPERS) $(CORE_LIB) \
	    $(LDLIBS) $(UNIT_LIBS)

# The policy protocol's parser lives in filter/, beside its front end.
$(B)/tests/unit/test_policyproto: tests/unit/test_policyproto.c \
    tests/unit/unit.h filter/policyproto.c filter/policyproto.h \
    $(UNIT_HELPERS) $(CORE_LIB) $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Ifilter $(LDFLAGS) -o $@ $< filter/policyproto.c \
	    $(UNIT_HELPERS) $(CORE_LIB) $(LDLIBS) $(UNIT_LIBS)

.PHONY: unit-tests unit-tests-list
