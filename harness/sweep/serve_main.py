"""serve_main.py - `make bench-serve`: the serve section alone (serve.py),
into a run folder of its own, results/serve-<id>/ (results/latest-serve).

make bench runs the same section after its other sections, into the main
run's folder; this entry is for a look at the servers alone and for the
tests (tests/test_serve_sweep.sh): the same options as make bench's (QUICK,
WORKLOADS, MODELS, PIN, LOAD_HOST, OUT, QUIET), the same meta.json
provenance, the serve part of the report (scripts/report/report.py
--serve-only) at the end.
"""

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import time

from . import common, models, provenance, registry, rundir, serve, serve_proc
from . import runner as R

REPORT = os.path.join(common.ROOT, "scripts", "report", "report.py")


class ArgParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line (UsageError)."""

    def error(self, message):
        raise common.UsageError(message)


def setup(argv):
    """Validate everything before anything runs; UsageError on bad input."""
    ap = ArgParser(prog="make bench-serve", description=__doc__.split("\n")[0])
    ap.add_argument("--workloads", help="comma-separated handlers (default: %s)"
                    % ",".join(serve.HANDLERS))
    ap.add_argument("--results", default=os.path.join(common.ROOT, "results"))
    common.add_shared_options(ap)
    ap.add_argument("--load-host", help="NETNS:ADDR: bin/load in that network namespace")
    args = ap.parse_args(argv)
    common.run_timeout_s()
    rundir.latest_free(args.results, "latest-serve")  # a real folder or file: found now
    R.need_tools()
    args.pin = common.parse_pin(args.pin)
    args.timer_slack_ns = common.parse_timer_slack(args.timer_slack_ns)
    args.load_host_parsed = serve_proc.parse_load_host(args.load_host)
    known = [p for p in registry.pairs() if p["name"] in serve.HANDLERS]
    args.pairs = common.pick(args.workloads, known, "WORKLOADS")
    args.models = common.pick(args.models, models.load(), "MODELS")
    args.runs = serve.QUICK_RUNS if args.quick else serve.RUNS
    args.target_s = serve.QUICK_RUN_S if args.quick else serve.RUN_S
    args.alone = True           # the section alone: its messages say so
    return args


def main(argv):
    try:
        args = setup(argv)
    except (common.UsageError, models.ModelsDefError) as e:
        print("make bench-serve: %s" % e, file=sys.stderr)
        return 2
    except (OSError, subprocess.CalledProcessError) as e:
        print("make bench-serve: cannot read the registry from bin/threads: %s" % e,
              file=sys.stderr)
        return 2
    try:
        os.makedirs(args.results, exist_ok=True)
    except OSError as e:
        print("make bench-serve: OUT: cannot use '%s' as the results folder: %s"
              % (args.results, e.strerror or e), file=sys.stderr)
        return 2
    run_dir = rundir.make_run_dir(args.results,
                                  datetime.datetime.now().strftime("%Y%m%d-%H%M%S"), "serve-")
    common.CURRENT["run_dir"] = run_dir
    args.run_id = os.path.basename(run_dir)
    meta = provenance.provenance(args, args.pairs, {p["name"]: [] for p in args.pairs},
                                 argv, 0)
    meta_path = os.path.join(run_dir, "meta.json")

    def save():
        common.write_atomic(meta_path, json.dumps(meta, indent=2) + "\n")
    save()
    runner = R.Runner()
    R.stop_on_signals(runner)
    start = time.monotonic()
    rc = serve.run(args, runner, args.pairs, run_dir, meta, save)
    if rc is not None:
        return rc
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    provenance.mark_complete(meta)     # the load at its end, as every sweep's
    meta["elapsed_s"] = round(time.monotonic() - start, 1)
    save()
    if not args.no_report and subprocess.run(
            [sys.executable, REPORT, "--serve-only", run_dir]).returncode != 0:
        print("bench-serve: report failed; results are in %s" % common.rel(run_dir),
              file=sys.stderr)
        return 3
    rundir.point_latest(args.results, "latest-serve", run_dir)
    print("bench-serve: %d servers in %s (%d rows failed); %s" % (
        meta["serve"]["servers"], common.duration(time.monotonic() - start),
        meta["serve"].get("failed", 0), common.rel(os.path.join(run_dir, serve.DIR))),
        file=sys.stderr)
    return 0


def guarded_main(argv):
    """main(), stopped by our parent's death; a failed write is exit 3."""
    return rundir.guarded("bench-serve", main, argv)
