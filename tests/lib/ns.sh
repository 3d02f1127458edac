# ns.sh: the private namespaces every MTA suite (tests/opensmtpd,
# tests/postfix, tests/exim) runs in: only loopback, nothing reachable,
# the host's mail system untouched, and (under ns_run) nothing
# outliving the test.  Sourced by tests/opensmtpd/ns.sh,
# tests/postfix/pf.sh and tests/exim/lib.sh.
#
# Outside:  ns_run W ARGS     run "$0 --inner W ARGS" in new network,
#                             mount and pid namespaces (whatever is
#                             left there dies with it)
#           ns_run_counted W ARGS   ns_run, then add the inner run's
#                             counts (W/inner.count) to pass and fail
#           ns_inner "$@"     at the top of a suite, before its outside
#                             part: in the run ns_run started, call the
#                             suite's function inner W ARGS, leave its
#                             counts in W/inner.count and exit;
#                             otherwise nothing
# Inside:   ns_loopback       loopback up, mounts private from here on
#           ns_dns W PORT [testdns.py options]   the test DNS server
#                             on W/zone.yml (dns_start of
#                             tests/lib/dns.sh, sourced here)
#           ns_listening PORT...   every PORT has a TCP listener
#           ns_wait_listening PID PORT...   wait (10 s at most) until
#                             every PORT listens; 1 if PID exits first
#           ns_stop PID       SIGTERM, wait; its exit status in NS_RC
#           ns_stopped PID RC TEXT WHAT   ns_stop, and a check: PID
#                             exited RC ("ok - TEXT"), or "FAIL - WHAT
#                             exit N after SIGTERM"
#           ns_gone PATTERN   no process's command line matches PATTERN
#
# Needs: $top (the top of the tree), root, unshare(1), ip(8), ss(8);
# tests/lib/wait.sh and dns.sh (sourced here); nok and the counters
# pass and fail (tests/lib/tally.sh) for ns_run_counted.

. "$top/tests/lib/wait.sh"
. "$top/tests/lib/dns.sh"

ns_run() {
	unshare --net --mount --pid --fork --mount-proc sh "$0" --inner "$@"
}

# An inner run that wrote no counts is one failure.
ns_run_counted() {
	ns_run "$@"
	if [ -s "$1/inner.count" ]; then
		read -r _p _f <"$1/inner.count"
		pass=$((pass + _p))
		fail=$((fail + _f))
	else
		nok "the namespace run ended early"
	fi
}

ns_inner() {
	[ "${1:-}" = --inner ] || return 0
	shift
	inner "$@"
	echo "$pass $fail" >"$1/inner.count"
	exit 0
}

ns_loopback() {
	ip link set lo up
	mount --make-rprivate /
}

ns_dns() {
	_nd_w=$1
	_nd_port=$2
	shift 2
	dns_start "$_nd_w" "$_nd_port" "$_nd_w/zone.yml" "$@"
}

ns_listening() {
	for _p in "$@"; do
		ss -Hltn "sport = :$_p" | grep -q . || return 1
	done
}

# Watches the sockets: a probe connection would be a session.
ns_wait_listening() {
	_nw_pid=$1
	shift
	wait_until "$_nw_pid" 1000 ns_listening "$@"
}

ns_stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1"
	NS_RC=$?
}

ns_stopped() {
	ns_stop "$1"
	if [ "$NS_RC" = "$2" ]; then
		ok "$3"
	else
		nok "$4 exit $NS_RC after SIGTERM"
	fi
}

ns_gone() {
	! pgrep -f "$1" >/dev/null
}
