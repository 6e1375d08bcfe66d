#!/bin/sh
# test_registry.sh - models come from harness/models.def and nowhere else: a
# model line added to a copy of the registry (TVSA_MODELS_DEF) shows up in the
# sweep's points, its command line and the plot legend with no other edit; a
# malformed line is refused in one line naming the file and line; `make help`
# lists every model's summary; the gnuplot scripts name no model.
. "$(dirname "$0")/lib.sh"

DEF="$ROOT/harness/models.def"
ADDED="$SCRATCH/models.def"
cp "$DEF" "$ADDED"
echo 'MODEL(async-2loops, async, async, "libevent", "--loops=2", all, "#56B4E9", 11, "two libevent loops, whatever the cores")' >>"$ADDED"

# The added model, in a tiny sweep (c=2: two loops need two slots) with the report.
TVSA_MODELS_DEF="$ADDED" python3 "$ROOT/harness/sweep/bench.py" --quick --concurrency 2 \
	--workloads cpu_hash --models threads,async-2loops --no-rate --quiet \
	--results "$SCRATCH/res" 2>"$SCRATCH/sweep.err"
rc=$?
check "sweep with a model added to a copy of models.def exits 0 ($(tail -1 "$SCRATCH/sweep.err"))" [ $rc = 0 ]
python3 - "$SCRATCH/res/latest" >"$SCRATCH/added.out" 2>&1 <<'PY'
import csv, json, os, re, sys
run = sys.argv[1]
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
rows = list(csv.DictReader(open(os.path.join(run, "results.csv"))))
meta = json.load(open(os.path.join(run, "meta.json")))
got = {r["model"]: r for r in rows}
say(sorted(got) == ["async-2loops", "threads"] and all(r["status"] == "ok" for r in rows),
    "results.csv has a point of the added model: %s" % sorted(got))
say(got.get("async-2loops", {}).get("verify_checksum") == got.get("threads", {}).get("verify_checksum"),
    "its pilot checksum equals threads': the same work")
cmds = [c for c in meta["commands"] if "cpu_hash-async-2loops-c2" in c]
say(cmds and "/async cpu_hash -c 2" in cmds[0] and "--loops=2" in cmds[0],
    "it ran bin/async with its flags --loops=2: %s" % (cmds[0][-120:] if cmds else "no command"))
say(meta.get("model_info", {}).get("async-2loops", {}).get("colour") == "#56B4E9",
    "meta.json records its registry line (colour #56B4E9)")
svg = open(os.path.join(run, "cpu_hash.svg")).read()
say("async-2loops" in svg and re.search(r"rgb\(\s*86,\s*180,\s*233\)|#56B4E9", svg, re.I),
    "the figure's legend names it, drawn in its registry colour")
PY
cat "$SCRATCH/added.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/added.out")))

# A malformed registry line (or a QUICK_SKIP naming no model): one line
# naming file:line, exit 2, nothing written.
for bad in 'MODEL(x, async, async, "libevent", "", all, "#56B4E9", 11)' \
	'MODEL(y, async, blocking, "libevent", "", all, "#56B4E9", 11, "a style that is not one")' \
	'MODEL(z, async, async, "libevent", "--loops={slots}", all, "#56B4E9", 11, "an unknown placeholder")' \
	'MODEL(threads, threads, threads, "", "", all, "#0072B2", 7, "registered twice")' \
	'QUICK_SKIP(pool, no-such-model)'; do
	cp "$DEF" "$SCRATCH/bad.def"
	echo "$bad" >>"$SCRATCH/bad.def"
	usage_error "sweep with models.def line '$(echo "$bad" | cut -c1-40)...'" \
		"TVSA_MODELS_DEF='$SCRATCH/bad.def' python3 '$ROOT/harness/sweep/bench.py' --quick --results '$SCRATCH/bad'"
	check "... names the line ($(cat "$SCRATCH/usage.err"))" grep -q "bad.def:$(wc -l <"$SCRATCH/bad.def"):" "$SCRATCH/usage.err"
done
check "a bad registry wrote nothing" [ ! -e "$SCRATCH/bad" ]

# make help lists every registered model with its summary; the gnuplot
# scripts name none outside their comments (models come from the registry).
make -s -C "$ROOT" help >"$SCRATCH/help" 2>&1
python3 - "$ROOT" "$SCRATCH/help" >"$SCRATCH/help.out" 2>&1 <<'PY'
import glob, os, re, sys
sys.path.insert(0, sys.argv[1])
from harness.sweep import models
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
help_text = open(sys.argv[2]).read()
reg = models.load()
missing = [m["name"] for m in reg if "  %s: %s" % (m["name"], m["summary"]) not in help_text]
say(not missing, "make help lists the %d models with their summaries%s" % (
    len(reg), "" if not missing else " (missing: %s)" % missing))
for gp in sorted(glob.glob(os.path.join(sys.argv[1], "scripts", "*.gp"))):
    code = [l.split("#", 1)[0] for l in open(gp)]
    named = sorted({m["name"] for m in reg for l in code
                    if re.search(r"""["' ]%s["' ]""" % re.escape(m["name"]), l)})
    say(not named, "%s names no model outside comments%s" % (
        os.path.basename(gp), "" if not named else ": %s" % named))
PY
cat "$SCRATCH/help.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/help.out")))
finish
