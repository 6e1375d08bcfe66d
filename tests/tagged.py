#!/usr/bin/env python3
"""tagged.py KEY=VALUE - the pids of the processes whose environment holds
KEY=VALUE, except this scan and the shells between it and its caller's
caller.  The fault tests tag every process they start and kill those left."""
import os
import sys

want = sys.argv[1].encode()
skip, pid = set(), os.getpid()
while pid > 1:  # this scan, $(...) and the test shell itself
    skip.add(pid)
    with open("/proc/%d/stat" % pid) as f:
        pid = int(f.read().rsplit(")", 1)[1].split()[1])
for d in os.listdir("/proc"):
    if d.isdigit() and int(d) not in skip:
        try:
            with open("/proc/%s/environ" % d, "rb") as f:
                if want in f.read().split(b"\0"):
                    print(d)
        except OSError:
            pass
