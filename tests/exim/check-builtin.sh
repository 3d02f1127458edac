#!/bin/sh
# check-builtin.sh: exim-spf.so side by side with Exim's built-in SPF
# (the `spf =` ACL condition, libspf2) in the same Exim, for every test
# of the RFC 7208 suite (builtin-compare.py says how they are compared
# and lists the known differences with the RFC's reasons).
# libspf2 asks the system resolver, so inside the private mount
# namespace /etc/resolv.conf is a bind mount of a file naming
# 127.0.0.1, where the test DNS server answers on port 53.
# Run from the repository top, as root, after make.
#   SPF_TESTS: the suite file (default tests/rfc7208/suite/rfc7208-tests.yml)
#   ONLY: run only the tests whose name contains this
. "$(dirname "$0")/lib.sh"
DNSPORT=53
enter_test "$@"

suite=${SPF_TESTS:-$top/tests/rfc7208/suite/rfc7208-tests.yml}
if [ ! -r "$suite" ]; then
	not_ok "the RFC 7208 suite is readable" "$suite"
	finish
fi

printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' \
    >"$S/resolv.conf"
chmod 644 "$S/resolv.conf"
mount --bind "$S/resolv.conf" /etc/resolv.conf

spfgate_conf "$S/spfgate.conf" "timeout 3"
exim_conf "$S/exim.conf" "$S/spfgate.conf"
# The MAIL ACL asks both and logs the two results; nothing else.
awk '/^acl_check_mail:/ {
	print
	print "  warn    spf = pass : fail : softfail : neutral : none : permerror : temperror"
	print "  warn    logwrite = SPFCMP builtin=$spf_result ours=${dlfunc{SPF_SO}{spf_result}SPF_ARGS}"
	print "  accept"
	skip = 1
	next
    }
    skip && /^acl_check_rcpt:/ { skip = 0 }
    !skip' "$S/exim.conf" >"$S/exim-cmp.conf"
# Exim's own resolver, which libspf2 uses: one try, one second.
sed -i '1a\
dns_retrans = 1s\
dns_retry = 1\
allow_domain_literals = true' "$S/exim-cmp.conf"
chmod 644 "$S/exim-cmp.conf"

"$PYTHON" "$here/builtin-compare.py" "$EXIM" "$S/exim-cmp.conf" "$suite" \
    ${ONLY:+"$ONLY"}
