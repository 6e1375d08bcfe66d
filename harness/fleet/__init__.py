"""harness.fleet: the bench on several machines at once, through Slurm (make fleet).

    slurm.py    the Slurm commands (sbatch, squeue, scontrol, sacct), one error each
    spec.py     the machines (PARTITIONS, NODELISTS, REPLICAS) and the sweep's variables
    jobs.py     a fleet's records in OUT/fleet/, the jobs' run folders, why one is missing
    submit.py   one exclusive sbatch per machine, running job.sh
    track.py    the jobs followed to their end: one line per job, its state and ETA
    job.sh      what a job runs on its node(s): build, a backend on the second, the sweep
    fleet.py    the entry script of make fleet and make fleet-status; nothing imports it

Import rules (tests/test_layout.sh checks them): no import cycle; nothing
imports an entry script; the arrows point from here to harness.sweep, never
back.  The machine matrix across the runs is scripts/matrix/.
"""
