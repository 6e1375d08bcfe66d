"""slurm.py - the Slurm commands make fleet uses, each a function with one error.

sbatch (submit), squeue (the states of our jobs), scontrol (a finished
job's exit code and reason; a node list's host names), sinfo (which nodes
are down or drained, for a job that waits on them) and sacct (where the
cluster keeps accounting: a job scontrol has forgotten).  Each call has a
time limit; a command missing, refused or hung is a SlurmError whose text is
one line (the command's own first error line).  The cluster is whatever the
environment says (SLURM_CONF, or the system's /etc/slurm): nothing here
names one.

Imports nothing of ours: standard library only.
"""

import re
import shutil
import subprocess

CALL_TIMEOUT_S = 60     # one Slurm command: a controller that does not answer in this
                        # long is down, as far as a fleet can tell
COMMANDS = ("sbatch", "squeue", "scontrol", "sinfo")  # what a submission host needs
FINAL_STATES = {"COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
                "PREEMPTED", "BOOT_FAIL", "DEADLINE", "REVOKED", "SPECIAL_EXIT"}
FIELD_SEP = "|"         # squeue/sacct output separator (never in a state or node name)
UNKNOWN_JOB = "Invalid job id"   # what squeue and scontrol say of a job they do not know


class SlurmError(Exception):
    """A Slurm command missing, failing or hung: one line."""


def missing():
    """The Slurm commands a submission needs that are not on PATH."""
    return [c for c in COMMANDS if shutil.which(c) is None]


def call(argv, env=None, ok_codes=(0,)):
    """Run a Slurm command; its stdout.  SlurmError with its first error
    line when it exits with another code, is missing or hangs."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, env=env,
                           timeout=CALL_TIMEOUT_S)
    except FileNotFoundError:
        raise SlurmError("%s: not found (on a Slurm cluster's login node? Debian: "
                         "apt-get install slurm-client)" % argv[0])
    except subprocess.TimeoutExpired:
        raise SlurmError("%s: no answer in %d s (is slurmctld up?)" % (argv[0], CALL_TIMEOUT_S))
    except OSError as e:
        raise SlurmError("%s: %s" % (argv[0], e.strerror or e))
    if p.returncode not in ok_codes:
        err = next((l.strip() for l in p.stderr.splitlines() if l.strip()), "") or \
            "exit %d" % p.returncode
        raise SlurmError("%s: %s" % (argv[0], err))
    return p.stdout


def sbatch(argv, env=None):
    """Submit a job (argv: sbatch's options, the script and its arguments,
    without "sbatch" and --parsable); returns its job id (a string)."""
    out = call(["sbatch", "--parsable"] + argv, env=env).strip()
    job = out.split(";")[0]             # --parsable: "ID" or "ID;CLUSTER"
    if not job.isdigit():
        raise SlurmError("sbatch: no job id in its answer: %r" % out[:80])
    return job


def queue(job_ids):
    """{job id: {"state", "reason", "nodes"}} of the jobs Slurm still holds
    (pending, running, and finished ones it has not yet forgotten:
    --states=all); a job it does not know is absent."""
    if not job_ids:
        return {}
    try:
        out = call(["squeue", "-h", "--states=all", "-j", ",".join(job_ids),
                    "-o", FIELD_SEP.join(("%i", "%T", "%r", "%N"))])
    except SlurmError as e:
        if UNKNOWN_JOB in str(e):       # every one of them forgotten
            return {}
        raise
    got = {}
    for line in out.splitlines():
        f = line.strip().split(FIELD_SEP)
        if len(f) == 4 and f[0] in job_ids:
            got[f[0]] = {"state": f[1], "reason": "" if f[2] in ("None", "(null)") else f[2],
                         "nodes": f[3] or None}
    return got


def parse_show(line):
    """scontrol show -o's KEY=VALUE line as a dict (a value may hold spaces:
    a field starts only where a word is followed by '=')."""
    parts = re.split(r" (?=[A-Za-z][A-Za-z0-9_:/]*=)", line.strip())
    return dict(p.split("=", 1) for p in parts if "=" in p)


def show_job(job_id):
    """scontrol's record of a job ({"JobState", "Reason", "ExitCode",
    "NodeList", ...}), or None once it has forgotten it (MinJobAge)."""
    try:
        out = call(["scontrol", "show", "job", "-o", job_id])
    except SlurmError as e:
        if UNKNOWN_JOB in str(e):
            return None
        raise
    line = next((l for l in out.splitlines() if l.startswith("JobId=")), None)
    return parse_show(line) if line else None


def accounting(job_id):
    """sacct's {"State", "ExitCode", "Reason", "NodeList"} of a job, or None
    where the cluster keeps no accounting or has no record of it."""
    if shutil.which("sacct") is None:
        return None
    try:
        out = call(["sacct", "-n", "-P", "-X", "-j", job_id,
                    "-o", "State,ExitCode,Reason,NodeList"])
    except SlurmError:
        return None
    for line in out.splitlines():
        f = line.split(FIELD_SEP)
        if len(f) == 4:
            return {"State": f[0].split()[0], "ExitCode": f[1], "Reason": f[2],
                    "NodeList": f[3]}
    return None


# sinfo's short node states (%t) in which a node takes no job; a trailing "*"
# means not responding, whatever the state.
UNAVAILABLE = {"down", "drain", "drng", "fail", "failg", "inval", "maint", "pow_dn", "unk"}


def unavailable_nodes(partition=None, nodelist=None):
    """[(node, state)] of a partition's (or a node list's) nodes that are
    down, drained, failing or not responding (sinfo)."""
    argv = ["sinfo", "-h", "-N", "-o", FIELD_SEP.join(("%N", "%t"))]
    argv += ["-p", partition] if partition else []
    argv += ["-n", nodelist] if nodelist else []
    out = []
    for line in call(argv).splitlines():
        f = line.strip().split(FIELD_SEP)
        if len(f) == 2 and (f[1].rstrip("*~#!%$@^-+") in UNAVAILABLE or f[1].endswith("*")):
            out.append((f[0], f[1]))
    return sorted(set(out))


def hostnames(nodelist):
    """The node names a Slurm node list names ("n[1-2],m3" -> n1, n2, m3)."""
    names = call(["scontrol", "show", "hostnames", nodelist]).split()
    if not names:
        raise SlurmError("scontrol show hostnames: '%s' names no node" % nodelist)
    return names
