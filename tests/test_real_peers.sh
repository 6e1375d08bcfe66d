#!/bin/sh
# test_real_peers.sh - the pairs with real peers and files: redis_get against
# the run's own redis-server (started and stopped by the run itself: no
# server left behind; 10,000 connections on one loop; a server that dies
# fails the run with a reason, on every model, the coroutine ones through
# hiredis's blocking API as hooked; one that hangs fails it after
# --io-timeout-s, SO_RCVTIMEO honoured by the hooks) and against one given
# with --redis;
# file_read's data file (made once and reused, cold and warm alike in
# checksum, the cold one dropped from the page cache, a short disk refused
# in one line).  Equal checksums across models are test_models.sh's.
# tvsa: long -- a real redis-server and a data file on disk, 10,000 connections, ~15 s
. "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null 2>&1 || { not_ok "redis-server not installed (make deps)"; finish; }
DATA="$SCRATCH/data"
FILE_ARGS="--data-dir $DATA --file-mib 8"

run() { # MODEL ARGS... -> JSON on stdout (stderr to $SCRATCH/err)
	m=$1
	shift
	"$BIN/$m" "$@" --json 2>"$SCRATCH/err"
}

# --- redis_get ----------------------------------------------------------------
# Its own server: up before the clock, gone after the run (TVSA_TAG marks
# the processes of this test: tagged() finds a server left behind).
export TVSA_TAG="real-peers-$$"
out=$(run async redis_get -c 10000 -n 10000)
check "redis_get async c=10000: 10,000 GETs on 10,000 connections of its own server ($(json_field "$out" done 2>/dev/null) done, $(head -c 200 "$SCRATCH/err"))" \
	[ "$(json_field "$out" done 2>/dev/null)" = 10000 -a "$(json_field "$out" errors 2>/dev/null)" = 0 ]
check "redis_get reports its value size ($(json_field "$out" value_bytes 2>/dev/null))" \
	[ "$(json_field "$out" value_bytes 2>/dev/null)" = 100 ]
check "redis_get: the peer's CPU is recorded (backend_cpu_s $(json_field "$out" backend_cpu_s 2>/dev/null))" \
	[ "$(json_field "$out" backend_cpu_s 2>/dev/null)" != None ]
left=$(tagged TVSA_TAG="$TVSA_TAG")
check "no redis-server left behind after the runs${left:+ (pids $left)}" [ -z "$left" ]

a=$(json_field "$(run threads redis_get -c 4 -n 400 --value-bytes 1000)" checksum)
b=$(json_field "$(run async redis_get -c 4 -n 400 --value-bytes 1000)" checksum)
c=$(json_field "$(run async redis_get -c 4 -n 400)" checksum)
check "--value-bytes 1000: equal checksums ($a $b), unlike 100 bytes' ($c)" \
	[ -n "$a" -a "$a" = "$b" -a "$a" != "$c" ]

# --redis HOST:PORT: a server of the test's own; killing it mid-run fails
# the run (exit 3) with one line naming the cause, on both models.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning \
	--maxclients 1000 >"$SCRATCH/redis.log" 2>&1 &
RPID=$!
for _ in $(seq 50); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null && break
	sleep 0.1
done
a=$(json_field "$(run threads redis_get -c 8 -n 800 --redis 127.0.0.1:$PORT)" checksum)
b=$(json_field "$(run async redis_get -c 8 -n 800 --redis 127.0.0.1:$PORT)" checksum)
g=$(json_field "$(run green redis_get -c 8 -n 800 --loops 2 --redis 127.0.0.1:$PORT)" checksum)
u=$(json_field "$(run uring redis_get -c 8 -n 800 --redis 127.0.0.1:$PORT)" checksum)
check "--redis 127.0.0.1:$PORT: threads, async, green --loops 2, uring: equal checksums ($a $b $g $u)" \
	[ -n "$a" -a "$a" = "$b" -a "$a" = "$g" -a "$a" = "$u" ]
# A server that stops answering (SIGSTOP): every GET waits out its bound,
# hiredis's SO_RCVTIMEO (--io-timeout-s 1), and the run fails saying so,
# on the coroutine models as on threads (the hooks keep the bound).
for m in threads green uring; do
	"$BIN/$m" redis_get -c 4 -n 100000000 --io-timeout-s 1 --redis "127.0.0.1:$PORT" \
		>/dev/null 2>"$SCRATCH/err" &
	pid=$!
	sleep 0.5
	kill -STOP "$RPID"
	wait "$pid"
	rc=$?
	kill -CONT "$RPID"
	check "$m: redis-server hung mid-run: exit 3 naming the bound ($(cat "$SCRATCH/err"))" \
		sh -c "[ $rc = 3 ] && grep -q 'no reply in 1 s' '$SCRATCH/err'"
done
for m in threads async green uring; do
	"$BIN/$m" redis_get -c 4 -n 100000000 --redis "127.0.0.1:$PORT" >/dev/null 2>"$SCRATCH/err" &
	pid=$!
	sleep 0.5
	kill -9 "$RPID" 2>/dev/null
	wait "$pid"
	rc=$?
	check "$m: redis-server killed mid-run: exit 3, one line ($(cat "$SCRATCH/err"))" \
		sh -c "[ $rc = 3 ] && [ \$(wc -l <'$SCRATCH/err') = 1 ] && grep -q 'redis' '$SCRATCH/err'"
	redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning \
		>"$SCRATCH/redis.log" 2>&1 &
	RPID=$!
	for _ in $(seq 50); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null && break
		sleep 0.1
	done
done
kill "$RPID" 2>/dev/null
wait "$RPID" 2>/dev/null

# --- file_read ----------------------------------------------------------------
# shellcheck disable=SC2086 # FILE_ARGS is a word list
out=$(run threads file_read -c 4 -n 400 $FILE_ARGS)
check "file_read makes its data file once ($(json_field "$out" file_made 2>/dev/null), $(head -c 200 "$SCRATCH/err"))" \
	[ "$(json_field "$out" file_made 2>/dev/null)" = 1 ]
check "... of 8 MiB, named by its size" test "$(stat -c %s "$DATA/tvsa-data-8m.bin")" = 8388608
check "... and no temporary file left" sh -c "! ls '$DATA' | grep -q tmp"
warm=$(json_field "$out" checksum)
# shellcheck disable=SC2086
out=$(run async file_read -c 4 -n 400 $FILE_ARGS --cache cold)
check "the next run reuses it (file_made $(json_field "$out" file_made 2>/dev/null))" \
	[ "$(json_field "$out" file_made 2>/dev/null)" = 0 ]
check "--cache cold: the file is dropped from the page cache before the clock ($(json_field "$out" file_cached_pct 2>/dev/null)% cached)" \
	python3 -c "import sys; sys.exit(0 if float('$(json_field "$out" file_cached_pct 2>/dev/null)') < 50 else 1)"
check "--cache cold says so, and which file system ($(json_field "$out" cache 2>/dev/null) on $(json_field "$out" file_fs 2>/dev/null))" \
	sh -c "[ '$(json_field "$out" cache 2>/dev/null)' = cold ] && [ -n '$(json_field "$out" file_fs 2>/dev/null)' ]"
check "cold and warm read the same bytes (checksums $warm $(json_field "$out" checksum))" \
	[ "$warm" = "$(json_field "$out" checksum)" ]
# shellcheck disable=SC2086
out=$(run async file_read -c 4 -n 400 $FILE_ARGS --workers 2)
check "hybrid file_read: the reads on the pool, same checksum" [ "$warm" = "$(json_field "$out" checksum)" ]
# A file cut short is remade, not read.
truncate -s 4096 "$DATA/tvsa-data-8m.bin"
# shellcheck disable=SC2086
out=$(run threads file_read -c 2 -n 20 $FILE_ARGS)
check "a damaged data file is made again (file_made $(json_field "$out" file_made 2>/dev/null))" \
	[ "$(json_field "$out" file_made 2>/dev/null)" = 1 ]
# Not enough room: refused before writing, in one line.
"$BIN/threads" file_read -c 1 -n 1 --data-dir "$DATA" --file-mib 1048576 >/dev/null 2>"$SCRATCH/err"
rc=$?
check "a data file larger than the free space: exit 3, one line ($(cat "$SCRATCH/err"))" \
	sh -c "[ $rc = 3 ] && [ \$(wc -l <'$SCRATCH/err') = 1 ] && grep -q 'MiB free' '$SCRATCH/err'"
check "... and nothing written" sh -c "! ls '$DATA' | grep -q 1048576m"
finish
