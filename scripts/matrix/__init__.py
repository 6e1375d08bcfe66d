"""scripts.matrix: several machines' runs side by side (make matrix).

    gather.py   the runs of a fleet's folder (DIR) or given ones (RUNS), grouped by
                machine; the missing machines and why (never an incomplete run)
    compute.py  per claim a verdict per machine (the report's own rules), the key
                ratios, the calibration figures, the fingerprints and their differences
    merge.py    one latency histogram per machine and point: its replicas' counts added
    figures.py  per workload a panel per model, one curve per machine (plot_matrix.gp)
    markdown.py matrix.md
    matrix.py   the entry script of make matrix; nothing imports it

Import rules (tests/test_layout.sh checks them): no import cycle; nothing
imports an entry script; this package imports scripts.report and harness,
never the other way.
"""
