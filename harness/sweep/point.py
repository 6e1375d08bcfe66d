"""point.py - a point's results.csv row: its runs merged, its size, the CSV.

rounds.py measures a point (its pilots, then its rounds); this module holds
what a point's figures are made of: the task count of its runs (run_tasks,
sized from its pilot so one run takes about TARGET_S), the merge of its
counted runs' JSON stats lines into one row (medians, min/max, spread, the
95% interval, the noisy flag: merge_point) and results.csv, written whole
and atomically after every point.  Shared by every sweep: the open-loop
sweep measures each model's capacity with the same points.
"""


from . import common, interval

TARGET_S = 0.1          # aim for one run to take this long (it was 0.4, then 0.15: the
                        # spread of 6 runs was no wider at 0.1-0.2 s on 5 of 7 points
                        # tried; 0.15 made a full sweep 9m54s-10m30s from a fresh
                        # clone, over its 10 min)
QUICK_TARGET_S = 0.04   # ... in a QUICK sweep
PILOT_MIN_TASKS = 100   # a pilot runs at least this many tasks (io_sleep c=1: 0.1 s)
QUICK_PILOT_MIN_TASKS = 50  # ... in a QUICK sweep (io_sleep c=1: 50 ms, not 200)
PILOT_TASKS_PER_SLOT = 2  # ... and this many per slot; the same for every model,
                          # so the pilots' checksums prove equal work
MIN_TASKS_PER_SLOT = 5  # every slot gets at least this many tasks: a closed run
                        # reports its steady window (harness/dispatch.h), which
                        # needs 5 (mixed at c = 10,000 does 4-7k tasks/s: 7-13 s)
WANT_TASKS_PER_SLOT = 20  # and this many where the time cap allows
MAX_RUN_S = 0.35        # ... the time cap for that (0.75 until the one window rule:
                        # the window, not the run's length, makes a figure steady;
                        # the big levels' runs were a third of the full sweep)
QUICK_MAX_RUN_S = 0.1   # ... in a QUICK sweep
MAX_TASKS = 50_000_000  # never more than this per run
PILOT_SKIP_MIN_C = 4096  # from here a point is sized from the level below, when the
                         # sweep measured it, not by a pilot of its own
WARMUP = 0              # hyperfine warm-up runs: none, the pilot (the same command
                        # with fewer tasks, just before) is the point's warm-up
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
    "rounds", "window_rule",
    "hf_mean_s", "hf_stddev_s", "hf_median_s", "hf_min_s", "hf_max_s",
    "cv", "noisy", "outliers", "littles_ratio", "run_checksum", "errors",
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
    util = [backend_util(s) for s in stats]
    row["backend_util"] = median(util) if all(u is not None for u in util) else None
    rules = {s.get("window_rule") for s in stats}
    row["window_rule"] = rules.pop() if len(rules) == 1 else "mixed"
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
    sums = {s["checksum"] for s in stats}  # the counted runs: equal tasks, one checksum
    row["run_checksum"] = sums.pop() if len(sums) == 1 else "mismatch"
    if row["window_rule"] == "mixed":
        # One rule for every run (harness/runtime/dispatch.h): a median over
        # windowed and whole runs is no figure.
        row.update(status="failed", reason="its runs reported by different window rules (%s)"
                   % ", ".join(sorted(str(s.get("window_rule")) for s in stats)))
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


def backend_util(s):
    """Cores' worth of CPU the run's own backend used over the span the
    run's figures cover (its window, window_s), from one stats line: the
    backend's CPU over that span where the run took it (backend_window_cpu_s),
    else over the clocked run (backend_cpu_s / wall_s); None without a
    backend of its own.  (backend_cpu_s / window_s, the clocked run's CPU
    over the shorter window, read 1.32-1.34x high.)"""
    win = s.get("backend_window_cpu_s")
    if win is not None and float(s.get("window_s") or 0) > 0:
        return float(win) / float(s["window_s"])
    if s.get("backend_cpu_s") is not None and float(s.get("wall_s") or 0) > 0:
        return float(s["backend_cpu_s"]) / float(s["wall_s"])
    return None


def note_data_file(meta, name, stats):
    """A data-file pair's pilot: where its reads went, into meta.json's
    data_file (the file, its file system and device, the cached share at
    the start of each series), for the report."""
    if "file_fs" not in stats:
        return
    df = meta.setdefault("data_file", {
        "path": stats.get("file_path"), "fstype": stats["file_fs"],
        "device": mount_source(stats.get("file_path")), "mib": stats.get("file_mib"),
        "cached_pct_at_start": {}})
    df["cached_pct_at_start"][name] = stats.get("file_cached_pct")


def write_csv(path, rows):
    """All rows so far, with rss_per_task_kib filled in, atomically."""
    base = {(r["workload"], r["model"]): r for r in rows
            if r["concurrency"] == 1 and r["status"] == "ok"}
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
    common.write_csv(path, COLUMNS, rows)


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


def run_tasks(rate, c, target_s, quick=False):
    """The task count of a point's runs, for a model that did rate tasks/s
    at c in flight: a run of target_s; at least MIN_TASKS_PER_SLOT per slot,
    WANT_TASKS_PER_SLOT within MAX_RUN_S (QUICK_MAX_RUN_S in a QUICK sweep);
    never over MAX_TASKS."""
    cap = QUICK_MAX_RUN_S if quick else MAX_RUN_S
    want = max(rate * target_s, min(WANT_TASKS_PER_SLOT * c, rate * cap))
    return int(min(MAX_TASKS, max(MIN_TASKS_PER_SLOT * c, want)))


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
