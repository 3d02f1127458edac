# tests/fresh/build.mk: the README's QUICK START, first try, in bare
# Debian roots (tests/fresh/check.sh); included by the top Makefile.
# Not part of make check: it runs make check itself, in each root.
# Needs root and the Debian archive.
#
#   make check-fresh                  Debian 12 and 13, side by side
#   make check-fresh DIST=trixie      one release
#   make check-fresh FRESH_JOBS=      one release after the other

DIST ?=		bookworm trixie
FRESH_JOBS ?=	-j

check-fresh:
	@sh tests/fresh/check.sh $(FRESH_JOBS) $(DIST)

.PHONY: check-fresh
