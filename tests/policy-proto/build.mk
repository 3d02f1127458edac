# tests/policy-proto: "spfgate policy" (issue 17) through Postfix's
# policy delegation protocol on stdin, spawn(8)-style on one socket, and
# over --listen unix: and TCP, against tests/dns/testdns.py; then the
# same under valgrind.
CHECKS +=	tests/policy-proto/check.sh
