"""serve.py - the serve section of `make bench`: every model as an HTTP/1.1
server under load from outside (issue 31; shared/DESIGN.md, "Serve").

The main sweep fans tasks out from inside the model; the field's claims about
servers (Flash, Capriccio/Knot, Tyma, JEP 444, "a thread per network
client") were measured the other way: clients connect, most of them idle,
and requests come on the clients' schedule.  This section asks that: each
model serves each HANDLERS pair (`bin/MODEL WORKLOAD --serve 0`, the pair's
own task per request) and bin/load drives it.

A server is started per (workload, model, connections, active share) and
measured with several bin/load runs (serve_proc.py); each of its rows is
one load pattern:
  - connections 1 .. 10,000 (LEVELS), all active, closed loop: throughput
    and p99 against connections, and memory per connection from the
    server's peak (user RSS + kernel memory, its stats line) across levels:
    (mem(C) - mem(1)) / (C - 1), as the main sweep's rss_per_task_kib;
    100,000 where this machine's descriptor limit allows both processes,
    else a failed row saying so (at once: nothing is started);
  - 10,000 connections of which 1% send (C10K): closed loop, then the
    offered RATES open loop (latency from each request's due time), and
    whether the model fell behind (achieved below FELL_BEHIND of offered,
    or p99 past LATENCY_BOUND_US).
GRID_PAIRS get all of it; the other handlers the C10K server only (the
section's budget, docs/serve.md).  The models of one server shape run back
to back, their order rotated from one shape to the next (as the main sweep).

One bin/load process per server holds the connections through all its
runs (bin/load --phases): opening 10,000 connections (and, for threads,
10,000 threads on the server) costs seconds, paid once.  Its first phase
sends one request on every connection, idle ones too, so every connection
is accepted and set up by the server before anything is timed.

Checks on every server: the fold of every bin/load phase's checksum equals
the server's own (its stats line), and the first phase's answers, ids
0 .. C-1, fold to the fan-out checksum of the same ids (a `bin/threads -n C`
run per pair and C): the same work.  Output: RUN/serve/results.csv (one row per load
pattern), serve/stats/ (every bin/load and server stats line), serve/hist/
and serve/hgrm/ (each row's runs merged), meta.json "serve".
"""

import json
import os
import sys
import time

from . import common, eta, hgrm, interval, rundir, serve_proc as P, serve_wrk
from . import runner as R

DIR = "serve"
HANDLERS = ("io_sleep", "io_backend", "redis_get", "file_read")
GRID_PAIRS = ("io_sleep", "io_backend")   # the connection levels and the offered rates
LEVELS = (1, 1000, 10000, 100000)         # connections, all active
QUICK_LEVELS = (1,)
C10K = (10000, 0.01)                      # connections, active share: the C10K case
QUICK_C10K = (1000, 0.01)                 # ... in a QUICK sweep (CI: seconds)
RATES = (2000, 10000, 30000)              # offered requests/s on the C10K server
QUICK_RATES = (5000,)
# Inside a QUICK make bench (args.serve_lean) the section is lean: it keeps
# what decides the server view's memory claim on the C10K case, io_sleep's
# 1- and 1,000-connection servers (every model as a server, in every make
# bench, QUICK's included); SERVE=0 skips it.
# Inside a full make bench (args.serve_in_bench) the second grid pair,
# io_backend, is served at BENCH_LEVELS only: its C10K server (9,000 here,
# the descriptor limit) took 48 s of a 14.5-minute sweep and decides no
# verdict that io_sleep's does not; make bench-serve keeps it.
BENCH_LEVELS = (1, 1000)
# io_backend's C10K server (no 1-connection server beside it: no memory per
# connection; 8 s of a loaded QUICK), the one offered rate (one point of a
# curve) and wrk's check of bin/load (a check of the tool, 2.5 s) decide
# nothing there.  make bench-serve QUICK=1 keeps them: its test checks the
# machinery.
RUNS = 3                                  # closed-loop bin/load runs per row
QUICK_RUNS = 2                            # (an interval needs two)
BIG_ACTIVE = 10000                        # from this many active connections a closed run
BIG_RUNS = 2                              # is a ramp of every connection's first answer and
                                          # a window at least as long (~1.5 s at 10,000):
                                          # this many runs
RUN_S = 0.2                               # one closed window, s (at least one turnover of
                                          # every connection: bin/load LOAD_WINDOW_TURNS)
QUICK_RUN_S = 0.1
RATE_S = 0.3                              # an open-loop row: one window this long
QUICK_RATE_S = 0.2
FANOUT_C = 256                            # the fan-out run that checks a server's checksum
FELL_BEHIND = 0.95                        # achieved below this share of offered: behind
LATENCY_BOUND_US = 10000                  # or p99 past 10 ms: ten times the pairs' 1 ms wait
NOFILE_SPARE = 64                         # descriptors a process needs besides its sockets
FIT_STEP = 1000                           # a C10K server that does not fit runs at the most
                                          # that does, in these steps
PRIOR_S = {1: 1.5, 1000: 2.0, 10000: 4.0}  # ETA shape: seconds per server by connections

COLUMNS = [
    "workload", "model", "connections", "active", "mode", "offered", "status", "reason",
    "runs", "throughput", "throughput_min", "throughput_max", "throughput_lo", "throughput_hi",
    "p50_us", "p90_us", "p99_us", "p99_lo", "p99_hi", "p999_us", "max_us", "mean_us",
    "errors", "idle_closed", "unsent", "fell_behind", "load_cpu_s", "load_util", "load_bound",
    "srv_maxrss_kib", "srv_kmem_kib", "srv_mem_kib", "mem_source", "rss_per_conn_kib",
    "kmem_per_conn_kib", "mem_per_conn_kib", "connections_peak", "srv_threads",
    "srv_utime_s", "srv_stime_s", "srv_requests", "srv_checksum", "load_checksum",
    "checksum_ok", "verify_checksum", "fanout_checksum", "placement", "loadavg", "point_s",
]


def add_options(ap):
    """--no-serve and --load-host on the closed-loop sweep's parser (the
    section runs by default, QUICK's in its lean form: SERVE=1 is that)."""
    ap.add_argument("--no-serve", action="store_true",
                    help="skip the serve section (harness/sweep/serve.py)")
    ap.add_argument("--load-host", help="NETNS:ADDR: bin/load in that network namespace, "
                    "the servers bound to ADDR (default: both here)")


def skipped(args, pairs):
    """Why the section does not run, or None."""
    if getattr(args, "no_serve", False):
        return "--no-serve (SERVE=0)"
    if not [p for p in pairs if p["name"] in HANDLERS]:
        return "none of its handlers (%s) is in the run" % ", ".join(HANDLERS)
    return None


def nofile_limit():
    """The hard descriptor limit a child gets (neither side can raise it)."""
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return hard if hard != resource.RLIM_INFINITY else 1 << 30


def fds_per_connection(pair):
    """Descriptors a server holds per connection: the client's socket, and a
    backend or redis connection of its own where the pair has a peer (its
    handler gets what a fan-out slot gets)."""
    return 2 if pair["needs_backend"] or pair.get("peer", "none") != "none" else 1


def fits(pair, c, limit=None):
    """Whether c connections fit the hard descriptor limit, in the server
    and in bin/load."""
    return fds_per_connection(pair) * c + NOFILE_SPARE <= (limit or nofile_limit())


def most(pair, limit=None):
    """The most connections of pair this machine's descriptor limit allows,
    in whole FIT_STEPs."""
    n = ((limit or nofile_limit()) - NOFILE_SPARE) // fds_per_connection(pair)
    return max(FIT_STEP, n // FIT_STEP * FIT_STEP)


def shapes(args, pairs):
    """[(pair, connections, patterns)] of the section, one server each; a
    pattern is (mode, active, offered): closed all-active at every level of
    a GRID_PAIRS pair, and on its C10K server also closed at 1% and the
    offered RATES at 1% (inside a full make bench the second grid pair at
    BENCH_LEVELS only); the other handlers the C10K server at 1% only.  A
    level past the descriptor limit stays (its rows say so, at once), and a
    C10K server that does not fit is measured at the most that does too
    (io_backend, redis_get: two descriptors a connection)."""
    quick = args.quick
    lean = quick and getattr(args, "serve_lean", False)
    in_bench = getattr(args, "serve_in_bench", False)
    c10k, share = QUICK_C10K if quick else C10K
    out = []
    for p in pairs:
        if p["name"] not in HANDLERS:
            continue
        grid = p["name"] in GRID_PAIRS
        if quick and not grid or lean and p["name"] != GRID_PAIRS[0]:
            continue
        if grid and in_bench and not quick and p["name"] != GRID_PAIRS[0]:
            out += [(p, c, [("closed", c, 0)]) for c in BENCH_LEVELS]
            continue
        first = not quick or p["name"] == GRID_PAIRS[0]
        rates = () if lean else (QUICK_RATES if quick else RATES) if grid and first else ()
        levels = set((QUICK_LEVELS if quick else LEVELS) if grid and first else ())
        tops = {c10k} if fits(p, c10k) else {c10k, most(p)}
        for c in sorted(levels | tops):
            few = max(1, int(c * share))
            pats = [("closed", c, 0)] if c in levels or (c in tops and c != c10k and
                                                          grid and first) else []
            pats += [("closed", few, 0)] + [("open", few, x) for x in rates] if c in tops \
                else []
            out.append((p, c, pats))
    return out


def plan(args, pairs):
    """[(pair, model, connections, patterns)] in the order they run."""
    out = []
    for k, (p, c, pats) in enumerate(shapes(args, pairs)):
        ms = args.models
        out += [(p, ms[(k + j) % len(ms)], c, pats) for j in range(len(ms))]
    return out


def steps(args, pairs):
    """The section's ETA steps, one per server."""
    scale = eta.QUICK_SCALE if args.quick else 1.0
    return [eta.step("serve", p["name"], m["name"], c,
                     PRIOR_S.get(c, PRIOR_S[10000] * c / 10000) * scale)
            for p, m, c, _ in plan(args, pairs)] + [
        eta.step("serve", serve_wrk.WORKLOAD, "wrk-" + m["name"], 0, serve_wrk.seconds(args))
        for m in serve_wrk.plan(args, pairs)]


def fanout_checksum(runner, meta, pair, n, backend=None):
    """The fan-out checksum of ids 0..n-1 (bin/threads; against BACKEND=
    where the servers use it), or None."""
    argv = [os.path.join(common.bin_dir(), "threads"), pair.get("run_as", pair["name"]),
            "-c", str(min(n, FANOUT_C)), "-n", str(n), "--json"] + (pair.get("argv") or [])
    argv += ["--backend", backend] if backend and pair.get("needs_backend") else []
    rc, stats, _ = R.run_json(runner, meta, argv)
    return stats.get("checksum") if rc == 0 and stats else None


def fold(sums):
    """The wrapping sum of hex checksums, as the server folds its answers."""
    return "%016x" % (sum(int(s, 16) for s in sums) & ((1 << 64) - 1))


def row_of(pair, model, c, a, mode, offered, place):
    return {"workload": pair["name"], "model": model["name"], "connections": c, "active": a,
            "mode": mode, "offered": offered, "status": "ok", "reason": "",
            "placement": place["mode"], "loadavg": P.load_average()}


def merge_runs(row, runs, mode, offered):
    """A row's figures from its bin/load stats lines (medians; intervals)."""
    thr = [s["throughput"] for s in runs]
    p99 = [s["p99_us"] for s in runs]
    med = common.median
    row.update(runs=len(runs), throughput=med(thr), throughput_min=min(thr),
               throughput_max=max(thr), p50_us=med([s["p50_us"] for s in runs]),
               p90_us=med([s["p90_us"] for s in runs]), p99_us=med(p99),
               p999_us=med([s["p999_us"] for s in runs]), max_us=max(s["max_us"] for s in runs),
               mean_us=med([s["mean_us"] for s in runs]),
               errors=sum(s["errors"] for s in runs),
               idle_closed=sum(s["idle_closed"] for s in runs),
               unsent=sum(s["unsent"] for s in runs),
               load_cpu_s=sum(s["load_cpu_s"] for s in runs),
               load_util=max(s["load_util"] for s in runs),
               load_bound=int(any(s["load_bound"] for s in runs)),
               load_checksum=fold(s["checksum"] for s in runs))
    iv = interval.point(thr) if all(x > 0 for x in thr) else None
    row["throughput_lo"], row["throughput_hi"] = iv if iv else (None, None)
    iv = interval.point(p99) if all(x > 0 for x in p99) else None
    row["p99_lo"], row["p99_hi"] = iv if iv else (None, None)
    if mode == "open":
        row["fell_behind"] = int(row["throughput"] < FELL_BEHIND * offered
                                 or row["p99_us"] > LATENCY_BOUND_US)


def server_fields(srv):
    """The server's figures every row of it carries."""
    rss, kmem = srv.get("maxrss_kib"), srv.get("kmem_kib")
    return {"srv_maxrss_kib": rss, "srv_kmem_kib": kmem,
            "srv_mem_kib": rss + kmem if rss is not None and kmem is not None else None,
            "mem_source": srv.get("mem_source"), "connections_peak": srv.get("connections_peak"),
            "srv_threads": srv.get("threads"), "srv_utime_s": srv.get("utime_s"),
            "srv_stime_s": srv.get("stime_s"), "srv_requests": srv.get("requests"),
            "srv_checksum": srv.get("checksum")}


def measure_server(args, runner, meta, out_dir, pair, model, c, pats, place, fanout):
    """One server: started, one bin/load run of phases against it, stopped.
    The phases: each=1 (every connection, idle ones too, sends one request:
    the server has accepted and set up all of them before anything is
    timed, and the answers to ids 0..c-1 fold to the fan-out checksum of the
    same ids), then serve_runs closed-loop windows per closed pattern, one
    open-loop window per offered rate (pats: shapes()'s).  fanout(n): the
    fan-out checksum of ids 0..n-1.  Returns its rows, one per pattern."""
    tag = "%s-%s-c%d" % (pair["name"], model["name"], c)
    rows = [row_of(pair, model, c, a, mode, off, place) for mode, a, off in pats]
    limit = nofile_limit()
    if not fits(pair, c, limit):
        k = fds_per_connection(pair)
        for r in rows:
            r.update(status="failed", reason="not run: %d connections need %d descriptors "
                     "(%s), the hard RLIMIT_NOFILE is %d here and cannot be raised" % (
                         c, k * c + NOFILE_SPARE, "a client socket and a peer connection "
                         "each, in the server" if k > 1 else "in bin/load and the server",
                         limit))
        return rows
    stats_dir = os.path.join(out_dir, "stats")
    srv = P.Server(model, pair, c, place, os.path.join(stats_dir, tag + ".server.jsonl"),
                   slack=getattr(args, "timer_slack_ns", None),
                   backend=getattr(args, "backend", None))
    run_s = QUICK_RUN_S if args.quick else RUN_S
    rate_s = QUICK_RATE_S if args.quick else RATE_S
    phases, which = ["each=1"], [None]      # which: the row of each phase
    for r in rows:
        n = 1 if r["mode"] != "closed" else args.serve_runs if r["active"] < BIG_ACTIVE \
            else min(args.serve_runs, BIG_RUNS)
        phases += [("closed:%g@%d" % (run_s, r["active"]) if r["mode"] == "closed" else
                    "rate=%d:%g@%d" % (r["offered"], rate_s, r["active"]))] * n
        which += [r] * n
    hist = hgrm.hist_file(out_dir, tag)
    lines, why = [], srv.start(meta)
    try:
        if why is None:
            lines, why = P.run_load(runner, meta, P.load_argv(
                place, srv.port, "/" + pair.get("run_as", pair["name"]), c, c, phases,
                hist_file=hist), P.phases_s(phases))
    finally:
        stats, stop_why = srv.stop() if srv.proc else (None, None)
    why = why or stop_why
    if why is None and lines and stats and (lines[0]["errors"] or
                                            (stats.get("connections_peak") or 0) < c):
        # the C10K question is whether it holds them all: short of that it failed
        why = "the server held %s of %d connections at once; %d of their first requests " \
              "failed (%d resets, %d timeouts)" % (
                  stats.get("connections_peak"), c, lines[0]["errors"], lines[0]["resets"],
                  lines[0]["timeouts"])
    if why and stats and stats.get("accept_errors"):
        why += "; the server: %s accept errors (descriptors or memory short)" % (
            stats["accept_errors"])
    if why and stats and stats.get("errors") and stats.get("first_error"):
        # bin/load counts the 500s; the server knows why the first one failed
        why += "; the server's first failed request (of %s): %s" % (
            stats["errors"], stats["first_error"])
    if why is None and len(lines) != len(phases):
        why = "bin/load wrote %d stats lines for %d phases" % (len(lines), len(phases))
    verify = lines[0]["checksum"] if lines else None
    runs = {id(r): [d for d, w in zip(lines, which) if w is r] for r in rows}
    for r in rows:
        if why is not None:
            r.update(status="failed", reason=why)
            continue
        merge_runs(r, runs[id(r)], r["mode"], r["offered"])
        r.update(server_fields(stats))
        r["verify_checksum"], r["fanout_checksum"] = verify, fanout(c)
        hgrm.write_point(out_dir, "%s-a%d-%s" % (tag, r["active"], "closed" if r["mode"] ==
                                                 "closed" else "r%d" % r["offered"]),
                         runs[id(r)], hist)
        r["checksum_ok"] = int(stats.get("checksum") == fold(d["checksum"] for d in lines)
                               and verify == r["fanout_checksum"])
    with open(os.path.join(stats_dir, tag + ".load.jsonl"), "w") as f:
        for d, r in zip(lines, which):   # each run's line, tagged with its row (intervals)
            tagged = dict(d, serve_workload=pair["name"], serve_model=model["name"],
                          serve_mode=r["mode"] if r else "each",
                          serve_offered=r["offered"] if r else 0)
            f.write(json.dumps(tagged) + "\n")
    return rows


def per_connection(rows):
    """Fill memory per connection: (X(C) - X(1)) / (C - 1) against the same
    workload and model's 1-connection server, for user, kernel and both."""
    base = {(r["workload"], r["model"]): r for r in rows
            if r["connections"] == 1 and r["status"] == "ok" and r["mode"] == "closed"}
    for r in rows:
        b = base.get((r["workload"], r["model"]))
        if r["status"] != "ok" or not b or r["connections"] <= 1:
            continue
        n = r["connections"] - 1
        for col, src in (("rss_per_conn_kib", "srv_maxrss_kib"),
                         ("kmem_per_conn_kib", "srv_kmem_kib"),
                         ("mem_per_conn_kib", "srv_mem_kib")):
            if r.get(src) is not None and b.get(src) is not None:
                r[col] = (r[src] - b[src]) / n


def write_csv(path, rows):
    """All rows so far, memory per connection filled in, atomically."""
    per_connection(rows)
    common.write_csv(path, COLUMNS, rows)


def progress(args, i, total, start, rows, left_s):
    """The progress line of one server: its closed rows' figures."""
    r = rows[0]
    if r["status"] == "ok":
        what = "; ".join("%d active: %s req/s, p99 %s us" % (
            x["active"], common.human(x["throughput"]), common.human(x["p99_us"]))
            for x in rows if x["mode"] == "closed")
    else:
        what = common.colour("FAILED: %s" % r["reason"], "31")
    common.say("serve [%2d/%d] %-10s %-8s conn=%-6d %s  %s" % (
        i, total, r["workload"], r["model"], r["connections"], what,
        eta.tail(time.monotonic() - start, left_s)), args.quiet)


def run(args, runner, pairs, run_dir, meta, save, clock=None):
    """The section into run_dir/serve/, recorded in meta["serve"].  Returns
    130 after an interrupt (the results before it stay whole), else None."""
    why = skipped(args, pairs)
    if why:
        meta["serve"] = {"status": "skipped", "reason": why, "file": None}
        return None
    out_dir = os.path.join(run_dir, DIR)
    os.makedirs(os.path.join(out_dir, "stats"), exist_ok=True)
    place = P.placement(args.pin, getattr(args, "load_host_parsed", None))
    args.serve_runs = QUICK_RUNS if args.quick else RUNS
    points = plan(args, pairs)
    meta["serve"] = {
        "status": "running", "file": DIR + "/results.csv", "placement": place["text"],
        "placement_mode": place["mode"], "runs": args.serve_runs,
        "run_s": QUICK_RUN_S if args.quick else RUN_S,
        "rate_s": QUICK_RATE_S if args.quick else RATE_S,
        "rates": [] if getattr(args, "serve_lean", False) and args.quick else
                 list(QUICK_RATES if args.quick else RATES),
        "c10k": list(QUICK_C10K if args.quick else C10K),
        "levels": list(QUICK_LEVELS if args.quick else LEVELS),
        "fell_behind_share": FELL_BEHIND, "latency_bound_us": LATENCY_BOUND_US,
        "verify": "each=1: every connection's first request, ids 0..C-1, against the "
                  "fan-out checksum of the same ids", "nofile_hard": nofile_limit(),
        "servers": len(points)}
    save()
    common.say("bench: serve section: %d servers (%s), %s, in %s" % (
        len(points), ", ".join(sorted({p["name"] for p, *_ in points})), place["text"],
        common.rel(out_dir)), args.quiet)
    if clock is None:
        clock = eta.Eta(steps(args, pairs), args.quick)
    sums = {}

    def fanout(n, pair):
        if (pair["name"], n) not in sums:
            sums[(pair["name"], n)] = fanout_checksum(runner, meta, pair, n,
                                                      getattr(args, "backend", None))
        return sums[(pair["name"], n)]
    rows, start = [], time.monotonic()
    csv_path = os.path.join(out_dir, "results.csv")
    try:
        for i, (pair, model, c, pats) in enumerate(points, 1):
            t0 = time.monotonic()
            got = measure_server(args, runner, meta, out_dir, pair, model, c, pats, place,
                                 lambda n, p=pair: fanout(n, p))
            spent = time.monotonic() - t0
            for r in got:
                r["point_s"] = round(spent, 3)
            rows += got
            clock.record(("serve", pair["name"], model["name"], c), spent)
            write_csv(csv_path, rows)
            save()
            progress(args, i, len(points), start, got, clock.remaining())
        for r in serve_wrk.compare(args, runner, meta, out_dir, pairs, place, clock):
            if r["tool"] == "wrk":
                common.say("serve: wrk vs bin/load, %s c=%d: wrk %s req/s" % (
                    r["model"], r["connections"], common.human(r["throughput"])), args.quiet)
        save()
    except common.Interrupted:
        rundir.remove_tmp(out_dir)
        meta["serve"]["status"] = "interrupted"
        save()
        alone = getattr(args, "alone", False)   # make bench-serve: no section before it
        print("%s: interrupted in the serve section (%d of %d servers in %s)%s; results/%s "
              "unchanged" % ("bench-serve" if alone else "bench", len(rows), len(points),
                             common.rel(out_dir), "" if alone else "; results before it complete",
                             "latest-serve" if alone else "latest"), file=sys.stderr)
        return 130
    meta["serve"].update(status="ok", elapsed_s=round(time.monotonic() - start, 1),
                         failed=sum(1 for r in rows if r["status"] != "ok"),
                         results_csv=rundir.results_seal(csv_path))
    save()
    return None
