#!/bin/sh
# test_kmem_v2.sh - kernel memory on a live cgroup v2 hierarchy, where the
# machine has one with the memory controller (a stock Debian 12): a run's
# kmem_kib is measured (cgroup-v2), as a peak (memory.peak, or sampled
# through the run), and 10,000 threads hold more kernel memory than 100.
# Where the memory controller is on cgroup v1 (a controller lives on one
# hierarchy only: mounting cgroup2 here does not bring it), it says skip:
# build/test-bin/test_memcg covers the v2 code on fixture files.
. "$(dirname "$0")/lib.sh"

v2_memory() {
	awk '$3 == "cgroup2" { print $2 }' /proc/mounts | while read -r mnt; do
		grep -qw memory "$mnt/cgroup.controllers" 2>/dev/null && { echo "$mnt"; break; }
	done
}
mnt=$(v2_memory)
if [ -z "$mnt" ] && [ "$(id -u)" = 0 ] && mkdir -p "$SCRATCH/cg2" &&
	mount -t cgroup2 none "$SCRATCH/cg2" 2>/dev/null; then
	grep -qw memory "$SCRATCH/cg2/cgroup.controllers" && mnt="$SCRATCH/cg2"
	[ -z "$mnt" ] && umount "$SCRATCH/cg2"
fi
if [ -z "$mnt" ]; then
	ok "# skip live cgroup v2: no cgroup2 hierarchy here has the memory controller ($(grep -c ' cgroup ' /proc/mounts) v1 hierarchies; test_memcg covers v2 on fixture files)"
	finish
fi
grep -q " cgroup .*memory" /proc/mounts &&
	ok "# note: a v1 memory hierarchy is mounted too; the runner prefers it"

for c in 100 10000; do
	out=$("$BIN/threads" io_sleep -c $c -n $((5 * c)) --delay-us 200 --json 2>"$SCRATCH/err")
	eval "src_$c=\$(json_field \"\$out\" mem_source) kmem_$c=\$(json_field \"\$out\" kmem_kib) how_$c=\$(json_field \"\$out\" kmem_peak)"
done
if [ "$src_100" = cgroup-v2 ]; then
	check "cgroup v2: kernel memory measured as a peak ($how_100, $kmem_100 KiB at c=100)" \
		sh -c "[ '$how_100' = memory.peak ] || [ '$how_100' = sampled ]"
	check "10,000 threads hold more kernel memory than 100 ($kmem_10000 vs $kmem_100 KiB)" \
		[ "$kmem_10000" -gt "$kmem_100" ]
else
	ok "# skip live cgroup v2: the runner measured with $src_100 (a v1 memory hierarchy first)"
fi
[ "$mnt" = "$SCRATCH/cg2" ] && umount "$SCRATCH/cg2"
finish
