"""track.py - the fleet's jobs followed to their end: one line per job, its state and ETA.

Every POLL_S seconds: squeue for the jobs' states (pending with Slurm's
reason, running, finished), each running job's last progress line from its
output (the sweep's own ETA: "[5/40] ... ~3m10s left"), and a line for each
job whose line changed:

    fleet: job 12 alpha (partition alpha, 2 nodes)  RUNNING on n[1-2]: point 5/8, ~3s left
    fleet: job 13 beta (partition beta, 1 node)     PENDING (Resources)

A job Slurm no longer lists in the queue is looked up with scontrol, then
sacct, then its script's own exit status (OUT/fleet/JOB.end): its final
state.  Then its run folder is found (jobs.find_run) and the job is
complete only if that run is (meta.json complete=true); a cancelled job, a
node failure, a time limit or a failed sweep is reported with why, and its
run, if any, is left out of every matrix.  The job's build folder is removed
if its script could not (killed after Slurm's KillWait).

Ctrl-C stops the watching, not the jobs: `make fleet-status DIR=OUT` takes
it up again.

Imports jobs and slurm of this package, harness.sweep's common.
"""

import os
import re
import shutil
import sys
import time

from harness.sweep import common

from . import jobs, slurm

POLL_S = 10.0           # between two looks at the queue (TVSA_FLEET_POLL_S overrides)
POLL_ENV = "TVSA_FLEET_POLL_S"
MAX_LOST = 10           # looks in a row without an answer from Slurm before giving up
                        # (a controller restarting answers again within a few)
BUILD_DIR = os.path.join(common.ROOT, "build", "fleet-%s")   # job.sh's build folder (its TAG)
# Slurm's pending reasons that mean a node the job needs is down or drained
# ("ReqNodeNotAvail, UnavailableNodes:n2", "Nodes required for job are DOWN,
# DRAINED or reserved ...": squeue's words, scontrol's with underscores).
NODE_DOWN_RE = re.compile(r"ReqNodeNotAvail|NodeDown|DOWN|DRAIN|PartitionDown|PartitionInactive")


NODE_STATE_WORDS = {"down": "down", "drain": "drained", "drng": "draining", "fail": "failing",
                    "failg": "failing", "maint": "in maintenance", "inval": "invalid",
                    "pow_dn": "powered down", "unk": "of unknown state"}


def poll_s():
    text = os.environ.get(POLL_ENV)
    if text is None:
        return POLL_S
    try:
        v = float(text)
    except ValueError:
        raise common.UsageError("%s: '%s' is not a number of seconds" % (POLL_ENV, text))
    if not 0.05 <= v <= 3600:
        raise common.UsageError("%s: %s is out of range 0.05..3600" % (POLL_ENV, text))
    return v


def final_state(out, rec):
    """(state, reason, exit code, nodes) of a job the queue no longer lists:
    scontrol's record, else sacct's, else the job script's exit status
    (0: COMPLETED, else FAILED), else UNKNOWN."""
    info = slurm.show_job(rec["job_id"])
    if info:
        return (info.get("JobState", "UNKNOWN"), info.get("Reason", ""),
                info.get("ExitCode"), info.get("NodeList"))
    acct = slurm.accounting(rec["job_id"])
    if acct:
        return acct["State"], acct["Reason"], acct["ExitCode"], acct["NodeList"]
    rc = jobs.end_status(out, rec["job_id"])
    if rc is not None:
        return ("COMPLETED" if rc == 0 else "FAILED"), "", str(rc), rec.get("alloc_nodes")
    return "UNKNOWN", "Slurm has forgotten the job and it left no exit status", None, None


def finish(out, rec):
    """A job that reached a final state: its run found and judged, its
    record marked final, its build folder removed."""
    run = jobs.find_run(out, rec)
    rec["run"] = os.path.relpath(run, out) if run else None
    rec["complete"] = bool(run and jobs.run_complete(run) and rec["state"] == "COMPLETED")
    rec["final"] = True
    if rec["state"] == "COMPLETED" and not rec["complete"]:
        rec["state_note"] = "the job ended but its sweep did not complete a run"
    if rec.get("build_tag"):
        shutil.rmtree(BUILD_DIR % rec["build_tag"], ignore_errors=True)


def update(out, recs):
    """One look at the queue: each job's state, reason, nodes, progress;
    the finished ones finished.  Returns the records whose line changed."""
    active = [r for r in recs if not r.get("final")]
    seen = slurm.queue([r["job_id"] for r in active])
    changed = []
    for rec in active:
        before = line(rec)
        q = seen.get(rec["job_id"])
        if q and q["state"] not in slurm.FINAL_STATES:
            rec.update(state=q["state"], reason=q["reason"], alloc_nodes=q["nodes"] or
                       rec.get("alloc_nodes"))
            if q["state"] == "PENDING":
                rec["why_pending"] = pending_why(rec)
        else:
            state, reason, code, nodes = final_state(out, rec)
            rec.update(state=state, reason="" if reason in (None, "None") else reason,
                       exit_code=code,
                       alloc_nodes=nodes or rec.get("alloc_nodes"))
        prog, last = jobs.progress(out, rec["job_id"])
        rec["progress"] = prog or rec.get("progress")
        rec["last_line"] = last or rec.get("last_line", "")
        if rec["state"] in slurm.FINAL_STATES or rec["state"] == "UNKNOWN":
            finish(out, rec)
        jobs.write(out, rec)
        if line(rec) != before:
            changed.append(rec)
    return changed


def pending_why(rec):
    """Slurm's pending reason, and the nodes it waits for that are down or
    drained when the reason may mean that (Slurm's "Nodes required for job
    are DOWN, DRAINED or reserved for jobs in higher priority partitions"
    also stands for nodes busy with another job: sinfo tells which)."""
    reason = rec.get("reason") or ""
    if not NODE_DOWN_RE.search(reason):
        return reason or "queued"
    try:
        bad = slurm.unavailable_nodes(rec.get("partition"), rec.get("nodelist"))
    except slurm.SlurmError:
        bad = None
    if not bad:
        return reason
    return "%s: %s" % (reason, ", ".join("node %s is %s" % (n, node_state_text(st))
                                         for n, st in bad))


def node_state_text(state):
    """sinfo's short state in words ("down*" -> "down, not responding")."""
    base = state.rstrip("*~#!%$@^-+")
    words = NODE_STATE_WORDS.get(base, base)
    return words + (", not responding" if state.endswith("*") else "")


def line(rec):
    """The job's progress line (module comment)."""
    head = "fleet: job %s %s " % (rec["job_id"], jobs.where(rec))
    state = rec.get("state") or "UNKNOWN"
    if rec.get("final"):
        if rec.get("complete"):
            return head + "COMPLETED: run %s complete" % rec.get("run")
        return head + "%s, no complete run: %s" % (state, jobs.why_missing(rec))
    if state == "PENDING":
        return head + "PENDING (%s)" % rec.get("why_pending", rec.get("reason") or "queued")
    prog = rec.get("progress")
    where = " on %s" % rec["alloc_nodes"] if rec.get("alloc_nodes") else ""
    if prog:
        return head + "%s%s: %spoint %d/%d, ~%s left" % (
            state, where, "%s " % prog["section"] if prog.get("section") else "",
            prog["i"], prog["n"], prog["left"])
    setup = "setting up (build, %scalibration)" % ("backend, " if rec["nodes"] > 1 else "")
    return head + "%s%s: %s" % (state, where, setup if state == "RUNNING"
                                 else rec.get("reason") or "")


def wait(out, recs, quiet=False):
    """Follow the jobs until every one is final; prints each changed line.
    Returns 0 when every job left a complete run, 3 when any did not, 130
    on Ctrl-C (the jobs go on)."""
    interval = poll_s()
    lost = 0            # looks in a row that Slurm did not answer
    try:
        while True:
            try:
                changed = update(out, recs)
                lost = 0
            except slurm.SlurmError as e:
                lost += 1
                common.say("fleet: Slurm did not answer (%d of %d): %s" % (
                    lost, MAX_LOST, e), quiet)
                if lost >= MAX_LOST:
                    print("fleet: giving up watching; the jobs may go on: make fleet-status "
                          "DIR=%s" % out, file=sys.stderr)
                    return 3
                changed = []
            for rec in changed:
                common.say(line(rec), quiet)
            if all(r.get("final") for r in recs):
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        print("fleet: stopped watching; the jobs go on (squeue); follow them again with: "
              "make fleet-status DIR=%s" % out, file=sys.stderr)
        return 130
    return summary(out, recs)


def summary(out, recs):
    """The last lines: how many jobs left a complete run, which did not and
    why, what to run next.  Returns the exit status (0, or 3 when any
    machine is missing)."""
    done = [r for r in recs if r.get("complete")]
    bad = [r for r in recs if r.get("final") and not r.get("complete")]
    for r in bad:
        print("fleet: missing %s: %s" % (jobs.where(r), jobs.why_missing(r)),
              file=sys.stderr)
    print("fleet: %d of %d job%s left a complete run (%s)%s; the matrix: make matrix DIR=%s" % (
        len(done), len(recs), "" if len(recs) == 1 else "s",
        ", ".join(sorted({r["label"] for r in done})) or "none",
        "; %d failed" % len(bad) if bad else "", out), file=sys.stderr)
    return 3 if bad else 0
