"""plots.py - every figure of a run, drawn by gnuplot from results.csv.

One figure per workload (WORKLOAD.png/.svg: throughput, p50/p99 latency, peak
memory, memory per in-flight task, every model side by side) and overview.png
/.svg (throughput and p99 of every workload on one screen).  The plots are
drawn from results.csv only (gnuplot reads the CSV itself, see
scripts/plot_*.gp), so a plot can always be redrawn from a run folder, and
failed points are drawn, not dropped: running out of threads is one of the
results.  The models, their order, colours and markers are passed to gnuplot
from the registry (harness/models.def); the .gp files name no model.

Each figure is written by gnuplot to a temporary name and renamed into place
when complete.  A missing, failing or hung gnuplot raises load.ReportError
(one line).  GNUPLOT=/path/to/gnuplot picks another gnuplot.
"""

import os
import re
import subprocess

from .data import (is_ok, kmem_measured, mem_source_text, model_styles, models, rows_for,
                   workload_info, workloads)
from .floors import workload_floor
from .marks import backend_points, backend_variables, strip_rows, strip_variables, x_range
from .fmt import UNKNOWN, cores_text, is_num, meta_get
from .load import RESULTS_CSV, ReportError, temp_name

SCRIPTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # scripts/
PLOT_WORKLOAD_GP = os.path.join(SCRIPTS_DIR, "plot_workload.gp")
PLOT_OVERVIEW_GP = os.path.join(SCRIPTS_DIR, "plot_overview.gp")
PLOT_RATE_GP = os.path.join(SCRIPTS_DIR, "plot_rate.gp")
PLOT_SPECTRUM_GP = os.path.join(SCRIPTS_DIR, "plot_spectrum.gp")  # spectrum.py's
GNUPLOT_ENV = "GNUPLOT"         # another gnuplot, read when a figure is drawn
GNUPLOT_TIMEOUT_S = 120         # one figure; a hung gnuplot is an error
OVERVIEW = "overview"           # overview.png / overview.svg
FORMATS = ("png", "svg")        # every figure in both
WIDTH_PX = 1600                 # every figure of a workload, and the overview: a screen's
#                                 width (their heights follow from what they hold)
TRACE_ENV = "TVSA_PLOT_TRACE"   # a file: the .gp scripts append each panel's axes to it
# Columns the gnuplot scripts read (gnuplot 5.4 may crash on a missing one).
PLOT_COLUMNS = ("workload", "model", "concurrency", "status",
                "throughput", "throughput_min", "throughput_max",
                "p50_us", "p50_us_min", "p50_us_max", "p99_us", "p99_us_min", "p99_us_max",
                "maxrss_kib", "maxrss_kib_min", "maxrss_kib_max", "rss_per_task_kib")


def gp_value(v):
    """A Python value as a gnuplot literal for -e (strings single-quoted)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def gnuplot_error_line(stderr):
    """The most telling line of gnuplot's stderr (it prints the offending
    command, a caret, then the message)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if not ln.startswith("^") and "warning:" not in ln:
            return re.sub(r"\s+", " ", ln)
    return re.sub(r"\s+", " ", lines[-1]) if lines else "no message"


def start_gnuplot(script, variables, what):
    """Start `gnuplot -e VARS script`; (process, what) for finish_gnuplot.
    Raises ReportError on a missing gnuplot."""
    expr = "; ".join("%s=%s" % (k, gp_value(v)) for k, v in variables.items())
    gnuplot = os.environ.get(GNUPLOT_ENV) or "gnuplot"
    try:
        proc = subprocess.Popen([gnuplot, "-e", expr, script], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    except FileNotFoundError:
        raise ReportError("gnuplot not found (%s); install gnuplot-nox" % gnuplot)
    return proc, what


def finish_gnuplot(started):
    """Wait for a started gnuplot.  Raises ReportError naming what it drew
    on a timeout or a non-zero exit.  Warnings (empty series are normal: not
    every model has every point) are not shown."""
    proc, what = started
    try:
        _, err = proc.communicate(timeout=GNUPLOT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise ReportError("gnuplot timed out after %ds drawing %s" % (GNUPLOT_TIMEOUT_S, what))
    if proc.returncode != 0:
        status = ("killed by signal %d" % -proc.returncode if proc.returncode < 0
                  else "exit %d" % proc.returncode)
        raise ReportError("gnuplot failed drawing %s (%s): %s" % (
            what, status, gnuplot_error_line(err)))


def run_gnuplot(script, variables, what):
    """Run `gnuplot -e VARS script` to its end (ReportError as above)."""
    finish_gnuplot(start_gnuplot(script, variables, what))


def draw(run_dir, name, script, variables):
    """Draw one figure in every FORMAT, the formats at once (one gnuplot
    each: a core each on a 2-core machine): gnuplot writes a temporary
    file, which is renamed to run_dir/name.FMT only when complete."""
    jobs = []
    try:
        for fmt in FORMATS:
            final = "%s.%s" % (name, fmt)
            tmp = temp_name(run_dir, final)
            jobs.append((final, tmp, start_gnuplot(script, dict(variables, out=tmp, fmt=fmt),
                                                   final)))
        errors = []
        for final, tmp, started in jobs:
            try:
                finish_gnuplot(started)
            except ReportError as e:
                errors.append(e)
        if errors:
            raise errors[0]
        for final, tmp, _ in jobs:
            if not os.path.exists(tmp) or os.path.getsize(tmp) == 0:
                raise ReportError("gnuplot wrote nothing for %s" % final)
        for final, tmp, _ in jobs:
            os.replace(tmp, os.path.join(run_dir, final))
    finally:
        for final, tmp, started in jobs:
            if started[0].poll() is None:
                started[0].kill()
                started[0].wait()
            if os.path.exists(tmp):
                os.unlink(tmp)


def workload_title(rows, meta, workload):
    """The per-workload figure title: name, kind, parameters, cores, run."""
    info = workload_info(rows, meta, workload)
    params = ", ".join("%s=%s" % (k, info[k]) for k in ("work", "delay_us") if info[k] is not None)
    run_id = meta_get(meta, "run_id", default=UNKNOWN)
    kind = "" if info["kind"] == UNKNOWN else "%s-bound: " % info["kind"]
    return "%s  (%s%s)  -  %s  -  run %s" % (workload, kind, params, cores_text(meta), run_id)


def floor_variables(fl):
    """The gnuplot variables of one workload's floor (fl_on=0: none)."""
    if not fl:
        return {"fl_on": 0}
    caps = [cap for cap, _ in fl["caps"]]
    return {"fl_on": 1, "fl_lat_us": float(fl["lat_us"]),
            "fl_cap": float(min(caps)) if caps else 0.0,
            "fl_tlabel": fl["tput_lines"][0], "fl_tlabel2": fl["tput_lines"][1],
            "fl_llabel": fl["lat_lines"][0], "fl_llabel2": fl["lat_lines"][1]}


def mark_variables(wl_rows, styles):
    """The gnuplot variables of panel (b)'s mark (mark_on=0: none): the size
    of a model's bounded pool (results.csv's pool column, pool > 0), above
    which its tasks queue, when the workload's levels span it."""
    levels = [r["concurrency"] for r in wl_rows if is_num(r.get("concurrency"))]
    for r in wl_rows:
        size = r.get("pool")
        if is_num(size) and size > 0 and levels and min(levels) < size < max(levels):
            return {"mark_on": 1, "mark_c": int(size),
                    "mark_label": "%s size %d" % (r["model"], size),
                    "mark_color": styles.get(r["model"], ("#333333",))[0]}
    return {"mark_on": 0}


def model_variables(names, styles):
    """The gnuplot variables that name the models, in legend order, with each
    one's colour and point type (styles: data.model_styles)."""
    return {"models": " ".join(names), "colors": " ".join(styles[m][0] for m in names),
            "pts": " ".join(str(styles[m][1]) for m in names)}


def drawn_workloads(rows):
    """The workloads that get a figure and an overview column: those with at
    least one ok point (a workload whose every point failed has nothing to
    draw; its report section says so)."""
    return [wl for wl in workloads(rows) if any(is_ok(r) for r in rows_for(rows, workload=wl))]


def trace_variables():
    """{"trace": path} when TVSA_PLOT_TRACE names a file (the .gp scripts
    append each panel's axes to it), else {}."""
    path = os.environ.get(TRACE_ENV)
    return {"trace": path} if path else {}


def draw_all(run_dir, rows, meta, cal=None):
    """Every figure of the run; returns the file names written.  With cal
    (load_calibration), each workload's floor is drawn as a dashed line.  A
    workload with no ok point gets no figure (drawn_workloads)."""
    csv_path = os.path.join(run_dir, RESULTS_CSV)
    missing = [c for c in PLOT_COLUMNS if c not in rows[0]]
    if missing:
        raise ReportError("%s lacks column%s %s; cannot plot" % (
            csv_path, "" if len(missing) == 1 else "s", ", ".join(missing)))
    all_models = models(rows, meta)
    styles = model_styles(all_models, meta)
    written = []
    wls = drawn_workloads(rows)
    for wl in wls:
        wl_rows = rows_for(rows, workload=wl)
        present = models(wl_rows, meta)
        xlo, xhi = x_range(wl_rows)
        variables = {
            "csv": csv_path, "wl": wl, "ttl": workload_title(rows, meta, wl),
            **model_variables(present, styles), "width": WIDTH_PX, "xlo": xlo, "xhi": xhi,
            **strip_variables([strip_rows(wl_rows, present, xlo, xhi)]),
            **backend_variables([backend_points(wl_rows)]), **trace_variables(),
        }
        variables.update(floor_variables(workload_floor(rows, meta, cal, wl)))
        variables.update(mark_variables(wl_rows, styles))
        variables.update(kmem_on=1 if kmem_measured(wl_rows) else 0,
                         mem_label="kernel memory: %s" % (
                             "several sources (report.md)" if ";" in mem_source_text(wl_rows)
                             else mem_source_text(wl_rows).split(",")[0]))
        draw(run_dir, wl, PLOT_WORKLOAD_GP, variables)
        written += ["%s.%s" % (wl, f) for f in FORMATS]
    if not wls:
        return written
    col_titles, strips, rings, xlos, xhis = [], [], [], [], []
    for wl in wls:
        info = workload_info(rows, meta, wl)
        params = ["work=%s" % info["work"]] if is_num(info["work"]) and info["work"] else []
        if is_num(info["delay_us"]) and info["delay_us"]:     # short: a cell is 400 px
            d = info["delay_us"]
            params.append("delay=%s" % ("%gms" % (d / 1000) if d >= 1000 else "%gus" % d))
        text = "%s (%s)" % (wl, ", ".join([info["kind"]] + params))
        col_titles.append('"%s"' % text.replace('"', "'"))     # one quoted word each
        wl_rows = rows_for(rows, workload=wl)
        xlo, xhi = x_range(wl_rows)
        xlos.append(repr(xlo))
        xhis.append(repr(xhi))
        strips.append(strip_rows(wl_rows, models(wl_rows, meta), xlo, xhi))
        rings.append(backend_points(wl_rows))
    variables = {
        "csv": csv_path, "wls": " ".join(wls), "wlt": " ".join(col_titles),
        "ttl": "Throughput and p99 latency per workload  (%s, run %s)%s" % (
            cores_text(meta), meta_get(meta, "run_id", default=UNKNOWN),
            "".join("  -  not drawn, every point failed: %s" % ", ".join(left) for left in [
                [wl for wl in workloads(rows) if wl not in wls]] if left)),
        **model_variables(all_models, styles), "width": WIDTH_PX,
        "xlos": " ".join(xlos), "xhis": " ".join(xhis),
        **strip_variables(strips), **backend_variables(rings), **trace_variables(),
    }
    floors = [floor_variables(workload_floor(rows, meta, cal, wl)) for wl in wls]
    if any(f["fl_on"] for f in floors):     # one word per column; 0 = no floor there
        variables.update({"fl_lats": " ".join(repr(f.get("fl_lat_us", 0.0)) for f in floors),
                          "fl_caps": " ".join(repr(f.get("fl_cap", 0.0)) for f in floors)})
    draw(run_dir, OVERVIEW, PLOT_OVERVIEW_GP, variables)
    written += ["%s.%s" % (OVERVIEW, f) for f in FORMATS]
    return written
