"""fixture_runs.py - synthetic run folders for the verdict tests (test_verdicts.sh, test_claims.sh).

    python3 tests/fixture_runs.py OUT_DIR
    judged(ROOT, RUN_DIR) -> {claim key: verdict dict}

writes OUT_DIR/{confirm,refute,noise,notshown,bare}/, each a run folder as the
sweep leaves it: results.csv (medians, min/max), stats/WORKLOAD-MODEL-cC.jsonl
(a warm-up line, then 3 counted runs), meta.json (pairs with their declared
floors and claims), calibration.csv (with the switch figures), and
onecpu/results.csv with its stats.  No binary runs.

- confirm: every claim, the design's and the contested ones, clearly true
  (runs within 1% of their median);
- refute: every claim clearly false;
- noise: confirm's medians with the runs spread +-40% (the calibration's
  min..max too): every claim decided by an interval is INCONCLUSIVE;
- notshown: threads and async only, no core count, no switch figures, no
  one-CPU sweep, no file pair: every claim NOT SHOWN, naming what is missing;
- bare: confirm without stats/ (an older run): min..max ranges, "interval
  not measured";
- loaded: confirm's figures on a machine that other processes held (the
  fingerprint's cpu_use: 1.5 of the 2 cores): not fit to decide anything.

Every run but notshown (no core count) carries a synthetic fingerprint of
the CPU over the run (meta.json host.cpu_use, as harness/sweep/fingerprint.py
writes it): QUIET, or LOADED for the loaded run.

Workload names say nothing: the rules pick pairs by the claims they declare.
A pair "wz" that declares no claim carries data that would refute the I/O
claim if it voted.
"""

import csv
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness.sweep.rundir import results_seal  # noqa: E402  the sweep's own seal

COLS = ["workload", "model", "concurrency", "status", "reason", "tasks", "runs", "work",
        "delay_us", "throughput", "throughput_min", "throughput_max", "throughput_cv",
        "p50_us", "p50_us_min", "p50_us_max", "p90_us", "p99_us", "p99_us_min", "p99_us_max",
        "p999_us", "max_us", "mean_us", "maxrss_kib", "maxrss_kib_min", "maxrss_kib_max",
        "rss_per_task_kib", "kmem_kib", "kmem_per_task_kib", "mem_per_task_kib", "mem_source",
        "threads", "utime_s", "stime_s", "wall_s", "cv", "noisy", "outliers", "littles_ratio",
        "run_checksum", "errors"]
MODELS = ["threads", "async", "async-mt", "hybrid", "green", "uring"]
PER_TASK_MIN_C = 64     # as harness/sweep/point.py: per-task memory from c = 64
# host.cpu_use over a run, in cores (fingerprint.cpu_use): a quiet machine,
# and one where other processes held 1.5 of the 2 cores.
QUIET = {"wall_s": 60.0, "own": 1.2, "busy": 1.25, "others": 0.05, "steal": 0.0, "irq": 0.05,
         "idle": 0.7}
LOADED = dict(QUIET, busy=2.0, own=0.5, others=1.5, idle=0.0)


def reseal(d):
    """After a test edited d/results.csv on purpose: seal it again, as the
    sweep seals a complete run (a report refuses an edited, unsealed one)."""
    p = os.path.join(d, "meta.json")
    meta = json.load(open(p))
    meta["results_csv"] = results_seal(os.path.join(d, "results.csv"))
    json.dump(meta, open(p, "w"))


def runs_of(v, s, up=True):
    """Three runs whose median is v, spread +-s."""
    lo, hi = v * (1 - s), v * (1 + s)
    return [lo, v, hi] if up else [hi, v, lo]


def write_run(d, wls, points, cores=2, spread=0.01, mem_spread=0.0, stats=True, cal=None,
              onecpu=None, data_file=None, cpu_use=QUIET):
    """Write run folder d.  wls: {wl: dict(kind, work, delay_us, needs_backend,
    floor, claims[, cache, variant_of])}; points: (wl, model, c, thr, p99, rss,
    kmem) or (wl, model, c, "failed", reason)."""
    os.makedirs(os.path.join(d, "stats"), exist_ok=True)
    base = {(p[0], p[1]): p for p in points if p[3] != "failed" and p[2] == 1}
    rows = []
    for p in points:
        wl, model, c = p[:3]
        w = wls[wl]
        r = dict.fromkeys(COLS, "")
        r.update(workload=wl, model=model, concurrency=c, work=w["work"],
                 delay_us=w["delay_us"], runs=3, tasks=5000)
        if p[3] == "failed":
            r.update(status="failed", reason=p[4])
            rows.append(r)
            continue
        thr, p99, rss, kmem = p[3:7]
        thr_runs, p99_runs = runs_of(thr, spread), runs_of(p99, spread, False)
        rss_runs, kmem_runs = runs_of(rss, mem_spread), runs_of(kmem, mem_spread)
        busy = w["kind"] == "cpu" and model in ("threads", "async-mt") and c >= 2
        r.update(status="ok", throughput=thr, throughput_min=min(thr_runs),
                 throughput_max=max(thr_runs), throughput_cv=spread, cv=spread,
                 p50_us=p99 / 2, p50_us_min=p99 / 2, p50_us_max=p99 / 2, p90_us=p99 * 0.8,
                 p99_us=p99, p99_us_min=min(p99_runs), p99_us_max=max(p99_runs),
                 p999_us=p99 * 1.2, max_us=p99 * 1.5, mean_us=c / thr * 1e6,
                 maxrss_kib=rss, maxrss_kib_min=min(rss_runs), maxrss_kib_max=max(rss_runs),
                 kmem_kib=kmem, mem_source="cgroup-v2", threads=c + 1 if model == "threads" else 2,
                 utime_s=0.38 if busy else 0.2, stime_s=0, wall_s=0.2, noisy=0, outliers=0,
                 littles_ratio=1.0, run_checksum="00000000000000aa", errors=0)
        b = base.get((wl, model))
        if b and c >= PER_TASK_MIN_C:
            r["rss_per_task_kib"] = (rss - b[5]) / (c - 1)
            r["kmem_per_task_kib"] = (kmem - b[6]) / (c - 1)
            r["mem_per_task_kib"] = r["rss_per_task_kib"] + r["kmem_per_task_kib"]
        rows.append(r)
        if stats:
            with open(os.path.join(d, "stats", "%s-%s-c%s.jsonl" % (wl, model, c)), "w") as f:
                for i in [1, 0, 1, 2]:      # the warm-up first, then the 3 counted runs
                    f.write(json.dumps({
                        "workload": wl, "model": model, "concurrency": c, "status": "ok",
                        "throughput": thr_runs[i], "p50_us": p99_runs[i] / 2,
                        "p99_us": p99_runs[i], "maxrss_kib": rss_runs[i],
                        "kmem_kib": kmem_runs[i], "checksum": "00000000000000aa"}) + "\n")
    with open(os.path.join(d, "results.csv"), "w", newline="") as f:
        wr = csv.DictWriter(f, COLS)
        wr.writeheader()
        wr.writerows(rows)
    # Sealed as the sweep seals a complete run: a report refuses a complete
    # run without its seal.
    meta = {"run_id": os.path.basename(d), "complete": True, "models": MODELS,
            "results_csv": results_seal(os.path.join(d, "results.csv")),
            "params": {"runs": 3},
            "workloads": {wl: dict(w, summary=wl) for wl, w in wls.items()}}
    if cores:
        meta["host"] = {"cores": cores, "cpu_model": "test", "cpu_use": cpu_use,
                        "load": {"start": [0.2, 0.2, 0.2], "max_1min": 1.9,
                                 "end": [0.9, 0.5, 0.3], "samples": 20, "over_cores": 0}}
    if data_file:
        meta["data_file"] = data_file
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f)
    if cal is not None:
        with open(os.path.join(d, "calibration.csv"), "w") as f:
            f.write("name,value,unit,what\n")
            for name, v, lo, hi in cal:
                f.write('%s,%s,ns,"%s; cal_median of 3 (min %s max %s)"\n' % (name, v, name, lo, hi))
    if onecpu:
        write_run(os.path.join(d, "onecpu"), wls, onecpu, cores, spread, mem_spread, stats)
        os.unlink(os.path.join(d, "onecpu", "meta.json"))
        # The section's record and seal in the run's meta.json, as
        # harness/sweep/onecpu.py writes them (a report checks the file by it).
        meta["onecpu"] = {"status": "ok", "file": "onecpu/results.csv",
                          "results_csv": results_seal(os.path.join(d, "onecpu", "results.csv"))}
        with open(os.path.join(d, "meta.json"), "w") as f:
            json.dump(meta, f)
    return rows


def pair(kind, work, delay, backend, floor, claims, **kw):
    return dict(kind=kind, work=work, delay_us=delay, needs_backend=backend, floor=floor,
                claims=claims, **kw)


WLS = {
    "wa": pair("cpu", 900, 0, False, "round_trips:0,timer_waits:0,work_is_cpu_hash:1,cpu_ns:0",
               "parallel,latency,length,mt,onecpu"),
    "wb": pair("io", 0, 1000, False, "round_trips:0,timer_waits:1,work_is_cpu_hash:0,cpu_ns:0",
               "io,memory,green,capriccio,jep444,matklad,onecpu"),
    "wr": pair("io", 0, 1000, True, "round_trips:1,timer_waits:0,work_is_cpu_hash:0,cpu_ns:0",
               "io,tyma,uring"),
    "wc": pair("io", 3600, 1000, True, "round_trips:1,timer_waits:0,work_is_cpu_hash:1,cpu_ns:0",
               "length,stall,mix,memory"),
    "wf": pair("io", 0, 0, False, "none", "files", cache="warm"),
    "wf-cold": pair("io", 0, 0, False, "none", "files", cache="cold", variant_of="wf"),
    "wz": pair("io", 0, 1000, False, "none", "none"),
}
DATA_FILE = {"path": "/var/tmp/tvsa/data-1024.bin", "fstype": "ext4", "device": "/dev/vda1",
             "mib": 1024}
# The floors' terms (scripts/report/floors.py) are the least the machine took,
# so every point of these runs lies under its floor (test_claims.sh checks it):
# the round trip's CPU batched (2.5 us: the runs' round trips reach 700k/s on
# "2 cores"), the least round trip under its median.
CAL_BASE = [("tcp_rtt_us", 12, 12, 12), ("wake_overshoot_us", 60, 60, 60),
            ("tcp_rtt_min_us", 11, 11, 11),
            ("cpu_hash_unit_ns", 55, 55, 55), ("timer_event_ns", 300, 300, 300),
            ("timer_cpu_ns", 250, 250, 250), ("rpc_cpu_us", 12, 12, 12),
            ("rpc_cpu_batch_us", 2.5, 2.5, 2.5), ("hist_record_ns", 10, 10, 10),
            ("cores", 2, 2, 2)]


def switch(threads, pinned, asy, asy_io, green, green_io, s):
    return [(n, v, v * (1 - s), v * (1 + s)) for n, v in (
        ("switch_threads_unpinned_ns", threads), ("switch_threads_pinned_ns", pinned),
        ("switch_async_ns", asy), ("switch_async_io_ns", asy_io),
        ("switch_green_ns", green), ("switch_green_io_ns", green_io))]


CONFIRM = [
    # wa: CPU work.  threads and async-mt scale to 2 cores, one loop stays flat;
    # at c = cores threads' p99 is the lowest; above, async's (short tasks).
    ("wa", "threads", 1, 20000, 70, 3000, 100), ("wa", "threads", 2, 39000, 72, 3000, 100),
    ("wa", "threads", 16, 38500, 20000, 3100, 200), ("wa", "threads", 64, 38000, 24000, 3800, 600),
    ("wa", "async", 1, 20000, 65, 3000, 100), ("wa", "async", 2, 20100, 130, 3000, 100),
    ("wa", "async", 16, 20000, 900, 3000, 100), ("wa", "async", 64, 20000, 3400, 3000, 100),
    ("wa", "async-mt", 1, 20000, 65, 3000, 100), ("wa", "async-mt", 2, 39500, 70, 3000, 100),
    ("wa", "async-mt", 16, 39000, 500, 3000, 100), ("wa", "async-mt", 64, 39000, 1800, 3000, 100),
    # wb: timer waits.  threads fail at 10,000; green matches the loop.
    ("wb", "threads", 1, 950, 1100, 3000, 100), ("wb", "threads", 16, 15000, 1200, 3100, 600),
    ("wb", "threads", 256, 150000, 3000, 4000, 7000),
    ("wb", "threads", 10000, "failed", "pthread_create: EAGAIN at 9000 threads"),
    ("wb", "async", 1, 940, 1100, 3000, 100), ("wb", "async", 16, 15200, 1100, 3000, 100),
    ("wb", "async", 256, 240000, 1100, 3050, 150), ("wb", "async", 10000, 2000000, 5000, 4000, 900),
    ("wb", "green", 1, 945, 1100, 3000, 100), ("wb", "green", 16, 15100, 1100, 3050, 120),
    ("wb", "green", 256, 235000, 1150, 3600, 600),
    ("wb", "green", 10000, 1980000, 5200, 4500, 1300),
    # wr: round trips.  threads ahead up to 1,024 (Tyma), async far ahead at
    # 4,096; uring ahead of both epoll loops.
    ("wr", "threads", 1, 900, 1300, 3000, 100), ("wr", "threads", 16, 14000, 1300, 3100, 500),
    ("wr", "threads", 256, 200000, 1500, 4000, 9000),
    ("wr", "threads", 4096, 300000, 20000, 9000, 100000),
    ("wr", "async", 1, 890, 1300, 3000, 100), ("wr", "async", 16, 12000, 1400, 3000, 200),
    ("wr", "async", 256, 160000, 2000, 3100, 2000), ("wr", "async", 4096, 600000, 8000, 3500, 30000),
    ("wr", "green", 1, 880, 1320, 3000, 100), ("wr", "green", 4096, 620000, 8000, 5000, 31000),
    ("wr", "uring", 1, 900, 1250, 3000, 100), ("wr", "uring", 4096, 700000, 7000, 5200, 31000),
    # wc: a round trip then CPU work: one loop stalls, the hybrid mixes.
    ("wc", "threads", 1, 800, 1500, 3000, 100), ("wc", "threads", 16, 6000, 8000, 3200, 300),
    ("wc", "threads", 64, 7000, 15000, 3800, 1500), ("wc", "threads", 256, 7000, 50000, 6000, 9000),
    ("wc", "async", 1, 750, 1600, 3000, 100), ("wc", "async", 16, 4200, 16000, 3000, 120),
    ("wc", "async", 64, 4200, 30000, 3010, 150), ("wc", "async", 256, 4200, 120000, 3050, 200),
    ("wc", "hybrid", 1, 800, 1400, 3000, 100), ("wc", "hybrid", 16, 6500, 5000, 3000, 120),
    ("wc", "hybrid", 64, 7200, 12000, 3100, 150), ("wc", "hybrid", 256, 7100, 45000, 3200, 200),
    # wf: file reads, warm and cold: the loop no faster than threads.
    ("wf", "threads", 1, 20000, 100, 3000, 100), ("wf", "threads", 256, 300000, 2000, 4000, 7000),
    ("wf", "async", 1, 19000, 100, 3000, 100), ("wf", "async", 256, 250000, 1500, 3000, 100),
    ("wf", "uring", 1, 19500, 100, 3000, 100), ("wf", "uring", 256, 320000, 1400, 3500, 300),
    ("wf-cold", "threads", 1, 2000, 900, 3000, 100),
    ("wf-cold", "threads", 256, 60000, 9000, 4000, 7000),
    ("wf-cold", "async", 1, 1900, 950, 3000, 100), ("wf-cold", "async", 256, 20000, 90000, 3000, 100),
    # wz declares nothing: were it to vote, async would lose the I/O claim.
    ("wz", "threads", 1, 950, 1100, 3000, 100), ("wz", "threads", 256, 200000, 1500, 4000, 7000),
    ("wz", "async", 1, 940, 1100, 3000, 100), ("wz", "async", 256, 50000, 9000, 3000, 100),
]
ONECPU_CONFIRM = [
    ("wa", "threads", 1, 20000, 70, 3000, 100), ("wa", "threads", 16, 20000, 20000, 3100, 200),
    ("wa", "async", 1, 20500, 65, 3000, 100), ("wa", "async", 16, 22000, 900, 3000, 100),
    ("wb", "threads", 1, 950, 1100, 3000, 100), ("wb", "threads", 16, 14000, 1300, 3100, 600),
    ("wb", "async", 1, 945, 1100, 3000, 100), ("wb", "async", 16, 15500, 1100, 3000, 100),
]

REFUTE = [
    # wa: nobody scales; threads' p99 is the worst at c = cores; async-mt flat.
    ("wa", "threads", 1, 20000, 70, 3000, 100), ("wa", "threads", 2, 21000, 200, 3000, 100),
    ("wa", "threads", 16, 20500, 500, 3100, 200), ("wa", "threads", 64, 20000, 2000, 3600, 400),
    ("wa", "async", 1, 20000, 65, 3000, 100), ("wa", "async", 2, 20100, 100, 3000, 100),
    ("wa", "async", 16, 20000, 1000, 3100, 100), ("wa", "async", 64, 20000, 4000, 3300, 100),
    ("wa", "async-mt", 1, 20000, 65, 3000, 100), ("wa", "async-mt", 2, 20500, 100, 3000, 100),
    ("wa", "async-mt", 16, 20300, 1000, 3000, 100), ("wa", "async-mt", 64, 20000, 4000, 3000, 100),
    # wb: threads ahead and cheap; green slower than both.
    ("wb", "threads", 1, 950, 1100, 3000, 100), ("wb", "threads", 16, 15000, 1200, 3000, 100),
    ("wb", "threads", 256, 200000, 1300, 3400, 300),
    ("wb", "threads", 10000, 300000, 30000, 13000, 2000),
    ("wb", "async", 1, 940, 1100, 3000, 100), ("wb", "async", 16, 14000, 1300, 3000, 100),
    ("wb", "async", 256, 150000, 1700, 3200, 150), ("wb", "async", 10000, 200000, 50000, 11000, 1500),
    ("wb", "green", 1, 940, 700, 3000, 100), ("wb", "green", 16, 9000, 1200, 3000, 100),
    ("wb", "green", 256, 90000, 3000, 3000, 100), ("wb", "green", 10000, 100000, 99000, 3100, 100),
    # wr: async ahead at every level (no Tyma); uring behind green.
    ("wr", "threads", 1, 900, 1300, 3000, 100), ("wr", "threads", 16, 10000, 1600, 3100, 500),
    ("wr", "threads", 256, 100000, 3000, 4000, 9000),
    ("wr", "async", 1, 890, 1300, 3000, 100), ("wr", "async", 16, 12000, 1400, 3000, 200),
    ("wr", "async", 256, 60000, 5000, 3100, 2000),
    ("wr", "green", 1, 880, 1320, 3000, 100), ("wr", "green", 256, 400000, 800, 3300, 2100),
    ("wr", "uring", 1, 900, 1250, 3000, 100), ("wr", "uring", 256, 300000, 1000, 3400, 2100),
    # wc: the loop's p99 is the lowest; the hybrid loses throughput.
    ("wc", "threads", 1, 800, 1500, 3000, 100), ("wc", "threads", 16, 6000, 16000, 3200, 150),
    ("wc", "threads", 64, 7000, 30000, 3500, 170), ("wc", "threads", 256, 7000, 120000, 4000, 200),
    ("wc", "async", 1, 750, 1600, 3000, 100), ("wc", "async", 16, 4200, 8000, 3100, 110),
    ("wc", "async", 64, 4200, 15000, 3300, 130), ("wc", "async", 256, 4200, 50000, 3700, 150),
    ("wc", "hybrid", 1, 700, 2000, 3000, 100), ("wc", "hybrid", 16, 3000, 20000, 3000, 100),
    ("wc", "hybrid", 64, 3000, 60000, 3000, 100), ("wc", "hybrid", 256, 3000, 200000, 3000, 100),
    # wf: the loop reads twice as fast.
    ("wf", "threads", 1, 20000, 100, 3000, 100), ("wf", "threads", 256, 200000, 2000, 4000, 7000),
    ("wf", "async", 1, 21000, 100, 3000, 100), ("wf", "async", 256, 400000, 1500, 3000, 100),
]
ONECPU_REFUTE = [
    ("wa", "threads", 1, 20000, 70, 3000, 100), ("wa", "threads", 16, 20000, 20000, 3100, 200),
    ("wa", "async", 1, 15000, 65, 3000, 100), ("wa", "async", 16, 15000, 900, 3000, 100),
]

NOTSHOWN_WLS = {
    "wa": pair("cpu", 900, 0, False, "none", "parallel,latency,length,mt,onecpu"),
    "wb": pair("io", 0, 1000, False, "none", "memory,green,capriccio,jep444,matklad"),
}
NOTSHOWN = [
    ("wa", "threads", 1, 20000, 70, 3000, 100), ("wa", "threads", 2, 39000, 72, 3000, 100),
    ("wa", "async", 1, 20000, 65, 3000, 100), ("wa", "async", 2, 20100, 130, 3000, 100),
    ("wb", "threads", 1, 950, 1100, 3000, 100), ("wb", "threads", 16, 15000, 1200, 3100, 100),
    ("wb", "async", 1, 950, 1100, 3000, 100), ("wb", "async", 16, 15000, 1100, 3000, 100),
]


def main(out):
    write_run(os.path.join(out, "confirm"), WLS, CONFIRM, data_file=DATA_FILE,
              cal=CAL_BASE + switch(1700, 1500, 200, 1600, 150, 1550, 0.02),
              onecpu=ONECPU_CONFIRM)
    write_run(os.path.join(out, "refute"), {k: v for k, v in WLS.items() if k not in
                                            ("wf-cold", "wz")}, REFUTE, data_file=DATA_FILE,
              cal=CAL_BASE + switch(400, 5000, 300, 280, 100, 250, 0.02), onecpu=ONECPU_REFUTE)
    # The noise run: no thread failure (memory is judged on its figures), and
    # short and long tasks' p99 ratios near 1 (10x apart they stay clear
    # even at +-40%).
    near = {("wa", "async", 16): 18000, ("wa", "async", 64): 22000,
            ("wc", "async", 16): 8800, ("wc", "async", 64): 16500, ("wc", "async", 256): 55000}
    noisy = [p[:4] + (near.get(p[:3], p[4]),) + p[5:] for p in CONFIRM
             if p[:3] != ("wb", "threads", 10000)]
    write_run(os.path.join(out, "noise"), WLS, noisy, spread=0.4, mem_spread=0.4,
              data_file=DATA_FILE, cal=CAL_BASE + switch(1700, 1500, 200, 1600, 150, 1550, 0.9),
              onecpu=ONECPU_CONFIRM)
    write_run(os.path.join(out, "notshown"), NOTSHOWN_WLS, NOTSHOWN, cores=None, cal=CAL_BASE)
    write_run(os.path.join(out, "loaded"), WLS, CONFIRM, data_file=DATA_FILE,
              cal=CAL_BASE + switch(1700, 1500, 200, 1600, 150, 1550, 0.02),
              onecpu=ONECPU_CONFIRM, cpu_use=LOADED)
    bare = os.path.join(out, "bare")
    shutil.copytree(os.path.join(out, "confirm"), bare)
    shutil.rmtree(os.path.join(bare, "stats"))
    shutil.rmtree(os.path.join(bare, "onecpu", "stats"))


if __name__ == "__main__":
    main(sys.argv[1])


def judged(root, d):
    """Every verdict of run folder d as the report reads it (build.py's
    loading: results.csv and its runs, meta.json, calibration, the one-CPU
    sweep): {key: {claim, verdict, sure, say, evidence[, source]}}.  root:
    the project, put on the module path."""
    sys.path.insert(0, root)
    from scripts.report import build, claims, contested, load, rate
    rows = build.load_rows(d)
    meta = load.load_meta(os.path.join(d, load.META_JSON))
    cal = load.load_calibration(d)[0]
    return {v["key"]: v for v in claims.verdicts(rows, meta, rate.load(d)) +
            contested.verdicts(rows, meta, build.load_extra(d, cal))}
