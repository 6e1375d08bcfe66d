"""harness.sweep: the Python sweeps that drive the model binaries.

    common.py       leaf: settings read at call time, parsing, atomic writes, small helpers
    models.py       leaf: harness/models.def, the registry of models
    registry.py     the registry of workload pairs (bin/threads --list -v)
    rundir.py       the run folder: made atomically, sealed, latest pointed at it
    runner.py       child processes: process groups, timeouts, one model run's command line
    point.py        a point's results.csv row: its runs merged, its run length, the CSV
    rounds.py       one point (workload, c): every model's pilot, then rounds of
                    every model once (hyperfine), their number fixed in advance
    calibration.py  bin/calibrate and the floor runs, before the first point
    provenance.py   meta.json: where the numbers came from
    fingerprint.py  leaf: the machine (CPU, SMT, governor, kernel, mitigations, cgroup, load)
    closed_loop.py  the closed-loop sweep (make bench)
    onecpu.py       the one-CPU section of make bench: some points, each model on one CPU
    open_loop.py    the open-loop sweep (make bench-rate, and the end of make bench)
    syscount.py     leaf: a command's system calls by name (perf stat, else strace)
    peers.py        leaf: a bin/backend and a redis-server outside any model run
    syscall_audit.py  make audit: each model's system calls per task, by name
    bench.py, bench_rate.py, audit.py   the entry scripts; nothing imports them

Import rules (tests/test_layout.sh checks them): leaf modules import nothing of
ours; nothing imports an entry script; no import cycle.
"""
