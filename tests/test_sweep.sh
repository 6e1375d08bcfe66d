#!/bin/sh
# test_sweep.sh - the integration test: a tiny sweep end to end, through
# hyperfine, results.csv, gnuplot and report.md, checked for sane values;
# the models of each (workload, c) run in rounds in rotating order; PIN's
# command lines; and bad sweep parameters refused before anything is written.
. "$(dirname "$0")/lib.sh"

RES="$SCRATCH/results"
python3 "$ROOT/harness/sweep/bench.py" --quick --concurrency 1,2 --workloads cpu_hash,io_sleep \
	--no-serve --results "$RES" --quiet 2>"$SCRATCH/sweep.err"
rc=$?
check "tiny sweep exits 0 (exit $rc: $(tail -1 "$SCRATCH/sweep.err"))" [ $rc = 0 ]
RUN="$RES/latest"
check "results/latest points at a run folder" test -d "$RUN"
check "meta.json marks the run complete" \
	python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["complete"] else 1)' \
	"$RUN/meta.json"
# A narrowed run (--workloads, --concurrency): latest moves, latest-full does
# not; meta.json and the report's top say what it left out; the command it
# records is one that can be run again.
python3 - "$RUN/meta.json" "$RUN/report.md" "$RES" >"$SCRATCH/narrow.out" 2>&1 <<'PY'
import json, os, sys
meta = json.load(open(sys.argv[1]))
n = meta.get("narrowed") or {}
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
say(n.get("given") == {"WORKLOADS": "cpu_hash,io_sleep", "CONCURRENCY": "1,2"}
    and "io_backend" in n.get("workloads_not_run", []) and n.get("models_not_run") == [],
    "meta.json says the run was narrowed and what it left out: %s" % n)
say(not os.path.lexists(os.path.join(sys.argv[3], "latest-full")),
    "a narrowed run does not make results/latest-full")
top = open(sys.argv[2]).read().split("## ")[0]
say("narrowed run" in top and "WORKLOADS=cpu_hash,io_sleep" in top,
    "report.md says at its top that the run was narrowed")
cmd = meta.get("sweep_command")
say(isinstance(cmd, str) and cmd.startswith("python3 harness/sweep/bench.py ") and
    "--workloads" in cmd, "meta.json's sweep command is one that runs: %s" % cmd)
PY
cat "$SCRATCH/narrow.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/narrow.out")))

python3 - "$RUN/results.csv" "$RUN/meta.json" >"$SCRATCH/csv.out" 2>&1 <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
models = json.load(open(sys.argv[2]))["models"]
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
say(len(models) >= 2 and len(rows) == 2 * len(models) * 2,
    "results.csv has one row per workload x model (%d) x level: %d" % (len(models), len(rows)))
say(all(r["status"] == "ok" for r in rows), "every point ok")
for r in rows:
    tag = "%s %s c=%s" % (r["workload"], r["model"], r["concurrency"])
    thr, p50, p99, mx = (float(r[k]) for k in ("throughput", "p50_us", "p99_us", "max_us"))
    say(thr > 0 and 0 < p50 <= p99 <= mx * 1.01, "%s: throughput %.0f/s, p50 %.0f <= p99 %.0f <= max %.0f us" % (tag, thr, p50, p99, mx))
    say(float(r["throughput_min"]) <= thr <= float(r["throughput_max"]), "%s: min <= median <= max" % tag)
    say(int(r["runs"]) >= 3 and float(r["maxrss_kib"]) > 0, "%s: >= 3 counted runs, RSS recorded" % tag)
    lr = float(r["littles_ratio"])
    say(0.85 <= lr <= 1.05, "%s: Little's law, throughput x mean latency / c = %.3f" % (tag, lr))
by = {}
for r in rows:
    by.setdefault((r["workload"], r["concurrency"], r["tasks"]), set()).add(r["run_checksum"])
    by.setdefault((r["workload"], r["concurrency"], r["verify_tasks"]), set()).add(r["verify_checksum"])
# Every point's pilot ran the same task count on every model: its checksum
# is the cross-model check; the counted runs compare where counts are equal.
say(all(len(s) == 1 for s in by.values()),
    "checksums equal across models wherever task counts are equal (%d groups)" % len(by))
# The columns say which checksum is which: verify_checksum, the pilots' (the
# same verify_tasks on every model), equal across the models at each point;
# run_checksum, the counted runs' at their own task counts.
say("run_checksum" in rows[0] and "checksum" not in rows[0],
    "results.csv names the counted runs' checksum run_checksum (no bare checksum column)")
ver = {}
for r in rows:
    ver.setdefault((r["workload"], r["concurrency"]), set()).add((r["verify_tasks"], r["verify_checksum"]))
say(all(len(s) == 1 for s in ver.values()),
    "verify_tasks and verify_checksum equal across the models at every point (%d points)" % len(ver))
cpu = {(r["model"], r["concurrency"]): float(r["throughput"]) for r in rows if r["workload"] == "cpu_hash"}
# Not a speed goal (a busy machine halves it): the speed-up is the report's
# to judge.  The data must say how the work ran: c threads plus main.
thr = {(r["model"], r["concurrency"]): r["threads"] for r in rows if r["workload"] == "cpu_hash"}
say(thr[("threads", "2")] == "3", "cpu_hash threads c=2 ran on 3 OS threads (got %s)" % thr[("threads", "2")])
PY
cat "$SCRATCH/csv.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/csv.out")))

# The models of one (workload, c) ran in rounds, every model once per round
# (one hyperfine call), the order rotated from round to round and the first
# round's from point to point (meta.json's commands are in the order run);
# the CSV keeps its workload, model, concurrency order.
python3 - "$RUN/meta.json" "$RUN/results.csv" >"$SCRATCH/order.out" 2>&1 <<'PY'
import csv, json, re, sys
meta = json.load(open(sys.argv[1]))
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
models = meta["models"]
calls = [re.findall(r"--command-name (\S+)", c) for c in meta["commands"]
         if c.startswith("hyperfine ")]
pat = re.compile(r"(.+?)-(%s)-c(\d+)" % "|".join(map(re.escape, models)))
rounds = [[pat.fullmatch(t).groups() for t in call] for call in calls]
say(all(len({(w, c) for w, _, c in r}) == 1 and sorted(m for _, m, _ in r) == sorted(models)
        for r in rounds),
    "each hyperfine call is one round of one (workload, c): every model once (%d rounds)"
    % len(rounds))
points = []
for r in rounds:
    key = (r[0][0], r[0][2])
    if not points or points[-1][0] != key:
        points.append((key, []))
    points[-1][1].append([m for _, m, _ in r])
say(len(points) == 4 and all(len(rs) == 3 for _, rs in points),
    "4 points of 3 rounds each (QUICK): %s" % [(k, len(rs)) for k, rs in points])
say(all(rs[i] == rs[0][i:] + rs[0][:i] for _, rs in points for i in range(len(rs))),
    "round r runs the point's order rotated by r")
firsts = [rs[0][0] for _, rs in points]
say(firsts == [models[k % len(models)] for k in range(len(points))],
    "the first model rotates from point to point: %s" % firsts)
rows = list(csv.DictReader(open(sys.argv[2])))
key = [(r["workload"], models.index(r["model"]), int(r["concurrency"])) for r in rows]
say(key == sorted(key, key=lambda k: (["cpu_hash", "io_sleep"].index(k[0]), k[1], k[2])),
    "results.csv rows stay in workload, model, concurrency order")
say("interleaved" in (meta["params"].get("order") or "") and "rounds" in meta["params"]["order"]
    and "3 rounds" in (meta["params"].get("rounds") or ""),
    "meta.json params say the order and the rounds: %s" % meta["params"].get("rounds"))
say(all(r["rounds"] == r["runs"] == "3" and r["window_rule"] == "arrived-n/5" for r in rows),
    "every row: its runs the point's rounds, its runs' one window rule")
say(meta["params"].get("placement", "").startswith("shared"),
    "meta.json params record the default placement: %s" % meta["params"].get("placement"))
PY
cat "$SCRATCH/order.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/order.out")))

# The order functions themselves, on more models and levels than a test
# sweep can afford: every model once per step, each model first in turn.
python3 - "$ROOT" >"$SCRATCH/order.out" 2>&1 <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from harness.sweep import closed_loop as S, models, open_loop as RS
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
ms = models.load()
names = [m["name"] for m in ms]
pairs = [{"name": "a", "needs_backend": False}, {"name": "b", "needs_backend": True}]
n = len(ms)
levels_a = [2 ** i for i in range(n + 2)]  # more (workload, c) groups than models
pts = S.point_order(pairs, ms, {"a": levels_a, "b": [1, 16]})
groups = len(levels_a) + 2
say(len(pts) == groups * n, "point_order: every (workload, model, c) once")
say(len({(p["name"], m["name"], c) for p, m, c in pts}) == len(pts), "point_order: no repeat")
steps = [pts[i:i + n] for i in range(0, len(pts), n)]
say(all(len({(p["name"], c) for p, _, c in g}) == 1 for g in steps),
    "point_order: one (workload, c) per group of %d" % n)
say([g[0][1]["name"] for g in steps[:n]] == names,
    "point_order: each model runs first once in %d steps" % n)
pos = {}
for g in steps:
    for i, (_, m, _) in enumerate(g):
        pos.setdefault(m["name"], []).append(i)
say(all(sorted(v[:n]) == list(range(n)) for v in pos.values()),
    "point_order: each model takes every position in turn")
closed = [2 ** i for i in range(n)]
ro = RS.rate_order(pairs[:1], ms, closed, [50, 90])
say([(mode, x) for _, mode, x, _ in ro[::n]] ==
    [("closed", c) for c in closed] + [("open", 50), ("open", 90)],
    "rate_order: every closed level before the loads, models together")
say([g[3]["name"] for g in ro[::n]] == [names[i % n] for i in range(n + 2)],
    "rate_order: the first model rotates")
PY
cat "$SCRATCH/order.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/order.out")))

# The links' rule on its own: a run of every pair and model moves latest and
# latest-full, a narrowed one latest only.
python3 - "$ROOT" "$SCRATCH/links" >"$SCRATCH/links.out" 2>&1 <<'PY'
import os, sys
sys.path.insert(0, sys.argv[1])
from harness.sweep import rundir
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
res = sys.argv[2]
allp, allm = [{"name": "a"}, {"name": "b"}], [{"name": "x"}, {"name": "y"}]
full = rundir.narrowing({"WORKLOADS": None, "MODELS": None, "CONCURRENCY": None},
                        allp, allp, allm, allm)
some = rundir.narrowing({"WORKLOADS": "a", "MODELS": None, "CONCURRENCY": None},
                        allp[:1], allp, allm, allm)
say(full == {} and some["workloads_not_run"] == ["b"] and some["models_not_run"] == [],
    "narrowing: {} for a full run, what was left out for WORKLOADS=a: %s" % some)
os.makedirs(os.path.join(res, "r1"))
os.makedirs(os.path.join(res, "r2"))
rundir.point_latests(res, os.path.join(res, "r1"), full)
rundir.point_latests(res, os.path.join(res, "r2"), some)
say(os.readlink(os.path.join(res, "latest")) == "r2"
    and os.readlink(os.path.join(res, "latest-full")) == "r1",
    "full run r1 then narrowed r2: latest -> r2, latest-full -> r1")
PY
cat "$SCRATCH/links.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/links.out")))

# PIN=split: the sweep hands every model run --pin split and sizes
# async-mt and hybrid from the model's CPUs (the backend's taken off for
# a pair with a backend).  The argv only: a live run needs a runner that
# knows --pin.
python3 - "$ROOT" >"$SCRATCH/pin.out" 2>&1 <<'PY'
import os, sys
sys.path.insert(0, sys.argv[1])
from harness.sweep import common, models, point, runner
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
def flag(argv, name):
    """The value of --name=V or --name V in argv."""
    for i, a in enumerate(argv):
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
        if a == name:
            return argv[i + 1]
    return None
ms = {m["name"]: m for m in models.load()}
cpus = len(os.sched_getaffinity(0))
io, cpu = {"name": "io_backend", "needs_backend": True}, {"name": "cpu_hash", "needs_backend": False}
a = runner.model_argv(ms["hybrid"], io, 64, 1000, pin="split")
say(a[-2:] == ["--pin", "split"] and flag(a, "--workers") == str(max(1, cpus - 1)),
    "PIN=split, backend pair: --pin split and %d hybrid workers: %s" % (max(1, cpus - 1), a[1:]))
a = runner.model_argv(ms["async-mt"], io, 64, 1000, pin="split")
say(flag(a, "--loops") == str(max(1, cpus - 1)), "PIN=split: async-mt loops = model CPUs")
a = runner.model_argv(ms["async-mt"], cpu, 64, 1000, pin="split")
say(flag(a, "--loops") == str(cpus), "PIN=split, no backend: the model keeps every CPU")
a = runner.model_argv(ms["threads"], io, 64, 1000)
say("--pin" not in a and "--backend" not in a, "default: no --pin, no --backend")
# BACKEND=: the backend pairs get --backend and, their backend being on
# another host, every CPU under PIN=split; a pair with its own local peer
# (redis) is still split; the others never see --backend.
redis = {"name": "redis_get", "needs_backend": False, "peer": "redis"}
a = runner.model_argv(ms["async-mt"], io, 64, 1000, pin="split", backend="h:7000")
say(flag(a, "--backend") == "h:7000" and flag(a, "--loops") == str(cpus),
    "BACKEND=h:7000, backend pair, PIN=split: --backend h:7000 and every CPU: %s" % a[1:])
a = runner.model_argv(ms["async-mt"], redis, 64, 1000, pin="split", backend="h:7000")
say("--backend" not in a and flag(a, "--loops") == str(max(1, cpus - 1)),
    "BACKEND=, redis pair, PIN=split: no --backend, its own redis-server's CPU taken off")
a = runner.model_argv(ms["threads"], cpu, 4, 1000, backend="h:7000", hist_file="h.jsonl")
say("--backend" not in a and flag(a, "--hist-out") == "h.jsonl",
    "BACKEND=, pair without a backend: no --backend; --hist-out passed")
# noisy: cv over 10%, or hyperfine outliers that moved our own figure.
base = {"throughput": 1000.0, "throughput_min": 990.0, "throughput_max": 1010.0, "cv": 0.004}
say(point.noisy_flag(dict(base, outliers=1)) == 0, "noisy: outliers with cv 0.4%, spread 2%: not flagged")
say(point.noisy_flag(dict(base, outliers=0, cv=0.12)) == 1, "noisy: cv 12%: flagged")
say(point.noisy_flag(dict(base, outliers=1, cv=0.06)) == 1, "noisy: outliers and cv 6%: flagged")
say(point.noisy_flag(dict(base, outliers=1, throughput_min=700.0)) == 1,
    "noisy: outliers and min..max 31%: flagged")
say(point.noisy_flag(dict(base, outliers=0, throughput_min=700.0)) == 0,
    "noisy: spread without outliers or cv: not flagged")
say(common.parse_pin(None) is None and common.parse_pin("") is None and common.parse_pin("none") is None,
    "PIN empty or none: the default placement")
PY
cat "$SCRATCH/pin.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/pin.out")))

for f in cpu_hash.png cpu_hash.svg io_sleep.png io_sleep.svg overview.png report.md; do
	check "$f written and not empty" test -s "$RUN/$f"
done
check "PNG files are PNG" sh -c "head -c 8 '$RUN/cpu_hash.png' | grep -q PNG"
check "report names both workloads and shows the plots" \
	sh -c "grep -q 'cpu_hash.png' '$RUN/report.md' && grep -q 'io_sleep' '$RUN/report.md'"
check "hyperfine exports kept" sh -c "ls '$RUN'/hyperfine/*.json >/dev/null"
# Every point's merged latency histogram as an HdrHistogram .hgrm, and the
# spectrum figures drawn from them.
python3 "$ROOT/tests/check_hgrm.py" "$RUN" >"$SCRATCH/hgrm.out" 2>&1
cat "$SCRATCH/hgrm.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/hgrm.out")))
check "the .hgrm files were checked ($(grep -c '^ok' "$SCRATCH/hgrm.out") ok)" \
	[ "$(grep -c '^ok' "$SCRATCH/hgrm.out")" -gt 0 ]
check "no temporary files left" sh -c "! find '$RES' -name '*.tmp*' | grep -q ."

# Bad parameters: exit 2, one line, nothing new in the results folder.
before=$(ls "$RES" | wc -l)
for bad in "--concurrency 0" "--concurrency 1,,2" "--concurrency 4,4" "--concurrency x" \
	"--concurrency ''" "--workloads nosuch" "--workloads cpu_hash,cpu_hash" "--runs 2" \
	"--concurrency 99999999999" "--pin bogus" "--pin SPLIT" "--backend ''" "--backend nohost" \
	"--backend 127.0.0.1:0" "--backend 127.0.0.1:1"; do
	usage_error "sweep $bad" "python3 '$ROOT/harness/sweep/bench.py' $bad --results '$RES'"
done
check "bad parameters wrote nothing to results/" [ "$(ls "$RES" | wc -l)" = "$before" ]

# Through make: PIN reaches the sweep and is checked there; meta.json gets
# the flags the binaries were built with, not "unknown".
make -s -C "$ROOT" bench PIN=bogus OUT="$RES" >"$SCRATCH/out" 2>"$SCRATCH/err"
check "make bench PIN=bogus: refused by the sweep in one line ($(head -1 "$SCRATCH/err"))" \
	sh -c "[ \"\$(grep -c \"PIN: 'bogus' must be split or none\" '$SCRATCH/err')\" = 1 ] && [ ! -s '$SCRATCH/out' ]"
check "make bench PIN=bogus wrote nothing" [ "$(ls "$RES" | wc -l)" = "$before" ]
make -s -C "$ROOT" bench QUICK=1 CONCURRENCY=1 WORKLOADS=cpu_hash MODELS=threads,async RATE=0 QUIET=1 \
	OUT="$SCRATCH/viamake" >/dev/null 2>"$SCRATCH/make.err"
rc=$?
check "make bench QUICK=1 CONCURRENCY=1 WORKLOADS=cpu_hash MODELS=threads,async RATE=0 exits 0 ($(tail -1 "$SCRATCH/make.err"))" [ $rc = 0 ]
check "meta.json records the real CFLAGS (with -std=c11) and the placement" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
sys.exit(0 if "-std=c11" in (m["build"]["cflags"] or "") and m["params"]["placement"] else 1)' \
	"$SCRATCH/viamake/latest/meta.json"
finish
