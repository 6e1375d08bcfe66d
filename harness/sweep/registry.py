"""registry.py - the workload pairs, as the binaries list them.

Nothing in the sweep names a workload: the pairs, their kinds and defaults come
from `bin/threads --list -v`, i.e. from workloads/workloads.def.
"""

import os
import subprocess

from . import common


def pairs():
    """[{name, kind, summary, work, delay_us, needs_backend}] from
    bin/threads --list -v.  Raises OSError or CalledProcessError when the
    binary cannot say."""
    out = subprocess.run([os.path.join(common.bin_dir(), "threads"), "--list", "-v"],
                         check=True, capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        name, kind, work, delay, backend, summary = line.split("\t")
        found.append({
            "name": name, "kind": kind, "summary": summary,
            "work": int(work.split("=")[1]), "delay_us": int(delay.split("=")[1]),
            "needs_backend": backend.split("=")[1] == "yes",
        })
    return found
