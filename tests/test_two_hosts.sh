#!/bin/sh
# test_two_hosts.sh - the sweep against a backend on another host, on real
# network interfaces: two network namespaces (ip netns, Debian's iproute2)
# joined by a veth pair, bin/backend in one bound to its veth address, a
# QUICK sweep of the backend pairs (make bench BACKEND=ADDR:PORT) in the
# other.  Checks: every point ok with equal checksums across models and the
# same checksum as on loopback; the traffic crossed the veth (its byte
# counters cover at least every request and reply the sweep's runs sent);
# meta.json, calibration and the report record the remote topology and its
# round trip; every point has a .hgrm whose total and maximum match its
# counted runs, and each workload its latency-by-percentile figure
# (tests/check_hgrm.py); bad
# BACKEND values are refused before anything runs.  Everything it makes
# (namespaces, veth, backend, files) is removed on exit, on failure and on
# SIGINT/SIGTERM too (checked on a copy of itself told to die after set-up).
#
# Needs root (CAP_NET_ADMIN) for ip netns; without it the test says skip,
# unless TVSA_REQUIRE_NETNS=1 (CI sets it), where that is a failure.
# tvsa: long -- network namespaces (root)
. "$(dirname "$0")/lib.sh"

ID=$$                          # unique per run: parallel runs do not collide
NS_B=tvsa-be-$ID               # the backend's host
NS_C=tvsa-cl-$ID               # the client's host: the sweep
IF_B=tvb$ID                    # veth ends (15 characters at most)
IF_C=tvc$ID
NET=198.18.0                   # RFC 2544's benchmarking range, only inside the namespaces
ADDR_B=$NET.1
ADDR_C=$NET.2
PORT=7000                      # in the backend's own namespace: no other listener there
REQ_BYTES=56                   # a model's request (workloads/wire.h WIRE_CLIENT_REQ_LEN)
REP_BYTES=24                   # its reply
BPID=""

cleanup() {
	[ -n "$BPID" ] && kill "$BPID" 2>/dev/null
	for ns in "$NS_C" "$NS_B"; do
		# Anything still running in our own namespaces is ours (a sweep cut off).
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	ip link del "$IF_C" 2>/dev/null
	rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

skip() {
	if [ "${TVSA_REQUIRE_NETNS:-0}" = 1 ]; then
		not_ok "two hosts: network namespaces needed (TVSA_REQUIRE_NETNS=1): $1"
		finish
	fi
	ok "# skip two hosts: $1"
	exit 0
}
command -v ip >/dev/null 2>&1 || skip "no ip command (Debian: apt-get install iproute2)"
[ "$(id -u)" = 0 ] || skip "not root: ip netns needs CAP_NET_ADMIN"
ip netns add "$NS_B" 2>"$SCRATCH/ns.err" || skip "ip netns add: $(head -1 "$SCRATCH/ns.err")"

# ---- two hosts and a wire between them ----------------------------------------
if ! { ip netns add "$NS_C" &&
	ip link add "$IF_C" netns "$NS_C" type veth peer name "$IF_B" netns "$NS_B" &&
	ip -n "$NS_B" addr add "$ADDR_B/30" dev "$IF_B" &&
	ip -n "$NS_C" addr add "$ADDR_C/30" dev "$IF_C" &&
	ip -n "$NS_B" link set "$IF_B" up && ip -n "$NS_C" link set "$IF_C" up &&
	ip -n "$NS_B" link set lo up && ip -n "$NS_C" link set lo up; } 2>"$SCRATCH/ns.err"; then
	not_ok "two namespaces joined by a veth pair: $(head -1 "$SCRATCH/ns.err")"
	finish
fi
ok "two namespaces $NS_B ($ADDR_B) and $NS_C ($ADDR_C) joined by veth $IF_B-$IF_C"

ip netns exec "$NS_B" "$BIN/backend" --bind "$ADDR_B" --port $PORT --quiet \
	>"$SCRATCH/ready" 2>"$SCRATCH/backend.err" &
BPID=$!
for _ in $(seq 100); do
	grep -q ready "$SCRATCH/ready" 2>/dev/null && break
	sleep 0.1
done
check "bin/backend listens on $ADDR_B:$PORT in $NS_B ($(cat "$SCRATCH/ready" "$SCRATCH/backend.err"))" \
	grep -q "ready on $ADDR_B:$PORT" "$SCRATCH/ready"

if [ "${TVSA_TWO_HOSTS_DIE:-0}" = 1 ]; then # test hook: the clean-up check below
	echo "$NS_B $NS_C $BPID" >"$TVSA_TWO_HOSTS_SAY"
	kill -TERM $$
	sleep 5
fi

# in_c CMD...: run CMD on the client's host.
in_c() { ip netns exec "$NS_C" "$@"; }
# veth_bytes: "TX RX" bytes of the client's veth end.
veth_bytes() {
	ip -n "$NS_C" -s -j link show dev "$IF_C" | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]["stats64"]
print(s["tx"]["bytes"], s["rx"]["bytes"])'
}

# ---- bad BACKEND values: one line, exit 2, nothing written -------------------------
for bad in "$ADDR_B" "$ADDR_B:0" "$ADDR_B:$((PORT + 1))" "no-such-host.invalid:$PORT"; do
	usage_error "BACKEND=$bad" "ip netns exec '$NS_C' python3 '$ROOT/harness/sweep/bench.py' --quick --workloads io_backend --backend '$bad' --results '$SCRATCH/bad'"
done
check "a refused BACKEND wrote no results folder" [ ! -e "$SCRATCH/bad" ]

# ---- the same work on both paths: the checksum of a run over the veth ----------------
local_sum=$("$BIN/threads" io_backend -c 4 -n 1000 --json 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["checksum"])')
remote_sum=$(in_c "$BIN/async" io_backend -c 4 -n 1000 --backend "$ADDR_B:$PORT" --json 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["checksum"])')
check "io_backend over the veth (async) has loopback's checksum (threads): $remote_sum = $local_sum" \
	[ -n "$local_sum" ] && [ "$remote_sum" = "$local_sum" ]

# ---- the sweep on the client's host against the backend's ------------------------------
before=$(veth_bytes)
RES="$SCRATCH/res"
start=$(date +%s)
in_c make -C "$ROOT" --no-print-directory -s bench QUICK=1 BACKEND="$ADDR_B:$PORT" \
	WORKLOADS=io_backend,mixed MODELS=threads,async CONCURRENCY=1,32 RATE=0 ONECPU=0 SERVE=0 QUIET=1 \
	OUT="$RES" >"$SCRATCH/sweep.out" 2>"$SCRATCH/sweep.err"
rc=$?
after=$(veth_bytes)
check "make bench QUICK=1 BACKEND=$ADDR_B:$PORT in $NS_C exits 0 in $(($(date +%s) - start)) s ($(tail -1 "$SCRATCH/sweep.err"))" [ $rc = 0 ]
RUN="$RES/latest"

python3 - "$RUN" "$ADDR_B:$PORT" "$before" "$after" "$REQ_BYTES" "$REP_BYTES" \
	>"$SCRATCH/checks.out" 2>&1 <<'PY'
import csv, glob, json, os, sys
run, backend, before, after, req_b, rep_b = sys.argv[1:7]
req_b, rep_b = int(req_b), int(rep_b)
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
rows = list(csv.DictReader(open(os.path.join(run, "results.csv"))))
meta = json.load(open(os.path.join(run, "meta.json")))
say(len(rows) == 2 * 2 * 2 and all(r["status"] == "ok" for r in rows),
    "8 points (io_backend, mixed x threads, async x c=1,32), all ok: %s" % [
        (r["workload"], r["model"], r["concurrency"], r["status"], r["reason"]) for r in rows])
by = {}
for r in rows:
    by.setdefault((r["workload"], r["concurrency"], r["tasks"]), set()).add(r["run_checksum"])
    by.setdefault((r["workload"], r["concurrency"], r["verify_tasks"]), set()).add(r["verify_checksum"])
say(all(len(s) == 1 and "mismatch" not in s for s in by.values()),
    "checksums equal across models wherever task counts are equal (%d groups)" % len(by))

# Every model run of the sweep went to the remote backend.
runs = [c for c in meta["commands"] if "/bin/threads " in c or "/bin/async " in c]
say(runs and all("--backend %s" % backend in c for c in runs),
    "every model command names --backend %s (%d commands)" % (backend, len(runs)))
topo = meta.get("topology") or {}
say(topo.get("backend") == "remote" and topo.get("address") == backend
    and (topo.get("rtt_us") or 0) > 0 and "backend_rtt_us" in (topo.get("rtt_source") or ""),
    "meta.json topology: remote, %s, round trip %s us (%s)" % (
        topo.get("address"), topo.get("rtt_us"), topo.get("rtt_source")))
cal = {r["name"]: float(r["value"]) for r in csv.DictReader(open(os.path.join(run, "calibration.csv")))}
say(cal.get("backend_rtt_us", 0) > 0 and cal.get("backend_rpc_cpu_us", 0) > 0,
    "calibration measured the round trip to it: %s us, %s us of CPU here" % (
        cal.get("backend_rtt_us"), cal.get("backend_rpc_cpu_us")))
floor = [json.loads(l) for l in open(os.path.join(run, "floor_runs.jsonl"))]
say(all(f["status"] == "ok" for f in floor) and meta["floor_runs"].get("backend") == backend,
    "floor runs against it: %s" % [(f["model"], f["status"], f.get("p50_us")) for f in floor])
report = open(os.path.join(run, "report.md")).read()
say("remote backend" in report and backend in report, "report.md states the remote backend")

# The traffic crossed the veth: at least every request and reply of the
# sweep's counted, warm-up and pilot runs.
stats = [json.loads(l) for f in glob.glob(os.path.join(run, "stats", "*.jsonl")) for l in open(f)]
tasks = sum(int(s["tasks"]) for s in stats) + sum(int(r["verify_tasks"] or 0) for r in rows)
(tx0, rx0), (tx1, rx1) = (map(int, x.split()) for x in (before, after))
say(tx1 - tx0 >= tasks * req_b and rx1 - rx0 >= tasks * rep_b,
    "the veth carried the runs' traffic: sent %d bytes >= %d tasks x %d, received %d >= x %d"
    % (tx1 - tx0, tasks, req_b, rx1 - rx0, rep_b))

PY
python3 "$ROOT/tests/check_hgrm.py" "$RUN" >>"$SCRATCH/checks.out" 2>&1
cat "$SCRATCH/checks.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/checks.out")))
[ -s "$SCRATCH/checks.out" ] || not_ok "the sweep's results could be checked"

# ---- clean-up on a signal: a copy of this test told to die after set-up ---------------
if [ "${TVSA_TWO_HOSTS_DIE:-0}" != 1 ]; then
	say_file="$SCRATCH/child"
	TVSA_TWO_HOSTS_DIE=1 TVSA_TWO_HOSTS_SAY="$say_file" sh "$0" >"$SCRATCH/child.out" 2>&1
	rc=$?
	read -r c_nsb c_nsc c_bpid <"$say_file" 2>/dev/null
	left=$(ip netns list | grep -c -e "^${c_nsb:-none}\b" -e "^${c_nsc:-none}\b")
	check "a run killed by SIGTERM after set-up (exit $rc) leaves no namespace ($left) and no backend" \
		sh -c "[ $rc = 143 ] && [ -n '$c_bpid' ] && [ '$left' = 0 ] && ! kill -0 '$c_bpid' 2>/dev/null"
fi

cleanup
check "clean-up removed both namespaces" sh -c "! ip netns list | grep -q -e '^$NS_B\b' -e '^$NS_C\b'"
finish
