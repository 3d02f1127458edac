#!/bin/sh
# check.sh: the policy protocol suite (proto_test.py) against
# build/spfgate, then again under valgrind, which must report no memory
# error and no leak (tests/lib/valgrind.sh).  Run from anywhere after
# make; ends with "N passed, M failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
spfgate=${SPFGATE:-$top/build/spfgate}
. "$top/tests/lib/tally.sh"
. "$top/tests/lib/valgrind.sh"

[ -x "$spfgate" ] || give_up "policy-proto: $spfgate not built (run make)"
tmp=$(mktemp -d /tmp/policy-proto.XXXXXX)
vg_suite "spfgate policy" "$top/tests/policy-proto/proto_test.py" \
    "$spfgate" "$tmp" spfgate
rm -rf "$tmp"
tally_end
