"""serve_wrk.py - the serve section's independent check: Debian's wrk and
bin/load, closed loop, on the same server and the same connections.

bin/load is ours; a bug in it (a request not counted, a clock read late)
would bias every serve figure alike and no comparison between models would
show it.  wrk (wg/wrk 4.1, one epoll loop per thread, keep-alive, its own
HTTP parser) drives the same server with the same connection count and one
thread, as bin/load does; their throughputs should agree within AGREE.
Runs alternate (load, wrk, load, wrk) so drift on a shared machine falls on
both.  What may differ, and is recorded: wrk's window includes its connects
(bin/load's does not); wrk asks for one path (id=1; io_sleep's cost does
not depend on the id) where bin/load sends every id once; and wrk writes a
connection's next request only on the event loop's next pass (its
response_complete arms AE_WRITABLE, and the request goes out from
socket_writeable, its latency clock starting there), where bin/load writes
it from the response's own handler.  On a busy loop that gap is outside
wrk's latency and inside its throughput: Little's law (throughput x mean
latency / connections, the "littles" column) shows it as a ratio below 1
for wrk, about 1 for bin/load.  wrk takes whole
seconds only (-d 1s is its least), so each run is RUN_S = 1 s.

Output: RUN/serve/wrk.csv (one row per run) and meta.json serve.wrk (the
median ratio per server and whether it is within AGREE).  Once per sweep,
on WORKLOAD with the first of MODELS that the run has (a thread per
connection and a loop; QUICK: the first only).
"""

import os
import re
import shutil
import time

from . import common, serve_proc as P
from . import runner as R

WORKLOAD = "io_sleep"
MODELS = ("threads", "async")  # a thread per connection, and one loop
CONNECTIONS = 100
RUN_S = 1                      # wrk's least duration (whole seconds)
ALTERNATIONS = 2               # load, wrk, load, wrk (QUICK: 1)
AGREE = 0.10                   # the two throughputs agree within this share
IDS_APART = 10 ** 7            # each bin/load run's ids start this far from the last's
COLUMNS = ["model", "connections", "tool", "run", "throughput", "mean_us", "p50_us", "p99_us",
           "littles", "errors", "loadavg"]
UNIT_US = {"us": 1.0, "ms": 1e3, "s": 1e6}


def wrk_latency_us(text, label):
    """A latency figure from wrk's output ("99%    4.12ms"), in us, or None."""
    m = re.search(r"^\s*%s\s+([0-9.]+)(us|ms|s)\s*$" % re.escape(label), text, re.M)
    return float(m.group(1)) * UNIT_US[m.group(2)] if m else None


def parse_wrk(text):
    """{throughput, p50_us, p99_us, errors} from wrk --latency's text, or None."""
    m = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M)
    if not m:
        return None
    errs = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    mean = re.search(r"^\s*Latency\s+([0-9.]+)(us|ms|s)\s", text, re.M)
    return {"throughput": float(m.group(1)), "p50_us": wrk_latency_us(text, "50%"),
            "mean_us": float(mean.group(1)) * UNIT_US[mean.group(2)] if mean else None,
            "p99_us": wrk_latency_us(text, "99%"),
            "errors": errs + (int(bad.group(1)) if bad else 0)}


def plan(args, pairs):
    """The models compared (registry entries), [] when the run lacks WORKLOAD."""
    if not any(p["name"] == WORKLOAD for p in pairs) or args.quick and getattr(
            args, "serve_lean", False):     # a QUICK make bench: see serve.py
        return []
    return [m for m in args.models if m["name"] in MODELS][:1 if args.quick else len(MODELS)]


def seconds(args):
    """What one server's comparison takes, for the ETA."""
    return 2 * RUN_S * (1 if args.quick else ALTERNATIONS) + 0.5


def compare(args, runner, meta, out_dir, pairs, place, clock=None):
    """The comparison, into out_dir/wrk.csv and meta["serve"]["wrk"]; clock:
    the sweep's ETA, told of each server's seconds."""
    pair = next((p for p in pairs if p["name"] == WORKLOAD), None)
    have = plan(args, pairs)
    if shutil.which("wrk") is None:
        meta["serve"]["wrk"] = {"status": "skipped", "reason": "wrk not on PATH "
                                "(apt-get install wrk; scripts/deps.sh does)"}
        return []
    if pair is None or not have:
        meta["serve"]["wrk"] = {"status": "skipped", "reason": "needs %s and one of %s in "
                                "the run" % (WORKLOAD, ", ".join(MODELS))}
        return []
    rows, summary = [], {}
    for model in have:
        t0 = time.monotonic()
        tag = "wrk-%s-%s-c%d" % (WORKLOAD, model["name"], CONNECTIONS)
        srv = P.Server(model, pair, CONNECTIONS, place,
                       os.path.join(out_dir, "stats", tag + ".server.jsonl"),
                       slack=getattr(args, "timer_slack_ns", None))
        why = srv.start(meta)
        got = {"load": [], "wrk": []}
        try:
            for k in range(1 if args.quick else ALTERNATIONS):
                if why:
                    break
                lines, why = P.run_load(runner, meta, P.load_argv(
                    place, srv.port, "/" + WORKLOAD, CONNECTIONS, CONNECTIONS,
                    ["closed:%d" % RUN_S], ids_from=k * IDS_APART), RUN_S)
                st = lines[0] if lines else None
                if st and not why:
                    got["load"].append(st)
                    rows.append({"model": model["name"], "connections": CONNECTIONS,
                                 "tool": "load", "run": k, "throughput": st["throughput"],
                                 "mean_us": st["mean_us"], "p50_us": st["p50_us"],
                                 "p99_us": st["p99_us"],
                                 "errors": st["errors"], "loadavg": P.load_average()})
                argv = place["load_prefix"] + [
                    "wrk", "-t1", "-c%d" % CONNECTIONS, "-d%ds" % RUN_S, "--latency",
                    "http://%s:%d/%s?id=1" % (place["target"], srv.port, WORKLOAD)]
                meta["commands"].append(R.quoted(argv))
                rc, out, err = runner.run(argv, RUN_S + P.LOAD_GRACE_S)
                w = parse_wrk(out) if rc == 0 else None
                if w is None:
                    why = why or "wrk: %s" % (common.last_line(err) or "exit %s" % rc)
                    break
                got["wrk"].append(w)
                rows.append(dict(w, model=model["name"], connections=CONNECTIONS, tool="wrk",
                                 run=k, loadavg=P.load_average()))
        finally:
            srv.stop()
            if clock is not None:
                clock.record(("serve", WORKLOAD, "wrk-" + model["name"], 0),
                             time.monotonic() - t0)
        if why or not got["load"] or not got["wrk"]:
            summary[model["name"]] = {"status": "failed", "reason": why or "no run"}
            continue
        lt = common.median([s["throughput"] for s in got["load"]])
        wt = common.median([s["throughput"] for s in got["wrk"]])
        summary[model["name"]] = {"status": "ok", "load_throughput": lt, "wrk_throughput": wt,
                                  "ratio": lt / wt if wt else None,
                                  "agree": bool(wt and abs(lt / wt - 1) <= AGREE)}
    for r in rows:   # Little's law: a tool whose loop delays the next request shows < 1
        if r.get("mean_us"):
            r["littles"] = r["throughput"] * r["mean_us"] / 1e6 / r["connections"]
    common.write_csv(os.path.join(out_dir, "wrk.csv"), COLUMNS, rows)
    meta["serve"]["wrk"] = {"status": "ok", "workload": WORKLOAD, "connections": CONNECTIONS,
                            "run_s": RUN_S, "agree_within": AGREE, "file": "serve/wrk.csv",
                            "servers": summary,
                            "differences": "wrk writes a connection's next request a loop pass "
                                           "after its response (outside its latency, inside "
                                           "its time); its window includes its connects; it "
                                           "asks id=1 every time, bin/load every id once"}
    return rows
