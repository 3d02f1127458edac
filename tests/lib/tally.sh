# tally.sh: the count of a shell suite and the last line
# tests/run-all.sh sums, "N passed, M failed" (tests/lib/tally.py is the
# Python harnesses' own).  Sourced by the OpenSMTPD, Postfix, Exim (its
# lib.sh) and policy protocol suites; sets pass=0 and fail=0.
#
#   ok TEXT...        one check passed: "ok - TEXT"
#   nok TEXT...       one check failed: "FAIL - TEXT"
#   tally_lines TEXT  print TEXT (a helper's "ok - "/"FAIL - " lines)
#                     and count its checks
#   tally_result FILE NAME   add the "N passed, M failed" line of
#                     another run's output FILE; none is one failure
#   give_up TEXT      the suite cannot run: TEXT, "0 passed, 1 failed",
#                     exit 1
#   tally_end [W]     remove the work directory W if nothing failed,
#                     else say where it is kept; the result line; exit
#                     0 if nothing failed, else 1
#
# Needs: nothing; a suite sources it before anything that counts.

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "FAIL - $*"; }

tally_lines() {
	echo "$1"
	pass=$((pass + $(echo "$1" | grep -c '^ok - ')))
	fail=$((fail + $(echo "$1" | grep -c '^FAIL - ')))
}

tally_result() {
	_tr_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$_tr_line" ]; then
		nok "$2: no result line"
		return
	fi
	# shellcheck disable=SC2086
	set -- $_tr_line
	pass=$((pass + $1))
	fail=$((fail + $3))
}

give_up() {
	echo "$*"
	echo "0 passed, 1 failed"
	exit 1
}

tally_end() {
	if [ -n "${1:-}" ]; then
		if [ "$fail" -eq 0 ]; then
			rm -rf "$1"
		else
			echo "work directory kept: $1"
		fi
	fi
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}
