# inner.sh: sourced by check.sh inside its private mount, network and pid
# namespaces: the throwaway root and the checks.  $W is the work
# directory (snippets in $W/snip, packages in $W/debs, logs in $W/log).

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() {
	fail=$((fail + 1))
	echo "FAIL - $1"
	shift
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/    /'
	done
}

# in_root CMD...: run a command in the root, as root, from /root/spfgate
# (where build/debs is, as in the tree the documents speak of).
in_root() {
	chroot "$R" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
	    PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    sh -c 'cd /root/spfgate && exec "$@"' sh "$@"
}

# Daemons run as "chroot $R env -i $ROOT_ENV CMD &", one simple command, so
# that $! is the daemon's own pid (chroot, env and sh all exec).
ROOT_ENV="HOME=/root LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin"

# snippet NAME: run the documents' snippet NAME as a shell script in the
# root; its output in $W/log/NAME.N.
snip_n=0
snippet() {
	snip_n=$((snip_n + 1))
	cp "$W/snip/$1" "$R/root/snippet"
	# "y" to what asks, as the admin would (apt's "continue?").
	yes | in_root sh -e /root/snippet >"$W/log/$1.$snip_n" 2>&1
	snip_rc=$?
	snip_out=$W/log/$1.$snip_n
	return $snip_rc
}

# expect WHAT FILE PATTERN: FILE holds a line with the fixed string.
expect() {
	if grep -qF -- "$3" "$2"; then
		ok "$1"
	else
		nok "$1" "no line with: $3" "$(tail -n 12 "$2")"
	fi
}

make_root() {
	mount --make-rprivate /
	ip link set lo up
	mkdir -p "$W/ov" "$W/root" "$W/log"
	mount -t tmpfs -o mode=0755 tmpfs "$W/ov"
	mkdir "$W/ov/upper" "$W/ov/work"
	R=$W/root
	mount -t overlay overlay \
	    -o "lowerdir=/,upperdir=$W/ov/upper,workdir=$W/ov/work" "$R" ||
	    return 1
	mount -t proc proc "$R/proc"
	mount --rbind /dev "$R/dev"
	mount --rbind /sys "$R/sys"
	mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
	mount -t tmpfs -o mode=0755 tmpfs "$R/run"
	mkdir -p "$R/var/spool/smtpd"
	mount -t tmpfs -o mode=0711 tmpfs "$R/var/spool/smtpd"
	mkdir -p "$R/root/spfgate/build/debs"
	cp "$W"/debs/*.deb "$R/root/spfgate/build/debs/"
	# Whatever this host's Exim logged before is not ours.
	for f in mainlog rejectlog paniclog; do
		[ -f "$R/var/log/exim4/$f" ] && : >"$R/var/log/exim4/$f"
	done
	rm -f "$R"/var/mail/* "$R/var/spool/exim4/input/"* 2>/dev/null
	in_root useradd -m bob || return 1
	# opensmtpd-filter-spf recommends opensmtpd, which would replace
	# exim4 here; on a host with smtpd the recommendation is met.
	echo 'APT::Install-Recommends "false";' \
	    >"$R/etc/apt/apt.conf.d/99spfgate-test"
	# The SPF data: zone files instead of DNS.
	mkdir -p "$R/etc/spfgate-test"
	cat >"$R/etc/spfgate-test/example.org.zone" <<'EOF'
$ORIGIN example.org.
@	SOA	ns.example.org. hostmaster.example.org. 1 3600 600 86400 300
@	TXT	"v=spf1 -all"
EOF
	cat >"$R/etc/spfgate-test/spftest.test.zone" <<'EOF'
$ORIGIN spftest.test.
@	SOA	ns.spftest.test. hostmaster.spftest.test. 1 3600 600 86400 300
pass	TXT	"v=spf1 ip4:127.0.0.2 ip4:192.0.2.10 -all"
soft	TXT	"v=spf1 ~all"
EOF
	chmod -R a+rX "$R/etc/spfgate-test"
}

# spfgate_conf [LINE...]: /etc/spfgate.conf as the admin would edit it.
spfgate_conf() {
	{
		echo "zone /etc/spfgate-test/example.org.zone"
		echo "zone /etc/spfgate-test/spftest.test.zone"
		echo "timeout 5"
		for l in "$@"; do
			echo "$l"
		done
	} >"$R/etc/spfgate.conf"
}

# A message with forged Authentication-Results: one with our
# authserv-id, one with another host's.
message() {
	cat >"$R/tmp/$1.eml" <<EOF
From: <$2>
To: <bob@$3>
Subject: $1
Authentication-Results: $AUTHSERV; spf=pass smtp.mailfrom=forged-$1@example.org
Authentication-Results: other.example; dkim=pass header.d=forged-$1.example

Body of $1.
EOF
}

# send NAME SENDER DOMAIN SWAKS-OPTIONS...: one message, swaks in the
# root (behind $VIA, e.g. "ip netns exec spftest"; to $TO if set);
# output in $W/log/NAME.swaks, exit status in send_rc.  "--data @FILE":
# swaks 20240103 (Debian 13) takes a bare argument as the DATA text
# itself, so the message would be the file's name (Exim delivers it with
# no Subject; smtpd 7 refuses it: "not RFC 2822 compliant"); the "@"
# form reads the file in 20201014 (Debian 12) as well.
send() {
	name=$1
	from=$2
	dom=$3
	shift 3
	message "$name" "$from" "$dom"
	in_root ${VIA:-} swaks --from "$from" --to "${TO:-bob@$dom}" \
	    --data "@/tmp/$name.eml" "$@" >"$W/log/$name.swaks" 2>&1
	send_rc=$?
}

# header_block NAME: the delivered message with Subject NAME, its header
# only, into $W/log/NAME.hdr (mbox /var/mail/bob or bob's Maildir);
# waits up to 10 s for the delivery.
header_block() {
	i=0
	while [ $i -lt 200 ]; do
		/usr/bin/python3 - "$R" "$1" >"$W/log/$1.hdr" <<'EOF' && return 0
import mailbox, os, sys
root, subj = sys.argv[1], sys.argv[2]
boxes = []
if os.path.exists(root + "/var/mail/bob"):
    boxes.append(mailbox.mbox(root + "/var/mail/bob", create=False))
if os.path.isdir(root + "/home/bob/Maildir/new"):
    boxes.append(mailbox.Maildir(root + "/home/bob/Maildir", create=False))
for box in boxes:
    for m in box:
        if m.get("Subject") == subj:
            for k, v in m.items():
                print("%s: %s" % (k, v))
            sys.exit(0)
sys.exit(1)
EOF
		i=$((i + 1))
		sleep 0.05
	done
	return 1
}

# delivered NAME WHAT: the message arrived; its header in $W/log/NAME.hdr.
delivered() {
	if [ "$send_rc" -eq 0 ] && header_block "$1"; then
		ok "$2: delivered"
		return 0
	fi
	nok "$2: delivered" "swaks exit $send_rc" \
	    "$(grep -E '^<\*\*|^ \*\*\*' "$W/log/$1.swaks" | head -n 4)" \
	    "no message with Subject $1 in /var/mail/bob or ~bob/Maildir"
	return 1
}

# has / hasnt NAME WHAT PATTERN: the header block of NAME (extended
# regular expression).
has() {
	if grep -qE -- "$3" "$W/log/$1.hdr"; then
		ok "$2"
	else
		nok "$2" "no header matching: $3" "$(cat "$W/log/$1.hdr")"
	fi
}
hasnt() {
	if grep -qE -- "$3" "$W/log/$1.hdr"; then
		nok "$2" "$(grep -E -- "$3" "$W/log/$1.hdr")"
	else
		ok "$2"
	fi
}
count() {
	n=$(grep -cE -- "$3" "$W/log/$1.hdr")
	if [ "$n" = "$4" ]; then
		ok "$2"
	else
		nok "$2" "$n headers matching $3, want $4" \
		    "$(cat "$W/log/$1.hdr")"
	fi
}

# refused WHAT FILE CODE: a swaks transcript ends in a refusal CODE.
refused() {
	if grep -qE "^<\*\* +$3" "$2"; then
		ok "$1"
	else
		nok "$1" "no '<** $3' reply" "$(grep -E '^(<|\*\*\*)' "$2" |
		    tail -n 6)"
	fi
}

wait_port() {
	i=0
	while ! ss -Hltn "sport = :$1" | grep -q .; do
		i=$((i + 1))
		[ $i -gt 500 ] && return 1
		sleep 0.01
	done
}

. "$here/inner-exim.sh"
. "$here/inner-smtpd.sh"

inner() {
	W=$1
	pass=${2:-0}
	if ! make_root; then
		nok "the throwaway root (overlay over /)"
		echo "snippets: $pass passed, $fail failed"
		return 1
	fi
	ok "throwaway root: overlay over /, private namespaces"
	exim_phase
	smtpd_phase
	echo "snippets: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
