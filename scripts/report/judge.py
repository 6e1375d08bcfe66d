"""judge.py - one verdict from several intervals, its error held over all of them.

A claim is judged on intervals (sure.Fig), each tested against a region:
a confirm test passes when the figure's interval lies wholly inside the
region the claim says it is in (above a threshold, below one, or inside a
band: the claim states a size, so it is tested against that size with an
equivalence margin, as in two one-sided tests, TOST); a refute test passes
when the interval lies wholly inside the region that contradicts the claim.
A claim of the usual kind holds only where all its parts hold ("at every
level", "on every pair"): then

    CONFIRMED  every confirm test passes at the 95% level: an intersection,
               which needs no adjustment (each test's own error bounds the
               whole: a union-intersection test)
    REFUTED    some refute test passes at 1 - 0.05 / k (k: the claim's refute
               tests): a union, Holm's rule (whose first step decides
               whether any is rejected: the smallest at 0.05 / k)

so each verdict is wrong at most 2.5% of the time (one side of a 95%
interval) when the truth sits on its boundary, however many intervals the
claim rests on.  The rule before read REFUTED from any one of them at 95%:
Tyma's claim, judged on about ten, came out falsely REFUTED about 22% of
the time at a true tie.  A claim that one case shows (any_confirms: "a
thread per client runs out of memory" needs one pair) mirrors it: CONFIRMED
when one confirm test passes at 1 - 0.05 / k, REFUTED when every refute test
passes at 95%.  A fact (a thread that failed where async ran) decides its
part outright.  Both verdicts at once (two figures disagree) is
INCONCLUSIVE, and so is neither.

tests/test_coverage.sh runs these rules on simulated runs: at a true tie
and on the boundaries false CONFIRMED and false REFUTED stay under 5%.
"""

import math

from .sure import CONFIRMED, INCONCLUSIVE, LEVEL, REFUTED

ALPHA = 1 - LEVEL               # the family's error: 5% two-sided, 2.5% each way


def inside(iv, lo=None, hi=None):
    """True when the interval iv lies wholly inside (lo, hi) (None: no
    bound on that side)."""
    return iv is not None and (lo is None or iv[0] > lo) and (hi is None or iv[1] < hi)


def holm_level(k):
    """The level each of k intervals is taken at when any one of them may
    decide (Holm's first step: 0.05 / k each): 0.95 for one, 0.995 for ten."""
    return 1 - ALPHA / max(1, k)


class Judge:
    """The tests of one claim, and its verdict (verdict())."""

    def __init__(self, any_confirms=False):
        self.any = any_confirms
        self.confirms = []  # (fig, lo, hi): confirmed inside (lo, hi)
        self.refutes = []   # (fig, under, over): refuted wholly below under or above over
        self.facts = []     # CONFIRMED or REFUTED, given outright (no interval)

    def confirm(self, fig, lo=None, hi=None):
        """A confirm test: the claim says fig lies in (lo, hi)."""
        self.confirms.append((fig, lo, hi))

    def refute(self, fig, under=None, over=None):
        """A refute test: fig wholly below under, or wholly above over,
        contradicts the claim."""
        self.refutes.append((fig, under, over))

    def fact(self, verdict):
        """A part decided without an interval (a failure is a fact, not a
        sample): CONFIRMED or REFUTED."""
        self.facts.append(verdict)

    def empty(self):
        return not (self.confirms or self.refutes or self.facts)

    def _confirmed(self, fig, lo, hi, level):
        return inside(fig.at(level), lo, hi)

    def _refuted(self, fig, under, over, level):
        iv = fig.at(level)
        return iv is not None and ((under is not None and iv[1] < under) or
                                   (over is not None and iv[0] > over))

    def confirmed(self):
        """True when the claim's confirm tests show it (see the module)."""
        if self.any:
            level = holm_level(len(self.confirms))
            return CONFIRMED in self.facts or any(
                self._confirmed(f, lo, hi, level) for f, lo, hi in self.confirms)
        return (bool(self.confirms) or CONFIRMED in self.facts) and REFUTED not in self.facts \
            and all(self._confirmed(f, lo, hi, LEVEL) for f, lo, hi in self.confirms)

    def refuted(self):
        """True when the claim's refute tests show it is wrong."""
        if self.any:
            return (bool(self.refutes) or REFUTED in self.facts) and CONFIRMED not in self.facts \
                and all(self._refuted(f, u, o, LEVEL) for f, u, o in self.refutes)
        level = holm_level(len(self.refutes))
        return REFUTED in self.facts or any(self._refuted(f, u, o, level)
                                            for f, u, o in self.refutes)

    def verdict(self):
        """CONFIRMED, REFUTED or INCONCLUSIVE (both, or neither)."""
        c, r = self.confirmed(), self.refuted()
        return CONFIRMED if c and not r else REFUTED if r and not c else INCONCLUSIVE

    def decider(self, verdict=None):
        """The figure that decided the verdict (verdict() unless given), for
        the report's summary: CONFIRMED by every confirm test, the one
        nearest its threshold (the one that held it back least); CONFIRMED
        by one case, the clearest; REFUTED by one refute test, the clearest;
        REFUTED by all, the nearest; INCONCLUSIVE, the confirm test that fell
        furthest short (the refute test that passed, when both verdicts came).
        None when a fact (no interval) decided it, or no test fits."""
        verdict = verdict or self.verdict()
        if verdict == CONFIRMED:
            if CONFIRMED in self.facts and (self.any or not self.confirms):
                return None
            level = holm_level(len(self.confirms)) if self.any else LEVEL
            held = [(margin(f.at(level), lo, hi), f) for f, lo, hi in self.confirms
                    if self._confirmed(f, lo, hi, level)]
            return pick(held, clearest=self.any)
        if verdict == REFUTED:
            if REFUTED in self.facts and not self.any:
                return None
            level = LEVEL if self.any else holm_level(len(self.refutes))
            held = [(refute_margin(f.at(level), u, o), f) for f, u, o in self.refutes
                    if self._refuted(f, u, o, level)]
            return pick(held, clearest=not self.any)
        if self.confirmed() and self.refuted():
            return self.decider(REFUTED)
        short = [(margin(f.at(LEVEL), lo, hi), f) for f, lo, hi in self.confirms
                 if not self._confirmed(f, lo, hi, LEVEL)]
        return pick(short, clearest=False) or pick(
            [(0.0, f) for f, _, _ in self.confirms + self.refutes], clearest=False)

    def note(self):
        """How the tests were combined, for the "how sure" cell: '' for a
        claim on one interval each way."""
        kc, kr = len(self.confirms), len(self.refutes)
        if self.any and kc > 1:
            return ("one case confirms: one of %d intervals wholly past its threshold at "
                    "%s (Holm), refuted only where all %d are at 95%%"
                    % (kc, pct(holm_level(kc)), kr))
        if not self.any and kr > 1:
            return ("CONFIRMED needs all %d intervals wholly past their thresholds at 95%%; "
                    "REFUTED one of %d at %s (Holm over the %d)" % (
                        kc, kr, pct(holm_level(kr)), kr))
        return ""


def log_gap(a, b):
    """How far a lies above b, in log terms where both are positive (a
    ratio's scale), else as a plain difference."""
    return math.log(a / b) if a > 0 and b > 0 else a - b


def margin(iv, lo=None, hi=None):
    """How far the interval iv lies inside (lo, hi): the smaller gap to a
    bound, negative when it crosses one; -inf without an interval."""
    if iv is None:
        return -math.inf
    gaps = ([log_gap(iv[0], lo)] if lo is not None else []) + \
        ([log_gap(hi, iv[1])] if hi is not None else [])
    return min(gaps) if gaps else 0.0


def refute_margin(iv, under=None, over=None):
    """How far the interval iv lies past a refute test's bound (the larger
    gap of the two sides)."""
    if iv is None:
        return -math.inf
    gaps = ([log_gap(under, iv[1])] if under is not None else []) + \
        ([log_gap(iv[0], over)] if over is not None else [])
    return max(gaps) if gaps else 0.0


def pick(scored, clearest):
    """The figure of [(margin, fig)] with the largest margin (clearest) or
    the smallest, the first on a tie; None for none."""
    if not scored:
        return None
    best = scored[0]
    for s in scored[1:]:
        if (s[0] > best[0]) if clearest else (s[0] < best[0]):
            best = s
    return best[1]


def pct(level):
    """'99.5%': a level as people read it."""
    text = "%.3f" % (100 * level)
    return text.rstrip("0").rstrip(".") + "%"
