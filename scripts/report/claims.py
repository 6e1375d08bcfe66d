"""claims.py - each claim of the design, judged on one run: CONFIRMED, REFUTED or NOT SHOWN.

One rule per claim (v_parallel, v_io, ...; thresholds and helpers in rules.py),
each returning (verdict, evidence): the evidence quotes the numbers that decide
it and names the points used that the sweep flagged noisy or backend-bound.

    verdicts(rows, meta, rate_rows) -> [{"claim", "verdict", "evidence"}]
"""

from . import rate
from .data import RSS_NOISE_KIB, is_ok, mem_source_text, rows_for, workloads
from .fmt import DASH, fmt_sig, fmt_tp, fmt_us, fmt_x, is_num, meta_get
from .rules import (ASYNC, ASYNC_FLAT_S, ASYNC_MT, CLAIMS, CONFIRMED, HYBRID, INFLATION_C,
                    IO_LOSE, IO_WIN, LATENCY_MAX_C, LAT_TIE, MEM_RATIO, MEM_REFUTE_RATIO,
                    MIX_MIN_C, MIX_REFUTE_FRAC, MIX_THR_FRAC, MT_FRAC, MT_VS_THREADS,
                    NOT_SHOWN, OPEN_MARGIN, PAR_REFUTE_RATIO, PAR_THREADS_FRAC, REFUTED,
                    STALL_RATIO, THREADS, Used, combine, common, compute_and_wait_workloads,
                    cores_denied, cores_of, cores_used, cpu_workloads, crossover, fmt_per_task,
                    info, io_only_workloads, median_p99_ratio, mem_per_task, missing_roles, ok_points,
                    rss_per_task, rss_ratio, speedup)

# The roles each claim compares: without one of them in the run it is NOT SHOWN.
NEEDS = {"parallel": (THREADS, ASYNC), "io": (THREADS, ASYNC), "latency": (THREADS, ASYNC),
         "length": (THREADS, ASYNC), "stall": (ASYNC,), "memory": (THREADS, ASYNC),
         "mix": (THREADS, ASYNC, HYBRID), "mt": (ASYNC_MT,), "open": ()}


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
        low = [c for c in common(t, a) if c <= cores and is_num(t[c].get("p99_us"))
               and is_num(a[c].get("p99_us"))]
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
                             wl, c, fmt_sig(got), c, fmt_us(tp), fmt_us(ap)))
            verdicts.append(v)
            continue
        verdicts.append(v)
        text = "%s at c=%s (%s cores): p99 threads **%s** vs async **%s**" % (
            wl, c, cores, fmt_us(tp), fmt_us(ap))
        # Above the core count threads time-slice: say how that looks.
        high = [k for k in common(t, a) if k > cores and is_num(t[k].get("p99_us"))
                and is_num(a[k].get("p99_us")) and a[k]["p99_us"] > 0]
        if high:
            used.add(*[t[k] for k in high], *[a[k] for k in high])
            worst = max(high, key=lambda k: t[k]["p99_us"] / a[k]["p99_us"])
            wr = t[worst]["p99_us"] / a[worst]["p99_us"]
            series = ", ".join("c=%s %s" % (k, fmt_sig(t[k]["p99_us"] / a[k]["p99_us"]))
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


def v_length(rows, meta):
    cores = cores_of(meta)
    wls = [w for w in workloads(rows) if info(rows, meta, w)["work"] > 0]
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
            ", ".join("c=%s %s" % (c, fmt_sig(r)) for c, r in sorted(by_c.items())))
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
        series = ", ".join("c=%s %s" % (k, fmt_sig(a[k]["p99_us"] / t[k]["p99_us"]))
                           for k in common(a, t) if 1 < k <= LATENCY_MAX_C)
        parts.append("%s (work=%s, delay=%s us) at c=%s: async p99 **%s** vs %s **%s** = "
                     "**%s** (needs >= %s), with throughput %s vs %s; async/threads p99 by c: %s"
                     % (wl, info(rows, meta, wl)["work"], info(rows, meta, wl)["delay_us"], c,
                        fmt_us(a[c]["p99_us"]), best_m, fmt_us(best["p99_us"]), fmt_x(ratio),
                        fmt_x(STALL_RATIO), fmt_tp(a[c]["throughput"]),
                        fmt_tp(best["throughput"]), series or DASH))
    if not wls:
        parts.append("no workload both computes and waits (work > 0 and delay_us > 0)")
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
    return combine(verdicts), "; ".join(parts) + used.note()


def v_memory(rows, meta):
    wls = [w for w in workloads(rows)
           if ok_points(rows, w, ASYNC) and rows_for(rows, workload=w, model=THREADS)]
    if not wls:
        return NOT_SHOWN, "no workload with both threads and async points"
    confirmed, refuted, parts, used = False, 0, [], Used()
    for wl in wls:
        t, a = ok_points(rows, wl, THREADS), ok_points(rows, wl, ASYNC)
        fails = [r for r in rows_for(rows, workload=wl, model=THREADS)
                 if not is_ok(r) and r.get("concurrency") in a]
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
        ratio, floored = rr
        text += ", ratio %s%s; peak RSS %s MiB vs %s MiB" % (
            ">= " if floored else "", fmt_x(ratio),
            fmt_sig(t[c]["maxrss_kib"] / 1024.0) if is_num(t[c].get("maxrss_kib")) else DASH,
            fmt_sig(a[c]["maxrss_kib"] / 1024.0) if is_num(a[c].get("maxrss_kib")) else DASH)
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
    if not rows_for(rows, model=HYBRID):
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
            p99_ok = (is_num(h[c].get("p99_us")) and is_num(a[c].get("p99_us"))
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
    if not rows_for(rows, model=ASYNC_MT):
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
    if not rate_rows:
        return NOT_SHOWN, "no open-loop sweep in this run (`make bench-rate`)"
    summ = rate.summarize(rate_rows)
    verdicts, parts = [], []
    for wl, per in summ.items():
        work = next((r.get("work") for r in rows if r.get("workload") == wl), None)
        if work is None:
            work = meta_get(meta, "workloads", wl, "work", default=None)
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
    """[{claim, verdict, evidence}] in the order of rules.CLAIMS (the design's claims);
    rate_rows: the open-loop sweep's rate.csv rows, if the run has one."""
    meta = meta or {}
    out = []
    for key, rule in RULES:
        absent = missing_roles(rows, *NEEDS[key])
        try:
            if absent:
                v, ev = NOT_SHOWN, "no %s model in this run (harness/models.def)" % (
                    " or ".join(absent))
            else:
                v, ev = rule(rows, meta, rate_rows) if key == "open" else rule(rows, meta)
        except (ZeroDivisionError, KeyError, TypeError, ValueError) as e:
            # A malformed CSV must not cost the whole report.
            v, ev = NOT_SHOWN, "could not evaluate (%s: %s)" % (type(e).__name__, e)
        out.append({"claim": CLAIMS[key], "verdict": v, "evidence": ev})
    return out
