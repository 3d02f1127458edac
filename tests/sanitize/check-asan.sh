#!/bin/sh
# check-asan.sh: "make check-asan", and part of "make check".  Builds the
# core and its programs with -fsanitize=address,undefined into
# build/asan (make asan-build) and runs through them:
#   rfc7208   the RFC 7208 suite (tests/rfc7208/run-suite.py), with
#             SPFGATE=build/asan/spfgate
#   faults    the DNS fault tests (tests/faults/run-faults.py), the same
#             way, without the flood (it measures memory, which ASan's
#             shadow and quarantine would swamp)
#   cache     the answer cache's tests (tests/cache/cache_test.py)
#   proto     the OpenSMTPD protocol test (tests/opensmtpd/proto_test.py)
#             through build/asan/filter-spf, when opensmtpd/ is there
#   policy    the Postfix policy protocol test
#             (tests/policy-proto/proto_test.py) through build/asan/spfgate
#   unit      the cmocka unit tests (tests/unit/check.sh), built with the
#             same flags into build/asan/unit
# Every sanitizer report (ASan, LSan leaks at exit, UBSan) is written
# to a file of its own (log_path) and each is a failure, whether or not
# the suite noticed; UBSan is built not to recover, so the program
# stops at the first one.  Ends with "asan: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${B:-build}
pass=0
fail=0

if ! make -s --no-print-directory asan-build >"$B/asan-build.log" 2>&1; then
	cat "$B/asan-build.log"
	echo "asan: cannot build (clang?)"
	echo "asan: 0 passed, 1 failed"
	exit 1
fi
logs=$(mktemp -d "${TMPDIR:-/tmp}/spfgate-asan.XXXXXX") || exit 1
trap 'rm -rf "$logs"' EXIT INT TERM
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
export ASAN_OPTIONS="detect_leaks=1:log_path=$logs/asan:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"

# step NAME COMMAND...: run one suite, count it, show its tail
step() {
	name=$1
	shift
	start=$(date +%s)
	"$@" >"$logs/$name.out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "asan: $name ok ($(( $(date +%s) - start ))s):" \
		    "$(tail -n 1 "$logs/$name.out")"
	else
		fail=$((fail + 1))
		echo "asan: $name FAILED (exit $rc, $(( $(date +%s) - start ))s)"
		grep -E 'FAIL|MISBEHAVIOUR|failed|ERROR' "$logs/$name.out" | \
		    head -n 20 | sed 's/^/    /'
	fi
}

step rfc7208 env SPFGATE="$B/asan/spfgate" \
    /usr/bin/python3 tests/rfc7208/run-suite.py --no-rerun
if [ -f tests/faults/run-faults.py ]; then
	step faults env SPFGATE="$B/asan/spfgate" FAULTS_FLOOD=0 \
	    /usr/bin/python3 tests/faults/run-faults.py
fi
if [ -f tests/cache/cache_test.py ]; then
	# the answer cache and shared questions: entries held and evicted
	step cache env SPFGATE="$B/asan/spfgate" \
	    /usr/bin/python3 tests/cache/cache_test.py
fi
if [ -x "$B/asan/filter-spf" ] && [ -f tests/opensmtpd/proto_test.py ]; then
	# its slow mode: no RSS measurement (ASan's shadow memory), wider
	# time limits; check-proto.sh's own valgrind pass is not for ASan
	step proto env PROTO_TEST_SLOW=1 /usr/bin/python3 \
	    tests/opensmtpd/proto_test.py "$B/asan/filter-spf"
fi
if [ -f tests/policy-proto/proto_test.py ]; then
	# spfgate policy, every connection layer path; its valgrind pass
	# is check.sh's
	step policy env PROTO_TEST_SLOW=1 /usr/bin/python3 \
	    tests/policy-proto/proto_test.py "$B/asan/spfgate"
fi

if [ -f tests/unit/check.sh ]; then
	step unit env B="$B/asan/unit" CC="${ASAN_CC:-clang}" \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer $SAN" LDFLAGS="$SAN" \
	    sh tests/unit/check.sh
fi

# every report is a failure of its own
for f in "$logs"/asan.* "$logs"/ubsan.*; do
	[ -e "$f" ] || continue
	fail=$((fail + 1))
	echo "asan: sanitizer report $(basename "$f"):"
	head -n 40 "$f" | sed 's/^/    /'
done
echo "asan: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
