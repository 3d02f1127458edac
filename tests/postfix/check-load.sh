#!/bin/sh
# check-load.sh: N (200) concurrent SMTP sessions through the real
# Postfix and "spfgate policy", the test DNS server answering every
# query DELAY_MS (100) late, every session's RCPT TO sent at the same
# moment (load_client.py): once under spawn(8), one spfgate process per
# smtpd, and once through the shared --listen service, whose one event
# loop has all N checks in flight.  Each session must get the right
# answer (pass: delivered; fail: 550 5.7.23), and every pass must be in
# the maildir; the times are printed, not asserted (make bench measures).
# Postfix answers 421 past smtpd_client_connection_count_limit and
# default_process_limit: both raised.  Same namespaces and setup as
# check-e2e.sh (pf.sh).  Run from the top after make, as root:
#
#   sh tests/postfix/check-load.sh [N [DELAY_MS]]
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/postfix
DNS_PORT=5353

. "$top/tests/lib/tally.sh"
. "$top/tests/lib/loadzone.sh"
. "$here/pf.sh"

# load MODE PORT USER PREFIX: one run of the client, its counts added
load() {
	echo "== $1: $N sessions, every DNS answer $DELAY ms late"
	/usr/bin/python3 "$here/load_client.py" "$2" "$N" "$3@test.local" "$4" \
	    >"$W/load-$1.out" 2>&1
	sed 's/^/    /' "$W/load-$1.out"
	line=$(tail -n 1 "$W/load-$1.out")
	case "$line" in
	"$N passed, 0 failed")
		ok "$1: all $N sessions answered correctly" ;;
	*)	nok "$1: $line" ;;
	esac
	# deliveries are asynchronous: wait for them
	wait_until "" 3000 files_at_least $((N / 2)) "$W/mail/$3/new"
	n=$(ls "$W/mail/$3/new" 2>/dev/null | wc -l)
	[ "$n" = $((N / 2)) ] && ok "$1: $n messages delivered" ||
	    nok "$1: $n messages delivered, want $((N / 2))"
}

inner() {
	W=$1
	N=$2
	DELAY=$3
	pf_enter
	ulimit -n 8192
	ns_dns "$W" $DNS_PORT --delay-ms "$DELAY" &&
	    ok "test DNS server up, answers $DELAY ms late" ||
	    nok "test DNS server did not start: $(cat "$W/dns.out")"
	pf_shared "$W" && ok "spfgate policy --listen up" ||
	    nok "spfgate policy --listen did not start: $(cat "$W/policy.err")"
	pf_master "$W" 2601 2602 && ok "Postfix master listening" ||
	    nok "Postfix did not start: $(cat "$W/postconf.out" "$W/master.out")"

	load spawn 2601 bob s
	load shared 2602 carol l

	ns_stopped $MASTER_PID 143 "Postfix master stopped by pid (SIGTERM)" \
	    "Postfix master"
	ns_stopped $POLICY_PID 0 "spfgate policy --listen stopped, exit 0" \
	    "spfgate policy --listen"
	ns_stop $DNS_PID
}

ns_inner "$@"

N=${1:-200}
DELAY=${2:-100}
[ "$(id -u)" = 0 ] && [ -x "$top/build/spfgate" ] ||
    give_up "check-load: needs root and build/spfgate (make)"
W=$(mktemp -d /tmp/spfgate-postfix-load.XXXXXX)
pf_prepare "$W" || give_up "check-load: Postfix setup failed"

# N domains for each run (spawn: s, shared: l)
load_zone "$W/zone.yml" "$N" s l
cat >"$W/spfgate.conf" <<EOF
resolver 127.0.0.1@$DNS_PORT
dnssec no
timeout 10
receiver mx.test.local
helo-check no
max-inflight $((N * 2))
EOF
chmod 644 "$W/spfgate.conf" "$W/zone.yml"

pf_room "$W" "$N"
pf_spawn "$W"
cat >>"$W/etc/main.cf" <<EOF
spfgate_spawn = check_policy_service unix:private/spfgate-spawn
spfgate_shared = check_policy_service unix:private/spfgate
EOF
cat >>"$W/etc/master.cf" <<EOF
2601      inet  n       -       n       -       -       smtpd
  -o smtpd_recipient_restrictions=reject_unauth_destination,\$spfgate_spawn
2602      inet  n       -       n       -       -       smtpd
  -o smtpd_recipient_restrictions=reject_unauth_destination,\$spfgate_shared
EOF

t0=$(date +%s)
ns_run_counted "$W" "$N" "$DELAY"
echo "# the whole run took $(($(date +%s) - t0)) s"
if [ "$fail" -ne 0 ]; then
	echo "--- the last of Postfix's log ($W/maillog):"
	tail -n 40 "$W/maillog" | sed 's/^/    /'
	echo "--- spfgate policy --listen's log:"
	tail -n 20 "$W/policy.err" | sed 's/^/    /'
fi
tally_end "$W"
