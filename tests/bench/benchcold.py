#!/usr/bin/python3
# benchcold.py: the cold checker's CPU (issue 16), apart from the table:
# cold passes only, spfgate beside libspf2 (and a variant or another
# build), CPU per evaluation split into user and system time, and the
# cores that checker and servers would need at 0.9 of the servers'
# ceiling; and a cold pass under perf record, kernel included.
# Imported by bench.py.
import json
import os
import re
import statistics
import subprocess
import time

from benchsrv import UB_ADDR, busy_s, cpu_s, log, user_sys_s


def switches(pid):
    """Context switches of pid so far, voluntary and not (all threads
    of a one-thread checker)."""
    n = 0
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if "ctxt_switches:" in line:
                    n += int(line.split()[-1])
    except OSError:
        pass
    return n


def cold_rounds(Checker, checker_cmd, srv, work, build, lines, rounds,
                variant=None, other=None):
    """Only cold passes, spfgate and libspf2 interleaved, a fresh
    unbound and checker each: the checker's CPU per evaluation (user
    and system), its rate and the ratios, round by round (issue 16).
    variant: more arguments for a third checker, spfgate with them;
    other: a build directory whose spfgate runs beside (before/after)."""
    rows = {"spfgate": [], "libspf2": []}
    if variant:
        rows["spfgate " + " ".join(variant)] = []
    if other:
        rows["spfgate@" + other] = []
    for r in range(rounds):
        for name in rows:
            srv.restart_unbound()
            b = name.split("@")[1] if "@" in name else build
            cmd = checker_cmd(name.split()[0].split("@")[0], b, UB_ADDR)
            c = Checker(cmd + name.split()[1:], work, name.split()[0][:7])
            time.sleep(0.3)
            srv.ub_stats()
            u0, s0 = user_sys_s(c.pid)
            cs0 = switches(c.pid)
            ub0, nsd0 = srv.dns_cpu()
            cpu0, busy0, t0 = cpu_s(c.pid), busy_s(), time.monotonic()
            out = c.feed(lines)
            t = time.monotonic() - t0
            cpu, busy = cpu_s(c.pid) - cpu0, busy_s() - busy0
            ub1, nsd1 = srv.dns_cpu()
            u1, s1 = user_sys_s(c.pid)
            cs = switches(c.pid) - cs0
            q = (srv.ub_stats() or {}).get("total.num.queries", 0)
            c.close()
            n = float(len(lines))
            x = {"eps": n / t, "cpu_us": cpu / n * 1e6,
                 "user_us": (u1 - u0) / n * 1e6, "sys_us": (s1 - s0) / n *
                 1e6, "q": q / n, "machine_busy": busy / t,
                 "ub_us": (ub1 - ub0) / n * 1e6,
                 "nsd_us": (nsd1 - nsd0) / n * 1e6, "switches": cs / n}
            # cores that checker and servers need at 0.9 of the ceiling
            # the servers set (one process each): issue 16's target
            # holds on 2 cores only if this is at most 2
            x["cores_at_09"] = 0.9 * (x["cpu_us"] + x["ub_us"] +
                                      x["nsd_us"]) / max(
                x["ub_us"], x["nsd_us"], (x["ub_us"] + x["nsd_us"]) / 2)
            # spfgate's own time per evaluation, start to result
            ms = sorted(json.loads(o).get("elapsed_ms", 0) for o in out
                        if o.startswith(b"{")) or [0]
            x["p50_ms"], x["p99_ms"] = ms[len(ms) // 2], ms[len(ms) * 99 //
                                                         100]
            # the rate as a share of the servers' ceiling: the target
            x["of_ceiling"] = x["eps"] * max(
                x["ub_us"], x["nsd_us"], (x["ub_us"] + x["nsd_us"]) / 2) / 1e6
            rows[name].append(x)
            log("  round %d %s: %.0f/s, %.1f us CPU (user %.1f, sys %.1f),"
                " %.3f q/eval, %.2f context switches/eval, servers %.1f +"
                " %.1f us, %.2f of their ceiling, %.2f cores at 0.9, "
                "machine %.2f cores busy, p50/p99 %d/%d ms" % (
                    r + 1, name, x["eps"], x["cpu_us"], x["user_us"],
                    x["sys_us"], x["q"], x["switches"], x["ub_us"],
                    x["nsd_us"], x["of_ceiling"], x["cores_at_09"],
                    x["machine_busy"], x["p50_ms"], x["p99_ms"]))
    med = {k: {f: statistics.median(x[f] for x in v) for f in v[0]}
           for k, v in rows.items()}
    for k, v in med.items():
        print("cold, %d rounds, median of %s: %.0f/s, %.2f of the "
              "servers' ceiling, %.1f us CPU (user %.1f, sys %.1f), %.2f "
              "cores at 0.9 of the ceiling" % (
                  rounds, k, v["eps"], v["of_ceiling"], v["cpu_us"],
                  v["user_us"], v["sys_us"], v["cores_at_09"]))
    g, p = med["spfgate"], med["libspf2"]
    print("cold, %d rounds, medians: spfgate %.0f/s, %.1f us CPU per "
          "evaluation (user %.1f, sys %.1f); libspf2 %.0f/s, %.1f us (user "
          "%.1f, sys %.1f); rate %.2fx libspf2's, CPU %.2fx; questions "
          "%.3f vs %.3f; cores needed at 0.9 of the servers' ceiling "
          "%.2f vs %.2f" % (rounds, g["eps"], g["cpu_us"], g["user_us"],
                            g["sys_us"], p["eps"], p["cpu_us"], p["user_us"],
                            p["sys_us"], g["eps"] / p["eps"],
                            g["cpu_us"] / p["cpu_us"], g["q"], p["q"],
                            g["cores_at_09"], p["cores_at_09"]))
    return {"rounds": rows, "median": med}


def perf_cold(Checker, cmd, srv, work, build, lines, name):
    """A cold pass under perf record (cpu-clock, the kernel included):
    the checker's samples by object and by function.  Sampled wall-
    clock CPU moves with the load; the shares are what is read."""
    data = os.path.join(build, "bench", "perf.%s.cold.data" % name)
    srv.restart_unbound()
    c = Checker(["perf", "record", "-q", "-e", "cpu-clock", "-F", "20000",
                 "-g", "-o", data, "--"] + cmd, work, "perf-" + name)
    c.feed(lines)
    c.close()
    out = {}
    for sort in ("dso", "dso,sym"):
        r = subprocess.run(["perf", "report", "-i", data, "--stdio",
                            "--no-children", "--percent-limit", "0.5",
                            "-g", "none", "--sort", sort],
                           capture_output=True, text=True, check=True)
        rows = []
        for line in r.stdout.splitlines():
            m = re.match(r"\s*([\d.]+)%\s+(.*)$", line)
            if m:
                rows.append((float(m.group(1)), " ".join(
                    m.group(2).split())))
        out[sort] = rows
    return {"name": name, "n": len(lines), "by_object": out["dso"],
            "by_function": out["dso,sym"]}
