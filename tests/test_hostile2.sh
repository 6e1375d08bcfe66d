#!/bin/sh
# test_hostile2.sh - the second hostile round, on the model binaries and
# bin/calibrate (the sweep's and the report's cases are in
# test_hostile2_sweep.sh): outputs that are devices, FIFOs or folders never
# replaced; peers out of step or evicting keys fail the run naming why; the
# time limit covering set-up; a stop signal leaving no cgroup behind;
# misleading messages.  Each case is numbered as in the issue that found it.
# Every process started here carries TVSA_HOSTILE2_RUN and is killed on exit.
# tvsa: long -- the second hostile round, peers and limits it waits out, ~10 s
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/backend_lib.sh"

LIMIT_S=30 # any one command here taking longer has hung
RUN_TAG="tvsa-hostile2-$$-$(date +%s%N)"
export TVSA_HOSTILE2_RUN="$RUN_TAG"
MODELS="threads async green uring"

cleanup() {
	for p in $(tagged "TVSA_HOSTILE2_RUN=$RUN_TAG"); do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
nlines() { wc -l <"$1" | tr -d ' '; }

# failed_with WANT PATTERN DESC: the last command's $rc and $SCRATCH/err:
# exit WANT and one line matching PATTERN.
failed_with() {
	if [ "$rc" = "$1" ] && [ "$(nlines "$SCRATCH/err")" = 1 ] &&
		grep -Eq "$2" "$SCRATCH/err"; then
		ok "$3: exit $rc: $(cat "$SCRATCH/err")"
	else
		not_ok "$3: exit $rc (want $1), $(nlines "$SCRATCH/err") lines: $(head -3 "$SCRATCH/err" | tr '\n' '|')"
	fi
}
is_chr() { [ -c "$1" ] && [ ! -f "$1" ]; }

# ---- 1. An output path that is not a regular file is never replaced ----
mkdir -p "$SCRATCH/o"
if mknod -m 666 "$SCRATCH/o/full" c 1 7 2>/dev/null && mknod -m 666 "$SCRATCH/o/null" c 1 3; then
	timeout $LIMIT_S "$BIN/calibrate" --quick --quiet --out "$SCRATCH/o/full" >/dev/null 2>"$SCRATCH/err"
	rc=$?
	failed_with 3 'No space left' "1: calibrate --out a full device: a lost result"
	check "1: ... and the device node is still a device" is_chr "$SCRATCH/o/full"
	timeout $LIMIT_S "$BIN/calibrate" --quick --quiet --out "$SCRATCH/o/null" 2>"$SCRATCH/err"
	rc=$?
	check "1: calibrate --out a null device: written through, exit $rc" [ $rc = 0 ]
	check "1: ... and the device node is still a device" is_chr "$SCRATCH/o/null"
	timeout $LIMIT_S "$BIN/threads" io_sleep -n 20 --stats-out "$SCRATCH/o/null" \
		--hist-out "$SCRATCH/o/null" 2>/dev/null
	rc=$?
	check "1: a model's --stats-out and --hist-out a device: exit $rc, still a device" \
		sh -c "[ $rc = 0 ] && [ -c '$SCRATCH/o/null' ]"
else
	ok "1: skip: mknod not allowed here"
fi
mkfifo "$SCRATCH/o/fifo"
(timeout $LIMIT_S cat "$SCRATCH/o/fifo" >"$SCRATCH/o/fifo.read") &
RJOB=$!
timeout $LIMIT_S "$BIN/calibrate" --quick --quiet --out "$SCRATCH/o/fifo" 2>"$SCRATCH/err"
rc=$?
wait $RJOB
check "1: calibrate --out a FIFO with a reader: the CSV goes through it (exit $rc, $(nlines "$SCRATCH/o/fifo.read") lines read)" \
	sh -c "[ $rc = 0 ] && head -1 '$SCRATCH/o/fifo.read' | grep -q '^name,value' && [ -p '$SCRATCH/o/fifo' ]"
for opt in --stats-out --hist-out; do
	timeout $LIMIT_S "$BIN/async" io_sleep -n 20 $opt "$SCRATCH/o/fifo" >/dev/null 2>"$SCRATCH/err"
	rc=$?
	failed_with 3 'FIFO with no reader' "1, 5: async $opt a FIFO nobody reads: no hang"
done
usage_error "1: --stats-out a folder" "'$BIN/threads' io_sleep -n 5 --stats-out '$SCRATCH/o'"
usage_error "1: calibrate --out a folder" "'$BIN/calibrate' --quick --out '$SCRATCH/o'"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SCRATCH/o/sock"
usage_error "1: calibrate --out a socket" "'$BIN/calibrate' --quick --out '$SCRATCH/o/sock'"

# ---- 4. A peer out of step, a redis that evicts: failed runs, naming why ----
# A proxy in front of a real bin/backend that answers each request twice
# (twice) or adds bytes after each reply (extra).
cat >"$SCRATCH/proxy.py" <<'PY'
import socket, sys, threading
mode, bport = sys.argv[1], int(sys.argv[2])
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(256)
print(ls.getsockname()[1], flush=True)
def pump(src, dst, replies):
    buf = b""
    while True:
        try:
            d = src.recv(65536)
        except OSError:
            d = b""
        if not d:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            return
        if not replies:
            dst.sendall(d)
            continue
        buf += d
        while len(buf) >= 24:
            rep, buf = buf[:24], buf[24:]
            try:
                dst.sendall(rep + rep if mode == "twice" else rep + b"EXTRA!!!")
            except OSError:    # the model gave up on the connection: done
                return
while True:
    c, _ = ls.accept()
    b = socket.create_connection(("127.0.0.1", bport))
    threading.Thread(target=pump, args=(c, b, False), daemon=True).start()
    threading.Thread(target=pump, args=(b, c, True), daemon=True).start()
PY
start_backend "$BIN" "$SCRATCH"
for mode in twice extra; do
	python3 "$SCRATCH/proxy.py" $mode "$PORT" >"$SCRATCH/proxy.port" &
	PPID_=$!
	for _ in $(seq 50); do [ -s "$SCRATCH/proxy.port" ] && break; sleep 0.1; done
	PP=$(cat "$SCRATCH/proxy.port")
	for m in $MODELS; do
		timeout $LIMIT_S "$BIN/$m" io_backend -c 4 -n 200 --delay-us 0 --backend "127.0.0.1:$PP" \
			--json >"$SCRATCH/out" 2>"$SCRATCH/err"
		rc=$?
		failed_with 3 'out of step' "4: $m io_backend, a backend that answers $mode"
	done
	kill $PPID_
	wait $PPID_ 2>/dev/null
	rm -f "$SCRATCH/proxy.port"
done
kill $BPID
wait $BPID 2>/dev/null

if command -v redis-server >/dev/null; then
	RP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --maxmemory 24mb \
		--maxmemory-policy allkeys-random >"$SCRATCH/redis.log" 2>&1 &
	RPID=$!
	for _ in $(seq 50); do redis-cli -p "$RP" ping >/dev/null 2>&1 && break; sleep 0.1; done
	for m in threads async; do
		timeout $LIMIT_S "$BIN/$m" redis_get -c 4 -n 2000 --value-bytes 4096 --redis "127.0.0.1:$RP" \
			>/dev/null 2>"$SCRATCH/err"
		rc=$?
		failed_with 3 'first: redis: GET .*no such key \(evicted' \
			"4, 9: $m redis_get on a redis that evicts the keys"
	done
	kill $RPID
	wait $RPID 2>/dev/null
else
	ok "4: skip: no redis-server"
fi

# ---- 5. The run's time limit covers set-up ----
mkdir -p "$SCRATCH/data"
mkfifo "$SCRATCH/data/tvsa-data-16m.bin"
timeout $LIMIT_S "$BIN/threads" file_read --data-dir "$SCRATCH/data" --file-mib 16 --timeout-s 5 \
	-n 10 2>"$SCRATCH/err"
rc=$?
failed_with 3 'not a regular file' "5: a data file that is a FIFO: refused, no hang"
# A peer that accepts and never answers, during set-up (redis_get's SETs).
mute_peer
start=$(date +%s)
timeout $LIMIT_S "$BIN/threads" redis_get -n 10 --redis "127.0.0.1:$MUTE_PORT" --timeout-s 3 \
	--io-timeout-s 2 2>"$SCRATCH/err"
rc=$?
dt=$(($(date +%s) - start))
failed_with 3 'no reply in 2 s \(--io-timeout-s\)' "5: a mute --redis at set-up: --io-timeout-s 2 honoured (${dt} s)"
start=$(date +%s)
timeout $LIMIT_S "$BIN/async" redis_get -n 10 --redis "127.0.0.1:$MUTE_PORT" --timeout-s 2 \
	--io-timeout-s 25 --json >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
dt=$(($(date +%s) - start))
check "5: ... and --timeout-s 2 covers that set-up: exit $rc after ${dt} s, a failed stats line" \
	sh -c "[ $rc = 3 ] && [ $dt -le 5 ] && grep -q '\"status\":\"failed\"' '$SCRATCH/out' && grep -q 'timed out' '$SCRATCH/err'"
kill $MUTE_PID
wait $MUTE_PID 2>/dev/null

# ---- 6. A model stopped by a signal leaves no memory cgroup behind ----
src=$("$BIN/threads" io_sleep -n 5 --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["mem_source"])')
case "$src" in cgroup*) true ;; *) false ;; esac
if [ $? = 0 ]; then
	for sig in INT TERM HUP QUIT; do
		python3 - "$BIN/threads" "$sig" >"$SCRATCH/sig.out" 2>&1 <<'PY'
import os, signal, subprocess, sys, time
sig = getattr(signal, "SIG" + sys.argv[2])
# Started with every stop signal at its default (a shell's background job
# has SIGINT ignored, a job under nohup SIGHUP, which a run then keeps
# ignoring, as nohup wants).
p = subprocess.Popen([sys.argv[1], "io_sleep", "-c", "4", "-n", "100000000"],
                     stderr=subprocess.DEVNULL,
                     preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL) for s in
                                         (signal.SIGINT, signal.SIGTERM, signal.SIGHUP,
                                          signal.SIGQUIT)])
cg = None
for _ in range(100):
    time.sleep(0.05)
    line = [l for l in open("/proc/%d/cgroup" % p.pid) if "memory" in l or l.startswith("0::")]
    if line and "tvsa-" in line[0]:
        cg = line[0].split(":", 2)[2].strip()
        break
p.send_signal(sig)
try:
    rc = p.wait(timeout=20)
except subprocess.TimeoutExpired:
    p.kill()
    print("still running 20 s after SIG%s (cgroup %s)" % (sys.argv[2], cg))
    sys.exit(1)
roots = ["/sys/fs/cgroup/memory", "/sys/fs/cgroup"]
left = cg and any(os.path.isdir(r + cg) for r in roots)
print("rc=%d cgroup=%s left=%s" % (rc, cg, left))
sys.exit(0 if cg and not left and rc == -sig else 1)
PY
		check "6: SIG$sig: the run dies of it and its cgroup is gone: $(cat "$SCRATCH/sig.out")" [ $? = 0 ]
	done
else
	ok "6: skip: no memory cgroup here (mem_source $src)"
fi

# ---- 9. Messages that mislead ----
usage_error "9: --backend [::1]:P says IPv6 is not supported" "'$BIN/async' io_backend --backend '[::1]:5000' -n 5"
usage_error "9: --backend H:P:5 is bad usage, not a failed run" "'$BIN/async' io_backend --backend 'localhost:5000:5' -n 5"
grep -q IPv6 "$SCRATCH/usage.err" && not_ok "9: H:P:5 is not called IPv6" || ok "9: H:P:5 is not called IPv6"

# ---- 10. --cache cold where the page cache cannot be dropped ----
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	SHM=$(mktemp -d /dev/shm/tvsa-cold.XXXXXX)
	timeout $LIMIT_S "$BIN/threads" file_read --data-dir "$SHM" --file-mib 16 --cache cold -n 10 \
		2>"$SCRATCH/err"
	rc=$?
	rm -rf "$SHM"
	failed_with 3 'cold reads cannot be had' "10: --cache cold on tmpfs is refused, not labelled cold"
else
	ok "10: skip: no writable /dev/shm"
fi
finish
