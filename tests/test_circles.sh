#!/bin/sh
# test_circles.sh - the two bugs that modules importing each other in circles
# caused, each as a case: (1) a gnuplot failure on the open-loop figure ends
# the report in one line and a non-zero exit, never a traceback (the report
# caught one copy's ReportError, the rate module raised another's); (2)
# TVSA_RUN_TIMEOUT_S reaches the open-loop sweep too, run alone or at the end
# of make bench (it set a global in one copy of the sweep module and the
# open-loop sweep read another's).  The hanging runs are a fake model that
# sleeps until its --timeout-s: about 15 s in all.
# tvsa: long -- it waits out hung runs of a fake model, ~15 s
. "$(dirname "$0")/lib.sh"

# 1. A run folder with an open-loop part, reported with a gnuplot that fails
# on the open-loop figure only.
RUN="$SCRATCH/run"
cp -r "$ROOT/tests/fixtures/sample_run" "$RUN"
mkdir "$RUN/rate"
python3 - "$RUN/rate/rate.csv" <<'PY'
import csv, sys
cols = ["workload", "model", "mode", "concurrency", "load_pct", "offered", "status", "reason",
        "tasks", "runs", "throughput", "p50_us", "p90_us", "p99_us", "p999_us", "max_us",
        "mean_us", "p99_us_min", "p99_us_max", "run_checksum", "errors"]
w = csv.DictWriter(open(sys.argv[1], "w", newline=""), cols)
w.writeheader()
for m in ("threads", "async"):
    for mode, c, load, thr in (("closed", 1, "", 900), ("closed", 4, "", 3000), ("open", 4, 50, 1500)):
        w.writerow(dict(workload="io_sleep", model=m, mode=mode, concurrency=c, load_pct=load,
                        offered=1500 if mode == "open" else "", status="ok", reason="", tasks=1000,
                        runs=3, throughput=thr, p50_us=1100, p90_us=1200, p99_us=1300,
                        p999_us=1400, max_us=1500, mean_us=1100, p99_us_min=1290,
                        p99_us_max=1310, run_checksum="00000000000000aa", errors=0))
PY
# ... sealed in meta.json as the open-loop sweep seals it (a rate.csv without
# its seal is refused).
python3 - "$RUN" <<'PY'
import hashlib, json, os, sys
run = sys.argv[1]
data = open(os.path.join(run, "rate", "rate.csv"), "rb").read()
meta = json.load(open(os.path.join(run, "meta.json")))
meta["rate"] = {"complete": True, "results_csv": {
    "rows": data.decode().count("\n") - 1, "sha256": hashlib.sha256(data).hexdigest()}}
json.dump(meta, open(os.path.join(run, "meta.json"), "w"))
PY
REAL_GNUPLOT=$(command -v gnuplot)
printf '#!/bin/sh\n# A gnuplot that cannot draw the open-loop figure.\ncase "$*" in *plot_rate.gp*) echo "fake gnuplot: cannot draw this" >&2; exit 1 ;; esac\nexec "%s" "$@"\n' \
	"$REAL_GNUPLOT" >"$SCRATCH/gnuplot"
chmod +x "$SCRATCH/gnuplot"
for how in "make report" "report.py --rate-only"; do
	if [ "$how" = "make report" ]; then
		GNUPLOT="$SCRATCH/gnuplot" make -s --no-print-directory -C "$ROOT" report RUN="$RUN" \
			>"$SCRATCH/out" 2>"$SCRATCH/err"
	else
		GNUPLOT="$SCRATCH/gnuplot" python3 "$ROOT/scripts/report/report.py" --rate-only "$RUN" \
			>"$SCRATCH/out" 2>"$SCRATCH/err"
	fi
	rc=$?
	msg=$(grep -v '^make\(\[[0-9]*\]\)\{0,1\}: \*\*\*' "$SCRATCH/err")
	if [ $rc != 0 ] && [ "$(printf '%s\n' "$msg" | grep -c .)" = 1 ] &&
		! grep -q Traceback "$SCRATCH/err" && printf '%s' "$msg" | grep -q 'gnuplot failed drawing rate-io_sleep'; then
		ok "1: $how, gnuplot failing on the open-loop figure: exit $rc, one line: $msg"
	else
		not_ok "1: $how, gnuplot failing on the open-loop figure: exit $rc: $(head -5 "$SCRATCH/err" | tr '\n' '|')"
	fi
done
check "1: no temporary file left in the run folder" sh -c "! find '$RUN' -name '.*tmp*' | grep -q ."

# 2. A model that hangs until its --timeout-s, in a binaries folder of its
# own (TVSA_BIN); bin/calibrate and the registry (--list) are the real ones.
FAKE="$SCRATCH/fakebin"
mkdir "$FAKE"
for m in threads async; do
	printf '%s\n' '#!/bin/sh' \
		'# A model run that hangs until its --timeout-s, then fails as the runtime does.' \
		"case \"\$1\" in --list) exec '$BIN/$m' \"\$@\" ;; esac" \
		't=300' 'prev=' \
		'for a in "$@"; do [ "$prev" = --timeout-s ] && t=$a; prev=$a; done' \
		'sleep "$t"' \
		"echo \"$m: \$1 -c 1: run failed: hung for its whole --timeout-s, \$t s\" >&2" \
		'exit 3' >"$FAKE/$m"
	chmod +x "$FAKE/$m"
done
ln -s "$BIN/calibrate" "$FAKE/calibrate"

t0=$(date +%s)
TVSA_BIN="$FAKE" TVSA_RUN_TIMEOUT_S=1 timeout -k 2 120 python3 "$ROOT/harness/sweep/bench.py" \
	--quick --rate --no-report --quiet --concurrency 1 --workloads mixed --models threads \
	--results "$SCRATCH/bench" 2>"$SCRATCH/bench.err"
rc=$?
took=$(($(date +%s) - t0))
t0=$(date +%s)
TVSA_BIN="$FAKE" TVSA_RUN_TIMEOUT_S=1 timeout -k 2 60 python3 "$ROOT/harness/sweep/bench_rate.py" \
	--quick --no-report --quiet --workloads mixed --models threads --slots 2 --loads 50 \
	--results "$SCRATCH/alone" 2>"$SCRATCH/alone.err"
rc2=$?
took2=$(($(date +%s) - t0))
python3 - "$SCRATCH" "$rc" "$took" "$rc2" "$took2" >"$SCRATCH/timeout.out" 2>&1 <<'PY'
import csv, glob, json, os, sys
scratch, rc, took, rc2, took2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
for label, folder, code, secs in (("make bench, its open-loop part", "bench", rc, took),
                                   ("make bench-rate alone", "alone", rc2, took2)):
    runs = sorted(d for d in glob.glob(os.path.join(scratch, folder, "*")) if os.path.isdir(d))
    rate = os.path.join(runs[0], "rate", "rate.csv") if runs else ""
    rows = list(csv.DictReader(open(rate))) if os.path.exists(rate) else []
    closed = [r for r in rows if r["mode"] == "closed"]
    meta = json.load(open(os.path.join(runs[0], "meta.json"))) if runs else {}
    rate_cmds = [c for c in meta.get("commands", []) if " mixed " in c and "--json" in c]
    say(code == "0" and closed and all(r["status"] == "failed" and "1 s" in r["reason"]
                                       for r in closed),
        "2: %s with TVSA_RUN_TIMEOUT_S=1: every hung closed-loop point failed on the 1 s "
        "timeout (exit %s, %d s): %s" % (label, code, secs,
                                         sorted({r["reason"] for r in closed}) or "no rows"))
    say(rate_cmds and all("--timeout-s 1 " in c + " " for c in rate_cmds)
        and meta.get("rate", {}).get("run_timeout_s") == 1,
        "2: %s: every model run got --timeout-s 1, meta.json rate.run_timeout_s = %s"
        % (label, meta.get("rate", {}).get("run_timeout_s")))
PY
cat "$SCRATCH/timeout.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/timeout.out")))
finish
