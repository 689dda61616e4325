# make bench        capOS and a Linux guest side by side (docs/benchmarks.md)
# make bench-smoke  the same harness, few iterations, TCG, with checks
#
# The Linux baseline guest is assembled from Debian packages downloaded
# (not installed) into build/bench/linux/: delete that folder to pick up a
# newer Debian kernel.
#
# The capOS side is an optional input; with CAPOS_BENCH_KERNEL empty or
# missing, its rows are shown as not yet measured:
#   CAPOS_BENCH_KERNEL  capOS kernel ELF for -kernel
#   CAPOS_BENCH_INITRD  boot package for -initrd (may stay empty)
#   CAPOS_BENCH_APPEND  kernel command line
#   CAPOS_BENCH_SMP_INITRD  boot package of the -smp pass
#   CAPOS_BENCH_NET_INITRD  boot package of the TCP pass
#   CAPOS_BENCH_DEPS    targets to build first
# They are left undefined here, so the command line, the environment, or a
# fragment read after this one (with ?= and +=) can set them; they are
# only expanded when the bench runs.
# BENCH_ACCEL=auto|kvm|tcg, BENCH_RUNS=N, BENCH_CPU=<QEMU -cpu model> and
# BENCH_SMP=N (CPUs of the -smp pass, 0 for none) and BENCH_NET_SMP=N
# (CPUs of the TCP pass, 0 for none) override the harness's defaults.

BENCH_OUT := $(BUILD)/bench
BENCH_LINUX := $(BENCH_OUT)/linux
BENCH_GUEST_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
	-static -pthread

BENCH_ACCEL ?= auto
BENCH_RUNS ?=
BENCH_CPU ?=
# CPUs of the -smp pass (docs/benchmarks.md, "The SMP rows"); 0: none.
BENCH_SMP ?= 4
# CPUs of the TCP pass (docs/benchmarks.md, "The TCP rows with two
# CPUs"); 0: none.
BENCH_NET_SMP ?= 2

# libc6-dev: the static C library the guest program links against.
DEB_PACKAGES += libc6-dev dpkg apt

# About 10 s once the packages are downloaded; see docs/benchmarks.md.
TEST_SUITES += bench-smoke

BENCH_LINUX_GUEST := $(BENCH_LINUX)/vmlinux $(BENCH_LINUX)/initramfs.cpio.gz

$(BENCH_LINUX)/debs.stamp: bench/linux/fetch-debs.sh | deps
	@mkdir -p $(BENCH_LINUX)/debs
	sh bench/linux/fetch-debs.sh $(BENCH_LINUX)/debs
	@touch $@

$(BENCH_LINUX)/root.stamp: $(BENCH_LINUX)/debs.stamp
	rm -rf $(BENCH_LINUX)/root
	for deb in $(BENCH_LINUX)/debs/*.deb; do \
		dpkg-deb -x "$$deb" $(BENCH_LINUX)/root || exit 1; done
	@touch $@

$(BENCH_LINUX)/vmlinux: $(BENCH_LINUX)/root.stamp bench/linux/vmlinux.py
	$(PYTHON) bench/linux/vmlinux.py $(BENCH_LINUX)/root/boot/vmlinuz-* $@

# mk/crypto.mk adds the guest's build of lib/crypto and wolfCrypt (the
# cryptography rows) as object prerequisites.
# It shares the work of several rows with capOS's bench program through
# bench/programs/bench/*.h (cryptowork.h, scalework.h).
$(BENCH_LINUX)/linuxbench: $(wildcard bench/linux/*.c bench/linux/*.h) \
		$(wildcard bench/programs/bench/*.h) | deps
	@mkdir -p $(dir $@)
	$(HOSTCC) $(BENCH_GUEST_CFLAGS) -o $@ $(filter %.c %.o,$^)

$(BENCH_LINUX)/initramfs.cpio.gz: $(BENCH_LINUX)/root.stamp \
		$(BENCH_LINUX)/linuxbench bench/linux/net-up.sh \
		bench/linux/mkinitramfs.py
	$(PYTHON) bench/linux/mkinitramfs.py --root $(BENCH_LINUX)/root \
		--init $(BENCH_LINUX)/linuxbench --net-up bench/linux/net-up.sh \
		--modules virtio_pci,virtio_net \
		--elf usr/sbin/dropbear --authorized-key $(BENCH_LINUX_SSH_KEY) \
		--debs "$$(cd $(BENCH_LINUX)/debs && echo *.deb)" \
		--out $@ --info $(BENCH_LINUX)/guest.json

BENCH_HARNESS = $(PYTHON) bench/harness.py \
	--linux-kernel $(BENCH_LINUX)/vmlinux \
	--linux-initrd $(BENCH_LINUX)/initramfs.cpio.gz \
	--linux-info $(BENCH_LINUX)/guest.json \
	--capos-kernel '$(CAPOS_BENCH_KERNEL)' \
	--capos-initrd '$(CAPOS_BENCH_INITRD)' \
	--capos-append '$(CAPOS_BENCH_APPEND)' \
	--telnet-capos-kernel $(KERNEL) \
	--telnet-capos-initrd $(BUILD)/telnet.pkg \
	--capos-smp-initrd '$(CAPOS_BENCH_SMP_INITRD)' --smp $(BENCH_SMP) \
	--capos-net-initrd '$(CAPOS_BENCH_NET_INITRD)' \
	--net-smp $(BENCH_NET_SMP) \
	$(if $(BENCH_CPU),--cpu '$(BENCH_CPU)') --qemu $(QEMU)

# The telnet login row alone (bench/telnet.py; target bench-telnet in
# mk/telnet.mk): the capOS Telnet system against the Linux guest's busybox
# telnetd. make bench measures the row too (BENCH_HARNESS's --telnet-*).
# Expanded only in recipes, after mk/kernel.mk set KERNEL.
BENCH_TELNET = $(PYTHON) bench/telnet.py \
	--linux-kernel $(BENCH_LINUX)/vmlinux \
	--linux-initrd $(BENCH_LINUX)/initramfs.cpio.gz \
	--capos-kernel $(KERNEL) --capos-initrd $(BUILD)/telnet.pkg \
	$(if $(BENCH_CPU),--cpu '$(BENCH_CPU)') --qemu $(QEMU)

.PHONY: bench bench-smoke test-bench-smoke bench-capos-image
# A prerequisite list is expanded when read, before later fragments add to
# CAPOS_BENCH_DEPS; a recipe is expanded when it runs, after all of them.
bench-capos-image:
	@$(if $(strip $(CAPOS_BENCH_DEPS)),$(MAKE) --no-print-directory \
		$(CAPOS_BENCH_DEPS),:)

## bench: capOS and a Linux guest measured side by side, KVM when usable (docs/benchmarks.md)
# The SSH rows follow in a table of their own (BENCH_SSH, mk/ssh.mk):
# each side boots a system of its own for them; then the web shell rows,
# capOS's alone (BENCH_WEBSHELL, mk/webgw.mk).
bench: $(BENCH_LINUX_GUEST) bench-capos-image | deps
	$(BENCH_HARNESS) --accel $(BENCH_ACCEL) \
		$(if $(BENCH_RUNS),--runs $(BENCH_RUNS)) \
		--json $(BENCH_OUT)/results.json --logdir $(BENCH_OUT)/logs
	$(BENCH_SSH) --accel $(BENCH_ACCEL) \
		$(if $(BENCH_RUNS),--runs $(BENCH_RUNS)) \
		--json $(BENCH_OUT)/ssh.json --logdir $(BENCH_OUT)/logs
	$(BENCH_WEBSHELL) --accel $(BENCH_ACCEL) \
		$(if $(BENCH_RUNS),--runs $(BENCH_RUNS)) \
		--json $(BENCH_OUT)/webshell.json --logdir $(BENCH_OUT)/logs

## bench-smoke: the bench harness with few iterations under TCG, with checks (the bench-smoke suite)
bench-smoke: $(BENCH_LINUX_GUEST) bench-capos-image | deps
	$(PYTHON) tests/bench/smoke.py \
		--ssh-json $(BENCH_OUT)/ssh-smoke.json --ssh-cmd \
		"$(BENCH_SSH) --accel tcg --runs 1 --quick \
		--json $(BENCH_OUT)/ssh-smoke.json \
		--logdir $(BENCH_OUT)/smoke-logs" \
		--webshell-json $(BENCH_OUT)/webshell-smoke.json --webshell-cmd \
		"$(BENCH_WEBSHELL) --accel tcg --runs 1 --quick \
		--json $(BENCH_OUT)/webshell-smoke.json \
		--logdir $(BENCH_OUT)/smoke-logs" \
		--json $(BENCH_OUT)/smoke.json -- \
		$(BENCH_HARNESS) --accel tcg --runs 1 --quick \
		--json $(BENCH_OUT)/smoke.json --logdir $(BENCH_OUT)/smoke-logs

test-bench-smoke: bench-smoke
