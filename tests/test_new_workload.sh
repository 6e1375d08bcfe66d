#!/bin/sh
# test_new_workload.sh - `make new-workload` end to end, in a scratch copy of
# the tree (the real one is never touched): bad names and kinds are refused
# with nothing created; generated pairs -- a cpu pair that links zlib
# (LIBS=zlib) and is then edited, in its own files only, to call it, an io
# pair and a two-round-trip pair (KIND=multi) -- build warning-free, are
# listed by both binaries, give equal checksums on both models at two
# concurrencies, and are swept; a pair with a side missing fails the build
# naming the file.
# tvsa: long -- a copy of the tree built from scratch, ~45 s
. "$(dirname "$0")/lib.sh"

TREE="$SCRATCH/tree"
# Run from `make test`, the parent make's flags (jobserver, -s, variables)
# would leak into the makes below; this test wants a user's plain make.
unset MAKEFLAGS MFLAGS MAKELEVEL
TASKS=400 # per run: ~20 ms of CPU (demo_zlib) or ~0.1-0.8 s of waiting (demo_io, demo_two)

# The tree as a user has it: the files git tracks or would track (not
# build/, bin/, results/ or anything else .gitignore names); without git,
# every top-level entry but those three.
mkdir "$TREE"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$ROOT" && git ls-files -co --exclude-standard | while IFS= read -r f; do
		[ -e "$f" ] && echo "$f" # tracked but deleted in the work tree: skip
	done) >"$SCRATCH/files"
	tar -C "$ROOT" -cf - -T "$SCRATCH/files" | tar -C "$TREE" -xf -
else
	for f in "$ROOT"/* "$ROOT"/.clang-format; do
		case ${f##*/} in build | bin | results) continue ;; esac
		cp -R "$f" "$TREE/"
	done
fi
check "scratch copy of the tree made (no build products)" \
	sh -c "test -f '$TREE/Makefile' && test -x '$TREE/scripts/new_workload.sh' && ! test -e '$TREE/bin'"
cd "$TREE" || exit 1

# snapshot: every file's path and checksum (build/ aside), to see "nothing created".
snapshot() { find . -path ./build -prune -o -type f -print | LC_ALL=C sort | xargs cksum; }

# refuse DESCRIPTION ARGS...: make new-workload ARGS fails, says why on one
# line of its own, and leaves the tree as it was.
refuse() {
	desc=$1
	shift
	before=$(snapshot)
	make --no-print-directory new-workload "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
	rc=$?
	why=$(grep -v '^make: \*\*\*' "$SCRATCH/err")
	lines=$(printf '%s\n' "$why" | grep -c .)
	if [ $rc != 0 ] && [ "$lines" = 1 ] && [ ! -s "$SCRATCH/out" ] &&
		[ "$(snapshot)" = "$before" ]; then
		ok "refused $desc, nothing created: $why"
	else
		not_ok "$desc: exit $rc, $lines message lines ($why), tree changed: $([ "$(snapshot)" = "$before" ] && echo no || echo yes)"
	fi
}
refuse "a name starting with a digit (9x)" NAME=9x KIND=cpu
refuse "a name with a dash (foo-bar)" NAME=foo-bar KIND=cpu
refuse "a taken name (cpu_hash)" NAME=cpu_hash KIND=cpu
refuse "a name whose file exists (wire)" NAME=wire KIND=io
refuse "a bad KIND (gpu)" NAME=demo_gpu KIND=gpu
refuse "a C keyword (int)" NAME=int KIND=cpu
refuse "a name that clashes with the runtime (run: threads_run)" NAME=run KIND=cpu
refuse "a missing KIND" NAME=demo_x
refuse "a missing NAME" KIND=io
refuse "a library pkg-config does not know (LIBS=nosuchlib)" NAME=demo_l KIND=cpu LIBS=nosuchlib
refuse "a library name that is not one (LIBS='z;b')" NAME=demo_l KIND=cpu "LIBS=z;b"
check "refusals left no staging folder" sh -c '! ls -d build/new-workload.* 2>/dev/null | grep -q .'

# Generate one pair of each kind; the cpu one links zlib.
for p in demo_zlib:cpu:zlib demo_io:io: demo_two:multi:; do
	name=${p%%:*}
	kind=${p#*:}
	libs=${kind#*:}
	kind=${kind%%:*}
	make --no-print-directory new-workload NAME="$name" KIND="$kind" LIBS="$libs" >"$SCRATCH/out" 2>&1
	rc=$?
	check "make new-workload NAME=$name KIND=$kind exits 0 (exit $rc$(
		[ $rc = 0 ] || echo ": $(head -1 "$SCRATCH/out")"))" [ $rc = 0 ]
	check "$name: the four files exist" test -s "workloads/$name.c" -a -s "workloads/$name.h" \
		-a -s "impl_threads/$name.c" -a -s "impl_async/$name.c"
	line="WORKLOAD($name)${libs:+ /* libs: $libs */}"
	check "$name: registered last in workloads.def as '$line'" \
		[ "$(grep -cxF "$line" workloads/workloads.def)" = 1 ]
	check "$name: no placeholder left" sh -c "! grep -l '@[A-Z_]*@' workloads/$name.[ch] impl_*/$name.c"
	check "$name: says what to edit next" sh -c "grep -q 'make bench WORKLOADS=$name' '$SCRATCH/out' &&
		grep -q 'bin/async $name -c 4 -n 1000' '$SCRATCH/out'"
done
check "new pairs are the last three registry lines" \
	[ "$(grep '^WORKLOAD(' workloads/workloads.def | tail -3 | sed 's/).*/)/' | tr -d '\n')" = "WORKLOAD(demo_zlib)WORKLOAD(demo_io)WORKLOAD(demo_two)" ]
refuse "a name just generated (demo_zlib)" NAME=demo_zlib KIND=io

# The user's edit, in the pair's own file only: the kernel now calls zlib.
python3 - workloads/demo_zlib.c <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
kernel = """uint64_t demo_zlib_kernel(uint64_t seed, uint64_t steps)
{
	unsigned char buf[64];
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(wl_fold(seed, i) >> 7);
	uLong crc = crc32(0L, Z_NULL, 0);
	for (uint64_t i = 0; i < steps; i++) {
		crc = crc32(crc, buf, sizeof(buf));
		buf[i % sizeof(buf)] ^= (unsigned char)crc;
	}
	return wl_fold(seed, crc);
}
"""
s, n = re.subn(r"uint64_t demo_zlib_kernel\(.*?\n}\n", lambda m: kernel, s, count=1, flags=re.S)
s = s.replace('#include "workload.h"', '#include "workload.h"\n\n#include <zlib.h>', 1)
open(p, "w").write(s)
sys.exit(0 if n == 1 else 1)
PY
check "demo_zlib's kernel rewritten to call zlib's crc32 (its own file only)" [ $? = 0 ]

# Build: no edit anywhere else, no warning.
make -s -j2 all >"$SCRATCH/build.log" 2>&1
rc=$?
check "the tree builds with the new pairs (exit $rc: $(grep -m1 -i 'error' "$SCRATCH/build.log"))" [ $rc = 0 ]
warn=$(grep -m1 'warning:' "$SCRATCH/build.log")
check "zero compiler warnings${warn:+ ($warn)}" [ -z "$warn" ]
for m in threads async; do
	check "bin/$m --list has demo_zlib, demo_io and demo_two" sh -c "bin/$m --list | grep -qx demo_zlib &&
		bin/$m --list | grep -qx demo_io && bin/$m --list | grep -qx demo_two"
done
check "bin/threads links zlib" sh -c "ldd bin/threads | grep -q libz"

# Both models, two concurrencies: all tasks done, no errors, equal checksums.
for wl in demo_zlib demo_io demo_two; do
	for c in 1 8; do
		sums=""
		for m in threads async; do
			out=$(bin/$m $wl -c $c -n $TASKS --json 2>"$SCRATCH/err")
			if [ -z "$out" ]; then
				not_ok "$wl $m c=$c runs: $(cat "$SCRATCH/err")"
				continue
			fi
			done_=$(json_field "$out" "done")
			errors=$(json_field "$out" errors)
			check "$wl $m c=$c: $done_ of $TASKS tasks, $errors errors" \
				[ "$done_" = $TASKS -a "$errors" = 0 ]
			sums="$sums $(json_field "$out" checksum)"
		done
		distinct=$(for s in $sums; do echo "$s"; done | sort -u | wc -l)
		check "$wl c=$c: checksums equal across models ($sums )" [ "$distinct" = 1 ]
	done
done
# Results must depend on the task, or equal checksums would prove nothing.
a=$(json_field "$(bin/threads demo_zlib -c 1 -n 10 --json 2>/dev/null)" checksum)
b=$(json_field "$(bin/threads demo_zlib -c 1 -n 10 --work 100 --json 2>/dev/null)" checksum)
check "demo_zlib checksum depends on --work ($a vs $b)" [ -n "$a" -a "$a" != "$b" ]
# The second round trip depends on the first reply: a different delay
# changes both digests, so the checksum; and it is not io's one-trip sum.
a=$(json_field "$(bin/async demo_two -c 2 -n 10 --delay-us 0 --json 2>/dev/null)" checksum)
b=$(json_field "$(bin/async demo_two -c 2 -n 10 --delay-us 1 --json 2>/dev/null)" checksum)
check "demo_two checksum depends on its replies ($a vs $b)" [ -n "$a" -a "$a" != "$b" ]
w=$(json_field "$(bin/async demo_two -c 1 -n 20 --delay-us 2000 --json 2>/dev/null)" min_us)
check "demo_two: a task is two round trips (min latency $w us >= 2 x 2000 us)" \
	python3 -c "import sys; sys.exit(0 if float('$w') >= 4000 else 1)"
check "the new pairs declare their floors (zlib: none; two: 2 round trips) and no claims" sh -c \
	"bin/threads --list -v | grep '^demo_zlib' | grep -q 'floor=none.*claims=none' &&
	 bin/threads --list -v | grep '^demo_two' | grep -q 'floor=round_trips:2,.*claims=none'"

# The sweep finds the pairs in the registry with no edit.
python3 harness/sweep/bench.py --quick --concurrency 1,2 --workloads demo_zlib,demo_two \
	--results "$SCRATCH/res" --no-report --quiet 2>"$SCRATCH/sweep.err"
rc=$?
check "sweep --workloads demo_zlib,demo_two exits 0 (exit $rc: $(tail -1 "$SCRATCH/sweep.err"))" [ $rc = 0 ]
csv_rows() { # WORKLOAD STATUS|all -> its rows of the sweep's results.csv with it
	python3 -c '
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["workload"] == sys.argv[2]]
print(sum(sys.argv[3] in ("all", r["status"]) for r in rows))' "$SCRATCH/res/latest/results.csv" "$1" "$2" 2>/dev/null || echo 0
}
for wl in demo_zlib demo_two; do
	n_all=$(csv_rows $wl all)
	n_ok=$(csv_rows $wl ok)
	check "results.csv has $wl rows, all ok ($n_ok ok of $n_all)" [ "$n_all" -gt 0 -a "$n_ok" = "$n_all" ]
done

# A registered pair with a side missing: the build stops and names the file.
rm impl_async/demo_io.c
make -s all >"$SCRATCH/out" 2>&1
rc=$?
check "a missing side fails the build naming it (exit $rc: $(grep -m1 'missing' "$SCRATCH/out"))" \
	sh -c "[ $rc != 0 ] && grep -q 'missing.*impl_async/demo_io.c' '$SCRATCH/out'"
finish
