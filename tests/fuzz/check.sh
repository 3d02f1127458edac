#!/bin/sh
# check.sh: the fuzz targets in "make check".  For each target (build.mk
# lists them) two steps, one process at a time:
#   replay  every committed input (tests/fuzz/corpus/TARGET: seeds and
#           regression inputs) once, with every check on: a regression
#           input of a bug not fixed yet fails here;
#   smoke   FUZZ_SMOKE seconds (default 20) of fuzzing from there, with
#           the known bugs (tests/fuzz/known-bugs) stepped over, so a
#           new finding shows even while an old one waits for its fix.
# New inputs go to a temporary directory, never into the tree; a crash
# is kept in build/fuzz/artifacts/TARGET.
# Ends with "fuzz: N passed, M failed" (one per step and target).
# Run from anywhere; builds the targets first (make fuzz-build).
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${B:-build}
smoke=${FUZZ_SMOKE:-20}
targets=${FUZZ_TARGETS:-$(make -s --no-print-directory fuzz-targets 2>/dev/null)}
[ -n "$targets" ] || targets="record macro dnsmsg query filter config proto policy"
pass=0
fail=0

if ! make -s --no-print-directory fuzz-build >"$B/fuzz-build.log" 2>&1; then
	cat "$B/fuzz-build.log"
	echo "fuzz: cannot build the targets (clang and libclang-rt-14-dev?)"
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
known=$(sed -e 's/#.*//' tests/fuzz/known-bugs | tr -s ' \n' ',' | \
    sed -e 's/^,//' -e 's/,$//')
tmp=$(mktemp -d "${TMPDIR:-/tmp}/spfgate-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# result STEP TARGET LOG RC
result() {
	if [ "$4" -eq 0 ]; then
		pass=$((pass + 1))
		echo "fuzz-$2: $1 ok: $(summary "$3")"
	else
		fail=$((fail + 1))
		echo "fuzz-$2: $1 FAILED (exit $4)"
		grep -E 'check failed|ERROR:|runtime error|SUMMARY|Test unit written|^Running:' \
		    "$3" | head -n 12 | sed 's/^/    /'
	fi
}

summary() {
	grep -E '^#[0-9]+' "$1" | tail -n 1 | \
	    sed -nE 's/^#([0-9]+).*cov: ([0-9]+) ft: ([0-9]+).*exec\/s: ([0-9]+).*/\1 runs, cov \2, ft \3, \4 exec\/s/p'
}

for t in $targets; do
	bin=$B/fuzz/fuzz-$t
	art=$B/fuzz/artifacts/$t
	mkdir -p "$art" "$tmp/$t"
	flags=$(sh tests/fuzz/flags.sh "$t")

	# replay: every committed input, strictly
	# shellcheck disable=SC2086
	SPF_FUZZ_IGNORE= "$bin" -runs=0 -timeout=25 $flags \
	    -artifact_prefix="$art/" "tests/fuzz/corpus/$t" \
	    >"$tmp/$t.replay" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		# name the committed inputs that fail, one run each
		for f in "tests/fuzz/corpus/$t"/regress-*; do
			[ -e "$f" ] || continue
			SPF_FUZZ_IGNORE= "$bin" "$f" >/dev/null 2>&1 ||
			    echo "    fails: $f" >>"$tmp/$t.replay"
		done
		grep '^    fails: ' "$tmp/$t.replay" >/dev/null ||
		    echo "    fails: a seed (see above)" >>"$tmp/$t.replay"
	fi
	result replay "$t" "$tmp/$t.replay" "$rc"
	grep '^    fails: ' "$tmp/$t.replay"

	# smoke: fuzz for a while, known bugs stepped over
	# shellcheck disable=SC2086
	SPF_FUZZ_IGNORE=$known "$bin" -max_total_time="$smoke" -timeout=25 \
	    $flags -artifact_prefix="$art/" "$tmp/$t" "tests/fuzz/corpus/$t" \
	    >"$tmp/$t.smoke" 2>&1
	result "smoke ${smoke}s" "$t" "$tmp/$t.smoke" $?
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
