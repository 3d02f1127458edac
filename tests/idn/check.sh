#!/bin/sh
# check.sh: the internationalized mail suite (suite.yml, RFC 8616 4)
# through `spfgate filter`, run by the RFC 7208 suite's runner; its
# exit status is ours.
cd "$(dirname "$0")/../.." || exit 1
SPF_TESTS=tests/idn/suite.yml SUITE_LABEL=idn exec /usr/bin/python3 \
    tests/rfc7208/run-suite.py "$@"
