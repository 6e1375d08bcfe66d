#!/bin/sh
# test_models_big.sh - test_models.sh's equal-work check at c = 10,000: every
# I/O pair that the sweep takes that far (not a pair with a max_c of its own:
# mixed's and file_read's 1,024; not a redis pair, whose 10,000 connections
# are tested on one loop in test_real_peers.sh) on every
# model, 10,000 threads, coroutines or connections at once, every task done
# and one checksum across the models.  A few seconds of thread and connection
# set-up per model: in `make test-long`.
# tvsa: long -- 10,000 threads, coroutines and connections on every model, ~15 s
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/models_lib.sh"

BIG=10000

big_levels() { # WORKLOAD KIND
	[ "$2" = io ] && [ "$(pair_field "$1" max_c)" = 0 ] &&
		[ "$(pair_field "$1" peer)" != redis ] && echo $BIG
}
pair_checks big_levels
finish
