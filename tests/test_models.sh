#!/bin/sh
# test_models.sh - every registered pair does the same work on every model:
# equal checksums at c = 1 and 64 (10,000: test_models_big.sh), no errors,
# the registry's tuned and bounded threads too (threads-64k: --stack-kib 64;
# pool: --pool, here of POOL threads, so that c = 64 and 10,000 queue),
# every task accounted for; the output contract of README (Options: exit status, --json).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/models_lib.sh"

# c = 1 and 64 for every pair; 10,000 is test_models_big.sh's (make test-long).
small_levels() { echo 1 64; }
pair_checks small_levels

# The JSON object carries every field of the contract.
out=$("$BIN/async" cpu_hash -c 2 -n 10 --json 2>/dev/null)
missing=$(python3 -c '
import json, sys
need = "workload model concurrency tasks wall_s window_s window_tasks throughput p50_us p90_us p99_us p999_us max_us maxrss_kib utime_s stime_s vcsw ivcsw threads checksum errors".split()
o = json.loads(sys.argv[1]); print(" ".join(k for k in need if k not in o))' "$out")
check "--json has every contract field${missing:+ (missing: $missing)}" [ -z "$missing" ]
check "checksum is a hex string" sh -c "echo '$out' | grep -q '\"checksum\":\"[0-9a-f]\{16\}\"'"
threads=$(json_field "$("$BIN/threads" cpu_hash -c 8 -n 16 --json 2>/dev/null)" threads)
check "threads reports its peak OS threads (8 workers + main = 9, got $threads)" [ "$threads" = 9 ]

# Open loop (--rate): arrivals on a schedule, so a run of N tasks at rate R
# lasts about N / R whatever the model; every model does the same work; and
# latency runs from the scheduled arrival, so it can never be below the
# service time (1 ms of io_sleep) and the schedule is kept at light load.
sums=""
for m in threads pool async async2 hybrid green green2 uring; do
	out=$(run_variant $m io_sleep -c 20 -n 400 --rate 2000)
	[ -n "$out" ] || { not_ok "$m --rate runs"; continue; }
	python3 - "$m" "$out" <<'PY' || not_ok "$m --rate: see above"
import json, sys
m, o = sys.argv[1], json.loads(sys.argv[2])
checks = [
    ("rate echoed in the JSON (%s)" % o["rate"], o["rate"] == 2000),
    ("all 400 tasks done, no errors", o["done"] == 400 and o["errors"] == 0),
    # 400 arrivals at 2000/s span 0.2 s: the run cannot be shorter than the
    # schedule, and at 1/10 of capacity it keeps up with it.
    ("wall %.3f s within 0.199..0.4 s of a 0.2 s schedule" % o["wall_s"],
     0.199 <= o["wall_s"] <= 0.4),
    ("min latency %.0f us >= the 1000 us service time" % o["min_us"], o["min_us"] >= 1000),
]
for what, good in checks:
    print("%s - %s --rate 2000: %s" % ("ok" if good else "not ok", m, what))
PY
	sums="$sums $(json_field "$out" checksum)"
done
closed=$(json_field "$(run_json threads io_sleep -c 20 -n 400)" checksum)
distinct=$(echo $sums $closed | tr ' ' '\n' | sort -u | wc -l)
check "--rate: checksums equal across models and to the closed loop ($sums $closed )" \
	[ "$distinct" = 1 ]
# An overloaded open loop: the queueing counts.  mixed on one loop cannot
# do 50,000 tasks/s (each needs ~200 us of CPU), so tasks wait for a slot
# and their latency from the schedule grows far beyond one task's cost.
out=$(run_json async mixed -c 4 -n 300 --rate 50000)
p99=$(json_field "$out" p99_us)
check "--rate overload: async mixed p99 $p99 us > 10 ms of queueing" \
	python3 -c "import sys; sys.exit(0 if float('$p99') > 10000 else 1)"

# The measured window (harness/runtime/dispatch.h), one rule for every model: a
# closed run of 5 or more tasks per slot reports the tasks that arrived after
# its first max(2c, n/5) completions, less the last c (ids c + max(2c, n/5) ..
# n - c), each latency in full; a shorter one, or an open-loop one, every task.
# The window's throughput and mean latency obey Little's law.
for m in threads async async2 hybrid green green2 uring; do
	steady=$(run_variant $m io_sleep -c 8 -n 80)
	two=$(run_variant $m io_sleep -c 2 -n 20)
	short=$(run_variant $m io_sleep -c 8 -n 39)
	open=$(run_variant $m io_sleep -c 8 -n 80 --rate 4000)
	[ -n "$steady" ] && [ -n "$short" ] && [ -n "$open" ] && [ -n "$two" ] || { not_ok "$m window runs"; continue; }
	python3 - "$m" "$steady" "$short" "$open" "$two" <<'PY' || not_ok "$m window: see above"
import json, sys
m, steady, short, open_, two = sys.argv[1], *(json.loads(a) for a in sys.argv[2:])
little = steady["throughput"] * steady["mean_us"] / 1e6 / 8
checks = [
    # Ids 24 .. 71 (8 + max(16, 16) .. 80 - 8), whatever the scheduler did.
    ("c=8 -n 80: window of %d tasks (80 - 8 - 8 - 16 = 48), rule %s"
     % (steady["window_tasks"], steady.get("window_rule")),
     steady["done"] == 80 and steady["window_tasks"] == 48
     and steady.get("window_rule") == "arrived-n/5"),
    ("c=8 -n 80: window %.4f s inside the run's %.4f s" % (steady["window_s"], steady["wall_s"]),
     0 < steady["window_s"] < steady["wall_s"]),
    ("c=8 -n 80: throughput %.0f/s = window tasks / window s" % steady["throughput"],
     abs(steady["throughput"] - steady["window_tasks"] / steady["window_s"])
     <= 0.01 * steady["throughput"]),
    ("c=8 -n 80: Little's law in the window, %.3f" % little, 0.9 <= little <= 1.1),
    ("c=8 -n 39 (under 5 per slot): the whole run, %d tasks" % short["window_tasks"],
     short["window_tasks"] == 39 and short["window_s"] == short["wall_s"]
     and short.get("window_rule") == "whole"),
    ("c=2 -n 20: window of %d tasks (20 - 2 - 2 - 4 = 12)" % two["window_tasks"],
     two["window_tasks"] == 12),
    ("--rate: every task, %d" % open_["window_tasks"],
     open_["window_tasks"] == 80 and open_["window_s"] == open_["wall_s"]
     and open_.get("window_rule") == "whole"),
]
for what, good in checks:
    print("%s - %s %s" % ("ok" if good else "not ok", m, what))
PY
done
# 64 threads time-slicing 50 us tasks on few CPUs seldom all turn over early:
# the same rule still holds (the rule before reported such a run whole), the
# late tasks counted with their whole latency.
out=$(run_json threads cpu_hash -c 64 -n 640)
check "threads cpu_hash c=64: its window by the one rule ($(json_field "$out" window_tasks) of 640: ids 192 .. 575)" \
	python3 -c 'import json, sys; o = json.loads(sys.argv[1])
sys.exit(0 if o["window_tasks"] == 384 and o["window_rule"] == "arrived-n/5" else 1)' "$out"

# More threads than the system lets one process have (the least of
# kernel.pid_max, kernel.threads-max and vm.max_map_count / 2, read here as
# the runtime reads them): refused before the first thread, naming the limit.
ceil=$(python3 -c 'v = [int(open("/proc/sys/" + p).read()) // k for p, k in
(("kernel/pid_max", 1), ("kernel/threads-max", 1), ("vm/max_map_count", 2))]; print(min(v) + 1)')
"$BIN/threads" io_sleep -c "$ceil" -n "$ceil" --json >"$SCRATCH/ceil.out" 2>"$SCRATCH/ceil.err"
rc=$?
check "threads io_sleep c=$ceil (over the ceiling): exit 3, no thread made, the limit named ($(cat "$SCRATCH/ceil.err"))" \
	python3 -c 'import json, sys; o = json.loads(open(sys.argv[1]).readline())
sys.exit(0 if sys.argv[2] == "3" and o["status"] == "failed" and o["threads"] == 0
         and ("pid_max" in o["reason"] or "threads-max" in o["reason"] or "max_map_count" in o["reason"]) else 1)' \
	"$SCRATCH/ceil.out" "$rc"

# --list prints one registered name per line, the same for every model.
for m in async green uring; do
	check "--list is the same for threads and $m" \
		sh -c "[ \"\$('$BIN/threads' --list)\" = \"\$('$BIN/$m' --list)\" ]"
done
n_def=$(grep -c '^WORKLOAD(' "$ROOT/workloads/workloads.def")
n_list=$("$BIN/async" --list | wc -l)
check "--list has one line per registry entry ($n_list of $n_def)" [ "$n_def" = "$n_list" ]

# --stats-out appends one line per run.
"$BIN/threads" cpu_hash -c 1 -n 10 --stats-out "$SCRATCH/s.jsonl" 2>/dev/null
"$BIN/async" cpu_hash -c 1 -n 10 --stats-out "$SCRATCH/s.jsonl" 2>/dev/null
check "--stats-out appends a line per run" [ "$(wc -l <"$SCRATCH/s.jsonl")" = 2 ]

# Bad usage: exit 2, one line on stderr, nothing on stdout.
for args in "nosuch" "cpu_hash -c 0" "cpu_hash -c x" "cpu_hash --frob" "cpu_hash -n" \
	"cpu_hash --backend 127.0.0.1:1" "cpu_hash --stats-out /nonexistent/dir/f" \
	"cpu_hash --cache cold" "io_backend --redis 127.0.0.1:1" "redis_get --backend 127.0.0.1:1" \
	"io_sleep --value-bytes 10" "mixed --data-dir /tmp" "file_read --cache lukewarm" \
	"redis_get --value-bytes 0" "file_read --file-mib 0" "file_read --data-dir ''"; do
	for m in threads async green uring; do
		usage_error "$m $args" "'$BIN/$m' $args"
	done
done
finish
