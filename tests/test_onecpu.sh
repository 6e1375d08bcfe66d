#!/bin/sh
# test_onecpu.sh - the one-CPU section of make bench (harness/sweep/onecpu.py):
# a tiny QUICK sweep at c=16 leaves onecpu/results.csv with the main file's
# columns, one ok row per (pair, model), its stats lines and hyperfine files;
# every run was confined to one CPU (the JSON's placement, and no more than
# one core's worth of CPU over its window), its backend on another CPU;
# meta.json says what ran and seals the file.  Then, without running
# anything: which points the section plans (QUICK, full, the CPU-work cap,
# the run's own levels), --no-onecpu and make's ONECPU=0.  About 20 s.
. "$(dirname "$0")/lib.sh"

RES="$SCRATCH/results"
python3 "$ROOT/harness/sweep/bench.py" --quick --onecpu --concurrency 16 --workloads cpu_hash,io_backend \
	--models threads,async --no-rate --no-serve --no-report --quiet --results "$RES" 2>"$SCRATCH/sweep.err"
rc=$?
check "tiny sweep with its one-CPU section exits 0 (exit $rc: $(tail -1 "$SCRATCH/sweep.err"))" [ $rc = 0 ]
RUN="$RES/latest"

python3 - "$RUN" "$(nproc)" >"$SCRATCH/check.out" 2>&1 <<'PY'
import csv, glob, hashlib, json, os, sys
run, cores = sys.argv[1], int(sys.argv[2])
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
one = os.path.join(run, "onecpu")
meta = json.load(open(os.path.join(run, "meta.json")))
m = meta.get("onecpu") or {}
say(m.get("status") == "ok" and m.get("file") == "onecpu/results.csv" and m.get("points") == 4
    and m.get("pin") == "one" and "one" in (m.get("placement") or ""),
    "meta.json onecpu: ok, 4 points, the file and the placement: %s"
    % {k: m.get(k) for k in ("status", "points", "file", "pin")})
main_head = open(os.path.join(run, "results.csv")).readline()
path = os.path.join(one, "results.csv")
data = open(path, "rb").read() if os.path.exists(path) else b""
say(data.decode().split("\n", 1)[0] + "\n" == main_head, "onecpu/results.csv has results.csv's columns")
seal = m.get("results_csv") or {}
say(seal.get("sha256") == hashlib.sha256(data).hexdigest(), "meta.json seals onecpu/results.csv")
rows = list(csv.DictReader(open(path))) if data else []
say(sorted((r["workload"], r["model"], r["concurrency"]) for r in rows) ==
    sorted((w, mo, "16") for w in ("cpu_hash", "io_backend") for mo in ("threads", "async")),
    "one row per pair x model at c=16: %s" % [(r["workload"], r["model"], r["status"]) for r in rows])
for r in rows:
    tag = "%s %s c=%s" % (r["workload"], r["model"], r["concurrency"])
    place = dict(w.split("=") for w in r["placement"].split()[1:]) if r["placement"] else {}
    good = r["status"] == "ok" and r["placement"].split()[:1] == ["one"] and \
        place.get("model", "").isdigit()
    if r["workload"] == "io_backend":
        good = good and place.get("backend", "").isdigit() and \
            (place["backend"] != place["model"]) == (cores >= 2)
    say(good, "%s: ok, placed on one CPU: '%s'" % (tag, r["placement"]))
lines = [json.loads(l) for f in sorted(glob.glob(os.path.join(one, "stats", "*.jsonl")))
         for l in open(f)]
say(lines and len(lines) == sum(int(r["runs"] or 0) for r in rows),
    "onecpu/stats/ holds every counted run's stats line (%d)" % len(lines))
busy = [(l["model"], l["workload"], round((l["utime_s"] + l["stime_s"]) / l["wall_s"], 2))
        for l in lines if l.get("wall_s")]
say(busy and all(b <= 1.05 for _, _, b in busy),
    "every run used at most one core's worth of CPU over its window: %s" % busy)
say(len(glob.glob(os.path.join(one, "hyperfine", "*.json"))) == 4, "onecpu/hyperfine/ has 4 exports")
main_rows = list(csv.DictReader(open(os.path.join(run, "results.csv"))))
say(len(main_rows) == 4 and all(not r["placement"].startswith("one") for r in main_rows),
    "the main results.csv stays unconfined (%s)" % sorted({r["placement"] for r in main_rows}))
PY
cat "$SCRATCH/check.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/check.out")))

# The plan, without running: 16 and 256, those the run measures too (QUICK's
# levels, or CONCURRENCY=), with pairs that do CPU work per task stopping at
# 16; pairs outside the section's list are left out.  --no-onecpu (and
# nothing to measure) is recorded in meta.json, and nothing is written.
python3 - "$ROOT" "$SCRATCH/plan" >"$SCRATCH/plan.out" 2>&1 <<'PY'
import argparse, os, sys
sys.path.insert(0, sys.argv[1])
from harness.sweep import closed_loop as S, models, onecpu
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
ms = models.load()
pairs = [{"name": "io_sleep", "work": 0, "claims": "io,onecpu", "kind": "io", "delay_us": 1000},
         {"name": "mixed", "work": 3600, "claims": "onecpu,mix", "kind": "io", "delay_us": 1000},
         {"name": "cpu_hash", "work": 900, "claims": "onecpu", "kind": "cpu", "delay_us": 0},
         {"name": "file_read", "work": 0, "claims": "files", "kind": "io", "delay_us": 0}]
def plan(levels):
    a = argparse.Namespace(quick=False, models=ms)
    return sorted({(p["name"], c) for p, _, c in onecpu.plan(a, pairs, levels, S.point_order)})
full = {p["name"]: S.LEVELS["cpu" if p["name"] == "cpu_hash" else "io"] for p in pairs}
got = plan(full)
say(got == [("cpu_hash", 16), ("io_sleep", 16), ("io_sleep", 256), ("mixed", 16)],
    "default levels: io_sleep 16,256; mixed and cpu_hash (CPU work) 16; file_read (no "
    "onecpu claim) not in the section: %s" % got)
quick = {p["name"]: S.kind_levels(p, True) for p in pairs}
got = plan(quick)
say(got == [("io_sleep", 16), ("io_sleep", 256)],
    "QUICK's levels (CPU pairs 1 and 64: none of the section's): %s" % got)
got = plan({"io_sleep": [2, 256], "mixed": [16, 256], "cpu_hash": [1], "file_read": [16]})
say(got == [("io_sleep", 256), ("mixed", 16)], "only levels the run measures: %s" % got)
a = argparse.Namespace(quick=False, models=ms, no_onecpu=True)
meta = {"commands": []}
rc = onecpu.run(a, None, pairs, full, sys.argv[2], meta, lambda: None, S.point_order, S.csv_order,
               S.point_groups)
say(rc is None and meta["onecpu"]["status"] == "skipped" and "--no-onecpu" in meta["onecpu"]["reason"]
    and not os.path.exists(os.path.join(sys.argv[2], "onecpu")), "--no-onecpu: skipped, recorded, nothing written")
a.no_onecpu = False
rc = onecpu.run(a, None, pairs, {"io_sleep": [1, 2], "mixed": [256], "cpu_hash": [1], "file_read": [16]},
                sys.argv[2], meta,
                lambda: None, S.point_order, S.csv_order, S.point_groups)
say(rc is None and meta["onecpu"]["status"] == "skipped" and meta["onecpu"]["file"] is None,
    "no level of the section in the run: skipped with its reason: %s" % meta["onecpu"].get("reason"))
PY
cat "$SCRATCH/plan.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/plan.out")))

# make bench ONECPU=0 hands the sweep --no-onecpu (make -n: the command, not a run).
make -n -s -C "$ROOT" bench ONECPU=0 QUICK=1 >"$SCRATCH/make.out" 2>&1
check "make bench ONECPU=0 passes --no-onecpu" grep -q -- "--no-onecpu" "$SCRATCH/make.out"
make -n -s -C "$ROOT" bench QUICK=1 >"$SCRATCH/make.out" 2>&1
check "make bench without ONECPU does not" sh -c "! grep -q -- '--no-onecpu' '$SCRATCH/make.out'"
finish
