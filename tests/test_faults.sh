#!/bin/sh
# test_faults.sh - the failure modes the design plans for (shared/DESIGN.md, section 5), provoked
# on purpose: resources that run out (threads, descriptors, --max-conns),
# faults (a backend killed mid-run, a hung run, SIGINT/SIGTERM in the middle
# of a sweep) and bad input to every entry point.  Each must end in one clear
# line and exit 2 (usage) or 3 (the run failed) -- never a crash (exit >= 128),
# a hang, or a half-written result -- and a sweep must record a failed point
# with its reason and go on.  Every process started here carries
# TVSA_FAULT_RUN in its environment, and all of them are killed on exit.
# tvsa: long -- sweeps under limits, hung and signalled sweeps, ~30 s
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/backend_lib.sh"

NOBODY=65534  # an unprivileged uid: root ignores RLIMIT_NPROC
AS_NOBODY="setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups"
LIMIT_S=20    # any one command here taking longer has hung
MAKE_CLEAN="env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make" # the same under `make test`

RUN_TAG="tvsa-faults-$$-$(date +%s%N)"
export TVSA_FAULT_RUN="$RUN_TAG"
NOBODY_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tvsa-faults-nobody.XXXXXX")
chown "$NOBODY" "$NOBODY_DIR"
chmod 755 "$NOBODY_DIR"


cleanup() {
	for p in $(tagged "TVSA_FAULT_RUN=$RUN_TAG"); do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$SCRATCH" "$NOBODY_DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

now_ms() { echo $(($(date +%s%N) / 1000000)); }
nlines() { wc -l <"$1" | tr -d ' '; }

# crash_or_hang RC: a description when RC is a crash (>= 128) or a hang
# (124: `timeout` had to stop it), else nothing.
crash_or_hang() {
	case $1 in
	124) echo "hung (killed after $LIMIT_S s)" ;;
	1[2-9][0-9] | 2[0-9][0-9]) echo "crashed (exit $1: signal $(($1 - 128)))" ;;
	esac
}

# expect_fail WANT_RC PATTERN DESC CMD...: CMD exits WANT_RC with exactly one
# line on stderr matching PATTERN (grep -E) and nothing on stdout.
expect_fail() {
	want=$1 pat=$2 desc=$3
	shift 3
	timeout -k 2 $LIMIT_S "$@" </dev/null >"$SCRATCH/out" 2>"$SCRATCH/err"
	rc=$?
	bad=$(crash_or_hang $rc)
	if [ -z "$bad" ] && [ $rc = "$want" ] && [ "$(nlines "$SCRATCH/err")" = 1 ] &&
		[ ! -s "$SCRATCH/out" ] && grep -Eq "$pat" "$SCRATCH/err"; then
		ok "$desc: exit $rc: $(cat "$SCRATCH/err")"
	else
		not_ok "$desc: ${bad:-exit $rc (want $want)}, $(nlines "$SCRATCH/err") stderr lines," \
			"$(wc -c <"$SCRATCH/out") stdout bytes: $(head -3 "$SCRATCH/err" | tr '\n' '|')"
	fi
}

all_served() { # JSON_FILE REF_JSON N: 1 if the run did N tasks, no errors, the reference's checksum
	python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); r=json.loads(sys.argv[2])
print(int(a["done"] == int(sys.argv[3]) and a["errors"] == 0 and a["checksum"] == r["checksum"]))' \
		"$1" "$2" "$3" 2>/dev/null
}
backend_count() { # the summary's "peak N open" of a backend.err file
	sed -n 's/.*(peak \([0-9]*\) open).*/\1/p' "$1" | tail -1
}

# ----------------------------------------------------------------------------
# 1. Exhaustion.
# ----------------------------------------------------------------------------

# pthread_create fails: RLIMIT_NPROC as an unprivileged user (root ignores it).
expect_fail 3 'pthread_create: EAGAIN.* at [0-9]+ threads' \
	"threads io_sleep -c 2000 under RLIMIT_NPROC=200 (uid $NOBODY)" \
	$AS_NOBODY prlimit --nproc=200 "$BIN/threads" io_sleep -c 2000 -n 2000

# Descriptors run out on the client side.
for m in threads async; do
	expect_fail 3 'c=2000 needs a socket per in-flight task.*RLIMIT_NOFILE is 100' \
		"$m io_backend -c 2000 under RLIMIT_NOFILE=100: refused before any connection" \
		prlimit --nofile=100:100 "$BIN/$m" io_backend -c 2000 -n 2000
done

# The backend at --max-conns: it serves the connections it has, refuses more
# (a second client never gets answered and times out), says so, and accepts
# again once connections close.
W="$SCRATCH/maxconns"
mkdir -p "$W"
BACKEND_OPTS="--max-conns 100"
start_backend "$BIN" "$W"
BACKEND_OPTS=
MC_PID=$BPID
ref=$("$BIN/async" io_backend -c 1000 -n 1000 --delay-us 100000 --json 2>/dev/null)
timeout -k 2 $LIMIT_S "$BIN/async" io_backend -c 100 -n 1000 --delay-us 100000 \
	--backend "127.0.0.1:$PORT" --json >"$W/a.json" 2>"$W/a.err" &
A=$!
for _ in $(seq 100); do # until the first client holds its 100 connections
	[ "$(ls "/proc/$MC_PID/fd" | wc -l)" -ge 100 ] && break
	sleep 0.05
done
t0=$(now_ms)
timeout -k 2 $LIMIT_S "$BIN/async" io_backend -c 300 -n 300 --delay-us 0 --timeout-s 1 \
	--backend "127.0.0.1:$PORT" >/dev/null 2>"$W/b.err"
rc=$?
check "a client of 300 past --max-conns 100 is not served: exit $rc in $(($(now_ms) - t0)) ms: $(cat "$W/b.err")" \
	sh -c "[ $rc = 3 ] && grep -q 'timed out' '$W/b.err'"
wait $A
rc=$?
a_ok=$(all_served "$W/a.json" "$ref" 1000)
check "the 100 connections it holds are served meanwhile: exit $rc, 1000 correct replies" \
	[ "$rc:$a_ok" = 0:1 ]
timeout -k 2 $LIMIT_S "$BIN/async" io_backend -c 50 -n 500 --delay-us 0 \
	--backend "127.0.0.1:$PORT" >/dev/null 2>"$W/c.err"
rc=$?
check "accept is re-armed once they close: a later client of 50 succeeds (exit $rc)" [ $rc = 0 ]
kill -TERM $MC_PID
wait $MC_PID
check "the backend said it hit the limit: $(grep max-conns "$W/backend.err" | head -1)" \
	grep -q -- '--max-conns 100 reached' "$W/backend.err"
check "and never held more than 100 (peak $(backend_count "$W/backend.err"))" \
	[ "$(backend_count "$W/backend.err")" = 100 ]

# The backend out of descriptors (EMFILE on accept): run unprivileged, so it
# cannot raise RLIMIT_NOFILE=64; it pauses accept and keeps serving.
W="$SCRATCH/emfile"
mkdir -p "$W"
start_backend "$BIN" "$W" $AS_NOBODY prlimit --nofile=64:64
EM_PID=$BPID
ref=$("$BIN/async" io_backend -c 400 -n 400 --delay-us 100000 --json 2>/dev/null)
timeout -k 2 $LIMIT_S "$BIN/async" io_backend -c 40 -n 400 --delay-us 100000 \
	--backend "127.0.0.1:$PORT" --json >"$W/a.json" 2>"$W/a.err" &
A=$!
for _ in $(seq 100); do
	[ "$(ls "/proc/$EM_PID/fd" 2>/dev/null | wc -l)" -ge 40 ] && break
	sleep 0.05
done
timeout -k 2 $LIMIT_S "$BIN/async" io_backend -c 100 -n 100 --delay-us 0 --timeout-s 1 \
	--backend "127.0.0.1:$PORT" >/dev/null 2>"$W/b.err"
rc=$?
check "a client of 100 beyond the backend's 64 descriptors is not served (exit $rc)" [ $rc = 3 ]
wait $A
rc=$?
a_ok=$(all_served "$W/a.json" "$ref" 400)
check "the backend at EMFILE keeps serving its 40 connections: exit $rc, 400 correct replies" \
	[ "$rc:$a_ok" = 0:1 ]
timeout -k 2 $LIMIT_S "$BIN/async" io_backend -c 40 -n 400 --delay-us 0 \
	--backend "127.0.0.1:$PORT" >/dev/null 2>"$W/c.err"
rc=$?
check "and accepts again when descriptors free up: a later client of 40 (exit $rc)" [ $rc = 0 ]
kill -TERM $EM_PID
wait $EM_PID
check "it said so: $(grep 'accept:' "$W/backend.err" | head -1)" \
	grep -q 'accept: Too many open files at [0-9]* open connections (descriptor limit 64' \
	"$W/backend.err"

# A sweep whose point fails records it (status, reason) and goes on:
# descriptors (as root, RLIMIT_NOFILE=200) and threads (RLIMIT_NPROC=300).
sweep_failed() { # DIR MODEL LEVEL PATTERN DESC: that row failed with the reason, c=1 rows ok
	python3 - "$@" <<'PY'
import csv, glob, json, re, sys
d, model, level, pat, desc = sys.argv[1:6]
runs = glob.glob(d + "/2*/results.csv")
rows = list(csv.DictReader(open(runs[0]))) if len(runs) == 1 else []
bad = [r for r in rows if r["model"] == model and r["concurrency"] == level]
good = (len(rows) == 4 and len(bad) == 1 and bad[0]["status"] == "failed"
        and re.search(pat, bad[0]["reason"])
        and all(r["status"] == "ok" for r in rows if r["concurrency"] == "1"))
print("%s - %s: %s" % ("ok" if good else "not ok", desc, "; ".join(
    "%s c=%s %s %s" % (r["model"], r["concurrency"], r["status"], r["reason"]) for r in rows)
    or "no results.csv"))
PY
}
R="$SCRATCH/sweep-nofile"
timeout -k 2 60 prlimit --nofile=200:200 python3 "$ROOT/harness/sweep/bench.py" --quick --no-report \
	--no-serve --quiet --workloads io_backend --models threads,async --concurrency 1,500 \
	--results "$R" >/dev/null 2>"$SCRATCH/sweep.err"
rc=$?
check "sweep under RLIMIT_NOFILE=200 exits 0 (exit $rc: $(tail -1 "$SCRATCH/sweep.err"))" [ $rc = 0 ]
sweep_failed "$R" threads 500 'c=500 needs a socket per in-flight task.*RLIMIT_NOFILE is 200' \
	"sweep: threads c=500 failed (descriptor limit), the next points measured" >"$SCRATCH/sf.out"
sweep_failed "$R" async 500 'c=500 needs a socket per in-flight task.*RLIMIT_NOFILE is 200' \
	"sweep: async c=500 failed (descriptor limit) as well" >>"$SCRATCH/sf.out"
R="$NOBODY_DIR/sweep-nproc"
timeout -k 2 60 $AS_NOBODY prlimit --nproc=300 env HOME="$NOBODY_DIR" \
	python3 "$ROOT/harness/sweep/bench.py" --quick --no-report --no-serve --quiet --workloads io_sleep \
	--models threads,async --concurrency 1,1000 --results "$R" >/dev/null 2>"$SCRATCH/sweep.err"
rc=$?
check "sweep under RLIMIT_NPROC=300 exits 0 (exit $rc: $(tail -1 "$SCRATCH/sweep.err"))" [ $rc = 0 ]
sweep_failed "$R" threads 1000 'pthread_create: EAGAIN.* at [0-9]+ threads' \
	"sweep: threads c=1000 failed (pthread_create EAGAIN), the next points measured" \
	>>"$SCRATCH/sf.out"
cat "$SCRATCH/sf.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/sf.out")))

# ----------------------------------------------------------------------------
# 2. Faults.
# ----------------------------------------------------------------------------

# The backend is killed mid-run: exit 3 within 3 s, naming it.
for m in threads async; do
	W="$SCRATCH/kill-$m"
	mkdir -p "$W"
	start_backend "$BIN" "$W"
	timeout -k 2 $LIMIT_S "$BIN/$m" io_backend --backend "127.0.0.1:$PORT" -c 50 -n 10000000 \
		>"$W/out" 2>"$W/err" &
	R_PID=$!
	sleep 0.5
	kill -KILL $BPID
	t0=$(now_ms)
	wait $R_PID
	rc=$?
	dt=$(($(now_ms) - t0))
	wait $BPID 2>/dev/null
	check "$m: backend killed mid-run: exit $rc in $dt ms: $(cat "$W/err")" \
		sh -c "[ $rc = 3 ] && [ $dt -le 3000 ] && [ \$(wc -l <'$W/err') = 1 ] &&
			grep -q 'backend' '$W/err' && [ ! -s '$W/out' ]"
done

# A hung run: --timeout-s 1 on runs that cannot end in time, all four at
# once; each exits 3 within ~2 s, and the backend it started is gone too.
for m in threads async; do
	for wl in io_sleep io_backend; do
		(
			t0=$(now_ms)
			TVSA_FAULT_TAG="hang-$m-$wl" timeout -k 2 $LIMIT_S "$BIN/$m" "$wl" -c 4 -n 8 \
				--delay-us 60000000 --timeout-s 1 >"$SCRATCH/hang-$m-$wl.out" \
				2>"$SCRATCH/hang-$m-$wl.err"
			echo "$? $(($(now_ms) - t0))" >"$SCRATCH/hang-$m-$wl.rc"
		) &
	done
done
wait
sleep 0.3
for m in threads async; do
	for wl in io_sleep io_backend; do
		read -r rc dt <"$SCRATCH/hang-$m-$wl.rc"
		left=$(tagged "TVSA_FAULT_TAG=hang-$m-$wl" | wc -l)
		check "$m $wl --timeout-s 1: exit $rc in $dt ms, $left processes left: $(cat "$SCRATCH/hang-$m-$wl.err")" \
			sh -c "[ $rc = 3 ] && [ $dt -le 2500 ] && [ $left = 0 ] &&
				grep -q 'timed out' '$SCRATCH/hang-$m-$wl.err' &&
				[ ! -s '$SCRATCH/hang-$m-$wl.out' ]"
	done
done

# A sweep whose runs hang: TVSA_RUN_TIMEOUT_S=1 and the model process
# stopped (SIGSTOP) for 1.5 s -- once in a pilot run (threads c=1), once in a
# counted run under hyperfine (async c=1).  Both points are recorded as failed
# with the timeout as the reason; the points after them are measured.
cat >"$SCRATCH/hang.py" <<'PY'
import os, signal, subprocess, sys, time
res, tag = sys.argv[1], sys.argv[2]
env = dict(os.environ, TVSA_FAULT_TAG=tag, TVSA_RUN_TIMEOUT_S="1")
p = subprocess.Popen([sys.executable, os.path.join(os.environ["ROOT"], "harness", "sweep", "bench.py"),
                      "--quick", "--no-report", "--no-serve", "--quiet", "--workloads", "io_sleep",
                      "--models", "threads,async", "--concurrency", "1,2", "--results", res],
                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def find(binary, counted):
    """A running model process of this sweep: a pilot (--json) or a counted
    run (--stats-out)."""
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/environ" % d, "rb") as f:
                if ("TVSA_FAULT_TAG=" + tag).encode() not in f.read().split(b"\0"):
                    continue
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = [a.decode() for a in f.read().split(b"\0") if a]
            if (len(argv) > 3 and argv[0].endswith("/" + binary) and argv[1] == "io_sleep"
                    and argv[3] == "1" and ("--stats-out" in argv) == counted):
                return int(d)
        except (OSError, ValueError):
            pass
    return None
stopped = []
for binary, counted in (("threads", False), ("async", True)):
    deadline = time.monotonic() + 30
    pid = None
    while pid is None and p.poll() is None and time.monotonic() < deadline:
        pid = find(binary, counted)
        if pid is None:
            time.sleep(0.003)
    if pid:
        time.sleep(0.02)  # past its alarm(): the run (~80 ms or more) is under way
        os.kill(pid, signal.SIGSTOP)
        time.sleep(1.5)
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
        stopped.append("%s %s" % (binary, "counted run" if counted else "pilot"))
try:
    rc = p.wait(timeout=60)
except subprocess.TimeoutExpired:
    p.kill()
    rc = "hung"
print("rc=%s stopped: %s" % (rc, ", ".join(stopped) or "none"))
PY
R="$SCRATCH/sweep-hang"
ROOT="$ROOT" timeout -k 2 90 python3 "$SCRATCH/hang.py" "$R" "sweephang-$$" >"$SCRATCH/hang.out" 2>&1
python3 - "$R" "$(cat "$SCRATCH/hang.out")" >"$SCRATCH/sh.out" <<'PY'
import csv, glob, sys
runs = glob.glob(sys.argv[1] + "/2*/results.csv")
rows = {(r["model"], r["concurrency"]): r for r in csv.DictReader(open(runs[0]))} if runs else {}
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
info = sys.argv[2]
say(info.startswith("rc=0") and "threads pilot" in info and "async counted run" in info,
    "sweep with hung runs exits 0, both runs stopped: %s" % info)
for key, how in ((("threads", "1"), "a pilot run"), (("async", "1"), "a counted run")):
    r = rows.get(key, {})
    say(r.get("status") == "failed" and "timed out" in r.get("reason", ""),
        "sweep: %s %s c=1 hung in %s: recorded %s: %s" % (key[0], "io_sleep", how,
        r.get("status"), r.get("reason")))
say(all(rows.get((m, "2"), {}).get("status") == "ok" for m in ("threads", "async")),
    "sweep: the points after the hung ones were measured (c=2 ok on both)")
PY
cat "$SCRATCH/sh.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/sh.out")))

# SIGINT during `make bench` and SIGTERM during the sweep itself, each in its
# own process group (as a terminal's Ctrl-C would): within seconds nothing of
# it survives, it exits non-zero without crashing, results.csv is whole,
# meta.json says incomplete, and results/latest still points where it did.
cat >"$SCRATCH/sig.py" <<'PY'
import csv, glob, json, os, signal, subprocess, sys, time
res, tag, signame = sys.argv[1:4]
cmd = sys.argv[4:]
tagged = os.environ["TVSA_TAGGED_PY"]
def left():
    return subprocess.run([sys.executable, tagged, "TVSA_FAULT_TAG=" + tag],
                          capture_output=True, text=True).stdout.split()
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
err = open(os.path.join(res, "..", tag + ".err"), "w+")
p = subprocess.Popen(cmd, env=dict(os.environ, TVSA_FAULT_TAG=tag), start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=err)
t0 = time.monotonic()
while (time.monotonic() - t0 < 40 and p.poll() is None
       and not glob.glob(os.path.join(res, "2*", "results.csv"))):
    time.sleep(0.05)
time.sleep(0.2)  # well into the next point
during = len(left())
os.killpg(p.pid, getattr(signal, signame))
t1 = time.monotonic()
try:
    rc = p.wait(timeout=10)
except subprocess.TimeoutExpired:
    rc = None
dt = time.monotonic() - t1
time.sleep(0.5)
survivors = left()
err.seek(0)
text = err.read().strip().replace("\n", " | ")
what = {"make": "during make bench", "sweep": "during harness/sweep/bench.py"}[tag.rsplit("-", 1)[1]]
say(rc is not None and rc != 0 and rc not in (-6, -7, -8, -11, 134, 135, 136, 139),
    "%s %s: stopped in %.2f s, %s (%s)" % (signame, what, dt,
    "exit %s" % rc if rc is None or rc >= 0 else "killed by signal %d" % -rc, text))
say(during > 0 and not survivors, "%s %s: %d processes during, none left: %s"
    % (signame, what, during, survivors))
runs = [d for d in glob.glob(os.path.join(res, "2*")) if os.path.isdir(d)]
whole = bool(runs)
for d in runs:
    try:
        data = open(os.path.join(d, "results.csv")).read()
        rows = list(csv.reader(data.splitlines()))
        whole = whole and data.endswith("\n") and len(rows) >= 2 and \
            all(len(r) == len(rows[0]) for r in rows)
        meta = json.load(open(os.path.join(d, "meta.json")))
        whole = whole and meta.get("complete") is False
    except (OSError, ValueError):
        whole = False
tmp = glob.glob(os.path.join(res, "*", "*.tmp*")) + glob.glob(os.path.join(res, "*", "*", "*.tmp*"))
say(whole and not tmp, "%s %s: results.csv whole, meta.json complete=false, no temporary "
    "files (%s)" % (signame, what, tmp or "none"))
say(os.readlink(os.path.join(res, "latest")) == "previous",
    "%s %s: results/latest not moved (-> %s)" % (signame, what,
    os.readlink(os.path.join(res, "latest"))))
PY
for how in "SIGINT make" "SIGTERM sweep"; do
	R="$SCRATCH/sig-${how#* }"
	mkdir -p "$R/previous"
	ln -s previous "$R/latest"
	sig=${how% *}
	if [ "${how#* }" = make ]; then
		set -- $MAKE_CLEAN -s --no-print-directory -C "$ROOT" bench QUICK=1 QUIET=1 SERVE=0 OUT="$R" \
			WORKLOADS=io_backend CONCURRENCY=1,16,256
	else
		set -- python3 "$ROOT/harness/sweep/bench.py" --quick --quiet --no-serve --results "$R" \
			--workloads io_backend --concurrency 1,16,256
	fi
	TVSA_TAGGED_PY="$ROOT/tests/tagged.py" timeout -k 2 90 python3 "$SCRATCH/sig.py" "$R" "sig-$$-${how#* }" "$sig" "$@" \
		>"$SCRATCH/sig.out" 2>&1
	cat "$SCRATCH/sig.out"
	FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/sig.out")))
	[ -s "$SCRATCH/sig.out" ] || not_ok "$how: no verdict (sig.py failed)"
done

# ----------------------------------------------------------------------------
# 3. Bad input, where tests/test_cli.c (the parser) and tests/test_models.sh
# (unknown workload, -c 0, -c x, --frob, -n without value, --backend for a
# workload without one, --stats-out in a missing folder) do not cover it on
# the binaries themselves.  Usage errors exit 2, failed runs 3; always one
# line on stderr, nothing on stdout, nothing written to the working folder.
# ----------------------------------------------------------------------------
CWD="$SCRATCH/cwd"
mkdir -p "$CWD"
cd "$CWD" || exit 1
while IFS='|' read -r models want pat args; do
	[ -z "$models" ] && continue
	for m in $models; do
		# shellcheck disable=SC2086 # args is a word list on purpose
		eval "set -- $args"
		expect_fail "$want" "$pat" "$m $args" "$BIN/$m" "$@"
	done
done <<'TABLE'
threads async|2|out of range|io_sleep -c 99999999999999999999
threads async|2|not a whole number|io_sleep -c -5
threads async|2|empty value|io_sleep -c ''
threads async|2|out of range|io_sleep -n 0
threads async|2|out of range|io_sleep -n 99999999999999999999
threads async|2|not a whole number|cpu_hash --work x
threads async|2|out of range|cpu_hash --work 99999999999999999999
threads async|2|not a whole number|io_sleep --delay-us -1
threads async|2|out of range|io_sleep --delay-us 60000001
threads async|2|out of range|io_sleep --timeout-s 0
threads async|2|needs a value|io_sleep --timeout-s
threads async|2|given twice|io_sleep -c 2 -c 3
threads async|2|exceeds -n|io_sleep -c 10 -n 5
threads async|2|unknown option|io_sleep --concurrency=4 --bogus
threads async|2|takes no value|io_sleep --json=1
threads async|2|unexpected argument|io_sleep cpu_hash
threads async|2|empty workload|''
threads async|2|no workload|-c 4
threads async|2|empty file name|io_sleep --stats-out ''
threads async|2|out of range|io_backend --backend 127.0.0.1:65536
threads async|2|out of range|io_backend --backend 127.0.0.1:0
threads async|2|HOST:PORT|io_backend --backend 127.0.0.1
threads async|2|HOST:PORT|io_backend --backend :7000
threads async|2|not a whole number|io_backend --backend 127.0.0.1:x
threads async|3|cannot resolve|io_backend -c 2 -n 4 --backend nosuchhost.invalid:1
threads async|3|Connection refused|io_backend -c 2 -n 4 --backend 127.0.0.1:1
threads|2|out of range|io_sleep --stack-kib 15
threads|2|out of range|io_sleep --stack-kib 99999999999999999999
async|2|applies to bin/threads|io_sleep --stack-kib 64
threads|2|applies to bin/async|io_sleep --loops 2
async|2|out of range|io_sleep --loops 0
async|2|exceeds -c|io_sleep -c 2 --loops 3
async|2|out of range|io_sleep --workers 99999
backend|2|out of range|--port 65536
backend|2|out of range|--port 99999999999999999999
backend|2|not a whole number|--port -1
backend|2|not a whole number|--port x
backend|2|needs a value|--port
backend|2|given twice|--port 0 --port 0
backend|2|unknown option|--bogus
backend|2|unknown option|7000
backend|2|out of range|--max-conns 0
backend|2|out of range|--backlog 0
backend|2|out of range|--procs 0
backend|2|out of range|--procs 65
backend|2|not a dotted IPv4 address|--bind nosuchhost.invalid
backend|3|listen on 10.255.255.1|--bind 10.255.255.1
TABLE

# The minimum stack is accepted, and runs (no overflow of a 16 KiB stack).
for wl in io_sleep io_backend mixed; do
	timeout -k 2 $LIMIT_S "$BIN/threads" $wl -c 8 -n 64 --stack-kib 16 >/dev/null 2>"$SCRATCH/err"
	rc=$?
	check "threads $wl --stack-kib 16 (the minimum) runs: exit $rc $(crash_or_hang $rc)" [ $rc = 0 ]
done

# A port already taken: the second backend fails with exit 3, one line.
start_backend "$BIN" "$SCRATCH"
expect_fail 3 'Address already in use' "backend --port $PORT (taken)" \
	"$BIN/backend" --port "$PORT"
kill -TERM $BPID
wait $BPID

# `make bench` variables and the sweep's own input: refused before anything
# is written (the results folder is never even created).  make adds its own
# "make: *** [bench] Error 2" line, which is not counted; make's exit is 2.
R="$SCRATCH/bench-results"
$MAKE_CLEAN -s --no-print-directory -C "$ROOT" all >/dev/null 2>&1 # so no build lines below
while IFS='|' read -r pat vars; do
	[ -z "$pat" ] && continue
	eval "set -- $vars"
	timeout -k 2 $LIMIT_S $MAKE_CLEAN -s --no-print-directory -C "$ROOT" bench OUT="$R" "$@" \
		</dev/null >"$SCRATCH/out" 2>"$SCRATCH/err"
	rc=$?
	grep -Ev '^make(\[[0-9]+\])?: \*\*\* ' "$SCRATCH/err" >"$SCRATCH/err1"
	grep -Ev '^  (CC|LD) ' "$SCRATCH/out" >"$SCRATCH/out1"
	bad=$(crash_or_hang $rc)
	if [ -z "$bad" ] && [ $rc = 2 ] && [ "$(nlines "$SCRATCH/err1")" = 1 ] &&
		[ ! -s "$SCRATCH/out1" ] && grep -Eq "$pat" "$SCRATCH/err1" && [ ! -e "$R" ]; then
		ok "make bench $vars: exit $rc: $(cat "$SCRATCH/err1")"
	else
		not_ok "make bench $vars: ${bad:-exit $rc}, $(nlines "$SCRATCH/err1") lines:" \
			"$(head -3 "$SCRATCH/err1" | tr '\n' '|') stdout: $(head -c 200 "$SCRATCH/out1")" \
			"$([ -e "$R" ] && echo "; $R was created")"
	fi
done <<'TABLE'
out of range|CONCURRENCY=0
not a whole number|CONCURRENCY=-1
not a whole number|CONCURRENCY=x
not a whole number|CONCURRENCY=1e3
out of range|CONCURRENCY=99999999999999999999
empty item|CONCURRENCY=1,,2
empty item|CONCURRENCY=,
given twice|CONCURRENCY=4,4
unknown workload|WORKLOADS=nosuch
given twice|WORKLOADS=cpu_hash,cpu_hash
empty item|WORKLOADS=,
RUNS|RUNS=0
RUNS|RUNS=2
RUNS|RUNS=-3
RUNS|RUNS=x
RUNS|RUNS=101
RUNS|RUNS=99999999999999999999
out of range|QUICK=1 CONCURRENCY=0
RUNS|QUICK=1 RUNS=1
TABLE

# OUT that cannot be a folder, and the sweep's own timeout variable: refused
# with one line, nothing created.
expect_fail 2 'cannot use .* as the results folder' "sweep --results /etc/passwd (a file)" \
	python3 "$ROOT/harness/sweep/bench.py" --quick --results /etc/passwd
expect_fail 2 'cannot use .* as the results folder' "sweep --results under a file" \
	python3 "$ROOT/harness/sweep/bench.py" --quick --results /etc/passwd/results
expect_fail 2 'unrecognized arguments' "sweep --bogus" \
	python3 "$ROOT/harness/sweep/bench.py" --bogus --results "$R"
expect_fail 2 'TVSA_RUN_TIMEOUT_S' "sweep with TVSA_RUN_TIMEOUT_S=0" \
	env TVSA_RUN_TIMEOUT_S=0 python3 "$ROOT/harness/sweep/bench.py" --quick --results "$R"
check "no results folder was created by any bad input" [ ! -e "$R" ]
check "nothing was written to the working folder: $(ls -A "$CWD" | head -3)" \
	[ -z "$(ls -A "$CWD")" ]
cd "$ROOT" || exit 1

sleep 0.2
left=$(for p in $(tagged "TVSA_FAULT_RUN=$RUN_TAG"); do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done)
check "no process started here is left${left:+: $left}" [ -z "$left" ]
finish
