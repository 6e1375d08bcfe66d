#!/bin/sh
# test_coverage.sh - the intervals and verdicts keep their promise on simulated
# runs (tests/sim_coverage.py: the sweep's rounds and stopping rule, the
# report's own interval and verdict functions, seeded): a 95% interval of a
# point and of a ratio holds its true value at least 93% of the time at every
# spread (1, 5, 15%) and drift between rounds (0, 3, 5%); the rule this
# project must not use (rounds added while the interval is wide) falls below
# that, so the check can fail; a verdict over many intervals is falsely
# CONFIRMED or REFUTED at most 5% of the time where the truth sits on its
# boundary (a true tie for a claim of "beats", the edges of the band a claim
# of a size is tested against) and finds a true 30% effect.  Pure Python,
# no benchmark: about 10 s of CPU.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
exec python3 - "$ROOT" <<'PY'
import sys
sys.path.insert(0, sys.argv[1] + "/tests")
import sim_coverage as S
from scripts.report import contested

def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)

FLOOR = 0.93        # the least coverage a 95% interval may show here
ERR = 0.05          # the most a verdict may be wrong on its boundary

table = S.table()
for (s, d), (p, r, n) in table.items():
    say(p >= FLOOR, "a point's 95%% interval at spread %.0f%%, drift %.0f%%: coverage %.1f%% "
        "(%.1f rounds)" % (100 * s, 100 * d, 100 * p, n))
    say(r >= FLOOR, "a ratio's 95%% interval (paired rounds) at spread %.0f%%, drift %.0f%%: "
        "coverage %.1f%%" % (100 * s, 100 * d, 100 * r))
bad = {(s, d): S.coverage_stopped(s, d) for s in S.SPREADS for d in S.DRIFTS}
worst = min(bad.items(), key=lambda kv: kv[1][0])
say(worst[1][0] < FLOOR,
    "the check can fail: rounds added while the interval is wider than 3%% cover %.1f%% "
    "(spread %.0f%%, drift %.0f%%)" % (100 * worst[1][0], 100 * worst[0][0], 100 * worst[0][1]))

def rates(r):
    return S.fmt_rates(r)

lo, hi = contested.TYMA_BAND
for x, name in ((1.0, "a true tie"), (lo, "the band's low edge"), (hi, "the band's high edge")):
    r = S.tyma_rates(x)
    edge = x != 1.0
    say(r.get("CONFIRMED", 0) <= ERR and (not edge or r.get("REFUTED", 0) <= ERR),
        "tyma (ten intervals) at threads/async %.3fx, %s: false CONFIRMED%s at most 5%% (%s)"
        % (x, name, " and false REFUTED" if edge else "", rates(r)))
r = S.tyma_rates(1.30)
say(r.get("REFUTED", 0) <= ERR and r.get("CONFIRMED", 0) > 0,
    "tyma at a true 30%% effect (its stated size): false REFUTED at most 5%%, some CONFIRMED "
    "(%s)" % rates(r))
r = S.tyma_rates(1.30, spread=0.01, drift=0.03)
say(r.get("CONFIRMED", 0) >= 0.9,
    "... and CONFIRMED at least 90%% of the time when the runs agree within 1%% (%s)" % rates(r))
r = S.uring_rates(1.0)
say(r.get("CONFIRMED", 0) <= ERR and r.get("REFUTED", 0) <= ERR,
    "uring beats green and async (four intervals) at a true tie: false CONFIRMED and false "
    "REFUTED each at most 5%% (%s)" % rates(r))
r = S.beats_rates(1.0)
say(r.get("CONFIRMED", 0) <= ERR and r.get("REFUTED", 0) <= ERR,
    "'beats at every one of ten levels' at a true tie: false CONFIRMED and false REFUTED "
    "each at most 5%% (Holm; the rule before: about 22%% REFUTED) (%s)" % rates(r))
r = S.beats_rates(1.30)
say(r.get("CONFIRMED", 0) >= 0.9 and r.get("REFUTED", 0) <= ERR,
    "... and a true 30%% lead at every level CONFIRMED (%s)" % rates(r))
PY
