# tests/sanitize/build.mk: the core and its programs built with
# AddressSanitizer and UndefinedBehaviorSanitizer, and the checks that
# run the tests through them.  Included by the top Makefile, which
# defines CC, CFLAGS, LDLIBS, B, CORE_SRCS and CORE_HDRS.
#
#   make asan-build     $(ASAN_B)/spfgate (and $(ASAN_B)/filter-spf when
#                       opensmtpd/ is there), instrumented
#   make check-asan     the RFC 7208 suite, the DNS fault tests and the
#                       OpenSMTPD protocol test through them; fails on
#                       any sanitizer report (tests/sanitize/check-asan.sh)
#   make check-valgrind build/spfgate filter under valgrind over the RFC
#                       7208 suite (tests/sanitize/check-valgrind.sh)
# Both are in CHECKS, so "make check" (and CI) runs them.

ASAN_CC ?=	clang
ASAN_B =	$(B)/asan
ASAN_CFLAGS =	$(CFLAGS) -O1 -g -fno-omit-frame-pointer \
		-fsanitize=address,undefined -fno-sanitize-recover=all
ASAN_CORE =	$(ASAN_B)/libspfgate.a
ASAN_CORE_OBJS = $(CORE_SRCS:%.c=$(ASAN_B)/%.o)
# every .c of a program's directory: the lists follow the tree
ASAN_FILTER_OBJS = $(patsubst %.c,$(ASAN_B)/%.o,$(wildcard filter/*.c))
ASAN_SMTPD_OBJS = $(patsubst %.c,$(ASAN_B)/%.o,$(wildcard opensmtpd/*.c))
ASAN_PROGS =	$(ASAN_B)/spfgate \
		$(if $(wildcard opensmtpd/filter-spf.c),$(ASAN_B)/filter-spf)

CHECKS +=	tests/sanitize/check-asan.sh tests/sanitize/check-valgrind.sh

asan-build: $(ASAN_PROGS)

# clang and valgrind come with the check packages, installed first
check-asan:
	@sh tests/deps.sh build check
	@$(MAKE) --no-print-directory asan-build
	@sh tests/sanitize/check-asan.sh

check-valgrind: all
	@sh tests/deps.sh check
	@sh tests/sanitize/check-valgrind.sh

$(ASAN_B)/common/%.o: common/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(ASAN_CC) $(ASAN_CFLAGS) -c -o $@ $<

$(ASAN_B)/filter/%.o: filter/%.c $(CORE_HDRS) $(wildcard filter/*.h)
	@mkdir -p $(@D)
	$(ASAN_CC) $(ASAN_CFLAGS) -c -o $@ $<

$(ASAN_B)/opensmtpd/%.o: opensmtpd/%.c $(CORE_HDRS) $(wildcard opensmtpd/*.h)
	@mkdir -p $(@D)
	$(ASAN_CC) $(ASAN_CFLAGS) -c -o $@ $<

$(ASAN_CORE): $(ASAN_CORE_OBJS)
	rm -f $@
	$(AR) rcs $@ $(ASAN_CORE_OBJS)

$(ASAN_B)/spfgate: $(ASAN_FILTER_OBJS) $(ASAN_CORE)
	$(ASAN_CC) $(ASAN_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(ASAN_B)/filter-spf: $(ASAN_SMTPD_OBJS) $(ASAN_CORE)
	$(ASAN_CC) $(ASAN_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: asan-build check-asan check-valgrind
