#!/usr/bin/env python3
"""bench.py - the entry of `make bench`: the closed-loop sweep (closed_loop.py).

    python3 harness/sweep/bench.py [--quick] [--concurrency 1,8] [--workloads a,b] ...

An entry script: nothing imports it.  It puts the project root first on the
module path (in place of this folder, whose module names must not shadow any
other), so every module is imported once, under its package name.
"""

import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness.sweep import closed_loop  # noqa: E402

if __name__ == "__main__":
    sys.exit(closed_loop.guarded_main(sys.argv[1:]))
