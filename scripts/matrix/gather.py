"""gather.py - the runs a machine matrix is drawn from, grouped by machine, and the missing ones.

Two sources, either or both:

- DIR, a fleet's results folder (make fleet OUT=DIR): every job's record
  (harness/fleet/jobs.py).  A job whose run is complete gives that run; a
  job that ended without one (cancelled, a node failed, its time limit, its
  sweep failed) is a missing machine with why; a job not yet ended whose run
  is not complete is missing too, "still running".
- RUNS, run folders given one by one: each complete one is taken, each
  incomplete one (meta.json complete=false: interrupted) is missing.

Nothing is taken from an incomplete run.  A run whose results.csv the
report's checks refuse (scripts/report/load.py) is missing with that reason.
Runs group into machines by label (scripts/report/machine.py: the fleet's
label, else the CPU model and core count made a name): several runs of one
label are replicas of one machine type.

    gather(dir, runs) -> (machines, missing)
    machines: [{"label", "runs": [Run]}]  (Run: a dict: dir, name, meta, rows,
               extra, rate_rows, cal, job)
    missing:  [{"label", "why", "job_id", "run"}]

Imports scripts.report's build, load, machine, rate, and harness.fleet.jobs.
"""

import os
import re

from harness.fleet import jobs
from scripts.report import build, load, machine, rate

LABEL_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")   # a label is a folder name and a gnuplot word


class MatrixError(Exception):
    """Bad input to the matrix (no such folder, nothing given): one line."""


def safe_label(text):
    """A label fit for a folder and a gnuplot word ("AMD EPYC, 2 cores" ->
    "AMD-EPYC-2-cores")."""
    return LABEL_CHARS.sub("-", text).strip("-") or "machine"


def load_run(run_dir, job=None):
    """A complete run folder as a Run, or (None, why) when it cannot be
    taken: not complete, or its results.csv refused."""
    meta = load.load_meta(os.path.join(run_dir, load.META_JSON)) \
        if os.path.exists(os.path.join(run_dir, load.META_JSON)) else {}
    if meta.get("complete") is not True:
        return None, ("run %s is incomplete (meta.json complete=%s): not merged" % (
            run_dir, "false" if meta else "unknown, no meta.json"))
    try:
        rows = build.load_rows(run_dir)
    except load.ReportError as e:
        return None, "run %s: %s" % (run_dir, e)
    cal, _ = load.load_calibration(run_dir)
    return {"dir": run_dir, "name": os.path.basename(os.path.realpath(run_dir)), "meta": meta,
            "rows": rows, "extra": build.load_extra(run_dir, cal), "cal": cal,
            "rate_rows": rate.load(run_dir), "job": job}, None


def from_fleet(out):
    """(runs, missing) of a fleet's folder (module comment)."""
    if not os.path.isdir(out):
        raise MatrixError("DIR: '%s' is not a folder" % out)
    damaged = []
    recs = jobs.read_all(out, damaged)
    if not recs and not damaged:
        raise MatrixError("DIR: '%s' holds no fleet records (%s/*.json): give run folders "
                          "with RUNS=" % (out, jobs.fleet_dir(out)))
    # A record cut short or edited: its machine is missing, and says so.
    runs = []
    missing = [{"label": "job %s" % os.path.basename(p)[:-len(".json")], "job_id": None,
                "run": None, "why": "its record %s is damaged (%s): not merged"
                % (os.path.relpath(p, out), why)} for p, why in damaged]
    for rec in recs:
        run_rel = rec.get("run")
        run_dir = os.path.join(out, run_rel) if run_rel else jobs.find_run(out, rec)
        if rec.get("final") and not rec.get("complete"):
            missing.append({"label": rec["label"], "job_id": rec["job_id"], "run": run_rel,
                            "why": jobs.why_missing(rec)})
            continue
        if run_dir is None:
            missing.append({"label": rec["label"], "job_id": rec["job_id"], "run": None,
                            "why": "job %s has not made its run folder yet (state %s; "
                                   "make fleet-status DIR=%s)" % (rec["job_id"],
                                                                 rec.get("state"), out)})
            continue
        run, why = load_run(run_dir, rec)
        if run is None:
            if not rec.get("final"):
                why = "job %s still running (state %s): %s" % (rec["job_id"],
                                                                rec.get("state"), why)
            missing.append({"label": rec["label"], "job_id": rec["job_id"],
                            "run": os.path.relpath(run_dir, out), "why": why})
            continue
        run["label"] = rec["label"]
        runs.append(run)
    return runs, missing


def from_folders(folders):
    """(runs, missing) of run folders given by hand."""
    runs, missing = [], []
    for d in folders:
        if not os.path.isdir(d):
            raise MatrixError("RUNS: '%s' is not a run folder" % d)
        run, why = load_run(d)
        meta = run["meta"] if run else load.load_meta(os.path.join(d, load.META_JSON))
        label = safe_label(machine.label(meta))
        if run is None:
            missing.append({"label": label, "job_id": None, "run": d, "why": why})
            continue
        run["label"] = label
        runs.append(run)
    return runs, missing


def gather(fleet_dir, folders):
    """(machines, missing): the runs of a fleet folder and of run folders,
    grouped by machine label (first seen first)."""
    if not fleet_dir and not folders:
        raise MatrixError("give a fleet's folder (DIR=) or run folders (RUNS=a,b)")
    runs, missing = [], []
    for got in ([from_fleet(fleet_dir)] if fleet_dir else []) + \
            ([from_folders(folders)] if folders else []):
        runs += got[0]
        missing += got[1]
    seen = set()
    for r in runs:                      # the same folder twice is one run
        key = os.path.realpath(r["dir"])
        r["dup"] = key in seen
        seen.add(key)
    machines = []
    for r in (r for r in runs if not r["dup"]):
        m = next((m for m in machines if m["label"] == r["label"]), None)
        if m is None:
            m = {"label": r["label"], "runs": []}
            machines.append(m)
        m["runs"].append(r)
    return machines, missing
