#!/bin/sh
# test_hostile2_sweep.sh - the second hostile round on the sweep's and the
# report's side (the binaries' cases are test_hostile2.sh): a seal that can
# no longer be switched off, sealed values that could not have been
# measured, make compare on a run cut short or still running, one exit
# convention for report.py and compare, make's switches taking 1 or 0 only,
# and an OUT/latest that is a real folder or file never replaced.  No
# benchmark runs: synthetic run folders (tests/fixture_runs.py), < 20 s.
# tvsa: long -- the hostile round's sweep and report cases
. "$(dirname "$0")/lib.sh"

MAKE_CLEAN="env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C $ROOT"
REPORT="python3 $ROOT/scripts/report/report.py"
CMP="python3 $ROOT/scripts/report/compare_runs.py"
nlines() { wc -l <"$1" | tr -d ' '; }

# refused WANT PATTERN DESC: the last command's $rc and $SCRATCH/err (make's
# own "*** Error" line aside): exit WANT, one line matching PATTERN, no traceback.
refused() {
	grep -Ev '^make(\[[0-9]+\])?: ' "$SCRATCH/err" >"$SCRATCH/err1"
	if [ "$rc" = "$1" ] && [ "$(nlines "$SCRATCH/err1")" = 1 ] &&
		grep -Eq "$2" "$SCRATCH/err1" && ! grep -q Traceback "$SCRATCH/err"; then
		ok "$3: exit $rc: $(cat "$SCRATCH/err1")"
	else
		not_ok "$3: exit $rc (want $1), $(nlines "$SCRATCH/err1") lines: $(head -4 "$SCRATCH/err" | tr '\n' '|')"
	fi
}

python3 "$ROOT/tests/fixture_runs.py" "$SCRATCH/fx" >/dev/null 2>&1 || not_ok "fixture runs written"
base="$SCRATCH/fx/confirm"
# copy NAME: a fresh copy of the sealed fixture run.
copy() { rm -rf "$SCRATCH/$1"; cp -r "$base" "$SCRATCH/$1"; }
# edit NAME PYEXPR: rewrite NAME's results.csv's first ok row's throughput to
# PYEXPR, then reseal it (what a careful forger does) unless NOSEAL is set.
edit() {
	python3 - "$SCRATCH/$1" "$2" "${NOSEAL:-}" "$ROOT" <<'PY'
import csv, os, sys
d, expr, noseal = sys.argv[1:4]
sys.path.insert(0, os.path.join(sys.argv[4], "tests"))
from fixture_runs import reseal
p = os.path.join(d, "results.csv")
rows = list(csv.DictReader(open(p)))
for r in rows:
    if r["status"] == "ok":
        r["throughput"] = expr
        break
with open(p, "w", newline="") as f:
    w = csv.DictWriter(f, rows[0].keys())
    w.writeheader()
    w.writerows(rows)
if not noseal:
    reseal(d)
PY
}

# ---- 7. The seal cannot be switched off; sealed values are checked ----
copy sealed
$REPORT --verdicts "$SCRATCH/sealed" >/dev/null 2>"$SCRATCH/err"
rc=$?
check "7: the sealed fixture itself is reported (exit $rc)" [ $rc = 0 ]
copy nulled
echo null >"$SCRATCH/nulled/meta.json"
NOSEAL=1 edit nulled 123456
$REPORT "$SCRATCH/nulled" >/dev/null 2>"$SCRATCH/err"
rc=$?
refused 2 'meta.json: not a JSON object' "7: meta.json replaced by null and results.csv edited: refused"
check "7: ... and no report.md written into it" [ ! -e "$SCRATCH/nulled/report.md" ]
copy unsealed
python3 -c 'import json,sys; p=sys.argv[1]; m=json.load(open(p)); del m["results_csv"]; json.dump(m, open(p,"w"))' \
	"$SCRATCH/unsealed/meta.json"
NOSEAL=1 edit unsealed 123456
$REPORT "$SCRATCH/unsealed" >/dev/null 2>"$SCRATCH/err"
rc=$?
refused 2 'complete but carries no seal' "7: the seal removed from a complete run's meta.json: refused"
for v in -5 1e308 nan inf; do
	copy "bad$v"
	edit "bad$v" "$v"
	$REPORT "$SCRATCH/bad$v" >/dev/null 2>"$SCRATCH/err"
	rc=$?
	refused 2 "throughput .*(negative|not finite|past what any machine)" \
		"7: a resealed throughput of $v: refused"
	$CMP "$base" "$SCRATCH/bad$v" >/dev/null 2>"$SCRATCH/err"
	rc=$?
	refused 2 "B: refused: .*throughput" "7, 9: make compare on it: refused the same way, same exit"
done

# ---- 8. make compare on a run cut short or still being written ----
copy cut
python3 -c 'import json,sys; p=sys.argv[1]; m=json.load(open(p)); m["complete"]=False; m["writer"]={"pid": 999999999, "boot_id": "x", "argv": ["bench.py"]}; json.dump(m, open(p,"w"))' \
	"$SCRATCH/cut/meta.json"
$CMP "$base" "$SCRATCH/cut" >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
check "8: compare with a run cut short warns on stderr and in the table (exit $rc): $(head -1 "$SCRATCH/err")" \
	sh -c "[ $rc = 0 ] && grep -q 'run B is incomplete' '$SCRATCH/err' && grep -q 'Warning:.* run B is incomplete' '$SCRATCH/out'"
copy live
cat >"$SCRATCH/sweep_stand_in.py" <<'PY'
import time
time.sleep(60)
PY
python3 "$SCRATCH/sweep_stand_in.py" &
LIVE=$!
python3 - "$SCRATCH/live/meta.json" "$LIVE" <<'PY'
import json, sys
p, pid = sys.argv[1], int(sys.argv[2])
m = json.load(open(p))
m["complete"] = False
m["writer"] = {"pid": pid, "boot_id": open("/proc/sys/kernel/random/boot_id").read().strip(),
               "argv": ["sweep_stand_in.py"]}
json.dump(m, open(p, "w"))
PY
$CMP "$SCRATCH/live" "$base" >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
kill $LIVE 2>/dev/null
check "8: compare with a run still being written says so (exit $rc): $(head -1 "$SCRATCH/err")" \
	sh -c "[ $rc = 0 ] && grep -q 'run A is still being written by its sweep' '$SCRATCH/err'"

# ---- 9. One exit convention: 2 refused input, for report.py and compare ----
$REPORT "$SCRATCH/no-such-run" >/dev/null 2>"$SCRATCH/err"
rc=$?
refused 2 'not a run folder' "9: report.py on a folder that does not exist"
$CMP "$SCRATCH/no-such-run" "$base" >/dev/null 2>"$SCRATCH/err"
rc=$?
refused 2 'no such run folder' "9: compare on a folder that does not exist"

# A binary that cannot start (prlimit --nofile=3: the loader cannot open its
# libraries, exit 127): the sweep's reason says so in words.
python3 - "$ROOT" >"$SCRATCH/why" 2>&1 <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from harness.sweep import runner
print(runner.failure_reason("bin/threads: error while loading shared libraries: "
                            "libhiredis.so.0.14: cannot open shared object file: Error 24", None))
print(runner.failure_reason("Error: Command terminated with non-zero exit code: 127. Use the "
                            "'-i'/'--ignore-failure' option", None))
PY
check "9: a binary the loader could not start: $(head -1 "$SCRATCH/why")" \
	sh -c "grep -q 'could not start: .*too few file descriptors' '$SCRATCH/why' && grep -q 'could not start (exit 127' '$SCRATCH/why'"

# ---- 10. make's switches take 1 or 0; OUT/latest never replaced ----
for v in QUICK=yes QUICK=2 ONECPU=2 RATE=x QUIET=maybe; do
	$MAKE_CLEAN -s bench "$v" >"$SCRATCH/out" 2>"$SCRATCH/err"
	rc=$?
	refused 2 "${v%%=*}=${v#*=}: give 1 or 0" "10: make bench $v"
done
for kind in dir file; do
	OUT="$SCRATCH/out-$kind"
	mkdir -p "$OUT"
	if [ $kind = dir ]; then mkdir "$OUT/latest"; echo keep >"$OUT/latest/mine"; else echo keep >"$OUT/latest"; fi
	$MAKE_CLEAN -s bench QUICK=1 RATE=0 ONECPU=0 WORKLOADS=io_sleep MODELS=async CONCURRENCY=1 \
		OUT="$OUT" >"$SCRATCH/out" 2>"$SCRATCH/err"
	rc=$?
	refused 2 'latest is a (folder|file), not the link' "10: OUT/latest a $kind: refused before any point"
	left=$(ls "$OUT" | grep -v '^latest$' | tr '\n' ' ')
	check "10: ... nothing else made or left in OUT ($left), latest kept" \
		sh -c "[ -z '$left' ] && { [ -f '$OUT/latest/mine' ] || [ -f '$OUT/latest' ]; }"
done
finish
