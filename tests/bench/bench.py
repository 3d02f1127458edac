#!/usr/bin/python3
# bench.py: spfgate against libspf2 and pyspf on one synthetic corpus,
# served by NSD behind a caching unbound, all on loopback in network and
# mount namespaces of our own (so ports 53 are ours, other work on the
# machine is not disturbed, and libspf2's and pyspf's system resolver can
# be pointed at our servers by bind-mounting /etc/resolv.conf).
#
#   /usr/bin/python3 tests/bench/bench.py [--quick] [--callgrind]
#       [--no-callgrind] [--build DIR] [--out DIR]
#
# Prints the table and writes DIR/results.json and DIR/table.md (DIR is
# build/bench).  Runs as root (unshare).  See tests/bench/RESULTS.md for
# what every figure means.
import argparse
import json
import os
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"
NSD_ADDR = "127.0.0.1"
UB_ADDR = "127.0.0.2"
PROXY_ADDR = "127.0.0.3"
DELAY_MS = 20
INFLIGHT = 1000
WARM_MIN_S = 1.0        # keep repeating warm passes until this long
DELAY_PEER_S = 12.0     # how long the synchronous peers run at 20 ms
STALL_S = 120           # a checker silent this long has hung


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# -- processes and their CPU ---------------------------------------------

def cpu_s(pid):
    """CPU seconds of every thread of pid, from schedstat (ns)."""
    total = 0
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                total += int(f.read().split()[0])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total / 1e9


def ours(comm):
    """Processes named comm in our network namespace (NSD forks and
    reloads into new processes, so they are looked up every time)."""
    me = os.readlink("/proc/self/ns/net")
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/ns/net" % d) != me:
                continue
            with open("/proc/%s/comm" % d) as f:
                if f.read().strip() != comm:
                    continue
        except OSError:
            continue
        out.append(int(d))
    return out


def busy_s():
    """CPU seconds the whole machine has spent busy, all cores."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def status_kb(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def dns_query(addr, name, qtype=1, port=53, timeout=0.3):
    """One UDP question; the rcode, or None without an answer."""
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, (addr, port))
        r = s.recv(4096)
        return r[3] & 0x0f
    except OSError:
        return None
    finally:
        s.close()


def wait_dns(addr, name, what, seconds=20):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if dns_query(addr, name) is not None:
            return
        time.sleep(0.05)
    raise RuntimeError("%s does not answer on %s" % (what, addr))


# -- the DNS servers -----------------------------------------------------

class Servers:
    def __init__(self, work, corpus, build):
        self.work, self.corpus, self.build = work, corpus, build
        self.nsd = self.unbound = self.proxy = None
        self.ubconf = os.path.join(work, "unbound.conf")
        self.pxstats = os.path.join(work, "proxy.stats")

    def start_nsd(self):
        conf = os.path.join(self.work, "nsd.conf")
        with open(conf, "w") as f:
            f.write("""server:
	ip-address: %s
	port: 53
	server-count: 1
	username: ""
	chroot: ""
	database: ""
	zonelistfile: "%s/zone.list"
	xfrdfile: "%s/xfrd.state"
	xfrdir: "%s"
	pidfile: "%s/nsd.pid"
	logfile: "%s/nsd.log"
	verbosity: 0
	hide-version: yes
	# response rate limiting off: a benchmark asks fast on purpose
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
	reuseport: no
remote-control:
	control-enable: no
include: "%s/nsd-zones.conf"
""" % (NSD_ADDR, self.work, self.work, self.work, self.work, self.work,
                self.corpus))
        self.nsd = subprocess.Popen(["nsd", "-d", "-c", conf],
                                    stderr=open(os.path.join(
                                        self.work, "nsd.err"), "w"))
        wait_dns(NSD_ADDR, "com", "NSD")

    def start_unbound(self):
        stubs = open(os.path.join(self.corpus, "stubs.txt")).read().split()
        with open(self.ubconf, "w") as f:
            f.write("""server:
	interface: %s
	port: 53
	num-threads: 1
	username: ""
	chroot: ""
	directory: "%s"
	pidfile: "%s/unbound.pid"
	use-syslog: no
	verbosity: 0
	do-ip6: no
	# NSD is on 127.0.0.1
	do-not-query-localhost: no
	access-control: 127.0.0.0/8 allow
	module-config: "iterator"
	# answers in the order NSD gave them, every time
	rrset-roundrobin: no
	# room for the whole corpus: warm means warm
	msg-cache-size: 128m
	rrset-cache-size: 256m
	num-queries-per-thread: 4096
	outgoing-range: 8192
	so-rcvbuf: 8m
	so-sndbuf: 8m
	prefetch: no
	statistics-cumulative: no
	# the reverse zones are served by our NSD, not answered locally
	local-zone: "in-addr.arpa." nodefault
	local-zone: "ip6.arpa." nodefault
remote-control:
	control-enable: yes
	control-interface: %s/unbound.ctl
	control-use-cert: no
""" % (UB_ADDR, self.work, self.work, self.work))
            for z in stubs:
                f.write('stub-zone:\n\tname: "%s."\n\tstub-addr: %s@53\n'
                        % (z, NSD_ADDR))
        self.unbound = subprocess.Popen(
            ["unbound", "-d", "-c", self.ubconf],
            stderr=open(os.path.join(self.work, "unbound.err"), "a"))
        wait_dns(UB_ADDR, "com", "unbound")
        end = time.monotonic() + 10
        while self.ub_stats() is None:
            if time.monotonic() > end:
                raise RuntimeError("unbound-control does not answer")
            time.sleep(0.05)

    def restart_unbound(self):
        """A cold cache: a fresh unbound process."""
        self.stop(self.unbound)
        self.start_unbound()

    def ub_stats(self):
        """Counters since the last call (statistics-cumulative: no)."""
        r = subprocess.run(["unbound-control", "-c", self.ubconf, "stats"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return None
        out = {}
        for line in r.stdout.splitlines():
            k, _, v = line.partition("=")
            try:
                out[k] = float(v)
            except ValueError:
                pass
        return out

    def start_proxy(self, delay):
        self.stop(self.proxy)
        self.proxy = subprocess.Popen(
            [os.path.join(self.build, "bench", "dnsdelay"), "-l",
             PROXY_ADDR + ":53", "-u", UB_ADDR + ":53", "-d", str(delay),
             "-S", self.pxstats],
            stderr=open(os.path.join(self.work, "proxy.err"), "a"))
        wait_dns(PROXY_ADDR, "com", "the delaying proxy")

    def proxy_stats(self):
        try:
            os.unlink(self.pxstats)
        except FileNotFoundError:
            pass
        self.proxy.send_signal(signal.SIGUSR1)
        end = time.monotonic() + 5
        while not os.path.exists(self.pxstats):
            if time.monotonic() > end:
                raise RuntimeError("no stats from the proxy")
            time.sleep(0.005)
        out = {}
        for line in open(self.pxstats):
            k, _, v = line.strip().partition("=")
            out[k] = int(v)
        return out

    def dns_cpu(self):
        return cpu_s(self.unbound.pid), sum(cpu_s(p) for p in
                                            ours("nsd"))

    @staticmethod
    def stop(p):
        if p is not None and p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def stop_all(self):
        for p in (self.proxy, self.unbound, self.nsd):
            self.stop(p)


def set_resolv_conf(work, addr):
    """What the system resolver (libspf2, pyspf) asks from now on."""
    # rewritten in place: /etc/resolv.conf is a bind mount of this file
    with open(os.path.join(work, "resolv.conf"), "w") as f:
        f.write("nameserver %s\noptions attempts:2 timeout:5\n" % addr)


# -- a checker fed through pipes -----------------------------------------

class Checker:
    """A checker process; each feed() is a pass, timed from outside."""

    def __init__(self, cmd, work, name):
        self.name = name
        self.err = open(os.path.join(work, name + ".err"), "a")
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=self.err)
        self.pid = self.p.pid
        self.rest = b""

    def _write(self, data):
        try:
            self.p.stdin.write(data)
            self.p.stdin.flush()
        except BrokenPipeError:
            pass

    def feed(self, lines, sampler=None):
        """Write the lines, read as many answers; returns them."""
        data = b"".join(lines)
        n = len(lines)
        w = threading.Thread(target=self._write, args=(data,))
        w.start()
        fd = self.p.stdout.fileno()
        got = 0
        chunks = [self.rest]
        while got < n:
            if not select.select([fd], [], [], STALL_S)[0]:
                self.p.kill()
                raise RuntimeError("%s: no answer for %d s" % (self.name,
                                                               STALL_S))
            r = os.read(fd, 1 << 20)
            if not r:
                raise RuntimeError("%s ended early (see its .err file)" %
                                   self.name)
            got += r.count(b"\n")
            chunks.append(r)
            if sampler is not None:
                sampler(got)
        w.join()
        out = b"".join(chunks).split(b"\n")
        self.rest = out[n] if len(out) > n else b""
        return out[:n]

    def close(self):
        hwm = status_kb(self.pid, "VmHWM")
        self.p.stdin.close()
        self.p.wait()
        self.err.close()
        return hwm


def pct(vals, p):
    if not vals:
        return 0.0
    v = sorted(vals)
    return v[min(len(v) - 1, int(len(v) * p / 100.0))]


def parse(kind, lines):
    """(result, latency_us or None) for each output line."""
    out = []
    for line in lines:
        if kind == "spfgate":
            try:
                j = json.loads(line)
                out.append((j.get("result", "error"), j.get("elapsed_ms",
                                                            0) * 1000,
                            j.get("queries", 0)))
            except ValueError:
                out.append(("error", 0, 0))
        else:
            f = line.decode(errors="replace").split("\t")
            out.append((f[0], int(f[1]) if len(f) > 1 and f[1].isdigit()
                        else 0, int(f[2]) if len(f) > 2 and
                        f[2].isdigit() else None))
    return out


# -- the runs ------------------------------------------------------------

def checker_cmd(name, build, resolver_addr, inflight=INFLIGHT):
    if name == "spfgate":
        return [os.path.join(build, "spfgate"), "filter", "--config",
                "/dev/null", "--resolver", resolver_addr + "@53",
                "--dnssec", "no", "--receiver", "bench.local",
                "--max-inflight", str(inflight)]
    if name == "spflat":
        return [os.path.join(build, "bench", "spflat"), "--config",
                "/dev/null", "--resolver", resolver_addr + "@53",
                "--dnssec", "no", "--receiver", "bench.local",
                "--inflight", str(inflight)]
    if name == "libspf2":
        return [os.path.join(build, "bench", "spf2drv"), "-r",
                "bench.local"]
    if name == "pyspf":
        return [PY, os.path.join(HERE, "pyspf_drv.py"), "--server",
                resolver_addr, "--receiver", "bench.local"]
    raise ValueError(name)


def cold_warm(name, srv, work, build, lines):
    """A fresh unbound, a fresh checker: one cold pass, then warm ones."""
    srv.restart_unbound()
    kind = "spfgate" if name == "spfgate" else "driver"
    c = Checker(checker_cmd(name, build, UB_ADDR,
                            1 if name == "spflat" else INFLIGHT), work, name)
    time.sleep(0.3)
    idle_kb = status_kb(c.pid, "VmRSS")
    res = {"name": name, "n": len(lines), "idle_rss_kb": idle_kb}
    passes = []
    warm_t = 0.0
    k = 0
    while True:
        srv.ub_stats()
        ub0, nsd0 = srv.dns_cpu()
        cpu0 = cpu_s(c.pid)
        me0, busy0 = time.process_time(), busy_s()
        t0 = time.monotonic()
        out = c.feed(lines)
        t = time.monotonic() - t0
        me1, busy1 = time.process_time(), busy_s()
        cpu = cpu_s(c.pid) - cpu0
        ub1, nsd1 = srv.dns_cpu()
        st = srv.ub_stats() or {}
        # CPU the rest of the machine took meanwhile (other work)
        foreign = (busy1 - busy0) - cpu - (ub1 - ub0) - (nsd1 - nsd0) - \
            (me1 - me0)
        passes.append({"t": t, "cpu": cpu, "ub_cpu": ub1 - ub0,
                       "nsd_cpu": nsd1 - nsd0, "foreign": foreign,
                       "ub_queries": st.get("total.num.queries", 0),
                       "ub_cachemiss": st.get("total.num.cachemiss", 0),
                       "out": parse(kind, out)})
        k += 1
        if k >= 2:
            warm_t += t
            if warm_t >= WARM_MIN_S or k >= 12:
                break
    res["rss_hwm_kb"] = c.close()
    cold, warm = passes[0], passes[1:]
    n = len(lines)
    nw = n * len(warm)
    res.update({
        "cold_eps": n / cold["t"],
        "warm_eps": nw / sum(p["t"] for p in warm),
        "cold_cpu_us": cold["cpu"] / n * 1e6,
        "warm_cpu_us": sum(p["cpu"] for p in warm) / nw * 1e6,
        "cold_q": cold["ub_queries"] / n,
        "warm_q": sum(p["ub_queries"] for p in warm) / nw,
        "cold_ub_us": cold["ub_cpu"] / n * 1e6,
        "cold_nsd_us": cold["nsd_cpu"] / n * 1e6,
        "warm_passes": len(warm),
        "cold_t": cold["t"],
        "cold_foreign_cores": max(0.0, cold["foreign"] / cold["t"]),
        "warm_foreign_cores": max(0.0, sum(p["foreign"] for p in warm) /
                                  sum(p["t"] for p in warm)),
        "results": [o[0] for o in cold["out"]],
        "warm_differs": sum(1 for a, b in zip(cold["out"], warm[0]["out"])
                            if a[0] != b[0]),
        "warm_differs_how": sorted(
            {"%s->%s" % (a[0], b[0]) for a, b in zip(cold["out"],
                                                     warm[0]["out"])
             if a[0] != b[0]}),
    })
    lat_c = [o[1] for o in cold["out"]]
    lat_w = [o[1] for p in warm for o in p["out"]]
    res["cold_p50_ms"], res["cold_p99_ms"] = pct(lat_c, 50) / 1e3, \
        pct(lat_c, 99) / 1e3
    res["warm_p50_ms"], res["warm_p99_ms"] = pct(lat_w, 50) / 1e3, \
        pct(lat_w, 99) / 1e3
    if name in ("spfgate", "spflat"):
        res["spfgate_questions"] = sum(o[2] or 0 for o in
                                       cold["out"]) / n
    ub, ns = res["cold_ub_us"], res["cold_nsd_us"]
    # the servers alone: unbound and NSD are one process each (one core
    # each at most) and share the machine's two cores
    res["ceiling_eps"] = 1e6 / max(ub, ns, (ub + ns) / 2.0) if ub else 0
    # what the machine had left, less other work, for servers and checker
    res["machine_eps"] = max(0.1, 2 - res["cold_foreign_cores"]) * 1e6 / \
        (ub + ns + res["cold_cpu_us"]) if ub else 0
    log("  %s: cold %.0f/s, warm %.0f/s (%d warm passes), cpu %.1f/%.1f "
        "us, %.2f q/eval cold, other load %.2f/%.2f cores" % (
            name, res["cold_eps"], res["warm_eps"], len(warm),
            res["cold_cpu_us"], res["warm_cpu_us"], res["cold_q"],
            res["cold_foreign_cores"], res["warm_foreign_cores"]))
    return res


def combine(runs):
    """The median of every figure over the rounds; the first round's
    results (for the agreement), and each round's main figures."""
    out = dict(runs[0])
    for k, v in runs[0].items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = statistics.median(r[k] for r in runs)
    out["rounds"] = [{k: r[k] for k in ("cold_eps", "warm_eps",
                                         "cold_cpu_us", "warm_cpu_us",
                                         "cold_foreign_cores",
                                         "warm_foreign_cores")}
                     for r in runs]
    return out


def rss_run(name, srv, work, build, lines, resolver, inflight):
    """One pass, sampling RSS against the answers counted so far."""
    c = Checker(checker_cmd(name, build, resolver, inflight), work,
                name + "-mem")
    time.sleep(0.3)
    idle = status_kb(c.pid, "VmRSS")
    samples = []
    last = [0.0]

    def sampler(got):
        now = time.monotonic()
        if now - last[0] >= 0.01:
            last[0] = now
            samples.append((got, status_kb(c.pid, "VmRSS")))
    px0 = srv.proxy_stats() if resolver == PROXY_ADDR else None
    cpu0 = cpu_s(c.pid)
    t0 = time.monotonic()
    out = c.feed(lines, sampler)
    t = time.monotonic() - t0
    cpu = cpu_s(c.pid) - cpu0
    px1 = srv.proxy_stats() if resolver == PROXY_ADDR else None
    hwm = c.close()
    n = len(lines)
    r = {"idle_kb": idle, "hwm_kb": hwm, "samples": samples, "t": t,
         "eps": n / t, "cpu_us": cpu / n * 1e6, "n": n,
         "out": parse("spfgate" if name == "spfgate" else "driver", out)}
    if px0 is not None:
        r["proxy_q"] = (px1["udp_queries"] + px1["tcp_queries"] -
                        px0["udp_queries"] - px0["tcp_queries"]) / n
        r["proxy_dropped"] = px1["dropped"] - px0["dropped"]
    return r


def per_eval_kib(busy, base, inflight):
    """(RSS in flight - RSS at the same progress with one in flight)."""
    bs = base["samples"]
    if not bs:
        return None
    n = busy["n"]
    diffs = []
    for got, rss in busy["samples"]:
        if not (0.2 * n <= got <= 0.8 * n):
            continue
        # the one-in-flight run's RSS at the same number of answers
        j = 0
        while j + 1 < len(bs) and bs[j + 1][0] <= got:
            j += 1
        diffs.append(rss - bs[j][1])
    if not diffs:
        return None
    return statistics.median(diffs) / inflight


def timeboxed(name, srv, work, build, lines, seconds):
    """A synchronous peer at 20 ms: as many lines as fit in the time."""
    c = Checker(checker_cmd(name, build, PROXY_ADDR), work, name + "-delay")
    time.sleep(0.3)
    px0 = srv.proxy_stats()
    cpu0 = cpu_s(c.pid)
    t0 = time.monotonic()
    done = 0
    outs = []
    while done < len(lines) and time.monotonic() - t0 < seconds:
        chunk = lines[done:done + 10]
        outs += c.feed(chunk)
        done += len(chunk)
    t = time.monotonic() - t0
    cpu = cpu_s(c.pid) - cpu0
    px1 = srv.proxy_stats()
    c.close()
    return {"n": done, "t": t, "eps": done / t, "cpu_us": cpu / done * 1e6,
            "proxy_q": (px1["udp_queries"] + px1["tcp_queries"] -
                        px0["udp_queries"] - px0["tcp_queries"]) / done,
            "out": parse("driver", outs)}


def single_eval(name, work, build, line, reps=5):
    """One evaluation in a fresh process, every answer 20 ms late."""
    ms = []
    qs = []
    for _ in range(reps):
        c = Checker(checker_cmd(name, build, PROXY_ADDR, 1), work,
                    name + "-single")
        time.sleep(0.2)
        out = parse("spfgate" if name == "spfgate" else "driver",
                    c.feed([line]))
        c.close()
        ms.append(out[0][1] / 1000.0)
        qs.append(out[0][2])
    return {"ms": statistics.median(ms), "all_ms": ms, "result":
            out[0][0], "questions": qs[0]}


# -- agreement with pyspf --------------------------------------------------

VOID_PER_TERM = (
    "RFC 7208 4.6.4 limits the terms whose lookups come back empty "
    "('void lookups') to two; an mx term whose MX query has answers is "
    "not void, but pyspf also counts each MX host's empty AAAA lookup and "
    "stops at permerror (IPv6 client, MX hosts without AAAA)")


def classify(checker, kind, q, a, b):
    """Why a checker's result a differs from pyspf's b: the RFC 7208
    rule, or None if the difference is not understood."""
    k = kind.split(":")[-1]
    ip = q.decode().split("\t")[0]
    if k == "lame" and a == "temperror" and b == "permerror":
        return ("RFC 7208 4.4 and 5.2: the include target's TXT lookup "
                "ends in SERVFAIL (a CNAME loop), which is temperror; pyspf "
                "over pydns ignores the RCODE of a UDP answer, takes the "
                "SERVFAIL for 'no record' and reports permerror")
    if ":" in ip and b == "permerror" and a in ("pass", "fail", "softfail",
                                                "neutral") and \
            k in ("self", "webhost", "exp", "ptr"):
        return VOID_PER_TERM
    if checker != "libspf2" or not k.startswith("permerror/"):
        return None
    sub = k.split("/", 1)[1]
    if a == "(invalid)":
        return ("libspf2 reports a record it cannot compile (%s) as "
                "SPF_RESULT_INVALID; RFC 7208 4.6 makes a syntax error "
                "permerror" % sub)
    if sub == "void-limit":
        return ("libspf2 1.2.10 (RFC 4408) has no void-lookup limit "
                "(RFC 7208 4.6.4): the third a: term with no address is "
                "passed over")
    if sub == "too-many-lookups":
        return ("libspf2 does not count the terms of included records "
                "against the limit of 10 (RFC 7208 4.6.4 counts every "
                "DNS-querying term of the whole evaluation)")
    if sub == "mx-empty-domain":
        return ("libspf2 takes 'mx:' with an empty domain-spec for 'mx'; "
                "the ABNF of RFC 7208 4.6.1/5.4 needs a domain-spec after "
                "the colon (permerror)")
    return None


def agreement(name, meta, queries, base, other):
    kinds = meta["query_kinds"]
    diffs = {}
    same = 0
    for i, (a, b) in enumerate(zip(other, base)):
        if a == b:
            same += 1
            continue
        why = classify(name, kinds[i], queries[i], a, b) or \
            "UNEXPLAINED"
        key = (kinds[i].split(":")[-1], a, b, why)
        d = diffs.setdefault(key, {"count": 0, "example": queries[i]})
        d["count"] += 1
    return same / len(base), sorted(
        [{"kind": k[0], "checker": k[1], "pyspf": k[2], "why": k[3],
          "count": v["count"], "example": v["example"].decode().strip()}
         for k, v in diffs.items()], key=lambda x: -x["count"])


# -- callgrind -------------------------------------------------------------

def callgrind(srv, work, build, lines, name="spfgate", warm_passes=2):
    """Instructions per warm evaluation: the difference between a run
    with one pass (cold) and one with 1 + warm_passes passes, divided by
    the warm evaluations; the profile is of the longer run."""
    def run(passes, tag):
        outfile = os.path.join(work, "callgrind.%s.%s.out" % (name, tag))
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" +
               outfile] + checker_cmd(name, build, UB_ADDR)
        c = Checker(cmd, work, "callgrind-%s-%s" % (name, tag))
        for _ in range(passes):
            c.feed(lines)
        c.close()
        ir = 0
        with open(outfile) as f:
            for line in f:
                if line.startswith("summary:") or line.startswith(
                        "totals:"):
                    ir = int(line.split()[1])
        return ir, outfile
    ir1, out1 = run(1, "cold")
    irn, out = run(1 + warm_passes, "warm")
    nwarm = len(lines) * warm_passes
    per = (irn - ir1) / nwarm
    prof = {}
    for incl in ("no", "yes"):
        a = annotate(out1, incl)
        b = annotate(out, incl)
        diff = sorted(((b[f] - a.get(f, 0)) / nwarm, f) for f in b)
        prof[incl] = [(round(ir), f) for ir, f in reversed(diff)][:30]
    shutil.copy(out, os.path.join(build, "bench", "callgrind.%s.out" % name))
    return {"name": name, "ir_per_warm_eval": per, "ir_cold_run": ir1, "ir_warm_run":
            irn, "n": len(lines), "warm_passes": warm_passes,
            "self": prof["no"], "inclusive": prof["yes"]}


def annotate(path, inclusive):
    """Instructions by function from callgrind_annotate."""
    r = subprocess.run(["callgrind_annotate", "--threshold=100", "--auto=no",
                        "--inclusive=" + inclusive, path],
                       capture_output=True, text=True).stdout
    out = {}
    body = r.split("file:function", 1)[-1]
    for line in body.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(\S.*)", line)
        if not m or "PROGRAM TOTALS" in line or "(" in m.group(2) and \
                m.group(2).endswith("x)"):
            continue
        fn = m.group(2).strip()
        name = fn.split(" [")[0]
        name = name.rsplit(":", 1)[-1] if ":" in name else name
        ir = int(m.group(1).replace(",", ""))
        # inline parts of one function come from several source files:
        # their self costs add up, an inclusive cost is the largest
        out[name] = out.get(name, 0) + ir if inclusive == "no" else \
            max(out.get(name, 0), ir)
    return out


# -- output ----------------------------------------------------------------

def fmt(v, digits=0):
    if v is None:
        return "-"
    if digits == 0:
        return "{:,.0f}".format(v)
    return "{:,.{}f}".format(v, digits)


def ratio(a, b):
    return "%.2fx" % (a / b) if b else "-"


def table(R):
    sg, l2, py, lat = R["spfgate"], R["libspf2"], R["pyspf"], \
        R["spflat"]
    rows = []

    def row(label, f, digits=0, rat=True, lower_better=False):
        cells = []
        for x in (sg, l2, py):
            v = f(x)
            c = fmt(v, digits)
            if rat and x is not sg and v is not None and f(sg):
                c += " (%s)" % ratio(v, f(sg))
            cells.append(c)
        rows.append("| %s | %s |" % (label, " | ".join(cells)))
    rows.append("| per evaluation, one process each | spfgate | libspf2 "
                "(ratio to spfgate) | pyspf (ratio to spfgate) |")
    rows.append("|---|---|---|---|")
    row("cold evals/s", lambda x: x["cold_eps"])
    row("warm evals/s", lambda x: x["warm_eps"])
    row("CPU µs/eval cold", lambda x: x["cold_cpu_us"], 1)
    row("CPU µs/eval warm", lambda x: x["warm_cpu_us"], 2)
    rows.append("| spfgate's core alone (spflat: no JSON, one in flight): "
                "evals/s cold / warm, CPU µs/eval cold / warm | %s / %s, %s / %s | - | - |" % (
                    fmt(lat["cold_eps"]), fmt(lat["warm_eps"]),
                    fmt(lat["cold_cpu_us"], 1), fmt(lat["warm_cpu_us"], 1)))
    rows.append("| latency p50 / p99 ms, cold, one in flight | %s / %s | "
                "%s / %s | %s / %s |" % (
                    fmt(lat["cold_p50_ms"], 3), fmt(lat["cold_p99_ms"], 3),
                    fmt(l2["cold_p50_ms"], 3), fmt(l2["cold_p99_ms"], 3),
                    fmt(py["cold_p50_ms"], 3), fmt(py["cold_p99_ms"], 3)))
    rows.append("| latency p50 / p99 ms, warm, one in flight | %s / %s | "
                "%s / %s | %s / %s |" % (
                    fmt(lat["warm_p50_ms"], 3), fmt(lat["warm_p99_ms"], 3),
                    fmt(l2["warm_p50_ms"], 3), fmt(l2["warm_p99_ms"], 3),
                    fmt(py["warm_p50_ms"], 3), fmt(py["warm_p99_ms"], 3)))
    rows.append("| latency p50 / p99 ms, cold, %d in flight (filter) | "
                "%s / %s | - | - |" % (INFLIGHT, fmt(sg["cold_p50_ms"], 0),
                                       fmt(sg["cold_p99_ms"], 0)))
    row("peak RSS MiB", lambda x: x["rss_hwm_kb"] / 1024.0, 1)
    row("DNS queries/eval cold (at unbound)", lambda x: x["cold_q"], 2)
    row("DNS queries/eval warm (at unbound)", lambda x: x["warm_q"], 3)
    row("DNS servers' CPU µs/eval cold (unbound + NSD)",
        lambda x: x["cold_ub_us"] + x["cold_nsd_us"], 0)
    row("ceiling the servers set, evals/s", lambda x: x["ceiling_eps"])
    row("what the machine had left allowed, evals/s (servers + checker "
        "CPU, less other load)", lambda x: x["machine_eps"])
    d = R["delay"]
    rows.append("| %d ms per answer: evals/s | %s (%d in flight) | %s "
                "(%s) | %s (%s) |" % (
                    DELAY_MS, fmt(d["spfgate"]["eps"]), INFLIGHT,
                    fmt(d["libspf2"]["eps"], 1),
                    ratio(d["libspf2"]["eps"], d["spfgate"]["eps"]),
                    fmt(d["pyspf"]["eps"], 1),
                    ratio(d["pyspf"]["eps"], d["spfgate"]["eps"])))
    rows.append("| %d ms per answer: DNS queries/eval (at the proxy) | "
                "%s | %s | %s |" % (
                    DELAY_MS, fmt(d["spfgate"]["proxy_q"], 2),
                    fmt(d["libspf2"]["proxy_q"], 2),
                    fmt(d["pyspf"]["proxy_q"], 2)))
    s = R["single"]
    rows.append("| one evaluation, %d ms per answer (include chain + mx "
                "with 5 hosts), ms | %s (%s questions) | %s (%s) | - |" % (
                    DELAY_MS, fmt(s["spfgate"]["ms"], 0),
                    s["spfgate"]["questions"], fmt(s["libspf2"]["ms"], 0),
                    ratio(s["libspf2"]["ms"], s["spfgate"]["ms"])))
    m = R["memory"]
    rows.append("| memory per evaluation in flight, KiB: filter / core "
                "(libunbound alone, per lookup) | %s / %s (%s) | - | - |" % (
                    fmt(m["filter_kib"], 2), fmt(m["core_kib"], 2),
                    fmt(m.get("libunbound_kib"), 2)))
    return "\n".join(rows)


def targets(R):
    sg, l2 = R["spfgate"], R["libspf2"]
    d, s, m = R["delay"], R["single"], R["memory"]
    t = []

    def add(name, ok, detail):
        t.append("| %s | %s | %s |" % (name, "met" if ok else "MISSED",
                                       detail))
    t.append("| target (issue 7) | | measured |")
    t.append("|---|---|---|")
    r = sg["warm_eps"] / l2["warm_eps"]
    add("warm: >= 2x libspf2's evals/s", r >= 2, "%.2fx" % r)
    add("warm: <= 10 µs CPU per evaluation", sg["warm_cpu_us"] <= 10,
        "%.1f µs" % sg["warm_cpu_us"])
    r = sg["cold_eps"] / sg["ceiling_eps"] if sg["ceiling_eps"] else 0
    add("cold: >= 90% of the ceiling the DNS servers set", r >= 0.9,
        "%.0f%% (%s of %s evals/s; %.0f%% of what the machine had left "
        "with %.1f cores taken by other work)" % (
            r * 100, fmt(sg["cold_eps"]), fmt(sg["ceiling_eps"]),
            100 * sg["cold_eps"] / sg["machine_eps"],
            sg["cold_foreign_cores"]))
    add("cold: no more DNS queries per evaluation than libspf2",
        sg["cold_q"] <= l2["cold_q"], "%.2f vs %.2f" % (sg["cold_q"],
                                                        l2["cold_q"]))
    r = d["spfgate"]["eps"] / d["libspf2"]["eps"]
    add("20 ms: >= 100x libspf2 with %d in flight" % INFLIGHT, r >= 100,
        "%.0fx" % r)
    add("memory: <= 2 KiB per evaluation in flight", m["core_kib"] is not
        None and m["core_kib"] <= 2, "core %s KiB, filter mode %s KiB" % (
            fmt(m["core_kib"], 2), fmt(m["filter_kib"], 2)))
    r = s["spfgate"]["ms"] / s["libspf2"]["ms"]
    add("one evaluation at 20 ms: <= 0.5x libspf2's latency", r <= 0.5,
        "%.2fx (%s vs %s ms)" % (r, fmt(s["spfgate"]["ms"]),
                                 fmt(s["libspf2"]["ms"])))
    a = R["agreement"]["spfgate"]
    unexplained = sum(x["count"] for x in a["diffs"] if x["why"] ==
                      "UNEXPLAINED")
    add("same results as pyspf on >= 99.5% of the queries, every "
        "difference explained", a["same"] >= 0.995 and unexplained == 0,
        "%.2f%%, %d unexplained" % (a["same"] * 100, unexplained))
    return "\n".join(t)


def machine():
    info = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "cores": os.cpu_count()}
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            info["cpu"] = line.split(":", 1)[1].strip()
            break
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            info["mem_gib"] = round(int(line.split()[1]) / 1048576, 1)
    info["kernel"] = os.uname().release
    rev = subprocess.run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", TOP, "status", "--short", "--",
                            "common", "filter"], capture_output=True,
                           text=True).stdout.split("\n")
    info["commit"] = rev + (" (+%d changed files in common/, filter/)" %
                            len([x for x in dirty if x.strip()])
                            if any(x.strip() for x in dirty) else "")
    info["load"] = open("/proc/loadavg").read().split()[:3]
    vers = subprocess.run(["dpkg-query", "-W", "-f", "${Package} "
                           "${Version}\\n", "nsd", "unbound", "libunbound8",
                           "libspf2-2", "python3-spf", "libevent-2.1-7",
                           "valgrind"], capture_output=True, text=True)
    info["packages"] = vers.stdout.strip().splitlines()
    return info


# -- main ------------------------------------------------------------------

def enter_namespaces():
    if os.environ.get("SPFBENCH_INNER") == "1":
        sh(["ip", "link", "set", "lo", "up"])
        sh(["mount", "--make-rprivate", "/"])
        return
    if os.geteuid() != 0:
        sys.exit("bench: needs root (network and mount namespaces)")
    env = dict(os.environ, SPFBENCH_INNER="1")
    os.execvpe("unshare", ["unshare", "--net", "--mount", "--", PY,
                           os.path.abspath(__file__)] + sys.argv[1:], env)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--out")
    ap.add_argument("--quick", action="store_true",
                    help="a small corpus, for trying changes")
    ap.add_argument("--callgrind", action="store_true",
                    help="only the callgrind figure")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--modes", action="store_true",
                    help="only libunbound's two async modes")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directory")
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    outdir = os.path.abspath(a.out or os.path.join(a.build, "bench"))
    enter_namespaces()
    os.makedirs(outdir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="spfbench.")
    corpus = os.path.join(work, "corpus")
    ndom, nq = (2000, 2000) if a.quick else (10000, 10000)
    t_start = time.monotonic()
    sh([PY, os.path.join(HERE, "gen_corpus.py"), corpus, "--domains",
        str(ndom), "--queries", str(nq)], stdout=sys.stderr)
    meta = json.load(open(os.path.join(corpus, "meta.json")))
    set_resolv_conf(work, UB_ADDR)
    sh(["mount", "--bind", os.path.join(work, "resolv.conf"),
        "/etc/resolv.conf"])
    srv = Servers(work, corpus, a.build)
    R = {"machine": machine(), "corpus": {k: v for k, v in meta.items()
                                          if not k.endswith("_kinds")}}
    R["corpus"]["domain_kinds"] = meta["domain_kinds"]
    try:
        srv.start_nsd()
        srv.start_unbound()
        lines = open(os.path.join(corpus, "queries.tsv"),
                     "rb").read().splitlines(keepends=True)
        dlines = open(os.path.join(corpus, "delay.tsv"),
                      "rb").read().splitlines(keepends=True)
        if a.modes:
            R["modes"] = resolver_modes(srv, work, a.build, dlines)
            print(modes_text(R["modes"]))
            return
        if a.callgrind:
            R["callgrind"] = [callgrind(srv, work, a.build, lines[:2000],
                                        n) for n in ("spfgate", "spflat")]
            for cg in R["callgrind"]:
                print(callgrind_text(cg))
            json.dump(R, open(os.path.join(outdir, "callgrind.json"), "w"),
                      indent=1)
            return
        rounds = 1 if a.quick else 3
        log("bench: cold and warm runs (%d queries, %d rounds)" % (
            len(lines), rounds))
        runs = {"spfgate": [], "libspf2": [], "spflat": []}
        for r in range(rounds):
            for name in runs:
                runs[name].append(cold_warm(name, srv, work, a.build,
                                            lines))
            if r == 0:
                R["pyspf"] = cold_warm("pyspf", srv, work, a.build, lines)
                R["pyspf"]["rounds"] = []
        for name in runs:
            R[name] = combine(runs[name])
        base = R["pyspf"]["results"]
        R["agreement"] = {}
        for name in ("spfgate", "libspf2"):
            same, diffs = agreement(name, meta, lines, base,
                                    R[name]["results"])
            R["agreement"][name] = {"same": same, "diffs": diffs}
        R["outcomes"] = {}
        for name in ("spfgate", "libspf2", "pyspf"):
            cnt = {}
            for x in R[name]["results"]:
                cnt[x] = cnt.get(x, 0) + 1
            R["outcomes"][name] = cnt

        log("bench: %d ms per answer" % DELAY_MS)
        # unbound warm for every name the delay list needs
        c = Checker(checker_cmd("spfgate", a.build, UB_ADDR), work,
                    "prewarm")
        c.feed(dlines)
        c.close()
        srv.start_proxy(DELAY_MS)
        set_resolv_conf(work, PROXY_ADDR)
        d = R["delay"] = {}
        d["spfgate"] = rss_run("spfgate", srv, work, a.build, dlines,
                               PROXY_ADDR, INFLIGHT)
        d["spflat"] = rss_run("spflat", srv, work, a.build, dlines,
                              PROXY_ADDR, INFLIGHT)
        d["libspf2"] = timeboxed("libspf2", srv, work, a.build, dlines,
                                 DELAY_PEER_S)
        d["pyspf"] = timeboxed("pyspf", srv, work, a.build, dlines,
                               DELAY_PEER_S)
        for k in ("spfgate", "spflat", "libspf2", "pyspf"):
            lat = [o[1] for o in d[k]["out"]]
            d[k]["p50_ms"] = pct(lat, 50) / 1e3
            d[k]["p99_ms"] = pct(lat, 99) / 1e3
            d[k]["mean_ms"] = statistics.mean(lat) / 1e3 if lat else 0
            d[k]["temperrors"] = sum(1 for o in d[k]["out"] if o[0] ==
                                     "temperror")
            del d[k]["out"]
        chain = open(os.path.join(corpus, "chain.tsv"), "rb").read()
        R["single"] = {"spfgate": single_eval("spfgate", work, a.build,
                                              chain),
                       "libspf2": single_eval("libspf2", work, a.build,
                                              chain),
                       "pyspf": single_eval("pyspf", work, a.build, chain,
                                            3)}
        ub_busy = ub_samples(a.build, work, dlines, PROXY_ADDR, INFLIGHT)
        px = subprocess.run([os.path.join(a.build, "bench", "dnsload"),
                             "-s", PROXY_ADDR + ":53", "-w", str(INFLIGHT),
                             "-n", "60000"], input=names_for_load(corpus),
                            capture_output=True, text=True)
        R["proxy_selftest"] = px.stdout.strip()
        srv.stop(srv.proxy)
        set_resolv_conf(work, UB_ADDR)
        # memory: the core's RSS at 1000 in flight against its RSS at the
        # same progress with one in flight and no delay (the same answers
        # cached, so the difference is what the evaluations in flight
        # hold); filter mode's max-inflight is not exact (a read chunk of
        # lines starts at once), so its figure is (RSS - idle) over the
        # mean in flight that Little's law gives
        b_c = rss_run("spflat", srv, work, a.build, dlines, UB_ADDR, 1)
        ub_one = ub_samples(a.build, work, dlines, UB_ADDR, 1)
        f = d["spfgate"]
        mid = [rss for got, rss in f["samples"] if 0.2 * f["n"] <= got <=
               0.8 * f["n"]]
        f["mean_inflight"] = f["eps"] * f["mean_ms"] / 1000.0
        R["memory"] = {
            "filter_kib": (statistics.median(mid) - f["idle_kb"]) /
            f["mean_inflight"] if mid else None,
            "filter_mean_inflight": f["mean_inflight"],
            "core_kib": per_eval_kib(d["spflat"], b_c, INFLIGHT),
            "libunbound_kib": per_eval_kib(ub_busy, ub_one, INFLIGHT),
            "filter_idle_kb": f["idle_kb"],
            "filter_hwm_kb": f["hwm_kb"],
            "core_idle_kb": d["spflat"]["idle_kb"],
            "core_hwm_kb": d["spflat"]["hwm_kb"],
            "core_1_hwm_kb": b_c["hwm_kb"]}
        for k in ("spfgate", "spflat"):
            del d[k]["samples"]
        R["modes"] = resolver_modes(srv, work, a.build, dlines)
        if not a.no_callgrind:
            log("bench: callgrind")
            R["callgrind"] = [callgrind(srv, work, a.build, lines[:2000],
                                        n) for n in ("spfgate", "spflat")]
        R["elapsed_s"] = time.monotonic() - t_start
        for k in ("spfgate", "libspf2", "pyspf", "spflat"):
            R[k + "_results"] = R[k].pop("results")
        text = report(R)
        print(text)
        with open(os.path.join(outdir, "table.md"), "w") as f:
            f.write(text + "\n")
        json.dump(R, open(os.path.join(outdir, "results.json"), "w"),
                  indent=1)
    finally:
        srv.stop_all()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log("bench: work directory kept: %s" % work)


def names_for_load(corpus):
    """The names of the query list as TXT questions, for dnsload."""
    out = []
    for line in open(os.path.join(corpus, "queries.tsv")):
        s = line.split("\t")[1]
        if "@" in s:
            out.append(s.split("@", 1)[1] + " TXT")
    return "\n".join(sorted(set(out))) + "\n"


def ub_samples(build, work, dlines, addr, window):
    """libunbound alone (event mode): RSS against lookups answered."""
    names = sorted({l.decode().split("\t")[1].split("@")[-1] for l in
                    dlines if b"@" in l})
    path = os.path.join(work, "modes.names")
    with open(path, "w") as f:
        f.write("\n".join(names) + "\n")
    r = subprocess.run([os.path.join(build, "bench", "resolver-modes"),
                        "-m", "event", "-r", addr + "@53", "-w", str(window),
                        "-s", path], capture_output=True, text=True)
    samples = [(int(x.split()[1]), int(x.split()[2])) for x in
               r.stderr.splitlines() if x.startswith("sample ")]
    return {"n": len(names), "samples": samples}


def resolver_modes(srv, work, build, dlines):
    """libunbound's two async modes on the same names."""
    names = sorted({l.decode().split("\t")[1].split("@")[-1] for l in
                    dlines if b"@" in l})
    path = os.path.join(work, "modes.names")
    with open(path, "w") as f:
        f.write("\n".join(names) + "\n")
    out = {}
    for mode in ("async", "event"):
        r = subprocess.run([os.path.join(build, "bench", "resolver-modes"),
                            "-m", mode, "-r", UB_ADDR + "@53", "-w",
                            str(INFLIGHT), path], capture_output=True,
                           text=True)
        out[mode] = r.stdout.strip() or r.stderr.strip()
    return out


def modes_text(m):
    return "libunbound async modes, %s:\n  %s\n  %s" % (
        "same names, cold then warm", m.get("async"), m.get("event"))


def callgrind_text(cg):
    lines = ["callgrind: %s instructions per warm evaluation of %s (%d "
             "queries, %d warm passes, less a cold-only run)" % (
                 fmt(cg["ir_per_warm_eval"]), "spfgate filter" if
                 cg["name"] == "spfgate" else "the core (spflat)", cg["n"],
                 cg["warm_passes"]),
             "  per warm evaluation, inclusive (top 20):"]
    for ir, fn in cg["inclusive"][:20]:
        lines.append("    %9s  %s" % (fmt(ir), fn))
    lines.append("  per warm evaluation, self (top 20):")
    for ir, fn in cg["self"][:20]:
        lines.append("    %9s  %s" % (fmt(ir), fn))
    return "\n".join(lines)


def report(R):
    m = R["machine"]
    out = ["spfgate benchmark, %s, commit %s; %s cores (%s), %s GiB, "
           "load %s; finished in %.0f s" % (
               m["date"], m["commit"], m["cores"], m.get("cpu"),
               m.get("mem_gib"), " ".join(m["load"]), R["elapsed_s"]),
           "corpus: %d domains, %d queries (%d IPv6 clients, %d null "
           "senders)" % (R["corpus"]["domains"], R["corpus"]["queries"],
                         R["corpus"]["v6_queries"],
                         R["corpus"]["null_senders"]),
           "outcomes (pyspf): " + ", ".join(
               "%s %d" % kv for kv in sorted(R["outcomes"]["pyspf"].items(),
                                             key=lambda x: -x[1])),
           "", table(R), "", targets(R), ""]
    for name in ("spfgate", "libspf2"):
        a = R["agreement"][name]
        out.append("agreement of %s with pyspf: %.2f%% of %d queries" % (
            name, a["same"] * 100, R["corpus"]["queries"]))
        for x in a["diffs"]:
            out.append("  %4d  %s says %s, pyspf %s [%s]: %s" % (
                x["count"], name, x["checker"], x["pyspf"], x["kind"],
                x["why"]))
            out.append("        e.g. %s" % x["example"].replace("\t", " "))
    out.append("")
    for name in ("spfgate", "libspf2", "spflat"):
        x = R[name]
        out.append("%s per round (cold/warm evals/s; other load on the "
                   "machine, cores): %s" % (name, "; ".join(
                       "%s/%s (%.1f/%.1f)" % (fmt(r["cold_eps"]),
                                              fmt(r["warm_eps"]),
                                              r["cold_foreign_cores"],
                                              r["warm_foreign_cores"])
                       for r in x["rounds"])))
    for name in ("spfgate", "libspf2", "pyspf"):
        x = R[name]
        if x["warm_differs"]:
            out.append("%s: %d results changed from the cold pass to the "
                       "first warm one (%s)" % (
                           name, x["warm_differs"],
                           ", ".join(x["warm_differs_how"])))
    d = R["delay"]
    out.append("")
    out.append("%d ms per answer: spfgate filter %s evals/s (p50 %s ms, "
               "p99 %s ms, %d temperrors), core %s evals/s; libspf2 %s "
               "evals/s over %d queries, pyspf %s over %d" % (
                   DELAY_MS, fmt(d["spfgate"]["eps"]),
                   fmt(d["spfgate"]["p50_ms"]), fmt(d["spfgate"]["p99_ms"]),
                   d["spfgate"]["temperrors"], fmt(d["spflat"]["eps"]),
                   fmt(d["libspf2"]["eps"], 1), d["libspf2"]["n"],
                   fmt(d["pyspf"]["eps"], 1), d["pyspf"]["n"]))
    out.append("delaying proxy self-test (%d in flight, %d ms): %s" % (
        INFLIGHT, DELAY_MS, R["proxy_selftest"]))
    mm = R["memory"]
    out.append("memory: libunbound alone (event mode, the same names) "
               "holds %s KiB per lookup in flight" % fmt(mm.get(
                   "libunbound_kib"), 2))
    out.append("memory: filter idle %s KiB, peak %s KiB at --max-inflight "
               "%d (%.0f in flight on average); core idle %s KiB, peak %s "
               "KiB at %d in flight, %s KiB at one" % (
                   fmt(mm["filter_idle_kb"]), fmt(mm["filter_hwm_kb"]),
                   INFLIGHT, mm["filter_mean_inflight"],
                   fmt(mm["core_idle_kb"]), fmt(mm["core_hwm_kb"]),
                   INFLIGHT, fmt(mm["core_1_hwm_kb"])))
    s = R["single"]
    out.append("one evaluation at %d ms per answer: spfgate %s ms, libspf2 "
               "%s ms, pyspf %s ms (medians of fresh processes)" % (
                   DELAY_MS, "/".join(fmt(x) for x in s["spfgate"]["all_ms"]),
                   "/".join(fmt(x) for x in s["libspf2"]["all_ms"]),
                   "/".join(fmt(x) for x in s["pyspf"]["all_ms"])))
    out.append("")
    out.append(modes_text(R["modes"]))
    for cg in R.get("callgrind", []):
        out.append("")
        out.append(callgrind_text(cg))
    return "\n".join(out)


if __name__ == "__main__":
    main()
