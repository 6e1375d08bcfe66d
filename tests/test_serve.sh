#!/bin/sh
# test_serve.sh - every model as a server (--serve, issue 31), driven by
# Python's socket module as a standard HTTP/1.1 client (tests/serve_check.py):
# each pair's served checksum equals the fan-out run's for the same ids;
# malformed, oversized, pipelined and half-closed requests, a client that
# resets with a request pending and a slow reader are answered as serve.h
# promises, with no crash, no hang and no descriptor leaked; EMFILE at
# accept is survived; SIGTERM writes the stats line with the right count.
# Under a minute on 2 cores.
. "$(dirname "$0")/lib.sh"

command -v prlimit >/dev/null 2>&1 || { not_ok "prlimit missing (util-linux)"; finish; }
TIMEOUT=$(command -v timeout)
# Every server the check starts carries this tag: one it could not stop
# (the check killed by the time limit) is found and killed here.
TVSA_SERVE_CHECK=$$
export TVSA_SERVE_CHECK
$TIMEOUT -k 5 150 python3 "$ROOT/tests/serve_check.py" "$BIN" "$SCRATCH" "$@"
rc=$?
[ $rc = 0 ] || [ $rc = 1 ] || not_ok "serve_check.py ended with status $rc (killed after 150 s?)"
[ $rc = 0 ] || FAILS=$((FAILS + 1))
left=$(tagged TVSA_SERVE_CHECK=$$)
[ -n "$left" ] && kill -KILL $left 2>/dev/null
check "no server left running (${left:-none})" [ -z "$left" ]
finish
