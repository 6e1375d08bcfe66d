#!/bin/sh
# test_sweep_rules.sh - the sweep's own rules, without running a model: runs
# added to a wide interval, the ETA, a model not run above its failure, the
# warm and cold series of a data-file pair.  Pure Python, a second or two.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
exec python3 - "$ROOT" <<'PY'
import sys
sys.path[0] = sys.argv[1]
from harness.sweep import closed_loop, eta, interval, point, registry

def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)

# --- runs added while the interval is wide ----------------------------------
def stats(xs):
    return [{"throughput": x} for x in xs]
hf = [{"times": [0.5, 0.5, 0.5]}]
tight = [1000.0, 1001.0, 999.0]
wide = [1000.0, 1100.0, 900.0]
say(point.extra_runs(stats(tight), hf, 0, 8) == 0,
    "three runs within 0.1%: no run added")
k = point.extra_runs(stats(wide), hf, 0, 8)
say(k == 5, "three runs spread by 10%%: runs added up to the cap of 8 (got %d)" % k)
say(point.extra_runs(stats(wide), hf, 0, 3) == 0, "a cap of 3 (QUICK): none added")
say(point.extra_runs(stats(wide), [{"times": [3.0]}], 0, 8) == 1,
    "3 s runs: only what fits in the 4 s budget (1)")
say(point.extra_runs(stats(wide), hf, 8, 8) == 0, "the budget spent: none added")
n = interval.runs_for([1000.0, 1020.0, 990.0, 1010.0], 0.03, 8)
iv = interval.point([1000.0, 1020.0, 990.0, 1010.0] * 2)
say(n <= 8 and iv is not None, "runs_for gives a count within the cap (%d)" % n)
lo, hi = interval.point([100.0, 102.0, 98.0])
say(lo < 100 < hi and abs((hi - lo) / 2 / 100 - 0.05) < 0.01,
    "t interval of 100, 102, 98 is about +-5%% (%.1f..%.1f)" % (lo, hi))
say(interval.point([5.0]) is None, "one run has no interval")

# --- the ETA ------------------------------------------------------------------
pts = [("w", "io", m, c) for c in (1, 10000) for m in ("a", "b")]
e = eta.Eta(pts)
before = e.remaining()
say(before > 4 * eta.prior_s("io", 1), "the ETA weighs c=10,000 above c=1 (%.0f s)" % before)
e.record(0, 6.0)          # a took 3x its prior at c=1
e.record(1, 6.0)
left = e.remaining()
want = 2 * eta.prior_s("io", 10000) * 6.0 / eta.prior_s("io", 1)
say(abs(left - want) / want < 0.01,
    "a machine 3x slower than the prior: the points left are predicted 3x (%.0f vs %.0f)"
    % (left, want))
e.record(2, 100.0)
say(abs(e.remaining() - 100.0) < 1.0,
    "a point is predicted from the same level's other model (%.0f s)" % e.remaining())
f = eta.Eta(pts)
f.record(0, 2.0, failed=True)
f.record(1, 2.0)
say(f.remaining() < eta.prior_s("io", 10000) * 1.5,
    "a model that failed below is not predicted a full point above")

# --- not run above a failure ------------------------------------------------
row = closed_loop.not_run({"name": "io_sleep", "work": 0, "delay_us": 1000},
                          {"name": "threads"}, 100000, 30000, "pthread_create: EAGAIN")
say(row["status"] == "failed" and "not run: failed at c=30000" in row["reason"],
    "the point above a failure: failed, naming the level and its reason")

# --- a data-file pair runs warm and cold ------------------------------------
names = {p["name"]: p for p in registry.pairs()}
cold = names.get("file_read" + registry.COLD_SUFFIX)
say(cold is not None and cold["run_as"] == "file_read" and cold["argv"] == ["--cache", "cold"]
    and names["file_read"]["argv"] == ["--cache", "warm"],
    "file_read runs as file_read (--cache warm) and file_read-cold (--cache cold)")
say(all(p["argv"] == [] for n_, p in names.items() if "cache" not in p["opts"].split(",")),
    "the other pairs run as they are")
PY
