"""rules.py - the verdicts' thresholds, claims and the helpers their rules share.

Each claim of the design (the advice quoted at the top of README.md, restated
in CLAIMS) is judged on one run by a rule in claims.py; the field's contested
claims by contested.py.  The numbers those rules compare against are here,
each with why it has its value.  Every number a rule uses comes from the run
folder (results.csv, the per-run stats, meta.json, calibration.csv), with its
95% interval (sure.py); nothing is typed in.  A rule takes only the pairs that
declare its claim (workloads/NAME.c .claims, recorded in meta.json: voters());
a run recorded before pairs declared claims picks them by what they are
(kind, work, delay_us), never by name.  The claims name the roles they compare
(threads, async, ...: series of harness/models.def); a run without one of them
gets NOT SHOWN naming it.

Verdicts: CONFIRMED or REFUTED when the deciding figures' whole intervals lie
past the claim's thresholds, with the error held over all the intervals a claim
rests on (judge.py: every confirm test at 95%, one refute test of k at
1 - 0.05 / k, Holm); INCONCLUSIVE when one crosses a threshold (or sits between
a confirm and a refute threshold); NOT SHOWN when the run lacks the model, the
pair or the data, saying which.
"""

import statistics

from . import quality
from .data import (RSS_NOISE_KIB, backend_bound, below_noise, is_ok, rows_for, workload_info,
                   workloads)
from .fmt import DASH, fmt_kib, fmt_sig, fmt_tp, fmt_us, is_num, meta_get
from .sure import CONFIRMED, FACT, INCONCLUSIVE, REFUTED, point as sure_point, text as sure_text

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
# ... and where threads stop scaling on it: the first level whose throughput
# is under this share of linear scaling from c=1 (c x the c=1 throughput),
# the allowance PAR_THREADS_FRAC gives a CPU-bound pair.
SCALE_KEEP = 0.8

# "One thread per client runs out of memory": threads' memory per in-flight
# task vs async's at the highest common concurrency: the whole of it (user
# RSS + kernel: stacks, page tables, slab, socket buffers; mem_per_task_kib)
# where the run measured kernel memory, else RSS alone, saying so.
MEM_RATIO = 5.0             # CONFIRMED at >= 5x (a stack's pages vs a slot)
MEM_REFUTE_RATIO = 2.0      # REFUTED below 2x with no thread failure
# (RSS_NOISE_KIB, the noise of peak memory, is in data.py: the tables use it too.)

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
# `make bench-rate`, judged by scripts/report/rate.py's summarize()): on each
# rate workload with CPU work, one-loop async must break at an offered load
# at most OPEN_MARGIN x the lowest of the other models' break loads (a model
# that never broke counts as breaking above its highest load).
OPEN_MARGIN = 0.9

NOT_SHOWN = "NOT SHOWN"       # (CONFIRMED, REFUTED, INCONCLUSIVE: sure.py, with decide())
# The roles the claims compare: model names of harness/models.def.
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

# Each claim as the report's first screen names it: the advice, in a few words.
ADVICE = {
    "parallel": "Threads for CPU-bound, parallel work",
    "io": "Async for I/O-bound work",
    "latency": "Threads give minimal, predictable latency",
    "length": "Threads for long tasks, async for short ones",
    "stall": "A CPU-heavy task on a loop stalls every task on it",
    "memory": "One thread per client runs out of memory",
    "mix": "Mix the two: a loop plus a worker pool",
    "mt": "One loop per core closes the CPU gap to threads",
    "open": "Under open-loop load, a loop's tail breaks first",
}


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
    return {r["concurrency"]: r for r in rows_for(rows, workload=wl, model=model, ok_only=True)
            if is_num(r.get("throughput")) and is_num(r.get("concurrency"))}


def common(*point_maps):
    """The concurrency levels present in every map, ascending."""
    if not point_maps:
        return []
    levels = set(point_maps[0])
    for m in point_maps[1:]:
        levels &= set(m)
    return sorted(levels)


def cores_of(meta):
    c = meta_get(meta, "host", "cores")
    return c if isinstance(c, int) and c > 0 else None


def info(rows, meta, wl):
    """kind, work, delay_us of a workload (meta first, then the CSV)."""
    i = workload_info(rows, meta, wl)
    return {"kind": i["kind"], "work": i["work"] if is_num(i["work"]) else 0,
            "delay_us": i["delay_us"] if is_num(i["delay_us"]) else 0}


def cpu_workloads(rows, meta):
    return [w for w in workloads(rows) if info(rows, meta, w)["kind"] == "cpu"]


def io_only_workloads(rows, meta):
    """I/O-kind workloads with no CPU part (work == 0)."""
    return [w for w in workloads(rows)
            if info(rows, meta, w)["kind"] == "io" and not info(rows, meta, w)["work"]]


def compute_and_wait_workloads(rows, meta):
    """Workloads whose task both computes and waits (work > 0 and delay > 0)."""
    return [w for w in workloads(rows)
            if info(rows, meta, w)["work"] > 0 and info(rows, meta, w)["delay_us"] > 0]


def judged(judge, sure=None):
    """The verdict of a claim's tests (a judge.Judge): NOT SHOWN when no
    part of it could be judged, or only its refutation was and did not
    come; judge.note() (how its intervals were combined) added to sure's
    notes."""
    if judge.empty():
        return NOT_SHOWN
    if sure is not None and judge.note():
        sure.note(judge.note())
    v = judge.verdict()
    if v == INCONCLUSIVE and not judge.confirms and CONFIRMED not in judge.facts:
        return NOT_SHOWN    # only a refutation could be tested, and it did not come
    if sure is not None:
        sure.decider = judge.decider(v) or FACT
    return v


def combine(results):
    """One verdict from per-workload ones: NOT SHOWN ones left out when any
    other was judged; then any REFUTED -> REFUTED, all CONFIRMED ->
    CONFIRMED, else INCONCLUSIVE; nothing judged -> NOT SHOWN."""
    judged = [v for v in results if v != NOT_SHOWN]
    if not judged:
        return NOT_SHOWN
    if REFUTED in judged:
        return REFUTED
    if all(v == CONFIRMED for v in judged):
        return CONFIRMED
    return INCONCLUSIVE


def result(verdict, evidence, sure=(), say=""):
    """A rule's answer: the verdict, the evidence (every number with its
    interval), how sure (the deciding intervals against their thresholds),
    one plain sentence a reader can quote, and the figure that decided it
    (sure.Sure.figure(): None for NOT SHOWN, or a rule with none)."""
    figure = sure.figure() if hasattr(sure, "figure") and verdict != NOT_SHOWN else None
    sure = sure.lines() if hasattr(sure, "lines") else sure
    return {"verdict": verdict, "evidence": evidence,
            "sure": "; ".join(x for x in sure if x) or DASH, "say": say or DASH,
            "figure": figure}


def declared_claims(meta, wl):
    """The claims a workload declares (a set), or None when meta.json does
    not record them (a run before pairs declared claims).  A variant series
    (file_read-cold) without its own has its pair's."""
    w = meta_get(meta, "workloads", wl, default={})
    if "claims" not in w and w.get("variant_of"):
        w = meta_get(meta, "workloads", w["variant_of"], default=w)
    if "claims" not in w:
        return None
    c = w["claims"]
    items = c if isinstance(c, list) else str(c or "").split(",")
    return {x.strip() for x in items if x and x.strip() and x.strip() != "none"}


def voters(rows, meta, key, legacy=None):
    """(workloads, legacy?): the run's workloads that declare claim key.  A
    run whose meta.json records no claims at all (older) gets legacy(rows,
    meta) instead (the kind-based pick of that time), and legacy? True."""
    wls = workloads(rows)
    decl = {w: declared_claims(meta, w) for w in wls}
    if wls and all(d is None for d in decl.values()):
        return (legacy(rows, meta) if legacy else wls), True
    return [w for w in wls if decl[w] and key in decl[w]], False


def no_voter(key):
    """The NOT SHOWN evidence of a claim no pair of the run declares."""
    return ("no pair of this run declares the claim '%s' (a pair's .claims in "
            "workloads/NAME.c, recorded in meta.json)" % key)


def sentence(meta, lead, items, of=""):
    """The quotable sentence, "" without items: 'On this 2-core machine,
    LEAD FIG OF WHERE, FIG WHERE.' where an item is (FIG, WHERE), or a
    clause of its own (a str), e.g. lead "async's throughput was", of
    "threads'", items [("1.26x (1.10-1.38x)", "on io_sleep at 256 in flight"),
    ...]."""
    out, first = [], True
    for it in items:
        if isinstance(it, tuple):
            out.append(" ".join(x for x in (it[0], of if first else "", it[1]) if x))
            first = False
        else:
            out.append(it)
    return "%s, %s%s." % (machine(meta), lead + " " if lead else "", ", ".join(out)) \
        if items else ""


def machine(meta):
    """'On this 2-core machine' (the start of a quotable sentence)."""
    c = cores_of(meta)
    return "On this %s machine" % ("%d-core" % c if c else "(core count unknown)")


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
    mine = rows_for(rows, workload=wl, model=model)
    if not mine:
        return None
    ok = [r["concurrency"] for r in mine if is_ok(r) and is_num(r.get("concurrency"))]
    top = max(ok) if ok else None
    failed = sorted((r for r in mine if not is_ok(r) and is_num(r.get("concurrency"))),
                    key=lambda r: r["concurrency"])
    tried = max(r["concurrency"] for r in mine if is_num(r.get("concurrency")))
    if failed:
        f = failed[0]
        why = "failed at c=%s: %s" % (f["concurrency"], f.get("reason") or "no reason given")
    else:
        wl_top = max(r["concurrency"] for r in rows_for(rows, workload=wl)
                     if is_num(r.get("concurrency")))
        why = "not limited up to c=%s" % tried
        if tried < wl_top:
            why += " (not run higher)"
    return top, why


def cores_used(row):
    """CPU seconds per wall second of one point, None when not recorded."""
    u, st, w = row.get("utime_s"), row.get("stime_s"), row.get("wall_s")
    if is_num(u) and is_num(w) and w > 0:
        return (u + (st if is_num(st) else 0)) / w
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
            "was not tested" % (wl, fmt_sig(max(used)), cores))


def rss_per_task(row):
    v = row.get("rss_per_task_kib")
    return v if is_num(v) else None


def mem_per_task(row):
    """Whole memory per in-flight task (user RSS + kernel) when the run
    measured kernel memory, else None."""
    v = row.get("mem_per_task_kib")
    return v if is_num(v) else None


def fmt_per_task(v, c):
    """A per-task figure in KiB, or "below noise" (see below_noise)."""
    if below_noise(v, c):
        return "below noise (< %s KiB)" % fmt_sig(RSS_NOISE_KIB / (c - 1))
    return fmt_kib(v)


def rss_ratio(tk, ak, c):
    """(threads/async RSS per task, floored?) at concurrency c, or None when
    threads' extra RSS is itself within RSS_NOISE_KIB.  Async's figure is
    floored at RSS_NOISE_KIB / (c - 1): below that it is noise (even < 0)."""
    if tk is None or ak is None or c <= 1 or tk * (c - 1) < RSS_NOISE_KIB:
        return None
    floor = RSS_NOISE_KIB / (c - 1)
    return tk / max(ak, floor), ak < floor


def median_p99_ratio(t, a, cores):
    """(median async/threads p99 over cores < c <= LATENCY_MAX_C, {c: ratio})."""
    by_c = {c: a[c]["p99_us"] / t[c]["p99_us"] for c in common(t, a)
            if (cores is None or c > cores) and c <= LATENCY_MAX_C
            and is_num(a[c].get("p99_us")) and is_num(t[c].get("p99_us")) and t[c]["p99_us"] > 0}
    return (statistics.median(by_c.values()) if by_c else None), by_c


def missing_roles(rows, *roles):
    """The roles (model names) that have no row in this run: a claim that
    compares them is NOT SHOWN, saying which is missing."""
    return [m for m in roles if not rows_for(rows, model=m)]


def tp(row):
    """A point's throughput with its interval: '233k/s (229–238k/s)'."""
    return sure_text(sure_point(row, "throughput"), fmt_tp)


def p99(row):
    """A point's p99 with its interval: '1.24 ms (1.10–1.38 ms)'."""
    return sure_text(sure_point(row, "p99_us"), fmt_us)


def run_rule(key, rule, claim, needs, *args):
    """{key, claim, verdict, sure, say, evidence, figure} of one rule: NOT
    SHOWN naming the missing model when a role it needs is not in the run,
    or when the rule fails on a malformed input (never a lost report);
    INCONCLUSIVE in place of CONFIRMED or REFUTED on a run not fit to
    decide (quality.gate; args: rows, meta, ...)."""
    rows = args[0]
    absent = missing_roles(rows, *needs)
    try:
        if absent:
            out = result(NOT_SHOWN, "no %s model in this run (harness/models.def)" % (
                " or ".join(absent)))
        else:
            out = rule(*args)
    except (ZeroDivisionError, KeyError, TypeError, ValueError, IndexError) as e:
        out = result(NOT_SHOWN, "could not evaluate (%s: %s)" % (type(e).__name__, e))
    # A run the machine's load made unfit decides nothing (quality.py).
    return dict(quality.gate(out, args[1] if len(args) > 1 else {}), key=key, claim=claim)
