#!/bin/sh
# test_matrix.sh - make matrix and make compare across machines, on synthetic run folders.
#
# No Slurm and no binary: the verdict fixtures (tests/fixture_runs.py) made
# into machines by their meta.json (a fleet label, a kernel each).  Checks,
# on matrix.json: one column per machine, each claim the verdict the run's
# own report gives it (fixture_runs.judged), with its deciding figure; two
# runs of one label are replicas, SPLIT where their verdicts differ, each
# run's verdict kept; an incomplete run (complete=false) is missing with why
# and nothing of it is taken; the fingerprints' difference that matters
# (the kernel) is named; points without histograms are listed as not merged,
# with why; bad usage is one line, exit 2.  make compare warns about the
# kernel.  (tests/test_fleet.sh runs the matrix on a real fleet's runs.)
# tvsa: long -- the fleet's matrix over several machines' runs, ~10 s
. "$(dirname "$0")/lib.sh"

python3 "$ROOT/tests/fixture_runs.py" "$SCRATCH/fx" >/dev/null || not_ok "fixture runs written"
# machine NAME FIXTURE LABEL KERNEL COMPLETE: a copy of a fixture as one machine's run.
machine() {
	cp -r "$SCRATCH/fx/$2" "$SCRATCH/$1"
	python3 - "$SCRATCH/$1/meta.json" "$3" "$4" "$5" "$ROOT" <<'PY'
import json, os, sys
sys.path.insert(0, sys.argv[5])
from harness.sweep.rundir import results_seal   # resealed, as the sweep seals
p, label, kernel, complete = sys.argv[1:5]
m = json.load(open(p))
m["fleet"] = {"label": label, "job_id": None}
m["host"].update(kernel=kernel, mitigations={"spectre_v2": "Mitigation: Retpolines"})
m["complete"] = complete == "1"
m["results_csv"] = results_seal(os.path.join(os.path.dirname(p), "results.csv"))
json.dump(m, open(p, "w"))
PY
}
machine x86 confirm x86 6.1.0 1
machine arm refute arm 6.5.0 1
machine x86b refute x86 6.1.0 1
machine riscv confirm riscv 6.1.0 0
MX="python3 $ROOT/scripts/matrix/matrix.py"

$MX --runs "$SCRATCH/x86,$SCRATCH/arm,$SCRATCH/riscv" --out "$SCRATCH/m1" 2>"$SCRATCH/m1.err"
check "matrix of x86, arm and an incomplete riscv: exit 0 ($(tail -n 1 "$SCRATCH/m1.err"))" [ $? = 0 ]
$MX --runs "$SCRATCH/x86,$SCRATCH/x86b" --out "$SCRATCH/m2" 2>"$SCRATCH/m2.err"
check "matrix of two x86 runs (replicas): exit 0" [ $? = 0 ]
$MX --runs "$SCRATCH/riscv" --out "$SCRATCH/m3" 2>"$SCRATCH/m3.err"
rc=$?
check "matrix of an incomplete run alone: exit 3, says it is missing" \
	sh -c "[ $rc = 3 ] && grep -q 'missing riscv' '$SCRATCH/m3.err' && [ -s '$SCRATCH/m3/matrix.md' ]"

python3 - "$ROOT" "$SCRATCH" >"$SCRATCH/checks.out" 2>&1 <<'PY'
import json, os, sys
root, s = sys.argv[1:3]
sys.path.insert(0, os.path.join(root, "tests"))
from fixture_runs import judged
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
m1 = json.load(open(os.path.join(s, "m1", "matrix.json")))
labels = [m["label"] for m in m1["machines"]]
say(labels == ["x86", "arm"], "m1: machines %s (riscv left out)" % labels)
miss = m1["missing"]
say(len(miss) == 1 and miss[0]["label"] == "riscv" and "incomplete" in miss[0]["why"],
    "m1: riscv missing: %s" % (miss[0]["why"] if miss else None))
for lab, d in (("x86", "x86"), ("arm", "arm")):
    own = judged(root, os.path.join(s, d))
    cells = {c["key"]: c["cells"].get(lab) for c in m1["claims"]}
    say(set(cells) == set(own) and all(cells[k]["verdict"] == own[k]["verdict"] and
                                      cells[k]["sure"] for k in own),
        "m1: %s's %d claims as its own report judges them (%s)" % (
            lab, len(own), sorted({v["verdict"] for v in own.values()})))
io = next(c for c in m1["claims"] if c["key"] == "io")
say(io["cells"]["x86"]["verdict"] == "CONFIRMED" and io["cells"]["arm"]["verdict"] == "REFUTED"
    and "async/threads throughput" in io["cells"]["x86"]["sure"],
    "m1: the I/O claim CONFIRMED on x86, REFUTED on arm, with its deciding interval: %s"
    % io["cells"]["x86"]["sure"][:90])
diff = m1["fingerprints"]["arm"]["differs"]
say([d[0] for d in diff] == ["kernel"] and "6.1.0 vs 6.5.0" in diff[0][2],
    "m1: arm's fingerprint differs from x86's in the kernel only: %s" % diff)
rat = {(r["figure"], r["workload"]): r for r in m1["ratios"]}
say(any(k[0] == "tp_ratio" and set(r["values"]) == {"x86", "arm"} for k, r in rat.items()) and
    any(k[0] == "speedup" for k in rat),
    "m1: key ratios side by side (%d rows: %s)" % (len(rat), sorted({k[0] for k in rat})))
sk = m1["hgrm"]["x86"]["skipped"]
say(not m1["hgrm"]["x86"]["merged"] and sk and all("histogram" in x["why"] or "counted"
                                                 in x["why"] for x in sk),
    "m1: no histograms in the fixtures: every point listed as not merged, with why (%d)" % len(sk))
say(m1["figures"] and all(os.path.getsize(os.path.join(s, "m1", f)) > 0
                          for x in m1["figures"] for f in x["files"]),
    "m1: figures drawn (%s)" % [x["workload"] for x in m1["figures"]])

m2 = json.load(open(os.path.join(s, "m2", "matrix.json")))
say([m["label"] for m in m2["machines"]] == ["x86"] and len(m2["machines"][0]["runs"]) == 2,
    "m2: one machine, two replicas")
io = next(c for c in m2["claims"] if c["key"] == "io")["cells"]["x86"]
say(io["verdict"] == "SPLIT" and [r["verdict"] for r in io["runs"]] == ["CONFIRMED", "REFUTED"],
    "m2: replicas that disagree read SPLIT, each run's verdict kept: %s" % [
        (r["run"], r["verdict"]) for r in io["runs"]])
PY
cat "$SCRATCH/checks.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/checks.out")))
grep -q '^ok - m2: replicas' "$SCRATCH/checks.out" || not_ok "the matrices could be checked"

usage_error "matrix with nothing to read" "$MX"
usage_error "matrix RUNS= of no folder" "$MX --runs '$SCRATCH/nosuch'"
usage_error "matrix DIR= without fleet records" "$MX --dir '$SCRATCH/x86'"
make -s -C "$ROOT" --no-print-directory matrix RUNS="$SCRATCH/x86,$SCRATCH/arm" \
	OUT="$SCRATCH/m4" >/dev/null 2>&1
check "make matrix RUNS=a,b OUT=dir writes matrix.json and matrix.md" \
	sh -c "[ -s '$SCRATCH/m4/matrix.json' ] && [ -s '$SCRATCH/m4/matrix.md' ]"

python3 "$ROOT/scripts/report/compare_runs.py" "$SCRATCH/x86" "$SCRATCH/arm" \
	>"$SCRATCH/cmp.out" 2>"$SCRATCH/cmp.err"
check "make compare across machines warns of the kernel (6.1.0 vs 6.5.0), and only of it" \
	sh -c "grep -q 'differ in kernel (6.1.0 vs 6.5.0)' '$SCRATCH/cmp.err' && [ \$(grep -c warning '$SCRATCH/cmp.err') = 1 ] && grep -q 'Warning:.*kernel' '$SCRATCH/cmp.out'"
finish
