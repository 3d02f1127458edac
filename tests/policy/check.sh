#!/bin/sh
# check.sh: the policy suite (run-policy.py) against build/spfgate from
# the repository top; its exit status is ours.
cd "$(dirname "$0")/../.." || exit 1
exec /usr/bin/python3 tests/policy/run-policy.py "$@"
