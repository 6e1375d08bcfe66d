#!/bin/sh
# test_verdicts.sh - the "Verdicts" section of report.md (scripts/report/claims.py)
# and scripts/report/compare.py, on small synthetic run folders: one where every
# claim must come out CONFIRMED, one where each must be REFUTED, one where
# the run cannot decide (NOT SHOWN); then compare.py on identical runs, on
# a run with throughput doubled, within noise, with points missing or
# failed, and on bad input.  No benchmark runs: < 10 s.
. "$(dirname "$0")/lib.sh"

python3 - "$SCRATCH" <<'PY'
import csv, json, os, sys

out = sys.argv[1]
COLS = ["workload", "model", "concurrency", "status", "reason", "tasks", "runs", "work",
        "delay_us", "throughput", "throughput_min", "throughput_max", "throughput_cv",
        "p50_us", "p50_us_min", "p50_us_max", "p90_us", "p99_us", "p99_us_min", "p99_us_max",
        "p999_us", "max_us", "mean_us", "maxrss_kib", "maxrss_kib_min", "maxrss_kib_max",
        "rss_per_task_kib", "threads", "cv", "noisy", "outliers", "littles_ratio",
        "checksum", "errors"]


def write_run(name, wls, points, cores=2, noisy=()):
    """wls: {wl: (kind, work, delay)}; points: (wl, model, c, thr, p99, rss)
    or (wl, model, c, "failed", reason).  Tight ranges (1%)."""
    d = os.path.join(out, name)
    os.makedirs(d)
    base = {}
    for p in points:
        if p[3] != "failed" and p[2] == 1:
            base[(p[0], p[1])] = p[5]
    rows = []
    for p in points:
        wl, model, c = p[:3]
        kind, work, delay = wls[wl]
        r = dict.fromkeys(COLS, "")
        r.update(workload=wl, model=model, concurrency=c, work=work, delay_us=delay,
                 runs=3, tasks=1000)
        if p[3] == "failed":
            r.update(status="failed", reason=p[4])
        else:
            thr, p99, rss = p[3:6]
            b = base.get((wl, model))
            r.update(status="ok", throughput=thr, throughput_min=thr * 0.99,
                     throughput_max=thr * 1.01, throughput_cv=0.01, cv=0.01,
                     p50_us=p99 / 2, p50_us_min=p99 / 2, p50_us_max=p99 / 2, p90_us=p99 * 0.8,
                     p99_us=p99, p99_us_min=p99 * 0.99, p99_us_max=p99 * 1.01,
                     p999_us=p99 * 1.2, max_us=p99 * 1.5, mean_us=c / thr * 1e6,
                     maxrss_kib=rss, maxrss_kib_min=rss - 8, maxrss_kib_max=rss + 8,
                     rss_per_task_kib=(rss - b) / (c - 1) if b is not None and c > 1 else "",
                     threads=c + 1 if model == "threads" else 2,
                     noisy=1 if (wl, model, c) in noisy else 0, outliers=0,
                     littles_ratio=1.0, checksum="00000000000000aa", errors=0)
        rows.append(r)
    with open(os.path.join(d, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, COLS)
        w.writeheader()
        w.writerows(rows)
    meta = {"run_id": name, "complete": True,
            "models": ["threads", "async", "async-mt", "hybrid"],
            "workloads": {wl: {"kind": k, "work": wk, "delay_us": dl, "summary": wl}
                          for wl, (k, wk, dl) in wls.items()}}
    if cores:
        meta["host"] = {"cores": cores, "cpu_model": "test"}
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f)
    return rows


# Names say nothing: the rules must pick workloads by kind, work and delay.
WLS = {"wa": ("cpu", 900, 0), "wb": ("io", 0, 1000), "wc": ("io", 3600, 1000)}

# Every claim CONFIRMED.
write_run("confirm", WLS, [
    ("wa", "threads", 1, 20000, 70, 3000), ("wa", "threads", 2, 39000, 72, 3020),
    ("wa", "threads", 16, 38500, 20000, 3200), ("wa", "threads", 64, 38000, 24000, 3800),
    ("wa", "async", 1, 20000, 65, 3000), ("wa", "async", 2, 20100, 130, 3000),
    ("wa", "async", 16, 20000, 900, 3005), ("wa", "async", 64, 20000, 3400, 3010),
    ("wa", "async-mt", 1, 20000, 65, 3000), ("wa", "async-mt", 2, 39500, 70, 3000),
    ("wa", "async-mt", 16, 39000, 500, 3000), ("wa", "async-mt", 64, 39000, 1800, 3010),
    ("wb", "threads", 1, 950, 1100, 3000), ("wb", "threads", 16, 15000, 1200, 3200),
    ("wb", "threads", 256, 150000, 3000, 6000), ("wb", "threads", 1024, 200000, 20000, 16000),
    ("wb", "threads", 10000, "failed", "pthread_create: EAGAIN at 9000 threads"),
    ("wb", "async", 1, 940, 1100, 3000), ("wb", "async", 16, 15200, 1100, 3000),
    ("wb", "async", 256, 240000, 1100, 3050), ("wb", "async", 1024, 600000, 1700, 3100),
    ("wb", "async", 10000, 2000000, 5000, 4000),
    ("wc", "threads", 1, 800, 1500, 3000), ("wc", "threads", 16, 6000, 8000, 3200),
    ("wc", "threads", 64, 7000, 15000, 3800), ("wc", "threads", 256, 7000, 50000, 6000),
    ("wc", "async", 1, 750, 1600, 3000), ("wc", "async", 16, 4200, 16000, 3000),
    ("wc", "async", 64, 4200, 30000, 3010), ("wc", "async", 256, 4200, 120000, 3050),
    ("wc", "hybrid", 1, 800, 1400, 3000), ("wc", "hybrid", 16, 6500, 5000, 3000),
    ("wc", "hybrid", 64, 7200, 12000, 3100), ("wc", "hybrid", 256, 7100, 45000, 3200),
], noisy={("wc", "async", 256)})

# Every claim REFUTED.
write_run("refute", WLS, [
    ("wa", "threads", 1, 20000, 70, 3000), ("wa", "threads", 2, 21000, 200, 3000),
    ("wa", "threads", 16, 20500, 500, 3100), ("wa", "threads", 64, 20000, 2000, 3640),
    ("wa", "async", 1, 20000, 65, 3000), ("wa", "async", 2, 20100, 100, 3000),
    ("wa", "async", 16, 20000, 1000, 3100), ("wa", "async", 64, 20000, 4000, 3330),
    ("wa", "async-mt", 1, 20000, 65, 3000), ("wa", "async-mt", 2, 20500, 100, 3000),
    ("wa", "async-mt", 16, 20300, 1000, 3000), ("wa", "async-mt", 64, 20000, 4000, 3000),
    ("wb", "threads", 1, 950, 1100, 3000), ("wb", "threads", 16, 15000, 1200, 3000),
    ("wb", "threads", 256, 200000, 1300, 4000), ("wb", "threads", 10000, 300000, 30000, 13000),
    ("wb", "async", 1, 940, 1100, 3000), ("wb", "async", 16, 14000, 1300, 3000),
    ("wb", "async", 256, 150000, 1700, 4000), ("wb", "async", 10000, 200000, 50000, 11000),
    ("wc", "threads", 1, 800, 1500, 3000), ("wc", "threads", 16, 6000, 16000, 3200),
    ("wc", "threads", 64, 7000, 30000, 3500), ("wc", "threads", 256, 7000, 120000, 4000),
    ("wc", "async", 1, 750, 1600, 3000), ("wc", "async", 16, 4200, 8000, 3100),
    ("wc", "async", 64, 4200, 15000, 3300), ("wc", "async", 256, 4200, 50000, 3700),
    ("wc", "hybrid", 1, 700, 2000, 3000), ("wc", "hybrid", 16, 3000, 20000, 3000),
    ("wc", "hybrid", 64, 3000, 60000, 3000), ("wc", "hybrid", 256, 3000, 200000, 3000),
])

# Nothing decidable: no core count, no async-mt or hybrid, one CPU workload,
# an I/O workload where both models tie, RSS differences within noise.
write_run("notshown", {"wa": ("cpu", 900, 0), "wb": ("io", 0, 1000)}, [
    ("wa", "threads", 1, 20000, 70, 3000), ("wa", "threads", 2, 39000, 72, 3010),
    ("wa", "threads", 16, 38500, 20000, 3100),
    ("wa", "async", 1, 20000, 65, 3000), ("wa", "async", 2, 20100, 130, 3000),
    ("wa", "async", 16, 20000, 900, 3005),
    ("wb", "threads", 1, 950, 1100, 3000), ("wb", "threads", 16, 15000, 1200, 3100),
    ("wb", "async", 1, 950, 1100, 3000), ("wb", "async", 16, 15000, 1100, 3000),
], cores=None)

# compare.py inputs: the confirm run with throughput doubled (tight ranges);
# with +30% inside wide ranges on both sides; with points missing and one
# ok point failed.
def variant(name, src, change):
    d = os.path.join(out, name)
    os.makedirs(d)
    rows = list(csv.DictReader(open(os.path.join(out, src, "results.csv"))))
    rows = [r for r in (change(dict(r)) for r in rows) if r]
    with open(os.path.join(d, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, COLS)
        w.writeheader()
        w.writerows(rows)
    return rows

def scale(k):
    def f(r):
        if r["status"] == "ok":
            for col in ("throughput", "throughput_min", "throughput_max"):
                r[col] = float(r[col]) * k
        return r
    return f

def widen(r):
    if r["status"] == "ok":
        t = float(r["throughput"])
        r.update(throughput_min=t * 0.6, throughput_max=t * 1.4, throughput_cv=0.25, cv=0.25)
    return r

doubled = variant("doubled", "confirm", scale(2.0))
variant("slightly", "confirm", scale(1.08))

def p99x(k):
    def f(r):
        if r["status"] == "ok":
            for col in ("p99_us", "p99_us_min", "p99_us_max"):
                r[col] = float(r[col]) * k
        return r
    return f
variant("p99x3", "confirm", p99x(3.0))
variant("p99x1.8", "confirm", p99x(1.8))
variant("wide_a", "confirm", widen)
variant("wide_b", "wide_a", scale(1.3))

def partial(r):
    if r["workload"] == "wc":
        return None                                   # only in A
    if (r["workload"], r["model"], r["concurrency"]) == ("wb", "threads", "1024"):
        r.update({k: "" for k in COLS[5:]}, status="failed", reason="timeout")
    return r
variant("partial", "confirm", partial)
with open(os.path.join(out, "expect"), "w") as f:
    f.write("%d %d\n" % (len(doubled), sum(r["status"] == "ok" and r["noisy"] == "0"
                                             for r in doubled)))
PY
check "synthetic runs written" test -s "$SCRATCH/confirm/results.csv"

# expect_verdicts RUN CLAIM-KEY=VERDICT...: report.md's verdict rows.
expect_verdicts() {
	run=$1
	shift
	python3 - "$ROOT" "$SCRATCH/$run/report.md" "$run" "$@" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from scripts.report import fmt, rules
md = open(sys.argv[2]).read()
run = sys.argv[3]
lines = md.splitlines()
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + "%s: %s" % (run, what))
try:
    i_read, i_v, i_over = (lines.index(h) for h in ("## How to read", "## Verdicts", "## Overview"))
    say(i_read < i_v < i_over, "Verdicts section between How to read and Overview")
except ValueError as e:
    say(False, "section missing: %s" % e)
for arg in sys.argv[4:]:
    key, want = arg.split("=", 1)
    claim = fmt.md_cell(rules.CLAIMS[key])
    row = [ln for ln in lines if ln.startswith("| %s | " % claim)]
    got = row[0].split(" | ")[1].strip("* ") if row else "no row"
    say(got == want, "%s -> %s (got %s)%s" % (key, want, got,
        "" if got == want else ": " + (row[0] if row else "")))
PY
}

for run in confirm refute notshown; do
	python3 "$ROOT/scripts/report/report.py" "$SCRATCH/$run" 2>"$SCRATCH/$run.err"
	rc=$?
	check "report.py on the $run run exits 0 ($(tail -1 "$SCRATCH/$run.err"))" [ $rc = 0 ]
done
ALL="parallel io latency length stall memory mix mt"
expect_verdicts confirm $(for k in $ALL; do printf '%s=CONFIRMED ' $k; done)
expect_verdicts refute $(for k in $ALL; do printf '%s=REFUTED ' $k; done)
expect_verdicts notshown "parallel=NOT SHOWN" "io=NOT SHOWN" "latency=NOT SHOWN" \
	"length=NOT SHOWN" "stall=NOT SHOWN" "memory=NOT SHOWN" "mix=NOT SHOWN" "mt=NOT SHOWN"

R="$SCRATCH/confirm/report.md"
check "evidence quotes the numbers (threads speed-up 1.95x)" grep -q 'threads \*\*1.95x\*\*' "$R"
check "a noisy point used is flagged in the evidence" grep -q '(noisy: wc async c=256)' "$R"
check "thread failure quoted with its reason" grep -q 'failed at c=10000\*\* (pthread_create: EAGAIN at 9000 threads)' "$R"
check "per-workload row: crossover 16, ratio 3.00x at c=1024, threads' failure" \
	grep -q '^| wb | io (0, 1000 us) | 16 | 1024 | 3.00x | .*| failed at c=10000\|^| wb | io (0, 1000 us) | 16 | 1024 | 3.00x | .*c=1024; failed at c=10000' "$R"
check "per-workload row: async not limited up to c=10000" grep -q '^| wb .*| not limited up to c=10000 |' "$R"
check "per-workload row: no crossover on CPU work" grep -q '^| wa | cpu (900, 0 us) | none |' "$R"
check "notshown: the reasons are given" \
	sh -c "grep -q 'core count unknown' '$SCRATCH/notshown/report.md' && grep -q 'no workload both computes and waits' '$SCRATCH/notshown/report.md'"
check "one core: parallel claim NOT SHOWN" python3 -c "
import sys, json; sys.path.insert(0, '$ROOT'); from scripts.report import claims, load
rows = load.load_csv('$SCRATCH/confirm/results.csv')
v = claims.verdicts(rows, {'host': {'cores': 1}, 'workloads': json.load(open('$SCRATCH/confirm/meta.json'))['workloads']})
sys.exit(0 if v[0]['verdict'] == 'NOT SHOWN' and '1 core' in v[0]['evidence'] else 1)"
check "busy machine (no point used > 1 core): parallel, latency, async-mt NOT SHOWN" python3 -c "
import sys, json; sys.path.insert(0, '$ROOT'); from scripts.report import claims, load
rows = load.load_csv('$SCRATCH/refute/results.csv')
for r in rows:
    if r['workload'] == 'wa' and r['status'] == 'ok':
        r.update(utime_s=0.4, stime_s=0.0, wall_s=0.4)      # one core's worth
v = claims.verdicts(rows, json.load(open('$SCRATCH/refute/meta.json')))
got = [x['verdict'] for x in v]
sys.exit(0 if [got[0], got[2], got[7]] == ['NOT SHOWN'] * 3 and 'busy' in v[0]['evidence'] else 1)"

# ---- compare.py -------------------------------------------------------------
CMP="python3 $ROOT/scripts/report/compare_runs.py"
read -r n_all n_ok <"$SCRATCH/expect"
$CMP "$SCRATCH/confirm" "$SCRATCH/confirm" >"$SCRATCH/cmp.out" 2>"$SCRATCH/cmp.err"
rc=$?
check "compare: identical runs exit 0" [ $rc = 0 ]
check "compare: identical runs: $n_all points, 0 changed ($(tail -1 "$SCRATCH/cmp.out"))" \
	grep -q "^$n_all points compared, 0 changed beyond noise" "$SCRATCH/cmp.out"
check "compare: one table line per point" [ "$(grep -c '^| w[abc] |' "$SCRATCH/cmp.out")" = "$n_all" ]
$CMP "$SCRATCH/confirm" "$SCRATCH/doubled" >"$SCRATCH/cmp.out" 2>&1
check "compare: throughput doubled: every ok, not noisy point changed ($(tail -1 "$SCRATCH/cmp.out"))" \
	grep -q "^$n_all points compared, $n_ok changed beyond noise (1 noisy in A or B, not judged)" \
	"$SCRATCH/cmp.out"
check "compare: marked ▲ +100%" grep -q '| 20.0k → 40.0k (2.00x) \*\*▲ +100%\*\* |.*CHANGED\*\*: throughput |' "$SCRATCH/cmp.out"
check "compare: a point flagged noisy is shown, not judged" \
	grep -q '^| wc | async | 256 | .*(2.00x) | .* | noisy in A and B: not judged |' "$SCRATCH/cmp.out"
$CMP "$SCRATCH/confirm" "$SCRATCH/p99x3" >"$SCRATCH/cmp.out" 2>&1
check "compare: p99 x3: every ok, not noisy point changed in p99" \
	sh -c "grep -q ' $n_ok changed beyond noise' '$SCRATCH/cmp.out' && grep -q 'CHANGED\*\*: p99 |' '$SCRATCH/cmp.out'"
$CMP "$SCRATCH/confirm" "$SCRATCH/p99x1.8" >"$SCRATCH/cmp.out" 2>&1
check "compare: p99 x1.8 is inside the x2 tail floor: 0 changed" \
	grep -q ' 0 changed beyond noise' "$SCRATCH/cmp.out"
$CMP "$SCRATCH/confirm" "$SCRATCH/slightly" >"$SCRATCH/cmp.out" 2>&1
check "compare: +8% with tight ranges is below the 10% floor: 0 changed" \
	grep -q ' 0 changed beyond noise' "$SCRATCH/cmp.out"
$CMP "$SCRATCH/wide_a" "$SCRATCH/wide_b" >"$SCRATCH/cmp.out" 2>&1
check "compare: +30% inside overlapping wide ranges: 0 changed" \
	grep -q ' 0 changed beyond noise' "$SCRATCH/cmp.out"
$CMP "$SCRATCH/confirm" "$SCRATCH/partial" >"$SCRATCH/cmp.out" 2>&1
check "compare: points of one run only are listed as 'only in A'" grep -q '| only in A |' "$SCRATCH/cmp.out"
check "compare: ok in A, failed in B is a change" \
	sh -c "grep -q '^| wb | threads | 1024 |.*CHANGED.*ok in A, failed in B (timeout)' '$SCRATCH/cmp.out' && grep -q ' 1 changed beyond noise' '$SCRATCH/cmp.out'"

mkdir "$SCRATCH/empty"
for args in "" "'$SCRATCH/confirm'" "'$SCRATCH/nosuch' '$SCRATCH/confirm'" \
	"'$SCRATCH/confirm' '$SCRATCH/empty'" "a b c"; do
	usage_error "compare $args" "$CMP $args"
done
make -s -C "$ROOT" compare A="$SCRATCH/confirm" >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
check "make compare without B: fails, says what to give (exit $rc)" \
	sh -c "[ $rc != 0 ] && grep -q 'give two run folders' '$SCRATCH/err' && [ ! -s '$SCRATCH/out' ]"
make -s -C "$ROOT" compare A="$SCRATCH/confirm" B="$SCRATCH/doubled" >"$SCRATCH/out" 2>&1
check "make compare A=.. B=.. runs compare.py" grep -q "changed beyond noise" "$SCRATCH/out"
finish
