#!/bin/sh
# deps.sh - install what building, testing and benchmarking need, if missing.
#
# As root it runs apt-get itself; otherwise it prints the exact command and
# fails, so `make bench` and `make test` never half-work on a bare machine.
# Each check is of the thing itself (a command on PATH, a header, a .pc
# file), never of what apt says is installed, and every check runs again
# after apt-get: a package that installed but left a command off PATH is
# still missing, said in one line (exit 1).
set -eu
MODE=${1:-}
ROOT=${0%/*}/.. # no dirname: a test runs this with a PATH of a few commands

# deb_for PKGCONFIG-NAME: the Debian package that ships that .pc file.
deb_for() {
	case $1 in
	libevent | libevent_pthreads) echo libevent-dev ;;
	liburing) echo liburing-dev ;;
	hiredis) echo libhiredis-dev ;;
	zlib) echo zlib1g-dev ;;
	lib*) echo "$1-dev" ;;
	*) echo "lib$1-dev" ;;
	esac
}
if [ "$MODE" = --package ]; then # make: which package has library $2
	deb_for "$2"
	exit 0
fi

# The libraries the registries declare: models.def's "libs" field and the
# /* libs: ... */ comments of workloads.def.
registry_libs() {
	command -v sed >/dev/null 2>&1 || return 0 # no sed: gcc's check names the gap
	sed -n 's/^MODEL( *[^,]*, *[a-z0-9_]*, *[a-z0-9_]*, *"\([^"]*\)".*/\1/p' "$ROOT/harness/models.def"
	sed -n 's|^WORKLOAD([^)]*) */\* *libs: *\([^*]*\)\*/.*|\1|p' "$ROOT/workloads/workloads.def"
}

missing=""
need() { # need PACKAGE TEST-COMMAND...
	pkg=$1
	shift
	if ! "$@" >/dev/null 2>&1; then
		case " $missing " in
		*" $pkg "*) ;; # named once, whatever it lacks
		*) missing="$missing $pkg" ;;
		esac
	fi
}

check_all() { # sets $missing to the packages whose check fails
missing=""
need gcc command -v cc
need make command -v make
need pkg-config command -v pkg-config
need libevent-dev pkg-config --exists libevent
for lib in $(registry_libs); do
	need "$(deb_for "$lib")" pkg-config --exists "$lib"
done
need libcmocka-dev test -f /usr/include/cmocka.h
need libhttp-parser-dev test -f /usr/include/http_parser.h # serve mode's HTTP (no .pc file)
need hyperfine command -v hyperfine
need wrk command -v wrk # the serve section's independent check on bin/load (serve.py)
need gnuplot-nox command -v gnuplot
need python3 command -v python3
need redis-server command -v redis-server # redis_get's server, started by each run itself
need procps command -v pgrep
need util-linux command -v prlimit
need util-linux command -v taskset
need iproute2 command -v ip # ip netns: tests/test_two_hosts.sh's two hosts
if [ "$MODE" = audit ]; then # make audit: its counters (perf, else strace)
	need linux-perf command -v perf
	need strace command -v strace
fi
if [ "$MODE" = sanitize ]; then # make sanitize, make fuzz
	need clang command -v clang
	# shellcheck disable=SC2016 # expanded by the inner sh
	need libclang-rt-14-dev sh -c \
		'test -f "$(clang -print-runtime-dir)/libclang_rt.fuzzer-$(uname -m).a"'
	need valgrind command -v valgrind
fi
if [ "$MODE" = web ]; then # tests/test_web.sh: index.html loaded in a real browser
	need chromium command -v chromium
fi
if [ "$MODE" = fleet ]; then # tests/test_fleet.sh: a Slurm cluster of its own on this machine
	need slurm-wlm command -v slurmctld
	need slurm-wlm command -v slurmd
	need slurm-wlm command -v sbatch
	need munge command -v munged
fi
}

check_all
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing:$missing" >&2
	echo "deps: run this, then try again:  sudo apt-get update && sudo $cmd" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
check_all
if [ -n "$missing" ]; then
	echo "deps: still missing after apt-get install:$missing (installed, but not on PATH=$PATH?)" >&2
	exit 1
fi
