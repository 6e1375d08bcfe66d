"""figures.py - the machines' curves on one plot per workload and model (scripts/plot_matrix.gp).

For each workload: OUT/data/WORKLOAD.csv (series, model, concurrency,
throughput, p99_us: the ok points of every run, each run a series named by
its machine, a replica LABEL#2) and OUT/WORKLOAD.png/.svg, a panel per model
with one curve per series: the machines' throughput and p99 side by side.
A machine keeps one colour in every figure; its replicas are dashed.
gnuplot is driven as the report drives it (scripts/report/plots.py: drawn
to a temporary name, renamed when whole; a missing, failing or hung gnuplot
is a ReportError, one line).

Imports scripts.report's data, plots.
"""

import csv
import os

from scripts.report.data import models, rows_for, workloads
from scripts.report.plots import FORMATS, SCRIPTS_DIR, draw

PLOT_MATRIX_GP = os.path.join(SCRIPTS_DIR, "plot_matrix.gp")
DATA_DIR = "data"
# One colour per machine (Okabe-Ito, then greys), in the matrix's column order.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000",
           "#999999")
COLUMNS = ("series", "model", "concurrency", "throughput", "p99_us")


def series(machines):
    """[(name, run, colour, dash)]: one per run; a machine's first run is
    named by its label, a replica LABEL#k, dashed."""
    out = []
    for i, m in enumerate(machines):
        for k, run in enumerate(m["runs"], 1):
            out.append((m["label"] if k == 1 else "%s#%d" % (m["label"], k), run,
                        COLOURS[i % len(COLOURS)], 1 if k == 1 else 2))
    return out


def write_data(path, wl, ser):
    """The data file of one workload (module comment); returns the models
    with an ok point, in the first run's registry order."""
    seen = []
    tmp = path + ".tmp.%d" % os.getpid()
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for name, run, _, _ in ser:
            for r in rows_for(run["rows"], workload=wl, ok_only=True):
                w.writerow([name, r["model"], r["concurrency"], r["throughput"], r["p99_us"]])
                if r["model"] not in seen:
                    seen.append(r["model"])
    os.replace(tmp, path)
    order = []
    for _, run, _, _ in ser:
        order += [m for m in models(run["rows"], run["meta"]) if m in seen and m not in order]
    return order


def draw_all(machines, out_dir):
    """Every workload's figure; returns [{workload, models, files, data}]."""
    ser = series(machines)
    wls = []
    for _, run, _, _ in ser:
        wls += [w for w in workloads(run["rows"]) if w not in wls]
    os.makedirs(os.path.join(out_dir, DATA_DIR), exist_ok=True)
    drawn = []
    for wl in wls:
        data = os.path.join(out_dir, DATA_DIR, wl + ".csv")
        ms = write_data(data, wl, ser)
        if not ms:
            continue
        draw(out_dir, wl, PLOT_MATRIX_GP, {
            "dat": data, "wl": wl, "models": " ".join(ms),
            "series": " ".join(s[0] for s in ser), "colors": " ".join(s[2] for s in ser),
            "dts": " ".join(str(s[3]) for s in ser),
            "ttl": "%s: throughput and p99 on %d machine%s" % (
                wl, len(machines), "" if len(machines) == 1 else "s")})
        drawn.append({"workload": wl, "models": ms, "data": os.path.relpath(data, out_dir),
                      "files": ["%s.%s" % (wl, f) for f in FORMATS]})
    return drawn
