"""data.py - results.csv rows: grouping, the models in order, the checks.

Rows come from load.load_csv() (numbers converted, "" -> None).  Models are
ordered and styled by the registry (harness/models.def, read through
harness.sweep.models), so every figure and table lists them alike.  The checks:
equal checksums at equal task counts prove equal work; Little's law
(throughput x mean latency / c = 1) catches measurement bugs.  Also the two
readings of a row that the tables, verdicts and compare share: a per-task
memory figure below the noise, and a point whose own backend was the
bottleneck.
"""

import sys

from harness.sweep import models as models_def

from .fmt import UNKNOWN, is_num, meta_get

LITTLES_LO, LITTLES_HI = 0.95, 1.05     # closed-loop sanity band for littles_ratio
# Kernel memory (a memory cgroup per model process, or /proc/meminfo deltas):
# drawn only when results.csv has all of these; an older run has none.
KMEM_COLUMNS = ("kmem_kib", "kmem_per_task_kib", "mem_per_task_kib")
# mem_source values, as the report words them.
MEM_SOURCES = {"cgroup-v2": "cgroup v2, one memory cgroup per model process",
               "cgroup-v1": "cgroup v1, one memory cgroup per model process",
               "meminfo-system": "system-wide /proc/meminfo deltas (other processes included)",
               "none": "not measured"}
# Peak RSS of the same point moves by a few hundred KiB between runs (the
# CSV shows RSS(c) - RSS(1) down to about -350 KiB at small c), so an
# extra RSS below this is noise: a per-task figure whose total over the
# c - 1 extra tasks is below it reads "below noise", and the memory verdict
# floors async's figure at RSS_NOISE_KIB / (c - 1) before dividing.
RSS_NOISE_KIB = 512.0
# "The backend, not the model, was the bottleneck": a point whose run's own
# backend (one thread) used at least this share of a core over the steady
# window its figures cover (backend_util = backend_window_cpu_s / window_s;
# harness/sweep/point.py backend_util).
BACKEND_BOUND_UTIL = 0.9


def is_ok(row):
    """True for a measured point (status ok)."""
    return row.get("status") == "ok"


def group_by(rows, *keys):
    """{key value (a tuple when several keys): [rows]} in first-seen order."""
    groups = {}
    for row in rows:
        k = tuple(row.get(key) for key in keys) if len(keys) > 1 else row.get(keys[0])
        groups.setdefault(k, []).append(row)
    return groups


def unique(rows, key):
    """The distinct values of one column, in first-seen order."""
    return list(group_by(rows, key).keys())


def workloads(rows):
    """Workload names in CSV (registry) order."""
    return unique(rows, "workload")


def registry():
    """The registry's models (harness/models.def), or [] with a warning on
    stderr when it cannot be read: a report of an existing run must not
    fail for want of colours."""
    try:
        return models_def.load()
    except models_def.ModelsDefError as e:
        print("report: warning: %s; default colours and no model summaries" % e,
              file=sys.stderr)
        return []


def model_info(meta):
    """{model: its registry line as a dict}: the run's own (meta.json
    model_info, recorded by the sweep), overlaid by today's registry."""
    info = {m: dict(d) for m, d in (meta_get(meta or {}, "model_info", default={}) or {}).items()
            if isinstance(d, dict)}
    for m in registry():
        info[m["name"]] = m
    return info


def models(rows, meta=None):
    """Model names present in rows: meta's "models" order, then the
    registry's (harness/models.def), then any other model in CSV order.
    Same order = same colour everywhere."""
    preferred = list(meta_get(meta or {}, "models", default=[])) + [
        m["name"] for m in registry()]
    present = unique(rows, "model")

    def rank(m):
        return (preferred.index(m) if m in preferred else len(preferred) + present.index(m))
    return sorted(present, key=rank)


def model_styles(model_names, meta=None):
    """{model: (colour, point type)}: each model's own from the registry (or
    the run's meta.json), a fallback for a model neither names."""
    return models_def.styles(model_names, [
        dict(d, name=m) for m, d in model_info(meta).items()
        if d.get("colour") and isinstance(d.get("marker"), int)])


def rows_for(rows, workload=None, model=None, concurrency=None, ok_only=False):
    """The rows matching every given field."""
    return [r for r in rows
            if (workload is None or r.get("workload") == workload)
            and (model is None or r.get("model") == model)
            and (concurrency is None or r.get("concurrency") == concurrency)
            and (not ok_only or is_ok(r))]


def workload_info(rows, meta, workload):
    """{kind, summary, work, delay_us} of one workload: meta.json first, the
    CSV's work/delay_us columns when meta lacks them."""
    wmeta = meta_get(meta, "workloads", workload, default={})
    first = next((r for r in rows if r.get("workload") == workload), {})
    return {
        "kind": wmeta.get("kind") or UNKNOWN,
        "summary": wmeta.get("summary"),
        "work": wmeta.get("work") if wmeta.get("work") is not None else first.get("work"),
        "delay_us": (wmeta.get("delay_us") if wmeta.get("delay_us") is not None
                     else first.get("delay_us")),
    }


def check_checksums(wl_rows):
    """Equal work check for one workload's rows.

    Checksums are comparable only at equal `tasks`.  Returns a dict:
      equal_points   concurrency levels where >= 2 models ran the same tasks
                     and all their checksums agree
      mismatches     [(concurrency, tasks, {model: checksum})] that disagree
      not_comparable [concurrency] where models ran different task counts
      within         [(model, tasks, {concurrency: checksum})]: one model's
                     checksum changed with concurrency at equal tasks"""
    ok = [r for r in wl_rows if is_ok(r) and r.get("checksum")]
    # The sweep's pilot run of each point uses the same task count for every
    # model (verify_tasks): its checksum is the cross-model comparison.
    ok += [dict(r, tasks=r["verify_tasks"], checksum=r["verify_checksum"])
           for r in wl_rows if is_ok(r) and r.get("verify_checksum")]
    result = {"equal_points": 0, "mismatches": [], "not_comparable": [], "within": []}
    for c, at_c in group_by(ok, "concurrency").items():
        if len(unique(at_c, "model")) < 2:
            continue
        compared = False
        for tasks, same in group_by(at_c, "tasks").items():
            if len(unique(same, "model")) < 2:
                continue
            compared = True
            sums = {r["model"]: r["checksum"] for r in same}
            if len(set(sums.values())) == 1:
                result["equal_points"] += 1
            else:
                result["mismatches"].append((c, tasks, sums))
        if not compared:
            result["not_comparable"].append(c)
    for (m, tasks), same in group_by(ok, "model", "tasks").items():
        if len({r["checksum"] for r in same}) > 1:
            result["within"].append((m, tasks, {r["concurrency"]: r["checksum"] for r in same}))
    return result


def check_littles(wl_rows, lo=LITTLES_LO, hi=LITTLES_HI):
    """Little's law for one workload's ok rows: (violations, missing), where
    violations = [(model, concurrency, ratio)] outside [lo, hi] and missing
    counts ok rows with no littles_ratio."""
    violations, missing = [], 0
    for r in wl_rows:
        if not is_ok(r):
            continue
        ratio = r.get("littles_ratio")
        if not isinstance(ratio, (int, float)):
            missing += 1
        elif not lo <= ratio <= hi:
            per_slot = (r["tasks"] / r["concurrency"]
                        if is_num(r.get("tasks")) and r.get("concurrency") else None)
            violations.append((r["model"], r["concurrency"], ratio, per_slot))
    return violations, missing


def speedups(wl_rows, model_names):
    """{model: (speed-up, best row, c=1 row)}: best throughput over the c=1
    throughput; speed-up None when a model has no ok c=1 point."""
    out = {}
    for m in model_names:
        ok = [r for r in wl_rows if r.get("model") == m and is_ok(r)
              and isinstance(r.get("throughput"), (int, float))]
        if not ok:
            continue
        best = max(ok, key=lambda r: r["throughput"])
        base = next((r for r in ok if r.get("concurrency") == 1), None)
        ratio = best["throughput"] / base["throughput"] if base and base["throughput"] else None
        out[m] = (ratio, best, base)
    return out


def mem_source_text(rows):
    """How the kernel memory of these rows was measured, in words: one
    source, or each source with its count; "not measured" when no row says
    (an older run) or every row says none."""
    got = {}
    for r in rows:
        if is_ok(r):
            src = r.get("mem_source") or "none"
            got[src] = got.get(src, 0) + 1
    if not got or set(got) == {"none"}:
        return MEM_SOURCES["none"]
    if len(got) == 1:
        src = next(iter(got))
        return MEM_SOURCES.get(src, src)
    return "; ".join("%s at %d point%s" % (MEM_SOURCES.get(k, k), n, "" if n == 1 else "s")
                     for k, n in got.items())


def kmem_measured(rows):
    """True when results.csv has the kernel memory columns and some ok row
    has a kernel figure."""
    return bool(rows) and all(k in rows[0] for k in KMEM_COLUMNS) and any(
        is_ok(r) and is_num(r.get("kmem_kib")) for r in rows)


def backend_bound(row):
    """True when the point's own backend used >= BACKEND_BOUND_UTIL of a core
    over the clocked window: the backend, not the model, set the pace."""
    u = row.get("backend_util")
    return is_num(u) and u >= BACKEND_BOUND_UTIL


def below_noise(v, c):
    """True when a per-task figure at concurrency c adds up to less than
    RSS_NOISE_KIB over the c - 1 extra tasks (negative ones included): the
    run-to-run noise of a process's peak memory, not a cost."""
    return is_num(v) and is_num(c) and c > 1 and v * (c - 1) < RSS_NOISE_KIB


def backend_bound_rows(wl_rows):
    """The ok rows whose own backend was the bottleneck (verdicts' rule)."""
    return [r for r in wl_rows if is_ok(r) and backend_bound(r)]


def data_file_text(meta):
    """Where the file pairs read: meta.json's data_file (path, MiB, file
    system, device), in words."""
    d = meta_get(meta, "data_file", default=None)
    if not isinstance(d, dict):
        return "the data file's file system not recorded (meta.json data_file)"
    return "data file %s%s on %s%s" % (
        d.get("path") or "(path not recorded)",
        ", %s MiB," % d["mib"] if d.get("mib") is not None else "",
        d.get("fstype") or "a file system not recorded",
        " (%s)" % d["device"] if d.get("device") else "")


def cache_of(meta, wl):
    """A file series' cache mode (meta.json workloads.WL.cache), in words."""
    c = meta_get(meta, "workloads", wl, "cache")
    return ("warm page cache" if c == "warm" else "cold: the page cache dropped before each run"
            if c == "cold" else "cache mode not recorded")
