#!/usr/bin/env python3
"""audit.py - the entry of `make audit`: system calls per task (syscall_audit.py).

    python3 harness/sweep/audit.py [--concurrency 1,64] [--workloads a,b] [--models a,b] ...

An entry script: nothing imports it.  It puts the project root first on the
module path (in place of this folder), so every module is imported once,
under its package name.
"""

import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness.sweep import syscall_audit  # noqa: E402

if __name__ == "__main__":
    sys.exit(syscall_audit.guarded_main(sys.argv[1:]))
