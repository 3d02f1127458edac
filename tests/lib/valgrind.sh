# valgrind.sh: a protocol test run against a program as built, then
# again with the program under valgrind, which must report no memory
# error and no leak.  Sourced by tests/opensmtpd/check-proto.sh and
# tests/policy-proto/check.sh.
#
#   vg_suite TITLE TEST PROGRAM TMP NAME
#       TEST, a Python script taking the program to drive as its
#       argument and ending with "N passed, M failed", run on PROGRAM
#       ("== TITLE"), then on a wrapper that runs PROGRAM under
#       valgrind ("== TITLE under valgrind"; PROTO_TEST_SLOW=1 tells
#       the test to allow for it).  The test's lines are printed (the
#       second run's marked "valgrind: ") and its counts added; one
#       check more: valgrind ran ("N NAME runs") and reported nothing.
#       TMP is a scratch directory the caller removes.  Without
#       valgrind installed the second run is skipped, and said so.
#
# Needs: tests/lib/tally.sh (sourced before), /usr/bin/python3,
# valgrind.

vg_suite() {
	_vg_title=$1
	_vg_test=$2
	_vg_prog=$3
	_vg_tmp=$4
	_vg_name=$5
	echo "== $_vg_title"
	/usr/bin/python3 "$_vg_test" "$_vg_prog" >"$_vg_tmp/native.out" 2>&1
	grep -v ' passed, ' "$_vg_tmp/native.out"
	tally_result "$_vg_tmp/native.out" native
	if ! command -v valgrind >/dev/null 2>&1; then
		echo "(valgrind not installed: run skipped)"
		return
	fi
	echo "== $_vg_title under valgrind"
	# one log file per process: the test starts the program many times
	cat >"$_vg_tmp/vg.sh" <<-WRAP
	#!/bin/sh
	exec valgrind -q --vgdb=no --error-exitcode=99 --leak-check=full \\
	    --show-leak-kinds=definite,indirect \\
	    --errors-for-leak-kinds=definite,indirect \\
	    --log-file=$_vg_tmp/vg.%p.log "$_vg_prog" "\$@"
	WRAP
	chmod 755 "$_vg_tmp/vg.sh"
	PROTO_TEST_SLOW=1 /usr/bin/python3 "$_vg_test" "$_vg_tmp/vg.sh" \
	    >"$_vg_tmp/vg.out" 2>&1
	sed 's/^\(ok\|FAIL\) - /\1 - valgrind: /' "$_vg_tmp/vg.out" |
	    grep -v ' passed, '
	tally_result "$_vg_tmp/vg.out" valgrind
	_vg_n=$(ls "$_vg_tmp"/vg.*.log | wc -l)
	if [ "$_vg_n" -gt 0 ] && ! grep -q . "$_vg_tmp"/vg.*.log; then
		ok "valgrind: $_vg_n $_vg_name runs, no memory error, no leak"
	else
		nok "valgrind reported:"
		cat "$_vg_tmp"/vg.*.log | head -60
	fi
}
