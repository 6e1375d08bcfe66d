"""jobs.py - a fleet's records: one file per job in OUT/fleet/, and what became of each.

A fleet's results folder OUT (shared by every node, or the jobs cannot
write to it) holds:

    OUT/fleet/JOB.json   the job's record: its machine (label, partition or
                         node list, nodes, replica), the sweep's variables, the
                         sbatch command, then what the tracker saw (state,
                         reason, exit code, nodes, the sweep's last progress
                         line, the run folder and whether it is complete)
    OUT/fleet/JOB.out    the job's output (sbatch --output): the sweep's
                         progress lines, with their ETA
    OUT/fleet/JOB.end    the job script's exit status, written as it exits
    OUT/LABEL/RUN-ID/    the run folder the job's sweep wrote (meta.json
                         "fleet": {"label", "job_id"}); OUT/LABEL/latest
                         moves to a run only when it is complete

One file per job, each written whole (temporary name, rename), so two
`make fleet` into one OUT, or a tracker and a matrix at once, never tear
one.  A run counts (the matrix takes it) only when its meta.json says
complete=true, which the sweep writes once every point is measured: a job
cancelled, timed out or on a node that failed leaves complete=false, and
missing() says which machine is missing and why.

Imports only harness.sweep's common (a leaf) and eta, and spec (a machine's label).
"""

import glob
import json
import os
import re

from harness.sweep import common, eta

from . import spec

FLEET_DIR = "fleet"             # OUT/fleet/: the records, the jobs' outputs
TAIL_BYTES = 64 * 1024          # the end of a job's output read for its last progress
# What became of a job in these states, in words ("job 12 ...").
STATE_WHY = {
    "COMPLETED": "completed, but its sweep did not finish a run",
    "CANCELLED": "was cancelled (scancel, or by an administrator)",
    "TIMEOUT": "hit its time limit (sbatch --time; SBATCH_ARGS)",
    "NODE_FAIL": "lost a node: a node of the job failed (NODE_FAIL)",
    "FAILED": "failed: its script exited non-zero",
    "OUT_OF_MEMORY": "was killed for memory",
    "PREEMPTED": "was preempted by another job",
    "BOOT_FAIL": "could not boot its node",
    "DEADLINE": "missed its deadline",
}
# Lines of a job's output that say nothing of why it ended: job.sh's own last
# line, make's echo of a failure, the shell's "Terminated".
NOISE_RE = re.compile(r"^(fleet-job \d+: exit -?\d+|make(\[\d+\])?: \*\*\*.*|Terminated)$")


def fleet_dir(out):
    return os.path.join(out, FLEET_DIR)


def path(out, job_id, ext):
    """OUT/fleet/JOB.EXT (ext: json, out, end)."""
    return os.path.join(fleet_dir(out), "%s.%s" % (job_id, ext))


def write(out, rec):
    """Write a job's record whole (atomic rename)."""
    common.write_atomic(path(out, rec["job_id"], "json"), json.dumps(rec, indent=2) + "\n")


def record_problem(rec, name):
    """Why rec, read from OUT/fleet/NAME.json, is not a record this package
    wrote (cut short, edited by hand), or None: a JSON object whose job_id
    is its file's name, whose label is a folder name of OUT, whose nodes is
    a whole number >= 1, and whose run, if any, is a folder inside OUT."""
    if not isinstance(rec, dict):
        return "not a JSON object"
    if str(rec.get("job_id", "")) != name or not name.isdigit():
        return "its job_id %r is not its file's name" % (rec.get("job_id"),)
    label = rec.get("label")
    if not isinstance(label, str) or not spec.LABEL_RE.match(label):
        return "its label %r is not a machine's folder name" % (label,)
    if type(rec.get("nodes")) is not int or rec["nodes"] < 1:
        return "its nodes %r is not a whole number >= 1" % (rec.get("nodes"),)
    run = rec.get("run")
    if run is not None and (not isinstance(run, str) or os.path.isabs(run) or
                            os.path.normpath(run).split(os.sep)[0] in ("..", ".")):
        return "its run %r is not a folder inside the fleet's" % (run,)
    return None


def read_all(out, damaged=None):
    """Every job record of OUT, in job id order.  A record that does not
    parse or is not one this package wrote (record_problem) is left out,
    and, when damaged is a list, (its path, why) appended to it, so the
    caller says that a machine is missing rather than dropping it unseen."""
    recs = []
    for p in glob.glob(os.path.join(fleet_dir(out), "*.json")):
        try:
            with open(p) as f:
                rec = json.load(f)
            why = record_problem(rec, os.path.basename(p)[:-len(".json")])
        except (OSError, ValueError) as e:
            why = "unreadable: %s" % (getattr(e, "strerror", None) or e)
        if why is None:
            recs.append(rec)
        elif damaged is not None:
            damaged.append((p, why))
    if damaged is not None:
        damaged.sort()
    return sorted(recs, key=lambda r: int(r["job_id"]))


def end_status(out, job_id):
    """The job script's exit status from OUT/fleet/JOB.end, or None (not
    ended, or killed before it could write it)."""
    try:
        with open(path(out, job_id, "end")) as f:
            text = f.read().strip()
        return int(text) if text.lstrip("-").isdigit() else None
    except OSError:
        return None


def log_tail(out, job_id):
    """The last TAIL_BYTES of the job's output, as lines ([] before it has any)."""
    try:
        with open(path(out, job_id, "out"), "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - TAIL_BYTES))
            return f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return []


def progress(out, job_id):
    """(the sweep's last progress line parsed (eta.parse_progress) or None,
    the output's last non-empty line or "")."""
    lines = [l.strip() for l in log_tail(out, job_id) if l.strip()]
    last = next((p for p in map(eta.parse_progress, reversed(lines)) if p), None)
    said = [l for l in lines if not NOISE_RE.match(l)]
    return last, (said[-1] if said else "")


def load_meta(run_dir):
    try:
        with open(os.path.join(run_dir, "meta.json")) as f:
            meta = json.load(f)
        return meta if isinstance(meta, dict) else None
    except (OSError, ValueError):
        return None


def find_run(out, rec):
    """The run folder of a job's sweep (OUT/LABEL/*/ whose meta.json names
    the job), or None before the sweep has made one."""
    for d in sorted(glob.glob(os.path.join(out, rec["label"], "*", ""))):
        d = d.rstrip("/")
        if os.path.islink(d):
            continue                    # latest: the same folder again
        meta = load_meta(d)
        if meta and str((meta.get("fleet") or {}).get("job_id")) == str(rec["job_id"]):
            return d
    return None


def run_complete(run_dir):
    """True when run_dir's meta.json says complete=true (every point measured)."""
    meta = load_meta(run_dir) if run_dir else None
    return bool(meta and meta.get("complete") is True)


def where(rec):
    """'alpha (partition alpha, 2 nodes)' / 'n1-2 (nodes n[1-2])'."""
    what = ("partition %s" % rec["partition"]) if rec.get("partition") else \
        "nodes %s" % rec.get("nodelist")
    return "%s (%s, %d node%s%s)" % (rec["label"], what, rec["nodes"],
                                     "" if rec["nodes"] == 1 else "s",
                                     ", replica %d" % rec["replica"]
                                     if rec.get("replicas", 1) > 1 else "")


def why_missing(rec):
    """Why a finished job left no complete run, in one sentence, from its
    record (state, reason, exit code, last progress, run folder)."""
    state = rec.get("state") or "UNKNOWN"
    what = STATE_WHY.get(state, "ended in state %s" % state)
    ec = rec.get("exit_code")
    parts = ["job %s %s%s" % (rec["job_id"], what,
                              " (exit %s)" % ec if ec not in (None, "", "0", "0:0") else "")]
    if rec.get("reason") and rec["reason"] not in ("None", state):
        parts.append("Slurm's reason: %s" % rec["reason"])
    prog = rec.get("progress")
    if prog:
        parts.append("at %spoint %d of %d, ~%s were left" % (
            "%s " % prog["section"] if prog.get("section") else "", prog["i"], prog["n"],
            prog["left"]))
    if rec.get("last_line") and (state != "CANCELLED" or not prog):
        parts.append("its output's last line: %s" % rec["last_line"][:160])
    if rec.get("run"):
        parts.append("its run %s is incomplete (meta.json complete=false): not merged"
                     % rec["run"])
    else:
        parts.append("no run folder was made")
    return "; ".join(parts)


def outcome(out, rec):
    """"complete" when the job's run is complete, "running" while the job
    is not final, else "missing" (why_missing says why)."""
    if rec.get("complete"):
        return "complete"
    if not rec.get("final"):
        return "running"
    return "missing"
