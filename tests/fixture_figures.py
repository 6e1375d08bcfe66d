"""fixture_figures.py - run folders whose figures have every case a figure must show
(tests/test_figures.sh, tests/test_web.sh).

    python3 tests/fixture_figures.py OUT_DIR

writes, each a run folder as the sweep leaves it (results.csv, meta.json, hgrm/,
rate/rate.csv; no binary runs), with every model of harness/models.def (never
listed here by hand):

- figs: four workloads.
    wcpu   CPU-bound, c = 1, 2, 16: throughput within 2x across models and
           levels (its axis must show more than one tic label);
    wsleep timer waits, c = 1, 64, 4096, 10000: every latency between 1000 and
           1100 us at c <= 64 (the latency-by-percentile axis must not start at
           1k with three models on its frame); the first model fails at 4096
           ("pthread_create: EAGAIN") and is "not run" at 10000, the second
           fails at 10000;
    wrpc   round trips, c = 1, 64, 256: the last three models are unsupported
           (n/a at every level), the fourth model's point at 256 is
           backend-bound (backend_util 0.97);
    wdead  every point failed (a backend that died): no figure, a section
           that says so;
  and rate/rate.csv: wsleep open and closed loop, where the first model falls
  behind (achieved under 95% of offered) at 120% load.
- one: the first model alone, wsleep at c = 4 (gnuplot 5.4.4 crashed, signal
  11, on a CSV of one row).
- one-cpu: the first model alone, wcpu at c = 1.
- dead: every point of every workload failed: no figure at all, a report
  that says so.
"""

import csv
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_runs  # noqa: E402  (tests/: the verdict fixtures)
from harness.sweep import models as models_def  # noqa: E402

COLS = fixture_runs.COLS + ["backend_util"]    # the verdict fixtures' columns, and one more
RATE_COLS = ["workload", "model", "mode", "concurrency", "load_pct", "offered", "status",
             "reason", "tasks", "runs", "throughput", "p50_us", "p90_us", "p99_us", "p999_us",
             "max_us", "mean_us", "p99_us_min", "p99_us_max", "run_checksum", "errors"]
WORKLOADS = {   # kind, work, delay_us, levels
    "wcpu": ("cpu", 900, 0, (1, 2, 16)),
    "wsleep": ("io", 0, 1000, (1, 64, 4096, 10000)),
    "wrpc": ("io", 0, 0, (1, 64, 256)),
    "wdead": ("io", 0, 1000, (1, 64)),
}
EAGAIN = "pthread_create: EAGAIN at 4000 threads (RLIMIT_NPROC)"
BACKEND_BOUND = 0.97


def registry():
    """The models, in the registry's order."""
    return [m["name"] for m in models_def.load()]


def ok_row(wl, m, c, i, thr, p50, p99, backend_util=None):
    """An ok point of model number i: medians with a 2% spread, memory
    growing with c."""
    kind, work, delay, _ = WORKLOADS[wl]
    rss = 3000 + 40 * c * (1 + i % 3)
    kmem = 100 + 16 * c
    r = dict.fromkeys(COLS, "")
    r.update(workload=wl, model=m, concurrency=c, status="ok", tasks=5000, runs=3,
             work=work, delay_us=delay, throughput=thr, throughput_min=thr * 0.98,
             throughput_max=thr * 1.02, throughput_cv=0.01, p50_us=p50, p50_us_min=p50 * 0.99,
             p50_us_max=p50 * 1.01, p90_us=(p50 + p99) / 2, p99_us=p99,
             p99_us_min=p99 * 0.98, p99_us_max=p99 * 1.02, p999_us=p99 * 1.1,
             max_us=p99 * 1.3, mean_us=p50 * 1.05, maxrss_kib=rss, maxrss_kib_min=rss - 8,
             maxrss_kib_max=rss + 8, kmem_kib=kmem, mem_source="cgroup-v2",
             threads=c + 1, utime_s=0.2, stime_s=0.05, wall_s=0.2, cv=0.01, noisy=0,
             outliers=0, littles_ratio=1.0, run_checksum="00000000000000aa", errors=0,
             backend_util="" if backend_util is None else backend_util)
    if c >= 64:
        base = 3000 + 40 * (1 + i % 3)
        r["rss_per_task_kib"] = (rss - base) / (c - 1)
        r["kmem_per_task_kib"] = 16.0
        r["mem_per_task_kib"] = r["rss_per_task_kib"] + 16.0
    return r


def failed_row(wl, m, c, reason):
    kind, work, delay, _ = WORKLOADS[wl]
    r = dict.fromkeys(COLS, "")
    r.update(workload=wl, model=m, concurrency=c, status="failed", reason=reason, tasks=5000,
             runs=0, work=work, delay_us=delay)
    return r


def figs_rows(names):
    """The rows of the figs run (module comment)."""
    rows = []
    for i, m in enumerate(names):            # wcpu: 20k..40k tasks/s, within 2x
        for c in WORKLOADS["wcpu"][3]:
            thr = 20000 * (1 + min(c, 2) / 2 * (0.5 + 0.5 * (i % 2))) * (1 + 0.02 * i)
            rows.append(ok_row("wcpu", m, c, i, thr, 50 * c, 70 * c * (1 + 0.1 * i)))
    for i, m in enumerate(names):            # wsleep: 1000..1100 us at c <= 64
        for c in WORKLOADS["wsleep"][3]:
            if i == 0 and c == 4096:
                rows.append(failed_row("wsleep", m, c, EAGAIN))
            elif i == 0 and c > 4096:
                rows.append(failed_row("wsleep", m, c, "not run: failed at c=4096 (%s)" % EAGAIN))
            elif i == 1 and c == 10000:
                rows.append(failed_row("wsleep", m, c, "pthread_create: EAGAIN"))
            else:
                lat = 1000 + 10 * i + (0 if c <= 64 else c / 10)
                rows.append(ok_row("wsleep", m, c, i, c / lat * 1e6 * 0.98, lat,
                                   lat * (1.01 + 0.01 * i) if c <= 64 else lat * 3))
    na = names[-3:]
    for i, m in enumerate(names):            # wrpc: three n/a models, one backend-bound point
        for c in WORKLOADS["wrpc"][3]:
            if m in na:
                rows.append(failed_row("wrpc", m, c, (
                    "unsupported on %s: hiredis's blocking API does its own reads" % m) if c == 1
                    else "not run: failed at c=1 (unsupported on %s: hiredis's blocking API)" % m))
            else:
                rows.append(ok_row("wrpc", m, c, i, 9000 * c ** 0.7, 100 * c ** 0.5,
                                   300 * c ** 0.6, BACKEND_BOUND if i == 3 and c == 256 else 0.3))
    for m in names:
        for c in WORKLOADS["wdead"][3]:
            rows.append(failed_row("wdead", m, c, "backend died: connection reset by peer"))
    return rows


def hgrm_text(lat_lo, lat_hi, n=2000):
    """A percentile distribution in HdrHistogram's format, from lat_lo at 0%
    to lat_hi at 99.99%."""
    lines = ["       Value   Percentile   TotalCount 1/(1-Percentile)", ""]
    p = 0.0
    while p < 0.9999:
        inv = 1 / (1 - p)
        v = lat_lo + (lat_hi - lat_lo) * (1 - 1 / inv ** 0.25)
        lines.append("%12.3f %12.6f %12d %12.2f" % (v, p, int(n * p), inv))
        p = 1 - (1 - p) / 2 ** 0.2     # five lines per halving, as HdrHistogram
    lines.append("%12.3f %12.6f %12d          inf" % (lat_hi, 1.0, n))
    lines.append("#[Mean    = %12.3f, StdDeviation   = %12.3f]" % ((lat_lo + lat_hi) / 2, 10.0))
    lines.append("#[Max     = %12.3f, Total count    = %12d]" % (lat_hi, n))
    lines.append("#[Buckets = %12d, SubBuckets     = %12d]" % (35, 128))
    return "\n".join(lines) + "\n"


def rate_rows(names):
    """wsleep's open-loop rows: the first model falls behind at 120%."""
    rows = []
    for i, m in enumerate(names):
        cap = 60000 + 1000 * i
        for c in (1, 64):
            r = dict.fromkeys(RATE_COLS, "")
            r.update(workload="wsleep", model=m, mode="closed", concurrency=c, status="ok",
                     tasks=1000, runs=3, throughput=cap * c / 64, p50_us=1000 + c,
                     p90_us=1050 + c, p99_us=1100 + c, p999_us=1200 + c, max_us=1300 + c,
                     mean_us=1010 + c, p99_us_min=1090 + c, p99_us_max=1110 + c, errors=0)
            rows.append(r)
        for pct in (50, 90, 120):
            behind = i == 0 and pct == 120
            offered = cap * pct / 100
            r = dict.fromkeys(RATE_COLS, "")
            r.update(workload="wsleep", model=m, mode="open", concurrency=64, load_pct=pct,
                     offered=offered, status="ok", tasks=1000, runs=3,
                     throughput=offered * (0.7 if behind else 0.99),
                     p50_us=1000 + pct * (200 if behind else 1), p90_us=1100 + pct,
                     p99_us=1200 + pct * (300 if behind else 2), p999_us=1300 + pct * 3,
                     max_us=1500 + pct * 4, mean_us=1050 + pct, errors=0)
            rows.append(r)
    return rows


def write_csv(path, cols, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, cols)
        w.writeheader()
        w.writerows(rows)


def seal(path):
    """meta.json's seal of a complete run's results.csv, as the sweep writes
    it (harness/sweep: rows and sha256): a report refuses a complete run
    without it."""
    with open(path, "rb") as f:
        data = f.read()
    return {"rows": data.decode("utf-8").count("\n") - 1,
            "sha256": hashlib.sha256(data).hexdigest()}


def write_run(d, rows, names, rate=None):
    """Run folder d: results.csv, meta.json, an .hgrm per ok point."""
    write_csv(os.path.join(d, "results.csv"), COLS, rows)
    wls = {}
    for r in rows:
        kind, work, delay, _ = WORKLOADS[r["workload"]]
        wls[r["workload"]] = {"kind": kind, "work": work, "delay_us": delay,
                              "summary": "the fixture's %s" % r["workload"]}
    meta = {"run_id": os.path.basename(d), "complete": True, "models": names,
            "host": {"cores": 2, "cpu_model": "fixture"},
            "params": {"runs": 3, "order": "interleaved"}, "workloads": wls,
            "results_csv": seal(os.path.join(d, "results.csv"))}
    if rate:
        write_csv(os.path.join(d, "rate", "rate.csv"), RATE_COLS, rate)
        # The open-loop sweep's section of meta.json, sealed as it seals it.
        meta["rate"] = {"complete": True,
                        "results_csv": seal(os.path.join(d, "rate", "rate.csv"))}
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f)
    os.makedirs(os.path.join(d, "hgrm"), exist_ok=True)
    for r in rows:
        if r["status"] == "ok":
            with open(os.path.join(d, "hgrm", "%s-%s-c%d.hgrm" % (
                    r["workload"], r["model"], r["concurrency"])), "w") as f:
                f.write(hgrm_text(r["p50_us"] * 0.95, r["p99_us"] * 1.2))


def main(out):
    names = registry()
    rows = figs_rows(names)
    write_run(os.path.join(out, "figs"), rows, names, rate_rows(names))
    write_run(os.path.join(out, "one"), [ok_row("wsleep", names[0], 4, 0, 3900, 1020, 1100)],
              names[:1])
    write_run(os.path.join(out, "one-cpu"), [ok_row("wcpu", names[0], 1, 0, 20000, 50, 70)],
              names[:1])
    write_run(os.path.join(out, "dead"), [r for r in rows if r["workload"] == "wdead"], names)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: fixture_figures.py OUT_DIR", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
