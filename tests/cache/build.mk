# tests/cache/build.mk: the checker's answer cache and shared questions
# (issue 16), through "spfgate filter" and tests/dns/testdns.py, which
# counts the questions it gets.  Included by the top Makefile.

CHECKS +=	tests/cache/check.sh
