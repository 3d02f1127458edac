# tests/postfix/build.mk: the real Postfix (Debian's package, unpacked
# into build/postfix by tests/postfix/setup.sh) with "spfgate policy",
# under spawn(8) and as one shared --listen service; included by the top
# Makefile.  Needs root (private network, mount and pid namespaces).
#
# check-load.sh: 200 concurrent sessions, DNS 100 ms late, both ways
# (about 10 s).
#
#   make check-postfix      run them alone

POSTFIX_CHECKS =	tests/postfix/check-e2e.sh tests/postfix/check-load.sh
CHECKS +=		$(POSTFIX_CHECKS)

check-postfix: all
	@sh tests/run-all.sh $(POSTFIX_CHECKS)

.PHONY: check-postfix
