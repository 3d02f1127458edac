# tests/policy: the policy keywords of spfgate.conf(5) (issue 14)
# through the real spfgate command against tests/dns/testdns.py.
CHECKS +=	tests/policy/check.sh
