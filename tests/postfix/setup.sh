#!/bin/sh
# setup.sh: the real Postfix of the Debian release this runs on, for the
# end-to-end tests.  Debian's postfix and exim4-daemon-heavy (the Exim
# tests) both provide and conflict with mail-transport-agent, so apt
# cannot install both: the postfix .deb is unpacked into the build
# directory instead (nothing under /etc, /usr or /var is touched), and
# only its run-time libraries are installed (tests/deps.sh postfix).
# Postfix looks for its own shared libraries in /usr/lib/postfix: the
# tests point LD_LIBRARY_PATH at the unpacked copy.  Idempotent; must
# run as root.  Prints the root of the unpacked package on its last
# line; the package itself is left in build/postfix/deb.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/debfetch.sh"

if [ "$(id -u)" != 0 ]; then
	echo "setup.sh: must run as root" >&2
	exit 1
fi

sh "$top/tests/deps.sh" postfix

# One root per version: the one this release's archive has.
version=$(apt-cache show --no-all-versions postfix |
    sed -n 's/^Version: \([0-9]*:\)\{0,1\}//p' | head -n 1)
if [ -z "$version" ]; then
	apt-get update -q >/dev/null
	version=$(apt-cache show --no-all-versions postfix |
	    sed -n 's/^Version: \([0-9]*:\)\{0,1\}//p' | head -n 1)
fi
[ -n "$version" ] || {
	echo "setup.sh: apt knows no postfix package" >&2
	exit 1
}
root=$top/build/postfix/$version
# the .deb too: check-snippets.sh installs it into a throwaway root
deb=$top/build/postfix/deb

if [ ! -x "$root/usr/lib/postfix/sbin/master" ] ||
    ! ls "$deb"/postfix_*.deb >/dev/null 2>&1; then
	rm -rf "$deb" "$root" "$root.tmp"
	mkdir -p "$deb"
	# apt downloads as _apt: it must reach the directory
	chmod 755 "$top/build" "$top/build/postfix"
	deb_fetch "$deb" postfix
	dpkg-deb -x "$deb"/postfix_*.deb "$root.tmp"
	mv "$root.tmp" "$root"
fi

# A library the release renamed shows up here, not as a daemon that
# dies without a word in the middle of a test.
missing=$(LD_LIBRARY_PATH=$root/usr/lib/postfix \
    ldd "$root/usr/lib/postfix/sbin/smtpd" | grep 'not found' || true)
[ -z "$missing" ] || {
	echo "setup.sh: Postfix's smtpd lacks libraries:" >&2
	echo "$missing" >&2
	exit 1
}
echo "$root"
