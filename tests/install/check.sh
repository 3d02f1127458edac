#!/bin/sh
# check.sh: "make install" into a DESTDIR puts every file where it
# belongs, what it installed works from there, an admin's spfgate.conf
# survives a second install and the uninstall, and "make uninstall"
# leaves no file behind.  Ends with "install: N passed, M failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "FAIL - $*"; }
finish() {
	rm -rf "$D"
	echo "install: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

D=$(mktemp -d /tmp/spfgate-install.XXXXXX)
MAKE=${MAKE:-make}
zone=$top/tests/demo/example.zone

# make DIR TARGET: install or uninstall into DIR as a package build would.
mk() {
	$MAKE -s -C "$top" "$2" DESTDIR="$1" PREFIX=/usr >"$D.log" 2>&1 || {
		sed 's/^/    /' "$D.log" | tail -n 20
		rm -f "$D.log"
		return 1
	}
	rm -f "$D.log"
}

# files FILE MODE...: each installed under $R, with its mode.
files() {
	while [ $# -gt 1 ]; do
		if [ ! -f "$R/$1" ]; then
			nok "$1 not installed"
		elif [ "$(stat -c %a "$R/$1")" != "$2" ]; then
			nok "$1 has mode $(stat -c %a "$R/$1"), want $2"
		else
			ok "$1 installed, mode $2"
		fi
		shift 2
	done
}

R=$D/root
if mk "$R" install; then
	ok "make install DESTDIR=... PREFIX=/usr"
else
	nok "make install DESTDIR=... PREFIX=/usr"
	finish
fi
files \
	usr/bin/spfgate 755 \
	usr/libexec/opensmtpd/filter-spf 755 \
	usr/lib/exim4/exim-spf.so 644 \
	usr/share/man/man1/spfgate.1 644 \
	usr/share/man/man5/spfgate.conf.5 644 \
	usr/share/man/man8/filter-spf.8 644 \
	usr/share/man/man8/exim-spf.8 644 \
	usr/share/man/man8/spfgate-policy.8 644 \
	etc/spfgate.conf 644

# What was installed runs from where it was installed.
out=$("$R/usr/bin/spfgate" check --config "$R/etc/spfgate.conf" \
    --zone "$zone" --timeout 5 192.0.2.10 alice@example.org \
    mail.example.org 2>&1)
case "$?:$out" in
0:*"result:       pass"*) ok "installed spfgate check: pass, exit 0" ;;
*) nok "installed spfgate check: $out" ;;
esac
"$R/usr/bin/spfgate" lint --config "$R/etc/spfgate.conf" --zone "$zone" \
    --timeout 5 example.org >/dev/null 2>&1
s=$?
[ "$s" = 0 ] && ok "installed spfgate lint example.org: exit 0" ||
    nok "installed spfgate lint example.org: exit $s"
out=$("$R/usr/libexec/opensmtpd/filter-spf" --config "$R/etc/spfgate.conf" \
    stray 2>&1)
case "$out" in
*"usage: filter-spf"*) ok "installed filter-spf starts and reads the config" ;;
*) nok "installed filter-spf: $out" ;;
esac
syms=$(nm -D --defined-only "$R/usr/lib/exim4/exim-spf.so" 2>/dev/null |
    awk '{print $3}' | grep '^spf_' | sort | tr '\n' ' ')
[ "$syms" = "spf_action spf_auth_results spf_explain spf_logline spf_reason spf_received spf_result " ] &&
    ok "installed exim-spf.so exports the seven functions" ||
    nok "installed exim-spf.so exports: $syms"

# The example configuration is the policy of the defaults.
if "$R/usr/bin/spfgate" check --config "$R/etc/spfgate.conf" --zone "$zone" \
    --timeout 5 --json 198.51.100.99 mallory@example.org x.example.org |
    grep -q '"action":"reject"'; then
	ok "the installed spfgate.conf parses, fail rejects"
else
	nok "the installed spfgate.conf"
fi

# The pages, as installed.
sh "$top/tests/deps.sh" docs >/dev/null 2>&1
if command -v mandoc >/dev/null 2>&1; then
	if mandoc -Tlint -Wwarning "$R"/usr/share/man/man*/* >"$D/mandoc" 2>&1
	then
		ok "mandoc -Tlint: no warnings or errors"
	else
		nok "mandoc -Tlint: $(cat "$D/mandoc")"
	fi
else
	nok "mandoc is not installed (tests/deps.sh docs)"
fi

# A second install keeps the admin's file and adds the example beside it.
echo "softfail reject" >>"$R/etc/spfgate.conf"
cp "$R/etc/spfgate.conf" "$D/edited"
if mk "$R" install && cmp -s "$D/edited" "$R/etc/spfgate.conf" &&
    cmp -s "$top/etc/spfgate.conf" "$R/etc/spfgate.conf.example"; then
	ok "second install: spfgate.conf kept, spfgate.conf.example added"
else
	nok "second install: spfgate.conf not kept, or no .example"
fi
if mk "$R" uninstall; then
	left=$(cd "$R" && find . \( -type f -o -type l \) | sort | tr '\n' ' ')
	[ "$left" = "./etc/spfgate.conf " ] &&
	    ok "uninstall: only the edited spfgate.conf is left" ||
	    nok "uninstall left: $left"
else
	nok "make uninstall"
fi

# A fresh install and uninstall leave nothing.
if mk "$D/fresh" install && mk "$D/fresh" uninstall; then
	left=$(cd "$D/fresh" && find . \( -type f -o -type l \) | sort |
	    tr '\n' ' ')
	[ -z "$left" ] && ok "install then uninstall: no file left" ||
	    nok "install then uninstall left: $left"
else
	nok "install then uninstall"
fi
finish
