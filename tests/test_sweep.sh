#!/bin/sh
# test_sweep.sh - the integration test: a tiny sweep end to end, through
# hyperfine, results.csv, gnuplot and report.md, checked for sane values;
# and bad sweep parameters refused before anything is written.
. "$(dirname "$0")/lib.sh"

RES="$SCRATCH/results"
python3 "$ROOT/harness/sweep.py" --quick --concurrency 1,2 --workloads cpu_hash,io_sleep \
	--results "$RES" --quiet 2>"$SCRATCH/sweep.err"
rc=$?
check "tiny sweep exits 0 (exit $rc: $(tail -1 "$SCRATCH/sweep.err"))" [ $rc = 0 ]
RUN="$RES/latest"
check "results/latest points at a run folder" test -d "$RUN"
check "meta.json marks the run complete" \
	python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["complete"] else 1)' \
	"$RUN/meta.json"

python3 - "$RUN/results.csv" "$RUN/meta.json" >"$SCRATCH/csv.out" 2>&1 <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
models = json.load(open(sys.argv[2]))["models"]
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
say(len(models) >= 2 and len(rows) == 2 * len(models) * 2,
    "results.csv has one row per workload x model (%d) x level: %d" % (len(models), len(rows)))
say(all(r["status"] == "ok" for r in rows), "every point ok")
for r in rows:
    tag = "%s %s c=%s" % (r["workload"], r["model"], r["concurrency"])
    thr, p50, p99, mx = (float(r[k]) for k in ("throughput", "p50_us", "p99_us", "max_us"))
    say(thr > 0 and 0 < p50 <= p99 <= mx * 1.01, "%s: throughput %.0f/s, p50 %.0f <= p99 %.0f <= max %.0f us" % (tag, thr, p50, p99, mx))
    say(float(r["throughput_min"]) <= thr <= float(r["throughput_max"]), "%s: min <= median <= max" % tag)
    say(int(r["runs"]) >= 3 and float(r["maxrss_kib"]) > 0, "%s: >= 3 counted runs, RSS recorded" % tag)
    lr = float(r["littles_ratio"])
    say(0.85 <= lr <= 1.05, "%s: Little's law, throughput x mean latency / c = %.3f" % (tag, lr))
by = {}
for r in rows:
    by.setdefault((r["workload"], r["concurrency"], r["tasks"]), set()).add(r["checksum"])
    by.setdefault((r["workload"], r["concurrency"], r["verify_tasks"]), set()).add(r["verify_checksum"])
# Every point's pilot ran the same task count on every model: its checksum
# is the cross-model check; the counted runs compare where counts are equal.
say(all(len(s) == 1 for s in by.values()),
    "checksums equal across models wherever task counts are equal (%d groups)" % len(by))
cpu = {(r["model"], r["concurrency"]): float(r["throughput"]) for r in rows if r["workload"] == "cpu_hash"}
sp = cpu[("threads", "2")] / cpu[("threads", "1")]
say(sp > 1.3, "cpu_hash threads speed-up at c=2 over c=1: %.2fx (2 cores)" % sp)
PY
cat "$SCRATCH/csv.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/csv.out")))

for f in cpu_hash.png cpu_hash.svg io_sleep.png io_sleep.svg overview.png report.md; do
	check "$f written and not empty" test -s "$RUN/$f"
done
check "PNG files are PNG" sh -c "head -c 8 '$RUN/cpu_hash.png' | grep -q PNG"
check "report names both workloads and shows the plots" \
	sh -c "grep -q 'cpu_hash.png' '$RUN/report.md' && grep -q 'io_sleep' '$RUN/report.md'"
check "hyperfine exports kept" sh -c "ls '$RUN'/hyperfine/*.json >/dev/null"
check "no temporary files left" sh -c "! find '$RES' -name '*.tmp*' | grep -q ."

# Bad parameters: exit 2, one line, nothing new in the results folder.
before=$(ls "$RES" | wc -l)
for bad in "--concurrency 0" "--concurrency 1,,2" "--concurrency 4,4" "--concurrency x" \
	"--concurrency ''" "--workloads nosuch" "--workloads cpu_hash,cpu_hash" "--runs 2" \
	"--concurrency 99999999999"; do
	usage_error "sweep $bad" "python3 '$ROOT/harness/sweep.py' $bad --results '$RES'"
done
check "bad parameters wrote nothing to results/" [ "$(ls "$RES" | wc -l)" = "$before" ]
finish
