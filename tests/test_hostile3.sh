#!/bin/sh
# test_hostile3.sh - the third hostile round, on what came after the second
# (test_hostile2*.sh): bin/load's outputs (a device or a FIFO never replaced,
# a FIFO nobody reads never waited on, a folder refused before the run), the
# servers' --ready-fd and --bind, a server's time limit, the serve and audit
# sweeps' latest links, make bench-serve's LOAD_HOST, make fleet's and make
# matrix's damaged records.  Each case is numbered as in the round's table
# (docs/history.md).  Every process started here carries TVSA_HOSTILE3_RUN
# and is killed on exit.
# tvsa: long -- the third hostile round: servers, bin/load and sweeps it waits out, ~35 s
. "$(dirname "$0")/lib.sh"

LIMIT_S=20 # any one command here taking longer has hung
RUN_TAG="tvsa-hostile3-$$-$(date +%s%N)"
export TVSA_HOSTILE3_RUN="$RUN_TAG"

cleanup() {
	for p in $(tagged "TVSA_HOSTILE3_RUN=$RUN_TAG"); do
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
		grep -Eq -- "$2" "$SCRATCH/err"; then
		ok "$3: exit $rc: $(cat "$SCRATCH/err")"
	else
		not_ok "$3: exit $rc (want $1), $(nlines "$SCRATCH/err") lines: $(head -3 "$SCRATCH/err" | tr '\n' '|')"
	fi
}

# serve_start MODEL: a server of io_sleep on a free port; sets SPID, SPORT.
serve_start() {
	rm -f "$SCRATCH/ready"
	"$BIN/$1" io_sleep --serve 0 --ready-fd 3 3>"$SCRATCH/ready" 2>"$SCRATCH/server.err" &
	SPID=$!
	for _ in $(seq 100); do [ -s "$SCRATCH/ready" ] && break; sleep 0.05; done
	SPORT=$(sed -n 's/^listening .*:\([0-9]*\)$/\1/p' "$SCRATCH/ready")
}

# ---- 1-3. bin/load's outputs: never replaced, never waited on, checked first ----
mkdir -p "$SCRATCH/o"
serve_start async
LOAD="$BIN/load --target 127.0.0.1:$SPORT --path /io_sleep --connections 2 --closed --requests 20 --quiet"
if mknod -m 666 "$SCRATCH/o/null" c 1 3 2>/dev/null; then
	for opt in --stats-out --hist-out --hgrm-out; do
		timeout $LIMIT_S $LOAD $opt "$SCRATCH/o/null" 2>"$SCRATCH/err"
		rc=$?
		check "1: load $opt a null device: written through (exit $rc), still a device" \
			sh -c "[ $rc = 0 ] && [ -c '$SCRATCH/o/null' ]"
	done
else
	ok "1: skip: mknod not allowed here"
fi
mkfifo "$SCRATCH/o/fifo"
(timeout $LIMIT_S cat "$SCRATCH/o/fifo" >"$SCRATCH/o/fifo.read") &
RJOB=$!
timeout $LIMIT_S $LOAD --hgrm-out "$SCRATCH/o/fifo" 2>"$SCRATCH/err"
rc=$?
wait $RJOB
check "1: load --hgrm-out a FIFO with a reader: the .hgrm goes through it (exit $rc), still a FIFO" \
	sh -c "[ $rc = 0 ] && grep -q 'Percentile' '$SCRATCH/o/fifo.read' && [ -p '$SCRATCH/o/fifo' ]"
for opt in --stats-out --hist-out --hgrm-out; do
	timeout $LIMIT_S $LOAD $opt "$SCRATCH/o/fifo" 2>"$SCRATCH/err"
	rc=$?
	failed_with 3 "$opt .*: a FIFO with no reader" "2: load $opt a FIFO nobody reads: no hang"
done
for opt in --stats-out --hist-out --hgrm-out; do
	usage_error "3: load $opt a folder, refused before the run" "$LOAD $opt '$SCRATCH/o'"
done
usage_error "3: load --hgrm-out in a folder that does not exist" "$LOAD --hgrm-out '$SCRATCH/none/x.hgrm'"
left=$(ls "$SCRATCH/o" | grep -v '^null$\|^fifo' | tr '\n' ' ')
check "1-3: nothing else left in the folder (${left:-nothing})" [ -z "$left" ]
kill "$SPID"
wait "$SPID" 2>/dev/null

# ---- 4. --ready-fd: a standard stream, a closed or read-only descriptor ----
for fd in 0 1 2; do
	usage_error "4: --ready-fd $fd (a standard stream the line would close)" \
		"timeout $LIMIT_S '$BIN/threads' io_sleep --serve 0 --ready-fd $fd </dev/null"
done
usage_error "4: --ready-fd 99, not open: refused before listening" \
	"timeout $LIMIT_S '$BIN/async' io_sleep --serve 0 --ready-fd 99"
usage_error "4: --ready-fd open for reading only" \
	"timeout $LIMIT_S '$BIN/green' io_sleep --serve 0 --ready-fd 5 5</dev/null"

# ---- 5. --bind an address no TCP client can reach ----
for a in 224.0.0.1 255.255.255.255; do
	usage_error "5: a model's --bind $a" "timeout $LIMIT_S '$BIN/uring' io_sleep --serve 0 --bind $a"
	usage_error "5: bin/backend --bind $a" "timeout $LIMIT_S '$BIN/backend' --bind $a"
done

# ---- 6. A server without --timeout-s has no time limit once it serves ----
# The set-up's limit (300 s by default) was left armed, and killed every
# server 300 s in; strace shows the alarm that bounds it lifted (alarm(0)).
if command -v strace >/dev/null; then
	for m in threads async; do
		rm -f "$SCRATCH/ready" "$SCRATCH/alarms"
		strace -f -qq -e trace=alarm -o "$SCRATCH/alarms" "$BIN/$m" io_sleep --serve 0 \
			--serve-requests 1 --ready-fd 3 3>"$SCRATCH/ready" 2>/dev/null &
		SPID=$!
		for _ in $(seq 100); do [ -s "$SCRATCH/ready" ] && break; sleep 0.05; done
		SPORT=$(sed -n 's/^listening .*:\([0-9]*\)$/\1/p' "$SCRATCH/ready")
		timeout $LIMIT_S "$BIN/load" --target "127.0.0.1:$SPORT" --path /io_sleep --connections 1 \
			--closed --requests 1 --quiet 2>/dev/null
		wait "$SPID"
		last=$(grep -o 'alarm([0-9]*)' "$SCRATCH/alarms" | tail -1)
		check "6: $m --serve, no --timeout-s: the set-up's limit lifted when it serves (last: $last)" \
			[ "$last" = "alarm(0)" ]
	done
else
	ok "6: skip: no strace"
fi
# ---- 7. The sections' own files: sealed, and checked as results.csv is ----
# serve/results.csv had a seal nobody checked, rate/rate.csv none at all: a
# file cut short, edited, or edited and resealed with values no machine
# measures was reported (1e308 req/s printed 300 digits).  A real serve
# section (2 servers) and a fixture run with an open-loop section.
MAKE_CLEAN="env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C $ROOT"
REPORT="python3 $ROOT/scripts/report/report.py"
# refused WANT PATTERN DESC: as failed_with, make's own lines aside, no traceback.
refused() {
	grep -Ev '^make(\[[0-9]+\])?: ' "$SCRATCH/err" >"$SCRATCH/err1"
	if [ "$rc" = "$1" ] && [ "$(nlines "$SCRATCH/err1")" = 1 ] &&
		grep -Eq -- "$2" "$SCRATCH/err1" && ! grep -q Traceback "$SCRATCH/err"; then
		ok "$3: exit $rc: $(cat "$SCRATCH/err1")"
	else
		not_ok "$3: exit $rc (want $1), $(nlines "$SCRATCH/err1") lines: $(head -4 "$SCRATCH/err" | tr '\n' '|')"
	fi
}
# forge DIR REL SECTION VALUE [noseal]: DIR/REL's first ok row's throughput
# becomes VALUE; meta.json's SECTION seal is rewritten to match unless noseal.
forge() {
	python3 - "$@" <<'PY'
import csv, hashlib, io, json, os, sys
d, rel, section, value = sys.argv[1:5]
p = os.path.join(d, rel)
rows = list(csv.DictReader(open(p, newline="")))
next(r for r in rows if r["status"] == "ok")["throughput"] = value
buf = io.StringIO()
w = csv.DictWriter(buf, rows[0].keys(), lineterminator="\n")
w.writeheader()
w.writerows(rows)
open(p, "w", newline="").write(buf.getvalue())
if len(sys.argv) < 6:
    m = json.load(open(os.path.join(d, "meta.json")))
    data = buf.getvalue().encode()
    m[section]["results_csv"] = {"rows": len(rows), "sha256": hashlib.sha256(data).hexdigest()}
    json.dump(m, open(os.path.join(d, "meta.json"), "w"))
PY
}
$MAKE_CLEAN -s bench-serve QUICK=1 QUIET=1 WORKLOADS=io_sleep MODELS=async OUT="$SCRATCH/sv" \
	>/dev/null 2>"$SCRATCH/err"
rc=$?
SV=$(readlink -f "$SCRATCH/sv/latest-serve")
check "7: a serve section to damage (exit $rc)" [ $rc = 0 ] && [ -f "$SV/serve/results.csv" ]
$REPORT --serve-only "$SV" >/dev/null 2>"$SCRATCH/err"
rc=$?
check "7: ... reported whole (exit $rc)" [ $rc = 0 ]
for how in cut edited 1e308 -5; do
	rm -rf "$SCRATCH/s-$how"
	cp -r "$SV" "$SCRATCH/s-$how"
	case $how in
	cut) python3 -c 'import sys; p=sys.argv[1]; d=open(p,"rb").read(); open(p,"wb").write(d[:len(d)*2//3])' \
		"$SCRATCH/s-$how/serve/results.csv" ;;
	edited) forge "$SCRATCH/s-$how" serve/results.csv serve 999999 noseal ;;
	*) forge "$SCRATCH/s-$how" serve/results.csv serve "$how" ;;
	esac
	$REPORT --serve-only "$SCRATCH/s-$how" >/dev/null 2>"$SCRATCH/err"
	rc=$?
	refused 2 "refused: .*serve/results.csv: (truncated|not the file|.*throughput)" \
		"7: serve/results.csv $how: refused"
done

python3 "$ROOT/tests/fixture_runs.py" "$SCRATCH/fx" >/dev/null 2>&1 || not_ok "7: fixture runs written"
FX="$SCRATCH/fx/confirm"
# a sealed open-loop section in the fixture run, and the serve section above
mkdir -p "$FX/rate"
printf '%s\n' 'workload,model,mode,concurrency,load_pct,offered,status,reason,tasks,runs,throughput,p50_us,p90_us,p99_us,p999_us,max_us,mean_us,errors' \
	'io_sleep,async,closed,64,,,ok,,1000,3,6000,1000,1100,1200,1300,1400,1050,0' \
	'io_sleep,async,open,64,50,3000,ok,,1000,3,3000,1000,1100,1200,1300,1400,1050,0' >"$FX/rate/rate.csv"
cp -r "$SV/serve" "$FX/serve"
python3 - "$FX" "$SV" <<'PY'
import hashlib, json, os, sys
d, sv = sys.argv[1:3]
m = json.load(open(os.path.join(d, "meta.json")))
data = open(os.path.join(d, "rate", "rate.csv"), "rb").read()
m["rate"] = {"complete": True, "results_csv": {"rows": 2, "sha256": hashlib.sha256(data).hexdigest()}}
m["serve"] = json.load(open(os.path.join(sv, "meta.json")))["serve"]
json.dump(m, open(os.path.join(d, "meta.json"), "w"))
PY
$REPORT --rate-only "$FX" >/dev/null 2>"$SCRATCH/err"
rc=$?
check "7: a sealed open-loop section is reported (exit $rc): $(head -1 "$SCRATCH/err")" [ $rc = 0 ]
for how in 1e308 nan edited; do
	rm -rf "$SCRATCH/r-$how"
	cp -r "$FX" "$SCRATCH/r-$how"
	if [ $how = edited ]; then forge "$SCRATCH/r-$how" rate/rate.csv rate 12345 noseal
	else forge "$SCRATCH/r-$how" rate/rate.csv rate "$how"; fi
	$REPORT --rate-only "$SCRATCH/r-$how" >/dev/null 2>"$SCRATCH/err"
	rc=$?
	refused 2 "refused: .*rate/rate.csv: (not the file|.*throughput)" "7: rate.csv $how: refused"
done
# The whole report: a damaged section is left out with a warning, the rest written.
forge "$SCRATCH/r-1e308" serve/results.csv serve 1e308
$REPORT "$SCRATCH/r-1e308" >/dev/null 2>"$SCRATCH/err"
rc=$?
check "7: make report with both sections damaged: written without them (exit $rc), two warnings" \
	sh -c "[ $rc = 0 ] && [ -f '$SCRATCH/r-1e308/report.md' ] && [ \$(grep -c 'warning: refused: .*is left out' '$SCRATCH/err') = 2 ] && ! grep -q 'e+307\|0000000000' '$SCRATCH/r-1e308/report.md'"
# ---- 8. OUT/latest-serve, OUT/latest-audit a real folder or file: refused first ----
# (the whole section ran, then exit 3; the audit also set its counter up first)
for target in bench-serve:latest-serve audit:latest-audit; do
	t=${target%%:*}
	link=${target#*:}
	for kind in dir file; do
		OUT="$SCRATCH/l-$t-$kind"
		mkdir -p "$OUT"
		if [ $kind = dir ]; then mkdir "$OUT/$link"; else echo keep >"$OUT/$link"; fi
		$MAKE_CLEAN -s $t QUICK=1 WORKLOADS=io_sleep MODELS=async CONCURRENCY=1 OUT="$OUT" \
			>/dev/null 2>"$SCRATCH/err"
		rc=$?
		refused 2 "$link is a (folder|file), not the link" "8: make $t, OUT/$link a $kind"
		left=$(ls "$OUT" | grep -v "^$link\$" | tr '\n' ' ')
		check "8: ... nothing made in OUT (${left:-nothing})" [ -z "$left" ]
	done
done
echo file >"$SCRATCH/not-a-folder"
$MAKE_CLEAN -s audit WORKLOADS=io_sleep MODELS=async OUT="$SCRATCH/not-a-folder" >/dev/null 2>"$SCRATCH/err"
rc=$?
refused 2 "OUT: cannot use .*: File exists" "8: make audit OUT=a file: bad usage, before its counter"

# ---- 9. LOAD_HOST's address: one a server here can listen on ----
# (an address of another host made every server fail to bind: every row
# failed, the section "complete")
for addr in 999.1.1.1 192.0.2.77 224.0.0.1; do
	$MAKE_CLEAN -s bench-serve QUICK=1 LOAD_HOST="tvsa-h3-none:$addr" OUT="$SCRATCH/lh" \
		>/dev/null 2>"$SCRATCH/err"
	rc=$?
	refused 2 "LOAD_HOST: .*$addr" "9: LOAD_HOST=NETNS:$addr refused, naming the address"
done

# ---- 10. make audit: its counter failing mid-run, an interrupt while it is set up ----
# A strace that is killed during the second counted run: the point failed
# with the counter's failure, not the model's own summary line as "reason".
mkdir -p "$SCRATCH/fake"
cat >"$SCRATCH/fake/strace" <<'SH'
#!/bin/sh
case "$*" in *" -- true") exec "$REAL_STRACE" "$@" ;; esac
n=$(cat "$FAKE_DIR/n" 2>/dev/null || echo 0)
n=$((n + 1))
echo $n >"$FAKE_DIR/n"
[ $n -lt 2 ] && exec "$REAL_STRACE" "$@"
"$REAL_STRACE" "$@" &
p=$!
sleep 0.05
kill -KILL $p
exit 137
SH
# A perf whose set-up is slow (the real one registers ~360 tracepoints):
# its probe sleeps; the holder runs what it is given.
cat >"$SCRATCH/fake/perf" <<'SH'
#!/bin/sh
while [ $# -gt 0 ] && [ "$1" != "--" ]; do shift; done
shift
[ "$*" = true ] && sleep 20
exec "$@"
SH
chmod +x "$SCRATCH/fake/strace" "$SCRATCH/fake/perf"
if REAL_STRACE=$(command -v strace); then
	REAL_STRACE=$REAL_STRACE FAKE_DIR="$SCRATCH/fake" PATH="$SCRATCH/fake:$PATH" TVSA_AUDIT_TOOL=strace \
		$MAKE_CLEAN -s audit WORKLOADS=io_sleep MODELS=async CONCURRENCY=1 OUT="$SCRATCH/au" \
		>/dev/null 2>"$SCRATCH/err"
	rc=$?
	python3 -c 'import csv,sys; print([r["reason"] for r in csv.DictReader(open(sys.argv[1]))][0])' \
		"$SCRATCH/au/latest-audit/syscalls.csv" >"$SCRATCH/why" 2>&1
	check "10: audit, strace killed mid-run: the point failed naming strace (exit $rc): $(head -1 "$SCRATCH/why")" \
		sh -c "[ $rc = 0 ] && grep -q '^strace failed (exit 137) though the model' '$SCRATCH/why'"
else
	ok "10: skip: no strace"
fi
python3 - "$SCRATCH" "$ROOT" "$RUN_TAG" >"$SCRATCH/au-int.out" 2>&1 <<'PY'
import os, signal, subprocess, sys, time
scratch, root, tag = sys.argv[1:4]
env = dict(os.environ, PATH=scratch + "/fake:" + os.environ["PATH"], TVSA_AUDIT_TOOL="perf")
for sig in (signal.SIGINT, signal.SIGTERM):
    p = subprocess.Popen([sys.executable, root + "/harness/sweep/audit.py", "--workloads", "io_sleep",
                          "--models", "async", "--concurrency", "1", "--results", scratch + "/au2"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         start_new_session=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(2)                  # the fake perf's probe is asleep: the counter's set-up
    os.killpg(p.pid, sig)          # a terminal's Ctrl-C reaches the whole group
    try:
        _, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    time.sleep(0.5)
    left = []
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            env_ = open("/proc/%s/environ" % d, "rb").read().split(b"\0")
            cmd = open("/proc/%s/cmdline" % d, "rb").read().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if ("TVSA_HOSTILE3_RUN=" + tag).encode() in env_ and scratch + "/fake" in \
                env_[[e.startswith(b"PATH=") for e in env_].index(True)].decode() and \
                "audit.py" not in cmd and "python3 -" not in cmd:
            left.append(cmd[:60])
    lines = err.strip().splitlines()
    good = p.returncode == 130 and len(lines) == 1 and "interrupted" in lines[0] and not left
    print("%s - 10: make audit, %s while its counter is set up: exit %s, %s; left: %s" % (
        "ok" if good else "not ok", signal.Signals(sig).name, p.returncode,
        " | ".join(lines[-3:]), left or "nothing"))
PY
cat "$SCRATCH/au-int.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/au-int.out")))
grep -q '^ok\|^not ok' "$SCRATCH/au-int.out" || not_ok "10: the interrupt check did not run"

# ---- 11. make matrix, make fleet-status: a damaged job record ----
# (a record cut short was skipped: its machine vanished from the matrix,
# "0 missing"; one without a label was "KeyError: 'label'")
FL="$SCRATCH/fl"
python3 - "$FL" "$SCRATCH/fx" "$ROOT" <<'PY'
import json, os, shutil, sys
out, fx, root = sys.argv[1:4]
sys.path.insert(0, root)
from harness.sweep.rundir import results_seal
os.makedirs(os.path.join(out, "fleet"))
for jid, label, src in ((11, "x86", "confirm"), (12, "arm", "refute")):
    d = os.path.join(out, label, "run-%d" % jid)
    shutil.copytree(os.path.join(fx, src), d)
    m = json.load(open(os.path.join(d, "meta.json")))
    m.update(fleet={"label": label, "job_id": jid}, complete=True)
    for k in ("rate", "serve"):
        m.pop(k, None)
    shutil.rmtree(os.path.join(d, "rate"), ignore_errors=True)
    shutil.rmtree(os.path.join(d, "serve"), ignore_errors=True)
    m["results_csv"] = results_seal(os.path.join(d, "results.csv"))
    json.dump(m, open(os.path.join(d, "meta.json"), "w"))
    json.dump({"job_id": str(jid), "label": label, "partition": label, "nodes": 1,
               "replica": 1, "replicas": 1, "state": "COMPLETED", "final": True,
               "complete": True, "run": os.path.relpath(d, out)},
              open(os.path.join(out, "fleet", "%d.json" % jid), "w"))
PY
MX="python3 $ROOT/scripts/matrix/matrix.py"
cp "$FL/fleet/12.json" "$SCRATCH/12.json"
for how in cut nolabel outside; do
	case $how in
	cut) head -c 40 "$SCRATCH/12.json" >"$FL/fleet/12.json" ;;
	nolabel) echo '{"job_id": "12", "nodes": 1}' >"$FL/fleet/12.json" ;;
	outside) echo '{"job_id": "12", "label": "arm", "nodes": 1, "run": "../../etc"}' >"$FL/fleet/12.json" ;;
	esac
	$MX --dir "$FL" --out "$SCRATCH/mx-$how" >/dev/null 2>"$SCRATCH/err"
	rc=$?
	check "11: make matrix, record 12 $how: x86 merged, job 12 missing as damaged (exit $rc): $(head -1 "$SCRATCH/err")" \
		sh -c "[ $rc = 0 ] && grep -q 'missing job 12: its record fleet/12.json is damaged' '$SCRATCH/err' && grep -q '1 machine (x86), 1 missing' '$SCRATCH/err' && ! grep -q Error '$SCRATCH/err'"
done
python3 "$ROOT/harness/fleet/fleet.py" status "$FL" --no-wait >/dev/null 2>"$SCRATCH/err"
rc=$?
check "11: make fleet-status with a damaged record: says so, exit $rc (not 0)" \
	sh -c "[ $rc = 3 ] && grep -q 'fleet/12.json: a damaged record' '$SCRATCH/err'"

# ---- 12. bin/load: the server dies in the middle of a window ----
# (every connection lost one request, could not reconnect and sent nothing
# more: 100 errors in 35,000, under 1%, "ok" at the whole window's rate)
for m in threads async; do
	serve_start $m
	(sleep 1 && kill -KILL "$SPID") &
	KJOB=$!
	timeout $LIMIT_S "$BIN/load" --target "127.0.0.1:$SPORT" --path /io_sleep --connections 20 \
		--closed --duration 3 --json --quiet >"$SCRATCH/out" 2>"$SCRATCH/err"
	rc=$?
	wait $KJOB
	wait "$SPID" 2>/dev/null
	failed_with 3 'could not be opened again: .*server went away' "12: load, a $m server killed mid-window"
done

# ---- 13. make bench-serve: bin/load killed ----
python3 - "$ROOT" >"$SCRATCH/why" 2>&1 <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from harness.sweep import serve_proc as P
class Killed:
    def run(self, argv, timeout):
        return -9, '{"status": "ok", "phase": 0}\n', ""
print(P.run_load(Killed(), {"commands": []}, ["load", "--phases", "each=1,closed:0.2,closed:0.2"],
                 0.4)[1])
PY
check "13: bin/load killed by a signal: the row's reason says so: $(cat "$SCRATCH/why")" \
	grep -q 'killed by SIGKILL after 1 of its 3 phases' "$SCRATCH/why"
# ---- 14. The pool server over the threads this system allows ----
# (the run refused it at once; the server made 32,000 threads first, then
# failed on pthread_create's EAGAIN)
timeout $LIMIT_S "$BIN/threads" io_sleep --serve 0 --pool 1000000 </dev/null >/dev/null 2>"$SCRATCH/err"
rc=$?
check "14: threads --serve --pool 1000000: refused before a thread is made (exit $rc): $(tail -1 "$SCRATCH/err")" \
	sh -c "[ $rc = 3 ] && tail -1 '$SCRATCH/err' | grep -q 'over the threads this system allows'"
# ---- 15. bin/load: a window with no answer in it ----
# (1 request/s for 1 ms: its one answer came after the window; "ok" at
# 0 req/s, p50 0 us)
serve_start async
timeout $LIMIT_S "$BIN/load" --target "127.0.0.1:$SPORT" --path /io_sleep --connections 2 \
	--rate 1 --duration 0.001 --json --quiet >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
failed_with 3 'no answer within the window' "15: load, a window no answer falls in"
check "15: ... and its stats line says failed" grep -q '"status":"failed"' "$SCRATCH/out"
kill "$SPID"
wait "$SPID" 2>/dev/null
finish
