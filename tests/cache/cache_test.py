#!/usr/bin/python3
# cache_test.py: the checker's answer cache (common/cache.c) and its
# shared questions (common/lookup.c), through one long-running
# "spfgate filter" asking our test DNS server (tests/dns/testdns.py) on
# loopback, which counts every question it gets.
#
# libunbound keeps answers of its own, for the same TTL, so the server's
# count alone cannot tell our cache from libunbound's: each case also
# reads the evaluation's "queries" (the questions it put to libunbound,
# cache hits and shared questions not counted).  An answer kept past
# its TTL shows as queries 0 and no new question at the server after
# the TTL; a cache that keeps nothing shows as queries 1 on the second
# evaluation; a question not shared shows as N evaluations each with
# queries 1.
#
# The bound on questions out at libunbound at once (max-questions): the
# server counts the most questions it held unanswered at once; a filter
# with the bound at 4 and 20 evaluations of distinct slow domains in
# flight must never have more than 4 out, and answer all 20; a question
# queued behind the bound whose evaluation times out is never asked.
#
# Ends with "cache: N passed, M failed".
import json
import os
import select
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "dns"))
sys.dont_write_bytecode = True
import testdns  # noqa: E402

SPFGATE = os.environ.get("SPFGATE") or os.path.join(REPO, "build", "spfgate")
SPFGATE_ARGS = shlex.split(os.environ.get("SPFGATE_ARGS", ""))
TTL = 2                 # seconds, positive and negative (SOA TTL, MINIMUM)
CLIENT = "192.0.2.1"
N_CONCURRENT = 20
SLOW_MS = 400
BOUND = 4               # --max-questions of the bound cases
STUCK_MS = 4000         # an answer later than any evaluation waits

ZONE = {
    "ttl.cache.example": [{"TXT": "v=spf1 ip4:%s -all" % CLIENT}],
    "nodata.cache.example": [{"A": CLIENT}],
    "slow.cache.example": [{"TXT": "v=spf1 a:host.cache.example -all"}],
    "host.cache.example": [{"A": CLIENT}],
    "twice.cache.example": [{"TXT": "v=spf1 a:host2.cache.example "
                                    "a:host2.cache.example/24 -all"}],
    "host2.cache.example": [{"A": "198.51.100.1"}],
    "stuck.cache.example": [{"TXT": "v=spf1 ip4:%s -all" % CLIENT}],
    "queued.cache.example": [{"TXT": "v=spf1 ip4:%s -all" % CLIENT}],
    "after.cache.example": [{"TXT": "v=spf1 ip4:%s -all" % CLIENT}],
}
for _i in range(N_CONCURRENT):
    ZONE["d%d.bound.example" % _i] = [{"TXT": "v=spf1 ip4:%s -all"
                                       % CLIENT}]
FAULTS = {"slow.cache.example": "delay:%d" % SLOW_MS,
          "stuck.cache.example": "delay:%d" % STUCK_MS}
FAULTS.update(("d%d.bound.example" % i, "delay:%d" % SLOW_MS)
              for i in range(N_CONCURRENT))

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok - %s" % name)
    else:
        failed += 1
        print("not ok - %s%s" % (name, (": " + detail) if detail else ""))


class Filter:
    """One spfgate filter process, fed a line at a time."""

    def __init__(self, resolver, args=()):
        self.proc = subprocess.Popen(
            [SPFGATE, "filter", "--config", "/dev/null", "--resolver",
             resolver, "--timeout", "5", "--dnssec", "no"] + SPFGATE_ARGS +
            list(args),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, bufsize=0)

    def send(self, senders):
        """Start evaluations of the senders, written at once."""
        for s in senders:
            self.proc.stdin.write(("%s\t%s\thelo.cache.example\n"
                                   % (CLIENT, s)).encode())
        self.proc.stdin.flush()

    def ask(self, senders, started=0):
        """Evaluate the senders, written at once; the JSON results of
        them and of the started ones sent before.
        (Unbuffered: select() must see every line still to be read.)"""
        self.send(senders)
        senders = [None] * started + list(senders)
        out = []
        deadline = time.monotonic() + 20
        while len(out) < len(senders):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [],
                                              left)[0]:
                break
            line = self.proc.stdout.readline()
            if not line:
                break
            out.append(json.loads(line))
        return out

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        err = self.proc.stderr.read().decode(errors="replace")
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode, err


def one(f, sender):
    r = f.ask([sender])
    return r[0] if r else {}


def ttl_case(f, server, label, sender, qname, qtype, result):
    """Asked, kept while its TTL runs, asked again after it."""
    first = one(f, sender)
    check("%s: first evaluation %s, 1 question" % (label, result),
          first.get("result") == result and first.get("queries") == 1 and
          server.count(qname, qtype) == 1,
          "%s, queries %s, server %d" % (first.get("result"),
                                         first.get("queries"),
                                         server.count(qname, qtype)))
    again = one(f, sender)
    check("%s: within the TTL, from the cache (queries 0, no new "
          "question)" % label,
          again.get("result") == result and again.get("queries") == 0 and
          again.get("lookups") == first.get("lookups") and
          server.count(qname, qtype) == 1,
          "%s, queries %s, server %d" % (again.get("result"),
                                         again.get("queries"),
                                         server.count(qname, qtype)))
    # libunbound (1.17) serves its copy until the second after the TTL
    time.sleep(TTL + 1.2)
    late = one(f, sender)
    check("%s: after the TTL (%d s), asked again" % (label, TTL),
          late.get("result") == result and late.get("queries") == 1 and
          server.count(qname, qtype) == 2,
          "%s, queries %s, server %d" % (late.get("result"),
                                         late.get("queries"),
                                         server.count(qname, qtype)))


def bound_cases(server):
    """At most BOUND questions out at once; a queued question whose
    evaluation gives up is dropped, never asked."""
    f = Filter(server.address, ["--max-questions", str(BOUND)])
    try:
        server.reset_outstanding_max()
        rs = f.ask(["u@d%d.bound.example" % i for i in range(N_CONCURRENT)])
        check("max-questions %d, %d evaluations of distinct slow domains: "
              "all pass" % (BOUND, N_CONCURRENT),
              len(rs) == N_CONCURRENT and
              all(r.get("result") == "pass" for r in rs),
              "%d results: %s" % (len(rs), sorted(set(
                  r.get("result") for r in rs))))
        check("max-questions %d: every domain asked once"
              % BOUND, all(server.count("d%d.bound.example" % i, "TXT") == 1
                           for i in range(N_CONCURRENT)),
              str([server.count("d%d.bound.example" % i, "TXT")
                   for i in range(N_CONCURRENT)]))
        most = server.outstanding_max()
        check("max-questions %d: never more than %d questions out at "
              "the server" % (BOUND, BOUND), 1 <= most <= BOUND,
              "%d out at once" % most)

        # one slot: "stuck" is out, and a second evaluation of it joins
        # the question half a second later, so it stays out after the
        # first evaluation's time-out; "queued" waits behind it and its
        # evaluation times out in the queue
        code, err = f.close()
        check("spfgate filter --max-questions %d exits 0, nothing on "
              "stderr" % BOUND, code == 0 and not err.strip(),
              "exit %s: %s" % (code, err[:300]))
        f = Filter(server.address, ["--max-questions", "1", "--timeout",
                                    "1"])
        f.send(["a@stuck.cache.example", "b@queued.cache.example"])
        time.sleep(0.5)
        rs = f.ask(["c@stuck.cache.example"], started=2)
        check("a question queued behind the bound: its evaluation times "
              "out (temperror)", len(rs) == 3 and
              all(r.get("result") == "temperror" for r in rs),
              str([r.get("result") for r in rs]))
        check("a queued question whose evaluation timed out is never asked",
              server.count("queued.cache.example", "TXT") == 0,
              "asked %d times" % server.count("queued.cache.example", "TXT"))
        r = one(f, "d@after.cache.example")
        check("the bound's room is free again: the next evaluation passes",
              r.get("result") == "pass" and
              server.count("after.cache.example", "TXT") == 1,
              json.dumps(r)[:300])
    finally:
        code, err = f.close()
    check("spfgate filter --max-questions 1 exits 0, nothing on stderr",
          code == 0 and not err.strip(), "exit %s: %s" % (code, err[:300]))


def main():
    server = testdns.TestDNSServer(ZONE, ttl=TTL, negative_ttl=TTL,
                                   faults=FAULTS)
    server.start()
    f = Filter(server.address)
    try:
        ttl_case(f, server, "positive", "a@ttl.cache.example",
                 "ttl.cache.example", "TXT", "pass")
        ttl_case(f, server, "NXDOMAIN (SOA MINIMUM)",
                 "a@absent.cache.example", "absent.cache.example", "TXT",
                 "none")
        ttl_case(f, server, "NODATA (SOA MINIMUM)",
                 "a@nodata.cache.example", "nodata.cache.example", "TXT",
                 "none")

        # the same name twice in one evaluation: the second from the cache
        r = one(f, "a@twice.cache.example")
        check("one evaluation, a name asked twice: one question, both "
              "terms counted (lookups 2)",
              r.get("result") == "fail" and r.get("lookups") == 2 and
              r.get("queries") == 2 and
              server.count("host2.cache.example", "A") == 1,
              json.dumps(r)[:300])

        # N evaluations at once of one slow domain: one question each
        rs = f.ask(["u%d@slow.cache.example" % i
                    for i in range(N_CONCURRENT)])
        check("%d concurrent evaluations of one domain: all pass"
              % N_CONCURRENT, len(rs) == N_CONCURRENT and
              all(r.get("result") == "pass" for r in rs),
              "%d results: %s" % (len(rs), sorted(set(
                  r.get("result") for r in rs))))
        asked = sum(r.get("queries", 0) for r in rs)
        check("%d concurrent evaluations: they put 2 questions to the "
              "resolver between them, not %d" % (N_CONCURRENT,
                                                  2 * N_CONCURRENT),
              asked == 2, "queries in all %d: %s" % (
                  asked, [r.get("queries") for r in rs]))
        check("%d concurrent evaluations: the server got 1 TXT and 1 A "
              "question" % N_CONCURRENT,
              server.count("slow.cache.example", "TXT") == 1 and
              server.count("host.cache.example", "A") == 1,
              "TXT %d, A %d" % (server.count("slow.cache.example", "TXT"),
                                server.count("host.cache.example", "A")))
        check("%d concurrent evaluations: each counted its DNS term "
              "(lookups 1)" % N_CONCURRENT,
              all(r.get("lookups") == 1 for r in rs))
    finally:
        code, err = f.close()
    check("spfgate filter exits 0, nothing on stderr",
          code == 0 and not err.strip(), "exit %s: %s" % (code, err[:300]))
    try:
        bound_cases(server)
    finally:
        server.stop()
    print("cache: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
