# tests/postfix/build.mk: the real Postfix (Debian's package, unpacked
# into build/postfix by tests/postfix/setup.sh) with "spfgate policy",
# under spawn(8) and as one shared --listen service; included by the top
# Makefile.  Needs root (private network, mount and pid namespaces).
#
# check-e2e.sh: the scenarios, under spawn, through the shared service,
# and from a chrooted smtpd (about 6 s); check-load.sh: 200 concurrent
# sessions, DNS 100 ms late, both ways (about 8 s); check-snippets.sh:
# the README's master.cf and main.cf lines verbatim on Debian's own
# Postfix setup, the package installed into a throwaway root (about
# 16 s).
#
#   make check-postfix      run them alone

POSTFIX_CHECKS =	tests/postfix/check-e2e.sh tests/postfix/check-load.sh \
			tests/postfix/check-snippets.sh
CHECKS +=		$(POSTFIX_CHECKS)

check-postfix: all
	@sh tests/run-all.sh $(POSTFIX_CHECKS)

.PHONY: check-postfix

# spfgate policy (spawn, shared) beside Debian's pypolicyd-spf in the
# same Postfix: 200 sessions at once, DNS 100 ms late; not part of make
# check (about 30 s).
bench-postfix: all
	@sh tests/postfix/bench-policy.sh

.PHONY: bench-postfix
