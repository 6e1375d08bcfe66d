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
say(k == int(point.EXTRA_BUDGET_S / 0.5),
    "three runs spread by 10%%: runs added as the %.0f s budget allows at 0.5 s a run (got %d)"
    % (point.EXTRA_BUDGET_S, k))
say(point.extra_runs(stats(wide), [{"times": [0.1] * 3}], 0, 8) == 5,
    "... and up to the cap of 8 runs in all where they are short")
say(point.extra_runs(stats(wide), hf, 0, 3) == 0, "a cap of 3 (QUICK): none added")
say(point.extra_runs(stats(wide), [{"times": [0.7]}], 0, 8) == int(point.EXTRA_BUDGET_S / 0.7),
    "0.7 s runs: only what fits in the %.0f s budget" % point.EXTRA_BUDGET_S)
say(point.extra_runs(stats(wide), hf, 8, 8) == 0, "the budget spent: none added")
n = interval.runs_for([1000.0, 1020.0, 990.0, 1010.0], 0.03, 8)
iv = interval.point([1000.0, 1020.0, 990.0, 1010.0] * 2)
say(n <= 8 and iv is not None, "runs_for gives a count within the cap (%d)" % n)
lo, hi = interval.point([100.0, 102.0, 98.0])
say(lo < 100 < hi and abs((hi - lo) / 2 / 100 - 0.05) < 0.01,
    "t interval of 100, 102, 98 is about +-5%% (%.1f..%.1f)" % (lo, hi))
say(interval.point([5.0]) is None, "one run has no interval")

# --- a point's runs: sized by the model's rate --------------------------------
say(point.run_tasks(20000, 1, 0.15) == 3000, "c=1 at 20k tasks/s: a run of 0.15 s, 3000 tasks")
say(point.run_tasks(500, 1024, 0.15) == 1024 * 5,
    "a slow point (500 tasks/s at c=1,024): 5 tasks per slot, the least for a window")
say(point.run_tasks(100000, 1024, 0.15) == 20 * 1024,
    "20 tasks per slot where MAX_RUN_S allows (%d)" % point.run_tasks(100000, 1024, 0.15))
say(point.steady_tasks(200000, 1024, 20 * 1024) == 50 * 1024,
    "a point that opens no window: 50 tasks per slot where the steady cap allows")
say(point.steady_tasks(5000, 1024, 5 * 1024) == int(5000 * point.STEADY_MAX_RUN_S),
    "... no more than STEADY_MAX_RUN_S of them (%d)" % point.steady_tasks(5000, 1024, 5120))
say(point.steady_tasks(1e6, 4, 150000) == 150000, "... and never fewer than it had")
whole = {"tasks": 1000, "window_tasks": 1000}
part = {"tasks": 1000, "window_tasks": 700}
say(point.no_window([whole, whole, part]) and not point.no_window([whole, part, part])
    and not point.no_window([]) and not point.no_window([{"tasks": 9}]),
    "no window: most runs reported their whole (window_tasks == tasks), none unknown")
say(point.run_tasks(20000, 1024, 0.04, quick=True) == 1024 * 5
    and point.run_tasks(1e6, 256, 0.04, quick=True) == 40000,
    "QUICK: the same rules with its own run length and cap")

# hyperfine's outlier rule, judged over all of a point's runs (its own calls
# may hold 1 or 2 runs, where it never finds one): its own test vectors.
say([point.outlier_runs(x) for x in ([], [1000.0, 0.0], [-0.2, 0.0, 0.2], [-0.2, 0.0, 0.2, 4.0],
                                     [0.5, 0.30, 0.29, 0.31, 0.30], [10.0] * 7 + [100.0],
                                     [10.0] * 7 + [100.0, 100.0])] == [0, 0, 0, 1, 1, 1, 2],
    "outliers over a point's runs: hyperfine's rule, 10 standard deviations as MADs")

# --- a point whose runs open no window is measured again, longer ------------
import os, tempfile, types
def fake_point(window_at, known=None, windowed=()):
    """measure_point with the model replaced: each run reports window_tasks
    = tasks (no window) while its task count is below window_at, but for the
    runs (numbered from 0) in windowed."""
    calls = []
    ran = [0]
    def run_json(runner, meta, argv):
        return 0, {"throughput": 100000.0, "checksum": "x"}, ""
    def model_argv(model, pair, c, n, *a, **kw):
        return ["n=%d" % n]
    def hyperfine_runs(runner, meta, tag, argv, stats_file, k, warmup, hf_tmp):
        n = int(argv[0][2:])
        calls.append((n, k))
        with open(stats_file, "a") as f:
            for _ in range(k):
                win = n >= window_at or ran[0] in windowed
                ran[0] += 1
                f.write(json.dumps({"throughput": 1000.0, "tasks": n, "concurrency": 1024,
                                    "window_tasks": n // 2 if win else n,
                                    "checksum": "x", "errors": 0}) + "\n")
        lines = [json.loads(l) for l in open(stats_file)]
        return 0, "", "", lines
    saved = (point.R.run_json, point.R.model_argv, point.R.hyperfine_runs, point.merge_point,
             point.hgrm.write_point)
    point.R.run_json, point.R.model_argv, point.R.hyperfine_runs = run_json, model_argv, hyperfine_runs
    point.merge_point = lambda lines, hf, o: {"runs": len(lines)}
    point.hgrm.write_point = lambda *a: None
    try:
        d = tempfile.mkdtemp()
        os.makedirs(os.path.join(d, "stats")); os.makedirs(os.path.join(d, "hyperfine"))
        args = types.SimpleNamespace(quick=False, target_s=0.15, runs=3, max_runs=3, pin=None,
                                     backend=None)
        row = point.measure_point(args, None, {"commands": []}, d,
                                  {"name": "w", "work": 0, "delay_us": 0}, {"name": "m"},
                                  1024, known)
        kept = [json.loads(l) for l in open(os.path.join(d, "stats", "w-m-c1024.jsonl"))]
    finally:
        (point.R.run_json, point.R.model_argv, point.R.hyperfine_runs, point.merge_point,
         point.hgrm.write_point) = saved
    return row, calls, kept
import json
short = point.run_tasks(100000.0, 1024, 0.15)
long_ = point.steady_tasks(100000.0, 1024, short)
row, calls, kept = fake_point(window_at=0)
say(calls == [(short, 1), (short, 2)] and row["tasks"] == short and len(kept) == 3,
    "runs that open a window are not lengthened; the first runs alone (%s)" % calls)
row, calls, kept = fake_point(window_at=long_ + 1)
say(calls == [(short, 1), (long_, 3)] and row["tasks"] == long_ and row["runs"] == 3
    and len(kept) == 3 and all(k["tasks"] == long_ for k in kept),
    "a first run that opens no window: measured again at %d tasks at once, it is dropped (%s)"
    % (long_, calls))
row, calls, kept = fake_point(window_at=long_ + 1, windowed=(0,))
say(calls == [(short, 1), (short, 2), (long_, 3)] and row["tasks"] == long_
    and len(kept) == 3 and all(k["tasks"] == long_ for k in kept),
    "the first opened one, the next two none: most did not, measured again (%s)" % calls)
row, calls, kept = fake_point(window_at=long_ + 1, windowed=(0, 1))
say(calls == [(short, 1), (short, 2)] and row["tasks"] == short,
    "two of three opened one: kept as measured (%s)" % calls)
row, calls, kept = fake_point(window_at=long_ + 1, known={"throughput": 1.0, "tasks": 5120,
                                                          "window_tasks": 5120})
say(calls == [(long_, 3)], "the level below opened none: the long runs from the start (%s)"
    % calls)

# --- the ETA ------------------------------------------------------------------
def st(m, c, sec="closed", w="w"):
    return eta.step(sec, w, m, c, eta.prior_s("io", c))
pts = [st(m, c) for c in (1, 10000) for m in ("a", "b")]
e = eta.Eta(pts, reference={})
before = e.remaining()
say(before > 4 * eta.prior_s("io", 1), "the ETA weighs c=10,000 above c=1 (%.0f s)" % before)
e.record(("closed", "w", "a", 1), 3 * eta.prior_s("io", 1))   # 3x its prior at c=1
e.record(("closed", "w", "b", 1), 3 * eta.prior_s("io", 1))
left = e.remaining()
want = 2 * eta.prior_s("io", 10000) * 3
say(abs(left - want) / want < 0.01,
    "a machine 3x slower than the prior: the points left are predicted 3x (%.0f vs %.0f)"
    % (left, want))
e.record(("closed", "w", "a", 10000), 100.0)
say(abs(e.remaining() - 100.0) < 1.0,
    "a point is predicted from the same level's other model (%.0f s)" % e.remaining())
f = eta.Eta(pts, reference={})
f.record(("closed", "w", "a", 1), 2.0, failed=True)
f.record(("closed", "w", "b", 1), 2.0)
one = eta.prior_s("io", 10000) * 2.0 / eta.prior_s("io", 1)
say(f.remaining() < one * 1.1,
    "a model that failed below is not predicted a full point above (%.1f s, one point %.1f s)"
    % (f.remaining(), one))
# A reference machine's times are the prior, model by model: a model that
# took 10x the other there is predicted 10x here, scaled by this machine.
ref = {("closed", "w", "a", 10000): 50.0, ("closed", "w", "b", 10000): 5.0,
       ("closed", "w", "a", 1): 1.0, ("closed", "w", "b", 1): 1.0}
r = eta.Eta(pts, reference=ref)
r.record(("closed", "w", "a", 1), 2.0)
r.record(("closed", "w", "b", 1), 2.0)
say(abs(r.remaining() - 110.0) < 0.5,
    "the reference's per-model times, at this machine's speed (2x): %.1f s for 55 s" % r.remaining())
r.record(("closed", "w", "b", 10000), 5.0)
say(abs(r.remaining() - 50.0) < 0.5,
    "... and the level's own done model corrects the rest of it (%.1f s)" % r.remaining())
# The first few seconds do not scale every workload not yet seen: the ratio
# over all steps counts SHRINK_S of steps as predicted.
sh = eta.Eta([st("a", 1, w="w1"), st("a", 1, w="w2")], reference={})
p1 = eta.prior_s("io", 1)
sh.record(("closed", "w1", "a", 1), 3 * p1)
want = p1 * (3 * p1 + eta.SHRINK_S) / (p1 + eta.SHRINK_S)
say(abs(sh.remaining() - want) < 1e-6 and sh.remaining() < 1.2 * p1,
    "one step at 3x its prior moves an unseen workload's prediction little (%.2f s for %.2f)"
    % (sh.remaining(), p1))
# Every section counts, the report too; a section's plan replaces its guess.
s2 = eta.Eta([st("a", 1), st("a", 16, "onecpu"), eta.report_step(3)], reference={})
full = s2.remaining()
say(abs(full - (eta.prior_s("io", 1) + eta.prior_s("io", 16) + 3 * eta.REPORT_S)) < 1e-6,
    "the ETA covers the points, the one-CPU section and the report (%.1f s)" % full)
s2.plan([st("a", 256, "open")], ("open",))
s2.plan([st("a", 64, "open")], ("open",))
say(abs(s2.remaining() - full - eta.prior_s("io", 64)) < 1e-6,
    "a section's plan replaces its steps not done")
import tempfile, os, json
d = tempfile.mkdtemp()
os.makedirs(os.path.join(d, "run", "rate"))
run = os.path.join(d, "run")
json.dump({"complete": True, "params": {"quick": False}, "report_s": 7.5},
          open(os.path.join(run, "meta.json"), "w"))
open(os.path.join(run, "results.csv"), "w").write(
    "workload,model,concurrency,status,point_s\nw,a,1,ok,1.5\nw,a,4,failed,\n")
open(os.path.join(run, "rate", "rate.csv"), "w").write(
    "workload,model,mode,concurrency,load_pct,point_s\nw,a,open,64,90,3.25\n")
got = eta.run_times(run)
say(got == {("closed", "w", "a", 1): 1.5, ("closed", "w", "a", 4): 0.0,
            ("open", "w", "a", 90): 3.25, ("report", "", "", 0): 7.5},
    "a run's times: its points, a point not run (0), its open-loop points by load, its "
    "report (%s)" % sorted(got))
nr = eta.Eta([st("a", 4), st("a", 10000)], reference=got)
say(nr.prior(("closed", "w", "a", 4)) == eta.FAILED_S
    and nr.prior(("closed", "w", "a", 10000)) == eta.prior_s("io", 10000),
    "a step the reference did not run is predicted as a failed one, not as a point that runs")
ok_ref = {("closed", "w", "a", 4): 2.0, ("closed", "w", "a", 16): 2.0, ("closed", "w", "b", 16): 2.0}
prev = {("closed", "w", "a", 4): 0.0, ("closed", "w", "a", 16): 0.0}
fp = eta.Eta([st("a", 4), st("a", 16), st("b", 16)], previous=prev, reference=ok_ref)
say(fp.prior(("closed", "w", "a", 4)) == 2.0,
    "failed in the previous run, ran in the reference: the reference's time")
fq = eta.Eta([st("a", 4), st("b", 16)], previous={("closed", "w", "a", 4): 0.0},
             reference={("closed", "w", "a", 4): 0.0, ("closed", "w", "b", 16): 2.0})
fq.record(("closed", "w", "a", 4), 3.0)
say(abs(fq.remaining() - 2.0) < 1e-6,
    "a step that failed everywhere before and runs now does not scale the rest (%.2f s)"
    % fq.remaining())
ref_path = os.path.join(d, "ref.csv")
eta.write_reference([run], ref_path)
say(eta.reference_times(False, ref_path) == got and eta.reference_times(True, ref_path) == {},
    "the reference file holds a run's times, by size (QUICK or not)")
import shutil
run2 = os.path.join(d, "run2")
shutil.copytree(run, run2)
open(os.path.join(run2, "results.csv"), "w").write(
    "workload,model,concurrency,status,point_s\nw,a,1,ok,2.5\n")
eta.write_reference([run, run2], ref_path)
two = eta.reference_times(False, ref_path)
say(two[("closed", "w", "a", 1)] == 2.0 and two[("closed", "w", "a", 4)] == 0.0,
    "from two runs: each step's mean over the runs that have it (%s)" % sorted(two.items()))
open(os.path.join(run2, "results.csv"), "w").write(
    "workload,model,concurrency,status,point_s\nw,a,1,failed,0.01\nw,a,4,ok,3.0\n")
eta.write_reference([run, run2], ref_path)
two = eta.reference_times(False, ref_path)
say(two[("closed", "w", "a", 1)] == 1.5 and two[("closed", "w", "a", 4)] == 3.0,
    "a step that failed in one run and ran in the other: what it took running (%s)"
    % sorted(two.items()))
say(eta.reference_times(False) != {} and eta.reference_times(True) != {},
    "the shipped reference has a full and a QUICK run (%d, %d steps)"
    % (len(eta.reference_times(False)), len(eta.reference_times(True))))

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
