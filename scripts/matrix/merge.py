"""merge.py - one latency histogram per machine and point, its replicas' counts added.

Replicas of one machine type (several runs of one label) ran the same points;
their latency distributions combine by adding the histograms' counts, bucket
by bucket (harness/sweep/hgrm.py merge(): the runs' hist/TAG.jsonl lines
that each run's point counted, found by their run_key, as the sweep merges a
point's own runs).  Percentiles are read from the merged histogram, never
averaged over runs: the mean of two p99s is no one's p99.  A point merges
only when every replica has it with all its counted runs' histograms; else
it is listed as not merged, with why, rather than merged from fewer runs.

    merge_machine(machine, out_dir) -> [{workload, model, c, runs, total,
        p50_us, p99_us, p999_us, max_us, file}], [{workload, model, c, why}]

Writes OUT_DIR/hgrm/LABEL/TAG.hgrm (HdrHistogram's percentile-distribution
format, which its plotter reads).

Imports harness.sweep.hgrm, scripts.report's data and sure.
"""

import os

from harness.sweep import hgrm
from scripts.report.data import rows_for
from scripts.report.sure import RUNS_KEY

PERCENTILES = (("p50_us", 50.0), ("p99_us", 99.0), ("p999_us", 99.9))


def run_hists(run, row):
    """The histograms of the runs one point of a run counted, or (None, why)."""
    counted = row.get(RUNS_KEY) or []
    if not counted:
        return None, "%s: no counted runs recorded (stats/)" % run["name"]
    tag = hgrm.point_tag(row["workload"], row["model"], row["concurrency"])
    found = hgrm.read_hists(os.path.join(run["dir"], hgrm.HIST_DIR, tag + ".jsonl"))
    keys = [s.get("run_key") for s in counted]
    lost = [k for k in keys if k not in found]
    if lost:
        return None, "%s: no histogram for %d of its %d counted runs" % (
            run["name"], len(lost), len(keys))
    return [found[k] for k in keys], None


def merge_machine(m, out_dir):
    """Merge each point of machine m over its runs (module comment)."""
    points = {}
    for run in m["runs"]:
        for row in rows_for(run["rows"], ok_only=True):
            points.setdefault((row["workload"], row["model"], row["concurrency"]), []).append(
                (run, row))
    merged, skipped = [], []
    folder = os.path.join(out_dir, hgrm.HGRM_DIR, m["label"])
    for (wl, model, c), got in sorted(points.items(), key=lambda kv: (kv[0][0], kv[0][1],
                                                                      kv[0][2])):
        base = {"workload": wl, "model": model, "c": c}
        if len(got) < len(m["runs"]):
            skipped.append(dict(base, why="ok in %d of the %d runs" % (len(got),
                                                                       len(m["runs"]))))
            continue
        hists, why = [], None
        for run, row in got:
            h, why = run_hists(run, row)
            if h is None:
                break
            hists += h
        if why is None:
            try:
                h = hgrm.merge(hists)
            except (ValueError, KeyError, TypeError) as e:
                why = "histograms cannot be merged: %s" % e
        if why:
            skipped.append(dict(base, why=why))
            continue
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, hgrm.point_tag(wl, model, c) + ".hgrm")
        tmp = path + ".tmp.%d" % os.getpid()
        with open(tmp, "w") as f:
            f.write(hgrm.render(h))
        os.replace(tmp, path)
        entry = dict(base, runs=len(got), hists=len(hists), total=h["total"],
                     max_us=h["max_ns"] / hgrm.VALUE_SCALE,
                     file=os.path.relpath(path, out_dir))
        for key, pct in PERCENTILES:
            v = hgrm.value_at(h, pct)
            entry[key] = None if v is None else v / hgrm.VALUE_SCALE
        merged.append(entry)
    return merged, skipped
