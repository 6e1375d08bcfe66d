#!/bin/sh
# run.sh - `make test`: every cmocka binary given as an argument, then every
# tests/test_*.sh, counted as one whole; the last line is "N passed, N failed".
ROOT=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for t in "$@"; do
	name=$(basename "$t")
	"$t" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log")
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log")
	p=${p:-0}
	f=${f:-0}
	if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi # crashed before its summary
	[ "$f" != 0 ] && cat "$log"
	echo "$name: $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
done

for t in "$ROOT"/tests/test_*.sh; do
	name=$(basename "$t")
	start=$(date +%s)
	sh "$t" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^ok - ' "$log")
	f=$(grep -c '^not ok - ' "$log")
	if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi
	grep '^not ok - ' "$log"
	[ "$f" != 0 ] && { echo "--- $name output:"; tail -20 "$log"; }
	echo "$name: $p passed, $f failed ($(($(date +%s) - start)) s)"
	passed=$((passed + p))
	failed=$((failed + f))
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
