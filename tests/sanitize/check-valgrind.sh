#!/bin/sh
# check-valgrind.sh: "make check-valgrind", and part of "make check".
# Runs the RFC 7208 suite (tests/rfc7208/run-suite.py) with every
# "spfgate filter" process under
#     valgrind --leak-check=full --error-exitcode=1
# through a wrapper made here (run-suite.py runs SPFGATE as the binary).
# The normal build (build/spfgate, -O2) is what runs, so this also
# covers what the ASan build's instrumentation could hide.  Each
# process's valgrind log is its own file; a non-empty one (valgrind -q
# writes only errors and leaks) is a failure, and so is any failing
# test (a valgrind error makes the run exit 1, which the suite reports).
# Ends with "valgrind: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
B=${B:-build}
spfgate=$top/$B/spfgate

if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind: not installed (tests/deps.sh check installs it)"
	echo "valgrind: 0 passed, 1 failed"
	exit 1
fi
if [ ! -x "$spfgate" ]; then
	echo "valgrind: $spfgate not built (run make)"
	echo "valgrind: 0 passed, 1 failed"
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/spfgate-valgrind.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
cat >"$tmp/spfgate" <<EOF
#!/bin/sh
exec valgrind -q --leak-check=full --error-exitcode=1 --num-callers=30 \\
    --log-file="$tmp/vg.%p" "$spfgate" "\$@"
EOF
chmod 755 "$tmp/spfgate"

pass=0
fail=0
start=$(date +%s)
SPFGATE="$tmp/spfgate" /usr/bin/python3 tests/rfc7208/run-suite.py \
    --no-rerun >"$tmp/suite.out" 2>&1
rc=$?
runs=$(find "$tmp" -name 'vg.*' | wc -l)
if [ "$rc" -eq 0 ]; then
	pass=$((pass + 1))
	echo "valgrind: rfc7208 ok ($(( $(date +%s) - start ))s, $runs" \
	    "spfgate runs): $(tail -n 1 "$tmp/suite.out")"
else
	fail=$((fail + 1))
	echo "valgrind: rfc7208 FAILED (exit $rc)"
	grep -E 'FAIL|MISBEHAVIOUR|failed' "$tmp/suite.out" | head -n 20 | \
	    sed 's/^/    /'
fi
[ "$runs" -gt 0 ] || { fail=$((fail + 1)); echo "valgrind: no run logged"; }
for f in "$tmp"/vg.*; do
	[ -s "$f" ] || continue
	fail=$((fail + 1))
	echo "valgrind: report $(basename "$f"):"
	head -n 60 "$f" | sed 's/^/    /'
done
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
