#!/bin/sh
# check.sh: the Debian packages.  Builds them as "make debs" does
# (tests/dist/debs.sh: "dpkg-buildpackage -us -uc -b" with
# DEB_BUILD_OPTIONS=nocheck in a copy of the tree, so the package build
# never runs make check inside make check) into build/debs, where they
# stay for the README's "apt install"; looks into the
# three packages, runs lintian, installs them with dpkg into a throwaway
# root, runs spfgate check and lint against tests/demo/example.zone from
# the installed files (and, where Exim is installed, tests/exim's -bh
# test with the installed module), and purges them again.
#
# The packaging tools are a test dependency like any other: make check
# and make dist-check install them (tests/deps.sh deb); without them
# this fails.  KEEP=1 keeps the work directory.
# Ends with "dist: N passed, M failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "FAIL - $*"; }

missing=""
for t in dpkg-buildpackage dh lintian fakeroot dpkg-parsechangelog; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ]; then
	nok "packaging tools missing:$missing (tests/deps.sh deb)"
	echo "dist: $pass passed, $fail failed"
	exit 1
fi

W=$(mktemp -d /tmp/spfgate-dist.XXXXXX)
finish() {
	if [ -n "${KEEP:-}" ]; then
		echo "dist: work directory kept: $W"
	else
		rm -rf "$W"
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

if lintian --fail-on error --tag-display-limit 0 \
    "$D"/spfgate_"${version}"_"$arch".changes >"$W/lintian.log" 2>&1; then
	ok "lintian: no errors"
else
	nok "lintian reports errors"
fi
sed 's/^/    /' "$W/lintian.log"

# A throwaway root: an empty dpkg database, the packages unpacked and
# configured by the real dpkg.  Libraries come from this system, which
# the root's database does not know: hence --force-depends.
R=$W/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
: >"$R/var/lib/dpkg/status"
: >"$R/var/lib/dpkg/available"
if dpkg --root="$R" --force-depends -i "$D"/spfgate_"${version}"_"$arch".deb \
    "$D"/opensmtpd-filter-spf_"${version}"_"$arch".deb \
    "$D"/exim4-spf_"${version}"_"$arch".deb >"$W/dpkg.log" 2>&1; then
	ok "dpkg --root: the three packages installed"
else
	nok "dpkg --root: installing failed"
	sed 's/^/    /' "$W/dpkg.log"
	finish
fi
n=$(dpkg --root="$R" -l 2>/dev/null | grep -c '^ii ')
[ "$n" = 3 ] && ok "dpkg --root -l: three packages installed" ||
    nok "dpkg --root -l: $n packages installed"

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
	left=$(cd "$R" && find . -path ./var/lib/dpkg -prune -o \
	    \( -type f -o -type l \) -print | sort | tr '\n' ' ')
	[ -z "$left" ] && ok "dpkg --purge: nothing left" ||
	    nok "dpkg --purge left: $left"
else
	nok "dpkg --purge"
	sed 's/^/    /' "$W/purge.log"
fi
finish
