"""provenance.py - meta.json: where the numbers come from.

CPU, cores, kernel, governor, memory, compiler and flags, library and tool
versions, git commit and dirty flag, the exact parameters with the CPU placement
and the point order, the topology (the backend local or on another host, its
address, the round trip to it), and (filled in as the sweep goes) every
command it ran.
"""

import datetime
import os
import platform
import subprocess

from . import common, topology


def command_output(argv):
    """First line a tool prints about itself, or None."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        text = (p.stdout or p.stderr).strip().splitlines()
        return text[0] if text else None
    except (OSError, subprocess.SubprocessError):
        return None


def read_first(path, pattern=None):
    """A line of a /proc or /sys file (the first matching pattern), or None."""
    try:
        with open(path) as f:
            for line in f:
                if pattern is None or line.startswith(pattern):
                    return line.split(":", 1)[-1].strip() if pattern else line.strip()
    except OSError:
        pass
    return None


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


def provenance(args, pairs, levels, argv, warmup):
    """meta.json's contents at the start of a run (complete=false)."""
    git = {"commit": None, "dirty": None}
    try:
        git["commit"] = subprocess.run(["git", "-C", common.ROOT, "rev-parse", "HEAD"],
                                       capture_output=True, text=True).stdout.strip() or None
        st = subprocess.run(["git", "-C", common.ROOT, "status", "--porcelain"],
                            capture_output=True, text=True).stdout
        git["dirty"] = bool(st.strip())
    except OSError:
        pass
    mem = read_first("/proc/meminfo", "MemTotal")
    return {
        "run_id": args.run_id,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "complete": False,
        "git": git,
        "host": {
            "cpu_model": read_first("/proc/cpuinfo", "model name"),
            "cores": os.cpu_count(),
            "kernel": platform.release(),
            "governor": read_first("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
            "mem_total_kib": int(mem.split()[0]) if mem else None,
        },
        "build": {
            "compiler": command_output([os.environ.get("CC", "cc"), "--version"]),
            "cflags": os.environ.get("BENCH_CFLAGS"),
        },
        "versions": {
            "libevent": command_output(["pkg-config", "--modversion", "libevent"]),
            "hyperfine": command_output(["hyperfine", "--version"]),
            "gnuplot": command_output(["gnuplot", "--version"]),
            "python": platform.python_version(),
        },
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
        "sweep_command": argv,
        "commands": [],
    }
