"""spectrum.py - latency by percentile per workload, from the run's .hgrm files.

The sweep writes each point's merged latency histogram as
hgrm/WORKLOAD-MODEL-cC.hgrm in HdrHistogram's percentile-distribution format
(harness/sweep/hgrm.py).  Here each workload gets WORKLOAD-spectrum.png/.svg
(scripts/plot_spectrum.gp): latency against percentile, 50% to 99.99% on
HdrHistogram's 1/(1-P) log axis, every model side by side at one
concurrency: the highest one at which every model of the workload has a
.hgrm (else the one with the most models, the highest of those).

The files are read as HdrHistogram's plotter reads them: a line not starting
with '#' with four fields, Value (us) first and 1/(1-Percentile) last, both
numbers (the 100% line's "inf" is not one).  A workload without any .hgrm (an
older run) gets no figure and the report says so.
"""

import math
import os
import tempfile

from harness.sweep.hgrm import HGRM_DIR, point_tag

from .data import model_styles, models, rows_for, workloads
from .marks import padded_log_range
from .plots import PLOT_SPECTRUM_GP, draw as draw_figure, model_variables, trace_variables

SUFFIX = "-spectrum"        # WORKLOAD-spectrum.png / .svg
X_LO, X_HI = 2.0, 10000.0   # 1/(1-P) of 50% and 99.99%: the figure's range


def hgrm_path(run_dir, workload, model, c):
    """Where the sweep writes one point's .hgrm."""
    return os.path.join(run_dir, HGRM_DIR, point_tag(workload, model, c) + ".hgrm")


def read_hgrm(path):
    """[(1/(1-P), value us)] of a .hgrm file, the plotter's way (module
    comment), in file order; [] when the file is missing.  Raises ValueError
    on a file with no such line (not a percentile distribution)."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        fields = line.split()
        if line.lstrip().startswith("#") or len(fields) != 4:
            continue
        try:
            y, x = float(fields[0]), float(fields[3])
        except ValueError:
            continue
        if math.isfinite(x) and math.isfinite(y):
            out.append((x, y))
    if not out:
        raise ValueError("%s: no percentile line (not an HdrHistogram percentile distribution)"
                         % path)
    return out


def choose_level(run_dir, rows, meta, workload):
    """(c, models with a .hgrm there, models without) for one workload, or
    (None, [], all its models) when it has none."""
    names = models(rows_for(rows, workload=workload), meta)
    levels = sorted({r["concurrency"] for r in rows_for(rows, workload=workload, ok_only=True)})
    have = {c: [m for m in names if os.path.exists(hgrm_path(run_dir, workload, m, c))]
            for c in levels}
    have = {c: ms for c, ms in have.items() if ms}
    if not have:
        return None, [], names
    c = max(have, key=lambda c: (len(have[c]), c))
    return c, have[c], [m for m in names if m not in have[c]]


def draw_all(run_dir, rows, meta):
    """WORKLOAD-spectrum.png/.svg for every workload with .hgrm files.
    Returns (file names written, {workload: {"c", "models", "missing",
    "figure" (base name or None)}}) for the report."""
    styles = model_styles(models(rows, meta), meta)
    written, info = [], {}
    for wl in workloads(rows):
        c, present, missing = choose_level(run_dir, rows, meta, wl)
        info[wl] = {"c": c, "models": present, "missing": missing, "figure": None}
        if c is None:
            continue
        series = [(m, [(x, y) for x, y in read_hgrm(hgrm_path(run_dir, wl, m, c))
                       if X_LO <= x <= X_HI]) for m in present]
        series = [(m, pts) for m, pts in series if pts]
        if not series:
            continue
        fd, dat = tempfile.mkstemp(prefix=".spectrum-", suffix=".dat", dir=run_dir)
        try:
            with os.fdopen(fd, "w") as f:
                for m, pts in series:
                    f.write("# %s\n" % m)
                    f.writelines("%.6g %.6g\n" % p for p in pts)
                    f.write("\n\n")
            names = [m for m, _ in series]
            ylo, yhi = padded_log_range([y for _, pts in series for _, y in pts])
            draw_figure(run_dir, wl + SUFFIX, PLOT_SPECTRUM_GP, {
                "dat": dat, **model_variables(names, styles), "ylo": ylo, "yhi": yhi,
                "fig": wl + SUFFIX, **trace_variables(),
                "ttl": "%s: latency by percentile at c=%d (HdrHistogram .hgrm, counted runs "
                       "merged)" % (wl, c)})
        finally:
            os.unlink(dat)
        info[wl]["figure"] = wl + SUFFIX
        written += ["%s%s.%s" % (wl, SUFFIX, f) for f in ("png", "svg")]
    return written, info


def report_lines(wl, spectra):
    """The lines report.md gives one workload's spectrum (spectra: draw_all's
    info), or [] when the run has none."""
    s = (spectra or {}).get(wl)
    if not s:
        return []
    if not s["figure"]:
        return ["**Latency by percentile:** no .hgrm files for %s in this run (an older "
                "sweep, or every point failed)." % wl, ""]
    where = ("the highest concurrency every model reached" if not s["missing"] else
             "the highest concurrency with the most models (%s: no .hgrm there, the point "
             "failed or was not run)" % ", ".join(s["missing"]))
    return ["![%s: latency by percentile at c=%d](%s.png)" % (wl, s["c"], s["figure"]), "",
            "**Latency by percentile** at c=%d, %s: each model's counted runs merged into one "
            "histogram "
            "(`hgrm/%s-MODEL-c%d.hgrm`, HdrHistogram's percentile-distribution format, "
            "microseconds; HdrHistogram's plotter and wrk2-reading tools read them)." % (
                s["c"], where, wl, s["c"]), ""]
