# ns.sh: sourced by the OpenSMTPD suites (check-e2e.sh,
# check-policy-e2e.sh, bench-e2e.sh, tests/idn/check-opensmtpd.sh): the
# real smtpd and the test DNS server as plain child processes in
# private namespaces (tests/lib/ns.sh: ns_run, ns_run_counted, ns_dns,
# ns_listening, ns_stop, sourced here).
#
# Outside:  ns_prepare W    work directory W for user opensmtpd
# Inside:   ns_enter        loopback up, private spool and /run
#           ns_smtpd W PORT...  smtpd -d on W/smtpd.conf, waits until it
#                           listens on every PORT; sets SMTPD_PID
# $top must be set to the top of the tree.

. "$top/tests/lib/ns.sh"

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

ns_enter() {
	ns_loopback
	# smtpd's spool and control socket paths are compiled in: private
	# ones, so a system smtpd (or another test) is never touched.
	mount -t tmpfs -o mode=0711 tmpfs /var/spool/smtpd
	mount -t tmpfs -o mode=0755 tmpfs /run
}

ns_smtpd() {
	_w=$1
	shift
	"$(cat "$_w/smtpd.path")" -d -f "$_w/smtpd.conf" \
	    >"$_w/smtpd.out" 2>"$_w/smtpd.err" &
	SMTPD_PID=$!
	ns_wait_listening $SMTPD_PID "$@"
}
