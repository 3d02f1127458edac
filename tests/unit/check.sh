#!/bin/sh
# check.sh: build the unit tests of common/ (make unit-tests) and run
# every one; counts test cases from their TAP output and ends with
# "unit: N passed, M failed".  A binary that stops before its plan is
# done counts its missing cases as failed.
# Environment: B (build directory, default build), UNIT_VALGRIND=1 to
# run each binary under valgrind (a memory error fails its cases).
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${B:-build}
MAKE=${MAKE:-make}

if ! $MAKE -s B="$B" unit-tests; then
	echo "unit: build failed"
	echo "unit: 0 passed, 1 failed"
	exit 1
fi
bins=$($MAKE -s --no-print-directory B="$B" unit-tests-list)

pass=0
fail=0
out=${TMPDIR:-/tmp}/spfgate-unit.$$
json=${TMPDIR:-/tmp}/spfgate-unit-json.$$
trap 'rm -f "$out" "$json"' EXIT
for t in $bins; do
	run=""
	if [ "${UNIT_VALGRIND:-0}" = 1 ] && command -v valgrind >/dev/null; then
		run="valgrind -q --error-exitcode=99 --leak-check=full"
	fi
	CMOCKA_MESSAGE_OUTPUT=TAP SPF_UNIT_JSON_OUT="$json" \
	    $run "$t" >"$out" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
	[ -n "$plan" ] || plan=$((p + f + 1))
	if [ $((p + f)) -lt "$plan" ]; then
		f=$((plan - p))
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "# $t exited $rc"
	fi
	grep -v '^ok ' "$out" | sed "s|^|$(basename "$t"): |"
	echo "$(basename "$t"): $p passed, $f failed"
	pass=$((pass + p))
	fail=$((fail + f))
done

# Whatever spf_result_json and spf_json_string wrote in test_json must
# also be JSON to a parser that is not ours.
if [ -s "$json" ]; then
	# Each line alone, by json.loads: "python3 -m json.tool
	# --json-lines" fails on Python 3.13 ("I/O operation on closed
	# file") whatever its input.
	if /usr/bin/python3 -c '
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        try:
            json.loads(line)
        except ValueError as e:
            sys.exit("line %d: %s" % (n, e))
' "$json"; then
		echo "json.tool: $(wc -l <"$json") lines parse"
		pass=$((pass + 1))
	else
		echo "json.tool: $json does not parse"
		fail=$((fail + 1))
	fi
else
	echo "json.tool: test_json wrote nothing"
	fail=$((fail + 1))
fi

echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
