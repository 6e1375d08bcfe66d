#!/bin/sh
# run.sh - `make test` and `make test-long`: the cmocka binaries given as
# arguments, then shell tests, counted as one whole; the last line is
# "N passed, N failed", and each test's line says its seconds.
#
#   tests/run.sh [BIN...]                 the fast suite (make test): BIN...,
#                                         then every tests/test_*.sh not marked long
#   tests/run.sh --long [BIN...]          the long suite (make test-long): every
#                                         tests/test_*.sh marked long
#   tests/run.sh --all [BIN...]           both
#   tests/run.sh --only test_x.sh ... --  these shell tests (by name), then BIN...
#
# The rule that puts a test in one suite: a test file with a line
#     # tvsa: long -- why (a few words)
# in its opening comment runs in `make test-long` (CI runs it, .ci/run);
# every other tests/test_*.sh runs in `make test`, so a new test lands there
# unless it says so.  `make test` must take at most FAST_SUITE_S on a quiet
# 2-core machine (README.md, Tests; docs/testing.md): mark a test long when it needs more than
# ~10 s there and is not one of the core checks (every pair on every model,
# the tiny sweep), or needs machinery beyond the build (root for network
# namespaces, a Slurm cluster, a browser), or waits out hangs and faults.
# The fast suite's total, if over FAST_SUITE_S, and any fast test over
# FAST_TEST_S are named at the end (a note, not a failure: this machine may
# be busy), so a slow test is seen when it lands.  A Python traceback in a
# test's output (not a helper thread's) is a failure: a check that crashed
# printed no "not ok" line, and the checks after it ran nowhere.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The interpreter python3 resolves to, first on PATH (tests/lib.sh says why).
TVSA_PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
case $TVSA_PY in /*) PATH="${TVSA_PY%/*}:$PATH" && export PATH ;; esac
LONG_MARK='# tvsa: long'
FAST_SUITE_S=180 # make test's budget on a quiet 2-core machine, build included
FAST_TEST_S=30   # a fast-suite test longer than this is a note at the end

suite=fast
only=""
case ${1:-} in
--long) suite=long; shift ;;
--all) suite=all; shift ;;
--only)
	suite=only
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		only="$only $1"
		shift
	done
	[ "${1:-}" = -- ] && shift
	for n in $only; do
		[ -f "$ROOT/tests/$(basename "$n")" ] || {
			echo "run.sh: no test $n in tests/" >&2
			exit 2
		}
	done
	;;
-*)
	echo "usage: tests/run.sh [--long | --all | --only test_x.sh ... --] [CMOCKA_BIN...]" >&2
	exit 2
	;;
esac

passed=0
failed=0
slow=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT
t_all=$(date +%s)

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

# in_suite FILE: whether this run takes the shell test FILE.
in_suite() {
	if grep -Eq "^$LONG_MARK( |\$)" "$1"; then long=1; else long=0; fi
	case $suite in
	fast) [ $long = 0 ] ;;
	long) [ $long = 1 ] ;;
	all) true ;;
	only) case " $only " in *" $(basename "$1") "* | *" $1 "*) true ;; *) false ;; esac ;;
	esac
}

for t in "$ROOT"/tests/test_*.sh; do
	in_suite "$t" || continue
	name=$(basename "$t")
	start=$(date +%s)
	sh "$t" >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	p=$(grep -c '^ok - ' "$log")
	f=$(grep -c '^not ok - ' "$log")
	if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi
	# A check written in Python that crashed printed a traceback, not a
	# "not ok" line: the checks after it ran nowhere.  That is a failure.
	# (Not a helper thread's: a fake peer's thread dying of a reset that
	# the test provoked prints "Exception in thread ..." first.)
	if awk '/^Traceback \(most recent call last\):/ && prev !~ /^Exception in thread / { f = 1 }
		{ prev = $0 } END { exit !f }' "$log"; then
		echo "not ok - $name: a Python traceback in its output (a check crashed)"
		[ "$f" = 0 ] && f=1
	fi
	grep '^not ok - ' "$log"
	[ "$f" != 0 ] && { echo "--- $name output:"; tail -20 "$log"; }
	echo "$name: $p passed, $f failed ($took s)"
	[ $suite = fast ] && [ $took -gt $FAST_TEST_S ] && slow="$slow $name ($took s)"
	passed=$((passed + p))
	failed=$((failed + f))
done

t_all=$(($(date +%s) - t_all))
[ -n "$slow" ] && echo "note: over ${FAST_TEST_S} s in the fast suite:$slow; on a quiet machine" \
	"such a test belongs in the long one ('$LONG_MARK', tests/run.sh)"
[ $suite = fast ] && [ $t_all -gt $FAST_SUITE_S ] && echo "note: the fast suite took $t_all s," \
	"over its $FAST_SUITE_S s; if this machine was quiet, move its slowest tests to the long one"
echo "suite $suite: $t_all s, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
