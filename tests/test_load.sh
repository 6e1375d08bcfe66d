#!/bin/sh
# test_load.sh - bin/load against tests/load_peer.py, whose answers it can
# predict: the checksum of N requests is the fold over ids K..K+N-1 of the
# peer's results; its .hgrm is hgrm.py's rendering of its own histogram line
# to the byte; the open loop sends what its schedule says; idle connections
# stay idle; each fault (500s, Connection: close, garbage, silence, idle
# connections closed) is counted where it belongs; bad usage exits 2 in one
# line and a failed run (refused, nothing answered, too many errors) exits 3.
# tvsa: long -- bin/load against a fault-injecting peer it waits out, ~15 s
. "$(dirname "$0")/lib.sh"

LOAD="$BIN/load"
PEERS=""
trap 'for p in $PEERS; do kill "$p" 2>/dev/null; done; rm -rf "$SCRATCH"' EXIT

# peer NAME ARGS...: start a load_peer.py; its port in $PORT.
peer() {
	name=$1
	shift
	python3 "$ROOT/tests/load_peer.py" --port-file "$SCRATCH/$name.port" "$@" &
	PEERS="$PEERS $!"
	i=0
	while [ ! -s "$SCRATCH/$name.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	PORT=$(cat "$SCRATCH/$name.port")
}

# expect_sum K N: the checksum of ids K..K+N-1 as the peer answers them.
expect_sum() {
	python3 - "$1" "$2" <<'PY'
import sys
M = (1 << 64) - 1
def fold(i, r):  # workloads/workload.h wl_fold
    z = (r ^ (i * 0x9e3779b97f4a7c15)) & M
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
    return z ^ (z >> 31)
k, n = int(sys.argv[1]), int(sys.argv[2])
print("%016x" % (sum(fold(i, (i * 0x9E3779B97F4A7C15 + 0x1234) & M) for i in range(k, k + n)) & M))
PY
}

peer ok
T="127.0.0.1:$PORT"

# Closed loop, two threads: every id once, the checksum the peer's.
out=$("$LOAD" --target "$T" --path /io_sleep --connections 8 --closed --requests 3000 \
	--ids-from 1000 --threads 2 --json --hist-out "$SCRATCH/h.jsonl" \
	--hgrm-out "$SCRATCH/a.hgrm" 2>"$SCRATCH/err")
rc=$?
want=$(expect_sum 1000 3000)
check "closed loop, 2 threads: exit $rc, 3000 answered, checksum $(json_field "$out" checksum) = the peer's $want" \
	[ $rc = 0 ] && [ "$(json_field "$out" requests)" = 3000 ] && [ "$(json_field "$out" checksum)" = "$want" ]
python3 - "$out" <<'PY' >"$SCRATCH/little"
import json, sys
d = json.loads(sys.argv[1])
print("%.3f" % (d["throughput"] * d["mean_us"] / 1e6 / d["active"]))
PY
check "closed loop: throughput x mean latency / connections = $(cat "$SCRATCH/little") (Little's law, within 10%)" \
	python3 -c "import sys; sys.exit(not 0.9 <= float('$(cat "$SCRATCH/little")') <= 1.1)"
check ".hgrm is hgrm.py's rendering of the histogram line, to the byte" python3 -c "
import sys; sys.path.insert(0, '$ROOT')
from harness.sweep import hgrm
h = hgrm.read_hists('$SCRATCH/h.jsonl')
sys.exit(len(h) != 1 or hgrm.render(hgrm.merge(list(h.values()))) != open('$SCRATCH/a.hgrm').read())"
check "the histogram holds the 3000 answers" python3 -c "
import json, sys; d = json.loads(open('$SCRATCH/h.jsonl').readline()); sys.exit(d['hist']['total'] != 3000)"

# Open loop: 1,000/s for 1 s over 10 of 50 connections: the schedule's
# 1,000 requests sent, 40 connections idle.
out=$("$LOAD" --target "$T" --path /x --connections 50 --active-share 0.2 --rate 1000 \
	--duration 1 --json 2>"$SCRATCH/err")
rc=$?
check "open loop 1000/s for 1 s: exit $rc, sent $(json_field "$out" sent) (1000), active $(json_field "$out" active), idle $(json_field "$out" idle)" \
	[ $rc = 0 ] && [ "$(json_field "$out" sent)" = 1000 ] && [ "$(json_field "$out" idle)" = 40 ] \
	&& [ "$(json_field "$out" unsent)" = 0 ] && [ "$(json_field "$out" mode)" = open ]
n=$(python3 -c "import json; print(json.loads('''$out''')['checksum'] == '$(expect_sum 0 1000)')")
check "open loop: the checksum of ids 0..999" [ "$n" = True ]

# Phases on the same connections: each=1 (all five, idle ones too), a
# closed window of 2 active after its ramp, an open one; ids run on, every
# one answered once, so the lines' checksums fold to the peer's for them all.
"$LOAD" --target "$T" --path /x --connections 5 --active 1 \
	--phases each=1,closed:0.3@2,rate=200:0.5@2 --json >"$SCRATCH/ph" 2>"$SCRATCH/err"
rc=$?
python3 - "$SCRATCH/ph" "$(expect_sum 0 5)" >"$SCRATCH/ph.check" <<'PY'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
M = (1 << 64) - 1
ok = (len(L) == 3 and [d["phase"] for d in L] == [0, 1, 2]
      and [d["mode"] for d in L] == ["each", "closed", "open"]
      and L[0]["sent"] == 5 and L[0]["checksum"] == sys.argv[2]
      and L[1]["active"] == 2 and L[1]["ramp_s"] > 0 and L[2]["active"] == 2
      and L[1]["ids_from"] == 5 and L[2]["ids_from"] == 5 + L[1]["sent"]
      and all(d["errors"] == 0 and d["status"] == "ok" for d in L))
print("%d %d %s" % (ok, sum(d["sent"] for d in L),
                    "%016x" % (sum(int(d["checksum"], 16) for d in L) & M)))
PY
read -r good total folded <"$SCRATCH/ph.check"
check "--phases each=1,closed:0.3@2,rate=200:0.5@2: exit $rc, three lines, each=1 on all 5 connections, the closed window after a ramp, ids run on" \
	[ $rc = 0 ] && [ "$good" = 1 ]
check "--phases: the lines' checksums fold to the peer's for ids 0..$((total - 1)) ($folded)" \
	[ "$folded" = "$(expect_sum 0 "$total")" ]

# A slow peer under an open loop: the latency counts the wait for a free
# connection (no coordinated omission), and the requests it owes at the end
# are counted as unsent.
peer slow --delay-ms 20
out=$("$LOAD" --target "127.0.0.1:$PORT" --path /x --connections 2 --rate 400 --duration 1 \
	--json 2>"$SCRATCH/err")
check "open loop past a slow peer's capacity (2 x 50/s offered 400/s): p99 $(json_field "$out" p99_us) us > 0.5 s, unsent $(json_field "$out" unsent) > 0, throughput $(json_field "$out" throughput) < 150" \
	python3 -c "
import json, sys; d = json.loads('''$out''')
sys.exit(not (d['p99_us'] > 5e5 and d['unsent'] > 0 and d['throughput'] < 150))"

# Faults, each counted where it belongs.
peer status --mode status --every 10
out=$("$LOAD" --target "127.0.0.1:$PORT" --path /x --connections 2 --closed --requests 100 --json 2>"$SCRATCH/err")
rc=$?
check "every 10th answer a 500: exit $rc (3: more than 1% errors), status_errors $(json_field "$out" status_errors) = 10, one line on stderr: $(tail -1 "$SCRATCH/err")" \
	[ $rc = 3 ] && [ "$(json_field "$out" status_errors)" = 10 ] && [ "$(json_field "$out" status)" = failed ]
peer close --mode close --every 7
out=$("$LOAD" --target "127.0.0.1:$PORT" --path /x --connections 3 --closed --requests 200 --json 2>"$SCRATCH/err")
rc=$?
check "Connection: close every 7th answer: exit $rc, 200 answered, reconnects $(json_field "$out" reconnects) > 0, no error, the checksum whole" \
	[ $rc = 0 ] && [ "$(json_field "$out" requests)" = 200 ] && [ "$(json_field "$out" errors)" = 0 ] \
	&& [ "$(json_field "$out" reconnects)" -gt 0 ] && [ "$(json_field "$out" checksum)" = "$(expect_sum 0 200)" ]
peer garbage --mode garbage --every 50
out=$("$LOAD" --target "127.0.0.1:$PORT" --path /x --connections 2 --closed --requests 500 --json 2>"$SCRATCH/err")
check "garbage every 50th answer: out_of_step $(json_field "$out" out_of_step) = 10, the rest answered" \
	[ "$(json_field "$out" out_of_step)" = 10 ] && [ "$(json_field "$out" requests)" = 490 ]
peer silent --mode silent --every 20
start=$(date +%s)
out=$("$LOAD" --target "127.0.0.1:$PORT" --path /x --connections 2 --closed --requests 40 \
	--timeout-s 1 --json 2>"$SCRATCH/err")
check "a peer that never answers every 20th: timeouts $(json_field "$out" timeouts) = 2 after --timeout-s 1, in $(($(date +%s) - start)) s" \
	[ "$(json_field "$out" timeouts)" = 2 ] && [ $(($(date +%s) - start)) -le 5 ]
peer silent2 --mode silent --every 4
out=$("$LOAD" --target "127.0.0.1:$PORT" --path /x --connections 8 --timeout-s 1 \
	--phases each=1,closed:0.2 --json 2>"$SCRATCH/err" | head -1)
rc=$?
check "each=1 where the peer leaves some connections unanswered: exit 3, the phases after it not run: $(tail -1 "$SCRATCH/err")" \
	[ "$(json_field "$out" status)" = failed ] && grep -q 'did not serve every connection' "$SCRATCH/err" \
	&& [ "$("$LOAD" --target "127.0.0.1:$PORT" --path /x --connections 8 --timeout-s 1 \
		--phases each=1,closed:0.2 --json 2>/dev/null | wc -l)" = 1 ]
peer idle --mode idle-close
out=$("$LOAD" --target "127.0.0.1:$PORT" --path /x --connections 10 --active 1 --rate 100 \
	--duration 1.5 --json 2>"$SCRATCH/err")
check "idle connections the peer closes: idle_closed $(json_field "$out" idle_closed) = 9, not errors" \
	[ "$(json_field "$out" idle_closed)" = 9 ] && [ "$(json_field "$out" errors)" = 0 ]

# A run that cannot start: exit 3, one line, the stats line says why.
out=$("$LOAD" --target 127.0.0.1:1 --path /x --connections 1 --closed --requests 1 --json 2>"$SCRATCH/err")
rc=$?
check "a refused target: exit $rc (3), $(wc -l <"$SCRATCH/err") line: $(cat "$SCRATCH/err")" \
	[ $rc = 3 ] && [ "$(wc -l <"$SCRATCH/err")" = 1 ] && [ "$(json_field "$out" status)" = failed ]
lim=$(sh -c 'ulimit -Hn')
if [ "$lim" != unlimited ] && [ "$lim" -lt 1000000 ]; then
	"$LOAD" --target "$T" --path /x --connections 1000000 --closed --requests 1 2>"$SCRATCH/err"
	rc=$?
	check "more connections than descriptors ($lim): exit $rc (3): $(cat "$SCRATCH/err")" \
		[ $rc = 3 ] && grep -q RLIMIT_NOFILE "$SCRATCH/err"
fi

usage_error "no target" "'$LOAD' --path /x --connections 1 --closed --requests 1"
usage_error "both --rate and --closed" "'$LOAD' --target $T --path /x --connections 1 --closed --rate 5 --requests 1"
usage_error "neither --duration nor --requests" "'$LOAD' --target $T --path /x --connections 1 --closed"
usage_error "--active above --connections" "'$LOAD' --target $T --path /x --connections 2 --active 3 --closed --requests 1"
usage_error "--active-share 0" "'$LOAD' --target $T --path /x --connections 2 --active-share 0 --closed --requests 1"
usage_error "a path with a space" "'$LOAD' --target $T --path '/a b' --connections 2 --closed --requests 1"
usage_error "an unknown option" "'$LOAD' --target $T --path /x --connections 2 --closed --requests 1 --frobnicate"
usage_error "--duration 1x" "'$LOAD' --target $T --path /x --connections 2 --closed --duration 1x"
usage_error "--phases with --closed" "'$LOAD' --target $T --path /x --connections 2 --closed --phases closed:1"
usage_error "--phases with a bad item" "'$LOAD' --target $T --path /x --connections 2 --phases sometimes:1"
usage_error "--phases @A above --connections" "'$LOAD' --target $T --path /x --connections 2 --phases closed:1@3"
usage_error "ids past 2^32" "'$LOAD' --target $T --path /x --connections 2 --closed --requests 2 --ids-from 4294967295"
finish
