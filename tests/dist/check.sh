#!/bin/sh
# check.sh: the Debian packages.  Builds them as "make debs" does
# (tests/dist/debs.sh: "dpkg-buildpackage -us -uc -b" with
# DEB_BUILD_OPTIONS=nocheck in a copy of the tree, so the package build
# never runs make check inside make check) into build/debs, where they
# stay for the README's "apt install"; looks into the
# three packages, runs lintian, installs them with dpkg into a throwaway
# root, runs spfgate check and lint against tests/demo/example.zone from
# the installed files (and, where Exim is installed, tests/exim's -bh
# test with the installed module), checks what the postinst and the
# systemd units did (the system user spfgate, the units verified and
# not enabled, each unit's ExecStart run as systemd would, answering a
# policy request on its socket as user spfgate), and purges them again.
#
# The throwaway root is this system seen through an overlay (changes
# go to a tmpfs), mounted in a mount namespace of the script's own, so
# that the maintainer scripts run chrooted in a real root (adduser,
# deb-systemd-helper) and nothing reaches this system.  Needs root.
#
# The packaging tools are a test dependency like any other: make check
# and make dist-check install them (tests/deps.sh deb); without them
# this fails.  KEEP=1 keeps the work directory.
# Ends with "dist: N passed, M failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${SPFGATE_DIST_NS:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "FAIL - dist: needs root (mount namespace, chroot)"
		echo "dist: 0 passed, 1 failed"
		exit 1
	fi
	SPFGATE_DIST_NS=1 exec unshare --mount --propagation private \
	    sh "$0" "$@"
fi
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "FAIL - $*"; }

missing=""
for t in dpkg-buildpackage dh lintian fakeroot dpkg-parsechangelog \
    systemd-analyze systemctl adduser; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ]; then
	nok "packaging tools missing:$missing (tests/deps.sh deb)"
	echo "dist: $pass passed, $fail failed"
	exit 1
fi

W=$(mktemp -d /tmp/spfgate-dist.XXXXXX)
# The policy clients run as postfix and Debian-exim: they must reach
# the root's sockets inside it.
chmod 755 "$W"
svc_pid=""
finish() {
	[ -z "$svc_pid" ] || { kill "$svc_pid"; wait "$svc_pid"; }
	# the root's mounts first: rm stays on this file system
	if mountpoint -q "$W/ov"; then
		umount -R "$W/ov" || nok "umount -R $W/ov"
	fi
	if [ -n "${KEEP:-}" ]; then
		echo "dist: work directory kept (the root was on a tmpfs): $W"
	else
		rm -rf --one-file-system "$W"
	fi
	echo "dist: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

version=$(cd "$top" && dpkg-parsechangelog -S Version)
# The packages stay in build/debs, where the README sends the admin.
D=$top/build/debs
echo "dist: building spfgate $version (tests/dist/debs.sh)"
if sh "$top/tests/dist/debs.sh" "$D" >"$W/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b (nocheck), the packages in build/debs"
else
	nok "dpkg-buildpackage -us -uc -b"
	tail -n 40 "$W/build.log" | sed 's/^/    /'
	finish
fi

arch=$(dpkg --print-architecture)
for p in spfgate opensmtpd-filter-spf exim4-spf; do
	deb=$D/${p}_${version}_$arch.deb
	[ -f "$deb" ] && ok "$p package built" || nok "$p: no $deb"
done

# has PACKAGE PATH...: the package holds each path.
has() {
	p=$1
	shift
	list=$(dpkg-deb -c "$D/${p}_${version}_$arch.deb" 2>/dev/null |
	    awk '{print $6}')
	for f in "$@"; do
		echo "$list" | grep -qx "\./$f" && ok "$p has /$f" ||
		    nok "$p lacks /$f"
	done
}
has spfgate usr/bin/spfgate etc/spfgate.conf \
    usr/share/man/man1/spfgate.1.gz usr/share/man/man5/spfgate.conf.5.gz \
    usr/share/man/man8/spfgate-policy.8.gz \
    usr/share/doc/spfgate/copyright
has opensmtpd-filter-spf usr/libexec/opensmtpd/filter-spf \
    usr/share/man/man8/filter-spf.8.gz
has exim4-spf usr/lib/exim4/exim-spf.so usr/share/man/man8/exim-spf.8.gz
dpkg-deb -f "$D/spfgate_${version}_$arch.deb" Depends | grep -q libunbound &&
    ok "spfgate depends on libunbound (shlibs)" ||
    nok "spfgate: no library dependencies"
# Validation is the default and needs the root key.
dpkg-deb -f "$D/spfgate_${version}_$arch.deb" Depends |
    grep -q 'dns-root-data' && ok "spfgate depends on dns-root-data" ||
    nok "spfgate does not depend on dns-root-data"
dpkg-deb -I "$D/spfgate_${version}_$arch.deb" conffiles 2>/dev/null |
    grep -qx /etc/spfgate.conf && ok "/etc/spfgate.conf is a conffile" ||
    nok "/etc/spfgate.conf is not a conffile"

if lintian --fail-on error,warning --tag-display-limit 0 \
    "$D"/spfgate_"${version}"_"$arch".changes >"$W/lintian.log" 2>&1; then
	ok "lintian: no errors, no warnings"
else
	nok "lintian reports errors or warnings"
fi
sed 's/^/    /' "$W/lintian.log"

# A throwaway root: this system under an overlay whose upper layer is
# a tmpfs (an upper layer inside the lower one is refused), with a
# /dev of its own (the few nodes scripts use), its own /run (no
# /run/systemd/system: no script asks this system's systemd) and /tmp.
# The real dpkg installs into it against this system's database, the
# maintainer scripts chrooted into it.
O=$W/ov
R=$O/root
mkroot() {
	mkdir "$O" &&
	    mount -t tmpfs -o mode=0755 spfgate-dist "$O" &&
	    mkdir "$O/up" "$O/work" "$R" &&
	    mount -t overlay -o "lowerdir=/,upperdir=$O/up,workdir=$O/work" \
	    overlay "$R" &&
	    mount -t tmpfs -o mode=0755 dev "$R/dev" &&
	    mknod -m 666 "$R/dev/null" c 1 3 &&
	    mknod -m 666 "$R/dev/zero" c 1 5 &&
	    mknod -m 666 "$R/dev/random" c 1 8 &&
	    mknod -m 666 "$R/dev/urandom" c 1 9 &&
	    mount -t proc proc "$R/proc" &&
	    mount -t tmpfs -o mode=0755 run "$R/run" &&
	    mount -t tmpfs -o mode=1777 tmp "$R/tmp"
}
if mkroot; then
	ok "a throwaway root (overlay of / on a tmpfs)"
else
	nok "the throwaway root: mount failed"
	finish
fi
if dpkg --root="$R" -i "$D"/spfgate_"${version}"_"$arch".deb \
    "$D"/opensmtpd-filter-spf_"${version}"_"$arch".deb \
    "$D"/exim4-spf_"${version}"_"$arch".deb >"$W/dpkg.log" 2>&1; then
	ok "dpkg --root: the three packages installed"
else
	nok "dpkg --root: installing failed"
	sed 's/^/    /' "$W/dpkg.log"
	finish
fi
for p in spfgate opensmtpd-filter-spf exim4-spf; do
	st=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Status}' "$p")
	[ "$st" = "install ok installed" ] && ok "$p: $st in the root" ||
	    nok "$p: '$st' in the root"
done

zone=$top/tests/demo/example.zone
# expect STATUS WHAT COMMAND...: the installed spfgate exits STATUS.
expect() {
	want=$1
	what=$2
	shift 2
	cmd=$1
	shift
	out=$("$R/usr/bin/spfgate" "$cmd" --config "$R/etc/spfgate.conf" \
	    --zone "$zone" --timeout 5 "$@" 2>&1)
	s=$?
	if [ "$s" = "$want" ]; then
		ok "installed spfgate $cmd: $what (exit $s)"
	else
		nok "installed spfgate $cmd: $what: exit $s, want $want"
		echo "$out" | sed 's/^/    /'
	fi
}
expect 0 "pass accepted" check 192.0.2.10 alice@example.org mail.example.org
expect 3 "fail rejected" check 198.51.100.99 mallory@example.org \
    mail.attacker.net
expect 2 "broken record tagged" check 192.0.2.10 carol@broken.example.org \
    mail.example.org
expect 0 "example.org lints clean" lint example.org
expect 3 "broken.example.org lints with errors" lint broken.example.org
out=$("$R/usr/libexec/opensmtpd/filter-spf" --config "$R/etc/spfgate.conf" \
    stray 2>&1)
case "$out" in
*"usage: filter-spf"*) ok "installed filter-spf starts" ;;
*) nok "installed filter-spf: $out" ;;
esac
syms=$(nm -D --defined-only "$R/usr/lib/exim4/exim-spf.so" 2>/dev/null |
    awk '{print $3}' | grep -c '^spf_')
[ "$syms" = 7 ] && ok "installed exim-spf.so exports its seven functions" ||
    nok "installed exim-spf.so exports $syms spf_ functions"
ldd "$R/usr/lib/exim4/exim-spf.so" "$R/usr/bin/spfgate" \
    "$R/usr/libexec/opensmtpd/filter-spf" 2>&1 | grep -q 'not found' &&
    nok "installed files miss libraries" ||
    ok "installed files find all their libraries"

# --- the postinst's user, the systemd units ---------------------------
# inroot COMMAND...: in the root, as its maintainer scripts run.
inroot() {
	chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
# The user the services run as: a system user (the uid range of the
# root's adduser.conf), its own group, no login shell, no home made.
pw=$(inroot getent passwd spfgate)
IFS=: read -r _ _ svc_uid svc_gid _ svc_home svc_shell <<EOT
$pw
EOT
sys_max=$(sed -n 's/^LAST_SYSTEM_UID=//p' "$R/etc/adduser.conf")
sys_min=$(sed -n 's/^FIRST_SYSTEM_UID=//p' "$R/etc/adduser.conf")
if [ -n "$pw" ] && [ "$svc_uid" -ge "${sys_min:-100}" ] &&
    [ "$svc_uid" -le "${sys_max:-999}" ]; then
	ok "postinst: user spfgate, a system user (uid $svc_uid)"
else
	nok "postinst: user spfgate: '$pw'"
fi
case "${svc_shell:-}" in
/usr/sbin/nologin|/sbin/nologin|/bin/false|/usr/bin/false)
	ok "user spfgate has no login shell ($svc_shell)" ;;
*)	nok "user spfgate's shell: '${svc_shell:-}'" ;;
esac
[ "$(inroot getent group spfgate | cut -d: -f3)" = "${svc_gid:-x}" ] &&
    ok "group spfgate is its primary group" ||
    nok "no group spfgate as user spfgate's group"
[ ! -e "$R${svc_home:-/nonexistent}" ] && ok "no home made (${svc_home:-})" ||
    nok "postinst made a home: ${svc_home:-}"
# idempotent: configuring again (an upgrade) keeps the one user
if inroot /var/lib/dpkg/info/spfgate.postinst configure "$version" \
    >"$W/postinst.log" 2>&1 &&
    [ "$(inroot getent passwd spfgate)" = "$pw" ] &&
    [ "$(grep -c '^spfgate:' "$R/etc/passwd")" = 1 ]; then
	ok "postinst configure again: user spfgate unchanged"
else
	nok "postinst configure again"
	sed 's/^/    /' "$W/postinst.log"
fi

# unit NAME: the installed unit file's path in the root (/lib or
# /usr/lib, as the release's debhelper put it)
unit() {
	dpkg-query --admindir="$R/var/lib/dpkg" -L spfgate |
	    grep "/systemd/system/$1\$"
}
for u in spfgate-policy.service spfgate-exim.service; do
	f=$(unit "$u")
	if [ -n "$f" ] && [ -f "$R$f" ]; then
		ok "spfgate has $f"
	else
		nok "spfgate lacks the unit $u"
		continue
	fi
	# --man=no: a bare root has no man(1); the page is checked here
	if inroot systemd-analyze verify --man=no "$f" >"$W/verify.log" 2>&1 &&
	    [ ! -s "$W/verify.log" ]; then
		ok "systemd-analyze verify $u: clean"
	else
		nok "systemd-analyze verify $u"
		sed 's/^/    /' "$W/verify.log"
	fi
	grep -qx 'Documentation=man:spfgate-policy(8)' "$R$f" &&
	    [ -f "$R/usr/share/man/man8/spfgate-policy.8.gz" ] &&
	    ok "$u: Documentation=man:spfgate-policy(8), installed" ||
	    nok "$u: no Documentation= page installed"
	s=$(systemctl --root="$R" is-enabled "$u")
	links=$(find "$R/etc/systemd" -name "$u" | tr '\n' ' ')
	[ "$s" = disabled ] && [ -z "$links" ] &&
	    ok "$u installed, not enabled ($s)" ||
	    nok "$u: is-enabled '$s', links: $links"
done
# The Postfix unit runs the README's command line, the installed path.
mkdir "$W/snippets"
if python3 "$top/tests/snippets/extract.py" "$top" "$W/snippets" \
    >"$W/snippets.log" 2>&1; then
	f=$(unit spfgate-policy.service)
	readme=$(sed 's|^spfgate |/usr/bin/spfgate |' \
	    "$W/snippets/postfix-shared-run")
	[ "$(sed -n 's/^ExecStart=//p' "$R$f")" = "$readme" ] &&
	    ok "spfgate-policy.service runs the README's postfix-shared-run" ||
	    nok "spfgate-policy.service's ExecStart is not the README's '$readme'"
else
	nok "tests/snippets/extract.py"
	sed 's/^/    /' "$W/snippets.log"
fi
# The verification above can fail: the same unit naming a command
# that is not there does.
f=$(unit spfgate-policy.service)
sed 's|^ExecStart=/usr/bin/spfgate |ExecStart=/usr/bin/spfgate-missing |' \
    "$R$f" >"$R/tmp/spfgate-broken.service"
inroot systemd-analyze verify --man=no /tmp/spfgate-broken.service \
    >"$W/verify-broken.log" 2>&1 &&
    nok "systemd-analyze verify passes a unit with a missing command" ||
    ok "systemd-analyze verify fails a unit with a missing command"

# The users the MTAs would bring, and Postfix's private/ (the mode
# Postfix gives it), unless the root already has them.
for u in postfix Debian-exim; do
	inroot getent passwd "$u" >/dev/null ||
	    inroot adduser --quiet --system --group --no-create-home \
	    --home /nonexistent "$u" || nok "adduser $u in the root"
done
mkdir -p "$R/var/spool/postfix/private"
inroot chown postfix: /var/spool/postfix/private
chmod 0700 "$R/var/spool/postfix/private"

# service UNIT OWNER MODE: the unit's ExecStart, read from the installed
# file, run in the root as systemd would start it (as root, its
# RuntimeDirectory made), in a network namespace of its own (no DNS
# leaves this machine); its socket must be OWNER's with MODE, answer a
# policy request from a client running as OWNER, and the process must
# run as user spfgate.
service() {
	u=$1
	owner=$2
	mode=$3
	f=$(unit "$u")
	[ -n "$f" ] || return
	cmd=$(sed -n 's/^ExecStart=//p' "$R$f")
	rundir=$(sed -n 's/^RuntimeDirectory=//p' "$R$f")
	sock=$(echo "$cmd" | sed -n 's/.*--listen unix:\([^ ]*\).*/\1/p')
	if [ -z "$cmd" ] || [ -z "$sock" ]; then
		nok "$u: no ExecStart with --listen unix: ('$cmd')"
		return
	fi
	[ -z "$rundir" ] || install -d -m 0755 "$R/run/$rundir"
	set -f
	# shellcheck disable=SC2086 # ExecStart is split as systemd does
	unshare --net chroot "$R" $cmd >"$W/$u.log" 2>&1 &
	svc_pid=$!
	set +f
	i=0
	while [ ! -S "$R$sock" ] && [ $i -lt 100 ] &&
	    [ -d "/proc/$svc_pid" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ -S "$R$sock" ]; then
		ok "$u: ExecStart made $sock"
	else
		nok "$u: ExecStart made no $sock"
		sed 's/^/    /' "$W/$u.log"
	fi
	o_uid=$(inroot id -u "$owner")
	o_gid=$(inroot id -g "$owner")
	got=$(stat -c '%u %a' "$R$sock")
	[ "$got" = "$o_uid $mode" ] && ok "$u: socket $owner's, mode $mode" ||
	    nok "$u: socket uid and mode '$got', want '$o_uid $mode'"
	ids=$(awk '/^Uid:|^Gid:|^Groups:|^CapEff:/ { $1 = ""; print }' \
	    "/proc/$svc_pid/status" | tr -s ' \t\n' ' ')
	want=" $svc_uid $svc_uid $svc_uid $svc_uid $svc_gid $svc_gid $svc_gid"
	want="$want $svc_gid $svc_gid 0000000000000000 "
	[ "$ids" = "$want" ] &&
	    ok "$u: runs as spfgate, group spfgate, no capabilities" ||
	    nok "$u: ids and capabilities '$ids', want '$want'"
	ans=$(python3 - "$R$sock" "$o_uid" "$o_gid" <<'PY'
import os, socket, sys
path, uid, gid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.setgroups([])
os.setgid(gid)
os.setuid(uid)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(path)
s.sendall(b"request=smtpd_access_policy\nprotocol_state=RCPT\n"
    b"protocol_name=ESMTP\nclient_address=192.0.2.10\n"
    b"helo_name=mail.example.org\nsender=alice@example.org\n"
    b"recipient=bob@example.net\nsasl_username=x\ninstance=1.1\n\n")
buf = b""
while not buf.endswith(b"\n\n"):
    d = s.recv(4096)
    if not d:
        break
    buf += d
sys.stdout.write(buf.decode("ascii", "replace").replace("\n", "|"))
PY
)
	[ "$ans" = "action=DUNNO||" ] &&
	    ok "$u: a request from $owner, sasl_username=x: action=DUNNO" ||
	    nok "$u: the answer was '$ans'"
	kill -TERM "$svc_pid"
	wait "$svc_pid"
	st=$?
	svc_pid=""
	[ "$st" = 0 ] && ok "$u: SIGTERM stops it, status 0" ||
	    { nok "$u: status $st after SIGTERM"; sed 's/^/    /' "$W/$u.log"; }
	# the socket stays where spfgate may not remove it (README)
	rm -f "$R$sock"
}
service spfgate-policy.service postfix 660
service spfgate-exim.service Debian-exim 600

# Real Exim with the installed module: the host-checking test of
# tests/exim, which takes the module from EXIM_SPF_SO.
if command -v exim4 >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	EXIM_SPF_SO=$R/usr/lib/exim4/exim-spf.so sh "$top/tests/exim/check-bh.sh" \
	    >"$W/exim.log" 2>&1
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$W/exim.log" | tail -n 1)
	case "$line" in
	*" passed, 0 failed")
		ok "tests/exim/check-bh.sh with the installed module: $line" ;;
	*)
		nok "tests/exim/check-bh.sh with the installed module: $line"
		grep -v '^ok' "$W/exim.log" | tail -n 20 | sed 's/^/    /' ;;
	esac
else
	echo "dist: no exim4 here (or not root): the Exim test is not run"
fi

if dpkg --root="$R" --purge exim4-spf opensmtpd-filter-spf spfgate \
    >"$W/purge.log" 2>&1; then
	# What the root's upper layer still holds: dpkg's own records,
	# logs and caches, and the user database (user spfgate stays, as
	# Debian's packages leave theirs; so do the test's postfix and
	# Debian-exim) are expected.  Nothing else: no unit, no
	# deb-systemd-helper state, no config.
	left=$(cd "$O/up" && find . \( -path ./var/lib/dpkg -o \
	    -path ./var/log -o -path ./var/cache \) -prune -o \
	    \( -type f -o -type l \) -print |
	    grep -v -x -e '\./etc/\(passwd\|group\|shadow\|gshadow\)-\{0,1\}' \
	    -e '\./etc/\.pwd\.lock' -e '\./etc/subuid-\{0,1\}' \
	    -e '\./etc/subgid-\{0,1\}' | sort | tr '\n' ' ')
	[ -z "$left" ] && ok "dpkg --purge: nothing left" ||
	    nok "dpkg --purge left: $left"
	inroot getent passwd spfgate >/dev/null &&
	    ok "dpkg --purge: user spfgate stays" ||
	    nok "dpkg --purge removed user spfgate"
else
	nok "dpkg --purge"
	sed 's/^/    /' "$W/purge.log"
fi
finish
