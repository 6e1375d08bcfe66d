#!/bin/sh
# test_platform.sh - the platform settings a run has, and the pool model
# (issue 27): no model gets a timer slack or a stack the others do not;
# each run records what it had.
#  - timer slack: a run inherits its parent's (the runner changes nothing),
#    --timer-slack-ns N sets N, the same on every binary; the JSON says which;
#  - stack: the stack a task runs on is recorded, never 0: a thread's from
#    RLIMIT_STACK or --stack-kib, a coroutine's, an async loop thread's;
#  - pool (bin/threads --pool N): above N tasks in flight they queue, and
#    latency counts the wait (2 workers, 8 slots: 4 services per task);
#  - bad values are usage errors; the registry's styles stay distinct; a
#    sweep passes TIMER_SLACK_NS to every model and results.csv records it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/backend_lib.sh"

LIMIT_S=20 # any one command here taking longer has hung

# field JSON KEY... : print the fields, space-separated ("" if not JSON).
fields() {
	python3 - "$@" <<'PY'
import json, sys
try:
    o = json.loads(sys.argv[1])
except ValueError:
    sys.exit(0)
print(" ".join(str(o.get(k)) for k in sys.argv[2:]))
PY
}

# with_slack NS CMD...: CMD run with its timer slack set to NS first (prctl
# PR_SET_TIMERSLACK = 29), so it inherits a slack that is not the default.
with_slack() {
	python3 - "$@" <<'PY'
import ctypes, os, sys
if ctypes.CDLL(None, use_errno=True).prctl(29, int(sys.argv[1]), 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_TIMERSLACK) failed")
os.execv(sys.argv[2], sys.argv[2:])
PY
}

# ---- timer slack: inherited unless asked, recorded ----------------------------
for m in threads async green uring; do
	got=$(fields "$(with_slack 123457 "$BIN/$m" io_sleep -c 2 -n 4 --json 2>/dev/null)" timer_slack_ns)
	check "$m inherits its parent's timer slack and records it (123457 ns, got $got)" [ "$got" = 123457 ]
	got=$(fields "$(with_slack 123457 "$BIN/$m" io_sleep -c 2 -n 4 --timer-slack-ns 1 --json 2>/dev/null)" timer_slack_ns)
	check "$m --timer-slack-ns 1 records 1 (got $got)" [ "$got" = 1 ]
done
mine=$(cat /proc/self/timerslack_ns 2>/dev/null)
got=$(fields "$("$BIN/threads" io_sleep -c 2 -n 4 --json 2>/dev/null)" timer_slack_ns)
check "threads run plainly records the slack it inherited ($mine ns, got $got)" [ "$got" = "$mine" ]
# The slack is the process's, so its threads have it: a pool worker's and a
# loop thread's wake-ups are those of the main thread.
got=$(fields "$("$BIN/threads" io_sleep -c 4 -n 8 --pool 2 --timer-slack-ns 7000 --json 2>/dev/null)" timer_slack_ns pool)
check "pool --timer-slack-ns 7000 records 7000 and its size 2 (got $got)" [ "$got" = "7000 2" ]

# ---- the stack a task runs on: recorded, never 0 ------------------------------
for kib in 8192 4096; do
	got=$(sh -c "ulimit -s $kib && exec '$BIN/threads' io_sleep -c 2 -n 4 --json" 2>/dev/null)
	got=$(fields "$got" stack_kib)
	check "threads with RLIMIT_STACK $kib KiB records stack_kib $kib (got $got)" [ "$got" = "$kib" ]
	got=$(sh -c "ulimit -s $kib && exec '$BIN/async' io_sleep -c 2 -n 4 --loops 2 --json" 2>/dev/null)
	got=$(fields "$got" stack_kib)
	check "async's tasks run on their loop threads' $kib KiB stacks (got $got)" [ "$got" = "$kib" ]
done
got=$(fields "$("$BIN/threads" io_sleep -c 2 -n 4 --stack-kib 64 --json 2>/dev/null)" stack_kib)
check "threads --stack-kib 64 records 64 (got $got)" [ "$got" = 64 ]
got=$(fields "$("$BIN/threads" io_sleep -c 4 -n 8 --pool 2 --stack-kib 128 --json 2>/dev/null)" stack_kib)
check "pool --stack-kib 128 records 128 (got $got)" [ "$got" = 128 ]
for m in green uring; do
	def=$(sed -n 's/^#define SCHED_DEFAULT_STACK_KIB \([0-9]*\).*/\1/p' "$ROOT/impl_green/sched.h")
	got=$(fields "$("$BIN/$m" io_sleep -c 2 -n 4 --json 2>/dev/null)" stack_kib)
	check "$m records its coroutine stack, the default $def KiB (got $got)" [ "$got" = "$def" ]
	got=$(fields "$("$BIN/$m" io_sleep -c 2 -n 4 --stack-kib 32 --json 2>/dev/null)" stack_kib)
	check "$m --stack-kib 32 records 32 (got $got)" [ "$got" = 32 ]
done

# ---- the pool queues above its size ---------------------------------------------
# 2 workers, 8 slots, 10 ms per task: each task waits for the 3 rounds ahead
# of it, so its latency is 4 services (>= 4 x 10 ms) and the pool completes
# at most 2 per 10 ms.  Bounds: those physics on one side; on the other,
# room for a loaded machine (a service stretched to 2.5x), and Little's law,
# which holds however slow the machine is.
D=10000
out=$("$BIN/threads" io_sleep -c 8 -n 96 --delay-us $D --pool 2 --json 2>/dev/null)
python3 - "$out" $D <<'PY' || not_ok "pool queueing: see above"
import json, sys
o, d = json.loads(sys.argv[1]), int(sys.argv[2])
little = o["throughput"] * o["mean_us"] / 1e6 / 8
checks = [
    ("pool 2, c=8: p50 %.1f ms is 4 services (4 x %d ms .. 10x)" % (o["p50_us"] / 1e3, d // 1000),
     4 * d * 0.98 <= o["p50_us"] <= 10 * d),
    ("pool 2, c=8: throughput %.0f/s at most 2 per delay (%d/s), at least 40%% of it"
     % (o["throughput"], 2e6 / d), 0.4 * 2e6 / d <= o["throughput"] <= 2e6 / d * 1.01),
    ("pool 2, c=8: Little's law, throughput x mean / c = %.3f" % little, 0.9 <= little <= 1.1),
    ("pool 2, c=8: 3 threads (2 workers + main), got %d" % o["threads"], o["threads"] == 3),
    ("pool 2, c=8: every task done, %d" % o["done"], o["done"] == 96 and o["errors"] == 0),
    ("pool 2, c=8: min latency %.1f ms >= the delay" % (o["min_us"] / 1e3), o["min_us"] >= d),
]
for what, good in checks:
    print("%s - %s" % ("ok" if good else "not ok", what))
PY
out=$("$BIN/threads" io_sleep -c 8 -n 96 --delay-us $D --json 2>/dev/null)
p50=$(fields "$out" p50_us)
check "without the pool the same run does not queue: threads c=8 p50 $p50 us < 2 x $D" \
	python3 -c "import sys; sys.exit(0 if float('$p50') < 2 * $D else 1)"
# A pool at least as large as c: every task finds a worker, no queueing.
out=$("$BIN/threads" io_sleep -c 4 -n 48 --delay-us $D --pool 16 --json 2>/dev/null)
check "pool 16, c=4: p50 $(fields "$out" p50_us) us < 2 x $D, 17 threads ($(fields "$out" threads))" \
	python3 -c "import json, sys; o = json.loads(sys.argv[1]); sys.exit(0 if o['p50_us'] < 2 * $D and o['threads'] == 17 else 1)" "$out"
# A pool needs a socket per worker, not per slot: c far over RLIMIT_NOFILE runs.
out=$(sh -c "ulimit -n 256 && exec '$BIN/threads' io_backend -c 2000 -n 10000 --pool 8 --json" 2>"$SCRATCH/nofile.err")
check "pool 8 at c=2000 under RLIMIT_NOFILE 256 runs (a socket per worker): $(fields "$out" status done)" \
	[ "$(fields "$out" status done)" = "ok 10000" ]
sh -c "ulimit -n 256 && exec '$BIN/threads' io_backend -c 2000 -n 10000 --json" >"$SCRATCH/nofile.out" 2>"$SCRATCH/nofile.err"
check "threads at c=2000 under RLIMIT_NOFILE 256 is refused naming the limit ($(cat "$SCRATCH/nofile.err"))" \
	grep -q "RLIMIT_NOFILE" "$SCRATCH/nofile.err"

# A fault stops every worker, those waiting on the queue too: a pool short of
# threads (RLIMIT_NPROC, as an unprivileged user: root ignores it) fails
# naming pthread_create, and one whose backend dies mid-run fails, neither
# hanging.
timeout -k 2 $LIMIT_S setpriv --reuid=65534 --regid=65534 --clear-groups \
	prlimit --nproc=100 "$BIN/threads" io_sleep -c 4000 -n 8000 --pool 500 >/dev/null 2>"$SCRATCH/nproc.err"
rc=$?
check "pool 500 under RLIMIT_NPROC=100: exit $rc, naming pthread_create ($(cat "$SCRATCH/nproc.err"))" \
	sh -c "[ $rc = 3 ] && grep -q 'pthread_create: EAGAIN' '$SCRATCH/nproc.err'"
start_backend "$BIN" "$SCRATCH"
timeout -k 2 $LIMIT_S "$BIN/threads" io_backend -c 64 -n 10000000 --pool 4 \
	--backend "127.0.0.1:$PORT" >/dev/null 2>"$SCRATCH/died.err" &
RUN=$!
sleep 0.5
kill -KILL $BPID
wait $BPID 2>/dev/null
wait $RUN
rc=$?
check "pool 4, c=64, its backend killed mid-run: exit $rc, not a hang ($(cat "$SCRATCH/died.err"))" [ $rc = 3 ]

# ---- bad values: usage errors -------------------------------------------------------
for args in "--timer-slack-ns 0" "--timer-slack-ns -1" "--timer-slack-ns 5us" \
	"--timer-slack-ns 1000000001" "--timer-slack-ns ''" "--timer-slack-ns 1 --timer-slack-ns 2"; do
	for m in threads async green uring; do
		usage_error "$m io_sleep $args" "'$BIN/$m' io_sleep $args"
	done
done
for args in "--pool 0" "--pool x" "--pool 1000001" "--pool 2 --pool 3" "--pool"; do
	usage_error "threads io_sleep $args" "'$BIN/threads' io_sleep $args"
done
for m in async green uring; do
	usage_error "$m io_sleep --pool 4 (bin/threads only)" "'$BIN/$m' io_sleep --pool 4"
	check "... says it applies to bin/threads only" grep -q "applies to bin/threads only" "$SCRATCH/usage.err"
done
usage_error "sweep TIMER_SLACK_NS=0" \
	"python3 '$ROOT/harness/sweep/bench.py' --quick --timer-slack-ns 0 --results '$SCRATCH/bad'"
usage_error "sweep TIMER_SLACK_NS=fast" \
	"python3 '$ROOT/harness/sweep/bench.py' --quick --timer-slack-ns fast --results '$SCRATCH/bad'"
check "a refused sweep wrote nothing" [ ! -e "$SCRATCH/bad" ]

# ---- the registry: pool and threads-64k, styles distinct ------------------------
python3 - "$ROOT" <<'PY' || not_ok "registry: see above"
import sys
sys.path.insert(0, sys.argv[1])
from harness.sweep import models
reg = {m["name"]: m for m in models.load()}
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
say(reg.get("threads-64k", {}).get("flags") == ["--stack-kib=64"]
    and reg["threads-64k"]["binary"] == "threads", "threads-64k is bin/threads --stack-kib=64")
say(reg.get("pool", {}).get("binary") == "threads"
    and any(f.startswith("--pool=") for f in reg["pool"]["flags"]), "pool is bin/threads --pool=N")
colours = [m["colour"].lower() for m in reg.values()]
markers = [m["marker"] for m in reg.values()]
say(len(set(colours)) == len(colours), "every model has a colour of its own: %s" % colours)
say(len(set(markers)) == len(markers), "every model has a marker of its own: %s" % markers)
PY

# ---- the memory warning sets the pool beside threads ----------------------------
python3 - "$ROOT" <<'PY' || not_ok "pool beside threads: see above"
import sys
sys.path.insert(0, sys.argv[1])
from scripts.report import cautions
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
def row(model, c, status="ok", **kw):
    r = {"workload": "io_sleep", "model": model, "concurrency": c, "status": status,
         "throughput": 1000.0, "p50_us": 1000.0, "threads": c + 1, "pool": 0,
         "rss_per_task_kib": 30.0 if c >= 64 else None, "reason": ""}
    r.update(kw)
    return r
rows = [row("threads", 1), row("threads", 1024, p50_us=2000.0),
        row("threads", 100000, status="failed", reason="c=100000 needs a thread per task"),
        row("pool", 1, threads=201, pool=200), row("pool", 1024, threads=201, pool=200,
                                                   rss_per_task_kib=0.5, p50_us=5000.0),
        row("pool", 100000, threads=201, pool=200, rss_per_task_kib=0.01, p50_us=500000.0)]
t = cautions.ok_points(rows, "io_sleep", "threads")
text = cautions.pool_beside(rows, "io_sleep", t) or ""
say("201 threads" in text and "c=100000" in text and "threads failed (c=100000 needs" in text,
    "at its top level the pool is set beside threads' failure: %s" % text)
text = cautions.pool_beside(rows[:2] + rows[3:5], "io_sleep", t) or ""
say("1025 threads" in text and "201 threads" in text and "of 200 threads" in text,
    "where both ran, threads and memory side by side: %s" % text)
say(cautions.pool_beside(rows[:3], "io_sleep", t) is None, "no pool point: nothing said")
PY

# ---- a sweep gives every model the slack asked, and records it -------------------
python3 "$ROOT/harness/sweep/bench.py" --quick --concurrency 4 --workloads io_sleep \
	--models threads,pool,async,green --no-rate --no-onecpu --no-serve --quiet --timer-slack-ns 2000 \
	--results "$SCRATCH/res" 2>"$SCRATCH/sweep.err"
rc=$?
check "sweep with --timer-slack-ns 2000 (make bench TIMER_SLACK_NS=2000) exits 0 ($(tail -1 "$SCRATCH/sweep.err"))" [ $rc = 0 ]
python3 - "$SCRATCH/res/latest" <<'PY' || not_ok "sweep records: see above"
import csv, json, os, sys
run = sys.argv[1]
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
rows = list(csv.DictReader(open(os.path.join(run, "results.csv"))))
meta = json.load(open(os.path.join(run, "meta.json")))
got = {r["model"]: (r["timer_slack_ns"], r["stack_kib"], r["pool"]) for r in rows}
say(all(v[0] == "2000" for v in got.values()) and len(got) == 4,
    "every model's point recorded timer_slack_ns 2000: %s" % got)
say(all(v[1] not in ("", "0") for v in got.values()), "every point recorded a stack: %s" % got)
say(got.get("pool", ("", "", ""))[2] == "200" and got.get("threads", ("", "", ""))[2] == "0",
    "results.csv's pool column: 200 for pool, 0 for threads")
runs = [c for c in meta["commands"] if " io_sleep -c 4 " in c]
say(runs and all("--timer-slack-ns 2000" in c for c in runs),
    "every model run's command line has --timer-slack-ns 2000 (%d runs)" % len(runs))
say(meta["params"].get("timer_slack_ns") == 2000, "meta.json params.timer_slack_ns = 2000")
PY
finish
