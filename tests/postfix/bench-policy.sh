#!/bin/sh
# bench-policy.sh: spfgate policy beside pypolicyd-spf, side by side in
# the same real Postfix: N (200) concurrent sessions (load_client.py),
# every DNS answer DELAY_MS (100) late, each run's domains new to every
# cache, three runs one after the other:
#   spfgate-spawn    "spfgate policy" under spawn(8), a process per smtpd
#   spfgate-shared   one "spfgate policy --listen unix:..." for all
#   pypolicyd-spf    Debian's postfix-policyd-spf-python under spawn(8),
#                    as its README.Debian sets it up, its default
#                    policyd-spf.conf
# Both check the HELO name and MAIL FROM (their defaults), both ask the
# same test DNS server (on port 53 of the namespace: pyspf reads
# resolv.conf, bound over /etc/resolv.conf there).  Prints each run's
# RCPT answer times and wall time, and the ratios to pypolicyd-spf; a
# session whose answer is wrong is counted (pypolicyd-spf's reply
# texts are its own: a fail must still be 550 5.7.23).  Not part of make
# check ("make bench-postfix").  Run from the top after make, as root:
#
#   sh tests/postfix/bench-policy.sh [N [DELAY_MS]]
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/postfix

. "$top/tests/lib/tally.sh"
. "$top/tests/lib/loadzone.sh"
. "$top/tests/lib/debfetch.sh"
. "$here/pf.sh"

# run NAME PORT PREFIX: one run; its summary in W/bench-NAME.out
run() {
	/usr/bin/python3 "$here/load_client.py" "$2" "$N" bob@test.local \
	    "$3" >"$W/bench-$1.out" 2>&1
	line=$(tail -n 1 "$W/bench-$1.out")
	case "$line" in
	"$N passed, 0 failed") ok "$1: all $N sessions answered correctly" ;;
	*)	nok "$1: $line"
		sed 's/^/    /' "$W/bench-$1.out" ;;
	esac
}

inner() {
	W=$1
	N=$2
	DELAY=$3
	pf_enter
	ulimit -n 8192
	pf_syslog "$W" || nok "no /dev/log: $(cat "$W/syslog.out")"
	echo "nameserver 127.0.0.1" >"$W/resolv.conf"
	mount --bind "$W/resolv.conf" /etc/resolv.conf
	ns_dns "$W" 53 --delay-ms "$DELAY" ||
	    nok "test DNS server did not start: $(cat "$W/dns.out")"
	pf_shared "$W" ||
	    nok "spfgate policy --listen did not start: $(cat "$W/policy.err")"
	pf_master "$W" 2601 2602 2603 ||
	    nok "Postfix did not start: $(cat "$W/postconf.out" "$W/master.out")"
	run spfgate-spawn 2601 s
	run spfgate-shared 2602 l
	run pypolicyd-spf 2603 p
	ns_stop $MASTER_PID
	ns_stop $POLICY_PID
	ns_stop $DNS_PID
	ns_stop $SYSLOG_PID
}

ns_inner "$@"

N=${1:-200}
DELAY=${2:-100}
[ "$(id -u)" = 0 ] && [ -x "$top/build/spfgate" ] ||
    give_up "bench-policy: needs root and build/spfgate (make)"
sh "$top/tests/deps.sh" bench postfix || exit 1
# pypolicyd-spf depends on postfix, which apt cannot install beside
# exim4: its two packages unpacked, as postfix is (its Python
# dependencies, python3-spf and python3-authres, are ordinary ones).
PY=$top/build/postfix/pypolicyd-spf
if [ ! -f "$PY/usr/bin/policyd-spf" ]; then
	rm -rf "$PY" "$PY.deb"
	deb_fetch "$PY.deb" postfix-policyd-spf-python python3-spf-engine ||
	    exit 1
	for d in "$PY.deb"/*.deb; do
		dpkg-deb -x "$d" "$PY" || exit 1
	done
	rm -rf "$PY.deb"
fi
W=$(mktemp -d /tmp/spfgate-postfix-bench.XXXXXX)
pf_prepare "$W" || exit 1
echo "# Postfix $(basename "$PF_ROOT"), $(basename \
    "$(ls -d "$PY"/usr/share/doc/postfix-policyd-spf-python)") $(zcat \
    "$PY"/usr/share/doc/postfix-policyd-spf-python/changelog.Debian.gz |
    head -n 1 | sed 's/.*(\(.*\)).*/\1/')"

# N domains a run (spfgate-spawn: s, spfgate-shared: l, pypolicyd-spf: p)
load_zone "$W/zone.yml" "$N" s l p
cat >"$W/spfgate.conf" <<EOF
resolver 127.0.0.1@53
dnssec no
timeout 10
receiver mx.test.local
max-inflight $((N * 2))
EOF
# Debian's policyd-spf.conf as shipped
cp "$PY/etc/postfix-policyd-spf-python/policyd-spf.conf" "$W/policyd-spf.conf"
chmod 644 "$W/spfgate.conf" "$W/zone.yml" "$W/policyd-spf.conf"

pf_room "$W" "$N"
pf_spawn "$W"
cat >>"$W/etc/main.cf" <<EOF
pypolicyd-spf_time_limit = 3600s
via_spfgate_spawn = check_policy_service unix:private/spfgate-spawn
via_spfgate_shared = check_policy_service unix:private/spfgate
via_pypolicyd_spf = check_policy_service unix:private/pypolicyd-spf
EOF
cat >>"$W/etc/master.cf" <<EOF
2601      inet  n       -       n       -       -       smtpd
  -o smtpd_recipient_restrictions=reject_unauth_destination,\$via_spfgate_spawn
2602      inet  n       -       n       -       -       smtpd
  -o smtpd_recipient_restrictions=reject_unauth_destination,\$via_spfgate_shared
2603      inet  n       -       n       -       -       smtpd
  -o smtpd_recipient_restrictions=reject_unauth_destination,\$via_pypolicyd_spf
pypolicyd-spf unix -    n       n       -       0       spawn
  user=daemon argv=/usr/bin/env
    PYTHONPATH=$PY/usr/lib/python3/dist-packages
    /usr/bin/python3 $PY/usr/bin/policyd-spf $W/policyd-spf.conf
EOF

echo "# $N concurrent sessions, every DNS answer $DELAY ms late"
ns_run_counted "$W" "$N" "$DELAY"

# The table: RCPT TO answer times and wall time of each run.
printf '%-16s %8s %8s %8s %8s\n' run min median max wall
for r in spfgate-spawn spfgate-shared pypolicyd-spf; do
	# "RCPT TO answered in: min A ms, median B ms, max C ms; all
	# done in D ms": the four numbers
	{ grep '^RCPT TO answered in: ' "$W/bench-$r.out" |
	    tr -cs '0-9' ' '; echo; } >"$W/t-$r"
	read -r mn md mx wl <"$W/t-$r"
	printf '%-16s %6s ms %6s ms %6s ms %6s ms\n' "$r" "$mn" "$md" "$mx" "$wl"
done
read -r _ pmd _ pwl <"$W/t-pypolicyd-spf" 2>/dev/null
for r in spfgate-spawn spfgate-shared; do
	read -r _ md _ wl <"$W/t-$r" 2>/dev/null || continue
	[ -n "${pmd:-}" ] && [ "$md" -gt 0 ] && [ "$wl" -gt 0 ] &&
	    echo "$r: median $(awk "BEGIN { printf \"%.1f\", $pmd / $md }")x," \
	    "wall $(awk "BEGIN { printf \"%.1f\", $pwl / $wl }")x" \
	    "faster than pypolicyd-spf"
done
tally_end "$W"
