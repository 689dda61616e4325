# The shell tier (docs/auth.md, docs/shell.md): the identity services in
# services/auth, and their pure logic in the host unit runner.

AUTH_PURE_SRCS := services/auth/account.c services/auth/credential.c \
	services/auth/login.c services/auth/session.c services/auth/broker.c \
	services/auth/audit.c services/auth/pubkey.c \
	services/auth/pending.c services/auth/passkey.c
UNIT_SRCS += tests/unit/test_auth.c tests/unit/test_passkey.c \
	$(AUTH_PURE_SRCS)
UNIT_CFLAGS += -Iservices/auth -Ilib/proto/cbor -Ilib/proto/webauthn

# auth uses lib/crypto (scrypt, the DRBG over the kernel's Entropy).
# The public-key logins take a client's bytes from the SSH gateway: their
# fuzz target replays its corpus through the unit runner's host build of
# lib/crypto (make test-fuzz), and make fuzz builds it with libFuzzer.
AUTH_FUZZ_SRCS := services/auth/account.c services/auth/credential.c \
	services/auth/login.c services/auth/pubkey.c
FUZZ_SRCS_auth_pubkey = $(AUTH_FUZZ_SRCS) $(CRYPTO_HOST_OBJS) \
	$(WOLFCRYPT_HOST_OBJS)
FUZZ_CFLAGS_auth_pubkey = $(CRYPTO_INCLUDES) -Iservices/auth -Ilib/proto/cbor
fuzz: $(BUILD)/fuzz/auth_pubkey

$(BUILD)/fuzz/auth_pubkey: tests/fuzz/auth_pubkey.c $(AUTH_FUZZ_SRCS) \
    $(wildcard services/auth/*.h) $(CRYPTO_SRCS) $(CRYPTO_HDRS) \
    $(WOLFCRYPT_SRCS) | deps
	@sh tools/deps.sh $(FUZZ_PACKAGES)
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -fwrapv -fsanitize=fuzzer,address,undefined \
		-fno-sanitize=shift-base $(CRYPTO_INCLUDES) -Iservices/auth \
		-Ilib/proto/cbor \
		-o $@ $< $(AUTH_FUZZ_SRCS) $(CRYPTO_SRCS) $(WOLFCRYPT_SRCS)

AUTH_OBJS := $(patsubst %,$(BUILD)/u/%.o,$(wildcard services/auth/*.c))
$(AUTH_OBJS): UCFLAGS += -Ilib/crypto -Ilib/crypto/rt -Ilib/proto/cbor \
	-Ilib/proto/webauthn
# Passkeys (passkey.c): the WebAuthn and CBOR engines of mk/web.mk.
AUTH_ENGINE_UOBJS := $(BUILD)/u/lib/proto/cbor/cbor.c.o \
	$(BUILD)/u/lib/proto/webauthn/webauthn.c.o
$(AUTH_ENGINE_UOBJS): UCFLAGS += -Ilib/crypto -Ilib/proto/cbor \
	-Ilib/proto/webauthn
$(BUILD)/user/auth: $(CRYPTO_UOBJS) $(CRYPTO_RT_UOBJS) $(AUTH_ENGINE_UOBJS)

# pwrecord makes the password records of auth's seed (docs/auth.md).
PWRECORD := $(BUILD)/tools/pwrecord
ALL_TARGETS += $(PWRECORD)
$(PWRECORD): tools/pwrecord.c services/auth/credential.c \
    services/auth/credential.h $(CRYPTO_HOST_OBJS) $(WOLFCRYPT_HOST_OBJS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(CRYPTO_HOST_CFLAGS) -Wall -Wextra -Werror -Iservices/auth \
		-o $@ tools/pwrecord.c services/auth/credential.c \
		$(CRYPTO_HOST_OBJS) $(WOLFCRYPT_HOST_OBJS)

# The identity test system (tests/qemu/test_auth.py). authtest signs SSH
# key logins with a user key made at build time
# (tests/programs/authtest/mkuserkey.sh), NOT FOR PRODUCTION: system/auth.capnp
# imports auth's sshKey= line and authtest's userKey= from
# $(AUTHKEY_DIR)/authkey.capnp, so its manifest is compiled with that
# folder on the import path.
AUTHKEY_DIR := $(BUILD)/authkey
$(AUTHKEY_DIR)/authkey.capnp: tests/programs/authtest/mkuserkey.sh | deps
	@echo "  AUTHKEY $(AUTHKEY_DIR) (development key, NOT FOR PRODUCTION)"
	@sh $< $(AUTHKEY_DIR)

$(BUILD)/auth.manifest.bin: system/auth.capnp $(AUTHKEY_DIR)/authkey.capnp \
    $(CAPNP_SCHEMAS) | deps
	@mkdir -p $(dir $@)
	capnp eval --binary -I$(AUTHKEY_DIR) $< manifest > $@.tmp && \
		mv $@.tmp $@

AUTHTEST_OBJS := $(patsubst %,$(BUILD)/u/%.o,$(wildcard tests/programs/authtest/*.c))
$(AUTHTEST_OBJS): UCFLAGS += -Ilib/crypto
$(BUILD)/user/authtest: $(CRYPTO_UOBJS)
PKG_BINARIES_auth := $(BUILD)/user/init $(BUILD)/user/auth \
	$(BUILD)/user/authtest
ALL_TARGETS += $(BUILD)/auth.pkg

# The shell's pure parts in the unit runner (the key decoder it is tested
# with is lib/term's, mk/term.mk).
SHELL_PURE_SRCS := services/capos-shell/lineedit.c services/capos-shell/typed.c \
	services/capos-shell/input.c
UNIT_SRCS += tests/unit/test_shell.c $(SHELL_PURE_SRCS)
UNIT_CFLAGS += -Iservices/capos-shell
UNIT_DEPS += $(CAPNP_GEN)/auth.capnp.h $(CAPNP_GEN)/terminal.capnp.h

# The default system (make run): the shell on the console, and the SSH
# and web gateways on the network (its manifest rule is in mk/ssh.mk).
PKG_BINARIES_default := $(BUILD)/user/init $(BUILD)/user/console-terminal \
	$(BUILD)/user/launcher $(BUILD)/user/auth $(BUILD)/user/capos-shell \
	$(BUILD)/user/hello $(BUILD)/user/count $(BUILD)/user/virtio-net \
	$(BUILD)/user/netstack $(BUILD)/user/keyvault \
	$(BUILD)/user/shell-launcher $(BUILD)/user/ssh-gateway \
	$(BUILD)/user/web-gateway
ALL_TARGETS += $(BUILD)/default.pkg

# The chat demo, booted like `make run` (tools/run-qemu.sh, mk/qemu.mk).
.PHONY: run-chat
## run-chat: the chat demo: a chat room with a bot and two clients, one trying to speak for the other; it halts by itself
run-chat: $(KERNEL) $(BUILD)/chat.pkg $(KVM_PROBE) | deps
	@$(RUN_QEMU) -kernel $(KERNEL) -initrd $(BUILD)/chat.pkg

# The gateway path: RestrictedShellLauncher driven by gatetest.
PKG_BINARIES_shells := $(BUILD)/user/init $(BUILD)/user/console-terminal \
	$(BUILD)/user/launcher $(BUILD)/user/auth $(BUILD)/user/shell-launcher \
	$(BUILD)/user/capos-shell $(BUILD)/user/gatetest $(BUILD)/user/hello \
	$(BUILD)/user/spin
ALL_TARGETS += $(BUILD)/shells.pkg

# The agent shell (docs/agent.md): model-script's script and the shell's
# agent policy in the unit runner, and the agent test system.
AGENT_PURE_SRCS := services/model-script/script.c \
	services/capos-shell/agentpolicy.c
UNIT_SRCS += tests/unit/test_agent.c $(AGENT_PURE_SRCS)
UNIT_CFLAGS += -Iservices/model-script
UNIT_DEPS += $(CAPNP_GEN)/agent.capnp.h $(CAPNP_GEN)/shell.capnp.h \
	$(CAPNP_GEN)/capos.capnp.h
PKG_BINARIES_agent := $(BUILD)/user/init $(BUILD)/user/console-terminal \
	$(BUILD)/user/launcher $(BUILD)/user/auth $(BUILD)/user/capos-shell \
	$(BUILD)/user/model-script $(BUILD)/user/hello $(BUILD)/user/count
ALL_TARGETS += $(BUILD)/agent.pkg

.PHONY: run-agent-shell
## run-agent-shell: the agent shell with a scripted model: log in as admin, type 'agent'
run-agent-shell: $(KERNEL) $(BUILD)/agent.pkg $(KVM_PROBE) | deps
	@$(RUN_QEMU) -kernel $(KERNEL) -initrd $(BUILD)/agent.pkg

# model-openai (docs/agent.md): the JSON reader in lib/proto/json and the
# chat-completions protocol are pure, in the unit runner; the service
# links the reader.
UNIT_SRCS += tests/unit/test_openai.c lib/proto/json/json.c \
	services/model-openai/openai.c
UNIT_CFLAGS += -Iservices/model-openai
$(BUILD)/user/model-openai: $(BUILD)/u/lib/proto/json/json.c.o
PKG_BINARIES_agent-openai := $(BUILD)/user/init $(BUILD)/user/virtio-net \
	$(BUILD)/user/netstack $(BUILD)/user/console-terminal \
	$(BUILD)/user/launcher $(BUILD)/user/auth $(BUILD)/user/capos-shell \
	$(BUILD)/user/model-openai $(BUILD)/user/hello $(BUILD)/user/count
ALL_TARGETS += $(BUILD)/agent-openai.pkg

# make test-fuzz replays openai_answer's corpus through these (mk/fuzz.mk).
FUZZ_SRCS_openai_answer = lib/proto/json/json.c \
	services/model-openai/openai.c lib/fmt/fmt.c $(CAPNP_SRCS)
FUZZ_CFLAGS_openai_answer = -Ilib -Ilib/capnp -I$(CAPNP_GEN) \
	-Iservices/model-openai
$(BUILD)/tests/fuzz/openai_answer: $(CAPNP_GEN)/agent.capnp.h
$(BUILD)/fuzz/openai_answer: tests/fuzz/openai_answer.c \
    $(FUZZ_SRCS_openai_answer) services/model-openai/openai.h \
    lib/proto/json/json.h $(CAPNP_GEN)/agent.capnp.h | deps
	@sh tools/deps.sh $(FUZZ_PACKAGES)
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
		$(FUZZ_CFLAGS_openai_answer) -o $@ $< $(FUZZ_SRCS_openai_answer)
