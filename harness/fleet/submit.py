"""submit.py - one sbatch per machine: an exclusive job running job.sh, and its record.

Each job asks for its node(s) whole (--exclusive: no other job shares them
while the sweep measures; docs/fleet.md says what that protects against),
is not requeued after a node failure (--no-requeue: a failure is reported,
not silently run again into a second folder), names its output
OUT/fleet/%j.out, and runs harness/fleet/job.sh in the project tree:

    job.sh ROOT OUT LABEL TAG [VAR=value ...]

TAG names the job's build folder (ROOT/build/fleet-TAG/): unique to the
job, so two fleets (two clusters' job 1) never build into one folder.

The sweep's variables go as job.sh's arguments, never through a shell: no
quote in them can break the batch script.  The environment sbatch passes
on is ours without make's (MAKEFLAGS would hand every variable of `make
fleet` to the job's `make bench`) and without the variables the fleet sets
itself.

Imports jobs and slurm of this package, harness.sweep's common.
"""

import datetime
import os
import shlex
import uuid

from harness.sweep import common

from . import jobs, slurm

JOB_SH = os.path.join(common.ROOT, "harness", "fleet", "job.sh")
JOB_NAME = "tvsa-%s"    # squeue's name of a fleet job: tvsa-LABEL
# The environment a job must not inherit: make's own, and what job.sh sets.
DROP_ENV = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "MAKE_TERMOUT",
            "MAKE_TERMERR", "BACKEND", "OUT", "TVSA_BIN", "TVSA_FLEET_LABEL", "BUILD", "BIN")


def job_env(bench_names):
    """Our environment less make's variables, the fleet's own and the
    sweep's (each job gets those as arguments)."""
    drop = set(DROP_ENV) | set(bench_names) | {"PARTITIONS", "NODELISTS", "REPLICAS",
                                               "SBATCH_ARGS", "WAIT", "QUIET"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def sbatch_argv(machine, out, extra):
    """sbatch's options for one machine (without the script)."""
    argv = ["--exclusive", "--no-requeue", "--job-name=" + JOB_NAME % machine["label"],
            "--output=" + jobs.path(out, "%j", "out"), "--chdir=" + common.ROOT,
            "--nodes=%d" % machine["nodes"], "--ntasks-per-node=1"]
    if machine["partition"]:
        argv.append("--partition=" + machine["partition"])
    if machine["nodelist"]:
        argv.append("--nodelist=" + machine["nodelist"])
    return argv + extra


def parse_extra(text):
    """SBATCH_ARGS as a list (shell words); UsageError on an unclosed quote
    or an option the fleet sets itself."""
    try:
        words = shlex.split(text or "")
    except ValueError as e:
        raise common.UsageError("SBATCH_ARGS: %s" % e)
    ours = ("--output", "-o", "--chdir", "-D", "--nodes", "-N", "--partition", "-p",
            "--nodelist", "-w", "--parsable", "--wrap")
    for w in words:
        if w.split("=", 1)[0] in ours:
            raise common.UsageError("SBATCH_ARGS: %s is the fleet's to set (PARTITIONS, "
                                    "NODELISTS, OUT)" % w.split("=", 1)[0])
    return words


def submit(out, machines, bench, extra, say):
    """Submit one job per machine; returns their records (written to
    OUT/fleet/).  say(line): progress for people.  A refused submission
    raises SlurmError after the ones already made are recorded."""
    os.makedirs(jobs.fleet_dir(out), exist_ok=True)
    env = job_env(bench)
    args = ["%s=%s" % kv for kv in sorted(bench.items())]
    replicas = {}
    for m in machines:
        replicas[m["label"]] = replicas.get(m["label"], 0) + 1
    recs = []
    for m in machines:
        tag = "%s-%s" % (m["label"], uuid.uuid4().hex[:12])
        argv = sbatch_argv(m, out, extra) + [JOB_SH, common.ROOT, out, m["label"], tag] + args
        job = slurm.sbatch(argv, env=env)
        rec = dict(m, job_id=job, replicas=replicas[m["label"]], bench=bench, build_tag=tag,
                   sbatch=["sbatch"] + argv, state="SUBMITTED", reason="", exit_code=None,
                   alloc_nodes=None, progress=None, last_line="", run=None, complete=False,
                   final=False, submitted=datetime.datetime.now(datetime.timezone.utc)
                   .strftime("%Y-%m-%dT%H:%M:%SZ"))
        jobs.write(out, rec)
        recs.append(rec)
        say("fleet: submitted job %s: %s" % (job, jobs.where(rec)))
    return recs
