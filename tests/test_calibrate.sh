#!/bin/sh
# test_calibrate.sh - bin/calibrate (the machine's floor) and its place in a
# run: the CSV it writes (header, every figure present, positive and finite),
# --out written whole or not at all, bad options refused (exit 2, one line,
# no file), a failed measurement (exit 3, no file); then a tiny sweep leaves
# calibration.csv, floor_runs.jsonl and a report with a Calibration section,
# a sweep step whose calibrate fails goes on without the file, and the report
# of a run without calibration says so; the switch figures in the order that
# system calls impose on any machine.  No timed assertions: < 20 s.
. "$(dirname "$0")/lib.sh"

CAL="$BIN/calibrate"
NAMES="thread_create_join_us wakeup_pingpong_us tcp_rtt_us tcp_rtt_cross_cpu_us rpc_cpu_us rpc_cpu_batch_us tcp_rtt_min_us event_dispatch_ns timer_event_ns timer_cpu_ns
rss_per_idle_thread_kib rss_per_pending_event_kib cpu_hash_unit_ns wake_overshoot_us hist_record_ns hist_record_shared_ns coro_switch_ns swapcontext_switch_ns
switch_threads_unpinned_ns switch_threads_pinned_ns switch_async_ns switch_async_io_ns switch_green_ns switch_green_io_ns cores"

# check_csv FILE LABEL: the header, then every expected name once with a
# positive finite value; prints ok / not ok lines of its own, each "LABEL: ...".
check_csv() {
	python3 - "$1" "$2" $NAMES <<'PY'
import csv, math, sys
path, label, names = sys.argv[1], sys.argv[2], sys.argv[3:]
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + label + ": " + what)
with open(path, newline="") as f:
    header = f.readline().rstrip("\n")
    rows = list(csv.DictReader(f, fieldnames=header.split(",")))
say(header == "name,value,unit,what", "calibration CSV header is name,value,unit,what (%r)" % header)
got = [r["name"] for r in rows]
for n in names:
    vals = [r["value"] for r in rows if r["name"] == n]
    try:
        v = float(vals[0]) if len(vals) == 1 else float("nan")
    except ValueError:
        v = float("nan")
    say(math.isfinite(v) and v > 0, "%s present once, positive and finite: %s" % (n, vals))
say(len(got) == len(set(got)) == len(names), "no other and no duplicate rows (%d)" % len(got))
say(all(r["unit"] and r["what"] for r in rows), "every row has a unit and a description")
# The switch figures' orderings that hold under any load: each is the CPU
# time of what runs, and the I/O switch and the threads' switch make system
# calls that the token and the give-way do not.  (Pinned vs unpinned threads
# is left unasserted: a loaded machine can order them either way.)
v = {r["name"]: float(r["value"]) for r in rows if r["name"].startswith("switch_")}
for lo, hi in (("switch_async_ns", "switch_async_io_ns"), ("switch_green_ns", "switch_green_io_ns"),
               ("switch_async_ns", "switch_threads_pinned_ns")):
    if lo in v and hi in v:
        say(v[lo] < v[hi], "%s (%.4g ns) < %s (%.4g ns)" % (lo, v[lo], hi, v[hi]))
PY
}

# --out: the whole file, nothing on stdout, nothing on stderr with --quiet.
"$CAL" --quick --quiet --out "$SCRATCH/cal.csv" >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
check "calibrate --quick --quiet --out exits 0 (exit $rc: $(head -1 "$SCRATCH/err"))" [ $rc = 0 ]
check "--out: nothing on stdout" [ ! -s "$SCRATCH/out" ]
check "--quiet: nothing on stderr" [ ! -s "$SCRATCH/err" ]
check "--out: no temporary file left" sh -c "! ls '$SCRATCH' | grep -q 'tmp'"
if [ -s "$SCRATCH/cal.csv" ]; then
	check_csv "$SCRATCH/cal.csv" "--out" >"$SCRATCH/csv.out" 2>&1
	cat "$SCRATCH/csv.out"
	FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/csv.out")))
else
	not_ok "--out wrote $SCRATCH/cal.csv"
fi

# stdout: the same CSV; progress on stderr at most one line per figure.
"$CAL" --quick >"$SCRATCH/stdout.csv" 2>"$SCRATCH/err"
rc=$?
check "calibrate --quick (CSV on stdout) exits 0" [ $rc = 0 ]
check "stdout starts with the header" [ "$(head -1 "$SCRATCH/stdout.csv")" = "name,value,unit,what" ]
n_rows=$(($(wc -l <"$SCRATCH/stdout.csv") - 1))
n_err=$(wc -l <"$SCRATCH/err")
check "progress: at most one stderr line per figure ($n_err lines, $n_rows figures)" \
	[ "$n_err" -le "$n_rows" ]
"$CAL" --help >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
check "--help: exit 0, usage on stdout" sh -c "[ $rc = 0 ] && grep -q '^usage: calibrate' '$SCRATCH/out'"

# Bad options: exit 2, one line on stderr, nothing on stdout, no file.
for bad in "--bogus" "--out" "extra" "--quick=1" "-x" "--out ''" "--out '$SCRATCH/no/such/dir/c.csv'" \
	"--out '$SCRATCH'"; do
	rm -f "$SCRATCH/bad.csv"
	usage_error "calibrate $bad" "'$CAL' --quick $bad"
done
"$CAL" --quick --bogus --out "$SCRATCH/bad.csv" >/dev/null 2>&1
check "a refused command line writes no file" [ ! -e "$SCRATCH/bad.csv" ]

# --backend H:P: the round trip to a running bin/backend and its CPU, two
# more rows; a port nobody listens on fails the figure (exit 3, one line, no
# file); a value without a port is bad usage.
. "$ROOT/tests/backend_lib.sh"
start_backend "$BIN" "$SCRATCH"
if [ -n "$PORT" ]; then
	"$CAL" --quick --quiet --backend "127.0.0.1:$PORT" --out "$SCRATCH/remote.csv" 2>"$SCRATCH/err"
	rc=$?
	check "calibrate --backend 127.0.0.1:$PORT exits 0 ($(head -1 "$SCRATCH/err"))" [ $rc = 0 ]
	if [ -s "$SCRATCH/remote.csv" ]; then
		NAMES="$NAMES backend_rtt_us backend_rpc_cpu_us" \
			check_csv "$SCRATCH/remote.csv" "--backend" >"$SCRATCH/csv.out" 2>&1
		cat "$SCRATCH/csv.out"
		FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/csv.out")))
	fi
else
	not_ok "a bin/backend for --backend started"
fi
kill "$BPID" 2>/dev/null
wait "$BPID" 2>/dev/null
"$CAL" --quick --quiet --backend "127.0.0.1:${PORT:-1}" --out "$SCRATCH/gone.csv" >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
if [ $rc = 3 ] && [ "$(wc -l <"$SCRATCH/err")" = 1 ] && [ ! -e "$SCRATCH/gone.csv" ] &&
	grep -q backend_rtt_us "$SCRATCH/err"; then
	ok "--backend with nobody listening: exit 3, one line, no file: $(cat "$SCRATCH/err")"
else
	not_ok "--backend with nobody listening: exit $rc, stderr: $(head -3 "$SCRATCH/err")"
fi
usage_error "calibrate --backend without a port" "'$CAL' --quick --backend 127.0.0.1"

# A measurement that fails (no file descriptors left for its pipes): exit 3,
# one line naming it, no partial file.
(ulimit -n 5 && exec "$CAL" --quick --quiet --out "$SCRATCH/fail.csv") >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
if [ $rc = 3 ] && [ "$(wc -l <"$SCRATCH/err")" = 1 ] && [ ! -e "$SCRATCH/fail.csv" ]; then
	ok "a failed measurement: exit 3, one line, no file: $(cat "$SCRATCH/err")"
else
	not_ok "a failed measurement: exit $rc, stderr: $(head -3 "$SCRATCH/err"), file: $(ls "$SCRATCH"/fail.csv* 2>&1)"
fi

# A tiny sweep: calibration first, then the points; the report shows it.
RES="$SCRATCH/results"
python3 "$ROOT/harness/sweep/bench.py" --quick --concurrency 1 --workloads cpu_hash --models threads,async \
	--results "$RES" --quiet 2>"$SCRATCH/sweep.err"
rc=$?
check "tiny sweep exits 0 (exit $rc: $(tail -1 "$SCRATCH/sweep.err"))" [ $rc = 0 ]
RUN="$RES/latest"
check "the run has calibration.csv" test -s "$RUN/calibration.csv"
if [ -s "$RUN/calibration.csv" ]; then
	check_csv "$RUN/calibration.csv" "the run's calibration.csv" >"$SCRATCH/csv.out" 2>&1
	cat "$SCRATCH/csv.out"
	FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/csv.out")))
fi
check "meta.json records the calibration and its file" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
c = m.get("calibration") or {}
sys.exit(0 if c.get("status") == "ok" and c.get("file") == "calibration.csv"
         and any("calibrate" in x for x in m["commands"]) else 1)' "$RUN/meta.json"
check "floor_runs.jsonl: one ok run per model at c=1, delay 0" python3 -c '
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if sorted(r["model"] for r in runs) == ["async", "threads"] and all(
    r["status"] == "ok" and r["concurrency"] == 1 and r["delay_us"] == 0 and r["p50_us"] > 0
    for r in runs) else 1)' "$RUN/floor_runs.jsonl"
check "report has a Calibration section with the figures" \
	sh -c "grep -q '^## Calibration' '$RUN/report.md' && grep -q '| tcp_rtt_us |' '$RUN/report.md'"
check "report states the targets with PASS or MISS" \
	sh -c "grep -q 'within 1.30x of tcp_rtt' '$RUN/report.md' && grep -q 'hist_record() under' '$RUN/report.md' && grep -Eq '\*\*(PASS|MISS)\*\*' '$RUN/report.md'"
check "report has a distance-from-floor table" grep -q '^\*\*Distance from floor\*\*' "$RUN/report.md"
check "no temporary files left" sh -c "! find '$RES' -name '*.tmp*' | grep -q ."

# The report of a run without calibration says so, in both cases.
if [ -d "$RUN" ]; then
	cp -r "$RUN/." "$SCRATCH/old"
	rm -f "$SCRATCH/old/calibration.csv" "$SCRATCH/old/floor_runs.jsonl"
	python3 - "$SCRATCH/old/meta.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m.pop("calibration", None)
m.pop("floor_runs", None)
json.dump(m, open(sys.argv[1], "w"))
PY
	python3 "$ROOT/scripts/report/report.py" "$SCRATCH/old" 2>"$SCRATCH/err"
	check "report on an old run (no calibration.csv) exits 0 and says so" \
		sh -c "grep -q 'No calibration in this run' '$SCRATCH/old/report.md' && ! grep -q 'Distance from floor' '$SCRATCH/old/report.md'"
fi

# The sweep's calibration step with a calibrate that fails: one line on
# stderr, meta.json says so, no file, and the floor runs still happen.
mkdir -p "$SCRATCH/fakebin" "$SCRATCH/failrun"
printf '#!/bin/sh\necho "calibrate: tcp_rtt_us: connect: Connection refused" >&2\nexit 3\n' \
	>"$SCRATCH/fakebin/calibrate"
chmod +x "$SCRATCH/fakebin/calibrate"
ln -s "$BIN/threads" "$SCRATCH/fakebin/threads"
ln -s "$BIN/async" "$SCRATCH/fakebin/async"
python3 - "$ROOT" "$SCRATCH/fakebin" "$SCRATCH/failrun" 2>"$SCRATCH/fail.err" <<'PY'
import argparse, json, os, sys
sys.path.insert(0, sys.argv[1])
from harness.sweep import calibration, runner
os.environ["TVSA_BIN"] = sys.argv[2]    # the binaries' folder, read at call time
meta = {"commands": []}
calibration.calibrate(argparse.Namespace(quick=True, quiet=True), runner.Runner(), meta,
                      sys.argv[3])
json.dump(meta, open(os.path.join(sys.argv[3], "meta.json"), "w"))
PY
rc=$?
check "sweep step with a failing calibrate goes on (exit $rc)" [ $rc = 0 ]
check "... says so in one stderr line" \
	sh -c "[ \"\$(grep -c 'calibration failed' '$SCRATCH/fail.err')\" = 1 ]"
check "... leaves no calibration.csv and records the failure" python3 -c '
import json, os, sys
m = json.load(open(os.path.join(sys.argv[1], "meta.json")))
sys.exit(0 if m["calibration"]["status"] == "failed" and "Connection refused" in
         m["calibration"]["reason"] and not os.path.exists(os.path.join(sys.argv[1], "calibration.csv"))
         else 1)' "$SCRATCH/failrun"
check "... and still writes floor_runs.jsonl" test -s "$SCRATCH/failrun/floor_runs.jsonl"
if [ -d "$RUN" ]; then
	cp -r "$RUN/." "$SCRATCH/missing"
	rm -f "$SCRATCH/missing/calibration.csv"
	python3 - "$SCRATCH/missing/meta.json" "$SCRATCH/failrun/meta.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["calibration"] = json.load(open(sys.argv[2]))["calibration"]
json.dump(m, open(sys.argv[1], "w"))
PY
	python3 "$ROOT/scripts/report/report.py" "$SCRATCH/missing" 2>"$SCRATCH/err"
	check "report of a run whose calibration failed says calibration is missing" \
		grep -q 'Calibration is missing' "$SCRATCH/missing/report.md"
fi
finish
