"""render.py - report.md of one run, as one string, and commands.md beside it.

The summary first (summary.py: each claim, its verdict, the figure that
decided it, the plot; the run's quality), how to read the figures, the models
(their one-line summaries from harness/models.def), the verdicts, the
calibration, the overview, then per workload: its figure, failed points, the
speed-up (CPU-kind), the distance from the floor, the checks (checksums,
Little's law), how memory was measured, the backend-bound points, and a table
of every point; the open-loop and serve sections; last, the appendix: where
the numbers came from (provenance).  Every command line the sweep ran is in
commands.md (commands_text), not in report.md.
"""

import json
import re

from . import efficiency, machine, spectrum, summary, verdicts
from .data import (BACKEND_BOUND_UTIL, LITTLES_HI, LITTLES_LO, MEM_SOURCES, RSS_NOISE_KIB,
                   backend_bound, backend_bound_rows, below_noise, cache_of, check_checksums,
                   check_littles, data_file_text,
                   is_ok, mem_source_text, model_info, models, rows_for, speedups, unique,
                   workload_info, workloads)
from .floors import (beaten, beaten_text, calibration_lines, floor_table_lines, floor_terms,
                     workload_floor)
from .fmt import (DASH, KIB_PER_MIB, UNKNOWN, cores_text, fmt_pct, fmt_si, fmt_sig, is_num,
                  md_cell, meta_get, topology_text)
from .load import CALIBRATION_CSV
from .plots import OVERVIEW, drawn_workloads

NOISY_CV = 0.10                         # the sweep's noisy thresholds (for the text):
NOISY_SPREAD = 0.20                     # cv, and min..max with hyperfine outliers
COMMANDS_MD = "commands.md"             # every command line of the run, beside report.md
REPORT_LINK = "report.md"
APPENDIX = "Appendix: what was run and where"   # the last section: provenance
SETTING_PARAMS = ("timer_slack_ns", "timer_slack_inherited_ns")  # said by settings_lines

def provenance_lines(meta):
    """The "What was run and where" section, as markdown lines."""
    def g(*path):
        v = meta_get(meta, *path)
        return UNKNOWN if v is None or v == "" else v

    commit = meta_get(meta, "git", "commit")
    dirty = meta_get(meta, "git", "dirty")
    git = UNKNOWN if not commit else "`%s`%s" % (
        commit, {True: " (dirty: uncommitted changes)", False: " (clean)"}.get(dirty, ""))
    lines = ["- **Date:** %s; **run id:** %s" % (g("date"), g("run_id"))] + machine.lines(meta)
    if meta_get(meta, "fleet", "label"):
        lines.append("- **Fleet:** machine type %s, Slurm job %s on %s (make fleet)" % (
            g("fleet", "label"), g("fleet", "job_id"), g("fleet", "nodes")))
    lines.append("- **Compiler:** %s; **CFLAGS:** `%s`" % (g("build", "compiler"),
                                                         g("build", "cflags")))
    versions = dict(meta_get(meta, "versions", default={}))
    for key in ("libevent", "hyperfine", "gnuplot"):
        versions.setdefault(key, None)
    lines.append("- **Versions:** " + "; ".join(
        str(v) if v and str(v).lower().startswith(k.lower())    # "hyperfine 1.15.0"
        else "%s %s" % (k, v if v else UNKNOWN) for k, v in versions.items()))
    lines.append("- **Topology:** %s" % topology_text(meta))
    lines.append("- **Git commit:** %s" % git)
    if meta.get("elapsed_s") is not None:
        lines.append("- **Sweep time:** %s s" % fmt_sig(meta["elapsed_s"]))
    params = meta_get(meta, "params", default={})
    if params:
        plain = []
        for k, v in params.items():
            if k == "concurrency" and isinstance(v, dict) or k in SETTING_PARAMS:
                continue
            plain.append("%s=%s" % (k, ",".join(map(str, v)) if isinstance(v, list)
                                    else UNKNOWN if v is None
                                    else json.dumps(v) if isinstance(v, bool) else v))
        lines.append("- **Sweep parameters:** " + "; ".join(plain))
        for wl, levels in (params.get("concurrency") or {}).items():
            lines.append("  - %s concurrency: %s" % (wl, ", ".join(map(str, levels or []))))
    else:
        lines.append("- **Sweep parameters:** %s" % UNKNOWN)
    sweep_cmd = sweep_command_text(meta)
    if sweep_cmd:
        lines.append("- **Sweep command:** `%s`" % sweep_cmd)
    commands = meta.get("commands") or []
    lines.append("- **Command lines:** %s" % (
        "the %d run, each as it ran, in [%s](%s)" % (len(commands), COMMANDS_MD, COMMANDS_MD)
        if commands else "%s (not recorded in meta.json)" % UNKNOWN))
    return lines


def sweep_command_text(meta):
    """The command that started the sweep, as one line, or None.  A run
    before provenance.sweep_command recorded a list of the entry script's
    words after "make GOAL" (["make", "bench", "--quick"], not a command):
    its options are shown as they were, said to be the script's."""
    cmd = meta.get("sweep_command")
    if isinstance(cmd, list):
        if cmd[:1] == ["make"] and any(str(w).startswith("--") for w in cmd):
            return "%s (the sweep script's options, recorded before the make command was)" % (
                " ".join(map(str, cmd)))
        return " ".join(map(str, cmd))
    return cmd or None


def commands_text(meta):
    """commands.md: the sweep command and every command line the sweep ran,
    in order (meta.json "commands")."""
    run_id = meta_get(meta, "run_id", default=UNKNOWN)
    commands = meta.get("commands") or []
    out = ["# The commands of run %s" % run_id, "",
           "Sweep command: `%s`." % (sweep_command_text(meta) or UNKNOWN), "",
           "Each command line the sweep ran, in order (%d; meta.json \"commands\" holds the "
           "same).  The report: [report.md](%s)." % (len(commands), REPORT_LINK), ""]
    if commands:
        out += ["```"] + [str(c) for c in commands] + ["```"]
    else:
        out.append("%s: not recorded in meta.json." % UNKNOWN)
    return "\n".join(out) + "\n"


def settings_lines(rows, meta):
    """The platform settings the runs had, from meta.json and results.csv:
    the timer slack in force and where it came from, and per model the stack
    a task runs on and the pool's size."""
    asked = meta_get(meta, "params", "timer_slack_ns")
    inherited = meta_get(meta, "params", "timer_slack_inherited_ns")
    in_force = sorted({r["timer_slack_ns"] for r in rows if is_num(r.get("timer_slack_ns"))})
    slack = " and ".join("{:,} ns".format(int(v)) for v in in_force) or "%s (not recorded)" % (
        UNKNOWN)
    why = ("set for every model alike by TIMER_SLACK_NS=%s" % asked if asked is not None else
           "the platform's, inherited, none being given (the sweep's own was %s; "
           "TIMER_SLACK_NS=N sets one for every model alike)" % (
               "{:,} ns".format(int(inherited)) if is_num(inherited) else UNKNOWN))
    stacks = []
    for m in models(rows, meta):
        vals = sorted({r["stack_kib"] for r in rows_for(rows, model=m) if is_num(r.get("stack_kib"))})
        pools = sorted({r["pool"] for r in rows_for(rows, model=m) if is_num(r.get("pool"))
                        and r["pool"]})
        stacks.append("%s %s%s" % (m, "/".join("{:,} KiB".format(int(v)) for v in vals)
                                   or UNKNOWN,
                                   "".join(" (a pool of %d threads)" % p for p in pools)))
    return ["- **Timer slack:** %s in force: %s; per run in results.csv's timer_slack_ns" % (
        slack, why),
            "- **Stack a task runs on:** %s (results.csv's stack_kib: a thread's for threads "
            "and pool, the coroutine's for green and uring; an async task has none of its own "
            "and this is its loop thread's)" % "; ".join(stacks)]


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
    if backend_bound(row):
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
    floor (data.below_noise), never a negative number."""
    c, rss = r.get("concurrency"), r.get("rss_per_task_kib")
    if not is_num(rss):
        return DASH
    tot, kmem = r.get("mem_per_task_kib"), r.get("kmem_per_task_kib")
    if is_num(tot) and is_num(kmem):
        if below_noise(tot, c):
            return "below noise"
        return "%s (%s + %s)" % (fmt_sig(tot), "below noise" if below_noise(rss, c)
                                 else fmt_sig(rss),
                                 "below noise" if below_noise(kmem, c) else fmt_sig(kmem))
    return ("below noise" if below_noise(rss, c) else fmt_sig(rss)) + " (RSS)"


def memory_line(wl_rows):
    """Where the kernel part of memory per task came from, for one workload."""
    src = mem_source_text(wl_rows)
    return ("**Memory:** kernel memory %s; memory per task = (X(c) - X(1)) / (c - 1) from "
            "c = 64, X = %s; a figure whose total over the c - 1 tasks is under %d KiB "
            "(run-to-run noise) is shown as below noise." % (
                src, "peak user RSS (the kernel part unknown)" if src == MEM_SOURCES["none"]
                else "peak user RSS + peak kernel memory", RSS_NOISE_KIB))


def backend_line(wl_rows):
    """The points where the run's own backend, not the model, was the
    bottleneck; None when the backend's CPU was not recorded."""
    if not any(is_num(r.get("backend_util")) for r in wl_rows):
        return None
    bound = backend_bound_rows(wl_rows)
    rule = ("the run's own backend (one thread) used >= %s of a core over the clocked "
            "window (backend_util = backend CPU / window)" % BACKEND_BOUND_UTIL)
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


def checks_line(wl_rows, fl=None):
    """The one-line "Checks" of one workload: checksums, Little's law and,
    with its floor fl, that no point lies above it (an error of the floor)."""
    cs = check_checksums(wl_rows)
    parts = []
    if fl:
        hits = beaten(wl_rows, fl)
        parts.append(beaten_text(hits) or "every point under its floor")
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
            " (a run reports its steady window, the tasks that arrived after its first "
            "max(2c, n/5) completions less the last c, each latency in full; it holds in a "
            "steady state, so a miss points at runs too short for the latency tail)")
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
    runs = meta_get(meta, "params", "runs", default=None) or meta_get(
        meta, "params", "rounds", default=UNKNOWN)
    return [
        "Each workload is one figure with four panels, two by two, all against concurrency "
        "(tasks in flight, log scale; closed loop: a task starts when one finishes): (a) "
        "throughput, (b) p50 (solid) and p99 (dashed) latency, log-log, (c) peak memory of "
        "the process, (d) memory per in-flight task = (X(c) - X(1)) / (c - 1); in (c) and (d)"
        " the solid line is the whole (user RSS + kernel memory: stacks, page tables, slab, "
        "socket buffers) and the dotted line its kernel part when the run measured kernel "
        "memory, else the solid line is user RSS alone (this run's kernel memory: %s).  Each "
        "model is one colour and one marker. "
        "A point is the median of its counted runs (%s); bars and the ranges in the tables span "
        "min to max over those runs.  A red X in the grey strip above a panel is a point "
        "that failed, at its concurrency (its reason is in the table): a model that cannot "
        "reach a concurrency is a result; \"n/a\" there names the models the pair does not "
        "run on.  "
        "A point is flagged noisy when its spread (cv) is over %d%% or hyperfine saw "
        "outliers that moved its throughput (cv over %d%% or min to max over %d%%).  "
        "%s  A point is backend-bound when the run's own backend used >= %s of a core over "
        "the steady window its figures cover: there the backend, not the model, set the "
        "pace; the figures ring it.  "
        "All numbers come from one machine with %s (CPU placement: %s): compare models "
        "within this run and quote ratios, not absolute numbers.  Checks: equal checksums "
        "prove both models did the same work; Little's law (throughput x mean latency / "
        "concurrency = 1 in a closed loop) catches measurement bugs." % (
            mem_source_text(rows), runs, round(NOISY_CV * 100), round(NOISY_CV * 50),
            round(NOISY_SPREAD * 100),
            "The models of one (workload, c) ran in rounds, each once per round, their order "
            "rotated from round to round and point to point, so drift on the machine fell on "
            "every model of a round alike, and a ratio of two comes from the same rounds."
            if "rounds" in str(meta_get(meta, "params", "order", default="")) else
            "The models of one (workload, c) ran back to back, their order rotated from one "
            "point to the next, so drift on the machine fell on every model alike."
            if "interleaved" in str(meta_get(meta, "params", "order", default="")) else
            "The sweep ran one model's points after another's (an older run): drift on the "
            "machine may fall on one model.",
            BACKEND_BOUND_UTIL, cores_text(meta),
            meta_get(meta, "params", "placement", default="shared (not recorded)")),
    ]


def models_lines(rows, meta):
    """The "Models" list: each series of the run with its summary and
    command-line flags, from the registry (harness/models.def)."""
    info = model_info(meta)
    out = []
    for m in models(rows, meta):
        d = info.get(m) or {}
        flags = " ".join(d.get("flags") or [])
        out.append("- **%s**: %s (bin/%s%s; uses %s)" % (
            m, d.get("summary") or "not in the registry", d.get("binary") or UNKNOWN,
            " %s" % flags if flags else "",
            {"all": "every core", "one": "one core"}.get(d.get("cores"), UNKNOWN)))
    return out


def narrowed_lines(meta):
    """The warning atop a narrowed run's report (meta.json "narrowed", set by
    WORKLOADS=, MODELS= or CONCURRENCY=): what it left out, and where the
    last full run is; [] for a full run or an older one that did not say."""
    n = meta.get("narrowed") or {}
    given = n.get("given") or {}
    if not given:
        return []
    left = ["workloads %s" % ", ".join(n[k]) if k == "workloads_not_run" else
            "models %s" % ", ".join(n[k]) for k in ("workloads_not_run", "models_not_run")
            if n.get(k)]
    return ["> **A narrowed run** (%s): %s; its overview, tables and verdicts cover only what "
            "it ran.  `make bench` without these variables runs everything and points "
            "results/latest-full at it as well as results/latest; a narrowed run moves "
            "results/latest only." % (
                " ".join("%s=%s" % kv for kv in sorted(given.items())),
                "not run here: " + "; ".join(left) if left
                else "every pair and model, at the levels given"), ""]


def overview_lines(rows):
    """The "Overview" section: its figure, and the workloads it leaves out
    (no ok point: plots.drawn_workloads), or why there is no figure."""
    drawn = drawn_workloads(rows)
    left = [wl for wl in workloads(rows) if wl not in drawn]
    lines = ["## Overview", ""]
    if drawn:
        lines += ["![throughput and p99 of every workload](%s.png)" % OVERVIEW, ""]
    if left:
        lines += ["%s: %s (every point failed; %s)." % (
            "Not in the overview" if drawn else "No figure: no workload has an ok point",
            ", ".join(left),
            "its section says why" if len(left) == 1 else "their sections say why"), ""]
    return lines


def all_failed_line(wl, wl_rows):
    """What a workload with no ok point shows instead of its figure: that
    every point failed, and each reason with how many points gave it (the
    "not run" points above a model's failure not counted again; the list
    of points follows in "Failed points")."""
    reasons = {}
    for r in wl_rows:
        reason = r.get("reason") or "no reason given"
        if not reason.startswith("not run"):
            reasons[reason] = reasons.get(reason, 0) + 1
    return ("> **No figure: every point of %s failed** (%d point%s), so there is nothing to "
            "draw; %s." % (wl, len(wl_rows), "" if len(wl_rows) == 1 else "s", "; ".join(
                "%s (%d point%s)" % (why, n, "" if n == 1 else "s")
                for why, n in reasons.items()) or "no reason given"))


def render_report(rows, meta, cal=None, cal_problem="no %s" % CALIBRATION_CSV,
                  floor_runs=None, rate_rows=None, rate_lines=(), extra=None, spectra=None,
                  judged=None, first=None):
    """report.md as one string; cal, cal_problem from load_calibration(),
    floor_runs from load_floor_runs(), rate_rows and rate_lines (the
    open-loop section) from rate.report_lines(), extra (the contested
    claims' inputs) from build.load_extra(), spectra (the figures of latency
    by percentile) from spectrum.draw_all(), judged from
    verdicts.judge_all() and first (the summary's data) from summary.data()
    when the caller has them.  It opens with the summary (summary.py) and
    ends with the provenance (APPENDIX; the command lines in COMMANDS_MD)."""
    all_models = models(rows, meta)
    run_id = meta_get(meta, "run_id", default=UNKNOWN)
    extra = extra or {"cal": cal}
    judged = judged or verdicts.judge_all(rows, meta, rate_rows, extra)
    first = first or summary.data(judged, rows, meta)
    out = ["# %s: benchmark report, run %s" % (" vs ".join(all_models) or "models", run_id), ""]
    if meta.get("complete") is False:
        out += ["> **meta.json says complete=false:** the sweep was interrupted or had not "
                "finished when this report was written; points may be missing.", ""]
    out += narrowed_lines(meta)
    out += summary.lines(first, meta, "[the appendix](#%s) at the end, every command line "
                         "in [%s](%s)" % (re.sub(r"[^a-z0-9]+", "-", APPENDIX.lower()),
                                          COMMANDS_MD, COMMANDS_MD))
    out += ["## How to read", ""] + how_to_read_lines(meta, rows) + [""]
    out += ["## Models", ""] + models_lines(rows, meta) + [""]
    out += verdicts.render(rows, meta, rate_rows, extra, judged)
    out += calibration_lines(rows, meta, cal, cal_problem, floor_runs or {})
    out += efficiency.lines(rows, meta, cal)
    out += overview_lines(rows)
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
        if meta_get(meta, "workloads", wl, "cache"):
            out += ["", "**Files:** %s; %s." % (cache_of(meta, wl), data_file_text(meta))]
        if not any(is_ok(r) for r in wl_rows):
            out += ["", all_failed_line(wl, wl_rows), ""]
        else:
            out += ["", "![%s: throughput, latency, memory vs concurrency](%s.png)" % (wl, wl), ""]
            out += spectrum.report_lines(wl, spectra)
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
        elif cal and floor_terms(rows, meta, wl)[0] is None:
            out += ["**Floor:** none drawn: the pair declares no floor terms (its work is not "
                    "calibrated cpu_hash rounds, round trips or timer waits; `.floor` in "
                    "workloads/%s.c)." % (meta_get(meta, "workloads", wl, "variant_of") or wl), ""]
        out += [checks_line(wl_rows, fl), "", memory_line(wl_rows), ""]
        bl = backend_line(wl_rows)
        if bl:
            out += [bl, ""]
        out += table_lines(wl_rows, present) + [""]
    out += list(rate_lines)
    out += ["", "## %s" % APPENDIX, ""] + settings_lines(rows, meta) + provenance_lines(meta)
    return "\n".join(out) + "\n"
