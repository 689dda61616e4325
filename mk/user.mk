# Userspace: the runtime library (lib/rt, lib/c, lib/fmt, lib/capnp built
# for user mode) and one program per services/<name>/ folder, linked static
# at CAPOS_USER_IMAGE_BASE. Programs land in build/user/<name>.

UCC ?= gcc
ULD ?= ld
USER_DIR := $(BUILD)/user

UCFLAGS := -std=c11 -ffreestanding -nostdinc \
	-isystem $(shell $(UCC) -print-file-name=include) \
	-Ilib/c/include -Ilib -Ilib/rt -Ilib/svc -Ilib/capnp -Iinclude \
	-I$(CAPNP_GEN) \
	-O2 -g -Wall -Wextra -Werror -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
	-MMD -MP

USER_LIB_SRCS := $(wildcard lib/rt/*.c lib/rt/*.S lib/svc/*.c) \
	lib/c/string.c $(USER_LIB_EXTRA_SRCS) lib/fmt/fmt.c $(CAPNP_SRCS)
# Every schema's generated header, which user code may include.
USER_GEN_HDRS := $(patsubst schema/%.capnp,$(CAPNP_GEN)/%.capnp.h, \
	$(filter-out schema/c.capnp,$(wildcard schema/*.capnp)))
USER_LIB_OBJS := $(patsubst %,$(BUILD)/u/%.o,$(USER_LIB_SRCS))
USER_LIB := $(BUILD)/u/librt.a

# A program is a folder with C sources in it: services/<name>/ for what
# capOS runs, tests/programs/<name>/ for the test programs the test
# systems run, bench/programs/<name>/ for make bench's.
PROGRAM_DIRS := services tests/programs bench/programs
PROGRAM_SRCS := $(foreach d,$(PROGRAM_DIRS),$(wildcard $(d)/*/*.c))
USER_PROGRAMS := $(sort $(foreach d,$(PROGRAM_DIRS),$(patsubst $(d)/%/,%, \
	$(filter $(d)/%,$(dir $(PROGRAM_SRCS))))))
USER_BINS := $(addprefix $(USER_DIR)/,$(USER_PROGRAMS))

ALL_TARGETS += $(USER_BINS)

$(BUILD)/u/%.c.o: %.c $(USER_GEN_HDRS) | deps
	@mkdir -p $(dir $@)
	@echo "  UCC     $<"
	@$(UCC) $(UCFLAGS) -c -o $@ $<

$(BUILD)/u/%.S.o: %.S | deps
	@mkdir -p $(dir $@)
	@echo "  UAS     $<"
	@$(UCC) $(UCFLAGS) -D__ASSEMBLY__ -c -o $@ $<

$(USER_LIB): $(USER_LIB_OBJS)
	@rm -f $@
	@ar rcs $@ $^

# Each program links its own objects, then the runtime.
.SECONDEXPANSION:
$(USER_DIR)/%: \
    $$(addsuffix .o,$$(addprefix $(BUILD)/u/,$$(foreach d,$(PROGRAM_DIRS), \
    $$(wildcard $$(d)/$$*/*.c)))) \
    $(USER_LIB) lib/rt/user.ld
	@mkdir -p $(dir $@)
	@echo "  ULD     $@"
	@$(ULD) -static -nostdlib -z max-page-size=0x1000 -z noexecstack \
		-T lib/rt/user.ld -o $@ $(filter %.o,$^) $(USER_LIB)

# Every userspace object's header dependencies, also those of the library
# sources a fragment links into one program (lib/proto, lib/tls, ...):
# without them a changed header leaves objects built against the old one.
-include $(shell find $(BUILD)/u -name '*.d' 2>/dev/null)

# The chat demo (make run-chat); the default system is in mk/shell.mk.
PKG_BINARIES_chat := $(USER_DIR)/init $(USER_DIR)/hello \
	$(USER_DIR)/chat $(USER_DIR)/chat-client $(USER_DIR)/chat-bot
ALL_TARGETS += $(BUILD)/chat.pkg

# Test systems, booted by tests/qemu.
PKG_BINARIES_isolation := $(USER_DIR)/init $(USER_DIR)/ringtest \
	$(USER_DIR)/noauth $(USER_DIR)/crash $(USER_DIR)/memtest \
	$(USER_DIR)/hello
ALL_TARGETS += $(BUILD)/isolation.pkg

# init's dependency ordering is pure code, tested on the host.
UNIT_SRCS += tests/unit/test_init_graph.c services/init/graph.c
UNIT_CFLAGS += -Iservices/init
PKG_BINARIES_ipc := $(USER_DIR)/init $(USER_DIR)/ipctest \
	$(USER_DIR)/ipctest-srv
ALL_TARGETS += $(BUILD)/ipc.pkg
PKG_BINARIES_bench := $(USER_DIR)/init $(USER_DIR)/bench \
	$(USER_DIR)/ipctest-srv $(USER_DIR)/virtio-net $(USER_DIR)/netstack \
	$(USER_DIR)/netbench $(USER_DIR)/auth $(USER_DIR)/capos-shell
ALL_TARGETS += $(BUILD)/bench.pkg

# The -smp pass of make bench (system/bench-smp.capnp).
PKG_BINARIES_bench-smp := $(USER_DIR)/init $(USER_DIR)/bench
ALL_TARGETS += $(BUILD)/bench-smp.pkg

# The TCP pass of make bench with two CPUs (system/bench-net.capnp).
PKG_BINARIES_bench-net := $(USER_DIR)/init $(USER_DIR)/bench \
	$(USER_DIR)/virtio-net $(USER_DIR)/netstack $(USER_DIR)/netbench
ALL_TARGETS += $(BUILD)/bench-net.pkg

# make bench boots these systems as the capOS guest (mk/bench.mk).
CAPOS_BENCH_KERNEL ?= $(KERNEL)
CAPOS_BENCH_INITRD ?= $(BUILD)/bench.pkg
CAPOS_BENCH_SMP_INITRD ?= $(BUILD)/bench-smp.pkg
CAPOS_BENCH_NET_INITRD ?= $(BUILD)/bench-net.pkg
CAPOS_BENCH_APPEND ?= bench
CAPOS_BENCH_DEPS += $(KERNEL) $(BUILD)/bench.pkg $(BUILD)/bench-smp.pkg \
	$(BUILD)/bench-net.pkg
PKG_BINARIES_threads := $(USER_DIR)/init $(USER_DIR)/threadtest \
	$(USER_DIR)/ipctest-srv
ALL_TARGETS += $(BUILD)/threads.pkg
# The SMP stress system (system/smp.capnp, docs/smp.md).
PKG_BINARIES_smp := $(USER_DIR)/init $(USER_DIR)/smptest \
	$(USER_DIR)/ipctest-srv
ALL_TARGETS += $(BUILD)/smp.pkg
# Its reap case alone (system/smp-reap.capnp).
PKG_BINARIES_smp-reap := $(USER_DIR)/init $(USER_DIR)/smptest
ALL_TARGETS += $(BUILD)/smp-reap.pkg
PKG_BINARIES_devices := $(USER_DIR)/init $(USER_DIR)/devtest
ALL_TARGETS += $(BUILD)/devices.pkg
PKG_BINARIES_kmem := $(USER_DIR)/init $(USER_DIR)/kmemtest
ALL_TARGETS += $(BUILD)/kmem.pkg
PKG_BINARIES_oom := $(USER_DIR)/init $(USER_DIR)/kmemtest
ALL_TARGETS += $(BUILD)/oom.pkg
PKG_BINARIES_console := $(USER_DIR)/init $(USER_DIR)/keyecho
ALL_TARGETS += $(BUILD)/console.pkg
PKG_BINARIES_supervisor := $(USER_DIR)/init $(USER_DIR)/flaky
ALL_TARGETS += $(BUILD)/supervisor.pkg
# The first-service guide's system (docs/first-service.md).
PKG_BINARIES_greeter := $(USER_DIR)/init $(USER_DIR)/greeter \
	$(USER_DIR)/greeter-client
ALL_TARGETS += $(BUILD)/greeter.pkg
