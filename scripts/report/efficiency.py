"""efficiency.py - each model's CPU per task beside its mechanisms' cost: "implementation overhead".

A model's task is made of mechanisms bin/calibrate measures on this machine
(a coroutine switch, a timed wait on a loop, a thread wake-up, a histogram
record, an I/O-driven switch, a cpu_hash round).  Which mechanisms, and how
many of each, is data, not prose: mechanisms.csv beside this file has one
line per (runtime, term, calibration figure, count, why), where runtime is a
model's name, its binary (harness/models.def: hybrid is bin/async, so it
has async's lines) or "all", and term says what scales it:

    task         once per task, whatever the pair
    timer_waits  per timed wait the pair declares (its floor terms)
    round_trips  per round trip the pair declares
    work         per cpu_hash round, when the pair's work is cpu_hash rounds
    blocks       per time a thread of the model slept in the kernel and was
                 woken, per task: the point's voluntary context switches over
                 the clocked run / its tasks (measured, not declared: a loop
                 that sleeps once per 60 tasks at c=64 pays a wake-up per 60)

plus the pair's own declared cpu_ns.  For each I/O pair (and CPU pair) at
the highest concurrency every model that ran it reached ok, the table sets a
model's CPU per task, (utime_s + stime_s) / tasks from results.csv (both over
the clocked run),
beside the sum of its mechanisms, and flags a model above FLAG_RATIO times
its own sum as "implementation overhead": something in the model costs more
than what it is made of (a cold stack, an event re-armed per task, a timer
per task where a FIFO would do).  A pair that declares no floor terms, a
model with no lines in mechanisms.csv, or a calibration without a figure it
needs is shown unrated, saying why.  efficiency.csv in the run folder holds
the same table as data.
"""

import csv
import io
import os

from .data import is_ok, model_info, models, rows_for, workload_info, workloads
from .floors import floor_terms
from .fmt import DASH, fmt_ratio, fmt_sig, is_num
from .load import CALIBRATION_CSV

MECHANISMS_CSV = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mechanisms.csv")
EFFICIENCY_CSV = "efficiency.csv"   # the table as data, in the run folder
FLAG_RATIO = 3.0                    # above this many times its mechanisms: flagged
FLAG = "implementation overhead"
TERMS = ("task", "timer_waits", "round_trips", "work", "blocks")
ALL = "all"                         # a mechanisms.csv runtime every model has
UNIT_NS = {"ns": 1.0, "us": 1e3}    # calibration units this table can add up
COLUMNS = ["workload", "concurrency", "model", "cpu_ns_per_task", "mechanism_ns", "ratio",
           "flag", "mechanisms", "why_unrated"]


def load_mechanisms(path=MECHANISMS_CSV):
    """[{runtime, term, mechanism, count (float), why}] from mechanisms.csv;
    ValueError naming the line for a term not in TERMS or a bad count."""
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for no, r in enumerate(csv.DictReader(f), 2):
            if r["term"] not in TERMS:
                raise ValueError("%s:%d: term '%s' is not one of %s"
                                 % (path, no, r["term"], ", ".join(TERMS)))
            out.append(dict(r, count=float(r["count"])))
    return out


def term_units(terms, work, row):
    """{term: how many of it one task has}: from a pair's floor terms and
    --work, and (blocks) the point's voluntary switches per task."""
    cpu_hash = bool(terms["work_is_cpu_hash"]) and work > 0
    tasks = row.get("tasks")     # vcsw covers the clocked run: every task of it
    blocks = row["vcsw"] / tasks if is_num(row.get("vcsw")) and is_num(tasks) and tasks else 0
    return {"task": 1, "timer_waits": terms["timer_waits"],
            "round_trips": terms["round_trips"], "work": work if cpu_hash else 0,
            "blocks": blocks}


def mechanism_cost(model, binary, units, cal, table):
    """(ns, [(mechanism, count, ns)], why_unrated) of one model's task: the
    sum of its lines of the table, each figure times the term's units."""
    own = [m for m in table if m["runtime"] in (model, binary)]
    if not own:
        return None, [], "no line for %s or bin/%s in mechanisms.csv" % (model, binary)
    lines = [m for m in table if m["runtime"] == ALL] + own
    total, parts = 0.0, []
    for m in lines:
        n = units[m["term"]] * m["count"]
        if not n:
            continue
        fig = (cal or {}).get(m["mechanism"])
        if not fig or not is_num(fig.get("value")) or fig.get("unit") not in UNIT_NS:
            return None, parts, "%s lacks %s" % (CALIBRATION_CSV, m["mechanism"])
        ns = n * fig["value"] * UNIT_NS[fig["unit"]]
        total += ns
        parts.append((m["mechanism"], n, ns))
    return total, parts, None


def top_level(wl_rows, names):
    """The highest concurrency at which every model of `names` that has an
    ok point on the pair is ok, or None."""
    ran = [m for m in names if rows_for(wl_rows, model=m, ok_only=True)]
    levels = sorted({r["concurrency"] for r in wl_rows if is_ok(r)}, reverse=True)
    for c in levels:
        if all(any(is_ok(r) for r in rows_for(wl_rows, model=m, concurrency=c)) for m in ran):
            return c
    return None


def cpu_per_task_ns(row):
    """(utime_s + stime_s) / tasks, in ns.  The CPU figures cover the clocked
    run, from the first task's release to the last one's end: every task of
    it, not only the steady window's (a window task count would put the
    ramp's CPU on fewer tasks: 1.25x and more)."""
    tasks = row.get("tasks")
    if not all(is_num(v) for v in (row.get("utime_s"), row.get("stime_s"), tasks)) or not tasks:
        return None
    return (row["utime_s"] + row["stime_s"]) / tasks * 1e9


def table_rows(rows, meta, cal, table=None):
    """Every (workload, model) row of the efficiency table (COLUMNS as keys,
    "mechanisms" a readable sum), workload by workload."""
    table = load_mechanisms() if table is None else table
    info = model_info(meta)
    out = []
    for wl in workloads(rows):
        wl_rows = rows_for(rows, workload=wl)
        names = models(wl_rows, meta)
        c = top_level(wl_rows, names)
        terms, _ = floor_terms(rows, meta, wl)
        work = workload_info(rows, meta, wl)["work"]
        for m in names:
            row = next((r for r in rows_for(wl_rows, model=m, concurrency=c) if is_ok(r)), None)
            if c is None or row is None:
                continue
            d = {"workload": wl, "concurrency": c, "model": m, "cpu_ns_per_task":
                 cpu_per_task_ns(row), "mechanism_ns": None, "ratio": None, "flag": "",
                 "mechanisms": "", "why_unrated": ""}
            if terms is None:
                d["why_unrated"] = "the pair declares no floor terms"
            else:
                units = term_units(terms, work if is_num(work) else 0, row)
                ns, parts, why = mechanism_cost(m, (info.get(m) or {}).get("binary"), units,
                                                cal, table)
                ns = None if ns is None else ns + terms["cpu_ns"]
                d.update(mechanism_ns=ns, why_unrated=why or "", mechanisms=" + ".join(
                    "%s%s" % ("" if n == 1 else "%s x " % fmt_sig(n), name)
                    for name, n, _ in parts) + (" + cpu_ns %d" % terms["cpu_ns"]
                                                 if terms["cpu_ns"] else ""))
            if is_num(d["mechanism_ns"]) and d["mechanism_ns"] > 0 and is_num(
                    d["cpu_ns_per_task"]):
                d["ratio"] = d["cpu_ns_per_task"] / d["mechanism_ns"]
                d["flag"] = FLAG if d["ratio"] > FLAG_RATIO else ""
            out.append(d)
    return out


def csv_text(rows, meta, cal):
    """efficiency.csv (COLUMNS), the table as data; empty but for the header
    without calibration."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for d in table_rows(rows, meta, cal) if cal else []:
        w.writerow(["" if d[k] is None else ("%.6g" % d[k] if isinstance(d[k], float) else d[k])
                    for k in COLUMNS])
    return buf.getvalue()


def lines(rows, meta, cal):
    """The report's "Efficiency" section: one table per pair, flags first."""
    out = ["## Efficiency: CPU per task against its mechanisms", ""]
    if not cal:
        return out + ["Not shown: the run has no %s (bin/calibrate measures the mechanisms)."
                      % CALIBRATION_CSV, ""]
    got = table_rows(rows, meta, cal)
    flagged = [d for d in got if d["flag"]]
    out += ["Each model's CPU per task ((utime + stime) / tasks of the clocked run) at the highest "
            "concurrency every model that ran the pair reached ok, beside the sum of the "
            "calibrated mechanisms its task is made of (which ones: scripts/report/"
            "mechanisms.csv, each with why; the pair's floor terms say how many).  Above "
            "%gx its own sum a model is flagged **%s**: it spends on something that is not "
            "its mechanism.  %s" % (FLAG_RATIO, FLAG, (
                "Flagged: %s." % "; ".join("%s on %s at c=%s (%sx)" % (
                    d["model"], d["workload"], d["concurrency"], fmt_sig(d["ratio"]))
                    for d in flagged)) if flagged else "No model is flagged."), ""]
    for wl in workloads(rows):
        part = [d for d in got if d["workload"] == wl]
        if not part:
            out += ["**%s:** no level at which every model was ok." % wl, ""]
            continue
        out += ["**%s** at c=%s:" % (wl, part[0]["concurrency"]), "",
                "| model | CPU per task (ns) | mechanisms (ns) | ratio | | made of |",
                "| --- | ---: | ---: | ---: | --- | --- |"]
        for d in part:
            out.append("| %s | %s | %s | %s | %s | %s |" % (
                d["model"], fmt_sig(d["cpu_ns_per_task"]) if d["cpu_ns_per_task"] else DASH,
                fmt_sig(d["mechanism_ns"]) if d["mechanism_ns"] else DASH,
                fmt_ratio(d["ratio"]) if d["ratio"] else DASH,
                "**%s**" % d["flag"] if d["flag"] else "",
                d["mechanisms"] if not d["why_unrated"] else "not rated: " + d["why_unrated"]))
        out.append("")
    return out
