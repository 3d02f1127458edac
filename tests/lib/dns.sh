# dns.sh: the test DNS server (tests/dns/testdns.py) in the background,
# for the suites that run a real MTA.  Sourced by tests/lib/ns.sh (so by
# the OpenSMTPD, Postfix and Exim suites).
#
#   dns_start DIR PORT ZONE [testdns.py options]   ZONE served on
#                  127.0.0.1:PORT, its pid file, log (a line a
#                  question) and output in DIR; returns once it
#                  answers (its pid file is written), 1 if it does not
#                  start within 5 s; sets DNS_PID
#
# Needs: $top (the top of the tree), /usr/bin/python3,
# tests/lib/wait.sh (sourced before).

dns_start() {
	_ds_dir=$1
	_ds_port=$2
	_ds_zone=$3
	shift 3
	rm -f "$_ds_dir/dns.pid"
	/usr/bin/python3 "$top/tests/dns/testdns.py" --listen 127.0.0.1 \
	    --port "$_ds_port" --zonedata "$_ds_zone" \
	    --pidfile "$_ds_dir/dns.pid" --log "$_ds_dir/dns.log" "$@" \
	    >"$_ds_dir/dns.out" 2>&1 &
	DNS_PID=$!
	wait_until $DNS_PID 500 test -s "$_ds_dir/dns.pid"
}
