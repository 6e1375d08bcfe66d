"""compare.py - what changed between two benchmark runs, beyond the noise.

    python3 scripts/report/compare_runs.py RUN_A RUN_B   (or: make compare A=... B=...)

For every (workload, model, concurrency) point in both runs' results.csv it
prints B/A of throughput, p99 latency and peak RSS with the 95% interval of
that ratio (Welch on the logs of the two points' counted runs, from each
run's stats/: harness/sweep/interval.py, docs/methodology.md "How sure is a figure"), as
one markdown table row, and marks a change only where the interval says so:

- throughput: the whole interval of B/A lies beyond +-THR_FLOOR (above 1.10
  or below 0.90);
- p99: the whole interval lies beyond x(1 + P99_FLOOR) either way (above 2
  or below 1/2), and only when both runs had >= P99_MIN_TASKS tasks per run
  (below that the p99 is set by a handful of tasks);
- peak RSS: the whole interval lies beyond +-RSS_CHANGE and the medians
  differ by more than RSS_NOISE_KIB.
- A point the sweep flagged noisy (cv > 10% or hyperfine outliers) in
  either run is shown but not judged: its noise is not bounded by its runs.
A run folder without per-run figures (an older sweep) gives each ratio the
corners of the two points' min..max ranges instead, marked "range" ("interval
not measured"), judged by the same thresholds.

Why the floors beyond the intervals (tuned on two quick runs of one commit on
a busy 2-core machine): a point's counted runs are back to back (about a
second), so its interval misses load that comes and goes between two sweeps a
minute apart.  Same-commit runs moved throughput by up to 7% and p99 by up to
1.5x at points neither run flagged noisy, and throughput by 1.5-1.8x at
flagged points; a p99 from ~75 tasks (quick runs at c=1 on a 1 ms wait)
moved 3x.  A point ok in one run and failed in the other is always a change;
points in one run only are listed ("only in A" / "only in B").  The last line
starts "N points compared, K changed beyond noise".

Two runs of different machines (machine.differences: CPU model, cores,
kernel, mitigations, frequency governor, as meta.json's fingerprints record
them) are compared all the same, with a warning per difference in the
table's head and one line each on stderr: a change may be the machine's.

Exit: 0 (changes are not an error), 2 bad input (a folder missing, no
results.csv, unreadable CSV, a results.csv load.check_results finds damaged):
one line on stderr.  Standard library only.
"""

import os
import sys

from . import data, fmt as F, load, machine, sure as S

# Thresholds (see the docstring for the runs they were tuned on).
THR_FLOOR = 0.10        # throughput: beyond 10%: the sweep's own noisy line; quiet
                        # same-commit points drifted up to 7% between sweeps
P99_FLOOR = 1.00        # p99: beyond x2 or /2; the tail is what neighbours hit
                        # first: same-commit runs moved it 1.5x at a quiet point
P99_MIN_TASKS = 1000    # p99 judged only with >= 10 tasks above it per run
RSS_CHANGE = 0.10       # peak RSS: beyond 10% ...
RSS_NOISE_KIB = data.RSS_NOISE_KIB  # ... and beyond a few hundred KiB

UP, DOWN = "▲", "▼"


InputError = load.InputError   # refused input: exit 2 (load.py's convention)


def load_run(path, label):
    """(rows, meta) of a run folder (or of a results.csv path)."""
    if not path:
        raise InputError("%s is empty: give two run folders, e.g. compare_runs.py results/X "
                         "results/latest" % label)
    csv_path = path if os.path.isfile(path) else os.path.join(path, load.RESULTS_CSV)
    if not os.path.isdir(path) and not os.path.isfile(path):
        raise InputError("%s: %s: no such run folder" % (label, path))
    if not os.path.isfile(csv_path):
        raise InputError("%s: %s has no %s" % (label, path, load.RESULTS_CSV))
    meta_path = os.path.join(os.path.dirname(csv_path), load.META_JSON)
    try:
        load.check_results(csv_path, load.read_meta_checked(meta_path))
        rows = load.load_csv(csv_path)
    except load.RunCheckError as e:
        raise InputError("%s: refused: %s" % (label, e))
    except load.ReportError as e:
        raise InputError("%s: %s" % (label, e))
    if not rows or "workload" not in rows[0] or "concurrency" not in rows[0]:
        raise InputError("%s: %s has no points" % (label, csv_path))
    meta_path = os.path.join(os.path.dirname(csv_path), load.META_JSON)
    meta = {}
    if os.path.isfile(meta_path):
        meta = load.load_meta(meta_path)
    S.attach_runs(os.path.dirname(csv_path), rows)
    return rows, meta


def key(r):
    return (r.get("workload"), r.get("model"), r.get("concurrency"))


def beyond(fig, up, down):
    """True when fig's whole interval lies above up or below down."""
    return S.decide(fig, up) == S.CONFIRMED or S.decide(fig, down, higher=False) == S.CONFIRMED


def judge(a, b):
    """{column: (B/A figure with its interval, changed?)} of one point ok in
    both runs."""
    out = {}
    r = S.ratio(b, a, "throughput")
    out["throughput"] = (r, r.value is not None and beyond(r, 1 + THR_FLOOR, 1 - THR_FLOOR))
    r = S.ratio(b, a, "p99_us")
    enough = all(F.is_num(x.get("tasks")) and x["tasks"] >= P99_MIN_TASKS for x in (a, b))
    out["p99_us"] = (r, r.value is not None and enough
                     and beyond(r, 1 + P99_FLOOR, 1 / (1 + P99_FLOOR)))
    r = S.ratio(b, a, "maxrss_kib")
    out["maxrss_kib"] = (r, r.value is not None and beyond(r, 1 + RSS_CHANGE, 1 - RSS_CHANGE)
                         and abs(b["maxrss_kib"] - a["maxrss_kib"]) > RSS_NOISE_KIB)
    return out


def cell(a, b, col, fig, changed, fmt):
    """'19.3k → 38.5k (2.00x, 1.95–2.05x) **▲ +100%**' style cell: the two
    medians, B/A and its interval ("range": min..max corners, interval not
    measured), the mark when changed."""
    text = "%s → %s" % (fmt(a.get(col)), fmt(b.get(col)))
    if fig.value is None:
        return text
    text += " (%sx%s)" % (F.fmt_sig(fig.value), "" if fig.how is None else ", %s%s" % (
        "range " if fig.how == S.RANGE else "", S.span(fig, F.fmt_ratio)))
    if changed:
        text += " **%s %+.0f%%**" % (UP if fig.value > 1 else DOWN, (fig.value - 1) * 100)
    return text


def compare(rows_a, rows_b):
    """(table lines, points compared, changed, noisy and not judged)."""
    a_by = {key(r): r for r in rows_a}
    b_by = {key(r): r for r in rows_b}
    order = list(a_by) + [k for k in b_by if k not in a_by]
    lines = ["| workload | model | c | throughput /s A → B | p99 us A → B | peak RSS KiB A → B "
             "| change beyond noise |", "|---|---|---:|---|---|---|---|"]
    compared = changed = unjudged = 0
    for k in order:
        a, b = a_by.get(k), b_by.get(k)
        head = [str(k[0]), str(k[1]), str(k[2])]
        if a is None or b is None:
            lines.append("| " + " | ".join(head + [F.DASH] * 3 + [
                "only in A" if b is None else "only in B"]) + " |")
            continue
        compared += 1
        if not (data.is_ok(a) and data.is_ok(b)):
            if data.is_ok(a) or data.is_ok(b):
                changed += 1
                verdict = "**CHANGED**: %s in A, %s in B (%s)" % (
                    a.get("status"), b.get("status"),
                    (b if data.is_ok(a) else a).get("reason") or "no reason given")
            else:
                verdict = "failed in both"
            lines.append("| " + " | ".join(F.md_cell(x) for x in head + [F.DASH] * 3 + [verdict])
                         + " |")
            continue
        noisy = [x for x, r in (("A", a), ("B", b)) if r.get("noisy")]
        j = judge(a, b)
        if noisy:
            unjudged += 1
            j = {k: (fig, False) for k, (fig, _) in j.items()}
            verdict = "noisy in %s: not judged" % " and ".join(noisy)
        else:
            what = [n for n, k in (("throughput", "throughput"), ("p99", "p99_us"),
                                   ("RSS", "maxrss_kib")) if j[k][1]]
            if what:
                changed += 1
            verdict = ("**CHANGED**: " + ", ".join(what)) if what else "within noise"
        cells = head + [cell(a, b, "throughput", *j["throughput"], fmt=F.fmt_si),
                        cell(a, b, "p99_us", *j["p99_us"], fmt=F.fmt_si),
                        cell(a, b, "maxrss_kib", *j["maxrss_kib"], fmt=F.fmt_si), verdict]
        lines.append("| " + " | ".join(F.md_cell(x) for x in cells) + " |")
    return lines, compared, changed, unjudged


def backend_of(meta):
    """"local", "remote HOST:PORT", or unknown (an older run: local)."""
    topo = F.meta_get(meta, "topology", default={}) or {}
    if topo.get("backend") == "remote":
        return "remote %s" % topo.get("address")
    return "local" if topo else "local (not recorded)"


def describe(label, path, meta):
    git = F.meta_get(meta, "git", "commit")
    dirty = F.meta_get(meta, "git", "dirty")
    rtt = F.meta_get(meta, "topology", "rtt_us")
    return "- **%s:** `%s` (run %s, commit %s%s, %s, backend %s%s)" % (
        label, path, F.meta_get(meta, "run_id", default=F.UNKNOWN),
        git[:12] if git else F.UNKNOWN, " dirty" if dirty else "", F.cores_text(meta),
        backend_of(meta), ", round trip %s us" % F.fmt_sig(rtt) if F.is_num(rtt) else "")


def main(argv):
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__.split("\n\n")[1].strip())
        return 0
    if len(argv) != 2:
        print("compare: usage: compare_runs.py RUN_A RUN_B (two run folders with results.csv)",
              file=sys.stderr)
        return 2
    try:
        rows_a, meta_a = load_run(argv[0], "A")
        rows_b, meta_b = load_run(argv[1], "B")
    except load.FAILURES as e:      # one line and 2 or 3, as report.py
        return load.failed("compare", e)
    lines, compared, changed, unjudged = compare(rows_a, rows_b)
    out = ["# Run comparison: B / A", "", describe("A", argv[0], meta_a),
           describe("B", argv[1], meta_b)]
    for label, meta in (("A", meta_a), ("B", meta_b)):
        # A run cut short or still being written: its points are only those so far.
        state = load.run_state(meta)
        if state in ("running", "incomplete"):
            why = ("still being written by its sweep (pid %s): its points so far" % (
                (meta.get("writer") or {}).get("pid")) if state == "running" else
                   "incomplete (interrupted, or stopped by a failure): its points so far, "
                   "and not the run's whole noise")
            out.append("- **Warning:** run %s is %s" % (label, why))
            print("compare: warning: run %s is %s" % (label, why), file=sys.stderr)
    for field, why, how in machine.differences(meta_a, meta_b):
        # A difference of machine, not of code: said in the table's head and on stderr.
        out.append("- **Warning:** different %s (%s): %s" % (field.replace("_", " "), how, why))
        print("compare: warning: the runs' machines differ in %s (%s)" % (
            field.replace("_", " "), how), file=sys.stderr)
    ba, bb = backend_of(meta_a), backend_of(meta_b)
    if ba.split(" (")[0] != bb.split(" (")[0]:
        out.append("- **Warning:** different topologies (backend %s vs %s): the backend pairs' "
                   "latency holds a different round trip, and a local backend's CPU is on the "
                   "model's cores" % (ba, bb))
    unmeasured = not (S.measured(rows_a) and S.measured(rows_b))
    out += ["", "Each cell: A → B (B/A, its 95%% interval from the two points' runs).  A change "
            "is marked only where that interval says so: throughput when the whole interval "
            "lies beyond +-%d%%; p99 when it lies beyond x%s either way, with >= %d tasks per "
            "run; peak RSS beyond +-%d%% and %d KiB.  Points flagged noisy are not judged.%s" % (
                round(THR_FLOOR * 100), F.fmt_sig(1 + P99_FLOOR), P99_MIN_TASKS,
                round(RSS_CHANGE * 100), RSS_NOISE_KIB,
                "  **Intervals not measured** for some points (a run folder without per-run "
                "figures in stats/): their cells give the min..max corners (\"range\")."
                if unmeasured else ""), ""]
    out += lines
    out += ["", "%d points compared, %d changed beyond noise%s" % (
        compared, changed, " (%d noisy in A or B, not judged)" % unjudged if unjudged else "")]
    try:
        print("\n".join(out))
    except BrokenPipeError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
