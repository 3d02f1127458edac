# spfgate: SPF (RFC 7208) for mail servers, on libunbound and libbsd.
#
#   make            build build/spfgate, build/filter-spf, build/exim-spf.so
#   make demo       check a few senders against a bundled zone, offline
#   make check      build and run every test (installs what it needs)
#   make install    PREFIX=/usr/local DESTDIR= MANDIR=$(PREFIX)/share/man
#   make check-fresh  the README's commands in bare Debian 12 and 13 roots

PREFIX ?=	/usr/local
DESTDIR ?=
BINDIR ?=	$(PREFIX)/bin
LIBEXECDIR ?=	$(PREFIX)/libexec
MANDIR ?=	$(PREFIX)/share/man
SYSCONFDIR ?=	/etc
EXIMLIBDIR ?=	$(PREFIX)/lib/exim4

CC ?=		cc
B =		build
PKGS =		libunbound libbsd-overlay libevent libidn2
CFLAGS ?=	-O2 -g
CFLAGS +=	-std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Wall -Wextra \
		-Wshadow -Wpointer-arith -Wstrict-prototypes \
		-Wmissing-prototypes -fPIC $(PKG_CFLAGS) -Icommon
ifneq ($(CI),)
CFLAGS +=	-Werror
endif
LDLIBS +=	$(PKG_LIBS)

# The libraries' flags are asked of pkg-config only after tests/deps.sh
# has installed them (a bare Debian has neither pkg-config nor the
# libraries): $(FLAGS_MK) is made by a rule, and make reads it again
# before it builds anything.  A failing pkg-config stops the build with
# its own message.  Goals that compile nothing skip it.
.DEFAULT_GOAL := all
FLAGS_MK =	$(B)/flags.mk
NOFLAGS_GOALS =	clean uninstall check-fresh fuzz-targets
ifneq ($(filter-out $(NOFLAGS_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(FLAGS_MK)
endif

$(FLAGS_MK): Makefile tests/deps.sh
	@sh tests/deps.sh build
	@mkdir -p $(@D)
	@cflags=$$(pkg-config --cflags $(PKGS)) && \
	    libs=$$(pkg-config --libs $(PKGS)) && \
	    printf 'PKG_CFLAGS =\t%s\nPKG_LIBS =\t%s\n' "$$cflags" "$$libs" \
	    >$@.tmp && mv $@.tmp $@

CORE_SRCS =	common/addr.c common/domain.c common/record.c \
		common/macro.c common/dnsmsg.c common/resolver.c \
		common/masterfile.c common/lookup.c \
		common/eval.c common/evalmech.c common/exp.c \
		common/checker.c common/dnssecstate.c common/result.c \
		common/header.c common/verdict.c common/sbuf.c \
		common/json.c common/utf8.c common/idn.c common/config.c \
		common/sync.c common/trace.c common/cache.c \
		common/log.c common/lint/lint.c common/lint/lintrecord.c \
		common/lint/lintrules.c common/lint/lintterms.c common/policy.c \
		common/message.c
CORE_OBJS =	$(CORE_SRCS:%.c=$(B)/%.o)
CORE_LIB =	$(B)/libspfgate.a
CORE_HDRS =	common/spf.h common/spfint.h common/lint/spflint.h

PROGS =		$(B)/spfgate

all: $(PROGS) more

# Each component adds itself to these from its own fragment.
MORE =
CHECKS =
include $(wildcard */build.mk tests/*/build.mk)

more: $(MORE)

$(B)/%.o: %.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(CORE_LIB): $(CORE_OBJS)
	rm -f $@
	$(AR) rcs $@ $(CORE_OBJS)

$(B)/spfgate: $(B)/filter/main.o $(B)/filter/check.o $(B)/filter/stream.o \
    $(B)/filter/lint.o $(B)/filter/policy.o $(B)/filter/policyconn.o \
    $(B)/filter/policylisten.o $(B)/filter/policyproto.o $(CORE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/filter/%.o: filter/%.c $(CORE_HDRS) filter/spfgate.h \
    filter/policyproto.h filter/policyconn.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

demo: all
	@sh tests/demo/demo.sh

# Every test's packages at once (one apt run), the Debian packaging
# tools included: make check builds and tests the packages too.
check: all
	@sh tests/deps.sh check deb exim opensmtpd postfix dnssec docs
	@sh tests/run-all.sh $(CHECKS)

install: all $(INSTALL_MORE)
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(B)/spfgate $(DESTDIR)$(BINDIR)/spfgate

uninstall: $(UNINSTALL_MORE)
	rm -f $(DESTDIR)$(BINDIR)/spfgate

clean:
	rm -rf $(B)

.PHONY: all more demo check install uninstall clean
