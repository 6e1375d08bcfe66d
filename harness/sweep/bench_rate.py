#!/usr/bin/env python3
"""bench_rate.py - the entry of `make bench-rate`: the open-loop sweep (open_loop.py).

    python3 harness/sweep/bench_rate.py [--quick] [--workloads mixed] [--loads 50,90] ...

An entry script: nothing imports it.  It puts the project root first on the
module path (in place of this folder), so every module is imported once,
under its package name.
"""

import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness.sweep import open_loop  # noqa: E402

if __name__ == "__main__":
    sys.exit(open_loop.guarded_main(sys.argv[1:]))
