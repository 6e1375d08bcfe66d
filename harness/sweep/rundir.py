"""rundir.py - a run folder: made atomically, sealed when whole, pointed at.

results/<run-id>/ is ours alone (os.mkdir either makes it or fails), its
results.csv gets a seal (rows and sha256) in meta.json once the run is complete,
and results/latest moves to it only then (results/latest-full as well when the
run was not narrowed by WORKLOADS=, MODELS= or CONCURRENCY=).  A failed write (a full disk) ends the
sweep in one line with the temporary files removed.
"""

import csv
import glob
import hashlib
import io
import os
import sys

from . import common, runner


def make_run_dir(results, stamp, prefix=""):
    """A new folder results/PREFIX+STAMP[-N] of our own: os.mkdir either makes
    it or fails, so two sweeps started in the same second never share one
    (a check for an existing folder and a later create would race).
    Returns its path."""
    suffix = 1
    while True:
        name = prefix + stamp + ("" if suffix == 1 else "-%d" % suffix)
        path = os.path.join(results, name)
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            suffix += 1


def results_seal(csv_path):
    """{"rows", "sha256"} of a whole results.csv, for meta.json: a loader
    (scripts/report/load.py) refuses a file that no longer matches it."""
    with open(csv_path, "rb") as f:
        data = f.read()
    rows = max(0, len(list(csv.reader(io.StringIO(data.decode("utf-8"))))) - 1)
    return {"rows": rows, "sha256": hashlib.sha256(data).hexdigest()}


def remove_tmp(run_dir):
    """After an interrupt: drop the half-written temporary files (write_atomic's,
    hyperfine's export of the killed point), so the folder holds only whole ones."""
    for sub in ("", "stats", "hyperfine", "hgrm", "rate/hgrm"):
        for name in glob.glob(os.path.join(run_dir, sub, "*.tmp*")):
            try:
                os.unlink(name)
            except OSError:
                pass


def write_failed(who, err, run_dir):
    """A write under the results folder failed (a full disk): one line on
    stderr, the temporary files removed; the caller exits 3."""
    if run_dir:
        remove_tmp(run_dir)
    where = getattr(err, "filename", None)
    print("%s: cannot write results: %s%s; the run%s is incomplete, latest unchanged" % (
        who, "%s: " % common.rel(where) if isinstance(where, str) else "", err.strerror or err,
        " in %s" % common.rel(run_dir) if run_dir else ""), file=sys.stderr)


class LatestError(Exception):
    """results/NAME exists and is not ours to replace (a folder, a file)."""


def check_latest(results, name):
    """Raise LatestError if results/NAME exists and is not a symbolic link:
    the sweep points that name at its run, and never replaces a real folder
    or file by it.  Called before a sweep starts (a usage error then) and
    again just before the link moves."""
    link = os.path.join(results, name)
    if os.path.lexists(link) and not os.path.islink(link):
        raise LatestError("%s is %s, not the link a sweep points at its newest run: move it "
                          "away" % (common.rel(link),
                                    "a folder" if os.path.isdir(link) else "a file"))


def latest_free(results, name):
    """check_latest before a sweep starts, as bad usage (common.UsageError):
    OUT/NAME a real folder or file is found now, not once the sweep is done."""
    try:
        check_latest(results, name)
    except LatestError as e:
        raise common.UsageError(str(e))


def point_latest(results, name, run_dir):
    """results/NAME -> run_dir, replaced atomically; returns its path.
    LatestError if NAME is not a link (check_latest); the temporary link is
    never left behind."""
    check_latest(results, name)
    link = os.path.join(results, name)
    tmp_link = link + ".tmp.%d" % os.getpid()
    try:
        os.symlink(os.path.basename(run_dir), tmp_link)
        os.replace(tmp_link, link)
    finally:
        if os.path.lexists(tmp_link):
            os.unlink(tmp_link)
    return link


LATEST_FULL = "latest-full"  # the newest complete run of every pair, model and level


def narrowing(given, pairs, all_pairs, model_list, all_models):
    """What a run left out of the registries, for meta.json's "narrowed":
    {"given": {"WORKLOADS": "io_sleep", ...} (the make variables that
    narrowed it, as given), "workloads_not_run": [...], "models_not_run":
    [...]}; {} for a run of every pair and model at its default levels
    (QUICK's included).  given: {VARIABLE: text or None}."""
    given = {k: v for k, v in given.items() if v is not None}
    if not given:
        return {}
    ran = {p["name"] for p in pairs}
    used = {m["name"] for m in model_list}
    return {"given": given,
            "workloads_not_run": [p["name"] for p in all_pairs if p["name"] not in ran],
            "models_not_run": [m["name"] for m in all_models if m["name"] not in used]}


def point_latests(results, run_dir, narrowed):
    """A complete run's links: results/latest -> run_dir always (the run just
    made, narrowed or not), and results/latest-full too when it ran every
    pair, model and level (narrowed is {}), so a `make bench WORKLOADS=x`
    leaves the last whole overview where it was.  Returns latest's path."""
    if not narrowed:
        point_latest(results, LATEST_FULL, run_dir)
    return point_latest(results, "latest", run_dir)


def narrowed_text(narrowed):
    """'WORKLOADS=io_sleep CONCURRENCY=1,8' for people; '' for a full run."""
    return " ".join("%s=%s" % kv for kv in sorted((narrowed or {}).get("given", {}).items()))


def guarded(who, main, argv):
    """main(argv), but our parent's death stops us (runner.die_with_parent),
    and a write that fails (a full disk under the results folder) ends the
    sweep with one line and exit 3, never a traceback."""
    runner.die_with_parent()
    try:
        return main(argv)
    except LatestError as e:
        run_dir = common.CURRENT["run_dir"]
        print("%s: the run is complete in %s, but %s" % (
            who, common.rel(run_dir) if run_dir else "its folder", e), file=sys.stderr)
        return 3
    except OSError as e:
        write_failed(who, e, common.CURRENT["run_dir"])
        return 3
