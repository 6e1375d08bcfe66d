#!/bin/sh
# sanitize.sh - `make sanitize`: the tests again under the sanitizers.
#
#   ASan+UBSan  the cmocka tests, then test_models.sh (c = 1 and 64; its
#               c = 10,000 is test_models_big.sh's, not run here),
#               test_backend.sh (TVSA_SMALL=1: not its 20,000 connections)
#               and test_load.sh (bin/load against its fault-injecting peer)
#               on the sanitized binaries
#   TSan        every pair on bin/threads, bin/async --loops 2 (and --workers 2
#               where the hybrid model exists), bin/green --loops 2 and
#               bin/uring --loops 2 at c=16, and every thread of threads and
#               async failing together when their backend dies mid-run
#   valgrind    memcheck, no leaks of any kind: every pair on both models
#               (and the hybrid one) at c=4, a run whose backend is
#               unreachable, and bin/backend
#   libFuzzer   the seed corpora and tests/fuzz/regressions/ replayed
#
# Usage: tests/sanitize.sh BUILD, where `make sanitize` has built
# BUILD/{asan,tsan,valgrind}/bin, BUILD/asan/test-bin and BUILD/fuzz.
# Every tool writes its reports to one log folder, and any file there is a
# failure, even when the test that caused it expected a non-zero exit; the
# exit codes (86 ASan/UBSan, 66 TSan, 99 valgrind) fail the step as well.
# The last line is "N passed, N failed".
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:?usage: tests/sanitize.sh BUILD}
case $B in /*) ;; *) B="$ROOT/$B" ;; esac
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/tvsa-sanitize.XXXXXX")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tvsa-sanitize-work.XXXXXX") # not a log: kept out of LOGS
trap 'rm -rf "$LOGS" "$WORK"' EXIT

TSAN_C=16     # TSan: concurrency of the multi-threaded runs
TSAN_TASKS=320
VG_C=4        # valgrind: concurrency (its own cap is 500 threads)
VG_TASKS=40
TIMEOUT=300   # seconds any one step may take

export ASAN_OPTIONS="halt_on_error=1:exitcode=86:detect_leaks=1:log_path=$LOGS/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$LOGS/asan"
export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:log_path=$LOGS/tsan"
VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all \
--errors-for-leak-kinds=all --log-file=$LOGS/valgrind.%p"

passed=0
failed=0
ok() {
	echo "ok - $*"
	passed=$((passed + 1))
}
not_ok() {
	echo "not ok - $*"
	failed=$((failed + 1))
}
check() { # check DESCRIPTION COMMAND...
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# reports SECTION: fail once for each sanitizer log written since the last call.
reports() {
	for f in "$LOGS"/*; do
		[ -s "$f" ] || continue
		not_ok "$1: report in $(basename "$f"):"
		sed 's/^/    /' "$f" | head -40
		mv "$f" "$f.seen"
	done
	rm -f "$LOGS"/*.seen
}

# suite NAME COMMAND...: a shell test; its ok/not ok lines count here.
suite() {
	name=$1
	shift
	start=$(date +%s)
	"$@" >"$LOGS/out" 2>&1
	p=$(grep -c '^ok - ' "$LOGS/out")
	f=$(grep -c '^not ok - ' "$LOGS/out")
	grep '^not ok - ' "$LOGS/out"
	echo "$name: $p passed, $f failed ($(($(date +%s) - start)) s)"
	passed=$((passed + p))
	failed=$((failed + f))
	rm -f "$LOGS/out"
}

json_field() { # json_field JSON KEY
	python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2" \
		2>/dev/null
}

. "$(dirname "$0")/backend_lib.sh"

echo "== ASan+UBSan: unit tests and the model and backend tests"
for t in "$B"/asan/test-bin/*; do
	timeout $TIMEOUT "$t" >"$LOGS/out" 2>&1
	rc=$?
	check "$(basename "$t") (exit $rc)" [ $rc = 0 ]
	[ $rc = 0 ] || tail -20 "$LOGS/out"
	rm -f "$LOGS/out"
done
export TVSA_BIN="$B/asan/bin" TVSA_SMALL=1
suite test_models.sh timeout $TIMEOUT sh "$ROOT/tests/test_models.sh"
suite test_backend.sh timeout $TIMEOUT sh "$ROOT/tests/test_backend.sh"
suite test_load.sh timeout $TIMEOUT sh "$ROOT/tests/test_load.sh"
unset TVSA_BIN TVSA_SMALL
reports asan

echo "== TSan: every pair on threads and async --loops 2, c=$TSAN_C"
T="$B/tsan/bin"
for wl in $("$T/threads" --list); do
	out1=$(timeout $TIMEOUT "$T/threads" "$wl" -c $TSAN_C -n $TSAN_TASKS --json 2>/dev/null)
	rc1=$?
	out2=$(timeout $TIMEOUT "$T/async" "$wl" -c $TSAN_C -n $TSAN_TASKS --loops 2 --json \
		2>/dev/null)
	rc2=$?
	s1=$(json_field "$out1" checksum)
	s2=$(json_field "$out2" checksum)
	good=0
	[ $rc1 = 0 ] && [ $rc2 = 0 ] && [ -n "$s1" ] && [ "$s1" = "$s2" ] && good=1
	check "tsan $wl: threads exit $rc1, async --loops 2 exit $rc2, checksums $s1 $s2" \
		[ $good = 1 ]
	# The hybrid model (a CPU worker pool beside the loops), where it exists.
	if "$T/async" --help | grep -q -- --workers; then
		out3=$(timeout $TIMEOUT "$T/async" "$wl" -c $TSAN_C -n $TSAN_TASKS --loops 2 \
			--workers 2 --json 2>/dev/null)
		rc3=$?
		s3=$(json_field "$out3" checksum)
		good=0
		[ $rc3 = 0 ] && [ -n "$s3" ] && [ "$s3" = "$s1" ] && good=1
		check "tsan $wl: async --loops 2 --workers 2 exit $rc3, checksum $s3" [ $good = 1 ]
	fi
	# The coroutine models: fibers switched on two loop threads (a pair they
	# refuse, coro=no in --list -v, is refused there by design).
	"$T/threads" --list -v | grep "^$wl	" | grep -q "	coro=no	" && continue
	for m in green uring; do
		[ -x "$T/$m" ] || continue
		out4=$(timeout $TIMEOUT "$T/$m" "$wl" -c $TSAN_C -n $TSAN_TASKS --loops 2 --json \
			2>/dev/null)
		rc4=$?
		s4=$(json_field "$out4" checksum)
		good=0
		[ $rc4 = 0 ] && [ -n "$s4" ] && [ "$s4" = "$s1" ] && good=1
		check "tsan $wl: $m --loops 2 exit $rc4, checksum $s4" [ $good = 1 ]
	done
done
for m in threads async; do
	extra=""
	[ $m = async ] && extra="--loops 2"
	start_backend "$T" "$WORK"
	(
		sleep 0.5
		kill -KILL $BPID
	) &
	# shellcheck disable=SC2086
	timeout $TIMEOUT "$T/$m" io_backend -c $TSAN_C -n 100000000 $extra \
		--backend "127.0.0.1:$PORT" >/dev/null 2>&1
	rc=$?
	wait
	check "tsan $m: every thread fails cleanly when the backend dies mid-run (exit $rc)" \
		[ $rc = 3 ]
done 2>/dev/null
reports tsan

echo "== valgrind memcheck: no leaks, c=$VG_C"
V="$B/valgrind/bin"
variants="threads async hybrid"
"$V/async" --help | grep -q -- --workers || variants="threads async"
for wl in $("$V/threads" --list); do
	for v in $variants; do
		case $v in
		threads) m=threads extra="" ;;
		async) m=async extra="--loops 2" ;;
		hybrid) m=async extra="--workers 2" ;;
		esac
		# shellcheck disable=SC2086 # --hist-out: the histogram line is written too
		timeout $TIMEOUT $VALGRIND "$V/$m" "$wl" -c $VG_C -n $VG_TASKS $extra \
			--hist-out "$WORK/hist.jsonl" >/dev/null 2>&1
		rc=$?
		check "valgrind $m $wl${extra:+ $extra} --hist-out (exit $rc)" [ $rc = 0 ]
	done
done
for m in threads async; do
	# shellcheck disable=SC2086
	timeout $TIMEOUT $VALGRIND "$V/$m" io_backend -c $VG_C -n $VG_TASKS \
		--backend 127.0.0.1:1 >/dev/null 2>&1
	rc=$?
	check "valgrind $m with an unreachable backend: exit 3, nothing leaked (exit $rc)" \
		[ $rc = 3 ]
done
# shellcheck disable=SC2086
start_backend "$V" "$WORK" timeout $TIMEOUT $VALGRIND
"$V/threads" io_backend -c $VG_C -n $VG_TASKS --backend "127.0.0.1:$PORT" >/dev/null 2>&1
"$V/async" mixed -c $VG_C -n $VG_TASKS --loops 2 --backend "127.0.0.1:$PORT" >/dev/null 2>&1
python3 -c '
import socket, sys, time
a = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
a.sendall(b"GET / HTTP/1.1\r\n\r\n"); a.recv(8)
b = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
b.sendall(b"TVBQ"); b.close(); time.sleep(0.3)' "$PORT" 2>/dev/null
kill -TERM $BPID
wait $BPID
rc=$?
[ -n "$PORT" ] || rc="no port"
check "valgrind backend: served both models and bad clients, exit 0 on SIGTERM (exit $rc)" \
	[ "$rc" = 0 ]
reports valgrind

echo "== libFuzzer: seed corpora and regressions replayed"
for fz in "$B"/fuzz/fuzz_*; do
	t=${fz##*/fuzz_}
	files=$(find "$ROOT/tests/fuzz/corpus/$t" "$ROOT/tests/fuzz/regressions/$t" -type f \
		2>/dev/null | sort)
	n=$(echo "$files" | grep -c .)
	# shellcheck disable=SC2086
	timeout $TIMEOUT "$fz" $files >"$LOGS/out" 2>&1
	rc=$?
	check "fuzz_$t: $n corpus and regression inputs replay clean (exit $rc)" [ $rc = 0 ]
	[ $rc = 0 ] || grep -E 'check failed|ERROR|SUMMARY|Running' "$LOGS/out" | tail -5
	rm -f "$LOGS/out"
done
reports fuzz

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
