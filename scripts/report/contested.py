"""contested.py - the field's contested claims, and the green-thread runtimes' own, put to the test.

The literature disagrees with the simple advice in places.  Each claim here
is quoted with its source and decided on the same run as the design's claims
(claims.py): CONFIRMED, REFUTED or INCONCLUSIVE from the 95% intervals of the
figures it rests on (sure.py), or NOT SHOWN naming the model, pair or data
still missing.  A rule takes the pairs that declare its key (rules.voters):
io_sleep and io_backend speak to the green-thread claims, io_backend and
redis_get to Tyma's, file_read (warm and cold) to Flash/Tokio's, the pairs
of the one-CPU sweep to Ousterhout's; the context-switch claim rests on
bin/calibrate's switch figures (calibration.csv), not on a pair.

    verdicts(rows, meta, extra) -> [{key, claim, source, verdict, sure, say, evidence}]
    extra: {"cal": calibration figures or None, "onecpu": onecpu/results.csv rows or None}
"""

from . import sure as S
from .cautions import per_task_fig
from .data import RSS_NOISE_KIB, below_noise, cache_of, data_file_text, rows_for
from .fmt import DASH, fmt_si, fmt_sig, fmt_us, fmt_x, meta_get
from .judge import Judge
from .rules import (ASYNC, IO_WIN, NOT_SHOWN, THREADS, common, declared_claims,
                    io_only_workloads, judged, machine, mem_per_task, no_voter, ok_points, p99,
                    result, run_rule, sentence, tp, voters)
from .sure import CONFIRMED, INCONCLUSIVE

GREEN, URING = "green", "uring"     # roles: models of harness/models.def

# ---- thresholds (each claim's; why each has its value) -------------------------
TYMA_MAX_C = 1024       # "up to about a thousand connections"
TYMA_SIZE = (1.25, 1.35)  # "25-35%": the size Tyma states, threads/async throughput
SIZE_MARGIN = 1.10      # a stated size is tested with this equivalence margin either
                        # way (the seed's 10% tie band): Tyma's band is 1.14-1.49x,
                        # CONFIRMED when an interval lies inside it (two one-sided
                        # tests), REFUTED when one lies wholly outside; not against
                        # "any advantage" (1.0), which a tie refuted 22% of the time
TYMA_BAND = (TYMA_SIZE[0] / SIZE_MARGIN, TYMA_SIZE[1] * SIZE_MARGIN)
BEATS = 1.0             # "beats", "faster" (no size stated): the interval wholly on one
                        # side of a tie
MATCH = 0.90            # "match": green keeps >= 90% of the event loop's throughput
                        # (the seed's 10% tie band, IO_WIN's mirror)
GREEN_MEM = 2.0         # "at event-loop cost": green's memory per task within 2x async's
                        # (a coroutine's stack page against a slot: 10x or more when it
                        # is not; the socket buffers both hold make it about 1x)
MATKLAD_RATIO = 10.0    # "about 3x, not 100x": threads/green memory per task below an
                        # order of magnitude CONFIRMS, above it REFUTES
JEP_SCALE = IO_WIN      # scale: green/threads throughput at the top level >= 1.10
JEP_SPEED = 0.90        # not speed: green's p50 at c=1 not below 0.9x threads'
SWITCH_ADV = 2.0        # an "advantage" of the async switch: threads' >= 2x its cost
SWITCH_CONVERGE = 1.5   # "converge": the two within 1.5x of each other (REFUTED past
                        # SWITCH_ADV apart)
TOP_C = 10000           # the level the green-thread claims name

# The switch figures bin/calibrate writes (calibration.csv names).
SW_THREADS, SW_PINNED = "switch_threads_unpinned_ns", "switch_threads_pinned_ns"
SW_ASYNC, SW_ASYNC_IO = "switch_async_ns", "switch_async_io_ns"
SW_GREEN, SW_GREEN_IO = "switch_green_ns", "switch_green_io_ns"
ONECPU_CSV = "onecpu/results.csv"

# key: (the claim as its source puts it, the source)
CONTESTED = {
    "tyma": ("Blocking thread-per-connection beats a non-blocking selector loop in throughput "
             "(25-35% on a 2-CPU Linux machine) up to about a thousand connections",
             'Paul Tyma (2008), "Thousands of Threads and Blocking I/O"'),
    "capriccio": ("Threads' costs come from their implementation, not the model: user-level "
                  "threads match events",
                  'von Behren, Condit and Brewer (HotOS 2003), "Why Events Are A Bad Idea"; '
                  "Capriccio (SOSP 2003)"),
    "switch": ("Switching async tasks costs about 0.2 us against 1.7 us for threads, but the two "
               "converge when the switch is driven by I/O readiness, and async's advantage "
               "vanishes when the threads are pinned to one core",
               "jimblandy/context-switch (GitHub)"),
    "matklad": ("10,000 threads cost about 3x the memory of green tasks, not 100x (kernel "
                "memory counted)", 'matklad (Alex Kladov), "10k Linux threads"'),
    "jep444": ("Green threads give scale (throughput), not speed (latency)",
               "JEP 444, Virtual Threads (Java 21)"),
    "files": ("An event loop gives no advantage for file reads",
              "Flash (Pai, Druschel, Zwaenepoel, USENIX 1999); Tokio's documentation "
              "(tokio::fs, spawn_blocking)"),
    "onecpu": ("On a single CPU, events are faster (than threads)",
               'John Ousterhout (1996), "Why Threads Are A Bad Idea (for most purposes)"'),
    "green": ("Blocking-style code at event-loop cost: green threads run the threads' "
              "straight-line code with an event loop's throughput and memory per task",
              "this project's green threads (bin/green over libevent)"),
    "uring": ("Completion-based I/O beats readiness: io_uring serves more than the epoll "
              "loops (green, async) on the same round trips",
              "this project's io_uring runtime (bin/uring)"),
}

# Each claim as the report's first screen names it (its source beside it).
ADVICE = {
    "tyma": ("Blocking threads beat a selector loop by 25-35%", "Tyma 2008"),
    "capriccio": ("User-level threads match events", "von Behren et al. 2003, Capriccio"),
    "switch": ("Async switches are cheaper, until I/O readiness drives them",
               "jimblandy/context-switch"),
    "matklad": ("10k threads cost ~3x green tasks' memory, not 100x", "matklad"),
    "jep444": ("Green threads give scale, not speed", "JEP 444"),
    "files": ("An event loop gives no advantage for file reads", "Flash 1999; Tokio docs"),
    "onecpu": ("On one CPU, events are faster than threads", "Ousterhout 1996"),
    "green": ("Green threads: blocking code at event-loop cost", "this project"),
    "uring": ("io_uring serves more than the epoll loops", "this project"),
}


def top(rows, wl, *models):
    """(highest level every model reached with an ok point, {model: points}),
    or (None, points)."""
    pts = {m: ok_points(rows, wl, m) for m in models}
    levels = common(*pts.values())
    return (levels[-1] if levels else None), pts


def top_ratio(rows, wl, x, y):
    """(c, x/y throughput at the top level both reached, with its
    interval, their points) or (None, why not, None)."""
    c, pts = top(rows, wl, x, y)
    if c is None:
        return None, "%s: no common %s/%s level" % (wl, x, y), None
    return c, S.ratio(pts[x][c], pts[y][c], "throughput"), pts


def missing(rows, *models):
    return [m for m in models if not rows_for(rows, model=m)]


def absent_text(models):
    return "no %s model in this run (harness/models.def)" % " or ".join(models)


def at_c(c):
    return "c=%s%s" % (c, "" if c >= TOP_C else " (the run's top common level; the claim "
                       "speaks of %s)" % "{:,}".format(TOP_C))


def v_tyma(rows, meta, extra):
    wls, _ = voters(rows, meta, "tyma", lambda r, m: [
        w for w in io_only_workloads(r, m)
        if meta_get(m, "workloads", w, "needs_backend", default=False)])
    if not wls:
        return result(NOT_SHOWN, no_voter("tyma"))
    judge, parts, sure, says = Judge(), [], S.Sure(), []
    lo, hi = TYMA_BAND
    for wl in wls:
        t, a = ok_points(rows, wl, THREADS), ok_points(rows, wl, ASYNC)
        levels = [c for c in common(t, a) if 1 < c <= TYMA_MAX_C]
        if not levels:
            parts.append("%s: no common threads/async level in 1 < c <= %d" % (wl, TYMA_MAX_C))
            continue
        figs = {c: S.ratio(t[c], a[c], "throughput") for c in levels}
        for c, f in figs.items():
            judge.confirm(f, lo, hi)
            judge.refute(f, under=lo, over=hi)
        parts.append("%s: threads/async throughput %s" % (wl, ", ".join(
            "c=%s %s" % (c, S.text(f, fmt_x)) for c, f in figs.items())))
        for c, f in figs.items():
            sure.add("threads/async throughput (every level inside the band)",
                     "%s c=%s" % (wl, c), f, fmt_x, lo, hi, band=True)
        c = levels[-1]
        says.append((S.text(figs[c], fmt_x), "on %s at %s connections" % (wl, c)))
    return result(judged(judge, sure), "; ".join(parts) + "; Tyma measured threads 1.25-1.35x "
                  "ahead: the claim is tested against that size within %s either way, "
                  "%s-%s" % (fmt_x(SIZE_MARGIN), fmt_x(lo), fmt_x(hi)), sure,
                  sentence(meta, "threads' throughput was", says,
                           "one event loop's (Tyma measured 1.25-1.35x)"))


def v_capriccio(rows, meta, extra):
    wls, _ = voters(rows, meta, "capriccio", io_only_workloads)
    if not wls:
        return result(NOT_SHOWN, no_voter("capriccio"))
    judge, parts, sure, says = Judge(), [], S.Sure(), []
    for wl in wls:
        c, r, pts = top_ratio(rows, wl, GREEN, ASYNC)
        if c is None:
            parts.append(r)
            continue
        g, a = pts[GREEN][c], pts[ASYNC][c]
        judge.confirm(r, MATCH)
        judge.refute(r, under=MATCH)
        text = "%s at %s: green/async throughput **%s** (%s vs %s)" % (
            wl, at_c(c), S.text(r, fmt_x), tp(g), tp(a))
        t = ok_points(rows, wl, THREADS).get(c)
        if t:
            text += "; kernel threads/async %s" % S.text(S.ratio(t, a, "throughput"), fmt_x)
        parts.append(text)
        sure.add("green/async throughput", "%s c=%s" % (wl, c), r, fmt_x,
                                                       MATCH)
        says.append((S.text(r, fmt_x), "on %s at %s in flight" % (wl, c)))
    return result(judged(judge, sure), "; ".join(parts) + "; needs green >= %s of async" %
                  fmt_x(MATCH), sure, sentence(
                      meta, "user-level threads running the blocking code served", says,
                      "the event loop's throughput"))


NOISE = "noise"         # mem_ratio's answer when x's own extra memory is within the noise


def mem_ratio(rows, wl, x, y):
    """(c, x/y memory per task (kernel included) at the top common c of x
    and y, with its bootstrap interval), (c, NOISE) when x's extra memory
    is within the run-to-run noise, or (None, why not)."""
    c, pts = top(rows, wl, x, y)
    if c is None or c <= 1 or 1 not in pts[x] or 1 not in pts[y]:
        return None, "%s: no common %s/%s level above 1 with c=1 points" % (wl, x, y)
    px, py = pts[x][c], pts[y][c]
    if mem_per_task(px) is None or mem_per_task(py) is None:
        return None, "%s: kernel memory not measured (no mem_per_task_kib)" % wl
    fig = per_task_fig(px, pts[x][1], py, pts[y][1], c, True)
    return c, (NOISE if fig.value is None else fig)


def mem_text(rows, wl, c, x, y, fig):
    """x/y memory per task in words, saying when y's is below the noise (then
    counted as the noise floor: the ratio is a lower bound)."""
    px, py = ok_points(rows, wl, x)[c], ok_points(rows, wl, y)[c]
    floored = below_noise(mem_per_task(py), c)
    return "%s/%s memory per task (RSS + kernel) %s%s: %s %s KiB vs %s %s" % (
        x, y, ">= " if floored else "", S.text(fig, fmt_x), x, fmt_sig(mem_per_task(px)), y,
        "below the noise (counted as %s KiB)" % fmt_sig(RSS_NOISE_KIB / (c - 1)) if floored
        else "%s KiB" % fmt_sig(mem_per_task(py)))


def v_green(rows, meta, extra):
    wls, _ = voters(rows, meta, "green", io_only_workloads)
    if not wls:
        return result(NOT_SHOWN, no_voter("green"))
    judge, parts, sure, says = Judge(), [], S.Sure(), []
    for wl in wls:
        c, r, _ = top_ratio(rows, wl, GREEN, ASYNC)
        if c is None:
            parts.append(r)
            continue
        mc, mfig = mem_ratio(rows, wl, GREEN, ASYNC)
        text = "%s at %s: green/async throughput **%s**" % (wl, at_c(c), S.text(r, fmt_x))
        sure.add("green/async throughput", "%s c=%s" % (wl, c), r, fmt_x,
                                                       MATCH)
        # Throughput alone can refute; confirming needs the memory too.
        judge.refute(r, under=MATCH)
        if mc is None:
            parts.append(text + "; memory not judged: " + mfig)
            continue
        judge.confirm(r, MATCH)
        if mfig == NOISE:
            # Green's extra memory is below what the run can see: event-loop cost.
            judge.fact(CONFIRMED)
            mem = "memory per task within the noise"
            sure.note("%s c=%s: green's extra memory within the run-to-run noise (under %s "
                      "KiB in all)" % (wl, mc, fmt_sig(RSS_NOISE_KIB)))
            parts.append(text + "; at c=%s green's extra memory within the noise (under %s "
                         "KiB over %d tasks)" % (mc, fmt_sig(RSS_NOISE_KIB), mc - 1))
        else:
            judge.confirm(mfig, hi=GREEN_MEM)
            judge.refute(mfig, over=GREEN_MEM)
            mem = "%s its memory per task" % S.text(mfig, fmt_x)
            sure.add("green/async memory per task", "%s c=%s" % (wl, mc), mfig, fmt_x,
                     GREEN_MEM, higher=False)
            parts.append(text + "; at c=%s %s" % (mc, mem_text(rows, wl, mc, GREEN, ASYNC,
                                                               mfig)))
        says.append("%s its throughput and %s on %s (c=%s)" % (S.text(r, fmt_x), mem, wl, c))
    return result(judged(judge, sure), "; ".join(parts) + "; needs throughput >= %s and memory "
                  "per task <= %s of async's" % (fmt_x(MATCH), fmt_x(GREEN_MEM)), sure,
                  sentence(meta, "against the event loop, green threads had", says))


def v_matklad(rows, meta, extra):
    wls, _ = voters(rows, meta, "matklad", io_only_workloads)
    if not wls:
        return result(NOT_SHOWN, no_voter("matklad"))
    judge, parts, sure, says, noise = Judge(), [], S.Sure(), [], False
    for wl in wls:
        c, fig = mem_ratio(rows, wl, THREADS, GREEN)
        if c is None or fig == NOISE:
            noise = noise or c is not None
            parts.append(fig if c is None else "%s at c=%s: threads' extra memory within the "
                         "noise: no ratio to read" % (wl, c))
            continue
        judge.confirm(fig, hi=MATKLAD_RATIO)
        judge.refute(fig, over=MATKLAD_RATIO)
        parts.append("%s at %s: %s" % (wl, at_c(c), mem_text(rows, wl, c, THREADS, GREEN, fig)))
        sure.add("threads/green memory per task", "%s c=%s" % (wl, c), fig,
                                                       fmt_x, MATKLAD_RATIO, higher=False)
        says.append((S.text(fig, fmt_x), "on %s at %s in flight" % (wl, c)))
    v = INCONCLUSIVE if judge.empty() and noise else judged(judge, sure)
    if noise and v == CONFIRMED:    # a pair whose ratio cannot be read does not vote yes
        v = INCONCLUSIVE
    return result(v, "; ".join(parts) + "; CONFIRMED below %s (about 3x, not "
                  "100x)" % fmt_x(MATKLAD_RATIO), sure,
                  sentence(meta, "a thread held", says,
                           "the memory of a green task (kernel included)"))


def v_jep444(rows, meta, extra):
    wls, _ = voters(rows, meta, "jep444", io_only_workloads)
    if not wls:
        return result(NOT_SHOWN, no_voter("jep444"))
    judge, parts, sure, says = Judge(), [], S.Sure(), []
    for wl in wls:
        c, pts = top(rows, wl, GREEN, THREADS)
        g, t = pts[GREEN], pts[THREADS]
        if c is None or 1 not in g or 1 not in t:
            parts.append("%s: needs green and threads at c=1 and a common higher level" % wl)
            continue
        scale = S.ratio(g[c], t[c], "throughput")
        speed = S.ratio(g[1], t[1], "p50_us")
        for fig, at in ((scale, JEP_SCALE), (speed, JEP_SPEED)):
            judge.confirm(fig, at)
            judge.refute(fig, under=at)
        parts.append("%s: scale, green/threads throughput at %s **%s**; speed, green/threads "
                     "p50 at c=1 **%s** (%s vs %s)" % (
                         wl, at_c(c), S.text(scale, fmt_x), S.text(speed, fmt_x),
                         fmt_us(g[1].get("p50_us")), fmt_us(t[1].get("p50_us"))))
        sure.add("green/threads throughput (scale)", "%s c=%s" % (wl, c), scale, fmt_x, JEP_SCALE)
        sure.add("green/threads p50 at c=1 (speed)", wl, speed, fmt_x, JEP_SPEED)
        says.append("%s threads' throughput at %s in flight and %s their p50 at c=1 on %s" % (
            S.text(scale, fmt_x), c, S.text(speed, fmt_x), wl))
    return result(judged(judge, sure), "; ".join(parts) + "; needs throughput >= %s (scale) and "
                  "p50 at c=1 not below %s (no speed)" % (fmt_x(JEP_SCALE), fmt_x(JEP_SPEED)),
                  sure, sentence(meta, "green threads had", says))


def v_uring(rows, meta, extra):
    wls, _ = voters(rows, meta, "uring", lambda r, m: [
        w for w in io_only_workloads(r, m)
        if meta_get(m, "workloads", w, "needs_backend", default=False)])
    if not wls:
        return result(NOT_SHOWN, no_voter("uring"))
    judge, parts, sure, says = Judge(), [], S.Sure(), []
    for wl in wls:
        c, pts = top(rows, wl, URING, GREEN, ASYNC)
        if c is None:
            parts.append("%s: no level where uring, green and async all ran" % wl)
            continue
        u = pts[URING][c]
        figs = {m: S.ratio(u, pts[m][c], "throughput") for m in (GREEN, ASYNC)}
        for f in figs.values():
            judge.confirm(f, BEATS)
            judge.refute(f, under=BEATS)
        parts.append("%s at %s: uring %s, %s; p99 uring %s" % (
            wl, at_c(c), tp(u), ", ".join("uring/%s throughput **%s**" % (
                m, S.text(f, fmt_x)) for m, f in figs.items()), p99(u)))
        for m, f in figs.items():
            sure.add("uring/%s throughput" % m, "%s c=%s" % (wl, c), f, fmt_x, BEATS)
        says.append("%s on %s at %s in flight" % (" and ".join(
            "%s %s's" % (S.text(f, fmt_x), m) for m, f in figs.items()), wl, c))
    return result(judged(judge, sure), "; ".join(parts) + "; needs uring above both", sure,
                  sentence(meta, "io_uring's throughput was", says))


def v_files(rows, meta, extra):
    wls, _ = voters(rows, meta, "files", lambda r, m: [])
    if not wls:
        return result(NOT_SHOWN, no_voter("files"))
    judge, parts, sure, says = Judge(), [], S.Sure(), []
    for wl in wls:
        c, r, pts = top_ratio(rows, wl, ASYNC, THREADS)
        if c is None:
            parts.append(r)
            continue
        judge.confirm(r, hi=IO_WIN)
        judge.refute(r, over=IO_WIN)
        text = "%s (%s) at c=%s: async/threads throughput **%s**" % (
            wl, cache_of(meta, wl), c, S.text(r, fmt_x))
        for m in ("hybrid", URING):
            p = ok_points(rows, wl, m).get(c)
            if p:
                text += "; %s/threads %s" % (m, S.text(S.ratio(p, pts[THREADS][c],
                                                               "throughput"), fmt_x))
        parts.append(text)
        sure.add("async/threads throughput", "%s c=%s" % (wl, c), r, fmt_x,
                                                       IO_WIN, higher=False)
        says.append((S.text(r, fmt_x), "on %s (%s) at %s in flight" % (wl, cache_of(meta, wl),
                                                                         c)))
    kinds = {meta_get(meta, "workloads", w, "cache") for w in wls}
    if "cold" not in kinds:
        parts.append("no cold-cache series (cache=cold) in this run: the reads were not "
                     "shown to reach the device")
    return result(judged(judge, sure), "; ".join(parts) + "; %s; CONFIRMED when async stays "
                  "below %s of threads" % (data_file_text(meta), fmt_x(IO_WIN)), sure,
                  sentence(meta, "one event loop read at", says, "threads' throughput"))


def v_onecpu(rows, meta, extra):
    one = extra.get("onecpu")
    if not one:
        why = meta_get(meta, "onecpu", "reason") if meta_get(meta, "onecpu", "status") == \
            "skipped" else None
        return result(NOT_SHOWN, "no %s in this run (the one-CPU sweep: each model confined "
                      "to one CPU)%s" % (ONECPU_CSV, ", skipped: %s" % why if why else ""))
    wls = [w for w in dict.fromkeys(r.get("workload") for r in one)
           if declared_claims(meta, w) is None or "onecpu" in declared_claims(meta, w)]
    absent = missing(one, THREADS, ASYNC)
    if absent:
        return result(NOT_SHOWN, absent_text(absent) + " in " + ONECPU_CSV)
    judge, parts, sure, says = Judge(), [], S.Sure(), []
    for wl in wls:
        c, r, pts = top_ratio(one, wl, ASYNC, THREADS)
        if c is None:
            parts.append(r)
            continue
        judge.confirm(r, BEATS)
        judge.refute(r, under=BEATS)
        parts.append("%s at c=%s on one CPU: async/threads throughput **%s** (%s vs %s)" % (
            wl, c, S.text(r, fmt_x), tp(pts[ASYNC][c]), tp(pts[THREADS][c])))
        sure.add("async/threads throughput", "%s c=%s" % (wl, c), r, fmt_x,
                                                       BEATS)
        says.append((S.text(r, fmt_x), "on %s at %s in flight" % (wl, c)))
    return result(judged(judge, sure), "; ".join(parts) or "no pair in %s" % ONECPU_CSV, sure,
                  sentence(meta, "confined to one CPU, one event loop served", says,
                           "threads' throughput"))


def v_switch(rows, meta, extra):
    cal = extra.get("cal")
    need = (SW_THREADS, SW_PINNED, SW_ASYNC, SW_ASYNC_IO)
    lacking = [n for n in need if not S.cal_sample(cal, n)]
    if lacking:
        return result(NOT_SHOWN, "calibration.csv has no %s (bin/calibrate's switch figures)"
                      % ", ".join(lacking))
    adv = S.cal_ratio(cal, SW_THREADS, SW_ASYNC)
    conv = S.fold(S.cal_ratio(cal, SW_THREADS, SW_ASYNC_IO))
    pin = S.fold(S.cal_ratio(cal, SW_PINNED, SW_ASYNC_IO))
    judge = Judge()
    judge.confirm(adv, SWITCH_ADV)
    judge.refute(adv, under=SWITCH_ADV)
    for fig in (conv, pin):
        judge.confirm(fig, hi=SWITCH_CONVERGE)
        judge.refute(fig, over=SWITCH_ADV)

    def ns(name):
        s = S.cal_sample(cal, name)
        return DASH if not s else "%s ns%s" % (
            fmt_si(s[0]), "" if not s[2] else " (%s of %d: %s–%s)" % (
                "median", s[3], fmt_si(s[2][0]), fmt_si(s[2][1])))
    ev = ("switch costs: threads %s, threads pinned to one CPU %s, async task to task %s, "
          "async driven by pipe readiness %s%s; threads/async **%s**; threads/async-on-I/O "
          "apart by **%s**; pinned threads/async-on-I/O apart by **%s**" % (
              ns(SW_THREADS), ns(SW_PINNED), ns(SW_ASYNC), ns(SW_ASYNC_IO),
              "".join("; %s %s" % (w, ns(n)) for w, n in (("green", SW_GREEN),
                                                           ("green on I/O", SW_GREEN_IO))
                      if S.cal_sample(cal, n)),
              S.text(adv, fmt_x), S.text(conv, fmt_x), S.text(pin, fmt_x)))
    sure = S.Sure()
    sure.add("threads/async switch cost", "", adv, fmt_x, SWITCH_ADV)
    sure.add("how far apart, either way", "threads vs async on I/O", conv, fmt_x,
             SWITCH_CONVERGE, SWITCH_ADV, higher=False)
    sure.add("how far apart, either way", "pinned threads vs async on I/O", pin, fmt_x,
             SWITCH_CONVERGE, SWITCH_ADV, higher=False)
    say = ("%s, a thread switch cost %s an async task switch, %s apart from an async switch "
           "driven by I/O readiness, and %s apart when the threads were pinned to one CPU." % (
               machine(meta), S.text(adv, fmt_x), S.text(conv, fmt_x), S.text(pin, fmt_x)))
    v = judged(judge, sure)
    return result(v, ev + "; the claim holds when threads/async >= %s and both other pairs "
                  "are within %s" % (fmt_x(SWITCH_ADV), fmt_x(SWITCH_CONVERGE)), sure, say)


# key -> (rule, the models it compares: NOT SHOWN without one)
RULES = (("tyma", v_tyma, (THREADS, ASYNC)), ("capriccio", v_capriccio, (GREEN, ASYNC)),
         ("switch", v_switch, ()), ("matklad", v_matklad, (THREADS, GREEN)),
         ("jep444", v_jep444, (GREEN, THREADS)), ("files", v_files, (THREADS, ASYNC)),
         ("onecpu", v_onecpu, ()), ("green", v_green, (GREEN, ASYNC)),
         ("uring", v_uring, (URING, GREEN, ASYNC)))


def verdicts(rows, meta, extra=None):
    """[{key, claim, source, verdict, sure, say, evidence}] in RULES order."""
    meta, extra = meta or {}, extra or {}
    out = []
    for key, rule, needs in RULES:
        v = run_rule(key, rule, CONTESTED[key][0], needs, rows, meta, extra)
        v["source"] = CONTESTED[key][1]
        out.append(v)
    return out
