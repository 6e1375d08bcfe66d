"""point.py - one closed-loop point: (workload, model, c) -> one results.csv row.

A pilot run sizes the task count so one run takes about TARGET_S and warms
the point up (binary, page cache); hyperfine then runs RUNS counted runs, and
more while the throughput's interval is wide (extra_runs), each of which appends its own JSON
stats line; merge_point() turns the counted lines into one row (medians,
min/max, spread, the noisy flag).  A run that fails becomes a row with
status=failed and its reason.  Shared by both sweeps: the open-loop sweep
measures each model's capacity with the same points.
"""

import csv
import io
import json
import os
import time

from . import common, hgrm, interval, runner as R

TARGET_S = 0.1          # aim for one run to take this long (it was 0.4, then 0.15: the
                        # spread of 6 runs was no wider at 0.1-0.2 s on 5 of 7 points
                        # tried, and a wide point gets runs added, below; 0.15 made a
                        # full sweep 9m54s-10m30s from a fresh clone, over its 10 min)
QUICK_TARGET_S = 0.04   # ... in a QUICK sweep
PILOT_MIN_TASKS = 100   # a pilot runs at least this many tasks (io_sleep c=1: 0.1 s)
QUICK_PILOT_MIN_TASKS = 50  # ... in a QUICK sweep (io_sleep c=1: 50 ms, not 200)
PILOT_TASKS_PER_SLOT = 2  # ... and this many per slot; the same for every model,
                          # so the pilots' checksums prove equal work
MIN_TASKS_PER_SLOT = 5  # every slot gets at least this many tasks: a closed run
                        # reports its steady window (harness/dispatch.h), which
                        # needs 5 (mixed at c = 10,000 does 4-7k tasks/s: 7-13 s)
WANT_TASKS_PER_SLOT = 20  # and this many where the time cap allows
MAX_RUN_S = 0.75        # ... the time cap for that
QUICK_MAX_RUN_S = 0.1   # ... in a QUICK sweep
STEADY_TASKS_PER_SLOT = 50  # a run that opens no steady window (harness/runtime/dispatch.h)
STEADY_MAX_RUN_S = 5.0      # reports the whole run, its start and drain too, and those
                            # weigh less the longer it runs: such a point's runs get this
                            # many tasks per slot within this cap (not in a QUICK sweep).
                            # threads io_sleep c=4,096 (no window): 100k tasks/s at 10 per
                            # slot, 126k at 20, 136k at 50 (Little's law 0.96 / 0.975 /
                            # 0.99).  Only those points: one that opens a window is not
                            # biased by its length, and lengthening every point made the
                            # full sweep ~17 min instead of ~13.
MAX_TASKS = 50_000_000  # never more than this per run
PILOT_SKIP_MIN_C = 4096  # from here a point is sized from the level below, when the
                         # sweep measured it, not by a pilot of its own
WARMUP = 0              # hyperfine warm-up runs: none, the pilot (the same command
                        # with fewer tasks, just before) is the point's warm-up
# A point's throughput carries a 95% interval (interval.py).  Three counted
# runs are the least; while the interval is wider than TARGET_HALF_WIDTH of
# the median the sweep adds runs, as many as the spread so far says it needs,
# up to MAX_RUNS and within EXTRA_BUDGET_S of wall time per point.  A point
# still wider after that says so (results.csv throughput_lo/hi; the report).
TARGET_HALF_WIDTH = 0.03
MAX_RUNS = 8
EXTRA_BUDGET_S = 1.0     # (2 s cost 63 s more on a full sweep for intervals as wide:
                         # median 3.1 -> 3.2%, p90 16.0 -> 16.2%, replayed on its runs)
NOISY_CV = 0.10         # a point whose throughput spread is above this is noisy
NOISY_OUTLIER_CV = 0.05  # hyperfine's outlier warning (about the whole process's wall
NOISY_SPREAD = 0.20      # time, set-up included) flags a point only when our own figure
                         # moved too: throughput cv above NOISY_OUTLIER_CV, or its
                         # min..max spread above NOISY_SPREAD of the median
RSS_PER_TASK_MIN_C = 64  # below, (RSS(c) - RSS(1)) / (c - 1) is page-level noise

COLUMNS = [
    "workload", "model", "concurrency", "status", "reason", "tasks", "window_tasks", "runs",
    "work", "delay_us", "stack_kib", "timer_slack_ns", "pool",
    "throughput", "throughput_min", "throughput_max", "throughput_cv",
    "p50_us", "p50_us_min", "p50_us_max", "p90_us",
    "p99_us", "p99_us_min", "p99_us_max", "p999_us", "max_us", "mean_us",
    "maxrss_kib", "maxrss_kib_min", "maxrss_kib_max", "rss_per_task_kib",
    "kmem_kib", "kmem_per_task_kib", "mem_per_task_kib", "mem_source",
    "threads", "utime_s", "stime_s", "vcsw", "ivcsw", "wall_s",
    "setup_s", "setup_cpu_s", "teardown_s", "teardown_cpu_s",
    "backend_cpu_s", "backend_vcsw", "backend_ivcsw", "backend_util", "placement",
    "throughput_lo", "throughput_hi", "throughput_hw", "p99_lo", "p99_hi",
    "hf_mean_s", "hf_stddev_s", "hf_median_s", "hf_min_s", "hf_max_s",
    "cv", "noisy", "outliers", "littles_ratio", "checksum", "errors",
    "verify_tasks", "verify_checksum", "point_s",
]


def noisy_flag(row):
    """1 when a point's figure is not to be trusted to NOISY_CV: its
    throughput cv is over NOISY_CV, or hyperfine saw outliers and they moved
    our figure (cv over NOISY_OUTLIER_CV or min..max over NOISY_SPREAD of the
    median).  hyperfine times the whole process, set-up included, so its
    warning alone says nothing about the clocked window."""
    cv_ = row.get("cv") or 0.0
    if cv_ > NOISY_CV:
        return 1
    thr, lo, hi = (row.get(k) for k in ("throughput", "throughput_min", "throughput_max"))
    spread = (hi - lo) / thr if thr and lo is not None and hi is not None else 0.0
    return 1 if row.get("outliers") and (cv_ > NOISY_OUTLIER_CV or spread > NOISY_SPREAD) else 0


def noisy_why(row):
    """Why a noisy point is flagged, for the progress line."""
    why = []
    if (row.get("cv") or 0) > NOISY_OUTLIER_CV:
        why.append("cv %.0f%%" % (100 * row["cv"]))
    thr = row.get("throughput")
    if thr and row.get("throughput_max") is not None:
        why.append("min..max %.0f%%" % (100 * (row["throughput_max"] - row["throughput_min"]) / thr))
    if row.get("outliers"):
        why.append("hyperfine outliers")
    return ", ".join(why)


def merge_point(stats, hf, outliers):
    """One results.csv row's measured fields from the counted runs."""
    median = common.median

    def col(k):
        return [float(s[k]) for s in stats]
    thr = col("throughput")
    row = {
        "runs": len(stats),
        "throughput": median(thr), "throughput_min": min(thr), "throughput_max": max(thr),
        "throughput_cv": common.cv(thr),
        "p50_us": median(col("p50_us")), "p50_us_min": min(col("p50_us")),
        "p50_us_max": max(col("p50_us")), "p90_us": median(col("p90_us")),
        "p99_us": median(col("p99_us")), "p99_us_min": min(col("p99_us")),
        "p99_us_max": max(col("p99_us")), "p999_us": median(col("p999_us")),
        "max_us": median(col("max_us")), "mean_us": median(col("mean_us")),
        "maxrss_kib": median(col("maxrss_kib")), "maxrss_kib_min": min(col("maxrss_kib")),
        "maxrss_kib_max": max(col("maxrss_kib")),
        "threads": max(int(s["threads"]) for s in stats),
        "utime_s": median(col("utime_s")), "stime_s": median(col("stime_s")),
        "vcsw": median(col("vcsw")), "ivcsw": median(col("ivcsw")),
        "wall_s": median(col("wall_s")),
        "window_tasks": int(median(col("window_tasks"))) if all("window_tasks" in s
                                                                for s in stats) else None,
        "errors": sum(int(s["errors"]) for s in stats),
        "outliers": 1 if outliers else 0,
    }
    # Figures an older binary, or a machine without a memory cgroup, does not
    # give: empty (not measured), never zero.
    def opt(k):
        vals = [s.get(k) for s in stats]
        return None if any(v is None for v in vals) else median([float(v) for v in vals])
    for k in ("kmem_kib", "setup_s", "setup_cpu_s", "teardown_s", "teardown_cpu_s",
              "backend_cpu_s", "backend_vcsw", "backend_ivcsw"):
        row[k] = opt(k)
    util = [float(s["backend_cpu_s"]) / float(s["window_s"]) for s in stats
            if s.get("backend_cpu_s") is not None and float(s.get("window_s") or 0) > 0]
    row["backend_util"] = median(util) if len(util) == len(stats) else None
    row["mem_source"] = stats[0].get("mem_source") if row["kmem_kib"] is not None else "none"
    row["placement"] = stats[0].get("placement", "shared")
    if hf:
        row.update({"hf_mean_s": hf.get("mean"), "hf_stddev_s": hf.get("stddev"),
                    "hf_median_s": hf.get("median"), "hf_min_s": hf.get("min"),
                    "hf_max_s": hf.get("max")})
    for k, col_ in (("throughput", "throughput"), ("p99", "p99_us")):
        iv = interval.point(col(col_))
        row[k + "_lo"], row[k + "_hi"] = iv if iv else (None, None)
    row["throughput_hw"] = interval.half_width(thr, row["throughput"])
    row["cv"] = row["throughput_cv"]
    row["noisy"] = noisy_flag(row)
    row["littles_ratio"] = (row["throughput"] * row["mean_us"] / 1e6 / stats[0]["concurrency"]
                            if row["mean_us"] else None)
    sums = {s["checksum"] for s in stats}
    row["checksum"] = sums.pop() if len(sums) == 1 else "mismatch"
    return row


# What each run records of its platform settings: the stack a task runs on
# (KiB: a thread's, a coroutine's, or an async loop thread's), the timer slack
# in force (ns) and the pool's size (0: no pool).  One value per point; an
# older binary's line without them leaves the column empty.
SETTINGS = ("stack_kib", "timer_slack_ns", "pool")


def run_settings(stats):
    """A point's SETTINGS from its counted runs' stats lines: each the value
    every run recorded; None where a run did not record it, or where runs
    disagree (they cannot: one command line, one machine)."""
    out = {}
    for k in SETTINGS:
        vals = {s.get(k) for s in stats}
        v = vals.pop() if len(vals) == 1 else None
        out[k] = int(v) if v is not None else None
    return out


def write_csv(path, rows):
    """All rows so far, with rss_per_task_kib filled in, atomically."""
    base = {(r["workload"], r["model"]): r for r in rows
            if r["concurrency"] == 1 and r["status"] == "ok"}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        b = base.get((r["workload"], r["model"]))
        if b and r["status"] == "ok" and r["concurrency"] >= RSS_PER_TASK_MIN_C:
            r["rss_per_task_kib"] = ((r["maxrss_kib"] - b["maxrss_kib"]) /
                                     (r["concurrency"] - 1))
            # Kernel memory per task by the same rule, and the whole: user + kernel.
            if r.get("kmem_kib") is not None and b.get("kmem_kib") is not None:
                r["kmem_per_task_kib"] = ((r["kmem_kib"] - b["kmem_kib"]) /
                                          (r["concurrency"] - 1))
                r["mem_per_task_kib"] = r["rss_per_task_kib"] + r["kmem_per_task_kib"]
        w.writerow([common.fmt(r.get(c)) for c in COLUMNS])
    common.write_atomic(path, buf.getvalue())


def mount_source(path):
    """The device (mount source) of the file system holding path, from
    /proc/mounts (the longest mount point that is a prefix of it), or None."""
    if not path:
        return None
    best = (-1, None)
    try:
        with open("/proc/mounts") as f:
            for line in f:
                fields = line.split()
                if len(fields) < 2:
                    continue
                mnt = fields[1].replace("\\040", " ")
                inside = path == mnt or path.startswith(mnt.rstrip("/") + "/")
                if inside and len(mnt) > best[0]:
                    best = (len(mnt), fields[0])
    except OSError:
        return None
    return best[1]


def run_point(args, runner, meta, run_dir, pair, model, c, known=None):
    """Measure one point; returns its results.csv row, with point_s: the
    wall time the point took, pilot and every run (the sweep's ETA learns
    from it).  known: the ok row of the same workload and model at the level
    below, which sizes the runs at c >= PILOT_SKIP_MIN_C instead of a pilot."""
    t0 = time.monotonic()
    row = measure_point(args, runner, meta, run_dir, pair, model, c, known)
    row["point_s"] = round(time.monotonic() - t0, 3)
    return row


def measure_point(args, runner, meta, run_dir, pair, model, c, known):
    """run_point's measurement: the pilot, then the counted runs."""
    name = pair["name"]
    row = {"workload": name, "model": model["name"], "concurrency": c,
           "work": pair["work"], "delay_us": pair["delay_us"], "status": "ok", "reason": ""}
    tag = hgrm.point_tag(name, model["name"], c)

    if known and c >= PILOT_SKIP_MIN_C:
        # Sized from the level below: a pilot here is one more set-up of
        # thousands of threads, connections or stacks (14 s for 100,000
        # coroutine stacks on this VM) to learn what the sweep knows.
        stats = {"throughput": known["throughput"]}
    else:
        # Pilot: size the run (and warm the point up).
        n0 = max(QUICK_PILOT_MIN_TASKS if getattr(args, "quick", False) else PILOT_MIN_TASKS,
                 PILOT_TASKS_PER_SLOT * c)
        rc, stats, err = R.run_json(runner, meta, R.model_argv(
            model, pair, c, n0, pin=args.pin, backend=args.backend,
            slack=getattr(args, "timer_slack_ns", None)) + ["--json"])
        if rc != 0 or not stats:
            row.update(status="failed", reason=R.failure_reason(err, stats), tasks=n0)
            return row
        row["verify_tasks"], row["verify_checksum"] = n0, stats["checksum"]
        if "file_fs" in stats:  # a data-file pair: where its reads went, for the report
            df = meta.setdefault("data_file", {
                "path": stats.get("file_path"), "fstype": stats["file_fs"],
                "device": mount_source(stats.get("file_path")), "mib": stats.get("file_mib"),
                "cached_pct_at_start": {}})
            df["cached_pct_at_start"][name] = stats.get("file_cached_pct")
    quick = getattr(args, "quick", False)
    rate = stats["throughput"] or 1.0
    n = run_tasks(rate, c, args.target_s, quick)
    steady_n = n if quick else steady_tasks(rate, c, n)
    if steady_n > n and known and no_window([known]):
        n = steady_n  # the level below opened no window: this one will not either

    # hyperfine: warm-up and counted runs, each appending a stats line; then
    # more runs while the interval is wider than TARGET_HALF_WIDTH.
    stats_file = os.path.join(run_dir, "stats", tag + ".jsonl")
    if os.path.exists(stats_file):
        os.unlink(stats_file)
    hf_final = os.path.join(run_dir, "hyperfine", tag + ".json")
    hist_file = hgrm.hist_file(run_dir, tag)
    hfs, logs, planned = [], [], 0
    while True:
        row["tasks"] = n
        argv = R.model_argv(model, pair, c, n, stats_file, args.pin, args.backend, hist_file,
                            getattr(args, "timer_slack_ns", None))
        if planned == 0 and steady_n > n and args.runs > 1:
            k = 1  # alone first: if it opens no window, the others would not be kept
        elif planned < args.runs:
            k = args.runs - planned
        else:
            k = extra_runs(lines[WARMUP:], hfs, planned - args.runs,
                           getattr(args, "max_runs", args.runs))
        if k < 1:
            break
        hf_tmp = hf_final + ".tmp"
        rc, out, err, lines = R.hyperfine_runs(runner, meta, tag, argv, stats_file, k,
                                               0 if hfs else WARMUP, hf_tmp)
        logs.append(out + err)
        planned += k
        if rc != 0:
            bad = next((s for s in reversed(lines) if s.get("status") != "ok"), None)
            row.update(status="failed", reason=R.failure_reason(err, bad))
            return row
        if len(lines) != WARMUP + planned:  # a lost line: never take the warm-up's instead
            row.update(status="failed", reason="%d stats lines for %d runs (a result was lost)"
                       % (len(lines), WARMUP + planned))
            return row
        hfs.append(read_hf(hf_tmp))
        if (planned == 1 or planned == args.runs) and steady_n > n and \
                no_window(lines[WARMUP:]):
            # The first run, or most of the first RUNS, opened no window:
            # measure the point again with longer runs (STEADY_TASKS_PER_SLOT);
            # these short ones are dropped.
            os.unlink(stats_file)
            n = steady_n
            hfs, logs, planned = [], [], 0
    hf = merge_hf(hfs)
    if hf:
        common.write_atomic(hf_final, json.dumps({"results": [hf]}, indent=1) + "\n")
    # hyperfine's own words (outlier warnings above all) stay with the data.
    text = "".join(logs)
    common.write_atomic(os.path.join(run_dir, "hyperfine", tag + ".log"), text)
    # hyperfine judges outliers per invocation, and one of 1 or 2 runs never
    # has any: judged again over all of the point's runs by the same rule.
    n_out = outlier_runs(hf["times"]) if hf else 0
    outliers = "outlier" in text.lower() or n_out > 0
    if outliers:
        warn = [l.strip() for l in text.splitlines() if "outlier" in l.lower()]
        row["hf_warning"] = warn[0] if warn else (
            "%d of %d run times are statistical outliers (hyperfine's rule, over all runs)"
            % (n_out, len(hf["times"])))
    row.update(merge_point(lines[WARMUP:], hf, outliers))
    row.update(run_settings(lines[WARMUP:]))
    hgrm.write_point(run_dir, tag, lines[WARMUP:], hist_file)
    return row


def run_tasks(rate, c, target_s, quick=False):
    """The task count of a point's runs, for a model that did rate tasks/s
    at c in flight: a run of target_s; at least MIN_TASKS_PER_SLOT per slot,
    WANT_TASKS_PER_SLOT within MAX_RUN_S (QUICK_MAX_RUN_S in a QUICK sweep);
    never over MAX_TASKS."""
    cap = QUICK_MAX_RUN_S if quick else MAX_RUN_S
    want = max(rate * target_s, min(WANT_TASKS_PER_SLOT * c, rate * cap))
    return int(min(MAX_TASKS, max(MIN_TASKS_PER_SLOT * c, want)))


def steady_tasks(rate, c, n):
    """The task count for a point whose runs of n open no window:
    STEADY_TASKS_PER_SLOT per slot within STEADY_MAX_RUN_S, never fewer than
    n nor more than MAX_TASKS."""
    return int(min(MAX_TASKS, max(n, min(STEADY_TASKS_PER_SLOT * c, rate * STEADY_MAX_RUN_S))))


def no_window(stats):
    """True when most of these runs (stats lines, or results.csv rows) opened no
    steady window: they reported their whole run, window_tasks == tasks.  A
    row's window_tasks is its runs' median, so a row reads the same way.
    Most, not any: the median of three runs is then a windowed one."""
    def whole(s):
        w, t = s.get("window_tasks"), s.get("tasks")
        return w is not None and t is not None and int(w) >= int(t)
    return 2 * sum(1 for s in stats if whole(s)) > len(stats)


OUTLIER_MADS = 1.4826 * 10  # hyperfine's rule: a run time further than this many
                            # median absolute deviations from the median (10 standard
                            # deviations of a normal sample) is an outlier


def outlier_runs(times):
    """How many of times are outliers by hyperfine's rule (OUTLIER_MADS),
    judged over all of them."""
    if len(times) < 3:
        return 0
    med = common.median(times)
    mad = common.median([abs(t - med) for t in times]) or 1e-300
    return sum(1 for t in times if abs(t - med) / mad > OUTLIER_MADS)


def extra_runs(counted, hfs, spent_extra, max_runs):
    """How many more runs a point gets: as many as its interval needs to come
    within TARGET_HALF_WIDTH (interval.runs_for), at most max_runs in all
    (the sweep's MAX_RUNS; a QUICK sweep's and the open-loop sweep's: none),
    and no more than fit in what is left of EXTRA_BUDGET_S at the wall time
    one run has taken (hyperfine's mean; set-up included).  0: done."""
    thr = [float(s["throughput"]) for s in counted]
    hw = interval.half_width(thr, common.median(thr))
    if hw is None or hw <= TARGET_HALF_WIDTH:
        return 0
    if len(thr) >= max_runs:
        return 0
    want = interval.runs_for(thr, TARGET_HALF_WIDTH, max_runs) - len(thr)
    times = [t for h in hfs if h for t in h.get("times") or []]
    per_run = max(common.median(times), 0.01) if times else None
    if per_run is None:
        return 0
    afford = int((EXTRA_BUDGET_S - spent_extra * per_run) / per_run)
    return max(0, min(want, afford))


def read_hf(path):
    """hyperfine's --export-json result (a dict with its run times), or None:
    the export is a bonus, our own stats lines are the data."""
    try:
        with open(path) as f:
            return json.load(f)["results"][0]
    except (OSError, ValueError, KeyError, IndexError):
        return None
    finally:
        if os.path.exists(path):
            os.unlink(path)


def merge_hf(hfs):
    """One hyperfine summary over every invocation of a point (its counted
    runs' wall times: mean, stddev, median, min, max), or None."""
    times = [t for h in hfs if h for t in h.get("times") or []]
    if not times or any(h is None for h in hfs):
        return None
    mean = sum(times) / len(times)
    sd = (sum((t - mean) ** 2 for t in times) / (len(times) - 1)) ** 0.5 if len(times) > 1 else 0.0
    return {"command": hfs[0].get("command"), "times": times, "mean": mean, "stddev": sd,
            "median": common.median(times), "min": min(times), "max": max(times)}
