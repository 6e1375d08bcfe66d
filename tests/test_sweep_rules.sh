#!/bin/sh
# test_sweep_rules.sh - the sweep's own rules, without running a model: the
# rounds of a point (how many, fixed before its first counted run; their
# order; a model that fails mid-point; one window rule), the ETA, a model not
# run above its failure, the warm and cold series of a data-file pair.  Pure
# Python, a second or two.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
exec python3 - "$ROOT" <<'PY'
import sys
sys.path[0] = sys.argv[1]
from harness.sweep import closed_loop, eta, interval, point, registry, rounds

def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)

# --- how many rounds: fixed before the first counted run ---------------------
say(rounds.plan_rounds(None, [0.1] * 7) == rounds.ROUNDS,
    "cheap runs: ROUNDS (%d) rounds" % rounds.ROUNDS)
say(rounds.plan_rounds(None, [1.0] * 7) == max(rounds.MIN_ROUNDS,
                                               int(rounds.ROUND_BUDGET_S / 7.0)),
    "dear runs: as many as fit in ROUND_BUDGET_S (%d)" % rounds.plan_rounds(None, [1.0] * 7))
say(rounds.plan_rounds(None, [10.0] * 7) == rounds.MIN_ROUNDS, "... never under MIN_ROUNDS")
say(rounds.plan_rounds(7, [10.0] * 7) == 7 and rounds.plan_rounds(None, [0.1], True) == 3,
    "RUNS= fixes it; QUICK: %d" % rounds.QUICK_ROUNDS)
say(rounds.round_order(["a", "b", "c"], 0) == ["a", "b", "c"]
    and rounds.round_order(["a", "b", "c"], 1) == ["b", "c", "a"]
    and rounds.round_order(["a", "b", "c"], 4) == ["b", "c", "a"],
    "round r rotates the point's order by r")
lo, hi = interval.point([100.0, 102.0, 98.0])
say(lo < 100 < hi and abs((hi - lo) / 2 / 100 - 0.05) < 0.01,
    "t interval of 100, 102, 98 is about +-5%% (%.1f..%.1f)" % (lo, hi))
say(interval.point([5.0]) is None, "one run has no interval")
plo, phi = interval.paired([100.0, 110.0, 90.0], [50.0, 55.0, 45.0])
say(abs(plo - 2) < 1e-9 and abs(phi - 2) < 1e-9 and interval.ratio(
    [100.0, 110.0, 90.0], [50.0, 55.0, 45.0])[0] < 1.8,
    "a drift that moves a whole round cancels in a paired ratio (2.00x exactly), not in "
    "Welch's")
say(abs(interval.t_quantile(0.995, 9) - 3.6897) < 1e-3 and interval.t_quantile(0.95, 2) == 4.303
    and abs(interval.t_quantile(0.9, 30) - 1.6973) < 1e-3,
    "t quantiles of two-sided intervals at any level (99.5%%, 9 df: %.4f)"
    % interval.t_quantile(0.995, 9))

# --- a point's runs: sized by the model's rate --------------------------------
say(point.run_tasks(20000, 1, 0.15) == 3000, "c=1 at 20k tasks/s: a run of 0.15 s, 3000 tasks")
say(point.run_tasks(500, 1024, 0.15) == 1024 * 5,
    "a slow point (500 tasks/s at c=1,024): 5 tasks per slot, the least for a window")
say(point.run_tasks(100000, 1024, 0.15) == 20 * 1024,
    "20 tasks per slot where MAX_RUN_S allows (%d)" % point.run_tasks(100000, 1024, 0.15))
say(point.run_tasks(20000, 1024, 0.04, quick=True) == 1024 * 5
    and point.run_tasks(1e6, 256, 0.04, quick=True) == 40000,
    "QUICK: the same rules with its own run length and cap")

# hyperfine's outlier rule, judged over all of a point's runs (its own calls
# hold one run each, where it never finds one): its own test vectors.
say([point.outlier_runs(x) for x in ([], [1000.0, 0.0], [-0.2, 0.0, 0.2], [-0.2, 0.0, 0.2, 4.0],
                                     [0.5, 0.30, 0.29, 0.31, 0.30], [10.0] * 7 + [100.0],
                                     [10.0] * 7 + [100.0, 100.0])] == [0, 0, 0, 1, 1, 1, 2],
    "outliers over a point's runs: hyperfine's rule, 10 standard deviations as MADs")

# --- a point in rounds, hyperfine and the models replaced --------------------
import json, os, tempfile, types
def fake_point(names, fail=None, rule=None, runs=3):
    """rounds.measure with the model runs replaced: each command appends a
    stats line; fail: {model: round} whose run then fails; rule: {model:
    round} whose run then reports another window rule."""
    calls = []
    def run_json(runner, meta, argv):
        return 0, {"throughput": 100000.0, "checksum": "x"}, ""
    def model_argv(model, pair, c, n, stats_file=None, *a, **kw):
        return [model["name"], stats_file or ""]
    def hyperfine_round(runner, meta, cmds, export):
        r = len(calls)
        calls.append([tag.split("-")[1] for tag, _ in cmds])
        got = {}
        for tag, argv in cmds:
            m, path = argv
            bad = (fail or {}).get(m) == r
            with open(path, "a") as f:
                f.write(json.dumps({"throughput": 1000.0 + r, "tasks": 10, "concurrency": 4,
                                    "window_tasks": 6, "checksum": "x", "errors": 0,
                                    "status": "failed" if bad else "ok",
                                    "reason": "boom" if bad else "",
                                    "window_rule": "other" if (rule or {}).get(m) == r
                                    else "arrived-n/5"}) + "\n")
            got[tag] = (3 if bad else 0, 0.01)
        return 0, "", "", got
    saved = (rounds.R.run_json, rounds.R.model_argv, rounds.R.hyperfine_round,
             rounds.point.merge_point, rounds.hgrm.write_point)
    rounds.R.run_json, rounds.R.model_argv = run_json, model_argv
    rounds.R.hyperfine_round = hyperfine_round
    merge = rounds.point.merge_point
    rounds.point.merge_point = lambda lines, hf, o: dict(merge(
        [dict({k: 1.0 for k in ("p50_us", "p90_us", "p99_us", "p999_us", "max_us", "mean_us",
                                "maxrss_kib", "utime_s", "stime_s", "vcsw", "ivcsw", "wall_s")},
              threads=1, **l) for l in lines], hf, o))
    rounds.hgrm.write_point = lambda *a: None
    try:
        d = tempfile.mkdtemp()
        os.makedirs(os.path.join(d, "stats")); os.makedirs(os.path.join(d, "hyperfine"))
        args = types.SimpleNamespace(quick=False, target_s=0.1, runs=runs, pin=None,
                                     backend=None)
        rows = rounds.measure(args, None, {"commands": []}, d,
                              {"name": "w", "work": 0, "delay_us": 0},
                              [{"name": n} for n in names], 4)
    finally:
        (rounds.R.run_json, rounds.R.model_argv, rounds.R.hyperfine_round,
         rounds.point.merge_point, rounds.hgrm.write_point) = saved
    return rows, calls
rows, calls = fake_point(["a", "b", "c"])
say(calls == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]],
    "one hyperfine call per round, every model once, the order rotated (%s)" % calls)
say([r["runs"] for r in rows] == [3, 3, 3] and all(r["rounds"] == 3 for r in rows)
    and all(r["throughput_min"] == 1000.0 and r["throughput_max"] == 1002.0 for r in rows),
    "each model's row holds its run of every round")
rows, calls = fake_point(["a", "b", "c"], fail={"b": 1})
say(calls == [["a", "b", "c"], ["b", "c", "a"], ["a", "c"]] and rows[1]["status"] == "failed"
    and rows[1]["reason"] == "boom" and rows[0]["runs"] == 3 and rows[2]["runs"] == 3,
    "a model whose run fails leaves the point with its reason, the others go on (%s)" % calls)
rows, calls = fake_point(["a", "b"], rule={"a": 2})
say(rows[0]["status"] == "failed" and "window rules" in rows[0]["reason"]
    and rows[1]["status"] == "ok",
    "runs reported by two window rules: no figure (%s)" % rows[0]["reason"])
pts = [({"name": "w"}, {"name": m}, c) for c in (1, 4) for m in "ab"]
pts = [(p, m, c) for p, m, c in pts]
same = {"name": "w"}
grp = closed_loop.point_groups([(same, m, c) for _, m, c in pts])
say([(len(g), c) for _, g, c in grp] == [(2, 1), (2, 4)],
    "point_groups: one group per (workload, c), the models in order")

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
