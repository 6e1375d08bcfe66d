# Threads vs async, side by side.  `make help` lists the targets.
#
# Required flags are appended after the user's CFLAGS so they cannot be lost;
# `make V=1` shows the commands.  Workload pairs come from the registry
# (workloads/workloads.def): a line there is all the Makefile needs.

CC ?= cc
PKG_CONFIG ?= pkg-config
PYTHON ?= python3
CFLAGS ?= -O2 -g
BUILD ?= build
BIN ?= bin

WARN := -std=c11 -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes
DEFS := -D_GNU_SOURCE
EVENT_CFLAGS := $(shell $(PKG_CONFIG) --cflags libevent 2>/dev/null)
EVENT_LIBS := $(shell $(PKG_CONFIG) --libs libevent 2>/dev/null)
ALL_CFLAGS = $(CFLAGS) $(WARN) $(DEFS) $(EVENT_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) -pthread
LIBS_M := -lm

ifeq ($(V),1)
Q :=
else
Q := @
endif

# The registry: names of the workload pairs, one WORKLOAD(name) line each.
WORKLOADS_DEF := workloads/workloads.def
PAIRS := $(shell sed -n 's/^WORKLOAD(\([A-Za-z_][A-Za-z0-9_]*\)).*/\1/p' $(WORKLOADS_DEF))

# A pair with a missing side fails here, naming the file, not deep in a link.
PAIR_FILES := $(foreach p,$(PAIRS),workloads/$(p).c workloads/$(p).h impl_threads/$(p).c impl_async/$(p).c)
MISSING := $(filter-out $(wildcard $(PAIR_FILES)),$(PAIR_FILES))
ifneq ($(MISSING),)
$(error workload pair incomplete: missing $(MISSING) (each line of $(WORKLOADS_DEF) needs workloads/NAME.c, workloads/NAME.h, impl_threads/NAME.c, impl_async/NAME.c))
endif

CORE_SRC := harness/hist.c harness/stats.c harness/cli.c harness/backend_proc.c harness/net.c \
	harness/memcg.c \
	workloads/registry.c workloads/wire.c $(PAIRS:%=workloads/%.c)
RUNNER_SRC := harness/runner.c
THREADS_SRC := impl_threads/threads.c impl_threads/rpc.c $(PAIRS:%=impl_threads/%.c)
ASYNC_SRC := impl_async/async.c impl_async/rpc.c $(PAIRS:%=impl_async/%.c)
BACKEND_SRC := harness/backend.c harness/cli.c workloads/wire.c
CALIBRATE_SRC := harness/calibrate.c harness/hist.c harness/stats.c workloads/cpu_hash.c

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

CORE_OBJ := $(call obj,$(CORE_SRC))
THREADS_OBJ := $(call obj,$(RUNNER_SRC) $(THREADS_SRC)) $(CORE_OBJ)
ASYNC_OBJ := $(call obj,$(RUNNER_SRC) $(ASYNC_SRC)) $(CORE_OBJ)
BACKEND_OBJ := $(call obj,$(BACKEND_SRC))
CALIBRATE_OBJ := $(call obj,$(CALIBRATE_SRC))

TEST_NAMES := test_hist test_cli test_workloads test_wire
TEST_BINS := $(TEST_NAMES:%=$(BUILD)/test-bin/%)

.PHONY: all deps test check bench bench-rate plots report clean help new-workload compare

all: $(BIN)/threads $(BIN)/async $(BIN)/backend $(BIN)/calibrate

$(BIN)/threads: $(THREADS_OBJ) | $(BIN)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EVENT_LIBS) $(LIBS_M)

$(BIN)/async: $(ASYNC_OBJ) | $(BIN)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EVENT_LIBS) $(LIBS_M)

$(BIN)/backend: $(BACKEND_OBJ) | $(BIN)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EVENT_LIBS) $(LIBS_M)

# calibrate: the machine's floor (harness/calibrate.c), run before every sweep.
$(BIN)/calibrate: $(CALIBRATE_OBJ) | $(BIN)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EVENT_LIBS) $(LIBS_M)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Unit tests (cmocka) link the pieces they test and nothing else.
$(BUILD)/test-bin/test_hist: $(call obj,tests/test_hist.c harness/hist.c)
$(BUILD)/test-bin/test_cli: $(call obj,tests/test_cli.c harness/cli.c)
$(BUILD)/test-bin/test_workloads: $(call obj,tests/test_workloads.c) $(CORE_OBJ)
$(BUILD)/test-bin/test_wire: $(call obj,tests/test_wire.c workloads/wire.c)
$(TEST_BINS):
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka $(LIBS_M)

$(BIN):
	@mkdir -p $@

# deps: install what is missing (apt-get as root), else print the command.
deps:
	@scripts/deps.sh

# test (= check): unit tests, model/pair verification, integration sweep.
# The last line of output is "N passed, N failed".
test check: deps
	@$(MAKE) --no-print-directory -s all $(TEST_BINS)
	@tests/run.sh $(TEST_BINS)

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
FUZZ_NAMES := wire cli
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
$(BUILD)/fuzz/fuzz_cli: tests/fuzz/fuzz_cli.c harness/cli.c harness/cli.h
$(FUZZ_BINS):
	@mkdir -p $(dir $@)
	@echo "  FUZZ-LD $@"
	$(Q)$(SAN_CC) $(SAN_CFLAGS) $(FUZZ_FLAGS) $(WARN) $(DEFS) -o $@ $(filter %.c,$^)

# bench: the default sweep (QUICK=1: a small one).  CONCURRENCY=1,8,64 and
# WORKLOADS=a,b narrow it; OUT=dir puts the run elsewhere than results/.
# The values reach the sweep from the environment (make exports command-line
# variables), never pasted into the shell command, so no quote in them can
# break or inject into it; a variable given empty is passed on, and refused.
# PIN=split puts the run's backend on its own CPU and the model on the rest
# (the sweep checks the value).  BENCH_CFLAGS and BENCH_CC tell the sweep's
# meta.json the flags the binaries are built with.
given = $(filter-out undefined default,$(origin $(1)))
on = $(filter-out 0,$(strip $(1)))
bench bench-rate: export BENCH_CFLAGS = $(strip $(CFLAGS) $(WARN) $(DEFS) $(EVENT_CFLAGS))
bench bench-rate: export CC := $(CC)
bench: deps
	@$(MAKE) --no-print-directory -s all
	@$(PYTHON) harness/sweep/bench.py $(if $(call on,$(QUICK)),--quick) \
		$(if $(call given,CONCURRENCY),--concurrency "$$CONCURRENCY") \
		$(if $(call given,WORKLOADS),--workloads "$$WORKLOADS") \
		$(if $(call given,RUNS),--runs "$$RUNS") \
		$(if $(call on,$(QUIET)),--quiet) \
		$(if $(filter 0,$(strip $(RATE))),--no-rate) \
		$(if $(call given,PIN),--pin "$$PIN") \
		$(if $(call given,OUT),--results "$$OUT")

# bench-rate: the open-loop sweep alone (harness/sweep/open_loop.py): each
# model's closed-loop capacity, then latency at LOADS percent of it, into
# results/rate-<id>/ (results/latest-rate).  make bench runs it too (RATE=0:
# not), into the main run's folder.
bench-rate: deps
	@$(MAKE) --no-print-directory -s all
	@$(PYTHON) harness/sweep/bench_rate.py $(if $(call on,$(QUICK)),--quick) \
		$(if $(call given,WORKLOADS),--workloads "$$WORKLOADS") \
		$(if $(call given,MODELS),--models "$$MODELS") \
		$(if $(call given,SLOTS),--slots "$$SLOTS") \
		$(if $(call given,LOADS),--loads "$$LOADS") \
		$(if $(call given,RUNS),--runs "$$RUNS") \
		$(if $(call on,$(QUIET)),--quiet) \
		$(if $(call given,PIN),--pin "$$PIN") \
		$(if $(call given,OUT),--results "$$OUT")

# plots/report: redraw the plots and rewrite report.md of a run (RUN=dir,
# default results/latest) from its results.csv.
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

# new-workload: NAME=foo KIND=cpu|io writes a working pair from
# scripts/templates/KIND/ and registers it; the compile check it runs uses
# these flags.  NAME and KIND come from the environment (make exports
# command-line variables), so no quoting in them can reach the shell.
new-workload:
	@CC='$(CC)' NW_CFLAGS='$(WARN) $(DEFS) $(EVENT_CFLAGS)' \
		sh scripts/new_workload.sh "$$NAME" "$$KIND"

clean:
	rm -rf $(BUILD) $(BIN)

# help: the targets, then the models from their registry (harness/models.def).
MODELS_DEF ?= harness/models.def
help:
	@echo "Threads vs async, side by side.  Targets:"
	@echo "  make            build bin/threads, bin/async, bin/backend, bin/calibrate"
	@echo "                  (bin/calibrate [--quick]: this machine's floor, as CSV)"
	@echo "  make bench      install what is missing, build, run the default sweep,"
	@echo "                  plot, write results/<run-id>/report.md (results/latest)"
	@echo "                  QUICK=1            a small sweep (under a minute)"
	@echo "                  CONCURRENCY=1,8,64 these concurrency levels only"
	@echo "                  WORKLOADS=a,b      these workload pairs only"
	@echo "                  RUNS=N             counted hyperfine runs per point (default 3)"
	@echo "                  OUT=dir            results folder (default results/)"
	@echo "                  QUIET=1            no progress lines (CI)"
	@echo "                  RATE=0             skip the open-loop sweep at the end"
	@echo "                  PIN=split          the backend on its own CPU, the model on the"
	@echo "                                     rest (default: both unpinned on all CPUs)"
	@echo "  make bench-rate the open-loop sweep alone: latency (p50/p99/p99.9) against"
	@echo "                  offered load, 10%..120% of each model's capacity, on mixed"
	@echo "                  QUICK=1 WORKLOADS= MODELS= RUNS= OUT= QUIET=1 PIN= as above"
	@echo "                  SLOTS=64           open-loop slots, top closed-loop level"
	@echo "                  LOADS=10,50,90     percentages of capacity"
	@echo "  make test       unit tests, pair verification, a tiny sweep (= make check)"
	@echo "  make sanitize   the tests again under ASan+UBSan, TSan and valgrind, and the"
	@echo "                  fuzz corpora replayed (clang; builds in build/asan, ...)"
	@echo "  make fuzz       run each libFuzzer target from tests/fuzz/corpus/"
	@echo "                  FUZZ_SECONDS=N     seconds per target (default 30)"
	@echo "  make plots      redraw the plots of RUN=dir (default results/latest)"
	@echo "  make report     rewrite report.md of RUN=dir"
	@echo "  make compare A=dir B=dir"
	@echo "                  what changed from run A to run B, beyond the runs' noise"
	@echo "  make new-workload NAME=foo KIND=cpu|io"
	@echo "                  write a new workload pair from a template and register it"
	@echo "  make clean      remove build/ and bin/"
	@echo "  make V=1 ...    show the compiler commands"
	@echo "Models (harness/models.def; MODELS=a,b picks some for make bench-rate):"
	@sed -n 's/^MODEL(\([^,]*\),.*, *"\([^"]*\)") *$$/  \1: \2/p' $(MODELS_DEF)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
