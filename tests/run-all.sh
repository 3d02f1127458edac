#!/bin/sh
# run-all.sh SCRIPT...: run each test suite, add up what they report.
# Every suite ends its output with a line "N passed, M failed"; a suite
# that exits non-zero or prints no such line counts as one failure.
# Ends with the sum on a line of its own, and fails if anything failed.
set -u
total_pass=0
total_fail=0
status=0
log=${TMPDIR:-/tmp}/spfgate-check.$$
for t in "$@"; do
	echo "=== $t"
	start=$(date +%s)
	sh "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	line=$(grep -E '^([A-Za-z0-9-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(echo "$line" | sed -nE 's/^([A-Za-z0-9-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2/p')
	f=$(echo "$line" | sed -nE 's/^([A-Za-z0-9-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\3/p')
	[ -n "$p" ] || { p=0; f=1; echo "$t: no result line"; }
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "$t: exited $rc"
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	[ "$f" -eq 0 ] || status=1
	echo "--- $t: $p passed, $f failed ($(( $(date +%s) - start ))s)"
done
rm -f "$log"
echo
echo "$total_pass passed, $total_fail failed"
exit $status
