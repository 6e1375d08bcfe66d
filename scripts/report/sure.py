"""sure.py - how sure a figure is: each number a verdict or a comparison uses, with its interval.

The rule itself lives in harness/sweep/interval.py (docs/methodology.md "How sure is a
figure"): a t interval on the logs of a point's counted runs, Welch's for a
ratio or a product of points, a bootstrap over runs for any other figure
made of several points.  This module feeds it the runs: attach_runs() reads
each point's per-run figures (RUN_DIR/stats/WORKLOAD-MODEL-cC.jsonl, one
JSON line per run, the warm-up first: the counted runs are the last `runs`
lines, `runs` being results.csv's column) into row[RUNS_KEY].

Points measured in the same rounds (a sweep's models of one (workload, c):
results.csv's rounds equal to runs) are paired: a ratio or product of them
is taken from each round's figures together (interval.paired_terms), so a
drift that moved a whole round cancels; a bootstrap resamples their rounds
together.  attach_runs marks them (row[GROUP_KEY]).

A run folder without those files (an older sweep) falls back to results.csv's
min and max: the figure's range over its runs, labelled "interval not
measured", never an interval made up.  A point with one run has neither.

    Fig(value, lo, hi, how, at): value the point's median (or a ratio of
    medians), [lo, hi] its 95% interval, how one of T95, BOOT95, RANGE,
    None; at(level) the interval at another level (a verdict over k
    intervals asks for 1 - 0.05 / k: judge.py).
    decide(fig, confirm, refute): CONFIRMED, REFUTED or INCONCLUSIVE.
"""

import itertools
import json
import math
import os
import re
import statistics

from harness.sweep import interval

from .fmt import DASH, is_num

STATS_DIR = "stats"             # RUN_DIR/stats/WORKLOAD-MODEL-cC.jsonl
RUNS_KEY = "_runs"              # row[RUNS_KEY]: the counted runs' JSON objects, or None
GROUP_KEY = "_rounds"           # row[GROUP_KEY]: (folder, workload, c) of a point measured in
                                # rounds (its runs paired with its group's), or None
MAX_CORNERS = 10                # the min/max fallback of a many-point figure tries every
                                # corner of the points' ranges: 2^10 evaluations at most
CONFIRMED, REFUTED, INCONCLUSIVE = "CONFIRMED", "REFUTED", "INCONCLUSIVE"
T95, BOOT95, RANGE = "t", "bootstrap", "range"
# results.csv columns of a figure's interval (written by newer sweeps) and of
# its range over the runs: {figure: (lo, hi)}.
LOHI_COLUMNS = {"throughput": ("throughput_lo", "throughput_hi"), "p99_us": ("p99_lo", "p99_hi")}


def range_columns(key):
    """results.csv's min and max columns of a figure: throughput_min, ..."""
    return key + "_min", key + "_max"


LEVEL = 0.95                    # the level every interval is shown at


class Fig:
    """A figure and how sure it is: value, [lo, hi] and how that interval
    was made (T95: the t or Welch rule; BOOT95: the bootstrap; RANGE: the
    runs' min..max, interval not measured; None: no interval); at_fn(level)
    the interval at another level, or None (a RANGE: one level only)."""

    __slots__ = ("value", "lo", "hi", "how", "at_fn")

    def __init__(self, value, lo=None, hi=None, how=None, at=None):
        self.value, self.lo, self.hi, self.how, self.at_fn = value, lo, hi, how, at
        if how is None or not (is_num(lo) and is_num(hi)):
            self.lo = self.hi = self.how = self.at_fn = None

    def iv(self):
        """(lo, hi), or None without an interval."""
        return None if self.how is None else (self.lo, self.hi)

    def at(self, level):
        """(lo, hi) at this level (0.995: the interval one of ten gets under
        Holm), or None without an interval.  A figure that has only its
        range (RANGE) gives that at every level."""
        if self.how is None:
            return None
        if abs(level - LEVEL) < 1e-12 or self.at_fn is None:
            return self.iv()
        return self.at_fn(level)


def stats_path(run_dir, workload, model, c):
    return os.path.join(run_dir, STATS_DIR, "%s-%s-c%s.jsonl" % (workload, model, c))


def read_runs(path, n, row):
    """The last n JSON lines of path, when they are n ok runs of row's point;
    None otherwise (no file, fewer lines, a damaged line)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = [ln for ln in f.read().splitlines() if ln.strip()]
    except (OSError, UnicodeDecodeError):
        return None
    if not isinstance(n, int) or n < 1 or len(lines) < n:
        return None
    try:
        runs = [json.loads(ln) for ln in lines[-n:]]
    except ValueError:
        return None
    if not all(isinstance(s, dict) and s.get("status", "ok") == "ok"
               and s.get("concurrency", row.get("concurrency")) == row.get("concurrency")
               for s in runs):
        return None
    return runs


def attach_runs(run_dir, rows):
    """Put each ok row's counted runs (or None) in row[RUNS_KEY], and its
    round group in row[GROUP_KEY] when its runs were made in rounds (its
    rounds column equals its runs); returns the number of rows that got
    runs.  Cost: one small file per point."""
    got = 0
    for r in rows:
        runs = None
        if r.get("status") == "ok":
            runs = read_runs(stats_path(run_dir, r.get("workload"), r.get("model"),
                                        r.get("concurrency")), r.get("runs"), r)
        set_runs(r, runs, os.path.abspath(run_dir))
        got += runs is not None
    return got


def set_runs(row, runs, folder):
    """row's counted runs (JSON objects, or None) into row[RUNS_KEY], and
    its round group (folder, workload, c) into row[GROUP_KEY] when they were
    made in rounds: results.csv's rounds equal to their count."""
    row[RUNS_KEY] = runs
    row[GROUP_KEY] = None
    if runs and is_num(row.get("rounds")) and row.get("rounds") == len(runs):
        row[GROUP_KEY] = (folder, row.get("workload"), row.get("concurrency"))


def group_of(row):
    """The round group of a row (attach_runs), or None: not paired."""
    return row.get(GROUP_KEY) if row else None


def runs_of(row, key):
    """The counted runs' values of one figure, or None (no runs attached, a
    run without the figure, or a non-positive one)."""
    runs = row.get(RUNS_KEY) if row else None
    if not runs:
        return None
    xs = [s.get(key) for s in runs]
    if not all(is_num(x) and x > 0 for x in xs):
        return None
    return [float(x) for x in xs]


def measured(rows):
    """True when every ok row of rows has its runs: the intervals are measured."""
    return all(r.get(RUNS_KEY) for r in rows if r.get("status") == "ok")


def _range(row, key):
    lo, hi = (row.get(c) for c in range_columns(key))
    n = row.get("runs")
    if is_num(lo) and is_num(hi) and lo > 0 and (not is_num(n) or n >= 2):
        return lo, hi
    return None


def point(row, key):
    """One point's figure with its 95% interval from its runs, else
    results.csv's interval columns, else its min..max (RANGE)."""
    v = row.get(key)
    xs = runs_of(row, key)
    iv = interval.point(xs) if xs else None
    if iv:
        return Fig(v, iv[0], iv[1], T95, lambda level: interval.point(xs, level))
    lo_c, hi_c = LOHI_COLUMNS.get(key, (None, None))
    if lo_c and is_num(row.get(lo_c)) and is_num(row.get(hi_c)):
        return Fig(v, row[lo_c], row[hi_c], T95)
    rg = _range(row, key)
    return Fig(v, rg[0], rg[1], RANGE) if rg else Fig(v)


def product(terms):
    """prod(row[key] ^ k) over terms [(row, key, k)], with its interval:
    interval.contrast on the runs, else the corners of the min..max ranges."""
    value = 1.0
    for row, key, k in terms:
        x = row.get(key)
        if not (is_num(x) and x > 0):
            return Fig(None)
        value *= x ** k
    runs = [runs_of(row, key) for row, key, _ in terms]
    if all(runs):
        got = interval.log_terms(paired_terms([(row, xs, k) for xs, (row, _, k)
                                              in zip(runs, terms)]))
        if got:
            lo, hi = interval.t_interval(*got)
            return Fig(value, lo, hi, T95, lambda level: interval.t_interval(*got, level=level))
    ranges = [_range(row, key) for row, key, _ in terms]
    if all(ranges):
        lo = hi = 1.0
        for (a, b), (_, _, k) in zip(ranges, terms):
            lo *= (a if k > 0 else b) ** k
            hi *= (b if k > 0 else a) ** k
        return Fig(value, lo, hi, RANGE)
    return Fig(value)


def paired_terms(terms):
    """[(runs, k)] for interval.log_terms from [(row, runs, k)]: the terms
    of one round group made one term (each round's sum(k * log x), as its
    exp), so the points of a round are paired; the others as they are."""
    out, groups = [], {}
    for row, xs, k in terms:
        g = group_of(row)
        if g is None:
            out.append((xs, k))
        else:
            groups.setdefault(g, []).append((xs, k))
    for members in groups.values():
        if len(members) == 1:
            out.append(members[0])
            continue
        per_round = interval.paired_terms(members)
        if per_round is None:       # unequal rounds: not paired after all
            out += members
        else:
            out.append(([math.exp(v) for v in per_round], 1))
    return out


def ratio(a, b, key, key_b=None):
    """a[key] / b[key_b or key] with its 95% interval (Welch on the runs)."""
    return product([(a, key, 1), (b, key_b or key, -1)])


def _median_record(runs, keys):
    """{key: median over runs} of one point's (resampled) runs."""
    out = {}
    for k in keys:
        xs = [s.get(k) for s in runs]
        out[k] = statistics.median(xs) if all(is_num(x) for x in xs) else None
    return out


def many(rows, keys, stat, noise=None):
    """A figure of several points: stat(records) with records one dict per
    row ({key: value}, each row's medians), and its interval: the bootstrap
    over runs (interval.bootstrap), else the lowest and highest stat over the
    corners of the rows' min..max ranges (RANGE); noise ({key: +-amount})
    stands for the range of a figure results.csv gives no min and max of (a
    peak's known run-to-run noise).  stat returns a number or None."""
    def safe(recs):
        try:
            v = stat(recs)
        except (ZeroDivisionError, TypeError, ValueError):
            return None
        return v if is_num(v) else None
    value = safe([{k: r.get(k) for k in keys} for r in rows])
    if value is None:
        return Fig(None)
    groups = [r.get(RUNS_KEY) for r in rows]
    if all(groups):
        links = {}
        for i, r in enumerate(rows):
            if group_of(r) is not None:
                links.setdefault(group_of(r), []).append(i)
        dist = interval.bootstrap_dist(groups, lambda gs: safe([_median_record(g, keys)
                                                                for g in gs]),
                                       links=[v for v in links.values() if len(v) > 1])
        if dist:
            lo, hi = interval.dist_interval(dist)
            return Fig(value, lo, hi, BOOT95, lambda level: interval.dist_interval(dist, level))
        return Fig(value)
    def rng(r, k):
        got = _range(r, k)
        if got is None and k in (noise or {}) and is_num(r.get(k)):
            got = (r[k] - noise[k], r[k] + noise[k])
        return got
    ranges = [[rng(r, k) for k in keys] for r in rows]
    if len(rows) * len(keys) > MAX_CORNERS or not all(all(x) for x in ranges):
        return Fig(value)
    got = []
    for corner in itertools.product((0, 1), repeat=len(rows) * len(keys)):
        recs, i = [], 0
        for rg in ranges:
            rec = {}
            for k, lohi in zip(keys, rg):
                rec[k] = lohi[corner[i]]
                i += 1
            recs.append(rec)
        v = safe(recs)
        if v is not None:
            got.append(v)
    return Fig(value, min(got), max(got), RANGE) if got else Fig(value)


def decide(fig, confirm, refute=None, higher=True):
    """CONFIRMED when fig's whole interval lies beyond confirm (above it,
    or below when higher is False), REFUTED when it lies wholly on the other
    side of refute (default: confirm), INCONCLUSIVE otherwise: the interval
    crosses a threshold, sits between the two, or there is none."""
    refute = confirm if refute is None else refute
    iv = fig.iv()
    if iv is None:
        return INCONCLUSIVE
    s = 1 if higher else -1
    if interval.side(iv, confirm) == s:
        return CONFIRMED
    if interval.side(iv, refute) == -s:
        return REFUTED
    return INCONCLUSIVE


def span(fig, f, near=()):
    """'1.12–1.31x', '229–238k/s' (f formats one number; a unit both ends
    share is written once), or a dash.  An end that would read the same as
    one of the thresholds near is written with one more digit (when f takes
    digits), so '1.10–1.38x' against 1.10x reads '1.098–1.380x'."""
    if fig.how is None:
        return DASH
    digits = None
    if any(f(x) == f(t) for x in (fig.lo, fig.hi) for t in near):
        try:
            f(1.0, 4)
            digits = 4
        except TypeError:
            pass
    lo, hi = (f(x) if digits is None else f(x, digits) for x in (fig.lo, fig.hi))
    unit = ""
    while lo and hi and lo[-1] == hi[-1] and not lo[-1].isdigit():
        unit, lo, hi = lo[-1] + unit, lo[:-1], hi[:-1]
    if not lo or not hi or not (lo[-1].isdigit() and hi[-1].isdigit()):
        return "%s–%s" % (lo + unit, hi + unit)
    return "%s–%s%s" % (lo, hi, unit)


def text(fig, f):
    """'1.26x (1.22–1.30x)': the figure and its 95% interval; 'range' before
    a min..max (interval not measured), '(no interval)' without either."""
    if fig.how is None:
        return "%s (no interval)" % f(fig.value)
    return "%s (%s%s)" % (f(fig.value), "range " if fig.how == RANGE else "", span(fig, f))


FACT = "fact"                   # Sure.decider when a fact, not an interval, decided
HOW_WORDS = {T95: "95% interval", BOOT95: "95% bootstrap interval",
             RANGE: "min–max of the runs (interval not measured)", None: "no interval"}


def rule_text(f, confirm, refute=None, higher=True, band=False):
    """'CONFIRMED above 1.10x, REFUTED below 0.900x' (one number when both
    thresholds are one); band: confirm..refute is the band the claim states
    (its size with a margin): 'CONFIRMED inside 1.14–1.49x, REFUTED
    outside'."""
    if band:
        return "CONFIRMED inside %s–%s, REFUTED outside" % (f(confirm), f(refute))
    refute = confirm if refute is None else refute
    above, below = ("above", "below") if higher else ("below", "above")
    if refute == confirm:
        return "CONFIRMED %s, REFUTED %s %s" % (above, below, f(confirm))
    return "CONFIRMED %s %s, REFUTED %s %s" % (above, f(confirm), below, f(refute))


class Sure:
    """A verdict's "how sure" cell: the deciding figures grouped by what they
    measure and their thresholds, each group one clause: '95% intervals of
    async/threads throughput: io_sleep c=256 1.10–1.38x, io_backend c=256
    2.13–2.72x; CONFIRMED above 1.10x, REFUTED below 0.900x'."""

    def __init__(self):
        self.groups = {}        # (what, f, confirm, refute, higher, band) -> [(label, fig)]
        self.notes = []
        self.decider = None     # the Fig that decided the verdict (judge.Judge.decider),
                                # or FACT: a fact did (its note says which)

    def add(self, what, label, fig, f, confirm, refute=None, higher=True, band=False):
        """fig, labelled, in the clause of what with these thresholds (band:
        confirm..refute is a band the claim states, rule_text)."""
        self.groups.setdefault((what, f, confirm, refute, higher, band), []).append(
            (label, fig))

    def note(self, text):
        self.notes.append(text)

    def figure(self):
        """The deciding figure for the report's summary: {"what", "label",
        "text" (the figure and its interval), "value", "lo", "hi", "how",
        "rule" (its thresholds)}, found among the figures added; a fact's
        or a figure-less rule's first note as {"text"}; None without
        either."""
        fig = self.decider
        if fig is not None and fig is not FACT:
            for (what, f, confirm, refute, higher, band), items in self.groups.items():
                for label, g in items:
                    if g is fig:
                        return {"what": what, "label": label, "text": text(fig, f),
                                "value": fig.value, "lo": fig.lo, "hi": fig.hi,
                                "how": HOW_WORDS[fig.how],
                                "rule": rule_text(f, confirm, refute, higher, band)}
        return {"text": self.notes[0]} if self.notes else None

    def lines(self):
        out = []
        for (what, f, confirm, refute, higher, band), items in self.groups.items():
            hows = {fig.how for _, fig in items}
            word = HOW_WORDS[hows.pop()] if len(hows) == 1 else "intervals"
            near = (confirm, confirm if refute is None else refute)
            cells = ["%s%s%s" % (label + " " if label else "", span(fig, f, near) if fig.how
                                 else "%s (no interval)" % f(fig.value),
                                 " (range)" if fig.how == RANGE and word == "intervals" else "")
                     for label, fig in items]
            out.append("%s of %s: %s; %s" % (word, what, ", ".join(cells),
                                             rule_text(f, confirm, refute, higher, band)))
        return out + self.notes


def fold(fig):
    """How far apart two figures are, either way: max(r, 1/r) of a ratio
    fig, its interval folded too (1 at its low end when it holds 1)."""
    if not (is_num(fig.value) and fig.value > 0):
        return Fig(None)
    v = max(fig.value, 1 / fig.value)
    if fig.how is None:
        return Fig(v)

    def folded(iv):
        lo, hi = iv
        if lo <= 1 <= hi:
            return 1.0, max(hi, 1 / lo)
        return min(max(lo, 1 / lo), max(hi, 1 / hi)), max(max(lo, 1 / lo), max(hi, 1 / hi))
    lo, hi = folded(fig.iv())
    return Fig(v, lo, hi, fig.how, lambda level: folded(fig.at(level)))


# bin/calibrate's figures end their `what` with "cal_median of N (min X max Y)".
CAL_SUMMARY = re.compile(r"cal_median of (\d+) \(min ([-+0-9.eE]+) max ([-+0-9.eE]+)\)")


def cal_sample(cal, name):
    """(median, [min, median, max] or None, (min, max) or None, n) of one
    calibration figure, or None when calibration.csv lacks it."""
    f = (cal or {}).get(name)
    if not f or not is_num(f.get("value")) or f["value"] <= 0:
        return None
    m = CAL_SUMMARY.search(f.get("what") or "")
    if not m:
        return f["value"], None, None, 1
    n, lo, hi = int(m.group(1)), float(m.group(2)), float(m.group(3))
    return f["value"], ([lo, f["value"], hi] if n == 3 else None), (lo, hi), n


def cal_ratio(cal, a, b):
    """Calibration figure a over figure b with its interval: Welch on the
    three runs when each is a median of 3 (the whole sample), else the
    corners of their min..max ranges (RANGE); None when either is absent."""
    sa, sb = cal_sample(cal, a), cal_sample(cal, b)
    if not sa or not sb:
        return None
    v = sa[0] / sb[0]
    if sa[1] and sb[1]:
        iv = interval.ratio(sa[1], sb[1])
        if iv:
            return Fig(v, iv[0], iv[1], T95,
                       lambda level: interval.ratio(sa[1], sb[1], level))
    if sa[2] and sb[2] and sa[2][0] > 0 and sb[2][0] > 0:
        return Fig(v, sa[2][0] / sb[2][1], sa[2][1] / sb[2][0], RANGE)
    return Fig(v)
