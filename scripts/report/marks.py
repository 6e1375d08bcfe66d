"""marks.py - what a figure marks beside its series: failed points, models a
pair does not support (n/a), backend-bound points, and the axes' ranges.

A failed point has no numbers, so it has no height on a data axis: it is a red
X in a strip above the panel, one row per model that failed, its name written
once, never a mark inside the panel that could be read as a value.  A model
the pair does not support (results.csv's reason "unsupported on MODEL: ..." at
its first level, "not run: failed at c=1 (unsupported on ...)" above) was never
measured: one grey "n/a" row names every such model, no X.  A point whose own
backend set the pace (data.backend_bound) is ringed where it is drawn.

Everything is computed here, from the rows, and handed to gnuplot as words
(plots.py builds the variables): the .gp scripts draw no label from the CSV.
gnuplot 5.4.4 crashes (signal 11) drawing `with labels` from a file with one
data row whose y values are all undefined, which is what the CSV of a sweep of
one model at one level gave it.

The x range is decided here too (the strip's text is placed left or right of
its marks by where they fall on it), and the y ranges of the figures whose data
Python writes (spectrum.py, rate.py): padded_log_range() keeps every series off
the frame.
"""

import math

from .data import backend_bound, is_ok
from .fmt import fmt_si, is_num

UNSUPPORTED = "unsupported on "     # runner.c's reason for a pair a model cannot run
NOT_RUN = "not run"                 # the sweep's reason above a model's failed level
X_PAD = 1.6                         # the x axis runs from min(c) / X_PAD to max(c) * X_PAD
TEXT_SIDE_FRAC = 0.5                # a row's text goes left of its first X when that X
#                                     is past this fraction of the axis, else right of the last
LOG_PAD_DECADES = 0.08              # padded_log_range: room beyond the data, in decades ...
LOG_MIN_DECADES = 1.0               # ... and at least this span (so 1, 2, 5 x 10^k tics show)
LIN_TICS_MAX = 6                    # linear_tics: at most this many intervals


def is_unsupported(row):
    """True for a failed row the model never ran because it cannot run the
    pair: "unsupported on ..." or "not run: ... (unsupported on ...)"."""
    reason = row.get("reason") or ""
    return not is_ok(row) and (reason.startswith(UNSUPPORTED) or (
        reason.startswith(NOT_RUN) and "(" + UNSUPPORTED in reason))


def x_range(wl_rows):
    """(lo, hi) of a figure's concurrency axis: the levels padded by X_PAD;
    (1 / X_PAD, X_PAD) when there is no level."""
    levels = [r["concurrency"] for r in wl_rows if is_num(r.get("concurrency"))]
    if not levels:
        return 1 / X_PAD, X_PAD
    return min(levels) / X_PAD, max(levels) * X_PAD


def _frac(c, xlo, xhi):
    """Where concurrency c falls on the log x axis [xlo, xhi], 0..1."""
    return math.log(c / xlo) / math.log(xhi / xlo) if xhi > xlo and c > 0 else 0.5


def strip_rows(wl_rows, names, xlo, xhi):
    """The strip above one workload's panels, top to bottom: per model with a
    failed point that is not n/a, {"text", "na": False, "x", "align", "marks":
    [(c, first)]} (first: the model failed there; else "not run" above a
    failure), then one {"text", "na": True} row naming the n/a models, if any.
    "x" and "align" ("right" or "left") place the text beside its marks; x is
    None for the n/a row (it starts at the panel's left edge)."""
    rows, na = [], []
    for m in names:
        mine = [r for r in wl_rows if r.get("model") == m]
        bad = sorted((r for r in mine if not is_ok(r)), key=lambda r: r["concurrency"])
        if not bad:
            continue
        if not any(is_ok(r) for r in mine) and all(is_unsupported(r) for r in bad):
            na.append(m)
            continue
        marks = [(r["concurrency"], not (r.get("reason") or "").startswith(NOT_RUN))
                 for r in bad]
        first, last = marks[0][0], marks[-1][0]
        if _frac(first, xlo, xhi) >= TEXT_SIDE_FRAC:
            x, align = first, "right"
        else:
            x, align = last, "left"
        every = len(bad) == len(mine)
        rows.append({"text": "%s failed%s" % (m, " at every level" if every and len(mine) > 1
                                              else ""),
                     "na": False, "x": x, "align": align, "marks": marks})
    if na:
        rows.append({"text": "n/a (unsupported): " + ", ".join(na), "na": True,
                     "x": None, "align": "left", "marks": []})
    return rows


def _quoted(text):
    """One gnuplot word: text in double quotes (word() keeps it whole)."""
    return '"%s"' % str(text).replace('"', "'")


def strip_variables(per_panel):
    """gnuplot variables of the strips of panels 1..N (per_panel: a list of
    strip_rows() results, one per panel column):
      st_n      rows per panel                       st_j, st_k   each row's panel, row
      st_text   each row's text (quoted words)      st_na        1: an n/a row (grey)
      st_x      its anchor (concurrency; 0: the panel's left edge)
      st_al     r: text ends left of the anchor, l: starts right of it
      sx_j, sx_k, sx_c, sx_first   the X marks: panel, row, concurrency, 1 where it failed"""
    v = {k: [] for k in ("st_n", "st_j", "st_k", "st_text", "st_na", "st_x", "st_al",
                         "sx_j", "sx_k", "sx_c", "sx_first")}
    for j, rows in enumerate(per_panel, 1):
        v["st_n"].append(str(len(rows)))
        for k, row in enumerate(rows, 1):
            v["st_j"].append(str(j))
            v["st_k"].append(str(k))
            v["st_text"].append(_quoted(row["text"]))
            v["st_na"].append("1" if row["na"] else "0")
            v["st_x"].append(repr(float(row["x"])) if row["x"] is not None else "0")
            v["st_al"].append("r" if row["align"] == "right" else "l")
            for c, first in row["marks"]:
                v["sx_j"].append(str(j))
                v["sx_k"].append(str(k))
                v["sx_c"].append(repr(float(c)))
                v["sx_first"].append("1" if first else "0")
    return {k: " ".join(words) for k, words in v.items()}


def backend_points(wl_rows):
    """The ok rows to ring as backend-bound, (c, throughput, p50, p99)."""
    return [(r["concurrency"], r.get("throughput"), r.get("p50_us"), r.get("p99_us"))
            for r in wl_rows if is_ok(r) and backend_bound(r)
            and all(is_num(r.get(k)) for k in ("throughput", "p50_us", "p99_us"))]


def backend_variables(per_panel):
    """gnuplot variables of the backend-bound rings of panels 1..N
    (per_panel: a list of backend_points() results): bb_j, bb_c, bb_t,
    bb_p50, bb_p99, parallel words."""
    v = {k: [] for k in ("bb_j", "bb_c", "bb_t", "bb_p50", "bb_p99")}
    for j, pts in enumerate(per_panel, 1):
        for c, t, p50, p99 in pts:
            v["bb_j"].append(str(j))
            for key, val in (("bb_c", c), ("bb_t", t), ("bb_p50", p50), ("bb_p99", p99)):
                v[key].append(repr(float(val)))
    return {k: " ".join(words) for k, words in v.items()}


def padded_log_range(values, pad=LOG_PAD_DECADES, min_decades=LOG_MIN_DECADES):
    """(lo, hi) of a log axis showing every positive value strictly inside
    the frame: the data's decades plus pad on each side, widened about their
    geometric middle to min_decades; (1, 10) when no value is positive."""
    vals = [v for v in values if is_num(v) and v > 0 and math.isfinite(v)]
    if not vals:
        return 1.0, 10.0
    a, b = math.log10(min(vals)), math.log10(max(vals))
    a, b = a - pad, b + pad
    if b - a < min_decades:
        mid = (a + b) / 2
        a, b = mid - min_decades / 2, mid + min_decades / 2
    return 10 ** a, 10 ** b


def linear_tics(top):
    """(axis top, gnuplot tic list '"0" 0, "500" 500, "1k" 1000, ...'): a
    linear axis from 0 past top in steps of 1, 2 or 5 x 10^k, at most
    LIN_TICS_MAX of them, each labelled in full (fmt_si: "1.5k", never the
    "2k" that gnuplot's "%.0s%c" prints for 1500; tic_label)."""
    if not is_num(top) or top <= 0:
        return 1.0, '"0" 0, "1" 1'
    mag = 10 ** math.floor(math.log10(top / LIN_TICS_MAX))
    step = next(m * mag for m in (1, 2, 5, 10) if top / (m * mag) <= LIN_TICS_MAX)
    n = int(math.ceil(top / step - 1e-9))
    if n * step <= top:
        n += 1
    return n * step, ", ".join('"%s" %r' % (tic_label(k * step), float(k * step))
                               for k in range(n + 1))


def tic_label(v):
    """A tic's label: 0, 500, 1.5k, 20k, 1.2M (fmt_si without trailing zeros)."""
    text = fmt_si(v)
    num, suffix = (text[:-1], text[-1]) if text[-1:].isalpha() else (text, "")
    return (num.rstrip("0").rstrip(".") if "." in num else num) + suffix
