"""markdown.py - matrix.md: the machines side by side, as one markdown string.

Sections: the missing machines and why (first: a reader must see what is not
there before reading what is); the machines (one column each: runs and
jobs, the fingerprint, the differences that matter against the first, the
calibration floor figures); the claims (a row each, a verdict per machine
with the deciding figure and interval); the key ratios; the latency from
each machine's merged histograms; the figures.  Everything comes from the
dict matrix.py also writes as matrix.json.

Imports scripts.report.fmt.
"""

from scripts.report.fmt import DASH, fmt_us, md_cell

FINGERPRINT_ROWS = (("cpu", "CPU"), ("cores", "cores, SMT"), ("governor", "governor"),
                    ("kernel", "kernel"), ("mitigations", "mitigations"),
                    ("cgroup", "cgroup"), ("memory", "memory"), ("cpu_flags", "CPU flags"),
                    ("libraries", "libraries"), ("load", "load during the run"))


def table(head, rows):
    """A markdown table: head (cells), rows (lists of cells)."""
    return (["| " + " | ".join(md_cell(h) for h in head) + " |",
             "|" + "|".join("---" for _ in head) + "|"] +
            ["| " + " | ".join(md_cell(c) for c in r) + " |" for r in rows])


def joined(texts):
    """One cell from a machine's replicas' texts: one text when they agree."""
    if not texts:
        return DASH
    return texts[0] if len(set(texts)) == 1 else " / ".join(texts)


def machine_lines(mx, labels):
    fps = mx["fingerprints"]
    rows = [["runs"] + [", ".join(fps[l]["runs"]) + (" (replicas)" if len(fps[l]["runs"]) > 1
                                                      else "") for l in labels],
            ["Slurm jobs"] + [", ".join(fps[l]["jobs"]) or DASH for l in labels]]
    rows += [[name] + [fps[l]["summary"][key] for l in labels] for key, name in FINGERPRINT_ROWS]
    rows.append(["CPU flags no other machine has"] + [
        DASH if fps[l]["only_flags"] is None else (", ".join(fps[l]["only_flags"]) or "none")
        for l in labels])
    for c in mx["calibration"]:
        rows.append(["%s (%s)" % (c["name"], c["unit"])] +
                    [joined(c["cells"].get(l, [])) for l in labels])
    out = ["## Machines", "", "One column per machine type; a machine of several runs "
           "(replicas) shows each run's figure where they differ.  The calibration figures "
           "are bin/calibrate's (each run's calibration.csv): the terms of the machine's "
           "floor.", ""] + table(["", *labels], rows)
    diffs = [(l, d) for l in labels for d in fps[l]["differs"]]
    if diffs:
        out += ["", "Differences that matter, against %s:" % labels[0], ""]
        out += ["- **%s**: %s differs (%s): %s" % (l, f.replace("_", " "), how, why)
                for l, (f, why, how) in diffs]
    split = [(l, fps[l]["replicas_differ"]) for l in labels if fps[l]["replicas_differ"]]
    for l, fields in split:
        out.append("- **%s**: its replicas' machines differ in %s: they may not be one "
                   "machine type" % (l, ", ".join(fields)))
    return out + [""]


def claim_lines(mx, labels):
    out = []
    for group, title in (("design", "The design's claims"),
                         ("contested", "The field's contested claims")):
        rows = []
        for c in (c for c in mx["claims"] if c["group"] == group):
            cells = []
            for l in labels:
                cell = c["cells"].get(l)
                cells.append(DASH if cell is None else "**%s**: %s" % (cell["verdict"],
                                                                        cell["sure"]))
            rows.append([c["claim"]] + cells)
        out += ["### %s" % title, ""] + table(["Claim", *labels], rows) + [""]
    return ["## Claims", "", "Each machine's verdict as its own report judges it "
            "(scripts/report/claims.py, contested.py), with the deciding figures and their "
            "95% intervals against the thresholds.  A machine whose replicas disagree reads "
            "SPLIT, with each run's.", ""] + out


def ratio_lines(mx, labels):
    rows = [["%s: %s" % (r["workload"], r["what"])] + [joined(r["cells"].get(l, []))
                                                       for l in labels]
            for r in mx["ratios"]]
    return ["## Key ratios", "", "From each run's points, with the 95% interval of the "
            "ratio where its runs give one (as the verdicts take them).", ""] + \
        table(["", *labels], rows) + [""]


def latency_lines(mx, labels):
    """p50 / p99 from the merged histograms, at each (workload, model)'s
    highest concurrency every machine reached."""
    by = {}
    for l in labels:
        for e in mx["hgrm"].get(l, {}).get("merged", []):
            by.setdefault((e["workload"], e["model"]), {}).setdefault(e["c"], {})[l] = e
    rows = []
    for (wl, model), per_c in by.items():
        both = [c for c, got in per_c.items() if len(got) == len(labels)]
        if not both:
            continue
        c = max(both)
        rows.append(["%s %s c=%s" % (wl, model, c)] + [
            "%s / %s (%d replica%s, %d counted runs, %d tasks)" % (
                fmt_us(per_c[c][l]["p50_us"]), fmt_us(per_c[c][l]["p99_us"]),
                per_c[c][l]["runs"], "" if per_c[c][l]["runs"] == 1 else "s",
                per_c[c][l]["hists"], per_c[c][l]["total"]) for l in labels])
    out = ["## Latency from the merged histograms", "",
           "p50 / p99 of each machine at the highest concurrency every machine reached, read "
           "from its histograms merged over its runs (counts added; never an average of "
           "percentiles): `hgrm/LABEL/WORKLOAD-MODEL-cC.hgrm`, HdrHistogram's format.", ""]
    out += table(["point", *labels], rows) if rows else ["No point every machine reached."]
    skipped = [(l, s) for l in labels for s in mx["hgrm"].get(l, {}).get("skipped", [])]
    if skipped:
        out += ["", "Not merged: " + "; ".join("%s %s-%s-c%s (%s)" % (
            l, s["workload"], s["model"], s["c"], s["why"]) for l, s in skipped)]
    return out + [""]


def render(mx):
    """matrix.md from the matrix dict (matrix.py)."""
    labels = [m["label"] for m in mx["machines"]]
    out = ["# Machine matrix: %d machine%s" % (len(labels), "" if len(labels) == 1 else "s"),
           "", "Made from %s.  Machines: %s." % (mx["source"], ", ".join(labels) or "none"), ""]
    if mx["missing"]:
        out += ["## Missing", "", "Nothing is taken from an incomplete run.", ""]
        out += ["- **%s**: %s" % (m["label"], m["why"]) for m in mx["missing"]] + [""]
    if not labels:
        return "\n".join(out + ["No complete run: nothing to set side by side."]) + "\n"
    out += machine_lines(mx, labels) + claim_lines(mx, labels) + ratio_lines(mx, labels)
    out += latency_lines(mx, labels)
    out += ["## Figures", "", "Per workload, a panel per model: each machine's throughput and "
            "p99 against concurrency, one curve per run (a replica dashed).", ""]
    out += ["![%s](%s)" % (f["workload"], f["files"][0]) for f in mx["figures"]]
    return "\n".join(out) + "\n"

