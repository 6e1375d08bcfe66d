#!/usr/bin/env python3
"""report.py - the entry of `make report` and `make plots`: the report of one run (build.py).

    python3 scripts/report/report.py [--plots-only | --rate-only | --verdicts] RUN_DIR

An entry script: nothing imports it.  It puts the project root first on the
module path (in place of this folder, whose module names must not shadow any
other), so every module is imported once, under its package name.
"""

import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts.report import build  # noqa: E402

if __name__ == "__main__":
    sys.exit(build.main(sys.argv[1:]))
