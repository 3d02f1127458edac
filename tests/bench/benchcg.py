#!/usr/bin/python3
# benchcg.py: the bench's instruction counts (callgrind), the figures
# that stay put on a busy machine.  Warm: a run with 1 + 2 passes less
# a run with one, over the warm evaluations.  Cold (issue 16): a fresh
# unbound and a fresh checker, one pass, less a run that starts and
# stops with no line, over the lines; its self costs are also summed by
# object (our code, libunbound, libc's malloc, the rest of libc,
# libevent), read from the profile itself.  Imported by bench.py.
import os
import re
import shutil
import subprocess

# libc's allocator, counted apart from the rest of libc
MALLOC_FNS = {"malloc", "free", "calloc", "realloc", "cfree", "_int_malloc",
              "_int_free", "_int_realloc", "malloc_consolidate",
              "unlink_chunk", "unlink_chunk.constprop.0", "tcache_init",
              "tcache_init.part.0", "__libc_malloc", "__libc_free",
              "__libc_calloc", "__libc_realloc", "sysmalloc",
              "malloc_printerr", "_int_memalign", "__posix_memalign",
              "_mid_memalign", "aligned_alloc", "memalign"}


def run_passes(Checker, cmd, work, tag, lines, passes, sim=False):
    """One checker under callgrind fed passes passes; (Ir, profile).
    sim: with callgrind's cache simulation (misses in the first level
    and the last, LL: what wall-clock CPU pays and Ir does not show)."""
    out = os.path.join(work, "callgrind.%s.out" % tag)
    # the last level as a core's share of a shared L3 (4 MiB), not the
    # VM's 480 MiB that valgrind reads from cpuid, in which nothing but a
    # first touch misses
    c = Checker(["valgrind", "--tool=callgrind", "--callgrind-out-file=" +
                 out] + (["--cache-sim=yes", "--LL=4194304,16,64"] if sim
                         else []) + cmd, work, "callgrind-" + tag)
    for _ in range(passes):
        c.feed(lines)
    c.close()
    ir = 0
    with open(out) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                ir = int(line.split()[1])
    return ir, out


def annotate(path, inclusive):
    """Instructions by function from callgrind_annotate."""
    r = subprocess.run(["callgrind_annotate", "--threshold=100", "--auto=no",
                        "--inclusive=" + inclusive, path],
                       capture_output=True, text=True, check=True).stdout
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


def self_by_object(path):
    """Self costs by (object, function), from the profile, a list per
    event (Ir first; with --cache-sim, the misses too): a cost line
    counts for the current function unless it follows a calls= line
    (then it is the call's inclusive cost).  Also the event names."""
    names = {"ob": {}, "fn": {}}
    ob = fn = "?"
    out = {}
    events = ["Ir"]
    after_call = False
    spec = re.compile(r"^(c?)(ob|fn)=(?:\((\d+)\))?\s*(.*)$")
    with open(path) as f:
        for line in f:
            m = spec.match(line)
            if m:
                kind, ref, text = m.group(2), m.group(3), m.group(4).strip()
                if ref is not None and text:
                    names[kind][ref] = text
                val = names[kind].get(ref, text) if ref is not None \
                    else text
                if not m.group(1):
                    if kind == "ob":
                        ob = val
                    else:
                        fn = val
                continue
            if line.startswith("events:"):
                events = line.split()[1:]
                continue
            if line.startswith("calls="):
                after_call = True
                continue
            if line[:1] in "0123456789+-*":
                if after_call:
                    after_call = False
                    continue
                v = out.setdefault((ob, fn), [0] * len(events))
                for i, x in enumerate(line.split()[1:len(events) + 1]):
                    v[i] += int(x)
    return out, events


def group(obj, fn, ours):
    base = os.path.basename(obj)
    if base == ours:
        return "ours (" + ours + ")"
    if base.startswith("libc.so"):
        return "libc malloc/free" if fn in MALLOC_FNS else "libc, the rest"
    for lib in ("libunbound", "libevent", "libbsd", "libcrypto", "libssl",
                "ld-linux", "libidn2", "libspf2", "libresolv"):
        if base.startswith(lib):
            return lib
    return base


def diff(a, b, n):
    d = sorted(((b[k] - a.get(k, 0)) / n, k) for k in b)
    return [(round(ir), k) for ir, k in reversed(d)]


def callgrind(Checker, cmd, work, build, lines, name, warm_passes=2):
    """Instructions per warm evaluation: the difference between a run
    with one pass (cold) and one with 1 + warm_passes passes, divided by
    the warm evaluations; the profile is of the longer run."""
    ir1, out1 = run_passes(Checker, cmd, work, name + ".cold", lines, 1)
    irn, out = run_passes(Checker, cmd, work, name + ".warm", lines,
                          1 + warm_passes)
    nwarm = len(lines) * warm_passes
    prof = {}
    for incl in ("no", "yes"):
        prof[incl] = diff(annotate(out1, incl), annotate(out, incl),
                          nwarm)[:30]
    shutil.copy(out, os.path.join(build, "bench", "callgrind.%s.out" % name))
    return {"name": name, "ir_per_warm_eval": (irn - ir1) / nwarm,
            "ir_cold_run": ir1, "ir_warm_run": irn, "n": len(lines),
            "warm_passes": warm_passes, "self": prof["no"],
            "inclusive": prof["yes"]}


def callgrind_cold(Checker, cmd, srv, work, build, lines, name, sim=False):
    """Instructions per cold evaluation: a fresh unbound and a fresh
    checker, one pass, less a run with one line: start and exit, and
    what libunbound does once at its first question (it seeds its random
    generator then, 9.6M instructions of nettle's Yarrow: 4.8k per
    evaluation over 2,000 if counted as theirs)."""
    ir0, out0 = run_passes(Checker, cmd, work, name + ".idle", lines[:1],
                           1, sim)
    srv.restart_unbound()
    srv.ub_stats()      # counters since the last call
    ir1, out1 = run_passes(Checker, cmd, work, name + ".cold1", lines, 1,
                           sim)
    q = (srv.ub_stats() or {}).get("total.num.queries", 0)
    n = len(lines) - 1
    prof = {}
    for incl in ("no", "yes"):
        prof[incl] = diff(annotate(out0, incl), annotate(out1, incl),
                          n)[:30]
    ours = os.path.basename(cmd[0])
    (by0, ev), (by1, _) = self_by_object(out0), self_by_object(out1)
    # Ir, and with sim the last level's misses (instruction and data)
    ll = [i for i, e in enumerate(ev) if e in ("ILmr", "DLmr", "DLmw")]
    d1 = [i for i, e in enumerate(ev) if e in ("D1mr", "D1mw")]
    objs, llm, d1m, fnm = {}, {}, {}, {}
    for (ob, fn), v in by1.items():
        g = group(ob, fn, ours)
        v0 = by0.get((ob, fn), [0] * len(v))
        objs[g] = objs.get(g, 0) + v[0] - v0[0]
        llm[g] = llm.get(g, 0) + sum(v[i] - v0[i] for i in ll)
        d1m[g] = d1m.get(g, 0) + sum(v[i] - v0[i] for i in d1)
        fnm[fn] = fnm.get(fn, 0) + sum(v[i] - v0[i] for i in ll)
    for tag, path in (("idle", out0), ("cold", out1)):
        shutil.copy(path, os.path.join(build, "bench", "callgrind.%s.%s.out"
                                       % (name, tag)))
    return {"name": name, "ir_per_cold_eval": (ir1 - ir0) / n,
            "ir_idle_run": ir0, "ir_cold_run": ir1, "n": n,
            "questions_per_eval": q / float(n + 1),
            "objects": sorted(((round(v / n), k) for k, v in objs.items()),
                              reverse=True),
            "ll_misses": sorted(((round(v / n, 1), k) for k, v in
                                 llm.items()), reverse=True) if ll else [],
            "d1_misses": sorted(((round(v / n, 1), k) for k, v in
                                 d1m.items()), reverse=True) if d1 else [],
            "ll_misses_fn": sorted(((round(v / n, 1), k) for k, v in
                                    fnm.items()), reverse=True)[:20]
            if ll else [],
            "self": prof["no"], "inclusive": prof["yes"]}
