#!/bin/sh
# check-opensmtpd.sh: internationalized mail (RFC 8616 4) and filter-spf
# in the real smtpd (Debian's OpenSMTPD 6.8), in private namespaces
# (tests/opensmtpd/ns.sh), the client claiming 192.0.2.10 over PROXY v2.
# smtpd 6.8 does not offer SMTPUTF8, and refuses a UTF-8 address in
# MAIL itself (553 5.1.0, before any filter is asked): what reaches
# filter-spf from it is ASCII, A-labels for an internationalized
# domain.  This test holds smtpd to that (if a later smtpd offers
# SMTPUTF8 it fails, and the U-label cases of check-exim.sh belong
# here), and shows the A-label form of a U-label sender passing, with
# both headers.  Run from the top of the tree after make, as root.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
idn=$top/tests/idn
PORT=2528
DNS_PORT=5353

. "$top/tests/lib/tally.sh"
. "$top/tests/opensmtpd/ns.sh"

# has NAME FILE TEXT: FILE has a line with the fixed string TEXT.
has() {
	if grep -qF -- "$3" "$2"; then
		ok "$1"
	else
		nok "$1: no '$3' in $2"
		sed 's/^/    | /' "$2" | tail -n 15
	fi
}

inner() {
	W=$1
	ns_enter
	ns_dns "$W" $DNS_PORT || nok "test DNS server did not start"
	ns_smtpd "$W" $PORT || nok "smtpd did not start: $(tail -5 "$W/smtpd.err")"
	# without the SMTPUTF8 parameter: smtpd does not offer it
	for c in "ulabel anna@münchen.example" "utf8local josé@l.example"; do
		set -- $c
		/usr/bin/python3 "$idn/smtputf8.py" --plain --proxy 192.0.2.10 \
		    127.0.0.1 $PORT mail.example.org "$2" bob@test.local "$1" \
		    >"$W/$1.out" 2>&1
		echo $? >"$W/$1.rc"
	done
	swaks -s 127.0.0.1 -p $PORT --proxy-version 2 --proxy-family AF_INET \
	    --proxy-source 192.0.2.10 --proxy-source-port 40000 \
	    --proxy-dest 127.0.0.1 --proxy-dest-port $PORT \
	    -h mail.example.org -f anna@xn--mnchen-3ya.example \
	    -t bob@test.local --header 'Subject: alabel' >"$W/alabel.out" 2>&1
	echo $? >"$W/alabel.rc"
	i=0
	while [ "$(ls "$W/Maildir/new" 2>/dev/null | wc -l)" -lt 1 ] &&
	    [ $i -lt 1000 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	ns_stop $SMTPD_PID
	ns_stop $DNS_PID
	echo "$pass $fail" >"$W/inner.count"
}

if [ "${1:-}" = "--inner" ]; then
	inner "$2"
	exit 0
fi

if [ "$(id -u)" != 0 ] || [ ! -x "$top/build/filter-spf" ]; then
	give_up "check-opensmtpd: must run as root after make"
fi
W=$(mktemp -d /tmp/filter-spf-idn.XXXXXX)
if ! ns_prepare "$W"; then
	give_up "check-opensmtpd: OpenSMTPD setup failed"
fi
sed 's/127\.0\.0\.1/192.0.2.10/' "$idn/zone.yml" >"$W/zone.yml"
cat >"$W/spfgate.conf" <<CONF
resolver 127.0.0.1@$DNS_PORT
dnssec no
timeout 2
receiver mx.test.local
# the MAIL FROM identity alone; tests/opensmtpd/check-policy-e2e.sh
# tests the HELO check
helo-check no
headers yes
CONF
chmod 644 "$W/spfgate.conf" "$W/zone.yml"
cat >"$W/smtpd.conf" <<CONF
table vusers { "@" = "nobody" }
filter "spf" proc-exec "$W/filter-spf --config $W/spfgate.conf"
listen on 127.0.0.1 port $PORT hostname mx.test.local proxy-v2 filter "spf"
action "deliver" maildir "$W/Maildir" user nobody virtual <vusers>
match from any for domain "test.local" action "deliver"
CONF
ns_run_counted "$W"

if grep -q '^<< 250-SMTPUTF8' "$W/ulabel.out"; then
	nok "smtpd does not offer SMTPUTF8 (it does now: test U-labels here)"
else
	ok "smtpd 6.8 does not offer SMTPUTF8"
fi

msgfile() {
	grep -l "^Subject: $1\$" "$W"/Maildir/new/* 2>/dev/null | head -n 1
}

# accepted NAME SENDER: delivered, both headers naming SENDER intact.
accepted() {
	f=$(msgfile "$1")
	if [ "$(cat "$W/$1.rc")" -ne 0 ] || [ -z "$f" ]; then
		nok "$1: accepted and delivered: $(tail -n 3 "$W/$1.out")"
		return
	fi
	ok "$1: accepted and delivered"
	sed '/^$/q' "$f" >"$W/$1.headers"
	has "$1: Received-SPF pass, the sender intact" "$W/$1.headers" \
	    "Received-SPF: pass (mx.test.local: domain of $2 designates 192.0.2.10 as permitted sender) client-ip=192.0.2.10; envelope-from=\"$2\";"
	has "$1: Authentication-Results, the sender intact" "$W/$1.headers" \
	    "Authentication-Results: mx.test.local; spf=pass smtp.mailfrom=$2"
	if grep -qF '??' "$W/$1.headers"; then
		nok "$1: a character written '?'"
	else
		ok "$1: no character written '?'"
	fi
}

# refused NAME REPLY: MAIL refused with REPLY, nothing delivered.
refused() {
	if [ "$(cat "$W/$1.rc")" = 3 ] && grep -qF -- "$2" "$W/$1.out"; then
		ok "$1: refused at MAIL with $2"
	else
		nok "$1: refused at MAIL with $2: $(tail -n 3 "$W/$1.out")"
	fi
	if [ -z "$(msgfile "$1")" ]; then
		ok "$1: nothing delivered"
	else
		nok "$1: delivered"
	fi
}

refused ulabel '553 5.1.0 Sender address syntax error'
refused utf8local '553 5.1.0 Sender address syntax error'
accepted alabel 'anna@xn--mnchen-3ya.example'
# One question for the domain: the A-label message's; smtpd refused the
# U-label one before filter-spf was asked.
n=$(grep -c 'xn--mnchen-3ya.example TXT' "$W/dns.log")
if [ "$n" = 1 ]; then
	ok "filter-spf asked only for the A-label message"
else
	nok "filter-spf asked $n times for xn--mnchen-3ya.example TXT"
fi
for t in _l.example '\\[0-9][0-9][0-9]'; do
	if grep -q -- "$t" "$W/dns.log"; then
		nok "never asked DNS for $t: $(grep -- "$t" "$W/dns.log" | head -n 2)"
	else
		ok "never asked DNS for $t"
	fi
done

tally_end "$W"
