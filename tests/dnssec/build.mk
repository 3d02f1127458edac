# tests/dnssec/build.mk: DNSSEC validation against zones signed at test
# time and served by NSD on loopback (issue 6); included by the top
# Makefile.
CHECKS +=	tests/dnssec/check.sh
