"""floors.py - the machine's floor: what each workload could do at best, and the targets.

When the run folder has calibration.csv (bin/calibrate, run by the sweep before
the first point), every figure gets the machine's floor as a dashed reference
line, report.md gets a "Calibration" section (the figures, and the targets
marked PASS or MISS, the io round-trip ones from floor_runs.jsonl) and each
workload a "distance from floor" table.  A workload's floor is the lower of
its latency bound and its CPU bound, from the terms the pair declares
(workloads/NAME.c .floor, recorded in meta.json "workloads": "floor":
"round_trips:N,timer_waits:N,work_is_cpu_hash:0|1,cpu_ns:N" or "none"),
never from its name:
    one task alone     L = round_trips x (delay + TCP RTT) + timer_waits x delay
                         + work x cpu_hash round (if work_is_cpu_hash) + cpu_ns
    CPU per task       C = the CPU terms above + round_trips x rpc_cpu
    throughput at c    T(c) = min(c / L, cores / C if C > 0,
                              cores / (timer_waits x timer_cpu) if it waits on timers)
    latency at c       c / T(c)  (Little's law: L until a cap binds)
A floor is a bound no model may beat, so every term is the least the
machine was seen to take, in CPU time where it is CPU: TCP RTT the least of
its repetitions (tcp_rtt_min_us: a median is beaten by half the tasks); no
wake-up term (how late a timed wait ends): a loop busy with other tasks
finds an expired wait without being woken, and the models came within 0.2%
of a c / L that held the least wake-up (async-mt io_sleep at c = 256);
cpu_hash_unit_ns and timer_cpu_ns the thread's CPU time (a
wall-clock cost taken on a busy machine reads the preemptions too; the
timer floor was one loop's 1 / timer_event_ns, 60 ns of wall time while
async's whole task cost 44-50 ns of CPU), rpc_cpu the lesser of the
one-in-flight ping-pong (rpc_cpu_us) and the batched round trip
(rpc_cpu_batch_us: at c = 1,024 both sides batch and spend less), a bound
at every level.  A measured point above its floor (its whole interval:
above()) is a defect of the floor: the report's checks call it an error
(beaten).  A run calibrated before
these figures uses the older ones, saying so.  A pair that
declares "none" (its work is not cpu_hash rounds and its cost is unknown)
gets no floor line and no distance table.  A run recorded before pairs
declared their terms has its terms inferred as the sweep then did (kind,
work, delay_us, needs_backend), saying so.  An older run without
calibration.csv is reported as before, saying so.
The round trip and its CPU are the loopback ones (tcp_rtt_us, rpc_cpu_us)
unless the run's backend was on another host (meta.json topology: remote,
BACKEND=HOST:PORT): then the ones bin/calibrate measured against that backend
(backend_rtt_us, and backend_rpc_cpu_us: this host's side only, the backend's
CPU being on its own host).
"""

import math

from .data import rows_for, workload_info, workloads, is_ok
from .fmt import DASH, UNKNOWN, fmt_ratio, fmt_si, fmt_sig, is_num, md_cell, meta_get
from .load import CALIBRATION_CSV, FLOOR_RUNS_JSONL

# The targets: how close to the machine's floor each model must come.
TARGET_RTT_RATIO = (("threads", 1.3), ("async", 1.5))  # p50 / tcp_rtt at c=1, delay 0
TARGET_TIMER_BAND = 0.10        # async timer-wait throughput within 10% of T(c), every c
TARGET_LINEAR_BAND = 0.10       # CPU threads at c = cores within 10% of cores x T(1)
TARGET_HIST_NS = 30.0           # hist_record_ns below this
PASS, MISS, NOT_MEASURED = "PASS", "MISS", "not measured"
BELOW_FLOOR = 0.9               # measured under 0.9x its floor: the floor was measured high
# Each floor term: the calibration figures it is taken from, the least of those
# present (a bound at every level), and the older figure a run before them has.
RTT_FIGURES = ("tcp_rtt_min_us",)                      # else tcp_rtt_us (a median)
RPC_FIGURES = ("rpc_cpu_us", "rpc_cpu_batch_us")       # the lesser: CPU per round trip
TIMER_CPU = "timer_cpu_ns"                             # else timer_event_ns, wall, one loop
FLOOR_TERMS = ("round_trips", "timer_waits", "work_is_cpu_hash", "cpu_ns")
INFERRED = "inferred"           # floor_terms' source for a run before declared floors


def cal_value(cal, name):
    """One calibration figure (a positive number), or None."""
    v = (cal or {}).get(name, {}).get("value")
    return v if is_num(v) and v > 0 else None


def rtt_names(meta):
    """(round-trip figure, its CPU figure) of calibration.csv that a run's
    floor uses: those of the remote backend when the run had one."""
    if meta_get(meta, "topology", "backend") == "remote":
        return "backend_rtt_us", "backend_rpc_cpu_us"
    return "tcp_rtt_us", "rpc_cpu_us"


def least(cal, names, fallback=None):
    """(value, name): the least of calibration figures names that cal has,
    else fallback's (a run calibrated before them), else (None, None)."""
    got = [(cal_value(cal, n), n) for n in names if cal_value(cal, n)]
    if got:
        return min(got)
    return (cal_value(cal, fallback), fallback) if fallback and cal_value(cal, fallback) \
        else (None, None)


def cal_cores(cal, meta):
    """Cores of the floor: calibration's count, else meta.json's, else None."""
    c = cal_value(cal, "cores") or meta_get(meta, "host", "cores")
    return int(c) if is_num(c) and c >= 1 else None


def parse_floor(text):
    """{round_trips, timer_waits, work_is_cpu_hash, cpu_ns} from a pair's
    declaration ("round_trips:1,timer_waits:0,..."); None for "none", an
    empty or an unreadable one."""
    if not isinstance(text, str) or text.strip() in ("", "none"):
        return None
    terms = dict.fromkeys(FLOOR_TERMS, 0)
    for part in text.split(","):
        k, sep, v = part.partition(":")
        if not sep or k.strip() not in terms or not v.strip().isdigit():
            return None
        terms[k.strip()] = int(v)
    return terms


def floor_terms(rows, meta, workload):
    """(terms, source): the pair's declared floor terms (source "declared"),
    None ("none": it declares none, or "unreadable"), or for a run recorded
    before pairs declared them, the terms the old rule inferred (INFERRED).
    A variant series (file_read-cold) without its own has its pair's."""
    w = meta_get(meta, "workloads", workload, default={})
    if "floor" not in w and w.get("variant_of"):
        w = meta_get(meta, "workloads", w["variant_of"], default=w)
    if "floor" in w:
        terms = parse_floor(w["floor"])
        if terms is None:
            return None, "none" if str(w["floor"]).strip() in ("", "none") else "unreadable"
        return terms, "declared"
    info = workload_info(rows, meta, workload)
    work = info["work"] if is_num(info["work"]) else 0
    delay = info["delay_us"] if is_num(info["delay_us"]) else 0
    backend = bool(w.get("needs_backend", False))
    return {"round_trips": int(backend), "timer_waits": int(delay > 0 and not backend),
            "work_is_cpu_hash": int(work > 0 or info["kind"] == "cpu"), "cpu_ns": 0}, INFERRED


def _times(n, name):
    return name if n == 1 else "%d x %s" % (n, name)


def workload_floor(rows, meta, cal, workload):
    """The machine's floor for one workload (see the module comment), or None
    when the pair declares no floor terms, calibration lacks a figure they
    need, or the task costs nothing.  Returns {lat_us: L, one task alone;
    caps: [(tasks/s, symbol)]; tput_lines, lat_lines: the formulas, two
    short lines each, for the plots' labels and the report; summary}."""
    if not cal:
        return None
    terms_d, source = floor_terms(rows, meta, workload)
    if terms_d is None:
        return None
    info = workload_info(rows, meta, workload)
    work = info["work"] if is_num(info["work"]) else 0
    delay = info["delay_us"] if is_num(info["delay_us"]) else 0
    rt, tw = terms_d["round_trips"], terms_d["timer_waits"]
    cores = cal_cores(cal, meta)
    terms, caps, cpu_text = [], [], None     # terms: (name, us) adding up to L
    waits = rt + tw
    if delay > 0 and waits:
        # A timed wait never ends before its deadline (runtime/evsleep.h,
        # blk_sleep_from); how late it ends is no bound (module comment).
        terms.append((_times(waits, "delay"), waits * float(delay)))
    # The round trip's figures are bin/calibrate's against bin/backend, the
    # echo server (BACKEND=: the remote one's): for the pairs that talk to
    # it.  A peer of another kind (redis-server, always on this host: one
    # loop answering many clients' GETs per turn) takes the loopback RTT and
    # no CPU bound (it spends less: 155k GET/s on 2 cores, 12.9 us each all
    # told, on a run whose echo round trip measured 17.5).
    echo_peer = meta_get(meta, "workloads", workload,
                         default={}).get("needs_backend", True) is not False
    rtt_name, rpc_name = rtt_names(meta) if echo_peer else ("tcp_rtt_us", "rpc_cpu_us")
    remote = rtt_name != "tcp_rtt_us"
    if rt:
        rtt = cal_value(cal, rtt_name) if remote else least(cal, RTT_FIGURES, rtt_name)[0]
        if rtt is None:
            return None
        terms.append((_times(rt, "RTT" if work > 0 else "TCP RTT"), rt * rtt))
    cpu_us, cpu_parts = 0.0, []     # the CPU a task costs the machine's cores
    if terms_d["work_is_cpu_hash"] and work > 0:
        unit = cal_value(cal, "cpu_hash_unit_ns")
        if unit is None or cores is None:
            return None
        cpu_us = work * unit / 1e3
        cpu_text = "%s x %s ns" % (work, fmt_sig(unit))
        cpu_parts.append("work %s" % fmt_sig(cpu_us))
    if terms_d["cpu_ns"]:
        if cores is None:
            return None
        cpu_us += terms_d["cpu_ns"] / 1e3
        cpu_text = (cpu_text + " + " if cpu_text else "") + "%s ns" % terms_d["cpu_ns"]
        cpu_parts.append("declared %s" % fmt_sig(terms_d["cpu_ns"] / 1e3))
    if cpu_us > 0:
        terms.append(("CPU", cpu_us))
    rpc_cpu = (cal_value(cal, rpc_name) if remote else least(cal, RPC_FIGURES)[0]) \
        if rt and echo_peer else None
    if rpc_cpu and cores:
        # The round trip's own CPU, client and backend: it overlaps the
        # wire latency in L (that is spent computing), but bounds throughput.
        cpu_us += rt * rpc_cpu
        cpu_parts.append("%s %s" % (_times(rt, "round trip"), fmt_sig(rt * rpc_cpu)))
    if cpu_us > 0:
        caps.append((cores * 1e6 / cpu_us, "%d cores / CPU" % cores,
                     "CPU %s us" % fmt_sig(cpu_us) + (" (%s)" % " + ".join(cpu_parts)
                                                     if len(cpu_parts) > 1 else ""), cores))
    old_timer = False
    if tw and delay > 0:   # the waits are timers
        timer = cal_value(cal, TIMER_CPU)
        if timer is not None and cores:
            caps.append((cores * 1e9 / (tw * timer), "%d cores / timer" % cores if tw == 1
                         else "%d cores / (%d timers)" % (cores, tw),
                         "timer %s ns of CPU" % fmt_sig(timer), cores))
        else:
            timer, old_timer = cal_value(cal, "timer_event_ns"), True
            if timer is None:
                return None
            caps.append((1e9 / (tw * timer), "1 / timer" if tw == 1 else
                         "1 / (%d timers)" % tw, "timer %s ns" % fmt_sig(timer), 1))
    lat_us = sum(us for _, us in terms)
    if lat_us <= 0:
        return None
    caps_sym = [(cap, sym, detail) for cap, sym, detail, _ in caps]
    L = fmt_sig(lat_us)
    if len(terms) == 1 and cpu_text:     # pure CPU: linear scaling up to the cores
        tput = ["ideal: min(c, %d cores) / L" % cores, "L = %s = %s us" % (cpu_text, L)]
    else:
        tput = ["ceiling: " + ("min(c / L, %s)" % ", ".join(sym for _, sym, _ in caps_sym)
                               if caps else "c / L"),
                "L = %s us" % L + "".join(", %s" % detail for _, _, detail in caps_sym)]
    if len(terms) == 1:
        breakdown = "L = %s" % (cpu_text if cpu_text else "%s %s us" % (terms[0][0], L))
    else:
        breakdown = "L = %s us" % " + ".join("%s %s" % (n, fmt_sig(us)) for n, us in terms)
    lat = ["floor: L = %s us%s" % (L, ", then c / T(c)" if caps else ""), breakdown]
    summary = "T(c) = %s with L = %s%s%s; latency floor c / T(c)" % (
        tput[0].split(": ", 1)[1], breakdown[len("L = "):],
        "" if breakdown.endswith(" %s us" % L) else " = %s us" % L,
        "".join("; %s" % detail for _, _, detail in caps_sym
                if not detail.startswith("CPU") or len(cpu_parts) > 1 or rpc_cpu))
    if rt and not echo_peer:
        summary += ("; no CPU bound: the round trip is to a peer whose CPU per request "
                    "is not calibrated (bin/calibrate times bin/backend's echo)")
    elif rt and not rpc_cpu:
        summary += ("; the round trip's CPU is not in this floor (no %s in %s): "
                    "its throughput bound is too high" % (rpc_name, CALIBRATION_CSV))
    if old_timer:
        summary += ("; the timer cost is one loop's wall time (this run's %s predates "
                    "%s): a floor a model may beat" % (CALIBRATION_CSV, TIMER_CPU))
    if source == INFERRED:
        summary += ("; terms inferred from the pair's kind, work and delay (this run's "
                    "meta.json predates declared floors)")
    return {"lat_us": lat_us, "caps": [(cap, sym) for cap, sym, _, _ in caps],
            "cap_cores": [n for _, _, _, n in caps], "cores": cores,
            "tput_lines": tput, "lat_lines": lat, "summary": summary}


def floor_throughput(fl, c, cores=None):
    """T(c): the most tasks/s the machine allows at concurrency c; with
    cores, on that many of its cores (a CPU cap scaled down: one loop's
    ceiling is cores=1)."""
    t = c * 1e6 / fl["lat_us"]
    for i, (cap, _) in enumerate(fl["caps"]):
        n = (fl.get("cap_cores") or [None] * len(fl["caps"]))[i]
        if cores is not None and n:
            cap = cap * min(cores, n) / n
        t = min(t, cap)
    return t


def floor_latency_us(fl, c):
    """The least latency (us) at concurrency c in a closed loop: c / T(c)."""
    return c * 1e6 / floor_throughput(fl, c)


def above(r, t):
    """r's throughput is above t by the evidence: its whole 95% interval
    (throughput_lo, the rounds' interval) over t, or the figure itself where
    the row has no interval.  A median 0.3% over a floor whose terms were
    measured to +-0.5% (cpu_hash at c = 2 to 64 on a quiet full run, the
    calibration's round cost a median of 5 within 0.5% of each other) is
    the floor, not a model beating it."""
    lo = r.get("throughput_lo")
    return (lo if is_num(lo) and lo > 0 else r["throughput"]) > t


def beaten(wl_rows, fl):
    """The ok points of one workload above its floor (above()): [(model, c,
    measured throughput, T(c))].  Each is a defect of the floor (a term
    measured too high), never a model faster than the machine."""
    out = []
    if not fl:
        return out
    for r in wl_rows:
        if not (is_ok(r) and is_num(r.get("throughput")) and is_num(r.get("concurrency"))):
            continue
        c = r["concurrency"]
        t = floor_throughput(fl, c)
        if above(r, t):
            out.append((r.get("model"), c, r["throughput"], t))
    return sorted(out, key=lambda x: (x[1], str(x[0])))


def beaten_text(hits):
    """The checks' words for beaten(): '' when none."""
    if not hits:
        return ""
    return ("**ERROR: %d point%s above the floor**, the whole 95%% interval (a floor term was "
            "measured too high: "
            "bin/calibrate): %s" % (len(hits), "" if len(hits) == 1 else "s", ", ".join(
                "%s c=%s %s > %s tasks/s" % (m, c, fmt_si(t), fmt_si(f)) for m, c, t, f in hits)))


def below_floor_note(ratio):
    """A warning when a measurement beats its floor by more than noise: the
    floor (calibration) was likely taken while the machine was busier."""
    if is_num(ratio) and ratio < BELOW_FLOOR:
        return "; below the floor: it was measured high (a busy machine during calibration?)"
    return ""


def within(ratio, band):
    """PASS when ratio lies in 1 +- band."""
    return PASS if is_num(ratio) and abs(ratio - 1) <= band else MISS


def targets(rows, meta, cal, floor_runs):
    """The targets: [(target, measured, ratio text, PASS/MISS/not measured)]."""
    out = []
    rtt_name = rtt_names(meta)[0]
    rtt_short = rtt_name[:-len("_us")]
    rtt = cal_value(cal, rtt_name)
    wl = next((st.get("workload") for st in floor_runs.values() if st.get("workload")),
              meta_get(meta, "floor_runs", "workload", default="the backend round trip"))
    for model, limit in TARGET_RTT_RATIO:
        what = ("%s at delay 0, c=1, on one CPU like tcp_rtt: %s p50 within %sx of tcp_rtt"
                % (wl, model, fmt_sig(limit)) if rtt_short == "tcp_rtt" else
                "%s at delay 0, c=1, against the remote backend: %s p50 within %sx of %s"
                % (wl, model, fmt_sig(limit), rtt_short))
        st = floor_runs.get(model)
        if not rtt or not st:
            out.append((what, "no calibration" if not rtt else "no floor run in %s"
                        % FLOOR_RUNS_JSONL, DASH, NOT_MEASURED))
        elif st.get("status") != "ok" or not is_num(st.get("p50_us")):
            out.append((what, "floor run failed: %s" % (st.get("reason") or "no reason"),
                        DASH, MISS))
        else:
            ratio = st["p50_us"] / rtt
            cross = cal_value(cal, "tcp_rtt_cross_cpu_us") if rtt_short == "tcp_rtt" else None
            note = below_floor_note(ratio)
            if cross and cross > rtt and st["p50_us"] > math.sqrt(rtt * cross):
                note = ("; nearer tcp_rtt_cross_cpu_us (%s us): the client and the backend "
                        "ran on different CPUs" % fmt_sig(cross))
            out.append((what, "p50 %s us vs %s %s us (%s tasks)%s" % (
                fmt_sig(st["p50_us"]), rtt_short, fmt_sig(rtt), st.get("tasks", UNKNOWN), note),
                fmt_ratio(ratio), PASS if ratio <= limit else MISS))
    cores = cal_cores(cal, meta)
    for w in workloads(rows):
        info = workload_info(rows, meta, w)
        fl = workload_floor(rows, meta, cal, w)
        terms, _ = floor_terms(rows, meta, w)
        timer_wait = bool(terms and terms["timer_waits"] and info["delay_us"]
                          and not terms["round_trips"] and not terms["cpu_ns"]
                          and not (terms["work_is_cpu_hash"] and info["work"]))
        if timer_wait:
            what = ("%s: async throughput within %d%% of one loop's ceiling, min(c / L, "
                    "1 core / timer), at every concurrency" % (w, round(TARGET_TIMER_BAND * 100)))
            pts = rows_for(rows, workload=w, model="async", ok_only=True)
            if not fl or not pts:
                out.append((what, "no calibration" if not fl else "no async point",
                            DASH, NOT_MEASURED))
                continue
            ratios = [(r["concurrency"],
                       r["throughput"] / floor_throughput(fl, r["concurrency"], cores=1))
                      for r in sorted(pts, key=lambda r: r["concurrency"])]
            worst = max(ratios, key=lambda cr: abs(cr[1] - 1))
            every = rows_for(rows, workload=w, model="async")     # a failed point misses
            verdict = PASS if all(within(x, TARGET_TIMER_BAND) == PASS for _, x in ratios) \
                and len(every) == len(pts) else MISS
            out.append((what, ", ".join("c=%s %s" % (c, fmt_ratio(x)) for c, x in ratios),
                        "worst %s (c=%s)" % (fmt_ratio(worst[1]), worst[0]), verdict))
        elif info["kind"] == "cpu":
            what = "%s: threads at c = cores within %d%% of cores x its c=1 throughput" % (
                w, round(TARGET_LINEAR_BAND * 100))
            by_c = {r["concurrency"]: r for r in rows_for(rows, workload=w, model="threads",
                                                           ok_only=True)}
            if not cores or 1 not in by_c or cores not in by_c:
                out.append((what, "needs ok threads points at c=1 and c=%s" % (cores or "cores"),
                            DASH, NOT_MEASURED))
                continue
            ratio = by_c[cores]["throughput"] / (cores * by_c[1]["throughput"])
            out.append((what, "%s tasks/s at c=%d vs %d x %s at c=1" % (
                fmt_si(by_c[cores]["throughput"]), cores, cores, fmt_si(by_c[1]["throughput"])),
                fmt_ratio(ratio), within(ratio, TARGET_LINEAR_BAND)))
    hist = cal_value(cal, "hist_record_ns")
    what = "hist_record() under %s ns" % fmt_sig(TARGET_HIST_NS)
    if hist is None:
        out.append((what, "no calibration", DASH, NOT_MEASURED))
    else:
        out.append((what, "%s ns" % fmt_sig(hist), fmt_ratio(hist / TARGET_HIST_NS) +
                    " of the limit", PASS if hist < TARGET_HIST_NS else MISS))
    return out


def calibration_lines(rows, meta, cal, problem, floor_runs):
    """The "Calibration" section: the figures, then the targets."""
    out = ["## Calibration: the machine's floor", ""]
    if cal:
        info = meta_get(meta, "calibration", default={})
        out += ["`bin/calibrate%s` measured these on this machine before the first point "
                "(each the median of several repetitions; %s).  The dashed lines on the "
                "plots and the distance-from-floor tables below are computed from them: a "
                "model at 1.1x its floor has little left to gain; at 5x it has overhead to "
                "find." % (" --quick" if info.get("quick") else "", CALIBRATION_CSV), "",
                "| figure | value | unit | what |", "|---|---:|---|---|"]
        for name, f in cal.items():
            v = f["value"]
            out.append("| %s | %s | %s | %s |" % (
                md_cell(name), int(v) if v == int(v) and abs(v) < 1e6 else fmt_sig(v),
                md_cell(f["unit"]), md_cell(f["what"])))
        out.append("")
    else:
        failed = meta_get(meta, "calibration", "status") == "failed"
        if failed:
            out += ["**Calibration is missing:** bin/calibrate failed in this run (%s), so "
                    "the plots have no floor lines and there are no distance-from-floor "
                    "tables." % meta_get(meta, "calibration", "reason", default=UNKNOWN), ""]
        else:
            out += ["No calibration in this run (%s): the plots have no floor lines and there "
                    "are no distance-from-floor tables.  `make bench` runs `bin/calibrate` "
                    "before the first point." % problem, ""]
    out += ["**Targets**: how close the models come to the floor.", "",
            "| target | measured | ratio | result |", "|---|---|---|---|"]
    for what, measured, ratio, verdict in targets(rows, meta, cal, floor_runs):
        out.append("| %s | %s | %s | %s |" % (md_cell(what), md_cell(measured), md_cell(ratio),
                                             "**%s**" % verdict if verdict != NOT_MEASURED
                                             else verdict))
    out.append("")
    return out


def floor_table_lines(wl_rows, model_names, fl):
    """Per workload: each model's best throughput and its c=1 p50 against the floor."""
    lines = ["**Distance from floor** (%s): measured / floor, throughput at each "
             "model's best point, p50 latency at c=1." % fl["summary"], "",
             "| model | best throughput (c) | floor T(c) | throughput / floor | p50 at c=1 "
             "| latency floor | p50 / floor |", "|---|---:|---:|---:|---:|---:|---:|"]
    for m in model_names:
        ok = [r for r in wl_rows if r.get("model") == m and is_ok(r)
              and is_num(r.get("throughput"))]
        if not ok:
            lines.append("| %s | no ok point | | | | | |" % m)
            continue
        best = max(ok, key=lambda r: r["throughput"])
        t_floor = floor_throughput(fl, best["concurrency"])
        one = next((r for r in ok if r.get("concurrency") == 1 and is_num(r.get("p50_us"))),
                   None)
        l_floor = floor_latency_us(fl, 1)
        t_ratio = best["throughput"] / t_floor
        l_ratio = one["p50_us"] / l_floor if one else None
        lines.append("| %s | %s (c=%s) | %s | %s%s | %s | %s | %s%s |" % (
            m, fmt_si(best["throughput"]), best["concurrency"], fmt_si(t_floor),
            fmt_ratio(t_ratio), " (**above the floor: an error**)" if above(best, t_floor)
            else " (at the floor: within its interval)" if t_ratio > 1 else "",
            fmt_si(one["p50_us"]) + " us" if one else DASH, fmt_si(l_floor) + " us",
            fmt_ratio(l_ratio), " (below: floor too high?)" if below_floor_note(l_ratio) else ""))
    return lines
