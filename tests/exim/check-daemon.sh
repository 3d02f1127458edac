#!/bin/sh
# check-daemon.sh: exim-spf.so in a real Exim daemon (exim -bdf) on
# loopback ports of a private network namespace, swaks as the client.
# Port 2529 takes the PROXY protocol, so a test can connect "from"
# 192.0.2.10 or 2001:db8::25; port 2525 is plain.  Delivered messages
# are read back from the test maildir: Received-SPF and
# Authentication-Results at the top, the body byte for byte.  Also: a
# session of two messages whose deliveries (forked from the session's
# process, deliver_drop_privilege) run the module again, and a pipe
# transport that lists the descriptors it inherited.
# Run from the repository top, as root, after make.
. "$(dirname "$0")/lib.sh"
enter_test "$@"

start_dns "$here/zone.yml" --fault tcp.example.com=truncate-always || finish
spfgate_conf "$S/spfgate.conf"
exim_conf "$S/exim.conf" "$S/spfgate.conf"

# A delivery-time call: a different identity (HELO, null sender) than
# the session checked, so the forked delivery process evaluates anew,
# with a checker of its own.
sed -i '/^to_maildir:/a\
  headers_add = X-Test-Delivery-SPF: ${dlfunc{SPF_SO}{spf_result}{$sender_host_address}{}{$sender_helo_name}{'"$S"'/spfgate.conf}}' \
    "$S/exim.conf"
sed -i '1a\
log_selector = +pid' "$S/exim.conf"

exim_daemon "$S/exim.conf" 2525 2529
ok "exim -bdf listening on 2525 and 2529 (PROXY)"

# A message whose body must arrive unchanged: tabs, trailing blanks,
# 8-bit text, a line that looks like mbox's From_, a long line.
body_lines()
{
	printf 'First line of the body.\n'
	printf 'tab\there, trailing blanks   \n'
	printf '8-bit: gr\303\274\303\237e, \342\202\254\n'
	printf 'From the archive, a line mbox would escape\n'
	printf '%s\n' "$(printf 'x%.0s' $(seq 1 300))"
	printf '\n'
	printf 'Last line.\n'
}
body_lines >"$S/body.expected"

# swaks_msg NAME PORT SENDER [swaks options]: send one message with
# Subject NAME and the body above; rc and transcript in $S/NAME.*.
swaks_msg()
{
	name=$1
	port=$2
	from=$3
	shift 3
	{
		printf 'From: <%s>\r\n' "$from"
		printf 'To: <bob@test.local>\r\n'
		printf 'Subject: %s\r\n' "$name"
		printf 'Message-ID: <%s@client.example>\r\n' "$name"
		printf '\r\n'
		sed 's/$/\r/' "$S/body.expected"
		printf '.\r\n'
	} >"$S/$name.data"
	swaks --server 127.0.0.1 --port "$port" --from "$from" \
	    --to "${TO:-bob@test.local}" --data "@$S/$name.data" \
	    --no-data-fixup "$@" >"$S/$name.raw" 2>&1
	echo $? >"$S/$name.rc"
	unwrap <"$S/$name.raw" >"$S/$name.swaks"
}

proxy4()
{
	swaks_proxy "$1" 2529
}

proxy6()
{
	echo --proxy-version 1 --proxy-family TCP6 --proxy-source "$1" \
	    --proxy-source-port 40001 --proxy-dest ::1 --proxy-dest-port 2529
}

swaks_msg pass4 2529 alice@pass.example.com --helo mail.example.org \
    $(proxy4 192.0.2.10)
swaks_msg pass6 2529 alice@pass.example.com --helo mail6.example.org \
    $(proxy6 2001:db8::25)
swaks_msg softfail 2529 carol@soft.example.com --helo mail.example.org \
    $(proxy4 192.0.2.10)
swaks_msg fail 2529 mallory@fail.example.com --helo mail.example.org \
    $(proxy4 192.0.2.10)
swaks_msg temperror 2529 trent@temp.example.com --helo mail.example.org \
    $(proxy4 192.0.2.10)
swaks_msg plain4 2525 alice@loop.example.com --helo mail.example.org
swaks_msg plain6 2525 alice@loop.example.com --helo mail.example.org \
    --server ::1
# The sender's domain answers only over TCP: libunbound keeps that
# connection open after the check, in the process that then forks the
# delivery and the pipe transport's command.
TO=fdcheck@test.local swaks_msg fdcheck 2529 tina@tcp.example.com \
    --helo mail.example.org $(proxy4 192.0.2.10)

# Two messages in one SMTP session: the session's process keeps its
# checker while the first delivery (its forked child) builds its own.
/usr/bin/python3 - "$S" >"$S/session.out" 2>&1 <<'EOF'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", 2525, local_hostname="mail.example.org")
for n, frm in ((1, "one@loop.example.com"), (2, "two@pass.example.com"),
    (3, "three@loop.example.com")):
    msg = ("From: <%s>\r\nTo: <bob@test.local>\r\nSubject: session%d\r\n"
        "\r\nmessage %d\r\n" % (frm, n, n))
    try:
        s.sendmail(frm, ["bob@test.local"], msg)
        print("session%d accepted" % n)
    except smtplib.SMTPException as e:
        print("session%d refused: %s" % (n, e))
        s.rset()
s.quit()
EOF

# Let the deliveries finish, then stop the daemon by its pid.
i=0
while [ $i -lt 300 ]; do
	n=$(ls "$S/mail/new" 2>/dev/null | wc -l)
	[ "$n" -ge 7 ] && [ -n "$(ls "$S/out" 2>/dev/null)" ] && break
	i=$((i + 1))
	sleep 0.02
done
sleep 0.3
kill -TERM "$exim_pid"
wait "$exim_pid"
rc=$?
exim_pid=
if [ "$rc" -eq 0 ]; then
	ok "exim daemon stopped cleanly"
else
	not_ok "exim daemon stopped cleanly" "exit status $rc"
fi

# msgfile SUBJECT: the delivered file with that Subject.
msgfile()
{
	grep -l "^Subject: $1\$" "$S"/mail/new/* 2>/dev/null | head -n 1
}

# delivered NAME RESULT IP SENDER HELO: the message arrived, headers and body.
delivered()
{
	name=$1
	f=$(msgfile "$name")
	rc=$(cat "$S/$name.rc")
	if [ "$rc" -ne 0 ] || [ -z "$f" ]; then
		not_ok "$name: delivered" "swaks rc $rc, file '$f'" \
		    "$(grep -E '^<\*\*|^<-  [45]' "$S/$name.swaks")"
		return
	fi
	ok "$name: delivered"
	sed '/^$/q' "$f" >"$S/$name.headers"
	sed '1,/^$/d' "$f" >"$S/$name.body"
	# Exim's appendfile adds Return-path and Envelope-to above the
	# header; ours come next, before Exim's own Received.
	awk 'NR > 2' "$S/$name.headers" | head -n 2 >"$S/$name.top"
	check_has "$name: Authentication-Results at the top" "$S/$name.top" \
	    "Authentication-Results: mx.test.local; spf=$2 smtp.mailfrom=$4"
	check_has "$name: Received-SPF at the top" "$S/$name.top" \
	    "Received-SPF: $2 (mx.test.local: "
	check_has "$name: Received-SPF names the client" "$S/$name.top" \
	    "client-ip=$3; envelope-from=\"$4\"; helo=$5; receiver=mx.test.local; identity=mailfrom;"
	if [ "$(grep -c '^Received-SPF:' "$S/$name.headers")" -eq 1 ]; then
		ok "$name: one Received-SPF"
	else
		not_ok "$name: one Received-SPF" \
		    "$(grep '^Received-SPF:' "$S/$name.headers")"
	fi
	if cmp -s "$S/body.expected" "$S/$name.body"; then
		ok "$name: body unchanged"
	else
		not_ok "$name: body unchanged" \
		    "$(diff "$S/body.expected" "$S/$name.body" | head -n 10)"
	fi
}

delivered pass4 pass 192.0.2.10 alice@pass.example.com mail.example.org
delivered pass6 pass \"2001:db8::25\" alice@pass.example.com mail6.example.org
delivered softfail softfail 192.0.2.10 carol@soft.example.com \
    mail.example.org
delivered plain4 pass 127.0.0.1 alice@loop.example.com mail.example.org
delivered plain6 pass \"::1\" alice@loop.example.com mail.example.org

f=$(msgfile pass4)
if [ -n "$f" ]; then
	check_has "delivery process: the module works after Exim's fork" \
	    "$f" "X-Test-Delivery-SPF: pass"
fi

# Refused at MAIL: swaks exits 23.
refused()
{
	rc=$(cat "$S/$1.rc")
	if [ "$rc" -eq 23 ] && grep -qF -- "$2" "$S/$1.swaks"; then
		ok "$1: refused at MAIL with $2"
	else
		not_ok "$1: refused at MAIL with $2" "swaks rc $rc" \
		    "$(grep -E '^<\*\*' "$S/$1.swaks")"
	fi
	if [ -n "$(msgfile "$1")" ]; then
		not_ok "$1: nothing delivered"
	else
		ok "$1: nothing delivered"
	fi
}

refused fail \
    "550 5.7.23 192.0.2.10 is not one of fail.example.com's mail servers"
refused temperror "451 4.7.24 SPF temporary error for temp.example.com"

# The pipe transport's command lists what it inherited.
fd=$(ls "$S"/out/fdcheck.* 2>/dev/null | head -n 1)
if [ -z "$fd" ]; then
	not_ok "pipe transport ran" "$(cat "$S/fdcheck.rc")"
elif grep -qE 'socket:|anon_inode:' "$fd"; then
	not_ok "no socket or epoll descriptor reaches a pipe transport" \
	    "$(grep -E 'socket:|anon_inode:' "$fd")"
else
	ok "no socket or epoll descriptor reaches a pipe transport"
fi

check_has "session: first message accepted" "$S/session.out" \
    "session1 accepted"
check_has "session: second message (a failing sender) refused" \
    "$S/session.out" "session2 refused: (550, b'5.7.23 "
check_has "session: third message accepted after two deliveries" \
    "$S/session.out" "session3 accepted"
for n in 1 3; do
	f=$(msgfile "session$n")
	if [ -n "$f" ] && grep -q '^Received-SPF: pass ' "$f" &&
	    grep -q '^X-Test-Delivery-SPF: pass' "$f"; then
		ok "session$n: delivered with both checks"
	else
		not_ok "session$n: delivered with both checks" "file '$f'"
	fi
done

# Nothing in the paniclog: no dlfunc failure, no crashed process.
if [ -s "$S/log/paniclog" ]; then
	not_ok "paniclog empty" "$(head -n 5 "$S/log/paniclog")"
else
	ok "paniclog empty"
fi
check_hasnt "no process killed by a signal" "$S/log/mainlog" \
    "terminated by signal"

finish
