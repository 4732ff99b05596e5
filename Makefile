# wafersim: one non-recursive Makefile.
#
#   make run     install missing packages, build, run the default job
#                (its traces and pictures go to out/uno-wse2/)
#   make test    install missing packages, build, run all unit and e2e tests
#   make asan    unit tests under AddressSanitizer + UBSan (build-asan/)
#   make bench   speed and memory benchmarks, figures printed
#   make validate      heavy validation suites (theory, GPU measurements)
#   make validate-ref  engine against the SystemC reference model
#
# Sources are found by wildcard: a new .c file in a subsystem folder joins
# the library; tests/unit/test_<module>.c joins the test runner (it must
# define `int suite_<module>(void)`).  Objects go under $(BUILD)/.

VERSION := 0.1.0
BUILD   ?= build
CC      ?= cc
CXX     ?= g++
OPT     ?= -O2
SAN     ?=
WERROR  ?= $(if $(CI),-Werror,)

PKGS      := yaml-0.1 libprotobuf-c libcgraph libgvc
PKGS      += cairo jansson
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
SC_CFLAGS  = $(shell pkg-config --cflags systemc 2>/dev/null)
SC_LIBS    = $(if $(LIB_CXX),$(shell pkg-config --libs systemc 2>/dev/null))
CU_CFLAGS  = $(shell pkg-config --cflags cunit 2>/dev/null)
CU_LIBS    = $(shell pkg-config --libs cunit 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wwrite-strings
INCS := -I. -I$(BUILD)/gen
DEFS := -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
        -DWAFERSIM_SRCDIR=\"$(CURDIR)\" -DWAFERSIM_VERSION=\"$(VERSION)\"

CFLAGS   := -std=c11 $(OPT) -g $(WARN) $(WERROR) $(SAN) $(DEFS) $(INCS)
CXXFLAGS := -std=c++17 $(OPT) -g -Wall -Wextra $(WERROR) $(SAN) $(DEFS) $(INCS)
LDFLAGS  := $(SAN)
LDLIBS    = $(PKG_LIBS) $(SC_LIBS) -lm

SUBSYS  := ground cores fabric machine compiler sim gpu traces cli
ALL_C   := $(foreach d,$(SUBSYS),$(wildcard $(d)/*.c))
PROG_C  := cli/main.c $(wildcard cli/cmd_*.c)
MPI_C   := cli/mpi_sweep.c
LIB_C   := $(filter-out $(PROG_C) $(MPI_C),$(ALL_C))
LIB_CXX := $(strip $(foreach d,$(SUBSYS),$(wildcard $(d)/*.cpp)))
# libsystemc calls sc_main: pull the reference model's (sim/sc_top.cpp) in.
LDFLAGS += $(if $(LIB_CXX),-u sc_main)
TEST_C  := $(wildcard tests/unit/*.c) tests/fuzz/entry.c
SUITES  := $(filter-out util,$(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c)))

# ONNX schema: generated at build time from Debian's libonnx-dev.
ONNX_PROTO := /usr/include/onnx/onnx.proto
GEN_C   := $(BUILD)/gen/onnx.pb-c.c
GEN_H   := $(BUILD)/gen/onnx.pb-c.h $(BUILD)/gen/suites.h
GEN_H   += $(BUILD)/gen/strategies.h

LIB_OBJ := $(LIB_C:%.c=$(BUILD)/%.o) $(LIB_CXX:%.cpp=$(BUILD)/%.o) \
           $(BUILD)/gen/onnx.pb-c.o
PROG_OBJ := $(PROG_C:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_C:%.c=$(BUILD)/%.o)
LIB     := $(BUILD)/libwafersim.a
BIN     := $(BUILD)/wafersim
TESTBIN := $(BUILD)/test_runner

.PHONY: all deps run test unit asan bench validate validate-ref clean format \
        fuzz fuzz-bins docs
.DEFAULT_GOAL := all

# MPI sweep driver (docs/sweep.md): built when mpicc is installed.
MPICC   ?= mpicc
MPIBIN  := $(if $(shell command -v $(MPICC) 2>/dev/null),$(BUILD)/wafersim-mpi)

all: $(BIN) $(TESTBIN) $(MPIBIN)

deps:
	@sh tools/deps.sh

# `run` and `test` install what is missing, then build in a second pass so
# that pkg-config sees the freshly installed packages.
run: deps
	@$(MAKE) --no-print-directory $(BIN)
	@mkdir -p out
	$(BIN) run uno --machine wse2 --gpu h100 --trace out/uno-wse2

test: deps
	@$(MAKE) --no-print-directory all
	$(TESTBIN)

unit: $(TESTBIN)
	$(TESTBIN)

# Every figure and picture README.md and docs/*.md quote, from the command
# between its markers (tools/docs.py; `make test` checks the blocks not
# marked slow, `make validate` (val_docs.sh) all of them).
docs: deps
	@$(MAKE) --no-print-directory $(BIN)
	python3 tools/docs.py update

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  build-asan/test_runner
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  build-asan/test_runner

bench: deps
	@$(MAKE) --no-print-directory $(BIN)
	@sh tests/bench/run.sh $(BIN)

validate: deps
	@$(MAKE) --no-print-directory all
	@sh tests/validate/run.sh $(BIN)

validate-ref: deps
	@$(MAKE) --no-print-directory $(BIN) $(BUILD)/ref_cases
	@sh tests/validate/ref.sh $(BIN)

# Fuzzing (tests/fuzz/README.md): one libFuzzer harness per reader, built
# with clang under ASan and UBSan in build-fuzz/; each runs FUZZ_SECONDS
# from its committed corpus, which it then replaces by the minimised
# merge; crash inputs land in tests/fuzz/crashes/.  Only this target needs
# clang.
FUZZ_SECONDS ?= 60
FUZZ_NAMES := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
              -fno-omit-frame-pointer
fuzz:
	@sh tools/deps.sh fuzz
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang CXX=clang++ \
	  OPT=-O1 SAN="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" fuzz-bins
	@sh tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-bins: $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)
.SECONDARY: $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/fuzz_%.o)

$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/entry.o $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# The engines against the SystemC reference, case by case (ref_cases.sh).
$(BUILD)/ref_cases: $(BUILD)/tests/validate/ref_cases.o $(LIB)
	$(CXX) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(PROG_OBJ) $(LIB)
	$(CXX) $(LDFLAGS) -o $@ $(PROG_OBJ) $(LIB) $(LDLIBS)

# Only cli/mpi_sweep.c sees MPI; it links the same library.
$(BUILD)/cli/mpi_sweep.o: cli/mpi_sweep.c | $(GEN_H)
	@mkdir -p $(dir $@)
	$(MPICC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/wafersim-mpi: $(BUILD)/cli/mpi_sweep.o $(BUILD)/cli/cmd_sweep.o $(LIB)
	$(MPICC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lstdc++

$(TESTBIN): $(TEST_OBJ) $(LIB) $(BIN) | $(MPIBIN)
	$(CXX) $(LDFLAGS) -o $@ $(TEST_OBJ) $(LIB) $(LDLIBS) $(CU_LIBS)

$(BUILD)/tests/%.o: tests/%.c | $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(CU_CFLAGS) \
	  -DWAFERSIM_BIN=\"$(CURDIR)/$(BIN)\" -MMD -MP -c -o $@ $<

$(BUILD)/%.o: %.c | $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/%.o: %.cpp | $(GEN_H)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $(PKG_CFLAGS) $(SC_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/gen/onnx.pb-c.c $(BUILD)/gen/onnx.pb-c.h: $(ONNX_PROTO)
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen -I$(dir $(ONNX_PROTO)) $(ONNX_PROTO)

$(BUILD)/gen/onnx.pb-c.o: $(BUILD)/gen/onnx.pb-c.c
	$(CC) -std=c11 $(OPT) -g $(SAN) $(PKG_CFLAGS) -I$(BUILD)/gen -c -o $@ $<

# The test runner's suite table, one line per tests/unit/test_<m>.c.
$(BUILD)/gen/suites.h: $(wildcard tests/unit/test_*.c) Makefile
	@mkdir -p $(BUILD)/gen
	@printf '/* generated by the Makefile from tests/unit/test_*.c */\n' > $@.tmp
	@for s in $(SUITES); do printf 'SUITE(%s)\n' $$s; done >> $@.tmp
	@mv $@.tmp $@

# Placement strategies, one line per compiler/place_<name>.c (placement).
# Checked on every run (a strategy file may be added or removed) and
# replaced only when the list changed, so nothing rebuilds needlessly.
$(BUILD)/gen/strategies.h: FORCE
	@mkdir -p $(BUILD)/gen
	@printf '/* generated by the Makefile from compiler/place_*.c */\n' > $@.tmp
	@for s in $(sort $(patsubst compiler/place_%.c,%,$(wildcard compiler/place_*.c))); do \
	  printf 'STRATEGY(%s)\n' $$s; done >> $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:

format:
	clang-format -i $(ALL_C) $(TEST_C) $(wildcard */*.h)

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
