#!/bin/sh
# test_report_data.sh - the report's reading of the newer results.csv
# columns, on a small synthetic run folder (no benchmark runs, < 10 s):
# memory per task whole (user RSS + kernel, its source named) in the
# memory verdict, RSS alone and "not measured" on an older run; per-task
# figures under the noise floor shown as "below noise", never negative;
# points where the run's own backend saturated its core flagged; floors
# that are min(latency bound, CPU bound) with the round trip's CPU
# (rpc_cpu_us); and the figures drawn either way.  Asserts on data.
. "$(dirname "$0")/lib.sh"

python3 - "$SCRATCH" "$ROOT" <<'PY'
import csv, json, os, sys
out = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from harness.sweep.rundir import results_seal   # sealed, as the sweep seals
COLS = ["workload", "model", "concurrency", "status", "reason", "tasks", "window_tasks", "runs",
        "work", "delay_us", "throughput", "throughput_min", "throughput_max", "throughput_cv",
        "p50_us", "p50_us_min", "p50_us_max", "p90_us", "p99_us", "p99_us_min", "p99_us_max",
        "p999_us", "max_us", "mean_us", "maxrss_kib", "maxrss_kib_min", "maxrss_kib_max",
        "rss_per_task_kib", "kmem_kib", "kmem_per_task_kib", "mem_per_task_kib", "mem_source",
        "threads", "utime_s", "stime_s", "vcsw", "ivcsw", "wall_s", "setup_s", "teardown_s",
        "backend_cpu_s", "backend_vcsw", "backend_ivcsw", "backend_util", "placement",
        "cv", "noisy", "outliers", "littles_ratio", "checksum", "errors"]
# (model, c, throughput, rss KiB, kernel KiB, backend_util)
PTS = [("threads", 1, 950, 3000, 200, 0.02), ("threads", 64, 50000, 3300, 1700, 0.35),
       ("threads", 1024, 90000, 6000, 26000, 0.70),
       ("async", 1, 940, 3000, 100, 0.02), ("async", 64, 60000, 2950, 140, 0.45),
       ("async", 1024, 120000, 3100, 400, 0.95)]
def run(name, new_columns, source="cgroup-v2"):
    d = os.path.join(out, name)
    os.makedirs(d)
    base = {m: (rss, k) for m, c, _, rss, k, _ in PTS if c == 1}
    rows = []
    for m, c, thr, rss, k, bu in PTS:
        r = dict.fromkeys(COLS, "")
        b = base[m]
        r.update(workload="io_backend", model=m, concurrency=c, status="ok", tasks=10000,
                 runs=3, work=0, delay_us=1000, throughput=thr, throughput_min=thr * 0.99,
                 throughput_max=thr * 1.01, throughput_cv=0.01, cv=0.01, p50_us=c / thr * 1e6,
                 p50_us_min=c / thr * 1e6, p50_us_max=c / thr * 1e6, p90_us=c / thr * 1.1e6,
                 p99_us=c / thr * 1.3e6, p99_us_min=c / thr * 1.3e6, p99_us_max=c / thr * 1.3e6,
                 p999_us=c / thr * 1.5e6, max_us=c / thr * 2e6, mean_us=c / thr * 1e6,
                 maxrss_kib=rss, maxrss_kib_min=rss - 8, maxrss_kib_max=rss + 8,
                 threads=c + 1 if m == "threads" else 2, utime_s=0.1, stime_s=0.1, wall_s=0.4,
                 noisy=0, outliers=0, littles_ratio=1.0, checksum="00000000000000aa", errors=0)
        if c >= 64:
            r["rss_per_task_kib"] = (rss - b[0]) / (c - 1)
        if new_columns:
            r.update(mem_source=source, setup_s=0.01, teardown_s=0.005, backend_cpu_s=bu * 0.4,
                     backend_vcsw=1000, backend_ivcsw=10, backend_util=bu, placement="shared")
            if source != "none":
                r["kmem_kib"] = k
                if c >= 64:
                    r["kmem_per_task_kib"] = (k - b[1]) / (c - 1)
                    r["mem_per_task_kib"] = r["rss_per_task_kib"] + r["kmem_per_task_kib"]
        rows.append(r)
    cols = COLS if new_columns else [c for c in COLS if c not in (
        "kmem_kib", "kmem_per_task_kib", "mem_per_task_kib", "mem_source", "setup_s",
        "teardown_s", "backend_cpu_s", "backend_vcsw", "backend_ivcsw", "backend_util",
        "placement", "window_tasks")]
    with open(os.path.join(d, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    meta = {"run_id": name, "complete": True, "host": {"cores": 2},
            "results_csv": results_seal(os.path.join(d, "results.csv")),
            "models": ["threads", "async"], "params": {"runs": 3, "placement": "shared"},
            "workloads": {"io_backend": {"kind": "io", "work": 0, "delay_us": 1000,
                                         "needs_backend": True, "summary": "rpc"}}}
    json.dump(meta, open(os.path.join(d, "meta.json"), "w"))
    cal = [("tcp_rtt_us", 12.0), ("wake_overshoot_us", 60.0), ("cpu_hash_unit_ns", 55.0),
           ("timer_event_ns", 300.0), ("hist_record_ns", 10.0), ("cores", 2)]
    if name != "old":
        cal.append(("rpc_cpu_us", 12.1))
    with open(os.path.join(d, "calibration.csv"), "w") as f:
        f.write("name,value,unit,what\n" + "".join("%s,%s,u,x\n" % nv for nv in cal))
run("whole", True)
run("meminfo", True, "meminfo-system")
run("none", True, "none")
run("old", False)
PY

for run in whole meminfo none old; do
	python3 "$ROOT/scripts/report/report.py" "$SCRATCH/$run" 2>"$SCRATCH/$run.err"
	rc=$?
	check "report.py on the $run run exits 0 ($(tail -1 "$SCRATCH/$run.err"))" [ $rc = 0 ]
	check "$run: the io_backend figure drawn" test -s "$SCRATCH/$run/io_backend.png"
done

python3 - "$ROOT" "$SCRATCH" >"$SCRATCH/data.out" 2>&1 <<'PY'
import json, os, sys
sys.path.insert(0, sys.argv[1])
from scripts.report import claims, data, floors, load as L, render, rules
out = sys.argv[2]
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
def load(name):
    d = os.path.join(out, name)
    return (L.load_csv(os.path.join(d, "results.csv")), L.load_meta(os.path.join(d, "meta.json")),
            L.load_calibration(d)[0])
rows, meta, cal = load("whole")
mem = {v["claim"]: v for v in claims.verdicts(rows, meta)}[rules.CLAIMS["memory"]]
# threads at c=1024: (6000-3000)/1023 + (26000-200)/1023 = 2.93 + 25.2 = 28.2 KiB;
# async: (3100-3000)/1023 + (400-100)/1023 = 0.39 KiB, under the noise floor 0.5.
say(mem["verdict"] == "CONFIRMED" and "user RSS + kernel" in mem["evidence"]
    and "28.2 KiB" in mem["evidence"] and "cgroup v2" in mem["evidence"],
    "memory verdict on the whole memory per task, source named: %s" % mem["verdict"] + " " + mem["evidence"])
say(data.mem_source_text(rows).startswith("cgroup v2"), "source: %s" % data.mem_source_text(rows))
t1024 = data.rows_for(rows, model="threads", concurrency=1024)[0]
a64 = data.rows_for(rows, model="async", concurrency=64)[0]
say(render.per_task_cell(t1024).startswith("28.2 (2.93 + 25.2)"), "table cell: total (RSS + kernel): %s"
    % render.per_task_cell(t1024))
say(a64["rss_per_task_kib"] < 0 and render.per_task_cell(a64) == "below noise",
    "a negative per-task RSS is shown as below noise: %s -> %s" % (a64["rss_per_task_kib"],
                                                                 render.per_task_cell(a64)))
say(data.below_noise(-2.92, 64) and not data.below_noise(28.2, 1024), "below_noise: the rule")
bound = data.backend_bound_rows(rows)
say([(r["model"], r["concurrency"]) for r in bound] == [("async", 1024)],
    "backend-bound points: async c=1024 (backend_util 0.95 >= %s)" % data.BACKEND_BOUND_UTIL)
say("async" in render.notes_for(bound[0]) or "backend-bound" in render.notes_for(bound[0]),
    "the point's notes say backend-bound: %s" % render.notes_for(bound[0]))
say(data.kmem_measured(rows), "kernel memory columns found")

# The floor: min(latency bound, CPU bound).  io_backend at c=1024, delay
# 1000 + RTT 12 us (no wake-up: floors.py): c / L = 1.01M/s; 2 cores / 12.1 us = 165k/s.
fl = floors.workload_floor(rows, meta, cal, "io_backend")
t = floors.floor_throughput(fl, 1024)
say(abs(t - 2e6 / 12.1) < 1, "io_backend floor at c=1024 is the CPU bound: %.0f/s" % t)
say(abs(floors.floor_throughput(fl, 16) - 16e6 / 1012) < 1,
    "... and the latency bound at c=16: delay + TCP RTT, no wake-up")
orows, ometa, ocal = load("old")
ofl = floors.workload_floor(orows, ometa, ocal, "io_backend")
say(floors.floor_throughput(ofl, 1024) > 9e5 and "not in this floor" in ofl["summary"],
    "without rpc_cpu_us: latency bound only, and the summary says so")
say(not data.kmem_measured(orows) and data.mem_source_text(orows) == "not measured",
    "older run: kernel memory not measured")
omem = {v["claim"]: v for v in claims.verdicts(orows, ometa)}[rules.CLAIMS["memory"]]
say("kernel memory not measured" in omem["evidence"] and "RSS per task" in omem["evidence"],
    "older run: memory verdict on RSS, saying kernel memory was not measured")
say(render.backend_line(orows) is None and not data.backend_bound_rows(orows),
    "older run: no backend figures, no backend claim")
say(render.per_task_cell(data.rows_for(orows, model="async", concurrency=64)[0]) .startswith("below noise"),
    "older run: negative RSS per task below noise too")
nrows = load("none")[0]
say(not data.kmem_measured(nrows) and data.mem_source_text(nrows) == "not measured",
    "mem_source none: not measured, never zero")
mrows = load("meminfo")[0]
say("system-wide" in data.mem_source_text(mrows), "meminfo: marked system-wide")
PY
cat "$SCRATCH/data.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/data.out")))
cp "$SCRATCH/whole/io_backend.png" /tmp/w13/whole.png 2>/dev/null
cp "$SCRATCH/old/io_backend.png" /tmp/w13/old.png 2>/dev/null
finish
