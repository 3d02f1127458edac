#!/bin/sh
# check-dmarc.sh: the README's "Exim's DMARC" statements (its snippet
# "exim-dmarc"), as written, in front of its "exim-acl" statements in
# Exim's RCPT ACL.  Debian's Exim is built without DMARC (the first
# line of output says whether this one has it), so this checks what the
# recipe says of Exim's own SPF: the built-in "spf =" condition
# evaluates ($spf_result, which Exim's DMARC reads), and the delivered
# message carries spfgate's Received-SPF and Authentication-Results
# only, the Received-SPF it arrived with removed.
# libspf2 asks the system resolver: /etc/resolv.conf is a bind mount
# (private mount namespace) naming 127.0.0.1, the test DNS server on 53.
# Run from the repository top, as root, after make.
. "$(dirname "$0")/lib.sh"
DNSPORT=53
enter_test "$@"

if "$EXIM" -bV | grep '^Support for:' | grep -qw DMARC; then
	echo "# this Exim has DMARC support (not exercised here)"
else
	echo "# this Exim has no DMARC support (exim -bV)"
fi

mkdir "$S/snip"
if ! "$PYTHON" "$top/tests/snippets/extract.py" "$top" "$S/snip" \
    >"$S/extract.out" 2>&1; then
	not_ok "the README's snippets" "$(cat "$S/extract.out")"
	finish
fi
for n in exim-dmarc exim-acl; do
	[ -s "$S/snip/$n" ] || { not_ok "README snippet $n"; finish; }
done

printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' \
    >"$S/resolv.conf"
chmod 644 "$S/resolv.conf"
mount --bind "$S/resolv.conf" /etc/resolv.conf
start_dns "$here/zone.yml" || finish

spfgate_conf "$S/spfgate.conf"
exim_conf "$S/exim.conf" "$S/spfgate.conf"
# The RCPT ACL: the relay check, the two snippets in the README's
# order, a log line of the built-in's result; the MAIL ACL accepts.
"$PYTHON" - "$S/exim.conf" "$S/snip/exim-dmarc" "$S/snip/exim-acl" <<'EOF'
import sys
p, dmarc, acl = sys.argv[1:4]
s = open(p).read()
a, b = s.index("acl_check_mail:"), s.index("acl_check_data:")
s = (s[:a] + "acl_check_mail:\n  accept\n\nacl_check_rcpt:\n"
     "  deny    !domains = +local_domains\n"
     "          message = relay not permitted\n" +
     open(dmarc).read() + "\n" + open(acl).read() + "\n"
     "  warn    logwrite = BUILTIN spf_result=$spf_result\n"
     "  accept\n\n" + s[b:])
open(p, "w").write(s)
EOF
sed -i '1a\
dns_retrans = 1s\
dns_retry = 1' "$S/exim.conf"

# One message from 192.0.2.10 with a Received-SPF of its own.
printf '%s\r\n' 'EHLO mail.example.org' \
    'MAIL FROM:<alice@pass.example.com>' 'RCPT TO:<bob@test.local>' \
    'DATA' 'Received-SPF: pass (forged) client-ip=192.0.2.10;' \
    'Subject: dmarc' '' 'body' '.' 'QUIT' |
    "$EXIM" -C "$S/exim.conf" -oMa 192.0.2.10 -bs >"$S/bs.out" 2>&1
check_has "the statements accepted by Exim, the message too" "$S/bs.out" \
    "250 OK id="
check_has "the built-in spf = evaluated: \$spf_result is pass" \
    "$S/log/mainlog" "BUILTIN spf_result=pass"

m=
i=0
while [ $i -lt 200 ]; do
	[ -d "$S/mail/new" ] && m=$(find "$S/mail/new" -type f \
	    -exec grep -l '^Subject: dmarc$' {} + | head -n 1)
	[ -n "$m" ] && break
	i=$((i + 1))
	sleep 0.05
done
if [ -z "$m" ]; then
	not_ok "delivered" "$(tail -n 5 "$S/log/mainlog")"
	finish
fi
sed '/^$/q' "$m" >"$S/hdr"
n=$(grep -c '^Received-SPF:' "$S/hdr")
if [ "$n" -eq 1 ] && grep -q '^Received-SPF: pass (mx\.test\.local: ' \
    "$S/hdr"; then
	ok "one Received-SPF, spfgate's"
else
	not_ok "one Received-SPF, spfgate's ($n)" "$(cat "$S/hdr")"
fi
check_hasnt "the Received-SPF it came with removed" "$S/hdr" "(forged)"
check_has "spfgate's Authentication-Results" "$S/hdr" \
    "Authentication-Results: mx.test.local; spf=pass smtp.mailfrom=alice@pass.example.com"
if [ -s "$S/log/paniclog" ]; then
	not_ok "paniclog empty" "$(head -n 5 "$S/log/paniclog")"
else
	ok "paniclog empty"
fi
finish
