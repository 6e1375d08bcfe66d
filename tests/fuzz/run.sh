#!/bin/sh
# run.sh - `make fuzz`: run each libFuzzer target for a bounded time.
#
# Usage: tests/fuzz/run.sh FUZZ_BIN_DIR SECONDS MAX_LEN NAME...
# Target NAME (FUZZ_BIN_DIR/fuzz_NAME) starts from the committed seeds in
# tests/fuzz/corpus/NAME/ plus what earlier runs learned in
# fuzz-out/NAME/corpus/, where new inputs go (the committed corpus is only
# read).  A crash is saved as fuzz-out/NAME/crash-*; once fixed, copy it to
# tests/fuzz/regressions/NAME/ so that `make sanitize` replays it for good.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
dir=$1
secs=$2
max_len=$3
shift 3
cd "$ROOT" || exit 1
status=0
for t in "$@"; do
	out="fuzz-out/$t"
	mkdir -p "$out/corpus"
	echo "fuzz_$t: ${secs} s from tests/fuzz/corpus/$t (new inputs: $out/corpus, log: $out/log)"
	"$dir/fuzz_$t" -max_total_time="$secs" -max_len="$max_len" -print_final_stats=1 \
		-artifact_prefix="$out/" "$out/corpus" "tests/fuzz/corpus/$t" >"$out/log" 2>&1
	rc=$?
	sed -n 's/^stat::\(number_of_executed_units\|average_exec_per_sec\|new_units_added\|peak_rss_mb\): */    \1 /p' "$out/log"
	if [ $rc != 0 ]; then
		grep -E 'check failed|ERROR:|SUMMARY:|Test unit written' "$out/log" | sed 's/^/    /'
		echo "fuzz_$t: FAILED (exit $rc); replay: $dir/fuzz_$t $out/crash-*"
		status=1
	fi
done
exit $status
