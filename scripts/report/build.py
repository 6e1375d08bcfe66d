"""build.py - the whole report of one run folder: check, load, draw, write.

    report.py [--plots-only | --rate-only | --verdicts] RUN_DIR

Given a run folder (results/<run-id>/ with results.csv and meta.json):
refuse a damaged results.csv in one line (load.check_run), draw every figure
(plots.py), the open-loop figures and rate.md when the run has rate/rate.csv
(rate.py), and write report.md (render.py), summary.json (its first screen's
rows as data: summary.py), commands.md (every command line the sweep ran),
efficiency.csv (efficiency.py) and index.html, report.md as a web page with
the figures inline (web.py).
--plots-only leaves report.md and efficiency.csv alone; --rate-only draws the
open-loop part only (what `make bench-rate` needs); both rewrite index.html
from the report.md there is (its figures changed).  --verdicts prints the
Verdicts section on stdout and writes nothing.

Exit (load.failed, every entry script's convention): 0 ok (also --rate-only
on a run without rate.csv: nothing to do); 2 the input is refused: bad
usage, not a run folder, no rows, a damaged or edited results.csv or section
file; 3 a failure: gnuplot missing, failing or hung (on any figure, the
open-loop ones included), a file that cannot be written.  One line on
stderr, never a traceback.  Each output is
first written to a hidden temporary file in RUN_DIR, then renamed into place.
"""

import argparse
import os
import sys

from . import efficiency, rate, serving, spectrum, summary, verdicts, web
from .load import (CALIBRATION_CSV, META_JSON, ONECPU_DIR, REPORT_MD, RESULTS_CSV, InputError,
                   FAILURES, ReportError, failed,
                   RunCheckError, check_results, check_run, checked_section, load_calibration, load_csv,
                   load_floor_runs, load_meta, write_atomic)
from .plots import draw_all
from .render import COMMANDS_MD, commands_text, render_report
from .sure import attach_runs

PROG = "report.py"


def parse_args(argv):
    """The options and RUN_DIR; argparse exits 2 on bad usage."""
    p = argparse.ArgumentParser(
        prog=PROG, description="Draw the plots (gnuplot) and write report.md of one run folder.")
    only = p.add_mutually_exclusive_group()
    only.add_argument("--plots-only", action="store_true",
                      help="draw the figures, leave report.md alone")
    only.add_argument("--rate-only", action="store_true",
                      help="the open-loop figures and rate.md only (make bench-rate)")
    only.add_argument("--serve-only", action="store_true",
                      help="the serve section's figures and serve.md only (make bench-serve)")
    only.add_argument("--verdicts", action="store_true",
                      help="print the Verdicts section on stdout, write nothing")
    p.add_argument("run_dir", metavar="RUN_DIR",
                   help="a run folder with results.csv and meta.json (e.g. results/latest)")
    return p.parse_args(argv)


def load_rows(run_dir):
    """results.csv's rows, checked whole first; ReportError otherwise."""
    try:
        check_run(run_dir, RESULTS_CSV, META_JSON)
    except RunCheckError as e:
        raise InputError("refused: %s" % e)
    rows = load_csv(os.path.join(run_dir, RESULTS_CSV))
    if not rows:
        raise InputError("%s: no rows to report" % os.path.join(run_dir, RESULTS_CSV))
    attach_runs(run_dir, rows)      # each point's runs, for the verdicts' intervals
    return rows


def load_extra(run_dir, cal):
    """What the contested claims read beside results.csv: the calibration
    figures and the one-CPU sweep's rows (ONECPU_DIR/results.csv with their
    runs attached), or None with a warning when that file is damaged."""
    extra = {"cal": cal, "onecpu": None}
    # Checked against meta.json's "onecpu" section and its seal, as rate.csv
    # and serve/results.csv are (checked without it, an edited or truncated
    # file was judged).
    path = checked_section(run_dir, os.path.join(ONECPU_DIR, RESULTS_CSV), "onecpu",
                           "the one-CPU claim", False)
    if path:
        try:
            rows = load_csv(path)
        except (RunCheckError, ReportError) as e:
            print("%s: warning: %s; the one-CPU claim is not judged" % (PROG, e),
                  file=sys.stderr)
            return extra
        attach_runs(os.path.join(run_dir, ONECPU_DIR), rows)
        extra["onecpu"] = rows
    return extra


def build(args):
    """Do what args ask on args.run_dir; returns the files written."""
    run_dir = args.run_dir
    if not os.path.isdir(run_dir):
        raise InputError("%s: not a run folder" % run_dir)
    meta = load_meta(os.path.join(run_dir, META_JSON))
    if args.rate_only:
        rate_rows, _ = rate.report_lines(run_dir, meta, strict=True)
        if rate_rows is None:
            return []
        return ["%s/ (open loop)" % rate.RATE_DIR] + [p for p in [web.write_page(run_dir)] if p]
    if args.serve_only:
        serve_rows, _, _ = serving.report_lines(run_dir, meta, strict=True)
        if serve_rows is None:
            return []
        return ["%s/ (serve)" % serving.SERVE_DIR] + [p for p in [web.write_page(run_dir)] if p]
    rows = load_rows(run_dir)
    cal, cal_problem = load_calibration(run_dir)
    extra = load_extra(run_dir, cal)
    # The server claims, decided on serve data where the run has it (serving.py).
    serve_rows, extra["serve"], serve_lines = serving.report_lines(run_dir, meta, extra)
    if args.verdicts:
        print("\n".join(verdicts.render(rows, meta, rate.load(run_dir), extra)))
        return []
    if cal_problem and os.path.exists(os.path.join(run_dir, CALIBRATION_CSV)):
        print("%s: warning: %s; no floors drawn" % (PROG, cal_problem), file=sys.stderr)
    written = draw_all(run_dir, rows, meta, cal)
    spectra_written, spectra = spectrum.draw_all(run_dir, rows, meta)
    written += spectra_written
    rate_rows, rate_lines = rate.report_lines(run_dir, meta)
    if rate_rows is not None:
        written.append("%s/ (open loop)" % rate.RATE_DIR)
    if serve_rows is not None:
        written.append("%s/ (serve)" % serving.SERVE_DIR)
    if not args.plots_only:
        judged = verdicts.judge_all(rows, meta, rate_rows, extra)
        first = summary.data(judged, rows, meta, serve_rows, run_dir)
        write_atomic(os.path.join(run_dir, REPORT_MD), render_report(
            rows, meta, cal, cal_problem, load_floor_runs(run_dir), rate_rows,
            list(rate_lines) + list(serve_lines), extra, spectra, judged, first))
        written.append(REPORT_MD)
        write_atomic(os.path.join(run_dir, summary.SUMMARY_JSON), summary.json_text(first))
        written.append(summary.SUMMARY_JSON)
        write_atomic(os.path.join(run_dir, COMMANDS_MD), commands_text(meta))
        written.append(COMMANDS_MD)
        write_atomic(os.path.join(run_dir, efficiency.EFFICIENCY_CSV),
                     efficiency.csv_text(rows, meta, cal))
        written.append(efficiency.EFFICIENCY_CSV)
    page = web.write_page(run_dir)
    if page:
        written.append(page)
    return written


def main(argv):
    """Entry point: returns the exit status."""
    args = parse_args(argv)
    try:
        written = build(args)
    except FAILURES as e:
        return failed(PROG, e)
    except KeyboardInterrupt:
        print("%s: interrupted" % PROG, file=sys.stderr)
        return 130
    if written:
        print("%s: wrote %s in %s" % (PROG, ", ".join(written), args.run_dir), file=sys.stderr)
    return 0
