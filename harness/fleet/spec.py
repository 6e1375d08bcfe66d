"""spec.py - what make fleet is asked to run: the machines, and the sweep each runs.

The machines, one Slurm job each (REPLICAS=N: N jobs each, replicas of one
machine type whose histograms the matrix merges):

    PARTITIONS=alpha,beta:2,x86=gamma
        [LABEL=]PARTITION[:NODES]  a job on NODES (1 or 2) nodes of a partition,
                                   one partition standing for one machine type;
    NODELISTS="n[1-2] arm=m7"
        [LABEL=]NODELIST           a job on exactly those nodes (space-separated
                                   entries: a node list may hold commas).

A job of two nodes runs the sweep on the first and bin/backend on the second
(the backend pairs talk to it over the network: BACKEND=HOST:PORT).  LABEL,
by default the partition or the node list made a name ("n[1-2]" -> "n1-2"),
names the machine type: its results folder (OUT/LABEL/) and its column in
the matrix.

The sweep: the variables `make bench` takes, passed on to every job as they
are (QUICK, CONCURRENCY, WORKLOADS, MODELS, RUNS, RATE, ONECPU, SERVE, PIN,
TIMER_SLACK_NS), checked
here first where this host can (the models' registry, the levels, the run
count; the workloads when bin/threads runs here), so a typo is refused
before a queue slot is spent.  BACKEND is the fleet's to set.

Imports only harness.sweep's common and models (leaves) and registry.
"""

import re
import subprocess

from harness.sweep import common, models, registry

LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # a folder name, a gnuplot word
NAME_RE = re.compile(r"^[A-Za-z0-9_.\-\[\],]+$")   # a partition or a Slurm node list
MAX_NODES = 2           # the sweep's host and the backend's: a third would idle
MAX_REPLICAS = 16
# make bench's variables a fleet job passes on ({variable: option of fleet.py}).
BENCH_VARS = {"CONCURRENCY": "concurrency", "WORKLOADS": "workloads",
              "MODELS": "models", "RUNS": "runs", "RATE": "rate", "ONECPU": "onecpu",
              "SERVE": "serve", "PIN": "pin", "TIMER_SLACK_NS": "timer_slack_ns"}
SWITCHES = ("RATE", "ONECPU", "SERVE")   # make bench reads 0 / 1 from these


def label_of(text):
    """A default label from a partition or node list: "n[1-2],m3" -> "n1-2_m3"."""
    out = re.sub(r"[\[\]]", "", text).replace(",", "_")
    return re.sub(r"[^A-Za-z0-9_.-]", "-", out)


def split_label(entry, what):
    """(label or None, rest) of "[LABEL=]REST"; UsageError on a bad label."""
    label, sep, rest = entry.partition("=")
    if not sep:
        return None, entry
    if not LABEL_RE.match(label):
        raise common.UsageError("%s: label '%s' must be letters, digits, '_', '.', '-' "
                                "(a folder name)" % (what, label))
    return label, rest


def parse_partitions(text):
    """[{label, partition, nodes, nodelist: None}] of PARTITIONS."""
    out = []
    for entry in common.parse_list(text, "PARTITIONS", str):
        label, rest = split_label(entry, "PARTITIONS")
        part, sep, n = rest.partition(":")
        if not part or not NAME_RE.match(part) or "," in part:
            raise common.UsageError("PARTITIONS: '%s' is not [LABEL=]PARTITION[:NODES]" % entry)
        nodes = common.whole(n, "PARTITIONS %s: node count" % part, 1, MAX_NODES) if sep else 1
        out.append({"label": label or label_of(part), "partition": part, "nodes": nodes,
                    "nodelist": None})
    return out


def parse_nodelists(text, count_nodes):
    """[{label, partition: None, nodes, nodelist}] of NODELISTS (entries
    separated by spaces); count_nodes(nodelist) -> the node names in it."""
    entries = text.split()
    if not entries:
        raise common.UsageError("NODELISTS: empty; give Slurm node lists, e.g. NODELISTS='n[1-2] n3'")
    out = []
    for entry in entries:
        label, rest = split_label(entry, "NODELISTS")
        if not rest or not NAME_RE.match(rest):
            raise common.UsageError("NODELISTS: '%s' is not [LABEL=]NODELIST" % entry)
        n = len(count_nodes(rest))
        if n > MAX_NODES:
            raise common.UsageError("NODELISTS: '%s' names %d nodes; a job uses 1 (the sweep) "
                                    "or 2 (and a backend host)" % (rest, n))
        out.append({"label": label or label_of(rest), "partition": None, "nodes": n,
                    "nodelist": rest})
    return out


def machines(partitions, nodelists, replicas, count_nodes):
    """The jobs to submit: each machine entry REPLICAS times, with "replica"
    1..N.  UsageError when no machine is given or a label repeats."""
    if partitions is None and nodelists is None:
        raise common.UsageError("give the machines: PARTITIONS=p1,p2[:2] and/or "
                                "NODELISTS='nodes1 nodes2'")
    found = (parse_partitions(partitions) if partitions is not None else []) + \
        (parse_nodelists(nodelists, count_nodes) if nodelists is not None else [])
    labels = [m["label"] for m in found]
    dup = sorted({l for l in labels if labels.count(l) > 1})
    if dup:
        raise common.UsageError("machine '%s' given twice (replicas of one machine type: "
                                "REPLICAS=N)" % dup[0])
    n = common.whole(replicas, "REPLICAS", 1, MAX_REPLICAS) if replicas is not None else 1
    return [dict(m, replica=i) for m in found for i in range(1, n + 1)]


def bench_vars(args):
    """{VARIABLE: value} of the make bench variables given, checked as far
    as this host can.  UsageError on a bad one."""
    got = {v: getattr(args, opt) for v, opt in BENCH_VARS.items()
           if getattr(args, opt) is not None}
    if args.quick:
        got["QUICK"] = "1"
    for v, text in got.items():
        if "\n" in text or "\0" in text:
            raise common.UsageError("%s: a line break in its value" % v)
    if "MODELS" in got:
        common.pick(got["MODELS"], models.load(), "MODELS")
    if "CONCURRENCY" in got:
        common.parse_list(got["CONCURRENCY"], "CONCURRENCY", common.parse_level)
    if "RUNS" in got:
        common.whole(got["RUNS"], "RUNS", 3, 100)
    if "PIN" in got and got["PIN"].strip() not in common.PIN_CHOICES + ("",):
        raise common.UsageError("PIN: '%s' must be split or none" % got["PIN"])
    for v in SWITCHES:
        if v in got and got[v].strip() not in ("0", "1"):
            raise common.UsageError("%s: '%s' must be 0 or 1" % (v, got[v]))
    if "WORKLOADS" in got:
        try:
            known = registry.pairs()
        except (OSError, subprocess.CalledProcessError):
            known = None        # no build here: the jobs' sweeps check the names
        if known is not None:
            common.pick(got["WORKLOADS"], known, "WORKLOADS")
        else:
            common.parse_list(got["WORKLOADS"], "WORKLOADS", str)
    return got
