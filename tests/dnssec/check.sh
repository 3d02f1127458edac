#!/bin/sh
# check.sh: spfgate's DNSSEC validation against signed zones on a real
# authoritative server (NSD), through "spfgate filter", filter-spf and,
# when Exim is installed, exim-spf.so.  Run from anywhere after make;
# the cases are in dnssec_*.py.  Ends with "dnssec: N passed, M
# failed" and exits non-zero if anything failed.
#
# As root it installs what it needs (tests/deps.sh dnssec) and runs in
# a private network namespace (loopback only: nothing but our NSD can
# answer, and no port can clash with another test); otherwise on the
# host's loopback with free ports picked at run time.
# KEEP=1 keeps the scratch directory, VERBOSE=1 shows every result.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

fail()
{
	echo "dnssec: $*"
	echo "dnssec: 0 passed, 1 failed"
	exit 1
}

if [ -z "${SPFGATE_DNSSEC_NS:-}" ]; then
	sh tests/deps.sh dnssec >&2 || fail "packages missing"
	[ -x build/spfgate ] || fail "build/spfgate not built (run make)"
	if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
	    command -v ip >/dev/null 2>&1 && unshare --net true 2>/dev/null
	then
		SPFGATE_DNSSEC_NS=1 exec unshare --net sh "$0" "$@"
	fi
	echo "# no private network namespace: using the host's loopback"
else
	ip link set lo up || fail "cannot bring up loopback"
fi
exec /usr/bin/python3 tests/dnssec/dnssec_test.py "$@"
