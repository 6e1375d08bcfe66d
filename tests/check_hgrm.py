#!/usr/bin/env python3
"""check_hgrm.py RUN_DIR - the .hgrm files of a sweep's run folder, checked
against the run's own data; prints "ok - " / "not ok - " lines (lib.sh's).

For every point of results.csv whose status is ok: hgrm/TAG.hgrm exists; it
is a table HdrHistogram's plotter reads (the header, lines of four fields
with Value and Percentile rising from 0 to 100%, the last one's
1/(1-Percentile) "inf") and the footer; its Total count is the sum of the
window_tasks of the point's counted runs (the last `runs` lines of
stats/TAG.jsonl, results.csv's count) and its Max their largest max_us, so the file merges
exactly the runs the point counts.  Each workload's spectrum figure exists
and report.md shows it.  Exit 0 whatever it finds: the caller counts lines.
"""
import csv
import json
import os
import sys


def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)


def main(run):
    rows = [r for r in csv.DictReader(open(os.path.join(run, "results.csv")))
            if r["status"] == "ok"]
    for r in rows:
        nruns = int(r["runs"])
        tag = "%s-%s-c%s" % (r["workload"], r["model"], r["concurrency"])
        path = os.path.join(run, "hgrm", tag + ".hgrm")
        if not os.path.exists(path):
            say(False, "%s.hgrm written" % tag)
            continue
        text = open(path).read().splitlines()
        table = [l.split() for l in text[2:] if l and not l.startswith("#")]
        foot = dict(kv.split("=") for l in text if l.startswith("#[")
                    for kv in l.strip("#[]").replace(" ", "").split(","))
        vals = [float(t[0]) for t in table]
        pcts = [float(t[1]) for t in table]
        say(text[0].split() == ["Value", "Percentile", "TotalCount", "1/(1-Percentile)"]
            and table and all(len(t) == 4 for t in table) and table[-1][3] == "inf"
            and vals == sorted(vals) and pcts == sorted(pcts) and pcts[0] == 0
            and pcts[-1] == 1 and set(foot) == {"Mean", "StdDeviation", "Max", "Totalcount",
                                                "Buckets", "SubBuckets"},
            "%s.hgrm: header, %d rising lines of four fields to 100%%, footer" % (tag, len(table)))
        with open(os.path.join(run, "stats", tag + ".jsonl")) as f:
            counted = [json.loads(l) for l in f][-nruns:]
        want = sum(int(s["window_tasks"]) for s in counted)
        mx = max(float(s["max_us"]) for s in counted)
        say(int(foot.get("Totalcount", -1)) == want == int(table[-1][2])
            and abs(float(foot.get("Max", -1)) - mx) < 0.0015 and vals[-1] == float(foot["Max"]),
            "%s.hgrm: total %s = the %d counted runs' %d tasks, max %s = their %.3f us" % (
                tag, foot.get("Totalcount"), nruns, want, foot.get("Max"), mx))
    report = open(os.path.join(run, "report.md")).read()
    for wl in sorted({r["workload"] for r in rows}):
        png = os.path.join(run, wl + "-spectrum.png")
        say(os.path.exists(png) and os.path.getsize(png) > 0 and "(%s-spectrum.png)" % wl in report,
            "%s-spectrum.png drawn and in report.md" % wl)


if __name__ == "__main__":
    main(sys.argv[1])
