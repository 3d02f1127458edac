#!/bin/sh
# check-exim.sh: internationalized mail (RFC 8616 4) through exim-spf.so
# in a real Exim daemon (exim -bdf, with SMTPUTF8: Debian's Exim 4.96 is
# built with I18N) on loopback in a private network namespace.  A sender
# in U-labels, sent with "MAIL FROM:<...> SMTPUTF8" (smtputf8.py), gets
# the result its A-label form gets (sent by swaks, which needs no
# SMTPUTF8 for it), and the delivered headers carry the address as it
# came; a UTF-8 local-part's %{l} term matches nothing; ß is IDNA2008's.
# Run from the repository top, as root, after make.
. "$(dirname "$0")/../exim/lib.sh"
enter_test "$@"
idn=$top/tests/idn

start_dns "$idn/zone.yml" || finish
spfgate_conf "$S/spfgate.conf"
exim_conf "$S/exim.conf" "$S/spfgate.conf"
# advertised to every host (the default with I18N; said, to be sure)
sed -i '1a\
smtputf8_advertise_hosts = *' "$S/exim.conf"

"$EXIM" -C "$S/exim.conf" -bdf >"$S/exim.out" 2>&1 &
exim_pid=$!
i=0
while ! ss -Hltn "sport = :2525" | grep -q .; do
	i=$((i + 1))
	if [ $i -gt 500 ]; then
		not_ok "exim -bdf listening on 2525" "$(cat "$S/exim.out")"
		finish
	fi
	sleep 0.01
done
ok "exim -bdf listening on 2525"

# utf8 NAME SENDER: one message with SMTPUTF8; rc and transcript kept.
utf8()
{
	"$PYTHON" "$idn/smtputf8.py" 127.0.0.1 2525 mail.example.org "$2" \
	    bob@test.local "$1" >"$S/$1.out" 2>&1
	echo $? >"$S/$1.rc"
}

utf8 ulabel 'anna@münchen.example'
utf8 utf8local 'josé@l.example'
utf8 eszett 'karl@straße.example'
utf8 mixedcase 'Anna@MÜNCHEN.Example'
swaks --server 127.0.0.1 --port 2525 --helo mail.example.org \
    --from anna@xn--mnchen-3ya.example --to bob@test.local \
    --header 'Subject: alabel' >"$S/alabel.out" 2>&1
echo $? >"$S/alabel.rc"

i=0
while [ $i -lt 300 ]; do
	[ "$(ls "$S/mail/new" 2>/dev/null | wc -l)" -ge 3 ] && break
	i=$((i + 1))
	sleep 0.02
done
sleep 0.3
kill -TERM "$exim_pid"
wait "$exim_pid"
exim_pid=

msgfile()
{
	grep -l "^Subject: $1\$" "$S"/mail/new/* 2>/dev/null | head -n 1
}

check_has "the server advertises SMTPUTF8" "$S/ulabel.out" "<< 250-SMTPUTF8"

# accepted NAME SENDER: delivered, with both headers naming SENDER.
accepted()
{
	f=$(msgfile "$1")
	if [ "$(cat "$S/$1.rc")" -ne 0 ] || [ -z "$f" ]; then
		not_ok "$1: accepted and delivered" "$(tail -n 5 "$S/$1.out")"
		return
	fi
	ok "$1: accepted and delivered"
	sed '/^$/q' "$f" >"$S/$1.headers"
	check_has "$1: Received-SPF pass, the sender intact" \
	    "$S/$1.headers" "Received-SPF: pass (mx.test.local: domain of $2 designates 127.0.0.1 as permitted sender) client-ip=127.0.0.1; envelope-from=\"$2\";"
	check_has "$1: Authentication-Results, the sender intact" \
	    "$S/$1.headers" "Authentication-Results: mx.test.local; spf=pass smtp.mailfrom=$2"
	check_hasnt "$1: no '?' for a character" "$S/$1.headers" "??"
}

# refused NAME REPLY: MAIL refused with REPLY, nothing delivered.
refused()
{
	if [ "$(cat "$S/$1.rc")" -eq 3 ] && grep -qF -- "$2" "$S/$1.out"; then
		ok "$1: refused at MAIL with $2"
	else
		not_ok "$1: refused at MAIL with $2" "$(tail -n 5 "$S/$1.out")"
	fi
	if [ -n "$(msgfile "$1")" ]; then
		not_ok "$1: nothing delivered"
	else
		ok "$1: nothing delivered"
	fi
}

accepted ulabel 'anna@münchen.example'
accepted alabel 'anna@xn--mnchen-3ya.example'
accepted mixedcase 'Anna@MÜNCHEN.Example'
refused utf8local '550 5.7.23'
refused eszett '550 5.7.23'

# Nothing but A-labels and ASCII reached DNS.
check_has "DNS asked for the A-label form" "$S/dns.log" \
    "xn--mnchen-3ya.example"
check_hasnt "no UTF-8 or punycode local-part reached DNS" "$S/dns.log" \
    "_l.example"
check_hasnt "the IDNA2003 form was never asked" "$S/dns.log" \
    "strasse.example"
if grep -q '\\[0-9][0-9][0-9]' "$S/dns.log"; then
	not_ok "no octet beyond ASCII reached DNS" \
	    "$(grep '\\[0-9][0-9][0-9]' "$S/dns.log" | head -n 3)"
else
	ok "no octet beyond ASCII reached DNS"
fi
# (Exim writes the first message's log lines with octal escapes, its
# own choice: only the domain checked is looked for.)
check_has "Exim logged the SPF line with the A-label domain" \
    "$S/log/mainlog" "domain=xn--mnchen-3ya.example mechanism=\"ip4:127.0.0.1\""

finish
