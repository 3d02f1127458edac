#!/usr/bin/python3
# bench.py: spfgate against libspf2 and pyspf on one synthetic corpus,
# served by NSD behind a caching unbound, all on loopback in network and
# mount namespaces of our own (so ports 53 are ours, other work on the
# machine is not disturbed, and libspf2's and pyspf's system resolver can
# be pointed at our servers by bind-mounting /etc/resolv.conf).
#
#   /usr/bin/python3 tests/bench/bench.py [--quick] [--callgrind]
#       [--callgrind-cold] [--no-callgrind] [--build DIR] [--out DIR]
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
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from benchsrv import *  # noqa: F401,F403 the servers, constants
from benchreport import report, modes_text, callgrind_text, agreement
from benchreport import callgrind_cold_text
from benchcg import callgrind, callgrind_cold
from benchcold import cold_rounds, perf_cold


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
    """(result, latency_us, questions[, cached, shared]) per line."""
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
                        f[2].isdigit() else None,
                        int(f[3]) if len(f) > 4 else None,
                        int(f[4]) if len(f) > 4 else None))
    return out


# -- the runs ------------------------------------------------------------

SPFGATE_OPTS = []       # --spfgate-opt: for trying a setting


def checker_cmd(name, build, resolver_addr, inflight=INFLIGHT):
    if name == "spfgate":
        # the MAIL FROM identity alone, as the libspf2 and pyspf drivers
        # check it: with issue 14's default HELO check on, spfgate asked
        # 0.742 questions per evaluation at unbound against libspf2's
        # 0.629 for work the peers do not do
        return [os.path.join(build, "spfgate"), "filter", "--config",
                "/dev/null", "--resolver", resolver_addr + "@53",
                "--dnssec", "no", "--receiver", "bench.local",
                "--helo-check", "no", "--cache-size", CACHE_SIZE,
                "--max-inflight", str(inflight)] + SPFGATE_OPTS
    if name in ("spflat", "spflat-count"):
        return [os.path.join(build, "bench", "spflat"), "--config",
                "/dev/null", "--resolver", resolver_addr + "@53",
                "--dnssec", "no", "--receiver", "bench.local",
                "--cache-size", CACHE_SIZE, "--inflight", str(inflight)] + (
                    ["--count-cached"] if name == "spflat-count" else [])
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
                       # unbound's own queue: questions waiting in it,
                       # and how long it took to answer one
                       "ub_reqlist_avg": st.get("total.requestlist.avg",
                                                0),
                       "ub_reqlist_max": st.get("total.requestlist.max",
                                                0),
                       "ub_rec_ms": st.get("total.recursion.time.avg",
                                           0) * 1000,
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
        # how busy each was during the cold pass, in cores
        "cold_busy": cold["cpu"] / cold["t"],
        "cold_ub_busy": cold["ub_cpu"] / cold["t"],
        "cold_nsd_busy": cold["nsd_cpu"] / cold["t"],
        "cold_ub_reqlist_avg": cold["ub_reqlist_avg"],
        "cold_ub_reqlist_max": cold["ub_reqlist_max"],
        "cold_ub_rec_ms": cold["ub_rec_ms"],
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
    if name == "spfgate":
        # evaluations in flight on average (Little's law) of the
        # max-inflight allowed
        res["cold_inflight_mean"] = res["cold_eps"] * statistics.mean(
            lat_c) / 1e6
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


def cache_counts(srv, work, build, lines):
    """Where the core's answers came from, per evaluation, cold then
    warm: its answer cache, a question already in flight, or a question
    to libunbound (spflat --count-cached: traced, so a pass of its
    own)."""
    srv.restart_unbound()
    c = Checker(checker_cmd("spflat-count", build, UB_ADDR), work,
                "spflat-count")
    out = {}
    for k in ("cold", "warm"):
        res = parse("driver", c.feed(lines))
        n = float(len(res))
        out[k] = {"cached": sum(r[3] or 0 for r in res) / n,
                  "shared": sum(r[4] or 0 for r in res) / n,
                  "asked": sum(r[2] or 0 for r in res) / n}
    c.close()
    return out


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
        r["proxy_outstanding_max"] = px1.get("udp_outstanding_max")
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


# -- callgrind (benchcg.py) -----------------------------------------------

def cg_warm(work, build, lines):
    return [callgrind(Checker, checker_cmd(n, build, UB_ADDR), work, build,
                      lines, n) for n in ("spfgate", "spflat")]


def cg_cold(srv, work, build, lines, sim=False):
    """spfgate filter as the table runs it, and libspf2's driver."""
    return [callgrind_cold(Checker, checker_cmd(n, build, UB_ADDR), srv,
                           work, build, lines, n, sim)
            for n in ("spfgate", "libspf2")]


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
    ap.add_argument("--callgrind-cold", action="store_true",
                    help="only instructions per cold evaluation")
    ap.add_argument("--cold", type=int, metavar="ROUNDS",
                    help="only cold passes, spfgate beside libspf2")
    ap.add_argument("--cold-variant", action="append", default=[],
                    help="with --cold: a third checker, spfgate with "
                    "this argument more (repeat for several)")
    ap.add_argument("--cold-build", metavar="DIR",
                    help="with --cold: spfgate of another build beside")
    ap.add_argument("--cache-sim", action="store_true",
                    help="--callgrind-cold with cache misses simulated")
    ap.add_argument("--perf-cold", action="store_true",
                    help="only a cold pass of spfgate under perf record")
    ap.add_argument("--modes", action="store_true",
                    help="only libunbound's two async modes")
    ap.add_argument("--mem", action="store_true",
                    help="only the 20 ms rate and the memory per "
                    "evaluation in flight")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directory")
    ap.add_argument("--spfgate-opt", action="append", default=[],
                    help="one more argument to spfgate filter")
    a = ap.parse_args()
    SPFGATE_OPTS.extend(a.spfgate_opt)
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
    R["cache_size"] = CACHE_SIZE
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
        if a.mem:
            print(json.dumps(mem_only(srv, work, a.build, dlines),
                             indent=1))
            return
        if a.callgrind:
            R["callgrind"] = cg_warm(work, a.build, lines[:2000])
            for cg in R["callgrind"]:
                print(callgrind_text(cg))
            json.dump(R, open(os.path.join(outdir, "callgrind.json"), "w"),
                      indent=1)
            return
        if a.cold:
            R["cold"] = cold_rounds(Checker, checker_cmd, srv, work,
                                    a.build, lines, a.cold, a.cold_variant,
                                    a.cold_build)
            json.dump(R, open(os.path.join(outdir, "cold.json"), "w"),
                      indent=1)
            return
        if a.perf_cold:
            p = perf_cold(Checker, checker_cmd("spfgate", a.build, UB_ADDR),
                          srv, work, a.build, lines, "spfgate")
            for k in ("by_object", "by_function"):
                print("perf, cold pass of spfgate filter, %s:" % k)
                for pc, what in p[k][:40]:
                    print("  %6.2f%%  %s" % (pc, what))
            return
        if a.callgrind_cold:
            R["callgrind_cold"] = cg_cold(srv, work, a.build, lines[:2000],
                                          a.cache_sim)
            for cg in R["callgrind_cold"]:
                print(callgrind_cold_text(cg))
            json.dump(R, open(os.path.join(outdir, "callgrind-cold.json"),
                              "w"), indent=1)
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
        R["origins"] = cache_counts(srv, work, a.build, lines)
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
        # issue 16's memory figure: spfgate filter's peak RSS at
        # --max-inflight INFLIGHT and at MEM_LOW, the same queries, every
        # answer DELAY_MS late, each in a fresh process
        mq = dlines[:MEM_QUERIES]
        hi = rss_run("spfgate", srv, work, a.build, mq, PROXY_ADDR,
                     INFLIGHT)
        lo = rss_run("spfgate", srv, work, a.build, mq, PROXY_ADDR,
                     MEM_LOW)
        R["mem16"] = {"n": len(mq), "hi_kb": hi["hwm_kb"],
                      "lo_kb": lo["hwm_kb"], "hi_eps": hi["eps"],
                      # questions out at once at the proxy, at most
                      "hi_q_max": hi.get("proxy_outstanding_max"),
                      "lo_q_max": lo.get("proxy_outstanding_max"),
                      "lo_eps": lo["eps"],
                      "kib": (hi["hwm_kb"] - lo["hwm_kb"]) /
                      float(INFLIGHT - MEM_LOW)}
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
            R["callgrind"] = cg_warm(work, a.build, lines[:2000])
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


def mem_only(srv, work, build, dlines):
    """The 20 ms rows alone: spfgate's and libspf2's rate, and issue
    16's memory figure, as the whole run measures them."""
    c = Checker(checker_cmd("spfgate", build, UB_ADDR), work, "prewarm")
    c.feed(dlines)
    c.close()
    srv.start_proxy(DELAY_MS)
    set_resolv_conf(work, PROXY_ADDR)
    try:
        g = rss_run("spfgate", srv, work, build, dlines, PROXY_ADDR,
                    INFLIGHT)
        p = timeboxed("libspf2", srv, work, build, dlines, DELAY_PEER_S)
        mq = dlines[:MEM_QUERIES]
        hi = rss_run("spfgate", srv, work, build, mq, PROXY_ADDR, INFLIGHT)
        lo = rss_run("spfgate", srv, work, build, mq, PROXY_ADDR, MEM_LOW)
    finally:
        srv.stop(srv.proxy)
        set_resolv_conf(work, UB_ADDR)
    return {"eps": g["eps"], "libspf2_eps": p["eps"],
            "ratio": g["eps"] / p["eps"] if p["eps"] else None,
            "temperrors": sum(1 for o in g["out"] if o[0] == "temperror"),
            "hi_kb": hi["hwm_kb"], "lo_kb": lo["hwm_kb"],
            "hi_q_max": hi.get("proxy_outstanding_max"),
            "lo_q_max": lo.get("proxy_outstanding_max"),
            "kib": (hi["hwm_kb"] - lo["hwm_kb"]) /
            float(INFLIGHT - MEM_LOW)}


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


if __name__ == "__main__":
    main()
