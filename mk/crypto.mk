# Cryptography (docs/crypto.md):
#   build/third_party/wolfssl/   Debian's wolfssl source package, pinned in
#                                tools/third-party.lock, fetched and unpacked
#                                with Debian's patches by tools/fetch-source.sh
#   lib/crypto/                  capOS's API over wolfCrypt, and wolfCrypt's
#                                configuration (lib/crypto/user_settings.h)
# Programs that use lib/crypto add $(CRYPTO_UOBJS) to their prerequisites
# (mk/user.mk links every .o prerequisite) and $(CRYPTO_INCLUDES) to their
# UCFLAGS. The host build goes into the unit runner.
#
# This file must sort before user.mk: it adds to USER_LIB_EXTRA_SRCS.

# The OpenSSH cross-check (tests/qemu/test_crypto.py) runs ssh-keygen.
DEB_PACKAGES += dpkg-dev openssh-client

# ---- lib/c: case-insensitive compares, which wolfCrypt's ECC uses ----

USER_LIB_EXTRA_SRCS += lib/c/strings.c
UNIT_SRCS += $(BUILD)/tests/unit/libc/strings.o

# ---- Fetching wolfSSL ----

WOLFSSL_DIR := $(BUILD)/third_party/wolfssl
WOLFSSL_STAMP := $(WOLFSSL_DIR)/.capos-source

$(WOLFSSL_STAMP): tools/third-party.lock | deps
	@sh tools/fetch-source.sh wolfssl $(WOLFSSL_DIR)

# wolfCrypt's parts that lib/crypto uses (docs/crypto.md says which
# algorithm needs which). The sources exist once the stamp does.
WOLFCRYPT_FILES := sha sha256 sha512 hash hmac curve25519 ed25519 \
	fe_operations ge_operations chacha poly1305 chacha20_poly1305 ecc \
	sp_int sp_c64 wolfmath pwdbased random memory wc_port
WOLFCRYPT_SRCS := $(patsubst %,$(WOLFSSL_DIR)/wolfcrypt/src/%.c, \
	$(WOLFCRYPT_FILES))
$(WOLFCRYPT_SRCS): | $(WOLFSSL_STAMP)

CRYPTO_INCLUDES = -DWOLFSSL_USER_SETTINGS -Ilib/crypto -I$(WOLFSSL_DIR)
CRYPTO_SRCS := $(wildcard lib/crypto/*.c)
CRYPTO_HDRS := $(wildcard lib/crypto/*.h)

# ---- For capOS userspace ----

# wolfCrypt's own warnings are shown but do not fail the build, as with
# lwIP; lib/crypto itself builds with -Werror. wolfCrypt's C field
# arithmetic (sp_c64.c) lets signed products wrap, which ISO C leaves
# undefined: -fwrapv defines it as the code expects, on both builds.
WOLFCRYPT_CFLAGS := -fwrapv -Wno-error
WOLFCRYPT_UOBJS := $(patsubst $(WOLFSSL_DIR)/%.c,$(BUILD)/u/wolfssl/%.o, \
	$(WOLFCRYPT_SRCS))
CRYPTO_LIB_UOBJS := $(patsubst %,$(BUILD)/u/%.o,$(CRYPTO_SRCS))
CRYPTO_UOBJS := $(CRYPTO_LIB_UOBJS) $(WOLFCRYPT_UOBJS)

$(BUILD)/u/wolfssl/%.o: $(WOLFSSL_DIR)/%.c $(WOLFSSL_STAMP) \
    lib/crypto/user_settings.h | deps
	@mkdir -p $(dir $@)
	@echo "  UCC     wolfssl/$*.c"
	@$(UCC) $(UCFLAGS) $(CRYPTO_INCLUDES) $(WOLFCRYPT_CFLAGS) -c -o $@ $<

$(CRYPTO_LIB_UOBJS): UCFLAGS += $(CRYPTO_INCLUDES)
$(CRYPTO_LIB_UOBJS): | $(WOLFSSL_STAMP)

-include $(WOLFCRYPT_UOBJS:.o=.d)

# ---- On the host, in the unit runner (ASan/UBSan) ----

CRYPTO_HOST_DIR := $(BUILD)/tests/crypto
CRYPTO_HOST_CFLAGS = -std=c11 -g -O1 -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer \
	$(CRYPTO_INCLUDES) -MMD -MP
WOLFCRYPT_HOST_OBJS := $(patsubst $(WOLFSSL_DIR)/%.c,$(CRYPTO_HOST_DIR)/%.o, \
	$(WOLFCRYPT_SRCS))
CRYPTO_HOST_OBJS := $(patsubst lib/crypto/%.c,$(CRYPTO_HOST_DIR)/lib/%.o, \
	$(CRYPTO_SRCS))

# wolfCrypt's Ed25519 shifts negative numbers left (ge_operations.c), which
# ISO C leaves undefined and GCC defines as two's complement, as the code
# expects; UBSan's shift check is off for wolfCrypt's files only.
$(CRYPTO_HOST_DIR)/%.o: $(WOLFSSL_DIR)/%.c $(WOLFSSL_STAMP) \
    lib/crypto/user_settings.h | deps
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  wolfssl/$*.c"
	@$(HOSTCC) $(CRYPTO_HOST_CFLAGS) $(WOLFCRYPT_CFLAGS) \
		-fno-sanitize=shift-base -c -o $@ $<

$(CRYPTO_HOST_DIR)/lib/%.o: lib/crypto/%.c $(WOLFSSL_STAMP) | deps
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  lib/crypto/$*.c"
	@$(HOSTCC) $(CRYPTO_HOST_CFLAGS) -Wall -Wextra -Werror -c -o $@ $<

-include $(WOLFCRYPT_HOST_OBJS:.o=.d) $(CRYPTO_HOST_OBJS:.o=.d)

UNIT_SRCS += $(wildcard tests/unit/test_crypto*.c) $(CRYPTO_HOST_OBJS) \
	$(WOLFCRYPT_HOST_OBJS)
UNIT_CFLAGS += -Ilib/crypto
UNIT_SRCS += lib/crypto/kat/kat.c

# ---- capOS programs ----

# lib/crypto's capOS side (lib/crypto/rt) and the shared known-answer tests.
CRYPTO_RT_UOBJS := $(BUILD)/u/lib/crypto/rt/entropy.c.o
CRYPTO_KAT_UOBJS := $(BUILD)/u/lib/crypto/kat/kat.c.o
$(CRYPTO_RT_UOBJS) $(CRYPTO_KAT_UOBJS): UCFLAGS += -Ilib/crypto/rt \
	$(CRYPTO_INCLUDES)

CRYPTO_PROG_OBJS := $(patsubst %,$(BUILD)/u/%.o,$(wildcard \
	services/keyvault/*.c tests/programs/cryptotest/*.c \
	bench/programs/bench/*.c))
$(CRYPTO_PROG_OBJS): UCFLAGS += -Ilib/crypto -Ilib/crypto/rt
# make bench's cryptography rows (bench/programs/bench/cryptowork.h).
$(BUILD)/user/bench: $(CRYPTO_UOBJS)
$(BUILD)/user/keyvault: $(CRYPTO_UOBJS) $(CRYPTO_RT_UOBJS)
$(BUILD)/user/cryptotest: $(CRYPTO_UOBJS) $(CRYPTO_RT_UOBJS) \
	$(CRYPTO_KAT_UOBJS)

# The development TLS server key and its self-signed certificate for
# localhost, made at build time (services/keyvault/mkdevtls.sh), NOT FOR
# PRODUCTION. system/crypto.capnp imports the key vault's arguments from
# $(DEVTLS_DIR)/devtls.capnp, so its manifest is compiled with that folder
# on the import path; tests/qemu/test_crypto.py verifies with cert.der.
DEB_PACKAGES += openssl
DEVTLS_DIR := $(BUILD)/devtls

$(DEVTLS_DIR)/devtls.capnp: services/keyvault/mkdevtls.sh | deps
	@echo "  DEVTLS  $(DEVTLS_DIR) (development key, NOT FOR PRODUCTION)"
	@sh $< $(DEVTLS_DIR)

$(BUILD)/crypto.manifest.bin: system/crypto.capnp $(DEVTLS_DIR)/devtls.capnp \
    $(CAPNP_SCHEMAS) | deps
	@mkdir -p $(dir $@)
	capnp eval --binary -I$(DEVTLS_DIR) $< manifest > $@.tmp && \
		mv $@.tmp $@

# The test system (system/crypto.capnp, tests/qemu/test_crypto.py).
PKG_BINARIES_crypto := $(BUILD)/user/init $(BUILD)/user/keyvault \
	$(BUILD)/user/cryptotest
ALL_TARGETS += $(BUILD)/crypto.pkg

# ---- For the Linux bench guest (mk/bench.mk) ----

# The Linux side of make bench's cryptography rows runs the same lib/crypto
# and wolfCrypt sources with the same configuration and optimisation as
# capOS userspace (UCFLAGS: -O2, -fno-tree-loop-distribute-patterns),
# compiled by the host compiler into the static guest program, without
# the unit runner's sanitizers.
BENCH_CRYPTO_DIR := $(BENCH_LINUX)/crypto
BENCH_CRYPTO_CFLAGS = -std=c11 -O2 -fno-tree-loop-distribute-patterns \
	$(CRYPTO_INCLUDES) -MMD -MP
BENCH_WOLFCRYPT_OBJS := $(patsubst $(WOLFSSL_DIR)/%.c,$(BENCH_CRYPTO_DIR)/%.o, \
	$(WOLFCRYPT_SRCS))
BENCH_CRYPTO_OBJS := $(patsubst lib/crypto/%.c,$(BENCH_CRYPTO_DIR)/lib/%.o, \
	$(CRYPTO_SRCS))

$(BENCH_CRYPTO_DIR)/%.o: $(WOLFSSL_DIR)/%.c $(WOLFSSL_STAMP) \
    lib/crypto/user_settings.h | deps
	@mkdir -p $(dir $@)
	@echo "  GUESTCC wolfssl/$*.c"
	@$(HOSTCC) $(BENCH_CRYPTO_CFLAGS) $(WOLFCRYPT_CFLAGS) -c -o $@ $<

$(BENCH_CRYPTO_DIR)/lib/%.o: lib/crypto/%.c $(WOLFSSL_STAMP) | deps
	@mkdir -p $(dir $@)
	@echo "  GUESTCC lib/crypto/$*.c"
	@$(HOSTCC) $(BENCH_CRYPTO_CFLAGS) -Wall -Wextra -Werror -c -o $@ $<

-include $(BENCH_WOLFCRYPT_OBJS:.o=.d) $(BENCH_CRYPTO_OBJS:.o=.d)

$(BENCH_LINUX)/linuxbench: $(BENCH_CRYPTO_OBJS) $(BENCH_WOLFCRYPT_OBJS)
$(BENCH_LINUX)/linuxbench: BENCH_GUEST_CFLAGS += $(CRYPTO_INCLUDES)

# make test-fuzz replays its corpus through the unit runner's host build of
# lib/crypto and wolfCrypt (mk/fuzz.mk).
FUZZ_SRCS_crypto_parsers = $(CRYPTO_HOST_OBJS) $(WOLFCRYPT_HOST_OBJS)
FUZZ_CFLAGS_crypto_parsers = $(CRYPTO_INCLUDES)

# libFuzzer target for lib/crypto's functions that take a peer's bytes
# (make fuzz builds it too). wolfCrypt is compiled into it with the host
# build's allowances (docs/crypto.md); lib/crypto's own warnings are
# checked with -Werror by the unit runner's build.
fuzz: $(BUILD)/fuzz/crypto_parsers

$(BUILD)/fuzz/crypto_parsers: tests/fuzz/crypto_parsers.c $(CRYPTO_SRCS) \
    $(CRYPTO_HDRS) $(WOLFCRYPT_SRCS) | deps
	@sh tools/deps.sh $(FUZZ_PACKAGES)
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -fwrapv -fsanitize=fuzzer,address,undefined \
		-fno-sanitize=shift-base $(CRYPTO_INCLUDES) -o $@ \
		$< $(CRYPTO_SRCS) $(WOLFCRYPT_SRCS)
