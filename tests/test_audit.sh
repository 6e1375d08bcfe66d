#!/bin/sh
# test_audit.sh - `make audit` (harness/sweep/syscall_audit.py): a tiny audit
# of two models on two pairs writes syscalls.csv of the right shape, audit.md
# and results/latest-audit; a known per-task call shows (threads io_sleep:
# one clock_nanosleep per task), set-up cancels (no clone3 per task), and
# async redis_get makes no epoll_ctl per GET (its event adapter,
# impl_async/redis_ev.c).  The parsers of both counters' outputs, the strace
# path where strace works, and bad input.  Skipped in one line where neither
# perf nor strace can count.
. "$(dirname "$0")/lib.sh"

AUDIT="$ROOT/harness/sweep/audit.py"
OUT="$SCRATCH/results"

# --- the parsers, on fixed text -------------------------------------------------
check "perf stat -x, and strace -c -U calls,name outputs parse to {call: count}" python3 - "$ROOT" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from harness.sweep import syscount
perf = """# started on Sun Dec  6 20:31:13 2026

5000,,syscalls:sys_enter_clock_nanosleep,3049025525,100.00,,
0,,syscalls:sys_enter_epoll_ctl,3049025525,100.00,,
<not counted>,,syscalls:sys_enter_read,0,0.00,,
"""
strace = """    calls syscall
--------- ----------------
     2000 clock_nanosleep
       64 clone3
--------- ----------------
     2064 total
"""
ok = (syscount.parse_perf(perf) == {"clock_nanosleep": 5000, "epoll_ctl": 0}
      and syscount.parse_strace(strace) == {"clock_nanosleep": 2000, "clone3": 64})
sys.exit(0 if ok else 1)
PY

# --- bad input --------------------------------------------------------------------
usage_error "an unknown model" "python3 '$AUDIT' --models nosuch --results '$OUT'"
usage_error "a bad level" "python3 '$AUDIT' --concurrency 0 --results '$OUT'"
usage_error "TVSA_AUDIT_TOOL names no counter" \
	"TVSA_AUDIT_TOOL=dtrace python3 '$AUDIT' --models threads --results '$OUT'"

# --- a tiny audit -------------------------------------------------------------------
wls=io_sleep
command -v redis-server >/dev/null 2>&1 && wls=io_sleep,redis_get
SLACK=60000 # TIMER_SLACK_NS: it must reach every run, as the bench's do
python3 "$AUDIT" --models threads,async --workloads "$wls" --concurrency 64 --quiet \
	--timer-slack-ns $SLACK --results "$OUT" >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
if [ $rc = 3 ] && grep -q "no system-call counter works here" "$SCRATCH/err"; then
	ok "# SKIP the audit: $(cat "$SCRATCH/err")"
	finish
fi
check "a tiny audit ran (exit $rc: $(tail -1 "$SCRATCH/err"))" [ $rc = 0 ]
check "TIMER_SLACK_NS reached every run and meta.json records it" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
runs = [c for c in m["commands"] if " -c 64 " in c]
sys.exit(0 if m["timer_slack_ns"] == int(sys.argv[2]) and runs
         and all("--timer-slack-ns %s" % sys.argv[2] in c for c in runs) else 1)' \
	"$OUT/latest-audit/meta.json" $SLACK
check "results/latest-audit points at a complete audit folder" \
	sh -c "[ -L '$OUT/latest-audit' ] && [ -s '$OUT/latest-audit/audit.md' ] && grep -q '\"complete\": true' '$OUT/latest-audit/meta.json'"

# per_task FILE WORKLOAD MODEL C CALL: that point's per-task figure (0 if absent).
cat >"$SCRATCH/shape.py" <<'PY'
import csv, sys
from collections import Counter
rows = list(csv.DictReader(open(sys.argv[1])))
head = open(sys.argv[1]).readline().strip().split(",")
want = ["workload", "model", "concurrency", "status", "reason", "tool", "base_tasks", "tasks",
        "syscall", "base_calls", "calls", "per_task"]
points = {(r["workload"], r["model"], r["concurrency"]) for r in rows}
dups = [k for k, n in Counter((r["workload"], r["model"], r["concurrency"], r["syscall"])
                              for r in rows).items() if n > 1]
bad = [r for r in rows if r["status"] == "ok" and not (
    int(r["tasks"]) > int(r["base_tasks"]) > 0 and r["syscall"]
    and abs(float(r["per_task"]) - (int(r["calls"]) - int(r["base_calls"]))
            / (int(r["tasks"]) - int(r["base_tasks"]))) < 1e-3)]
expect = int(sys.argv[2])
ok = head == want and len(points) == expect and not dups and not bad and \
    all(r["status"] == "ok" for r in rows)
print("columns %s, %d points (want %d), %d repeated, %d inconsistent rows"
      % ("right" if head == want else head, len(points), expect, len(dups), len(bad)))
sys.exit(0 if ok else 1)
PY
npoints=$((2 * $(echo "$wls" | tr ',' '\n' | wc -l)))
csv="$OUT/latest-audit/syscalls.csv"
check "syscalls.csv: its columns, one row per point and call, per_task = (calls - base) / extra ($(python3 "$SCRATCH/shape.py" "$csv" $npoints))" \
	sh -c "python3 '$SCRATCH/shape.py' '$csv' $npoints >/dev/null"

per_task() {
	python3 -c 'import csv,sys
v=[float(r["per_task"]) for r in csv.DictReader(open(sys.argv[1]))
   if (r["workload"],r["model"],r["concurrency"],r["syscall"])==tuple(sys.argv[2:6])]
print(v[0] if v else 0.0)' "$@"
}
within() { python3 -c 'import sys; v,lo,hi=map(float,sys.argv[1:]); sys.exit(not lo<=v<=hi)' "$@"; }

v=$(per_task "$csv" io_sleep threads 64 clock_nanosleep)
check "threads io_sleep: one clock_nanosleep per task ($v)" within "$v" 0.95 1.05
v=$(per_task "$csv" io_sleep async 64 clock_nanosleep)
check "async io_sleep: no clock_nanosleep per task ($v)" within "$v" -0.01 0.01
v=$(per_task "$csv" io_sleep threads 64 clone3)
check "set-up cancels: threads make their 64 threads in both runs, no clone3 per task ($v)" \
	within "$v" -0.01 0.01
if [ "$wls" = io_sleep,redis_get ]; then
	v=$(per_task "$csv" redis_get async 64 epoll_ctl)
	check "async redis_get: at most 0.05 epoll_ctl per GET ($v; hiredis's own adapter: ~4)" \
		within "$v" -0.05 0.05
	v=$(per_task "$csv" redis_get threads 64 read)
	check "threads redis_get: a read per GET ($v)" within "$v" 0.9 1.2
else
	ok "# SKIP redis_get's epoll_ctl: redis-server not installed"
fi

# --- the strace path, where strace counts -----------------------------------------------
if command -v strace >/dev/null 2>&1 && strace -f -c -o /dev/null true 2>/dev/null; then
	TVSA_AUDIT_TOOL=strace python3 "$AUDIT" --models threads --workloads io_sleep \
		--concurrency 1 --quiet --results "$SCRATCH/st" 2>"$SCRATCH/st.err"
	v=$(per_task "$SCRATCH/st/latest-audit/syscalls.csv" io_sleep threads 1 clock_nanosleep)
	tool=$(sed -n 's/.*"tool": "\([a-z]*\)".*/\1/p' "$SCRATCH/st/latest-audit/meta.json")
	check "TVSA_AUDIT_TOOL=strace: counted by $tool, one clock_nanosleep per task ($v)" \
		sh -c "[ '$tool' = strace ] && python3 -c 'import sys; sys.exit(not 0.95 <= $v <= 1.05)'"
else
	ok "# SKIP the strace path: strace cannot trace here"
fi
finish
