# tests/fuzz/build.mk: libFuzzer targets for the parsers and decoders
# that read what strangers write.  Included by the top Makefile, which
# defines CC, CFLAGS, LDLIBS, B, CORE_SRCS and CORE_HDRS.
#
#   make fuzz-build             build $(B)/fuzz/fuzz-TARGET for each target
#   make fuzz                   run each target FUZZ_SECONDS (600), one at
#                               a time; new inputs go to $(B)/fuzz/corpus
#   make fuzz FUZZ_TARGETS=macro FUZZ_SECONDS=60
#   make check                  runs tests/fuzz/check.sh: the committed
#                               corpus, then FUZZ_SMOKE (20) s per target
#
# Targets (tests/fuzz/fuzz_TARGET.c; corpus in tests/fuzz/corpus/TARGET:
# seed-* made by tests/fuzz/mkcorpus.py, found-* merged from long runs
# (see run.sh), regress-* the inputs of findings):
#   record   record_parse: SPF record text from DNS
#   macro    macro_check, macro_expand: every letter and transformer,
#            explain-strings and domains, against a reference expander
#   dnsmsg   dns_iter_init, dns_iter_next: whole DNS answers, each qtype
#   query    spf_query_start to the result texts: the IP, sender and
#            HELO fields of "spfgate filter", on zone files, no network
#   filter   "spfgate filter" whole (cmd_filter of filter/stream.c): the
#            input is its stdin, line framing and field splitting
#   config   spf_config_load, spf_config_args, spf_config_set
#   proto    the OpenSMTPD filter protocol layer, opensmtpd/proto.c:
#            smtpd's lines on stdin through proto_init() and the loop
#            (proto.h exposes no line parser to call on its own; if it
#            gets one, a target for it belongs here too)
#   policy   the Postfix policy protocol layer of "spfgate policy",
#            filter/policyconn.c and filter/policyproto.c: the input is
#            its stdin, a stub handler answers (some later, in reverse)
#
# The core is compiled again here with clang's sanitizers, into
# $(B)/fuzz, so the normal build is never instrumented.

FUZZ_CC ?=	clang
FUZZ_SECONDS ?=	600
FUZZ_SMOKE ?=	20
FUZZ_B =	$(B)/fuzz
FUZZ_SAN =	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS =	$(CFLAGS) -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_TARGETS ?=	record macro dnsmsg query filter config \
		$(if $(wildcard opensmtpd/proto.c),proto) policy
FUZZ_PROTO_OBJS = $(FUZZ_B)/opensmtpd/proto.o $(FUZZ_B)/opensmtpd/fields.o
FUZZ_CORE =	$(FUZZ_B)/libspfgate.a
FUZZ_CORE_OBJS = $(CORE_SRCS:%.c=$(FUZZ_B)/%.o)
FUZZ_BINS =	$(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz-%)

CHECKS +=	tests/fuzz/check.sh

fuzz-build: $(FUZZ_BINS)

# clang comes with the check packages: installed before anything of
# the fuzz build is made.
fuzz:
	@sh tests/deps.sh build check
	@$(MAKE) --no-print-directory fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-targets:
	@echo $(FUZZ_TARGETS)

$(FUZZ_B)/common/%.o: common/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_B)/opensmtpd/%.o: opensmtpd/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_CORE): $(FUZZ_CORE_OBJS)
	rm -f $@
	$(AR) rcs $@ $(FUZZ_CORE_OBJS)

$(FUZZ_B)/fuzz_%.o: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(CORE_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Ifilter \
	    -Iopensmtpd -DFUZZ_ZONES='"$(CURDIR)/tests/fuzz/zones"' -c -o $@ $<

$(FUZZ_B)/filter/%.o: filter/%.c $(CORE_HDRS) $(wildcard filter/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_B)/fuzz-%: $(FUZZ_B)/fuzz_%.o $(FUZZ_CORE)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# targets with more of the tree than the core
$(FUZZ_B)/fuzz-filter: $(FUZZ_B)/fuzz_filter.o $(FUZZ_B)/filter/stream.o \
    $(FUZZ_CORE)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(FUZZ_B)/fuzz-policy: $(FUZZ_B)/fuzz_policy.o \
    $(FUZZ_B)/filter/policyconn.o $(FUZZ_B)/filter/policyproto.o \
    $(FUZZ_CORE)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(FUZZ_B)/fuzz-proto: $(FUZZ_B)/fuzz_proto.o $(FUZZ_PROTO_OBJS) $(FUZZ_CORE)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

.PHONY: fuzz fuzz-build fuzz-targets
.PRECIOUS: $(FUZZ_B)/fuzz_%.o
