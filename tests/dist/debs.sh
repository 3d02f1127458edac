#!/bin/sh
# debs.sh [OUTDIR]: build the three Debian packages and leave them, with
# their .changes and .buildinfo, in OUTDIR (default build/debs).  The
# build runs in a copy of the tree under /tmp, because the package
# build's "make clean" removes build/ (where make's own products are)
# and dpkg-buildpackage writes into the parent directory.  It runs
#
#	DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b
#
# nocheck: debian/rules would otherwise run the whole "make check"
# (root, namespaces, real mail servers) inside the package build.
# Needs the packaging tools (make debs installs them: tests/deps.sh
# build deb).  Prints the .debs' paths on its last lines; exits non-zero
# with the build log's tail on failure.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/build/debs}
case $out in
/*) ;;
*) out=$(pwd)/$out ;;
esac

for t in dpkg-buildpackage dh fakeroot dpkg-parsechangelog; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "debs.sh: $t missing (run: sh tests/deps.sh build deb)" >&2
		exit 1
	fi
done

W=$(mktemp -d /tmp/spfgate-debs.XXXXXX) || exit 1
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM
version=$(cd "$top" && dpkg-parsechangelog -S Version) || exit 1
src=$W/spfgate-$version
mkdir -p "$src"
# What git knows or would add, without build products; a plain copy
# outside a git checkout.
(cd "$top" && { git ls-files -co --exclude-standard 2>/dev/null ||
    find . -type f | sed 's|^\./||'; } |
    grep -v -e '^build/' -e '^\.git/' \
        -e '^debian/\(tmp\|spfgate\|opensmtpd-filter-spf\|exim4-spf\)/' \
        -e '^debian/\.debhelper/' -e '^debian/files$' \
        -e '^debian/.*\.substvars$' -e '^debian/.*\.log$' \
        -e '^debian/debhelper-build-stamp$' |
    while read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done |
    tar -cf - -T -) | tar -xf - -C "$src" || exit 1

echo "debs.sh: building spfgate $version in $src"
if ! (cd "$src" && DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" \
    nice dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1; then
	echo "debs.sh: dpkg-buildpackage failed:" >&2
	tail -n 40 "$W/build.log" | sed 's/^/    /' >&2
	exit 1
fi
mkdir -p "$out"
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
cp "$W"/*.deb "$W"/*.changes "$W"/*.buildinfo "$out"/ || exit 1
cp "$W/build.log" "$out/build.log"
echo "debs.sh: in $out:"
ls "$out"/*.deb
