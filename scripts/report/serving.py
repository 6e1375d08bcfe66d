"""serving.py - the serve part of the report: figures, serve.md, and the
verdicts that servers decide.

Reads RUN_DIR/serve/results.csv (harness/sweep/serve.py), its runs
(serve/stats/*.load.jsonl, each bin/load run's line tagged with its row)
and meta.json "serve" (placement, wrk's comparison), and writes in
RUN_DIR/serve/:
  serve-WORKLOAD.png/.svg  throughput and p99 against connections, memory
                           per connection, p99 against offered load
  serve.md                 the tables, wrk against bin/load, the checks
build.py includes serve.md in report.md.

Verdicts on serve data.  The claims the field made about servers (Tyma,
Capriccio/Knot, JEP 444, Flash, "a thread per network client") are judged
by the very rules of contested.py and cautions.py, their thresholds and
decision functions (sure.py), applied to a *view* of the serve rows shaped
like results.csv rows (connections as the concurrency, memory per
connection as memory per task, each row's bin/load runs as its runs):
  all-active  closed loop, every connection sending: the connection axis
  c10k        the 1%-active servers (and the 1-connection baseline): the
              C10K case, most connections idle
decide() returns each verdict with the view that decided it; verdicts.py
puts them in the Verdicts table in place of the fan-out view's (kept in
the evidence), so each verdict says which view decided it.  The fan-out
view stays for the claims about a task that waits.
"""

import csv
import glob
import json
import os
import tempfile

from . import contested
from .cautions import v_memory
from .data import model_styles, models
from .fmt import DASH, cores_text, fmt_si, fmt_sig, md_cell
from .load import checked_section, write_atomic
from .plots import draw as draw_figure, model_variables
from .rules import NOT_SHOWN, run_rule
from .sure import RUNS_KEY

SERVE_DIR = "serve"
SERVE_CSV = "results.csv"
SERVE_MD = "serve.md"
PLOT_SERVE_GP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "plot_serve.gp")
TEXT = {"workload", "model", "mode", "status", "reason", "placement", "mem_source",
        "srv_checksum", "load_checksum", "verify_checksum", "fanout_checksum"}
# The claims decided on serve data, the view each is decided on, and why.
SERVE_CLAIMS = (
    ("tyma", "all-active", "Tyma measured a server: connections each sending, up to ~1,000"),
    ("capriccio", "all-active", "Knot, Capriccio's server, was measured under clients"),
    ("jep444", "all-active", "JEP 444's scale is that of a server's concurrent requests"),
    ("files", "c10k", "Flash is a web server: files served to many clients"),
    ("memory", "c10k", "'a thread per network client': connections held, mostly idle"),
)
REASON_CHARS = 70       # a failure's reason in a table cell, at most
VIEW_TEXT = {"all-active": "serve view, every connection active (closed loop)",
             "c10k": "serve view, C10K: 1% of the connections active"}


def load(run_dir, strict=False):
    """serve/results.csv rows, numbers converted and each ok closed row's
    bin/load runs in row[RUNS_KEY]; None when the run has no serve data.  A
    damaged or edited file is refused (load.checked_section: InputError if
    strict, else a warning and None)."""
    path = checked_section(run_dir, os.path.join(SERVE_DIR, SERVE_CSV), "serve",
                           "the serve section", strict, level="connections", text_cols=TEXT)
    if path is None:
        return None
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k, v in list(r.items()):
            if k not in TEXT:
                try:
                    r[k] = float(v) if v not in (None, "") else None
                except ValueError:
                    r[k] = None
        for k in ("connections", "active", "offered"):
            if r.get(k) is not None:
                r[k] = int(r[k])
    runs = {}
    for p in glob.glob(os.path.join(run_dir, SERVE_DIR, "stats", "*.load.jsonl")):
        with open(p) as f:
            for line in f:
                try:
                    d = json.loads(line)
                    key = (d["serve_workload"], d["serve_model"], d["connections"],
                           d["active"], d["serve_mode"], int(d["serve_offered"]))
                except (ValueError, KeyError, TypeError):
                    continue    # a line cut short: that run has no interval
                runs.setdefault(key, []).append(d)
    for r in rows:
        r[RUNS_KEY] = runs.get((r["workload"], r["model"], r["connections"], r["active"],
                                r["mode"], r["offered"])) if r["status"] == "ok" else None
    return rows


def ok(r):
    return r.get("status") == "ok" and r.get("throughput") is not None


def closed_all(rows, wl=None):
    return [r for r in rows if r["mode"] == "closed" and r["active"] == r["connections"]
            and (wl is None or r["workload"] == wl)]


def c10k_rows(rows, wl=None):
    return [r for r in rows if r["mode"] == "closed" and r["active"] < r["connections"]
            and (wl is None or r["workload"] == wl)]


def as_fanout(r):
    """A serve row shaped as a results.csv row for the rules: connections as
    the concurrency, per connection as per task."""
    return dict(r, concurrency=r["connections"], maxrss_kib=r.get("srv_maxrss_kib"),
                kmem_kib=r.get("srv_kmem_kib"), rss_per_task_kib=r.get("rss_per_conn_kib"),
                kmem_per_task_kib=r.get("kmem_per_conn_kib"),
                mem_per_task_kib=r.get("mem_per_conn_kib"), threads=r.get("srv_threads"))


def views(rows):
    """{view name: rows shaped as results.csv's}."""
    base = [r for r in closed_all(rows) if r["connections"] == 1]
    return {"all-active": [as_fanout(r) for r in closed_all(rows)],
            "c10k": [as_fanout(r) for r in base + c10k_rows(rows)]}


def decide(rows, meta, extra=None):
    """{claim key: verdict dict (rules.result's, with key, claim, view)} of
    SERVE_CLAIMS decided on serve data; a claim the serve data cannot show
    (NOT SHOWN) is left out: the fan-out view's verdict stands."""
    if not rows:
        return {}
    vs = views(rows)
    rules = {k: (rule, needs) for k, rule, needs in contested.RULES}
    out = {}
    for key, view, why in SERVE_CLAIMS:
        data = vs[view]
        if not data or not any(r["connections"] > 1 for r in data):
            # One connection alone (a QUICK sweep's all-active view: the
            # memory baseline) says nothing of a server's scale, which
            # these claims are about: the fan-out view's verdict stands.
            continue
        if key == "memory":
            # A server's peak is one sample (bin/load's runs carry none of
            # it): the rule's noise range of a peak stands for its spread.
            data = [dict(r, **{RUNS_KEY: None}) for r in data]
            v = run_rule(key, v_memory, "", (), data, meta)
        else:
            rule, needs = rules[key]
            v = run_rule(key, rule, "", needs, data, meta, extra or {})
        if v["verdict"] == NOT_SHOWN:
            continue
        out[key] = dict(v, view=view, view_text=VIEW_TEXT[view], why_view=why)
    return out


def write_dat(path, rows, wl, names):
    """Per model three blocks: all active, C10K, open loop (plot_serve.gp)."""
    with open(path, "w") as f:
        for m in names:
            mine = [r for r in rows if r["workload"] == wl and r["model"] == m and ok(r)]
            blocks = (sorted((r for r in mine if r["mode"] == "closed"
                              and r["active"] == r["connections"]),
                             key=lambda r: r["connections"]),
                      [r for r in mine if r["mode"] == "closed"
                       and r["active"] < r["connections"]],
                      sorted((r for r in mine if r["mode"] == "open"),
                             key=lambda r: r["offered"]))
            for k, block in enumerate(blocks):
                f.write("# %s %s\n" % (m, ("all active", "c10k", "open")[k]))
                for r in block or [None]:
                    if r is None:
                        f.write("NaN NaN NaN NaN 0\n")
                        continue
                    x = r["offered"] if k == 2 else r["connections"]
                    vals = (x, r["throughput"], r["p99_us"], r.get("mem_per_conn_kib"),
                            r.get("fell_behind") or 0)
                    f.write(" ".join("NaN" if v is None else repr(v) for v in vals) + "\n")
                f.write("\n\n")


def draw(run_dir, rows, meta):
    """serve-WORKLOAD.png/.svg for every workload with an ok row."""
    out_dir = os.path.join(run_dir, SERVE_DIR)
    names = models(rows, meta)
    styles = model_styles(names, meta)
    drawn = []
    bound = (meta.get("serve") or {}).get("latency_bound_us") or 0
    for wl in dict.fromkeys(r["workload"] for r in rows):
        if not any(ok(r) for r in rows if r["workload"] == wl):
            continue
        fd, dat = tempfile.mkstemp(prefix=".serve-", suffix=".dat", dir=out_dir)
        os.close(fd)
        try:
            write_dat(dat, rows, wl, names)
            mine = [r for r in rows if r["workload"] == wl and ok(r)]
            draw_figure(out_dir, "serve-" + wl, PLOT_SERVE_GP, {
                "dat": dat, **model_variables(names, styles), "bound": float(bound),
                "has_conn": int(any(r["mode"] == "closed" for r in mine)),
                "has_mem": int(any(r.get("mem_per_conn_kib") is not None for r in mine)),
                "has_open": int(any(r["mode"] == "open" for r in mine)),
                "ttl": "%s served over HTTP/1.1 to bin/load (%s); %s" % (
                    wl, (meta.get("serve") or {}).get("placement_mode", "?"),
                    cores_text(meta).strip(" ,;"))})
        finally:
            os.unlink(dat)
        drawn.append(wl)
    return drawn


def cell(r, key, f=fmt_si, unit=""):
    v = r.get(key) if r else None
    return DASH if v is None else "%s%s" % (f(v), unit)


def row_at(rows, wl, m, c, active_all, mode="closed", offered=0):
    for r in rows:
        if (r["workload"], r["model"], r["connections"], r["mode"], r["offered"]) == (
                wl, m, c, mode, offered) and (r["active"] == c) == active_all:
            return r
    return None


def fig_text(r, key, unit=""):
    """A row's figure ('12.3k'), or why it failed (shortened)."""
    if r is None:
        return DASH
    if r["status"] != "ok":
        why = r.get("reason") or "?"
        return "failed: %s" % (why if len(why) <= REASON_CHARS else why[:REASON_CHARS] + "...")
    return "%s%s" % (fmt_si(r[key]), unit) if r.get(key) is not None else DASH


def pair_text(r):
    """'12.3k req/s, p99 1.2k us' or the failure."""
    if r is None or r["status"] != "ok":
        return fig_text(r, "throughput")
    return "%s, %s us" % (fig_text(r, "throughput"), fig_text(r, "p99_us"))


def render(rows, meta, drawn, verdicts, img_dir=""):
    """serve.md as markdown lines; img_dir: where the figures are, relative
    to the file the lines go in."""
    sm = meta.get("serve") or {}
    lines = ["## Serve: every model as an HTTP/1.1 server", "",
             "Each model serves each pair's task over HTTP/1.1 keep-alive (`bin/MODEL WORKLOAD "
             "--serve`), driven by `bin/load` from outside: connections held open, a share of "
             "them sending (the rest idle, connected: the C10K case), closed loop or requests "
             "on a fixed schedule (latency from each request's due time).  Memory per "
             "connection is the server's peak (user RSS + kernel memory, its stats line) "
             "across connection counts: (mem(C) - mem(1)) / (C - 1).  A model *fell behind* "
             "at an offered rate when it served below %s%% of it or its p99 passed %s us.  "
             "Figures are medians of %s bin/load runs of %s s on one server, with 95%% "
             "intervals; the load average (1 min) is beside each." % (
                 round(100 * (sm.get("fell_behind_share") or 0)),
                 fmt_si(sm.get("latency_bound_us") or 0), sm.get("runs", "?"),
                 sm.get("run_s", "?")), "",
             "**Placement:** %s." % sm.get("placement", "?"), ""]
    names = models(rows, meta)
    c10k = sm.get("c10k") or [None, None]
    for wl in dict.fromkeys(r["workload"] for r in rows):
        lines += ["### %s" % wl, ""]
        if wl in drawn:
            lines += ["![%s served](%sserve-%s.png)" % (wl, img_dir, wl), ""]
        conns = sorted({r["connections"] for r in rows if r["workload"] == wl
                        and r["active"] == r["connections"]})
        # the C10K server: the largest with some connections idle that ran
        # (io_backend: the most the descriptor limit allows), else the largest
        idle = [r for r in rows if r["workload"] == wl and r["active"] < r["connections"]]
        top = max([r["connections"] for r in idle if ok(r)] or
                  [r["connections"] for r in idle] or
                  [r["connections"] for r in rows if r["workload"] == wl])
        share = "%g%%" % (100 * c10k[1]) if c10k[1] else "some"
        head = ["Model"] + ["%s conn, all active" % "{:,}".format(c) for c in conns] + [
            "%s conn, %s active" % ("{:,}".format(top), share),
            "memory per conn (KiB) at %s" % "{:,}".format(top),
            "load avg"]
        lines += ["Closed loop: requests/s, p99.", "",
                  "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for m in names:
            r = row_at(rows, wl, m, top, False)
            a = row_at(rows, wl, m, top, True)
            cells = [m] + [pair_text(row_at(rows, wl, m, c, True)) for c in conns] + [
                pair_text(r), cell(r or a, "mem_per_conn_kib", fmt_sig),
                cell(r or a, "loadavg", fmt_sig)]
            lines.append("| " + " | ".join(md_cell(x) for x in cells) + " |")
        opened = [r for r in rows if r["workload"] == wl and r["mode"] == "open"]
        if opened:
            rates = sorted({r["offered"] for r in opened})
            lines += ["", "Offered load on the %s-connection server (%s active), open loop: "
                      "achieved req/s, p99; **behind** where the model fell behind." % (
                          "{:,}".format(top), "%g%%" % (100 * c10k[1]) if c10k[1] else "some"),
                      "", "| Model | " + " | ".join("%s/s" % fmt_si(x) for x in rates) + " |",
                      "|---|" + "---|" * len(rates)]
            for m in names:
                cells = [m]
                for x in rates:
                    r = row_at(rows, wl, m, top, False, "open", x)
                    cells.append(DASH if r is None else fig_text(r, "throughput")
                                 if r["status"] != "ok" else "%s, %s us%s%s" % (
                                     fmt_si(r["throughput"]), fmt_si(r["p99_us"]),
                                     " **behind**" if r.get("fell_behind") else "",
                                     " (load-bound)" if r.get("load_bound") else ""))
                lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
        lines.append("")
    bad = [r for r in rows if r["status"] == "ok" and r.get("checksum_ok") == 0]
    lines += ["### Checks", "",
              "- Every server's checksum (the fold of its 200s) equals the fold of bin/load's "
              "runs against it, and the first request of each of its connections (ids 0 .. "
              "C-1) fold to the fan-out checksum of the same ids: %s." % (
                  "yes, on every server" if not
                                 bad else "**no** on %s" % ", ".join(
                                     "%s %s c=%d" % (r["workload"], r["model"], r["connections"])
                                     for r in bad)),
              "- Points where bin/load used >= 0.9 of a core (the load generator, not the "
              "server, may have set the pace): %s." % (", ".join(sorted({
                  "%s %s c=%d" % (r["workload"], r["model"], r["connections"])
                  for r in rows if r.get("load_bound")})) or "none")]
    wrk = sm.get("wrk") or {}
    if wrk.get("status") == "ok":
        per = "; ".join(
            "%s: bin/load %s req/s, wrk %s req/s, ratio %s%s" % (
                m, fmt_si(s["load_throughput"]), fmt_si(s["wrk_throughput"]),
                fmt_sig(s["ratio"]), "" if s["agree"] else
                " (**not** within %d%%)" % round(100 * wrk["agree_within"]))
            if s["status"] == "ok" else "%s: %s" % (m, s.get("reason"))
            for m, s in wrk["servers"].items())
        lines.append("- bin/load against Debian's wrk, closed loop, %s connections, one "
                     "thread each, on the same %s server (serve/wrk.csv): %s.  Where they "
                     "differ: %s (Little's law per run in wrk.csv)." % (
                         wrk["connections"], wrk["workload"], per, wrk.get("differences", "")))
    elif wrk:
        lines.append("- wrk against bin/load: %s." % wrk.get("reason", "not run"))
    if verdicts:
        lines += ["", "### Verdicts decided on serve data", "",
                  "| Claim | View | Verdict | How sure | In one sentence |",
                  "|---|---|---|---|---|"]
        for key, v in verdicts.items():
            lines.append("| %s | %s | **%s** | %s | %s |" % tuple(md_cell(x) for x in (
                key, v["view_text"], v["verdict"], v["sure"], v["say"])))
    lines.append("")
    return lines


def report_lines(run_dir, meta, extra=None, strict=False):
    """(serve rows or None, its verdicts, the section for report.md): draws
    the figures and writes serve.md too; a damaged serve/results.csv is
    InputError when strict (load)."""
    rows = load(run_dir, strict)
    if rows is None:
        return None, {}, []
    drawn = draw(run_dir, rows, meta)
    vs = decide(rows, meta, extra)
    write_atomic(os.path.join(run_dir, SERVE_DIR, SERVE_MD),
                 "\n".join(render(rows, meta, drawn, vs)) + "\n")
    return rows, vs, render(rows, meta, drawn, vs, SERVE_DIR + "/")
