"""eta.py - the time a sweep has left, predicted point by point.

A mean over the points so far is wrong by minutes: a point at c = 10,000
takes ten to fifty times one at c = 1 (set-up of 10,000 threads or
connections, runs sized to several turnovers of every slot), the costly
points come last in each workload, and the sections after the closed-loop
points (one CPU, open loop, the report) are not like them.  So the ETA
covers the whole `make bench` from the first point to the report, and each
step left is predicted by itself:

    seconds(step) = prior(step) x G(model) x R

prior: what this step took before, from the first source that has it:
  1. the newest complete run of the same size (QUICK or not) in the results
     folder: its point_s per point, per section, and its report's seconds;
  2. REFERENCE (eta_reference.csv beside this file): a complete run on the
     reference machine (2 cores), written by `python3 -m harness.sweep.eta
     RUN_DIR` whenever the sweep's sizing rules change;
  3. a shape over c by kind (PRIOR_S) for a step neither knows (a pair or a
     level of the user's own).
G: how much dearer this model has been than the others at the same step,
over its prior (1 where the prior already knows the model).
R: measured over predicted, on the done steps of the same (section,
workload, level) if there are any, else of the same (section, workload),
else of every done step (with SHRINK_S of steps as predicted added): the
machine's speed today.
"""

import csv
import json
import math
import os
import re
import sys

from . import common

# Seconds one closed-loop point took, by level, on a 2-core machine: the
# shape for a pair or level no run has timed.  Between levels: interpolated
# on log c.  Pairs with a peer (a socket per task: connections to set up,
# round trips that slow at high c) have their own shape.
PRIOR_S = {
    "cpu": {1: 1.0, 16: 1.0, 64: 1.0, 256: 1.5, 1024: 4.0},
    "io": {1: 1.2, 16: 0.9, 64: 0.9, 256: 1.0, 1024: 1.5, 4096: 3.0, 10000: 5.0,
           30000: 10.0, 100000: 30.0},
    "io+peer": {1: 1.2, 16: 1.0, 64: 1.0, 256: 1.5, 1024: 3.0, 4096: 8.0, 10000: 15.0,
                30000: 30.0, 100000: 60.0},
}
QUICK_SCALE = 0.3       # a QUICK point's runs are a fifth as long, its set-up the same
FAILED_S = 0.3          # a point that fails at once, or is not run (failed below)
REPORT_S = 4.0          # the report, per workload (gnuplot: a few figures each)
REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eta_reference.csv")
SHRINK_S = 30.0         # R over all steps counts this many seconds of steps at 1: the first
                        # points alone (a noisy few seconds) do not scale the whole run
                        # (first tenth +14 -> +8%, -7 -> -3%, replayed on two full runs)
SECTIONS = ("closed", "onecpu", "rate-closed", "open", "serve", "report")
# The end of every progress line of a sweep (tail()), which make fleet reads
# back from a job's output (parse_progress()): one format, defined here.
TAIL_FMT = "(%s elapsed, ~%s left)"
PROGRESS_RE = re.compile(r"^(?:(?P<section>[A-Za-z-]+) )?\[\s*(?P<i>\d+)/(?P<n>\d+)\] .*"
                         r"\((?P<elapsed>\S+) elapsed, ~(?P<left>\S+) left\)\s*$")


def tail(elapsed_s, left_s):
    """'(1m05s elapsed, ~3m20s left)': the end of a sweep's progress line."""
    return TAIL_FMT % (common.duration(elapsed_s), common.duration(left_s))


def parse_progress(line):
    """{section, i, n, elapsed, left} of a sweep's progress line ('[  3/8] ...
    (2s elapsed, ~40s left)', 'one-CPU [ 2/6] ...'; section None for the
    closed-loop and open-loop points), or None for any other line."""
    m = PROGRESS_RE.match(line.strip())
    if not m:
        return None
    return {"section": m.group("section"), "i": int(m.group("i")), "n": int(m.group("n")),
            "elapsed": m.group("elapsed"), "left": m.group("left")}


def prior_s(kind, c, quick=False):
    """The shape's seconds for a closed-loop point of this kind at level c."""
    if kind == "fail":
        return FAILED_S
    table = PRIOR_S.get(kind) or PRIOR_S["io"]
    xs = sorted(table)
    if c <= xs[0]:
        s = table[xs[0]]
    elif c >= xs[-1]:
        s = table[xs[-1]] * c / xs[-1]
    else:
        hi = next(x for x in xs if x >= c)
        lo = max(x for x in xs if x <= c)
        f = 0.0 if hi == lo else (math.log(c) - math.log(lo)) / (math.log(hi) - math.log(lo))
        s = table[lo] + f * (table[hi] - table[lo])
    return s * (QUICK_SCALE if quick else 1.0)


def step(section, workload, model, x, shape_s):
    """One step of a sweep: its section (SECTIONS), workload, model, level
    (c; the load in percent for an open-loop point) and the shape's seconds
    for it (prior_s, or the caller's own for a section that is not a
    closed-loop point)."""
    return (section, workload, model, int(x), float(shape_s))


def report_step(workloads):
    """The report's step: REPORT_S per workload of the run."""
    return step("report", "", "", 0, REPORT_S * max(1, workloads))


def _float(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def run_times(run_dir):
    """{(section, workload, model, x): seconds} of one run folder: its
    results.csv (closed), onecpu/results.csv, rate/rate.csv (rate-closed,
    open) and meta.json's report_s; {} where it has none."""
    got = {}

    def read(path, section_of):
        try:
            with open(path) as f:
                for r in csv.DictReader(f):
                    s = _float(r.get("point_s"))
                    if r.get("status", "ok") != "ok":
                        s = 0.0     # failed, or not run: what a point that runs takes
                                    # is not known from it
                    if s is None:
                        continue
                    sec, x = section_of(r)
                    got[(sec, r["workload"], r["model"], int(float(x)))] = s
        except (OSError, ValueError, KeyError, TypeError):
            pass
    read(os.path.join(run_dir, "results.csv"), lambda r: ("closed", r["concurrency"]))
    read(os.path.join(run_dir, "onecpu", "results.csv"), lambda r: ("onecpu", r["concurrency"]))
    read(os.path.join(run_dir, "rate", "rate.csv"),
         lambda r: ("rate-closed", r["concurrency"]) if r["mode"] == "closed"
         else ("open", r["load_pct"]))
    read(os.path.join(run_dir, "serve", "results.csv"),   # one step per server (serve.py)
         lambda r: ("serve", r["connections"]))
    try:
        with open(os.path.join(run_dir, "meta.json")) as f:
            rep = _float(json.load(f).get("report_s"))
        if rep is not None:
            got[("report", "", "", 0)] = rep
    except (OSError, ValueError, AttributeError):
        pass
    return got


def previous_times(results_dir, exclude=None, quick=False):
    """run_times() of the newest complete run in results_dir of the same
    size (QUICK or not) that recorded point_s (not exclude), or {}."""
    try:
        names = sorted((n for n in os.listdir(results_dir) if n[:1].isdigit()), reverse=True)
    except OSError:
        return {}
    for n in names:
        d = os.path.join(results_dir, n)
        if exclude and os.path.abspath(d) == os.path.abspath(exclude):
            continue
        try:
            with open(os.path.join(d, "meta.json")) as f:
                meta = json.load(f)
            if not meta.get("complete") or bool(meta["params"]["quick"]) != bool(quick):
                continue
        except (OSError, ValueError, KeyError, TypeError):
            continue
        got = run_times(d)
        if got:
            return got
    return {}


def reference_times(quick=False, path=REFERENCE):
    """The reference machine's times for a sweep of this size, or {}."""
    got = {}
    try:
        with open(path) as f:
            for r in csv.DictReader(l for l in f if not l.startswith("#")):
                if int(r["quick"]) == int(bool(quick)):
                    got[(r["section"], r["workload"], r["model"], int(r["x"]))] = float(r["s"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return got


def write_reference(run_dirs, path=REFERENCE):
    """REFERENCE from complete runs (QUICK ones, full ones, or both): what
    each step took on this machine, the mean over the runs of its size that
    have it.  Returns the number of rows."""
    got = {}
    for d in run_dirs:
        with open(os.path.join(d, "meta.json")) as f:
            meta = json.load(f)
        if not meta.get("complete"):
            raise ValueError("%s: not a complete run" % d)
        quick = int(bool(meta["params"]["quick"]))
        for k, s in run_times(d).items():
            got.setdefault((quick,) + k, []).append(s)
    # A step that ran in one run and failed in another: what it took running.
    rows = []
    for k, v in sorted(got.items()):
        ran = [x for x in v if x > 0]
        rows.append(k + (sum(ran) / len(ran) if ran else 0.0,))
    with open(path + ".tmp", "w") as f:
        f.write("# eta_reference.csv - what each step of a sweep took on the reference machine\n"
                "# (2 cores); the ETA's prior (harness/sweep/eta.py).  Written by\n"
                "# `python3 -m harness.sweep.eta RUN_DIR...` from complete runs.\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["quick", "section", "workload", "model", "x", "s"])
        for r in rows:
            w.writerow(r[:-1] + ("%.3f" % r[-1],))
    os.replace(path + ".tmp", path)
    return len(rows)


class Eta:
    """The remaining time of a sweep of steps (step() tuples), in order."""

    def __init__(self, steps, quick=False, previous=None, reference=None):
        self.quick = quick
        self.previous = previous or {}
        self.reference = reference if reference is not None else reference_times(quick)
        self.steps = []             # step() tuples, not yet done or done
        self.done = {}              # (section, workload, model, x) -> (seconds, ran)
        self.failed = set()         # (section, workload, model): not run above its failure
        self.priors = {}            # (section, workload, model, x) -> prior seconds
        self.fail_prior = set()     # keys whose prior is a failure's (FAILED_S)
        self.plan(steps)

    def _prior(self, st):
        key = st[:4]
        failed = False
        for table in (self.previous, self.reference):
            s = table.get(key)
            if s:
                return s
            failed = failed or s is not None
        if failed:
            # 0 in each table that has it: failed or not run there (a model
            # that failed below), so a failed step, not the shape's seconds of
            # a point that runs (40 s too many on a full sweep's first half,
            # a model refused on a pair).  Kept out of R and G if it runs.
            self.fail_prior.add(key)
            return FAILED_S
        return st[4]

    def prior(self, key):
        return self.priors[tuple(key)]

    def plan(self, steps, sections=()):
        """Add steps; the steps of sections not done yet are replaced by
        those given (a section's plan, known better when it starts)."""
        self.steps = [st for st in self.steps if st[0] not in sections or st[:4] in self.done]
        have = {st[:4] for st in self.steps}
        for st in steps:
            if st[:4] not in have:
                have.add(st[:4])
                self.steps.append(st)
                self.priors[st[:4]] = self._prior(st)

    def record(self, key, seconds, ran=True, failed=False):
        """Step key (section, workload, model, x) took seconds (ran=False:
        it was not run; failed=True: it failed, so the sweep will not run
        its model above it).  A key not planned is added."""
        key = tuple(key)
        if key not in self.priors:
            self.plan([step(*key, shape_s=seconds)])
        self.done[key] = (seconds, ran)
        if failed:
            self.failed.add(key[:3])

    def _g(self):
        """G(m): how much dearer model m was than the others at the same
        step, measured over prior: the geometric mean over the steps it
        shares with another model."""
        groups = {}
        for key, (s, ran) in self.done.items():
            sec, w, m, x = key
            if ran and s > 0 and key not in self.fail_prior:
                groups.setdefault((sec, w, x), {})[m] = s / self.prior(key)
        logs = {}
        for got in groups.values():
            if len(got) < 2:
                continue
            mean = math.exp(sum(math.log(v) for v in got.values()) / len(got))
            for m, v in got.items():
                logs.setdefault(m, []).append(math.log(v / mean))
        return {m: math.exp(sum(v) / len(v)) for m, v in logs.items()}

    def remaining(self):
        """Seconds predicted for the steps not done yet."""
        g_of = self._g()

        def g(m):
            return g_of.get(m, 1.0)
        sums = {}                   # scope -> [measured, predicted]
        for key, (s, ran) in self.done.items():
            sec, w, m, x = key
            if not ran or key in self.fail_prior:
                continue    # (a step that failed before and ran now says nothing of speed)
            p = self.prior(key) * g(m)
            for scope in ((sec, w, x), (sec, w), ()):
                acc = sums.setdefault(scope, [0.0, 0.0])
                acc[0] += s
                acc[1] += p

        def ratio(scope):
            acc = sums.get(scope)
            if not acc or acc[1] <= 0:
                return None
            k = SHRINK_S if scope == () else 0.0
            return (acc[0] + k) / (acc[1] + k)
        total = 0.0
        for st in self.steps:
            key = st[:4]
            if key in self.done:
                continue
            sec, w, m, x = key
            if key[:3] in self.failed:
                total += FAILED_S
                continue
            r = ratio((sec, w, x)) or ratio((sec, w)) or ratio(()) or 1.0
            total += self.prior(key) * g(m) * r
        return total


def main(argv):
    """python3 -m harness.sweep.eta RUN_DIR...: write REFERENCE from them."""
    if not argv:
        print("usage: python3 -m harness.sweep.eta RUN_DIR... (complete runs: a QUICK one, "
              "a full one, or both)", file=sys.stderr)
        return 2
    try:
        n = write_reference(argv)
    except (OSError, ValueError, KeyError) as e:
        print("eta: %s" % e, file=sys.stderr)
        return 1
    print("eta: %d steps into %s" % (n, REFERENCE), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
