#!/bin/sh
# test_efficiency.sh - the report's efficiency table (scripts/report/efficiency.py):
# each model's CPU per task beside the sum of the calibrated mechanisms its
# task uses (scripts/report/mechanisms.csv), flagged "implementation
# overhead" above 3x.  A model deliberately slowed (bin/async of a test build,
# CFLAGS=-DTVSA_TEST_HOOKS, with TVSA_TEST_SLOW_NS: each task spins that much
# CPU) is flagged in a small real sweep; the same sweep unslowed does not flag
# it.  Then the table's rules on fixed rows (the blocks term from vcsw per
# task): a model with no mechanism lines
# and a pair with no floor terms are unrated with the reason, a missing
# calibration figure too, and the sum is the table's.
. "$(dirname "$0")/lib.sh"

SLOW_NS=20000     # 20 us of CPU per task: async io_sleep's own is well under 1 us
TB="$ROOT/build/testhooks"   # the test build, kept between runs (build/ is ignored)

# --- a test build of bin/async, the others as they are -------------------------------
make -s -C "$ROOT" BUILD="$TB" BIN="$TB/bin" CFLAGS="-O2 -g -DTVSA_TEST_HOOKS" \
	"$TB/bin/async" >"$SCRATCH/build.log" 2>&1
check "a test build of bin/async with the slow switch ($(tail -1 "$SCRATCH/build.log"))" \
	[ -x "$TB/bin/async" ]
mkdir -p "$SCRATCH/bin"
for f in "$BIN"/*; do ln -s "$f" "$SCRATCH/bin/"; done
rm -f "$SCRATCH/bin/async"
ln -s "$TB/bin/async" "$SCRATCH/bin/async"

# The same switch in a normal build is ignored.
a=$(TVSA_TEST_SLOW_NS=$SLOW_NS "$BIN/async" io_sleep -c 8 -n 400 --json 2>/dev/null)
check "a normal build ignores TVSA_TEST_SLOW_NS (CPU per task $(python3 -c 'import json,sys
d=json.loads(sys.argv[1]); print("%.0f ns" % ((d["utime_s"]+d["stime_s"])/d["tasks"]*1e9))' "$a" 2>/dev/null))" \
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(not (d["utime_s"]+d["stime_s"])/d["tasks"] < 10e-6)' "$a"

# sweep NAME [ENV...]: a small sweep (io_sleep, threads and async, c=256) into $SCRATCH/NAME.
# c=256, not 64: at 64 slots on 1 ms waits a loop turn ends a few tasks, and
# its epoll_wait and timerfd re-arm (a loop turn, not in the mechanism sum)
# put async at 3-4x on a busy day, flagged for what the machine did.
sweep() {
	name=$1
	shift
	env TVSA_BIN="$SCRATCH/bin" "$@" python3 "$ROOT/harness/sweep/bench.py" --quick \
		--workloads io_sleep --models threads,async --concurrency 256 --no-rate --no-serve --quiet \
		--results "$SCRATCH/$name" >"$SCRATCH/$name.out" 2>"$SCRATCH/$name.err"
}
# flag DIR MODEL: "flag ratio cpu_ns" of the model's io_sleep row of efficiency.csv.
flag() {
	python3 -c 'import csv,sys
r=[r for r in csv.DictReader(open(sys.argv[1])) if r["workload"]=="io_sleep" and r["model"]==sys.argv[2]]
print("%s|%s|%s" % ((r[0]["flag"] or "none"), r[0]["ratio"], r[0]["cpu_ns_per_task"]) if r else "missing||")' \
		"$1/latest/efficiency.csv" "$2" 2>/dev/null || echo "missing||"
}

sweep plain
check "an unslowed sweep writes efficiency.csv ($(tail -1 "$SCRATCH/plain.err"))" \
	[ -s "$SCRATCH/plain/latest/efficiency.csv" ]
f=$(flag "$SCRATCH/plain" async)
check "unslowed: async is not flagged (flag|ratio|CPU ns per task: $f)" \
	sh -c "case '$f' in none\|*) exit 0;; *) exit 1;; esac"

sweep slow TVSA_TEST_SLOW_NS=$SLOW_NS
f=$(flag "$SCRATCH/slow" async)
check "slowed by $SLOW_NS ns a task: async is flagged implementation overhead ($f)" \
	sh -c "case '$f' in 'implementation overhead|'*) exit 0;; *) exit 1;; esac"
check "... and its CPU per task shows the spin (>= 0.9 x $SLOW_NS ns: $f)" \
	python3 -c 'import sys; sys.exit(not float(sys.argv[1].split("|")[2]) >= 0.9 * float(sys.argv[2]))' "$f" $SLOW_NS
check "... and report.md says so in its Efficiency section" \
	sh -c "sed -n '/^## Efficiency/,/^## /p' '$SCRATCH/slow/latest/report.md' | grep -q 'async on io_sleep'"

# --- the rules, on fixed rows -------------------------------------------------------------
check "the table's rules on fixed rows: sums, flags, unrated with a reason" python3 - "$ROOT" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from scripts.report import efficiency as E
cal = {"timer_event_ns": {"value": 50.0, "unit": "ns"}, "hist_record_ns": {"value": 2.0, "unit": "ns"},
       "event_dispatch_ns": {"value": 40.0, "unit": "ns"},
       "wakeup_pingpong_us": {"value": 2.0, "unit": "us"},
       "hist_record_shared_ns": {"value": 5.0, "unit": "ns"}}
meta = {"workloads": {"w": {"floor": "round_trips:0,timer_waits:1,work_is_cpu_hash:0,cpu_ns:0",
                            "kind": "io", "work": 0, "delay_us": 1000},
                      "f": {"floor": "none", "kind": "io", "work": 0, "delay_us": 0}},
        "model_info": {"async": {"binary": "async"}, "threads": {"binary": "threads"},
                       "odd": {"binary": "odd"}}}
def row(wl, m, c, cpu_s, tasks=1000, vcsw=0):
    return {"workload": wl, "model": m, "concurrency": c, "status": "ok", "utime_s": cpu_s,
            "stime_s": 0.0, "window_tasks": tasks, "tasks": tasks, "vcsw": vcsw}
rows = [row("w", "async", 64, 1000 * 400e-9), row("w", "threads", 64, 1000 * 2.1e-6, vcsw=1000),
        row("w", "odd", 64, 1e-3), row("w", "async", 256, 1e-3),
        row("f", "async", 64, 1e-3)]
rows.append(dict(row("w", "threads", 256, 1e-3), status="failed"))
got = {(d["workload"], d["model"]): d for d in E.table_rows(rows, meta, cal)}
a, t, o, f = got[("w", "async")], got[("w", "threads")], got[("w", "odd")], got[("f", "async")]
checks = [
    (a["concurrency"] == 64, "the top level every model reached ok (threads failed at 256)"),
    (abs(a["mechanism_ns"] - 92.0) < 1e-9, "async: dispatch 40 + record 2 + timer 50 = 92 ns"),
    (a["flag"] == E.FLAG and abs(a["ratio"] - 400 / 92) < 1e-9, "async at 400 ns: 4.3x, flagged"),
    (abs(t["mechanism_ns"] - 2005.0) < 1e-9 and not t["flag"],
     "threads: record 5 + one block a task (vcsw) 2000 = 2005 ns, 1.05x, not flagged"),
    (o["mechanism_ns"] is None and "mechanisms.csv" in o["why_unrated"], "odd: no lines: unrated"),
    (f["mechanism_ns"] is None and "floor" in f["why_unrated"], "a pair without floor terms"),
]
cal2 = dict(cal)
del cal2["timer_event_ns"]
a2 = [d for d in E.table_rows(rows, meta, cal2) if d["model"] == "async" and d["workload"] == "w"][0]
checks.append((a2["mechanism_ns"] is None and "timer_event_ns" in a2["why_unrated"],
               "a calibration without a figure it needs: unrated, naming it"))
checks.append(("No model" in "\n".join(E.lines([row("w", "async", 1, 1e-6 * 0.05)], meta, cal)),
               "nothing above 3x: the section says no model is flagged"))
for good, what in checks:
    print(("ok " if good else "NOT ") + what)
sys.exit(0 if all(g for g, _ in checks) else 1)
PY
finish
