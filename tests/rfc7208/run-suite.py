#!/usr/bin/python3
# run-suite.py: run the openspf RFC 7208 test suite through `spfgate filter`.
#
# For every scenario (YAML document) of the suite file this starts our
# DNS test server (tests/dns/testdns.py, in a thread) on 127.0.0.1 and a
# free port, serving that scenario's zonedata, then runs
#
#     build/spfgate filter --config /dev/null --resolver 127.0.0.1@PORT \
#         --timeout 4 --default-explanation DEFAULT --max-inflight 64
#
# feeds it one line per test ("host<TAB>mailfrom<TAB>helo", an empty
# mailfrom written as "<>"), closes its input and reads one JSON object
# per line back, in input order.  A test passes when `result` is the
# expected result (or one of the expected list) and, when the test gives
# an `explanation`, the JSON `explanation` is exactly that text (DEFAULT
# is the literal text set by --default-explanation).
#
# It prints a line per failing test (and, unless --no-rerun, runs that
# test again alone and prints its JSON and every query the DNS server
# received for it), a count per scenario, the SKIP table if it is not
# empty, and last a line "rfc7208: N passed, M failed".  It exits 1 when
# a test failed or when spfgate misbehaved: a non-zero exit status, a
# number of output lines other than the number of tests, a line that is
# not a JSON object with the required keys, or a scenario that took more
# than SCENARIO_TIMEOUT seconds.
#
# Beyond the openspf keys a test may give what the JSON must also hold,
# each checked when present (the internationalized mail suite,
# tests/idn, uses them): `received-spf` and `authentication-results`
# (a text each header must contain, or a list of them), `domain` (the
# domain checked, exactly), `problem` (a text the problem contains),
# `sender-invalid-utf8` (true: the JSON flags the sender, false: it does
# not); and a scenario may give `forbidden-queries`, a regular expression
# no query name the DNS server received (in testdns.py's text form, \DDD
# for unprintable octets) may match.  A character U+DC80..U+DCFF in a
# test's fields stands for the octet 0x80..0xFF alone (Python's
# surrogateescape), so a test can hand spfgate what is not UTF-8.
#
# Environment:
#   SPF_TESTS      the suite file (default tests/rfc7208/suite/
#                  rfc7208-tests.yml in the repository)
#   SPFGATE        the binary (default build/spfgate in the repository)
#   SPFGATE_ARGS   more arguments for `spfgate filter` (split like sh words)
#   SUITE_LABEL    the name the summary lines start with (default rfc7208)
# Options: -v prints every test's JSON; -k TEXT runs only the tests whose
# scenario description or test name contains TEXT; --no-rerun skips the
# one-test reruns of failures; --dns-log FILE appends every query the DNS
# server receives to FILE (see testdns.py for the format), with a line
# "# scenario ..." before each scenario's.
#
# Run it from anywhere with /usr/bin/python3 (it needs PyYAML); check.sh
# is the wrapper `make check` uses.

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "dns"))
sys.dont_write_bytecode = True     # no __pycache__ in the source tree
import testdns  # noqa: E402  (needs the path set just above)

SUITE = os.environ.get("SPF_TESTS") or os.path.join(
    REPO, "tests", "rfc7208", "suite", "rfc7208-tests.yml")
SPFGATE = os.environ.get("SPFGATE") or os.path.join(REPO, "build", "spfgate")
SPFGATE_ARGS = shlex.split(os.environ.get("SPFGATE_ARGS", ""))
# The name in front of the summary lines (tests/idn/check.sh: "idn").
LABEL = os.environ.get("SUITE_LABEL") or "rfc7208"

# Wall clock limit for one spfgate run (a whole scenario).
SCENARIO_TIMEOUT = 60
# ... and for the rerun of a single failing test.
RERUN_TIMEOUT = 15
# At most this many failing tests are rerun alone in one run of the suite.
RERUN_LIMIT = 40

# Every JSON line of spfgate filter must have these keys.
REQUIRED_KEYS = ("result", "explanation", "domain", "identity", "mechanism",
                 "problem", "lookups", "void_lookups", "action",
                 "received_spf", "authentication_results")

# Tests not run, each with the RFC reason: test name -> reason.  Keep it
# empty; a test goes here only when RFC 7208 (or the DNS RFCs) make its
# expectation impossible for a checker that reads real DNS, never because
# spfgate fails it.  Every entry is printed in the summary.
SKIP = {
}


def spfgate_command(resolver):
    """The spfgate filter command line for a DNS server at resolver."""
    return [SPFGATE, "filter", "--config", "/dev/null",
            "--resolver", resolver, "--timeout", "4",
            "--default-explanation", "DEFAULT",
            "--max-inflight", "64",
            # each test names the identity it checks: the site's
            # separate HELO check would add a second evaluation
            "--helo-check", "no"] + SPFGATE_ARGS


def input_line(test):
    """The filter input line of a test, or None if a field cannot be put
    on one tab-separated line."""
    fields = [str(test["host"]), str(test["mailfrom"]) or "<>",
              str(test["helo"])]
    for field in fields:
        if "\t" in field or "\n" in field:
            return None
    return "\t".join(fields) + "\n"


def expected_results(test):
    """The acceptable results of a test as a list, the preferred first."""
    result = test["result"]
    if isinstance(result, list):
        return [str(r) for r in result]
    return [str(result)]


def run_spfgate(resolver, lines, timeout):
    """Run spfgate filter on lines.  Returns (output lines or None,
    list of problems with the run, stderr text)."""
    problems = []
    data = "".join(lines).encode("utf-8", "surrogateescape")
    try:
        proc = subprocess.run(spfgate_command(resolver), input=data,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        problems.append("did not finish within %d s" % timeout)
        stderr = (expired.stderr or b"").decode("utf-8", "replace")
        return None, problems, stderr
    except OSError as why:
        problems.append("cannot run %s: %s" % (SPFGATE, why))
        return None, problems, ""
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        problems.append("exit status %d" % proc.returncode)
    output = proc.stdout.split(b"\n")
    if output and output[-1] == b"":
        output.pop()
    else:
        problems.append("output does not end in a newline")
    if len(output) != len(lines):
        problems.append("%d output lines for %d input lines"
                        % (len(output), len(lines)))
    return output, problems, stderr


def parse_output_line(raw):
    """One output line as a dict, or (None, why) when it is not a JSON
    object with the required keys."""
    try:
        obj = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not UTF-8: %r" % raw[:200]
    except ValueError as why:
        return None, "bad JSON (%s): %r" % (why, raw[:200])
    if not isinstance(obj, dict):
        return None, "not a JSON object: %r" % raw[:200]
    if "error" in obj:
        return None, "error answer: %s" % json.dumps(obj)
    missing = [key for key in REQUIRED_KEYS if key not in obj]
    if missing:
        return None, "missing keys %s: %s" % (", ".join(missing),
                                               json.dumps(obj))
    return obj, None


def judge(test, obj):
    """Return None if the JSON object passes the test, else why not."""
    wanted = expected_results(test)
    got = obj.get("result")
    why = []
    if got not in wanted:
        why.append("expected %s, got %s" % ("|".join(wanted), got))
    if "explanation" in test and obj.get("explanation") != \
            test["explanation"]:
        why.append("explanation expected %r, got %r"
                   % (test["explanation"], obj.get("explanation")))
    for key in ("received-spf", "authentication-results"):
        field = obj.get(key.replace("-", "_")) or ""
        wants = test.get(key, [])
        for want in wants if isinstance(wants, list) else [wants]:
            if want not in field:
                why.append("%s lacks %r: %r" % (key, want, field))
    if "domain" in test and obj.get("domain") != test["domain"]:
        why.append("domain expected %r, got %r" % (test["domain"],
                                                  obj.get("domain")))
    if "problem" in test and test["problem"] not in (obj.get("problem")
                                                     or ""):
        why.append("problem lacks %r: %r" % (test["problem"],
                                            obj.get("problem")))
    if "sender-invalid-utf8" in test and \
            bool(obj.get("sender_invalid_utf8")) != \
            test["sender-invalid-utf8"]:
        why.append("sender_invalid_utf8 expected %s"
                   % test["sender-invalid-utf8"])
    return "; ".join(why) or None


def forbidden_queries(scenario, server):
    """The query names of the scenario's run that it forbids."""
    pattern = scenario.get("forbidden-queries")
    if not pattern:
        return []
    return ["%s %s" % (entry.qname, entry.qtype)
            for entry in server.queries() if re.search(pattern, entry.qname)]


def rerun(server, line):
    """Run one test alone against the (still running) server; return the
    lines to print: its JSON and the queries the server received."""
    server.clear_queries()
    output, problems, stderr = run_spfgate(server.address, [line],
                                           RERUN_TIMEOUT)
    report = ["    rerun alone: %s" % line.rstrip("\n").replace("\t", " | ")]
    for problem in problems:
        report.append("    rerun problem: %s" % problem)
    for raw in output or []:
        report.append("    json: %s" % raw.decode("utf-8", "replace"))
    for text in stderr.splitlines()[:20]:
        report.append("    stderr: %s" % text)
    queries = server.queries()
    if not queries:
        report.append("    dns: (no queries received)")
    start = queries[0].time if queries else 0
    for entry in queries:
        report.append("    dns: +%5.2fs %s %s %s -> %s" % (
            entry.time - start, entry.transport, entry.qname, entry.qtype,
            entry.outcome))
    return report


def run_scenario(number, scenario, args, reruns_left):
    """Run one scenario; return (passed, failed, misbehaved, reruns
    made)."""
    title = "#%d %s" % (number, scenario.get("description", "?"))
    selected = []
    for name, test in (scenario.get("tests") or {}).items():
        if args.k and args.k not in name and \
                args.k not in scenario.get("description", ""):
            continue
        if name in SKIP:
            continue
        selected.append((name, test))
    if not selected:
        return 0, 0, False, 0

    passed = failed = 0
    misbehaved = False
    lines = []
    runnable = []
    for name, test in selected:
        line = input_line(test)
        if line is None:
            print("FAIL [%s] %s: cannot be written as an input line"
                  % (title, name))
            failed += 1
        else:
            lines.append(line)
            runnable.append((name, test, line))

    if args.dns_log:
        with open(args.dns_log, "a", encoding="utf-8") as log:
            log.write("# scenario %s\n" % title)
    server = testdns.TestDNSServer(scenario.get("zonedata") or {},
                                   log_path=args.dns_log)
    server.start()
    try:
        started = time.monotonic()
        output, problems, stderr = run_spfgate(server.address, lines,
                                               SCENARIO_TIMEOUT)
        elapsed = time.monotonic() - started
        for problem in problems:
            print("MISBEHAVIOUR [%s]: spfgate %s" % (title, problem))
            misbehaved = True
        if problems:
            for text in stderr.splitlines()[:40]:
                print("    stderr: %s" % text)

        for query in forbidden_queries(scenario, server):
            print("FAIL [%s]: forbidden query %s" % (title, query))
            failed += 1

        failures = []
        for index, (name, test, line) in enumerate(runnable):
            if output is None or index >= len(output):
                why, obj = "no output line", None
            else:
                obj, why = parse_output_line(output[index])
                if obj is None:
                    print("MISBEHAVIOUR [%s] %s: %s" % (title, name, why))
                    misbehaved = True
                else:
                    why = judge(test, obj)
            if why is None:
                passed += 1
                wanted = expected_results(test)
                if obj["result"] != wanted[0]:
                    print("WARN [%s] %s: %s accepted, %s preferred"
                          % (title, name, obj["result"], wanted[0]))
                if args.verbose:
                    print("ok   [%s] %s: %s" % (title, name,
                                                json.dumps(obj)))
                continue
            failed += 1
            failures.append((name, line))
            detail = ""
            if obj is not None:
                detail = " (problem=%r mechanism=%r)" % (
                    obj.get("problem"), obj.get("mechanism"))
            print("FAIL [%s] %s: %s%s" % (title, name, why, detail))
            if obj is not None:
                print("    json: %s" % json.dumps(obj))

        # Run each failure again alone, to show the queries it made.
        reruns = 0
        for name, line in failures:
            if args.no_rerun:
                break
            if reruns >= reruns_left:
                print("  (no more reruns: RERUN_LIMIT reached)")
                break
            reruns += 1
            print("  %s, rerun:" % name)
            for text in rerun(server, line):
                print(text)
    finally:
        server.stop()
    print("scenario %s: %d passed, %d failed (%.1fs)"
          % (title, passed, failed, elapsed))
    return passed, failed, misbehaved, reruns


def main():
    parser = argparse.ArgumentParser(
        description="Run the RFC 7208 test suite through spfgate filter.")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print the JSON of every test")
    parser.add_argument("-k", metavar="TEXT",
                        help="only tests whose name or scenario has TEXT")
    parser.add_argument("--no-rerun", action="store_true",
                        help="do not rerun failing tests alone")
    parser.add_argument("--dns-log", metavar="FILE",
                        help="append every DNS query received to FILE")
    args = parser.parse_args()

    with open(SUITE, "rb") as f:
        scenarios = list(yaml.safe_load_all(f))
    total = sum(len(s.get("tests") or {}) for s in scenarios)
    print(LABEL + ": %d scenarios, %d tests from %s" % (len(scenarios), total,
                                                       SUITE))
    print(LABEL + ": %s" % " ".join(shlex.quote(word) for word in
                                   spfgate_command("127.0.0.1@PORT")))
    if not os.access(SPFGATE, os.X_OK):
        print(LABEL + ": %s is not there or not executable (run make)"
              % SPFGATE)
        print(LABEL + ": 0 passed, %d failed" % total)
        return 1

    passed = failed = 0
    misbehaved = False
    reruns_left = RERUN_LIMIT
    for number, scenario in enumerate(scenarios, 1):
        p, f, m, r = run_scenario(number, scenario, args, reruns_left)
        reruns_left -= r
        passed += p
        failed += f
        misbehaved = misbehaved or m

    known = set()
    for scenario in scenarios:
        known.update(scenario.get("tests") or {})
    for name, reason in sorted(SKIP.items()):
        print("SKIP %s: %s" % (name, reason))
        if name not in known:
            print(LABEL + ": SKIP names %s, which is not a test" % name)
            failed += 1
    print(LABEL + ": %d tests skipped" % len(SKIP))
    if misbehaved:
        print(LABEL + ": spfgate misbehaved (see MISBEHAVIOUR lines)")
    print(LABEL + ": %d passed, %d failed" % (passed, failed))
    return 1 if failed or misbehaved else 0


if __name__ == "__main__":
    sys.exit(main())
