#!/usr/bin/python3
# run-lint.py: golden-output tests of `spfgate lint`.
#
# Each case serves some zone data with our DNS test server
# (tests/dns/testdns.py, in a thread, on 127.0.0.1 and a free port), runs
#
#     build/spfgate lint --config /dev/null --resolver 127.0.0.1@PORT \
#         --dnssec no --timeout 2 [--json] DOMAIN...
#
# and compares what it printed, and its exit status, with the case's
# file in tests/lint/golden/.  The cases:
#   * every file tests/lint/zones/NAME.yml: real-world-shaped policies.
#     Its header comments name the domains ("# lint: a.example b.example")
#     and any faults of the test server ("# fault: NAME=SPEC", see
#     testdns.py).  Each domain is linted alone (text), then all of them
#     at once with --json; golden/NAME.out holds both.
#   * every scenario of the RFC 7208 suite (SPF_TESTS, as for
#     tests/rfc7208): all the names of its zone data whose TXT or SPF
#     data mentions "spf" are linted in one run; golden/rfc7208-NN.out.
#   * the usage errors, which must exit 1.
# In the JSON, elapsed_ms is written as 0 before comparing.
#
# Options: --update rewrites the golden files from this run (read the
# diff before committing it); -k TEXT runs only the cases whose name has
# TEXT.  Prints a diff for each failing case and ends with the line
# "lint: N passed, M failed"; exits 1 if any failed.

import argparse
import difflib
import os
import re
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "dns"))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
sys.dont_write_bytecode = True     # no __pycache__ in the source tree
import testdns  # noqa: E402  (needs the path set just above)
from tally import Tally  # noqa: E402

SUITE = os.environ.get("SPF_TESTS") or os.path.join(
    REPO, "tests", "rfc7208", "suite", "rfc7208-tests.yml")
SPFGATE = os.environ.get("SPFGATE") or os.path.join(REPO, "build", "spfgate")
ZONES = os.path.join(HERE, "zones")
GOLDEN = os.path.join(HERE, "golden")
RUN_TIMEOUT = 60


def lint(resolver, args):
    """Run spfgate lint; returns its output as the golden files hold
    it: the command, what it printed, its exit status."""
    cmd = [SPFGATE, "lint", "--config", "/dev/null", "--resolver",
           resolver, "--dnssec", "no", "--timeout", "2"] + args
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT)
        out = proc.stdout.decode("utf-8", "replace")
        status = proc.returncode
    except subprocess.TimeoutExpired:
        out, status = "(no end within %d s)\n" % RUN_TIMEOUT, -1
    out = re.sub(r'"elapsed_ms":[0-9]+', '"elapsed_ms":0', out)
    return "$ spfgate lint %s\n%s(exit %d)\n" % (" ".join(args), out,
                                                 status)


def header(path):
    """The domains and faults named in a zone file's header comments."""
    domains, faults = [], {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                break
            m = re.match(r"#\s*lint:\s*(.*)", line)
            if m:
                domains += m.group(1).split()
            m = re.match(r"#\s*fault:\s*(\S+)=(\S+)", line)
            if m:
                faults[m.group(1)] = m.group(2)
    return domains, faults


def run_case(name, zonedata, runs, faults=None):
    """Serve zonedata, make each run (a list of arguments), return the
    whole transcript."""
    server = testdns.TestDNSServer(zonedata or {}, faults=faults or {})
    server.start()
    try:
        return "".join(lint(server.address, args) + "\n" for args in runs)
    finally:
        server.stop()


def zone_cases():
    for fname in sorted(os.listdir(ZONES)):
        if not fname.endswith(".yml"):
            continue
        path = os.path.join(ZONES, fname)
        domains, faults = header(path)
        with open(path, "rb") as f:
            zonedata = yaml.safe_load(f)
        runs = [[d] for d in domains] + [["--json"] + domains]
        yield fname[:-4], zonedata, runs, faults


def suite_cases():
    with open(SUITE, "rb") as f:
        scenarios = list(yaml.safe_load_all(f))
    for number, scenario in enumerate(scenarios, 1):
        zonedata = scenario.get("zonedata") or {}
        domains = []
        for owner, entries in zonedata.items():
            for entry in entries or []:
                if not isinstance(entry, dict):
                    continue
                for key in ("TXT", "SPF"):
                    value = entry.get(key)
                    if isinstance(value, list):
                        value = "".join(str(v) for v in value)
                    if value is not None and "spf" in str(value).lower() \
                            and owner not in domains:
                        domains.append(owner)
        yield "rfc7208-%02d" % number, zonedata, [domains], None


def golden(name, got, update):
    """Compare with (or write) the golden file; True if it passed."""
    path = os.path.join(GOLDEN, name + ".out")
    if update:
        with open(path, "w", encoding="utf-8") as f:
            f.write(got)
        print("updated %s" % os.path.relpath(path, REPO))
        return True
    try:
        with open(path, encoding="utf-8") as f:
            want = f.read()
    except OSError as why:
        print("FAIL %s: %s" % (name, why))
        return False
    if got == want:
        print("ok   %s" % name)
        return True
    print("FAIL %s: output differs from %s" % (name,
                                                os.path.relpath(path, REPO)))
    for line in difflib.unified_diff(want.splitlines(), got.splitlines(),
                                     "golden", "got", lineterm="", n=1):
        print("    " + line)
    return False


def usage_cases():
    """(name, arguments) that must give exit status 1."""
    return [("usage-no-domain", []),
            ("usage-bad-domain", ["not..a.domain"]),
            ("usage-one-label", ["localhost"]),
            ("usage-explain", ["--explain", "example.org"])]


def main():
    parser = argparse.ArgumentParser(description="spfgate lint goldens")
    parser.add_argument("--update", action="store_true")
    parser.add_argument("-k", metavar="TEXT")
    args = parser.parse_args()
    if not os.access(SPFGATE, os.X_OK):
        print("lint: %s is not there (run make)" % SPFGATE)
        print("lint: 0 passed, 1 failed")
        return 1
    tally = Tally("lint")
    cases = list(zone_cases())
    try:
        cases += list(suite_cases())
    except OSError as why:
        tally.check("rfc7208", False, "cannot read the suite: %s" % why)
    for name, zonedata, runs, faults in cases:
        if args.k and args.k not in name:
            continue
        got = run_case(name, zonedata, runs, faults)
        tally.count(golden(name, got, args.update))
    for name, argv in usage_cases():
        if args.k and args.k not in name:
            continue
        proc = subprocess.run([SPFGATE, "lint", "--config", "/dev/null"] +
                              argv, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
        tally.check(name, proc.returncode == 1 and proc.stderr,
                    "exit %d, stderr %r" % (proc.returncode,
                                            proc.stderr[:200]))
    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())
