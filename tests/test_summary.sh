#!/bin/sh
# test_summary.sh - the report's first screen (scripts/report/summary.py,
# quality.py), read from summary.json beside report.md, not from its layout:
# a row per claim, the design's and the field's, each with its verdict and,
# when judged, the figure that decided it (with its interval) and a plot
# that exists, or why it is NOT SHOWN; the run-quality figures.  A fixture
# run on a quiet machine (tests/fixture_runs.py: a synthetic fingerprint)
# decides and has no warning; the same figures on a loaded one decide
# nothing.  Then a real run made while the machine is loaded: two busy
# loops for the length of a tiny sweep (`make bench QUICK=1 RATE=0 SERVE=0
# ONECPU=0 WORKLOADS=io_sleep MODELS=threads,async`), killed by their pids
# afterwards, on failure too: its meta.json records other processes' CPU,
# its report opens with the warning and none of its verdicts is CONFIRMED
# or REFUTED; its sweep command is the command that was run.  The quiet case
# is a fixture only: this machine is shared, "not loaded" cannot be
# asserted of a real run.  About 30 s on 2 cores.
. "$(dirname "$0")/lib.sh"

HOGS=""
stop_hogs() {
	for p in $HOGS; do kill "$p" 2>/dev/null; done
	for p in $HOGS; do wait "$p" 2>/dev/null; done
	HOGS=""
}
trap 'stop_hogs; rm -rf "$SCRATCH"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- fixtures: quiet and loaded --------------------------------------------------
python3 "$ROOT/tests/fixture_runs.py" "$SCRATCH/fx" 2>"$SCRATCH/fx.err"
for run in confirm loaded; do
	python3 "$ROOT/scripts/report/report.py" "$SCRATCH/fx/$run" >"$SCRATCH/$run.out" 2>&1
	check "report.py on the $run fixture exits 0 ($(tail -1 "$SCRATCH/$run.out" | cut -c1-120))" \
		test -s "$SCRATCH/fx/$run/summary.json"
done

python3 - "$ROOT" "$SCRATCH/fx" <<'PY'
import json, os, sys
root, fx = sys.argv[1:3]
sys.path.insert(0, root)
from scripts.report import contested, rules

def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)

KEYS = list(rules.CLAIMS) + [k for k, _, _ in contested.RULES]
VERDICTS = {"CONFIRMED", "REFUTED", "INCONCLUSIVE", "NOT SHOWN"}
quiet = json.load(open(os.path.join(fx, "confirm", "summary.json")))
rows = quiet["claims"]
say([c["key"] for c in rows] == KEYS,
    "a row per claim, the design's then the field's: %s" % [c["key"] for c in rows])
say(all(c["verdict"] in VERDICTS and c["advice"] for c in rows),
    "each row names its advice and has a verdict")
say(all(c["source"] for c in rows if c["key"] in contested.CONTESTED),
    "each contested claim names its source")
judged = [c for c in rows if c["verdict"] != "NOT SHOWN"]
say(len(judged) >= len(KEYS) - 1, "the quiet fixture judges %d of %d claims" % (
    len(judged), len(KEYS)))
say(all(c["figure"] and c["figure"].get("text") for c in judged),
    "every judged claim has the figure that decided it")
with_iv = [c for c in judged if "what" in c["figure"]]
say(len(with_iv) >= len(judged) - 1 and all(
    isinstance(c["figure"]["lo"], float) and c["figure"]["lo"] <= c["figure"]["value"]
    <= c["figure"]["hi"] for c in with_iv),
    "the deciding figures carry their intervals, value inside: %s" % [
        (c["key"], c["figure"].get("lo"), c["figure"].get("hi")) for c in with_iv][:4])
plots = [c for c in judged if c["key"] != "switch"]     # calibration: no figure
say(all(c["plot"] and os.path.exists(os.path.join(fx, "confirm", c["plot"])) for c in plots),
    "every judged claim on a pair points at a plot that exists: %s" % sorted(
        {c["plot"] for c in plots if c["plot"]}))
say(all(c["why"] for c in rows if c["verdict"] == "NOT SHOWN"),
    "a NOT SHOWN claim says why")
io = next(c for c in rows if c["key"] == "io")
say(bool(io["scaling"]) and all("linear scaling" in x for x in io["scaling"]),
    "the I/O claim says where threads stop scaling: %s" % io["scaling"])
q = quiet["quality"]
say(q["fit"] is True and q["taken_cores"] < q["limit_cores"] and not any(
    c["unfit_verdict"] for c in rows),
    "the quiet fixture is fit to decide (others + steal %s < %s cores)" % (
        q["taken_cores"], q["limit_cores"]))
say(sum(c["verdict"] == "CONFIRMED" for c in rows) >= 10,
    "... and decides: %d CONFIRMED" % sum(c["verdict"] == "CONFIRMED" for c in rows))

loaded = json.load(open(os.path.join(fx, "loaded", "summary.json")))
lq = loaded["quality"]
say(lq["fit"] is False and "other processes" in lq["why"],
    "the loaded fixture is not fit: %s" % lq["why"])
say(all(c["verdict"] in ("INCONCLUSIVE", "NOT SHOWN") for c in loaded["claims"]),
    "... none of its verdicts CONFIRMED or REFUTED: %s" % sorted(
        {c["verdict"] for c in loaded["claims"]}))
was = {c["key"]: c["verdict"] for c in rows}
say(all(c["unfit_verdict"] == was[c["key"]] for c in loaded["claims"]
        if was[c["key"]] in ("CONFIRMED", "REFUTED")),
    "... each one the quiet run decided keeps what its figures said (unfit_verdict)")
md = open(os.path.join(fx, "loaded", "report.md")).read()
top = md[:md.find("## How to read")]
say("not fit to decide anything" in top, "the loaded fixture's report warns before anything else")
qmd = open(os.path.join(fx, "confirm", "report.md")).read()
say("This run is not fit" not in qmd, "the quiet fixture's report carries no warning")
from scripts.report import build, load, verdicts
r = build.load_rows(os.path.join(fx, "loaded"))
meta = load.load_meta(os.path.join(fx, "loaded", "meta.json"))
seed, field = verdicts.judge_all(r, meta, None, build.load_extra(os.path.join(fx, "loaded"), None))
say(all(v["verdict"] != "CONFIRMED" and (v["verdict"] != "INCONCLUSIVE" or not v.get(
    "unfit_verdict") or v["sure"].startswith("run not fit to decide")) for v in seed + field),
    "the Verdicts section agrees, its how-sure giving the reason first")
PY

# ---- QUICK's plan: every verdict decided or NOT SHOWN with its reason -------------
python3 - "$ROOT" "$SCRATCH/plan" <<'PY'
import os, sys
root, out = sys.argv[1:3]
sys.path.insert(0, root)
from harness.sweep import closed_loop, models
from scripts.report import claims, contested

def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)

args, pairs, levels = closed_loop.setup(["--quick", "--results", out])
names = [m["name"] for m in args.models]
roles = {m for needs in claims.NEEDS.values() for m in needs} | {
    m for _, _, needs in contested.RULES for m in needs}
say(roles <= set(names) and not set(names) & set(models.quick_skip()),
    "QUICK runs every model a verdict compares (%s), none of QUICK_SKIP: %s" % (
        sorted(roles), names))
say(all(max(levels[p["name"]]) >= 64 for p in pairs),
    "every pair has a level >= 64, memory per task: %s" % levels)
cpu = [p for p in pairs if p["kind"] == "cpu"]
say(cpu and all(1 in levels[p["name"]] for p in cpu), "CPU pairs run at c=1 (speed-ups)")
waits = [p for p in pairs if p["kind"] == "io" and "io" in p["claims"].split(",")
         and p["delay_us"] > 0]
say(waits and all(len([c for c in levels[p["name"]] if 1 < c < max(levels[p["name"]])]) >= 2
                  for p in waits),
    "the waiting I/O pairs have two levels between 1 and their top (where threads stop "
    "scaling): %s" % {p["name"]: levels[p["name"]] for p in waits})
from harness.sweep import serve
say(closed_loop.rate_skipped(args) and not serve.skipped(args, pairs),
    "no open-loop sweep (%s), a serve section (skipped: %s)" % (closed_loop.rate_skipped(args),
                                                               serve.skipped(args, pairs)))
sargs, _, _ = closed_loop.setup(["--quick", "--results", out])
say(not serve.skipped(sargs, pairs) and {p["name"] for p, _, _ in serve.shapes(sargs, pairs)}
    == {"io_sleep"} and not any(x for _, _, pats in serve.shapes(sargs, pairs)
                                for m, _, x in pats if m == "open"),
    "QUICK's serve section is lean: io_sleep's servers, closed loop only: %s" % [
        (p["name"], c, pats) for p, c, pats in serve.shapes(sargs, pairs)])
PY

# ---- a real run on a loaded machine ------------------------------------------------
sh -c 'while :; do :; done' &
HOGS="$HOGS $!"
sh -c 'while :; do :; done' &
HOGS="$HOGS $!"
OUT="$SCRATCH/loaded"
start=$(date +%s)
make -s -C "$ROOT" bench QUICK=1 RATE=0 SERVE=0 ONECPU=0 QUIET=1 WORKLOADS=io_sleep \
	MODELS=threads,async OUT="$OUT" >"$SCRATCH/sweep.out" 2>&1
rc=$?
stop_hogs
check "a tiny sweep beside two busy loops exits 0 in $(($(date +%s) - start)) s ($(tail -1 "$SCRATCH/sweep.out" | cut -c1-100))" \
	[ $rc = 0 ]

python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]

def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)

run = os.path.join(out, "latest")
meta = json.load(open(os.path.join(run, "meta.json")))
use = meta["host"].get("cpu_use") or {}
say(use.get("others", 0) >= 0.2 * meta["host"]["cores"],
    "meta.json: other processes used %s cores, the sweep %s, steal %s over %s s" % (
        use.get("others"), use.get("own"), use.get("steal"), use.get("wall_s")))
want = ("make bench QUICK=1 WORKLOADS=io_sleep MODELS=threads,async QUIET=1 RATE=0 ONECPU=0 "
        "SERVE=0 OUT=%s" % out)
say(meta["sweep_command"] == want, "the sweep command is the command run: %s" % meta["sweep_command"])
s = json.load(open(os.path.join(run, "summary.json")))
say(s["quality"]["fit"] is False, "the loaded run is not fit to decide: %s" % s["quality"]["why"])
vs = {c["key"]: c["verdict"] for c in s["claims"]}
say(all(v in ("INCONCLUSIVE", "NOT SHOWN") for v in vs.values()) and
    "INCONCLUSIVE" in vs.values(), "its verdicts are INCONCLUSIVE or NOT SHOWN: %s" % vs)
# Memory per task is not CPU: threads' stacks against a loop's slots stay
# far apart under any load, so the memory claim's figures decide, and the
# load turns it.
turned = {c["key"]: c["unfit_verdict"] for c in s["claims"] if c["unfit_verdict"]}
say(turned.get("memory") == "CONFIRMED",
    "the load turned what its figures decided (memory: %s): %s" % (turned.get("memory"), turned))
md = open(os.path.join(run, "report.md")).read()
say("not fit to decide anything" in md[:md.find("## How to read")],
    "its report warns at the top")
say(os.path.exists(os.path.join(run, "commands.md")) and "<details>" not in md,
    "the command lines are in commands.md, not in report.md")
PY
finish
