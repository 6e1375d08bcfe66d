#!/usr/bin/env python3
"""fleet.py - the entry of `make fleet` and `make fleet-status`: the bench on a Slurm fleet.

    fleet.py submit --out DIR (--partitions P[:2],... | --nodelists 'L1 L2') [--replicas N]
                    [--sbatch-args '...'] [--no-wait] [--quick] [--workloads a,b] ...
    fleet.py status DIR [--no-wait]

submit: one exclusive job per machine (spec.py), each running the sweep
into DIR/LABEL/ (submit.py, job.sh), then follows them to their end
(track.py) unless --no-wait.  status: follows a fleet's jobs again (or,
with --no-wait, prints one line per job and returns).

Exit: 0 every job left a complete run (or --no-wait: submitted); 2 bad
usage, no Slurm here, sbatch refusing a job (one line); 3 a job ended
without a complete run (each one said, with why); 130 Ctrl-C (the jobs go
on).

An entry script: nothing imports it.  It puts the project root first on the
module path (in place of this folder), so every module is imported once,
under its package name.
"""

import argparse
import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness.fleet import jobs, slurm, spec, submit, track  # noqa: E402
from harness.sweep import common, models  # noqa: E402


class ArgParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line (UsageError)."""

    def error(self, message):
        raise common.UsageError(message)


def parse_args(argv):
    ap = ArgParser(prog="fleet.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True, parser_class=ArgParser)
    s = sub.add_parser("submit", help="submit the bench to every machine, then follow it")
    s.add_argument("--out", help="the fleet's results folder (shared by every node)")
    s.add_argument("--partitions", help="[LABEL=]PARTITION[:NODES],... one job each")
    s.add_argument("--nodelists", help="'[LABEL=]NODELIST ...' one job each (space-separated)")
    s.add_argument("--replicas", help="jobs per machine (replicas of one machine type)")
    s.add_argument("--sbatch-args", help="more sbatch options for every job (--time=...)")
    s.add_argument("--backend", help=argparse.SUPPRESS)   # refused: the fleet's to set
    s.add_argument("--no-wait", action="store_true", help="submit and return")
    s.add_argument("--quiet", action="store_true", help="only the final lines")
    s.add_argument("--quick", action="store_true", help="each job runs make bench QUICK=1")
    for opt in spec.BENCH_VARS.values():
        s.add_argument("--" + opt, help="make bench's %s=" % opt.upper())
    t = sub.add_parser("status", help="follow a fleet's jobs again")
    t.add_argument("dir", metavar="DIR", help="the fleet's results folder (make fleet's OUT)")
    t.add_argument("--no-wait", action="store_true", help="one line per job, then return")
    t.add_argument("--quiet", action="store_true", help="only the final lines")
    return ap.parse_args(argv)


def out_dir(text):
    """OUT made absolute (every job's node must find it) and created."""
    if not text or not text.strip():
        raise common.UsageError("OUT: name the fleet's results folder, one every node can "
                                "write (a shared file system): make fleet OUT=/shared/results ...")
    out = os.path.abspath(text)
    try:
        os.makedirs(jobs.fleet_dir(out), exist_ok=True)
    except OSError as e:
        raise common.UsageError("OUT: cannot use '%s': %s" % (text, e.strerror or e))
    if not os.access(out, os.W_OK | os.X_OK):
        raise common.UsageError("OUT: '%s' is not writable" % text)
    return out


def do_submit(args):
    if args.backend is not None:
        raise common.UsageError("BACKEND: the fleet sets it: a job of two nodes "
                                "(PARTITIONS=NAME:2) runs bin/backend on its second node")
    gone = slurm.missing()
    if gone:
        raise common.UsageError("no %s on PATH: run make fleet on a Slurm cluster's login "
                                "node (Debian: apt-get install slurm-client)" % ", ".join(gone))
    bench = spec.bench_vars(args)
    machines = spec.machines(args.partitions, args.nodelists, args.replicas, slurm.hostnames)
    extra = submit.parse_extra(args.sbatch_args)
    out = out_dir(args.out)
    recs = submit.submit(out, machines, bench, extra, lambda l: common.say(l, args.quiet))
    if args.no_wait:
        common.say("fleet: %d job%s submitted; follow them: make fleet-status DIR=%s" % (
            len(recs), "" if len(recs) == 1 else "s", out), args.quiet)
        return 0
    return track.wait(out, recs, args.quiet)


def do_status(args):
    out = os.path.abspath(args.dir)
    damaged = []
    recs = jobs.read_all(out, damaged)
    if not recs and not damaged:
        raise common.UsageError("DIR: '%s' holds no fleet records (%s/*.json)"
                                % (args.dir, jobs.fleet_dir(args.dir)))
    for p, why in damaged:   # a job no longer followed: said, and the fleet is not whole
        print("fleet: %s: a damaged record (%s): its job is not followed and its machine "
              "is missing" % (os.path.relpath(p, out), why), file=sys.stderr)
    rc = follow(out, recs, args) if recs else 0
    return 3 if damaged and rc == 0 else rc


def follow(out, recs, args):
    """make fleet-status on the readable records: their lines, then (all
    final) the summary; its exit status."""
    if slurm.missing():
        # No Slurm here: what the records and run folders say is all there is.
        for rec in recs:
            common.say(track.line(rec), args.quiet)
        return track.summary(out, recs) if all(r.get("final") for r in recs) else 0
    if args.no_wait:
        track.update(out, recs)
        for rec in recs:
            print(track.line(rec), file=sys.stderr)
        return track.summary(out, recs) if all(r.get("final") for r in recs) else 0
    for rec in recs:
        if rec.get("final"):
            common.say(track.line(rec), args.quiet)
    return track.wait(out, recs, args.quiet)


def main(argv):
    try:
        args = parse_args(argv)
        return do_submit(args) if args.cmd == "submit" else do_status(args)
    except (common.UsageError, models.ModelsDefError) as e:
        print("make fleet: %s" % e, file=sys.stderr)
        return 2
    except slurm.SlurmError as e:
        print("make fleet: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
