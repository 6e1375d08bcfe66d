"""closed_loop.py - `make bench`: every registered pair, every model, every level.

Each point (workload, c) is measured by rounds.measure(): its models' pilots,
then rounds, every model once per round, so drift on a shared machine falls
on every model of a round alike and a ratio comes from paired runs; the
models' order rotates by one from point to point (point_order) and from
round to round.  Each (workload, model, c) is one row of results.csv, which
keeps its workload, model, concurrency order.  A run that fails (exit 3: a
resource ran out) becomes a row with status=failed and its reason, and the
sweep goes on.

Integrity: results.csv and every other file are written to a temporary name
and renamed, after every point, so a crash loses at most the point in hand;
meta.json says complete=false until the end; results/latest moves only to a
complete run, and results/latest-full only to a complete run that WORKLOADS=,
MODELS= or CONCURRENCY= did not narrow (rundir.point_latests).  Ctrl-C or SIGTERM kills the point in hand (its process group,
backend included) and says where the partial data is.

Nothing here names a workload or a model: the pairs come from `bin/threads
--list -v` (workloads/workloads.def), the models from harness/models.def.
Before the first point, calibration.py measures the machine's floor; after the
last, the open-loop sweep (open_loop.py) runs into rate/ of the same folder,
then the report (scripts/report/report.py).
"""

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import time

from . import calibration, common, eta, fingerprint, models, onecpu, open_loop, point, provenance
from . import registry, rounds, rundir, serve, serve_proc
from . import topology
from . import runner as R

LEVELS = {  # default concurrency levels by workload kind
    "cpu": [1, 2, 4, 16, 64, 256, 1024],
    "io": [1, 16, 64, 256, 1024, 4096, 10000, 100000],
}
# No c=4 for the I/O pairs: between 1 and 16 every model scales alike (its
# waits overlap); each I/O pair's c=4 was 5-7 s of the full sweep.
# 100,000: over what the system lets one process have in threads (32,765
# here: threads refuse it at once, naming the limit) and where coroutines and
# event loops go on; a pair's max_c (--list -v) stops it lower.  There was a
# 30,000 level: threads made and tore down 30,000 threads per run there, 42 s
# of a 14-minute sweep, a sixth of all io_sleep's time.
# A QUICK sweep: the fewest levels at which every verdict it reports is decided
# or NOT SHOWN with its reason, within 45 s.  CPU pairs: c=1 (the speed-ups'
# base; "threads give minimal latency" is judged at the highest level up to
# the cores) and c=64 (many in flight; memory per task needs c >= 64).  A c=2
# there (a task per core) cost 1 s QUICK has not.  I/O pairs: c=1
# and c=256, and the pairs that declare the I/O claim (io in --list -v's
# claims) and whose task waits (delay_us > 0) also 16 and 64: where threads
# stop scaling on I/O, and where async overtakes them, need the levels
# between.  A task that does not wait (redis_get: a GET, CPU-bound from c=1)
# has no linear scaling to stop, and its levels cost the most (7 s).
QUICK_LEVELS = {"cpu": [1, 64], "io": [1, 256]}
QUICK_IO_CLAIM_LEVELS = [16, 64]
QUICK_FILE_MIB = 256    # a QUICK sweep's data file (file_read): 1 GiB's warm-up or making
                        # cost seconds of QUICK's 45 on a fresh machine
QUICK_WORK_TOP = 64     # ... but an I/O pair with CPU work per task (mixed) stops here in
                        # a QUICK sweep: CPU-bound from c ~ 16, its runs at 256 are five
                        # latencies of 30-50 ms per slot, a sixth of QUICK's time
REPORT = os.path.join(common.ROOT, "scripts", "report", "report.py")  # the report's entry


class ArgParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line (UsageError), not usage + error."""

    def error(self, message):
        raise common.UsageError(message)


def parse_args(argv):
    ap = ArgParser(prog="make bench", description=__doc__.split("\n")[0])
    ap.add_argument("--concurrency", help="comma-separated levels, e.g. 1,8,64")
    ap.add_argument("--workloads", help="comma-separated workload names")
    ap.add_argument("--runs", help="rounds per point, every model one counted run per round "
                    "(3..100; default %d, fewer where they would take over %.0f s, at least %d; "
                    "QUICK %d)" % (rounds.ROUNDS, rounds.ROUND_BUDGET_S, rounds.MIN_ROUNDS,
                                   rounds.QUICK_ROUNDS))
    ap.add_argument("--results", default=os.path.join(common.ROOT, "results"),
                    help="results folder")
    ap.add_argument("--no-rate", action="store_true",
                    help="skip the open-loop sweep (harness/sweep/open_loop.py) at the end")
    ap.add_argument("--rate", action="store_true",
                    help="run the open-loop sweep in a QUICK sweep too (it is the full run's)")
    onecpu.add_option(ap)
    serve.add_options(ap)
    common.add_shared_options(ap)
    return ap.parse_args(argv)


def setup(argv):
    """Validate everything before anything runs; UsageError on bad input."""
    args = parse_args(argv)
    args.models_given = args.models   # MODELS= as given, before pick() replaces it
    if not args.results:
        raise common.UsageError("OUT: empty results folder name")
    common.run_timeout_s()      # a bad TVSA_RUN_TIMEOUT_S is refused here, before anything
    for name in ("latest", rundir.LATEST_FULL):  # a real folder or file: found now, not
        rundir.latest_free(args.results, name)   # after the whole sweep
    R.need_tools()
    args.runs = common.whole(args.runs, "RUNS", 3, 100) if args.runs is not None else None
    args.pin = common.parse_pin(args.pin)
    args.timer_slack_ns = common.parse_timer_slack(args.timer_slack_ns)
    levels_cli = common.parse_list(args.concurrency, "CONCURRENCY", common.parse_level)
    all_pairs, all_models = registry.pairs(), models.load()
    pairs = common.pick(args.workloads, all_pairs, "WORKLOADS")
    if args.quick:
        pairs = [quick_pair(p) for p in pairs]
    registered = all_models
    if args.quick and args.models is None:     # QUICK: the models a verdict compares
        skip = models.quick_skip()
        registered = [m for m in registered if m["name"] not in skip]
    args.models = common.pick(args.models, registered, "MODELS")
    args.narrowed = rundir.narrowing({"WORKLOADS": args.workloads, "MODELS": args.models_given,
                                      "CONCURRENCY": args.concurrency},
                                     pairs, all_pairs, args.models, registered)
    args.backend, args.backend_ip = topology.check(args.backend)   # BACKEND=: probed now
    args.load_host_parsed = serve_proc.parse_load_host(args.load_host)
    # A pair's own top level (--list -v's max_c: file_read stops at 1,024)
    # caps its kind's levels; CONCURRENCY= given by hand is taken as it is.
    def top(p, c):
        return min(c, QUICK_WORK_TOP) if args.quick and p["work"] and p["kind"] == "io" else c
    levels = {}
    for p in pairs:
        cs = [c for c in kind_levels(p, args.quick) if not p.get("max_c") or c <= p["max_c"]]
        out = [c for c in cs if over_nofile(p, c)]
        levels[p["name"]] = levels_cli or sorted({top(p, c) for c in cs if c not in out})
        if out and not levels_cli:
            common.say("bench: %s leaves out c=%s: a socket per task needs more descriptors "
                       "than the hard RLIMIT_NOFILE, %d (every model but pool would refuse it)"
                       % (p["name"], ",".join(map(str, out)), nofile_limit()), args.quiet)
    # Inside a QUICK sweep the serve section runs its lean form (serve.py;
    # --no-serve skips it) and the open-loop sweep runs only when asked (--rate).
    args.serve_lean = args.quick
    args.serve_in_bench = True      # make bench's serve section: serve.BENCH_LEVELS
    args.target_s = point.QUICK_TARGET_S if args.quick else point.TARGET_S
    args.rounds_plan = rounds.plan_text(args.runs, args.quick)
    return args, pairs, levels


def quick_pair(pair):
    """pair as a QUICK sweep runs it: a data-file pair reads a file of
    QUICK_FILE_MIB, not its default, so the first run's warm-up (reading
    the whole file into the page cache, or making it) is a quarter as long;
    still many times the CPU caches.  Other pairs as they are."""
    if pair.get("cache") is None:
        return pair
    return dict(pair, argv=list(pair.get("argv") or []) + ["--file-mib", str(QUICK_FILE_MIB)])


def kind_levels(pair, quick):
    """The levels of a pair's kind (LEVELS, QUICK_LEVELS); in a QUICK sweep
    a pair that declares the I/O claim and waits gets QUICK_IO_CLAIM_LEVELS
    too."""
    if not quick:
        return LEVELS[pair["kind"]]
    claims = pair.get("claims") or ""
    claims = claims if isinstance(claims, (list, tuple)) else str(claims).split(",")
    waits = pair["kind"] == "io" and "io" in claims and (pair.get("delay_us") or 0) > 0
    extra = QUICK_IO_CLAIM_LEVELS if waits else []
    return QUICK_LEVELS[pair["kind"]] + extra


def point_order(pairs, model_list, levels):
    """The sweep's points [(pair, model, c)] in the order they run: for each
    workload and level, every model back to back, the models' order rotated
    by one from one (workload, c) to the next.  Why: on a shared machine the
    load drifts over minutes; run model by model, the drift would fall on
    whichever model ran then, and look like a difference between models."""
    out, k = [], 0
    for pair in pairs:
        for c in levels[pair["name"]]:
            out += [(pair, model_list[(k + j) % len(model_list)], c)
                    for j in range(len(model_list))]
            k += 1
    return out


def point_groups(points):
    """point_order's points as the sweep measures them: [(pair, [models], c)],
    one per (workload, c), its models in the order of its first round."""
    out = []
    for pair, model, c in points:
        if out and out[-1][0] is pair and out[-1][2] == c:
            out[-1][1].append(model)
        else:
            out.append((pair, [model], c))
    return out


def csv_order(rows, pairs, model_list):
    """rows sorted as results.csv has always listed them (workload, model,
    concurrency), whatever order the points ran in."""
    wi = {p["name"]: i for i, p in enumerate(pairs)}
    mi = {m["name"]: i for i, m in enumerate(model_list)}
    return sorted(rows, key=lambda r: (wi.get(r["workload"], len(wi)),
                                       mi.get(r["model"], len(mi)), r["concurrency"]))


def not_run(pair, model, c, failed_c, reason):
    """The row of a point above one where the model failed (not by a
    time-out, which a busy machine can cause): a model that ran out of
    threads, descriptors or memory at failed_c runs out above it too, and
    trying costs minutes (32,000 threads made and torn down)."""
    return {"workload": pair["name"], "model": model["name"], "concurrency": c,
            "work": pair["work"], "delay_us": pair["delay_us"], "status": "failed",
            "reason": "not run: failed at c=%d (%s)" % (failed_c, reason)}


def progress(args, i, total, start, pair, model, c, row, left_s):
    """The progress line of one (workload, model, c); left_s: the ETA's
    seconds left."""
    elapsed = time.monotonic() - start
    if row["status"] == "ok":
        what = "%s tasks/s, p99 %s us%s" % (
            common.human(row["throughput"]), common.human(row["p99_us"]),
            common.colour(" (noisy: %s)" % point.noisy_why(row), "33") if row["noisy"] else "")
    else:
        what = common.colour("FAILED: %s" % row["reason"], "31")
    common.say("[%3d/%d] %-10s %-8s c=%-6d %s  %s" % (
        i, total, pair["name"], model["name"], c, what, eta.tail(elapsed, left_s)), args.quiet)


def over_nofile(pair, c):
    """A socket per task at c would pass the descriptor limit: a pair with a
    peer, every model but pool refusing it at once.  The default levels leave
    such a c out (io_backend's 100,000 here: pool alone ran it, a queue of
    99,800 tasks, 17 s of the sweep); CONCURRENCY= given by hand keeps it."""
    return pair["peer"] != "none" and c + NOFILE_RESERVE > nofile_limit()


def eta_kind(pair, c):
    """The ETA prior's shape for a pair at c (eta.PRIOR_S); "fail" where the
    run will refuse at once: a socket per task over the descriptor limit."""
    if over_nofile(pair, c):
        return "fail"
    return pair["kind"] + ("+peer" if pair["kind"] == "io" and pair["peer"] != "none" else "")


NOFILE_RESERVE = 32     # as harness/runtime/runner.c: descriptors besides the sockets


def nofile_limit():
    """The descriptor limit a model run will have: the hard RLIMIT_NOFILE
    (the runtime raises its soft limit to it)."""
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return hard if hard != resource.RLIM_INFINITY else 1 << 30


def rate_skipped(args):
    """Why the open-loop sweep does not run, or None: --no-rate, or a QUICK
    sweep without --rate.  Why not in QUICK: at its two loads (50% and
    120% of each model's capacity) every model's tail "breaks" at 120%, so
    the open-loop claim came down to the models' capacities, and on a busy
    machine its figure misled (p50 of 0.1-1 s at 50% load); its 18 points
    cost 5-7 s of QUICK's 45."""
    if args.no_rate:
        return "--no-rate (RATE=0)"
    if args.quick and not args.rate:
        return "a QUICK sweep (--rate, RATE=1: run it)"
    return None


def open_loop_args(args, pairs, run_dir):
    """The open-loop sweep's arguments for this run (rate/ of run_dir, on
    its default workloads that this run measures), or None: skipped
    (rate_skipped, no such workload) or refused (said on stderr)."""
    if rate_skipped(args):
        return None
    rate_wls = [w for w in open_loop.DEFAULT_WORKLOADS if w in {p["name"] for p in pairs}]
    if not rate_wls:
        return None
    rate_argv = ["--into", run_dir, "--workloads", ",".join(rate_wls), "--models",
                 ",".join(m["name"] for m in args.models)]
    rate_argv += ["--quick"] if args.quick else []
    rate_argv += ["--pin", args.pin] if args.pin else []
    rate_argv += ["--backend", args.backend] if args.backend else []
    rate_argv += (["--timer-slack-ns", str(args.timer_slack_ns)]
                  if args.timer_slack_ns is not None else [])
    rate_argv += ["--quiet"] if args.quiet else []
    try:
        return open_loop.setup(rate_argv)
    except common.UsageError as e:
        print("bench: open-loop sweep skipped: %s" % e, file=sys.stderr)
        return None


def run_open_loop(rargs, runner, run_dir, meta, save, rows, clock):
    """The open-loop sweep into rate/ of this run, its capacities from the
    closed-loop rows.  Returns an exit status for an interrupt, else None."""
    try:
        open_loop.run_rate(rargs, runner, run_dir, meta, closed_rows=rows, clock=clock)
    except common.Interrupted:
        save()
        print("bench: interrupted in the open-loop sweep; closed-loop results complete "
              "in %s; results/latest unchanged" % common.rel(run_dir), file=sys.stderr)
        return 130
    save()
    return None


def plan_steps(args, pairs, levels, points, rargs):
    """Every step of this `make bench` for the ETA, in order: the points,
    the one-CPU section, the open-loop sweep (its capacities taken from the
    points), the report."""
    steps = [eta.step("closed", p["name"], m["name"], c, eta.prior_s(eta_kind(p, c), c, args.quick))
             for p, m, c in points]
    if not onecpu.skipped(args):
        steps += onecpu.steps(args, pairs, levels, point_order)
    if rargs:
        have = {(p["name"], m["name"]) for p, m, c in points if c <= rargs.slots}
        steps += open_loop.steps(rargs, have)
    if not serve.skipped(args, pairs):
        steps += serve.steps(args, pairs)
    if not args.no_report:
        steps.append(eta.report_step(len(pairs)))
    return steps


def main(argv):
    try:
        args, pairs, levels = setup(argv)
    except (common.UsageError, models.ModelsDefError) as e:
        print("make bench: %s" % e, file=sys.stderr)
        return 2
    except (OSError, subprocess.CalledProcessError) as e:
        print("make bench: cannot read the registry from bin/threads: %s" % e, file=sys.stderr)
        return 2

    args.run_id = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        os.makedirs(args.results, exist_ok=True)
        if not os.access(args.results, os.W_OK | os.X_OK):
            raise PermissionError(13, "not writable")
    except OSError as e:
        print("make bench: OUT: cannot use '%s' as the results folder: %s"
              % (args.results, e.strerror or e), file=sys.stderr)
        return 2
    run_dir = rundir.make_run_dir(args.results, args.run_id)
    common.CURRENT["run_dir"] = run_dir
    args.run_id = os.path.basename(run_dir)
    for sub in ("stats", "hyperfine"):
        os.makedirs(os.path.join(run_dir, sub), exist_ok=True)

    meta = provenance.provenance(args, pairs, levels, argv, point.WARMUP)
    meta["narrowed"] = args.narrowed   # {} or what WORKLOADS=, MODELS=, CONCURRENCY= left out
    meta_path = os.path.join(run_dir, "meta.json")

    def save():
        common.write_atomic(meta_path, json.dumps(meta, indent=2) + "\n")
    save()

    runner = R.Runner()
    topology.say_start(args.backend, pairs, args.quiet)

    R.stop_on_signals(runner)

    try:
        calibration.calibrate(args, runner, meta, run_dir)
    except common.Interrupted:
        rundir.remove_tmp(run_dir)
        print("bench: interrupted during calibration; no points measured in %s; "
              "results/latest unchanged" % common.rel(run_dir), file=sys.stderr)
        return 130
    save()

    points = point_order(pairs, args.models, levels)
    rargs = open_loop_args(args, pairs, run_dir)
    if rate_skipped(args):
        meta["rate"] = {"status": "skipped", "reason": rate_skipped(args), "file": None}
    rows = []
    csv_path = os.path.join(run_dir, "results.csv")
    start = time.monotonic()
    common.say("bench: %d points (%s), results in %s" % (
        len(points), ", ".join(p["name"] for p in pairs), common.rel(run_dir)), args.quiet)
    try:
        failed_at = {}  # (workload, model) -> (c, reason) of its first failed point
        known = {}      # (workload, model) -> its last ok row (sizes the next level)
        clock = eta.Eta(plan_steps(args, pairs, levels, points, rargs), args.quick,
                        eta.previous_times(args.results, run_dir, args.quick))
        for pair, group, c in point_groups(points):
            run = [m for m in group if (pair["name"], m["name"]) not in failed_at]
            got = {}
            if run:
                for row in rounds.measure(args, runner, meta, run_dir, pair, run, c,
                                          {m["name"]: known.get((pair["name"], m["name"]))
                                           for m in run}):
                    got[row["model"]] = row
            for model in group:
                key = (pair["name"], model["name"])
                step = ("closed", pair["name"], model["name"], c)
                if key in failed_at:
                    row = not_run(pair, model, c, *failed_at[key])
                    clock.record(step, 0.0, ran=False)
                else:
                    row = got[model["name"]]
                    if row["status"] == "ok":
                        known[key] = row
                    gives_up = row["status"] != "ok" and "timed out" not in row["reason"]
                    clock.record(step, row["point_s"], failed=gives_up)
                    if gives_up:
                        failed_at[key] = (c, row["reason"])  # a time-out may be the machine's
                rows.append(row)
            point.write_csv(csv_path, csv_order(rows, pairs, args.models))
            fingerprint.note_load(meta["host"])
            save()
            for model in group:
                row = next(r for r in reversed(rows) if r["model"] == model["name"])
                progress(args, len(rows) - len(group) + 1 + group.index(model), len(points),
                         start, pair, model, c, row, clock.remaining())
    except common.Interrupted:
        rundir.remove_tmp(run_dir)
        print("bench: interrupted; partial results (%d of %d points) in %s; "
              "results/latest unchanged" % (len(rows), len(points), common.rel(run_dir)),
              file=sys.stderr)
        return 130

    try:
        calibration.recalibrate(args, runner, meta, run_dir)
        save()
    except common.Interrupted:
        rundir.remove_tmp(run_dir)
        print("bench: interrupted; the closed-loop points are complete in %s; results/latest "
              "unchanged" % common.rel(run_dir), file=sys.stderr)
        return 130
    rc = onecpu.run(args, runner, pairs, levels, run_dir, meta, save, point_order, csv_order,
                    point_groups, clock)
    if rc is not None:
        return rc
    if rargs:
        rc = run_open_loop(rargs, runner, run_dir, meta, save, rows, clock)
        if rc is not None:
            return rc
    rc = serve.run(args, runner, pairs, run_dir, meta, save, clock)
    if rc is not None:
        return rc

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Every point is measured: the data is complete, whatever the report does.
    provenance.mark_complete(meta)
    meta["results_csv"] = rundir.results_seal(csv_path)
    meta["elapsed_s"] = round(time.monotonic() - start, 1)
    save()
    if not args.no_report:
        t0 = time.monotonic()
        rc = subprocess.run([sys.executable, REPORT, run_dir]).returncode
        meta["report_s"] = round(time.monotonic() - t0, 3)   # the next run's ETA reads it
        save()
        if rc != 0:
            print("bench: report failed; results are in %s" % common.rel(run_dir),
                  file=sys.stderr)
            return 3
    latest = rundir.point_latests(args.results, run_dir, args.narrowed)
    failed = sum(1 for r in rows if r["status"] != "ok")
    print("bench: %d points in %s (%d failed); %s%s" % (
        len(rows), common.duration(time.monotonic() - start), failed,
        "results: %s" % common.rel(os.path.join(latest, "results.csv")) if args.no_report
        else "report: %s (as a web page: %s)" % (common.rel(os.path.join(latest, "report.md")),
                                                  common.rel(os.path.join(latest, "index.html"))),
        narrowed_note(args)), file=sys.stderr)
    return 0


def narrowed_note(args):
    """The closing line's word on a narrowed run: where the last full one is."""
    if not args.narrowed:
        return ""
    full = os.path.join(args.results, rundir.LATEST_FULL)
    return "; a narrowed run (%s): %s" % (
        rundir.narrowed_text(args.narrowed),
        "%s still points at the last full run" % common.rel(full) if os.path.lexists(full)
        else "no full run in %s yet" % common.rel(args.results))


def guarded_main(argv):
    """main(), stopped by our parent's death; a failed write (a full disk) is
    one line and exit 3 (rundir.guarded)."""
    return rundir.guarded("bench", main, argv)
