#!/bin/sh
# test_serve_errors.sh - a served request whose task fails (not fatally) is
# a 500, counted in the server's `errors`, and the stats line says why the
# first one failed (`first_error`), as a fan-out run names its first failed
# task; on every model's server (threads, the pool, async, green, uring).
# The failure: redis_get after the keys its set-up wrote are flushed (every
# GET then finds no such key).  Needs redis-server (else a skip).
. "$(dirname "$0")/lib.sh"

LIMIT_S=30 # each server here lives a few seconds

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
	ok "# SKIP: no redis-server or redis-cli"
	finish
fi
RP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no >"$SCRATCH/redis.log" 2>&1 &
RPID=$!
trap 'kill $RPID 2>/dev/null; rm -rf "$SCRATCH"' EXIT
for _ in $(seq 50); do redis-cli -p "$RP" ping >/dev/null 2>&1 && break; sleep 0.1; done

# get ID: one request on its own connection; prints the HTTP status.
get() {
	python3 - "$PORT" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /redis_get?id=%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % sys.argv[2].encode())
data = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    data += d
print(data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "none")
PY
}

for m in "threads" "threads --pool 2" "async" "green" "uring"; do
	# shellcheck disable=SC2086 # $m is a binary and its options
	set -- $m
	bin=$1
	shift
	rm -f "$SCRATCH/out" "$SCRATCH/err" # not the last server's port, read before the truncation
	timeout -k 5 $LIMIT_S "$BIN/$bin" redis_get "$@" --redis "127.0.0.1:$RP" --serve 0 \
		--json >"$SCRATCH/out" 2>"$SCRATCH/err" &
	SPID=$!
	PORT=""
	for _ in $(seq 100); do
		PORT=$(sed -n 's/^listening [0-9.]*:\([0-9]*\)$/\1/p' "$SCRATCH/err" 2>/dev/null)
		[ -n "$PORT" ] && break
		sleep 0.1
	done
	a=$(get 7)
	redis-cli -p "$RP" flushall >/dev/null
	b=$(get 8)
	c=$(get 9)
	kill -TERM $SPID 2>/dev/null
	wait $SPID
	rc=$?
	check "$m: 200 before the flush, 500 after ($a $b $c), exit $rc" \
		sh -c "[ '$a $b $c' = '200 500 500' ] && [ $rc = 0 ]"
	check "$m: errors 2 and the first one's why in first_error ($(python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); print(o.get("errors"), o.get("first_error"))' "$SCRATCH/out" 2>&1 | head -c 200))" \
		python3 -c 'import json, sys
o = json.load(open(sys.argv[1]))
sys.exit(0 if o["errors"] == 2 and o["requests"] == 1 and "no such key" in o["first_error"]
         and "task 8" in o["first_error"] else 1)' "$SCRATCH/out"
done
finish
