# tests/faults/build.mk: DNS fault injection and resource bounds for
# "spfgate filter" (tests/faults/run-faults.py, with tests/dns/testdns.py
# and tests/faults/flooddns.py).  Included by the top Makefile.
#
#   make check-faults   run them alone; FAULTS_FLOOD=N (default 1500)
#                       senders in the flood, 0 skips it

CHECKS +=	tests/faults/check.sh

check-faults: all
	@sh tests/faults/check.sh

.PHONY: check-faults

# Regression tests of findings not fixed yet (not in CHECKS: they fail
# until the fixes land; see tests/faults/pending.sh).
check-pending: all
	@sh tests/faults/pending.sh

.PHONY: check-pending
