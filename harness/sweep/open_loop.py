"""open_loop.py - `make bench-rate`: latency against offered load (open loop).

A closed loop (the main sweep) lets a stalled model slow its own clients
down: while the loop is busy nobody sends, so the stall never shows up as
waiting.  Here tasks arrive on a fixed schedule (`--rate R`), as users of a
service do, and latency runs from each task's scheduled arrival (wrk2's
cure for coordinated omission).

For each workload and model:
  1. closed loop at levels 1, 2, 4, ... up to C: the model's capacity is the
     best throughput it reached (its latency there is what a closed-loop
     benchmark would report).  Inside `make bench` the closed-loop sweep has
     just measured the workload at its own levels; its points at c <= C are
     taken (copied into rate.csv) instead of being measured again;
  2. open loop with C slots at LOADS percent of that capacity (10% .. 120%),
     each for about DURATION_S, repeated RUNS times by hyperfine.
The models take turns: at each closed-loop level, then at each load, every
model runs back to back, their order rotated by one from one step to the
next, so the drift of a shared machine falls on all of them alike.  Rows go
to rate.csv (mode closed or open, in workload, model order) after every
point; the figures and rate.md are drawn by the report (scripts/report/rate.py).

Standalone it makes a run folder of its own (results/rate-<id>/rate/,
meta.json, results/latest-rate); `make bench` runs it into the main run's
folder (--into RUN_DIR), so one report holds both.
"""

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import time

from . import calibration, common, eta, fingerprint, hgrm, models, point, provenance, registry
from . import rounds, rundir, topology
from . import runner as R

DEFAULT_WORKLOADS = ["mixed"]      # compute and wait: where a loop's stall shows
SLOTS = 64                         # C: open-loop slots, and the top closed-loop level
QUICK_SLOTS = 16                   # ... in a QUICK bench-rate
QUICK_INTO_SLOTS = 64              # ... in a QUICK make bench (RATE=1), whose mixed levels
                                   # are 1 and 64
LOADS = [10, 50, 80, 100, 120]   # percent of capacity
QUICK_LOADS = [50, 120]
DURATION_S = 0.3                   # one open-loop run, at the offered rate (0.5 made the
                                   # section 75 s of a full make bench; 3 runs of >= 200
                                   # tasks each still give a p99 of its own per run)
QUICK_DURATION_S = 0.1
MIN_OPEN_TASKS = 200               # ... but at least this many tasks
RATE_RUNS = 3                      # counted runs per open-loop point
QUICK_RATE_RUNS = 2
RATE_CSV = "rate.csv"
RATE_DIR = "rate"
REPORT = os.path.join(common.ROOT, "scripts", "report", "report.py")  # the report's entry
COLUMNS = ["workload", "model", "mode", "concurrency", "load_pct", "offered", "status",
           "reason", "tasks", "runs", "throughput", "p50_us", "p90_us", "p99_us", "p999_us",
           "max_us", "mean_us", "p99_us_min", "p99_us_max", "run_checksum", "errors", "point_s"]


def closed_levels(slots):
    """1, 2, 4, ... below slots, then slots itself."""
    out, c = [], 1
    while c < slots:
        out.append(c)
        c *= 2
    return out + [slots]


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="make bench-rate", description=__doc__.split("\n")[0])
    ap.add_argument("--workloads", help="comma-separated workload names (default: mixed)")
    ap.add_argument("--slots", help="open-loop slots C, the top closed-loop level (default %d)"
                    % SLOTS)
    ap.add_argument("--loads", help="comma-separated percentages of capacity, 1..1000")
    ap.add_argument("--runs", help="counted runs per point (default %d; QUICK %d)"
                    % (RATE_RUNS, QUICK_RATE_RUNS))
    ap.add_argument("--results", default=os.path.join(common.ROOT, "results"),
                    help="results folder (standalone)")
    ap.add_argument("--into", help="an existing run folder to add rate/ to (make bench)")
    common.add_shared_options(ap)
    return ap.parse_args(argv)


def setup(argv):
    """Validate everything before anything runs; UsageError on bad input."""
    args = parse_args(argv)
    common.run_timeout_s()      # a bad TVSA_RUN_TIMEOUT_S is refused here, before anything
    if not args.into:           # OUT/latest-rate a real folder or file: found now
        rundir.latest_free(args.results, "latest-rate")
    R.need_tools()
    args.runs = common.whole(args.runs, "RUNS", 2, 100) if args.runs is not None else (
        QUICK_RATE_RUNS if args.quick else RATE_RUNS)
    args.slots = common.whole(args.slots, "SLOTS", 1, 100000) if args.slots is not None else (
        (QUICK_INTO_SLOTS if args.into else QUICK_SLOTS) if args.quick else SLOTS)
    args.pin = common.parse_pin(args.pin)
    args.timer_slack_ns = common.parse_timer_slack(args.timer_slack_ns)
    args.loads = common.parse_list(args.loads, "LOADS",
                                   lambda s: common.whole(s, "LOADS", 1, 1000)) or (
        QUICK_LOADS if args.quick else LOADS)
    pairs = registry.pairs()
    known = [p["name"] for p in pairs]
    default = ",".join([w for w in DEFAULT_WORKLOADS if w in known] or known[:1])
    args.pairs = common.pick(args.workloads or default, pairs, "WORKLOADS")
    args.models = common.pick(args.models, models.load(), "MODELS")
    args.backend, args.backend_ip = topology.check(args.backend)   # BACKEND=: probed now
    if args.into and not os.path.isfile(os.path.join(args.into, "meta.json")):
        raise common.UsageError("--into %s: not a run folder (no meta.json)" % args.into)
    args.target_s = point.QUICK_TARGET_S if args.quick else point.TARGET_S
    args.duration_s = QUICK_DURATION_S if args.quick else DURATION_S
    return args


def write_rows(path, rows):
    common.write_csv(path, COLUMNS, rows)


def open_point(args, runner, meta, rate_dir, pair, model, c, load, capacity):
    """One open-loop point: RUNS runs at load% of capacity under hyperfine."""
    name = pair["name"]
    offered = max(1, int(round(capacity * load / 100.0)))
    n = max(MIN_OPEN_TASKS, c, int(offered * args.duration_s))
    row = {"workload": name, "model": model["name"], "mode": "open", "concurrency": c,
           "load_pct": load, "offered": offered, "status": "ok", "reason": "", "tasks": n}
    tag = "%s-%s-open%d" % (name, model["name"], load)
    stats_file = os.path.join(rate_dir, "stats", tag + ".jsonl")
    if os.path.exists(stats_file):
        os.unlink(stats_file)
    hist_file = hgrm.hist_file(rate_dir, tag)
    argv = R.model_argv(model, pair, c, n, stats_file, args.pin, args.backend,
                        hist_file, args.timer_slack_ns) + ["--rate", str(offered)]
    # No warm-up: the closed-loop points just ran the same binary.
    rc, out, err, lines = R.hyperfine_runs(runner, meta, tag, argv, stats_file, args.runs, 0)
    common.write_atomic(os.path.join(rate_dir, "hyperfine", tag + ".log"), out + err)
    if rc != 0 or len(lines) < args.runs:
        bad = next((s for s in reversed(lines) if s.get("status") != "ok"), None)
        row.update(status="failed", reason=R.failure_reason(err, bad) if rc != 0 else
                   "only %d stats lines for %d runs" % (len(lines), args.runs))
        return row
    counted = lines[-args.runs:]

    def med(k):
        return common.median([float(s[k]) for s in counted])
    row.update(runs=len(counted), throughput=med("throughput"), p50_us=med("p50_us"),
               p90_us=med("p90_us"), p99_us=med("p99_us"), p999_us=med("p999_us"),
               max_us=med("max_us"), mean_us=med("mean_us"),
               p99_us_min=min(float(s["p99_us"]) for s in counted),
               p99_us_max=max(float(s["p99_us"]) for s in counted),
               errors=sum(int(s["errors"]) for s in counted))
    sums = {s["checksum"] for s in counted}  # the counted runs: equal tasks, one checksum
    row["run_checksum"] = sums.pop() if len(sums) == 1 else "mismatch"
    hgrm.write_point(rate_dir, tag, counted, hist_file)
    return row


def rate_order(pairs, model_list, levels, loads, have=None):
    """The rate sweep's steps in the order they run, per workload: first
    ("closed", c, model) for every closed-loop level, then ("open", load,
    model) for every load; at each level or load every model back to back,
    their order rotated by one from one step to the next (drift falls on all
    models alike).  Every closed step of a workload precedes its open ones:
    an open point needs its model's capacity.  have: the (workload, model)
    whose closed points the closed-loop sweep measured; theirs are not run."""
    have = have or set()
    out, k = [], 0
    for pair in pairs:
        for mode, xs in (("closed", levels), ("open", loads)):
            for x in xs:
                out += [(pair, mode, x, m) for m in
                         (model_list[(k + j) % len(model_list)] for j in range(len(model_list)))
                         if mode == "open" or (pair["name"], m["name"]) not in have]
                k += 1
    return out


def rows_order(rows, pairs, model_list):
    """rate.csv's rows in workload, model order, closed before open, as they
    were written when the sweep ran model by model."""
    wi = {p["name"]: i for i, p in enumerate(pairs)}
    mi = {m["name"]: i for i, m in enumerate(model_list)}
    return sorted(rows, key=lambda r: (wi.get(r["workload"], len(wi)), mi.get(r["model"], len(mi)),
                                       r["mode"] != "closed",
                                       r["concurrency"] if r["mode"] == "closed" else r["load_pct"]))


def taken_rows(args, closed_rows):
    """The closed-loop sweep's ok rows of the rate workloads at c <= slots,
    as rate.csv's closed rows: {(workload, model): [rows]}."""
    names = {p["name"] for p in args.pairs}
    models_ = {m["name"] for m in args.models}
    got = {}
    for r in closed_rows or []:
        if (r["workload"] in names and r["model"] in models_ and r["status"] == "ok"
                and r["concurrency"] <= args.slots):
            row = {k: r.get(k) for k in COLUMNS if k != "point_s"}
            row.update(mode="closed", load_pct="", offered="")
            got.setdefault((r["workload"], r["model"]), []).append(row)
    return got


def steps(args, have=()):
    """The rate sweep's steps for the ETA (eta.step), in the order they run."""
    out = []
    for pair, mode, x, model in rate_order(args.pairs, args.models, closed_levels(args.slots),
                                           args.loads, set(have)):
        if mode == "closed":
            out.append(eta.step("rate-closed", pair["name"], model["name"], x,
                                eta.prior_s(pair["kind"], x, args.quick)))
        else:
            out.append(eta.step("open", pair["name"], model["name"], x,
                                args.runs * (args.duration_s + 0.05) + 0.1))
    return out


def run_rate(args, runner, run_dir, meta, closed_rows=None, clock=None):
    """Every point of the rate sweep into run_dir/rate/; returns the rows.
    closed_rows: the closed-loop sweep's rows (make bench), whose points at
    c <= slots give each model's capacity instead of closed steps of its own.
    clock: the sweep's eta.Eta (its steps for this section added here),
    which says the time left in each progress line.  Raises
    common.Interrupted (rows so far are on disk)."""
    rate_dir = os.path.join(run_dir, RATE_DIR)
    for sub in ("", "stats", "hyperfine"):
        os.makedirs(os.path.join(rate_dir, sub), exist_ok=True)
    csv_path = os.path.join(rate_dir, RATE_CSV)
    levels = closed_levels(args.slots)
    taken = taken_rows(args, closed_rows)
    plan = rate_order(args.pairs, args.models, levels, args.loads, set(taken))
    if clock is None:
        clock = eta.Eta(steps(args, taken) + [eta.report_step(len(args.pairs))], args.quick)
    else:
        clock.plan(steps(args, taken), ("rate-closed", "open"))
    total = len(plan)
    meta["rate"] = {"slots": args.slots, "loads": args.loads, "closed_levels": levels,
                    "runs": args.runs, "duration_s": args.duration_s,
                    "run_timeout_s": common.run_timeout_s(),
                    "workloads": [p["name"] for p in args.pairs],
                    "models": [m["name"] for m in args.models], "file": RATE_DIR + "/" + RATE_CSV,
                    "placement": provenance.placement(args.pin, args.backend),
                    "backend": args.backend or "local",
                    "closed_from": ("the closed-loop sweep (results.csv), its points at c <= %d"
                                    % args.slots) if taken else "measured here",
                    "order": "models interleaved per step, order rotated", "complete": False}
    rows, i, start = [r for got in taken.values() for r in got], 0, time.monotonic()
    common.say("bench-rate: %d points (%s; open loop with %d slots at %s%% of capacity%s), in %s" % (
        total, ", ".join(p["name"] for p in args.pairs), args.slots,
        ",".join(str(x) for x in args.loads),
        "; capacity from the closed-loop sweep" if taken else "", common.rel(rate_dir)),
        args.quiet)

    def progress(row, what):
        elapsed = time.monotonic() - start
        if row["status"] == "ok":
            text = "%s tasks/s, p50 %s us, p99 %s us" % (
                common.human(row["throughput"]), common.human(row["p50_us"]),
                common.human(row["p99_us"]))
        else:
            text = common.colour("FAILED: %s" % row["reason"], "31")
        common.say("[%3d/%d] %-10s %-8s %-14s %s  %s" % (
            i, total, row["workload"], row["model"], what, text,
            eta.tail(elapsed, clock.remaining())), args.quiet)

    capacity = {}   # (workload, model): best closed-loop throughput so far
    for key, got in taken.items():
        capacity[key] = max(r["throughput"] for r in got)
    for pair, mode, x, model in plan:
        i += 1
        key = (pair["name"], model["name"])
        t0 = time.monotonic()
        if mode == "closed":
            r = rounds.run_point(args, runner, meta, rate_dir, pair, model, x)
            r.update(mode="closed", load_pct="", offered="")
            if r["status"] == "ok" and r["throughput"] > capacity.get(key, 0):
                capacity[key] = r["throughput"]
        elif key not in capacity:
            r = {"workload": pair["name"], "model": model["name"], "mode": "open",
                 "concurrency": args.slots, "load_pct": x, "status": "failed",
                 "reason": "no closed-loop capacity to take %d%% of" % x}
        else:
            r = open_point(args, runner, meta, rate_dir, pair, model, args.slots, x,
                           capacity[key])
        r["point_s"] = round(time.monotonic() - t0, 3)
        clock.record(("rate-closed" if mode == "closed" else "open", pair["name"],
                      model["name"], x), r["point_s"])
        rows.append(r)
        write_rows(csv_path, rows_order(rows, args.pairs, args.models))
        if "host" in meta:
            fingerprint.note_load(meta["host"])
        progress(r, "closed c=%d" % x if mode == "closed" else "open %3d%%" % x)
    if not plan:
        write_rows(csv_path, rows_order(rows, args.pairs, args.models))
    meta["rate"]["complete"] = True
    meta["rate"]["elapsed_s"] = round(time.monotonic() - start, 1)
    # rate.csv's seal, as results.csv's: the report refuses a file that no
    # longer matches it (scripts/report/load.py).
    meta["rate"]["results_csv"] = rundir.results_seal(csv_path)
    return rows


def report(run_dir):
    """The open-loop part of the report on run_dir; its exit status."""
    return subprocess.run([sys.executable, REPORT, "--rate-only", run_dir]).returncode


def main(argv):
    try:
        args = setup(argv)
    except (common.UsageError, models.ModelsDefError) as e:
        print("make bench-rate: %s" % e, file=sys.stderr)
        return 2
    except (OSError, subprocess.CalledProcessError) as e:
        print("make bench-rate: cannot read the registry from bin/threads: %s" % e,
              file=sys.stderr)
        return 2

    if args.into:
        run_dir = args.into
        meta_path = os.path.join(run_dir, "meta.json")
        with open(meta_path) as f:
            meta = json.load(f)
        meta.setdefault("commands", [])
    else:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        try:
            os.makedirs(args.results, exist_ok=True)
        except OSError as e:
            print("make bench-rate: OUT: cannot use '%s' as the results folder: %s"
                  % (args.results, e.strerror or e), file=sys.stderr)
            return 2
        run_dir = rundir.make_run_dir(args.results, stamp, "rate-")
        common.CURRENT["run_dir"] = run_dir
        meta_path = os.path.join(run_dir, "meta.json")
        args.run_id = os.path.basename(run_dir)
        meta = provenance.provenance(args, args.pairs, {p["name"]: [] for p in args.pairs},
                                     argv, point.WARMUP)
    common.write_atomic(meta_path, json.dumps(meta, indent=2) + "\n")

    runner = R.Runner()
    R.stop_on_signals(runner)
    topology.say_start(args.backend, args.pairs, args.quiet)
    try:
        if not args.into:   # make bench calibrated already; here: the round trip for meta.json
            calibration.run_calibrate(args, runner, meta, run_dir)
        rows = run_rate(args, runner, run_dir, meta)
    except common.Interrupted:
        common.write_atomic(meta_path, json.dumps(meta, indent=2) + "\n")
        print("bench-rate: interrupted; partial results in %s" % common.rel(
            os.path.join(run_dir, RATE_DIR, RATE_CSV)), file=sys.stderr)
        return 130
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if not args.into:
        provenance.mark_complete(meta)
    common.write_atomic(meta_path, json.dumps(meta, indent=2) + "\n")
    if not args.no_report and report(run_dir) != 0:
        print("bench-rate: report failed; results are in %s" % common.rel(run_dir),
              file=sys.stderr)
        return 3
    if not args.into:
        rundir.point_latest(args.results, "latest-rate", run_dir)
    failed = sum(1 for r in rows if r["status"] != "ok")
    print("bench-rate: %d points (%d failed); %s" % (
        len(rows), failed, common.rel(os.path.join(run_dir, RATE_DIR, "rate.md"))),
        file=sys.stderr)
    return 0


def guarded_main(argv):
    """main(), stopped by our parent's death; a failed write (a full disk) is
    one line and exit 3 (rundir.guarded)."""
    return rundir.guarded("bench-rate", main, argv)
