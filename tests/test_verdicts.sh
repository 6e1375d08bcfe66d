#!/bin/sh
# test_verdicts.sh - the design's claims in the "Verdicts" section of report.md
# (scripts/report/claims.py, cautions.py) and scripts/report/compare.py, on
# synthetic run folders (tests/fixture_runs.py): each claim clearly true ->
# CONFIRMED, clearly false -> REFUTED, inside the noise -> INCONCLUSIVE,
# missing model, pair or data -> NOT SHOWN naming it; every verdict with its
# intervals, a "how sure" and a sentence; a pair that declares nothing gets
# no vote; an older run (no stats/) says "interval not measured".  Then
# compare.py: a change marked only where the 95% interval of B/A says so.
# Asserts on data (the verdicts as the report computes them), not on layout.
# No benchmark runs: < 15 s.
. "$(dirname "$0")/lib.sh"

python3 "$ROOT/tests/fixture_runs.py" "$SCRATCH" 2>"$SCRATCH/fx.err"
check "synthetic runs written ($(tail -1 "$SCRATCH/fx.err"))" test -s "$SCRATCH/confirm/results.csv"

python3 "$ROOT/scripts/report/report.py" --verdicts "$SCRATCH/confirm" >"$SCRATCH/v.md" 2>"$SCRATCH/v.err"
rc=$?
check "report.py --verdicts on the confirm run exits 0, quiet ($(head -1 "$SCRATCH/v.err"))" \
	sh -c "[ $rc = 0 ] && [ ! -s '$SCRATCH/v.err' ] && grep -q '^## Verdicts' '$SCRATCH/v.md'"

python3 - "$ROOT" "$SCRATCH" <<'PY'
import json, os, shutil, sys
root, out = sys.argv[1:3]
sys.path.insert(0, os.path.join(root, "tests"))
from fixture_runs import judged
sys.path.insert(0, root)
from scripts.report import build, claims, load, render, verdicts

def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)

SEED = ["parallel", "io", "latency", "length", "stall", "memory", "mix", "mt"]
runs = {name: judged(root, os.path.join(out, name))
        for name in ("confirm", "refute", "noise", "notshown", "bare")}
for name, want in (("confirm", "CONFIRMED"), ("refute", "REFUTED"), ("noise", "INCONCLUSIVE")):
    for k in SEED:
        v = runs[name][k]
        say(v["verdict"] == want, "%s: %s -> %s (got %s: %s)" % (
            name, k, want, v["verdict"], v["evidence"][:160]))

# Each judged verdict says how sure it is and gives one quotable sentence.
for name in ("confirm", "refute"):
    for k in SEED:
        v = runs[name][k]
        sure_ok = "95%" in v["sure"] or "failed" in v["sure"]
        say(sure_ok and v["say"].startswith("On this 2-core machine, ") and v["say"].endswith("."),
            "%s %s: how sure '%s...', sentence '%s...'" % (name, k, v["sure"][:60], v["say"][:60]))
c = runs["confirm"]
say("1.95x (" in c["parallel"]["evidence"] and "1.95x (" in c["parallel"]["say"],
    "the speed-up is quoted with its interval: %s" % c["parallel"]["say"])
say("failed at c=10000** (pthread_create: EAGAIN at 9000 threads)" in c["memory"]["evidence"],
    "a thread failure decides the memory claim, its reason quoted")
say(all("wz" not in v["evidence"] for v in c.values()),
    "a pair that declares no claim (wz) has no vote (the I/O claim stays CONFIRMED without it)")
n = runs["noise"]
say("0.741–5.13x" in n["parallel"]["sure"] and "CONFIRMED above, REFUTED below 1.60x"
    in n["parallel"]["sure"], "noise: the interval crosses the threshold, and says so: %s"
    % n["parallel"]["sure"][:120])

ns = runs["notshown"]
for k, why in (("parallel", "core count unknown"), ("latency", "core count unknown"),
               ("io", "declares the claim 'io'"), ("stall", "declares the claim 'stall'"),
               ("mix", "no hybrid model"), ("mt", "no async-mt model"),
               ("length", "needs two workloads with different CPU parts"),
               ("memory", "no memory per task"), ("open", "no open-loop sweep")):
    v = ns[k]
    say(v["verdict"] == "NOT SHOWN" and why in v["evidence"],
        "notshown: %s NOT SHOWN, naming why (%s): %s" % (k, why, v["evidence"][:100]))

# An older run without per-run figures: min..max ranges, never an invented interval.
b = runs["bare"]
say(b["io"]["verdict"] == "CONFIRMED" and "(range " in b["io"]["evidence"]
    and "interval not measured" in b["io"]["sure"],
    "no stats/: the io verdict rests on min..max ranges, saying so: %s" % b["io"]["sure"][:100])
rows = build.load_rows(os.path.join(out, "bare"))
meta = load.load_meta(os.path.join(out, "bare", "meta.json"))
text = "\n".join(verdicts.render(rows, meta))
say("Intervals not measured" in text, "no stats/: the section says intervals were not measured")

# A run recorded before pairs declared claims: each rule picks pairs by kind
# (the I/O claim then takes wz, whose async loses: REFUTED), saying so.
legacy = os.path.join(out, "legacy")
shutil.copytree(os.path.join(out, "confirm"), legacy)
m = json.load(open(os.path.join(legacy, "meta.json")))
for w in m["workloads"].values():
    w.pop("claims", None)
json.dump(m, open(os.path.join(legacy, "meta.json"), "w"))
lv = judged(root, legacy)
say(lv["io"]["verdict"] == "REFUTED" and "wz" in lv["io"]["evidence"],
    "no declared claims (older run): pairs picked by kind, wz votes: %s" % lv["io"]["verdict"])
text = "\n".join(verdicts.render(build.load_rows(legacy), m))
say("predates them" in text, "... and the section says the pairs were picked by kind")

# One core; a busy machine (no threads point got more than one core's CPU time).
rows = build.load_rows(os.path.join(out, "confirm"))
meta = load.load_meta(os.path.join(out, "confirm", "meta.json"))
v = {x["key"]: x for x in claims.verdicts(rows, dict(meta, host={"cores": 1}))}
say(v["parallel"]["verdict"] == "NOT SHOWN" and "1 core" in v["parallel"]["evidence"],
    "one core: the parallel claim NOT SHOWN")
rows = build.load_rows(os.path.join(out, "refute"))
for r in rows:
    if r["workload"] == "wa" and r["status"] == "ok":
        r.update(utime_s=0.2, stime_s=0.0, wall_s=0.2)      # one core's worth
v = {x["key"]: x for x in claims.verdicts(rows, load.load_meta(os.path.join(out, "refute",
                                                                          "meta.json")))}
say([v[k]["verdict"] for k in ("parallel", "mt")] == ["NOT SHOWN"] * 2
    and "busy" in v["parallel"]["evidence"], "busy machine: parallel and async-mt NOT SHOWN")

# The report: the Verdicts section between How to read and Overview, its
# tables with a How sure and a sentence column.
d = os.path.join(out, "confirm")
cal = load.load_calibration(d)[0]
md = render.render_report(build.load_rows(d), load.load_meta(os.path.join(d, "meta.json")), cal,
                          None, {}, None, (), build.load_extra(d, cal)).splitlines()
try:
    i_read, i_v, i_over = (md.index(h) for h in ("## How to read", "## Verdicts", "## Overview"))
    say(i_read < i_v < i_over, "Verdicts section between How to read and Overview")
except ValueError as e:
    say(False, "section missing: %s" % e)
heads = [ln for ln in md if ln.startswith("| Claim |")]
say(len(heads) == 2 and all("How sure" in h and "In one sentence" in h for h in heads)
    and "Source" in heads[1], "two claim tables, with How sure and a sentence; the second "
    "with sources")
PY

# ---- compare.py -------------------------------------------------------------
python3 - "$SCRATCH" "$ROOT" <<'PY'
import csv, json, os, shutil, sys
out = sys.argv[1]
sys.path.insert(0, os.path.join(sys.argv[2], "tests"))
from fixture_runs import reseal   # the copies are edited on purpose: sealed again
SCALED = {"throughput": ("throughput", "throughput_min", "throughput_max"),
          "p99_us": ("p99_us", "p99_us_min", "p99_us_max")}

def variant(name, src, key, k, widen=None):
    """A copy of run src with figure key scaled by k (results.csv and every
    stats line), and its runs spread by widen around the median if given."""
    d = os.path.join(out, name)
    shutil.copytree(os.path.join(out, src), d)
    rows = list(csv.DictReader(open(os.path.join(d, "results.csv"))))
    for r in rows:
        if r["status"] == "ok":
            for col in SCALED[key]:
                r[col] = float(r[col]) * k
            if widen:
                r.update(throughput_min=float(r["throughput"]) * (1 - widen),
                         throughput_max=float(r["throughput"]) * (1 + widen), noisy=0)
    with open(os.path.join(d, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, rows[0].keys())
        w.writeheader()
        w.writerows(rows)
    reseal(d)
    sd = os.path.join(d, "stats")
    for fn in os.listdir(sd) if os.path.isdir(sd) else ():
        lines = [json.loads(x) for x in open(os.path.join(sd, fn))]
        med = sorted(x[key] for x in lines[1:])[1]
        for i, x in enumerate(lines):
            x[key] *= k
            if widen:
                x[key] = med * k * (1, 1 - widen, 1, 1 + widen)[i]
        with open(os.path.join(sd, fn), "w") as f:
            f.write("".join(json.dumps(x) + "\n" for x in lines))
    return rows

doubled = variant("doubled", "confirm", "throughput", 2.0)
variant("slightly", "confirm", "throughput", 1.08)
variant("p99x3", "confirm", "p99_us", 3.0)
variant("p99x1.8", "confirm", "p99_us", 1.8)
variant("wide_a", "confirm", "throughput", 1.0, widen=0.3)
variant("wide_b", "confirm", "throughput", 1.3, widen=0.3)
variant("bare_doubled", "bare", "throughput", 2.0)
p = os.path.join(out, "partial")
shutil.copytree(os.path.join(out, "confirm"), p)
rows = list(csv.DictReader(open(os.path.join(p, "results.csv"))))
rows = [r for r in rows if r["workload"] != "wc"]                      # only in A
for r in rows:
    if (r["workload"], r["model"], r["concurrency"]) == ("wr", "threads", "4096"):
        r.update(status="failed", reason="timeout", throughput="", p99_us="")
with open(os.path.join(p, "results.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, rows[0].keys())
    w.writeheader()
    w.writerows(rows)
reseal(p)
with open(os.path.join(out, "expect"), "w") as f:
    f.write("%d %d\n" % (len(doubled), sum(r["status"] == "ok" for r in doubled)))
PY
CMP="python3 $ROOT/scripts/report/compare_runs.py"
read -r n_all n_ok <"$SCRATCH/expect"
$CMP "$SCRATCH/confirm" "$SCRATCH/confirm" >"$SCRATCH/cmp.out" 2>"$SCRATCH/cmp.err"
rc=$?
check "compare: identical runs exit 0" [ $rc = 0 ]
check "compare: identical runs: $n_all points, 0 changed ($(tail -1 "$SCRATCH/cmp.out"))" \
	grep -q "^$n_all points compared, 0 changed beyond noise" "$SCRATCH/cmp.out"
check "compare: one table line per point" [ "$(grep -c '^| w[a-z-]* | [a-z-]* | [0-9]' "$SCRATCH/cmp.out")" = "$n_all" ]
$CMP "$SCRATCH/confirm" "$SCRATCH/doubled" >"$SCRATCH/cmp.out" 2>&1
check "compare: throughput doubled: every ok point changed ($(tail -1 "$SCRATCH/cmp.out"))" \
	grep -q "^$n_all points compared, $n_ok changed beyond noise" "$SCRATCH/cmp.out"
check "compare: marked ▲ +100% with B/A's interval" \
	grep -q '| 20.0k → 40.0k (2.00x, 1.9[0-9]–2.0[0-9]x) \*\*▲ +100%\*\* |.*CHANGED\*\*: throughput |' "$SCRATCH/cmp.out"
$CMP "$SCRATCH/confirm" "$SCRATCH/p99x3" >"$SCRATCH/cmp.out" 2>&1
check "compare: p99 x3: every ok point changed in p99" \
	sh -c "grep -q ' $n_ok changed beyond noise' '$SCRATCH/cmp.out' && grep -q 'CHANGED\*\*: p99 |' '$SCRATCH/cmp.out'"
$CMP "$SCRATCH/confirm" "$SCRATCH/p99x1.8" >"$SCRATCH/cmp.out" 2>&1
check "compare: p99 x1.8 is inside the x2 tail floor: 0 changed" \
	grep -q ' 0 changed beyond noise' "$SCRATCH/cmp.out"
$CMP "$SCRATCH/confirm" "$SCRATCH/slightly" >"$SCRATCH/cmp.out" 2>&1
check "compare: +8% with tight intervals is inside the 10% floor: 0 changed" \
	grep -q ' 0 changed beyond noise' "$SCRATCH/cmp.out"
$CMP "$SCRATCH/wide_a" "$SCRATCH/wide_b" >"$SCRATCH/cmp.out" 2>&1
check "compare: +30% with runs spread +-30%: the interval crosses the floor, 0 changed" \
	grep -q ' 0 changed beyond noise' "$SCRATCH/cmp.out"
$CMP "$SCRATCH/bare" "$SCRATCH/bare_doubled" >"$SCRATCH/cmp.out" 2>&1
check "compare: without stats/ the min..max corners stand in, said so, and x2 is still marked" \
	sh -c "grep -q 'Intervals not measured' '$SCRATCH/cmp.out' && grep -q '(2.00x, range ' '$SCRATCH/cmp.out' && grep -q ' $n_ok changed beyond noise' '$SCRATCH/cmp.out'"
$CMP "$SCRATCH/confirm" "$SCRATCH/partial" >"$SCRATCH/cmp.out" 2>&1
check "compare: points of one run only are listed as 'only in A'" grep -q '| only in A |' "$SCRATCH/cmp.out"
check "compare: ok in A, failed in B is a change" \
	sh -c "grep -q '^| wr | threads | 4096 |.*CHANGED.*ok in A, failed in B (timeout)' '$SCRATCH/cmp.out' && grep -q ' 1 changed beyond noise' '$SCRATCH/cmp.out'"

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
