#!/bin/sh
# check-e2e.sh: the real Postfix (Debian's, unpacked by setup.sh) with
# "spfgate policy", real SMTP clients (swaks) connecting from test
# addresses, the test DNS server; all in private network, mount and
# pid namespaces, so that nothing touches the host's mail system and
# nothing outlives the test.
#
# One Postfix, four smtpd listeners, the same scenarios on each:
#   2601  spawn    check_policy_service unix:private/spfgate-spawn, a
#                  spawn(8) service running "spfgate policy" as user
#                  daemon (spawn refuses root and the mail owner)
#   2602  shared   check_policy_service unix:private/spfgate, one
#                  "spfgate policy --listen unix:QUEUE/private/spfgate"
#                  for every smtpd
#   2603  chroot   the same shared service from a chrooted smtpd
#                  (Debian's default master.cf), where the path resolves
#                  inside the queue directory
#   2604  tcp      check_policy_service inet:127.0.0.1:10040, a second
#                  shared service, "--listen 127.0.0.1:10040"
# The check is in smtpd_recipient_restrictions and, for the second
# header field, smtpd_data_restrictions.  Scenarios: pass delivered
# with one Received-SPF and one Authentication-Results (also over IPv6,
# and to two recipients: each copy has each field once), softfail
# tagged, fail refused at RCPT with 550 5.7.23 and the domain's
# explanation, a HELO name's fail refused there too (helo-check is on,
# as by default; a message then has three fields, one an answer: the
# HELO's comes with a second recipient), temperror (a SERVFAIL, and a
# server that never answers) deferred with 451 4.7.24 (not Postfix's
# 451 4.3.5 for a failed service), postmaster exempt (alone, and beside
# a refused recipient of the same message), an authenticated
# (SASL) client not checked.  The service's log lines are checked: the
# shared one's on its stderr, spawn's in syslog (its stderr is smtpd's
# socket), caught by a /dev/log of the namespace's own, each naming the
# program once ("spfgate[PID]: policy: ..."), as does the error of a
# spawn-style start with a bad option.  Postfix's log
# (maillog_file) is printed when anything fails.
#
# Run from the top of the tree after make, as root.  Ends with
# "N passed, M failed".
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/postfix
DNS_PORT=5353
RECEIVER=mx.test.local
MODES="spawn:2601 shared:2602 chroot:2603 tcp:2604"
TCP_PORT=10040

. "$top/tests/lib/tally.sh"
. "$top/tests/lib/swaks.sh"
. "$here/pf.sh"

# ---------------------------------------------------------------------
# Inside the namespaces: $1 is the work directory.

# send MODE PORT CASE SOURCE SENDER RCPTS [swaks options]
send() {
	_tag="pf-$1-$3"
	_out=$W/swaks-$1-$3.txt
	_port=$2
	_src=$4
	_from=$5
	_to=$6
	shift 6
	_dst=127.0.0.1
	case $_src in *:*) _dst=::1 ;; esac
	swaks -s $_dst -p "$_port" -li "$_src" -h "${HELO:-client.example}" \
	    -f "$_from" -t "$_to" --header "Subject: $_tag" "$@" \
	    >"$_out" 2>&1
	echo $? >"$_out.rc"
}

# expect MODE CASE RC [REPLY-PATTERN]: swaks' exit and the RCPT answer
expect() {
	_out=$W/swaks-$1-$2.txt
	_rc=$(cat "$_out.rc")
	if [ "$_rc" = "$3" ]; then
		ok "$1 $2: swaks exit $_rc"
	else
		nok "$1 $2: swaks exit $_rc, want $3: $(grep -m1 '^<\*\*' "$_out")"
	fi
	[ $# -ge 4 ] || return 0
	_r=$(swaks_reply "$_out")
	case "$_r" in
	$4) ok "$1 $2: \"$_r\"" ;;
	*) nok "$1 $2: reply \"$_r\", want $4" ;;
	esac
}

# scenarios MODE PORT: one listener's sessions, then W/done-MODE
scenarios() {
	send $1 $2 timeout 192.0.2.13 erin@timeout.test bob@test.local &
	send $1 $2 pass 192.0.2.10 alice@pass.test bob@test.local
	send $1 $2 pass6 2001:db8::25 alice@pass.test bob@test.local
	send $1 $2 two 192.0.2.11 alice@pass.test \
	    bob@test.local,carol@test.local
	send $1 $2 softfail 192.0.2.12 sam@softfail.test bob@test.local
	send $1 $2 fail 192.0.2.10 mallory@fail.test bob@test.local
	HELO=evil.helo.test
	send $1 $2 helofail 192.0.2.10 alice@pass.test bob@test.local
	HELO=
	send $1 $2 servfail 192.0.2.13 dave@servfail.test bob@test.local
	send $1 $2 postmaster 192.0.2.10 mallory@fail.test \
	    postmaster@test.local
	# one message, one exempt recipient: it alone gets the message
	send $1 $2 mixed 192.0.2.10 mallory@fail.test \
	    bob@test.local,postmaster@test.local
	# SASL: the chrooted smtpd cannot reach the sasldb
	[ $1 = chroot ] ||
	    send $1 $2 auth 198.51.100.7 mallory@fail.test bob@test.local \
	    -a PLAIN -au alice -ap "$SASL_PASS"
	wait
	: >"$W/done-$1"
}

# inner W SASL-PASSWORD
inner() {
	W=$1
	SASL_PASS=$2
	pf_enter
	if pf_syslog "$W"; then
		ok "the namespace's /dev/log up (pid $SYSLOG_PID)"
	else
		nok "no /dev/log: $(cat "$W/syslog.out")"
	fi
	if ns_dns "$W" $DNS_PORT --fault servfail.test=servfail@TXT; then
		ok "test DNS server up (pid $DNS_PID)"
	else
		nok "test DNS server did not start: $(cat "$W/dns.out")"
	fi
	if pf_shared "$W"; then
		ok "spfgate policy --listen up (pid $POLICY_PID)"
	else
		nok "spfgate policy --listen did not start: $(cat "$W/policy.err")"
	fi
	# The same on TCP, on loopback.
	"$W/spfgate" policy --config "$W/spfgate.conf" \
	    --listen 127.0.0.1:$TCP_PORT --user daemon \
	    >"$W/policy-tcp.out" 2>"$W/policy-tcp.err" &
	TCP_PID=$!
	if wait_until $TCP_PID 500 ns_listening $TCP_PORT; then
		ok "spfgate policy --listen 127.0.0.1:$TCP_PORT up (pid $TCP_PID)"
	else
		nok "spfgate policy --listen 127.0.0.1:$TCP_PORT did not start:" \
		    "$(cat "$W/policy-tcp.err")"
	fi
	t0=$(date +%s%N)
	if pf_master "$W" 2601 2602 2603 2604; then
		ok "Postfix master (pid $MASTER_PID) listening after" \
		    "$((($(date +%s%N) - t0) / 1000000)) ms"
	else
		nok "Postfix did not start: $(cat "$W/postconf.out" "$W/master.out")"
	fi

	# The listeners' sessions side by side, each one's in turn
	# (the slow one first: a DNS server that never answers).
	for m in $MODES; do
		scenarios ${m%:*} ${m#*:} &
	done
	i=0
	while [ "$(ls "$W"/done-* 2>/dev/null | wc -l)" -lt $(echo $MODES | wc -w) ] &&
	    [ $i -lt 6000 ]; do
		sleep 0.01
		i=$((i + 1))
	done

	# Wait for the deliveries, then stop everything by pid.
	want=$(( $(echo $MODES | wc -w) * 8 - 1))
	i=0
	while [ "$(find "$W/mail" -path '*/new/*' -type f | wc -l)" -lt $want ] &&
	    [ $i -lt 1000 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	# master signals its process group, then itself: 128 + SIGTERM
	ns_stopped $MASTER_PID 143 "Postfix master stopped by pid (SIGTERM)" \
	    "Postfix master"
	ns_stopped $POLICY_PID 0 \
	    "spfgate policy --listen stopped by pid, exit 0" \
	    "spfgate policy --listen"
	ns_stopped $TCP_PID 0 "spfgate policy --listen (TCP) stopped, exit 0" \
	    "spfgate policy --listen (TCP)"
	# spawn(8) style (fd 0, 1, 2 one socket) with a bad option: the
	# error goes to syslog alone
	n0=$(grep -c 'spfgate\[[0-9]*\]: ' "$W/syslog")
	/usr/bin/python3 -c 'import socket, subprocess, sys
a, b = socket.socketpair()
sys.exit(subprocess.run(sys.argv[1:], stdin=b, stdout=b, stderr=b,
    timeout=60).returncode)' "$W/spfgate" policy --timeout never
	rc=$?
	i=0
	while [ "$(grep -c 'spfgate\[[0-9]*\]: ' "$W/syslog")" = "$n0" ] &&
	    [ $i -lt 300 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	[ $rc = 1 ] && grep -q \
	    "spfgate\[[0-9]*\]: --timeout: bad value for timeout: 'never'\$" \
	    "$W/syslog" && ok "spawn style, a bad option: exit 1, syslog" ||
	    nok "spawn style, a bad option: exit $rc, syslog: $(tail -n 1 "$W/syslog")"
	ns_stop $DNS_PID
	ns_stop $SYSLOG_PID
	if ! wait_until "" 300 ns_gone "$W/"; then
		nok "processes left: $(pgrep -a -f "$W/")"
	else
		ok "no Postfix or spfgate process left"
	fi
}

ns_inner "$@"

# ---------------------------------------------------------------------
# Outside: prepare, run inside the namespaces, check what was left.
[ "$(id -u)" = 0 ] ||
    give_up "check-e2e: must run as root (Postfix's master needs it)"
[ -x "$top/build/spfgate" ] ||
    give_up "check-e2e: build/spfgate not built (run make)"
W=$(mktemp -d /tmp/spfgate-postfix.XXXXXX)
pf_prepare "$W" || give_up "check-e2e: Postfix setup failed"
echo "# ran against: Postfix $(basename "$PF_ROOT")"

cat >"$W/zone.yml" <<EOF
pass.test:
  - TXT: "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
fail.test:
  - TXT: "v=spf1 ip4:198.51.100.1 -all exp=exp.fail.test"
exp.fail.test:
  - TXT: "%{s} is not allowed to send from %{i}"
softfail.test:
  - TXT: "v=spf1 ~all"
servfail.test:
  - TXT: "v=spf1 +all"
timeout.test:
  - TIMEOUT
evil.helo.test:
  - TXT: "v=spf1 -all"
EOF

cat >"$W/spfgate.conf" <<EOF
# Postfix end-to-end test configuration
resolver 127.0.0.1@$DNS_PORT
dnssec no
timeout 2
receiver $RECEIVER
headers yes
exempt-recipient postmaster@
EOF
chmod 644 "$W/spfgate.conf" "$W/zone.yml"

# Cyrus SASL's sasldb, read by the (unchrooted) smtpd as the mail
# owner.  Debian 12's Postfix reads smtpd.conf from the sasl directory
# of its configuration directory, Debian 13's from cyrus_sasl_config_path.
SASL_PASS=pw$$
mkdir -p "$W/etc/sasl"
cat >"$W/etc/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $W/etc/sasl/sasldb2
mech_list: PLAIN LOGIN
EOF
echo "$SASL_PASS" |
    saslpasswd2 -p -c -f "$W/etc/sasl/sasldb2" -u test.local alice
chown $PF_OWNER "$W/etc/sasl/sasldb2"

pf_spawn "$W"
cat >>"$W/etc/main.cf" <<EOF
spfgate_spawn = check_policy_service unix:private/spfgate-spawn
spfgate_shared = check_policy_service unix:private/spfgate
spfgate_tcp = check_policy_service inet:127.0.0.1:$TCP_PORT
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_local_domain = test.local
cyrus_sasl_config_path = $W/etc/sasl
EOF
cat >>"$W/etc/master.cf" <<EOF
2601      inet  n       -       n       -       -       smtpd
  -o smtpd_recipient_restrictions=reject_unauth_destination,\$spfgate_spawn
  -o smtpd_data_restrictions=\$spfgate_spawn
2602      inet  n       -       n       -       -       smtpd
  -o smtpd_recipient_restrictions=reject_unauth_destination,\$spfgate_shared
  -o smtpd_data_restrictions=\$spfgate_shared
2603      inet  n       -       y       -       -       smtpd
  -o smtpd_recipient_restrictions=reject_unauth_destination,\$spfgate_shared
  -o smtpd_data_restrictions=\$spfgate_shared
  -o smtpd_sasl_auth_enable=no
2604      inet  n       -       n       -       -       smtpd
  -o smtpd_recipient_restrictions=reject_unauth_destination,\$spfgate_tcp
  -o smtpd_data_restrictions=\$spfgate_tcp
EOF

ns_run_counted "$W" "$SASL_PASS"

for m in $MODES; do
	mode=${m%:*}
	expect $mode pass 0
	expect $mode pass6 0
	expect $mode two 0
	expect $mode softfail 0
	expect $mode fail 24 "550 5.7.23 *"
	r=$(swaks_reply "$W/swaks-$mode-fail.txt")
	case "$r" in
	*"mallory@fail.test is not allowed to send from 192.0.2.10"*)
		ok "$mode fail: the reply carries the domain's explanation" ;;
	*) nok "$mode fail: no explanation in \"$r\"" ;;
	esac
	expect $mode helofail 24 "550 5.7.23 *"
	r=$(swaks_reply "$W/swaks-$mode-helofail.txt")
	case "$r" in
	*"evil.helo.test"*)
		ok "$mode helofail: the reply names the HELO domain" ;;
	*) nok "$mode helofail: no HELO domain in \"$r\"" ;;
	esac
	expect $mode servfail 24 "451 4.7.24 *"
	expect $mode timeout 24 "451 4.7.24 *"
	expect $mode postmaster 0
	# swaks goes on to DATA after a refused recipient
	expect $mode mixed 0
	r=$(swaks_reply "$W/swaks-$mode-mixed.txt")
	case "$r" in
	*"550 5.7.23 <bob@test.local>"*)
		ok "$mode mixed: bob refused with 550 5.7.23" ;;
	*) nok "$mode mixed: bob's answer \"$r\"" ;;
	esac
	[ $mode = chroot ] || expect $mode auth 0

	# what was delivered, and with which fields
	# (two recipients: three answers, so the HELO's field too)
	while read -r case box result client helo; do
		[ $mode = chroot ] && [ $case = auth ] && continue
		tally_lines "$(/usr/bin/python3 "$here/pf_msg.py" \
		    "$W/mail/$box" "pf-$mode-$case" "$result" "$client" \
		    "$RECEIVER" $helo)"
	done <<-EOF
	pass bob pass 192.0.2.10 0
	pass6 bob pass 2001:db8::25 0
	two bob pass 192.0.2.11 1
	two carol pass 192.0.2.11 1
	softfail bob softfail 192.0.2.12 0
	postmaster postmaster fail 192.0.2.10 0
	mixed postmaster fail 192.0.2.10 0
	auth bob none-added - 0
	EOF
done

# Postfix's side: the service answered every request itself (a failed
# or silent service is Postfix's "451 4.3.5" and a warning).
log=$W/maillog
n=$(grep -c 'reject: RCPT from .*550 5.7.23' "$log")
# (each listener: fail, helofail, mixed's bob; servfail, timeout)
nmodes=$(echo $MODES | wc -w)
[ "$n" = $((nmodes * 3)) ] && ok "maillog: $n 550 5.7.23 rejects" ||
    nok "maillog: $n 550 5.7.23 rejects, want $((nmodes * 3))"
n=$(grep -c 'reject: RCPT from .*451 4.7.24' "$log")
[ "$n" = $((nmodes * 2)) ] && ok "maillog: $n 451 4.7.24 deferrals" ||
    nok "maillog: $n 451 4.7.24 deferrals, want $((nmodes * 2))"
n=$(grep -c -e '4\.3\.5' -e 'problem talking to' -e 'policy.*warning' \
    -e 'warning:.*policy' "$log")
[ "$n" = 0 ] && ok "maillog: no failed policy service (4.3.5)" ||
    nok "maillog: $n lines of a failed policy service"
n=$(grep -c -e 'fatal:' -e 'panic:' "$log")
[ "$n" = 0 ] && ok "maillog: no fatal or panic" ||
    nok "maillog: $n fatal or panic lines"

# The services' logs: one line per message each evaluated.
# service_log WHAT FILE LISTENERS AUTHENTICATED: each message's line
# once per listener that used the service; mallory's three times a
# listener (fail, postmaster, mixed).
service_log() {
	while read -r res sender client want; do
		n=$(grep 'policy: ' "$2" | grep "result=$res" |
		    grep "client=$client " | grep -c "sender=\"$sender\"")
		want=$((want * $3))
		[ "$n" = "$want" ] && ok "$1: $sender from $client result=$res" ||
		    nok "$1: $n lines for $sender from $client result=$res, want $want"
	done <<-EOF
	pass alice@pass.test 192.0.2.10 1
	fail mallory@fail.test 192.0.2.10 3
	temperror dave@servfail.test 192.0.2.13 1
	softfail sam@softfail.test 192.0.2.12 1
	temperror erin@timeout.test 192.0.2.13 1
	EOF
	n=$(grep 'policy: ' "$2" | grep -c 'authenticated')
	[ "$n" = "$4" ] && ok "$1: the authenticated client not checked" ||
	    nok "$1: $n lines for the authenticated client, want $4"
}
# the shared service: its stderr, for the plain and the chrooted smtpd
# (no SASL there)
service_log "policy log (shared)" "$W/policy.err" 2 1
service_log "policy log (TCP)" "$W/policy-tcp.err" 1 1
# Under spawn(8) the service logs to syslog, its stderr being smtpd's
# socket; only spawn's lines are there.
grep 'spfgate\[[0-9]*\]: ' "$W/syslog" >"$W/syslog.spfgate"
service_log "syslog (spawn)" "$W/syslog.spfgate" 1 1
n=$(grep -c -v 'spfgate\[[0-9]*\]: ' "$W/syslog")
[ "$n" = 0 ] && ok "syslog: only spawn's spfgate wrote there" ||
    nok "syslog: $n lines of others: $(grep -v 'spfgate\[' "$W/syslog" | head -n 3)"
# syslog's prefix names the program; the text does not name it again
n=$(grep -c 'spfgate\[[0-9]*\]: spfgate' "$W/syslog")
[ "$n" = 0 ] && grep -q 'spfgate\[[0-9]*\]: policy: ' "$W/syslog" &&
    ok "syslog: spfgate[PID]: policy: ..., the name once" ||
    nok "syslog: $n lines name spfgate twice: $(grep 'spfgate\[[0-9]*\]: spfgate' "$W/syslog" | head -n 2)"

if [ "$fail" -ne 0 ]; then
	echo "--- Postfix's log ($W/maillog):"
	sed 's/^/    /' "$W/maillog"
	echo "--- spfgate policy --listen's log:"
	sed 's/^/    /' "$W/policy.err"
	echo "--- spfgate policy --listen (TCP)'s log:"
	sed 's/^/    /' "$W/policy-tcp.err"
	echo "--- syslog (the spawn(8) services):"
	sed 's/^/    /' "$W/syslog"
fi
tally_end "$W"
