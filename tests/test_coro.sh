#!/bin/sh
# test_coro.sh - what is particular to the coroutine models (green, uring):
#  - a coroutine that overruns its stack fails the run in one line naming
#    --stack-kib (exit 3), not a bare SIGSEGV; no backend or cgroup is left;
#  - stack memory that cannot be had (mmap ENOMEM under an address-space
#    limit) is a failed run with its reason;
#  - where io_uring is unavailable uring fails in one line saying so;
#  - their options, --help and JSON model names;
#  - no sleep ends before its deadline on either driver of the sleep queues
#    (green: libevent timers, uring: io_uring timeouts; min latency >= the
#    delay), at several delays, concurrencies and loop counts;
#  - uring's I/O bound (a deadline in the sleep queues, the operation
#    cancelled when it comes first) ends a wait on a silent backend with the
#    --io-timeout-s line, not before the bound, as every model does;
#  - a slot on green costs at most a quarter of a thread's memory;
#  - a coroutine asleep in a blocking call the hooks do not know fails the
#    run naming the call (the watchdog), one the hooks cannot wait on fails
#    it too, and a coroutine busy on the CPU for longer is not flagged.
# Test hooks (not user options): TVSA_STACK_OVERFLOW=1 makes slot 0 recurse
# into its guard page; TVSA_URING_FAIL=1 makes ring set-up fail as if
# io_uring_queue_init had returned -ENOSYS (=ENOMEM: -ENOMEM); TVSA_UNHOOKED=recvfrom (a raw
# system call), select (libc's, not hooked) or poll2 (poll on two
# descriptors) makes slot 0 block in it on a socket that never answers.
. "$(dirname "$0")/lib.sh"

# fails_with LABEL PATTERN COMMAND...: exit 3, one stderr line matching PATTERN.
fails_with() {
	label=$1
	pat=$2
	shift 2
	"$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
	rc=$?
	lines=$(wc -l <"$SCRATCH/err")
	if [ $rc = 3 ] && [ "$lines" = 1 ] && grep -q -- "$pat" "$SCRATCH/err"; then
		ok "$label: exit 3, $(cat "$SCRATCH/err")"
	else
		not_ok "$label: exit $rc, $lines lines: $(head -3 "$SCRATCH/err")"
	fi
}

for m in green uring; do
	fails_with "$m stack overflow (io_sleep)" "overran its 64 KiB stack.*--stack-kib" \
		env TVSA_STACK_OVERFLOW=1 "$BIN/$m" io_sleep -c 4 -n 8
	fails_with "$m stack overflow, 2 loops, --stack-kib 32 (io_backend)" \
		"overran its 32 KiB stack.*--stack-kib" \
		env TVSA_STACK_OVERFLOW=1 "$BIN/$m" io_backend -c 4 -n 8 --loops 2 --stack-kib 32
	fails_with "$m stacks beyond the address space (mmap ENOMEM)" \
		"mmap of .*coroutine stacks.*Cannot allocate memory" \
		prlimit --as=1000000000 "$BIN/$m" io_sleep -c 1000 -n 1000 --stack-kib 4096
	out=$("$BIN/$m" io_sleep -c 4 -n 40 --stack-kib 16 --loops 2 --json 2>/dev/null)
	check "$m --json: model \"$m\", --stack-kib and --loops echoed" \
		python3 -c "import json,sys; o=json.loads(sys.argv[1]); sys.exit(0 if o['model'] == '$m' and o['stack_kib'] == 16 and o['loops'] == 2 and o['done'] == 40 else 1)" "$out"
	check "$m --help names --stack-kib and --loops" \
		sh -c "'$BIN/$m' --help | grep -q -- --stack-kib && '$BIN/$m' --help | grep -q -- --loops"
	usage_error "$m --workers" "'$BIN/$m' io_sleep --workers 2"
	usage_error "$m --stack-kib 8" "'$BIN/$m' io_sleep --stack-kib 8"
done
usage_error "threads --loops" "'$BIN/threads' io_sleep --loops 2"
sleep 0.2
left=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "tvsa-*" 2>/dev/null | while read -r d; do
	kill -0 "${d##*tvsa-}" 2>/dev/null || echo "$d"
done)
check "no memory cgroup left behind by an overflow${left:+ ($left)}" [ -z "$left" ]

for m in green uring; do
	fails_with "$m: a raw recvfrom system call in a coroutine, named" \
		"blocked its loop in recvfrom for at least [0-9]* ms: a blocking call the runtime does not hook" \
		env TVSA_UNHOOKED=recvfrom "$BIN/$m" io_sleep -c 4 -n 8 --json
	check "$m: ... and the stats line says so (status failed, the call in its reason)" \
		python3 -c 'import json, sys; o = json.loads(open(sys.argv[1]).readline())
sys.exit(0 if o["status"] == "failed" and "in recvfrom" in o["reason"] else 1)' "$SCRATCH/out"
	fails_with "$m --loops 2: libc's select in a coroutine (slot 0, in set-up), named" \
		"blocked its loop in [a-z0-9]*select[0-9]* for at least" \
		env TVSA_UNHOOKED=select "$BIN/$m" io_sleep -c 4 -n 8 --loops 2
	fails_with "$m: poll on two descriptors in a coroutine (hooked, not supported)" \
		"called poll on several descriptors" env TVSA_UNHOOKED=poll2 "$BIN/$m" cpu_hash -c 2 -n 4
	# About 6 million rounds (~300 ms of CPU) per task on the loop: working,
	# not asleep in a system call, so no failure however long it takes.
	out=$("$BIN/$m" cpu_hash -c 1 -n 2 --work 6000000 --json 2>"$SCRATCH/err")
	check "$m: a task on the CPU longer than the watchdog's bound is not flagged ($(head -c 200 "$SCRATCH/err"))" \
		[ "$(json_field "$out" done 2>/dev/null)" = 2 ]
done

fails_with "uring without io_uring (TVSA_URING_FAIL=1)" \
	"io_uring_queue_init: Function not implemented (io_uring unavailable" \
	env TVSA_URING_FAIL=1 "$BIN/uring" io_sleep -c 4 -n 8
fails_with "uring without io_uring, backend pair, 2 loops" "io_uring unavailable" \
	env TVSA_URING_FAIL=1 "$BIN/uring" io_backend -c 4 -n 8 --loops 2
fails_with "uring without the ring's memory (ENOMEM: the locked-memory limit before 5.12)" \
	"io_uring_queue_init: Cannot allocate memory (a kernel before 5.12 charges the ring to the locked-memory limit: raise ulimit -l" \
	env TVSA_URING_FAIL=ENOMEM "$BIN/uring" io_sleep -c 4 -n 8

# Tasks that never wait take turns, one a turn, as async's callbacks do: a
# slot that gave way between two tasks had its next task run without giving
# way (the give-way's own park counted as a wait), so half of cpu_hash's
# tasks ended one task's work after they arrived and p50 was ~1/20 of
# c / throughput (Little's mean) at c = 64.  Round-robin puts p50 near it.
for m in green uring; do
	"$BIN/$m" cpu_hash -c 64 -n 6400 --json >"$SCRATCH/rr.out" 2>"$SCRATCH/rr.err"
	r=$(python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); print("%.2f" % (d["p50_us"] * d["throughput"] / 1e6 / 64))' "$SCRATCH/rr.out" 2>/dev/null)
	check "$m: cpu_hash c=64 takes turns: p50 / (c / throughput) = ${r:-?} (>= 0.5)" \
		python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 0.5 else 1)" "${r:-0}"
done

# No sleep ends early: the design's rule, on both drivers of the sleep queues
# (many waits of one length, a batch per wake-up), as the async model's.
for m in green uring; do
	for run in "-c 1 -n 20 --delay-us 1000" "-c 3000 -n 30000 --delay-us 100" \
		"-c 10000 -n 40000 --delay-us 1000" "-c 2000 -n 8000 --delay-us 5000 --loops 2"; do
		# shellcheck disable=SC2086 # $run is a list of options
		out=$("$BIN/$m" io_sleep $run --json 2>/dev/null)
		delay=${run##*--delay-us }
		delay=${delay%% *}
		check "$m io_sleep $run: min latency $(json_field "$out" min_us 2>/dev/null) us >= $delay us, all done" \
			python3 -c "import json,sys; o=json.loads(sys.argv[1]); sys.exit(0 if o['min_us'] >= $delay and o['done'] == o['tasks'] else 1)" "$out"
	done
done

# The I/O bound against a backend that accepts and never answers, with
# --io-timeout-s 1: every model gives up with the option's name, and not
# before the bound (uring: its deadline in the sleep queues and a cancel,
# no linked timeout per send or recv).  Run side by side.
mute_peer
jobs=
for m in threads async green uring; do
	python3 -c '
import subprocess, sys, time
t0 = time.monotonic()
rc = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1], "w"), timeout=30)
print(rc, "%.3f" % (time.monotonic() - t0))' "$SCRATCH/bound-$m.err" timeout -k 2 30 \
		"$BIN/$m" io_backend -c 4 -n 8 --backend "127.0.0.1:$MUTE_PORT" --io-timeout-s 1 \
		>"$SCRATCH/bound-$m.rc" &
	jobs="$jobs $!"
done
# shellcheck disable=SC2086
wait $jobs
kill $MUTE_PID 2>/dev/null
wait $MUTE_PID 2>/dev/null
for m in threads async green uring; do
	read -r rc dt <"$SCRATCH/bound-$m.rc"
	check "$m io_backend, a silent backend, --io-timeout-s 1: exit $rc after $dt s (>= 1 s, < 10 s): $(head -1 "$SCRATCH/bound-$m.err")" \
		python3 -c "import sys; sys.exit(0 if '$rc' == '3' and 1.0 <= float('$dt') < 10 else 1)"
	check "$m: the failure names --io-timeout-s" grep -q 'io-timeout-s' "$SCRATCH/bound-$m.err"
done

# Memory per in-flight task, whole (RSS + kernel): c=1 against c=2000.
per() { # MODEL: KiB per task, or nothing
	a=$("$BIN/$1" io_sleep -c 1 -n 2 --delay-us 200000 --json 2>/dev/null)
	b=$("$BIN/$1" io_sleep -c 2000 -n 2000 --delay-us 200000 --json 2>/dev/null)
	python3 -c '
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
k = lambda o: o["maxrss_kib"] + (o["kmem_kib"] or 0)
print("%.2f" % ((k(b) - k(a)) / 1999))' "$a" "$b" 2>/dev/null
}
if [ -z "${TVSA_SMALL:-}" ]; then
	t=$(per threads)
	g=$(per green)
	check "green memory per task $g KiB <= a quarter of threads' $t KiB" \
		python3 -c "import sys; sys.exit(0 if 0 < float('$g') <= float('$t') / 4 else 1)"
fi
finish
