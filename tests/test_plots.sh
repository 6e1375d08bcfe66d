#!/bin/sh
# test_plots.sh - the figures a person would show, checked on what gnuplot
# was given and what it drew (never on pixels), from the run folders of
# tests/fixture_figures.py (every model of harness/models.def; no binary runs,
# a few seconds):
#  - a sweep of one model at one level is drawn (gnuplot 5.4.4 crashed,
#    signal 11, drawing `with labels` from a one-row CSV), and a workload whose
#    every point failed is a report section that says so while the rest of the
#    report is written (gnuplot stopped at "undefined value": no report.md);
#  - the overview is 1600 pixels wide whatever the number of workloads;
#  - every axis shows every series strictly inside its frame (the trace the
#    .gp scripts append, TVSA_PLOT_TRACE), and a log axis labels two tics or
#    more (cpu_hash's throughput axis had one);
#  - a failed model is one strip row with its name once and an X per failed
#    level, never a mark at a height; an unsupported model is "n/a", not failed;
#  - backend-bound and fell-behind points are marked on the figures;
#  - the models, colours and markers come from the registry, none is the
#    failure's X and no two look alike.
# tests/test_figures.sh checks the other figures, the ones the runs measure.
. "$(dirname "$0")/lib.sh"

FX="$SCRATCH/fx"
python3 "$ROOT/tests/fixture_figures.py" "$FX" || { not_ok "fixture_figures.py failed"; finish; }

# A gnuplot that records what it was given: its -e line, and a copy of the
# data file it read (rate.py and spectrum.py delete theirs after drawing).
LOG="$SCRATCH/gp"
mkdir "$LOG"
cat >"$SCRATCH/gnuplot" <<EOF
#!/bin/sh
n=\$\$
printf '%s\n' "\$2" >"$LOG/\$n.e"
printf '%s\n' "\$3" >"$LOG/\$n.script"
dat=\$(printf '%s' "\$2" | sed -n "s/.*dat='\\([^']*\\)'.*/\\1/p")
[ -n "\$dat" ] && cp "\$dat" "$LOG/\$n.dat"
exec $(command -v gnuplot) "\$@"
EOF
chmod +x "$SCRATCH/gnuplot"

report() { # RUN: report.py on it with the recording gnuplot and a trace
	GNUPLOT="$SCRATCH/gnuplot" TVSA_PLOT_TRACE="$SCRATCH/trace.$1" \
		python3 "$ROOT/scripts/report/report.py" "$FX/$1" >"$SCRATCH/out.$1" 2>"$SCRATCH/err.$1"
}

# ---- issue 29's two: one model at one level; a workload with no ok point ----
for run in one one-cpu; do
	report $run
	rc=$?
	check "$run (one model, one level): report.py exit $rc$( [ $rc = 0 ] || printf ': %s' "$(tail -1 "$SCRATCH/err.$run")")" [ $rc = 0 ]
	wl=$(python3 -c "import csv,sys; print(next(csv.DictReader(open(sys.argv[1])))['workload'])" "$FX/$run/results.csv")
	for f in $wl.png $wl.svg overview.png overview.svg report.md; do
		check "$run: $f written" test -s "$FX/$run/$f"
	done
done
report figs
rc=$?
check "figs (wdead: every point failed): report.py exit $rc$( [ $rc = 0 ] || printf ': %s' "$(tail -1 "$SCRATCH/err.figs")")" [ $rc = 0 ]
report dead
rc=$?
check "dead (no workload has an ok point): report.py exit $rc" [ $rc = 0 ]
python3 - "$FX" <<'PY' || not_ok "the report checks stopped (a Python error above)"
import os, re, sys
fx = sys.argv[1]
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
for run, others in (("figs", ("wcpu", "wsleep", "wrpc")), ("dead", ())):
    d = os.path.join(fx, run)
    md = open(os.path.join(d, "report.md")).read() if os.path.exists(os.path.join(d, "report.md")) else ""
    sec = md.split("\n## wdead\n", 1)[1].split("\n## ", 1)[0] if "\n## wdead\n" in md else ""
    say(bool(sec), "%s: report.md has a section for wdead" % run)
    say("every point of wdead failed" in sec and "backend died" in sec,
        "%s: ... that says every point failed and why" % run)
    say("wdead.png" not in md and not os.path.exists(os.path.join(d, "wdead.png")),
        "%s: ... and no figure of wdead is drawn or linked" % run)
    for wl in others:
        say(os.path.getsize(os.path.join(d, wl + ".svg")) > 10000 and "(%s.png)" % wl in md,
            "%s: %s's figure drawn and linked beside it" % (run, wl))
    ov = re.search(r"## Overview\n\n(.*?)\n## ", md, re.S)
    say(ov and "wdead" in ov.group(1), "%s: the overview section names wdead as not drawn" % run)
PY

# A single level (and a span under two powers of ten) still labels its x axis.
for run in one one-cpu figs; do
	python3 - "$SCRATCH/trace.$run" "$run" <<'PY' || not_ok "$run: no trace of its axes"
import sys
tr = [dict(kv.split("=", 1) for kv in l.split()) for l in open(sys.argv[1])]
tr = [t for t in tr if t["fmt"] == "svg" and not t["fig"].endswith("-spectrum")
      and not t["fig"].startswith("rate-")]     # their x axes are percentiles, loads
few = ["%s %s" % (t["fig"], t["panel"]) for t in tr if int(t.get("xtics", 0)) < 2]
print(("ok - " if tr and not few else "not ok - ") + "%s: every concurrency axis labels 2 tics or more%s"
      % (sys.argv[2], ": not " + ", ".join(few) if few else " (%d panels)" % len(tr)))
PY
done

# ---- what gnuplot was given and drew ----------------------------------------
python3 - "$ROOT" "$FX/figs" "$LOG" "$SCRATCH/trace.figs" <<'PY' || not_ok "the figure checks stopped (a Python error above)"
import csv, glob, os, re, shlex, struct, sys
root, run, log, trace = sys.argv[1:5]
sys.path.insert(0, root)
from harness.sweep import models as models_def
from scripts.report import marks, rate

def say(good, what):
    print(("ok - " if good else "not ok - ") + what)

def gp_vars(text):
    """The -e line's name='value' pairs."""
    out = {}
    for m in re.finditer(r"(\w+)=('(?:[^']|'')*'|[^;]+)", text):
        v = m.group(2).strip()
        out[m.group(1)] = v[1:-1].replace("''", "'") if v.startswith("'") else v
    return out

calls = []
for e in glob.glob(os.path.join(log, "*.e")):
    base = e[:-2]
    v = gp_vars(open(e).read())
    v["_script"] = os.path.basename(open(base + ".script").read().strip())
    v["_dat"] = base + ".dat" if os.path.exists(base + ".dat") else None
    calls.append(v)
def call(script, **match):
    """The SVG drawing of script for this run (dat: rate and spectrum's
    temporary files are in the run folder), with the variables in match."""
    for v in calls:
        if (v.get("csv") or v.get("dat") or "").startswith(run + "/") and \
                v["_script"] == script and v.get("fmt") == "svg" and all(
                v.get(k) == x for k, x in match.items()):
            return v
    return None

rows = list(csv.DictReader(open(os.path.join(run, "results.csv"))))
names = [m["name"] for m in models_def.load()]
ok = [r for r in rows if r["status"] == "ok"]

# The overview: 1600 pixels wide (PNG header), every drawn workload a cell.
with open(os.path.join(run, "overview.png"), "rb") as f:
    w, h = struct.unpack(">II", f.read(24)[16:24])
say(w == 1600, "overview.png is %dx%d: 1600 wide (was 560 a workload + 120)" % (w, h))
ov = call("plot_overview.gp")
say(ov and ov["wls"].split() == ["wcpu", "wsleep", "wrpc"],
    "the overview's cells: %s (wdead, with no ok point, left out)" % (ov or {}).get("wls"))
for name in ("wcpu", "wsleep", "wrpc"):
    for fmt in ("png", "svg"):
        p = os.path.join(run, "%s.%s" % (name, fmt))
        say(os.path.exists(p) and os.path.getsize(p) > 20000, "%s.%s: %d bytes" % (
            name, fmt, os.path.getsize(p) if os.path.exists(p) else 0))

# Models, colours, markers: the registry's, in its order; none the X.
reg = {m["name"]: m for m in models_def.load()}
for v in (call("plot_workload.gp", wl="wsleep"), ov):
    ms, cs, ps = v["models"].split(), v["colors"].split(), v["pts"].split()
    say(ms == names, "%s: models %s, the registry's order" % (v["_script"], " ".join(ms)))
    say(cs == [reg[m]["colour"] for m in ms] and ps == [str(reg[m]["marker"]) for m in ms],
        "%s: each model's registry colour and marker" % v["_script"])
say("2" not in [str(m["marker"]) for m in reg.values()],
    "no model's marker is 2, the X that marks a failed point")
pairs = [(m["colour"].lower(), m["marker"]) for m in reg.values()]
say(len(set(m["colour"].lower() for m in reg.values())) == len(reg),
    "no two models share a colour (%d models)" % len(reg))

# Every axis holds every series strictly inside its frame; log axes label >= 2 tics.
tr = [dict(kv.split("=", 1) for kv in line.split()) for line in open(trace)]
tr = [t for t in tr if t["fmt"] == "svg"]
def series(wl, cols):
    return [float(r[c]) for r in ok if r["workload"] == wl for c in cols if r.get(c)]
def check_axis(t, vals, what):
    lo, hi, logy = float(t["ylo"]), float(t["yhi"]), t["logy"] == "1"
    inside = vals and lo < min(vals) and max(vals) < hi
    say(inside, "%s: y axis %.4g..%.4g holds its data %.4g..%.4g off the frame" % (
        what, lo, hi, min(vals) if vals else 0, max(vals) if vals else 0))
    if logy:
        say(int(t["ytics"]) >= 2, "%s: a log axis with %s labelled tics (>= 2)" % (what, t["ytics"]))
    else:
        say(lo == 0 and int(t["ytics"]) >= 3, "%s: a linear axis from 0, %s labelled tics (>= 3)"
            % (what, t["ytics"]))
panels = {(t["fig"], t["panel"]): t for t in tr}
for wl in ("wcpu", "wsleep", "wrpc"):
    for panel, cols in (("throughput", ("throughput_min", "throughput_max")),
                        ("latency", ("p50_us_min", "p99_us_max"))):
        t = panels.get((wl, panel))
        if not t:
            say(False, "%s %s: no trace line (scripts/plot_workload.gp's TRACE)" % (wl, panel))
            continue
        check_axis(t, series(wl, cols), "%s (%s)" % (wl, panel))
    for panel, cols in (("%s:throughput" % wl, ("throughput_min", "throughput_max")),
                        ("%s:p99" % wl, ("p99_us_min", "p99_us_max"))):
        t = panels.get(("overview", panel))
        if t:
            check_axis(t, series(wl, cols), "overview %s" % panel)
        else:
            say(False, "overview %s: no trace line" % panel)
t = panels.get(("wcpu", "throughput"))
say(t and (t["logy"] == "0" or int(t["ytics"]) >= 2),
    "wcpu's throughput (within 2x): %s axis" % ("no" if not t else "a linear" if t["logy"] == "0"
                                               else "a log"))
sp = call("plot_spectrum.gp", fig="wsleep-spectrum")
t = panels.get(("wsleep-spectrum", "latency"))
if sp and sp["_dat"] and t:
    vals = [float(l.split()[1]) for l in open(sp["_dat"]) if l.strip() and not l.startswith("#")]
    check_axis(t, vals, "wsleep's latency by percentile (every latency 950..1300 us)")
else:
    say(False, "wsleep-spectrum: no gnuplot call, data file or trace line")

# Failed points: one strip row per failed model, its name once, an X per failed
# level; the unsupported models one n/a row, never "failed".
wv = call("plot_workload.gp", wl="wsleep")
texts = shlex.split(wv.get("st_text", ""))
say(texts == ["%s failed" % names[0], "%s failed" % names[1]],
    "wsleep's strip rows: %s (one per failed model, named once)" % texts)
bad = [r for r in rows if r["workload"] == "wsleep" and r["status"] == "failed"]
say(len(wv.get("sx_c", "").split()) == len(bad) and
    sorted(map(float, wv["sx_c"].split())) == sorted(float(r["concurrency"]) for r in bad),
    "wsleep: an X at each of its %d failed points' levels, in the strip" % len(bad))
say(wv.get("sx_first", "").split().count("1") == 2,
    "wsleep: two of them where a model failed, the rest 'not run' above a failure")
rv = call("plot_workload.gp", wl="wrpc")
texts = shlex.split(rv.get("st_text", ""))
na = names[-3:]
say(len(texts) == 1 and texts[0].startswith("n/a") and all(m in texts[0] for m in na)
    and "failed" not in texts[0] and rv.get("st_na") == "1",
    "wrpc: one n/a row naming %s, no 'failed' (%s)" % (", ".join(na), texts))
say(rv.get("sx_c", "") == "", "wrpc: no X for an unsupported model")
ovt = shlex.split(ov.get("st_text", ""))
say(ovt.count("%s failed" % names[0]) == 1 and sum(t.startswith("n/a") for t in ovt) == 1,
    "overview: each failed model named once per cell, n/a once: %s" % ovt)

# Backend-bound points ringed; fell-behind points marked on the rate figure.
bb = [(r["concurrency"], r["model"]) for r in ok if r.get("backend_util")
      and float(r["backend_util"]) >= 0.9]
say(rv.get("bb_c", "").split() == ["256.0"] and bb == [("256", names[3])],
    "wrpc: the backend-bound point (c=256, %s) ringed (bb_c %s)" % (names[3], rv.get("bb_c")))
say("256.0" in ov.get("bb_c", "").split(), "overview: the same point ringed")
rt = call("plot_rate.gp", fig="rate-wsleep")
if rt and rt["_dat"]:
    flagged = [l.split() for l in open(rt["_dat"]) if l.strip() and not l.startswith("#")
               and l.split()[4] == "1"]
    rrows = list(csv.DictReader(open(os.path.join(run, "rate", "rate.csv"))))
    behind = [r for r in rrows if r["mode"] == "open"
              and float(r["throughput"]) < rate.KEEP_UP * float(r["offered"])]
    say(len(flagged) == len(behind) == 1 and float(flagged[0][0]) == float(behind[0]["offered"]),
        "rate-wsleep: the %d fell-behind point(s) flagged in the data gnuplot drew" % len(behind))
    for p in ("p50", "p99", "p99.9"):
        t = panels.get(("rate-wsleep", p))
        col = {"p50": 1, "p99": 2, "p99.9": 3}[p]
        vals = [float(l.split()[col]) for l in open(rt["_dat"]) if l.strip()
                and not l.startswith("#") and l.split()[col] != "NaN"]
        if t:
            check_axis(t, vals, "rate-wsleep %s" % p)
        else:
            say(False, "rate-wsleep %s: no trace line" % p)
    labels = re.findall(r'"([^"]*)" ([0-9.e+]+)', rt.get("xtics", ""))
    say(len(labels) >= 3 and len({l for l, _ in labels}) == len(labels),
        "rate-wsleep: x tics %s, each label once" % [l for l, _ in labels])
else:
    say(False, "rate-wsleep: no gnuplot call or data file")
PY

# ---- marks.py's rules on their own --------------------------------------------
python3 - "$ROOT" <<'PY' || not_ok "marks.py's checks stopped (a Python error above)"
import sys
sys.path.insert(0, sys.argv[1])
from scripts.report import marks
def say(good, what):
    print(("ok - " if good else "not ok - ") + what)
lo, hi = marks.padded_log_range([1013, 1100, 1090])
say(lo < 1013 and hi > 1100 and hi / lo >= 10 ** marks.LOG_MIN_DECADES * 0.999,
    "padded_log_range: latencies 1013..1100 us inside %.4g..%.4g, at least a decade" % (lo, hi))
top, tics = marks.linear_tics(1700)
say(top >= 1700 and '"1.5k" 1500.0' in tics, "linear_tics(1700): %s (1500 labelled 1.5k)" % tics)
rows = [dict(model="m", concurrency=1, status="failed", reason="unsupported on m: no"),
        dict(model="m", concurrency=8, status="failed", reason="not run: failed at c=1 (unsupported on m: no)"),
        dict(model="t", concurrency=1, status="ok"),
        dict(model="t", concurrency=8, status="failed", reason="pthread_create: EAGAIN")]
rs = marks.strip_rows(rows, ["t", "m"], *marks.x_range(rows))
say([r["text"] for r in rs] == ["t failed", "n/a (unsupported): m"],
    "strip_rows: a failure and an n/a row: %s" % [r["text"] for r in rs])
say(rs[0]["align"] == "right" and rs[0]["x"] == 8,
    "strip_rows: the name left of an X at the axis' right end")
PY

finish
