#!/bin/sh
# Golden output of "spfgate check --explain" (text, and --json) over the
# bundled demo zone: the trace an administrator reads to answer "why did
# this mail fail SPF".  Elapsed milliseconds are masked; everything else
# must match exactly.  --update rewrites the golden files.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
spfgate="$top/build/spfgate"
golden="$top/tests/explain/golden"
zone="$top/tests/demo/example.zone"
update=0
[ "${1:-}" = "--update" ] && update=1
pass=0
fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

run() {
	name=$1
	shift
	NO_COLOR=1 "$spfgate" check --config /dev/null --zone "$zone" \
	    --receiver mx.example.net --explain $helo_check "$@" 2>&1 |
	    sed -E 's/[0-9]+ ms/N ms/; s/"elapsed_ms":[0-9]+/"elapsed_ms":N/' >"$tmp"
	if [ $update = 1 ]; then
		cp "$tmp" "$golden/$name.out"
	fi
	if cmp -s "$tmp" "$golden/$name.out"; then
		pass=$((pass + 1))
		echo "ok   $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		diff -u "$golden/$name.out" "$tmp" | head -40
	fi
}

# The MAIL FROM traces: the HELO identity off, but where it is named.
helo_check="--helo-check no"
run fail-with-exp 198.51.100.99 mallory@example.org mail.attacker.net
run pass-include-ipv6 2001:db8:ba5e::7 newsletter@example.org out.provider.net
run softfail 192.0.2.201 bob@legacy.example.org relay.example.net
run permerror 192.0.2.10 carol@broken.example.org mail.example.org
run redirect-mx 198.51.100.25 orders@shop.example.org mx1.example.org
run exists-macro 198.51.100.7 news@lists.example.org lists.example.org
run null-sender-helo 192.0.2.77 '<>' mx.partner.example.org
run none 192.0.2.1 someone@nowhere.example.org helo.example
run json-fail --json 198.51.100.99 mallory@example.org mail.attacker.net
# internationalized mail (RFC 8616 4): the %{l} term skipped for a
# UTF-8 local-part ("j\303\274rgen" is jürgen), the A-label form checked,
# a name IDNA2008 refuses (U+2603)
run exists-utf8-local 198.51.100.7 \
    "$(printf 'j\303\274rgen')@lists.example.org" lists.example.org
run ulabel-sender 192.0.2.1 "anna@$(printf 'M\303\234NCHEN').example.org" \
    "mail.$(printf 'm\303\274nchen').example.org"
run idna-refused --json 192.0.2.1 "anna@$(printf '\342\230\203').example.org" \
    helo.example
# The HELO identity checked on its own (RFC 7208 2.3), as by default.
helo_check=
run helo-pass 192.0.2.77 alice@example.org mx.partner.example.org
run helo-literal 192.0.2.1 someone@nowhere.example.org '[192.0.2.1]'
# The HELO name is the sender's domain: the MAIL FROM evaluation that
# follows the HELO one takes the record from the checker's cache.
run helo-cached 192.0.2.77 alice@example.org example.org

# the trace is coloured only on a terminal: a pipe must get none
if NO_COLOR= "$spfgate" check --config /dev/null --zone "$zone" --explain \
    192.0.2.10 alice@example.org 2>&1 | grep -q "$(printf '\033')"; then
	fail=$((fail + 1))
	echo "FAIL colour escapes written to a pipe"
else
	pass=$((pass + 1))
	echo "ok   no colour on a pipe"
fi
echo "explain: $pass passed, $fail failed"
[ $fail -eq 0 ]
