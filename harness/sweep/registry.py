"""registry.py - the workload pairs, as the binaries list them.

Nothing in the sweep names a workload: the pairs, their kinds and defaults come
from `bin/threads --list -v`, i.e. from workloads/workloads.def.
"""

import os
import subprocess

from . import common


# A pair that reads a data file (opts has "cache") runs as two series: its own
# name with the page cache warm, and NAME-cold with the file dropped from the
# cache before each run, so reads reach the device.
COLD_SUFFIX = "-cold"


def pairs():
    """[{name, kind, summary, work, delay_us, needs_backend, peer, opts, max_c,
    floor, claims, coro, run_as, argv, cache, variant_of}] from bin/threads
    --list -v: name and kind, KEY=VALUE fields, the summary last; a data-file
    pair twice (warm, then NAME-cold).  run_as and argv are what a model run
    is given (the registered name, the series' options).  Raises OSError or
    CalledProcessError when the binary cannot say."""
    out = subprocess.run([os.path.join(common.bin_dir(), "threads"), "--list", "-v"],
                         check=True, capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        f = line.split("\t")
        kv = dict(x.split("=", 1) for x in f[2:-1])
        found.append({
            "name": f[0], "kind": f[1], "summary": f[-1],
            "work": int(kv["work"]), "delay_us": int(kv["delay_us"]),
            "needs_backend": kv["backend"] == "yes",
            "peer": kv.get("peer", "none"), "opts": kv.get("opts", "none"),
            "max_c": int(kv.get("max_c", 0)), "floor": kv.get("floor", "none"),
            "claims": kv.get("claims", "none"), "coro": kv.get("coro", "yes") == "yes",
            "run_as": f[0], "argv": [], "cache": None, "variant_of": None,
        })
        if "cache" in found[-1]["opts"].split(","):
            warm = found[-1]
            warm.update(argv=["--cache", "warm"], cache="warm")
            found.append(dict(warm, name=warm["name"] + COLD_SUFFIX, argv=["--cache", "cold"],
                              cache="cold", variant_of=warm["name"],
                              summary=warm["summary"] + "; the page cache dropped before "
                              "each run (--cache cold)"))
    return found
