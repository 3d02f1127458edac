#!/usr/bin/python3
# run-faults.py: DNS fault tests and resource bounds for spfgate.
#
# Part 1, faults.  Our DNS test server (tests/dns/testdns.py, in this
# process) misbehaves on purpose for chosen names; every case below is a
# sender whose evaluation meets one fault: no answer, SERVFAIL, REFUSED,
# truncated UDP answers (TCP fallback), TXT answers over 512 and over
# 4,096 octets, many TXT records, CNAME chains and loops, answers of the
# wrong type, a TXT character-string whose length runs past its rdata,
# answers for the wrong name.  All cases go through one
#
#     build/spfgate filter --config /dev/null --resolver 127.0.0.1@PORT \
#         --timeout 3 --dnssec no --default-explanation DEFAULT
#
# at once, as a mail server's stream would, and each must give its
# stated result (and problem, explanation, DNS transport where it says),
# with elapsed_ms within the timeout and the whole run within the
# timeout plus start-up on the wall clock.
#
# Part 2, resource bounds (skipped when FAULTS_FLOOD=0).  A flood of
# distinct senders whose records all use the maximum lookups: ten
# includes, each "v=spf1 mx -all" with ten MX names (served by
# flooddns.py, which makes the names up).  Every line must be answered
# (permerror: the 11th DNS term), every evaluation must ask exactly what
# RFC 7208 4.6.4 allows and no more, as counted by the DNS server (never
# a question for the includes past the limit), no more evaluations may
# be in flight than --max-inflight says (1000, and 10 for a burst of
# 200; the server sees each sender's first and last question), and the
# peak RSS of spfgate filter must not grow with twice the flood.  The
# peak RSS per 1,000 evaluations in flight is reported, from the flood
# against 100 senders all in flight at once (and one sender: the idle
# footprint, which grows with --max-inflight as libunbound's tables do).
#
# Environment: SPFGATE (the binary, default build/spfgate), SPFGATE_ARGS
# (more arguments), FAULTS_FLOOD (senders in the flood, default 1500;
# 0 skips part 2), FAULTS_TIMEOUT (seconds, default 3).  Option -v
# prints every JSON line and the server's queries per case.
# Ends with "faults: N passed, M failed"; exits 1 on any failure.

import json
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "dns"))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import testdns  # noqa: E402
import flooddns  # noqa: E402

SPFGATE = os.environ.get("SPFGATE") or os.path.join(REPO, "build", "spfgate")
SPFGATE_ARGS = shlex.split(os.environ.get("SPFGATE_ARGS", ""))
TIMEOUT = float(os.environ.get("FAULTS_TIMEOUT", "3"))
FLOOD = int(os.environ.get("FAULTS_FLOOD", "1500"))
VERBOSE = "-v" in sys.argv[1:]
# elapsed_ms may pass the timeout by the turn of the event loop that
# delivers the result; the wall clock also pays for start-up (the
# resolver, and an ASan or valgrind build)
ELAPSED_SLACK_MS = 250
WALL_SLACK = 5.0
CLIENT = "192.0.2.10"
DEFAULT_EXP = "DEFAULT"

sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
from tally import Tally  # noqa: E402  (needs the path set just above)

T = Tally("faults", quiet=not VERBOSE)
check = T.check


# ---------------------------------------------------------------------------
# The cases.  Each has a domain of its own, NAME.faults.example.com; "@"
# in the zone data and faults below stands for it.  expect is the list
# of acceptable results, the first the one RFC 7208 (or the evaluator's
# documented choice) gives; why says where the result comes from.

def huge(n):
    return "huge-txt:%d" % n


CASES = [
    # -- no answer at all -------------------------------------------------
    dict(name="timeout-record",
         zone={"@": [{"TXT": "v=spf1 +all"}]},
         faults={"@": "drop"},
         expect=["temperror"], timed_out=True,
         problem="no DNS answer within",
         why="the SPF record never comes: a DNS error (4.4), after the "
             "configured timeout, not libunbound's own 6-17 s"),
    dict(name="timeout-include",
         zone={"@": [{"TXT": "v=spf1 include:inc.@ -all"}],
               "inc.@": [{"TXT": "v=spf1 +all"}]},
         faults={"inc.@": "drop"},
         expect=["temperror"], timed_out=True,
         why="include's record times out: temperror passes up (5.2)"),
    dict(name="timeout-a",
         zone={"@": [{"TXT": "v=spf1 a:host.@ -all"}],
               "host.@": [{"A": CLIENT}]},
         faults={"host.@": "drop@A"},
         expect=["temperror"], timed_out=True,
         why="the a mechanism's question gets no answer (5.3, 4.4)"),
    dict(name="timeout-mx-host",
         zone={"@": [{"TXT": "v=spf1 mx -all"}, {"MX": [10, "mx1.@"]},
                     {"MX": [20, "mx2.@"]}],
               "mx1.@": [{"A": "198.51.100.1"}],
               "mx2.@": [{"A": "198.51.100.2"}]},
         faults={"mx2.@": "drop"},
         expect=["temperror"], timed_out=True,
         why="one MX host's address never comes and none matched"),
    dict(name="timeout-exp",
         zone={"@": [{"TXT": "v=spf1 -all exp=why.@"}],
               "why.@": [{"TXT": "never seen"}]},
         faults={"why.@": "drop"},
         expect=["fail"], explanation=DEFAULT_EXP,
         why="an explanation that does not come never changes the "
             "result: the default explanation instead (6.2)"),
    # libunbound asks again 1 s and 2 s after the first try and drops
    # late answers to earlier tries, so a server slower than 1 s costs
    # over 3 s per question (1.1 s: 3.1 s; 2.5 s: 8.5 s): stay below.
    dict(name="slow-within-timeout",
         zone={"@": [{"TXT": "v=spf1 ip4:%s -all" % CLIENT}]},
         faults={"@": "delay:800"},
         expect=["pass"],
         why="an answer 0.8 s late, within the timeout, is used"),
    dict(name="slow-past-timeout",
         zone={"@": [{"TXT": "v=spf1 ip4:%s -all" % CLIENT}]},
         faults={"@": "delay:%d" % int(TIMEOUT * 1000 * 2)},
         expect=["temperror"], timed_out=True,
         why="an answer later than the timeout is not waited for"),

    # -- error answers ----------------------------------------------------
    dict(name="servfail-record",
         zone={"@": [{"TXT": "v=spf1 +all"}]},
         faults={"@": "servfail"},
         expect=["temperror"], problem="DNS error",
         why="SERVFAIL for the record: temperror (4.4)"),
    dict(name="refused-record",
         zone={"@": [{"TXT": "v=spf1 +all"}]},
         faults={"@": "refused"},
         expect=["temperror"], problem="DNS error",
         why="REFUSED reaches us as SERVFAIL from libunbound: temperror"),
    dict(name="servfail-include",
         zone={"@": [{"TXT": "v=spf1 include:inc.@ -all"}],
               "inc.@": [{"TXT": "v=spf1 +all"}]},
         faults={"inc.@": "servfail"},
         expect=["temperror"],
         why="include's record errs: temperror passes up (5.2)"),
    dict(name="refused-exists",
         zone={"@": [{"TXT": "v=spf1 exists:%{i}.bl.@ -all"}],
               "%s.bl.@" % CLIENT: [{"A": "127.0.0.2"}]},
         faults={"%s.bl.@" % CLIENT: "refused"},
         expect=["temperror"],
         why="exists (with a macro) gets REFUSED: temperror (5.7)"),
    dict(name="servfail-mx",
         zone={"@": [{"TXT": "v=spf1 mx -all"}, {"MX": [10, "mx1.@"]}],
               "mx1.@": [{"A": CLIENT}]},
         faults={"@": "servfail@MX"},
         expect=["temperror"],
         why="the MX question errs: temperror (5.4)"),
    dict(name="servfail-exp",
         zone={"@": [{"TXT": "v=spf1 -all exp=why.@"}],
               "why.@": [{"TXT": "never seen"}]},
         faults={"why.@": "servfail"},
         expect=["fail"], explanation=DEFAULT_EXP,
         why="an explanation lookup error: default explanation (6.2)"),
    dict(name="servfail-ptr",
         zone={"@": [{"TXT": "v=spf1 ptr -all"}],
               "10.2.0.192.in-addr.arpa": [{"PTR": "host.@"}],
               "host.@": [{"A": CLIENT}]},
         faults={"10.2.0.192.in-addr.arpa": "servfail"},
         expect=["fail"],
         why="a PTR error makes ptr not match (5.5), so -all decides"),

    # -- truncation and size ----------------------------------------------
    dict(name="truncated-tcp-fallback",
         zone={"@": [{"TXT": "v=spf1 ip4:%s -all" % CLIENT}]},
         faults={"@": "truncate-always"},
         expect=["pass"], tcp=True,
         why="every UDP answer has TC=1: libunbound asks again over TCP"),
    dict(name="truncated-tcp-too",
         zone={"@": [{"TXT": "v=spf1 ip4:%s -all" % CLIENT}]},
         faults={"@": "truncate-always:tcp"},
         expect=["temperror"], tcp=True,
         why="a server that never gives a whole answer: DNS error"),
    dict(name="txt-over-512",
         zone={"@": [{"TXT": "v=spf1 -all"}]},
         faults={"@": huge(1000)},
         client="192.0.2.1", expect=["pass"],
         why="a 1,000-octet record (ip4:192.0.2.1 ... -all) over EDNS"),
    dict(name="txt-over-edns",
         zone={"@": [{"TXT": "v=spf1 -all"}]},
         faults={"@": huge(1400)},
         client="192.0.2.1", expect=["pass"], tcp=True,
         why="a 1,400-octet record exceeds libunbound's EDNS size "
             "(1,232): truncated, then TCP"),
    dict(name="txt-over-4096",
         zone={"@": [{"TXT": "v=spf1 -all"}]},
         faults={"@": huge(5000)},
         client="192.0.2.1", expect=["pass"], tcp=True,
         why="a 5,000-octet record cannot come over UDP at all"),
    dict(name="txt-32k",
         zone={"@": [{"TXT": "v=spf1 -all"}]},
         faults={"@": huge(32000)},
         client="192.0.2.1", expect=["pass"], tcp=True,
         why="a 32,000-octet record: parsed whole (2,000 terms)"),
    dict(name="exp-over-512",
         zone={"@": [{"TXT": "v=spf1 -all exp=why.@"}],
               "why.@": [{"TXT": "x"}]},
         faults={"why.@": huge(3000)},
         expect=["fail"], explanation_len=(200, 511),
         why="a 3,000-octet explanation is cut to the 511 octets kept"),
    dict(name="many-txt",
         zone={"@": [{"TXT": "v=spf1 ip4:%s -all" % CLIENT}]},
         faults={"@": "many-txt:50"},
         expect=["pass"],
         why="50 other TXT records beside the one SPF record (4.5)"),
    dict(name="many-txt-tcp",
         zone={"@": [{"TXT": "v=spf1 ip4:%s -all" % CLIENT}]},
         faults={"@": "many-txt:400"},
         expect=["pass"], tcp=True,
         why="400 TXT records (over 4,096 octets): TCP, then the SPF one"),
    dict(name="two-spf-records",
         zone={"@": [{"TXT": "v=spf1 +all"}, {"TXT": "v=spf1 -all"}]},
         expect=["permerror"], problem="2 SPF records",
         why="two records starting v=spf1 (4.5)"),
    dict(name="many-txt-exp",
         zone={"@": [{"TXT": "v=spf1 -all exp=why.@"}],
               "why.@": [{"TXT": "one"}]},
         faults={"why.@": "many-txt:5"},
         expect=["fail"], explanation=DEFAULT_EXP,
         why="an explanation of several TXT records is unusable (6.2)"),

    # -- CNAMEs -----------------------------------------------------------
    dict(name="cname-chain",
         zone={"@": [{"CNAME": "c1.@"}],
               "c1.@": [{"CNAME": "c2.@"}], "c2.@": [{"CNAME": "c3.@"}],
               "c3.@": [{"CNAME": "c4.@"}],
               "c4.@": [{"TXT": "v=spf1 a:h.@ -all"}],
               "h.@": [{"CNAME": "h1.@"}], "h1.@": [{"A": CLIENT}]},
         expect=["pass"],
         why="CNAME chains for the record and for a are followed"),
    dict(name="cname-chain-long",
         zone=dict([("@", [{"CNAME": "c1.@"}])] +
                   [("c%d.@" % i, [{"CNAME": "c%d.@" % (i + 1)}])
                    for i in range(1, 20)] +
                   [("c20.@", [{"TXT": "v=spf1 +all"}])]),
         expect=["temperror"],
         why="20 CNAMEs in a row: libunbound gives up (SERVFAIL)"),
    dict(name="cname-loop",
         zone={"@": [{"TXT": "v=spf1 +all"}]},
         faults={"@": "cname-loop"},
         expect=["temperror"],
         why="a name that is a CNAME to itself: SERVFAIL, temperror"),
    dict(name="cname-loop-two",
         zone={"@": [{"TXT": "v=spf1 include:l1.@ -all"}],
               "l1.@": [{"CNAME": "l2.@"}], "l2.@": [{"CNAME": "l1.@"}]},
         expect=["temperror"],
         why="an include target in a two-name CNAME loop: temperror"),

    # -- wrong answers ----------------------------------------------------
    dict(name="wrong-type-record",
         zone={"@": [{"TXT": "v=spf1 +all"}]},
         faults={"@": "wrong-type"},
         expect=["none"],
         why="TXT answered with an A record: no TXT, so no SPF record "
             "(libunbound hands over NODATA)"),
    dict(name="wrong-type-include",
         zone={"@": [{"TXT": "v=spf1 include:inc.@ -all"}],
               "inc.@": [{"TXT": "v=spf1 +all"}]},
         faults={"inc.@": "wrong-type"},
         expect=["permerror"], problem="no SPF record",
         why="an include target without an SPF record (5.2)"),
    dict(name="wrong-type-a",
         zone={"@": [{"TXT": "v=spf1 a:host.@ -all"}],
               "host.@": [{"A": CLIENT}]},
         faults={"host.@": "wrong-type"},
         expect=["fail"],
         why="A answered with TXT: no address, a void lookup, no match"),
    dict(name="wrong-name-record",
         zone={"@": [{"TXT": "v=spf1 +all"}]},
         faults={"@": "wrong-name"},
         expect=["none"],
         why="the record under another owner is not this name's"),
    dict(name="wrong-name-a",
         zone={"@": [{"TXT": "v=spf1 a:host.@ -all"}],
               "host.@": [{"A": CLIENT}]},
         faults={"host.@": "wrong-name"},
         expect=["fail"],
         why="an address for another name never matches"),
    dict(name="wrong-name-include",
         zone={"@": [{"TXT": "v=spf1 include:inc.@ -all"}],
               "inc.@": [{"TXT": "v=spf1 +all"}]},
         faults={"inc.@": "wrong-name"},
         expect=["permerror"],
         why="the include target's record came for another name"),

    # -- malformed rdata ----------------------------------------------------
    dict(name="bad-txt-length",
         zone={"@": [{"TXT": "v=spf1 +all"}]},
         faults={"@": "bad-txt-length"},
         expect=["temperror"], problem="malformed",
         why="a character-string length past the rdata reaches us as "
             "it came; our decoder refuses it: a DNS error"),
    dict(name="bad-txt-length-include",
         zone={"@": [{"TXT": "v=spf1 include:inc.@ -all"}],
               "inc.@": [{"TXT": "v=spf1 +all"}]},
         faults={"inc.@": "bad-txt-length"},
         expect=["temperror"],
         why="the same inside an include"),
    dict(name="bad-txt-length-exp",
         zone={"@": [{"TXT": "v=spf1 -all exp=why.@"}],
               "why.@": [{"TXT": "never seen"}]},
         faults={"why.@": "bad-txt-length"},
         expect=["fail"], explanation=DEFAULT_EXP,
         why="a malformed explanation: the default one (6.2)"),

    # -- baselines ----------------------------------------------------------
    dict(name="nxdomain",
         zone={"other.@": [{"A": CLIENT}]},
         sender_domain="absent.@",
         expect=["none"],
         why="no such domain: none (4.3)"),
    dict(name="mx-too-many",
         zone=dict([("@", [{"TXT": "v=spf1 mx -all"}] +
                     [{"MX": [i, "m%d.@" % i]} for i in range(11)])] +
                   [("m%d.@" % i, [{"A": "198.51.100.%d" % i}])
                    for i in range(11)]),
         expect=["permerror"],
         why="more than 10 MX records (4.6.4)"),
]


def case_domain(case):
    return "%s.faults.example.com" % case["name"]


def subst(text, domain):
    return text.replace("@", domain) if text != "@" else domain


def build_zone():
    zone, faults = {}, {}
    for case in CASES:
        domain = case_domain(case)
        for name, entries in case.get("zone", {}).items():
            fixed = []
            for entry in entries:
                (rtype, value), = entry.items()
                if rtype in ("CNAME", "PTR"):
                    value = subst(value, domain)
                elif rtype == "MX":
                    value = [value[0], subst(value[1], domain)]
                elif rtype == "TXT":
                    value = value.replace("@", domain)
                fixed.append({rtype: value})
            zone[subst(name, domain)] = fixed
        for name, spec in case.get("faults", {}).items():
            faults[subst(name, domain)] = spec
    return zone, faults


def spfgate_command(resolver, extra=()):
    return [SPFGATE, "filter", "--config", "/dev/null",
            "--resolver", resolver, "--timeout", "%g" % TIMEOUT,
            "--dnssec", "no", "--default-explanation", DEFAULT_EXP] + \
        list(extra) + SPFGATE_ARGS


def run_filter(command, lines, timeout):
    """Run spfgate filter on lines, written at once as a pipe takes them;
    return (output lines, stderr, wall seconds, exit status or None if
    it had to be killed, peak RSS in kB)."""
    started = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = {}

    def feed():
        try:
            proc.stdin.write("".join(lines).encode())
            proc.stdin.close()
        except OSError:
            pass

    def drain(name, stream):
        out[name] = stream.read()

    threads = [threading.Thread(target=feed),
               threading.Thread(target=drain, args=("out", proc.stdout)),
               threading.Thread(target=drain, args=("err", proc.stderr))]
    for t in threads:
        t.start()
    deadline = started + timeout
    status = None
    hwm = 0
    while time.monotonic() < deadline:
        hwm = max(hwm, peak_rss(proc.pid))
        pid, status = os.waitpid(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        time.sleep(0.02)
    else:
        proc.kill()
        os.waitpid(proc.pid, 0)
        status = None
    wall = time.monotonic() - started
    for t in threads:
        t.join()
    proc.returncode = 0     # reaped above: Popen must not wait again
    code = os.waitstatus_to_exitcode(status) if status is not None else None
    return (out.get("out", b"").decode("utf-8", "replace").splitlines(),
            out.get("err", b"").decode("utf-8", "replace"), wall, code, hwm)


def peak_rss(pid):
    """VmHWM of a running process, kB; 0 once it has exited.  (Not
    getrusage: a child's ru_maxrss starts at its parent's RSS, and this
    driver holds a big query log.)"""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def faults_part():
    zone, faults = build_zone()
    server = testdns.TestDNSServer(zone, faults=faults)
    server.start()
    try:
        lines = []
        for case in CASES:
            domain = subst(case.get("sender_domain", "@"), case_domain(case))
            lines.append("%s\tuser@%s\thelo.example.org\n"
                         % (case.get("client", CLIENT), domain))
        command = spfgate_command(server.address)
        print("faults: %d cases through %s" % (
            len(CASES), " ".join(shlex.quote(w) for w in
                                 command).replace(server.address,
                                                  "127.0.0.1@PORT")))
        output, stderr, wall, code, _ = run_filter(command, lines,
                                                   TIMEOUT + 60)
        queries = server.queries()
    finally:
        server.stop()

    check("faults: spfgate exits 0", code == 0, "exit %r; stderr %s"
          % (code, stderr.strip()[:400]))
    check("faults: one output line per input line",
          len(output) == len(lines), "%d for %d" % (len(output), len(lines)))
    check("faults: the run ends within the timeout (%.1fs + %.0fs)"
          % (TIMEOUT, WALL_SLACK), wall <= TIMEOUT + WALL_SLACK,
          "took %.1fs" % wall)
    if stderr.strip():
        print("    spfgate stderr: %s" % stderr.strip()[:600])
    for index, case in enumerate(CASES):
        name = "fault %s" % case["name"]
        domain = case_domain(case)
        try:
            obj = json.loads(output[index])
        except (IndexError, ValueError):
            check(name, False, "no JSON answer")
            continue
        mine = [q for q in queries if q.qname.lower().endswith(domain) or
                any(q.qname.lower() == n.lower() for n in
                    (subst(k, domain) for k in case.get("zone", {})))]
        if VERBOSE:
            print("     %s: %s" % (case["name"], json.dumps(dict(
                (k, obj.get(k)) for k in ("result", "problem",
                                          "explanation", "lookups",
                                          "queries", "elapsed_ms")))))
            for q in mine:
                print("       dns: %s %s %s %s" % (q.transport, q.qname,
                                                   q.qtype, q.outcome))
        problems = []
        if obj.get("result") not in case["expect"]:
            problems.append("result %s, expected %s (%s)" % (
                obj.get("result"), "|".join(case["expect"]), case["why"]))
        if "problem" in case and case["problem"] not in obj.get("problem",
                                                                  ""):
            problems.append("problem %r lacks %r" % (obj.get("problem"),
                                                    case["problem"]))
        if "explanation" in case and obj.get("explanation") != \
                case["explanation"]:
            problems.append("explanation %r, expected %r" % (
                obj.get("explanation"), case["explanation"]))
        if "explanation_len" in case:
            low, high = case["explanation_len"]
            n = len(obj.get("explanation", ""))
            if not low <= n <= high:
                problems.append("explanation of %d octets, expected "
                                "%d-%d" % (n, low, high))
        elapsed = obj.get("elapsed_ms", -1)
        if not 0 <= elapsed <= TIMEOUT * 1000 + ELAPSED_SLACK_MS:
            problems.append("elapsed_ms %s beyond the timeout" % elapsed)
        if case.get("timed_out") and elapsed < TIMEOUT * 1000 - 100:
            problems.append("elapsed_ms %s: ended before the timeout, "
                            "so not by it" % elapsed)
        if case.get("tcp") and not any(q.transport == "tcp" for q in mine):
            problems.append("no question came over TCP")
        if obj.get("lookups", 0) > 11 or obj.get("queries", 0) > 123:
            problems.append("lookups %s, queries %s beyond RFC 7208 4.6.4"
                            % (obj.get("lookups"), obj.get("queries")))
        check("%s: %s (%s ms)" % (name, "|".join(case["expect"]), elapsed),
              not problems, "; ".join(problems))


# ---------------------------------------------------------------------------
# The output gone while evaluations wait (write error): spfgate says so
# and exits 1 at once, and its checks in flight end before the checker
# that holds their storage is freed (spf.h).  Under valgrind, when it is
# there and this is not the ASan build (whose own leak check reports to
# check-asan.sh): no memory error and no leak, indirect ones included
# (a message and its event hold each other).

def gone_part():
    domain = "slow.gone.example.com"
    server = testdns.TestDNSServer({domain: ["TIMEOUT"]})
    server.start()
    command = spfgate_command(server.address)
    vglog = None
    if "ASAN_OPTIONS" not in os.environ and \
            any(os.access(os.path.join(d, "valgrind"), os.X_OK)
                for d in os.environ.get("PATH", "").split(os.pathsep)):
        fd, vglog = tempfile.mkstemp(prefix="spfgate-faults-vg.")
        os.close(fd)
        command = ["valgrind", "-q", "--leak-check=full",
                   "--show-leak-kinds=definite,indirect",
                   "--errors-for-leak-kinds=definite,indirect",
                   "--error-exitcode=99", "--log-file=" + vglog] + command
    # the first line is answered at once: its write finds no reader
    lines = "no-address\n" + "".join(
        "%s\tuser%d@%s\thelo.example.org\n" % (CLIENT, i, domain)
        for i in range(20))
    rd, wr = os.pipe()
    os.close(rd)
    try:
        started = time.monotonic()
        # SIGPIPE stays ignored, as Python has it: the write fails
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=wr,
                                stderr=subprocess.PIPE,
                                restore_signals=False)
        os.close(wr)
        try:
            _, err = proc.communicate(lines.encode(), timeout=TIMEOUT + 60)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        wall = time.monotonic() - started
    finally:
        server.stop()
    err = err.decode("utf-8", "replace")
    report = ""
    if vglog is not None and os.path.exists(vglog):
        with open(vglog, encoding="utf-8", errors="replace") as f:
            report = f.read()
        os.unlink(vglog)
    check("output gone: spfgate exits 1 with the write error",
          proc.returncode == 1 and "write" in err,
          "exit %r; stderr %s" % (proc.returncode, err.strip()[:400]))
    check("output gone: it stops at once, not after the evaluations "
          "(%.1fs)" % wall, wall < TIMEOUT, "took %.1fs" % wall)
    if vglog is not None:
        check("output gone: valgrind finds no error and no leak",
              report == "", report[:1500])


# ---------------------------------------------------------------------------
# Resource bounds

def flood_run(server, senders, first, inflight):
    """Evaluate senders first..first+senders-1 through one spfgate filter
    with --max-inflight inflight, the input written at once.  Returns a
    dict of measurements."""
    server.clear_queries()
    lines = ["%s\tu@%s\thelo.example.org\n"
             % (flooddns.CLIENT, flooddns.sender_domain(first + i))
             for i in range(senders)]
    command = spfgate_command(server.address,
                              ["--max-inflight", str(inflight),
                               "--timeout", "60"])
    output, stderr, wall, code, rss = run_filter(command, lines, 900)
    queries = server.queries()
    per_sender = {}
    spans = {}
    for q in queries:
        s = flooddns.sender_of(q.qname)
        if s is None:
            continue
        per_sender.setdefault(s, []).append(q)
        first_t, last_t = spans.get(s, (q.time, q.time))
        spans[s] = (min(first_t, q.time), max(last_t, q.time))
    # Evaluations in flight as the server sees them: from a sender's
    # first question to its last.  Each really lasts longer (before the
    # first, after the last answer), so this never overstates.
    events = sorted([(t0, 1) for t0, _ in spans.values()] +
                    [(t1, -1) for _, t1 in spans.values()],
                    key=lambda e: (e[0], -e[1]))
    now = peak = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    return dict(lines=len(lines), output=output, stderr=stderr, wall=wall,
                code=code, rss=rss, per_sender=per_sender, peak=peak,
                queries=len(queries), inflight=inflight)


def flood_checks(tag, r):
    """What every flood run must show."""
    check("%s: exit 0" % tag, r["code"] == 0, "exit %r, stderr %s"
          % (r["code"], r["stderr"].strip()[:300]))
    check("%s: every line answered" % tag, len(r["output"]) == r["lines"],
          "%d of %d" % (len(r["output"]), r["lines"]))
    bad_result = bad_queries = bad_server = 0
    detail = []
    for raw in r["output"]:
        try:
            obj = json.loads(raw)
        except ValueError:
            bad_result += 1
            continue
        if obj.get("result") != "permerror" or \
                "more than 10 DNS lookups" not in obj.get("problem", ""):
            bad_result += 1
            if len(detail) < 3:
                detail.append(raw[:300])
        if obj.get("queries") != flooddns.QUERIES_PER_EVALUATION:
            bad_queries += 1
    for s, qs in r["per_sender"].items():
        asked = set((q.qname.lower(), q.qtype) for q in qs)
        if len(asked) != flooddns.QUERIES_PER_EVALUATION or \
                any(flooddns.beyond_limit(q.qname) for q in qs):
            bad_server += 1
            if len(detail) < 6:
                detail.append("sender %d: %d questions, %d received"
                              % (s, len(asked), len(qs)))
    check("%s: every result permerror at the 11th DNS term" % tag,
          bad_result == 0, "%d wrong: %s" % (bad_result, " | ".join(detail)))
    check("%s: spfgate asked %d questions per evaluation" % (
        tag, flooddns.QUERIES_PER_EVALUATION), bad_queries == 0,
        "%d evaluations otherwise" % bad_queries)
    check("%s: the server got exactly those %d questions per sender, "
          "none past the 10th DNS term" % (
              tag, flooddns.QUERIES_PER_EVALUATION),
          bad_server == 0 and len(r["per_sender"]) == r["lines"],
          "%d senders wrong of %d seen; %s" % (
              bad_server, len(r["per_sender"]), " | ".join(detail)))
    check("%s: never more than %d evaluations in flight (the server saw "
          "%d)" % (tag, r["inflight"], r["peak"]),
          r["peak"] <= r["inflight"])
    print("flood: %s: %.1fs (%.0f/s), %d questions received (%d "
          "retransmitted), %d in flight at most, peak RSS %d kB"
          % (tag, r["wall"], r["lines"] / max(r["wall"], 0.001),
             r["queries"], r["queries"] - sum(
                 len(set((q.qname.lower(), q.qtype) for q in qs))
                 for qs in r["per_sender"].values()),
             r["peak"], r["rss"]))


def flood_part():
    # every answer 20 ms late, so evaluations last long enough to pile up
    server = flooddns.FloodDNS(delay_ms=20)
    server.start()
    try:
        big = flood_run(server, FLOOD, 0, 1000)
        flood_checks("flood of %d, --max-inflight 1000" % FLOOD, big)
        few = flood_run(server, 200, 10 ** 6, 10)
        flood_checks("200 at once, --max-inflight 10", few)
        double = flood_run(server, 2 * FLOOD, 2 * 10 ** 6, 1000)
        flood_checks("flood of %d, --max-inflight 1000" % (2 * FLOOD),
                     double)
        check("flood: memory follows what is in flight, not what was "
              "read (%d kB for %d senders, %d kB for %d)"
              % (big["rss"], big["lines"], double["rss"], double["lines"]),
              double["rss"] <= big["rss"] * 1.25 + 8192)
        # RSS per evaluation in flight: the same --max-inflight (it sizes
        # libunbound's tables) with one sender and with 100
        idle = flood_run(server, 1, 3 * 10 ** 6, 1000)
        flood_checks("1 sender, --max-inflight 1000", idle)
        base = flood_run(server, 100, 4 * 10 ** 6, 1000)
        flood_checks("100 at once, --max-inflight 1000", base)
        if big["peak"] > base["peak"]:
            per = (big["rss"] - base["rss"]) * 1000.0 / \
                (big["peak"] - base["peak"])
            print("flood: --max-inflight 1000: peak RSS %d kB idle, %d kB "
                  "with %d in flight, %d kB with %d: %.1f MB per 1,000 "
                  "evaluations in flight, %.1f MB in all at 1,000"
                  % (idle["rss"], base["rss"], base["peak"], big["rss"],
                     big["peak"], per / 1024.0,
                     (idle["rss"] + per) / 1024.0))
    finally:
        server.stop()


def main():
    if not os.access(SPFGATE, os.X_OK):
        print("faults: %s is not there (run make)" % SPFGATE)
        print("faults: 0 passed, 1 failed")
        return 1
    faults_part()
    gone_part()
    if FLOOD > 0:
        flood_part()
    return T.summary()


if __name__ == "__main__":
    sys.exit(main())
