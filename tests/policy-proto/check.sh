#!/bin/sh
# check.sh: the policy protocol suite (proto_test.py) against
# build/spfgate, then again under valgrind, which must report no memory
# error and no leak.  Run from anywhere after make; ends with
# "N passed, M failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
spfgate=${SPFGATE:-$top/build/spfgate}
pass=0
fail=0

count() {
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		fail=$((fail + 1))
		echo "FAIL - $2: no result line"
		return
	fi
	set -- $line
	pass=$((pass + $1))
	fail=$((fail + $3))
}

if [ ! -x "$spfgate" ]; then
	echo "policy-proto: $spfgate not built (run make)"
	echo "0 passed, 1 failed"
	exit 1
fi
tmp=$(mktemp -d /tmp/policy-proto.XXXXXX)

echo "== spfgate policy"
/usr/bin/python3 "$top/tests/policy-proto/proto_test.py" "$spfgate" \
    >"$tmp/native.out" 2>&1
grep -v ' passed, ' "$tmp/native.out"
count "$tmp/native.out" native

if command -v valgrind >/dev/null 2>&1; then
	echo "== spfgate policy under valgrind"
	cat >"$tmp/vg.sh" <<-WRAP
	#!/bin/sh
	exec valgrind -q --vgdb=no --error-exitcode=99 --leak-check=full \\
	    --show-leak-kinds=definite,indirect \\
	    --errors-for-leak-kinds=definite,indirect \\
	    --log-file=$tmp/vg.%p.log "$spfgate" "\$@"
	WRAP
	chmod 755 "$tmp/vg.sh"
	PROTO_TEST_SLOW=1 /usr/bin/python3 \
	    "$top/tests/policy-proto/proto_test.py" "$tmp/vg.sh" \
	    >"$tmp/vg.out" 2>&1
	sed 's/^\(ok\|FAIL\) - /\1 - valgrind: /' "$tmp/vg.out" |
	    grep -v ' passed, '
	count "$tmp/vg.out" valgrind
	n=$(ls "$tmp"/vg.*.log | wc -l)
	if [ "$n" -gt 0 ] && ! grep -q . "$tmp"/vg.*.log; then
		pass=$((pass + 1))
		echo "ok - valgrind: $n spfgate runs, no memory error, no leak"
	else
		fail=$((fail + 1))
		echo "FAIL - valgrind reported:"
		cat "$tmp"/vg.*.log | head -60
	fi
else
	echo "(valgrind not installed: run skipped)"
fi
rm -rf "$tmp"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
