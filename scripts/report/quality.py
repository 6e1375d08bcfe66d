"""quality.py - was the machine quiet enough for the run to decide anything.

A verdict's intervals catch noise: runs that scatter give wide intervals and
INCONCLUSIVE.  They cannot catch a bias that every run of a round shares.
Other processes taking the CPU make one: a model spread over every core
(threads, async-mt) loses its share of the CPU to them in every run, while
one event loop, on one core, may lose none (the scheduler gives the others
the core it leaves idle), so the ratio of the two moves in every round alike
and its interval is narrow around the wrong value.

So the report reads how busy the machine was from meta.json's fingerprint
(harness/sweep/fingerprint.py): the CPU that other processes used over the
run (the machine's busy CPU from /proc/stat less the sweep's own process
tree), the CPU a VM's host stole, and the load average (start, highest while
points ran, end).  The rule (UNFIT_SHARE):

    not fit to decide anything  when others' CPU + steal, averaged over the
                                run, reach UNFIT_SHARE x the cores

Then every verdict that would be CONFIRMED or REFUTED is INCONCLUSIVE
(gate()), saying why in its "how sure"; NOT SHOWN stays (the run lacks the
data, whatever the load).  The load average is shown and not judged: it
counts the sweep's own runnable threads too (cpu_hash at 64 in flight on
threads is 64 of them), so a quiet machine under a threads point reads as
loaded.  The share of noisy points is shown and not judged: noise is what
the intervals already carry.  A run recorded before the CPU was (no
cpu_use) is not judged either, and says so.
"""

from .data import is_ok
from .fmt import fmt_sig, meta_get
from .sure import CONFIRMED, INCONCLUSIVE, REFUTED

# A fifth of the cores: the rules allow a busy machine 20% of the CPU and no
# more (rules.PAR_THREADS_FRAC: threads must reach 0.8 x cores), and their
# tie bands are 10% (IO_WIN, LAT_TIE, MATCH).  Others holding a fifth of the
# machine on average take up to a fifth of an all-core model's CPU and none
# of a one-core model's: a bias past every band, which no interval shows.
# On 2 cores: 0.4 of a core.
UNFIT_SHARE = 0.2


def assess(meta):
    """How fit the run was to decide: {"cores", "load" (meta's), "use"
    (meta's cpu_use: cores over the run) or None, "taken" (others + steal,
    cores) or None, "limit" (cores), "fit": True, False, or None (not
    recorded), "why" (a sentence when not fit)}.  Cost: nothing."""
    cores = meta_get(meta, "host", "cores")
    cores = cores if isinstance(cores, int) and cores > 0 else None
    use = meta_get(meta, "host", "cpu_use")
    use = use if isinstance(use, dict) and isinstance(use.get("others"), (int, float)) else None
    q = {"cores": cores, "load": meta_get(meta, "host", "load") or {}, "use": use,
         "taken": None, "limit": None, "fit": None, "why": None}
    if use is None or cores is None:
        return q
    q["taken"] = use["others"] + (use.get("steal") or 0.0)
    q["limit"] = UNFIT_SHARE * cores
    q["fit"] = q["taken"] < q["limit"]
    if not q["fit"]:
        q["why"] = ("other processes used %s and steal %s of the %d cores on average over "
                    "the run (%s in all, the limit %s: a fifth of the cores)" % (
                        cores_text(use["others"]), cores_text(use.get("steal") or 0.0), cores,
                        cores_text(q["taken"]), cores_text(q["limit"])))
    return q


def cores_text(x):
    """'0.42 cores', '1.00 core', '0.00 cores'."""
    return "%.2f core%s" % (x, "" if round(x, 2) == 1 else "s")


def noisy_share(rows):
    """(noisy ok points, ok points) of results.csv's rows."""
    ok = [r for r in rows if is_ok(r)]
    return sum(1 for r in ok if r.get("noisy")), len(ok)


def load_text(load, cores):
    """'load average 0.5 at the start, at most 3.1 while points ran (over
    the 2 cores at 4 of 120 samples), 0.8 at the end'."""
    def one(v):
        return "%.1f" % v[0] if isinstance(v, list) and v else "unknown"
    text = "load average %s at the start, at most %s while points ran" % (
        one(load.get("start")), "%.1f" % load["max_1min"] if isinstance(
            load.get("max_1min"), (int, float)) else "unknown")
    if load.get("samples") and cores:
        text += " (over the %d cores in %d of its %d samples, one a point)" % (
            cores, load.get("over_cores") or 0, load["samples"])
    return text + ", %s at the end" % one(load.get("end"))


def line(q, noisy, total):
    """The run-quality line of the report's first screen (markdown); noisy,
    total: noisy_share()."""
    parts = [load_text(q["load"], q["cores"])]
    use = q["use"]
    if use:
        parts.append("over the %s s it ran, other processes used %s, steal %s, the sweep "
                     "itself %s (of %s)" % (
                         fmt_sig(use["wall_s"]), cores_text(use["others"]),
                         cores_text(use.get("steal") or 0.0), cores_text(use["own"]),
                         "%d" % q["cores"] if q["cores"] else "unknown cores"))
    else:
        parts.append("other processes' CPU and steal not recorded (a run before meta.json "
                     "kept them)")
    parts.append("%d of %d ok points noisy (%s%%)" % (
        noisy, total, fmt_sig(100.0 * noisy / total) if total else "0"))
    verdict = ("**fit to decide**: others' CPU + steal under %s (a fifth of the cores)" %
               cores_text(q["limit"]) if q["fit"] else
               "**not fit to decide anything**" if q["fit"] is False else
               "fitness not judged")
    return "**Run quality:** %s; %s.  (The load average counts the sweep's own threads too, " \
        "so it is shown, not judged; noise is what the intervals carry.)" % (
            "; ".join(parts), verdict)


def warning(q):
    """The warning at the top of a run not fit to decide (markdown lines),
    or []."""
    if q["fit"] is not False:
        return []
    return ["> **This run is not fit to decide anything:** %s.  A model that uses every core "
            "lost CPU to them that a one-core model did not, a bias the intervals cannot "
            "show, so every verdict that would be CONFIRMED or REFUTED is INCONCLUSIVE "
            "here, its \"how sure\" saying so.  Run it again on a quieter machine." % q["why"],
            ""]


def gate(v, meta):
    """v (a rule's verdict dict) as the run's fitness allows: CONFIRMED or
    REFUTED on a run not fit to decide become INCONCLUSIVE, the reason first
    in "how sure", the figures' own verdict kept in "unfit_verdict" and said
    in the evidence; any other v as it is."""
    if v.get("verdict") not in (CONFIRMED, REFUTED):
        return v
    q = assess(meta)
    if q["fit"] is not False:
        return v
    return dict(v, verdict=INCONCLUSIVE, unfit_verdict=v["verdict"],
                sure="run not fit to decide: %s; %s" % (q["why"], v.get("sure")),
                evidence="the figures alone said %s, on a run not fit to decide; %s" % (
                    v["verdict"], v.get("evidence")))
