# The SSH protocol engine (docs/ssh.md): lib/proto/ssh/ is pure code over
# lib/crypto, built here into the unit runner and the fuzz target. The
# ssh-gateway service that will run it on capOS lists the same sources.

# The interoperability suite runs the stock ssh client and ssh-keygen.
DEB_PACKAGES += openssh-client

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
TEST_SUITES += ssh-engine
.PHONY: test-ssh-engine
## test-ssh-engine: the host's OpenSSH client logs in to lib/proto/ssh on a loopback port (re-keys, refusals)
test-ssh-engine: $(SSH_SERVE) | deps
	@$(PYTHON) tests/ssh_host/run.py --serve $(SSH_SERVE)
