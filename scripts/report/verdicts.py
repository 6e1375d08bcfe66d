"""verdicts.py - the "Verdicts" section of report.md.

The design's claims (claims.py) and the field's contested claims
(contested.py), each a table row: verdict, how sure (the deciding 95%
intervals against their thresholds), one quotable sentence; then the evidence
of each, and a per-workload table: the concurrency where async overtakes threads, the ratios at the highest
concurrency both reached, and how far each model of the registry got and why
it stopped.  The rules and their thresholds are in rules.py.
"""

from . import contested
from .claims import verdicts
from .data import BACKEND_BOUND_UTIL, models, workloads
from .fmt import DASH, fmt_x, is_num, md_cell
from .rules import (ASYNC, CLAIMS, THREADS, common, cores_of, crossover, declared_claims,
                    fmt_per_task, info, mem_per_task, ok_points, reached, rss_per_task, rss_ratio)
from .sure import measured


def workload_rows(rows, meta):
    """One dict per workload: crossover, ratios at the highest common c, reach."""
    out = []
    for wl in workloads(rows):
        i = info(rows, meta, wl)
        t, a = ok_points(rows, wl, THREADS), ok_points(rows, wl, ASYNC)
        levels = common(t, a)
        d = {"workload": wl, "kind": i["kind"], "work": i["work"], "delay_us": i["delay_us"],
             "crossover": None, "top": None, "tp_ratio": None, "rss_ratio": None,
             "per_task": (None, None), "per_task_whole": False, "noisy": False,
             "reach": {m: reached(rows, wl, m) for m in models(rows, meta)}}
        if levels:
            c = levels[-1]
            d["crossover"] = crossover(t, a)
            d["top"] = c
            d["tp_ratio"] = a[c]["throughput"] / t[c]["throughput"]
            if is_num(t[c].get("maxrss_kib")) and is_num(a[c].get("maxrss_kib")) and a[c]["maxrss_kib"]:
                d["rss_ratio"] = t[c]["maxrss_kib"] / a[c]["maxrss_kib"]
            whole = mem_per_task(t[c]) is not None and mem_per_task(a[c]) is not None
            d["per_task"] = ((mem_per_task(t[c]), mem_per_task(a[c])) if whole
                             else (rss_per_task(t[c]), rss_per_task(a[c])))
            d["per_task_whole"] = whole
            d["noisy"] = bool(t[c].get("noisy") or a[c].get("noisy"))
        out.append(d)
    return out


def with_view(vs, served):
    """vs with each claim that serve data decided (serving.decide: {key:
    verdict}) replaced by that verdict, and every claim saying which view
    decided it: the fan-out view's verdict is kept in the evidence."""
    out = []
    for v in vs:
        s = served.get(v.get("key"))
        if s is None:
            out.append(dict(v, claim="%s [fan-out view]" % v["claim"]))
            continue
        out.append(dict(v, verdict=s["verdict"], sure=s["sure"], say=s["say"],
                        figure=s.get("figure"), view=s["view"],
                        unfit_verdict=s.get("unfit_verdict"),
                        claim="%s [%s; %s]" % (v["claim"], s["view_text"], s["why_view"]),
                        evidence="%s; the fan-out view said %s: %s" % (
                            s["evidence"], v["verdict"], v["evidence"])))
    return out


def claim_table(vs, with_source):
    """The markdown table of judged claims: claim (and source), verdict, how
    sure, the quotable sentence."""
    head = ["Claim"] + (["Source"] if with_source else []) + ["Verdict", "How sure",
                                                              "In one sentence"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for v in vs:
        cells = [v["claim"]] + ([v["source"]] if with_source else []) + [
            "**%s**" % v["verdict"], v["sure"], v["say"]]
        lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    return lines


def judge_all(rows, meta, rate_rows=None, extra=None):
    """(the design's claims, the field's contested claims): every verdict
    of the run, each claim that serve data decided in that view (with_view),
    and none CONFIRMED or REFUTED on a run not fit to decide (quality.py)."""
    meta = meta or {}
    served = (extra or {}).get("serve") or {}
    return (with_view(verdicts(rows, meta, rate_rows), served),
            with_view(contested.verdicts(rows, meta, extra), served))


def render(rows, meta, rate_rows=None, extra=None, judged=None):
    """The "## Verdicts" section as markdown lines; extra: {"cal": the
    calibration figures, "onecpu": onecpu/results.csv rows} (contested.py);
    judged: judge_all()'s answer when the caller has it."""
    meta = meta or {}
    cores = cores_of(meta)
    seed, field = judged or judge_all(rows, meta, rate_rows, extra)
    lines = ["## Verdicts", "",
             "Each claim, tested on this run's numbers (%s): the design's claims (the advice "
             "quoted at the top of README.md), then the field's contested claims with their "
             "sources.  Every figure a verdict uses carries its 95%% interval from the "
             "repetitions (docs/methodology.md, \"How sure is a figure\"); **CONFIRMED** or **REFUTED** "
             "only when the whole interval lies past the claim's threshold, **INCONCLUSIVE** "
             "when it crosses one (the run cannot tell), **NOT SHOWN** when the run lacks the "
             "model, pair or data it needs (named).  *How sure* gives the deciding intervals "
             "and thresholds; the sentence can be quoted as it stands.  A pair votes only on "
             "the claims it declares (`.claims` in workloads/NAME.c).  The rules and "
             "thresholds are at the top of `scripts/report/rules.py` and "
             "`scripts/report/contested.py`." % (
                 "%d core%s" % (cores, "" if cores == 1 else "s") if cores else "unknown cores")]
    decl = {w: declared_claims(meta, w) for w in workloads(rows)}
    if decl and all(d is None for d in decl.values()):
        lines += ["", "> This run's meta.json records no pair's claims (it predates them): each "
                  "rule picks its pairs by kind, work and delay, as the report then did."]
    unknown = sorted({(k, w) for w, d in decl.items() for k in (d or ())
                      if k not in CLAIMS and k not in contested.CONTESTED})
    if unknown:
        lines += ["", "> Claim keys no rule knows, ignored: %s (see `.claims` in "
                  "workloads/NAME.c)." % ", ".join("'%s' (%s)" % kw for kw in unknown)]
    if not measured(rows):
        lines += ["", "> **Intervals not measured** for some points: this run folder has no "
                  "per-run figures (stats/) for them, so their figures carry the min–max of "
                  "their runs (\"range\"), not a 95% interval."]
    lines += ["", "### The design's claims", ""] + claim_table(seed, False)
    lines += ["", "### The field's contested claims", ""] + claim_table(field, True)
    lines += ["", "### Evidence", "",
              "The numbers behind each verdict.  \"(noisy: ...)\" names points used that the "
              "sweep flagged noisy; \"(backend-bound: ...)\" points where the run's own backend "
              "used >= %s of a core (the backend, not the model, set the pace)." %
              BACKEND_BOUND_UTIL, ""]
    for v in seed + field:
        lines.append("- **%s** (%s): %s" % (md_cell(v["claim"]), v["verdict"],
                                            md_cell(v["evidence"])))
    all_models = models(rows, meta)
    lines += ["", "### Per workload", "", "*crossover* is the lowest concurrency from which async's "
              "throughput exceeds threads' at every higher common level (\"none\": never); "
              "the ratios are taken at the highest concurrency both reached (c); *reached* is "
              "each model's highest ok concurrency and why it stopped.", ""]
    head = ["Workload", "kind (work, delay)", "crossover c", "c", "async/threads throughput",
            "peak RSS threads/async", "memory per task threads / async"] + [
                "%s reached" % m for m in all_models]
    lines += ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for d in workload_rows(rows, meta):
        pt_t, pt_a = d["per_task"]
        rr = rss_ratio(pt_t, pt_a, d["top"]) if d["top"] else None
        cells = [d["workload"], "%s (%s, %s us)" % (d["kind"], d["work"], d["delay_us"]),
                 DASH if d["top"] is None else
                 ("none" if d["crossover"] is None else str(d["crossover"])),
                 DASH if d["top"] is None else str(d["top"]),
                 fmt_x(d["tp_ratio"]) + (" (noisy)" if d["noisy"] else ""),
                 fmt_x(d["rss_ratio"]),
                 "%s / %s%s%s" % (fmt_per_task(pt_t, d["top"]), fmt_per_task(pt_a, d["top"]),
                                  "" if rr is None else
                                  " (%s%s)" % (">= " if rr[1] else "", fmt_x(rr[0])),
                                  "" if pt_t is None else " (RSS + kernel)" if d["per_task_whole"]
                                  else " (RSS only)")]
        for m in all_models:
            r = d["reach"].get(m)
            if r is None:
                cells.append("not run")
            else:
                top, why = r
                if why.startswith("not limited") and top is not None:
                    cells.append(why)               # reached the top of its sweep
                else:
                    cells.append("%s; %s" % ("no ok point" if top is None else "c=%s" % top, why))
        lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    lines.append("")
    return lines
