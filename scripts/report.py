#!/usr/bin/env python3
"""report.py: the plots and report.md of one benchmark run.

Given a run folder (results/<run-id>/ with results.csv and meta.json), draw
with gnuplot one figure per workload (WORKLOAD.png/.svg: throughput, p50/p99
latency, peak RSS, RSS per in-flight task, every model side by side) and
overview.png/.svg (throughput and p99 of every workload on one screen), then
write report.md: where the numbers came from, and per workload the figure,
a table of every point, and the checks (equal checksums, Little's law).

Why this shape: the plots are drawn from results.csv only (gnuplot reads
the CSV itself, see scripts/plot_*.gp), so a plot can always be redrawn from
a run folder, and failed points are drawn, not dropped: running out of
threads is one of the results.  Every file is written to a temporary name
and renamed into place, so an interrupted report never leaves half a file.

Calibration: when the run folder has calibration.csv (bin/calibrate, run by
the sweep before the first point), every figure gets the machine's floor as
a dashed reference line, report.md gets a "Calibration" section (the
figures, and the targets marked PASS or MISS, the io round-trip ones from
floor_runs.jsonl) and each workload a "distance from floor" table.  A
workload's floor is the lower of its latency bound and its CPU bound, and
follows from what it is (meta.json: kind, work, delay_us, needs_backend),
never from its name:
    one task alone     L = delay + (TCP RTT if it needs the backend) + work x cpu_hash round
    CPU per task       C = work x cpu_hash round + (rpc_cpu_us if it needs the backend)
    throughput at c    T(c) = min(c / L, cores / C if C > 0,
                              1 / timer_event if it waits on a timer)
    latency at c       c / T(c)  (Little's law: L until a cap binds)
An older run without calibration.csv is reported as before, saying so.

Usage: python3 scripts/report.py [--plots-only] RUN_DIR
Exit: 0 ok, 1 failed (missing or damaged input -- scripts/runcheck.py --,
gnuplot error; one line on stderr),
2 bad usage.  Standard library only; importable: load_csv(), load_meta()
and the group/check helpers are reused by later report steps.
"""

import argparse
import csv
import json
import math
import os
import re
import subprocess
import sys

import runcheck  # results.csv whole? (a damaged one is refused in one line)
import verdicts  # the "Verdicts" section: each claim of DESIGN.md section 1

# ---- tunables ---------------------------------------------------------------
SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))
PLOT_WORKLOAD_GP = os.path.join(SCRIPT_DIR, "plot_workload.gp")
PLOT_OVERVIEW_GP = os.path.join(SCRIPT_DIR, "plot_overview.gp")
GNUPLOT = os.environ.get("GNUPLOT", "gnuplot")
GNUPLOT_TIMEOUT_S = 120         # one figure; a hung gnuplot is an error

RESULTS_CSV = "results.csv"
META_JSON = "meta.json"
CALIBRATION_CSV = "calibration.csv"     # bin/calibrate's figures (may be absent)
FLOOR_RUNS_JSONL = "floor_runs.jsonl"   # the sweep's direct runs at c=1, delay 0
REPORT_MD = "report.md"
OVERVIEW = "overview"           # overview.png / overview.svg
FORMATS = ("png", "svg")        # every figure in both

WORKLOAD_SIZE_PX = (2000, 560)  # per-workload figure: four panels in a row
OVERVIEW_COL_PX = 560           # overview: width per workload column ...
OVERVIEW_EXTRA_PX = 120         # ... plus the left margin
OVERVIEW_MIN_W_PX = 1100        # never narrower than this
OVERVIEW_H_PX = 900             # two rows: throughput, p99

# Models in this order first (legend order, colours); others follow in CSV order.
MODEL_ORDER = ("threads", "async", "async-mt", "hybrid")
# Okabe-Ito colours (colour-blind safe); red is kept for failed points.
MODEL_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
# Filled gnuplot point types: circle, square, triangle, diamond, ... (open = pt - 1).
MODEL_POINTS = (7, 5, 9, 13, 11, 15, 7)

LITTLES_LO, LITTLES_HI = 0.95, 1.05     # closed-loop sanity band for littles_ratio
NOISY_CV = 0.10                         # the sweep's noisy thresholds (for the text):
NOISY_SPREAD = 0.20                     # cv, and min..max with hyperfine outliers
SIG_DIGITS = 3                          # significant digits of every number shown
KIB_PER_MIB = 1024.0
UNKNOWN = "unknown"
DASH = "–"                              # an empty table cell
MAX_COMMANDS_SHOWN = 400                # report.md lists at most this many command lines

# The targets: how close to the machine's floor each model must come.
TARGET_RTT_RATIO = (("threads", 1.3), ("async", 1.5))  # p50 / tcp_rtt at c=1, delay 0
TARGET_TIMER_BAND = 0.10        # async timer-wait throughput within 10% of T(c), every c
TARGET_LINEAR_BAND = 0.10       # CPU threads at c = cores within 10% of cores x T(1)
TARGET_HIST_NS = 30.0           # hist_record_ns below this
PASS, MISS, NOT_MEASURED = "PASS", "MISS", "not measured"
BELOW_FLOOR = 0.9               # measured under 0.9x its floor: the floor was measured high

# Columns kept as text; every other column is a number (or None when empty).
STRING_COLUMNS = {"workload", "model", "status", "reason", "checksum", "verify_checksum",
                  "mem_source", "placement"}
INT_COLUMNS = {"concurrency", "tasks", "window_tasks", "runs", "work", "delay_us", "maxrss_kib",
               "maxrss_kib_min", "maxrss_kib_max", "threads", "vcsw", "ivcsw",
               "noisy", "outliers", "errors", "backend_vcsw", "backend_ivcsw"}
BOOL_WORDS = {"true": 1, "false": 0, "yes": 1, "no": 0}
# Columns the gnuplot scripts read (gnuplot 5.4 may crash on a missing one).
PLOT_COLUMNS = ("workload", "model", "concurrency", "status",
                "throughput", "throughput_min", "throughput_max",
                "p50_us", "p50_us_min", "p50_us_max", "p99_us", "p99_us_min", "p99_us_max",
                "maxrss_kib", "maxrss_kib_min", "maxrss_kib_max", "rss_per_task_kib")
# Kernel memory (a memory cgroup per model process, or /proc/meminfo deltas):
# drawn only when results.csv has all of these; an older run has none.
KMEM_COLUMNS = ("kmem_kib", "kmem_per_task_kib", "mem_per_task_kib")
# mem_source values, as the report words them.
MEM_SOURCES = {"cgroup-v2": "cgroup v2, one memory cgroup per model process",
               "cgroup-v1": "cgroup v1, one memory cgroup per model process",
               "meminfo-system": "system-wide /proc/meminfo deltas (other processes included)",
               "none": "not measured"}


class ReportError(Exception):
    """A failure that ends the report: one line on stderr, exit 1."""


# ---- loading ----------------------------------------------------------------

def convert_cell(column, text):
    """One CSV cell as a Python value: str for STRING_COLUMNS, int for
    INT_COLUMNS, float otherwise; None for an empty cell.  A cell that is not
    a number stays text rather than failing the whole report."""
    if column in STRING_COLUMNS:
        return text
    text = text.strip()
    if text == "":
        return None
    if text.lower() in BOOL_WORDS:
        return BOOL_WORDS[text.lower()]
    try:
        value = float(text)
    except ValueError:
        return text
    if column in INT_COLUMNS and math.isfinite(value) and value == int(value):
        return int(value)
    return value


def load_csv(path):
    """results.csv as a list of dicts, one per row, numbers converted.

    Returns rows in file order (workload, model, concurrency).  Raises
    ReportError when the file is missing, unreadable or has no header."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames:
                raise ReportError("%s: empty file, no header" % path)
            rows = []
            for raw in reader:
                rows.append({k: convert_cell(k, v if v is not None else "")
                             for k, v in raw.items() if k is not None})
            return rows
    except OSError as e:
        raise ReportError("cannot read %s: %s" % (path, e.strerror or e))
    except csv.Error as e:
        raise ReportError("%s: bad CSV: %s" % (path, e))


def load_meta(path):
    """meta.json as a dict; {} (with a warning on stderr) when missing or bad,
    since an older run may lack it and the plots do not need it."""
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
        return meta if isinstance(meta, dict) else {}
    except (OSError, ValueError) as e:
        print("report.py: warning: %s unreadable (%s); provenance unknown" % (path, e),
              file=sys.stderr)
        return {}


def meta_get(meta, *path, default=None):
    """meta[path[0]][path[1]]...; default when any step is missing or null."""
    node = meta
    for key in path:
        if not isinstance(node, dict) or node.get(key) is None:
            return default
        node = node[key]
    return node


# ---- grouping ---------------------------------------------------------------

def is_ok(row):
    """True for a measured point (status ok)."""
    return row.get("status") == "ok"


def group_by(rows, *keys):
    """{key value (a tuple when several keys): [rows]} in first-seen order."""
    groups = {}
    for row in rows:
        k = tuple(row.get(key) for key in keys) if len(keys) > 1 else row.get(keys[0])
        groups.setdefault(k, []).append(row)
    return groups


def unique(rows, key):
    """The distinct values of one column, in first-seen order."""
    return list(group_by(rows, key).keys())


def workloads(rows):
    """Workload names in CSV (registry) order."""
    return unique(rows, "workload")


def models(rows, meta=None):
    """Model names present in rows: meta's "models" order, then MODEL_ORDER,
    then any other model in CSV order.  Same order = same colour everywhere."""
    preferred = list(meta_get(meta or {}, "models", default=[])) + list(MODEL_ORDER)
    present = unique(rows, "model")

    def rank(m):
        return (preferred.index(m) if m in preferred else len(preferred) + present.index(m))
    return sorted(present, key=rank)


def rows_for(rows, workload=None, model=None, concurrency=None, ok_only=False):
    """The rows matching every given field."""
    return [r for r in rows
            if (workload is None or r.get("workload") == workload)
            and (model is None or r.get("model") == model)
            and (concurrency is None or r.get("concurrency") == concurrency)
            and (not ok_only or is_ok(r))]


def model_styles(model_names):
    """{model: (colour, point type)} by position in model_names."""
    return {m: (MODEL_COLORS[i % len(MODEL_COLORS)], MODEL_POINTS[i % len(MODEL_POINTS)])
            for i, m in enumerate(model_names)}


def workload_info(rows, meta, workload):
    """{kind, summary, work, delay_us} of one workload: meta.json first, the
    CSV's work/delay_us columns when meta lacks them."""
    wmeta = meta_get(meta, "workloads", workload, default={})
    first = next((r for r in rows if r.get("workload") == workload), {})
    return {
        "kind": wmeta.get("kind") or UNKNOWN,
        "summary": wmeta.get("summary"),
        "work": wmeta.get("work") if wmeta.get("work") is not None else first.get("work"),
        "delay_us": (wmeta.get("delay_us") if wmeta.get("delay_us") is not None
                     else first.get("delay_us")),
    }


# ---- checks -----------------------------------------------------------------

def check_checksums(wl_rows):
    """Equal work check for one workload's rows.

    Checksums are comparable only at equal `tasks`.  Returns a dict:
      equal_points   concurrency levels where >= 2 models ran the same tasks
                     and all their checksums agree
      mismatches     [(concurrency, tasks, {model: checksum})] that disagree
      not_comparable [concurrency] where models ran different task counts
      within         [(model, tasks, {concurrency: checksum})]: one model's
                     checksum changed with concurrency at equal tasks"""
    ok = [r for r in wl_rows if is_ok(r) and r.get("checksum")]
    # The sweep's pilot run of each point uses the same task count for every
    # model (verify_tasks): its checksum is the cross-model comparison.
    ok += [dict(r, tasks=r["verify_tasks"], checksum=r["verify_checksum"])
           for r in wl_rows if is_ok(r) and r.get("verify_checksum")]
    result = {"equal_points": 0, "mismatches": [], "not_comparable": [], "within": []}
    for c, at_c in group_by(ok, "concurrency").items():
        if len(unique(at_c, "model")) < 2:
            continue
        compared = False
        for tasks, same in group_by(at_c, "tasks").items():
            if len(unique(same, "model")) < 2:
                continue
            compared = True
            sums = {r["model"]: r["checksum"] for r in same}
            if len(set(sums.values())) == 1:
                result["equal_points"] += 1
            else:
                result["mismatches"].append((c, tasks, sums))
        if not compared:
            result["not_comparable"].append(c)
    for (m, tasks), same in group_by(ok, "model", "tasks").items():
        if len({r["checksum"] for r in same}) > 1:
            result["within"].append((m, tasks, {r["concurrency"]: r["checksum"] for r in same}))
    return result


def check_littles(wl_rows, lo=LITTLES_LO, hi=LITTLES_HI):
    """Little's law for one workload's ok rows: (violations, missing), where
    violations = [(model, concurrency, ratio)] outside [lo, hi] and missing
    counts ok rows with no littles_ratio."""
    violations, missing = [], 0
    for r in wl_rows:
        if not is_ok(r):
            continue
        ratio = r.get("littles_ratio")
        if not isinstance(ratio, (int, float)):
            missing += 1
        elif not lo <= ratio <= hi:
            per_slot = (r["tasks"] / r["concurrency"]
                        if is_num(r.get("tasks")) and r.get("concurrency") else None)
            violations.append((r["model"], r["concurrency"], ratio, per_slot))
    return violations, missing


def speedups(wl_rows, model_names):
    """{model: (speed-up, best row, c=1 row)}: best throughput over the c=1
    throughput; speed-up None when a model has no ok c=1 point."""
    out = {}
    for m in model_names:
        ok = [r for r in wl_rows if r.get("model") == m and is_ok(r)
              and isinstance(r.get("throughput"), (int, float))]
        if not ok:
            continue
        best = max(ok, key=lambda r: r["throughput"])
        base = next((r for r in ok if r.get("concurrency") == 1), None)
        ratio = best["throughput"] / base["throughput"] if base and base["throughput"] else None
        out[m] = (ratio, best, base)
    return out


def mem_source_text(rows):
    """How the kernel memory of these rows was measured, in words: one
    source, or each source with its count; "not measured" when no row says
    (an older run) or every row says none."""
    got = {}
    for r in rows:
        if is_ok(r):
            src = r.get("mem_source") or "none"
            got[src] = got.get(src, 0) + 1
    if not got or set(got) == {"none"}:
        return MEM_SOURCES["none"]
    if len(got) == 1:
        src = next(iter(got))
        return MEM_SOURCES.get(src, src)
    return "; ".join("%s at %d point%s" % (MEM_SOURCES.get(k, k), n, "" if n == 1 else "s")
                     for k, n in got.items())


def kmem_measured(rows):
    """True when results.csv has the kernel memory columns and some ok row
    has a kernel figure."""
    return bool(rows) and all(k in rows[0] for k in KMEM_COLUMNS) and any(
        is_ok(r) and is_num(r.get("kmem_kib")) for r in rows)


def backend_bound_rows(wl_rows):
    """The ok rows whose own backend was the bottleneck (verdicts' rule)."""
    return [r for r in wl_rows if is_ok(r) and verdicts.backend_bound(r)]


# ---- calibration: the machine's floor ---------------------------------------------

def load_calibration(run_dir):
    """(figures, problem): figures = {name: {"value", "unit", "what"}} from
    RUN_DIR/calibration.csv in file order, or None with problem saying why
    (no file, or a file that is not bin/calibrate's CSV)."""
    path = os.path.join(run_dir, CALIBRATION_CSV)
    if not os.path.exists(path):
        return None, "no %s" % CALIBRATION_CSV
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != ["name", "value", "unit", "what"]:
                return None, "%s has no name,value,unit,what header" % CALIBRATION_CSV
            figures = {}
            for r in reader:
                value = float(r["value"])
                if not math.isfinite(value):
                    raise ValueError("%s is not finite" % r["name"])
                figures[r["name"]] = {"value": value, "unit": r["unit"], "what": r["what"]}
    except (OSError, ValueError, csv.Error) as e:
        return None, "%s unreadable (%s)" % (CALIBRATION_CSV, e)
    return (figures, None) if figures else (None, "%s has no rows" % CALIBRATION_CSV)


def load_floor_runs(run_dir):
    """{model: stats dict} from RUN_DIR/floor_runs.jsonl ({} when absent)."""
    out = {}
    try:
        with open(os.path.join(run_dir, FLOOR_RUNS_JSONL), encoding="utf-8") as f:
            for line in f:
                try:
                    st = json.loads(line)
                except ValueError:
                    continue
                if isinstance(st, dict) and st.get("model"):
                    out[st["model"]] = st
    except OSError:
        pass
    return out


def cal_value(cal, name):
    """One calibration figure (a positive number), or None."""
    v = (cal or {}).get(name, {}).get("value")
    return v if is_num(v) and v > 0 else None


def cal_cores(cal, meta):
    """Cores of the floor: calibration's count, else meta.json's, else None."""
    c = cal_value(cal, "cores") or meta_get(meta, "host", "cores")
    return int(c) if is_num(c) and c >= 1 else None


def workload_floor(rows, meta, cal, workload):
    """The machine's floor for one workload (see the module comment), or None
    when calibration lacks a figure it needs or the task costs nothing.
    Returns {lat_us: L, one task alone; caps: [(tasks/s, symbol, detail)];
    tput_lines, lat_lines: the formulas, two short lines each, for the
    plots' labels and the report}."""
    if not cal:
        return None
    info = workload_info(rows, meta, workload)
    work = info["work"] if is_num(info["work"]) else 0
    delay = info["delay_us"] if is_num(info["delay_us"]) else 0
    backend = bool(meta_get(meta, "workloads", workload, "needs_backend", default=False))
    cores = cal_cores(cal, meta)
    terms, caps, cpu_text = [], [], None     # terms: (name, us) adding up to L
    if delay > 0:
        terms.append(("delay", float(delay)))
        # A timed wait ends late by the machine's wake-up cost (io_sleep's
        # timer, or the backend's): part of the floor, when measured.
        wake = cal_value(cal, "wake_overshoot_us")
        if wake:
            terms.append(("wake", wake))
    if backend:
        rtt = cal_value(cal, "tcp_rtt_us")
        if rtt is None:
            return None
        terms.append(("RTT" if work > 0 else "TCP RTT", rtt))  # short label: 3 terms
    cpu_us, cpu_parts = 0.0, []     # the CPU a task costs the machine's cores
    if work > 0 or info["kind"] == "cpu":
        unit = cal_value(cal, "cpu_hash_unit_ns")
        if unit is None or cores is None or work <= 0:
            return None
        cpu_us = work * unit / 1e3
        cpu_text = "%s x %s ns" % (work, fmt_sig(unit))
        terms.append(("CPU", cpu_us))
        cpu_parts.append("work %s" % fmt_sig(cpu_us))
    rpc_cpu = cal_value(cal, "rpc_cpu_us") if backend else None
    if rpc_cpu and cores:
        # The round trip's own CPU, client and backend: it overlaps the
        # wire latency in L (that is spent computing), but bounds throughput.
        cpu_us += rpc_cpu
        cpu_parts.append("round trip %s" % fmt_sig(rpc_cpu))
    if cpu_us > 0:
        caps.append((cores * 1e6 / cpu_us, "%d cores / CPU" % cores,
                     "CPU %s us" % fmt_sig(cpu_us) + (" (%s)" % " + ".join(cpu_parts)
                                                     if len(cpu_parts) > 1 else "")))
    if not backend and delay > 0:   # the wait is a timer
        timer = cal_value(cal, "timer_event_ns")
        if timer is None:
            return None
        caps.append((1e9 / timer, "1 / timer", "timer %s ns" % fmt_sig(timer)))
    lat_us = sum(us for _, us in terms)
    if lat_us <= 0:
        return None
    L = fmt_sig(lat_us)
    if len(terms) == 1 and cpu_text:     # pure CPU: linear scaling up to the cores
        tput = ["ideal: min(c, %d cores) / L" % cores, "L = %s = %s us" % (cpu_text, L)]
    else:
        tput = ["ceiling: " + ("min(c / L, %s)" % ", ".join(sym for _, sym, _ in caps)
                               if caps else "c / L"),
                "L = %s us" % L + "".join(", %s" % detail for _, _, detail in caps)]
    if len(terms) == 1:
        breakdown = "L = %s" % (cpu_text if cpu_text else "%s %s us" % (terms[0][0], L))
    else:
        breakdown = "L = %s us" % " + ".join("%s %s" % (n, fmt_sig(us)) for n, us in terms)
    lat = ["floor: L = %s us%s" % (L, ", then c / T(c)" if caps else ""), breakdown]
    summary = "T(c) = %s with L = %s%s%s; latency floor c / T(c)" % (
        tput[0].split(": ", 1)[1], breakdown[len("L = "):],
        "" if breakdown.endswith(" %s us" % L) else " = %s us" % L,
        "".join("; %s" % detail for _, _, detail in caps
                if not detail.startswith("CPU") or len(cpu_parts) > 1 or rpc_cpu))
    if backend and not rpc_cpu:
        summary += ("; the round trip's CPU is not in this floor (no rpc_cpu_us in %s): "
                    "its throughput bound is too high" % CALIBRATION_CSV)
    return {"lat_us": lat_us, "caps": [(cap, sym) for cap, sym, _ in caps], "cores": cores,
            "tput_lines": tput, "lat_lines": lat, "summary": summary}


def floor_throughput(fl, c):
    """T(c): the most tasks/s the machine allows at concurrency c."""
    t = c * 1e6 / fl["lat_us"]
    for cap, _ in fl["caps"]:
        t = min(t, cap)
    return t


def floor_latency_us(fl, c):
    """The least latency (us) at concurrency c in a closed loop: c / T(c)."""
    return c * 1e6 / floor_throughput(fl, c)


def fmt_ratio(x):
    """1.07x, or a dash."""
    return fmt_sig(x) + "x" if is_num(x) else DASH


def below_floor_note(ratio):
    """A warning when a measurement beats its floor by more than noise: the
    floor (calibration) was likely taken while the machine was busier."""
    if is_num(ratio) and ratio < BELOW_FLOOR:
        return "; below the floor: it was measured high (a busy machine during calibration?)"
    return ""


def within(ratio, band):
    """PASS when ratio lies in 1 +- band."""
    return PASS if is_num(ratio) and abs(ratio - 1) <= band else MISS


def targets(rows, meta, cal, floor_runs):
    """The targets: [(target, measured, ratio text, PASS/MISS/not measured)]."""
    out = []
    rtt = cal_value(cal, "tcp_rtt_us")
    wl = next((st.get("workload") for st in floor_runs.values() if st.get("workload")),
              meta_get(meta, "floor_runs", "workload", default="the backend round trip"))
    for model, limit in TARGET_RTT_RATIO:
        what = ("%s at delay 0, c=1, on one CPU like tcp_rtt: %s p50 within %sx of tcp_rtt"
                % (wl, model, fmt_sig(limit)))
        st = floor_runs.get(model)
        if not rtt or not st:
            out.append((what, "no calibration" if not rtt else "no floor run in %s"
                        % FLOOR_RUNS_JSONL, DASH, NOT_MEASURED))
        elif st.get("status") != "ok" or not is_num(st.get("p50_us")):
            out.append((what, "floor run failed: %s" % (st.get("reason") or "no reason"),
                        DASH, MISS))
        else:
            ratio = st["p50_us"] / rtt
            cross = cal_value(cal, "tcp_rtt_cross_cpu_us")
            note = below_floor_note(ratio)
            if cross and cross > rtt and st["p50_us"] > math.sqrt(rtt * cross):
                note = ("; nearer tcp_rtt_cross_cpu_us (%s us): the client and the backend "
                        "ran on different CPUs" % fmt_sig(cross))
            out.append((what, "p50 %s us vs tcp_rtt %s us (%s tasks)%s" % (
                fmt_sig(st["p50_us"]), fmt_sig(rtt), st.get("tasks", UNKNOWN), note),
                fmt_ratio(ratio), PASS if ratio <= limit else MISS))
    cores = cal_cores(cal, meta)
    for w in workloads(rows):
        info = workload_info(rows, meta, w)
        fl = workload_floor(rows, meta, cal, w)
        timer_wait = (info["kind"] == "io" and info["delay_us"] and not info["work"] and
                      not meta_get(meta, "workloads", w, "needs_backend", default=False))
        if timer_wait:
            what = ("%s: async throughput within %d%% of min(c / delay, 1 / timer_event) "
                    "at every concurrency" % (w, round(TARGET_TIMER_BAND * 100)))
            pts = rows_for(rows, workload=w, model="async", ok_only=True)
            if not fl or not pts:
                out.append((what, "no calibration" if not fl else "no async point",
                            DASH, NOT_MEASURED))
                continue
            ratios = [(r["concurrency"], r["throughput"] / floor_throughput(fl, r["concurrency"]))
                      for r in sorted(pts, key=lambda r: r["concurrency"])]
            worst = max(ratios, key=lambda cr: abs(cr[1] - 1))
            every = rows_for(rows, workload=w, model="async")     # a failed point misses
            verdict = PASS if all(within(x, TARGET_TIMER_BAND) == PASS for _, x in ratios) \
                and len(every) == len(pts) else MISS
            out.append((what, ", ".join("c=%s %s" % (c, fmt_ratio(x)) for c, x in ratios),
                        "worst %s (c=%s)" % (fmt_ratio(worst[1]), worst[0]), verdict))
        elif info["kind"] == "cpu":
            what = "%s: threads at c = cores within %d%% of cores x its c=1 throughput" % (
                w, round(TARGET_LINEAR_BAND * 100))
            by_c = {r["concurrency"]: r for r in rows_for(rows, workload=w, model="threads",
                                                           ok_only=True)}
            if not cores or 1 not in by_c or cores not in by_c:
                out.append((what, "needs ok threads points at c=1 and c=%s" % (cores or "cores"),
                            DASH, NOT_MEASURED))
                continue
            ratio = by_c[cores]["throughput"] / (cores * by_c[1]["throughput"])
            out.append((what, "%s tasks/s at c=%d vs %d x %s at c=1" % (
                fmt_si(by_c[cores]["throughput"]), cores, cores, fmt_si(by_c[1]["throughput"])),
                fmt_ratio(ratio), within(ratio, TARGET_LINEAR_BAND)))
    hist = cal_value(cal, "hist_record_ns")
    what = "hist_record() under %s ns" % fmt_sig(TARGET_HIST_NS)
    if hist is None:
        out.append((what, "no calibration", DASH, NOT_MEASURED))
    else:
        out.append((what, "%s ns" % fmt_sig(hist), fmt_ratio(hist / TARGET_HIST_NS) +
                    " of the limit", PASS if hist < TARGET_HIST_NS else MISS))
    return out


def calibration_lines(rows, meta, cal, problem, floor_runs):
    """The "Calibration" section: the figures, then the targets."""
    out = ["## Calibration: the machine's floor", ""]
    if cal:
        info = meta_get(meta, "calibration", default={})
        out += ["`bin/calibrate%s` measured these on this machine before the first point "
                "(each the median of several repetitions; %s).  The dashed lines on the "
                "plots and the distance-from-floor tables below are computed from them: a "
                "model at 1.1x its floor has little left to gain; at 5x it has overhead to "
                "find." % (" --quick" if info.get("quick") else "", CALIBRATION_CSV), "",
                "| figure | value | unit | what |", "|---|---:|---|---|"]
        for name, f in cal.items():
            v = f["value"]
            out.append("| %s | %s | %s | %s |" % (
                md_cell(name), int(v) if v == int(v) and abs(v) < 1e6 else fmt_sig(v),
                md_cell(f["unit"]), md_cell(f["what"])))
        out.append("")
    else:
        failed = meta_get(meta, "calibration", "status") == "failed"
        if failed:
            out += ["**Calibration is missing:** bin/calibrate failed in this run (%s), so "
                    "the plots have no floor lines and there are no distance-from-floor "
                    "tables." % meta_get(meta, "calibration", "reason", default=UNKNOWN), ""]
        else:
            out += ["No calibration in this run (%s): the plots have no floor lines and there "
                    "are no distance-from-floor tables.  `make bench` runs `bin/calibrate` "
                    "before the first point." % problem, ""]
    out += ["**Targets**: how close the models come to the floor.", "",
            "| target | measured | ratio | result |", "|---|---|---|---|"]
    for what, measured, ratio, verdict in targets(rows, meta, cal, floor_runs):
        out.append("| %s | %s | %s | %s |" % (md_cell(what), md_cell(measured), md_cell(ratio),
                                             "**%s**" % verdict if verdict != NOT_MEASURED
                                             else verdict))
    out.append("")
    return out


def floor_table_lines(wl_rows, model_names, fl):
    """Per workload: each model's best throughput and its c=1 p50 against the floor."""
    lines = ["**Distance from floor** (%s): measured / floor, throughput at each "
             "model's best point, p50 latency at c=1." % fl["summary"], "",
             "| model | best throughput (c) | floor T(c) | throughput / floor | p50 at c=1 "
             "| latency floor | p50 / floor |", "|---|---:|---:|---:|---:|---:|---:|"]
    for m in model_names:
        ok = [r for r in wl_rows if r.get("model") == m and is_ok(r)
              and is_num(r.get("throughput"))]
        if not ok:
            lines.append("| %s | no ok point | | | | | |" % m)
            continue
        best = max(ok, key=lambda r: r["throughput"])
        t_floor = floor_throughput(fl, best["concurrency"])
        one = next((r for r in ok if r.get("concurrency") == 1 and is_num(r.get("p50_us"))),
                   None)
        l_floor = floor_latency_us(fl, 1)
        t_ratio = best["throughput"] / t_floor
        l_ratio = one["p50_us"] / l_floor if one else None
        lines.append("| %s | %s (c=%s) | %s | %s%s | %s | %s | %s%s |" % (
            m, fmt_si(best["throughput"]), best["concurrency"], fmt_si(t_floor),
            fmt_ratio(t_ratio), " (above: floor too low?)" if t_ratio > 1 / BELOW_FLOOR else "",
            fmt_si(one["p50_us"]) + " us" if one else DASH, fmt_si(l_floor) + " us",
            fmt_ratio(l_ratio), " (below: floor too high?)" if below_floor_note(l_ratio) else ""))
    return lines


# ---- number formatting --------------------------------------------------------

def is_num(x):
    """True for a finite int or float."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def fmt_sig(x, digits=SIG_DIGITS):
    """x with `digits` significant digits, never in e-notation: 0.512, 12.3, 850."""
    if not is_num(x):
        return DASH
    if x == 0:
        return "0"
    r = float("%.*g" % (digits, x))
    exp = math.floor(math.log10(abs(r)))
    return "%.*f" % (max(0, digits - 1 - exp), r)


def fmt_si(x, digits=SIG_DIGITS):
    """x with k/M/G suffixes and `digits` significant digits: 12.3k, 1.05M."""
    if not is_num(x):
        return DASH
    r = float("%.*g" % (digits, x))
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(r) >= div:
            return fmt_sig(r / div, digits) + suffix
    return fmt_sig(r, digits)


def fmt_pct(fraction):
    """A fraction as a percentage: 0.034 -> '3.4'."""
    return "%.1f" % (fraction * 100) if is_num(fraction) else DASH


def md_cell(text):
    """Text safe inside a markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


# ---- gnuplot ----------------------------------------------------------------

def gp_value(v):
    """A Python value as a gnuplot literal for -e (strings single-quoted)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def gnuplot_error_line(stderr):
    """The most telling line of gnuplot's stderr (it prints the offending
    command, a caret, then the message)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if not ln.startswith("^") and "warning:" not in ln:
            return re.sub(r"\s+", " ", ln)
    return re.sub(r"\s+", " ", lines[-1]) if lines else "no message"


def run_gnuplot(script, variables, what):
    """Run `gnuplot -e VARS script`.  Raises ReportError naming `what` on a
    missing gnuplot, a timeout or a non-zero exit.  Warnings (empty series
    are normal: not every model has every point) are not shown."""
    expr = "; ".join("%s=%s" % (k, gp_value(v)) for k, v in variables.items())
    try:
        proc = subprocess.run([GNUPLOT, "-e", expr, script], capture_output=True,
                              text=True, timeout=GNUPLOT_TIMEOUT_S)
    except FileNotFoundError:
        raise ReportError("gnuplot not found (%s); install gnuplot-nox" % GNUPLOT)
    except subprocess.TimeoutExpired:
        raise ReportError("gnuplot timed out after %ds drawing %s" % (GNUPLOT_TIMEOUT_S, what))
    if proc.returncode != 0:
        status = ("killed by signal %d" % -proc.returncode if proc.returncode < 0
                  else "exit %d" % proc.returncode)
        raise ReportError("gnuplot failed drawing %s (%s): %s" % (
            what, status, gnuplot_error_line(proc.stderr)))


def temp_name(run_dir, name):
    """A hidden temporary path beside run_dir/name, unique to this process."""
    return os.path.join(run_dir, ".%s.tmp.%d" % (name, os.getpid()))


def draw(run_dir, name, script, variables):
    """Draw one figure in every FORMAT: gnuplot writes a temporary file,
    which is renamed to run_dir/name.FMT only when complete."""
    for fmt in FORMATS:
        final = "%s.%s" % (name, fmt)
        tmp = temp_name(run_dir, final)
        try:
            run_gnuplot(script, dict(variables, out=tmp, fmt=fmt), final)
            if not os.path.exists(tmp) or os.path.getsize(tmp) == 0:
                raise ReportError("gnuplot wrote nothing for %s" % final)
            os.replace(tmp, os.path.join(run_dir, final))
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def cores_text(meta):
    """'2 cores' or 'unknown cores'."""
    cores = meta_get(meta, "host", "cores")
    return "%s core%s" % (cores, "" if cores == 1 else "s") if cores else "%s cores" % UNKNOWN


def workload_title(rows, meta, workload):
    """The per-workload figure title: name, kind, parameters, cores, run."""
    info = workload_info(rows, meta, workload)
    params = ", ".join("%s=%s" % (k, info[k]) for k in ("work", "delay_us") if info[k] is not None)
    run_id = meta_get(meta, "run_id", default=UNKNOWN)
    kind = "" if info["kind"] == UNKNOWN else "%s-bound: " % info["kind"]
    return "%s  (%s%s)  -  %s  -  run %s" % (workload, kind, params, cores_text(meta), run_id)


def floor_variables(fl):
    """The gnuplot variables of one workload's floor (fl_on=0: none)."""
    if not fl:
        return {"fl_on": 0}
    caps = [cap for cap, _ in fl["caps"]]
    return {"fl_on": 1, "fl_lat_us": float(fl["lat_us"]),
            "fl_cap": float(min(caps)) if caps else 0.0,
            "fl_tlabel": fl["tput_lines"][0], "fl_tlabel2": fl["tput_lines"][1],
            "fl_llabel": fl["lat_lines"][0], "fl_llabel2": fl["lat_lines"][1]}


def draw_all(run_dir, rows, meta, cal=None):
    """Every figure of the run; returns the file names written.  With cal
    (load_calibration), each workload's floor is drawn as a dashed line."""
    csv_path = os.path.join(run_dir, RESULTS_CSV)
    missing = [c for c in PLOT_COLUMNS if c not in rows[0]]
    if missing:
        raise ReportError("%s lacks column%s %s; cannot plot" % (
            csv_path, "" if len(missing) == 1 else "s", ", ".join(missing)))
    all_models = models(rows, meta)
    styles = model_styles(all_models)
    written = []
    for wl in workloads(rows):
        present = models(rows_for(rows, workload=wl), meta)
        variables = {
            "csv": csv_path, "wl": wl, "ttl": workload_title(rows, meta, wl),
            "models": " ".join(present),
            "colors": " ".join(styles[m][0] for m in present),
            "pts": " ".join(str(styles[m][1]) for m in present),
            "width": WORKLOAD_SIZE_PX[0], "height": WORKLOAD_SIZE_PX[1],
        }
        variables.update(floor_variables(workload_floor(rows, meta, cal, wl)))
        wl_rows = rows_for(rows, workload=wl)
        variables.update(kmem_on=1 if kmem_measured(wl_rows) else 0,
                         mem_label="kernel memory: %s" % (
                             "several sources (report.md)" if ";" in mem_source_text(wl_rows)
                             else mem_source_text(wl_rows).split(",")[0]))
        draw(run_dir, wl, PLOT_WORKLOAD_GP, variables)
        written += ["%s.%s" % (wl, f) for f in FORMATS]
    wls = workloads(rows)
    col_titles = []
    for wl in wls:
        info = workload_info(rows, meta, wl)
        params = ", ".join("%s=%s" % (k, info[k]) for k in ("work", "delay_us")
                           if is_num(info[k]) and info[k])
        text = "%s (%s%s)" % (wl, info["kind"], ", " + params if params else "")
        col_titles.append('"%s"' % text.replace('"', "'"))     # one quoted word each
    variables = {
        "csv": csv_path, "wls": " ".join(wls), "wlt": " ".join(col_titles),
        "ttl": "Throughput and p99 latency per workload  (%s, run %s)" % (
            cores_text(meta), meta_get(meta, "run_id", default=UNKNOWN)),
        "models": " ".join(all_models),
        "colors": " ".join(styles[m][0] for m in all_models),
        "pts": " ".join(str(styles[m][1]) for m in all_models),
        "width": max(OVERVIEW_MIN_W_PX, OVERVIEW_COL_PX * len(wls) + OVERVIEW_EXTRA_PX),
        "height": OVERVIEW_H_PX,
    }
    floors = [floor_variables(workload_floor(rows, meta, cal, wl)) for wl in wls]
    if any(f["fl_on"] for f in floors):     # one word per column; 0 = no floor there
        variables.update({"fl_lats": " ".join(repr(f.get("fl_lat_us", 0.0)) for f in floors),
                          "fl_caps": " ".join(repr(f.get("fl_cap", 0.0)) for f in floors)})
    draw(run_dir, OVERVIEW, PLOT_OVERVIEW_GP, variables)
    written += ["%s.%s" % (OVERVIEW, f) for f in FORMATS]
    return written


# ---- report.md --------------------------------------------------------------

def provenance_lines(meta):
    """The "What was run and where" section, as markdown lines."""
    def g(*path):
        v = meta_get(meta, *path)
        return UNKNOWN if v is None or v == "" else v

    commit = meta_get(meta, "git", "commit")
    dirty = meta_get(meta, "git", "dirty")
    git = UNKNOWN if not commit else "`%s`%s" % (
        commit, {True: " (dirty: uncommitted changes)", False: " (clean)"}.get(dirty, ""))
    mem = meta_get(meta, "host", "mem_total_kib")
    governor = meta_get(meta, "host", "governor")
    lines = [
        "- **Date:** %s; **run id:** %s" % (g("date"), g("run_id")),
        "- **CPU:** %s, %s; memory %s GiB" % (g("host", "cpu_model"), cores_text(meta),
                                               fmt_sig(mem / KIB_PER_MIB / KIB_PER_MIB)
                                               if is_num(mem) else UNKNOWN),
        "- **Kernel:** %s; **CPU frequency governor:** %s" % (
            g("host", "kernel"), governor or "%s (not exposed)" % UNKNOWN),
        "- **Compiler:** %s; **CFLAGS:** `%s`" % (g("build", "compiler"), g("build", "cflags")),
    ]
    versions = dict(meta_get(meta, "versions", default={}))
    for key in ("libevent", "hyperfine", "gnuplot"):
        versions.setdefault(key, None)
    lines.append("- **Versions:** " + "; ".join(
        str(v) if v and str(v).lower().startswith(k.lower())    # "hyperfine 1.15.0"
        else "%s %s" % (k, v if v else UNKNOWN) for k, v in versions.items()))
    lines.append("- **Git commit:** %s" % git)
    if meta.get("elapsed_s") is not None:
        lines.append("- **Sweep time:** %s s" % fmt_sig(meta["elapsed_s"]))
    params = meta_get(meta, "params", default={})
    if params:
        plain = []
        for k, v in params.items():
            if k == "concurrency" and isinstance(v, dict):
                continue
            plain.append("%s=%s" % (k, ",".join(map(str, v)) if isinstance(v, list)
                                    else UNKNOWN if v is None
                                    else json.dumps(v) if isinstance(v, bool) else v))
        lines.append("- **Sweep parameters:** " + "; ".join(plain))
        for wl, levels in (params.get("concurrency") or {}).items():
            lines.append("  - %s concurrency: %s" % (wl, ", ".join(map(str, levels or []))))
    else:
        lines.append("- **Sweep parameters:** %s" % UNKNOWN)
    sweep_cmd = meta.get("sweep_command")
    if sweep_cmd:
        lines.append("- **Sweep command:** `%s`" % (" ".join(sweep_cmd)
                                                   if isinstance(sweep_cmd, list) else sweep_cmd))
    commands = meta.get("commands") or []
    lines.append("")
    if commands:
        shown = commands[:MAX_COMMANDS_SHOWN]
        lines += ["<details><summary>The %d command lines run</summary>" % len(commands), "",
                  "```"] + shown
        if len(commands) > len(shown):
            lines.append("... %d more in meta.json" % (len(commands) - len(shown)))
        lines += ["```", "", "</details>"]
    else:
        lines.append("Command lines: %s (not recorded in meta.json)." % UNKNOWN)
    return lines


def notes_for(row):
    """The status/notes cell of one point."""
    if not is_ok(row):
        return "**%s**: %s" % (row.get("status") or UNKNOWN, row.get("reason") or "no reason given")
    notes = []
    cv = row.get("cv") if is_num(row.get("cv")) else row.get("throughput_cv")
    if row.get("noisy"):
        # Say what made it noisy: the cv, the runs' spread, hyperfine's outliers.
        detail = ["cv %.0f%%" % (cv * 100)] if is_num(cv) and cv > NOISY_CV / 2 else []
        thr, lo, hi = (row.get(k) for k in ("throughput", "throughput_min", "throughput_max"))
        if is_num(thr) and thr and is_num(lo) and is_num(hi):
            detail.append("min–max %.0f%%" % ((hi - lo) / thr * 100))
        if row.get("outliers"):
            detail.append("hyperfine outliers")
        notes.append("noisy (%s)" % ", ".join(detail) if detail else "noisy")
    if verdicts.backend_bound(row):
        notes.append("backend-bound (backend %s of a core)" % fmt_sig(row["backend_util"]))
    if is_num(row.get("errors")) and row["errors"]:
        notes.append("errors: %d" % row["errors"])
    ratio = row.get("littles_ratio")
    if is_num(ratio) and not LITTLES_LO <= ratio <= LITTLES_HI:
        notes.append("Little %.2f" % ratio)
    return "; ".join(notes) if notes else "ok"


def per_task_cell(r):
    """Memory per in-flight task: "total (RSS + kernel)", or the RSS alone
    when kernel memory was not measured; "below noise" under the noise
    floor (verdicts.below_noise), never a negative number."""
    c, rss = r.get("concurrency"), r.get("rss_per_task_kib")
    if not is_num(rss):
        return DASH
    tot, kmem = r.get("mem_per_task_kib"), r.get("kmem_per_task_kib")
    if is_num(tot) and is_num(kmem):
        if verdicts.below_noise(tot, c):
            return "below noise"
        return "%s (%s + %s)" % (fmt_sig(tot), "below noise" if verdicts.below_noise(rss, c)
                                 else fmt_sig(rss),
                                 "below noise" if verdicts.below_noise(kmem, c) else fmt_sig(kmem))
    return ("below noise" if verdicts.below_noise(rss, c) else fmt_sig(rss)) + " (RSS)"


def memory_line(wl_rows):
    """Where the kernel part of memory per task came from, for one workload."""
    src = mem_source_text(wl_rows)
    return ("**Memory:** kernel memory %s; memory per task = (X(c) - X(1)) / (c - 1) from "
            "c = 64, X = %s; a figure whose total over the c - 1 tasks is under %d KiB "
            "(run-to-run noise) is shown as below noise." % (
                src, "peak user RSS (the kernel part unknown)" if src == MEM_SOURCES["none"]
                else "peak user RSS + peak kernel memory", verdicts.RSS_NOISE_KIB))


def backend_line(wl_rows):
    """The points where the run's own backend, not the model, was the
    bottleneck; None when the backend's CPU was not recorded."""
    if not any(is_num(r.get("backend_util")) for r in wl_rows):
        return None
    bound = backend_bound_rows(wl_rows)
    rule = ("the run's own backend (one thread) used >= %s of a core over the clocked "
            "window (backend_util = backend CPU / window)" % verdicts.BACKEND_BOUND_UTIL)
    if not bound:
        return "**Backend:** never the bottleneck here (no point where %s)." % rule
    return ("**Backend-bound points** (%s: there the backend, not the model, set the pace): "
            "%s." % (rule, ", ".join("%s c=%s (%s)" % (r["model"], r["concurrency"],
                                                      fmt_sig(r["backend_util"]))
                                    for r in bound)))


def table_lines(wl_rows, model_names):
    """The markdown table of one workload: one row per (concurrency, model)."""
    head = ["concurrency", "model", "throughput tasks/s (min–max)", "p50 us", "p99 us",
            "max RSS MiB", "memory/task KiB (RSS + kernel)", "threads", "cv %", "status / notes"]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---:" if i not in (1, len(head) - 1) else "---"
                            for i in range(len(head))) + "|"]
    order = {m: i for i, m in enumerate(model_names)}
    for r in sorted(wl_rows, key=lambda r: (r.get("concurrency") or 0,
                                            order.get(r.get("model"), len(order)))):
        ok = is_ok(r)
        tp = DASH
        if ok and is_num(r.get("throughput")):
            tp = fmt_si(r["throughput"])
            if is_num(r.get("throughput_min")) and is_num(r.get("throughput_max")):
                tp += " (%s–%s)" % (fmt_si(r["throughput_min"]), fmt_si(r["throughput_max"]))
        rss = r.get("maxrss_kib")
        cv = r.get("cv") if is_num(r.get("cv")) else r.get("throughput_cv")
        cells = [
            str(r.get("concurrency")), r.get("model") or UNKNOWN, tp,
            fmt_si(r.get("p50_us")) if ok else DASH,
            fmt_si(r.get("p99_us")) if ok else DASH,
            fmt_sig(rss / KIB_PER_MIB) if ok and is_num(rss) else DASH,
            per_task_cell(r) if ok else DASH,
            str(r["threads"]) if ok and is_num(r.get("threads")) else DASH,
            fmt_pct(cv) if ok else DASH,
            notes_for(r),
        ]
        lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    return lines


def checks_line(wl_rows):
    """The one-line "Checks" of one workload: checksums and Little's law."""
    cs = check_checksums(wl_rows)
    parts = []
    if cs["equal_points"] or cs["mismatches"]:
        text = "checksums equal across models at %d point%s" % (
            cs["equal_points"], "" if cs["equal_points"] == 1 else "s")
        if cs["mismatches"]:
            text += "; **MISMATCH** at " + ", ".join(
                "c=%s (tasks %s: %s)" % (c, t, ", ".join("%s %s" % kv for kv in sums.items()))
                for c, t, sums in cs["mismatches"])
        parts.append(text)
    else:
        parts.append("checksums not compared (no concurrency where two models ran the same tasks)")
    if cs["not_comparable"]:
        parts.append("not comparable (different tasks) at c=" +
                     ", ".join(map(str, cs["not_comparable"])))
    if cs["within"]:
        parts.append("**checksum changed with concurrency at equal tasks**: " + ", ".join(
            "%s tasks=%s (%s)" % (m, t, ", ".join("c=%s %s" % kv for kv in by_c.items()))
            for m, t, by_c in cs["within"]))
    violations, missing = check_littles(wl_rows)
    if not any(is_ok(r) for r in wl_rows):
        parts.append("no ok point to check Little's law on")
    elif violations:
        parts.append("Little's law (%.2f..%.2f): **%d violation%s**: %s" % (
            LITTLES_LO, LITTLES_HI, len(violations), "" if len(violations) == 1 else "s",
            ", ".join("%s c=%s ratio %.3f%s" % (m, c, x, "" if k is None else
                                                 " (%.3g tasks per slot)" % k)
                      for m, c, x, k in violations)) +
            " (a run reports its steady window, from its 2c-th completion or the later one "
            "by which every slot had finished a task, to its (n - c)-th; the tasks its edges "
            "cut balance only in a steady state, so a miss points at runs too short for the "
            "latency tail)")
    else:
        parts.append("Little's law within %.2f..%.2f at every ok point" % (LITTLES_LO, LITTLES_HI))
    if missing:
        parts.append("littles_ratio missing at %d point%s" % (missing, "" if missing == 1 else "s"))
    return "**Checks:** " + "; ".join(parts) + "."


def speedup_line(wl_rows, model_names):
    """For CPU-bound workloads: each model's best throughput over its c=1."""
    parts = []
    for m, (ratio, best, base) in speedups(wl_rows, model_names).items():
        if ratio is None:
            parts.append("%s: no ok c=1 point" % m)
        else:
            parts.append("%s **%.2fx** (%s tasks/s at c=%s vs %s at c=1)" % (
                m, ratio, fmt_si(best["throughput"]), best["concurrency"],
                fmt_si(base["throughput"])))
    return "**Speed-up over c=1** (best throughput / c=1 throughput): " + "; ".join(parts) + "."


def how_to_read_lines(meta, rows=()):
    """The short "How to read" paragraph."""
    runs = meta_get(meta, "params", "runs", default=UNKNOWN)
    return [
        "Each workload is one figure with four panels, all against concurrency (tasks in "
        "flight, log scale; closed loop: a task starts when one finishes): (a) throughput, "
        "(b) p50 (solid) and p99 (dashed) latency, log-log, (c) peak memory of the process, "
        "(d) memory per in-flight task = (X(c) - X(1)) / (c - 1); in (c) and (d) the solid "
        "line is the whole (user RSS + kernel memory: stacks, page tables, slab, socket "
        "buffers) and the dotted line its kernel part when the run measured kernel memory, "
        "else the solid line is user RSS alone (this run's kernel memory: %s).  Each model "
        "is one colour. "
        "A point is the median of %s counted runs; bars and the ranges in the tables span "
        "min to max over those runs.  A red X on a dotted red line is a point that failed "
        "(its reason is in the table): a model that cannot reach a concurrency is a result.  "
        "A point is flagged noisy when its spread (cv) is over %d%% or hyperfine saw "
        "outliers that moved its throughput (cv over %d%% or min to max over %d%%).  "
        "%s  A point is backend-bound when the run's own backend used >= %s of a core over "
        "the clocked window: there the backend, not the model, set the pace.  "
        "All numbers come from one machine with %s (CPU placement: %s): compare models "
        "within this run and quote ratios, not absolute numbers.  Checks: equal checksums "
        "prove both models did the same work; Little's law (throughput x mean latency / "
        "concurrency = 1 in a closed loop) catches measurement bugs." % (
            mem_source_text(rows), runs, round(NOISY_CV * 100), round(NOISY_CV * 50),
            round(NOISY_SPREAD * 100),
            "The models of one (workload, c) ran back to back, their order rotated from one "
            "point to the next, so drift on the machine fell on every model alike."
            if "interleaved" in str(meta_get(meta, "params", "order", default="")) else
            "The sweep ran one model's points after another's (an older run): drift on the "
            "machine may fall on one model.",
            verdicts.BACKEND_BOUND_UTIL, cores_text(meta),
            meta_get(meta, "params", "placement", default="shared (not recorded)")),
    ]


def render_report(rows, meta, cal=None, cal_problem="no %s" % CALIBRATION_CSV,
                  floor_runs=None, rate_rows=None, rate_lines=()):
    """report.md as one string; cal, cal_problem from load_calibration(),
    floor_runs from load_floor_runs(), rate_rows and rate_lines (the
    open-loop section) from rate_report.report_lines()."""
    all_models = models(rows, meta)
    run_id = meta_get(meta, "run_id", default=UNKNOWN)
    out = ["# %s: benchmark report, run %s" % (" vs ".join(all_models) or "models", run_id), ""]
    if meta.get("complete") is False:
        out += ["> **meta.json says complete=false:** the sweep was interrupted or had not "
                "finished when this report was written; points may be missing.", ""]
    out += ["## What was run and where", ""] + provenance_lines(meta) + [""]
    out += ["## How to read", ""] + how_to_read_lines(meta, rows) + [""]
    out += verdicts.render(rows, meta, rate_rows)
    out += calibration_lines(rows, meta, cal, cal_problem, floor_runs or {})
    out += ["## Overview", "", "![throughput and p99 of every workload](%s.png)" % OVERVIEW, ""]
    for wl in workloads(rows):
        wl_rows = rows_for(rows, workload=wl)
        present = models(wl_rows, meta)
        info = workload_info(rows, meta, wl)
        levels = unique(wl_rows, "concurrency")
        out += ["## %s" % wl, ""]
        out.append(info["summary"] or "(no summary in meta.json)")
        out.append("")
        out.append("Kind: %s; work=%s; delay_us=%s; models: %s; concurrency: %s." % (
            info["kind"], UNKNOWN if info["work"] is None else info["work"],
            UNKNOWN if info["delay_us"] is None else info["delay_us"],
            ", ".join(present), ", ".join(map(str, levels))))
        out += ["", "![%s: throughput, latency, memory vs concurrency](%s.png)" % (wl, wl), ""]
        failed = [r for r in wl_rows if not is_ok(r)]
        if failed:
            out += ["**Failed points:** " + "; ".join(
                "%s at c=%s (%s)" % (r.get("model"), r.get("concurrency"),
                                     r.get("reason") or "no reason given") for r in failed) + ".",
                    ""]
        if info["kind"] == "cpu":
            out += [speedup_line(wl_rows, present), ""]
        fl = workload_floor(rows, meta, cal, wl)
        if fl:
            out += floor_table_lines(wl_rows, present, fl) + [""]
        out += [checks_line(wl_rows), "", memory_line(wl_rows), ""]
        bl = backend_line(wl_rows)
        if bl:
            out += [bl, ""]
        out += table_lines(wl_rows, present) + [""]
    out += list(rate_lines)
    return "\n".join(out)


def write_atomic(path, text):
    """Write text to a temporary file beside path, then rename it into place."""
    tmp = temp_name(os.path.dirname(path) or ".", os.path.basename(path))
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# ---- main -------------------------------------------------------------------

def parse_args(argv):
    """--plots-only and RUN_DIR; argparse exits 2 on bad usage."""
    p = argparse.ArgumentParser(
        prog="report.py",
        description="Draw the plots (gnuplot) and write report.md of one run folder.")
    p.add_argument("--plots-only", action="store_true",
                   help="draw the figures, leave report.md alone")
    p.add_argument("run_dir", metavar="RUN_DIR",
                   help="a run folder with results.csv and meta.json (e.g. results/latest)")
    return p.parse_args(argv)


def main(argv=None):
    """Entry point: returns the exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    run_dir = args.run_dir
    try:
        if not os.path.isdir(run_dir):
            raise ReportError("%s: not a run folder" % run_dir)
        try:
            runcheck.check_run(run_dir, RESULTS_CSV, META_JSON)
        except runcheck.RunCheckError as e:
            raise ReportError("refused: %s" % e)
        rows = load_csv(os.path.join(run_dir, RESULTS_CSV))
        if not rows:
            raise ReportError("%s: no rows to report" % os.path.join(run_dir, RESULTS_CSV))
        meta = load_meta(os.path.join(run_dir, META_JSON))
        cal, cal_problem = load_calibration(run_dir)
        if cal_problem and os.path.exists(os.path.join(run_dir, CALIBRATION_CSV)):
            print("report.py: warning: %s; no floors drawn" % cal_problem, file=sys.stderr)
        written = draw_all(run_dir, rows, meta, cal)
        import rate_report  # here: it imports this module
        rate_rows, rate_lines = rate_report.report_lines(run_dir, meta)
        if rate_rows is not None:
            written.append("%s/ (open loop)" % rate_report.RATE_DIR)
        if not args.plots_only:
            write_atomic(os.path.join(run_dir, REPORT_MD), render_report(
                rows, meta, cal, cal_problem, load_floor_runs(run_dir), rate_rows, rate_lines))
            written.append(REPORT_MD)
    except ReportError as e:
        print("report.py: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("report.py: interrupted", file=sys.stderr)
        return 130
    print("report.py: wrote %s in %s" % (", ".join(written), run_dir), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
