"""syscall_audit.py - `make audit`: each model's system calls per task, by name.

Every registered model (harness/models.def) runs every registered pair
(`bin/threads --list -v`; a data-file pair's -cold series is left out: its
calls are the warm one's) at a few levels under a system-call counter
(syscount.py: perf stat over the syscall tracepoints, else strace -c).  A
model that re-arms an event per task (an epoll_ctl, a timerfd_settime per
task) shows at once as a call near 1 per task where another model has ~0.

Per task, set-up removed: each point runs twice with the same command line
but for -n: a base run of BASE tasks (the sweep's pilot size: at least 50 and
2 per slot) and a run of BASE + EXTRA tasks (EXTRA from the base run's
throughput, about TARGET_S of work, at least EXTRA_MIN_TASKS and 5 per slot).
Everything a run does once (start-up, threads, connections, the peers' keys,
tear-down) is in both and cancels: per task = (calls - base calls) / EXTRA.
Calls whose number depends on timing (epoll_wait, futex) are what they were
in these two runs; a small negative value is that noise, left as measured.

The command of a run is the sweep's own (runner.model_argv: the registry's
flags, {cores} and {loops} filled in), with --backend and --redis pointing at
peers of the audit's own (peers.py), so no peer's calls are counted as the
model's; TIMER_SLACK_NS (--timer-slack-ns) reaches every run as it does the
bench's (a loop's wake-ups, epoll_wait per task, move with the slack), and
meta.json records the slack asked and the one inherited.  Output:
results/audit-<id>/syscalls.csv (one row per point and call; a failed point
is one row with its reason), audit.md (the top calls of each point, and
every point whose watched calls reach WATCH_MIN per task), meta.json;
results/latest-audit points at the folder once it is complete.
Every file is written to a temporary name and renamed.
"""

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import time

from . import common, models, peers, point, registry, rundir, syscount
from . import runner as R

LEVELS = [1, 64, 1024]     # concurrency levels (a pair's max_c caps them)
TARGET_S = 0.1             # EXTRA: about this much work beyond the base run ...
EXTRA_MIN_TASKS = 200      # ... and at least this many tasks (1/200 = 0.005 per task)
TOP_N = 6                  # calls shown per point in audit.md
SHOW_MIN = 0.02            # ... those at or above this many per task
WATCH = ("epoll_ctl", "timerfd_settime")  # calls a loop should not make per task
WATCH_MIN = 0.05           # ... listed when at or above this many per task
REASON_MAX = 100           # a failed point's reason in audit.md (whole in the CSV)
TURN_CALL = "epoll_wait"   # one per turn of a libevent loop, shown beside them
COLUMNS = ["workload", "model", "concurrency", "status", "reason", "tool", "base_tasks",
           "tasks", "syscall", "base_calls", "calls", "per_task"]


class ArgParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line (UsageError)."""

    def error(self, message):
        raise common.UsageError(message)


def parse_args(argv):
    ap = ArgParser(prog="make audit", description=__doc__.split("\n")[0])
    ap.add_argument("--concurrency", help="comma-separated levels (default %s)"
                    % ",".join(map(str, LEVELS)))
    ap.add_argument("--workloads", help="comma-separated workload names")
    ap.add_argument("--models", help="comma-separated models (harness/models.def)")
    ap.add_argument("--results", default=os.path.join(common.ROOT, "results"),
                    help="results folder (default results/)")
    ap.add_argument("--quiet", action="store_true", help="only errors and the final line")
    ap.add_argument("--timer-slack-ns", help="every model run's timer slack in ns, 1..%d "
                    "(default: none given, each run inherits the platform's)"
                    % common.TIMER_SLACK_MAX_NS)
    return ap.parse_args(argv)


def setup(argv):
    """(args, pairs, levels {pair: [c]}, models); UsageError on bad input."""
    args = parse_args(argv)
    common.run_timeout_s()
    rundir.latest_free(args.results, "latest-audit")  # a real folder or file: found now
    try:                        # before the counter's 14 s of set-up, not after
        os.makedirs(args.results, exist_ok=True)
    except OSError as e:
        raise common.UsageError("OUT: cannot use '%s' as the results folder: %s"
                                % (args.results, e.strerror or e))
    args.timer_slack_ns = common.parse_timer_slack(args.timer_slack_ns)
    levels_cli = common.parse_list(args.concurrency, "CONCURRENCY", common.parse_level)
    pairs = [p for p in registry.pairs() if not p.get("variant_of")]
    pairs = common.pick(args.workloads, pairs, "WORKLOADS")
    model_list = common.pick(args.models, models.load(), "MODELS")
    levels = {p["name"]: levels_cli or [c for c in LEVELS if not p["max_c"] or c <= p["max_c"]]
              for p in pairs}
    return args, pairs, levels, model_list


def run_argv(pair, model, c, n, the_peers, slack=None):
    """The sweep's command line for one run (runner.model_argv), its peers
    ours; slack: TIMER_SLACK_NS, or None (inherited)."""
    backend = the_peers.backend() if pair["needs_backend"] else None
    argv = R.model_argv(model, pair, c, n, backend=backend, slack=slack)
    if pair.get("peer") == "redis":
        argv += ["--redis", the_peers.redis()]
    return argv + ["--json"]


def run_failure(counter, rc, stats, err):
    """Why a counted run failed: the model's reason (runner.failure_reason),
    or the counter's own when the model's stats line says its run was ok
    and the tool ended badly (killed, an error of its own): then the model's
    summary line is not the reason, and no count was taken."""
    if rc != 0 and stats and stats.get("status") == "ok":
        how = "timed out" if rc is None else "killed by signal %d" % -rc if rc < 0 else \
            "exit %d" % rc
        said = [line for line in err.strip().splitlines()
                if not line.startswith(str(stats.get("model", "")) + " ")]
        return "%s failed (%s%s) though the model's run was ok: no count" % (
            counter.tool, how, ": " + said[-1][:120] if said else "")
    return R.failure_reason(err, stats)


def counted_run(counter, runner, meta, argv, path):
    """argv under the counter: (rc, stats line or None, stderr, {call: n})."""
    if os.path.exists(path):
        os.unlink(path)
    rc, stats, err = R.run_json(runner, meta, counter.wrap(argv, path))
    counts = counter.parse(path)
    if os.path.exists(path):
        os.unlink(path)
    return rc, stats, err, counts


def audit_point(counter, runner, meta, the_peers, pair, model, c, tmp, slack=None):
    """The rows of one point: one per call (per_task), or one failed row;
    slack: TIMER_SLACK_NS, or None."""
    head = {"workload": pair["name"], "model": model["name"], "concurrency": c,
            "tool": counter.tool}
    base_n = max(point.QUICK_PILOT_MIN_TASKS, point.PILOT_TASKS_PER_SLOT * c)
    try:
        argv = run_argv(pair, model, c, base_n, the_peers, slack)
    except peers.PeerError as e:
        return [dict(head, status="failed", reason=str(e))]
    rc, stats, err, base = counted_run(counter, runner, meta, argv, tmp)
    if rc != 0 or not stats or not base:
        why = run_failure(counter, rc, stats, err) if rc != 0 or not stats else \
            "%s counted no call" % counter.tool
        return [dict(head, status="failed", reason=why, base_tasks=base_n)]
    extra = max(EXTRA_MIN_TASKS, point.run_tasks(float(stats["throughput"] or 1.0), c,
                                                 TARGET_S, quick=True))
    n = base_n + extra
    rc, stats, err, counts = counted_run(counter, runner, meta,
                                         run_argv(pair, model, c, n, the_peers, slack), tmp)
    if rc != 0 or not stats or not counts:
        why = run_failure(counter, rc, stats, err) if rc != 0 or not stats else \
            "%s counted no call" % counter.tool
        return [dict(head, status="failed", reason=why, base_tasks=base_n, tasks=n)]
    rows = []
    for name in set(base) | set(counts):
        b, k = base.get(name, 0), counts.get(name, 0)
        if not b and not k:
            continue   # perf lists every tracepoint; a call neither run made is no row
        rows.append(dict(head, status="ok", reason="", base_tasks=base_n, tasks=n,
                         syscall=name, base_calls=b, calls=k, per_task=(k - b) / extra))
    rows.sort(key=lambda r: (-r["per_task"], r["syscall"]))
    return rows


def write_csv(path, rows):
    """syscalls.csv, atomically (common.write_csv), per_task to 4 places."""
    common.write_csv(path, COLUMNS, [
        dict(r, per_task="%.4f" % r["per_task"]) if r.get("per_task") is not None else r
        for r in rows])


def top_calls(rows):
    """'name n.nn, ...' for the TOP_N calls of a point's ok rows at or above SHOW_MIN."""
    shown = [r for r in rows if r["per_task"] >= SHOW_MIN][:TOP_N]
    return ", ".join("%s %.2f" % (r["syscall"], r["per_task"]) for r in shown) or \
        "none at %.2f or more" % SHOW_MIN


def markdown(groups, tool, levels_text):
    """audit.md: the watched calls first, then each pair's points."""
    out = ["# System calls per task", "",
           "Counted with %s; per task = (calls of a run of BASE + EXTRA tasks - calls of a "
           "run of BASE tasks) / EXTRA, so set-up and tear-down cancel (harness/sweep/"
           "syscall_audit.py). Levels: %s. Peers (bin/backend, redis-server) are the "
           "audit's own, outside the count." % (tool, levels_text), "",
           "## Watched calls (%s at %.2f or more per task)" % (", ".join(WATCH), WATCH_MIN), ""]
    hits = [(key, r) for key, rows in groups for r in rows
            if r["status"] == "ok" and r["syscall"] in WATCH and r["per_task"] >= WATCH_MIN]
    turns = {key: r["per_task"] for key, rows in groups for r in rows
             if r["status"] == "ok" and r["syscall"] == TURN_CALL}
    out += ["A loop that sleeps between tasks arms its timer once per turn: the turns "
            "(%s per task) beside each, to tell per turn from per task." % TURN_CALL, "",
            "| workload | model | c | call | per task | %s per task |" % TURN_CALL,
            "| --- | --- | ---: | --- | ---: | ---: |"] + \
        ["| %s | %s | %d | %s | %.2f | %.2f |" % (k[0], k[1], k[2], r["syscall"], r["per_task"],
                                               turns.get(k, 0.0))
         for k, r in hits] if hits else ["None."]
    workload = None
    for key, rows in groups:
        if key[0] != workload:
            workload = key[0]
            out += ["", "## %s" % workload, "", "| model | c | top calls per task |",
                    "| --- | ---: | --- |"]
        if rows[0]["status"] != "ok":
            why = rows[0]["reason"].replace("|", "/")
            out.append("| %s | %d | failed: %s |" % (key[1], key[2], why if len(why) <= REASON_MAX
                                                     else why[:REASON_MAX - 3] + "..."))
        else:
            out.append("| %s | %d | %s |" % (key[1], key[2], top_calls(rows)))
    return "\n".join(out) + "\n"


def run(args, pairs, levels, model_list, counter, run_dir, meta, save):
    """Every point, the CSV rewritten after each; returns the groups [(key, rows)]."""
    runner = R.Runner()
    the_peers = peers.Peers(common.bin_dir(), preexec_fn=R.child_dies_with_us)

    R.stop_on_signals(runner)
    points = [(p, m, c) for p in pairs for c in levels[p["name"]] for m in model_list]
    groups, tmp = [], os.path.join(run_dir, "counts.tmp")
    csv_path = os.path.join(run_dir, "syscalls.csv")
    try:
        for i, (pair, model, c) in enumerate(points, 1):
            t0 = time.monotonic()
            rows = audit_point(counter, runner, meta, the_peers, pair, model, c, tmp,
                               args.timer_slack_ns)
            groups.append(((pair["name"], model["name"], c), rows))
            write_csv(csv_path, [r for _, rs in groups for r in rs])
            save()
            common.say("audit [%d/%d] %s %s c=%d: %s (%.1f s)" % (
                i, len(points), pair["name"], model["name"], c,
                top_calls(rows) if rows[0]["status"] == "ok" else "failed: " + rows[0]["reason"],
                time.monotonic() - t0), args.quiet)
    finally:
        the_peers.stop()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return groups


def main(argv):
    try:
        args, pairs, levels, model_list = setup(argv)
    except (common.UsageError, models.ModelsDefError) as e:
        print("make audit: %s" % e, file=sys.stderr)
        return 2
    except (OSError, subprocess.CalledProcessError) as e:
        print("make audit: cannot read the registry from bin/threads: %s" % e, file=sys.stderr)
        return 2
    # An interrupt while the counter is set up (perf: seconds) ends the
    # audit in one line, the counter stopped, nothing measured.
    R.stop_on_signals(R.Runner())
    try:
        counter = syscount.pick(preexec_fn=R.child_dies_with_us)
    except common.Interrupted:
        print("audit: interrupted while %s was set up; nothing measured"
              % (os.environ.get(syscount.TOOL_ENV) or "the counter"), file=sys.stderr)
        return 130
    except ValueError as e:
        print("make audit: %s" % e, file=sys.stderr)
        return 2
    except syscount.Unusable as e:
        print("make audit: no system-call counter works here (%s)" % e, file=sys.stderr)
        return 3
    run_dir = None
    try:
        os.makedirs(args.results, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        run_dir = rundir.make_run_dir(args.results, stamp, prefix="audit-")
        common.CURRENT["run_dir"] = run_dir
        levels_text = ", ".join(sorted({str(c) for v in levels.values() for c in v}, key=int))
        meta = {"complete": False, "tool": counter.tool, "levels": levels,
                "models": [m["name"] for m in model_list],
                "workloads": [p["name"] for p in pairs], "commands": [],
                "per_task": "(calls(BASE + EXTRA tasks) - calls(BASE tasks)) / EXTRA",
                # TIMER_SLACK_NS as given (None: not given, each run inherits the second)
                "timer_slack_ns": args.timer_slack_ns,
                "timer_slack_inherited_ns": common.inherited_timer_slack_ns(),
                "date": stamp}
        meta_path = os.path.join(run_dir, "meta.json")

        def save():
            common.write_atomic(meta_path, json.dumps(meta, indent=1) + "\n")
        save()
        start = time.monotonic()
        common.say("audit: %d points with %s into %s" % (
            sum(len(levels[p["name"]]) for p in pairs) * len(model_list), counter.tool,
            common.rel(run_dir)), args.quiet)
        groups = run(args, pairs, levels, model_list, counter, run_dir, meta, save)
    except common.Interrupted:
        if run_dir:
            rundir.remove_tmp(run_dir)
        print("audit: interrupted; %s; results/latest-audit unchanged"
              % ("partial counts in %s" % common.rel(run_dir) if run_dir else "nothing measured"),
              file=sys.stderr)
        return 130
    finally:
        counter.stop()
    common.write_atomic(os.path.join(run_dir, "audit.md"),
                        markdown(groups, counter.tool, levels_text))
    meta["complete"] = True
    meta["elapsed_s"] = round(time.monotonic() - start, 1)
    save()
    link = rundir.point_latest(args.results, "latest-audit", run_dir)
    failed = sum(1 for _, rows in groups if rows[0]["status"] != "ok")
    print("audit: %d points in %s (%d failed); %s" % (
        len(groups), common.duration(time.monotonic() - start), failed,
        common.rel(os.path.join(link, "audit.md"))), file=sys.stderr)
    return 0


def guarded_main(argv):
    """main(), stopped by our parent's death; a failed write is one line, exit 3."""
    return rundir.guarded("audit", main, argv)
