#!/bin/sh
# check.sh: the answer cache and shared questions of one checker
# (common/cache.c, common/lookup.c) against tests/dns/testdns.py on
# loopback; the cases are in cache_test.py.  Run after make.  Ends with
# "cache: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
if [ ! -x build/spfgate ]; then
	echo "cache: build/spfgate not built (run make)"
	echo "cache: 0 passed, 1 failed"
	exit 1
fi
exec /usr/bin/python3 tests/cache/cache_test.py "$@"
