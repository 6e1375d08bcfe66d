#!/bin/sh
# test_new_workload.sh - `make new-workload` end to end, in a scratch copy of
# the tree (the real one is never touched): bad names and kinds are refused
# with nothing created; a generated cpu and io pair build warning-free, are
# listed by both binaries, give equal checksums on both models at two
# concurrencies, and are picked up by the sweep; a pair with a side missing
# fails the build naming the file.
. "$(dirname "$0")/lib.sh"

TREE="$SCRATCH/tree"
# Run from `make test`, the parent make's flags (jobserver, -s, variables)
# would leak into the makes below; this test wants a user's plain make.
unset MAKEFLAGS MFLAGS MAKELEVEL
TASKS=400 # per run: ~20 ms of CPU (demo_cpu) or ~0.1-0.4 s of waiting (demo_io)

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
check "refusals left no staging folder" sh -c '! ls -d build/new-workload.* 2>/dev/null | grep -q .'

# Generate one pair of each kind.
for p in demo_cpu:cpu demo_io:io; do
	name=${p%:*}
	kind=${p#*:}
	make --no-print-directory new-workload NAME="$name" KIND="$kind" >"$SCRATCH/out" 2>&1
	rc=$?
	check "make new-workload NAME=$name KIND=$kind exits 0 (exit $rc$(
		[ $rc = 0 ] || echo ": $(head -1 "$SCRATCH/out")"))" [ $rc = 0 ]
	check "$name: the four files exist" test -s "workloads/$name.c" -a -s "workloads/$name.h" \
		-a -s "impl_threads/$name.c" -a -s "impl_async/$name.c"
	check "$name: registered last in workloads.def" \
		[ "$(grep -c "^WORKLOAD($name)\$" workloads/workloads.def)" = 1 ]
	check "$name: no placeholder left" sh -c "! grep -l '@[A-Z_]*@' workloads/$name.[ch] impl_*/$name.c"
	check "$name: says what to edit next" sh -c "grep -q 'make bench WORKLOADS=$name' '$SCRATCH/out' &&
		grep -q 'bin/async $name -c 4 -n 1000' '$SCRATCH/out'"
done
check "new pairs are the last two registry lines" \
	[ "$(grep '^WORKLOAD(' workloads/workloads.def | tail -2 | tr -d '\n')" = "WORKLOAD(demo_cpu)WORKLOAD(demo_io)" ]
refuse "a name just generated (demo_cpu)" NAME=demo_cpu KIND=io

# Build: no edit anywhere else, no warning.
make -s -j2 all >"$SCRATCH/build.log" 2>&1
rc=$?
check "the tree builds with the new pairs (exit $rc: $(grep -m1 -i 'error' "$SCRATCH/build.log"))" [ $rc = 0 ]
warn=$(grep -m1 'warning:' "$SCRATCH/build.log")
check "zero compiler warnings${warn:+ ($warn)}" [ -z "$warn" ]
for m in threads async; do
	check "bin/$m --list has demo_cpu and demo_io" \
		sh -c "bin/$m --list | grep -qx demo_cpu && bin/$m --list | grep -qx demo_io"
done

# Both models, two concurrencies: all tasks done, no errors, equal checksums.
for wl in demo_cpu demo_io; do
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
a=$(json_field "$(bin/threads demo_cpu -c 1 -n 10 --json 2>/dev/null)" checksum)
b=$(json_field "$(bin/threads demo_cpu -c 1 -n 10 --work 100 --json 2>/dev/null)" checksum)
check "demo_cpu checksum depends on --work ($a vs $b)" [ -n "$a" -a "$a" != "$b" ]

# The sweep finds the pair in the registry with no edit.
python3 harness/sweep/bench.py --quick --concurrency 1,2 --workloads demo_cpu \
	--results "$SCRATCH/res" --no-report --quiet 2>"$SCRATCH/sweep.err"
rc=$?
check "sweep --workloads demo_cpu exits 0 (exit $rc: $(tail -1 "$SCRATCH/sweep.err"))" [ $rc = 0 ]
csv_rows() { # STATUS|all -> demo_cpu rows of the sweep's results.csv with it
	python3 -c '
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["workload"] == "demo_cpu"]
print(sum(sys.argv[2] in ("all", r["status"]) for r in rows))' "$SCRATCH/res/latest/results.csv" "$1" 2>/dev/null || echo 0
}
n_all=$(csv_rows all)
n_ok=$(csv_rows ok)
check "results.csv has demo_cpu rows, all ok ($n_ok ok of $n_all)" [ "$n_all" -gt 0 -a "$n_ok" = "$n_all" ]

# A registered pair with a side missing: the build stops and names the file.
rm impl_async/demo_cpu.c
make -s all >"$SCRATCH/out" 2>&1
rc=$?
check "a missing side fails the build naming it (exit $rc: $(grep -m1 'missing' "$SCRATCH/out"))" \
	sh -c "[ $rc != 0 ] && grep -q 'missing.*impl_async/demo_cpu.c' '$SCRATCH/out'"
finish
