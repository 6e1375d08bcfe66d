#!/usr/bin/env python3
"""verdicts.py: each claim of DESIGN.md section 1, tested on one run.

The design lists what threads and async are said to suit, and three
warnings.  This module restates each claim and marks it CONFIRMED, REFUTED
or NOT SHOWN on the machine of the run, with the numbers that decide it.
Every number comes from results.csv (rows) and meta.json (meta: cores,
workload kinds); nothing is typed in.  Workloads are picked by what they
are (meta kind, work, delay_us), never by name, so a new pair is judged
by the same rules.

    verdicts(rows, meta) -> [{"claim", "verdict", "evidence"}]
    render(rows, meta)   -> markdown lines: "## Verdicts", the claim table,
                            and a per-workload table (crossover, ratios,
                            how far each model got)

report.py calls render() right after "How to read".  Standard library
only.  By hand:  python3 scripts/verdicts.py RUN_DIR  (prints the section).
"""

import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report as R  # noqa: E402  (load_csv, rows_for, fmt_si, ... ; see report.py)

# ---- thresholds ---------------------------------------------------------------
# Why these numbers: the machines are shared and noisy (a point's spread is
# often 2-10%), so a verdict needs a margin well above that; ratios, never
# absolute numbers, so the rules hold on any machine.

# "Threads suit CPU-bound tasks that need to run in parallel":
# speed-up S = best throughput / throughput at c=1, per model.
PAR_THREADS_FRAC = 0.8      # threads scale: S >= 0.8 x cores (a busy machine loses ~20%)
ASYNC_FLAT_S = 1.25         # one loop stays flat: S <= 1.25 (one core; the rest is noise)
PAR_REFUTE_RATIO = 1.2      # REFUTED when threads' S <= 1.2 x async's: no parallel gain
# A shared machine may not give the run its cores (another job on one
# core): then threads cannot scale and the parallel claims are untested,
# not refuted.  Cores a point used = (utime + stime) / wall; when no
# threads or async-mt point of a CPU workload used more than
# PAR_THREADS_FRAC x cores, those claims are NOT SHOWN.
# "One loop per core closes the CPU gap": async-mt S >= 0.85 x
# cores (1.7 on 2 cores), and its best throughput within 10% of threads'.
MT_FRAC = 0.85
MT_VS_THREADS = 0.90

# "Async suits I/O-bound tasks": async/threads throughput at the highest
# concurrency both reached.  10% is above the usual spread of a point.
IO_WIN = 1.10               # CONFIRMED when >= 1.1 on every I/O workload
IO_LOSE = 0.90              # REFUTED when <= 0.9 on any

# "One thread per client runs out of memory": threads' memory per in-flight
# task vs async's at the highest common concurrency: the whole of it (user
# RSS + kernel: stacks, page tables, slab, socket buffers; mem_per_task_kib)
# where the run measured kernel memory, else RSS alone, saying so.
MEM_RATIO = 5.0             # CONFIRMED at >= 5x (a stack's pages vs a slot)
MEM_REFUTE_RATIO = 2.0      # REFUTED below 2x with no thread failure
# Peak RSS of the same point moves by a few hundred KiB between runs (the
# CSV shows RSS(c) - RSS(1) down to about -350 KiB at small c), so an
# extra RSS below this is noise: async's per-task figure is floored at
# RSS_NOISE_KIB / (c - 1) before dividing, and threads' must exceed it.
RSS_NOISE_KIB = 512.0

# "The backend, not the model, was the bottleneck": a point whose run's own
# backend (one thread) used at least this share of a core over the clocked
# window (backend_util = backend_cpu_s / window_s).
BACKEND_BOUND_UTIL = 0.9

# "A CPU-heavy task on an event loop stalls every other task": async p99
# vs the best of threads and hybrid on workloads that both compute and wait.
STALL_RATIO = 1.5           # CONFIRMED when async p99 >= 1.5 x min(threads, hybrid)
LATENCY_MAX_C = 1024        # above this, p99 is mostly c / throughput (queueing
                            # of thousands of tasks), not the stall itself
INFLATION_C = 64            # quoted: p99(64) / p99(1) on CPU workloads

# "Threads give minimal, predictable latency": p99 at c = cores (every
# task has a core), threads vs async; 10% is the tie band.
LAT_TIE = 1.10

# "Threads suit long-running tasks, async short-running ones": async p99 /
# threads p99, median over the common levels cores < c <= LATENCY_MAX_C
# (a single level flips with noise and with the scheduler's time slice),
# on the workload with the shortest CPU part vs the one with the longest.
# CONFIRMED when async wins on short tasks (<= 1) and threads on long (> 1).

# "The best designs mix the two": hybrid vs the better of threads and
# async at every common c >= MIX_MIN_C (from there the CPU part saturates
# the cores, so throughput compares designs, not idle time).
MIX_MIN_C = 64
MIX_THR_FRAC = 0.95         # CONFIRMED: hybrid throughput >= 0.95 x max(threads, async) ...
                            # ... and hybrid p99 < async p99 at each of those c
MIX_REFUTE_FRAC = 0.90      # REFUTED: hybrid < 0.9 x the better one at the highest such c

# "Whose tail breaks first under open-loop load" (rate.csv of
# `make bench-rate`, judged by scripts/rate_report.py's summarize()): on each
# rate workload with CPU work, one-loop async must break at an offered load
# at most OPEN_MARGIN x the lowest of the other models' break loads (a model
# that never broke counts as breaking above its highest load).
OPEN_MARGIN = 0.9

CONFIRMED, REFUTED, NOT_SHOWN = "CONFIRMED", "REFUTED", "NOT SHOWN"
THREADS, ASYNC, ASYNC_MT, HYBRID = "threads", "async", "async-mt", "hybrid"

CLAIMS = {
    "parallel": "Threads suit CPU-bound tasks that need to run in parallel "
                "(one event loop uses one core)",
    "io": "Async suits I/O-bound tasks: it uses the time spent waiting to raise "
          "throughput, with many tasks in flight concurrently",
    "latency": "Threads give minimal, predictable latency",
    "length": "Threads suit long-running tasks, async short-running ones",
    "stall": "Warning: a CPU-heavy task on an event loop stalls every other task on it",
    "memory": "Warning: one thread per client runs out of memory or thread allocations",
    "mix": "Warning: the best designs mix the two (hybrid: one loop plus a worker "
           "pool for the CPU parts)",
    "mt": "One event loop per core (async-mt) closes the CPU gap to threads",
    "open": "Under open-loop load, CPU work on one event loop makes its tail latency "
            "break first (and a closed-loop benchmark hides it)",
}


# ---- small helpers ------------------------------------------------------------

def num(x):
    return R.is_num(x)


def fmt_tp(x):
    """A throughput: '38.5k/s'."""
    return R.fmt_si(x) + "/s"


def fmt_us(x):
    """A latency given in us: '70.1 us', '24.0 ms', '2.70 s'."""
    if not num(x):
        return R.DASH
    if x >= 1e6:
        return R.fmt_sig(x / 1e6) + " s"
    if x >= 1e3:
        return R.fmt_sig(x / 1e3) + " ms"
    return R.fmt_sig(x) + " us"


def fmt_x(x):
    """A ratio: '1.53x'."""
    return R.fmt_sig(x) + "x" if num(x) else R.DASH


def fmt_kib(x):
    return R.fmt_sig(x) + " KiB" if num(x) else R.DASH


class Used:
    """The rows a verdict rests on, to flag the noisy ones in its evidence."""

    def __init__(self):
        self.rows = []

    def add(self, *rows):
        self.rows += [r for r in rows if r]
        return rows[0] if len(rows) == 1 else rows

    def note(self):
        noisy, bound, seen = [], [], set()
        for r in self.rows:
            key = (r.get("workload"), r.get("model"), r.get("concurrency"))
            if key in seen:
                continue
            seen.add(key)
            if r.get("noisy"):
                noisy.append("%s %s c=%s" % key)
            if backend_bound(r):
                bound.append("%s %s c=%s" % key)
        return "".join(" (%s: %s)" % (what, ", ".join(keys)) for what, keys in (
            ("noisy", noisy), ("backend-bound", bound)) if keys)


def ok_points(rows, wl, model):
    """{concurrency: row} of one workload and model, ok rows with a throughput."""
    return {r["concurrency"]: r for r in R.rows_for(rows, workload=wl, model=model, ok_only=True)
            if num(r.get("throughput")) and num(r.get("concurrency"))}


def common(*point_maps):
    """The concurrency levels present in every map, ascending."""
    if not point_maps:
        return []
    levels = set(point_maps[0])
    for m in point_maps[1:]:
        levels &= set(m)
    return sorted(levels)


def cores_of(meta):
    c = R.meta_get(meta, "host", "cores")
    return c if isinstance(c, int) and c > 0 else None


def info(rows, meta, wl):
    """kind, work, delay_us of a workload (meta first, then the CSV)."""
    i = R.workload_info(rows, meta, wl)
    return {"kind": i["kind"], "work": i["work"] if num(i["work"]) else 0,
            "delay_us": i["delay_us"] if num(i["delay_us"]) else 0}


def cpu_workloads(rows, meta):
    return [w for w in R.workloads(rows) if info(rows, meta, w)["kind"] == "cpu"]


def io_only_workloads(rows, meta):
    """I/O-kind workloads with no CPU part (work == 0)."""
    return [w for w in R.workloads(rows)
            if info(rows, meta, w)["kind"] == "io" and not info(rows, meta, w)["work"]]


def compute_and_wait_workloads(rows, meta):
    """Workloads whose task both computes and waits (work > 0 and delay > 0)."""
    return [w for w in R.workloads(rows)
            if info(rows, meta, w)["work"] > 0 and info(rows, meta, w)["delay_us"] > 0]


def combine(results):
    """One verdict from per-workload ones: any REFUTED -> REFUTED; all
    CONFIRMED -> CONFIRMED; otherwise NOT SHOWN."""
    if not results:
        return NOT_SHOWN
    if REFUTED in results:
        return REFUTED
    if all(v == CONFIRMED for v in results):
        return CONFIRMED
    return NOT_SHOWN


def speedup(points):
    """(S, best row, c=1 row) of one model's points; S None without c=1."""
    if not points:
        return None, None, None
    best = max(points.values(), key=lambda r: r["throughput"])
    base = points.get(1)
    s = best["throughput"] / base["throughput"] if base and base["throughput"] else None
    return s, best, base


def crossover(t_pts, a_pts):
    """Lowest c from which async throughput exceeds threads' at every higher
    common c; None when async is not ahead at the highest common c."""
    levels = common(t_pts, a_pts)
    found = None
    for c in reversed(levels):
        if a_pts[c]["throughput"] > t_pts[c]["throughput"]:
            found = c
        else:
            break
    return found


def reached(rows, wl, model):
    """(highest ok c, why it stopped) of one model on one workload, or None."""
    mine = R.rows_for(rows, workload=wl, model=model)
    if not mine:
        return None
    ok = [r["concurrency"] for r in mine if R.is_ok(r) and num(r.get("concurrency"))]
    top = max(ok) if ok else None
    failed = sorted((r for r in mine if not R.is_ok(r) and num(r.get("concurrency"))),
                    key=lambda r: r["concurrency"])
    tried = max(r["concurrency"] for r in mine if num(r.get("concurrency")))
    if failed:
        f = failed[0]
        why = "failed at c=%s: %s" % (f["concurrency"], f.get("reason") or "no reason given")
    else:
        wl_top = max(r["concurrency"] for r in R.rows_for(rows, workload=wl)
                     if num(r.get("concurrency")))
        why = "not limited up to c=%s" % tried
        if tried < wl_top:
            why += " (not run higher)"
    return top, why


def cores_used(row):
    """CPU seconds per wall second of one point, None when not recorded."""
    u, st, w = row.get("utime_s"), row.get("stime_s"), row.get("wall_s")
    if num(u) and num(w) and w > 0:
        return (u + (st if num(st) else 0)) / w
    return None


def cores_denied(rows, meta, wl, cores):
    """Why the parallel claims cannot be tested on wl (text), or None: no
    threads or async-mt point used more than PAR_THREADS_FRAC x cores."""
    used = [cores_used(r) for m in (THREADS, ASYNC_MT)
            for r in ok_points(rows, wl, m).values()]
    used = [u for u in used if u is not None]
    if not used or max(used) >= PAR_THREADS_FRAC * cores:
        return None
    return ("%s: no threads or async-mt point got more than %s cores of CPU time "
            "((utime+stime)/wall) of the %d: the machine was likely busy, parallelism "
            "was not tested" % (wl, R.fmt_sig(max(used)), cores))


def backend_bound(row):
    """True when the point's own backend used >= BACKEND_BOUND_UTIL of a core
    over the clocked window: the backend, not the model, set the pace."""
    u = row.get("backend_util")
    return num(u) and u >= BACKEND_BOUND_UTIL


def rss_per_task(row):
    v = row.get("rss_per_task_kib")
    return v if num(v) else None


def mem_per_task(row):
    """Whole memory per in-flight task (user RSS + kernel) when the run
    measured kernel memory, else None."""
    v = row.get("mem_per_task_kib")
    return v if num(v) else None


def below_noise(v, c):
    """True when a per-task figure at concurrency c adds up to less than
    RSS_NOISE_KIB over the c - 1 extra tasks (negative ones included): the
    run-to-run noise of a process's peak memory, not a cost."""
    return num(v) and num(c) and c > 1 and v * (c - 1) < RSS_NOISE_KIB


def fmt_per_task(v, c):
    """A per-task figure in KiB, or "below noise" (see below_noise)."""
    if below_noise(v, c):
        return "below noise (< %s KiB)" % R.fmt_sig(RSS_NOISE_KIB / (c - 1))
    return fmt_kib(v)


def rss_ratio(tk, ak, c):
    """(threads/async RSS per task, floored?) at concurrency c, or None when
    threads' extra RSS is itself within RSS_NOISE_KIB.  Async's figure is
    floored at RSS_NOISE_KIB / (c - 1): below that it is noise (even < 0)."""
    if tk is None or ak is None or c <= 1 or tk * (c - 1) < RSS_NOISE_KIB:
        return None
    floor = RSS_NOISE_KIB / (c - 1)
    return tk / max(ak, floor), ak < floor


# ---- the claims -----------------------------------------------------------------

def cpu_claim_inputs(rows, meta):
    """(cores, CPU-kind workloads, None), or (.., .., why the claims about
    CPU work cannot be decided on this run)."""
    cores = cores_of(meta)
    wls = cpu_workloads(rows, meta)
    if not wls:
        return cores, wls, "no CPU-kind workload in this run"
    if cores is None:
        return cores, wls, "core count unknown (meta.json host.cores)"
    return cores, wls, None


def v_parallel(rows, meta):
    cores, wls, why = cpu_claim_inputs(rows, meta)
    if why:
        return NOT_SHOWN, why
    if cores == 1:
        return NOT_SHOWN, "1 core: nothing can run in parallel on this machine"
    verdicts, parts, used = [], [], Used()
    for wl in wls:
        t = speedup(ok_points(rows, wl, THREADS))
        a = speedup(ok_points(rows, wl, ASYNC))
        if t[0] is None or a[0] is None:
            verdicts.append(NOT_SHOWN)
            parts.append("%s: no ok c=1 point for %s" % (
                wl, " and ".join(m for m, s in ((THREADS, t), (ASYNC, a)) if s[0] is None)))
            continue
        used.add(t[1], t[2], a[1], a[2])
        st, sa = t[0], a[0]
        denied = cores_denied(rows, meta, wl, cores)
        if denied:
            verdicts.append(NOT_SHOWN)
            parts.append(denied + " (threads %s, async %s)" % (fmt_x(st), fmt_x(sa)))
            continue
        if max(ok_points(rows, wl, THREADS)) < cores:
            v = NOT_SHOWN
        elif st >= PAR_THREADS_FRAC * cores and sa <= ASYNC_FLAT_S:
            v = CONFIRMED
        elif st <= PAR_REFUTE_RATIO * sa:
            v = REFUTED
        else:
            v = NOT_SHOWN
        verdicts.append(v)
        parts.append("%s: speed-up over c=1 threads **%s** (%s at c=%s vs %s), async **%s** "
                      "(%s at c=%s vs %s); needs threads >= %s and async <= %s" % (
                          wl, fmt_x(st), fmt_tp(t[1]["throughput"]), t[1]["concurrency"],
                          fmt_tp(t[2]["throughput"]), fmt_x(sa), fmt_tp(a[1]["throughput"]),
                          a[1]["concurrency"], fmt_tp(a[2]["throughput"]),
                          fmt_x(PAR_THREADS_FRAC * cores), fmt_x(ASYNC_FLAT_S)))
    return combine(verdicts), "on %d cores: %s%s" % (cores, "; ".join(parts), used.note())


def v_io(rows, meta):
    wls = io_only_workloads(rows, meta)
    if not wls:
        return NOT_SHOWN, "no I/O-kind workload without a CPU part (work = 0) in this run"
    verdicts, parts, used = [], [], Used()
    for wl in wls:
        t, a = ok_points(rows, wl, THREADS), ok_points(rows, wl, ASYNC)
        levels = common(t, a)
        if not levels:
            verdicts.append(NOT_SHOWN)
            parts.append("%s: no concurrency where both threads and async ran" % wl)
            continue
        c = levels[-1]
        used.add(t[c], a[c])
        ratio = a[c]["throughput"] / t[c]["throughput"]
        verdicts.append(CONFIRMED if ratio >= IO_WIN else REFUTED if ratio <= IO_LOSE
                        else NOT_SHOWN)
        x = crossover(t, a)
        parts.append("%s: async/threads throughput **%s** at c=%s (%s vs %s), "
                     "async ahead from c=%s" % (
                         wl, fmt_x(ratio), c, fmt_tp(a[c]["throughput"]),
                         fmt_tp(t[c]["throughput"]), x if x is not None else "none (never)"))
    return combine(verdicts), "%s; needs >= %s on every one%s" % (
        "; ".join(parts), fmt_x(IO_WIN), used.note())


def v_latency(rows, meta):
    cores, wls, why = cpu_claim_inputs(rows, meta)
    if why:
        return NOT_SHOWN, why
    verdicts, parts, used = [], [], Used()
    for wl in wls:
        t, a = ok_points(rows, wl, THREADS), ok_points(rows, wl, ASYNC)
        low = [c for c in common(t, a) if c <= cores and num(t[c].get("p99_us"))
               and num(a[c].get("p99_us"))]
        if not low:
            verdicts.append(NOT_SHOWN)
            parts.append("%s: no common point at c <= cores" % wl)
            continue
        c = low[-1]
        used.add(t[c], a[c])
        tp, ap = t[c]["p99_us"], a[c]["p99_us"]
        v = CONFIRMED if tp <= ap else REFUTED if tp > LAT_TIE * ap else NOT_SHOWN
        got = cores_used(t[c])
        if v == REFUTED and c > 1 and got is not None and got < PAR_THREADS_FRAC * c:
            # c threads on fewer than c cores time-slice: not the claim's setting.
            v = NOT_SHOWN
            parts.append("%s at c=%s: threads got %s cores of CPU time, not %s (busy "
                         "machine): p99 threads %s vs async %s not comparable" % (
                             wl, c, R.fmt_sig(got), c, fmt_us(tp), fmt_us(ap)))
            verdicts.append(v)
            continue
        verdicts.append(v)
        text = "%s at c=%s (%s cores): p99 threads **%s** vs async **%s**" % (
            wl, c, cores, fmt_us(tp), fmt_us(ap))
        # Above the core count threads time-slice: say how that looks.
        high = [k for k in common(t, a) if k > cores and num(t[k].get("p99_us"))
                and num(a[k].get("p99_us")) and a[k]["p99_us"] > 0]
        if high:
            used.add(*[t[k] for k in high], *[a[k] for k in high])
            worst = max(high, key=lambda k: t[k]["p99_us"] / a[k]["p99_us"])
            wr = t[worst]["p99_us"] / a[worst]["p99_us"]
            series = ", ".join("c=%s %s" % (k, R.fmt_sig(t[k]["p99_us"] / a[k]["p99_us"]))
                               for k in high)
            if wr > LAT_TIE:
                text += ("; %sabove the core count threads time-slice: their p99 is up to "
                         "**%s** async's (c=%s: %s vs %s); threads/async p99 by c: %s" % (
                             "holds at c <= cores only: " if v == CONFIRMED else "",
                             fmt_x(wr), worst, fmt_us(t[worst]["p99_us"]),
                             fmt_us(a[worst]["p99_us"]), series))
            else:
                text += "; threads' p99 stays within %s of async's up to c=%s (%s)" % (
                    fmt_x(LAT_TIE), high[-1], series)
        parts.append(text)
    return combine(verdicts), "; ".join(parts) + used.note()


def median_p99_ratio(t, a, cores):
    """(median async/threads p99 over cores < c <= LATENCY_MAX_C, {c: ratio})."""
    by_c = {c: a[c]["p99_us"] / t[c]["p99_us"] for c in common(t, a)
            if (cores is None or c > cores) and c <= LATENCY_MAX_C
            and num(a[c].get("p99_us")) and num(t[c].get("p99_us")) and t[c]["p99_us"] > 0}
    return (statistics.median(by_c.values()) if by_c else None), by_c


def v_length(rows, meta):
    cores = cores_of(meta)
    wls = [w for w in R.workloads(rows) if info(rows, meta, w)["work"] > 0]
    works = sorted({info(rows, meta, w)["work"] for w in wls})
    if len(works) < 2:
        return NOT_SHOWN, ("needs two workloads with different CPU parts (work > 0); "
                           "this run has %d" % len(works))
    used = Used()
    found = {}
    for label, work in (("short", works[0]), ("long", works[-1])):
        for wl in (w for w in wls if info(rows, meta, w)["work"] == work):
            t, a = ok_points(rows, wl, THREADS), ok_points(rows, wl, ASYNC)
            med, by_c = median_p99_ratio(t, a, cores)
            if med is not None:
                used.add(*[t[c] for c in by_c], *[a[c] for c in by_c])
                found[label] = (wl, work, med, by_c)
                break
    if len(found) < 2:
        return NOT_SHOWN, "no common threads/async points above the core count on %s" % (
            " or ".join(w for w in wls))

    def say(label):
        wl, work, med, by_c = found[label]
        return "%s tasks (%s, work=%s): async/threads p99 median **%s** (%s)" % (
            label, wl, work, fmt_x(med),
            ", ".join("c=%s %s" % (c, R.fmt_sig(r)) for c, r in sorted(by_c.items())))
    rs, rl = found["short"][2], found["long"][2]
    v = CONFIRMED if rs <= 1 < rl else REFUTED if rl <= rs else NOT_SHOWN
    return v, "%s; %s; below 1 async's p99 is lower%s" % (say("short"), say("long"), used.note())


def v_stall(rows, meta):
    wls = compute_and_wait_workloads(rows, meta)
    used = Used()
    verdicts, parts = [], []
    for wl in wls:
        t, a, h = (ok_points(rows, wl, m) for m in (THREADS, ASYNC, HYBRID))
        others = [(m, p) for m, p in ((THREADS, t), (HYBRID, h)) if p]
        if not a or not others:
            verdicts.append(NOT_SHOWN)
            parts.append("%s: async%s missing" % (wl, "" if a else " or threads/hybrid"))
            continue
        levels = [c for c in common(a, *(p for _, p in others)) if 1 < c <= LATENCY_MAX_C]
        if not levels and h:   # hybrid not at the same levels: compare with threads only
            others = [(THREADS, t)] if t else []
            levels = [c for c in common(a, t) if 1 < c <= LATENCY_MAX_C] if t else []
        if not levels:
            verdicts.append(NOT_SHOWN)
            parts.append("%s: no common point with 1 < c <= %d" % (wl, LATENCY_MAX_C))
            continue
        c = levels[-1]
        best_m, best = min(((m, p[c]) for m, p in others), key=lambda mp: mp[1]["p99_us"])
        used.add(a[c], *[p[c] for _, p in others])
        ratio = a[c]["p99_us"] / best["p99_us"]
        verdicts.append(CONFIRMED if ratio >= STALL_RATIO else REFUTED if ratio <= 1
                        else NOT_SHOWN)
        series = ", ".join("c=%s %s" % (k, R.fmt_sig(a[k]["p99_us"] / t[k]["p99_us"]))
                           for k in common(a, t) if 1 < k <= LATENCY_MAX_C)
        parts.append("%s (work=%s, delay=%s us) at c=%s: async p99 **%s** vs %s **%s** = "
                     "**%s** (needs >= %s), with throughput %s vs %s; async/threads p99 by c: %s"
                     % (wl, info(rows, meta, wl)["work"], info(rows, meta, wl)["delay_us"], c,
                        fmt_us(a[c]["p99_us"]), best_m, fmt_us(best["p99_us"]), fmt_x(ratio),
                        fmt_x(STALL_RATIO), fmt_tp(a[c]["throughput"]),
                        fmt_tp(best["throughput"]), series or R.DASH))
    if not wls:
        parts.append("no workload both computes and waits (work > 0 and delay_us > 0)")
    # For context: how p99 grows with concurrency on CPU-only work.
    infl = []
    for wl in cpu_workloads(rows, meta):
        for m in (ASYNC, THREADS):
            p = ok_points(rows, wl, m)
            hi = [c for c in p if 1 < c <= INFLATION_C and num(p[c].get("p99_us"))]
            if 1 in p and hi and num(p[1].get("p99_us")) and p[1]["p99_us"] > 0:
                c = max(hi)
                used.add(p[1], p[c])
                infl.append("%s %s %s from c=1 to c=%s (%s -> %s)" % (
                    wl, m, fmt_x(p[c]["p99_us"] / p[1]["p99_us"]), c,
                    fmt_us(p[1]["p99_us"]), fmt_us(p[c]["p99_us"])))
    if infl:
        parts.append("for comparison, p99 growth on CPU-only work: " + ", ".join(infl))
    return combine(verdicts), "; ".join(parts) + used.note()


def v_memory(rows, meta):
    wls = [w for w in R.workloads(rows)
           if ok_points(rows, w, ASYNC) and R.rows_for(rows, workload=w, model=THREADS)]
    if not wls:
        return NOT_SHOWN, "no workload with both threads and async points"
    confirmed, refuted, parts, used = False, 0, [], Used()
    for wl in wls:
        t, a = ok_points(rows, wl, THREADS), ok_points(rows, wl, ASYNC)
        fails = [r for r in R.rows_for(rows, workload=wl, model=THREADS)
                 if not R.is_ok(r) and r.get("concurrency") in a]
        if fails:
            f = min(fails, key=lambda r: r["concurrency"])
            confirmed = True
            used.add(a[f["concurrency"]])
            parts.append("%s: threads **failed at c=%s** (%s) where async ran (%s)" % (
                wl, f["concurrency"], f.get("reason") or "no reason given",
                fmt_tp(a[f["concurrency"]]["throughput"])))
            continue
        levels = [c for c in common(t, a) if c > 1
                  and rss_per_task(t[c]) is not None and rss_per_task(a[c]) is not None]
        if not levels:
            parts.append("%s: no RSS per task at a common c > 1" % wl)
            continue
        c = levels[-1]
        used.add(t[c], a[c])
        whole = mem_per_task(t[c]) is not None and mem_per_task(a[c]) is not None
        if whole:
            tk, ak = mem_per_task(t[c]), mem_per_task(a[c])
            text = ("%s at c=%s: memory per task (user RSS + kernel, %s) threads **%s** "
                    "(kernel %s) vs async **%s** (kernel %s)" % (
                        wl, c, R.mem_source_text([t[c], a[c]]), fmt_per_task(tk, c),
                        fmt_per_task(t[c].get("kmem_per_task_kib"), c), fmt_per_task(ak, c),
                        fmt_per_task(a[c].get("kmem_per_task_kib"), c)))
        else:
            tk, ak = rss_per_task(t[c]), rss_per_task(a[c])
            text = ("%s at c=%s: RSS per task threads **%s** vs async **%s** (user RSS only: "
                    "kernel memory not measured)" % (wl, c, fmt_per_task(tk, c),
                                                     fmt_per_task(ak, c)))
        rr = rss_ratio(tk, ak, c)
        if rr is None:
            parts.append(text + " (threads' extra memory within noise)")
            continue
        ratio, floored = rr
        text += ", ratio %s%s; peak RSS %s MiB vs %s MiB" % (
            ">= " if floored else "", fmt_x(ratio),
            R.fmt_sig(t[c]["maxrss_kib"] / 1024.0) if num(t[c].get("maxrss_kib")) else R.DASH,
            R.fmt_sig(a[c]["maxrss_kib"] / 1024.0) if num(a[c].get("maxrss_kib")) else R.DASH)
        if ratio >= MEM_RATIO:
            confirmed = True
        elif ratio < MEM_REFUTE_RATIO:
            refuted += 1
        parts.append(text)
    v = (CONFIRMED if confirmed else REFUTED if refuted == len(wls) else NOT_SHOWN)
    return v, "%s; needs a thread failure, or >= %s (async's extra memory counted as at least "\
        "%d KiB, the run-to-run noise)%s" % (
            "; ".join(parts), fmt_x(MEM_RATIO), RSS_NOISE_KIB, used.note())


def v_mix(rows, meta):
    wls = compute_and_wait_workloads(rows, meta)
    if not wls:
        return NOT_SHOWN, "no workload both computes and waits (work > 0 and delay_us > 0)"
    if not R.rows_for(rows, model=HYBRID):
        return NOT_SHOWN, "no %s model in this run" % HYBRID
    verdicts, parts, used = [], [], Used()
    for wl in wls:
        t, a, h = (ok_points(rows, wl, m) for m in (THREADS, ASYNC, HYBRID))
        if not (t and a and h):
            verdicts.append(NOT_SHOWN)
            parts.append("%s: %s missing" % (wl, ", ".join(
                m for m, p in ((THREADS, t), (ASYNC, a), (HYBRID, h)) if not p)))
            continue
        levels = [c for c in common(t, a, h) if c >= MIX_MIN_C]
        if not levels:
            verdicts.append(NOT_SHOWN)
            parts.append("%s: no common point at c >= %d" % (wl, MIX_MIN_C))
            continue
        good, cells = True, []
        for c in levels:
            used.add(t[c], a[c], h[c])
            best = max(t[c]["throughput"], a[c]["throughput"])
            frac = h[c]["throughput"] / best
            p99_ok = (num(h[c].get("p99_us")) and num(a[c].get("p99_us"))
                      and h[c]["p99_us"] < a[c]["p99_us"])
            good = good and frac >= MIX_THR_FRAC and p99_ok
            cells.append("c=%s %s of the better throughput, p99 %s vs async %s" % (
                c, fmt_x(frac), fmt_us(h[c].get("p99_us")), fmt_us(a[c].get("p99_us"))))
        top = levels[-1]
        top_frac = h[top]["throughput"] / max(t[top]["throughput"], a[top]["throughput"])
        verdicts.append(CONFIRMED if good else REFUTED if top_frac < MIX_REFUTE_FRAC
                        else NOT_SHOWN)
        parts.append("%s: hybrid %s" % (wl, "; ".join(cells)))
    return combine(verdicts), "%s; needs >= %s and a lower p99 than async at every c >= %d%s" % (
        "; ".join(parts), fmt_x(MIX_THR_FRAC), MIX_MIN_C, used.note())


def v_mt(rows, meta):
    cores = cores_of(meta)
    wls = cpu_workloads(rows, meta)
    if not wls:
        return NOT_SHOWN, "no CPU-kind workload in this run"
    if cores is None or cores == 1:
        return NOT_SHOWN, "1 core or core count unknown: no gap to close"
    if not R.rows_for(rows, model=ASYNC_MT):
        return NOT_SHOWN, "no %s model in this run" % ASYNC_MT
    verdicts, parts, used = [], [], Used()
    for wl in wls:
        m = speedup(ok_points(rows, wl, ASYNC_MT))
        t = speedup(ok_points(rows, wl, THREADS))
        a = speedup(ok_points(rows, wl, ASYNC))
        if m[0] is None:
            verdicts.append(NOT_SHOWN)
            parts.append("%s: no ok c=1 point for %s" % (wl, ASYNC_MT))
            continue
        used.add(m[1], m[2])
        denied = cores_denied(rows, meta, wl, cores)
        if denied:
            verdicts.append(NOT_SHOWN)
            parts.append(denied + " (async-mt %s)" % fmt_x(m[0]))
            continue
        text = "%s: async-mt speed-up **%s** (%s at c=%s vs %s)" % (
            wl, fmt_x(m[0]), fmt_tp(m[1]["throughput"]), m[1]["concurrency"],
            fmt_tp(m[2]["throughput"]))
        vs_t = None
        if t[1]:
            used.add(t[1])
            vs_t = m[1]["throughput"] / t[1]["throughput"]
            text += ", best throughput %s of threads' (%s)" % (fmt_x(vs_t),
                                                                fmt_tp(t[1]["throughput"]))
        flat = PAR_REFUTE_RATIO * a[0] if a[0] is not None else ASYNC_FLAT_S
        if m[0] >= MT_FRAC * cores and (vs_t is None or vs_t >= MT_VS_THREADS):
            v = CONFIRMED
        elif m[0] <= flat:
            v = REFUTED
        else:
            v = NOT_SHOWN
        verdicts.append(v)
        parts.append(text)
    return combine(verdicts), "on %d cores: %s; needs >= %s and >= %s of threads%s" % (
        cores, "; ".join(parts), fmt_x(MT_FRAC * cores), fmt_x(MT_VS_THREADS), used.note())


def v_open(rows, meta, rate_rows):
    import rate_report as RR  # here: report.py imports this module too
    if not rate_rows:
        return NOT_SHOWN, "no open-loop sweep in this run (`make bench-rate`)"
    summ = RR.summarize(rate_rows)
    verdicts, parts = [], []
    for wl, per in summ.items():
        work = next((r.get("work") for r in rows if r.get("workload") == wl), None)
        if work is None:
            work = R.meta_get(meta, "workloads", wl, "work", default=None)
        if not work:
            parts.append("%s: no CPU work, not judged" % wl)
            continue
        a = per.get(ASYNC)
        if not a or not a["open"]:
            verdicts.append(NOT_SHOWN)
            parts.append("%s: no ok open-loop point for %s" % (wl, ASYNC))
            continue

        def break_at(s):
            if s["break"]:
                return s["break"]["offered"]
            return float("inf") if s["open"] else None
        others = {m: break_at(s) for m, s in per.items() if m != ASYNC and s["open"]}
        if not others:
            verdicts.append(NOT_SHOWN)
            parts.append("%s: no other model to compare with" % wl)
            continue
        mine = break_at(a)
        first_other = min(others.values())
        order = RR.breaks_first(per)
        text = "%s: tails break in the order %s" % (wl, ", ".join(
            "%s at %s" % (m, fmt_tp(x) if x != float("inf") else "never")
            for m, x in order))
        co = a.get("co")
        if co and co.get("closed_p99"):
            text += "; %s at %d%% load: open-loop p99 %s vs closed-loop p99 %s at the same " \
                    "throughput (%s)" % (ASYNC, RR.CO_LOAD, fmt_us(co["open_p99"]),
                                         fmt_us(co["closed_p99"]),
                                         fmt_x(co["open_p99"] / co["closed_p99"]))
        if mine != float("inf") and mine <= OPEN_MARGIN * first_other:
            v = CONFIRMED
        elif mine >= first_other:
            v = REFUTED
        else:
            v = NOT_SHOWN
        verdicts.append(v)
        parts.append(text)
    if not verdicts:
        return NOT_SHOWN, "; ".join(parts) or "no open-loop workload"
    return combine(verdicts), "; ".join(parts) + "; needs %s to break at <= %s x the " \
        "others' lowest break load" % (ASYNC, "%g" % OPEN_MARGIN)


RULES = (("parallel", v_parallel), ("io", v_io), ("latency", v_latency),
         ("length", v_length), ("stall", v_stall), ("memory", v_memory),
         ("mix", v_mix), ("mt", v_mt), ("open", v_open))


def verdicts(rows, meta, rate_rows=None):
    """[{claim, verdict, evidence}] in the order of DESIGN.md section 1;
    rate_rows: the open-loop sweep's rate.csv rows, if the run has one."""
    meta = meta or {}
    out = []
    for key, rule in RULES:
        try:
            v, ev = rule(rows, meta, rate_rows) if key == "open" else rule(rows, meta)
        except (ZeroDivisionError, KeyError, TypeError, ValueError) as e:
            # A malformed CSV must not cost the whole report.
            v, ev = NOT_SHOWN, "could not evaluate (%s: %s)" % (type(e).__name__, e)
        out.append({"claim": CLAIMS[key], "verdict": v, "evidence": ev})
    return out


# ---- per-workload table -----------------------------------------------------------

def workload_rows(rows, meta):
    """One dict per workload: crossover, ratios at the highest common c, reach."""
    out = []
    for wl in R.workloads(rows):
        i = info(rows, meta, wl)
        t, a = ok_points(rows, wl, THREADS), ok_points(rows, wl, ASYNC)
        levels = common(t, a)
        d = {"workload": wl, "kind": i["kind"], "work": i["work"], "delay_us": i["delay_us"],
             "crossover": None, "top": None, "tp_ratio": None, "rss_ratio": None,
             "per_task": (None, None), "per_task_whole": False, "noisy": False,
             "reach": {m: reached(rows, wl, m) for m in R.models(rows, meta)}}
        if levels:
            c = levels[-1]
            d["crossover"] = crossover(t, a)
            d["top"] = c
            d["tp_ratio"] = a[c]["throughput"] / t[c]["throughput"]
            if num(t[c].get("maxrss_kib")) and num(a[c].get("maxrss_kib")) and a[c]["maxrss_kib"]:
                d["rss_ratio"] = t[c]["maxrss_kib"] / a[c]["maxrss_kib"]
            whole = mem_per_task(t[c]) is not None and mem_per_task(a[c]) is not None
            d["per_task"] = ((mem_per_task(t[c]), mem_per_task(a[c])) if whole
                             else (rss_per_task(t[c]), rss_per_task(a[c])))
            d["per_task_whole"] = whole
            d["noisy"] = bool(t[c].get("noisy") or a[c].get("noisy"))
        out.append(d)
    return out


def render(rows, meta, rate_rows=None):
    """The "## Verdicts" section as markdown lines."""
    meta = meta or {}
    cores = cores_of(meta)
    lines = ["## Verdicts", "",
             "Each claim of the design, tested on this run's numbers (%s; every number below "
             "is computed from results.csv).  The rules and their thresholds are at the top of "
             "`scripts/verdicts.py`.  NOT SHOWN means this run cannot decide (missing model or "
             "workload, or a result between the thresholds).  \"(noisy: ...)\" names points "
             "used that the sweep flagged noisy; \"(backend-bound: ...)\" points where the run's "
             "own backend used >= %s of a core (the backend, not the model, set the pace)." % (
                 "%d core%s" % (cores, "" if cores == 1 else "s") if cores else "unknown cores",
                 BACKEND_BOUND_UTIL),
             "", "| Claim | Verdict | Evidence |", "|---|---|---|"]
    for v in verdicts(rows, meta, rate_rows):
        lines.append("| %s | **%s** | %s |" % (R.md_cell(v["claim"]), v["verdict"],
                                                R.md_cell(v["evidence"])))
    all_models = R.models(rows, meta)
    lines += ["", "Per workload: *crossover* is the lowest concurrency from which async's "
              "throughput exceeds threads' at every higher common level (\"none\": never); "
              "the ratios are taken at the highest concurrency both reached (c); *reached* is "
              "each model's highest ok concurrency and why it stopped.", ""]
    head = ["Workload", "kind (work, delay)", "crossover c", "c", "async/threads throughput",
            "peak RSS threads/async", "memory per task threads / async"] + [
                "%s reached" % m for m in all_models]
    lines += ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for d in workload_rows(rows, meta):
        pt_t, pt_a = d["per_task"]
        rr = rss_ratio(pt_t, pt_a, d["top"]) if d["top"] else None
        cells = [d["workload"], "%s (%s, %s us)" % (d["kind"], d["work"], d["delay_us"]),
                 R.DASH if d["top"] is None else
                 ("none" if d["crossover"] is None else str(d["crossover"])),
                 R.DASH if d["top"] is None else str(d["top"]),
                 fmt_x(d["tp_ratio"]) + (" (noisy)" if d["noisy"] else ""),
                 fmt_x(d["rss_ratio"]),
                 "%s / %s%s%s" % (fmt_per_task(pt_t, d["top"]), fmt_per_task(pt_a, d["top"]),
                                  "" if rr is None else
                                  " (%s%s)" % (">= " if rr[1] else "", fmt_x(rr[0])),
                                  "" if pt_t is None else " (RSS + kernel)" if d["per_task_whole"]
                                  else " (RSS only)")]
        for m in all_models:
            r = d["reach"].get(m)
            if r is None:
                cells.append("not run")
            else:
                top, why = r
                if why.startswith("not limited") and top is not None:
                    cells.append(why)               # reached the top of its sweep
                else:
                    cells.append("%s; %s" % ("no ok point" if top is None else "c=%s" % top, why))
        lines.append("| " + " | ".join(R.md_cell(c) for c in cells) + " |")
    lines.append("")
    return lines


def main(argv):
    if len(argv) != 1:
        print("usage: verdicts.py RUN_DIR", file=sys.stderr)
        return 2
    try:
        rows = R.load_csv(os.path.join(argv[0], R.RESULTS_CSV))
    except R.ReportError as e:
        print("verdicts.py: %s" % e, file=sys.stderr)
        return 1
    meta = R.load_meta(os.path.join(argv[0], R.META_JSON))
    import rate_report as RR
    print("\n".join(render(rows, meta, RR.load(argv[0]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
