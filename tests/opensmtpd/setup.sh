#!/bin/sh
# setup.sh: install the real OpenSMTPD from the Debian release this runs
# on (6.8 in Debian 12, filter protocol 0.6; 7.x in Debian 13, 0.7) next
# to Exim.  exim4-daemon-heavy (the Exim tests) and opensmtpd both provide
# and conflict with mail-transport-agent, so apt cannot install both:
# the opensmtpd .deb is unpacked into a prefix of its own instead, its
# delivery helpers copied where the binary looks for them, and the users
# compiled into Debian's smtpd created.  Idempotent; must run as root.
# Prints the path of smtpd on its last line.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/debfetch.sh"

if [ "$(id -u)" != 0 ]; then
	echo "setup.sh: must run as root" >&2
	exit 1
fi

# Runtime libraries of smtpd, swaks (+ IPv6 for it), iproute2 for the
# namespace; ordinary packages that do not conflict with Exim.
sh "$top/tests/deps.sh" opensmtpd

# One prefix per upstream version: the one this release's archive has.
if [ -z "${OSMTPD_PREFIX:-}" ]; then
	version=$(apt-cache show --no-all-versions opensmtpd |
	    sed -n 's/^Version: \([0-9]*:\)\{0,1\}//p' | head -n 1)
	[ -n "$version" ] || {
		echo "setup.sh: apt knows no opensmtpd package" >&2
		exit 1
	}
	OSMTPD_PREFIX=/opt/opensmtpd-${version%-*}
fi

if [ ! -x "$OSMTPD_PREFIX/usr/sbin/smtpd" ]; then
	tmp=$(mktemp -d)
	deb_fetch "$tmp" opensmtpd
	mkdir -p "$OSMTPD_PREFIX"
	dpkg-deb -x "$tmp"/opensmtpd_*.deb "$OSMTPD_PREFIX"
	rm -rf "$tmp"
fi

# Every local delivery method execs /usr/libexec/opensmtpd/mail.*; the
# path is compiled into smtpd.
if [ ! -e /usr/libexec/opensmtpd/mail.maildir ]; then
	mkdir -p /usr/libexec/opensmtpd
	cp -a "$OSMTPD_PREFIX/usr/libexec/opensmtpd/." /usr/libexec/opensmtpd/
fi

# Debian's smtpd drops privileges to opensmtpd / opensmtpq.
for g in opensmtpd opensmtpq; do
	getent group "$g" >/dev/null || addgroup --system --quiet "$g"
done
for u in opensmtpd opensmtpq; do
	id "$u" >/dev/null 2>&1 || adduser --system --quiet \
	    --home /var/lib/opensmtpd/empty --no-create-home \
	    --disabled-password --ingroup "$u" "$u"
done
mkdir -p /var/lib/opensmtpd/empty

"$OSMTPD_PREFIX/usr/sbin/smtpd" -h 2>&1 | grep -q usage || {
	echo "setup.sh: $OSMTPD_PREFIX/usr/sbin/smtpd does not run" >&2
	exit 1
}
echo "$OSMTPD_PREFIX/usr/sbin/smtpd"
