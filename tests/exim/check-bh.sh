#!/bin/sh
# check-bh.sh: exim-spf.so in real Exim, host-checking mode (exim -bh):
# scripted SMTP dialogues through the test config's MAIL ACL, which is
# the README's snippet.  Fail is rejected with 550 5.7.23 and the
# domain's explanation, temperror deferred with 451 4.7.24, the other
# results accepted with Received-SPF and Authentication-Results at the
# top of the header; IPv6 in whatever form Exim hands over; wrong
# argument counts and a missing config; one evaluation per message; no
# descriptor of ours in a command Exim runs.
# Run from the repository top, as root, after make.
. "$(dirname "$0")/lib.sh"
enter_test "$@"

start_dns "$here/zone.yml" --fault tcp.example.com=truncate-always || finish
spfgate_conf "$S/spfgate.conf"
exim_conf "$S/exim.conf" "$S/spfgate.conf"

# --- one IPv4 session, a transaction per result -----------------------
cat >"$S/v4.in" <<'EOF'
EHLO mail.example.org
MAIL FROM:<alice@pass.example.com>
RCPT TO:<bob@test.local>
DATA
Subject: pass

pass body
.
RSET
MAIL FROM:<mallory@fail.example.com>
RSET
MAIL FROM:<carol@soft.example.com>
RCPT TO:<bob@test.local>
DATA
Subject: softfail

softfail body
.
RSET
MAIL FROM:<dave@neutral.example.com>
RCPT TO:<bob@test.local>
DATA
Subject: neutral

neutral body
.
RSET
MAIL FROM:<erin@nospf.example.com>
RCPT TO:<bob@test.local>
DATA
Subject: none

none body
.
RSET
MAIL FROM:<frank@perm.example.com>
RCPT TO:<bob@test.local>
DATA
Subject: permerror

permerror body
.
RSET
MAIL FROM:<>
RCPT TO:<bob@test.local>
DATA
Subject: null sender

bounce body
.
RSET
MAIL FROM:<tina@tcp.example.com>
RSET
MAIL FROM:<alice@pass.example.com>
QUIT
EOF
bh 192.0.2.10 "$S/exim.conf" "$S/v4.in" "$S/v4.out" "$S/v4.err"
grep '^LOG:' "$S/v4.err" >"$S/v4.log"

check_has "pass: message accepted" "$S/v4.out" "250 OK id="
check_has "pass: Received-SPF at the top" "$S/v4.log" \
    "HEADERS Authentication-Results: mx.test.local; spf=pass smtp.mailfrom=alice@pass.example.com|Received-SPF: pass (mx.test.local: domain of alice@pass.example.com designates 192.0.2.10 as permitted sender) client-ip=192.0.2.10; envelope-from=\"alice@pass.example.com\"; helo=mail.example.org; receiver=mx.test.local; identity=mailfrom;"
check_has "pass: headers come before Exim's Received" "$S/v4.log" \
    "identity=mailfrom; mechanism=\"ip4:192.0.2.0/24\";|Received: from [192.0.2.10] (helo=mail.example.org)"
check_has "fail: 550 5.7.23 with the domain's explanation" "$S/v4.out" \
    "550 5.7.23 192.0.2.10 is not one of fail.example.com's mail servers"
check_has "fail: logged as rejected" "$S/v4.log" \
    "rejected MAIL <mallory@fail.example.com>: 550 5.7.23"
check_has "softfail: accepted with headers" "$S/v4.log" \
    "HEADERS Authentication-Results: mx.test.local; spf=softfail smtp.mailfrom=carol@soft.example.com|Received-SPF: softfail (mx.test.local: domain of transitioning carol@soft.example.com does not designate 192.0.2.10 as permitted sender) client-ip=192.0.2.10;"
check_has "neutral: accepted with headers" "$S/v4.log" \
    "|Received-SPF: neutral (mx.test.local: 192.0.2.10 is neither permitted nor denied by domain of dave@neutral.example.com)"
check_has "none: accepted with headers" "$S/v4.log" \
    "|Received-SPF: none (mx.test.local: domain of erin@nospf.example.com does not designate permitted sender hosts)"
check_has "permerror: tagged, accepted with headers" "$S/v4.log" \
    "HEADERS Authentication-Results: mx.test.local; spf=permerror reason="
check_has "null sender: the HELO identity is checked" "$S/v4.log" \
    "HEADERS Authentication-Results: mx.test.local; spf=pass smtp.helo=mail.example.org|Received-SPF: pass (mx.test.local: domain of mail.example.org designates 192.0.2.10 as permitted sender) client-ip=192.0.2.10; envelope-from=\"<>\"; helo=mail.example.org;"
n=$(grep -c '^250 OK id=' "$S/v4.out")
if [ "$n" -eq 6 ]; then
	ok "six messages accepted, one rejected"
else
	not_ok "six messages accepted, one rejected" "got $n accepted"
fi
check_has "TCP fallback: pass" "$S/v4.log" \
    "result=pass action=accept identity=mailfrom client=192.0.2.10 sender=\"tina@tcp.example.com\""
check_has "TCP fallback: the DNS server saw TCP" "$S/dns.log" \
    " tcp tcp.example.com TXT NOERROR"
check_has "spf_logline gives a log line" "$S/v4.log" \
    "LOG: result=pass action=accept identity=mailfrom client=192.0.2.10 sender=\"alice@pass.example.com\" helo=mail.example.org domain=pass.example.com"
# spf_explain, the deprecated name, is the same function.
for fn in spf_logline spf_explain; do
	"$EXIM" -C "$S/exim.conf" -be "\${dlfunc{$S/exim-spf.so}{$fn}{192.0.2.10}{alice@pass.example.com}{mail.example.org}{$S/spfgate.conf}}" \
	    >"$S/$fn.be" 2>&1
done
if grep -q '^result=pass action=accept ' "$S/spf_logline.be" &&
    cmp -s "$S/spf_logline.be" "$S/spf_explain.be"; then
	ok "spf_explain, its deprecated name, gives the same line"
else
	not_ok "spf_explain, its deprecated name, gives the same line" \
	    "$(cat "$S/spf_logline.be" "$S/spf_explain.be")"
fi
# The transactions after the TCP one run ${run} while libunbound holds
# that connection open.
if grep 'FDCHECK' "$S/v4.log" | grep -qv 'FDCHECK \[\]'; then
	not_ok "no socket or epoll descriptor reaches \${run} commands" \
	    "$(grep FDCHECK "$S/v4.log" | grep -v 'FDCHECK \[\]' | head -n 3)"
else
	ok "no socket or epoll descriptor reaches \${run} commands"
fi
check_hasnt "no dlfunc failure logged" "$S/v4.log" "dlfunc"

# --- IPv6: $sender_host_address as Exim spells it (4.96 fully expanded,
# 4.98 otherwise): the module takes every textual form; the result says
# which address was checked, canonically.
cat >"$S/v6.in" <<'EOF'
EHLO mail6.example.org
MAIL FROM:<alice@pass.example.com>
RCPT TO:<bob@test.local>
DATA
Subject: pass over IPv6

body
.
RSET
MAIL FROM:<mallory@fail.example.com>
QUIT
EOF
bh 2001:db8::25 "$S/exim.conf" "$S/v6.in" "$S/v6.out" "$S/v6.err"
grep '^LOG:' "$S/v6.err" >"$S/v6.log"
check_has "IPv6: pass, the message accepted" "$S/v6.out" "250 OK id="
check_has "IPv6: pass, canonical client-ip in the header" "$S/v6.log" \
    "|Received-SPF: pass (mx.test.local: domain of alice@pass.example.com designates 2001:db8::25 as permitted sender) client-ip=\"2001:db8::25\";"
check_has "IPv6: fail rejected with 550 5.7.23" "$S/v6.out" "550 5.7.23 "

# --- temperror: deferred, and evaluated once for all the calls --------
# temp.example.com drops every query, so an evaluation lasts the whole
# 2 s timeout; the ACL makes three calls for it (action, explain,
# reason).  One evaluation: about 2 s; one per call would be 6 s.
cat >"$S/temp.in" <<'EOF'
EHLO mail.example.org
MAIL FROM:<trent@temp.example.com>
QUIT
EOF
t0=$(date +%s%N)
bh 192.0.2.10 "$S/exim.conf" "$S/temp.in" "$S/temp.out" "$S/temp.err"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
grep '^LOG:' "$S/temp.err" >"$S/temp.log"
check_has "temperror: 451 4.7.24" "$S/temp.out" \
    "451 4.7.24 SPF temporary error for temp.example.com"
if [ "$ms" -ge 1900 ] && [ "$ms" -lt 3900 ]; then
	ok "temperror: one evaluation for three calls (${ms} ms, timeout 2 s)"
else
	not_ok "temperror: one evaluation for three calls" \
	    "session took ${ms} ms; expected 2000-3900"
fi

# --- usage errors and internal errors ---------------------------------
# A wrong argument count is an expansion failure with a message.
cat >"$S/argc.acl" <<'EOF'
  warn    set acl_m_bad = ${dlfunc{SPF_SO}{spf_result}{$sender_host_address}{$sender_address}}
EOF
exim_conf "$S/exim-argc.conf" "$S/spfgate.conf" "$S/argc.acl"
printf 'EHLO mail.example.org\nMAIL FROM:<alice@pass.example.com>\nQUIT\n' \
    >"$S/one.in"
bh 192.0.2.10 "$S/exim-argc.conf" "$S/one.in" "$S/argc.out" "$S/argc.err"
check_has "wrong argc: the MAIL is deferred" "$S/argc.out" "451 "
check_has "wrong argc: Exim logs our message" "$S/argc.err" \
    "spf_result: needs 3 to 5 arguments {ip}{sender}{helo}[{config file}[{recipient}]], got 2"

# A config file that is not there: temperror, deferred with the reason.
exim_conf "$S/exim-noconf.conf" "$S/missing.conf"
bh 192.0.2.10 "$S/exim-noconf.conf" "$S/one.in" "$S/noconf.out" \
    "$S/noconf.err"
check_has "missing config: deferred with 451 4.7.24" "$S/noconf.out" \
    "451 4.7.24 SPF temporary error for pass.example.com: "
check_has "missing config: the reason names the file" "$S/noconf.out" \
    "missing.conf"
check_has "missing config: logged once in Exim's main log" "$S/noconf.err" \
    "spfgate: cannot check SPF: "
# Not evaluated, the sender is still split as an evaluation splits it
# (the module once cut after the last '@' itself and kept "<", ">" and
# a trailing dot in the domain, and took "<>" for a MAIL FROM identity).
# SMTP refuses such senders, so through ${dlfunc} as an ACL may call it.
logline()
{
	"$EXIM" -C "$S/exim-noconf.conf" -be "\${dlfunc{$S/exim-spf.so}{spf_logline}{192.0.2.10}{$1}{h.example}{$S/m.conf}}" 2>>"$S/split.err"
}
for split in '<alice@pass.example.com.>|identity=mailfrom client=192.0.2.10 sender="alice@pass.example.com." helo=h.example domain=pass.example.com ' \
    'alice@pass.example.com.|identity=mailfrom client=192.0.2.10 sender="alice@pass.example.com." helo=h.example domain=pass.example.com ' \
    '<>|identity=helo client=192.0.2.10 sender="<>" helo=h.example domain=h.example ' \
    'pass.example.com|identity=mailfrom client=192.0.2.10 sender=pass.example.com helo=h.example domain=pass.example.com '; do
	logline "${split%%|*}" >"$S/split.out"
	check_has "not evaluated: ${split%%|*} split as the core splits it" \
	    "$S/split.out" "result=temperror action=defer ${split#*|}"
done

# A broken config line: the same, never a crash.
printf 'resolver 127.0.0.1@%s\nno-such-keyword 1\n' "$DNSPORT" \
    >"$S/broken.conf"
chmod 644 "$S/broken.conf"
exim_conf "$S/exim-broken.conf" "$S/broken.conf"
bh 192.0.2.10 "$S/exim-broken.conf" "$S/one.in" "$S/broken.out" \
    "$S/broken.err"
check_has "broken config: deferred with 451 4.7.24" "$S/broken.out" \
    "451 4.7.24 "
check_has "broken config: the reason names the line" "$S/broken.out" \
    "broken.conf:2"

# "headers no" in the config: nothing to add to accepted mail; tagged
# mail (softfail) still gets them, as with filter-spf.
spfgate_conf "$S/noheaders.conf" "headers no"
exim_conf "$S/exim-noheaders.conf" "$S/noheaders.conf"
cat >"$S/nohdr.in" <<'EOF'
EHLO mail.example.org
MAIL FROM:<alice@pass.example.com>
RCPT TO:<bob@test.local>
DATA
Subject: x

x
.
RSET
MAIL FROM:<carol@soft.example.com>
RCPT TO:<bob@test.local>
DATA
Subject: y

y
.
QUIT
EOF
bh 192.0.2.10 "$S/exim-noheaders.conf" "$S/nohdr.in" "$S/nohdr.out" \
    "$S/nohdr.err"
grep '^LOG:' "$S/nohdr.err" >"$S/nohdr.log"
n=$(grep -c '^250 OK id=' "$S/nohdr.out")
if [ "$n" -eq 2 ]; then
	ok "headers no: messages accepted"
else
	not_ok "headers no: messages accepted" "got $n"
fi
check_hasnt "headers no: no headers on accepted mail" "$S/nohdr.log" \
    "spf=pass"
check_has "headers no: tagged mail still gets them" "$S/nohdr.log" \
    "HEADERS Authentication-Results: mx.test.local; spf=softfail smtp.mailfrom=carol@soft.example.com|Received-SPF: softfail "

finish
