#!/bin/sh
# check.sh [-j] [DIST...]: the README's QUICK START, first try, on a bare
# Debian.  For each DIST (default: bookworm trixie) a throwaway root made
# by "debootstrap --variant=minbase DIST" from the archive this machine's
# apt uses, the repository's committed HEAD, and there, as root, exactly
# the README's commands in order: its apt-get line, git clone, make
# demo, make check.  A release passes when every step exits 0 and make
# check's last line reports 0 failed.  -j runs the releases side by side.
# Each release's output is shown when it ends (follow it meanwhile in
# build/fresh/DIST.out).
#
# The debootstrap result is cached as a tarball (FRESH_CACHE, default
# /var/cache/spfgate-fresh/DIST-minbase.tar): it holds only the base
# system; every package the README's commands install is installed by
# them, in the root.  Each root lives in its own mount namespace, so its
# mounts die with it whatever happens; the directory is removed on every
# exit path.  Step logs: build/fresh/DIST-STEP.log (FRESH_LOGS).
# Prints the wall time of every step; ends with "fresh: N passed, M
# failed" (one count per step and release).  Must run as root.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${FRESH_CACHE:-/var/cache/spfgate-fresh}
LOGS=${FRESH_LOGS:-$top/build/fresh}

parallel=
if [ "${1:-}" = -j ]; then
	parallel=1
	shift
fi
[ $# -gt 0 ] || set -- bookworm trixie

if [ "$(id -u)" != 0 ]; then
	echo "fresh: must run as root (debootstrap, chroot, mount)"
	echo "fresh: 0 passed, 1 failed"
	exit 1
fi

# The Debian archive apt uses here (deb822 or one-line sources).
mirror=${FRESH_MIRROR:-}
if [ -z "$mirror" ]; then
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		mirror=$(sed -n 's/^URIs:[[:space:]]*//p' "$f" |
		    tr ' ' '\n' | grep -v -e '-security' -e '^$' | head -n 1)
		[ -z "$mirror" ] || break
	done
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
	mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' \
	    /etc/apt/sources.list)
fi
mirror=${mirror:-http://deb.debian.org/debian}

# The committed README's own apt-get line: the test runs what it says.
aptline=$(git -C "$top" show HEAD:README | sed -n '/^QUICK START/,/^[A-Z]/p' |
    sed -n 's/^[[:space:]]*\(apt-get .*\)$/\1/p' | sed 's/[[:space:]]*#.*//' |
    head -n 1)
if [ -z "$aptline" ]; then
	echo "fresh: README's QUICK START has no apt-get line"
	echo "fresh: 0 passed, 1 failed"
	exit 1
fi

sh "$top/tests/deps.sh" fresh || {
	echo "fresh: 0 passed, 1 failed"
	exit 1
}

mkdir -p "$CACHE" "$LOGS"
bundle=$(mktemp /tmp/spfgate-fresh-bundle.XXXXXX)
trap 'rm -f "$bundle"' EXIT
if ! git -C "$top" bundle create "$bundle" HEAD >"$LOGS/bundle.log" 2>&1; then
	cat "$LOGS/bundle.log"
	echo "fresh: git bundle of HEAD failed"
	echo "fresh: 0 passed, 1 failed"
	exit 1
fi
echo "fresh: HEAD $(git -C "$top" rev-parse --short HEAD), mirror $mirror"

# one DIST: inner.sh in a private mount namespace (exec: its pid is
# the one to signal)
run() {
	FRESH_LOGS=$LOGS FRESH_CACHE=$CACHE FRESH_MIRROR=$mirror \
	    FRESH_APTLINE=$aptline FRESH_BUNDLE=$bundle \
	    exec unshare --mount --propagation private \
	    sh "$top/tests/fresh/inner.sh" "$1"
}

pass=0
fail=0
count() {
	line=$(grep -E '^fresh [a-z]+: [0-9]+ passed, [0-9]+ failed' "$1" |
	    tail -n 1)
	p=$(echo "$line" | sed -nE 's/.*: ([0-9]+) passed, ([0-9]+) failed/\1/p')
	f=$(echo "$line" | sed -nE 's/.*: ([0-9]+) passed, ([0-9]+) failed/\2/p')
	[ -n "$p" ] || { p=0; f=1; echo "fresh: $1: no result line"; }
	pass=$((pass + p))
	fail=$((fail + f))
}

# Each release runs in the background, so a signal reaches this shell
# at once (wait is interrupted): it is passed on, and each inner.sh
# removes its root before it exits.
pids=
started=
stop() {
	[ -z "$pids" ] || kill $pids
	wait
	for d in $started; do
		cat "$LOGS/$d.out"
		count "$LOGS/$d.out"
	done
	echo "fresh: interrupted"
	echo "fresh: $pass passed, $((fail + 1)) failed"
	exit 1
}
trap stop INT TERM HUP

start=$(date +%s)
for d in "$@"; do
	echo "fresh: $d: output in $LOGS/$d.out"
	started="$started $d"
	run "$d" >"$LOGS/$d.out" 2>&1 &
	pids="$pids $!"
	if [ -z "$parallel" ]; then
		wait $!
		pids=
		started=
		cat "$LOGS/$d.out"
		count "$LOGS/$d.out"
	fi
done
if [ -n "$parallel" ]; then
	wait $pids
	pids=
	started=
	for d in "$@"; do
		cat "$LOGS/$d.out"
		count "$LOGS/$d.out"
	done
fi
echo "fresh: $* in $(( $(date +%s) - start ))s"
echo "fresh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
