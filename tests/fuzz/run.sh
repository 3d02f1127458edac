#!/bin/sh
# run.sh SECONDS TARGET...: "make fuzz".  Runs each libFuzzer target in
# turn (one process at a time), SECONDS each, starting from the
# committed seeds (tests/fuzz/corpus/TARGET) plus what earlier runs found
# (build/fuzz/corpus/TARGET, where new inputs go; the source tree is not
# written).  Prints per target the executions, executions per second,
# new inputs and peak RSS, and where a crashing input was saved.
# Ends with "fuzz: N passed, M failed"; exits 1 if any target crashed.
#
# A crash is a finding: minimise it (build/fuzz/fuzz-TARGET
# -minimize_crash=1 -runs=10000 FILE), keep it as
# tests/fuzz/corpus/TARGET/regress-WHAT, and report it.
#
# What a long run found can be merged into the committed corpus, so the
# smoke runs of make check start deeper (named found-SHA1):
#   d=$(mktemp -d); cp tests/fuzz/corpus/T/* $d
#   build/fuzz/fuzz-T -merge=1 -max_len=3072 $d build/fuzz/corpus/T
#   then copy the new files of $d to tests/fuzz/corpus/T/found-NAME.
#
# Known bugs (tests/fuzz/known-bugs) are stepped over, as in check.sh's
# smoke step; SPF_FUZZ_IGNORE= (set, empty) fuzzes with every check on.
# FUZZ_ARGS adds libFuzzer flags to every run.  No parallel jobs: one
# fuzzer process at a time, the machine is shared.
set -u
cd "$(dirname "$0")/../.." || exit 1
seconds=$1
shift
B=${B:-build}
# step over the known bugs (tests/fuzz/known-bugs), as check.sh's smoke
known=$(sed -e 's/#.*//' tests/fuzz/known-bugs | tr -s ' \n' ',' | \
    sed -e 's/^,//' -e 's/,$//')
pass=0
fail=0
for t in "$@"; do
	bin=$B/fuzz/fuzz-$t
	work=$B/fuzz/corpus/$t
	art=$B/fuzz/artifacts/$t
	log=$B/fuzz/log-$t.txt
	mkdir -p "$work" "$art"
	# no spaces in any of these: split on purpose below
	args="-max_total_time=$seconds -print_final_stats=1
	    -artifact_prefix=$art/ -timeout=25 -rss_limit_mb=2048
	    $(sh tests/fuzz/flags.sh "$t") ${FUZZ_ARGS:-}"
	echo "fuzz-$t: $seconds s, log $log"
	# shellcheck disable=SC2086
	SPF_FUZZ_IGNORE=${SPF_FUZZ_IGNORE-$known} \
	    "$bin" $args "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	new=$(sed -n 's/^stat::new_units_added: *//p' "$log")
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | \
	    sed -nE 's/.*cov: ([0-9]+) ft: ([0-9]+).*/cov \1 ft \2/p')
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "fuzz-$t: ok: ${execs:-?} executions, ${rate:-?}/s," \
		    "${new:-?} new inputs, ${cov:-?}, peak RSS ${rss:-?} MB"
	else
		fail=$((fail + 1))
		echo "fuzz-$t: FAILED (exit $rc) after ${execs:-?} executions"
		grep -E 'ERROR|fuzz_[a-z]+: |SUMMARY|Test unit written' \
		    "$log" | head -n 20
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
