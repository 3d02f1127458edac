#!/bin/sh
# check-e2e.sh: the real smtpd (Debian's OpenSMTPD 6.8) with filter-spf,
# real SMTP clients (swaks), the test DNS server; all in a private
# network, mount and pid namespace so that nothing touches the host's
# mail system and nothing outlives the test.
#
# smtpd listens on 127.0.0.1:2528 with PROXY protocol v2, so that swaks
# can claim any client address, and on 127.0.0.1:2527 without (a
# loopback client: smtpd's "local", not checked).  Senders: pass, fail
# (550 5.7.23 with the domain's explanation), softfail, none, temperror
# (451 4.7.24), pass over IPv6; the delivered ones are checked for their
# headers and a body byte for byte.
#
# Run from the top of the tree after make, as root.  Ends with
# "N passed, M failed".
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/opensmtpd
PORT_PROXY=2528
PORT_PLAIN=2527
DNS_PORT=5353
RECEIVER=mx.test.local

. "$top/tests/lib/tally.sh"
. "$top/tests/lib/swaks.sh"
. "$here/ns.sh"

# ---------------------------------------------------------------------
# Inside the namespaces: $1 is the work directory.
inner() {
	W=$1
	ns_enter
	if ns_dns "$W" $DNS_PORT; then
		ok "test DNS server up (pid $DNS_PID)"
	else
		nok "test DNS server did not start: $(cat "$W/dns.out")"
	fi
	if "$(cat "$W/smtpd.path")" -n -f "$W/smtpd.conf" >"$W/smtpd-n.out" 2>&1
	then
		ok "smtpd -n: configuration OK"
	else
		nok "smtpd -n: $(cat "$W/smtpd-n.out")"
	fi
	t0=$(date +%s%N)
	if ns_smtpd "$W" $PORT_PROXY $PORT_PLAIN; then
		ok "smtpd (pid $SMTPD_PID) listening after $((($(date +%s%N) - t0) / 1000000)) ms"
	else
		nok "smtpd did not start: $(tail -5 "$W/smtpd.err")"
	fi

	# case sender helo family source expected-swaks-rc
	while read -r case sender helo fam src want; do
		/usr/bin/python3 "$here/e2e_msg.py" make "$case" "$sender" "$W/$case.data"
		if [ "$fam" = plain ]; then
			set -- -p $PORT_PLAIN
		else
			dst=127.0.0.1
			[ "$fam" = AF_INET6 ] && dst=2001:db8::1
			set -- -p $PORT_PROXY \
			    $(swaks_proxy "$src" $PORT_PROXY $dst)
		fi
		t0=$(date +%s%N)
		swaks -s 127.0.0.1 "$@" -h "$helo" -f "$sender" \
		    -t bob@test.local --data "@$W/$case.data" -ndf \
		    >"$W/swaks-$case.txt" 2>&1
		rc=$?
		echo "$case: swaks rc=$rc in $((($(date +%s%N) - t0) / 1000000)) ms" \
		    >>"$W/timings"
		if [ "$rc" = "$want" ]; then
			ok "$case: swaks exit $rc"
		else
			nok "$case: swaks exit $rc, want $want: $(grep -m1 '^<\*\*' "$W/swaks-$case.txt")"
		fi
	done <<-EOF
	pass alice@pass.test client.example AF_INET 192.0.2.10 0
	fail mallory@fail.test evil.example AF_INET 192.0.2.10 23
	softfail bob@softfail.test soft.example AF_INET 192.0.2.11 0
	none carol@none.test none.example AF_INET 192.0.2.12 0
	temperror dave@temperror.test slow.example AF_INET 192.0.2.13 23
	pass6 erin@pass.test mail6.example AF_INET6 2001:db8::25 0
	local frank@fail.test local.example plain 127.0.0.1 0
	EOF

	# Wait for the five deliveries, then stop everything by pid.
	wait_until "" 1000 files_at_least 5 "$W/Maildir/new"
	t0=$(date +%s%N)
	ns_stop $SMTPD_PID
	[ $NS_RC = 0 ] && ok "smtpd stopped by pid, exit 0 ($((($(date +%s%N) - t0) / 1000000)) ms)" ||
	    nok "smtpd exit $NS_RC after SIGTERM"
	ns_stopped $DNS_PID 0 "test DNS server stopped by pid, exit 0" \
	    "test DNS server"
	# smtpd's children and the filter follow their parent out.
	wait_until "" 300 ns_gone "$W/filter-spf"
	if pgrep -f "$W/filter-spf" >/dev/null || pgrep -x smtpd >/dev/null
	then
		nok "processes left: $(pgrep -a -f "smtpd|filter-spf")"
	else
		ok "no smtpd or filter-spf process left"
	fi
}

ns_inner "$@"

# ---------------------------------------------------------------------
# Outside: prepare, run inside the namespaces, check what was left.
[ "$(id -u)" = 0 ] || give_up "check-e2e: must run as root (smtpd needs it)"
[ -x "$top/build/filter-spf" ] ||
    give_up "check-e2e: build/filter-spf not built (run make)"
W=$(mktemp -d /tmp/filter-spf-e2e.XXXXXX)
ns_prepare "$W" || give_up "check-e2e: OpenSMTPD setup failed"
# which smtpd these results are of ("version: OpenSMTPD 6.8.0p2")
echo "# ran against: $("$(cat "$W/smtpd.path")" -h 2>&1 | head -n 1)"

cat >"$W/zone.yml" <<EOF
pass.test:
  - TXT: "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
fail.test:
  - TXT: "v=spf1 ip4:198.51.100.1 -all exp=exp.fail.test"
exp.fail.test:
  - TXT: "%{s} is not allowed to send from %{i}"
softfail.test:
  - TXT: "v=spf1 ~all"
none.test:
  - A: 192.0.2.99
temperror.test:
  - TIMEOUT
EOF

cat >"$W/spfgate.conf" <<EOF
# filter-spf end-to-end test configuration
resolver 127.0.0.1@$DNS_PORT
dnssec no
timeout 2
receiver $RECEIVER
headers yes
# one identity; check-policy-e2e.sh tests the HELO check
helo-check no
EOF
chmod 644 "$W/spfgate.conf" "$W/zone.yml"

cat >"$W/smtpd.conf" <<EOF
# filter-spf end-to-end test: loopback only, PROXY v2 on $PORT_PROXY.
table vusers { "@" = "nobody" }

filter "spf" proc-exec "$W/filter-spf --config $W/spfgate.conf"

listen on 127.0.0.1 port $PORT_PROXY hostname $RECEIVER proxy-v2 filter "spf"
listen on 127.0.0.1 port $PORT_PLAIN hostname $RECEIVER filter "spf"

action "deliver" maildir "$W/Maildir" user nobody virtual <vusers>

match from any for domain "test.local" action "deliver"
EOF

ns_run_counted "$W"

# Answers the clients got.
reply() { swaks_reply "$W/swaks-$1.txt"; }
r=$(reply fail)
case "$r" in
"550 5.7.23 "*) ok "fail: rejected at MAIL FROM with 550 5.7.23" ;;
*) nok "fail: reply \"$r\"" ;;
esac
case "$r" in
*"mallory@fail.test is not allowed to send from 192.0.2.10"*)
	ok "fail: the reply carries the domain's explanation" ;;
*) nok "fail: no explanation in \"$r\"" ;;
esac
r=$(reply temperror)
case "$r" in
"451 4.7.24 "*) ok "temperror: deferred at MAIL FROM with 451 4.7.24" ;;
*) nok "temperror: reply \"$r\"" ;;
esac
if grep -q '^ -> MAIL FROM' "$W/swaks-fail.txt" &&
    ! grep -q '^ -> RCPT TO' "$W/swaks-fail.txt"; then
	ok "fail: the transaction ended at MAIL FROM"
else
	nok "fail: the client went on past MAIL FROM"
fi

# What was delivered.
n=$(ls "$W/Maildir/new" 2>/dev/null | wc -l)
[ "$n" = 5 ] && ok "five messages delivered (pass, softfail, none, pass6, local)" ||
    nok "$n messages delivered, want 5"
while read -r case res client; do
	tally_lines "$(/usr/bin/python3 "$here/e2e_msg.py" verify "$W/Maildir" \
	    "$case" "$res" "$client" "$RECEIVER")"
done <<EOF
pass pass 192.0.2.10
softfail softfail 192.0.2.11
none none 192.0.2.12
pass6 pass 2001:db8::25
local skip 127.0.0.1
EOF

# filter-spf's log reaches smtpd's log (its stderr, smtpd -d).
log=$W/smtpd.err
for c in "pass alice@pass.test" "fail mallory@fail.test" \
    "softfail bob@softfail.test" "none carol@none.test" \
    "temperror dave@temperror.test" "pass erin@pass.test"; do
	set -- $c
	n=$(grep "result=$1" "$log" | grep -c "$2")
	[ "$n" = 1 ] && ok "log: one line for $2 (result=$1)" ||
	    nok "log: $n lines for $2 result=$1"
done
if grep "session=" "$log" | grep -q "skipped=loopback"; then
	ok "log: the loopback session skipped with its reason"
else
	nok "log: no skipped=loopback line"
fi
n=$(grep -c "removed an incoming Authentication-Results" "$log")
[ "$n" = 8 ] && ok "log: 8 forged Authentication-Results removals (2 in each of 4 messages)" ||
    nok "log: $n removals logged, want 8"
grep '^spf: ' "$log" | sed 's/^/    log: /'
sed 's/^/    /' "$W/timings"

tally_end "$W"
