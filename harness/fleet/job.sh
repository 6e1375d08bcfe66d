#!/bin/sh
# job.sh - one make fleet job on its node(s): build, a backend on the second node, the sweep.
#
#     job.sh ROOT OUT LABEL TAG [VAR=value ...]    (sbatch runs it: harness/fleet/submit.py)
#
# Runs on the first node of an exclusive allocation, in the project tree ROOT
# (on a file system every node shares, as OUT is):
# 1. builds the binaries for this machine into ROOT/build/fleet-TAG/ (a folder
#    of its own, TAG unique to the job: jobs on other machine types, or of
#    another cluster, build at once into the same tree);
# 2. with a second node: starts bin/backend there (srun on that node, bound to
#    the address Slurm knows it by, a free port), and waits for it to listen;
# 3. runs `make bench OUT=OUT/LABEL VAR=value ...` (with BACKEND=ADDR:PORT of
#    that backend on a two-node job): a complete run folder with its
#    fingerprint, meta.json "fleet" naming LABEL and this job
#    (TVSA_FLEET_LABEL);
# 4. on any exit (the sweep's end, a failure, scancel's SIGTERM): stops the
#    backend, removes the build folder, writes its exit status to
#    OUT/fleet/JOB.end.
# Exit: the sweep's status; 2 bad usage or not in a Slurm job; 3 the build or
# the backend failed.  Progress lines (the sweep's, with its ETA) go to the
# job's output, OUT/fleet/JOB.out, where make fleet reads them.
set -u

BACKEND_READY_S=30 # the backend's "ready" line: past this it did not start
say() { echo "fleet-job ${JOB:-?}: $*" >&2; }

if [ $# -lt 4 ]; then
	echo "job.sh: usage: job.sh ROOT OUT LABEL TAG [VAR=value ...]" >&2
	exit 2
fi
ROOT=$1
OUT=$2
LABEL=$3
TAG=$4
shift 4
JOB=${SLURM_JOB_ID:-}
if [ -z "$JOB" ]; then
	echo "job.sh: not in a Slurm job (no SLURM_JOB_ID); make fleet submits it" >&2
	exit 2
fi
# make fleet's own make must not reach the job's: its MAKEFLAGS carry every
# variable of the make fleet command line.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
BUILD="$ROOT/build/fleet-$TAG"
SRUN_PID=""

finish() {
	rc=$?
	if [ -n "$SRUN_PID" ]; then
		kill "$SRUN_PID" 2>/dev/null
		wait "$SRUN_PID" 2>/dev/null
	fi
	rm -rf "$BUILD"
	echo "$rc" >"$OUT/fleet/$JOB.end.tmp" && mv "$OUT/fleet/$JOB.end.tmp" "$OUT/fleet/$JOB.end"
	say "exit $rc"
}
trap finish EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

cd "$ROOT" || exit 2
say "$LABEL on $SLURM_JOB_NODELIST ($(hostname)); building into $BUILD"
mk() { make -C "$ROOT" --no-print-directory BUILD="$BUILD" BIN="$BUILD/bin" "$@"; }
mk -s deps || exit 3
mk -s -j"$(nproc 2>/dev/null || echo 2)" all || exit 3

second=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | sed -n 2p)
if [ -n "$second" ]; then
	addr=$(scontrol show node -o "$second" | tr ' ' '\n' | sed -n 's/^NodeAddr=//p')
	ip=$(getent ahostsv4 "${addr:-$second}" | awk 'NR == 1 { print $1 }')
	if [ -z "$ip" ]; then
		say "cannot resolve node $second's address (NodeAddr '${addr:-?}') to IPv4"
		exit 3
	fi
	srun --nodes=1 --ntasks=1 --nodelist="$second" "$BUILD/bin/backend" \
		--bind "$ip" --port 0 --quiet >"$BUILD/backend.out" 2>&1 &
	SRUN_PID=$!
	port=""
	tries=$((BACKEND_READY_S * 10))
	while [ $tries -gt 0 ] && [ -z "$port" ]; do
		port=$(sed -n 's/^backend: ready on [0-9.]*:\([0-9][0-9]*\)$/\1/p' "$BUILD/backend.out")
		kill -0 "$SRUN_PID" 2>/dev/null || break
		[ -z "$port" ] && sleep 0.1
		tries=$((tries - 1))
	done
	if [ -z "$port" ]; then
		say "bin/backend on $second did not start: $(tail -n 3 "$BUILD/backend.out" | tr '\n' ' ')"
		exit 3
	fi
	say "bin/backend on $second ($ip:$port): the backend pairs talk to it"
	set -- "$@" BACKEND="$ip:$port"
fi

say "make bench OUT=$OUT/$LABEL $*"
TVSA_BIN="$BUILD/bin" TVSA_FLEET_LABEL="$LABEL" NO_COLOR=1 \
	mk bench OUT="$OUT/$LABEL" "$@"
