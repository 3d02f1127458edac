# proto_harness.py: the harness of the filter-spf protocol suite
# (proto_test.py): the test zone and its late answers, a filter-spf
# process whose answer lines a thread collects (Filter), one smtpd
# session as the filter sees it (Session), the handshake and the
# message helpers.  The test cases are in proto_cases.py.
#
# WORK (the directory for each filter's stderr) is set by proto_test.py's
# main() before any Filter is started.

import os
import random
import subprocess
import sys
import threading
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

RECEIVER = "mx.test.local"
ADMD = "vm"
SLOW_MS = 900           # pass, answered late
SLOWFAIL_MS = 500       # fail, answered late

ZONE = {
    "pass.test": [{"TXT": "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"}],
    "slow.test": [{"TXT": "v=spf1 ip4:192.0.2.0/24 -all"}],
    "gone.test": [{"TXT": "v=spf1 ip4:192.0.2.0/24 -all"}],
    "twice.test": [{"TXT": "v=spf1 -all"}],
    "late.test": [{"TXT": "v=spf1 ip4:192.0.2.0/24 -all"}],
    "hang.test": ["TIMEOUT"],
    "fail.test": [{"TXT": "v=spf1 ip4:198.51.100.1 -all exp=exp.fail.test"}],
    "exp.fail.test": [{"TXT": "%{s} is not allowed to send from %{i}"}],
    "slowfail.test": [{"TXT": "v=spf1 -all"}],
    "softfail.test": [{"TXT": "v=spf1 ~all"}],
    "neutral.test": [{"TXT": "v=spf1 ?all"}],
    "none.test": [{"A": "192.0.2.99"}],
    "temperror.test": ["TIMEOUT"],
    "permerror.test": [{"TXT": "v=spf1 ip4:192.0.2.1/99 -all"}],
    "helo.test": [{"TXT": "v=spf1 ip4:192.0.2.0/24 -all"}],
    "badhelo.test": [{"TXT": "v=spf1 -all"}],
}
FAULTS = {
    "slow.test": "delay:%d" % SLOW_MS,
    "gone.test": "delay:%d" % SLOW_MS,
    "twice.test": "delay:%d" % SLOW_MS,
    "late.test": "delay:300",
    "slowfail.test": "delay:%d" % SLOWFAIL_MS,
}

# Under valgrind (check-proto.sh's second run): wider time limits and
# no RSS measurement.
SLOW = bool(os.environ.get("PROTO_TEST_SLOW"))

sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
sys.dont_write_bytecode = True     # no __pycache__ in the source tree
from tally import Tally  # noqa: E402  (needs the path set just above)

T = Tally()
check = T.check

WORK = None  # set by proto_test.py main()


class Filter:
    """One filter-spf process; its output lines collected by a thread."""

    def __init__(self, binary, conf, name):
        self.errpath = os.path.join(WORK, name + ".stderr")
        self.err = open(self.errpath, "wb")
        self.p = subprocess.Popen([binary, "--config", conf],
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=self.err)
        self.lines = []
        self.times = []
        self.cv = threading.Condition()
        self.eof = False
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        buf = b""
        while True:
            chunk = self.p.stdout.read1(1 << 20)
            if not chunk:
                break
            buf += chunk
            *full, buf = buf.split(b"\n")
            with self.cv:
                now = time.monotonic()
                for line in full:
                    self.lines.append(line.decode("latin-1"))
                    self.times.append(now)
                self.cv.notify_all()
        with self.cv:
            if buf:
                self.lines.append(buf.decode("latin-1") + "<no newline>")
                self.times.append(time.monotonic())
            self.eof = True
            self.cv.notify_all()

    def send(self, *lines):
        data = "".join(line + "\n" for line in lines).encode("latin-1")
        try:
            self.p.stdin.write(data)
            self.p.stdin.flush()
        except BrokenPipeError:
            pass

    def wait(self, pred, start=0, timeout=5.0):
        """The index of the first line from start on matching pred."""
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                for i in range(start, len(self.lines)):
                    if pred(self.lines[i]):
                        return i
                left = end - time.monotonic()
                if left <= 0 or self.eof:
                    return None
                self.cv.wait(left)

    def wait_count(self, pred, n, timeout=5.0):
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                got = [l for l in self.lines if pred(l)]
                if len(got) >= n:
                    return got
                left = end - time.monotonic()
                if left <= 0 or self.eof:
                    return got
                self.cv.wait(left)

    def wait_lines(self, n, timeout=30.0):
        end = time.monotonic() + timeout
        with self.cv:
            while len(self.lines) < n and not self.eof:
                left = end - time.monotonic()
                if left <= 0:
                    break
                self.cv.wait(left)
            return len(self.lines)

    def rss_kb(self):
        with open("/proc/%d/status" % self.p.pid) as fp:
            for line in fp:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def count(self):
        with self.cv:
            return len(self.lines)

    def of(self, sid):
        with self.cv:
            return [l for l in self.lines if l.split("|")[1:2] == [sid]]

    def close(self, timeout=5.0):
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = "hung"
        self.t.join(2)
        self.err.close()
        return rc

    def stderr(self):
        self.err.flush()
        with open(self.errpath, "rb") as f:
            return f.read().decode("latin-1")


_tokens = iter(range(0x4a9e56e31237454b, 1 << 64))


class Session:
    """One smtpd session as the filter sees it."""

    def __init__(self, f, ver="0.6", sid=None):
        self.f = f
        self.ver = ver
        self.sid = sid or "%016x" % random.getrandbits(64)

    def ts(self):
        return "%.6f" % time.time()

    def report_line(self, event, *params):
        s = "report|%s|%s|smtp-in|%s|%s" % (self.ver, self.ts(), event,
                                            self.sid)
        return s + ("|" + "|".join(params) if params else "")

    def report(self, event, *params):
        self.f.send(self.report_line(event, *params))

    def filter_line(self, phase, param, tok=None):
        tok = tok or "%016x" % next(_tokens)
        return tok, "filter|%s|%s|smtp-in|%s|%s|%s|%s" % (
            self.ver, self.ts(), phase, self.sid, tok, param)

    def request(self, phase, param):
        tok, line = self.filter_line(phase, param)
        self.f.send(line)
        return tok

    def connect(self, src, dest="127.0.0.1:2527", rdns="<unknown>",
                fcrdns="fail"):
        self.report("link-connect", rdns, fcrdns, src, dest)

    def ehlo(self, name):
        """EHLO as smtpd 6.8 does it: the request, then link-identify."""
        tok = self.request("ehlo", name)
        i = self.f.wait(lambda l: l == self.result(tok, "proceed"))
        self.report("link-identify", "EHLO", name)
        return i is not None

    def result(self, tok, rest):
        return "filter-result|%s|%s|%s" % (self.sid, tok, rest)

    def dataline(self, tok, text):
        return "filter-dataline|%s|%s|%s" % (self.sid, tok, text)

    def data(self, lines):
        """Send a message; return the data-line token."""
        tok = "%016x" % next(_tokens)
        self.f.send(*[self.filter_line("data-line", l, tok)[1]
                      for l in list(lines) + ["."]])
        return tok

    def disconnect(self):
        self.report("link-disconnect")


def handshake(f, proto=None, admd=ADMD):
    lines = ["config|smtpd-version|6.8.0p2"]
    if proto:
        lines.append("config|protocol|%s" % proto)
    lines += ["config|smtp-session-timeout|300", "config|subsystem|smtp-in",
              "config|admd|%s" % admd, "config|ready"]
    f.send(*lines)
    return f.wait(lambda l: l == "register|ready")


def received_lines(f, sid, tok):
    return [l.split("|", 3)[3] for l in f.of(sid)
            if l.startswith("filter-dataline|") and l.split("|")[2] == tok]


def message_out(f, s, tok, timeout=5.0):
    """Wait for the data-line answers of a message, up to its '.'."""
    f.wait(lambda l: l == s.dataline(tok, "."), timeout=timeout)
    return received_lines(f, s.sid, tok)


def header_lines(out):
    return [l for l in out if l.startswith("Received-SPF:") or
            l.startswith("Authentication-Results: %s" % RECEIVER)]


# A message as smtpd hands it over: its own Received: first.
def message(sender, body):
    return ["Received: from client.example (<unknown> [192.0.2.10])",
            "\tby mx.test.local (OpenSMTPD) with ESMTP id 2b07a828",
            "\tfor <bob@test.local>;",
            "\tSun, 22 Nov 2026 15:03:20 +0000 (UTC)",
            "Date: Sun, 22 Nov 2026 15:03:20 +0000",
            "To: bob@test.local",
            "From: %s" % sender,
            "Subject: proto test",
            ""] + body


BODY = [
    "first body line",
    "..leading dot, stuffed by the client",
    "...two dots",
    ".",  # never sent like this by smtpd: stuffed below
    "a line with | bars | in it",
    "a bare\rCR inside, and one at the end\r",
    "\ttab first, trailing spaces   ",
    "",
    "",
    "x" * 60000,
    "Authentication-Results: %s; spf=pass (in the body: kept)" % RECEIVER,
    "last line",
]
BODY[3] = ".."  # a lone dot in the message, dot-stuffed by the client

