# Threads vs async, side by side.  `make help` lists the targets.
#
# Required flags are appended after the user's CFLAGS so they cannot be lost;
# `make V=1` shows the commands.  Two registries drive the build, so neither
# a new pair nor a new model needs an edit here:
#   workloads/workloads.def  WORKLOAD(name) per pair; a comment on the line,
#                            /* libs: zlib */, names the pkg-config libraries
#                            the pair links (into every model binary);
#   harness/models.def       MODEL(name, binary, style, "libs", ...) per model:
#                            bin/BINARY is built from its runtime
#                            (impl_*/BINARY.c, impl_*/BINARY_*.c) and that
#                            folder's helpers,
#                            the pairs of its code style (impl_STYLE/NAME.c and
#                            that folder's helpers), and links "libs".

CC ?= cc
PKG_CONFIG ?= pkg-config
PYTHON ?= python3
CFLAGS ?= -O2 -g
BUILD ?= build
BIN ?= bin

WARN := -std=c11 -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes
DEFS := -D_GNU_SOURCE
LIBS_M := -lm
# The runner's own library without a pkg-config file: Debian's
# libhttp-parser-dev ships none.  Serve mode's HTTP (harness/runtime/http.c)
# is in every model binary; check-libs names the package when the header is
# missing.
LIBS_RUNNER := -lhttp_parser
RUNNER_HEADERS := http_parser.h:libhttp-parser-dev

ifeq ($(V),1)
Q :=
else
Q := @
endif

# ---- the registries ----------------------------------------------------------
WORKLOADS_DEF := workloads/workloads.def
MODELS_DEF := harness/models.def
OPEN := (
CLOSE := )
PAIRS := $(shell sed -n 's/^WORKLOAD(\([A-Za-z_][A-Za-z0-9_]*\)).*/\1/p' $(WORKLOADS_DEF))
PAIR_PKGS := $(sort $(shell sed -n 's|^WORKLOAD$(OPEN)[A-Za-z0-9_]*$(CLOSE) */\* *libs: *\([^*]*\)\*/.*|\1|p' $(WORKLOADS_DEF)))
# One word per model line: BINARY:STYLE:LIB+LIB
MODEL_ROWS := $(shell sed -n 's/^MODEL$(OPEN) *[^,]*, *\([a-z0-9_]*\), *\([a-z0-9_]*\), *"\([^"]*\)".*/\1:\2:\3/p' $(MODELS_DEF) | tr ' ' '+')
BINARIES := $(sort $(foreach r,$(MODEL_ROWS),$(firstword $(subst :, ,$(r)))))
rows_of = $(filter $(1):%,$(MODEL_ROWS))
style_of = $(word 2,$(subst :, ,$(firstword $(call rows_of,$(1)))))
pkgs_of = $(sort $(PAIR_PKGS) $(foreach r,$(call rows_of,$(1)),$(subst +, ,$(word 3,$(subst :, ,$(r))))))
STYLES := $(sort $(foreach b,$(BINARIES),$(call style_of,$(b))))
ifeq ($(BINARIES),)
$(error $(MODELS_DEF): no MODEL(...) line could be read)
endif

# A pair with a missing side fails here, naming the file, not deep in a link.
PAIR_FILES := $(foreach p,$(PAIRS),workloads/$(p).c workloads/$(p).h $(STYLES:%=impl_%/$(p).c))
MISSING := $(filter-out $(wildcard $(PAIR_FILES)),$(PAIR_FILES))
ifneq ($(MISSING),)
$(error workload pair incomplete: missing $(MISSING) (each line of $(WORKLOADS_DEF) needs workloads/NAME.c, workloads/NAME.h and $(STYLES:%=impl_%/NAME.c)))
endif
MISSING_RT := $(strip $(foreach b,$(BINARIES),$(if $(wildcard impl_*/$(b).c),,impl_*/$(b).c)))
ifneq ($(MISSING_RT),)
$(error $(MODELS_DEF) names a binary without its runtime: no $(MISSING_RT))
endif

# ---- what each program is made of -----------------------------------------------
# A binary's runtime is impl_*/BINARY.c and impl_*/BINARY_*.c, in whichever
# runtime folder holds it (impl_green/ holds green's and uring's: they share
# its coroutines).  helpers_of DIR: the folder's other files, less any pair
# file (named like a workload): shared by every binary that uses the folder.
rt_dir = $(patsubst %/,%,$(dir $(firstword $(wildcard impl_*/$(1).c))))
RT_FILES = $(foreach b,$(BINARIES),$(wildcard impl_*/$(b).c impl_*/$(b)_*.c))
helpers_of = $(filter-out $(RT_FILES) $(patsubst workloads/%.c,$(1)/%.c,$(wildcard workloads/*.c)),$(wildcard $(1)/*.c))
# The runtime every model binary links: the runner, the clock window, the
# histograms, figures, options, sockets, the backend spawner, the cgroup.
RUNNER_SRC := $(wildcard harness/runtime/runner*.c)
# EVBASE_SRC: the libevent helpers (the precise base, the sleep queues'
# libevent driver), linked only by the programs that use libevent;
# SLEEPQ_SRC, the sleep queues' core, is in every model binary's runtime
# (libevent's and io_uring's drivers share it) and beside EVBASE_SRC.
EVBASE_SRC := harness/runtime/evbase.c harness/runtime/evsleep.c
SLEEPQ_SRC := harness/runtime/sleepq.c
RUNTIME_SRC := $(filter-out $(RUNNER_SRC) $(EVBASE_SRC),$(wildcard harness/runtime/*.c))
WORKLOAD_SRC := workloads/registry.c workloads/wire.c $(PAIRS:%=workloads/%.c)
# model_src BINARY: its runtime, its style's pairs and helpers.
model_src = $(wildcard $(call rt_dir,$(1))/$(1).c $(call rt_dir,$(1))/$(1)_*.c) \
	$(call helpers_of,$(call rt_dir,$(1))) \
	$(if $(filter-out $(call rt_dir,$(1)),impl_$(call style_of,$(1))),$(call helpers_of,impl_$(call style_of,$(1)))) \
	$(PAIRS:%=impl_$(call style_of,$(1))/%.c) \
	$(if $(filter libevent,$(call pkgs_of,$(1))),$(EVBASE_SRC))
BACKEND_SRC := $(wildcard harness/backend/*.c) harness/runtime/cli.c harness/runtime/util.c \
	$(EVBASE_SRC) $(SLEEPQ_SRC) workloads/wire.c
# calibrate times switches through the green runtime itself: its scheduler's
# core and its libevent waits (and what those call), not a copy of them.
CALIBRATE_SRC := $(wildcard harness/calibrate/*.c) harness/runtime/hist.c harness/runtime/stats.c \
	harness/runtime/util.c harness/runtime/cli.c $(EVBASE_SRC) $(SLEEPQ_SRC) workloads/cpu_hash.c \
	workloads/wire.c impl_green/coro.c impl_green/sched_core.c impl_green/green.c \
	impl_green/green_watch.c \
	harness/runtime/net.c impl_threads/fileio.c impl_threads/block_ready.c

# bin/load, the serve sweep's load generator: its folder, the histograms and
# the option helpers; HTTP through libhttp-parser (no .pc file: linked by name).
LOAD_SRC := $(wildcard harness/load/*.c) harness/runtime/hist.c harness/runtime/cli.c \
	harness/runtime/util.c

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
RUNTIME_OBJ := $(call obj,$(RUNTIME_SRC) $(WORKLOAD_SRC))
# Every binary: its objects and its pkg-config libraries, for the one link rule.
$(foreach b,$(BINARIES),$(eval OBJ_$(b) := $(call obj,$(RUNNER_SRC)) $(RUNTIME_OBJ) $(call obj,$(call model_src,$(b)))))
$(foreach b,$(BINARIES),$(eval PKGS_$(b) := $(call pkgs_of,$(b))))
OBJ_backend := $(call obj,$(BACKEND_SRC))
PKGS_backend := libevent
OBJ_calibrate := $(call obj,$(CALIBRATE_SRC))
PKGS_calibrate := libevent
OBJ_load := $(call obj,$(LOAD_SRC))
LIBS_load := $(LIBS_RUNNER)
PROGRAMS := $(BINARIES) backend calibrate load
ALL_PKGS := $(sort $(foreach p,$(PROGRAMS),$(PKGS_$(p))))

# Headers of every library any program uses; each program links only its own.
PKG_CFLAGS := $(if $(ALL_PKGS),$(shell $(PKG_CONFIG) --cflags $(ALL_PKGS) 2>/dev/null))
pkg_libs = $(if $(1),$(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null))
ALL_CFLAGS = $(CFLAGS) $(WARN) $(DEFS) $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) -pthread

TEST_NAMES := test_hist test_cli test_workloads test_wire test_evsleep test_sleepq \
	test_hooks_green test_hooks_uring test_memcg
TEST_BINS := $(TEST_NAMES:%=$(BUILD)/test-bin/%)

.PHONY: all deps test check test-long check-all bench bench-rate bench-serve audit plots report \
	clean help new-workload compare check-libs FORCE fleet fleet-status matrix

all: $(PROGRAMS:%=$(BIN)/%)

# The objects are intermediate files of the link rule below, which make
# deletes when it is done: the next make (`make bench QUICK=1` after `make
# bench`) built 37 of them again.  Kept.
.SECONDARY:

# bench and test build with a job per CPU (a fresh clone's build: 5 s -> ~3 s
# on 2 cores, part of `make bench QUICK=1`'s 45 s).
JOBS := $(shell nproc 2>/dev/null || echo 2)

# The one link rule: bin/PROGRAM from OBJ_PROGRAM, linking PKGS_PROGRAM.
.SECONDEXPANSION:
$(BIN)/%: $$(OBJ_%) $(BUILD)/flags | $(BIN)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(call pkg_libs,$(PKGS_$*)) \
		$(if $(filter $(BINARIES),$*),$(LIBS_RUNNER)) $(LIBS_$*) $(LIBS_M)

# A change of compiler or flags rebuilds everything: the objects depend on a
# file holding them, rewritten only when they change.
FLAGS_TEXT = $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)
$(BUILD)/flags: FORCE
	@mkdir -p $(BUILD)
	@printf '%s\n' '$(subst ','\'',$(FLAGS_TEXT))' >$@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv $@.new $@; fi

# A library missing from this machine is named with the package that has it,
# before any compiler error.
check-libs:
	@for l in $(ALL_PKGS); do $(PKG_CONFIG) --exists $$l 2>/dev/null || { \
		echo "make: library '$$l' not found (pkg-config): apt-get install $$(scripts/deps.sh --package $$l)" >&2; \
		exit 1; }; done
	@for hp in $(RUNNER_HEADERS); do h=$${hp%%:*}; \
		printf '#include <%s>\n' "$$h" | $(CC) $(CFLAGS) -E -x c - >/dev/null 2>&1 || { \
		echo "make: header '$$h' not found: apt-get install $${hp#*:}" >&2; exit 1; }; done

$(BUILD)/%.o: %.c $(BUILD)/flags | check-libs
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Unit tests (cmocka) link the pieces they test and nothing else; a test
# that links the pairs (test_workloads) links their libraries too.
$(BUILD)/test-bin/test_hist: $(call obj,tests/test_hist.c harness/runtime/hist.c)
$(BUILD)/test-bin/test_cli: $(call obj,tests/test_cli.c harness/runtime/cli.c)
$(BUILD)/test-bin/test_workloads: $(call obj,tests/test_workloads.c) $(RUNTIME_OBJ)
$(BUILD)/test-bin/test_wire: $(call obj,tests/test_wire.c workloads/wire.c)
$(BUILD)/test-bin/test_workloads: TEST_LIBS = $(call pkg_libs,$(PAIR_PKGS)) $(LIBS_RUNNER)
$(BUILD)/test-bin/test_evsleep: $(call obj,tests/test_evsleep.c $(EVBASE_SRC) $(SLEEPQ_SRC))
$(BUILD)/test-bin/test_evsleep: TEST_LIBS = $(call pkg_libs,libevent)
$(BUILD)/test-bin/test_sleepq: $(call obj,tests/test_sleepq.c $(SLEEPQ_SRC))
# test_hooks: the hooks on one loop of each coroutine backend (one per binary);
# the scheduler's core sleeps through the sleep queues, so both link them.
HOOKS_TEST_SRC := tests/test_hooks.c tests/hooks_rig.c impl_green/coro.c impl_green/sched_core.c \
	impl_green/hook.c impl_green/hook_io.c impl_threads/block_ready.c impl_threads/fileio.c \
	harness/runtime/net.c $(SLEEPQ_SRC)
$(BUILD)/test-bin/test_hooks_green: $(call obj,$(HOOKS_TEST_SRC) impl_green/green.c \
	impl_green/green_watch.c $(EVBASE_SRC))
$(BUILD)/test-bin/test_hooks_green: TEST_LIBS = $(call pkg_libs,libevent)
$(BUILD)/test-bin/test_hooks_uring: $(call obj,$(HOOKS_TEST_SRC) impl_green/uring.c)
$(BUILD)/test-bin/test_hooks_uring: TEST_LIBS = $(call pkg_libs,liburing)
$(BUILD)/test-bin/test_memcg: $(call obj,tests/test_memcg.c harness/runtime/memcg.c harness/runtime/stats.c)
$(TEST_BINS):
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka $(TEST_LIBS) $(LIBS_M)

$(BIN):
	@mkdir -p $@

# deps: install what is missing (apt-get as root), else print the command.
deps:
	@scripts/deps.sh

# test (= check): the fast suite, within README's time on a quiet 2-core
# machine: the unit tests, then every tests/test_*.sh without the line
# "# tvsa: long".  test-long: the tests with it (the big sweeps, the fault,
# fleet, two-host, audit and open-loop tests).  check-all: both in one count.
# CI runs test, test-long and sanitize.  The rule and the list: tests/run.sh.
# Each one's last line of output is "N passed, N failed".
test check: deps
	@$(MAKE) --no-print-directory -s -j$(JOBS) all $(TEST_BINS)
	@tests/run.sh $(TEST_BINS)

test-long: deps
	@$(MAKE) --no-print-directory -s -j$(JOBS) all
	@tests/run.sh --long

check-all: deps
	@$(MAKE) --no-print-directory -s -j$(JOBS) all $(TEST_BINS)
	@tests/run.sh --all $(TEST_BINS)

# sanitize: the tests again under ASan+UBSan, TSan and valgrind, and the fuzz
# corpora and regressions replayed (tests/sanitize.sh).  Each build has its
# own BUILD and BIN under $(BUILD)/, so bin/ is never touched.  fuzz: every
# libFuzzer target for FUZZ_SECONDS from tests/fuzz/corpus/NAME/; new inputs
# and crashes go to fuzz-out/NAME/ (git-ignored).  Both need clang (SAN_CC).
SAN_CC ?= clang
SAN_CFLAGS := -O1 -g -fno-omit-frame-pointer
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
TSAN_FLAGS := -fsanitize=thread
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS ?= 30
FUZZ_MAX_LEN ?= 8448
FUZZ_NAMES := wire cli http
FUZZ_BINS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
SUB_MAKE = $(MAKE) --no-print-directory $(if $(filter 1,$(V)),,-s)
SAN_MAKE = $(SUB_MAKE) CC='$(SAN_CC)'

.PHONY: sanitize fuzz

sanitize:
	@scripts/deps.sh sanitize
	@$(SAN_MAKE) BUILD=$(BUILD)/asan BIN=$(BUILD)/asan/bin \
		CFLAGS='$(SAN_CFLAGS) $(ASAN_FLAGS)' LDFLAGS='$(ASAN_FLAGS)' \
		all $(TEST_NAMES:%=$(BUILD)/asan/test-bin/%)
	@$(SAN_MAKE) BUILD=$(BUILD)/tsan BIN=$(BUILD)/tsan/bin \
		CFLAGS='$(SAN_CFLAGS) $(TSAN_FLAGS)' LDFLAGS='$(TSAN_FLAGS)' all
	@$(SUB_MAKE) BUILD=$(BUILD)/valgrind BIN=$(BUILD)/valgrind/bin all
	@$(SUB_MAKE) $(FUZZ_BINS)
	@tests/sanitize.sh $(BUILD)

fuzz:
	@scripts/deps.sh sanitize
	@$(SUB_MAKE) $(FUZZ_BINS)
	@tests/fuzz/run.sh $(BUILD)/fuzz '$(FUZZ_SECONDS)' '$(FUZZ_MAX_LEN)' $(FUZZ_NAMES)

$(BUILD)/fuzz/fuzz_wire: tests/fuzz/fuzz_wire.c workloads/wire.c workloads/wire.h
$(BUILD)/fuzz/fuzz_cli: tests/fuzz/fuzz_cli.c harness/runtime/cli.c harness/runtime/cli.h
$(BUILD)/fuzz/fuzz_http: tests/fuzz/fuzz_http.c harness/runtime/http.c harness/runtime/http.h
$(BUILD)/fuzz/fuzz_http: FUZZ_LIBS = $(LIBS_RUNNER)
$(FUZZ_BINS):
	@mkdir -p $(dir $@)
	@echo "  FUZZ-LD $@"
	$(Q)$(SAN_CC) $(SAN_CFLAGS) $(FUZZ_FLAGS) $(WARN) $(DEFS) -o $@ $(filter %.c,$^) $(FUZZ_LIBS)

# bench: the default sweep (QUICK=1: a small one).  CONCURRENCY=1,8,64 and
# WORKLOADS=a,b narrow it; OUT=dir puts the run elsewhere than results/.
# The values reach the sweep from the environment (make exports command-line
# variables), never pasted into the shell command, so no quote in them can
# break or inject into it; a variable given empty is passed on, and refused.
# PIN=split puts the run's backend on its own CPU and the model on the rest
# (the sweep checks the value).  ONECPU=0 skips the one-CPU section
# (harness/sweep/onecpu.py), ONECPU=1 runs it in a QUICK sweep too.  BACKEND=HOST:PORT runs the pairs that use a
# backend against a bin/backend on another host (the sweep probes it before
# anything runs).  TIMER_SLACK_NS=N gives every model run the timer slack N
# ns (--timer-slack-ns); without it each run inherits the platform's, and
# records the slack in force either way.  BENCH_CFLAGS and BENCH_CC tell the sweep's meta.json the
# flags the binaries are built with.
given = $(filter-out undefined default,$(origin $(1)))
on = $(filter-out 0,$(strip $(1)))
# The switches take 1 or 0 (or nothing): QUICK=yes or RATE=x was taken as
# "on" (or ignored) without a word.  bad_switch: the first given otherwise;
# its value is printed from the environment (make exports command-line
# variables), never pasted into the shell command.  One line, exit 2.
SWITCHES := QUICK QUIET RATE ONECPU SERVE
bad_switch = $(firstword $(foreach v,$(SWITCHES),$(if $(call given,$(v)),$(if $(filter-out 0 1,$(strip $($(v)))),$(v)))))
check_switches = $(if $(bad_switch),@printf 'make %s: %s=%s: give 1 or 0\n' '$@' '$(bad_switch)' "$$$(bad_switch)" >&2; exit 2)
bench bench-rate bench-serve: export BENCH_CFLAGS = $(strip $(CFLAGS) $(WARN) $(DEFS) $(PKG_CFLAGS))
# The command as given, for meta.json and the report (harness/sweep/provenance.py):
# the goal and the names of the variables given; their values the sweep reads
# from the environment, as above.
BENCH_VARS := QUICK CONCURRENCY WORKLOADS MODELS RUNS SLOTS LOADS QUIET RATE ONECPU SERVE \
	LOAD_HOST PIN BACKEND TIMER_SLACK_NS OUT
bench bench-rate bench-serve: export TVSA_MAKE_GOAL = $@
bench bench-rate bench-serve: export TVSA_MAKE_VARS = $(foreach v,$(BENCH_VARS),$(if $(call given,$(v)),$(v)))
bench bench-rate bench-serve: export CC := $(CC)
bench: deps
	$(check_switches)
	@$(MAKE) --no-print-directory -s -j$(JOBS) all
	@$(PYTHON) harness/sweep/bench.py $(if $(call on,$(QUICK)),--quick) \
		$(if $(call given,CONCURRENCY),--concurrency "$$CONCURRENCY") \
		$(if $(call given,WORKLOADS),--workloads "$$WORKLOADS") \
		$(if $(call given,MODELS),--models "$$MODELS") \
		$(if $(call given,RUNS),--runs "$$RUNS") \
		$(if $(call on,$(QUIET)),--quiet) \
		$(if $(filter 0,$(strip $(RATE))),--no-rate) \
		$(if $(filter 1,$(strip $(RATE))),--rate) \
		$(if $(filter 0,$(strip $(ONECPU))),--no-onecpu) \
		$(if $(filter 1,$(strip $(ONECPU))),--onecpu) \
		$(if $(filter 0,$(strip $(SERVE))),--no-serve) \
		$(if $(call given,LOAD_HOST),--load-host "$$LOAD_HOST") \
		$(if $(call given,PIN),--pin "$$PIN") \
		$(if $(call given,BACKEND),--backend "$$BACKEND") \
		$(if $(call given,TIMER_SLACK_NS),--timer-slack-ns "$$TIMER_SLACK_NS") \
		$(if $(call given,OUT),--results "$$OUT")

# bench-serve: the serve section alone (harness/sweep/serve.py): every model
# as an HTTP server under bin/load, into results/serve-<id>/
# (results/latest-serve).  make bench runs it too (SERVE=0: not).
bench-serve: deps
	$(check_switches)
	@$(MAKE) --no-print-directory -s -j$(JOBS) all
	@$(PYTHON) harness/sweep/bench_serve.py $(if $(call on,$(QUICK)),--quick) \
		$(if $(call given,WORKLOADS),--workloads "$$WORKLOADS") \
		$(if $(call given,MODELS),--models "$$MODELS") \
		$(if $(call on,$(QUIET)),--quiet) \
		$(if $(call given,LOAD_HOST),--load-host "$$LOAD_HOST") \
		$(if $(call given,PIN),--pin "$$PIN") \
		$(if $(call given,TIMER_SLACK_NS),--timer-slack-ns "$$TIMER_SLACK_NS") \
		$(if $(call given,OUT),--results "$$OUT")

# bench-rate: the open-loop sweep alone (harness/sweep/open_loop.py): each
# model's closed-loop capacity, then latency at LOADS percent of it, into
# results/rate-<id>/ (results/latest-rate).  make bench runs it too (RATE=0:
# not), into the main run's folder.
bench-rate: deps
	$(check_switches)
	@$(MAKE) --no-print-directory -s -j$(JOBS) all
	@$(PYTHON) harness/sweep/bench_rate.py $(if $(call on,$(QUICK)),--quick) \
		$(if $(call given,WORKLOADS),--workloads "$$WORKLOADS") \
		$(if $(call given,MODELS),--models "$$MODELS") \
		$(if $(call given,SLOTS),--slots "$$SLOTS") \
		$(if $(call given,LOADS),--loads "$$LOADS") \
		$(if $(call given,RUNS),--runs "$$RUNS") \
		$(if $(call on,$(QUIET)),--quiet) \
		$(if $(call given,PIN),--pin "$$PIN") \
		$(if $(call given,BACKEND),--backend "$$BACKEND") \
		$(if $(call given,TIMER_SLACK_NS),--timer-slack-ns "$$TIMER_SLACK_NS") \
		$(if $(call given,OUT),--results "$$OUT")

# audit: each model's system calls per task, by name, on each pair at a few
# levels (harness/sweep/syscall_audit.py), into results/audit-<id>/
# (syscalls.csv, audit.md; results/latest-audit).  WORKLOADS=, MODELS=,
# CONCURRENCY=, TIMER_SLACK_NS=, OUT=, QUIET=1 as for bench; the values reach it from the
# environment, never pasted into the shell command.
audit: deps
	@scripts/deps.sh audit
	@$(MAKE) --no-print-directory -s -j$(JOBS) all
	@$(PYTHON) harness/sweep/audit.py \
		$(if $(call given,CONCURRENCY),--concurrency "$$CONCURRENCY") \
		$(if $(call given,WORKLOADS),--workloads "$$WORKLOADS") \
		$(if $(call given,MODELS),--models "$$MODELS") \
		$(if $(call on,$(QUIET)),--quiet) \
		$(if $(call given,TIMER_SLACK_NS),--timer-slack-ns "$$TIMER_SLACK_NS") \
		$(if $(call given,OUT),--results "$$OUT")

# fleet: the bench on a Slurm cluster (harness/fleet/, docs/fleet.md): one
# exclusive job per machine, PARTITIONS=alpha,beta:2 (a partition each, :2 a
# second node for the backend) and/or NODELISTS='n[1-2] n3', REPLICAS=N jobs
# each, every one running make bench into OUT/LABEL/ with the variables
# bench takes; then one line per job with its state and its sweep's ETA
# until all end (WAIT=0: submit and return; make fleet-status DIR=OUT
# follows them again).  SBATCH_ARGS adds sbatch options (--time=2:00:00).
# Every value reaches fleet.py from the environment, as for bench.
fleet:
	@$(PYTHON) harness/fleet/fleet.py submit $(if $(call given,OUT),--out "$$OUT") \
		$(if $(call given,PARTITIONS),--partitions "$$PARTITIONS") \
		$(if $(call given,NODELISTS),--nodelists "$$NODELISTS") \
		$(if $(call given,REPLICAS),--replicas "$$REPLICAS") \
		$(if $(call given,SBATCH_ARGS),--sbatch-args "$$SBATCH_ARGS") \
		$(if $(call given,BACKEND),--backend "$$BACKEND") \
		$(if $(filter 0,$(strip $(WAIT))),--no-wait) \
		$(if $(call on,$(QUIET)),--quiet) \
		$(if $(call on,$(QUICK)),--quick) \
		$(if $(call given,CONCURRENCY),--concurrency "$$CONCURRENCY") \
		$(if $(call given,WORKLOADS),--workloads "$$WORKLOADS") \
		$(if $(call given,MODELS),--models "$$MODELS") \
		$(if $(call given,RUNS),--runs "$$RUNS") \
		$(if $(call given,RATE),--rate "$$RATE") \
		$(if $(call given,ONECPU),--onecpu "$$ONECPU") \
		$(if $(call given,SERVE),--serve "$$SERVE") \
		$(if $(call given,PIN),--pin "$$PIN") \
		$(if $(call given,TIMER_SLACK_NS),--timer_slack_ns "$$TIMER_SLACK_NS")

fleet-status:
	@if [ -z "$$DIR" ]; then \
		echo "make fleet-status: give the fleet's folder: make fleet-status DIR=/shared/results" >&2; \
		exit 2; fi
	@$(PYTHON) harness/fleet/fleet.py status "$$DIR" $(if $(filter 0,$(strip $(WAIT))),--no-wait)

# matrix: the machines side by side (scripts/matrix/): DIR=a fleet's OUT (its
# jobs, complete or not) and/or RUNS=dir1,dir2 (run folders); written to
# OUT=dir, else DIR/matrix/, else results/matrix/.
matrix:
	@$(PYTHON) scripts/matrix/matrix.py $(if $(call given,DIR),--dir "$$DIR") \
		$(if $(call given,RUNS),--runs "$$RUNS") $(if $(call given,OUT),--out "$$OUT")

# plots/report: redraw the plots and rewrite report.md of a run (RUN=dir,
# default results/latest) from its results.csv; both rewrite index.html, the
# report as a web page with its figures inline (plots: from the report.md
# there is, its figures redrawn).
plots:
	@$(PYTHON) scripts/report/report.py --plots-only $(if $(RUN),'$(RUN)',results/latest)

report:
	@$(PYTHON) scripts/report/report.py $(if $(RUN),'$(RUN)',results/latest)

# compare: A=run-folder B=run-folder, what changed from A to B beyond the
# runs' noise (scripts/report/compare.py).  A and B come from the environment
# like NAME and KIND below, so no quoting in them can reach the shell.
compare:
	@if [ -z "$$A" ] || [ -z "$$B" ]; then \
		echo "make compare: give two run folders: make compare A=results/<run-id> B=results/latest" >&2; \
		exit 2; fi
	@$(PYTHON) scripts/report/compare_runs.py "$$A" "$$B"

# new-workload: NAME=foo KIND=cpu|io|multi [LIBS=zlib] writes a working
# pair from scripts/templates/KIND/ and registers it (with its libraries);
# the compile check it runs uses these flags.  NAME, KIND and LIBS come from
# the environment (make exports command-line variables), so no quoting in
# them can reach the shell.
new-workload:
	@CC='$(CC)' NW_CFLAGS='$(WARN) $(DEFS) $(PKG_CFLAGS)' \
		sh scripts/new_workload.sh "$$NAME" "$$KIND" "$$LIBS"

clean:
	rm -rf $(BUILD) $(BIN)

# help: the targets, then the models from their registry (harness/models.def).
MODELS_DEF ?= harness/models.def
help:
	@echo "Threads vs async, side by side.  Targets:"
	@echo "  make (= make all)"
	@echo "                  build every model binary (bin/threads, bin/async, bin/green,"
	@echo "                  bin/uring: harness/models.def), bin/backend, bin/calibrate"
	@echo "                  (bin/calibrate [--quick]: this machine's floor, as CSV)"
	@echo "  make bench      install what is missing, build, run the default sweep,"
	@echo "                  plot, write results/<run-id>/report.md and index.html (the"
	@echo "                  report as a web page, figures inline: open it from disk)"
	@echo "                  QUICK=1            a small look: the six models the verdicts compare,"
	@echo "                                     2-4 levels a pair, a lean serve section, no"
	@echo "                                     one-CPU or open-loop section (ONECPU=1, RATE=1"
	@echo "                                     add them; SERVE=0 drops the serve section)"
	@echo "                  CONCURRENCY=1,8,64 these concurrency levels only"
	@echo "                  WORKLOADS=a,b      these workload pairs only"
	@echo "                  MODELS=a,b         these models only (harness/models.def)"
	@echo "                  RUNS=N             rounds per point, each model once a round (default 5,"
	@echo "                                     fewer where 5 take over 12 s; fixed before the first)"
	@echo "                  OUT=dir            results folder (default results/)"
	@echo "                  QUIET=1            no progress lines (CI)"
	@echo "                  RATE=0             skip the open-loop sweep at the end (RATE=1:"
	@echo "                                     run it in a QUICK sweep too)"
	@echo "                  ONECPU=0           skip the one-CPU section (some points again,"
	@echo "                                     each model confined to one CPU; ONECPU=1:"
	@echo "                                     run it in a QUICK sweep too)"
	@echo "                  PIN=split          the backend on its own CPU, the model on the"
	@echo "                                     rest (default: both unpinned on all CPUs)"
	@echo "                  BACKEND=HOST:PORT  the pairs with a backend use a bin/backend"
	@echo "                                     on another host (bin/backend --bind ADDR"
	@echo "                                     --port PORT there); the others run here"
	@echo "                  SERVE=0            skip the serve section (every model as an"
	@echo "                                     HTTP server under bin/load: connections,"
	@echo "                                     1% active, offered rates; bench-serve below;"
	@echo "                                     QUICK runs its lean form: io_sleep, 1 and"
	@echo "                                     1,000 connections)"
	@echo "                  LOAD_HOST=NETNS:ADDR  the serve section's bin/load in network"
	@echo "                                     namespace NETNS, the servers bound to ADDR"
	@echo "                  TIMER_SLACK_NS=N   every model run's timer slack, N ns (default:"
	@echo "                                     the platform's, inherited; recorded per run)"
	@echo "  make bench-rate the open-loop sweep alone: latency (p50/p99/p99.9) against"
	@echo "                  offered load, 10%..120% of each model's capacity, on mixed"
	@echo "                  QUICK=1 WORKLOADS= MODELS= RUNS= OUT= QUIET=1 PIN= BACKEND="
	@echo "                  TIMER_SLACK_NS= as above"
	@echo "                  SLOTS=64           open-loop slots, top closed-loop level"
	@echo "                  LOADS=10,50,90     percentages of capacity"
	@echo "  make bench-serve the serve section alone: each model serving io_sleep,"
	@echo "                  io_backend, redis_get, file_read over HTTP/1.1 to bin/load,"
	@echo "                  into results/serve-<id>/ (results/latest-serve)"
	@echo "                  QUICK=1 WORKLOADS= MODELS= QUIET=1 PIN= LOAD_HOST= OUT= as above"
	@echo "                  (PIN=split: bin/load on the last CPU, the server on the rest)"
	@echo "  make audit      system calls per task, by name, of every model on every pair"
	@echo "                  at c = 1, 64, 1024 (perf stat, else strace -c; a few minutes):"
	@echo "                  results/latest-audit/audit.md and syscalls.csv; an epoll_ctl"
	@echo "                  or timerfd_settime per task shows at once"
	@echo "                  WORKLOADS= MODELS= CONCURRENCY= TIMER_SLACK_NS= OUT= QUIET=1 as above"
	@echo "  make fleet PARTITIONS=a,b:2 OUT=dir"
	@echo "                  the bench on a Slurm cluster: one exclusive job per partition"
	@echo "                  (:2 a second node runs bin/backend for the backend pairs), each"
	@echo "                  a run into OUT/LABEL/; one line per job, its state and ETA"
	@echo "                  NODELISTS='n[1-2] m3'  jobs on node lists instead (or as well)"
	@echo "                  REPLICAS=N         N jobs per machine type"
	@echo "                  SBATCH_ARGS='...'  more sbatch options (--time=2:00:00)"
	@echo "                  WAIT=0             submit and return"
	@echo "                  QUICK WORKLOADS MODELS CONCURRENCY RUNS RATE ONECPU SERVE PIN"
	@echo "                                     passed to every job's make bench"
	@echo "                  (docs/fleet.md)"
	@echo "  make fleet-status DIR=dir"
	@echo "                  follow a fleet's jobs again (WAIT=0: one line each)"
	@echo "  make matrix DIR=dir | RUNS=run1,run2 [OUT=dir]"
	@echo "                  machines side by side: fingerprints, a verdict per claim and"
	@echo "                  machine, key ratios, curves, replicas' histograms merged;"
	@echo "                  the missing machines and why (DIR/matrix/matrix.md)"
	@echo "  make test       (= make check) the fast tests, < 3 min on a quiet 2-core machine:"
	@echo "                  unit tests, every pair on every model at c = 1 and 64, the"
	@echo "                  options and the output contract, every model as a server,"
	@echo "                  small sweeps and the report"
	@echo "  make test-long  the long tests (~5 min): c = 10,000 on every model, real"
	@echo "                  peers, faults, hostile peers and hung runs, new pairs built"
	@echo "                  and swept, the open-loop and serve sweeps, bin/load's faults,"
	@echo "                  the web page in chromium, the audit, two-host and Slurm fleet"
	@echo "                  tests; a test file with the line '# tvsa: long -- why' is one"
	@echo "                  (tests/run.sh)"
	@echo "  make check-all  both, in one count (CI runs test, test-long and sanitize)"
	@echo "  make deps       install what the build, the bench and the tests need (apt-get,"
	@echo "                  as root; else print the command); bench and test run it first"
	@echo "  make sanitize   the tests again under ASan+UBSan, TSan and valgrind, and the"
	@echo "                  fuzz corpora replayed (clang; builds in build/asan, ...)"
	@echo "  make fuzz       run each libFuzzer target from tests/fuzz/corpus/"
	@echo "                  FUZZ_SECONDS=N     seconds per target (default 30)"
	@echo "  make plots      redraw the plots of RUN=dir (default results/latest), and its index.html"
	@echo "  make report     rewrite report.md and index.html of RUN=dir"
	@echo "  make compare A=dir B=dir"
	@echo "                  what changed from run A to run B, where the 95% intervals say so;"
	@echo "                  warns when the runs' machines differ (CPU, cores, kernel, ...)"
	@echo "  make new-workload NAME=foo KIND=cpu|io|multi [LIBS=zlib]"
	@echo "                  write a new workload pair from a template and register it"
	@echo "                  (multi: two round trips per task; LIBS: pkg-config names"
	@echo "                  it links, written on its registry line)"
	@echo "  make clean      remove build/ and bin/"
	@echo "  make help       this text"
	@echo "  make V=1 ...    show the compiler commands"
	@echo "Models (harness/models.def; MODELS=a,b picks some):"
	@sed -n 's/^MODEL(\([^,]*\),.*, *"\([^"]*\)") *$$/  \1: \2/p' $(MODELS_DEF)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
