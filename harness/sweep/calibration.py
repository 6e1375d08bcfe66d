"""calibration.py - the machine's floor, measured before the first point.

bin/calibrate measures what the machine's primitives cost into calibration.csv
(thread create, wake-up, loopback TCP round trip, libevent dispatch and timer
cost, RSS per thread and per event, one cpu_hash round, hist_record; with
BACKEND=HOST:PORT also the round trip to that backend and its CPU here); then
two direct runs at c=1 and delay 0 of the pair that is a bare backend round
trip (needs a backend, no CPU work: io_backend) on threads and async, against
BACKEND's backend when given, go to floor_runs.jsonl.  The round trip goes
into meta.json's topology.  The report sets the results against both.  A failure there
is said on stderr and recorded in meta.json; the sweep goes on without the file.
"""

import csv
import json
import os
import sys
import time

from . import common, registry, runner as R, topology

CALIBRATION_CSV = "calibration.csv"  # bin/calibrate's output in the run folder
CALIBRATION_END_CSV = "calibration-end.csv"  # ... again after the closed-loop points
CALIBRATE_TIMEOUT_S = 60  # bin/calibrate takes ~3 s (--quick < 1 s); past this it hung
FLOOR_RUNS_JSONL = "floor_runs.jsonl"  # the direct runs at c=1, delay 0
FLOOR_TASKS = 20000     # tasks of each floor run (~0.2-1 s at tens of us per task)
QUICK_FLOOR_TASKS = 5000  # ... in a QUICK sweep
FLOOR_BINARIES = ("threads", "async")  # binaries of the floor runs, plain (no --loops)


def read_calibration(path):
    """{name: value} of a calibration.csv, {} when unreadable."""
    try:
        with open(path, newline="") as f:
            return {r["name"]: float(r["value"]) for r in csv.DictReader(f)}
    except (OSError, KeyError, ValueError, csv.Error):
        return {}


def run_calibrate(args, runner, meta, run_dir):
    """bin/calibrate into run_dir/calibration.csv, recorded in meta["calibration"]."""
    human = common.human
    t0 = time.monotonic()
    path = os.path.join(run_dir, CALIBRATION_CSV)
    argv = [os.path.join(common.bin_dir(), "calibrate"), "--quiet", "--out", path]
    if args.quick:
        argv.append("--quick")
    backend = getattr(args, "backend", None)
    if backend:     # the round trip to BACKEND's bin/backend too (backend_rtt_us)
        argv += ["--backend", backend]
    meta["commands"].append(R.quoted(argv))
    try:
        rc, _, err = runner.run(argv, CALIBRATE_TIMEOUT_S)
    except OSError as e:
        rc, err = -1, "cannot run %s: %s" % (common.rel(argv[0]), e.strerror or e)
    cal = read_calibration(path) if rc == 0 else {}
    if rc == 0 and cal:
        meta["calibration"] = {"status": "ok", "file": CALIBRATION_CSV, "quick": args.quick,
                               "elapsed_s": round(time.monotonic() - t0, 1)}
        common.say("calibration: %d cores; cpu_hash round %s ns; TCP RTT %s us (across CPUs "
                   "%s us); timer %s ns; thread create+join %s us; wake-up %s us; RSS %s "
                   "KiB/thread, %s KiB/event (%s)" % (
                       cal.get("cores", 0), human(cal.get("cpu_hash_unit_ns", 0)),
                       human(cal.get("tcp_rtt_us", 0)), human(cal.get("tcp_rtt_cross_cpu_us", 0)),
                       human(cal.get("timer_event_ns", 0)),
                       human(cal.get("thread_create_join_us", 0)),
                       human(cal.get("wakeup_pingpong_us", 0)),
                       human(cal.get("rss_per_idle_thread_kib", 0)),
                       human(cal.get("rss_per_pending_event_kib", 0)), CALIBRATION_CSV),
                   args.quiet)
        topology.record_rtt(meta, cal)
        if backend:
            common.say("calibration: round trip to the backend at %s: %s us (backend_rtt_us; "
                       "its CPU here %s us a round trip)" % (
                           backend, human(cal.get("backend_rtt_us", 0)),
                           human(cal.get("backend_rpc_cpu_us", 0))), args.quiet)
    else:
        why = (common.last_line(err) or "exit %s" % rc) if rc != 0 else "no figures in its output"
        if os.path.exists(path):
            os.unlink(path)
        meta["calibration"] = {"status": "failed", "file": None, "reason": why}
        print("bench: calibration failed (%s); going on without %s" % (why, CALIBRATION_CSV),
              file=sys.stderr)


def recalibrate(args, runner, meta, run_dir):
    """bin/calibrate --quick again after the closed-loop points, into
    calibration-end.csv (meta["calibration_end"]): the report's floor takes
    each term's least of the two.  A floor is what the machine was seen to
    take, and a shared host changes speed within a run: a full bench whose
    start read a cpu_hash round at 67.9 ns ran its points at ~58 (33 points
    "above the floor").  1.4 s; not in a QUICK sweep (its 45 s).  A failure
    is one line and the floor is the start's alone."""
    if args.quick or meta.get("calibration", {}).get("status") != "ok":
        return
    path = os.path.join(run_dir, CALIBRATION_END_CSV)
    argv = [os.path.join(common.bin_dir(), "calibrate"), "--quiet", "--quick", "--out", path]
    backend = getattr(args, "backend", None)
    if backend:
        argv += ["--backend", backend]
    meta["commands"].append(R.quoted(argv))
    try:
        rc, _, err = runner.run(argv, CALIBRATE_TIMEOUT_S)
    except OSError as e:
        rc, err = -1, "cannot run %s: %s" % (common.rel(argv[0]), e.strerror or e)
    end = read_calibration(path) if rc == 0 else {}
    if rc == 0 and end:
        start = read_calibration(os.path.join(run_dir, CALIBRATION_CSV))
        meta["calibration_end"] = {"status": "ok", "file": CALIBRATION_END_CSV, "quick": True}
        common.say("calibration again after the points: cpu_hash round %s ns (start %s), round "
                   "trip CPU %s us (start %s); the floor takes the least (%s)" % (
                       common.human(end.get("cpu_hash_unit_ns", 0)),
                       common.human(start.get("cpu_hash_unit_ns", 0)),
                       common.human(end.get("rpc_cpu_us", 0)),
                       common.human(start.get("rpc_cpu_us", 0)), CALIBRATION_END_CSV),
                   args.quiet)
        return
    why = (common.last_line(err) or "exit %s" % rc) if rc != 0 else "no figures in its output"
    if os.path.exists(path):
        os.unlink(path)
    meta["calibration_end"] = {"status": "failed", "file": None, "reason": why}
    print("bench: the calibration after the points failed (%s); the floor is the start's"
          % why, file=sys.stderr)


def run_floor(args, runner, meta, run_dir):
    """The floor runs into run_dir/floor_runs.jsonl, recorded in meta["floor_runs"]."""
    # A bare round trip: a backend pair with no --work that takes --delay-us
    # (the runs ask for delay 0; a pair that does not take it refuses it).
    pair = next((p for p in registry.pairs() if p["needs_backend"] and p["work"] == 0
                 and "delay-us" in p["opts"].split(",")), None)
    if pair is None:
        meta["floor_runs"] = {"status": "skipped", "file": None,
                              "reason": "no registered pair is a bare backend round trip"}
        return
    n = QUICK_FLOOR_TASKS if args.quick else FLOOR_TASKS
    backend = getattr(args, "backend", None)   # BACKEND=: its backend, else the run's own
    lines, status = [], {}
    for binary in FLOOR_BINARIES:
        # On one CPU, the model and its backend (a child: it inherits the
        # mask), like tcp_rtt_us: on this VM a wake-up across CPUs costs
        # ~40 us each way, which would swamp the model's own overhead.
        argv = ["taskset", "-c", str(min(os.sched_getaffinity(0))),
                os.path.join(common.bin_dir(), binary), pair["name"], "-c", "1", "-n", str(n),
                "--delay-us", "0", "--json", "--timeout-s", str(common.run_timeout_s())]
        argv += ["--backend", backend] if backend else []
        slack = getattr(args, "timer_slack_ns", None)   # TIMER_SLACK_NS, as every run
        argv += ["--timer-slack-ns", str(slack)] if slack is not None else []
        rc, stats, err = R.run_json(runner, meta, argv)
        if stats is None:  # no stats line: say why in one
            stats = {"workload": pair["name"], "model": binary, "concurrency": 1, "tasks": n,
                     "delay_us": 0, "status": "failed", "reason": R.failure_reason(err, None)}
        elif rc != 0 and stats.get("status") == "ok":
            stats.update(status="failed", reason=R.failure_reason(err, None))
        if stats.get("status") != "ok":
            print("bench: floor run %s %s failed: %s" % (
                binary, pair["name"], stats.get("reason") or "no reason given"), file=sys.stderr)
        status[binary] = stats.get("status", "ok")
        lines.append(json.dumps(stats))  # the model's own line, key order kept
    common.write_atomic(os.path.join(run_dir, FLOOR_RUNS_JSONL), "\n".join(lines) + "\n")
    meta["floor_runs"] = {"status": "ok", "file": FLOOR_RUNS_JSONL, "workload": pair["name"],
                          "concurrency": 1, "delay_us": 0, "tasks": n, "models": status,
                          "backend": backend or "local"}
    said = []
    for line in lines:
        st = json.loads(line)
        said.append("%s p50 %s us" % (st["model"], common.human(float(st["p50_us"])))
                    if st.get("status") == "ok" and "p50_us" in st
                    else "%s failed" % st["model"])
    common.say("floor runs (%s, c=1, delay 0, %d tasks): %s (%s)" % (
        pair["name"], n, ", ".join(said), FLOOR_RUNS_JSONL), args.quiet)


def calibrate(args, runner, meta, run_dir):
    """Before the first point: bin/calibrate writes calibration.csv, then the
    floor runs (c=1, delay 0) write floor_runs.jsonl.  Each is recorded in
    meta.json (meta["calibration"], meta["floor_runs"]) with its command; a
    failure is one line on stderr and the sweep goes on without the file."""
    run_calibrate(args, runner, meta, run_dir)
    run_floor(args, runner, meta, run_dir)
