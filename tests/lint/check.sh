#!/bin/sh
# check.sh: golden-output tests of "spfgate lint" (run-lint.py) against
# build/spfgate from the repository top; its exit status is ours.
# Environment: SPFGATE, SPF_TESTS (see run-lint.py).  Arguments go to
# run-lint.py: --update rewrites the golden files, -k TEXT selects.
cd "$(dirname "$0")/../.." || exit 1
exec /usr/bin/python3 tests/lint/run-lint.py "$@"
