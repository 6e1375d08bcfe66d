#!/bin/sh
# test_hostile.sh - faults a hostile user found beyond tests/test_faults.sh:
# sweeps sharing a results folder, results lost to a full disk or a closed
# stdout, a backend locked by clients that hold nothing, a slow reader reset,
# make killed under a sweep, tracebacks instead of one line, a damaged
# results.csv accepted, a run with no task done passing, and a silent backend
# waited on forever.  Each case is numbered as in the issue that found it.
# Every process started here carries TVSA_HOSTILE_RUN and is killed on exit.
# tvsa: long -- hostile peers it waits out, ~25 s
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/backend_lib.sh"

LIMIT_S=20 # any one command here taking longer has hung
TIMEOUT=$(command -v timeout) # by path: case 5 runs with a PATH of its own
MAKE_CLEAN="env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make"
RUN_TAG="tvsa-hostile-$$-$(date +%s%N)"
export TVSA_HOSTILE_RUN="$RUN_TAG"
FULL="$SCRATCH/full" # a 64 KiB tmpfs, when mount is allowed

cleanup() {
	for p in $(tagged "TVSA_HOSTILE_RUN=$RUN_TAG"); do
		kill -KILL "$p" 2>/dev/null
	done
	mountpoint -q "$FULL" 2>/dev/null && umount "$FULL"
	rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
nlines() { wc -l <"$1" | tr -d ' '; }
no_traceback() { ! grep -q Traceback "$1"; }

# one_line_exit WANT PATTERN DESC: the last command's $rc and $SCRATCH/err
# (make's own "*** Error" line aside): exit WANT, one line matching PATTERN.
one_line_exit() {
	grep -Ev '^make(\[[0-9]+\])?: \*\*\* ' "$SCRATCH/err" >"$SCRATCH/err1"
	if [ "$rc" = "$1" ] && [ "$(nlines "$SCRATCH/err1")" = 1 ] &&
		grep -Eq "$2" "$SCRATCH/err1" && no_traceback "$SCRATCH/err"; then
		ok "$3: exit $rc: $(cat "$SCRATCH/err1")"
	else
		not_ok "$3: exit $rc (want $1), $(nlines "$SCRATCH/err1") lines: $(head -4 "$SCRATCH/err" | tr '\n' '|')"
	fi
}

# A fake backend on a free port: python3 fake.py MODE prints the port, then
# serves.  silent: listens, never accepts or answers.  garbage: answers
# each request with 24 zero bytes (not a reply at all: out of step).
# wrong: answers each request with a reply to it (magic, id) carrying a
# wrong digest (a reply that fails verification: a task error).
cat >"$SCRATCH/fake.py" <<'PY'
import socket, sys, threading
mode = sys.argv[1]
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(64)
print(ls.getsockname()[1], flush=True)
def garbage(c):
    buf = b""
    while True:
        try:
            d = c.recv(4096)
        except OSError:
            return
        if not d:
            return
        buf += d
        while len(buf) >= 56:
            req, buf = buf[:56], buf[56:]
            if mode == "wrong":   # magic "TVBR", status 0, the request's id, digest 0
                c.sendall(b"TVBR" + bytes(4) + req[8:16] + bytes(8))
            else:
                c.sendall(bytes(24))
while True:
    if mode == "silent":
        threading.Event().wait()
    c, _ = ls.accept()
    threading.Thread(target=garbage, args=(c,), daemon=True).start()
PY
fake_backend() { # MODE -> FPORT, FPID
	python3 "$SCRATCH/fake.py" "$1" >"$SCRATCH/fake-$1.port" &
	FPID=$!
	for _ in $(seq 50); do [ -s "$SCRATCH/fake-$1.port" ] && break; sleep 0.1; done
	FPORT=$(cat "$SCRATCH/fake-$1.port")
}

# 8. A backend that accepts and never answers: no --timeout-s, no
# --io-timeout-s; every model must give up on its own (the default I/O
# bound), long before the 300 s run timeout.  Started first, checked last.
fake_backend silent
SILENT_PID=$FPID
SILENT_JOBS=
for m in threads async green uring; do
	(
		t0=$(date +%s)
		timeout -k 2 60 "$BIN/$m" io_backend -c 2 -n 4 --backend "127.0.0.1:$FPORT" \
			>"$SCRATCH/silent-$m.out" 2>"$SCRATCH/silent-$m.err"
		echo "$? $(($(date +%s) - t0))" >"$SCRATCH/silent-$m.rc"
	) &
	SILENT_JOBS="$SILENT_JOBS $!"
done

# 1. Two sweeps into one results folder in the same second: the clock frozen
# and the folder check slowed, so the old check-then-create race is certain.
# Each gets a folder of its own, with its own points and stats lines.
cat >"$SCRATCH/same_second.py" <<'PY'
import datetime, os, sys, time, types
import importlib
sys.path.insert(0, os.environ["ROOT"])
mod = importlib.import_module({"sweep": "harness.sweep.closed_loop",
                               "rate_sweep": "harness.sweep.open_loop"}[sys.argv[1]])
class Frozen(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return cls(2030, 1, 2, 3, 4, 5, tzinfo=tz)
mod.datetime = types.SimpleNamespace(datetime=Frozen, timezone=datetime.timezone)
real_exists = os.path.exists
def slow_exists(p):
    r = real_exists(p)
    if not r and "2030" in str(p):
        time.sleep(1.0)  # a busy machine, between the check and the create
    return r
os.path.exists = slow_exists
if sys.argv[1] == "rate_sweep":  # the folder is the point: no measuring
    mod.run_rate = lambda args, runner, run_dir, meta, **kw: []
    mod.report = lambda run_dir: 0
sys.exit(mod.main(sys.argv[2:]))
PY
R1="$SCRATCH/same"
SAME_PIDS=
for i in 1 2; do
	ROOT="$ROOT" timeout -k 2 90 python3 "$SCRATCH/same_second.py" sweep --quick --no-report \
		--no-rate --quiet --workloads cpu_hash --models threads --concurrency 1,2 \
		--results "$R1" >/dev/null 2>"$SCRATCH/same-$i.err" &
	SAME_PIDS="$SAME_PIDS $!"
done
for i in 1 2; do
	ROOT="$ROOT" timeout -k 2 30 python3 "$SCRATCH/same_second.py" rate_sweep --quick \
		--quiet --workloads io_sleep --models threads --results "$R1" \
		>/dev/null 2>"$SCRATCH/samerate-$i.err" &
	SAME_PIDS="$SAME_PIDS $!"
done
wait $SAME_PIDS
python3 - "$R1" "$SCRATCH" >"$SCRATCH/same.out" <<'PY'
import csv, glob, os, sys
res, scratch = sys.argv[1:3]
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
runs = sorted(d for d in glob.glob(os.path.join(res, "2030*")) if os.path.isdir(d))
detail = []
good = len(runs) == 2
for d in runs:
    try:
        rows = list(csv.DictReader(open(os.path.join(d, "results.csv"))))
    except OSError:
        rows = []
    stats = {os.path.basename(f): sum(1 for _ in open(f))
             for f in glob.glob(os.path.join(d, "stats", "*.jsonl"))}
    good = good and len(rows) == 2 and all(r["status"] == "ok" for r in rows) \
        and len(stats) == 2 and all(n == 3 for n in stats.values())
    detail.append("%s: %d rows, stats lines %s" % (os.path.basename(d), len(rows),
                                                   sorted(stats.values())))
errs = " | ".join(open(os.path.join(scratch, "same-%d.err" % i)).read().strip() for i in (1, 2))
say(good, "1: two sweeps in the same second into one folder: a folder each, 2 points and "
    "3 stats lines per point in each (the pilot is the warm-up): %s %s" % ("; ".join(detail) or "no run folder", errs))
rate = sorted(d for d in glob.glob(os.path.join(res, "rate-2030*")) if os.path.isdir(d))
errs = " | ".join(open(os.path.join(scratch, "samerate-%d.err" % i)).read().strip()[-200:]
                  for i in (1, 2))
say(len(rate) == 2 and "Traceback" not in errs,
    "1: two rate sweeps in the same second: a rate-<id> folder each: %s %s" % (
        [os.path.basename(d) for d in rate], errs))
PY
cat "$SCRATCH/same.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/same.out")))
GOOD_RUN=$(ls -d "$R1"/2030* 2>/dev/null | head -1)

# 2. A lost result is a failed run: stdout that cannot be written (/dev/full)
# and --stats-out on a full file system (a 64 KiB tmpfs; needs root).
for m in threads async; do
	"$BIN/$m" cpu_hash -c 2 -n 1000 --json >/dev/full 2>"$SCRATCH/err"
	rc=$?
	one_line_exit 3 'stdout: No space left' "2: $m cpu_hash --json >/dev/full"
done
mkdir -p "$FULL"
if mount -t tmpfs -o size=64k tmpfs "$FULL" 2>/dev/null; then
	dd if=/dev/zero of="$FULL/fill" bs=4k 2>/dev/null
	for m in threads async; do
		"$BIN/$m" cpu_hash -c 2 -n 1000 --stats-out "$FULL/$m.jsonl" 2>"$SCRATCH/err"
		rc=$?
		one_line_exit 3 'stats-out .*No space left' "2: $m --stats-out on a full file system"
	done
	# A sweep into it, with room for its first files only: it ends in one
	# line, exit 3, and leaves no temporary (half-written) file behind.
	rm -f "$FULL"/*.jsonl
	truncate -s 0 "$FULL/fill"
	dd if=/dev/zero of="$FULL/fill" bs=4k count=13 2>/dev/null
	timeout -k 2 60 python3 "$ROOT/harness/sweep/bench.py" --quick --no-report --no-rate --quiet \
		--workloads cpu_hash --models threads --concurrency 1,2 --results "$FULL/res" \
		>/dev/null 2>"$SCRATCH/err"
	rc=$?
	tmp=$(find "$FULL" -name '*.tmp*' | head -3)
	if [ "$rc" = 3 ] && no_traceback "$SCRATCH/err" &&
		tail -1 "$SCRATCH/err" | grep -q 'No space left' && [ -z "$tmp" ]; then
		ok "2, 5: sweep into a full disk: exit 3, no traceback, no temporary file: $(tail -1 "$SCRATCH/err")"
	else
		not_ok "2, 5: sweep into a full disk: exit $rc, temporary files: ${tmp:-none}: $(tail -3 "$SCRATCH/err" | tr '\n' '|')"
	fi
	umount "$FULL"
else
	ok "# skip 2: a full file system: mount -t tmpfs not permitted here"
fi

# 3. A backend locked by clients holding nothing: 40 connections (the
# backend's --max-conns) ask for a 30 s delay and their process goes away.
# The backend must notice at once, so a real client is served right after.
W="$SCRATCH/hangup"
mkdir -p "$W"
BACKEND_OPTS="--max-conns 40"
start_backend "$BIN" "$W"
BACKEND_OPTS=
HB=$BPID
timeout -k 2 $LIMIT_S "$BIN/async" io_backend -c 40 -n 40 --delay-us 30000000 --timeout-s 1 \
	--backend "127.0.0.1:$PORT" >/dev/null 2>&1
timeout -k 2 $LIMIT_S "$BIN/threads" io_backend -c 8 -n 400 --delay-us 0 --timeout-s 5 \
	--backend "127.0.0.1:$PORT" >/dev/null 2>"$SCRATCH/err"
rc=$?
check "3: a client right after 40 hung-up peers (each owed a 30 s reply) is served: exit $rc $(cat "$SCRATCH/err")" \
	[ $rc = 0 ]
kill -TERM $HB
wait $HB
hung=$(sed -n 's/.* \([0-9]*\) hung up with a reply pending.*/\1/p' "$W/backend.err")
check "3: the backend counted the 40 peers that left with a reply pending (${hung:-none})" \
	[ "${hung:-0}" = 40 ]

# An idle connection is closed after --idle-timeout-s; one waiting for a
# reply whose delay outlasts the timeout is not.
W="$SCRATCH/idle"
mkdir -p "$W"
BACKEND_OPTS="--idle-timeout-s 1"
start_backend "$BIN" "$W"
BACKEND_OPTS=
IB=$BPID
python3 - "${PORT:-1}" >"$SCRATCH/idle.out" 2>&1 <<'PY'
import socket, struct, sys, time
port = int(sys.argv[1])
idle = socket.create_connection(("127.0.0.1", port), timeout=10)
busy = socket.create_connection(("127.0.0.1", port), timeout=10)
busy.sendall(struct.pack("<IIQII", 0x51425654, 0, 9, 2500000, 0))  # a 2.5 s delay
t0 = time.monotonic()
try:
    gone = idle.recv(1) == b""
except OSError:
    gone = True
dt = time.monotonic() - t0
print("%s - 3: an idle connection is closed after --idle-timeout-s 1: %s after %.1f s"
      % ("ok" if gone and 0.9 <= dt <= 8 else "not ok", "closed" if gone else "open", dt))
try:
    rep = busy.recv(24)
except OSError as e:
    rep = b""
print("%s - 3: a connection owed a 2.5 s reply is not idle: %d reply bytes"
      % ("ok" if len(rep) == 24 else "not ok", len(rep)))
PY
cat "$SCRATCH/idle.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/idle.out")))
grep -q '^ok' "$SCRATCH/idle.out" || not_ok "3: idle check did not run: $(head -2 "$SCRATCH/idle.out")"
kill -TERM $IB 2>/dev/null
wait $IB
check "3: bin/backend --help documents --idle-timeout-s" \
	sh -c "'$BIN/backend' --help | grep -q -- --idle-timeout-s"

# 9. A slow reader: 200,000 pipelined requests, nothing read for 2 s, then
# read slowly.  Every reply arrives, in order; the connection is not reset.
W="$SCRATCH/slow"
mkdir -p "$W"
start_backend "$BIN" "$W"
SB=$BPID
cat >"$SCRATCH/slow.py" <<'PY'
import socket, struct, sys, threading, time
port, n, pause = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
s.settimeout(20)
reqs = b"".join(struct.pack("<IIQII", 0x51425654, 32, i, 0, 0) + bytes(32) for i in range(n))
err = []
def send():
    try:
        s.sendall(reqs)
    except OSError as e:
        err.append("send: %s" % e)
threading.Thread(target=send, daemon=True).start()
time.sleep(pause)
got, buf = 0, b""
try:
    while got < n:
        chunk = s.recv(4096)
        if not chunk:
            err.append("EOF")
            break
        buf += chunk
        while len(buf) >= 24:
            magic, st, i, dig = struct.unpack("<IIQQ", buf[:24])
            buf = buf[24:]
            if magic != 0x52425654 or i != got:
                err.append("reply %d out of order" % got)
            got += 1
except OSError as e:
    err.append("recv: %s" % e)
print("%s - 9: a slow reader of %d pipelined requests gets %d replies%s" % (
    "ok" if got == n and not err else "not ok", n, got, "; " + "; ".join(err[:3]) if err else ""))
PY
timeout -k 2 60 python3 "$SCRATCH/slow.py" "${PORT:-1}" 200000 2 >"$SCRATCH/slow.out" 2>&1
cat "$SCRATCH/slow.out"
grep -q '^ok' "$SCRATCH/slow.out" || FAILS=$((FAILS + 1))
kill -TERM $SB
wait $SB

# 4. SIGTERM to the make process alone (not its group): the sweep under it
# stops too, with its children, and results/latest does not move.
R="$SCRATCH/killmake"
mkdir -p "$R/previous"
ln -s previous "$R/latest"
cat >"$SCRATCH/killmake.py" <<'PY'
import glob, os, signal, subprocess, sys, time
res, tag, tagged = sys.argv[1:4]
cmd = sys.argv[4:]
def left():
    return subprocess.run([sys.executable, tagged, "TVSA_KILL_TAG=" + tag],
                          capture_output=True, text=True).stdout.split()
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
p = subprocess.Popen(cmd, env=dict(os.environ, TVSA_KILL_TAG=tag), start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
t0 = time.monotonic()
while (time.monotonic() - t0 < 60 and p.poll() is None
       and not glob.glob(os.path.join(res, "2*", "results.csv"))):
    time.sleep(0.05)
time.sleep(0.2)
during = len(left())
os.kill(p.pid, signal.SIGTERM)  # make alone, as `kill PID` would
p.wait()
deadline = time.monotonic() + 10
while left() and time.monotonic() < deadline:
    time.sleep(0.2)
survivors = left()
dt = time.monotonic() - (deadline - 10)
time.sleep(1.5)  # a sweep that went on would move latest at its end
say(during > 2 and not survivors,
    "4: SIGTERM to make alone: %d processes during, %s" % (during,
    "none left after %.1f s" % dt if not survivors else "%d left after 10 s" % len(survivors)))
say(os.readlink(os.path.join(res, "latest")) == "previous",
    "4: results/latest not moved (-> %s)" % os.readlink(os.path.join(res, "latest")))
PY
timeout -k 2 90 python3 "$SCRATCH/killmake.py" "$R" "km-$$" "$ROOT/tests/tagged.py" \
	$MAKE_CLEAN -s --no-print-directory -C "$ROOT" bench QUICK=1 QUIET=1 OUT="$R" \
	WORKLOADS=io_backend CONCURRENCY=1,16,256 >"$SCRATCH/km.out" 2>&1
cat "$SCRATCH/km.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/km.out")))
[ -s "$SCRATCH/km.out" ] || not_ok "4: no verdict (killmake.py failed)"
for p in $(tagged "TVSA_KILL_TAG=km-$$"); do kill -KILL "$p" 2>/dev/null; done

# 5. hyperfine missing from PATH: the sweep says so in one line (exit 2),
# and deps.sh (as root, with an apt-get that installs nothing) fails naming
# it instead of trusting apt.
NOHF="$SCRATCH/nohf"
mkdir -p "$NOHF"
for c in sh cc make pkg-config gnuplot pgrep prlimit taskset id git uname; do
	p=$(command -v $c) && ln -s "$p" "$NOHF/$c"
done
ln -s "$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')" "$NOHF/python3"
printf '#!/bin/sh\nexit 0\n' >"$NOHF/apt-get"
chmod +x "$NOHF/apt-get"
PATH="$NOHF" "$TIMEOUT" -k 2 $LIMIT_S "$NOHF/python3" "$ROOT/harness/sweep/bench.py" --quick \
	--results "$SCRATCH/nohf-res" >/dev/null 2>"$SCRATCH/err"
rc=$?
one_line_exit 2 'hyperfine' "5: sweep with hyperfine missing from PATH"
if [ "$(id -u)" = 0 ]; then
	PATH="$NOHF" "$TIMEOUT" -k 2 $LIMIT_S sh "$ROOT/scripts/deps.sh" >/dev/null 2>"$SCRATCH/err"
	rc=$?
	grep -v '^deps: installing' "$SCRATCH/err" >"$SCRATCH/err.d"
	mv "$SCRATCH/err.d" "$SCRATCH/err"
	one_line_exit 1 'still missing.*hyperfine' "5: deps.sh after an apt-get that left hyperfine off PATH"
else
	ok "# skip 5: deps.sh's apt-get path needs root"
fi

# 5, 6. A damaged results.csv given to make report and make compare: refused
# in one line naming what is wrong, never a traceback, never a report of
# what is left.  GOOD_RUN is a complete sweep of case 1 (2 points, sealed).
damage() { # NAME PYTHON-EXPR (of d: the file's bytes) -> $SCRATCH/bad-NAME/
	rm -rf "$SCRATCH/bad-$1"
	cp -r "$GOOD_RUN" "$SCRATCH/bad-$1"
	python3 -c "import sys; p=sys.argv[1]; d=open(p,'rb').read(); open(p,'wb').write($2)" \
		"$SCRATCH/bad-$1/results.csv"
}
if [ -n "$GOOD_RUN" ]; then
	while IFS='|' read -r name pat expr; do
		[ -z "$name" ] && continue
		damage "$name" "$expr"
		timeout -k 2 $LIMIT_S $MAKE_CLEAN -s --no-print-directory -C "$ROOT" report \
			RUN="$SCRATCH/bad-$name" </dev/null >/dev/null 2>"$SCRATCH/err"
		rc=$?
		[ -e "$SCRATCH/bad-$name/report.md" ] && rc="$rc, report.md written"
		one_line_exit 2 "refused.*$pat" "5, 6: make report on a results.csv with $name"
		timeout -k 2 $LIMIT_S $MAKE_CLEAN -s --no-print-directory -C "$ROOT" compare \
			A="$GOOD_RUN" B="$SCRATCH/bad-$name" </dev/null >/dev/null 2>"$SCRATCH/err"
		rc=$?
		one_line_exit 2 "refused.*$pat" "5, 6: make compare with $name"
	done <<'TABLE'
binary bytes|binary|d[:200] + bytes(range(256)) + d[200:]
a shifted column|cells|d.replace(b",ok,", b",ok,,", 1)
an open quote|quote|d.rstrip(b"\n") + b',"open\n'
its last row cut off mid-line|truncated|d[:-7]
its last row gone (truncated at a line)|rows|d[:d.rstrip(b"\n").rfind(b"\n") + 1]
TABLE
else
	not_ok "5, 6: no complete run from case 1 to damage"
fi

# 7. Every task failed (a backend whose replies all fail verification): no
# task done is a failed run on every model, with one line naming it and its
# first error; a peer that sends what is not a reply at all is out of step:
# the run fails at once, naming it.
for mode in wrong garbage; do
	fake_backend $mode
	want='no task done.*first: backend: a wrong reply'
	[ $mode = garbage ] && want='backend out of step'
	for m in threads async green uring; do
		timeout -k 2 $LIMIT_S "$BIN/$m" io_backend -c 2 -n 40 --backend "127.0.0.1:$FPORT" \
			>"$SCRATCH/out" 2>"$SCRATCH/err"
		rc=$?
		one_line_exit 3 "$want" "7: $m io_backend, every reply $mode"
	done
	kill $FPID
	wait $FPID 2>/dev/null
done

# 8, checked: every model gave up on the silent backend by itself.
wait $SILENT_JOBS
kill $SILENT_PID 2>/dev/null
for m in threads async green uring; do
	read -r rc dt <"$SCRATCH/silent-$m.rc"
	check "8: $m against a backend that never answers, no options: exit $rc after $dt s: $(head -2 "$SCRATCH/silent-$m.err" | tr '\n' '|')" \
		sh -c "[ $rc = 3 ] && [ $dt -le 40 ] && grep -q 'io-timeout-s' '$SCRATCH/silent-$m.err'"
done
finish
