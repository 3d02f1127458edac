#!/bin/sh
# check.sh: run the RFC 7208 conformance suite (run-suite.py) against
# build/spfgate from the repository top; its exit status is ours.
# Environment: SPF_TESTS, SPFGATE, SPFGATE_ARGS (see run-suite.py).
cd "$(dirname "$0")/../.." || exit 1
exec /usr/bin/python3 tests/rfc7208/run-suite.py "$@"
