"""onecpu.py - the one-CPU section of `make bench`: a few points again, each
model confined to one CPU.

Two claims of the field are about one CPU, which the main sweep (every model
free on every CPU) does not show: Ousterhout (1996) says events beat threads
on a single CPU, and jimblandy/context-switch says async's switching advantage
goes away when the threads are pinned to one core.  After the closed-loop
points, this section measures a small set again with the runtime's `--pin
one`: the model process (all its threads and loops) on its first allowed CPU,
its own backend, when the pair has one, on the last (runner.c one_cpus); the
models' {cores} and {loops} flags get 1 (runner.model_cpus), so hybrid has one
worker and async-mt and green-mt one loop.

Points: the pairs of the run that declare the claim CLAIM, every model of the run,
at the levels of LEVELS that the run also measures for that pair (so each
point has its counterpart in the main results.csv, and CONCURRENCY= narrows
the section as it does the sweep); a pair with CPU work per task stops at
CPU_WORK_TOP.  A default run: 16 and 256 (cpu_hash and mixed: 16); a QUICK
one with ONECPU=1 (its CPU pairs at 1 and 64, io_sleep and io_backend at 1,
16, 64 and 256): io_sleep and io_backend at 16 and 256, no CPU pair.  Why
so few: the section must add no more
than about 40 s to a full run (docs/options.md, "One CPU", has what it took).  Each
point is measured as the main sweep's are (rounds.measure: the models in
rounds, their order rotated from point to point and round to round, as many
rounds as the main sweep's), with runs sized for TARGET_S: the section must
stay small.  The same columns, into RUN/onecpu/results.csv, the stats
lines into onecpu/stats/ and hyperfine's files into onecpu/hyperfine/.  A
failed point is a row with status=failed and its reason.  meta.json's
"onecpu" says what ran (or why not), with the placement, and seals the file
when the section is whole.
"""

import argparse
import os
import sys
import time

from . import common, eta, point, rounds, rundir

DIR = "onecpu"                   # RUN/onecpu/: results.csv, stats/, hyperfine/
CLAIM = "onecpu"                 # the pairs whose registry entry declares this claim
                                 # (workloads/NAME.c .claims): io_sleep, io_backend,
                                 # cpu_hash and mixed
LEVELS = [16, 256]               # those of them the run measures for the pair; not 1:
                                 # one task in flight uses one CPU however it is placed
CPU_WORK_TOP = 16                # a pair with CPU work per task (work > 0) stops here:
                                 # on one CPU at c = 256 its runs are 12,800 tasks (the
                                 # window's 20 per slot) of 50-200 us of CPU each, 0.3-1 s
                                 # a run, 7 models x 6 runs: over a minute
TARGET_S = 0.08                  # one run's length (the main sweep's is point.TARGET_S)
PIN = "one"                      # the runtime's placement (--pin one)
PLACEMENT = ("one: the model on its first allowed CPU ({cores} and {loops} = 1), "
             "its own backend on the last allowed CPU")


def add_option(ap):
    """--no-onecpu and --onecpu on the closed-loop sweep's parser."""
    ap.add_argument("--no-onecpu", action="store_true",
                    help="skip the one-CPU section (harness/sweep/onecpu.py) after the points")
    ap.add_argument("--onecpu", action="store_true",
                    help="run the one-CPU section in a QUICK sweep too (it is the full run's)")


def skipped(args):
    """Why the section does not run (--no-onecpu; a QUICK sweep without
    --onecpu: a QUICK sweep must stay under 45 s, and the section is 6-8 s
    of it), or None."""
    if args.no_onecpu:
        return "--no-onecpu"
    if args.quick and not getattr(args, "onecpu", False):
        return "a QUICK sweep (--onecpu, ONECPU=1: run it)"
    return None


def section_levels(pair, run_levels):
    """The section's levels for pair: LEVELS that the run measures too, up
    to CPU_WORK_TOP for a pair with CPU work per task."""
    return [c for c in run_levels if c in LEVELS and not (pair["work"] and c > CPU_WORK_TOP)]


def plan(args, pairs, levels, order):
    """[(pair, model, c)] of the section, in the main sweep's order (order:
    closed_loop.point_order): the pairs of the run that declare CLAIM, at
    their section_levels."""
    mine = [p for p in pairs if CLAIM in (p.get("claims") or "").split(",")]
    return order(mine, args.models, {p["name"]: section_levels(p, levels[p["name"]])
                                     for p in mine})


def steps(args, pairs, levels, order):
    """The section's steps for the ETA (eta.step), in the order they run."""
    return [eta.step("onecpu", p["name"], m["name"], c, eta.prior_s(p["kind"], c, True))
            for p, m, c in plan(args, pairs, levels, order)]


def progress(args, i, total, start, row, left_s):
    """The progress line of one point, tagged as the section's; left_s:
    the sweep's ETA."""
    elapsed = time.monotonic() - start
    if row["status"] == "ok":
        what = "%s tasks/s, p99 %s us" % (common.human(row["throughput"]),
                                         common.human(row["p99_us"]))
    else:
        what = common.colour("FAILED: %s" % row["reason"], "31")
    common.say("one-CPU [%2d/%d] %-10s %-8s c=%-4d %s  %s" % (
        i, total, row["workload"], row["model"], row["concurrency"], what,
        eta.tail(elapsed, left_s)), args.quiet)


def run(args, runner, pairs, levels, run_dir, meta, save, order, csv_order, groups,
        clock=None):
    """The section into run_dir/onecpu/, recorded in meta["onecpu"] (save()
    writes meta.json); order, csv_order and groups are the main sweep's
    (closed_loop.point_order, csv_order, point_groups), so the section runs
    and lists its points by the same rules.  Returns 130 after an interrupt (the
    closed-loop results stay whole; latest is not moved), else None."""
    if skipped(args):
        meta["onecpu"] = {"status": "skipped", "reason": skipped(args), "file": None}
        return None
    points = plan(args, pairs, levels, order)
    if not points:
        meta["onecpu"] = {"status": "skipped", "file": None,
                          "reason": "no pair of the run that declares the %s claim is "
                                    "measured at %s (up to %d with CPU work per task)" % (
                              CLAIM, ",".join(map(str, LEVELS)), CPU_WORK_TOP)}
        return None
    out_dir = os.path.join(run_dir, DIR)
    for sub in ("stats", "hyperfine"):
        os.makedirs(os.path.join(out_dir, sub), exist_ok=True)
    csv_path = os.path.join(out_dir, "results.csv")
    sargs = argparse.Namespace(**vars(args))
    sargs.pin = PIN
    sargs.target_s = point.QUICK_TARGET_S if args.quick else TARGET_S
    sec_pairs = [p for p in pairs if any(p is q for q, _, _ in points)]
    meta["onecpu"] = {
        "status": "running", "file": DIR + "/results.csv", "placement": PLACEMENT,
        "pin": PIN, "cpus": len(os.sched_getaffinity(0)), "target_s": sargs.target_s,
        "runs": args.runs, "rounds": "as the main sweep's (harness/sweep/rounds.py)",
        "workloads": [p["name"] for p in sec_pairs],
        "concurrency": {p["name"]: sorted({c for q, _, c in points if q is p})
                        for p in sec_pairs},
        "models": [m["name"] for m in args.models], "points": len(points)}
    save()
    common.say("bench: one-CPU section: %d points (%s), in %s" % (
        len(points), ", ".join(p["name"] for p in sec_pairs), common.rel(out_dir)), args.quiet)
    if clock is None:
        clock = eta.Eta(steps(args, pairs, levels, order), True)
    rows, start = [], time.monotonic()
    try:
        for pair, group, c in groups(points):
            for row in rounds.measure(sargs, runner, meta, out_dir, pair, group, c):
                rows.append(row)
                clock.record(("onecpu", pair["name"], row["model"], c), row["point_s"])
            point.write_csv(csv_path, csv_order(rows, sec_pairs, args.models))
            save()
            for k, row in enumerate(rows[-len(group):]):
                progress(args, len(rows) - len(group) + 1 + k, len(points), start, row,
                         clock.remaining())
    except common.Interrupted:
        rundir.remove_tmp(run_dir)
        rundir.remove_tmp(out_dir)
        meta["onecpu"]["status"] = "interrupted"
        save()
        print("bench: interrupted in the one-CPU section (%d of %d points in %s); closed-loop "
              "results complete; results/latest unchanged"
              % (len(rows), len(points), common.rel(out_dir)), file=sys.stderr)
        return 130
    meta["onecpu"].update(status="ok", elapsed_s=round(time.monotonic() - start, 1),
                          failed=sum(1 for r in rows if r["status"] != "ok"),
                          results_csv=rundir.results_seal(csv_path))
    save()
    return None
