"""rounds.py - one point (workload, c): every model's runs, in rounds.

A point's models are measured together.  Each model first runs its pilot
(the same command with fewer tasks: it sizes the runs and warms the point
up), then the point runs in rounds: round r runs every model once, their
order rotated by one from round to round, one hyperfine call per round
(each model a command of it, --runs 1).  A drift of the machine (load that
comes and goes over seconds) then falls on every model of a round alike:
run i of every model was made in round i, so a ratio of two models is taken
from the differences of the same rounds (interval.paired) and the drift
cancels.  (The sweep before ran a model's runs back to back, one model after
another: a 3% drift between two models' blocks dropped an interval's
coverage to 43-70%, and a ratio took both blocks' drift.)

How many rounds is fixed before the first counted run, from the pilots
(plan_rounds): ROUNDS, fewer (not under MIN_ROUNDS) where ROUNDS rounds
would take more than ROUND_BUDGET_S; RUNS= fixes it.  Never "more while the
interval is wide": a point that stops when its runs happen to agree reports
an interval that holds its true value less often than it says (91% for a
95% interval at a 3-5% spread; 48-70% for points that stopped at 3 runs).
tests/test_coverage.sh simulates these functions and checks the coverage.

Each run appends its own JSON stats line (--stats-out): those lines are the
figures, hyperfine the wall time of each whole run.  A model whose run
fails leaves the point with its reason; the others go on.  Every model's
row records its own seconds (pilot and runs: point_s), what the ETA learns.
"""

import json
import os
import time

from . import common, hgrm, point
from . import runner as R

ROUNDS = 5              # rounds of a point: every model this many counted runs
MIN_ROUNDS = 3          # ... never fewer (t(2) = 4.30 already: three runs 2% apart, +-5%)
ROUND_BUDGET_S = 12.0   # ... fewer where ROUNDS rounds would take longer than this (a
                        # c = 10,000 point: thousands of threads or connections set up
                        # per run); planned from the pilots, before any counted run
QUICK_ROUNDS = 3        # a QUICK sweep: a look, not a measurement
SETUP_FLOOR_S = 0.005   # a run's process start, hyperfine's spawn: at least this


def plan_rounds(requested, run_s, quick=False):
    """How many rounds a point runs, decided before its first counted run:
    requested (RUNS=) when given; QUICK_ROUNDS in a QUICK sweep; else
    ROUNDS, or as many as fit in ROUND_BUDGET_S at run_s (the planned
    seconds of one run of each model, from the pilots), at least MIN_ROUNDS.
    Nothing here may depend on a counted run: the interval's t rule holds
    only for a number of runs fixed in advance."""
    if requested:
        return requested
    if quick:
        return QUICK_ROUNDS
    round_s = sum(run_s)
    fit = int(ROUND_BUDGET_S / round_s) if round_s > 0 else ROUNDS
    return max(MIN_ROUNDS, min(ROUNDS, fit))


def plan_text(requested, quick=False):
    """plan_rounds' rule in words, for meta.json."""
    if requested:
        return "%d rounds per point (RUNS=%d)" % (requested, requested)
    if quick:
        return "%d rounds per point (QUICK)" % QUICK_ROUNDS
    return ("%d rounds per point, fewer (at least %d) where they would take over %g s, "
            "planned from the pilots before the first counted run" % (
                ROUNDS, MIN_ROUNDS, ROUND_BUDGET_S))


def round_order(items, r):
    """Round r's order of items: rotated by r (round 0: as given)."""
    k = r % len(items) if items else 0
    return items[k:] + items[:k]


class Member:
    """One model of a point: its row, how its runs are made, what they left."""

    def __init__(self, run_dir, pair, model, c):
        self.model = model
        self.tag = "%s-%s-c%d" % (pair["name"], model["name"], c)   # files, hyperfine's name
        self.row = {"workload": pair["name"], "model": model["name"], "concurrency": c,
                    "work": pair["work"], "delay_us": pair["delay_us"], "status": "ok",
                    "reason": ""}
        self.stats_file = os.path.join(run_dir, "stats", self.tag + ".jsonl")
        self.hist_file = hgrm.hist_file(run_dir, self.tag)
        self.argv = None        # the counted runs' command line
        self.run_s = 0.0        # planned seconds of one counted run
        self.spent_s = 0.0      # seconds spent on it: pilot and runs (the row's point_s)
        self.times = []         # hyperfine's wall time of each counted run
        self.log = []           # hyperfine's words about it
        self.lines = []         # its counted runs' stats lines

    def fail(self, reason):
        self.row.update(status="failed", reason=reason)

    @property
    def ok(self):
        return self.row["status"] == "ok"


def pilot(args, runner, meta, m, pair, c, known):
    """Size m's runs: its pilot (which warms the point up and gives the
    verify checksum), or at c >= PILOT_SKIP_MIN_C the ok row of the level
    below (known).  Sets m.argv, m.run_s; fails m if the pilot fails."""
    t0 = time.monotonic()
    setup_s = SETUP_FLOOR_S
    if known and c >= point.PILOT_SKIP_MIN_C:
        # Sized from the level below: a pilot here is one more set-up of
        # thousands of threads, connections or stacks (14 s for 100,000
        # coroutine stacks on this VM) to learn what the sweep knows.
        rate = known["throughput"]
        setup_s += (known.get("setup_s") or 0) * c / max(1, known["concurrency"])
    else:
        quick = getattr(args, "quick", False)
        n0 = max(point.QUICK_PILOT_MIN_TASKS if quick else point.PILOT_MIN_TASKS,
                 point.PILOT_TASKS_PER_SLOT * c)
        rc, stats, err = R.run_json(runner, meta, R.model_argv(
            m.model, pair, c, n0, pin=args.pin, backend=args.backend,
            slack=getattr(args, "timer_slack_ns", None)) + ["--json"])
        m.spent_s += time.monotonic() - t0
        if rc != 0 or not stats:
            m.row["tasks"] = n0
            m.fail(R.failure_reason(err, stats))
            return
        m.row["verify_tasks"], m.row["verify_checksum"] = n0, stats["checksum"]
        point.note_data_file(meta, pair["name"], stats)
        rate = stats["throughput"]
        setup_s += (stats.get("setup_s") or 0) + (stats.get("teardown_s") or 0)
    n = point.run_tasks(rate or 1.0, c, args.target_s, getattr(args, "quick", False))
    m.row["tasks"] = n
    m.run_s = setup_s + n / (rate or 1.0)
    m.argv = R.model_argv(m.model, pair, c, n, m.stats_file, args.pin, args.backend,
                          m.hist_file, getattr(args, "timer_slack_ns", None))


def split_log(text, tags):
    """{tag: its part of hyperfine's words}: the lines from its "Benchmark
    N: TAG" header to the next header (its stdout; its warnings on stderr
    go to every tag of the round); hyperfine's summary (how the round's
    commands compared: not a figure) left out."""
    parts, cur, common_ = {t: [] for t in tags}, "", []
    for line in text.splitlines(True):
        head = line.strip()
        if head.startswith("Benchmark ") and ":" in head:
            name = head.split(":", 1)[1].strip()
            cur = name if name in parts else ""
        elif head.startswith("Summary"):
            cur = None
        if cur is None:
            continue
        (parts[cur] if cur else common_).append(line)
    return {t: "".join(v + common_) for t, v in parts.items()}


def run_round(runner, meta, run_dir, members, r, tmp_tag):
    """Round r: every member still ok runs once, in round r's order, in one
    hyperfine call.  A member whose run failed or left no stats line fails
    with its reason; the others keep their runs."""
    live = round_order([m for m in members if m.ok], r)
    if not live:
        return
    export = os.path.join(run_dir, "hyperfine", tmp_tag + ".round.json.tmp")
    rc, out, err, got = R.hyperfine_round(runner, meta, [(m.tag, m.argv) for m in live], export)
    logs = split_log(out, [m.tag for m in live])
    for m in live:
        code, wall = got[m.tag]
        m.log.append(logs[m.tag] + err)
        lines = R.read_stats(m.stats_file)
        if wall is not None:
            m.times.append(wall)
            m.spent_s += wall
        if code != 0 or len(lines) != len(m.lines) + 1:
            bad = next((s for s in reversed(lines) if s.get("status") != "ok"), None)
            if bad and bad.get("reason"):
                m.fail(bad["reason"])
            elif code is None:
                m.fail(R.failure_reason(err, None) if rc != 0 else
                       "a counted run left no trace in hyperfine's export")
            elif code != 0:
                m.fail("a counted run exited %d with no stats line" % code)
            else:
                m.fail("%d stats lines for %d runs (a result was lost)"
                       % (len(lines), len(m.lines) + 1))
            continue
        m.lines = lines


def finish(run_dir, m):
    """m's row from its counted runs, its hyperfine export and log, its
    .hgrm: after the last round."""
    text = "".join(m.log)
    common.write_atomic(os.path.join(run_dir, "hyperfine", m.tag + ".log"), text)
    if not m.ok:
        return
    hf = point.merge_hf([{"command": m.tag, "times": m.times}]) if len(m.times) == len(
        m.lines) else None
    if hf:
        common.write_atomic(os.path.join(run_dir, "hyperfine", m.tag + ".json"),
                            json.dumps({"results": [hf]}, indent=1) + "\n")
    # hyperfine judges outliers per command, and one run never has any: judged
    # over all of the point's runs by its rule.
    n_out = point.outlier_runs(hf["times"]) if hf else 0
    m.row.update(point.merge_point(m.lines, hf, n_out > 0))
    m.row.update(point.run_settings(m.lines))   # stack, timer slack, pool size per run
    if m.row.get("status") == "ok":
        hgrm.write_point(run_dir, m.tag, m.lines, m.hist_file)


def measure(args, runner, meta, run_dir, pair, models, c, known=None):
    """Measure the point (pair, c) on models (in the order of its first
    round): their pilots, then the rounds.  known: {model name: its ok row
    at the level below} (sizes the runs at c >= PILOT_SKIP_MIN_C).  Returns
    one results.csv row per model, in the order given, each with point_s:
    the seconds its pilot and runs took."""
    members = [Member(run_dir, pair, m, c) for m in models]
    for m in members:
        if os.path.exists(m.stats_file):
            os.unlink(m.stats_file)
        pilot(args, runner, meta, m, pair, c, (known or {}).get(m.model["name"]))
    live = [m for m in members if m.ok]
    rounds = plan_rounds(getattr(args, "runs", None), [m.run_s for m in live],
                         getattr(args, "quick", False))
    for r in range(rounds):
        run_round(runner, meta, run_dir, members, r, members[0].tag)
    for m in members:
        finish(run_dir, m)
        m.row["point_s"] = round(m.spent_s, 3)
        if m.ok:
            m.row["rounds"] = rounds
    return [m.row for m in members]


def run_point(args, runner, meta, run_dir, pair, model, c, known=None):
    """One model's point alone (a point of one member: its pilot, then its
    rounds); known: its ok row at the level below.  The open-loop sweep's
    closed steps."""
    return measure(args, runner, meta, run_dir, pair, [model], c,
                   {model["name"]: known} if known else None)[0]
