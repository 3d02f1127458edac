#!/bin/sh
# check-policy-e2e.sh: the policy keywords of issue 14 through the real
# smtpd (Debian's OpenSMTPD 6.8) with filter-spf, swaks as the client
# (PROXY v2, so it can claim any address), the test DNS server, inside
# private network, mount and pid namespaces (as check-e2e.sh): a HELO
# -all host rejected at MAIL FROM; a HELO without SPF accepted with both
# identities in the headers; forwarders accepted by ptr:, helo: and
# spf: rules while an unknown client with the same sender is rejected;
# postmaster@ reached while another recipient is refused at RCPT TO;
# each header choice; dry run; a domain-policy override; a best guess
# reported but not enforced; a filter adding Authentication-Results
# chained before filter-spf keeps its field.
# Run from the top of the tree after make, as root.  Ends with
# "N passed, M failed".
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/opensmtpd
DNS_PORT=5353
P_MAIN=2528
P_EXEMPT=2530
P_DRY=2531
P_CHAIN=2532
RECEIVER=mx.test.local

. "$top/tests/lib/tally.sh"
. "$top/tests/lib/swaks.sh"
. "$here/ns.sh"

inner() {
	W=$1
	ns_enter
	ns_dns "$W" $DNS_PORT && ok "test DNS server up" ||
	    nok "test DNS server did not start: $(cat "$W/dns.out")"
	if ns_smtpd "$W" $P_MAIN $P_EXEMPT $P_DRY $P_CHAIN; then
		ok "smtpd listening with three filter-spf configurations"
	else
		nok "smtpd did not start: $(tail -5 "$W/smtpd.err")"
	fi
	# case sender helo port source recipients expected-swaks-rc
	while read -r case sender helo port src rcpts want; do
		/usr/bin/python3 "$here/e2e_msg.py" make "$case" "$sender" \
		    "$W/$case.data"
		swaks -s 127.0.0.1 -p "$port" $(swaks_proxy "$src" "$port") \
		    -h "$helo" -f "$sender" \
		    -t "$rcpts" --data "@$W/$case.data" -ndf \
		    >"$W/swaks-$case.txt" 2>&1
		rc=$?
		if [ "$want" = any ] || [ "$rc" = "$want" ]; then
			ok "$case: swaks exit $rc"
		else
			nok "$case: swaks exit $rc, want $want: $(grep -m1 '^<\*\*' "$W/swaks-$case.txt")"
		fi
	done <<-EOF
	helofail alice@pass.test bad.helo.test $P_MAIN 192.0.2.10 bob@test.local 23
	helonone alice@pass.test nospf.helo.test $P_MAIN 192.0.2.10 bob@test.local 0
	fwdptr mallory@fail.test x.example $P_MAIN 192.0.2.50 bob@test.local 0
	fwdhelo mallory@fail.test mx.helo.fwd.test $P_MAIN 192.0.2.51 bob@test.local 0
	fwdspf mallory@fail.test x.example $P_MAIN 192.0.2.52 bob@test.local 0
	unknown mallory@fail.test mx.helo.fwd.test $P_MAIN 192.0.2.66 bob@test.local 23
	bank a@mail.bank.test x.example $P_MAIN 192.0.2.10 bob@test.local 23
	guess a@guess.test x.example $P_MAIN 192.0.2.99 bob@test.local 0
	exempt mallory@fail.test x.example $P_EXEMPT 192.0.2.10 postmaster@test.local,bob@test.local any
	exempthelo alice@pass.test bad.helo.test $P_EXEMPT 192.0.2.10 postmaster@test.local,bob@test.local any
	dry mallory@fail.test x.example $P_DRY 192.0.2.10 bob@test.local 0
	chain alice@pass.test x.example $P_CHAIN 192.0.2.10 bob@test.local 0
	EOF
	wait_until "" 1000 files_at_least 9 "$W/Maildir/new"
	ns_stopped $SMTPD_PID 0 "smtpd stopped by pid" smtpd
	ns_stopped $DNS_PID 0 "test DNS server stopped by pid" \
	    "test DNS server"
}

ns_inner "$@"

[ "$(id -u)" = 0 ] && [ -x "$top/build/filter-spf" ] ||
    give_up "check-policy-e2e: must run as root after make"
W=$(mktemp -d /tmp/filter-spf-policy.XXXXXX)
ns_prepare "$W" || give_up "check-policy-e2e: OpenSMTPD setup failed"
cp "$top/tests/exim/policy-zone.yml" "$W/zone.yml"
base="resolver 127.0.0.1@$DNS_PORT
dnssec no
timeout 2
receiver $RECEIVER"
printf '%s\n%s\n' "$base" "helo-check yes
skip ptr:ptr.test
skip helo:helo.fwd.test
skip spf:spf.fwd.test
domain-policy .bank.test softfail reject
best-guess v=spf1 a -all" >"$W/main.conf"
printf '%s\n%s\n' "$base" "exempt-recipient postmaster@
header-fields received-spf" >"$W/exempt.conf"
printf '%s\n%s\n' "$base" "dry-run yes
header-fields authentication-results" >"$W/dry.conf"
chmod 644 "$W"/*.conf "$W/zone.yml"
# A filter that adds this server's own Authentication-Results on top
# of each message, as filter-auth or a DKIM verifier does, chained
# BEFORE filter-spf (smtpd filter protocol 0.6, Debian 12's smtpd).
cat >"$W/addar.py" <<'EOF'
import sys
seen = set()
for line in sys.stdin:
    f = line.rstrip("\n").split("|", 7)
    if f[0] == "config" and f[1] == "ready":
        print("register|filter|smtp-in|data-line\nregister|ready", flush=True)
    elif f[0] == "filter" and f[4] == "data-line":
        sid, tok = f[5], f[6]
        if (sid, tok) not in seen:
            seen.add((sid, tok))
            print("filter-dataline|%s|%s|Authentication-Results: "
                  "mx.test.local; dkim=pass (chained filter)" % (sid, tok))
        print("filter-dataline|%s|%s|%s" % (sid, tok, f[7]), flush=True)
EOF
chmod 644 "$W/addar.py"
cat >"$W/smtpd.conf" <<EOF
table vusers { "@" = "nobody" }
filter "spf" proc-exec "$W/filter-spf --config $W/main.conf"
filter "spfx" proc-exec "$W/filter-spf --config $W/exempt.conf"
filter "spfd" proc-exec "$W/filter-spf --config $W/dry.conf"
filter "addar" proc-exec "/usr/bin/python3 $W/addar.py"
filter "spfc" proc-exec "$W/filter-spf --config $W/main.conf"
filter "chain" chain { "addar", "spfc" }
listen on 127.0.0.1 port $P_MAIN hostname $RECEIVER proxy-v2 filter "spf"
listen on 127.0.0.1 port $P_EXEMPT hostname $RECEIVER proxy-v2 filter "spfx"
listen on 127.0.0.1 port $P_DRY hostname $RECEIVER proxy-v2 filter "spfd"
listen on 127.0.0.1 port $P_CHAIN hostname $RECEIVER proxy-v2 filter "chain"
action "deliver" maildir "$W/Maildir" user nobody virtual <vusers>
match from any for domain "test.local" action "deliver"
EOF

ns_run_counted "$W"

reply() { swaks_reply "$W/swaks-$1.txt"; }
r=$(reply helofail)
case "$r" in
"550 5.7.23 bad.helo.test is not one of our mail servers"*)
	ok "helo -all: 550 5.7.23 with the HELO's explanation at MAIL FROM" ;;
*) nok "helo -all: reply \"$r\"" ;;
esac
for c in unknown bank; do
	case "$(reply $c)" in
	"550 5.7.23 "*) ok "$c: rejected with 550 5.7.23" ;;
	*) nok "$c: reply \"$(reply $c)\"" ;;
	esac
done
for c in exempt exempthelo; do
	if grep -q '^<\*\* *550 5.7.23' "$W/swaks-$c.txt" &&
	    grep -q '^ -> RCPT TO:<bob@test.local>' "$W/swaks-$c.txt" &&
	    grep -q '^<- *250 .*Ok\|^<- *250 ' "$W/swaks-$c.txt"; then
		ok "$c: bob refused at RCPT TO, postmaster accepted"
	else
		nok "$c: $(grep '^<' "$W/swaks-$c.txt" | tr '\n' ' ')"
	fi
done

# What was delivered, by X-Case: substrings that must and must not be
# in the header block.
/usr/bin/python3 - "$W/Maildir" <<'EOF' >"$W/verify.out"
import os, sys
d = os.path.join(sys.argv[1], "new")
msgs = {}
for n in os.listdir(d) if os.path.isdir(d) else []:
    text = open(os.path.join(d, n), encoding="utf-8", errors="replace").read()
    head = text.split("\n\n", 1)[0].replace("\n\t", " ")
    for line in head.split("\n"):
        if line.startswith("X-Case: "):
            msgs.setdefault(line[8:], []).append((head, text))
def check(name, case, must=(), mustnt=(), count=1):
    got = msgs.get(case, [])
    ok = len(got) == count and all(
        all(m in h for m in must) and not any(m in h for m in mustnt)
        for h, _ in got)
    print(("ok - " if ok else "FAIL - ") + name +
          ("" if ok else ": %d delivered; %r" % (len(got),
                                                [h[:600] for h, _ in got])))
check("helo none: delivered with both identities", "helonone",
      ["identity=helo;", "identity=mailfrom;",
       "spf=none smtp.helo=nospf.helo.test; spf=pass smtp.mailfrom=alice@pass.test"])
for case, rule in (("fwdptr", "ptr:ptr.test"), ("fwdhelo", "helo:helo.fwd.test"),
                   ("fwdspf", "spf:spf.fwd.test")):
    check("forwarder %s: delivered, spf=none naming the rule" % rule, case,
          ["spf=none (skip %s) smtp.mailfrom=mallory@fail.test" % rule])
check("unknown client: nothing delivered", "unknown", count=0)
check("helo -all: nothing delivered", "helofail", count=0)
check("domain-policy: nothing delivered", "bank", count=0)
check("best guess: delivered, reported, not enforced", "guess",
      ["spf=none (best guess fail) smtp.mailfrom=a@guess.test"])
check("exempt: postmaster's copy delivered with Received-SPF only", "exempt",
      ["Received-SPF: fail"], ["Authentication-Results: mx.test.local"])
check("exempt: a HELO reject moved to RCPT TO, postmaster reached",
      "exempthelo", ["Received-SPF: fail", "identity=helo"])
check("dry run: a fail delivered, A-R says would=reject, no Received-SPF",
      "dry", ["spf=fail (dry run, would=reject) smtp.mailfrom=mallory@fail.test"],
      ["Received-SPF:"])
check("chain: another filter's Authentication-Results before filter-spf "
      "kept, the client's forged one removed", "chain",
      ["Authentication-Results: mx.test.local; dkim=pass (chained filter)",
       "spf=pass smtp.mailfrom=alice@pass.test"])
both = [h.count("Authentication-Results: mx.test.local;")
        for h, _ in msgs.get("chain", [])]
print(("ok - " if both == [2] else "FAIL - ") +
      "chain: exactly ours and the chained filter's field: %r" % both)
EOF
tally_lines "$(cat "$W/verify.out")"

log=$W/smtpd.err
grep -q "skipped=ptr:ptr.test" "$log" && ok "log: skipped=ptr:ptr.test" ||
    nok "log: no skipped=ptr:ptr.test line"
grep -q "would=reject" "$log" && ok "log: would=reject" ||
    nok "log: no would=reject line"
grep -q "rcpt=<bob@test.local> 550 5.7.23" "$log" &&
    ok "log: the refused recipient" || nok "log: no rcpt= line"

tally_end "$W"
