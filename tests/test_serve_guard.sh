#!/bin/sh
# test_serve_guard.sh - the runner's guards as a server (--serve) sees them:
#  - the run's time limit (default 300 s) covers a server's set-up only: a
#    server runs until it is told to stop (the alarm is cancelled before it
#    listens; strace shows it), and --timeout-s, when asked, ends it with a
#    server's failed stats line ("mode":"serve"), not a fan-out run's;
#  - the coroutine models' watchdog watches a server's loops as a run's: a
#    request whose code sleeps in a call the hooks do not know fails the
#    server naming the call, and a hooked call the hooks cannot wait on
#    fails it too, each with a server's failed line; idle connections held
#    past the watchdog's bound are not flagged.
# Test hook (not a user option): TVSA_UNHOOKED=recvfrom|poll2 makes a
# loop's first connection block in that call (impl_green/watchdog.c).
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
		SPORT=$(sed -n 's/^listening [0-9.]*:\([0-9]*\)$/\1/p' "$SCRATCH/$name.err" 2>/dev/null)
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
		APORT=$(sed -n 's/^listening [0-9.]*:\([0-9]*\)$/\1/p' "$SCRATCH/alarm.err" 2>/dev/null)
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

# ---- the watchdog on a server's loops ----
for m in green uring; do
	for call in recvfrom poll2; do
		serve_start "$m-$call" TVSA_UNHOOKED=$call -- "$BIN/$m" io_sleep
		if [ -z "$SPORT" ]; then
			not_ok "$m $call: the server did not listen: $(head -2 "$SCRATCH/$m-$call.err")"
			continue
		fi
		"$BIN/load" --target "127.0.0.1:$SPORT" --path /io_sleep --connections 1 --closed \
			--requests 1 --timeout-s 5 --quiet >/dev/null 2>&1
		wait $SPID
		rc=$?
		case $call in
		recvfrom) pat='io_sleep --serve: failed: a coroutine blocked its loop in recvfrom' ;;
		poll2) pat='io_sleep --serve: failed: a coroutine called poll on several descriptors' ;;
		esac
		check "$m: a request's coroutine in TVSA_UNHOOKED=$call fails the server, named (exit $rc: $(grep -v '^listening' "$SCRATCH/$m-$call.err" | head -2 | tr '\n' '|'))" \
			sh -c "[ $rc = 3 ] && grep -q '$pat' '$SCRATCH/$m-$call.err'"
		check "$m $call: ... with a server's failed stats line" stats_is "$SCRATCH/$m-$call.json" \
			'o.get("mode") == "serve" and o["status"] == "failed" and "coroutine" in o["reason"]'
	done
done

for m in green uring; do
	serve_start "$m-idle" -- "$BIN/$m" io_sleep --loops 2
	# 200 connections, 198 of them idle for the whole closed window (1 s:
	# five of the watchdog's bounds), parked in their recv.
	"$BIN/load" --target "127.0.0.1:$SPORT" --path /io_sleep --connections 200 --active 2 \
		--phases each=1,closed:1@2 --quiet >/dev/null 2>"$SCRATCH/$m-idle.load"
	lrc=$?
	kill -TERM $SPID 2>/dev/null
	wait $SPID
	rc=$?
	check "$m --loops 2: 198 idle connections past the watchdog's bound are not flagged (load exit $lrc, server exit $rc)" \
		sh -c "[ $lrc = 0 ] && [ $rc = 0 ] && grep -q '\"status\":\"ok\"' '$SCRATCH/$m-idle.json'"
done
finish
