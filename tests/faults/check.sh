#!/bin/sh
# check.sh: the DNS fault tests and resource bounds (run-faults.py)
# against build/spfgate, from the repository top; its exit status is
# ours.  Environment: SPFGATE, SPFGATE_ARGS, FAULTS_FLOOD, FAULTS_TIMEOUT
# (see run-faults.py).
cd "$(dirname "$0")/../.." || exit 1
exec /usr/bin/python3 tests/faults/run-faults.py "$@"
