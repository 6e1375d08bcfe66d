#!/bin/sh
# test_window.sh - one window rule for every run (harness/runtime/dispatch.h):
# every closed run of every model reports its steady window by the same rule
# and says so (window_rule), an open-loop run or one of under 5 tasks per
# slot its whole run; and a figure does not depend on the run's length beyond
# its noise: threads' io_sleep at c = 1,024 (whose slots start late: the rule
# before never opened a window there, and its whole-run figure read 116k/s at
# 20 tasks per slot and 119k/s at 50) at 20 and 50 tasks per slot, in
# alternating rounds, agrees: their paired ratio's 95% interval reaches
# within 5% of 1 (TOL).  Not "holds 1": a 95% interval misses a true 1 in
# one run of twenty by design, and a quiet CI run read 0.898 (0.860-0.986)
# where this machine had read 0.976 (0.914-1.056) the same day.  No timing
# is asserted: the two figures are compared with their interval.
# About 10 s.
. "$(dirname "$0")/lib.sh"

C=1024
ROUNDS=${TVSA_WINDOW_ROUNDS:-14}   # fixed in advance: no run added after looking
: >"$SCRATCH/short.jsonl"
: >"$SCRATCH/long.jsonl"
r=0
while [ $r -lt "$ROUNDS" ]; do
	# Alternate which length runs first, so a drift falls on both alike.
	if [ $((r % 2)) = 0 ]; then order="short long"; else order="long short"; fi
	for which in $order; do
		per=20
		[ "$which" = long ] && per=50
		"$BIN/threads" io_sleep -c $C -n $((per * C)) --stats-out "$SCRATCH/$which.jsonl" \
			2>>"$SCRATCH/err" || not_ok "threads io_sleep -c $C -n $((per * C)) failed: $(tail -1 "$SCRATCH/err")"
	done
	r=$((r + 1))
done

python3 - "$ROOT" "$SCRATCH" "$ROUNDS" <<'PY'
import json, os, sys
root, d, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, root)
from harness.sweep import interval
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
runs = {w: [json.loads(l) for l in open(os.path.join(d, w + ".jsonl"))] for w in ("short", "long")}
say(all(len(v) == rounds for v in runs.values()), "%d runs of each length" % rounds)
rules = {s.get("window_rule") for v in runs.values() for s in v}
say(rules == {"arrived-n/5"}, "every run reports its window by the one rule: %s" % sorted(map(str, rules)))
say(all(0 < s["window_tasks"] < s["tasks"] for v in runs.values() for s in v),
    "... a window, not the whole run, at 20 and at 50 tasks per slot")
a = [s["throughput"] for s in runs["short"]]
b = [s["throughput"] for s in runs["long"]]
iv = interval.paired(a, b)
med = sorted(x / y for x, y in zip(a, b))[len(a) // 2]
TOL = 0.05
say(iv is not None and iv[0] <= 1 / (1 - TOL) and iv[1] >= 1 - TOL,
    "threads io_sleep c=1,024: 20 vs 50 tasks per slot agree within 5%% by their 95%% interval: "
    "ratio %.3f (%.3f-%.3f), %.0f vs %.0f tasks/s (medians)" % (
        med, iv[0] if iv else 0, iv[1] if iv else 0, sorted(a)[len(a) // 2], sorted(b)[len(b) // 2]))
PY
[ $? = 0 ] || FAILS=$((FAILS + 1))

# The runs that have no window: the open loop, and a closed run of fewer
# than 5 tasks per slot, report their whole run and say so.
out=$("$BIN/async" io_sleep -c 64 -n 2000 --rate 20000 --json 2>/dev/null)
check "an open-loop run reports its whole run (window_rule whole)" \
	[ "$(json_field "$out" window_rule)" = whole ]
out=$("$BIN/threads" io_sleep -c 64 -n 256 --json 2>/dev/null)
check "a closed run of 4 tasks per slot reports its whole run" \
	[ "$(json_field "$out" window_rule)" = whole ] && [ "$(json_field "$out" window_tasks)" = 256 ]
for m in threads async green; do
	out=$("$BIN/$m" cpu_hash -c 64 -n 1280 --json 2>/dev/null)
	check "$m cpu_hash c=64 (threads time-slice: late slots): the window by the one rule ($(json_field "$out" window_rule), $(json_field "$out" window_tasks) of 1280)" \
		[ "$(json_field "$out" window_rule)" = arrived-n/5 ]
done
finish
