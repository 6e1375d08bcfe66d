# backend_lib.sh - start a bin/backend on a free port, for the shell tests.
# Source it; it defines start_backend only.

# start_backend BIN_DIR WORK_DIR [WRAPPER...]: run WRAPPER... BIN_DIR/backend
# on port 0 in the background, wait (up to 10 s) for its ready line, and set
# BPID (the background job) and PORT (empty if it never became ready).
# BACKEND_OPTS, if set, are more backend options (split on spaces).
start_backend() {
	_dir=$1
	_work=$2
	shift 2
	# shellcheck disable=SC2086 # BACKEND_OPTS is a word list
	"$@" "$_dir/backend" --port 0 ${BACKEND_OPTS:-} >"$_work/ready" 2>>"$_work/backend.err" &
	BPID=$!
	for _ in $(seq 100); do
		grep -q ready "$_work/ready" 2>/dev/null && break
		sleep 0.1
	done
	PORT=$(sed -n 's/^backend: ready on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$_work/ready")
	rm -f "$_work/ready"
}
