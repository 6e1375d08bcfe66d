"""claims.py - each claim of the design, judged on one run: CONFIRMED, REFUTED, INCONCLUSIVE, NOT SHOWN.

One rule per claim (v_parallel, v_io, ...; thresholds and helpers in rules.py),
each returning rules.result(): the verdict, the evidence (every number with its
95% interval, sure.py), how sure (the deciding intervals against their
thresholds) and one sentence a reader can quote.  The evidence names the
points used that the sweep flagged noisy or backend-bound.  Each rule takes
only the pairs that declare its claim (rules.voters).

    verdicts(rows, meta, rate_rows) -> [{"key", "claim", "verdict", "sure", "say", "evidence"}]
"""

import math
import statistics

from . import cautions, rate, sure as S
from .data import rows_for, workloads
from .fmt import fmt_sig, fmt_tp, fmt_us, fmt_x, is_num, meta_get
from .judge import Judge
from .rules import (ASYNC, ASYNC_FLAT_S, ASYNC_MT, CLAIMS, HYBRID, IO_LOSE, IO_WIN,
                    LATENCY_MAX_C, LAT_TIE, MT_FRAC, MT_VS_THREADS, NOT_SHOWN, OPEN_MARGIN,
                    PAR_REFUTE_RATIO, PAR_THREADS_FRAC, SCALE_KEEP, THREADS, Used, combine, common,
                    cores_denied, cores_of, cores_used, cpu_workloads, crossover,
                    declared_claims, info, io_only_workloads, judged, no_voter, ok_points, p99,
                    result, run_rule, sentence, speedup, tp, voters)
from .sure import CONFIRMED, INCONCLUSIVE, REFUTED

# The roles each claim compares: without one of them in the run it is NOT SHOWN.
NEEDS = {"parallel": (THREADS, ASYNC), "io": (THREADS, ASYNC), "latency": (THREADS, ASYNC),
         "length": (THREADS, ASYNC), "stall": (ASYNC,), "memory": (THREADS, ASYNC),
         "mix": (THREADS, ASYNC, HYBRID), "mt": (ASYNC_MT,), "open": ()}


def cpu_claim_inputs(rows, meta, key):
    """(cores, the CPU workloads that vote on key, None), or (.., .., why the
    claim cannot be decided on this run)."""
    cores = cores_of(meta)
    wls, _ = voters(rows, meta, key, cpu_workloads)
    if not wls:
        return cores, wls, no_voter(key)
    if cores is None:
        return cores, wls, "core count unknown (meta.json host.cores)"
    return cores, wls, None


def v_parallel(rows, meta):
    cores, wls, why = cpu_claim_inputs(rows, meta, "parallel")
    if why:
        return result(NOT_SHOWN, why)
    if cores == 1:
        return result(NOT_SHOWN, "1 core: nothing can run in parallel on this machine")
    judge, parts, sure, says, used = Judge(), [], S.Sure(), [], Used()
    for wl in wls:
        tpts, apts = ok_points(rows, wl, THREADS), ok_points(rows, wl, ASYNC)
        t, a = speedup(tpts), speedup(apts)
        if t[0] is None or a[0] is None:
            parts.append("%s: no ok c=1 point for %s" % (
                wl, " and ".join(m for m, s in ((THREADS, t), (ASYNC, a)) if s[0] is None)))
            continue
        used.add(t[1], t[2], a[1], a[2])
        st, sa = S.ratio(t[1], t[2], "throughput"), S.ratio(a[1], a[2], "throughput")
        rel = S.product([(t[1], "throughput", 1), (t[2], "throughput", -1),
                         (a[1], "throughput", -1), (a[2], "throughput", 1)])
        denied = cores_denied(rows, meta, wl, cores)
        if denied:
            parts.append(denied + " (threads %s, async %s)" % (fmt_x(st.value), fmt_x(sa.value)))
            continue
        if max(tpts) >= cores:
            judge.confirm(st, PAR_THREADS_FRAC * cores)
            judge.confirm(sa, hi=ASYNC_FLAT_S)
            judge.refute(rel, under=PAR_REFUTE_RATIO)
        sure.add("threads' speed-up", wl, st, fmt_x, PAR_THREADS_FRAC * cores)
        sure.add("async's speed-up", wl, sa, fmt_x, ASYNC_FLAT_S, higher=False)
        sure.add("threads' speed-up over async's", wl, rel, fmt_x, PAR_REFUTE_RATIO)
        says.append("%s %s faster at c=%s than at c=1 (one event loop: %s)" % (
            wl, S.text(st, fmt_x), t[1]["concurrency"], S.text(sa, fmt_x)))
        parts.append("%s: speed-up over c=1 threads **%s** (%s at c=%s vs %s), async **%s** "
                     "(%s at c=%s vs %s); needs threads >= %s and async <= %s" % (
                         wl, S.text(st, fmt_x), tp(t[1]), t[1]["concurrency"], tp(t[2]),
                         S.text(sa, fmt_x), tp(a[1]), a[1]["concurrency"], tp(a[2]),
                         fmt_x(PAR_THREADS_FRAC * cores), fmt_x(ASYNC_FLAT_S)))
    return result(judged(judge, sure), "on %d cores: %s%s" % (cores, "; ".join(parts),
                                                              used.note()),
                  sure, sentence(meta, "threads ran", says))


def scaling(pts):
    """Where a model stops scaling, from its points {c: row}: (the highest
    level up to which it kept >= SCALE_KEEP of linear scaling from c=1,
    the first level that did not or None, {c: share of linear}); None
    without a c=1 point or a level above it."""
    if 1 not in pts or not pts[1]["throughput"]:
        return None
    share = {c: pts[c]["throughput"] / (c * pts[1]["throughput"]) for c in sorted(pts) if c > 1}
    if not share:
        return None
    kept, stop = 1, None
    for c, x in share.items():
        if x < SCALE_KEEP:
            stop = c
            break
        kept = c
    return kept, stop, share


def scaling_text(wl, got):
    """'io_sleep, share of linear scaling from c=1: threads 97% at 64, 60% at
    256 (under 80% from c=256: they stop scaling between 64 and 256); async
    99% at 64, 98% at 256': got {model: scaling()}, threads first."""
    parts = []
    for m, g in got.items():
        if not g:
            continue
        kept, stop, share = g
        # Shares are cut, not rounded: 79.6% under an 80% rule reads "79%".
        text = "%s %s" % (m, ", ".join("%d%% at %s" % (math.floor(100 * x), c)
                                       for c, x in share.items()))
        if m == THREADS:
            text += (" (kept >= %d%% to c=%s)" % (round(100 * SCALE_KEEP), kept) if stop is None
                     else " (under %d%% from c=%s: they stop scaling %s)" % (
                         round(100 * SCALE_KEEP), stop,
                         "between c=%s and c=%s" % (kept, stop) if kept > 1 else
                         "before c=%s, the run's first level above 1" % stop))
        parts.append(text)
    return "%s, share of linear scaling from c=1: %s" % (wl, "; ".join(parts))


def v_io(rows, meta):
    wls, _ = voters(rows, meta, "io", io_only_workloads)
    if not wls:
        return result(NOT_SHOWN, no_voter("io"))
    judge, parts, sure, says, used = Judge(), [], S.Sure(), [], Used()
    scales = []
    for wl in wls:
        t, a = ok_points(rows, wl, THREADS), ok_points(rows, wl, ASYNC)
        # Linear scaling is the yardstick of a task that mostly waits (a
        # delay): one without (a database GET) is CPU-bound from c=1.
        got = {THREADS: scaling(t), ASYNC: scaling(a)}
        if info(rows, meta, wl)["delay_us"] > 0 and got[THREADS]:
            scales.append(scaling_text(wl, got))
        levels = common(t, a)
        if not levels:
            parts.append("%s: no concurrency where both threads and async ran" % wl)
            continue
        c = levels[-1]
        used.add(t[c], a[c])
        r = S.ratio(a[c], t[c], "throughput")
        judge.confirm(r, IO_WIN)
        judge.refute(r, under=IO_LOSE)
        x = crossover(t, a)
        sure.add("async/threads throughput", "%s c=%s" % (wl, c), r, fmt_x,
                                                       IO_WIN, IO_LOSE)
        says.append((S.text(r, fmt_x), "on %s at %s in flight" % (wl, c)))
        parts.append("%s: async/threads throughput **%s** at c=%s (%s vs %s), "
                     "async ahead from c=%s" % (wl, S.text(r, fmt_x), c, tp(a[c]), tp(t[c]),
                                                x if x is not None else "none (never)"))
    out = result(judged(judge, sure), "%s; needs >= %s on every one%s%s" % (
        "; ".join(parts), fmt_x(IO_WIN), used.note(),
        "; where threads stop scaling: " + "; ".join(scales) if scales else ""), sure,
        sentence(meta, "async's throughput was", says, "threads'"))
    out["scaling"] = scales     # the report's first screen says it beside the verdict
    return out


def v_latency(rows, meta):
    cores, wls, why = cpu_claim_inputs(rows, meta, "latency")
    if why:
        return result(NOT_SHOWN, why)
    judge, parts, sure, says, used = Judge(), [], S.Sure(), [], Used()
    for wl in wls:
        t, a = ok_points(rows, wl, THREADS), ok_points(rows, wl, ASYNC)
        low = [c for c in common(t, a) if c <= cores and is_num(t[c].get("p99_us"))
               and is_num(a[c].get("p99_us"))]
        if not low:
            parts.append("%s: no common point at c <= cores" % wl)
            continue
        c = low[-1]
        used.add(t[c], a[c])
        r = S.ratio(t[c], a[c], "p99_us")
        v = S.decide(r, 1.0, LAT_TIE, higher=False)
        got = cores_used(t[c])
        if v == REFUTED and c > 1 and got is not None and got < PAR_THREADS_FRAC * c:
            # c threads on fewer than c cores time-slice: not the claim's setting.
            parts.append("%s at c=%s: threads got %s cores of CPU time, not %s (busy "
                         "machine): p99 threads %s vs async %s not comparable" % (
                             wl, c, fmt_sig(got), c, p99(t[c]), p99(a[c])))
            continue
        judge.confirm(r, hi=1.0)
        judge.refute(r, over=LAT_TIE)
        sure.add("threads/async p99", "%s c=%s" % (wl, c), r, fmt_x, 1.0,
                                                       LAT_TIE, higher=False)
        says.append((S.text(r, fmt_x), "on %s at %s in flight" % (wl, c)))
        text = "%s at c=%s (%s cores): p99 threads **%s** vs async **%s**, ratio %s" % (
            wl, c, cores, p99(t[c]), p99(a[c]), S.text(r, fmt_x))
        # Above the core count threads time-slice: say how that looks.
        high = [k for k in common(t, a) if k > cores and is_num(t[k].get("p99_us"))
                and is_num(a[k].get("p99_us")) and a[k]["p99_us"] > 0]
        if high:
            used.add(*[t[k] for k in high], *[a[k] for k in high])
            worst = max(high, key=lambda k: t[k]["p99_us"] / a[k]["p99_us"])
            wr = S.ratio(t[worst], a[worst], "p99_us")
            series = ", ".join("c=%s %s" % (k, fmt_sig(t[k]["p99_us"] / a[k]["p99_us"]))
                               for k in high)
            if wr.value > LAT_TIE:
                text += ("; %sabove the core count threads time-slice: their p99 is up to "
                         "**%s** async's (c=%s: %s vs %s); threads/async p99 by c: %s" % (
                             "holds at c <= cores only: " if v == CONFIRMED else "",
                             S.text(wr, fmt_x), worst, fmt_us(t[worst]["p99_us"]),
                             fmt_us(a[worst]["p99_us"]), series))
            else:
                text += "; threads' p99 stays within %s of async's up to c=%s (%s)" % (
                    fmt_x(LAT_TIE), high[-1], series)
        parts.append(text)
    return result(judged(judge, sure), "; ".join(parts) + used.note(), sure,
                  sentence(meta, "threads' p99 was", says, "async's"))


def p99_median_fig(t, a, by_c):
    """The median over the levels by_c of async/threads p99, with its
    bootstrap interval over runs (sure.many)."""
    levels = sorted(by_c)
    pts = [p for c in levels for p in (t[c], a[c])]

    def stat(recs):
        return statistics.median(recs[2 * i + 1]["p99_us"] / recs[2 * i]["p99_us"]
                                 for i in range(len(levels)))
    return S.many(pts, ["p99_us"], stat), pts


def v_length(rows, meta):
    cores = cores_of(meta)
    wls, _ = voters(rows, meta, "length",
                    lambda r, m: [w for w in workloads(r) if info(r, m, w)["work"] > 0])
    wls = [w for w in wls if info(rows, meta, w)["work"] > 0]
    works = sorted({info(rows, meta, w)["work"] for w in wls})
    if len(works) < 2:
        return result(NOT_SHOWN, "needs two workloads with different CPU parts (work > 0) that "
                      "declare the claim; this run has %d" % len(works))
    used = Used()
    found = {}
    for label, work in (("short", works[0]), ("long", works[-1])):
        for wl in (w for w in wls if info(rows, meta, w)["work"] == work):
            t, a = ok_points(rows, wl, THREADS), ok_points(rows, wl, ASYNC)
            by_c = {c: a[c]["p99_us"] / t[c]["p99_us"] for c in common(t, a)
                    if (cores is None or c > cores) and c <= LATENCY_MAX_C
                    and is_num(a[c].get("p99_us")) and is_num(t[c].get("p99_us"))
                    and t[c]["p99_us"] > 0}
            if by_c:
                fig, pts = p99_median_fig(t, a, by_c)
                used.add(*pts)
                found[label] = (wl, work, fig, by_c, pts)
                break
    if len(found) < 2:
        return result(NOT_SHOWN, "no common threads/async points above the core count on %s" % (
            " or ".join(w for w in wls)))
    ns = len(found["short"][3])

    def joint(recs):   # long median / short median
        med = statistics.median
        short = med([recs[2 * i + 1]["p99_us"] / recs[2 * i]["p99_us"] for i in range(ns)])
        rest = recs[2 * ns:]
        long_ = med([rest[2 * i + 1]["p99_us"] / rest[2 * i]["p99_us"]
                     for i in range(len(rest) // 2)])
        return long_ / short
    rel = S.many(found["short"][4] + found["long"][4], ["p99_us"], joint)

    def say(label):
        wl, work, fig, by_c, _ = found[label]
        return "%s tasks (%s, work=%s): async/threads p99 median **%s** (%s)" % (
            label, wl, work, S.text(fig, fmt_x),
            ", ".join("c=%s %s" % (c, fmt_sig(r)) for c, r in sorted(by_c.items())))
    fs, fl = found["short"][2], found["long"][2]
    judge = Judge()
    judge.confirm(fs, hi=1.0)
    judge.confirm(fl, 1.0)
    judge.refute(rel, under=1.0)
    sure = S.Sure()
    v = judged(judge, sure)
    sure.add("async/threads p99, median over levels", "short (%s)" % found["short"][0], fs,
             fmt_x, 1.0, higher=False)
    sure.add("async/threads p99, median over levels", "long (%s)" % found["long"][0], fl,
             fmt_x, 1.0)
    sure.add("the long median over the short", "", rel, fmt_x, 1.0)
    return result(v, "%s; %s; below 1 async's p99 is lower%s" % (
        say("short"), say("long"), used.note()), sure,
        sentence(meta, "async's p99 was", [
            (S.text(fs, fmt_x), "on short tasks (%s)" % found["short"][0]),
            (S.text(fl, fmt_x), "on long ones (%s)" % found["long"][0])], "threads'"))


def v_mt(rows, meta):
    cores, wls, why = cpu_claim_inputs(rows, meta, "mt")
    if why:
        return result(NOT_SHOWN, why)
    if cores == 1:
        return result(NOT_SHOWN, "1 core: no gap to close")
    if not rows_for(rows, model=ASYNC_MT):
        return result(NOT_SHOWN, "no %s model in this run" % ASYNC_MT)
    judge, parts, sure, says, used = Judge(), [], S.Sure(), [], Used()
    for wl in wls:
        m = speedup(ok_points(rows, wl, ASYNC_MT))
        t = speedup(ok_points(rows, wl, THREADS))
        a = speedup(ok_points(rows, wl, ASYNC))
        if m[0] is None:
            parts.append("%s: no ok c=1 point for %s" % (wl, ASYNC_MT))
            continue
        used.add(m[1], m[2])
        sm = S.ratio(m[1], m[2], "throughput")
        denied = cores_denied(rows, meta, wl, cores)
        if denied:
            parts.append(denied + " (async-mt %s)" % fmt_x(sm.value))
            continue
        text = "%s: async-mt speed-up **%s** (%s at c=%s vs %s)" % (
            wl, S.text(sm, fmt_x), tp(m[1]), m[1]["concurrency"], tp(m[2]))
        sure.add("async-mt's speed-up", wl, sm, fmt_x, MT_FRAC * cores)
        vs_t = None
        if t[1]:
            used.add(t[1])
            vs_t = S.ratio(m[1], t[1], "throughput")
            text += ", best throughput %s of threads' (%s)" % (S.text(vs_t, fmt_x), tp(t[1]))
            sure.add("async-mt/threads best throughput", wl, vs_t, fmt_x, MT_VS_THREADS)
        if a[0] is not None:
            flat = S.product([(m[1], "throughput", 1), (m[2], "throughput", -1),
                              (a[1], "throughput", -1), (a[2], "throughput", 1)])
            flat_at, what = PAR_REFUTE_RATIO, "async-mt's speed-up over async's"
        else:
            flat, flat_at, what = sm, ASYNC_FLAT_S, "async-mt's speed-up"
        judge.confirm(sm, MT_FRAC * cores)
        if vs_t is not None:
            judge.confirm(vs_t, MT_VS_THREADS)
        judge.refute(flat, under=flat_at)
        sure.add(what, wl, flat, fmt_x, flat_at)
        says.append("%s %s faster at c=%s than at c=1%s" % (
            wl, S.text(sm, fmt_x), m[1]["concurrency"],
            "" if vs_t is None else ", %s of threads' best" % S.text(vs_t, fmt_x)))
        parts.append(text)
    return result(judged(judge, sure), "on %d cores: %s; needs >= %s and >= %s of threads%s" % (
        cores, "; ".join(parts), fmt_x(MT_FRAC * cores), fmt_x(MT_VS_THREADS), used.note()),
        sure, sentence(meta, "one loop per core ran", says))


def v_open(rows, meta, rate_rows):
    if not rate_rows:
        why = meta_get(meta, "rate", "reason") if meta_get(meta, "rate", "status") == \
            "skipped" else None
        return result(NOT_SHOWN, "no open-loop sweep in this run (%s)" % (
            "skipped: %s" % why if why else "`make bench-rate`"))
    summ = rate.summarize(rate_rows)
    verdicts, parts, sure, says = [], [], S.Sure(), []
    for wl, per in summ.items():
        decl = declared_claims(meta, wl)
        work = next((r.get("work") for r in rows if r.get("workload") == wl), None)
        if work is None:
            work = meta_get(meta, "workloads", wl, "work", default=None)
        if decl is not None and "open" not in decl:
            parts.append("%s: does not declare the claim, not judged" % wl)
            continue
        if decl is None and not work:
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
        first_m, first_other = min(others.items(), key=lambda kv: kv[1])
        order = rate.breaks_first(per)
        text = "%s: tails break in the order %s" % (wl, ", ".join(
            "%s at %s" % (m, fmt_tp(x) if x != float("inf") else "never")
            for m, x in order))
        co = a.get("co")
        if co and co.get("closed_p99"):
            text += "; %s at %d%% load: open-loop p99 %s vs closed-loop p99 %s at the same " \
                    "throughput (%s)" % (ASYNC, rate.CO_LOAD, fmt_us(co["open_p99"]),
                                         fmt_us(co["closed_p99"]),
                                         fmt_x(co["open_p99"] / co["closed_p99"]))
        if mine != float("inf") and mine <= OPEN_MARGIN * first_other:
            v = CONFIRMED
        elif mine >= first_other:
            v = REFUTED
        else:
            v = INCONCLUSIVE
        verdicts.append(v)
        sure.note("%s: async broke at %s, the first other (%s) at %s: no interval, the "
                    "offered-load grid is the resolution; CONFIRMED at <= %s x, REFUTED at "
                    ">= 1x" % (wl, fmt_tp(mine) if mine != float("inf") else "never", first_m,
                               fmt_tp(first_other) if first_other != float("inf") else "never",
                               "%g" % OPEN_MARGIN))
        says.append("at %s offered on %s, the first other model's (%s) at %s" % (
                        fmt_tp(mine) if mine != float("inf") else "no load tried", wl, first_m,
                        fmt_tp(first_other) if first_other != float("inf") else "no load tried"))
        parts.append(text)
    if not verdicts:
        return result(NOT_SHOWN, "; ".join(parts) or "no open-loop workload")
    return result(combine(verdicts), "; ".join(parts) + "; needs %s to break at <= %s x the "
                  "others' lowest break load" % (ASYNC, "%g" % OPEN_MARGIN), sure,
                  sentence(meta, "one event loop's tail broke", says))


RULES = (("parallel", v_parallel), ("io", v_io), ("latency", v_latency),
         ("length", v_length), ("stall", cautions.v_stall), ("memory", cautions.v_memory),
         ("mix", cautions.v_mix), ("mt", v_mt), ("open", v_open))


def verdicts(rows, meta, rate_rows=None):
    """[{key, claim, verdict, sure, say, evidence}] in the order of
    rules.CLAIMS (the design's claims); rate_rows: the open-loop sweep's
    rate.csv rows, if the run has one."""
    meta = meta or {}
    return [run_rule(key, rule, CLAIMS[key], NEEDS[key], rows, meta,
                     *((rate_rows,) if key == "open" else ()))
            for key, rule in RULES]
