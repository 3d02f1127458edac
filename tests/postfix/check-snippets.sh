#!/bin/sh
# check-snippets.sh: the README's and spfgate-policy(8)'s Postfix lines,
# taken out of the documents verbatim (tests/snippets/extract.py), on a
# Postfix set up as Debian sets it up: Debian's postfix package
# installed with dpkg into a throwaway root (an overlay over this
# system's root, in private mount, network and pid namespaces; there
# the package may replace exim4, whose Conflicts keep it off the host),
# so /etc/postfix/main.cf and master.cf are the package's, smtpd runs
# chrooted in /var/spool/postfix, and the queue and the chroot are
# prepared by what Debian's systemd unit runs before master.
#
#   postfix-spawn-master, postfix-spawn-main   appended to master.cf and
#       main.cf: spawn(8) runs /usr/bin/spfgate as user spfgate
#   postfix-shared-run   run as root as written (it makes its socket in
#       the queue's private/ and serves as user spfgate),
#       postfix-shared-main appended to Debian's main.cf
# Each way: a failing sender refused at RCPT with 550 5.7.23, a passing
# one delivered (local(8), /var/mail/bob) with Received-SPF and
# Authentication-Results, a DNS SERVFAIL deferred with 451 4.7.24, a
# client of mynetworks not checked (permit_mynetworks comes first).
#
# What the harness does that the documents leave to the admin: put
# build/spfgate where the spfgate package installs it (/usr/bin), add
# the user spfgate as the README says, write /etc/spfgate.conf (the test
# DNS server), create the user bob, set maillog_file (no syslog in the
# root), and start master itself.  Run from the top after make, as
# root.  Ends with "N passed, M failed".
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/postfix
DNS_PORT=5353
SNIPPETS="postfix-spawn-master postfix-spawn-main postfix-shared-run
    postfix-shared-main"

. "$top/tests/lib/tally.sh"
. "$top/tests/lib/swaks.sh"
. "$here/pf.sh"

# ---------------------------------------------------------------------
# Inside the namespaces: $1 is the work directory.

# in_root CMD...: a command in the root, as root, environment cleared
ROOT_ENV="HOME=/root LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin"
in_root() {
	# shellcheck disable=SC2086
	chroot "$R" /usr/bin/env -i $ROOT_ENV DEBIAN_FRONTEND=noninteractive \
	    "$@"
}
# Daemons start as "chroot $R /usr/bin/env -i $ROOT_ENV CMD &", one
# simple command, not through a function (a subshell): chroot, env,
# setsid and "sh -c exec" all exec, so $! is the daemon's own pid.

make_root() {
	mount --make-rprivate /
	mkdir -p "$W/ov" "$W/root"
	mount -t tmpfs -o mode=0755 tmpfs "$W/ov"
	mkdir "$W/ov/upper" "$W/ov/work"
	R=$W/root
	mount -t overlay overlay \
	    -o "lowerdir=/,upperdir=$W/ov/upper,workdir=$W/ov/work" "$R" ||
	    return 1
	mount -t proc proc "$R/proc"
	mount --rbind /dev "$R/dev"
	mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
	mount -t tmpfs -o mode=0755 tmpfs "$R/run"
	cp "$top"/build/postfix/deb/postfix_*.deb "$R/tmp/"
	# exim4 out, postfix in: only here.  Triggers (man-db) are not
	# needed to run it; Depends the host lacks (cpio) neither.
	in_root sh -ec 'dpkg --purge --force-depends --no-triggers \
	    exim4-daemon-heavy exim4-base exim4-config exim4-dev
	    dpkg -i --force-depends --no-triggers /tmp/postfix_*.deb' \
	    >"$W/dpkg.out" 2>&1 || return 1
	install -m 755 "$top/build/spfgate" "$R/usr/bin/spfgate"
	# the README's command; bob receives the test mail
	in_root adduser --system --group --no-create-home spfgate \
	    >>"$W/dpkg.out" 2>&1 || return 1
	in_root useradd -m bob || return 1
	cat >"$R/etc/spfgate.conf" <<-EOF
	resolver 127.0.0.1@$DNS_PORT
	dnssec no
	timeout 5
	receiver mx.test.local
	EOF
	chmod 644 "$R/etc/spfgate.conf"
	echo "maillog_file = /var/log/postfix.log" >>"$R/etc/postfix/main.cf"
	cp "$R/etc/postfix/main.cf" "$W/main.cf.debian"
	cp "$R/etc/postfix/master.cf" "$W/master.cf.debian"
}

# start_master WAY: what Debian's unit does before master, then
# master -d.  Debian 12's postfix@.service runs configure-instance.sh
# (the chroot's copies of /etc files) and its "postfix start" the
# checks that make missing queue directories; Debian 13's postfix.service
# runs "postfix check", which does both.
start_master() {
	if grep -q '^ExecStartPre=/usr/lib/postfix/configure-instance.sh' \
	    "$R/usr/lib/systemd/system/postfix@.service"; then
		in_root /usr/lib/postfix/configure-instance.sh - \
		    >"$W/configure-$1.out" 2>&1 ||
		    nok "$1: configure-instance.sh: $(cat "$W/configure-$1.out")"
	fi
	in_root postfix check >"$W/check-$1.out" 2>&1 ||
	    nok "$1: postfix check: $(cat "$W/check-$1.out")"
	# main.cf is fresh: its time must be past, or Postfix waits
	touch -d "@$(($(date +%s) - 10))" "$R/etc/postfix/main.cf" \
	    "$R/etc/postfix/master.cf"
	# shellcheck disable=SC2086
	chroot "$R" /usr/bin/env -i $ROOT_ENV setsid \
	    /usr/lib/postfix/sbin/master -d >"$W/master-$1.out" 2>&1 &
	MASTER_PID=$!
	if ns_wait_listening $MASTER_PID 25; then
		ok "$1: Debian's Postfix listening on port 25"
	else
		nok "$1: Postfix did not start: $(cat "$W/master-$1.out")"
	fi
}

# send WAY CASE SOURCE SENDER: one message to bob, swaks' exit in
# W/WAY-CASE.rc
send() {
	swaks -s 127.0.0.1 -p 25 -li "$3" -h client.example -f "$4" \
	    -t bob@localhost --header "Subject: snip-$1-$2" \
	    >"$W/$1-$2.txt" 2>&1
	echo $? >"$W/$1-$2.rc"
}

# scenarios WAY
scenarios() {
	send $1 pass 192.0.2.10 alice@pass.test
	send $1 fail 192.0.2.10 mallory@fail.test
	send $1 servfail 192.0.2.13 dave@servfail.test
	send $1 mynetworks 127.0.0.1 mallory@fail.test
	while read -r case want reply; do
		rc=$(cat "$W/$1-$case.rc")
		r=$(swaks_reply "$W/$1-$case.txt")
		if [ "$rc" = "$want" ] && case "$r" in $reply*) ;;
		    *) false ;; esac; then
			ok "$1 $case: swaks exit $rc${r:+, \"$r\"}"
		else
			nok "$1 $case: swaks exit $rc, want $want $reply: \"$r\""
		fi
	done <<-EOF
	pass 0
	fail 24 550 5.7.23
	servfail 24 451 4.7.24
	mynetworks 0
	EOF
	i=0
	while { [ ! -f "$R/var/mail/bob" ] ||
	    [ "$(grep -c "^Subject: snip-$1" "$R/var/mail/bob")" -lt 2 ]; } &&
	    [ $i -lt 1000 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	while read -r case result client; do
		tally_lines "$(/usr/bin/python3 "$here/pf_msg.py" \
		    "$R/var/mail/bob" "snip-$1-$case" "$result" "$client" \
		    mx.test.local)"
	done <<-EOF
	pass pass 192.0.2.10
	mynetworks none-added -
	EOF
}

# stop_master WAY
stop_master() {
	ns_stopped $MASTER_PID 143 "$1: master stopped by pid (SIGTERM)" \
	    "$1: master"
	! ns_listening 25 && ok "$1: port 25 closed" ||
	    nok "$1: port 25 still open after master's exit"
	if ! mv "$R/var/log/postfix.log" "$W/postfix-$1.log"; then
		nok "$1: Postfix wrote no log"
		return
	fi
	n=$(grep -c -e '4\.3\.5' -e 'problem talking to' -e 'fatal:' \
	    -e 'panic:' "$W/postfix-$1.log")
	[ "$n" = 0 ] && ok "$1: Postfix logged no failed service, fatal or panic" ||
	    nok "$1: $n lines of a failed service, fatal or panic: $(grep \
	    -e '4\.3\.5' -e 'problem talking to' -e 'fatal:' -e 'panic:' \
	    "$W/postfix-$1.log" | head -n 3)"
}

inner() {
	W=$1
	ip link set lo up
	ip route add local 192.0.2.0/24 dev lo
	if ns_dns "$W" $DNS_PORT --fault servfail.test=servfail@TXT; then
		ok "test DNS server up"
	else
		nok "test DNS server did not start: $(cat "$W/dns.out")"
	fi
	if make_root; then
		ok "Debian's postfix installed into the throwaway root" \
		    "($(in_root dpkg-query -W -f='${Version}' postfix))"
	else
		nok "the throwaway root: $(tail -n 15 "$W/dpkg.out")"
		return
	fi

	# Under spawn(8): the documents' master.cf and main.cf lines.
	cat "$W/snip/postfix-spawn-master" >>"$R/etc/postfix/master.cf"
	cat "$W/snip/postfix-spawn-main" >>"$R/etc/postfix/main.cf"
	start_master spawn
	scenarios spawn
	stop_master spawn

	# The shared service: Debian's files again, the documents' lines.
	cp "$W/main.cf.debian" "$R/etc/postfix/main.cf"
	cp "$W/master.cf.debian" "$R/etc/postfix/master.cf"
	cat "$W/snip/postfix-shared-main" >>"$R/etc/postfix/main.cf"
	sock=$R/var/spool/postfix/private/spfgate-policy
	# shellcheck disable=SC2086
	chroot "$R" /usr/bin/env -i $ROOT_ENV \
	    sh -c "exec $(cat "$W/snip/postfix-shared-run")" \
	    >"$W/shared.out" 2>"$W/shared.err" &
	SHARED_PID=$!
	wait_until $SHARED_PID 500 test -S "$sock"
	# what postfix-shared-run's text promises: its socket postfix's,
	# mode 0660, the service running as user spfgate
	s=$(in_root stat -c '%U %a' /var/spool/postfix/private/spfgate-policy 2>&1)
	[ "$s" = "postfix 660" ] &&
	    ok "shared: the socket in private/ is postfix's, mode 0660" ||
	    nok "shared: socket: \"$s\": $(cat "$W/shared.err")"
	start_master shared
	scenarios shared
	u=$(in_root ps -o user= -p $SHARED_PID)
	[ "$u" = spfgate ] && ok "shared: the service runs as user spfgate" ||
	    nok "shared: the service runs as \"$u\""
	stop_master shared
	ns_stopped $SHARED_PID 0 \
	    "shared: the service stopped by SIGTERM, exit 0" \
	    "shared: the service"
	ns_stop $DNS_PID
}

ns_inner "$@"

# ---------------------------------------------------------------------
# Outside: the snippets, the package, then the namespaces.
[ "$(id -u)" = 0 ] && [ -x "$top/build/spfgate" ] ||
    give_up "check-snippets: needs root and build/spfgate (make)"
W=$(mktemp -d /tmp/spfgate-postfix-snip.XXXXXX)
pf_prepare "$W" || give_up "check-snippets: Postfix setup failed"
mkdir "$W/snip"
if /usr/bin/python3 "$top/tests/snippets/extract.py" "$top" "$W/snip" \
    >"$W/extract.out" 2>&1; then
	ok "the documents' snippets extracted"
else
	nok "the documents' snippets: $(grep extract: "$W/extract.out")"
fi
for s in $SNIPPETS; do
	if [ -s "$W/snip/$s" ]; then
		ok "snippet $s: $(grep " $s " "$W/extract.out" ||
		    grep "^$s " "$W/extract.out")"
	else
		nok "no snippet $s in the documents"
	fi
done
cat >"$W/zone.yml" <<EOF
pass.test:
  - TXT: "v=spf1 ip4:192.0.2.0/24 -all"
fail.test:
  - TXT: "v=spf1 ip4:198.51.100.1 -all"
servfail.test:
  - TXT: "v=spf1 +all"
EOF
chmod 644 "$W/zone.yml"

ns_run_counted "$W"

if [ "$fail" -ne 0 ]; then
	for f in "$W"/postfix-*.log; do
		[ -f "$f" ] || continue
		echo "--- $f:"
		sed 's/^/    /' "$f"
	done
	echo "--- the shared service's log:"
	sed 's/^/    /' "$W/shared.err" 2>&1
fi
tally_end "$W"
