# Cap'n Proto: the schema (schema/*.capnp) is the ABI. This fragment builds
#   build/tools/capnpc-c     the `capnp compile` plugin that writes C headers
#   build/gen/capos.capnp.h  the generated ABI header (never committed)
#   build/tools/mkpkg        the boot-package builder
#   build/<sys>.manifest.bin system/<sys>.capnp's `manifest` constant
#   build/<sys>.pkg          manifest plus binaries, for -initrd
# and the test-capnp suite, the reader's fuzz target and `make capnp-bench`.
#
# A boot package for system <sys> lists its binaries in PKG_BINARIES_<sys>;
# each is stored under its file name, which the manifest's `binary` fields
# name. For example, in a fragment:
#   PKG_BINARIES_default := build/user/init build/user/hello
#   ALL_TARGETS += build/default.pkg
# mkpkg refuses a package whose manifest names a binary not listed there.

DEB_PACKAGES += capnproto
# Only `make fuzz` needs these, so it installs them itself.
FUZZ_PACKAGES := clang libclang-rt-14-dev

CAPNP_DIR := lib/capnp
CAPNP_SRCS := $(CAPNP_DIR)/read.c $(CAPNP_DIR)/build.c $(CAPNP_DIR)/copy.c \
	$(CAPNP_DIR)/error.c
CAPNP_HDRS := $(CAPNP_DIR)/capnp.h $(CAPNP_DIR)/internal.h
CAPNP_SCHEMAS := $(wildcard schema/*.capnp)
CAPNP_GEN := $(BUILD)/gen
CAPNPC_C := $(BUILD)/tools/capnpc-c
MKPKG := $(BUILD)/tools/mkpkg
CAPNP_HOST_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
	-I$(CAPNP_DIR)

# The flags the kernel builds with; lib/capnp and generated code must
# compile under them (checked by the test-capnp suite).
CAPNP_KERNEL_CFLAGS := -std=c11 -ffreestanding -mno-red-zone \
	-mgeneral-regs-only -mcmodel=kernel -fno-pic -O2 -Wall -Wextra -Werror

ALL_TARGETS += $(CAPNPC_C) $(MKPKG) $(CAPNP_GEN)/capos.capnp.h \
	$(BUILD)/default.manifest.bin

$(CAPNPC_C): tools/capnpc-c/main.c tools/capnpc-c/emit.c \
    tools/capnpc-c/gen.h tools/capnpc-c/schema.h $(CAPNP_SRCS) $(CAPNP_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(CAPNP_HOST_CFLAGS) -o $@ tools/capnpc-c/main.c \
		tools/capnpc-c/emit.c $(CAPNP_SRCS)

$(MKPKG): tools/mkpkg/main.c tools/mkpkg/pkg.c tools/mkpkg/pkg.h \
    include/capos/abi.h $(CAPNP_GEN)/capos.capnp.h $(CAPNP_SRCS) $(CAPNP_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(CAPNP_HOST_CFLAGS) -I$(CAPNP_GEN) -Iinclude -o $@ \
		tools/mkpkg/main.c tools/mkpkg/pkg.c $(CAPNP_SRCS)

$(CAPNP_GEN)/%.capnp.h: schema/%.capnp $(CAPNP_SCHEMAS) $(CAPNPC_C) | deps
	@mkdir -p $(CAPNP_GEN)
	capnp compile --src-prefix=schema -o $(CAPNPC_C):$(CAPNP_GEN) $<

$(CAPNP_GEN)/test.capnp.h: tests/capnp/test.capnp $(CAPNP_SCHEMAS) \
    $(CAPNPC_C) | deps
	@mkdir -p $(CAPNP_GEN)
	capnp compile -Ischema --src-prefix=tests/capnp -o $(CAPNPC_C):$(CAPNP_GEN) $<

$(BUILD)/%.manifest.bin: system/%.capnp $(CAPNP_SCHEMAS) | deps
	@mkdir -p $(dir $@)
	capnp eval --binary $< manifest > $@.tmp && mv $@.tmp $@

.SECONDEXPANSION:
$(BUILD)/%.pkg: $(BUILD)/%.manifest.bin $$(PKG_BINARIES_$$*) $(MKPKG)
	$(MKPKG) -o $@ $< $(PKG_BINARIES_$*)

# Host unit tests of the runtime, the generated code and mkpkg's checks.
UNIT_SRCS += tests/unit/test_capnp.c tests/unit/test_capnp_gen.c \
	tests/unit/test_capnp_mkpkg.c tests/capnp/sample.c tools/mkpkg/pkg.c \
	$(CAPNP_SRCS)
UNIT_CFLAGS += -I$(CAPNP_DIR) -I$(CAPNP_GEN) -Itools/mkpkg -Itests/capnp
UNIT_DEPS += $(CAPNP_GEN)/capos.capnp.h $(CAPNP_GEN)/test.capnp.h \
	tools/mkpkg/pkg.h tests/capnp/sample.h

# Round trips against the stock capnp tool, mkpkg's command line, and the
# freestanding compile check.
CAPNP_TEST_BIN := $(BUILD)/tests/capnp
CAPNP_TEST_TOOLS := $(CAPNP_TEST_BIN)/build_sample $(CAPNP_TEST_BIN)/read_sample

$(CAPNP_TEST_BIN)/%: tests/capnp/%.c tests/capnp/sample.c tests/capnp/sample.h \
    $(CAPNP_GEN)/test.capnp.h $(CAPNP_SRCS) $(CAPNP_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(CAPNP_HOST_CFLAGS) -fsanitize=address,undefined \
		-fno-sanitize-recover=undefined -I$(CAPNP_GEN) -Itests/capnp \
		-o $@ $< tests/capnp/sample.c $(CAPNP_SRCS)

TEST_SUITES += capnp
.PHONY: test-capnp
## test-capnp: Cap'n Proto round trips against the stock capnp tool, mkpkg's checks, freestanding compiles
test-capnp: $(CAPNP_TEST_TOOLS) $(MKPKG) $(CAPNPC_C) $(CAPNP_GEN)/capos.capnp.h \
    $(BUILD)/default.manifest.bin | deps
	@$(PYTHON) tests/capnp/run.py --build $(BUILD) \
		--kernel-cflags "$(CAPNP_KERNEL_CFLAGS)"

# Reader throughput on a small message and the size of the generated ABI
# code (the header, and an object that keeps every inline accessor, built
# with the kernel's flags); prints figures, asserts nothing.
.PHONY: capnp-bench
## capnp-bench: reader and builder throughput and the size of the generated code
capnp-bench: $(CAPNP_GEN)/capos.capnp.h
	@mkdir -p $(CAPNP_TEST_BIN)
	$(HOSTCC) $(CAPNP_HOST_CFLAGS) -I$(CAPNP_GEN) \
		-o $(CAPNP_TEST_BIN)/capnp_bench tests/capnp/bench.c $(CAPNP_SRCS)
	@$(CAPNP_TEST_BIN)/capnp_bench
	@echo '#include "capos.capnp.h"' > $(CAPNP_TEST_BIN)/abi_all.c
	@$(HOSTCC) $(CAPNP_KERNEL_CFLAGS) -fkeep-inline-functions \
		-I$(CAPNP_DIR) -I$(CAPNP_GEN) -c -o $(CAPNP_TEST_BIN)/abi_all.o \
		$(CAPNP_TEST_BIN)/abi_all.c
	@echo "generated capos.capnp.h: $$(wc -c < $(CAPNP_GEN)/capos.capnp.h)" \
		"bytes, $$(grep -c '^static inline\|^CAPNP_MUST_CHECK static inline' \
		$(CAPNP_GEN)/capos.capnp.h) accessors"
	@echo "all accessors compiled (kernel flags): $$(size -A \
		$(CAPNP_TEST_BIN)/abi_all.o | awk '/^.text/ {print $$2}')" \
		"bytes of text"
	@for f in $(CAPNP_SRCS); do $(HOSTCC) $(CAPNP_KERNEL_CFLAGS) \
		-c -o $(CAPNP_TEST_BIN)/$$(basename $$f).o $$f; done
	@echo "lib/capnp (kernel flags): $$(cat $(foreach f,$(CAPNP_SRCS), \
		$(CAPNP_TEST_BIN)/$(notdir $(f)).o) | wc -c) bytes of objects," \
		"$$(size $(foreach f,$(CAPNP_SRCS),$(CAPNP_TEST_BIN)/$(notdir \
		$(f)).o) | awk 'NR > 1 {t += $$1} END {print t}') bytes of text"

# libFuzzer target for the reader (mk/fuzz.mk runs it and replays its
# corpus, tests/fuzz/corpus/capnp_reader/, in make test).
$(BUILD)/fuzz/capnp_reader: tests/fuzz/capnp_reader.c \
    $(CAPNP_GEN)/capos.capnp.h $(CAPNP_SRCS) $(CAPNP_HDRS) | deps
	@sh tools/deps.sh $(FUZZ_PACKAGES)
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined -I$(CAPNP_DIR) \
		-I$(CAPNP_GEN) -o $@ $< $(CAPNP_SRCS)
