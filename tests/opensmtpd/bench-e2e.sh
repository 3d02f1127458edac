#!/bin/sh
# bench-e2e.sh: N (200) concurrent SMTP sessions through the real smtpd
# and filter-spf, the test DNS server answering every query after 100 ms,
# every session's MAIL FROM sent at the same moment (bench_client.py).
# Were the checks serialized the last answer would come after N x 100 ms;
# concurrent, every answer comes after about one DNS delay.  Same
# namespaces and setup as check-e2e.sh (ns.sh).  Run from the top after
# make, as root:
#
#   sh tests/opensmtpd/bench-e2e.sh [N [DELAY_MS]]
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/opensmtpd
. "$top/tests/lib/loadzone.sh"
. "$here/ns.sh"
PORT=2528
DNS_PORT=5353

if [ "${1:-}" = --inner ]; then
	W=$2
	N=$3
	DELAY=$4
	ns_enter
	# Room for N sessions (smtpd takes about half the descriptors).
	ulimit -n 4096
	ns_dns "$W" $DNS_PORT --delay-ms "$DELAY" || {
		echo "bench: the test DNS server did not start"
		exit 1
	}
	ns_smtpd "$W" $PORT || {
		echo "bench: smtpd did not start: $(tail -5 "$W/smtpd.err")"
		exit 1
	}
	/usr/bin/python3 "$here/bench_client.py" 127.0.0.1 $PORT "$N"
	rc=$?
	ns_stop $SMTPD_PID
	ns_stop $DNS_PID
	echo "DNS: $(grep -c TXT "$W/dns.log") TXT queries, each answered" \
	    "after $DELAY ms"
	echo "filter-spf log lines: $(grep -c '^spf: session=.* result=' \
	    "$W/smtpd.err")"
	exit $rc
fi

N=${1:-200}
DELAY=${2:-100}
if [ "$(id -u)" != 0 ] || [ ! -x "$top/build/filter-spf" ]; then
	echo "bench-e2e: needs root and build/filter-spf (make)"
	exit 1
fi
W=$(mktemp -d /tmp/filter-spf-bench.XXXXXX)
ns_prepare "$W" || {
	echo "bench-e2e: OpenSMTPD setup failed"
	exit 1
}

# N domains, so that no answer comes from the cache.
load_zone "$W/zone.yml" "$N" b
cat >"$W/spfgate.conf" <<EOC
resolver 127.0.0.1@$DNS_PORT
dnssec no
timeout 5
receiver mx.test.local
max-inflight $((N * 2))
EOC
chmod 644 "$W/spfgate.conf" "$W/zone.yml"
cat >"$W/smtpd.conf" <<EOC
table vusers { "@" = "nobody" }
filter "spf" proc-exec "$W/filter-spf --config $W/spfgate.conf"
listen on 127.0.0.1 port $PORT hostname mx.test.local proxy-v2 filter "spf"
action "deliver" maildir "$W/Maildir" user nobody virtual <vusers>
match from any for domain "test.local" action "deliver"
EOC

echo "bench: $N concurrent sessions, DNS answers after $DELAY ms"
ns_run "$W" "$N" "$DELAY"
rc=$?
rm -rf "$W"
exit $rc
