#!/usr/bin/env python3
"""bench_serve.py - the entry of `make bench-serve`: the serve section alone (serve_main.py).

    python3 harness/sweep/bench_serve.py [--quick] [--workloads io_sleep] [--models threads] ...

An entry script: nothing imports it.  It puts the project root first on the
module path (in place of this folder), so every module is imported once,
under its package name.
"""

import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness.sweep import serve_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(serve_main.guarded_main(sys.argv[1:]))
