"""scripts.report: the report of a run, and the comparison of two.

    fmt.py       leaf: numbers, ratios, markdown cells, meta.json fields
    load.py      leaf: a run folder's files read and checked (ReportError, RunCheckError)
    sure.py      each figure with its 95% interval (harness/sweep/interval.py) from the
                 points' runs (stats/); decide(): CONFIRMED, REFUTED, INCONCLUSIVE
    data.py      results.csv rows: grouping, models in registry order and style, checks
    floors.py    the machine's floor from calibration.csv and the pairs' declared terms
    plots.py     every figure, drawn by gnuplot (scripts/plot_*.gp)
    rate.py      the open-loop figures and rate.md
    rules.py     the verdicts' thresholds, claims, which pairs vote, shared helpers
    claims.py    the design's claims judged (cautions.py: its three warnings)
    contested.py the field's contested claims, with their sources
    quality.py   was the machine quiet enough to decide: others' CPU, steal, load;
                 a run that was not turns CONFIRMED and REFUTED into INCONCLUSIVE
    verdicts.py  the Verdicts section
    summary.py   the first screen: each claim, its verdict, the figure that decided
                 it, the plot; the run's quality (summary.json beside report.md)
    efficiency.py  CPU per task beside its calibrated mechanisms (mechanisms.csv), the
                 "implementation overhead" flag; efficiency.csv
    render.py    report.md
    build.py     the whole report of one run folder
    compare.py   B/A of two runs with its interval, changes beyond noise
    report.py, compare_runs.py   the entry scripts; nothing imports them

Import rules (tests/test_layout.sh checks them): leaf modules import nothing of
ours; nothing imports an entry script; no import cycle.
"""
