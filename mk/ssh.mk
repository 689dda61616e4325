# The SSH protocol engine (docs/ssh.md): lib/proto/ssh/ is pure code over
# lib/crypto, built here into the unit runner and the fuzz target. The
# ssh-gateway service that will run it on capOS lists the same sources.

# The interoperability suite runs the stock ssh client and ssh-keygen.
DEB_PACKAGES += openssh-client
# The QEMU test of the gateway runs ssh-audit against it (tests/qemu/test_ssh.py).
DEB_PACKAGES += ssh-audit

SSH_SRCS := $(wildcard lib/proto/ssh/*.c)
SSH_HDRS := $(wildcard lib/proto/ssh/*.h)

UNIT_SRCS += $(wildcard tests/unit/test_ssh*.c) $(SSH_SRCS)
UNIT_CFLAGS += -Ilib/proto/ssh

# make test-fuzz replays the corpus through the host build of lib/crypto
# and wolfCrypt the unit runner uses (mk/crypto.mk).
FUZZ_SRCS_ssh_engine = $(SSH_SRCS) $(CRYPTO_HOST_OBJS) $(WOLFCRYPT_HOST_OBJS)
FUZZ_CFLAGS_ssh_engine = $(CRYPTO_INCLUDES) -Ilib/proto/ssh

fuzz: $(BUILD)/fuzz/ssh_engine

$(BUILD)/fuzz/ssh_engine: tests/fuzz/ssh_engine.c $(SSH_SRCS) $(SSH_HDRS) \
    $(CRYPTO_SRCS) $(CRYPTO_HDRS) $(WOLFCRYPT_SRCS) | deps
	@sh tools/deps.sh $(FUZZ_PACKAGES)
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -fwrapv -fsanitize=fuzzer,address,undefined \
		-fno-sanitize=shift-base $(CRYPTO_INCLUDES) -Ilib/proto/ssh \
		-o $@ $< $(SSH_SRCS) $(CRYPTO_SRCS) $(WOLFCRYPT_SRCS)

# ---- Interoperability with the host's OpenSSH client ----

# tests/ssh_host/serve.c serves the engine on a loopback port; run.py
# points the stock ssh client at it (docs/ssh.md).
SSH_SERVE := $(BUILD)/tests/ssh_host/serve

$(SSH_SERVE): tests/ssh_host/serve.c $(SSH_SRCS) $(SSH_HDRS) \
    $(CRYPTO_HOST_OBJS) $(WOLFCRYPT_HOST_OBJS) | deps
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=c11 -D_DEFAULT_SOURCE -g -O1 -Wall -Wextra -Werror \
		-fsanitize=address,undefined -fno-sanitize-recover=undefined \
		$(CRYPTO_INCLUDES) -Ilib/proto/ssh -o $@ $< $(SSH_SRCS) \
		$(CRYPTO_HOST_OBJS) $(WOLFCRYPT_HOST_OBJS)

ALL_TARGETS += $(SSH_SERVE)

# tests/ssh_host/signclient.c signs publickey requests without asking
# first, as OpenSSH never does; tests/qemu/test_ssh.py runs it against
# the gateway.
SSH_SIGNCLIENT := $(BUILD)/tests/ssh_host/signclient

$(SSH_SIGNCLIENT): tests/ssh_host/signclient.c $(SSH_SRCS) $(SSH_HDRS) \
    $(CRYPTO_HOST_OBJS) $(WOLFCRYPT_HOST_OBJS) | deps
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=c11 -D_DEFAULT_SOURCE -g -O1 -Wall -Wextra -Werror \
		-fsanitize=address,undefined -fno-sanitize-recover=undefined \
		$(CRYPTO_INCLUDES) -Ilib/proto/ssh -o $@ $< $(SSH_SRCS) \
		$(CRYPTO_HOST_OBJS) $(WOLFCRYPT_HOST_OBJS)

ALL_TARGETS += $(SSH_SIGNCLIENT)
TEST_SUITES += ssh-engine
.PHONY: test-ssh-engine
## test-ssh-engine: the host's OpenSSH client logs in to lib/proto/ssh on a loopback port (re-keys, refusals)
test-ssh-engine: $(SSH_SERVE) | deps
	@$(PYTHON) tests/ssh_host/run.py --serve $(SSH_SERVE)

# ---- The gateway on capOS (services/ssh-gateway, docs/ssh.md) ----

# The engine's sources, built for capOS userspace, linked into the gateway.
SSH_UOBJS := $(patsubst %,$(BUILD)/u/%.o,$(SSH_SRCS))
SSH_GW_OBJS := $(patsubst %,$(BUILD)/u/%.o,$(wildcard services/ssh-gateway/*.c))
$(SSH_UOBJS) $(SSH_GW_OBJS): UCFLAGS += $(CRYPTO_INCLUDES) -Ilib/crypto/rt
$(BUILD)/user/ssh-gateway: $(SSH_UOBJS) $(CRYPTO_UOBJS) $(CRYPTO_RT_UOBJS)

# The development keys (services/ssh-gateway/mkdevkeys.sh), NOT FOR
# PRODUCTION: system/default.capnp and system/ssh.capnp import the
# vault's and auth's arguments from $(SSHKEYS_DIR)/sshkeys.capnp.
# SSH_PUBKEY names the key that may log in as admin instead of the
# generated one.
SSHKEYS_DIR := $(BUILD)/sshkeys
SSH_PUBKEY ?=
# The choice of key is remembered in a file that changes only when the
# choice does, so naming another key (or none) remakes the arguments.
SSHKEYS_CHOICE := $(SSHKEYS_DIR)/pubkey-choice
$(shell mkdir -p $(SSHKEYS_DIR) && { printf '%s\n' '$(SSH_PUBKEY)' | \
	cmp -s - $(SSHKEYS_CHOICE) || \
	printf '%s\n' '$(SSH_PUBKEY)' > $(SSHKEYS_CHOICE); })
$(SSHKEYS_DIR)/sshkeys.capnp: services/ssh-gateway/mkdevkeys.sh \
    $(SSHKEYS_CHOICE) $(SSH_PUBKEY) | deps
	@SSH_PUBKEY='$(SSH_PUBKEY)' sh $< $(SSHKEYS_DIR)

# The systems that import the keys: the default one (make run), which
# imports the web gateway's development TLS key as well (mk/crypto.mk),
# and the SSH test system (tests/qemu/test_ssh.py, with a disabled
# account).
$(BUILD)/default.manifest.bin $(BUILD)/ssh.manifest.bin: \
    $(BUILD)/%.manifest.bin: system/%.capnp $(SSHKEYS_DIR)/sshkeys.capnp \
    $(CAPNP_SCHEMAS) | deps
	@mkdir -p $(dir $@)
	capnp eval --binary -I$(SSHKEYS_DIR) -I$(DEVTLS_DIR) $< manifest \
		> $@.tmp && mv $@.tmp $@
$(BUILD)/default.manifest.bin: $(DEVTLS_DIR)/devtls.capnp

PKG_BINARIES_ssh = $(BUILD)/user/init $(BUILD)/user/virtio-net \
	$(BUILD)/user/netstack $(BUILD)/user/keyvault $(BUILD)/user/launcher \
	$(BUILD)/user/auth $(BUILD)/user/shell-launcher \
	$(BUILD)/user/capos-shell $(BUILD)/user/ssh-gateway \
	$(BUILD)/user/hello $(BUILD)/user/count
ALL_TARGETS += $(BUILD)/ssh.pkg

# make run and run-iso (mk/qemu.mk) forward 127.0.0.1:$(SSH_PORT) to the
# gateway, where make ssh logs in, and 127.0.0.1:$(WEB_PORT) to the web
# gateway's port 443. The page answers only as https://localhost:8443,
# the origin in system/default.capnp, so a browser needs the default
# WEB_PORT; another one only keeps make run from failing where 8443 is
# taken (the run suite moves it so).
SSH_PORT ?= 2222
WEB_PORT ?= 8443
DEFAULT_QEMU_NET = -netdev user,id=n0,hostfwd=tcp:127.0.0.1:$(SSH_PORT)-:22,hostfwd=tcp:127.0.0.1:$(WEB_PORT)-:443 \
	-device virtio-net-pci,netdev=n0
# mkdevkeys.sh pins the host key for port 2222; another SSH_PORT gets its
# own known_hosts line from the same key.
SSH_KNOWN_HOSTS := $(SSHKEYS_DIR)/known_hosts-$(SSH_PORT)
SSH_CLIENT_OPTS = -p $(SSH_PORT) -i $(SSHKEYS_DIR)/id_ed25519 \
	-o UserKnownHostsFile=$(SSH_KNOWN_HOSTS) \
	-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes

.PHONY: ssh
## ssh: log in to a running make run as admin over SSH with the development key, its host key pinned
ssh: $(SSHKEYS_DIR)/sshkeys.capnp | deps
	@printf '[127.0.0.1]:%s %s\n' '$(SSH_PORT)' \
		"$$(cut -d' ' -f1,2 $(SSHKEYS_DIR)/host.pub)" > $(SSH_KNOWN_HOSTS)
	ssh $(SSH_CLIENT_OPTS) admin@127.0.0.1

# ---- The SSH rows (bench/ssh.py, docs/benchmarks.md "The SSH rows") ----

# The Linux bench guest's Dropbear accepts the development key, the one
# the capOS side's admin holds (mk/bench.mk writes it into the image).
BENCH_LINUX_SSH_KEY := $(SSHKEYS_DIR)/id_ed25519.pub
$(BENCH_LINUX)/initramfs.cpio.gz: $(SSHKEYS_DIR)/sshkeys.capnp

BENCH_SSH = $(PYTHON) bench/ssh.py \
	--linux-kernel $(BENCH_LINUX)/vmlinux \
	--linux-initrd $(BENCH_LINUX)/initramfs.cpio.gz \
	--capos-kernel $(KERNEL) --capos-initrd $(BUILD)/ssh.pkg \
	--key $(SSHKEYS_DIR)/id_ed25519 \
	$(if $(BENCH_CPU),--cpu '$(BENCH_CPU)') --qemu $(QEMU)

# make bench-ssh: the SSH rows, this system's gateway against Dropbear in
# the Linux bench guest. BENCH_ACCEL, BENCH_RUNS and BENCH_CPU as for make
# bench; make bench runs it after its own table, make bench-smoke once,
# quickly.
.PHONY: bench-ssh
## bench-ssh: the SSH login and stream rows, capOS's gateway against Dropbear in the Linux guest (docs/benchmarks.md)
bench-ssh: $(KERNEL) $(BUILD)/ssh.pkg $(BENCH_LINUX_GUEST) | deps
	$(BENCH_SSH) --accel $(BENCH_ACCEL) \
		$(if $(BENCH_RUNS),--runs $(BENCH_RUNS)) \
		--json $(BENCH_OUT)/ssh.json --logdir $(BENCH_OUT)/logs

bench bench-smoke: $(KERNEL) $(BUILD)/ssh.pkg
