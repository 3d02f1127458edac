#!/usr/bin/python3
# benchreport.py: the bench's table, its targets (issue 16) and the text
# around them, from the figures bench.py gathered; and the agreement of
# each checker with pyspf, every difference classified.  No I/O but the
# returned text.
from benchsrv import DELAY_MS, INFLIGHT, MEM_LOW


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
    rows.append("| busy during the cold pass, cores: checker / unbound / "
                "NSD | %s |" % " | ".join("%.2f / %.2f / %.2f" % (
                    x["cold_busy"], x["cold_ub_busy"], x["cold_nsd_busy"])
                    for x in (sg, l2, py)))
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
    m = R["mem16"]
    rows.append("| memory per evaluation in flight, KiB: (peak RSS at %d - "
                "at %d) / %d, %d ms per answer | %s | - | - |" % (
                    INFLIGHT, MEM_LOW, INFLIGHT - MEM_LOW, DELAY_MS,
                    fmt(m["kib"], 2)))
    m = R["memory"]
    rows.append("| memory per evaluation in flight, KiB: filter / core "
                "(libunbound alone, per lookup) | %s / %s (%s) | - | - |" % (
                    fmt(m["filter_kib"], 2), fmt(m["core_kib"], 2),
                    fmt(m.get("libunbound_kib"), 2)))
    return "\n".join(rows)


def targets(R):
    """Issue 16's targets, each met or missed, from this run alone."""
    sg, l2 = R["spfgate"], R["libspf2"]
    d, s, m = R["delay"], R["single"], R["mem16"]
    t = []

    def add(name, ok, detail):
        t.append("| %s | %s | %s |" % (name, "-" if ok is None else
                                       "met" if ok else "MISSED", detail))
    t.append("| target (issue 16) | | measured in this run |")
    t.append("|---|---|---|")
    r = sg["warm_eps"] / l2["warm_eps"]
    add("warm: >= 2x libspf2's evals/s", r >= 2, "%.2fx (%s vs %s/s)" % (
        r, fmt(sg["warm_eps"]), fmt(l2["warm_eps"])))
    add("warm: <= 6 µs CPU per evaluation in the filter (JSON out)",
        sg["warm_cpu_us"] <= 6, "%.2f µs (libspf2 %.2f µs)" % (
            sg["warm_cpu_us"], l2["warm_cpu_us"]))
    r = sg["cold_eps"] / sg["ceiling_eps"] if sg["ceiling_eps"] else 0
    add("cold: >= 0.9 of the DNS servers' ceiling", r >= 0.9,
        "%.2f (%s of %s evals/s); busy during the pass: spfgate %.2f, "
        "unbound %.2f, NSD %.2f cores, other work %.2f; %.0f of %d in "
        "flight on average; unbound's queue %.0f (max %.0f), %.1f ms per "
        "answer; %.2f of what the machine had left; 0.9 of the ceiling "
        "needs %.2f cores for checker and servers" % (
            r, fmt(sg["cold_eps"]), fmt(sg["ceiling_eps"]),
            sg["cold_busy"], sg["cold_ub_busy"], sg["cold_nsd_busy"],
            sg["cold_foreign_cores"], sg["cold_inflight_mean"], INFLIGHT,
            sg["cold_ub_reqlist_avg"], sg["cold_ub_reqlist_max"],
            sg["cold_ub_rec_ms"], sg["cold_eps"] / sg["machine_eps"],
            0.9 * sg["ceiling_eps"] * (sg["cold_cpu_us"] + sg["cold_ub_us"] +
                                       sg["cold_nsd_us"]) / 1e6))
    add("cold: no more DNS questions per evaluation than libspf2",
        sg["cold_q"] <= l2["cold_q"] * 1.005, "%.3f vs %.3f (at unbound)" % (
            sg["cold_q"], l2["cold_q"]))
    r = d["spfgate"]["eps"] / d["libspf2"]["eps"]
    add("%d ms per answer, %d in flight: >= 100x libspf2" % (
        DELAY_MS, INFLIGHT), r >= 100, "%.0fx" % r)
    add("memory: <= 8 KiB RSS per evaluation in flight, (peak at %d - "
        "peak at %d) / %d" % (INFLIGHT, MEM_LOW, INFLIGHT - MEM_LOW),
        m["kib"] <= 8, "%.2f KiB (%s - %s KiB, %d queries); at most %s "
        "and %s questions out at once at the proxy" % (
            m["kib"], fmt(m["hi_kb"]), fmt(m["lo_kb"]), m["n"],
            fmt(m.get("hi_q_max")), fmt(m.get("lo_q_max"))))
    r = s["spfgate"]["ms"] / s["libspf2"]["ms"]
    add("one evaluation at %d ms: report it; no extra questions" %
        DELAY_MS, None, "%s ms, %s questions (libspf2 %s ms, %.2fx)" % (
            fmt(s["spfgate"]["ms"]), s["spfgate"]["questions"],
            fmt(s["libspf2"]["ms"]), r))
    o = R["origins"]
    add("answers per evaluation from the core's cache / joined in "
        "flight / asked of libunbound, cold; warm", None,
        "%.2f / %.2f / %.2f; %.2f / %.2f / %.2f (%.0f%% cache hits warm)"
        % (o["cold"]["cached"], o["cold"]["shared"], o["cold"]["asked"],
           o["warm"]["cached"], o["warm"]["shared"], o["warm"]["asked"],
           100 * o["warm"]["cached"] / max(1e-9, o["warm"]["cached"] +
                                           o["warm"]["shared"] +
                                           o["warm"]["asked"])))
    a = R["agreement"]["spfgate"]
    unexplained = sum(x["count"] for x in a["diffs"] if x["why"] ==
                      "UNEXPLAINED")
    add("results as before: every difference from pyspf explained",
        unexplained == 0, "%.2f%% the same, %d unexplained" % (
            a["same"] * 100, unexplained))
    return "\n".join(t)


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


def callgrind_cold_text(cg):
    lines = ["callgrind: %s instructions per cold evaluation of %s (%d "
             "queries, a fresh unbound and checker, less a run with one "
             "line; %.3f questions per evaluation at unbound)" % (
                 fmt(cg["ir_per_cold_eval"]), "spfgate filter" if
                 cg["name"] == "spfgate" else cg["name"], cg["n"] + 1,
                 cg["questions_per_eval"]),
             "  per cold evaluation, self, by object:"]
    for ir, obj in cg["objects"]:
        if ir:
            lines.append("    %9s  %s" % (fmt(ir), obj))
    for k, what in (("d1_misses", "first-level data cache misses, by "
                     "object"), ("ll_misses", "last-level (4 MiB) misses, "
                                 "by object"),
                    ("ll_misses_fn", "last-level misses, by function")):
        if cg.get(k):
            lines.append("  per cold evaluation, %s (simulated):" % what)
            for m, obj in cg[k]:
                if m >= 0.5:
                    lines.append("    %9.1f  %s" % (m, obj))
    lines.append("  per cold evaluation, inclusive (top 20):")
    for ir, fn in cg["inclusive"][:20]:
        lines.append("    %9s  %s" % (fmt(ir), fn))
    lines.append("  per cold evaluation, self (top 30):")
    for ir, fn in cg["self"][:30]:
        lines.append("    %9s  %s" % (fmt(ir), fn))
    return "\n".join(lines)


def report(R):
    m = R["machine"]
    out = ["spfgate benchmark, %s, commit %s; %s cores (%s), %s GiB, "
           "load %s; finished in %.0f s" % (
               m["date"], m["commit"], m["cores"], m.get("cpu"),
               m.get("mem_gib"), " ".join(m["load"]), R["elapsed_s"]),
           "corpus: %d domains, %d queries (%d IPv6 clients, %d null "
           "senders); spfgate with --cache-size %s" % (
               R["corpus"]["domains"], R["corpus"]["queries"],
               R["corpus"]["v6_queries"], R["corpus"]["null_senders"],
               R.get("cache_size", "4m (the default)")),
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
