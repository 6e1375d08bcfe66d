"""rate.py - the open-loop part of the report: figures, rate.md, who breaks first.

Reads RUN_DIR/rate/rate.csv (harness/sweep/open_loop.py) and writes, in RUN_DIR/rate/:
  rate-WORKLOAD.png/.svg   p50, p99, p99.9 against load, open and closed loop
  rate.md                  capacity, where each model's tail breaks, and the
                           coordinated-omission check
build.py includes rate.md in the main report when it exists, and claims.py
judges "whose tail breaks first" with summarize().

Definitions (every number comes from rate.csv):
  capacity      a model's best closed-loop throughput, c = 1 .. C
  breaks at     the lowest offered load at which the open-loop p99 exceeds
                BREAK_FACTOR x its p99 at the lowest load, or the model falls
                behind (throughput < KEEP_UP x offered)
  closed p99 at the same throughput
                the closed-loop p99 interpolated (log-linear) at the open
                point's achieved throughput, on the first segment of the
                closed curve (in order of c) that spans it

A gnuplot failure raises load.ReportError like every other figure's, so it
ends the report in one line (build.py), never in a traceback.
"""

import csv
import math
import os
import tempfile

from .data import model_styles, models, unique
from .fmt import DASH, cores_text, fmt_si, fmt_sig, md_cell, topology_text
from .load import checked_section, write_atomic
from .marks import linear_tics, padded_log_range
from .plots import PLOT_RATE_GP, draw as draw_figure, model_variables, trace_variables

RATE_DIR = "rate"
RATE_CSV = "rate.csv"
RATE_MD = "rate.md"
BREAK_FACTOR = 10.0     # p99 grown tenfold over its light-load value: broken
KEEP_UP = 0.95          # achieved / offered below this: fallen behind
CO_LOAD = 90            # the load (percent) of the coordinated-omission check
NUMERIC = {"concurrency", "load_pct", "offered", "tasks", "runs", "throughput", "p50_us",
           "p90_us", "p99_us", "p999_us", "max_us", "mean_us", "p99_us_min", "p99_us_max",
           "errors"}


def load(run_dir, strict=False):
    """rate.csv rows with numbers converted, or None when there is no file;
    a damaged or edited one is refused (load.checked_section: InputError if
    strict, else a warning and None)."""
    path = checked_section(run_dir, os.path.join(RATE_DIR, RATE_CSV), "rate",
                           "the open-loop section", strict, numeric=NUMERIC)
    if path is None:
        return None
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k in NUMERIC:
            v = r.get(k)
            r[k] = float(v) if v not in (None, "") else None
    return rows


def ok(r):
    return r.get("status") == "ok" and r.get("p99_us") is not None


def interp_closed(closed, x, key="p99_us"):
    """Closed-loop latency at throughput x, on the curve walked in order of
    c: log-linear within the first segment whose throughputs span x (past
    saturation throughput stays flat while latency climbs, so a later
    crossing would read queueing, not the load); None if none spans it."""
    pts = [(r["throughput"], r[key]) for r in sorted(
        (r for r in closed if ok(r)), key=lambda r: r["concurrency"])]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        if min(x0, x1) <= x <= max(x0, x1) and y0 > 0 and y1 > 0:
            f = 0.0 if x1 == x0 else (x - x0) / (x1 - x0)
            return math.exp(math.log(y0) + f * (math.log(y1) - math.log(y0)))
    return None


def summarize(rows):
    """{workload: {model: {...}}}: capacity, light-load p99, where the tail
    breaks, and the open vs closed p99 at CO_LOAD percent."""
    out = {}
    for r in rows:
        out.setdefault(r["workload"], {}).setdefault(r["model"], None)
    for wl, per in out.items():
        for m in per:
            mine = [r for r in rows if r["workload"] == wl and r["model"] == m]
            closed = [r for r in mine if r["mode"] == "closed"]
            opened = sorted((r for r in mine if r["mode"] == "open" and ok(r)),
                            key=lambda r: r["offered"])
            caps = [r["throughput"] for r in closed if ok(r)]
            s = {"capacity": max(caps) if caps else None, "open": opened, "closed": closed,
                 "p99_light": opened[0]["p99_us"] if opened else None,
                 "break": None, "co": None}
            for r in opened:
                grown = s["p99_light"] and r["p99_us"] > BREAK_FACTOR * s["p99_light"]
                behind = fell_behind(r)
                if grown or behind:
                    s["break"] = {"offered": r["offered"], "load_pct": r["load_pct"],
                                  "p99_us": r["p99_us"],
                                  "why": "p99 %s us, %s x light load" % (
                                      fmt_si(r["p99_us"]),
                                      fmt_sig(r["p99_us"] / s["p99_light"]))
                                  if grown else "fell behind: %s of %s tasks/s" % (
                                      fmt_si(r["throughput"]), fmt_si(r["offered"]))}
                    break
            at = next((r for r in opened if r["load_pct"] == CO_LOAD), None)
            if at:
                s["co"] = {"offered": at["offered"], "throughput": at["throughput"],
                           "open_p99": at["p99_us"],
                           "closed_p99": interp_closed(closed, at["throughput"])}
            per[m] = s
    return out


def breaks_first(per_model):
    """[(model, offered or inf)] sorted: the model whose tail breaks at the
    lowest offered load first; one that never broke is last (inf)."""
    order = []
    for m, s in per_model.items():
        if not s["open"]:
            continue
        order.append((m, s["break"]["offered"] if s["break"] else float("inf")))
    return sorted(order, key=lambda t: t[1])


def fell_behind(r):
    """True for an open-loop point whose model did not keep up: achieved
    under KEEP_UP x offered (its latency is a growing queue's)."""
    return (r.get("mode") == "open" and ok(r) and r.get("offered") is not None
            and r.get("throughput") is not None and r["throughput"] < KEEP_UP * r["offered"])


def write_dat(path, rows, wl, model_names):
    """The gnuplot data file: per model an open block and a closed block;
    columns x p50 p99 p99.9 behind (1: fell behind).  Returns the points
    written, [(x, p50, p99, p999, behind)]."""
    written = []
    with open(path, "w") as f:
        for m in model_names:
            # Open points in order of offered load, closed ones in order
            # of c: the line follows the sweep, not a noisy x.
            for mode, xkey, order in (("open", "offered", "offered"),
                                      ("closed", "throughput", "concurrency")):
                pts = [(r[xkey], r["p50_us"], r["p99_us"], r["p999_us"],
                        1 if fell_behind(r) else 0) for r in sorted(
                    (r for r in rows if r["workload"] == wl and r["model"] == m
                     and r["mode"] == mode and ok(r)), key=lambda r: r[order])]
                written += pts
                f.write("# %s %s\n" % (m, mode))
                for p in pts or [(float("nan"),) * 4 + (0,)]:
                    f.write("%s %s %s %s %s\n" % tuple(
                        "NaN" if v is None or v != v else repr(v) for v in p))
                f.write("\n\n")
    return written


def axis_variables(points):
    """The gnuplot variables of the axes of a rate figure, from the points
    written: each panel's y range (padded: no line on the frame), the x
    axis' top and its tics, labelled in full."""
    ranges = [padded_log_range([p[k] for p in points]) for k in (1, 2, 3)]
    xmax, xtics = linear_tics(max([p[0] for p in points if p[0] is not None and p[0] == p[0]],
                                  default=1.0))
    return {"ylos": " ".join(repr(lo) for lo, _ in ranges),
            "yhis": " ".join(repr(hi) for _, hi in ranges), "xmax": xmax, "xtics": xtics,
            "behind_pct": round(KEEP_UP * 100)}


def draw(run_dir, rows, meta):
    """rate-WORKLOAD.png/.svg for every workload with an ok point."""
    rate_dir = os.path.join(run_dir, RATE_DIR)
    names = models(rows, meta)
    styles = model_styles(names, meta)
    drawn = []
    for wl in unique(rows, "workload"):
        if not any(ok(r) for r in rows if r["workload"] == wl):
            continue
        fd, dat = tempfile.mkstemp(prefix=".rate-", suffix=".dat", dir=rate_dir)
        os.close(fd)
        try:
            points = write_dat(dat, rows, wl, names)
            slots = next((int(r["concurrency"]) for r in rows
                          if r["workload"] == wl and r["mode"] == "open"), None)
            # The closed levels as measured (make bench takes its own: 1, 16, 64).
            levels = sorted({int(r["concurrency"]) for r in rows
                             if r["workload"] == wl and r["mode"] == "closed" and ok(r)})
            closed = ("c = %s" % ", ".join(map(str, levels)) if 0 < len(levels) <= 4
                      else "c = %d .. %d" % (levels[0], levels[-1]) if levels else "none")
            draw_figure(rate_dir, "rate-" + wl, PLOT_RATE_GP, {
                "dat": dat, **model_variables(names, styles), **axis_variables(points),
                "fig": "rate-" + wl, **trace_variables(),
                "ttl": "%s: latency against load (open loop: %s slots, arrivals on a fixed "
                       "schedule; closed loop: %s); %s" % (
                           wl, slots, closed, cores_text(meta).strip(" ,;"))})
        finally:
            os.unlink(dat)
        drawn.append(wl)
    return drawn


def render(rows, meta, drawn, img_dir=""):
    """rate.md as markdown lines; img_dir: where the figures are, relative
    to the file the lines go in ("" for rate.md, "rate/" for report.md)."""
    summ = summarize(rows)
    lines = ["## Open loop: latency against offered load", "",
             "Tasks arrive on a fixed schedule (`--rate R`), whatever the model is doing, and "
             "latency runs from each task's scheduled arrival, so time spent queued behind a "
             "busy model counts (wrk2's cure for *coordinated omission*).  A model's *capacity* "
             "is its best closed-loop throughput (c = 1, 2, 4, ...); the open-loop points offer "
             "a percentage of it.  Its tail *breaks* at the lowest offered load where p99 "
             "exceeds %s x its light-load p99, or where it falls behind (achieved < %d%% of "
             "offered).  *Closed p99 at the same throughput* is the closed-loop curve read at "
             "the open point's achieved throughput." % (fmt_sig(BREAK_FACTOR),
                                                        round(KEEP_UP * 100)), "",
             "**Topology:** %s." % topology_text(meta), ""]
    for wl, per in summ.items():
        lines += ["### %s" % wl, ""]
        if wl in drawn:
            lines += ["![%s: latency against load](%srate-%s.png)" % (wl, img_dir, wl), ""]
        lines += ["| Model | capacity (tasks/s) | p99 at light load | tail breaks at | "
                  "p99 open at %d%% | closed p99 at the same throughput | open / closed |" %
                  CO_LOAD, "|---|---|---|---|---|---|---|"]
        for m in models(rows, meta):
            s = per.get(m)
            if s is None:
                continue
            br = s["break"]
            co = s["co"] or {}
            ratio = (co["open_p99"] / co["closed_p99"]
                     if co.get("closed_p99") else None)
            lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                m, fmt_si(s["capacity"]) if s["capacity"] else DASH,
                "%s us" % fmt_si(s["p99_light"]) if s["p99_light"] else DASH,
                md_cell("%s tasks/s (%d%%): %s" % (fmt_si(br["offered"]), br["load_pct"],
                                                     br["why"])) if br else
                ("did not break up to %d%%" % max(r["load_pct"] for r in s["open"])
                 if s["open"] else DASH),
                "%s us" % fmt_si(co["open_p99"]) if co else DASH,
                "%s us" % fmt_si(co["closed_p99"]) if co.get("closed_p99") else
                (DASH if not co else "outside the closed curve"),
                "%sx" % fmt_sig(ratio) if ratio else DASH))
        order = breaks_first(per)
        if order:
            lines += ["", "Whose tail breaks first (lowest offered load): %s." % ", then ".join(
                "%s (%s)" % (m, "%s tasks/s" % fmt_si(x) if x != float("inf")
                             else "never, up to the highest load") for m, x in order)]
        failed = [r for r in rows if r["workload"] == wl and r.get("status") != "ok"]
        if failed:
            lines += ["", "Failed points: %s." % "; ".join(
                "%s %s %s: %s" % (r["model"], r["mode"],
                                  "c=%d" % r["concurrency"] if r["mode"] == "closed"
                                  else "%d%%" % r["load_pct"], r.get("reason") or "?")
                for r in failed)]
        lines.append("")
    return lines


def report_lines(run_dir, meta, strict=False):
    """(rate rows or None, the section for report.md): draws the figures and
    writes rate.md too.  Raises load.ReportError on a gnuplot failure, and
    InputError on a damaged rate.csv when strict (load)."""
    rows = load(run_dir, strict)
    if rows is None:
        return None, []
    drawn = draw(run_dir, rows, meta)
    write_atomic(os.path.join(run_dir, RATE_DIR, RATE_MD),
                   "\n".join(render(rows, meta, drawn)) + "\n")
    return rows, render(rows, meta, drawn, RATE_DIR + "/")
