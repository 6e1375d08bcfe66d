"""fingerprint.py - the machine a run measured, as meta.json's "host" records it.

Two runs compare only as far as their machines do: a kernel with other
mitigations, a CPU with SMT on, a cpufreq governor that parks the clock, a
cgroup version that changes how kernel memory is read, a load from someone
else.  So every run (make bench, make bench-rate, a fleet job) records:

    cpu_model, cpu_flags, arch   /proc/cpuinfo ("flags", or "Features" on ARM)
    cores, sockets, smt,         os.cpu_count and /sys/devices/system/cpu
    threads_per_core             (smt/active; topology/thread_siblings_list)
    governor, cpufreq_driver,    cpufreq of cpu0, or None where the kernel
    cpu_max_mhz                  exposes none (a VM)
    kernel, kernel_version       platform.release(), platform.version()
    mitigations                  {name: the kernel's text} from
                                 /sys/devices/system/cpu/vulnerabilities
    cgroup                       v1, v2 or hybrid, from /proc/mounts
    mem_total_kib, hostname
    load                         load averages (1, 5, 15 min) at the start, the
                                 largest 1-minute one seen while the run went,
                                 and at the end (note_load, end_load); how many
                                 of the samples (one a point) were over the
                                 core count
    cpu_use                      the machine's CPU over the run, from
                                 /proc/stat and the sweep's own process tree
                                 (cpu_start, cpu_end): in cores, averaged over
                                 the wall time, the sweep's own, other
                                 processes' (busy CPU less the sweep's), steal
                                 (a VM's host giving the CPU to others) and
                                 interrupts; the report judges from these
                                 whether the run was fit to decide anything
    slurm                        the Slurm job the run ran in, when it did

Library versions are meta.json's "versions" (versions()).  Every reader is
tolerant: a file the machine lacks is None, never an error.

A leaf module: it imports nothing of this project.  Standard library only.
"""

import os
import platform
import subprocess
import time

CPU_SYS = "/sys/devices/system/cpu"
VULN_DIR = os.path.join(CPU_SYS, "vulnerabilities")
TOOL_TIMEOUT_S = 10     # a --version that hangs (a broken tool) costs no more than this
SLURM_ENV = {"job_id": "SLURM_JOB_ID", "partition": "SLURM_JOB_PARTITION",
             "nodes": "SLURM_JOB_NODELIST", "node": "SLURMD_NODENAME",
             "cluster": "SLURM_CLUSTER_NAME"}
# pkg-config names whose versions a run records (the libraries the models link).
PKG_LIBS = ("libevent", "liburing", "hiredis", "cmocka")
PROC_STAT = "/proc/stat"
# /proc/stat's "cpu" line: the columns after the name, in clock ticks.
STAT_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
# Busy CPU that a process is charged for (guest time is inside user and nice);
# interrupts are not: a loopback socket's receive work runs as softirq, the
# kernel's, and counting it as "other processes" would blame the sweep's own
# network traffic on someone else.  /proc/stat samples these at the timer
# tick, the processes' own times are exact: a QUICK sweep's many short bursts
# of CPU read as 0.72 cores exact against 0.61 busy in /proc/stat on a quiet
# machine, so "others" (busy less own, at least 0) is a lower bound, never an
# overcount of a quiet machine.
BUSY_FIELDS = ("user", "nice", "system")


def read_text(path):
    """A small /proc or /sys file's text, stripped, or None."""
    try:
        with open(path) as f:
            return f.read().strip()
    except (OSError, UnicodeDecodeError):
        return None


def cpuinfo_field(*names):
    """The first /proc/cpuinfo line's value for any of names, or None."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, sep, value = line.partition(":")
                if sep and key.strip() in names:
                    return value.strip()
    except OSError:
        pass
    return None


def count_list(text):
    """How many CPUs a kernel CPU list names ("0-3,8" -> 5), or None."""
    if not text:
        return None
    n = 0
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            return None
        n += int(hi) - int(lo) + 1 if hi else 1
    return n


def mitigations():
    """{vulnerability: the kernel's text} ("Mitigation: ...", "Not affected",
    "Vulnerable"), or None where the kernel has no such folder."""
    try:
        names = sorted(os.listdir(VULN_DIR))
    except OSError:
        return None
    return {n: read_text(os.path.join(VULN_DIR, n)) for n in names}


def cgroup_version(mounts="/proc/mounts"):
    """"v2" (cgroup2 on /sys/fs/cgroup), "hybrid" (v1 controllers with a
    cgroup2 beside them), "v1", or None (none mounted, or unreadable)."""
    try:
        with open(mounts) as f:
            rows = [line.split() for line in f]
    except OSError:
        return None
    kinds = {(r[1], r[2]) for r in rows if len(r) > 2}
    if ("/sys/fs/cgroup", "cgroup2") in kinds:
        return "v2"
    v1 = any(t == "cgroup" for _, t in kinds)
    v2 = any(t == "cgroup2" for _, t in kinds)
    return "hybrid" if v1 and v2 else "v1" if v1 else "v2" if v2 else None


def loadavg():
    """[1, 5, 15-minute load averages], or None."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def max_mhz():
    """cpu0's highest frequency in MHz (cpuinfo_max_freq), or None."""
    khz = read_text(os.path.join(CPU_SYS, "cpu0", "cpufreq", "cpuinfo_max_freq"))
    return round(int(khz) / 1000) if khz and khz.isdigit() else None


def host():
    """meta.json's "host": the fingerprint at the start of a run (module
    comment).  Cost: a few small file reads."""
    flags = cpuinfo_field("flags", "Features")
    siblings = count_list(read_text(os.path.join(CPU_SYS, "cpu0", "topology",
                                                 "thread_siblings_list")))
    smt = read_text(os.path.join(CPU_SYS, "smt", "active"))
    packages = set()
    for cpu in range(os.cpu_count() or 0):
        p = read_text(os.path.join(CPU_SYS, "cpu%d" % cpu, "topology", "physical_package_id"))
        if p is not None:
            packages.add(p)
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = next((int(l.split()[1]) for l in f if l.startswith("MemTotal")), None)
    except (OSError, ValueError, IndexError):
        pass
    slurm = {k: os.environ[v] for k, v in SLURM_ENV.items() if os.environ.get(v)}
    start = loadavg()
    return {
        "cpu_model": cpuinfo_field("model name", "Model", "cpu model"),
        "arch": platform.machine() or None,
        "cpu_flags": sorted(flags.split()) if flags else None,
        "cores": os.cpu_count(),
        "sockets": len(packages) or None,
        "smt": {"1": "on", "0": "off"}.get(smt, smt),
        "threads_per_core": siblings,
        "governor": read_text(os.path.join(CPU_SYS, "cpu0", "cpufreq", "scaling_governor")),
        "cpufreq_driver": read_text(os.path.join(CPU_SYS, "cpu0", "cpufreq", "scaling_driver")),
        "cpu_max_mhz": max_mhz(),
        "kernel": platform.release(),
        "kernel_version": platform.version(),
        "mitigations": mitigations(),
        "cgroup": cgroup_version(),
        "mem_total_kib": mem,
        "hostname": platform.node() or None,
        "load": {"start": start, "max_1min": start[0] if start else None, "end": None,
                 "samples": 0, "over_cores": 0},
        "cpu_use": {"start": cpu_sample()},
        "slurm": slurm or None,
    }


def proc_stat(path=PROC_STAT):
    """{field: clock ticks} of /proc/stat's all-CPU line (STAT_FIELDS; a
    field an old kernel lacks is 0), or None."""
    try:
        with open(path) as f:
            head = f.readline().split()
    except OSError:
        return None
    if not head or head[0] != "cpu":
        return None
    try:
        vals = [int(x) for x in head[1:1 + len(STAT_FIELDS)]]
    except ValueError:
        return None
    return dict(zip(STAT_FIELDS, vals + [0] * (len(STAT_FIELDS) - len(vals))))


def own_cpu_s():
    """CPU seconds of this process and of every descendant it (or they)
    waited for: the sweep's own process tree (a model run, its backend, a
    server, bin/load, hyperfine are all waited for)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def cpu_sample():
    """A point to measure the machine's CPU from: the monotonic time, the
    /proc/stat ticks (None where unreadable) and own_cpu_s()."""
    return {"t": round(time.monotonic(), 3), "stat": proc_stat(), "own_s": round(own_cpu_s(), 3)}


def cpu_use(start, end, hz=None):
    """The CPU used between two cpu_sample()s, in cores (CPU seconds per
    wall second): wall_s, own (the sweep's tree), busy (user + nice +
    system of the whole machine), others (busy less own, at least 0),
    steal, irq (irq + softirq), idle (idle + iowait); None when either
    sample lacks /proc/stat or no time passed."""
    hz = hz or os.sysconf("SC_CLK_TCK")
    wall = end["t"] - start["t"]
    if not start.get("stat") or not end.get("stat") or wall <= 0:
        return None

    def cores(*fields):
        return sum(end["stat"][f] - start["stat"][f] for f in fields) / hz / wall
    own = max(0.0, end["own_s"] - start["own_s"]) / wall
    busy = cores(*BUSY_FIELDS)
    return {"wall_s": round(wall, 1), "own": round(own, 3), "busy": round(busy, 3),
            "others": round(max(0.0, busy - own), 3), "steal": round(cores("steal"), 3),
            "irq": round(cores("irq", "softirq"), 3), "idle": round(cores("idle", "iowait"), 3)}


def note_load(host_fp):
    """Fold the current 1-minute load into host_fp["load"]["max_1min"], and
    count the sample (and whether it was over the core count: the load
    average counts the sweep's own runnable threads too, so this says how
    crowded the machine was, not who crowded it).  Called once per point:
    one getloadavg."""
    load = host_fp.setdefault("load", {})
    now = loadavg()
    if now:
        load["max_1min"] = max(now[0], load.get("max_1min") or 0.0)
        load["samples"] = (load.get("samples") or 0) + 1
        cores = host_fp.get("cores") or os.cpu_count()
        load["over_cores"] = (load.get("over_cores") or 0) + (1 if cores and now[0] > cores
                                                              else 0)


def end_load(host_fp):
    """The load averages at the end of the run, in host_fp["load"]["end"],
    and the CPU used over the run (cpu_use) in host_fp["cpu_use"], from its
    start sample (host()); a fingerprint without one gets cpu_use None."""
    note_load(host_fp)
    host_fp.setdefault("load", {})["end"] = loadavg()
    start = (host_fp.get("cpu_use") or {}).get("start")
    host_fp["cpu_use"] = cpu_use(start, cpu_sample()) if start else None


def tool_line(argv):
    """The first line a tool prints about itself, or None."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
        text = (p.stdout or p.stderr).strip().splitlines()
        return text[0] if p.returncode == 0 and text else None
    except (OSError, subprocess.SubprocessError):
        return None


def versions():
    """meta.json's "versions": the libraries the models link (pkg-config),
    the C library, and the tools the sweep and report use."""
    out = {lib: tool_line(["pkg-config", "--modversion", lib]) for lib in PKG_LIBS}
    libc = platform.libc_ver()
    out.update({
        "libc": " ".join(x for x in libc if x) or None,
        "redis-server": tool_line(["redis-server", "--version"]),
        "hyperfine": tool_line(["hyperfine", "--version"]),
        "gnuplot": tool_line(["gnuplot", "--version"]),
        "python": platform.python_version(),
    })
    return out
