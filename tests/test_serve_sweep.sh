#!/bin/sh
# test_serve_sweep.sh - the serve section (harness/sweep/serve.py) in its
# QUICK form, as make bench-serve runs it: every row ok for the models given,
# each server's checksum equal to bin/load's fold and to the fan-out checksum
# of the same ids, the servers holding every connection, memory per
# connection where the 1-connection server ran, an .hgrm per row that
# merges exactly its runs, wrk's comparison, the figures and serve.md; PIN=split
# recorded and applied (taskset); bad LOAD_HOST refused; then the same sweep
# with bin/load in another network namespace (LOAD_HOST=NETNS:ADDR, the
# set-up of test_two_hosts.sh: a veth pair to a namespace of its own), its
# traffic seen on the veth.  The servers stay in this namespace: `ip netns
# exec` mounts a /sys of its own, without the cgroup file system, and a server
# there could not measure its kernel memory.
# Without ip netns (not root) that part says skip, unless TVSA_REQUIRE_NETNS=1
# (CI), where it is a failure.  About 30 s on 2 cores.
# tvsa: long -- the serve sweep, and bin/load in a network namespace, ~20 s
. "$(dirname "$0")/lib.sh"

ID=$$
NS_L=tvsa-ld-$ID               # the load generator's host; the servers' is this one
IF_S=tss$ID
IF_L=tsl$ID
NET=198.18.1
ADDR_S=$NET.1
ADDR_L=$NET.2
REQ_MIN_BYTES=40               # a request is longer: "GET /io_sleep?id=N HTTP/1.1..."
RESP_MIN_BYTES=60              # a response too: status line, 2 headers, 17 bytes of body
MADE_NS=0

cleanup() {
	if [ $MADE_NS = 1 ]; then
		for p in $(ip netns pids "$NS_L" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$NS_L" 2>/dev/null
		ip link del "$IF_S" 2>/dev/null
	fi
	rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

SWEEP="$ROOT/harness/sweep/bench_serve.py"

# check_run DIR MODELS WHAT: the checks every serve run must pass.
check_run() {
	python3 - "$1" "$2" "$3" <<'PY'
import csv, glob, json, os, sys
run, models, what = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
def say(ok, text):
    print(("ok - " if ok else "not ok - ") + what + ": " + text)
sd = os.path.join(run, "serve")
rows = list(csv.DictReader(open(os.path.join(sd, "results.csv"))))
meta = json.load(open(os.path.join(run, "meta.json")))
say(rows and all(r["status"] == "ok" for r in rows) and {r["model"] for r in rows} == set(models),
    "%d rows, all ok, models %s: %s" % (len(rows), sorted({r["model"] for r in rows}), [
        (r["workload"], r["model"], r["connections"], r["reason"]) for r in rows
        if r["status"] != "ok"]))
say(all(r["checksum_ok"] == "1" and r["verify_checksum"] == r["fanout_checksum"] for r in rows),
    "every server's checksum = the fold of bin/load's runs, and ids 0..C-1 = the fan-out's")
say(all(int(r["connections_peak"]) >= int(r["connections"]) for r in rows),
    "every server held all its connections at once (connections_peak)")
thr = [float(r["throughput"]) for r in rows]
say(all(t > 0 for t in thr) and all(float(r["p99_us"]) >= float(r["p50_us"]) > 0 for r in rows),
    "throughput > 0 and p99 >= p50 > 0 on every row")
mem = [r for r in rows if r["workload"] == "io_sleep" and int(r["connections"]) > 1]
say(mem and all(r["mem_per_conn_kib"] not in ("", None) and float(r["mem_per_conn_kib"]) > 0
                for r in mem),
    "memory per connection on io_sleep's 1,000-connection server: %s" % [
        (r["model"], r["mem_per_conn_kib"]) for r in mem])
say(all(r["loadavg"] and r["placement"] == meta["serve"]["placement_mode"] for r in rows),
    "each row records the load average and the placement (%s)" % meta["serve"]["placement_mode"])
opened = [r for r in rows if r["mode"] == "open"]
say(opened and all(r["fell_behind"] in ("0", "1") and float(r["offered"]) > 0 for r in opened),
    "open-loop rows say whether the model fell behind: %s" % [
        (r["model"], r["offered"], r["throughput"], r["fell_behind"]) for r in opened])
# Each row's .hgrm holds exactly its runs: its total = their answers in the window.
lines = [json.loads(l) for f in glob.glob(os.path.join(sd, "stats", "*.load.jsonl"))
         for l in open(f)]
bad = []
for r in rows:
    mine = [d for d in lines if (d["serve_workload"], d["serve_model"], d["connections"],
                                 d["active"], d["serve_mode"], d["serve_offered"]) ==
            (r["workload"], r["model"], int(r["connections"]), int(r["active"]), r["mode"],
             int(float(r["offered"])))]
    tag = "%s-%s-c%s-a%s-%s" % (r["workload"], r["model"], r["connections"], r["active"],
                                "closed" if r["mode"] == "closed" else "r%d" % int(float(r["offered"])))
    path = os.path.join(sd, "hgrm", tag + ".hgrm")
    foot = {}
    if os.path.exists(path):
        for l in open(path):
            if l.startswith("#["):
                for kv in l.strip("#[]\n").replace(" ", "").split(","):
                    k, v = kv.split("=")
                    foot[k] = v
    want = sum(d["requests_in_window"] for d in mine)
    if not mine or int(foot.get("Totalcount", -1)) != want or len(mine) != int(r["runs"]):
        bad.append((tag, foot.get("Totalcount"), want, len(mine)))
say(not bad, "an .hgrm per row, its total the answers in its runs' windows%s" % (
    "" if not bad else ": %s" % bad))
wrk = meta["serve"].get("wrk") or {}
say(wrk.get("status") == "ok" and all(s.get("status") == "ok" and s["wrk_throughput"] > 0
                                      for s in wrk.get("servers", {}).values()),
    "wrk drove the same server: %s" % wrk.get("servers"))
md = open(os.path.join(sd, "serve.md")).read()
say(os.path.getsize(os.path.join(sd, "serve-io_sleep.png")) > 0 and "serve-io_sleep.png" in md,
    "serve-io_sleep.png drawn and in serve.md")
PY
}

# ---- here: QUICK, three models -----------------------------------------------------
start=$(date +%s)
python3 "$SWEEP" --quick --models threads,async,green --quiet --results "$SCRATCH/a" \
	>"$SCRATCH/a.out" 2>"$SCRATCH/a.err"
rc=$?
check "make bench-serve QUICK=1 MODELS=threads,async,green exits 0 in $(($(date +%s) - start)) s ($(tail -1 "$SCRATCH/a.err"))" [ $rc = 0 ]
check_run "$SCRATCH/a/latest-serve" threads,async,green local

# ---- PIN=split: bin/load on its own CPU ---------------------------------------------
if [ "$(nproc)" -ge 2 ]; then
	python3 "$SWEEP" --quick --models threads --workloads io_sleep --pin split --quiet \
		--results "$SCRATCH/p" >"$SCRATCH/p.out" 2>"$SCRATCH/p.err"
	check "PIN=split: exit $?, placement split, bin/load and the servers under taskset" python3 -c "
import json, sys
m = json.load(open('$SCRATCH/p/latest-serve/meta.json'))
load = [c for c in m['commands'] if '/bin/load ' in c]
srv = [c for c in m['commands'] if '--serve 0' in c]
sys.exit(not (m['serve']['placement_mode'] == 'split' and load and srv
              and all(c.startswith('taskset -c ') for c in load + srv)))"
fi

# make bench hands the sweep SERVE=0 and LOAD_HOST (make -n: the command, not a run).
make -n -s -C "$ROOT" bench QUICK=1 SERVE=0 LOAD_HOST=ns:10.0.0.1 >"$SCRATCH/make.out" 2>&1
check "make bench SERVE=0 LOAD_HOST=ns:10.0.0.1 passes --no-serve and --load-host" \
	sh -c "grep -q -- '--no-serve' '$SCRATCH/make.out' && grep -q -- '--load-host' '$SCRATCH/make.out'"
make -n -s -C "$ROOT" bench QUICK=1 >"$SCRATCH/make.out" 2>&1
check "make bench without SERVE runs the section (no --no-serve)" \
	sh -c "! grep -q -- '--no-serve' '$SCRATCH/make.out'"

usage_error "LOAD_HOST=nonsense" "python3 '$SWEEP' --quick --load-host nonsense --results '$SCRATCH/bad'"
usage_error "LOAD_HOST in a namespace that is not there" "python3 '$SWEEP' --quick --load-host no-such-ns-$ID:127.0.0.1 --results '$SCRATCH/bad'"
check "a refused LOAD_HOST wrote no results folder" [ ! -e "$SCRATCH/bad" ]

# ---- two hosts: bin/load in another network namespace ---------------------------------
skip() {
	if [ "${TVSA_REQUIRE_NETNS:-0}" = 1 ]; then
		not_ok "serve over two hosts: network namespaces needed (TVSA_REQUIRE_NETNS=1): $1"
		finish
	fi
	ok "# skip serve over two hosts: $1"
	finish
}
command -v ip >/dev/null 2>&1 || skip "no ip command (Debian: apt-get install iproute2)"
[ "$(id -u)" = 0 ] || skip "not root: ip netns needs CAP_NET_ADMIN"
ip netns add "$NS_L" 2>"$SCRATCH/ns.err" || skip "ip netns add: $(head -1 "$SCRATCH/ns.err")"
MADE_NS=1
if ! { ip link add "$IF_L" netns "$NS_L" type veth peer name "$IF_S" &&
	ip addr add "$ADDR_S/30" dev "$IF_S" &&
	ip -n "$NS_L" addr add "$ADDR_L/30" dev "$IF_L" &&
	ip link set "$IF_S" up && ip -n "$NS_L" link set "$IF_L" up &&
	ip -n "$NS_L" link set lo up; } 2>"$SCRATCH/ns.err"; then
	not_ok "two namespaces joined by a veth pair: $(head -1 "$SCRATCH/ns.err")"
	finish
fi
veth_bytes() { # "TX RX" bytes of the load generator's veth end
	ip -n "$NS_L" -s -j link show dev "$IF_L" | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]["stats64"]
print(s["tx"]["bytes"], s["rx"]["bytes"])'
}
before=$(veth_bytes)
start=$(date +%s)
python3 "$SWEEP" --quick --models threads,async --workloads io_sleep \
	--load-host "$NS_L:$ADDR_S" --quiet --results "$SCRATCH/r" >"$SCRATCH/r.out" 2>"$SCRATCH/r.err"
rc=$?
after=$(veth_bytes)
check "bench-serve with LOAD_HOST=$NS_L:$ADDR_S exits 0 in $(($(date +%s) - start)) s ($(tail -1 "$SCRATCH/r.err"))" [ $rc = 0 ]
check_run "$SCRATCH/r/latest-serve" threads,async "two hosts"
python3 - "$SCRATCH/r/latest-serve" "$NS_L" "$ADDR_S" "$before" "$after" "$REQ_MIN_BYTES" \
	"$RESP_MIN_BYTES" <<'PY'
import glob, json, os, sys
run, ns, addr, before, after, req_b, resp_b = sys.argv[1:8]
def say(ok, text):
    print(("ok - " if ok else "not ok - ") + "two hosts: " + text)
m = json.load(open(os.path.join(run, "meta.json")))
load = [c for c in m["commands"] if "/bin/load " in c]
srv = [c for c in m["commands"] if "--serve 0" in c]
say(m["serve"]["placement_mode"] == "remote" and load
    and all(c.startswith("ip netns exec %s " % ns) and "--target %s:" % addr in c for c in load)
    and all("--bind %s" % addr in c for c in srv),
    "placement remote: every bin/load in %s aimed at %s, every server bound to it" % (ns, addr))
sent = sum(json.loads(l)["sent"] for f in glob.glob(os.path.join(run, "serve", "stats",
                                                                 "*.load.jsonl")) for l in open(f))
(tx0, rx0), (tx1, rx1) = (map(int, x.split()) for x in (before, after))
say(tx1 - tx0 >= sent * int(req_b) and rx1 - rx0 >= sent * int(resp_b),
    "the veth carried the requests: sent %d bytes >= %d requests x %s, received %d >= x %s" % (
        tx1 - tx0, sent, req_b, rx1 - rx0, resp_b))
PY
finish
