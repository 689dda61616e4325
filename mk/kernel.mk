# The kernel: a freestanding ELF64 image with a PVH note and a Multiboot2
# header (build/kernel.elf), and the GRUB ISO around it (build/capos.iso).

CAPOS_VERSION := 0.1.0
KERNEL := $(BUILD)/kernel.elf
KCC ?= gcc
KLD ?= ld

KERNEL_SRCS := $(sort $(shell find kernel -name '*.c' -o -name '*.S')) \
	lib/fmt/fmt.c lib/c/string.c $(CAPNP_SRCS)
KERNEL_OBJS := $(patsubst %,$(BUILD)/k/%.o,$(KERNEL_SRCS))

KCFLAGS := -std=c11 -ffreestanding -nostdinc \
	-isystem $(shell $(KCC) -print-file-name=include) \
	-Ilib/c/include -Ikernel -Ilib -Iinclude -Ilib/capnp -I$(CAPNP_GEN) \
	-O2 -g -Wall -Wextra -Werror -mno-red-zone -mgeneral-regs-only \
	-mcmodel=kernel -fno-pic -fno-pie -fno-stack-protector \
	-fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-fno-tree-loop-distribute-patterns \
	-DCAPOS_VERSION='"$(CAPOS_VERSION)"' -MMD -MP

ALL_TARGETS += $(KERNEL)

$(BUILD)/k/%.c.o: %.c $(CAPNP_GEN)/capos.capnp.h | deps
	@mkdir -p $(dir $@)
	@echo "  KCC     $<"
	@$(KCC) $(KCFLAGS) -c -o $@ $<

$(BUILD)/k/%.S.o: %.S | deps
	@mkdir -p $(dir $@)
	@echo "  KAS     $<"
	@$(KCC) $(KCFLAGS) -D__ASSEMBLY__ -c -o $@ $<

$(KERNEL): $(KERNEL_OBJS) kernel/kernel.ld
	@echo "  KLD     $@"
	@$(KLD) -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
		-T kernel/kernel.ld -o $@ $(KERNEL_OBJS)

-include $(KERNEL_OBJS:.o=.d)

# GRUB ISO: the same kernel.elf, loaded through its Multiboot2 header, with
# the default system's boot package as its module.
ISO := $(BUILD)/capos.iso
ISO_ROOT := $(BUILD)/iso

## iso: the GRUB ISO at build/capos.iso
iso: $(ISO)

$(ISO): $(KERNEL) $(BUILD)/default.pkg tools/grub.cfg | deps
	@rm -rf $(ISO_ROOT)
	@mkdir -p $(ISO_ROOT)/boot/grub
	cp $(KERNEL) $(ISO_ROOT)/boot/kernel.elf
	cp $(BUILD)/default.pkg $(ISO_ROOT)/boot/default.pkg
	cp tools/grub.cfg $(ISO_ROOT)/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(ISO_ROOT) 2>/dev/null

# The same ISO with loglevel=debug on the kernel command line: the QEMU
# tests check the kernel's debug lines through Multiboot2 with it, while
# build/capos.iso boots as a user would (docs/boot.md, "Log levels").
DEBUG_ISO := $(BUILD)/capos-debug.iso
DEBUG_ISO_ROOT := $(BUILD)/iso-debug

$(DEBUG_ISO): $(KERNEL) $(BUILD)/default.pkg tools/grub.cfg | deps
	@rm -rf $(DEBUG_ISO_ROOT)
	@mkdir -p $(DEBUG_ISO_ROOT)/boot/grub
	cp $(KERNEL) $(DEBUG_ISO_ROOT)/boot/kernel.elf
	cp $(BUILD)/default.pkg $(DEBUG_ISO_ROOT)/boot/default.pkg
	sed 's|^\(\tmultiboot2 /boot/kernel.elf\)$$|\1 loglevel=debug|' \
		tools/grub.cfg > $(DEBUG_ISO_ROOT)/boot/grub/grub.cfg
	grep -q 'kernel.elf loglevel=debug$$' $(DEBUG_ISO_ROOT)/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(DEBUG_ISO_ROOT) 2>/dev/null

# Host unit tests for the kernel's pure code.
UNIT_SRCS += tests/unit/test_pmm.c tests/unit/test_bootinfo.c \
	tests/unit/test_heap.c kernel/mm/pmm.c kernel/boot/bootinfo.c \
	kernel/mm/mem.c
UNIT_CFLAGS += -Ikernel
UNIT_SRCS += tests/unit/test_captable.c kernel/cap/captable.c
UNIT_SRCS += tests/unit/test_ring.c kernel/cap/ring.c \
	tests/unit/test_elf.c kernel/proc/elf.c
UNIT_SRCS += tests/unit/test_transfer.c kernel/cap/transfer.c kernel/cap/kobj.c \
	tests/unit/test_kobj.c
# Endpoints with a fake dispatch layer around them (test_endpoint.c).
UNIT_SRCS += tests/unit/test_endpoint.c kernel/obj/endpoint.c kernel/mm/kmem.c
UNIT_SRCS += tests/unit/test_timeout.c kernel/proc/timeout.c
UNIT_SRCS += tests/unit/test_pcibar.c kernel/arch/x86_64/pcibar.c
UNIT_SRCS += tests/unit/test_acpi.c kernel/arch/x86_64/acpi.c kernel/boot/rsdp.c
UNIT_SRCS += tests/unit/test_loglevel.c kernel/boot/loglevel.c

# libFuzzer target for the kernel's parsers (make fuzz builds it too).
fuzz: $(BUILD)/fuzz/kernel_parsers

$(BUILD)/fuzz/kernel_parsers: tests/fuzz/kernel_parsers.c \
    kernel/boot/bootinfo.c kernel/proc/elf.c kernel/cap/ring.c | deps
	@sh tools/deps.sh $(FUZZ_PACKAGES)
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined -Iinclude -Ikernel \
		-o $@ $^

# make test-fuzz replays its corpus (mk/fuzz.mk).
FUZZ_SRCS_acpi_tables = kernel/arch/x86_64/acpi.c kernel/boot/rsdp.c
FUZZ_CFLAGS_acpi_tables = -Iinclude -Ikernel

# libFuzzer target for the ACPI table parsers (make fuzz builds it too).
fuzz: $(BUILD)/fuzz/acpi_tables

$(BUILD)/fuzz/acpi_tables: tests/fuzz/acpi_tables.c kernel/arch/x86_64/acpi.c \
    kernel/boot/rsdp.c | deps
	@sh tools/deps.sh $(FUZZ_PACKAGES)
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined -Iinclude -Ikernel \
		-o $@ $^
