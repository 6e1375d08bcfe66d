#!/bin/sh
# test_fleet.sh - make fleet and make matrix on a real Slurm cluster started here.
#
# The cluster (Debian's slurm-wlm and munge, scripts/deps.sh fleet): munged
# with a key, socket, pid and log of its own, slurmctld, and two slurmd
# emulating two nodes (slurmd -N n1, -N n2: NodeHostname=localhost, a port
# each), every state, spool, log and pid file under this test's scratch
# folder, free ports, a cluster name of its own; partitions alpha (n1, n2),
# beta (n2) and gamma (n1), each a "machine type".  Then:
# - make fleet WAIT=0 PARTITIONS=gamma (every model: a longer sweep), and
#   make fleet PARTITIONS=alpha:2,beta QUICK=1 narrowed to io_sleep and
#   io_backend: alpha a two-node job whose backend pairs talk to bin/backend
#   on n2; gamma is cancelled (scancel) once its sweep is under way;
# - make fleet: one line per job with its state and its sweep's ETA, both its
#   jobs complete; make fleet-status: gamma CANCELLED, said why, exit 3;
# - make matrix DIR=: machines alpha and beta, gamma missing with why, each
#   claim a verdict per machine equal to that run's own report's, the key
#   ratios, the fingerprints, the merged histograms, the figures; a replica of
#   alpha (RUNS=) merges its histograms by adding counts;
# - a node down: n2 set DOWN under a running job (NODE_FAIL, said why) and
#   under a queued one (pending, said why); the matrix of that fleet has no
#   machine and says why each is missing;
# - every daemon stopped, the munge key, state and spool folders gone, the
#   jobs' build folders removed: checked before and after, and after a copy
#   of this test killed by SIGTERM once its cluster is up.
# Assertions are on data (matrix.json, meta.json, the records), not layout.
#
# Needs root and slurm-wlm + munge (installed here when root); without them
# the test says skip in one line, unless TVSA_REQUIRE_SLURM=1 (CI), where that
# is a failure.
. "$(dirname "$0")/lib.sh"

ID=$$
C="$SCRATCH/tvsa-fleet-$ID"         # the cluster: config, munge, state, spool, logs
TAG="TVSA_FLEET_TAG=$ID"            # in the environment of every process it starts
RES="$SCRATCH/res"                  # the fleet's results folder (make fleet OUT=)
READY_S=40                          # the nodes idle within this, or the cluster failed
FLEET_LIMIT_S=240                   # make fleet's own time limit here
PY=python3
export TVSA_FLEET_TAG=$ID
export TVSA_FLEET_POLL_S=0.5        # the tracker looks every half second, not every 10 s

stop_cluster() {
	if [ -f "$C/slurm.conf" ]; then
		SLURM_CONF="$C/slurm.conf" scancel --quiet --user=root 2>/dev/null
	fi
	for f in "$C"/slurmd-n1.pid "$C"/slurmd-n2.pid "$C"/slurmctld.pid "$C"/munge/pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	i=0
	while [ -n "$(tagged "$TAG")" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	# slurmstepd and job processes outlive a killed slurmd: ours carry the tag.
	for p in $(tagged "$TAG"); do kill -KILL "$p" 2>/dev/null; done
}
cleanup() {
	stop_cluster
	[ -f "$SCRATCH/tags" ] && while read -r t; do rm -rf "$ROOT/build/fleet-$t"; done <"$SCRATCH/tags"
	rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

skip() {
	if [ "${TVSA_REQUIRE_SLURM:-0}" = 1 ]; then
		not_ok "fleet: a Slurm cluster needed (TVSA_REQUIRE_SLURM=1): $1"
		finish
	fi
	ok "skip: fleet: $1"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "not root: slurmd and munged run as root here"
sh "$ROOT/scripts/deps.sh" fleet >"$SCRATCH/deps.out" 2>&1 ||
	skip "slurm-wlm and munge cannot be installed: $(tail -n 1 "$SCRATCH/deps.out")"
start=$(date +%s)

# ---- before: nothing of an earlier run of this test left ------------------------
# A process tagged by a run whose shell is gone, or a cluster folder of one.
leftovers() {
	$PY - "${TMPDIR:-/tmp}" <<'PY'
import glob, os, sys
left = []
for d in os.listdir("/proc"):
    try:
        env = open("/proc/%s/environ" % d, "rb").read().split(b"\0")
    except OSError:
        continue
    for e in env:
        if e.startswith(b"TVSA_FLEET_TAG="):
            owner = e.split(b"=", 1)[1].decode()
            if owner.isdigit() and not os.path.exists("/proc/%s" % owner):
                left.append("pid %s (of test %s)" % (d, owner))
for p in glob.glob(os.path.join(sys.argv[1], "tvsa-test.*", "tvsa-fleet-*")):
    owner = p.rsplit("-", 1)[1]
    if not os.path.exists("/proc/%s" % owner):
        left.append(p)
print("; ".join(left))
PY
}
left=$(leftovers)
check "before: no daemon, process or cluster folder of an earlier run of this test${left:+: $left}" [ -z "$left" ]

# ---- the cluster -----------------------------------------------------------------
mkdir -p "$C/munge" "$C/state" "$C/spool" "$C/log" && chmod 700 "$C" "$C/munge"
dd if=/dev/urandom of="$C/munge/key" bs=1024 count=1 2>/dev/null && chmod 400 "$C/munge/key"
# shellcheck disable=SC2046 # three port numbers, split into $1 $2 $3
set -- $($PY -c '
import socket
s = [socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
CTLD_PORT=$1 N1_PORT=$2 N2_PORT=$3
NCPU=$(nproc)
cat >"$C/slurm.conf" <<EOF
# A cluster of this test alone ($C): every file under it.
ClusterName=tvsa$ID
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$C/munge/sock
CredType=cred/munge
StateSaveLocation=$C/state
SlurmdSpoolDir=$C/spool/%n
SlurmctldPidFile=$C/slurmctld.pid
SlurmdPidFile=$C/slurmd-%n.pid
SlurmctldLogFile=$C/log/slurmctld.log
SlurmdLogFile=$C/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/linear
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=1
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=600
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
NodeName=n1 NodeHostname=localhost NodeAddr=127.0.0.1 Port=$N1_PORT CPUs=$NCPU State=UNKNOWN
NodeName=n2 NodeHostname=localhost NodeAddr=127.0.0.1 Port=$N2_PORT CPUs=$NCPU State=UNKNOWN
PartitionName=alpha Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP
PartitionName=beta Nodes=n2 MaxTime=INFINITE State=UP
PartitionName=gamma Nodes=n1 MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$C/slurm.conf"
munged --force --key-file="$C/munge/key" --socket="$C/munge/sock" --pid-file="$C/munge/pid" \
	--log-file="$C/munge/log" --seed-file="$C/munge/seed" 2>"$SCRATCH/munged.err" ||
	skip "munged does not start: $(head -n 1 "$SCRATCH/munged.err")"
slurmctld -f "$SLURM_CONF" 2>"$SCRATCH/ctld.err" ||
	skip "slurmctld does not start: $(head -n 1 "$SCRATCH/ctld.err")"
for n in n1 n2; do
	slurmd -f "$SLURM_CONF" -N $n 2>"$SCRATCH/slurmd.err" ||
		skip "slurmd -N $n does not start: $(head -n 1 "$SCRATCH/slurmd.err")"
done
i=0
until [ "$(sinfo -h -N -o '%N %t' 2>/dev/null | sort -u | grep -c ' idle$')" = 2 ]; do
	i=$((i + 1))
	[ $i -gt $((READY_S * 10)) ] && skip "the two nodes are not idle after $READY_S s: $(sinfo -h -N 2>&1 | tr '\n' ' ') $(tail -n 2 "$C"/log/*.log | tr '\n' ' ')"
	sleep 0.1
done
ok "a Slurm cluster of its own: munged, slurmctld on $CTLD_PORT, slurmd n1 on $N1_PORT and n2 on $N2_PORT idle ($(($(date +%s) - start)) s)"
# shellcheck disable=SC2016 # expanded on each node
srun -N2 -p alpha sh -c 'echo $SLURMD_NODENAME' >"$SCRATCH/srun.out" 2>&1
check "srun -N2 lands on both nodes ($(sort "$SCRATCH/srun.out" | tr '\n' ' '))" \
	[ "$(sort "$SCRATCH/srun.out" | tr '\n' ' ')" = "n1 n2 " ]

if [ "${TVSA_FLEET_DIE:-0}" = 1 ]; then # test hook: the clean-up check at the end
	echo "$C" >"${TVSA_FLEET_SAY:?set by the parent test}"
	kill -TERM $$
	sleep 5
fi

# ---- bad input: one line, exit 2, nothing submitted ---------------------------------
mkf() { make -C "$ROOT" --no-print-directory -s "$@"; }
# underway OUT JOB: wait until the job's sweep has printed a progress line.
underway() {
	i=0
	until grep -q '^\[ *[0-9]*/[0-9]*\] .* left)$' "$1/fleet/$2.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $((FLEET_LIMIT_S * 10)) ] && return 1
		sleep 0.1
	done
}
# submitted FILE: the job id make fleet's output FILE says it submitted.
submitted() { sed -n 's/^fleet: submitted job \([0-9]*\): .*/\1/p' "$1"; }
FLEET="$PY $ROOT/harness/fleet/fleet.py submit"
usage_error "fleet without OUT" "$FLEET --partitions alpha"
usage_error "fleet without machines" "$FLEET --out '$SCRATCH/bad'"
usage_error "fleet --partitions alpha:3" "$FLEET --partitions alpha:3 --out '$SCRATCH/bad'"
usage_error "fleet --partitions alpha,alpha" "$FLEET --partitions alpha,alpha --out '$SCRATCH/bad'"
usage_error "fleet --models nosuch" "$FLEET --partitions alpha --models nosuch --out '$SCRATCH/bad'"
usage_error "fleet --backend" "$FLEET --partitions alpha --backend 1.2.3.4:5 --out '$SCRATCH/bad'"
usage_error "fleet --serve 2" "$FLEET --partitions alpha --serve 2 --out '$SCRATCH/bad'"
usage_error "fleet on a partition Slurm does not have" "$FLEET --partitions nosuch --out '$SCRATCH/bad'"
mkf fleet PARTITIONS=alpha >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
check "make fleet without OUT: fails, says what to give (exit $rc)" \
	sh -c "[ $rc != 0 ] && grep -q 'OUT: name the fleet' '$SCRATCH/err' && [ ! -s '$SCRATCH/out' ]"
check "no job was submitted by the refused commands" [ -z "$(squeue -h -o %i)" ]

# ---- the fleet ------------------------------------------------------------------------
# SERVE=0: the serve section tests nothing here (the other sweeps' tests skip
# it too), and it must reach the jobs (meta.json's serve says skipped).
NARROW="QUICK=1 WORKLOADS=io_sleep,io_backend SERVE=0" # a word list: make's variables
# gamma: every model (a longer sweep), cancelled once under way.
# shellcheck disable=SC2086 # NARROW is a word list
mkf fleet WAIT=0 PARTITIONS=gamma $NARROW OUT="$RES" >"$SCRATCH/gamma.out" 2>&1
G=$(submitted "$SCRATCH/gamma.out")
check "make fleet WAIT=0 PARTITIONS=gamma submits one job and returns ($G)" [ -n "$G" ]
f_start=$(date +%s)
# shellcheck disable=SC2086 # NARROW is a word list
timeout -k 5 $FLEET_LIMIT_S make -C "$ROOT" --no-print-directory -s fleet PARTITIONS=alpha:2,beta \
	$NARROW MODELS=threads,async OUT="$RES" >"$SCRATCH/fleet.out" 2>"$SCRATCH/fleet.err" &
FPID=$!
underway "$RES" "$G"
scancel "$G"
check "gamma's job $G cancelled mid-run: its output has a progress line ($(grep -c 'left)$' "$RES/fleet/$G.out" 2>/dev/null) so far)" \
	grep -q 'left)$' "$RES/fleet/$G.out"
wait $FPID
rc=$?
check "make fleet PARTITIONS=alpha:2,beta QUICK=1 (2 pairs, 2 models) exits 0 in $(($(date +%s) - f_start)) s ($(tail -n 1 "$SCRATCH/fleet.err"))" [ $rc = 0 ]
sed -n 's/.*"build_tag": "\([^"]*\)".*/\1/p' "$RES"/fleet/*.json >"$SCRATCH/tags"
mkf fleet-status DIR="$RES" >"$SCRATCH/status.out" 2>&1
rc=$?
check "make fleet-status DIR=: fails (exit $rc), one job missing ($(grep -c '^fleet: missing' "$SCRATCH/status.out"))" \
	sh -c "[ $rc != 0 ] && [ \$(grep -c '^fleet: missing' '$SCRATCH/status.out') = 1 ]"
$PY "$ROOT/harness/fleet/fleet.py" status "$RES" >/dev/null 2>&1
check "fleet.py status: exit 3 (a job ended without a complete run)" [ $? = 3 ]
mkf matrix DIR="$RES" >"$SCRATCH/matrix.out" 2>"$SCRATCH/matrix.err"
rc=$?
check "make matrix DIR=: exit 0 ($(tail -n 1 "$SCRATCH/matrix.err"))" [ $rc = 0 ]
# A replica of alpha: its run again, under another folder (RUNS=).
cp -r "$RES/alpha/latest/." "$SCRATCH/alpha-copy"
mkf matrix RUNS="$RES/alpha/latest,$SCRATCH/alpha-copy,$RES/beta/latest" OUT="$SCRATCH/mx2" \
	>/dev/null 2>"$SCRATCH/mx2.err"
check "make matrix RUNS= with a replica: exit 0 ($(tail -n 1 "$SCRATCH/mx2.err"))" [ $? = 0 ]

ROOT="$ROOT" $PY - "$RES" "$G" "$SCRATCH" >"$SCRATCH/checks.out" 2>&1 <<'PY'
import json, os, re, sys
sys.path.insert(0, os.environ["ROOT"])
from scripts.report import build, claims, contested, load, rate
res, gamma, scratch = sys.argv[1:4]
def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
recs = {r["label"]: r for r in (json.load(open(os.path.join(res, "fleet", f)))
                                for f in os.listdir(os.path.join(res, "fleet")) if f.endswith(".json"))}
err = open(os.path.join(scratch, "fleet.err")).read().splitlines()
status = open(os.path.join(scratch, "status.out")).read()

# make fleet's progress: one line per job with its state, and the sweep's ETA.
for lab in ("alpha", "beta"):
    job = recs[lab]["job_id"]
    mine = [l for l in err if l.startswith("fleet: job %s %s " % (job, lab))]
    eta = [l for l in mine if re.search(r"RUNNING on \S+: point \d+/\d+, ~\S+ left$", l)]
    say(eta and any("COMPLETED: run" in l for l in mine),
        "make fleet: %s (job %s): %d lines, %d with the sweep's ETA, then COMPLETED: %s" % (
            lab, job, len(mine), len(eta), (eta or ["none"])[-1][-60:]))
    r = recs[lab]
    say(r["final"] and r["complete"] and r["state"] == "COMPLETED" and r["run"],
        "%s's record: final, COMPLETED, run %s complete" % (lab, r["run"]))
g = recs["gamma"]
say(g["job_id"] == gamma and g["final"] and not g["complete"] and g["state"] == "CANCELLED",
    "gamma's record: job %s %s, final, not complete" % (g["job_id"], g["state"]))
say(re.search(r"^fleet: missing gamma .*cancelled.*at point \d+ of \d+.*incomplete", status, re.M),
    "make fleet-status says gamma is missing: cancelled at a point, its run incomplete")

# The runs: alpha's backend pairs against bin/backend on its second node (n2).
metas = {lab: json.load(open(os.path.join(res, lab, "latest", "meta.json")))
         for lab in ("alpha", "beta")}
a, b = metas["alpha"], metas["beta"]
topo = a["topology"]
out_a = open(os.path.join(res, "fleet", recs["alpha"]["job_id"] + ".out")).read()
m = re.search(r"bin/backend on (\S+) \((\S+)\)", out_a)
say(m and m.group(1) == "n2" and topo["backend"] == "remote" and topo["address"] == m.group(2)
    and topo["pairs"] == ["io_backend"] and (topo["rtt_us"] or 0) > 0,
    "alpha: io_backend against bin/backend on n2 at %s (round trip %s us); io_sleep here" % (
        topo["address"], topo["rtt_us"]))
runs = [c for c in a["commands"] if " io_backend " in c and ("/threads " in c or "/async " in c)]
say(runs and all("--backend %s" % topo["address"] in c for c in runs),
    "alpha: every io_backend model run names --backend %s (%d)" % (topo["address"], len(runs)))
say(b["topology"]["backend"] == "local", "beta: one node, the backend local")
say(all((m.get("serve") or {}).get("status") == "skipped" and
        "SERVE=0" in (m.get("serve") or {}).get("reason", "") for m in (a, b)),
    "SERVE=0 reached both jobs' make bench: the serve section skipped (%s, %s)" % (
        (a.get("serve") or {}).get("status"), (b.get("serve") or {}).get("status")))
for lab, meta in metas.items():
    h = meta["host"]
    say(meta["complete"] and meta["fleet"]["label"] == lab and meta["fleet"]["job_id"] ==
        recs[lab]["job_id"] and h["slurm"]["partition"] == lab and h["cpu_model"] and
        h["kernel"] and isinstance(h["mitigations"], dict) and h["cgroup"] and
        h["load"]["start"] and h["load"]["end"] and h["cpu_flags"] and h["cores"],
        "%s: meta.json complete, fleet label and job, the fingerprint (CPU %s, %s cores, "
        "kernel, %d mitigations, cgroup %s, load %s..%s)" % (
            lab, h["cpu_model"], h["cores"], len(h["mitigations"] or {}), h["cgroup"],
            h["load"]["start"][0], h["load"]["end"][0]))
gdirs = [d for d in os.listdir(os.path.join(res, "gamma")) if d != "latest"]
gmeta = [json.load(open(os.path.join(res, "gamma", d, "meta.json"))) for d in gdirs]
say(len(gmeta) == 1 and gmeta[0]["complete"] is False and
    not os.path.exists(os.path.join(res, "gamma", "latest")),
    "gamma: its run folder says complete=false and gamma/latest was never made")

# The matrix: two machines, gamma missing with why, the verdicts the runs' own.
mx = json.load(open(os.path.join(res, "matrix", "matrix.json")))
labels = [m["label"] for m in mx["machines"]]
say(labels == ["alpha", "beta"], "matrix: machines %s" % labels)
miss = mx["missing"]
say(len(miss) == 1 and miss[0]["label"] == "gamma" and miss[0]["job_id"] == gamma
    and "cancelled" in miss[0]["why"] and "incomplete" in miss[0]["why"],
    "matrix: gamma missing: %s" % (miss[0]["why"][:150] if miss else None))
known = {"CONFIRMED", "REFUTED", "INCONCLUSIVE", "NOT SHOWN"}
for lab in labels:
    run_dir = os.path.join(res, lab, "latest")
    rows = build.load_rows(run_dir)
    cal, _ = load.load_calibration(run_dir)
    own = {v["key"]: v["verdict"] for v in
           claims.verdicts(rows, metas[lab], rate.load(run_dir)) +
           contested.verdicts(rows, metas[lab], build.load_extra(run_dir, cal))}
    cells = {c["key"]: c["cells"].get(lab) for c in mx["claims"]}
    say(set(cells) == set(own) and all(cells[k] and cells[k]["verdict"] == own[k] and
                                      cells[k]["verdict"] in known and cells[k]["sure"]
                                      for k in own),
        "matrix: %s's %d claims each a verdict with its deciding figure, as its own report "
        "judges them (%s)" % (lab, len(own), ", ".join(sorted(set(own.values())))))
    fp = mx["fingerprints"][lab]
    say(fp["runs"] == [os.path.basename(os.path.realpath(run_dir))] and
        "unknown" not in fp["summary"]["kernel"] and "listed" in fp["summary"]["mitigations"],
        "matrix: %s's fingerprint from run %s: %s, kernel %s" % (
            lab, fp["runs"], fp["summary"]["cpu"], fp["summary"]["kernel"]))
    merged = {(e["workload"], e["model"], e["c"]): e for e in mx["hgrm"][lab]["merged"]}
    ok_rows = [r for r in rows if r["status"] == "ok"]
    def total(path):
        t = [l for l in open(path) if "Total count" in l][0]
        return int(t.split("=")[-1].strip(" ]\n"))
    say(len(merged) == len(ok_rows) and all(
        merged[(r["workload"], r["model"], r["concurrency"])]["total"] ==
        total(os.path.join(run_dir, "hgrm", "%s-%s-c%d.hgrm" % (r["workload"], r["model"],
                                                               r["concurrency"])))
        for r in ok_rows),
        "matrix: %s's %d histograms, each with its run's total count" % (lab, len(merged)))
ratios = {(r["figure"], r["workload"]): r for r in mx["ratios"]}
tp = [ratios.get(("tp_ratio", w)) for w in ("io_sleep", "io_backend")]
say(all(t and set(t["values"]) == {"alpha", "beta"} and all(v[0] > 0 for v in t["values"].values())
        for t in tp),
    "matrix: async/threads throughput side by side: %s" % [
        (t["workload"], {k: round(v[0], 2) for k, v in t["values"].items()}) for t in tp if t])
cal = {c["name"]: c for c in mx["calibration"]}
say("backend_rtt_us" in cal and set(cal["backend_rtt_us"]["values"]) == {"alpha"} and
    set(cal["tcp_rtt_us"]["values"]) == {"alpha", "beta"},
    "matrix: calibration side by side, the remote round trip on alpha only")
figs = {f["workload"]: f for f in mx["figures"]}
say(set(figs) == {"io_sleep", "io_backend"} and all(
    os.path.getsize(os.path.join(res, "matrix", x)) > 0 for f in figs.values() for x in f["files"]),
    "matrix: a figure per workload, a panel per model (%s)" % sorted(
        x for f in figs.values() for x in f["files"]))

# Replicas: alpha twice -- its histograms' counts add, its percentiles stay.
mx2 = json.load(open(os.path.join(scratch, "mx2", "matrix.json")))
m2 = {m["label"]: m for m in mx2["machines"]}
one = {(e["workload"], e["model"], e["c"]): e for e in mx["hgrm"]["alpha"]["merged"]}
two = {(e["workload"], e["model"], e["c"]): e for e in mx2["hgrm"]["alpha"]["merged"]}
say(len(m2["alpha"]["runs"]) == 2 and len(m2["beta"]["runs"]) == 1 and set(one) == set(two)
    and all(two[k]["total"] == 2 * one[k]["total"] and two[k]["runs"] == 2 and
            two[k]["p99_us"] == one[k]["p99_us"] and two[k]["p50_us"] == one[k]["p50_us"]
            for k in one),
    "matrix RUNS=: alpha's two replicas merged: counts doubled, p50 and p99 unchanged (%d points)"
    % len(two))
PY
cat "$SCRATCH/checks.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/checks.out")))
grep -q '^ok - matrix RUNS=' "$SCRATCH/checks.out" || not_ok "the fleet's results could be checked"

# ---- a node down: mid-run (NODE_FAIL), and under a job still queued -----------------------
RES2="$SCRATCH/res2"
mkf fleet WAIT=0 PARTITIONS=beta QUICK=1 WORKLOADS=io_sleep OUT="$RES2" >"$SCRATCH/down1.out" 2>&1
D=$(submitted "$SCRATCH/down1.out")
underway "$RES2" "$D"
scontrol update NodeName=n2 State=DOWN Reason=tvsa-test-node-down
mkf fleet WAIT=0 PARTITIONS=beta QUICK=1 WORKLOADS=io_sleep OUT="$RES2" >"$SCRATCH/down2.out" 2>&1
P=$(submitted "$SCRATCH/down2.out")
i=0
while [ $i -lt 100 ]; do # until Slurm has said why P waits and D has ended
	$PY "$ROOT/harness/fleet/fleet.py" status --no-wait "$RES2" >"$SCRATCH/down.status" 2>&1
	grep -q "^fleet: job $P .*PENDING (.*: node n2 is down" "$SCRATCH/down.status" &&
		grep -q "^fleet: job $D .*NODE_FAIL, no complete run" "$SCRATCH/down.status" && break
	sleep 0.2
	i=$((i + 1))
done
check "node n2 down mid-run: job $D ends NODE_FAIL, said so: $(grep "^fleet: job $D " "$SCRATCH/down.status" | tail -n 1 | cut -c1-160)" \
	grep -q "^fleet: job $D .*NODE_FAIL, no complete run: job $D lost a node.*at point" "$SCRATCH/down.status"
check "a job queued on the down node says why it waits: $(grep "^fleet: job $P " "$SCRATCH/down.status" | tail -n 1 | cut -c1-160)" \
	grep -q "^fleet: job $P .*PENDING (.*: node n2 is down" "$SCRATCH/down.status"
scancel "$P"
$PY "$ROOT/harness/fleet/fleet.py" status "$RES2" >"$SCRATCH/down.final" 2>&1
rc=$?
check "fleet.py status: exit 3, both jobs missing ($(grep -c '^fleet: missing' "$SCRATCH/down.final"))" \
	sh -c "[ $rc = 3 ] && [ \$(grep -c '^fleet: missing' '$SCRATCH/down.final') = 2 ]"
mkf matrix DIR="$RES2" >/dev/null 2>"$SCRATCH/down.matrix"
rc=$?
$PY - "$RES2/matrix/matrix.json" "$D" "$P" >"$SCRATCH/down.checks" 2>&1 <<'PY'
import json, sys
mx, d, p = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
why = {m["job_id"]: m["why"] for m in mx["missing"]}
ok = (not mx["machines"] and "a node of the job failed" in why.get(d, "") and
      "incomplete" in why.get(d, "") and "cancelled" in why.get(p, "") and
      "no run folder" in why.get(p, ""))
print(("ok - " if ok else "not ok - ") + "matrix of the node-down fleet: no machine, both "
      "missing with why: %s" % why)
PY
cat "$SCRATCH/down.checks"
FAILS=$((FAILS + $(grep -c '^not ok' "$SCRATCH/down.checks")))
check "make matrix with every machine missing: fails (exit $rc) and says so" \
	sh -c "[ $rc != 0 ] && grep -q 'missing beta' '$SCRATCH/down.matrix'"
sed -n 's/.*"build_tag": "\([^"]*\)".*/\1/p' "$RES2"/fleet/*.json >>"$SCRATCH/tags"

# TVSA_FLEET_KEEP=DIR: the fleets' results (records, outputs, runs, matrices)
# copied there, to read after the test.
if [ -n "${TVSA_FLEET_KEEP:-}" ]; then
	mkdir -p "$TVSA_FLEET_KEEP" && cp -r "$RES" "$RES2" "$SCRATCH"/*.out "$SCRATCH"/*.err \
		"$SCRATCH/down.status" "$TVSA_FLEET_KEEP/"
fi

# ---- after: every daemon stopped, nothing of the cluster left ----------------------------
stop_cluster
left=$(tagged "$TAG") # (not piped: a process beside the scan would carry the tag too)
check "after: no daemon or job process of the cluster left ($(echo "${left:-none}" | tr '\n' ' '))" \
	[ -z "$left" ]
builds=""
while read -r t; do [ -e "$ROOT/build/fleet-$t" ] && builds="$builds $t"; done <"$SCRATCH/tags"
check "after: no build folder of the jobs left (${builds:-none})" [ -z "$builds" ]
rm -rf "$C"
check "after: the munge key, state and spool folders are gone" [ ! -e "$C" ]

# ---- clean-up on a signal: a copy of this test told to die once its cluster is up ---------
if [ "${TVSA_FLEET_DIE:-0}" != 1 ]; then
	TVSA_FLEET_DIE=1 TVSA_FLEET_SAY="$SCRATCH/child" sh "$0" >"$SCRATCH/child.out" 2>&1
	rc=$?
	c_dir=$(cat "$SCRATCH/child" 2>/dev/null)
	c_id=${c_dir##*-}
	c_left=$(tagged "TVSA_FLEET_TAG=$c_id")
	check "a run killed by SIGTERM with its cluster up (exit $rc) leaves no daemon ($(echo "${c_left:-none}" | tr '\n' ' ')) and no cluster folder" \
		sh -c "[ $rc = 143 ] && [ -n '$c_dir' ] && [ -z '$c_left' ] && [ ! -e '$c_dir' ]"
	left=$(leftovers)
	check "after: no daemon, process or cluster folder of any run of this test${left:+: $left}" [ -z "$left" ]
fi
echo "# test_fleet.sh: $(($(date +%s) - start)) s"
finish
