"""compute.py - the matrix's figures: per claim a verdict per machine, the key ratios, the floors.

Every verdict is the report's own (scripts/report/claims.py and
contested.py, on each run as its report.md judges it): nothing is judged
again here.  A machine of several runs (replicas) shows one verdict when its
runs agree, and SPLIT with each run's when they do not: verdicts of
different runs are never averaged.  The deciding figure and its interval are
the rule's "how sure" text (the intervals against the thresholds).

The key ratios, per workload, from the same helpers the rules use
(rules.py, sure.py), each with its 95% interval where the runs give one:
  async/threads throughput at the highest concurrency both reached;
  threads' speed-up, best throughput over c=1 (CPU-kind workloads);
  threads' over async's memory per in-flight task at that concurrency.
The calibration: the floor figures of each machine (bin/calibrate).

Imports scripts.report's claims, contested, fmt, machine, rules, sure, verdicts.
"""

from scripts.report import claims, contested, machine, sure
from scripts.report.fmt import DASH, fmt_sig, fmt_x
from scripts.report.rules import (ASYNC, THREADS, common, fmt_per_task, info, ok_points,
                                  rss_ratio, speedup)
from scripts.report.verdicts import workload_rows

SPLIT = "SPLIT"         # replicas of one machine whose verdicts differ
# The calibration figures set side by side (bin/calibrate's names): the floor's
# terms and what each model's mechanisms cost on the machine.
CAL_FIGURES = ("cpu_hash_unit_ns", "tcp_rtt_us", "backend_rtt_us", "rpc_cpu_us",
               "wake_overshoot_us", "timer_event_ns", "thread_create_join_us",
               "rss_per_idle_thread_kib", "switch_threads_unpinned_ns", "switch_async_ns",
               "switch_green_ns", "coro_switch_ns")


def judged(run):
    """[{key, claim, source, verdict, sure, say}] of one run: the design's
    claims, then the contested ones (the report's rules); cached on run."""
    if "judged" not in run:
        seed = claims.verdicts(run["rows"], run["meta"], run["rate_rows"])
        field = contested.verdicts(run["rows"], run["meta"], run["extra"])
        for v in seed:
            v["group"] = "design"
        for v in field:
            v["group"] = "contested"
        run["judged"] = seed + field
    return run["judged"]


def claim_rows(machines):
    """[{key, claim, group, source, cells: {label: cell}}] in the rules'
    order; a cell: {verdict, sure, say, runs: [{run, verdict, sure}]}."""
    order, by_key = [], {}
    for m in machines:
        for run in m["runs"]:
            for v in judged(run):
                if v["key"] not in by_key:
                    by_key[v["key"]] = {"key": v["key"], "claim": v["claim"],
                                        "group": v["group"], "source": v.get("source"),
                                        "cells": {}}
                    order.append(v["key"])
    for m in machines:
        for key in order:
            per_run = []
            for run in m["runs"]:
                v = next((x for x in judged(run) if x["key"] == key), None)
                if v:
                    # A verdict without a deciding figure (NOT SHOWN) says why instead.
                    per_run.append({"run": run["name"], "verdict": v["verdict"],
                                    "sure": v["evidence"] if v["sure"] == DASH else v["sure"],
                                    "say": v["say"]})
            if not per_run:
                continue
            agree = len({p["verdict"] for p in per_run}) == 1
            first = per_run[0]
            by_key[key]["cells"][m["label"]] = {
                "verdict": first["verdict"] if agree else SPLIT,
                "sure": first["sure"] if agree else "; ".join(
                    "%s: %s (%s)" % (p["run"], p["verdict"], p["sure"]) for p in per_run),
                "say": first["say"] if agree else DASH, "runs": per_run}
    return [by_key[k] for k in order]


def figure(fig, fmt=fmt_x):
    """{value, lo, hi, how, text} of a sure.Fig (text: '1.26x (1.22–1.30x)')."""
    if fig is None or fig.value is None:
        return None
    return {"value": fig.value, "lo": fig.lo, "hi": fig.hi, "how": fig.how,
            "text": sure.text(fig, fmt)}


def run_ratios(run):
    """{workload: {kind, c, tp_ratio, speedup, mem_ratio, mem_text}} of one run."""
    rows, meta = run["rows"], run["meta"]
    out = {}
    for d in workload_rows(rows, meta):
        wl = d["workload"]
        t, a = ok_points(rows, wl, THREADS), ok_points(rows, wl, ASYNC)
        levels = common(t, a)
        c = levels[-1] if levels else None
        entry = {"kind": info(rows, meta, wl)["kind"], "c": c, "tp_ratio": None,
                 "speedup": None, "mem_ratio": None, "mem_text": None}
        if c is not None:
            entry["tp_ratio"] = figure(sure.ratio(a[c], t[c], "throughput"))
            pt_t, pt_a = d["per_task"]
            rr = rss_ratio(pt_t, pt_a, c)
            entry["mem_ratio"] = rr[0] if rr else None
            entry["mem_text"] = "%s / %s%s (%s)" % (
                fmt_per_task(pt_t, c), fmt_per_task(pt_a, c),
                " = %s%s" % (">= " if rr[1] else "", fmt_x(rr[0])) if rr else "",
                "RSS + kernel" if d["per_task_whole"] else "RSS only") \
                if pt_t is not None else None
        if entry["kind"] == "cpu":
            s, best, base = speedup(t)
            if s is not None:
                fig = figure(sure.ratio(best, base, "throughput"))
                if fig:
                    fig["text"] += " at c=%s" % best["concurrency"]
                entry["speedup"] = fig
        out[wl] = entry
    return out


RATIOS = (("tp_ratio", "async/threads throughput at the highest common c"),
          ("speedup", "threads' speed-up over c=1 (CPU-kind)"),
          ("mem_text", "memory per task, threads / async at that c"))


def ratio_rows(machines):
    """[{figure, what, workload, cells: {label: [text per run]}, values:
    {label: [number per run]}}]: the key ratios, a row per (figure,
    workload) that some machine has."""
    per = {m["label"]: [(run["name"], run_ratios(run)) for run in m["runs"]] for m in machines}
    wls = []
    for m in machines:
        for _, r in per[m["label"]]:
            wls += [w for w in r if w not in wls]
    out = []
    for key, what in RATIOS:
        for wl in wls:
            cells, values = {}, {}
            for m in machines:
                texts, nums = [], []
                for _, r in per[m["label"]]:
                    e = r.get(wl)
                    v = e.get(key) if e else None
                    if isinstance(v, dict):
                        texts.append("%s at c=%s" % (v["text"], e["c"]) if key == "tp_ratio"
                                     else v["text"])
                        nums.append(v["value"])
                    elif v is not None:
                        texts.append("%s at c=%s" % (v, e["c"]))
                        nums.append(e.get("mem_ratio"))
                if texts:
                    cells[m["label"]], values[m["label"]] = texts, nums
            if cells:
                out.append({"figure": key, "what": what, "workload": wl, "cells": cells,
                            "values": values})
    return out


def calibration_rows(machines):
    """[{name, unit, cells: {label: [value text per run]}, values}] of the
    CAL_FIGURES any machine measured."""
    out = []
    for name in CAL_FIGURES:
        cells, values, unit = {}, {}, None
        for m in machines:
            got = [(run.get("cal") or {}).get(name) for run in m["runs"]]
            got = [g for g in got if g]
            if got:
                unit = got[0]["unit"]
                cells[m["label"]] = [fmt_sig(g["value"]) for g in got]
                values[m["label"]] = [g["value"] for g in got]
        if cells:
            out.append({"name": name, "unit": unit, "cells": cells, "values": values})
    return out


def fingerprints(machines):
    """{label: {"summary": machine.summary of its first run, "runs": [run
    names], "only_flags": CPU flags no other machine has, "differs":
    [(field, why, text)] against the first machine}}."""
    first = machines[0]["runs"][0]["meta"] if machines else {}
    metas = {m["label"]: m["runs"][0]["meta"] for m in machines}
    out = {}
    for m in machines:
        meta = metas[m["label"]]
        others = [x for k, x in metas.items() if k != m["label"]]
        out[m["label"]] = {
            "summary": machine.summary(meta), "runs": [r["name"] for r in m["runs"]],
            "only_flags": machine.flags_only(meta, others) if others else None,
            "differs": [] if meta is first else machine.differences(first, meta),
            "replicas_differ": sorted({f for r in m["runs"][1:]
                                       for f, _, _ in machine.differences(meta, r["meta"])}),
            "jobs": [r["job"]["job_id"] for r in m["runs"] if r.get("job")]}
    return out
