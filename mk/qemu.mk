# Booting capOS: the run targets, the KVM probe system, and the QEMU test
# suite.
#
# The run targets boot through tools/run-qemu.sh, which picks the
# accelerator and reports QEMU's exit status (docs/boot.md). ACCEL=auto
# (the default) uses KVM when a probe boot shows it can run capOS and TCG
# otherwise, saying why in one line; ACCEL=kvm fails instead of falling
# back; ACCEL=tcg never tries KVM. Tests always use TCG.

# The machine every run target boots; docs/boot.md lists the flags.
# RUN_SMP: its CPUs (docs/smp.md); under TCG QEMU runs them one host
# thread each.
RUN_SMP ?= 2
QEMU_MACHINE = -nodefaults -machine pc -cpu max -m 256M -smp $(RUN_SMP) \
	-display none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04
ACCEL ?= auto

# The probe system: init with an empty manifest, so a boot that reaches
# user mode and back halts at once with status 33.
PKG_BINARIES_kvm-probe = $(BUILD)/user/init
KVM_PROBE := $(BUILD)/kvm-probe.pkg
ALL_TARGETS += $(KVM_PROBE)

$(BUILD)/kvm-probe.manifest.bin: $(CAPNP_SCHEMAS) | deps
	@mkdir -p $(dir $@)
	echo '(services = [])' | capnp encode schema/capos.capnp \
		SystemManifest > $@.tmp && mv $@.tmp $@

RUN_QEMU = QEMU='$(QEMU)' sh tools/run-qemu.sh --accel '$(ACCEL)' \
	--probe $(KERNEL) $(KVM_PROBE) --machine '$(QEMU_MACHINE)' --

.PHONY: run run-iso test-qemu

# Both boot the default system with a virtio-net device whose user
# network forwards 127.0.0.1:$(SSH_PORT) to the SSH gateway and
# 127.0.0.1:$(WEB_PORT) to the web gateway (mk/ssh.mk); a port already
# taken makes QEMU, and the target, fail with its reason.
## run: boot the default system: a login prompt on the console, SSH on 127.0.0.1:2222 (SSH_PORT; make ssh logs in), the web shell at https://localhost:8443/; shutdown (operator) halts, Ctrl-a x leaves
run: $(KERNEL) $(BUILD)/default.pkg $(KVM_PROBE) | deps
	@echo "ssh-gateway: 127.0.0.1:$(SSH_PORT); in another terminal: make ssh"
	@echo "web-gateway: https://localhost:$(WEB_PORT)/ (development certificate $(BUILD)/devtls/cert.pem; Ctrl-a x leaves QEMU)"
	@$(RUN_QEMU) -kernel $(KERNEL) -initrd $(BUILD)/default.pkg $(DEFAULT_QEMU_NET)

## run-iso: boot the GRUB ISO (the default system through Multiboot2, SSH and the web shell as in make run)
run-iso: $(ISO) $(KVM_PROBE) | deps
	@$(RUN_QEMU) -cdrom $(ISO) -boot d $(DEFAULT_QEMU_NET)

TEST_SUITES += qemu
ALL_TARGETS += $(ISO) $(DEBUG_ISO)

## test-qemu: boot tests under QEMU (TCG)
test-qemu: $(KERNEL) $(ISO) $(DEBUG_ISO) $(BUILD)/default.pkg | deps
	@$(PYTHON) tests/qemu/run.py

# The run targets' exit statuses, make help and the README (tests/run/).
TEST_SUITES += run
.PHONY: test-run
## test-run: the run targets' exit statuses (port taken, Ctrl-a x, unusable KVM), make help against the README
test-run: $(KERNEL) $(BUILD)/default.pkg $(BUILD)/net.pkg $(KVM_PROBE) | deps
	@$(PYTHON) tests/run/run.py
