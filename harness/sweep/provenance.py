"""provenance.py - meta.json: where the numbers come from.

The machine's fingerprint (fingerprint.py: CPU model and flags, cores and SMT,
governor, kernel, mitigations, cgroup version, memory, the load at the start,
while it ran and at the end), compiler and flags, library and tool versions,
git commit and dirty flag, the exact parameters with the CPU placement and the
point order, the topology (the backend local or on another host, its address,
the round trip to it), the fleet job the run belongs to (make fleet), and
(filled in as the sweep goes) every command it ran.
"""

import datetime
import os
import shlex
import subprocess
import sys

from . import common, fingerprint, topology

FLEET_LABEL_ENV = "TVSA_FLEET_LABEL"   # set by a fleet job (harness/fleet/job.sh): the
                                       # machine type the run stands for


def placement(pin, backend=None):
    """The CPU placement recorded in meta.json params; backend: BACKEND's
    HOST:PORT (the backend pairs' backend on its own host), or None."""
    if backend:
        return ("remote backend: the backend pairs' bin/backend on %s, the model unpinned on "
                "all CPUs here; the other pairs' own peers %s" % (
                    backend, "as PIN=split: on the last %d allowed CPU(s)" % (
                        common.PIN_BACKEND_CPUS) if pin == "split" else "unpinned"))
    if pin != "split":
        return "shared: model and backend unpinned on all CPUs"
    return "split: backend on the last %d allowed CPU(s), model on the other %d" % (
        common.PIN_BACKEND_CPUS, len(os.sched_getaffinity(0)) - common.PIN_BACKEND_CPUS)


def fleet_job():
    """meta.json's "fleet": the machine type (label) and the Slurm job of a
    run that a fleet job started (make fleet), else None.  make fleet finds
    a job's run folder by this job_id."""
    label = os.environ.get(FLEET_LABEL_ENV)
    if not label:
        return None
    return {"label": label, "job_id": os.environ.get("SLURM_JOB_ID"),
            "partition": os.environ.get("SLURM_JOB_PARTITION"),
            "nodes": os.environ.get("SLURM_JOB_NODELIST")}


MAKE_GOAL_ENV = "TVSA_MAKE_GOAL"       # set by the Makefile's bench targets: the goal
MAKE_VARS_ENV = "TVSA_MAKE_VARS"       # ... and the names of the variables given


def sweep_command(argv):
    """The command that started this sweep, one line a reader can paste:
    `make bench QUICK=1 OUT=/tmp/x` as given to make (the Makefile names the
    goal and the variables given; their values are in the environment), or
    the entry script as run (`python3 harness/sweep/bench.py --quick`)."""
    goal = os.environ.get(MAKE_GOAL_ENV)
    if goal:
        return " ".join(["make", goal] + ["%s=%s" % (n, shlex.quote(os.environ.get(n, "")))
                                          for n in os.environ.get(MAKE_VARS_ENV, "").split()])
    script = os.path.relpath(os.path.abspath(sys.argv[0]), common.ROOT) if sys.argv[0] else "?"
    return " ".join(shlex.quote(a) for a in ["python3", script] + list(argv))


def boot_id():
    """This boot's id (a pid names one process only within one boot), or None."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return None


def mark_complete(meta):
    """The run's data is whole: complete=true, and the load at its end in
    the fingerprint.  Called once, after the last point."""
    meta["complete"] = True
    fingerprint.end_load(meta.setdefault("host", {}))


def provenance(args, pairs, levels, argv, warmup):
    """meta.json's contents at the start of a run (complete=false); argv:
    the entry script's arguments (sweep_command)."""
    git = {"commit": None, "dirty": None}
    try:
        git["commit"] = subprocess.run(["git", "-C", common.ROOT, "rev-parse", "HEAD"],
                                       capture_output=True, text=True).stdout.strip() or None
        st = subprocess.run(["git", "-C", common.ROOT, "status", "--porcelain"],
                            capture_output=True, text=True).stdout
        git["dirty"] = bool(st.strip())
    except OSError:
        pass
    return {
        "run_id": args.run_id,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "complete": False,
        # Who writes the run, so a reader can tell a run still being
        # written from one that was cut short (scripts/report/load.py).
        "writer": {"pid": os.getpid(), "boot_id": boot_id(),
                   "argv": sys.argv[:1]},
        "git": git,
        "host": fingerprint.host(),
        "fleet": fleet_job(),
        "build": {
            "compiler": fingerprint.tool_line([os.environ.get("CC", "cc"), "--version"]),
            "cflags": os.environ.get("BENCH_CFLAGS"),
        },
        "versions": fingerprint.versions(),
        "params": {
            "quick": args.quick, "runs": args.runs, "warmup": warmup,
            # rounds per point: runs (RUNS=) when given, else planned from the pilots
            # (harness/sweep/rounds.py plan_rounds); each row's rounds column says
            "rounds": getattr(args, "rounds_plan", None),
            "target_s": args.target_s, "run_timeout_s": common.run_timeout_s(),
            "workloads": [p["name"] for p in pairs],
            "concurrency": {p["name"]: levels[p["name"]] for p in pairs},
            "models": [m["name"] for m in args.models],
            "placement": placement(getattr(args, "pin", None), getattr(args, "backend", None)),
            "backend": getattr(args, "backend", None) or "local",
            # TIMER_SLACK_NS as given (None: not given, every run inherits the
            # slack below, the platform's); each run's stats line and
            # results.csv's timer_slack_ns say what was in force.
            "timer_slack_ns": getattr(args, "timer_slack_ns", None),
            "timer_slack_inherited_ns": common.inherited_timer_slack_ns(),
            "order": ("rounds, models interleaved: the models of one (workload, c) in "
                      "rounds, each once per round, their order rotated by one from round "
                      "to round and from one (workload, c) to the next; run i of each "
                      "model in round i (paired)"),
        },
        # floor and claims as the pair declares them (bin/threads --list -v:
        # "none" or "round_trips:N,...", "none" or "io,memory"): the report
        # draws a floor and counts a vote only from these.  A data-file pair's
        # series: run_as (the registered pair), cache (warm, cold), variant_of.
        "workloads": {p["name"]: dict({k: p.get(k) for k in (
            "kind", "summary", "work", "delay_us", "needs_backend", "run_as", "cache",
            "variant_of")}, floor=p.get("floor", "none"), claims=p.get("claims", "none"))
            for p in pairs},
        # Where the backend ran (local or remote, its address; the round trip
        # to it is filled in by calibration): topology.describe.
        "topology": topology.describe(getattr(args, "backend", None),
                                      getattr(args, "backend_ip", None), pairs),
        "models": [m["name"] for m in args.models],
        # The registry lines of the models run (harness/models.def), so a report
        # drawn after the registry changed still has their summaries and styles.
        "model_info": {m["name"]: {k: m[k] for k in ("binary", "style", "flags", "cores",
                                                     "colour", "marker", "summary")}
                       for m in args.models},
        "sweep_command": sweep_command(argv),
        "commands": [],
    }
