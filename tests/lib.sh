# lib.sh - what the shell tests share: TAP-like "ok"/"not ok" lines that
# tests/run.sh counts, and a scratch folder removed on exit.
# Source it from a test: . "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="${TVSA_BIN:-$ROOT/bin}" # TVSA_BIN: test other builds (make sanitize)
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/tvsa-test.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
FAILS=0

ok() { echo "ok - $*"; }
not_ok() {
	echo "not ok - $*"
	FAILS=$((FAILS + 1))
}

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# json_field JSON KEY: a scalar field of a one-line JSON object.
json_field() {
	python3 -c 'import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print(v)' "$1" "$2"
}

# usage_error LABEL COMMAND: COMMAND (one shell string, eval'ed, so quote
# inside it) must be refused as bad usage: exit 2, exactly one line on
# stderr, nothing on stdout.
usage_error() {
	eval "$2" >"$SCRATCH/usage.out" 2>"$SCRATCH/usage.err"
	ue_rc=$?
	ue_lines=$(wc -l <"$SCRATCH/usage.err")
	if [ $ue_rc = 2 ] && [ "$ue_lines" = 1 ] && [ ! -s "$SCRATCH/usage.out" ]; then
		ok "$1: exit 2, one line: $(cat "$SCRATCH/usage.err")"
	else
		not_ok "$1: exit $ue_rc, $ue_lines stderr lines, stdout $(wc -c <"$SCRATCH/usage.out") bytes: $(head -3 "$SCRATCH/usage.err")"
	fi
}

# tagged KEY=VALUE: pids of the processes with that environment entry, but
# not this shell or the ones between it and the scan (tests/tagged.py).
tagged() { python3 "$ROOT/tests/tagged.py" "$1"; }

# mute_peer: start a peer that accepts and never answers (tests/mute_peer.py);
# its port in MUTE_PORT, its pid in MUTE_PID (the caller kills it).
mute_peer() {
	python3 "$ROOT/tests/mute_peer.py" >"$SCRATCH/mute.port" &
	MUTE_PID=$!
	for _ in $(seq 50); do [ -s "$SCRATCH/mute.port" ] && break; sleep 0.1; done
	MUTE_PORT=$(cat "$SCRATCH/mute.port")
}

finish() { exit $((FAILS > 0)); }
