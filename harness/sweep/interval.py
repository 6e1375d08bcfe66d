"""interval.py - the 95% interval every figure of a point and every verdict carries.

The rule, stated once (README "How sure is a figure"): the repetitions of a
point are independent runs; their figures (throughput, p99) are positive and
their spread is multiplicative, so the interval is taken on the logs:

    point      exp(mean(log x) +- t(n-1) * sd(log x) / sqrt(n))
    ratio a/b  exp(mean(log a) - mean(log b) +- t(df) * sqrt(sa^2/na + sb^2/nb))
               with Welch's df (rounded down: the wider interval)

t is Student's 97.5% quantile.  With 3 runs t(2) = 4.30, so three runs spread
by 2% give about +-5%: the sweep adds runs to such a point (closed_loop.py).
One run has no interval (None).  A leaf module: standard library only, so the
sweep and the report import the same rule.

A figure made of several points, the report's verdicts:

    product    prod(x_i ^ k_i), e.g. a speed-up ratio (best / c=1) of one
               model over another's: the same t on the logs, the variance
               sum(k_i^2 s_i^2 / n_i), Welch-Satterthwaite's df (contrast)
    any other  (a median over concurrency levels, memory per task from two
               peaks): bootstrap over runs, each point's runs resampled on
               their own, BOOT_REPS times with the fixed seed BOOT_SEED, the
               2.5th and 97.5th percentiles (bootstrap).  With 3 runs a
               point has only 10 distinct resamples, so this interval is
               narrower than the t rule's would be: it is used only where
               no t rule applies.
    a median of n repetitions reported only as (median, min, max) (bin/
    calibrate's figures): n = 3 is the whole sample, so the t rule on the
    three; otherwise [min, max], which holds the true median with
    probability 1 - 2^(1-n) (range_coverage: 97% from n = 6).
"""

import math
import random

# Student's t, 97.5% quantile, by degrees of freedom 1..30; above 30 the
# normal approximation below (its error is under 0.5% from df 30 on).
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t975(df):
    """Student's t 97.5% quantile for df >= 1 degrees of freedom (floored)."""
    df = int(math.floor(df))
    if df < 1:
        raise ValueError("t975: df must be at least 1")
    if df <= len(T975):
        return T975[df - 1]
    return 1.960 + 2.4 / df     # Cornish-Fisher's first term, close enough above 30


def _logs(xs):
    xs = [float(x) for x in xs if x is not None]
    if any(x <= 0 for x in xs):
        return None
    return [math.log(x) for x in xs]


def _mean_var(ls):
    m = sum(ls) / len(ls)
    return m, sum((v - m) ** 2 for v in ls) / (len(ls) - 1)


def point(xs):
    """(lo, hi): the 95% interval of a positive figure from its runs xs, or
    None with fewer than two runs or a non-positive figure."""
    ls = _logs(xs)
    if not ls or len(ls) < 2:
        return None
    m, var = _mean_var(ls)
    h = t975(len(ls) - 1) * math.sqrt(var / len(ls))
    return math.exp(m - h), math.exp(m + h)


def half_width(xs, centre):
    """The interval's larger distance from centre (the point's median), as a
    fraction of it: 0.03 is +-3%.  None when there is no interval."""
    iv = point(xs)
    if iv is None or not centre:
        return None
    return max(centre - iv[0], iv[1] - centre) / centre


def ratio(a, b):
    """(lo, hi): the 95% interval of figure a over figure b, from the runs of
    each (Welch on the logs), or None when either has fewer than two runs."""
    la, lb = _logs(a), _logs(b)
    if not la or not lb or len(la) < 2 or len(lb) < 2:
        return None
    ma, va = _mean_var(la)
    mb, vb = _mean_var(lb)
    sa, sb = va / len(la), vb / len(lb)
    se2 = sa + sb
    if se2 == 0:
        return math.exp(ma - mb), math.exp(ma - mb)
    df = se2 ** 2 / ((sa ** 2 / (len(la) - 1) if sa else 0) + (sb ** 2 / (len(lb) - 1) if sb else 0))
    h = t975(df) * math.sqrt(se2)
    return math.exp(ma - mb - h), math.exp(ma - mb + h)


def side(iv, threshold):
    """Where an interval lies against a threshold: 1 wholly above, -1 wholly
    below, 0 crossing it (or no interval): the verdicts' INCONCLUSIVE."""
    if iv is None:
        return 0
    if iv[0] > threshold:
        return 1
    if iv[1] < threshold:
        return -1
    return 0


def runs_for(xs, target, cap):
    """How many runs the spread of xs so far says the interval needs to come
    within target (0.03: +-3%) of its centre, at most cap; len(xs) when it
    already does.  The spread is taken as it is (no prior): two more runs
    move it, so the caller asks again after them."""
    ls = _logs(xs)
    if not ls or len(ls) < 2:
        return min(cap, max(len(xs) + 1, 3))
    sd = math.sqrt(_mean_var(ls)[1])
    limit = math.log(1 + target)
    for n in range(len(ls), cap + 1):
        if t975(n - 1) * sd / math.sqrt(n) <= limit:
            return n
    return cap


BOOT_REPS = 2000        # bootstrap resamples: the percentiles move < 1% between seeds
BOOT_SEED = 20031       # fixed: the same run folder gives the same report


def contrast(terms):
    """(lo, hi): the 95% interval of prod(x_i ^ k_i) from terms [(runs_i,
    k_i)] (Welch-Satterthwaite on the logs; ratio() is [(a, 1), (b, -1)]),
    or None when a term has fewer than two runs or a non-positive figure."""
    est, se2, df_den = 0.0, 0.0, 0.0
    for xs, k in terms:
        ls = _logs(xs)
        if not ls or len(ls) < 2:
            return None
        m, var = _mean_var(ls)
        est += k * m
        part = k * k * var / len(ls)
        se2 += part
        df_den += part * part / (len(ls) - 1)
    if se2 == 0:
        return math.exp(est), math.exp(est)
    h = t975(se2 * se2 / df_den) * math.sqrt(se2)
    return math.exp(est - h), math.exp(est + h)


def bootstrap(groups, statistic, reps=BOOT_REPS, seed=BOOT_SEED):
    """(lo, hi): the 2.5th and 97.5th percentiles of statistic(resampled
    groups) over reps resamples, each group (one point's runs, any objects)
    resampled with replacement on its own; None when a group has fewer than
    two runs or statistic returns None for more than half the resamples.
    Cost: reps calls of statistic."""
    if not groups or any(len(g) < 2 for g in groups):
        return None
    rng = random.Random(seed)
    got = []
    for _ in range(reps):
        v = statistic([[g[rng.randrange(len(g))] for _ in g] for g in groups])
        if v is not None and math.isfinite(v):
            got.append(v)
    if len(got) * 2 < reps:
        return None
    got.sort()
    return got[int(0.025 * (len(got) - 1))], got[int(math.ceil(0.975 * (len(got) - 1)))]


def range_coverage(n):
    """How often [min, max] of n repetitions holds their true median:
    1 - 2^(1-n) (0.75 for 3, 0.97 for 6); 0 for fewer than 2."""
    return 1 - 2.0 ** (1 - n) if n >= 2 else 0.0


def from_summary(median, lo, hi, n):
    """(lo, hi, how) of a figure reported as the median of n repetitions
    with their min and max: the t rule when n = 3 (the three are the whole
    sample), else [min, max] with how = its coverage (range_coverage)."""
    if n == 3:
        iv = point([lo, median, hi])
        if iv is not None:
            return iv[0], iv[1], 0.95
    return lo, hi, range_coverage(n)
