"""summary.py - the report's first screen: each piece of advice, its verdict, the figure that decided it, the plot.

What a reader deciding between threads and an event loop reads first
(report.md opens with it, and so does index.html, made from report.md):

  - a warning when the run was not fit to decide anything (quality.py);
  - one table: each claim under test, the design's (rules.ADVICE) and the
    field's with their sources (contested.ADVICE) -> its verdict -> the one
    figure that decided it, with its 95% interval and thresholds (the
    rule's judge.Judge.decider, sure.Sure.figure), or why it is NOT SHOWN
    -> the plot to look at (the workload's figure; serve/ and rate/ for the
    claims decided there);
  - the run-quality line: load, other processes' CPU, steal, noisy points.

The same rows go to summary.json beside report.md (data(), json_text()),
which tests read instead of the markdown.
"""

import json
import os
import re

from . import contested, quality
from .data import workloads
from .fmt import DASH, md_cell, meta_get
from .plots import drawn_workloads
from .rules import ADVICE, NOT_SHOWN

SUMMARY_JSON = "summary.json"
WHY_CHARS = 160         # a NOT SHOWN reason in the table, at most
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")


def plot_for(v, names, serve_names, run_dir):
    """The figure to look at for verdict v (a path relative to the run
    folder), or None: the workload the deciding figure names, drawn by the
    view that decided it (serve/serve-WL.png, rate/rate-WL.png, WL.png);
    None when it names no workload (calibration figures) or the file is not
    there (run_dir given)."""
    fig = v.get("figure") or {}
    text = " ".join(str(fig.get(k) or "") for k in ("label", "text"))
    view = v.get("view")
    pool = serve_names if view else names
    wl = next((w for w in NAME.findall(text) if w in pool), None)
    if wl is None:
        return None
    path = ("serve/serve-%s.png" % wl if view else
            "rate/rate-%s.png" % wl if v.get("key") == "open" else "%s.png" % wl)
    if run_dir and not os.path.exists(os.path.join(run_dir, path)):
        return None
    return path


def why_text(v):
    """Why a verdict is NOT SHOWN, short: its evidence's first clause."""
    why = (v.get("evidence") or "").split("; ")[0]
    return why if len(why) <= WHY_CHARS else why[:WHY_CHARS - 3].rstrip() + "..."


def data(judged, rows, meta, serve_rows=None, run_dir=None):
    """summary.json's contents: {"run_id", "quality" (quality.assess, with
    the noisy share), "claims": [{key, advice, source, verdict,
    unfit_verdict, figure (sure.Sure.figure's dict, or None), plot (a
    path in the run folder, or None), why (NOT SHOWN: the reason),
    scaling (the I/O claim: where threads stop scaling)}]} in the report's
    order (the design's claims, then the field's)."""
    seed, field = judged
    names = set(workloads(rows)) & set(drawn_workloads(rows))
    serve_names = {r.get("workload") for r in serve_rows or ()}
    out = []
    for v in list(seed) + list(field):
        key = v.get("key")
        advice, source = (ADVICE.get(key), None) if key in ADVICE else \
            contested.ADVICE.get(key, (v.get("claim"), None))
        shown = v["verdict"] != NOT_SHOWN
        out.append({"key": key, "advice": advice, "source": source, "verdict": v["verdict"],
                    "unfit_verdict": v.get("unfit_verdict"), "view": v.get("view"),
                    "figure": v.get("figure") if shown else None,
                    "plot": plot_for(v, names, serve_names, run_dir) if shown else None,
                    "why": None if shown else why_text(v),
                    "scaling": v.get("scaling") or []})
    q = quality.assess(meta)
    noisy, total = quality.noisy_share(rows)
    return {"run_id": meta_get(meta, "run_id"),
            "quality": {"fit": q["fit"], "why": q["why"], "taken_cores": q["taken"],
                        "limit_cores": q["limit"], "cores": q["cores"], "cpu_use": q["use"],
                        "load": q["load"], "noisy_points": noisy, "ok_points": total},
            "claims": out}


def json_text(d):
    """summary.json's text."""
    return json.dumps(d, indent=1, sort_keys=False) + "\n"


def figure_cell(c):
    """The table's figure cell: the figure with its interval, what it is and
    its thresholds; a NOT SHOWN claim's reason."""
    if c["why"]:
        return "not shown: %s" % c["why"]
    f = c["figure"]
    if not f:
        return DASH
    if "what" not in f:
        return f["text"]
    cell = "%s: %s%s; %s" % (f["what"], (f["label"] + " ") if f["label"] else "", f["text"],
                             f["rule"])
    if c["scaling"]:
        cell += ".  " + "; ".join(c["scaling"])
    return cell


def lines(d, meta, commands_link):
    """The first screen of report.md (markdown lines): the warning when the
    run was not fit, the summary table, the run-quality line, and where the
    commands and provenance went (commands_link: markdown)."""
    q = quality.assess(meta)
    out = ["## Summary", ""] + quality.warning(q)
    out += ["Each piece of advice under test, its verdict on this run, the one figure that "
            "decided it (its 95% interval and the thresholds; the Verdicts section has all of "
            "them), and the plot to look at.", "",
            "| Advice under test | Verdict | The figure that decided it | Plot |",
            "|---|---|---|---|"]
    for c in d["claims"]:
        advice = c["advice"] + (" (%s)" % c["source"] if c["source"] else "")
        verdict = "**%s**" % c["verdict"] + (
            " (the figures alone: %s)" % c["unfit_verdict"] if c["unfit_verdict"] else "")
        plot = "[%s](%s)" % (os.path.basename(c["plot"]), c["plot"]) if c["plot"] else DASH
        out.append("| " + " | ".join(md_cell(x) for x in (
            advice, verdict, figure_cell(c), plot)) + " |")
    out += ["", quality.line(q, d["quality"]["noisy_points"], d["quality"]["ok_points"]), "",
            "What was run, where and how: %s." % commands_link, ""]
    return out
