#!/bin/sh
# test_serve_guard.sh - the runner's guards as a server (--serve) sees them:
#  - the run's time limit (default 300 s) covers a server's set-up only: a
#    server runs until it is told to stop (the alarm is cancelled before it
#    listens; strace shows it), and --timeout-s, when asked, ends it with a
#    server's failed stats line ("mode":"serve"), not a fan-out run's.
. "$(dirname "$0")/lib.sh"

LIMIT_S=20 # no case here takes more than a few seconds

# serve_start NAME ENV... -- ARGS...: start a server in the background with
# env ENV and ARGS after --serve 0; $SPID and $SPORT set, "" if it did not listen.
serve_start() {
	name=$1
	shift
	envs=""
	while [ "$1" != "--" ]; do
		envs="$envs $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	env $envs timeout -k 5 $LIMIT_S "$@" --serve 0 --stats-out "$SCRATCH/$name.json" \
		>"$SCRATCH/$name.out" 2>"$SCRATCH/$name.err" &
	SPID=$!
	SPORT=""
	for _ in $(seq 100); do
		SPORT=$(sed -n 's/^listening [0-9.]*:\([0-9]*\)$/\1/p' "$SCRATCH/$name.err")
		[ -n "$SPORT" ] && break
		sleep 0.1
	done
}

# stats_is FILE PY: the last line of FILE, as o, makes the Python expression PY true.
stats_is() {
	python3 -c 'import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
o = json.loads(lines[-1]) if lines else {}
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null
}

# ---- the time limit: set-up only, unless asked ----
if command -v strace >/dev/null 2>&1 && strace -o /dev/null true 2>/dev/null; then
	strace -o "$SCRATCH/alarm.tr" -e trace=alarm,setitimer \
		"$BIN/threads" io_sleep --serve 0 --serve-requests 1 >/dev/null 2>"$SCRATCH/alarm.err" &
	APID=$!
	for _ in $(seq 100); do
		APORT=$(sed -n 's/^listening [0-9.]*:\([0-9]*\)$/\1/p' "$SCRATCH/alarm.err")
		[ -n "$APORT" ] && break
		sleep 0.1
	done
	"$BIN/load" --target "127.0.0.1:$APORT" --path /io_sleep --connections 1 --closed \
		--requests 1 --quiet >/dev/null 2>&1
	wait $APID
	# The last alarm before the exit's own must be alarm(0): none pending
	# while it serves.  (alarm(300) left pending killed a server at 300 s.)
	armed=$(grep -c '^alarm([1-9]' "$SCRATCH/alarm.tr")
	cancelled=$(grep -c '^alarm(0)' "$SCRATCH/alarm.tr")
	check "a server without --timeout-s: the set-up's time limit armed and then cancelled ($(tr '\n' ';' <"$SCRATCH/alarm.tr" | head -c 200))" \
		sh -c "[ $armed = 1 ] && [ $cancelled -ge 1 ] && [ \"\$(grep '^alarm' '$SCRATCH/alarm.tr' | sed -n 2p | cut -c1-8)\" = 'alarm(0)' ]"
else
	ok "# SKIP the alarm's trace: strace cannot trace here"
fi

serve_start limit -- "$BIN/green" io_sleep --timeout-s 2
wait $SPID
rc=$?
check "a server with --timeout-s 2: exit 3 after its limit (exit $rc)" [ $rc = 3 ]
check "... one line naming it a server: $(grep -v '^listening' "$SCRATCH/limit.err" | head -2 | tr '\n' '|')" \
	sh -c "[ \"\$(grep -vc '^listening' '$SCRATCH/limit.err')\" = 1 ] && grep -q 'io_sleep --serve: failed: run timed out after 2 s' '$SCRATCH/limit.err'"
check "... and a server's failed stats line (mode serve, status failed, timed out)" \
	stats_is "$SCRATCH/limit.json" \
	'o.get("mode") == "serve" and o["status"] == "failed" and "timed out" in o["reason"] and "tasks" not in o'

finish
