# tests/snippets/build.mk: the README's and the man pages' Exim and
# smtpd.conf snippets, verbatim, against real Exim (both of Debian's
# layouts) and smtpd with the packages installed into a throwaway root.
# Included by the top Makefile.
#
#   make check-snippets     run it alone

CHECKS +=	tests/snippets/check.sh

check-snippets: all
	@sh tests/snippets/check.sh

.PHONY: check-snippets
