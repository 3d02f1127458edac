# tests/postfix/build.mk: the real Postfix (Debian's package, unpacked
# into build/postfix by tests/postfix/setup.sh) with "spfgate policy",
# under spawn(8) and as one shared --listen service; included by the top
# Makefile.  Needs root (private network, mount and pid namespaces).
#
#   make check-postfix      run it alone

CHECKS +=	tests/postfix/check-e2e.sh

check-postfix: all
	@sh tests/run-all.sh tests/postfix/check-e2e.sh

.PHONY: check-postfix
