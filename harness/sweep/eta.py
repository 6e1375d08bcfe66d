"""eta.py - the time a sweep has left, predicted point by point.

A mean over the points so far is wrong by minutes: a point at c = 10,000
takes ten to fifty times one at c = 1 (set-up of 10,000 threads or
connections, runs sized to 50 tasks per slot), and the costly points come
last in each workload.  So each point left is predicted by itself, as

    seconds(w, m, c) = prior(c, kind) x F(w) x G(m) x H

prior: the shape of a point's cost over c (PRIOR_S below, measured on a
2-core machine with seven models: only its shape matters); F: how much
dearer than the prior this workload has been so far (seconds measured over
seconds predicted on its done points; 1 until it has one); G: how much
dearer this model has been than the others at the same (workload, c); H:
measured over predicted on every done point, which carries the machine's
speed.  A point whose (workload, c) has done points is predicted from them.  When the run folder's sibling has a
complete run with the same points (point_s in its results.csv), its times
are the prior instead, which knows the machine's and each model's costs.
"""

import csv
import json
import math
import os

# Seconds one point took, by level, at the default settings: pilot + 3
# counted runs.  Between levels: interpolated on log c.
# Pairs with a peer (a socket per task: connections to set up, round trips
# that slow at high c) have their own shape.
PRIOR_S = {
    "cpu": {1: 2.0, 16: 2.0, 64: 2.0, 256: 3.0, 1024: 16.0},
    "io": {1: 2.3, 16: 2.0, 64: 1.8, 256: 2.2, 1024: 3.0, 4096: 6.0, 10000: 10.0,
           30000: 25.0, 100000: 60.0},
    "io+peer": {1: 2.3, 16: 2.0, 64: 1.8, 256: 3.0, 1024: 10.0, 4096: 20.0, 10000: 50.0,
                30000: 60.0, 100000: 150.0},
}
QUICK_SCALE = 0.35      # a QUICK point's runs are 0.08 s, not 0.4 s
FAILED_S = 0.3          # a point that is not run (failed below) costs nothing


def prior_s(kind, c, quick=False):
    """The prior's seconds for a point of this kind at level c."""
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


def previous_times(results_dir, exclude=None, quick=False):
    """{(workload, model, c): point_s} from the newest complete run in
    results_dir, of the same size (QUICK or not), that recorded point_s (not
    exclude), or {}."""
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
            with open(os.path.join(d, "results.csv")) as f:
                rows = list(csv.DictReader(f))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        got = {(r["workload"], r["model"], int(r["concurrency"])): float(r["point_s"])
               for r in rows if r.get("point_s")}
        if got:
            return got
    return {}


class Eta:
    """The remaining time of a sweep of points [(workload, kind, model, c)]."""

    def __init__(self, points, quick=False, previous=None):
        self.points = list(points)
        self.quick = quick
        self.previous = previous or {}
        self.done = {}              # index -> seconds measured
        self.failed = set()         # (workload, model): not run above its failure

    def prior(self, i):
        w, kind, m, c = self.points[i]
        p = self.previous.get((w, m, c))
        return p if p else prior_s(kind, c, self.quick)

    def record(self, i, seconds, ran=True, failed=False):
        """Point i took seconds (ran=False: it was not run; failed=True: it
        failed, so the sweep will not run its model above it)."""
        self.done[i] = (seconds, ran)
        if failed:
            self.failed.add((self.points[i][0], self.points[i][2]))

    def _factor(self, match):
        num = den = 0.0
        for i, (s, ran) in self.done.items():
            if ran and match(self.points[i]):
                num += s
                den += self.prior(i)
        return num / den if den > 0 else None

    def remaining(self):
        """Seconds predicted for the points not done yet: a point whose
        (workload, c) has done points is predicted from them (times the
        model's factor); any other from the prior and the factors."""
        h = self._factor(lambda p: True) or 1.0
        f_cache = {}
        groups = {}                 # (w, c) -> {model: seconds} of its done points
        for i, (s, ran) in self.done.items():
            w, _, m, c = self.points[i]
            if ran and s > 0:
                groups.setdefault((w, c), {})[m] = s
        # G(m): how much dearer model m was than the other models at the same
        # (workload, c), geometric mean over the levels it shares with them.
        logs = {}
        for got in groups.values():
            if len(got) < 2:
                continue
            mean = sum(got.values()) / len(got)
            for m, s in got.items():
                logs.setdefault(m, []).append(math.log(s / mean))
        g_of = {m: math.exp(sum(v) / len(v)) for m, v in logs.items()}

        def g(m):
            return g_of.get(m, 1.0)
        level = {k: [s / g(m) for m, s in got.items()] for k, got in groups.items()}
        total = 0.0
        for i, (w, kind, m, c) in enumerate(self.points):
            if i in self.done:
                continue
            if (w, m) in self.failed:
                total += FAILED_S
                continue
            if (w, c) in level:
                total += sum(level[(w, c)]) / len(level[(w, c)]) * g(m)
                continue
            if w not in f_cache:
                f = self._factor(lambda p: p[0] == w)
                f_cache[w] = f / h if f else 1.0
            total += self.prior(i) * f_cache[w] * g(m) * h
        return total
