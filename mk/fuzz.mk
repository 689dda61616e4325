# Fuzz targets: each tests/fuzz/<target>.c defines LLVMFuzzerTestOneInput
# over the parsers of one kind of untrusted bytes, and tests/fuzz/corpus/
# <target>/ holds its committed regression corpus (docs/testing.md).
#
#   make test-fuzz   replays every corpus file through its target, built
#                    by the host compiler under ASan/UBSan with a small
#                    main() (tests/fuzz/replay.c): no clang needed
#   make fuzz        builds the libFuzzer binaries build/fuzz/<target>
#                    (clang, installed on demand)
#   make fuzz-run    runs each libFuzzer target in turn for FUZZ_TIME
#                    seconds; it reads the committed corpus, keeps what it
#                    finds new in build/fuzz/corpus/<target>/ and writes a
#                    crashing input to build/fuzz/findings/<target>/
#   make fuzz-merge  adds to the committed corpus the fewest inputs of
#                    those runs that reach code it does not
#
# A target names the code it exercises in FUZZ_SRCS_<target> and its
# include flags in FUZZ_CFLAGS_<target>; its libFuzzer build rule lives
# with that code (mk/capnp.mk, mk/kernel.mk) and lists the same sources.

FUZZ_TARGETS := $(filter-out replay,$(basename $(notdir \
	$(wildcard tests/fuzz/*.c))))
FUZZ_TIME ?= 600

FUZZ_SRCS_capnp_reader = $(CAPNP_SRCS)
FUZZ_CFLAGS_capnp_reader = -I$(CAPNP_DIR) -I$(CAPNP_GEN)
FUZZ_SRCS_kernel_parsers = kernel/boot/bootinfo.c kernel/proc/elf.c \
	kernel/cap/ring.c
FUZZ_CFLAGS_kernel_parsers = -Iinclude -Ikernel

FUZZ_REPLAY_DIR := $(BUILD)/tests/fuzz
FUZZ_REPLAYS := $(addprefix $(FUZZ_REPLAY_DIR)/,$(FUZZ_TARGETS))
FUZZ_REPLAY_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -g -O1 -Wall -Wextra \
	-Werror -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer

TEST_SUITES += fuzz
ALL_TARGETS += $(FUZZ_REPLAYS)

.SECONDEXPANSION:
$(FUZZ_REPLAY_DIR)/%: tests/fuzz/%.c tests/fuzz/replay.c $$(FUZZ_SRCS_$$*) \
    $(CAPNP_GEN)/capos.capnp.h $$(UNIT_HDRS) | deps
	@mkdir -p $(dir $@)
	$(HOSTCC) $(FUZZ_REPLAY_CFLAGS) $(FUZZ_CFLAGS_$*) -o $@ \
		tests/fuzz/$*.c tests/fuzz/replay.c $(FUZZ_SRCS_$*)

.PHONY: test-fuzz fuzz fuzz-run fuzz-merge
## test-fuzz: replay every fuzz target over its committed corpus (ASan/UBSan, no clang)
test-fuzz: $(FUZZ_REPLAYS)
	@$(PYTHON) tests/fuzz/run.py --bindir $(FUZZ_REPLAY_DIR) $(FUZZ_TARGETS)

## fuzz: build the libFuzzer binaries of the fuzz targets in build/fuzz/ (installs clang)
fuzz: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do mkdir -p $(BUILD)/fuzz/corpus/$$t \
		$(BUILD)/fuzz/findings/$$t || exit 1; done

# One target at a time, so a run uses one core; the first finding stops
# the run. libFuzzer writes new inputs to the first corpus folder only, so
# the committed corpus is read but never changed.
## fuzz-run: run each libFuzzer target for FUZZ_TIME seconds (default 600)
fuzz-run: fuzz
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzz: $$t for $(FUZZ_TIME) s"; \
		$(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/findings/$$t/ \
			$(BUILD)/fuzz/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
		done

## fuzz-merge: add to tests/fuzz/corpus/ the fewest inputs of fuzz-run's corpora that reach code the committed corpus does not
fuzz-merge: fuzz
	@for t in $(FUZZ_TARGETS); do sh tests/fuzz/merge.sh $(BUILD)/fuzz/$$t \
		$(BUILD)/fuzz/corpus/$$t tests/fuzz/corpus/$$t || exit 1; done
