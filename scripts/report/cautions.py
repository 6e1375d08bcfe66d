"""cautions.py - the design's three warnings, judged on one run (the rules of claims.py's kind).

"A CPU-heavy task on an event loop stalls every other task on it" (v_stall),
"one thread per client runs out of memory or thread allocations" (v_memory),
"the best designs mix the two" (v_mix): each returns rules.result(), every
number with its 95% interval (sure.py), taking only the pairs that declare
the claim (rules.voters).  per_task_fig() is the memory-per-task ratio the
contested memory claims share.
"""

from . import sure as S
from .data import RSS_NOISE_KIB, is_ok, mem_source_text, rows_for
from .fmt import DASH, fmt_sig, fmt_us, fmt_x, is_num
from .judge import Judge
from .rules import (ASYNC, HYBRID, INFLATION_C, LATENCY_MAX_C, MEM_RATIO, MEM_REFUTE_RATIO,
                    MIX_MIN_C, MIX_REFUTE_FRAC, MIX_THR_FRAC, NOT_SHOWN, STALL_RATIO, THREADS,
                    Used, common, compute_and_wait_workloads, cpu_workloads, fmt_per_task,
                    info, judged, mem_per_task, no_voter, ok_points, p99, result,
                    rss_per_task, rss_ratio, sentence, tp, voters)
from .sure import CONFIRMED

POOL = "pool"   # the fixed pool of OS threads (harness/models.def), set beside threads


def v_stall(rows, meta):
    wls, _ = voters(rows, meta, "stall", compute_and_wait_workloads)
    used = Used()
    judge, parts, sure, says = Judge(), [], S.Sure(), []
    for wl in wls:
        t, a, h = (ok_points(rows, wl, m) for m in (THREADS, ASYNC, HYBRID))
        others = [(m, p) for m, p in ((THREADS, t), (HYBRID, h)) if p]
        if not a or not others:
            parts.append("%s: async%s missing" % (wl, "" if a else " or threads/hybrid"))
            continue
        levels = [c for c in common(a, *(p for _, p in others)) if 1 < c <= LATENCY_MAX_C]
        if not levels and h:   # hybrid not at the same levels: compare with threads only
            others = [(THREADS, t)] if t else []
            levels = [c for c in common(a, t) if 1 < c <= LATENCY_MAX_C] if t else []
        if not levels:
            parts.append("%s: no common point with 1 < c <= %d" % (wl, LATENCY_MAX_C))
            continue
        c = levels[-1]
        best_m, best = min(((m, p[c]) for m, p in others), key=lambda mp: mp[1]["p99_us"])
        used.add(a[c], *[p[c] for _, p in others])
        r = S.ratio(a[c], best, "p99_us")
        judge.confirm(r, STALL_RATIO)
        judge.refute(r, under=1.0)
        sure.add("async/%s p99" % best_m, "%s c=%s" % (wl, c), r, fmt_x,
                                                       STALL_RATIO, 1.0)
        says.append((S.text(r, fmt_x), "%s's on %s at %s in flight" % (best_m, wl, c)))
        series = ", ".join("c=%s %s" % (k, fmt_sig(a[k]["p99_us"] / t[k]["p99_us"]))
                           for k in common(a, t) if 1 < k <= LATENCY_MAX_C)
        parts.append("%s (work=%s, delay=%s us) at c=%s: async p99 **%s** vs %s **%s** = "
                     "**%s** (needs >= %s), with throughput %s vs %s; async/threads p99 by c: %s"
                     % (wl, info(rows, meta, wl)["work"], info(rows, meta, wl)["delay_us"], c,
                        p99(a[c]), best_m, p99(best), S.text(r, fmt_x),
                        fmt_x(STALL_RATIO), tp(a[c]), tp(best), series or DASH))
    if not wls:
        parts.append(no_voter("stall"))
    # For context: how p99 grows with concurrency on CPU-only work.
    infl = []
    for wl in cpu_workloads(rows, meta):
        for m in (ASYNC, THREADS):
            p = ok_points(rows, wl, m)
            hi = [c for c in p if 1 < c <= INFLATION_C and is_num(p[c].get("p99_us"))]
            if 1 in p and hi and is_num(p[1].get("p99_us")) and p[1]["p99_us"] > 0:
                c = max(hi)
                used.add(p[1], p[c])
                infl.append("%s %s %s from c=1 to c=%s (%s -> %s)" % (
                    wl, m, fmt_x(p[c]["p99_us"] / p[1]["p99_us"]), c,
                    fmt_us(p[1]["p99_us"]), fmt_us(p[c]["p99_us"])))
    if infl:
        parts.append("for comparison, p99 growth on CPU-only work: " + ", ".join(infl))
    return result(judged(judge, sure), "; ".join(parts) + used.note(), sure,
                  sentence(meta, "async's p99 was", says))


def per_task_fig(t, t1, a, a1, c, whole):
    """threads/async memory per in-flight task at c (async's floored at the
    noise, rules.rss_ratio) from the four points' peaks, with its bootstrap
    interval over runs; the figure is None when threads' own extra memory is
    within the noise."""
    keys = ["maxrss_kib", "kmem_kib"] if whole else ["maxrss_kib"]

    def stat(recs):
        tot = [sum(r[k] for k in keys) for r in recs]
        rr = rss_ratio((tot[0] - tot[1]) / (c - 1), (tot[2] - tot[3]) / (c - 1), c)
        return rr[0] if rr else None
    # A run without per-run figures has no min..max of its kernel peak: half
    # the run-to-run noise of a peak (data.RSS_NOISE_KIB) stands for it.
    return S.many([t, t1, a, a1], keys, stat, {k: RSS_NOISE_KIB / 2 for k in keys})


def v_memory(rows, meta):
    wls, _ = voters(rows, meta, "memory")
    wls = [w for w in wls if ok_points(rows, w, ASYNC) and rows_for(rows, workload=w, model=THREADS)]
    if not wls:
        return result(NOT_SHOWN, "no pair declaring the claim has both threads and async points")
    # One clear case shows the warning (judge.Judge any_confirms: one of k at
    # 1 - 0.05 / k); it is refuted only where every pair says no.
    judge, parts, sure, says, used = Judge(any_confirms=True), [], S.Sure(), [], Used()
    for wl in wls:
        t, a = ok_points(rows, wl, THREADS), ok_points(rows, wl, ASYNC)
        fails = [r for r in rows_for(rows, workload=wl, model=THREADS)
                 if not is_ok(r) and r.get("concurrency") in a]
        if fails:
            f = min(fails, key=lambda r: r["concurrency"])
            judge.fact(CONFIRMED)
            used.add(a[f["concurrency"]])
            sure.note("%s: threads failed at c=%s where async ran (a failure is a fact, "
                      "not a sample)" % (wl, f["concurrency"]))
            says.append("threads failed at %s in flight on %s (%s) where one event loop ran" % (
                f["concurrency"], wl, f.get("reason") or "no reason given"))
            parts.append("%s: threads **failed at c=%s** (%s) where async ran (%s)" % (
                wl, f["concurrency"], f.get("reason") or "no reason given",
                tp(a[f["concurrency"]])))
            continue
        levels = [c for c in common(t, a) if c > 1 and 1 in t and 1 in a
                  and rss_per_task(t[c]) is not None and rss_per_task(a[c]) is not None]
        if not levels:
            parts.append("%s: no memory per task at a common c > 1" % wl)
            continue
        c = levels[-1]
        used.add(t[c], a[c])
        whole = mem_per_task(t[c]) is not None and mem_per_task(a[c]) is not None
        if whole:
            tk, ak = mem_per_task(t[c]), mem_per_task(a[c])
            text = ("%s at c=%s: memory per task (user RSS + kernel, %s) threads **%s** "
                    "(kernel %s) vs async **%s** (kernel %s)" % (
                        wl, c, mem_source_text([t[c], a[c]]), fmt_per_task(tk, c),
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
        fig = per_task_fig(t[c], t[1], a[c], a[1], c, whole)
        floored = rr[1]
        judge.confirm(fig, MEM_RATIO)
        judge.refute(fig, under=MEM_REFUTE_RATIO)
        what = "threads/async memory per task" if whole else "threads/async RSS per task"
        sure.add(what, "%s c=%s" % (wl, c), fig, fmt_x, MEM_RATIO,
                                                       MEM_REFUTE_RATIO)
        says.append(("%s%s" % (">= " if floored else "", S.text(fig, fmt_x)),
                     "%son %s at %s in flight" % ("" if whole else "(user RSS only) ", wl, c)))
        text += ", ratio %s%s; peak RSS %s MiB vs %s MiB" % (
            ">= " if floored else "", S.text(fig, fmt_x),
            fmt_sig(t[c]["maxrss_kib"] / 1024.0) if is_num(t[c].get("maxrss_kib")) else DASH,
            fmt_sig(a[c]["maxrss_kib"] / 1024.0) if is_num(a[c].get("maxrss_kib")) else DASH)
        parts.append(text)
    for wl in wls:
        beside = pool_beside(rows, wl, ok_points(rows, wl, THREADS))
        if beside:
            parts.append(beside)
    return result(judged(judge, sure), "%s; needs a thread failure, or >= %s (async's extra memory counted as at "
                  "least %d KiB, the run-to-run noise)%s" % (
                      "; ".join(parts), fmt_x(MEM_RATIO), RSS_NOISE_KIB, used.note()), sure,
                  sentence(meta, "a thread held", says,
                           "the memory (kernel included) of an event-loop task"))


def pool_beside(rows, wl, t):
    """What a bounded pool of OS threads (POOL) did where one thread per
    client ran out or paid the most memory, for the memory warning's
    evidence (it does not move the verdict): at the highest level pool ran,
    its threads, memory per task and p50 beside threads' there (or threads'
    failure).  None when the run has no pool point on wl, or its memory per
    task is unknown there (below c = 64) and threads ran."""
    p = ok_points(rows, wl, POOL)
    if not p:
        return None
    c = max(p)
    r = p[c]
    size = " of %d threads" % r["pool"] if is_num(r.get("pool")) and r["pool"] else ""
    mem = mem_per_task(r) if mem_per_task(r) is not None else rss_per_task(r)
    if mem is None and c in t:
        return None
    text = ("%s: the pool%s at c=%s ran %s threads, memory per task %s, p50 %s" % (
        wl, size, c, r.get("threads", DASH), fmt_per_task(mem, c) if mem is not None else DASH,
        fmt_us(r["p50_us"])))
    if c in t:
        tm = mem_per_task(t[c]) if mem_per_task(t[c]) is not None else rss_per_task(t[c])
        text += " against threads' %s threads, %s, p50 %s" % (
            t[c].get("threads", DASH), fmt_per_task(tm, c) if tm is not None else DASH,
            fmt_us(t[c]["p50_us"]))
    else:
        fail = next((x for x in rows_for(rows, workload=wl, model=THREADS, concurrency=c)
                     if not is_ok(x)), None)
        text += " where threads %s" % (
            "failed (%s)" % (fail.get("reason") or "no reason given") if fail else "did not run")
    return text + ": bounded threads and memory, paid for in queueing above its size"


def v_mix(rows, meta):
    wls, _ = voters(rows, meta, "mix", compute_and_wait_workloads)
    if not wls:
        return result(NOT_SHOWN, no_voter("mix"))
    if not rows_for(rows, model=HYBRID):
        return result(NOT_SHOWN, "no %s model in this run" % HYBRID)
    judge, parts, sure, says, used = Judge(), [], S.Sure(), [], Used()
    for wl in wls:
        t, a, h = (ok_points(rows, wl, m) for m in (THREADS, ASYNC, HYBRID))
        if not (t and a and h):
            parts.append("%s: %s missing" % (wl, ", ".join(
                m for m, p in ((THREADS, t), (ASYNC, a), (HYBRID, h)) if not p)))
            continue
        levels = [c for c in common(t, a, h) if c >= MIX_MIN_C]
        if not levels:
            parts.append("%s: no common point at c >= %d" % (wl, MIX_MIN_C))
            continue
        cells, frac = [], None
        for c in levels:
            used.add(t[c], a[c], h[c])
            best = max((t[c], a[c]), key=lambda r: r["throughput"])
            frac = S.ratio(h[c], best, "throughput")
            p99r = S.ratio(h[c], a[c], "p99_us")
            judge.confirm(frac, MIX_THR_FRAC)
            judge.confirm(p99r, hi=1.0)
            cells.append("c=%s %s of the better throughput (%s), p99 %s vs async %s (%s)" % (
                c, S.text(frac, fmt_x), best["model"], p99(h[c]), p99(a[c]),
                S.text(p99r, fmt_x)))
            sure.add("hybrid/better throughput", "%s c=%s (%s)" % (wl, c, best["model"]), frac,
                     fmt_x, MIX_THR_FRAC, MIX_REFUTE_FRAC)
            sure.add("hybrid/async p99", "%s c=%s" % (wl, c), p99r, fmt_x, 1.0, higher=False)
        judge.refute(frac, under=MIX_REFUTE_FRAC)   # the highest such c
        says.append((S.text(frac, fmt_x), "on %s at %s in flight" % (wl, levels[-1])))
        parts.append("%s: hybrid %s" % (wl, "; ".join(cells)))
    return result(judged(judge, sure), "%s; needs >= %s and a lower p99 than async at every "
                  "c >= %d%s" % ("; ".join(parts), fmt_x(MIX_THR_FRAC), MIX_MIN_C, used.note()),
                  sure, sentence(meta, "the hybrid kept", says,
                                 "of the better model's throughput"))
