"""machine.py - a run's machine, read from meta.json's fingerprint: shown, named, compared.

The sweep records the machine (harness/sweep/fingerprint.py: meta.json
"host", "versions", "fleet").  Here: the fingerprint as the report, the
comparison and the machine matrix show it (summary, lines), the name a
machine goes by in a matrix (label), and the differences between two runs'
machines that matter to a comparison (differences): the CPU model, the
core count, the kernel, the mitigations and the frequency governor.  A
field an older run did not record is unknown, never a difference.

Imports only fmt (a leaf); standard library otherwise.
"""

from .fmt import KIB_PER_MIB, UNKNOWN, fmt_sig, is_num, meta_get

# The fields whose difference makes two runs' figures not comparable as
# they stand (compare warns; the matrix says so), and why each matters.
MATTERS = (
    ("cpu_model", "another CPU: every figure may move"),
    ("cores", "another core count: threads' and async-mt's scaling change with it"),
    ("kernel", "another kernel: the scheduler, epoll and io_uring change with it"),
    ("mitigations", "other CPU-bug mitigations: system calls and switches cost more or less"),
    ("governor", "another frequency governor: the clock may be parked or boosted"),
)
MAX_NAMES_SHOWN = 4     # vulnerabilities named in a summary, beyond which "..."


def host(meta):
    """meta.json's "host" (a dict; {} for a run without one)."""
    h = meta_get(meta, "host", default={})
    return h if isinstance(h, dict) else {}


def label(meta, fallback=None):
    """The name a run's machine goes by: its fleet label (the partition or
    node list make fleet gave it), else fallback, else CPU model and cores."""
    name = meta_get(meta, "fleet", "label")
    if name:
        return str(name)
    if fallback:
        return fallback
    h = host(meta)
    return "%s, %s cores" % (h.get("cpu_model") or UNKNOWN, h.get("cores") or UNKNOWN)


def mitigation_counts(mit):
    """{"mitigated": [...], "vulnerable": [...], "not affected": [...],
    "other": [...]} of a {name: kernel text} dict (names sorted)."""
    out = {"mitigated": [], "vulnerable": [], "not affected": [], "other": []}
    for name, text in sorted((mit or {}).items()):
        t = (text or "").lower()
        kind = ("vulnerable" if t.startswith("vulnerable") else
                "mitigated" if t.startswith("mitigation") else
                "not affected" if t.startswith("not affected") else "other")
        out[kind].append(name)
    return out


def mitigations_text(mit):
    """'19 listed: 9 mitigated, 8 not affected, 2 vulnerable (mds, retbleed)',
    or unknown when the run did not record them."""
    if not isinstance(mit, dict):
        return "%s (not recorded)" % UNKNOWN
    c = mitigation_counts(mit)
    parts = ["%d %s" % (len(c[k]), k) for k in ("mitigated", "not affected", "vulnerable",
                                                 "other") if c[k]]
    vul = c["vulnerable"]
    names = ", ".join(vul[:MAX_NAMES_SHOWN]) + (", ..." if len(vul) > MAX_NAMES_SHOWN else "")
    return "%d listed: %s%s" % (len(mit), ", ".join(parts) or "none",
                                " (vulnerable: %s)" % names if vul else "")


def load_text(h):
    """'1.49 at the start, at most 1.7, 1.52 at the end' (1-minute load)."""
    load = h.get("load") if isinstance(h.get("load"), dict) else {}

    def one(v):
        return fmt_sig(v[0]) if isinstance(v, list) and v and is_num(v[0]) else UNKNOWN
    mx = load.get("max_1min")
    cores = h.get("cores")
    busy = is_num(mx) and is_num(cores) and mx > cores
    return "%s at the start, at most %s, %s at the end (1-minute averages)%s" % (
        one(load.get("start")), fmt_sig(mx) if is_num(mx) else UNKNOWN, one(load.get("end")),
        "; busy: more runnable tasks than its %s cores" % cores if busy else "")


def smt_text(h):
    """'SMT off, 1 thread per core' or unknown."""
    smt, tpc = h.get("smt"), h.get("threads_per_core")
    if smt is None and tpc is None:
        return "SMT %s" % UNKNOWN
    return "SMT %s, %s thread%s per core" % (smt or UNKNOWN, tpc or UNKNOWN,
                                             "" if tpc == 1 else "s")


def summary(meta):
    """The fingerprint as one dict of short texts (the matrix's machine
    table, a report's provenance): every field a string."""
    h = host(meta)
    mem = h.get("mem_total_kib")
    flags = h.get("cpu_flags")
    v = meta_get(meta, "versions", default={}) or {}
    return {
        "cpu": "%s (%s)" % (h.get("cpu_model") or UNKNOWN, h.get("arch") or UNKNOWN),
        "cores": "%s cores, %s socket%s, %s" % (
            h.get("cores") or UNKNOWN, h.get("sockets") or UNKNOWN,
            "" if h.get("sockets") == 1 else "s", smt_text(h)),
        "governor": "%s%s" % (h.get("governor") or "%s (not exposed)" % UNKNOWN,
                              ", max %s MHz" % h["cpu_max_mhz"] if h.get("cpu_max_mhz") else ""),
        "kernel": h.get("kernel") or UNKNOWN,
        "mitigations": mitigations_text(h.get("mitigations")),
        "cgroup": h.get("cgroup") or UNKNOWN,
        "memory": "%s GiB" % fmt_sig(mem / KIB_PER_MIB / KIB_PER_MIB) if is_num(mem) else UNKNOWN,
        "cpu_flags": "%d flags" % len(flags) if isinstance(flags, list) else UNKNOWN,
        "libraries": "; ".join("%s %s" % (k, v.get(k) or UNKNOWN)
                               for k in ("libevent", "liburing", "hiredis", "libc")),
        "load": load_text(h),
    }


def lines(meta):
    """The fingerprint as markdown list lines (report.md's provenance)."""
    s = summary(meta)
    return ["- **Machine:** %s; %s; %s; memory %s" % (s["cpu"], s["cores"], s["cpu_flags"],
                                                     s["memory"]),
            "- **Kernel:** %s; **CPU frequency governor:** %s; **cgroup:** %s" % (
                s["kernel"], s["governor"], s["cgroup"]),
            "- **Mitigations:** %s" % s["mitigations"],
            "- **Load during the run:** %s" % s["load"]]


def value(meta, field):
    """A MATTERS field of meta's fingerprint, or None when not recorded."""
    v = host(meta).get(field)
    return v if v not in ("", [], {}) else None


def differences(meta_a, meta_b):
    """[(field, why, text)] for each MATTERS field both runs recorded and
    that differs; text says how ('6.1.0 vs 6.5.0'; the mitigations: the
    vulnerabilities whose state differs)."""
    out = []
    for field, why in MATTERS:
        a, b = value(meta_a, field), value(meta_b, field)
        if a is None or b is None or a == b:
            continue
        if field == "mitigations" and isinstance(a, dict) and isinstance(b, dict):
            names = sorted(n for n in set(a) | set(b) if a.get(n) != b.get(n))
            text = "; ".join("%s: '%s' vs '%s'" % (n, a.get(n, UNKNOWN), b.get(n, UNKNOWN))
                             for n in names[:MAX_NAMES_SHOWN])
            text += "; ..." if len(names) > MAX_NAMES_SHOWN else ""
        else:
            text = "%s vs %s" % (a, b)
        out.append((field, why, text))
    return out


def flags_only(meta, others):
    """The CPU flags meta's machine has that none of others' has (sorted);
    None where meta or every other did not record flags."""
    mine = host(meta).get("cpu_flags")
    theirs = [host(m).get("cpu_flags") for m in others]
    theirs = [set(t) for t in theirs if isinstance(t, list)]
    if not isinstance(mine, list) or not theirs:
        return None
    return sorted(set(mine) - set.union(*theirs))
