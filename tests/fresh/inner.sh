#!/bin/sh
# inner.sh DIST: one release of tests/fresh/check.sh, which runs this in
# a mount namespace of its own (every mount made here dies with it).
# Environment from check.sh: FRESH_LOGS, FRESH_CACHE, FRESH_MIRROR,
# FRESH_APTLINE (the README's apt-get line), FRESH_BUNDLE (git bundle of
# HEAD).  Ends with "fresh DIST: N passed, M failed".
set -u
dist=$1
LOGS=$FRESH_LOGS
cache=$FRESH_CACHE/$dist-minbase.tar
pass=0
fail=0
R=

say() { echo "fresh $dist: $*"; }
ok() { pass=$((pass + 1)); say "ok - $*"; }
nok() { fail=$((fail + 1)); say "FAIL - $*"; }

spid=
cleanup() {
	# unshare --fork ignores SIGTERM; SIGKILL ends it, and
	# --kill-child the step's whole pid namespace with it.
	if [ -n "$spid" ]; then
		kill -KILL "$spid"
		wait "$spid"
	fi
	if [ -n "$R" ]; then
		# Steps run in pid namespaces of their own, killed with them:
		# nothing is left inside to keep a mount busy.
		if mountpoint -q "$R"; then
			umount -R "$R" || umount -R -l "$R"
		fi
		if grep -q " $R[/ ]" /proc/self/mountinfo; then
			nok "mounts left under $R: not removed"
		else
			rm -rf --one-file-system "$R"
		fi
	fi
	say "$pass passed, $fail failed"
}
trap cleanup EXIT
trap 'nok "interrupted"; exit 1' INT TERM HUP

# step NAME COMMAND...: run it, its output to LOGS/DIST-NAME.log, and
# say how long it took.  In the background: a signal interrupts the
# wait, and cleanup stops the step.
step() {
	name=$1
	shift
	t0=$(date +%s)
	"$@" >"$LOGS/$dist-$name.log" 2>&1 &
	spid=$!
	wait "$spid"
	rc=$?
	spid=
	say "step $name: $(( $(date +%s) - t0 ))s, exit $rc"
	return $rc
}

# inroot COMMAND: as root in the root, a login's environment, a pid
# namespace of its own (with its own /proc) that dies with the command.
# Called by step, in a subshell: exec makes unshare the pid step kills.
inroot() {
	exec unshare --pid --fork --kill-child --mount-proc="$R/proc" \
	    chroot "$R" /usr/bin/env -i HOME=/root TERM=dumb \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    /bin/sh -c "$1" </dev/null
}

failed_log() {
	sed 's/^/    /' "$LOGS/$dist-$1.log" | tail -n "${2:-40}"
}

# --- the base system: debootstrap once, then from the cache ----------
mkbase() {
	tmp=$(mktemp -d /var/tmp/spfgate-debootstrap.XXXXXX)
	chmod 755 "$tmp"
	if debootstrap --variant=minbase "$dist" "$tmp" "$FRESH_MIRROR" &&
	    rm -f "$tmp"/var/cache/apt/archives/*.deb &&
	    tar -C "$tmp" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"; then
		rc=0
	else
		rc=1
		rm -f "$cache.tmp"
	fi
	rm -rf --one-file-system "$tmp"
	return $rc
}
if [ ! -f "$cache" ]; then
	step debootstrap mkbase || {
		nok "debootstrap --variant=minbase $dist $FRESH_MIRROR"
		failed_log debootstrap
		exit 1
	}
fi

# A mktemp directory is mode 0700: no other user could work inside.
R=$(mktemp -d "/var/tmp/spfgate-fresh-$dist.XXXXXX")
chmod 755 "$R"
root() {
	tar -C "$R" -xpf "$cache" || return 1
	# unshare --mount inside a chroot needs its root to be a mount
	mount --bind "$R" "$R" || return 1
	mount -t proc proc "$R/proc" || return 1
	mount -t sysfs sysfs "$R/sys" || return 1
	mount --bind /dev "$R/dev" || return 1
	mount --bind /dev/pts "$R/dev/pts" || return 1
	if mountpoint -q /dev/shm; then
		mount --bind /dev/shm "$R/dev/shm" || return 1
	fi
	cp /etc/resolv.conf "$R/etc/resolv.conf" || return 1
	# what an installed system's apt has: the release, its updates,
	# and security when the mirror is Debian's own
	{
		echo "deb $FRESH_MIRROR $dist main"
		echo "deb $FRESH_MIRROR $dist-updates main"
		case "$FRESH_MIRROR" in
		http://deb.debian.org/debian|http://deb.debian.org/debian/)
			echo "deb http://deb.debian.org/debian-security" \
			    "$dist-security main" ;;
		esac
	} >"$R/etc/apt/sources.list"
	cp "$FRESH_BUNDLE" "$R/root/spfgate.bundle"
}
step root root && ok "a bare $dist root in $R" || {
	nok "preparing the root"
	failed_log root
	exit 1
}

# --- the README's QUICK START, in order ------------------------------
if step apt inroot "$FRESH_APTLINE"; then
	ok "$FRESH_APTLINE"
else
	nok "$FRESH_APTLINE"
	failed_log apt
	exit 1
fi
if step clone inroot "cd /root && git clone spfgate.bundle spfgate"; then
	ok "git clone"
else
	nok "git clone"
	failed_log clone
	exit 1
fi
if step demo inroot "cd /root/spfgate && make demo"; then
	ok "make demo"
else
	nok "make demo"
	failed_log demo
fi
step check inroot "cd /root/spfgate && make check"
rc=$?
log=$LOGS/$dist-check.log
# what make check ran against, and each suite's count and time
grep -E '^# ran against: ' "$log" | sort -u | sed "s/^/fresh $dist: /"
grep -E '^--- ' "$log" | sed "s/^/fresh $dist: /"
last=$(tail -n 1 "$log")
case "$last" in
[0-9]*" passed, 0 failed")
	[ "$rc" = 0 ] && ok "make check: $last" ||
	    nok "make check: exit $rc, $last" ;;
*)
	nok "make check: exit $rc, last line: $last"
	grep -E '^(FAIL|not ok)|: no result line|: exited ' "$log" |
	    head -n 40 | sed 's/^/    /'
	failed_log check 20 ;;
esac
[ "$fail" -eq 0 ]
