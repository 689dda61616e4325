# Booting capOS: make run, and the QEMU test suite.

QEMU_ARGS := -nodefaults -machine pc -cpu max -m 256M -display none \
	-serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04
# Interactive runs multiplex the serial port with QEMU's monitor, so that
# Ctrl-a x leaves QEMU (a plain stdio serial passes every key to the guest).
QEMU_RUN_ARGS := $(subst -serial stdio,-serial mon:stdio,$(QEMU_ARGS))
# KVM only when asked for (ACCEL=kvm): tests and the default run use TCG.
ACCEL ?= tcg

.PHONY: run run-iso test-qemu

# QEMU exits with 33 after the kernel's clean halt (see docs/boot.md).
run: $(KERNEL) $(BUILD)/default.pkg | deps
	@$(QEMU) $(QEMU_RUN_ARGS) -accel $(ACCEL) -kernel $(KERNEL) \
		-initrd $(BUILD)/default.pkg; \
		s=$$?; [ $$s -eq 33 ] || { echo "QEMU exit status $$s"; exit 1; }

run-iso: $(ISO) | deps
	@$(QEMU) $(QEMU_RUN_ARGS) -accel $(ACCEL) -cdrom $(ISO) -boot d; \
		s=$$?; [ $$s -eq 33 ] || { echo "QEMU exit status $$s"; exit 1; }

TEST_SUITES += qemu
ALL_TARGETS += $(ISO)

test-qemu: $(KERNEL) $(ISO) $(BUILD)/default.pkg | deps
	@$(PYTHON) tests/qemu/run.py
