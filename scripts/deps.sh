#!/bin/sh
# deps.sh - install what building, testing and benchmarking need, if missing.
#
# As root it runs apt-get itself; otherwise it prints the exact command and
# fails, so `make bench` and `make test` never half-work on a bare machine.
set -eu

missing=""
need() { # need PACKAGE TEST-COMMAND...
	pkg=$1
	shift
	if ! "$@" >/dev/null 2>&1; then
		missing="$missing $pkg"
	fi
}

need gcc command -v cc
need make command -v make
need pkg-config command -v pkg-config
need libevent-dev pkg-config --exists libevent
need liburing-dev pkg-config --exists liburing
need libcmocka-dev test -f /usr/include/cmocka.h
need hyperfine command -v hyperfine
need gnuplot-nox command -v gnuplot
need python3 command -v python3
need procps command -v pgrep
need util-linux command -v prlimit
if [ "${1:-}" = sanitize ]; then # make sanitize, make fuzz
	need clang command -v clang
	# shellcheck disable=SC2016 # expanded by the inner sh
	need libclang-rt-14-dev sh -c \
		'test -f "$(clang -print-runtime-dir)/libclang_rt.fuzzer-$(uname -m).a"'
	need valgrind command -v valgrind
fi

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
