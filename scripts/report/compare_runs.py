#!/usr/bin/env python3
"""compare_runs.py - the entry of `make compare`: what changed between two runs (compare.py).

    python3 scripts/report/compare_runs.py RUN_A RUN_B

An entry script: nothing imports it.  It puts the project root first on the
module path (in place of this folder), so every module is imported once,
under its package name.
"""

import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts.report import compare  # noqa: E402

if __name__ == "__main__":
    sys.exit(compare.main(sys.argv[1:]))
