"""interval.py - the 95% interval every figure of a point and every verdict carries.

The rule, stated once (docs/methodology.md, "How sure is a figure"): the repetitions of a
point are independent runs; their figures (throughput, p99) are positive and
their spread is multiplicative, so the interval is taken on the logs:

    point      exp(mean(log x) +- t(n-1) * sd(log x) / sqrt(n))
    paired     a/b of two points measured in the same rounds (the sweep runs
               the models of one (workload, c) in rounds: run i of each model
               in round i): the t interval of the n differences
               log a_i - log b_i, t(n-1).  A drift that moves a whole round
               cancels in each difference.
    ratio a/b  (runs not paired: two levels, two sweeps)
               exp(mean(log a) - mean(log b) +- t(df) * sqrt(sa^2/na + sb^2/nb))
               with Welch's df (rounded down: the wider interval)

t is Student's quantile, 97.5% for the 95% interval.  With 3 runs t(2) =
4.30, so three runs spread by 2% give about +-5%.  The number of runs is
fixed before the counted runs start (harness/sweep/rounds.py), never grown
while the interval is wide: stopping when the runs happen to agree is what
made the old intervals cover 91% instead of 95%.  One run has no interval
(None).  Every interval takes a level (default 0.95): a verdict over k
intervals asks for 1 - 0.05 / k of each (Holm, scripts/report/judge.py).
A leaf module: standard library only, so the sweep and the report import
the same rule.

A figure made of several points, the report's verdicts:

    product    prod(x_i ^ k_i), e.g. a speed-up ratio (best / c=1) of one
               model over another's: the same t on the logs, the variance
               sum(k_i^2 s_i^2 / n_i), Welch-Satterthwaite's df (contrast)
    any other  (a median over concurrency levels, memory per task from two
               peaks): bootstrap over runs, each point's runs resampled on
               their own (the points of one round set resampled together:
               links), BOOT_REPS times with the fixed seed BOOT_SEED, the
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


def _betacf(a, b, x):
    """The continued fraction of the incomplete beta function (modified
    Lentz), as in Numerical Recipes' betacf: converges for x < (a+1)/(a+b+2)."""
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + num * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-14:
            break
    return h


def _ibeta(a, b, x):
    """The regularized incomplete beta function I_x(a, b), 0 <= x <= 1."""
    if x <= 0 or x >= 1:
        return 0.0 if x <= 0 else 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log(1 - x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def t_tail(t, df):
    """P(T > t) for Student's T with df degrees of freedom, t >= 0."""
    return 0.5 * _ibeta(df / 2.0, 0.5, df / (df + t * t))


def t_quantile(level, df):
    """The t quantile of a two-sided interval of this level (0.95: the
    97.5% quantile) with df degrees of freedom (floored, >= 1).  The 0.95
    level reads T975 (the figures every older report printed); any other is
    solved from the tail, to 1e-9.  Cost: ~40 incomplete beta evaluations
    the first time a (level, df) is asked, a dictionary look-up after."""
    if not 0 < level < 1:
        raise ValueError("t_quantile: level must be in (0, 1)")
    if abs(level - 0.95) < 1e-12:
        return t975(df)
    df = int(math.floor(df))
    if df < 1:
        raise ValueError("t_quantile: df must be at least 1")
    key = (round(level, 12), min(df, T_DF_CAP))
    if key not in _T_SOLVED:
        _T_SOLVED[key] = _t_solve(*key)
    return _T_SOLVED[key]


T_DF_CAP = 100000       # df above this: the quantile moves < 1e-5 (solved at the cap)
_T_SOLVED = {}          # (level, df) -> quantile: t_quantile's memory


def _t_solve(level, df):
    """t_quantile's bisection on the tail."""
    tail = (1 - level) / 2
    lo, hi = 0.0, 1.0
    while t_tail(hi, df) > tail:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_tail(mid, df) > tail:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-9:
            break
    return (lo + hi) / 2


def _logs(xs):
    xs = [float(x) for x in xs if x is not None]
    if any(x <= 0 for x in xs):
        return None
    return [math.log(x) for x in xs]


def _mean_var(ls):
    m = sum(ls) / len(ls)
    return m, sum((v - m) ** 2 for v in ls) / (len(ls) - 1)


def point(xs, level=0.95):
    """(lo, hi): the interval of a positive figure from its runs xs at this
    level (default 95%), or None with fewer than two runs or a non-positive
    figure."""
    ls = _logs(xs)
    if not ls or len(ls) < 2:
        return None
    m, var = _mean_var(ls)
    h = t_quantile(level, len(ls) - 1) * math.sqrt(var / len(ls))
    return math.exp(m - h), math.exp(m + h)


def half_width(xs, centre):
    """The interval's larger distance from centre (the point's median), as a
    fraction of it: 0.03 is +-3%.  None when there is no interval."""
    iv = point(xs)
    if iv is None or not centre:
        return None
    return max(centre - iv[0], iv[1] - centre) / centre


def paired_terms(groups):
    """The per-round log figure sum(k * log x_r) of terms [(runs, k)] whose
    runs were made in the same rounds (run r of each in round r), or None:
    a term without runs, a non-positive figure, or runs of unequal count."""
    logs = []
    for xs, k in groups:
        ls = _logs(xs)
        if not ls or (logs and len(ls) != len(logs[0][0])):
            return None
        logs.append((ls, k))
    return [sum(k * ls[r] for ls, k in logs) for r in range(len(logs[0][0]))]


def paired(a, b, level=0.95):
    """(lo, hi): the interval of figure a over figure b from runs made in
    the same rounds (a[i] and b[i] in round i): the t interval of the
    differences of their logs, n - 1 degrees of freedom; None with fewer
    than two rounds, unequal counts or a non-positive figure."""
    d = paired_terms([(a, 1), (b, -1)])
    if not d or len(d) < 2:
        return None
    m, var = _mean_var(d)
    h = t_quantile(level, len(d) - 1) * math.sqrt(var / len(d))
    return math.exp(m - h), math.exp(m + h)


def ratio(a, b, level=0.95):
    """(lo, hi): the interval of figure a over figure b, from the runs of
    each (Welch on the logs: runs not paired), or None when either has fewer
    than two runs."""
    return contrast([(a, 1), (b, -1)], level)


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


BOOT_REPS = 2000        # bootstrap resamples: the percentiles move < 1% between seeds
BOOT_SEED = 20031       # fixed: the same run folder gives the same report


def contrast(terms, level=0.95):
    """(lo, hi): the interval of prod(x_i ^ k_i) from terms [(runs_i, k_i)]
    of independent points (Welch-Satterthwaite on the logs; ratio() is
    [(a, 1), (b, -1)]), or None when a term has fewer than two runs or a
    non-positive figure.  Points measured in the same rounds are first made
    one term by the caller (paired_terms), so their round's drift cancels."""
    got = log_terms(terms)
    return t_interval(*got, level=level) if got else None


def log_terms(terms):
    """(estimate, se, df) on the logs of prod(x_i ^ k_i) from independent
    terms [(runs_i, k_i)]: the variance sum(k_i^2 s_i^2 / n_i) and
    Welch-Satterthwaite's df, for an interval at any level (t_interval);
    None when a term has fewer than two runs or a non-positive figure."""
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
    return est, math.sqrt(se2), (se2 * se2 / df_den if df_den else float("inf"))


def t_interval(est, se, df, level=0.95):
    """(lo, hi) = exp(est +- t(df) se) at this level (log_terms' output)."""
    h = t_quantile(level, df if math.isfinite(df) else 1e9) * se if se else 0.0
    return math.exp(est - h), math.exp(est + h)


def bootstrap_dist(groups, statistic, reps=BOOT_REPS, seed=BOOT_SEED, links=()):
    """The sorted values of statistic(resampled groups) over reps resamples,
    each group (one point's runs, any objects) resampled with replacement
    on its own, except the groups of one link (a list of group indices:
    points measured in the same rounds, equal run counts), which take the
    same resampled rounds; None when a group has fewer than two runs or
    statistic returns None for more than half the resamples.  Cost: reps
    calls of statistic."""
    if not groups or any(len(g) < 2 for g in groups):
        return None
    lead = list(range(len(groups)))      # the group whose indices each one takes
    for link in links or ():
        link = list(link)
        if any(len(groups[i]) != len(groups[link[0]]) for i in link):
            return None
        for i in link:
            lead[i] = link[0]
    rng = random.Random(seed)
    got = []
    for _ in range(reps):
        idx = {}
        for i, g in enumerate(groups):
            if lead[i] == i:
                idx[i] = [rng.randrange(len(g)) for _ in g]
        v = statistic([[g[j] for j in idx[lead[i]]] for i, g in enumerate(groups)])
        if v is not None and math.isfinite(v):
            got.append(v)
    if len(got) * 2 < reps:
        return None
    got.sort()
    return got


def dist_interval(dist, level=0.95):
    """(lo, hi): the (1 - level) / 2 and (1 + level) / 2 percentiles of a
    sorted bootstrap distribution (bootstrap_dist)."""
    tail = (1 - level) / 2
    return (dist[int(tail * (len(dist) - 1))],
            dist[int(math.ceil((1 - tail) * (len(dist) - 1)))])


def bootstrap(groups, statistic, reps=BOOT_REPS, seed=BOOT_SEED, links=()):
    """(lo, hi): the 2.5th and 97.5th percentiles of bootstrap_dist, or None."""
    dist = bootstrap_dist(groups, statistic, reps, seed, links)
    return dist_interval(dist) if dist else None


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
