#!/bin/sh
# check.sh: zone mode ("zone FILE").  A zone file answers for every
# name in it, under test. and the TEST-NET reverse zones too (which
# libunbound otherwise answers by itself with NXDOMAIN), in spfgate
# check, lint and filter and in Exim's module; a file that does not
# parse, or that holds names outside its zone, stops every program at
# start-up with the file and line, instead of making every lookup a
# temperror.  Offline: no DNS server at all.
# Run from the repository top, as root, after make.
. "$(dirname "$0")/../exim/lib.sh"
enter_test "$@"

spfgate=$top/build/spfgate
Z=$S/zones
mkdir "$Z"

# The demo's zone, renamed into test.: every name under admtest.test.
sed 's/example\.org/admtest.test/g' "$top/tests/demo/example.zone" \
    >"$Z/admtest.zone"
cat >>"$Z/admtest.zone" <<'EOT'
ptr		TXT	"v=spf1 ptr:admtest.test -all"
mail		A	192.0.2.10
EOT
cat >"$Z/rev.zone" <<'EOT'
$ORIGIN 2.0.192.in-addr.arpa.
@	SOA	ns.admtest.test. hostmaster.admtest.test. 1 3600 600 86400 300
10	PTR	mail.admtest.test.
EOT
# A zone at test.'s own apex.
cat >"$Z/apex.zone" <<'EOT'
$ORIGIN test.
@		SOA	ns.test. hostmaster.test. 1 3600 600 86400 300
apex		TXT	"v=spf1 ip4:192.0.2.0/24 -all"
EOT
chmod -R a+rX "$Z"

# run NAME WANT-STATUS PATTERN COMMAND...: the command exits WANT-STATUS
# and prints a line containing PATTERN (stdout and stderr together).
run()
{
	name=$1
	want=$2
	pat=$3
	shift 3
	"$@" >"$S/run.out" 2>&1
	rc=$?
	if [ "$rc" = "$want" ] && grep -qF -- "$pat" "$S/run.out"; then
		ok "$name"
	else
		not_ok "$name" "exit $rc (want $want), looking for: $pat" \
		    "$(head -n 8 "$S/run.out")"
	fi
}

ZA="--config /dev/null --zone $Z/admtest.zone --zone $Z/rev.zone --timeout 5"
run "check: pass from a zone under test." 0 "result:       pass" \
    "$spfgate" check $ZA 192.0.2.10 alice@admtest.test mail.admtest.test
run "check: fail from a zone under test., with its exp= text" 3 \
    "explanation:  198.51.100.99 is not one of admtest.test's mail servers" \
    "$spfgate" check $ZA 198.51.100.99 mallory@admtest.test x.example
run "check: include and mx inside test." 0 "result:       pass" \
    "$spfgate" check $ZA 2001:db8:ba5e::1 alice@admtest.test x.example
run "check: ptr through a TEST-NET reverse zone file" 0 \
    "mechanism:    ptr:admtest.test" \
    "$spfgate" check $ZA 192.0.2.10 p@ptr.admtest.test x.example
run "check: a name under test. the files lack is none, at once" 0 \
    "result:       none" \
    "$spfgate" check $ZA 192.0.2.10 u@nothing.admtest.test x.example
run "check: a zone at test.'s apex" 0 "result:       pass" \
    "$spfgate" check --config /dev/null --zone "$Z/apex.zone" \
    --timeout 5 192.0.2.1 u@apex.test x.example
# A record line longer than 4 KiB (30 strings of 250 octets), padded so
# that its second 4 KiB begins with a run of 250 "a": read as a line of
# its own, that would be an owner name with a label too long.
{
	printf '$ORIGIN long.test.\n@ SOA ns.test. h.test. 1 3600 600 86400 300\n'
	printf '@%234sTXT' ''
	i=0
	while [ $i -lt 30 ]; do
		printf ' "%s; (x"' "$(printf '%250s' '' | tr ' ' a)"
		i=$((i + 1))
	done
	printf '\nspf TXT "v=spf1 ip4:192.0.2.0/24 -all"\n'
} >"$Z/long.zone"
run "check: a zone file with a line over 4 KiB loads" 0 "result:       pass" \
    "$spfgate" check --config /dev/null --zone "$Z/long.zone" --timeout 5 \
    192.0.2.1 u@spf.long.test x.example
run "lint: a domain under test." 0 "verdict: admtest.test: ok" \
    "$spfgate" lint $ZA admtest.test
printf '192.0.2.10 alice@admtest.test mail.admtest.test\n' >"$S/filter.in"
run "filter: pass from a zone under test." 0 '"result":"pass"' \
    sh -c "\"$spfgate\" filter $ZA <\"$S/filter.in\""

# --- files that cannot be used ---------------------------------------
long=$(printf '%300s' '' | tr ' ' x)
{
	printf '$ORIGIN .\n$TTL 300\n.\tSOA\tns.x. h.x. 1 3600 600 86400 300\n'
	printf 'example.com.\tTXT\t"v=spf1 -all" "%s"\n' "$long"
} >"$Z/longtxt.zone"
# The demo's zone with a typo: an address that is none (line 15).
sed 's/^mx1\t\tA\t198.51.100.25$/mx1\t\tA\t198.51.100.256/' \
    "$top/tests/demo/example.zone" >"$Z/typo.zone"
sed -n 15p "$Z/typo.zone" | grep -q '198.51.100.256' ||
    not_ok "typo.zone: line 15 holds the typo" "$(sed -n 15p "$Z/typo.zone")"
# A misspelt type on the last line, which has no newline.
printf '$ORIGIN example.com.\n@ SOA ns.x. h.x. 1 3600 600 86400 300\n@ TXTT "v=spf1 -all"' \
    >"$Z/lastline.zone"
# Two zones in one file: other.example. would never be answered.
{
	printf '$ORIGIN example.com.\n@ SOA ns.x. h.x. 1 3600 600 86400 300\n'
	printf '@ TXT "v=spf1 -all"\n'
	printf 'other.example. TXT "v=spf1 +all"\n'
} >"$Z/two.zone"
chmod a+r "$Z"/*.zone

for c in check lint filter; do
	case $c in
	check) args="192.0.2.1 u@example.com" ;;
	lint) args="example.com" ;;
	filter) args="" ;;
	esac
	run "$c: a TXT string over 255 octets stops it, naming file and line" \
	    1 "zone $Z/longtxt.zone, line 4: " \
	    sh -c "\"$spfgate\" $c --config /dev/null --zone \"$Z/longtxt.zone\" $args </dev/null"
done
run "check: the demo's zone with a typo names line 15" 1 \
    "zone $Z/typo.zone, line 15: Conversion error, ip4 addr expected" \
    "$spfgate" check --config /dev/null --zone "$Z/typo.zone" 192.0.2.10 \
    alice@example.org
run "check: a typo on a last line without newline names line 3" 1 \
    "zone $Z/lastline.zone, line 3: Syntax error, could not parse the RR's type" \
    "$spfgate" check --config /dev/null --zone "$Z/lastline.zone" 192.0.2.1 \
    u@example.com
run "check: a name outside the file's zone stops it" 1 \
    "zone $Z/two.zone, line 4: other.example. is not in the file's zone example.com." \
    "$spfgate" check --config /dev/null --zone "$Z/two.zone" 192.0.2.1 \
    u@example.com
run "check: a good file after a bad one still names the bad one" 1 \
    "zone $Z/typo.zone, line 15" \
    "$spfgate" check --config /dev/null --zone "$Z/admtest.zone" \
    --zone "$Z/typo.zone" 192.0.2.10 alice@admtest.test

# --- Exim's module, exim -bh, config with zone lines -------------------
for n in good typo; do
	{
		echo "receiver mx.test.local"
		if [ $n = good ]; then
			echo "zone $Z/admtest.zone"
			echo "zone $Z/rev.zone"
		else
			echo "zone $Z/typo.zone"
		fi
	} >"$S/spfgate-$n.conf"
	chmod 644 "$S/spfgate-$n.conf"
	exim_conf "$S/exim-$n.conf" "$S/spfgate-$n.conf"
done
cat >"$S/zone.in" <<'EOT'
EHLO mail.admtest.test
MAIL FROM:<alice@admtest.test>
RCPT TO:<bob@test.local>
DATA
Subject: zone pass

body
.
RSET
MAIL FROM:<mallory@admtest.test>
QUIT
EOT
bh 192.0.2.10 "$S/exim-good.conf" "$S/zone.in" "$S/good.out" "$S/good.err"
check_has "exim: pass from a zone under test. accepted" "$S/good.out" \
    "250 OK id="
check_has "exim: its Received-SPF says pass" "$S/good.err" \
    "Received-SPF: pass (mx.test.local: domain of alice@admtest.test designates 192.0.2.10"
sed 's/192.0.2.10/198.51.100.99/' "$S/zone.in" >"$S/zone99.in"
bh 198.51.100.99 "$S/exim-good.conf" "$S/zone99.in" "$S/fail.out" \
    "$S/fail.err"
check_has "exim: fail from a zone under test. rejected" "$S/fail.out" \
    "550 5.7.23 198.51.100.99 is not one of admtest.test's mail servers"
bh 192.0.2.10 "$S/exim-typo.conf" "$S/zone.in" "$S/typo.out" "$S/typo.err"
check_has "exim: a zone file with a typo defers" "$S/typo.out" \
    "451 4.7.24 SPF temporary error for admtest.test"
check_has "exim: and its log names the file and line" "$S/typo.err" \
    "spfgate: cannot check SPF: zone $Z/typo.zone, line 15: Conversion error"

finish
