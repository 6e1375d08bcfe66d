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

finish() { exit $((FAILS > 0)); }
