# pf.sh: sourced by the Postfix suites: the real Postfix, unpacked by
# setup.sh, as plain child processes in private network, mount and pid
# namespaces (ns_run, ns_dns, ns_stop of tests/lib/ns.sh, sourced
# here), its whole state (configuration, queue, maildirs, log) in one
# work directory.
#
# Outside:  pf_prepare W    W/etc/main.cf and W/etc/master.cf with what
#                           every test needs (loopback, virtual(8) into
#                           W/mail/USER/, maillog_file W/maillog); the
#                           suite appends its own lines.  Sets PF_ROOT.
#                           W/spfgate: build/spfgate, for spawn's user
#                           and the shared service's to reach.
#           pf_spawn W      the spawn(8) service spfgate-spawn: "W/spfgate
#                           policy" on W/spfgate.conf as user daemon, a
#                           process per smtpd; its time limit past any
#                           test's (spawn kills it after 1000 s)
#           pf_room W N     room for N sessions at once, and under spawn
#                           for N policy processes too (Postfix answers
#                           421 past its limits)
# Inside:   pf_enter        loopback up; 192.0.2.0/24, 198.51.100.0/24
#                           and 2001:db8::25 local, so that a client
#                           can connect from any of them
#           pf_syslog W     a /dev/log of the namespace's own, into
#                           W/syslog (spawn(8) services log there)
#           pf_master W PORT...  master -d, waits until it listens on
#                           every PORT; sets MASTER_PID
#           pf_shared W     the shared service, "W/spfgate policy
#                           --listen unix:" on W/queue/private/spfgate
#                           for every smtpd, on W/spfgate.conf, serving
#                           as user daemon, its stderr in W/policy.err;
#                           waits for its socket; sets POLICY_PID
# $top must be set to the top of the tree.

. "$top/tests/lib/ns.sh"

PF_OWNER=nobody		# mail_owner: an account every Debian has
PF_SETGID=mail		# setgid_group: must differ from the owner's group
PF_PRIVS=daemon		# default_privs: must differ from the owner
PF_USERS="bob carol postmaster"

pf_prepare() {
	_w=$1
	chmod 755 "$_w"
	PF_ROOT=$(sh "$top/tests/postfix/setup.sh" | tail -n 1)
	[ -x "$PF_ROOT/usr/lib/postfix/sbin/master" ] || return 1
	echo "$PF_ROOT" >"$_w/postfix.root"
	mkdir -p "$_w/etc" "$_w/data" "$_w/mail" "$_w/queue/pid"
	chown $PF_OWNER "$_w/data" "$_w/mail"
	# The queue as postfix-script would make it: master does not.
	for _d in incoming active deferred defer bounce flush hold corrupt \
	    saved trace private public maildrop; do
		mkdir -p "$_w/queue/$_d"
		chown $PF_OWNER "$_w/queue/$_d"
		chmod 700 "$_w/queue/$_d"
	done
	chgrp $PF_SETGID "$_w/queue/public" "$_w/queue/maildrop"
	chmod 710 "$_w/queue/public"
	chmod 730 "$_w/queue/maildrop"
	# a chrooted smtpd reads these inside the queue directory
	mkdir -p "$_w/queue/etc"
	cp /etc/localtime /etc/services "$_w/queue/etc/" 2>&1
	cp "$top/build/spfgate" "$_w/spfgate"
	chmod 755 "$_w/spfgate"
	# master -d reads dynamicmaps.cf there, as postconf does
	cp "$PF_ROOT/usr/share/postfix/dynamicmaps.cf" "$_w/etc/"
	_map=""
	for _u in $PF_USERS; do
		_map="$_map${_map:+, }$_u@test.local=$_u/"
	done
	cat >"$_w/etc/main.cf" <<-EOF
	# written by tests/postfix/pf.sh
	compatibility_level = 3.7
	config_directory = $_w/etc
	meta_directory = $_w/etc
	queue_directory = $_w/queue
	data_directory = $_w/data
	daemon_directory = $PF_ROOT/usr/lib/postfix/sbin
	command_directory = $PF_ROOT/usr/sbin
	shlib_directory = $PF_ROOT/usr/lib/postfix
	import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
	    LD_LIBRARY_PATH
	mail_owner = $PF_OWNER
	setgid_group = $PF_SETGID
	default_privs = $PF_PRIVS
	maillog_file = $_w/maillog
	maillog_file_prefixes = $_w
	myhostname = mx.test.local
	mydomain = test.local
	mydestination =
	inet_interfaces = loopback-only
	inet_protocols = all
	mynetworks = 127.0.0.0/8 [::1]/128
	smtpd_peername_lookup = no
	alias_maps =
	alias_database =
	biff = no
	virtual_mailbox_domains = test.local
	virtual_mailbox_base = $_w/mail
	virtual_mailbox_maps = inline:{ $_map }
	virtual_uid_maps = static:$(id -u $PF_OWNER)
	virtual_gid_maps = static:$(id -g $PF_OWNER)
	EOF
	# Postfix's own services, from Debian's master.cf, unchrooted;
	# smtpd listeners and policy services come from the suite.
	cat >"$_w/etc/master.cf" <<-EOF
	# written by tests/postfix/pf.sh
	pickup    unix  n       -       n       60      1       pickup
	cleanup   unix  n       -       n       -       0       cleanup
	qmgr      unix  n       -       n       300     1       qmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	verify    unix  -       -       n       -       1       verify
	flush     unix  n       -       n       1000?   0       flush
	proxymap  unix  -       -       n       -       -       proxymap
	error     unix  -       -       n       -       -       error
	retry     unix  -       -       n       -       -       error
	discard   unix  -       -       n       -       -       discard
	virtual   unix  -       n       n       -       -       virtual
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	postlog   unix-dgram n  -       n       -       1       postlogd
	EOF
}

pf_spawn() {
	echo "spfgate-spawn_time_limit = 3600s" >>"$1/etc/main.cf"
	cat >>"$1/etc/master.cf" <<-EOF
	spfgate-spawn unix -    n       n       -       0       spawn
	  user=daemon argv=$1/spfgate policy --config $1/spfgate.conf
	EOF
}

pf_room() {
	cat >>"$1/etc/main.cf" <<-EOF
	default_process_limit = $(($2 * 2 + 50))
	smtpd_client_connection_count_limit = $(($2 * 2))
	EOF
}

pf_enter() {
	ns_loopback
	ip route add local 192.0.2.0/24 dev lo
	ip route add local 198.51.100.0/24 dev lo
	# IPv6 binds only to an address of the interface
	ip -6 addr add 2001:db8::25/128 dev lo nodad
}

# A /dev of the namespace's own: the host's devices bound in, and a
# /dev/log socket (syslog_sink.py) that no host has to provide.
pf_syslog() {
	_w=$1
	mkdir -p "$_w/dev"
	for _n in null zero full random urandom tty; do
		[ -e "/dev/$_n" ] || continue
		: >"$_w/dev/$_n"
		mount --bind "/dev/$_n" "$_w/dev/$_n" || return 1
	done
	ln -s /proc/self/fd "$_w/dev/fd"
	/usr/bin/python3 "$top/tests/postfix/syslog_sink.py" "$_w/dev/log" \
	    "$_w/syslog" "$_w/syslog.pid" >"$_w/syslog.out" 2>&1 &
	SYSLOG_PID=$!
	wait_until $SYSLOG_PID 500 test -s "$_w/syslog.pid" &&
	    mount --rbind "$_w/dev" /dev
}

# postconf first: a configuration error is then a line of the test's
# output, not a master that dies before its log exists.
pf_master() {
	_w=$1
	shift
	LD_LIBRARY_PATH=$(cat "$_w/postfix.root")/usr/lib/postfix
	export LD_LIBRARY_PATH
	_r=$(cat "$_w/postfix.root")
	# Postfix reads a main.cf written in this second again and again,
	# 300 ms apart, until its time is past (a file still being
	# written): the suite has just written it.
	touch -d "@$(($(date +%s) - 10))" "$_w/etc/main.cf" "$_w/etc/master.cf"
	"$_r/usr/sbin/postconf" -c "$_w/etc" -n >"$_w/postconf.out" 2>&1 ||
	    return 1
	# master -d stays a child of ours; its own session, so that its
	# shutdown (which signals its process group) spares this shell
	setsid "$_r/usr/lib/postfix/sbin/master" -c "$_w/etc" -d \
	    >"$_w/master.out" 2>&1 &
	MASTER_PID=$!
	ns_wait_listening $MASTER_PID "$@"
}

# The service made by root, serving as user daemon; its socket in the
# queue directory's private/, the mail owner's.
pf_shared() {
	"$1/spfgate" policy --config "$1/spfgate.conf" \
	    --listen "unix:$1/queue/private/spfgate" \
	    --listen-owner $PF_OWNER --listen-mode 0600 --user daemon \
	    >"$1/policy.out" 2>"$1/policy.err" &
	POLICY_PID=$!
	wait_until $POLICY_PID 500 test -S "$1/queue/private/spfgate"
}
