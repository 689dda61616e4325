# The shell tier (docs/auth.md, docs/shell.md): the identity services in
# services/auth, and their pure logic in the host unit runner.

AUTH_PURE_SRCS := services/auth/account.c services/auth/credential.c \
	services/auth/login.c services/auth/session.c services/auth/broker.c \
	services/auth/audit.c services/auth/pubkey.c
UNIT_SRCS += tests/unit/test_auth.c $(AUTH_PURE_SRCS)
UNIT_CFLAGS += -Iservices/auth

# auth uses lib/crypto (scrypt, the DRBG over the kernel's Entropy).
AUTH_OBJS := $(patsubst %,$(BUILD)/u/%.o,$(wildcard services/auth/*.c))
$(AUTH_OBJS): UCFLAGS += -Ilib/crypto -Ilib/crypto/rt
$(BUILD)/user/auth: $(CRYPTO_UOBJS) $(CRYPTO_RT_UOBJS)

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
# (services/authtest/mkuserkey.sh), NOT FOR PRODUCTION: system/auth.capnp
# imports auth's sshKey= line and authtest's userKey= from
# $(AUTHKEY_DIR)/authkey.capnp, so its manifest is compiled with that
# folder on the import path.
AUTHKEY_DIR := $(BUILD)/authkey
$(AUTHKEY_DIR)/authkey.capnp: services/authtest/mkuserkey.sh | deps
	@echo "  AUTHKEY $(AUTHKEY_DIR) (development key, NOT FOR PRODUCTION)"
	@sh $< $(AUTHKEY_DIR)

$(BUILD)/auth.manifest.bin: system/auth.capnp $(AUTHKEY_DIR)/authkey.capnp \
    $(CAPNP_SCHEMAS) | deps
	@mkdir -p $(dir $@)
	capnp eval --binary -I$(AUTHKEY_DIR) $< manifest > $@.tmp && \
		mv $@.tmp $@

AUTHTEST_OBJS := $(patsubst %,$(BUILD)/u/%.o,$(wildcard services/authtest/*.c))
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

# The default system (make run): the shell on the console.
PKG_BINARIES_default := $(BUILD)/user/init $(BUILD)/user/console-terminal \
	$(BUILD)/user/launcher $(BUILD)/user/auth $(BUILD)/user/capos-shell \
	$(BUILD)/user/hello $(BUILD)/user/count
ALL_TARGETS += $(BUILD)/default.pkg

# The chat demo, booted like `make run` (tools/run-qemu.sh, mk/qemu.mk).
.PHONY: run-chat
## run-chat: the chat demo: a chat room with a bot and two clients, one trying to speak for the other; it halts by itself
run-chat: $(KERNEL) $(BUILD)/chat.pkg $(KVM_PROBE) | deps
	@$(RUN_QEMU) -kernel $(KERNEL) -initrd $(BUILD)/chat.pkg

# The gateway path: RestrictedShellLauncher driven by gatetest.
PKG_BINARIES_shells := $(BUILD)/user/init $(BUILD)/user/console-terminal \
	$(BUILD)/user/launcher $(BUILD)/user/auth $(BUILD)/user/shell-launcher \
	$(BUILD)/user/capos-shell $(BUILD)/user/gatetest $(BUILD)/user/hello
ALL_TARGETS += $(BUILD)/shells.pkg
