#!/bin/sh
# deps.sh GROUP...: install the Debian packages a make target needs.
# Asks apt only when a package is missing, so a prepared machine pays
# nothing.  Must run as root on a machine without them (CI, a fresh
# Debian 12 or 13); prints what it installs.  Every name exists in
# Debian 12 (bookworm) and 13 (trixie); where the two differ (the 64-bit
# time_t transition renamed libraries), /etc/os-release says which.
set -eu

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
# postfix_libs: the libraries of each release's postfix that differ
# by more than the suffix (ICU's version; 3.10 links libtlsrpt too)
case "$codename" in
bookworm)
	t64="" postfix_libs="libicu72" ;;
*)	# trixie and later
	t64="t64" postfix_libs="libicu76 libtlsrpt0" ;;
esac

pkgs_build="build-essential pkg-config libunbound-dev libidn2-dev nettle-dev libbsd-dev libevent-dev dns-root-data ca-certificates"
pkgs_check="libcmocka-dev python3 python3-yaml iproute2 procps valgrind clang libclang-rt-dev"
pkgs_exim="exim4-daemon-heavy exim4-dev swaks libio-socket-inet6-perl python3 python3-yaml iproute2 procps strace"
# the run-time libraries of Debian's opensmtpd (its .deb is unpacked,
# never installed: tests/opensmtpd/setup.sh)
pkgs_opensmtpd="libevent-2.1-7$t64 libdb5.3$t64 libssl3$t64 libpam0g adduser swaks libio-socket-inet6-perl python3 python3-yaml iproute2 procps"
# the run-time libraries of Debian's postfix (unpacked too, never
# installed: tests/postfix/setup.sh), Cyrus SASL's sasldb for the
# authenticated submission test
pkgs_postfix="libdb5.3$t64 $postfix_libs libnsl2 libsasl2-2 libssl3$t64 libsasl2-modules libsasl2-modules-db sasl2-bin swaks libio-socket-inet6-perl python3 python3-yaml iproute2 procps"
pkgs_dnssec="ldnsutils nsd python3 iproute2"
pkgs_bench="nsd unbound libspf2-dev python3 python3-spf valgrind iproute2 linux-perf ldnsutils exim4-daemon-heavy swaks openssl"
pkgs_docs="mandoc"
# systemd: systemd-analyze and systemctl --root for the units of tests/dist
# (never started: it is not PID 1 there); adduser: the postinst
pkgs_deb="debhelper devscripts lintian fakeroot dpkg-dev exim4-dev nettle-dev systemd adduser"
# make check-fresh, on the host: the throwaway Debian roots
pkgs_fresh="debootstrap git ca-certificates"

want=""
for g in "$@"; do
	eval "p=\${pkgs_$g:-}"
	[ -n "$p" ] || { echo "deps.sh: unknown group $g" >&2; exit 2; }
	want="$want $p"
done

missing=""
for p in $want; do
	# groups share packages: each once
	case " $missing " in
	*" $p "*) continue ;;
	esac
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: missing packages:$missing (run as root to install)" >&2
		exit 1
	fi
	echo "deps.sh: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# Keep package scripts from starting daemons on :25 (Exim).
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
	fi
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
