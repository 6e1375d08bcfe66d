#!/bin/sh
# test_models.sh - every registered pair does the same work on every model:
# equal checksums at c = 1 and 64 (and 10,000 for the I/O pairs), no errors,
# the registry's tuned and bounded threads too (threads-64k: --stack-kib 64;
# pool: --pool, here of POOL threads, so that c = 64 and 10,000 queue),
# every task accounted for; the output contract of README (Options: exit status, --json).
. "$(dirname "$0")/lib.sh"

TASKS=640
BIG=10000
POOL=16 # the pool's threads in these runs: fewer than c = 64, so tasks queue

run_json() { # MODEL WORKLOAD ARGS... -> JSON on stdout, or nothing
	m=$1
	shift
	"$BIN/$m" "$@" --json 2>"$SCRATCH/err" || { cat "$SCRATCH/err" >&2; return 1; }
}

run_variant() { # VARIANT WORKLOAD ARGS...: run_json on threads, async, async2 (2 loops),
	# hybrid, green, green2 (2 loops), uring, pool (--pool 8)
	v=$1
	shift
	case $v in
	threads) run_json threads "$@" ;;
	pool) run_json threads "$@" --pool 8 ;;
	async) run_json async "$@" ;;
	async2) run_json async --loops 2 "$@" ;;
	hybrid) run_json async --workers 2 "$@" ;;
	green) run_json green "$@" ;;
	green2) run_json green --loops 2 "$@" ;;
	uring) run_json uring "$@" ;;
	esac
}

# field WORKLOAD KEY: a KEY=VALUE field of the pair's --list -v line.
field() {
	"$BIN/threads" --list -v | awk -F'\t' -v w="$1" -v k="$2=" \
		'$1 == w { for (i = 3; i < NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }'
}

for wl in $("$BIN/threads" --list); do
	kind=$("$BIN/threads" --list -v | awk -F'\t' -v w="$wl" '$1 == w { print $2 }')
	levels="1 64"
	# TVSA_SMALL=1 (make sanitize): no c=10,000 point under the sanitizers.
	# A pair's own top level (max_c: file_read's 1,024) caps it; redis_get's
	# 10,000 connections are tested on one loop only (tests/test_real_peers.sh).
	max_c=$(field "$wl" max_c)
	[ "$kind" = io ] && [ "$wl" != mixed ] && [ -z "${TVSA_SMALL:-}" ] &&
		[ "${max_c:-0}" = 0 ] && [ "$(field "$wl" peer)" != redis ] && levels="1 64 $BIG"
	# A pair's own options: a small data file in the scratch folder.
	set --
	case $(field "$wl" opts) in *data-dir*) set -- --data-dir "$SCRATCH/data" --file-mib 8 ;; esac
	for c in $levels; do
		n=$TASKS
		[ "$c" -gt "$n" ] && n=$c
		sums=""
		for variant in threads threads-64k pool async async2 green green2 uring; do
			case $variant in
			async2 | green2)
				loops=2
				[ "$c" -lt 2 ] && loops=1
				out=$(run_json ${variant%2} "$wl" -c "$c" -n "$n" --loops $loops "$@")
				;;
			threads-64k) out=$(run_json threads "$wl" -c "$c" -n "$n" --stack-kib 64 "$@") ;;
			pool) out=$(run_json threads "$wl" -c "$c" -n "$n" --pool $POOL "$@") ;;
			*) out=$(run_json $variant "$wl" -c "$c" -n "$n" "$@") ;;
			esac
			# A pair that cannot run on coroutines (coro=no) fails there at
			# once, naming why: a data point, not a broken model.
			case $variant in green | green2 | uring)
				if [ "$(field "$wl" coro)" = no ]; then
					check "$wl $variant c=$c: refused as unsupported, naming why" \
						grep -q "unsupported on ${variant%2}: " "$SCRATCH/err"
					continue
				fi ;;
			esac
			if [ -z "$out" ]; then
				not_ok "$wl $variant c=$c runs"
				continue
			fi
			done_=$(json_field "$out" done)
			errors=$(json_field "$out" errors)
			if [ "$done_" = "$n" ] && [ "$errors" = 0 ]; then
				ok "$wl $variant c=$c: $n tasks done, no errors"
			else
				not_ok "$wl $variant c=$c: done=$done_ errors=$errors of $n"
			fi
			sums="$sums $(json_field "$out" checksum)"
		done
		distinct=$(echo $sums | tr ' ' '\n' | sort -u | wc -l)
		check "$wl c=$c: checksums equal across models ($sums )" [ "$distinct" = 1 ]
	done
done

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
