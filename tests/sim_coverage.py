"""sim_coverage.py - the sweep's and the report's interval and verdict rules on
simulated runs, to check that a 95% interval holds its true value 95% of the
time and that a verdict is wrong no more often than it says.

A point's runs are simulated as the sweep makes them (harness/sweep/rounds.py):
every model of a (workload, c) once per round, the number of rounds fixed by
rounds.plan_rounds before the first run; a run's figure is log-normal around
the model's true value (spread: the sd of its log, 1-15%), times a drift that
moves every run of one round alike (sd of its log 0-5%: load that comes and
goes on a shared machine).  The rows are given their runs as the report's
sure.attach_runs gives them (sure.set_runs), and the intervals and verdicts
are the report's own (sure.point, sure.ratio, contested.v_tyma,
contested.v_uring, judge.Judge): the functions a run folder goes through,
not a copy.  Seeded: the same numbers every time.

tests/test_coverage.sh runs it; `python3 tests/sim_coverage.py` prints the
tables.  Standard library only.
"""

import math
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from harness.sweep import rounds  # noqa: E402
from scripts.report import contested, judge, sure  # noqa: E402

SPREADS = (0.01, 0.05, 0.15)    # sd of a run's log figure
DRIFTS = (0.0, 0.03, 0.05)      # sd of a round's log drift, shared by its runs
SEED = 20260
TRIALS = 2000                   # per cell: a 95% coverage's own noise is +-0.5%
MODELS = 7                      # models of a point (the registry's, give or take)
CHEAP_RUN_S, DEAR_RUN_S = 0.12, 0.8   # a run's planned seconds: ROUNDS, and fewer
FOLDER = "/sim"                 # the run folder the simulated rows come from


def plan(run_s, models=MODELS):
    """The rounds of a point whose every model's run is planned at run_s:
    the sweep's own rule (rounds.plan_rounds), fixed before any run."""
    return rounds.plan_rounds(None, [run_s] * models)


def point_runs(rng, logs, spread, drift, n):
    """{model: [figure of each round]}: n rounds of the models whose true
    log figures are logs, every run of a round moved by its drift."""
    out = {m: [] for m in logs}
    for _ in range(n):
        d = rng.gauss(0.0, drift)
        for m, mu in logs.items():
            out[m].append(math.exp(mu + d + rng.gauss(0.0, spread)))
    return out


def row_of(workload, model, c, xs):
    """A results.csv row of one point with its runs attached (sure.set_runs),
    as the report reads a run folder measured in rounds."""
    xs_sorted = sorted(xs)
    row = {"workload": workload, "model": model, "concurrency": c, "status": "ok",
           "runs": len(xs), "rounds": len(xs), "throughput": xs_sorted[len(xs) // 2],
           "throughput_min": xs_sorted[0], "throughput_max": xs_sorted[-1]}
    sure.set_runs(row, [{"throughput": x, "concurrency": c} for x in xs], FOLDER)
    return row


def coverage(spread, drift, trials=TRIALS, seed=SEED, run_s=None):
    """(point coverage, ratio coverage, mean rounds) of the 95% intervals
    over trials points: models with true figures spread over a decade, half
    the points planned cheap (ROUNDS rounds), half dear (fewer), unless
    run_s fixes it."""
    rng = random.Random("%s-%s-%s" % (seed, spread, drift))
    hit_p = hit_r = total_n = 0
    for i in range(trials):
        logs = {"m%d" % k: rng.uniform(math.log(1e3), math.log(1e4)) for k in range(MODELS)}
        n = plan(run_s if run_s is not None else (CHEAP_RUN_S if i % 2 else DEAR_RUN_S))
        total_n += n
        runs = point_runs(rng, logs, spread, drift, n)
        a, b = row_of("w", "m0", 64, runs["m0"]), row_of("w", "m1", 64, runs["m1"])
        iv = sure.point(a, "throughput").iv()
        hit_p += iv is not None and iv[0] <= math.exp(logs["m0"]) <= iv[1]
        iv = sure.ratio(a, b, "throughput").iv()
        hit_r += iv is not None and iv[0] <= math.exp(logs["m0"] - logs["m1"]) <= iv[1]
    return hit_p / trials, hit_r / trials, total_n / trials


def coverage_stopped(spread, drift, trials=TRIALS, seed=SEED, target=0.03, cap=8):
    """coverage() of a rule this project must not use, to show the check can
    fail: rounds added while the point's interval is wider than target (the
    rule before, "stop when the runs agree"), from MIN_ROUNDS up to cap."""
    from harness.sweep import interval
    rng = random.Random("%s-stopped-%s-%s" % (seed, spread, drift))
    hit_p = hit_r = 0
    for _ in range(trials):
        logs = {"m0": rng.uniform(math.log(1e3), math.log(1e4)), "m1": math.log(5e3)}
        runs = point_runs(rng, logs, spread, drift, rounds.MIN_ROUNDS)
        while len(runs["m0"]) < cap and interval.half_width(
                runs["m0"], sorted(runs["m0"])[len(runs["m0"]) // 2]) > target:
            more = point_runs(rng, logs, spread, drift, 1)
            for m in runs:
                runs[m] += more[m]
        a, b = row_of("w", "m0", 64, runs["m0"]), row_of("w", "m1", 64, runs["m1"])
        iv = sure.point(a, "throughput").iv()
        hit_p += iv[0] <= math.exp(logs["m0"]) <= iv[1]
        iv = sure.ratio(a, b, "throughput").iv()
        hit_r += iv[0] <= math.exp(logs["m0"] - logs["m1"]) <= iv[1]
    return hit_p / trials, hit_r / trials


def table(trials=TRIALS):
    """{(spread, drift): (point, ratio, rounds)} over SPREADS x DRIFTS."""
    return {(s, d): coverage(s, d, trials) for s in SPREADS for d in DRIFTS}


# ---- verdicts ---------------------------------------------------------------

TYMA_LEVELS = (4, 16, 64, 256, 1024)        # 1 < c <= 1,024: ten intervals on two pairs
TYMA_PAIRS = ("wr", "wq")


def meta_for(pairs, claims):
    """meta.json of a simulated run: the pairs, each declaring claims."""
    return {"host": {"cores": 2},
            "workloads": {w: {"kind": "io", "work": 0, "delay_us": 1000, "needs_backend": True,
                              "floor": "none", "claims": claims} for w in pairs}}


def sim_rows(rng, truth, levels, pairs, spread, drift, n, base=1e5):
    """Rows of every (pair, level) point, each measured in n rounds: truth
    {model: true ratio to the base figure}."""
    rows = []
    for w in pairs:
        for c in levels:
            logs = {m: math.log(base * r) for m, r in truth.items()}
            runs = point_runs(rng, logs, spread, drift, n)
            rows += [row_of(w, m, c, xs) for m, xs in runs.items()]
    return rows


def verdict_rates(rule, truth, levels, pairs, claims, spread=0.05, drift=0.03, trials=1000,
                  seed=SEED, run_s=CHEAP_RUN_S):
    """{verdict: share of trials} of a contested rule (contested.v_tyma, ...)
    on simulated runs where truth holds at every level."""
    rng = random.Random("%s-%s-%s" % (seed, rule.__name__, sorted(truth.items())))
    meta, n, got = meta_for(pairs, claims), plan(run_s), {}
    for _ in range(trials):
        v = rule(sim_rows(rng, truth, levels, pairs, spread, drift, n), meta, {})["verdict"]
        got[v] = got.get(v, 0) + 1
    return {k: v / trials for k, v in got.items()}


def tyma_rates(ratio, **kw):
    """v_tyma's verdicts where threads/async is ratio at every level of two
    round-trip pairs (ten intervals)."""
    return verdict_rates(contested.v_tyma, {"threads": ratio, "async": 1.0}, TYMA_LEVELS,
                         TYMA_PAIRS, "tyma", **kw)


def uring_rates(ratio, **kw):
    """v_uring's verdicts where uring/green = uring/async = ratio on two
    pairs at their top level (four intervals)."""
    return verdict_rates(contested.v_uring, {"uring": ratio, "green": 1.0, "async": 1.0},
                         (4096,), TYMA_PAIRS, "uring", **kw)


def beats_rates(ratio, k=10, spread=0.05, drift=0.03, trials=1000, seed=SEED):
    """A claim "X beats Y at every one of k levels" (no size stated: its
    threshold is 1.0, as Tyma's was) judged by judge.Judge on k paired
    ratios where X/Y is ratio at each: {verdict: share}."""
    rng = random.Random("%s-beats-%s-%s" % (seed, ratio, k))
    n, got = plan(CHEAP_RUN_S), {}
    for _ in range(trials):
        j = judge.Judge()
        for c in range(k):
            runs = point_runs(rng, {"x": math.log(ratio), "y": 0.0}, spread, drift, n)
            f = sure.ratio(row_of("w", "x", c, runs["x"]), row_of("w", "y", c, runs["y"]),
                           "throughput")
            j.confirm(f, contested.BEATS)
            j.refute(f, under=contested.BEATS)
        v = j.verdict()
        got[v] = got.get(v, 0) + 1
    return {k_: v / trials for k_, v in got.items()}


def fmt_rates(r):
    return ", ".join("%s %.1f%%" % (k, 100 * v) for k, v in sorted(r.items()))


def main():
    print("coverage of the 95%% intervals (%d points per cell; half planned cheap, half dear)"
          % TRIALS)
    print("spread drift   point   ratio  rounds")
    for (s, d), (p, r, n) in table().items():
        print("%5.0f%% %4.0f%%  %5.1f%%  %5.1f%%  %5.2f" % (100 * s, 100 * d, 100 * p, 100 * r, n))
    lo, hi = contested.TYMA_BAND
    for name, x in (("tie", 1.0), ("band's low edge", lo), ("30% effect", 1.30),
                    ("band's high edge", hi)):
        print("tyma, threads/async %.3fx (%s): %s" % (x, name, fmt_rates(tyma_rates(x))))
    print("uring at a tie: %s" % fmt_rates(uring_rates(1.0)))
    print("beats (10 levels) at a tie: %s" % fmt_rates(beats_rates(1.0)))
    print("beats (10 levels) at 1.30x: %s" % fmt_rates(beats_rates(1.3)))


if __name__ == "__main__":
    main()
