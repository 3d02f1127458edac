# ns.sh: sourced by check-e2e.sh and bench-e2e.sh: the real smtpd and the
# test DNS server as plain child processes in private namespaces.
#
# Outside:  ns_prepare W    work directory W for user opensmtpd
#           ns_run W ARGS   run "$0 --inner W ARGS" in new network, mount
#                           and pid namespaces (whatever is left there dies
#                           with it)
# Inside:   ns_enter        loopback up, private spool and /run
#           ns_dns W PORT [testdns.py options]    sets DNS_PID
#           ns_smtpd W PORT...  smtpd -d on W/smtpd.conf, waits until it
#                           listens on every PORT; sets SMTPD_PID
#           ns_stop PID     SIGTERM, wait; its exit status in NS_RC
# $top must be set to the top of the tree.

ns_prepare() {
	chmod 755 "$1"
	sh "$top/tests/opensmtpd/setup.sh" | tail -n 1 >"$1/smtpd.path"
	[ -x "$(cat "$1/smtpd.path")" ] || return 1
	# smtpd runs the filter as user opensmtpd: a copy it can reach.
	cp "$top/build/filter-spf" "$1/filter-spf"
	chmod 755 "$1/filter-spf"
	mkdir -p "$1/Maildir" /var/spool/smtpd
	chown nobody:nogroup "$1/Maildir"
}

ns_run() {
	unshare --net --mount --pid --fork --mount-proc sh "$0" --inner "$@"
}

# ns_run, then add the inner run's counts (W/inner.count) to the
# caller's pass and fail; an inner run that wrote none is one failure.
ns_run_counted() {
	ns_run "$@"
	if [ -s "$1/inner.count" ]; then
		read -r _p _f <"$1/inner.count"
		pass=$((pass + _p))
		fail=$((fail + _f))
	else
		nok "the namespace run ended early"
	fi
}

ns_enter() {
	ip link set lo up
	mount --make-rprivate /
	# smtpd's spool and control socket paths are compiled in: private
	# ones, so a system smtpd (or another test) is never touched.
	mount -t tmpfs -o mode=0711 tmpfs /var/spool/smtpd
	mount -t tmpfs -o mode=0755 tmpfs /run
}

ns_dns() {
	_w=$1
	_port=$2
	shift 2
	/usr/bin/python3 "$top/tests/dns/testdns.py" --listen 127.0.0.1 \
	    --port "$_port" --zonedata "$_w/zone.yml" \
	    --pidfile "$_w/dns.pid" --log "$_w/dns.log" "$@" \
	    >"$_w/dns.out" 2>&1 &
	DNS_PID=$!
	_i=0
	while [ ! -s "$_w/dns.pid" ] && [ $_i -lt 500 ]; do
		kill -0 $DNS_PID 2>/dev/null || return 1
		sleep 0.01
		_i=$((_i + 1))
	done
	[ -s "$_w/dns.pid" ]
}

ns_listening() {
	for _p in "$@"; do
		ss -Hltn "sport = :$_p" | grep -q . || return 1
	done
}

ns_smtpd() {
	_w=$1
	shift
	"$(cat "$_w/smtpd.path")" -d -f "$_w/smtpd.conf" \
	    >"$_w/smtpd.out" 2>"$_w/smtpd.err" &
	SMTPD_PID=$!
	_i=0
	# Watch the sockets: a probe connection would be a session.
	while ! ns_listening "$@"; do
		kill -0 $SMTPD_PID 2>/dev/null || return 1
		[ $_i -lt 1000 ] || return 1
		sleep 0.01
		_i=$((_i + 1))
	done
}

ns_stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1"
	NS_RC=$?
}
