# lib/proto/telnet: the Telnet NVT engine (docs/telnet.md). It is pure code,
# so the host unit tests, the fuzz target's corpus replay in make test and
# the libFuzzer build all compile the same source.
TELNET_SRCS := lib/proto/telnet/telnet.c
TELNET_HDRS := lib/proto/telnet/telnet.h

UNIT_SRCS += tests/unit/test_telnet.c $(TELNET_SRCS)
UNIT_CFLAGS += -Ilib

FUZZ_SRCS_telnet_engine = $(TELNET_SRCS)
FUZZ_CFLAGS_telnet_engine = -Ilib

# libFuzzer target for the engine (make fuzz builds it too).
fuzz: $(BUILD)/fuzz/telnet_engine

$(BUILD)/fuzz/telnet_engine: tests/fuzz/telnet_engine.c $(TELNET_SRCS) \
    $(TELNET_HDRS) | deps
	@sh tools/deps.sh $(FUZZ_PACKAGES)
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined -Ilib \
		-o $@ tests/fuzz/telnet_engine.c $(TELNET_SRCS)

# The Telnet demo (docs/telnet.md): telnet-gateway on guest port 23,
# forwarded from the host's loopback only (TELNET_PORT, default 2323).
# Deferred `=`: user.mk, which defines USER_DIR, sorts after this file.
PKG_BINARIES_telnet = $(BUILD)/user/init $(BUILD)/user/virtio-net \
	$(BUILD)/user/netstack $(BUILD)/user/launcher $(BUILD)/user/auth \
	$(BUILD)/user/shell-launcher $(BUILD)/user/capos-shell \
	$(BUILD)/user/telnet-gateway $(BUILD)/user/hello $(BUILD)/user/count
ALL_TARGETS += $(BUILD)/telnet.pkg
# The same system with a short login time limit, for tests/qemu/test_telnet.py.
PKG_BINARIES_telnet-host = $(PKG_BINARIES_telnet)
ALL_TARGETS += $(BUILD)/telnet-host.pkg

# The gateway links the engine (mk/user.mk links every .o prerequisite).
$(BUILD)/user/telnet-gateway: $(BUILD)/u/lib/proto/telnet/telnet.c.o

TELNET_PORT ?= 2323

.PHONY: run-telnet
## run-telnet: the Telnet demo: log in with `telnet 127.0.0.1 2323` (TELNET_PORT; plaintext, development accounts); Ctrl-a x quits
run-telnet: $(KERNEL) $(BUILD)/telnet.pkg $(KVM_PROBE) | deps
	@echo "telnet gateway: telnet 127.0.0.1 $(TELNET_PORT) (plaintext, for development only; Ctrl-a x leaves QEMU)"
	@$(RUN_QEMU) -kernel $(KERNEL) -initrd $(BUILD)/telnet.pkg \
		-netdev user,id=n0,hostfwd=tcp:127.0.0.1:$(TELNET_PORT)-:23 \
		-device virtio-net-pci,netdev=n0

# make bench-telnet: the telnet login row alone, this system against
# busybox telnetd in the Linux bench guest (docs/benchmarks.md, "The
# telnet login row"); BENCH_TELNET is in mk/bench.mk. BENCH_ACCEL,
# BENCH_RUNS and BENCH_CPU as for make bench, which measures the row too.
.PHONY: bench-telnet
## bench-telnet: the telnet login row, capOS's gateway against busybox telnetd in the Linux guest (docs/benchmarks.md)
bench-telnet: $(KERNEL) $(BUILD)/telnet.pkg $(BENCH_LINUX_GUEST) | deps
	$(BENCH_TELNET) --accel $(BENCH_ACCEL) \
		$(if $(BENCH_RUNS),--runs $(BENCH_RUNS)) \
		--json $(BENCH_OUT)/telnet.json --logdir $(BENCH_OUT)/logs

# make bench and bench-smoke boot the same system for the telnet row.
bench bench-smoke: $(KERNEL) $(BUILD)/telnet.pkg
