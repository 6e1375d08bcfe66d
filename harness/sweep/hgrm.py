"""hgrm.py - each point's latency histogram in HdrHistogram's percentile-distribution format.

Every counted run of a point appends its latency histogram to
hist/<tag>.jsonl (the model binary's --hist-out: one JSON line of nonzero
buckets, written after its clock stopped, the same for every model), keyed by
run_key like its stats line.  write_point() merges the histograms of the runs
the point counts (the stats lines it was given, found by run_key) and writes
hgrm/<tag>.hgrm: the table that HdrHistogram's outputPercentileDistribution
and wrk2 print and HdrHistogram's plotter reads,

           Value   Percentile   TotalCount 1/(1-Percentile)

        1013.759     0.000000            1         1.00
        ...
#[Mean    =     1182.004, StdDeviation   =       93.222]
#[Max     =     2534.651, Total count    =        11640]
#[Buckets =           35, SubBuckets     =          128]

Values are microseconds.  The runs' histograms (harness/runtime/hist.h) are
HdrHistogram's layout with 1 ns units and 128 sub-buckets (64 per octave
above 128 ns: a bucket is at most 1/64 of its value wide), so a line's Value
is, as in HdrHistogram, the highest value its bucket holds (never above the
exact maximum): the latency at or under which that Percentile of the tasks
completed.  Percentile steps as HdrHistogram's: TICKS_PER_HALF_DISTANCE lines
per halving of the distance to 100%.  Mean and Max are exact; StdDeviation
is from the buckets' midpoints.

Imports only common (a leaf); standard library otherwise.
"""

import json
import math
import os
import sys

from . import common

HIST_DIR = "hist"       # run_dir/hist/<tag>.jsonl: the runs' histogram lines
HGRM_DIR = "hgrm"       # run_dir/hgrm/<tag>.hgrm: the point's merged histogram
TICKS_PER_HALF_DISTANCE = 5  # HdrHistogram's and wrk2's default
VALUE_SCALE = 1000.0    # ns -> us
VALUE_DECIMALS = 3      # us with 3 decimals: whole nanoseconds


def point_tag(workload, model, c):
    """A closed-loop point's file name stem: WORKLOAD-MODEL-cC (its stats/,
    hist/ and hgrm/ files)."""
    return "%s-%s-c%d" % (workload, model, c)


def hist_file(run_dir, tag):
    """The --hist-out file of a point's runs, its folder made and any file
    of an earlier attempt at the point removed."""
    d = os.path.join(run_dir, HIST_DIR)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, tag + ".jsonl")
    if os.path.exists(path):
        os.unlink(path)
    return path


def bucket_bounds(i, sub_bits):
    """(lowest value, width) of bucket i, ns (hist_bucket_low/_width)."""
    sub = 1 << sub_bits
    if i < 2 * sub:
        return i, 1
    octave, k = divmod(i - 2 * sub, sub)
    return (sub + k) << (octave + 1), 1 << (octave + 1)


def read_hists(path):
    """{run_key: hist object} of a --hist-out file; lines that do not parse
    (a run killed mid-write) are skipped."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                try:
                    d = json.loads(line)
                    out[d["run_key"]] = d["hist"]
                except (ValueError, KeyError, TypeError):
                    pass
    except OSError:
        pass
    return out


def merge(hists):
    """One histogram (the hist_export fields, counts as {index: count}) from
    several of one layout.  ValueError when their layouts differ."""
    layouts = {(h["sub_bucket_bits"], h["buckets"]) for h in hists}
    if len(layouts) != 1:
        raise ValueError("histograms of different layouts: %s" % sorted(layouts))
    counts = {}
    for h in hists:
        c = h["counts"]
        for i, n in zip(c[0::2], c[1::2]):
            counts[i] = counts.get(i, 0) + n
    nonempty = [h for h in hists if h["total"]]
    return {"sub_bucket_bits": hists[0]["sub_bucket_bits"], "buckets": hists[0]["buckets"],
            "total": sum(h["total"] for h in hists), "sum_ns": sum(h["sum_ns"] for h in hists),
            "min_ns": min((h["min_ns"] for h in nonempty), default=0),
            "max_ns": max((h["max_ns"] for h in nonempty), default=0), "counts": counts}


def percentile_lines(h, ticks=TICKS_PER_HALF_DISTANCE):
    """[(value_ns, percentile 0..100, total count)] of merged histogram h,
    as HdrHistogram's percentile iteration reports them: from 0%, each
    nonzero bucket reports every step its cumulative count reaches (the
    last bucket one), then a final line at 100%."""
    total, bits = h["total"], h["sub_bucket_bits"]
    if total <= 0:
        return []
    lines, target, cum = [], 0.0, 0
    items = sorted(h["counts"].items())
    for k, (i, n) in enumerate(items):
        cum += n
        low, width = bucket_bounds(i, bits)
        value = min(low + width - 1, h["max_ns"])
        if k == len(items) - 1:
            lines.append((value, target, cum))
            break
        reached = 100.0 * cum / total
        while target <= reached:
            lines.append((value, target, cum))
            half = 2 ** (int(math.log2(100.0 / (100.0 - target))) + 1)
            target += 100.0 / (ticks * half)
    lines.append((lines[-1][0], 100.0, total))
    return lines


def value_at(h, pct):
    """The latency (ns) at or under which pct percent of merged histogram h's
    tasks completed: the highest value of the bucket where the cumulative
    count reaches pct (HdrHistogram's getValueAtPercentile), capped at the
    exact maximum; None for an empty histogram."""
    total = h["total"]
    if total <= 0:
        return None
    want = max(1, math.ceil(total * pct / 100.0))
    cum = 0
    for i, n in sorted(h["counts"].items()):
        cum += n
        if cum >= want:
            low, width = bucket_bounds(i, h["sub_bucket_bits"])
            return min(low + width - 1, h["max_ns"])
    return h["max_ns"]


def render(h):
    """The .hgrm text of merged histogram h (module comment)."""
    total = h["total"]
    out = ["%12s %12s %12s %12s" % ("Value", "Percentile", "TotalCount", "1/(1-Percentile)"), ""]
    for value, pct, count in percentile_lines(h):
        p = pct / 100.0
        inv = 1.0 / (1.0 - p) if p < 1.0 else float("inf")
        out.append("%12.*f %12f %12d %12.2f" % (VALUE_DECIMALS, value / VALUE_SCALE, p, count,
                                                 inv))
    mean = h["sum_ns"] / total if total else 0.0
    var = 0.0
    for i, n in h["counts"].items():
        low, width = bucket_bounds(i, h["sub_bucket_bits"])
        var += n * (low + width / 2.0 - mean) ** 2
    std = math.sqrt(var / total) if total else 0.0
    sub_buckets = 2 << h["sub_bucket_bits"]
    d = VALUE_DECIMALS
    out += ["#[Mean    = %12.*f, StdDeviation   = %12.*f]" % (d, mean / VALUE_SCALE, d,
                                                              std / VALUE_SCALE),
            "#[Max     = %12.*f, Total count    = %12d]" % (d, h["max_ns"] / VALUE_SCALE, total),
            "#[Buckets = %12d, SubBuckets     = %12d]" % (
                h["buckets"] // (sub_buckets // 2) - 1, sub_buckets)]
    return "\n".join(out) + "\n"


def write_point(run_dir, tag, counted, path):
    """Merge the histograms (in path, a hist_file) of the counted runs
    (their stats lines, with run_key) into run_dir/hgrm/<tag>.hgrm.
    Returns the file's path, or None after one line on stderr saying why
    not (a histogram missing: the point's figures stand, its .hgrm is not
    written rather than written from fewer runs)."""
    hists = read_hists(path)
    keys = [s.get("run_key") for s in counted]
    missing = [k for k in keys if k not in hists]
    why = None
    if not counted:
        why = "no counted run"
    elif missing:
        why = "no histogram for %d of its %d counted runs in %s" % (
            len(missing), len(keys), common.rel(path))
    else:
        try:
            merged = merge([hists[k] for k in keys])
        except (ValueError, KeyError, TypeError) as e:
            why = "its histograms cannot be merged: %s" % e
    if why:
        print("bench: %s: no .hgrm: %s" % (tag, why), file=sys.stderr)
        return None
    d = os.path.join(run_dir, HGRM_DIR)
    os.makedirs(d, exist_ok=True)
    out = os.path.join(d, tag + ".hgrm")
    common.write_atomic(out, render(merged))
    return out
