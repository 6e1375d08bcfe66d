#!/usr/bin/env python3
"""matrix.py - the entry of `make matrix`: several machines' runs side by side.

    matrix.py [--dir FLEET_DIR] [--runs RUN,RUN,...] [--out OUT_DIR]

Reads a fleet's folder (make fleet's OUT: its jobs' records and run
folders) and/or run folders, and writes into OUT_DIR (default
FLEET_DIR/matrix, else results/matrix):

    matrix.json   every figure below, as data (what tests and tools read)
    matrix.md     the missing machines and why; per machine its fingerprint
                  and calibration; per claim a verdict per machine with the
                  deciding figure and interval; the key ratios; the latency
                  from the merged histograms; the figures
    WORKLOAD.png/.svg, data/WORKLOAD.csv   the machines' curves
    hgrm/LABEL/TAG.hgrm   each machine's histograms, its replicas' merged

No web page yet (the report has none to join).  Exit: 0 written; 1 no
complete run to set side by side (matrix.md and matrix.json still say
what is missing), a damaged file or gnuplot failing (one line); 2 bad usage.

An entry script: nothing imports it.  It puts the project root first on the
module path (in place of this folder), so every module is imported once,
under its package name.
"""

import argparse
import json
import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts.matrix import compute, figures, gather, markdown, merge  # noqa: E402
from scripts.report.load import FAILURES, failed, write_atomic  # noqa: E402

PROG = "make matrix"
ROOT = sys.path[0]


def parse_args(argv):
    p = argparse.ArgumentParser(prog="matrix.py", description=__doc__.split("\n")[0])
    p.add_argument("--dir", help="a fleet's results folder (make fleet OUT=...)")
    p.add_argument("--runs", help="run folders, comma-separated")
    p.add_argument("--out", help="where to write (default DIR/matrix, else results/matrix)")
    return p.parse_args(argv)


def folders(text):
    if text is None:
        return []
    items = [s.strip() for s in text.split(",")]
    if not text.strip() or not all(items):
        raise gather.MatrixError("RUNS: empty item in '%s'" % text)
    return items


def build(args):
    """Gather, compute, draw; returns (the matrix dict, OUT_DIR)."""
    machines, missing = gather.gather(args.dir, folders(args.runs))
    out_dir = args.out or (os.path.join(args.dir, "matrix") if args.dir else
                           os.path.join(ROOT, "results", "matrix"))
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        raise gather.MatrixError("OUT: cannot use '%s': %s" % (out_dir, e.strerror or e))
    source = " and ".join(x for x in (
        "the fleet in %s" % args.dir if args.dir else "",
        "the run folders %s" % args.runs if args.runs else "") if x)
    mx = {"source": source, "missing": missing,
          "machines": [{"label": m["label"], "runs": [r["name"] for r in m["runs"]],
                        "dirs": [r["dir"] for r in m["runs"]]} for m in machines],
          "fingerprints": compute.fingerprints(machines), "claims": compute.claim_rows(machines),
          "ratios": compute.ratio_rows(machines),
          "calibration": compute.calibration_rows(machines), "hgrm": {}, "figures": []}
    for m in machines:
        merged, skipped = merge.merge_machine(m, out_dir)
        mx["hgrm"][m["label"]] = {"merged": merged, "skipped": skipped}
    if machines:
        mx["figures"] = figures.draw_all(machines, out_dir)
    return mx, out_dir


def main(argv):
    args = parse_args(argv)
    try:
        mx, out_dir = build(args)
        write_atomic(os.path.join(out_dir, "matrix.json"),
                     json.dumps(mx, indent=1, default=str) + "\n")
        write_atomic(os.path.join(out_dir, "matrix.md"), markdown.render(mx))
    # The report's convention (scripts/report/load.py failed()): 2 the
    # input is refused, 3 a failure.
    except FAILURES + (gather.MatrixError,) as e:
        return failed(PROG, e, refused=(gather.MatrixError,))
    for m in mx["missing"]:
        print("%s: missing %s: %s" % (PROG, m["label"], m["why"]), file=sys.stderr)
    print("%s: %d machine%s (%s), %d missing: %s" % (
        PROG, len(mx["machines"]), "" if len(mx["machines"]) == 1 else "s",
        ", ".join(m["label"] for m in mx["machines"]) or "none", len(mx["missing"]),
        os.path.join(out_dir, "matrix.md")), file=sys.stderr)
    return 0 if mx["machines"] else 3   # written, but no machine to set side by side


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
