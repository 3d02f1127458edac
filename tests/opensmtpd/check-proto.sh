#!/bin/sh
# check-proto.sh: filter-spf driven through its stdin with smtpd filter
# protocol lines (recorded OpenSMTPD 6.8 shapes, 0.7 variants, garbage),
# DNS from tests/dns/testdns.py; every answer line is checked
# (proto_test.py).  The same again under valgrind, which must report no
# memory error and no leak (tests/lib/valgrind.sh).  Run from the top of
# the tree after make.  Ends with "N passed, M failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
filter=${FILTER_SPF:-$top/build/filter-spf}
. "$top/tests/lib/tally.sh"
. "$top/tests/lib/valgrind.sh"

[ -x "$filter" ] || give_up "check-proto: $filter not built (run make)"
tmp=$(mktemp -d /tmp/check-proto.XXXXXX)
vg_suite filter-spf "$top/tests/opensmtpd/proto_test.py" "$filter" "$tmp" \
    filter
rm -rf "$tmp"
tally_end
