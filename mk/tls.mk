# TLS 1.3 (docs/tls.md): lib/tls, capOS's server connections over wolfSSL's
# TLS layer, and the HTTPS test system.
#   build/u/wolfssl-tls/   wolfSSL's TLS and wolfCrypt sources built with
#                          lib/tls/user_settings.h (lib/crypto's wolfCrypt
#                          configuration plus the TLS layer), for the
#                          programs that terminate TLS; every other
#                          program keeps lib/crypto's wolfCrypt-only build
# Programs that use lib/tls add $(TLS_UOBJS) to their prerequisites and
# $(TLS_INCLUDES) to their objects' UCFLAGS, as tlstest does below.
#
# This file needs mk/crypto.mk's WOLFSSL_DIR and stamp (it sorts after).

# The TLS layer, and the wolfCrypt parts TLS 1.3 with one suite
# (TLS_AES_128_GCM_SHA256), X25519, P-256 and certificate parsing needs.
TLS_WOLFSSL_FILES := src/internal src/ssl src/tls src/tls13 src/keys \
	src/wolfio wolfcrypt/src/aes wolfcrypt/src/asn wolfcrypt/src/kdf \
	wolfcrypt/src/logging $(patsubst %,wolfcrypt/src/%, sha sha256 sha512 \
	hash hmac curve25519 fe_operations ecc sp_int sp_c64 wolfmath random \
	memory wc_port)
TLS_WOLFSSL_SRCS := $(patsubst %,$(WOLFSSL_DIR)/%.c,$(TLS_WOLFSSL_FILES))
$(TLS_WOLFSSL_SRCS): | $(WOLFSSL_STAMP)

# lib/tls's own user_settings.h must be found before lib/crypto's.
TLS_INCLUDES = -DWOLFSSL_USER_SETTINGS -Ilib/tls -Ilib/crypto \
	-Ilib/crypto/rt -I$(WOLFSSL_DIR)

TLS_WOLFSSL_UOBJS := $(patsubst $(WOLFSSL_DIR)/%.c, \
	$(BUILD)/u/wolfssl-tls/%.o,$(TLS_WOLFSSL_SRCS))
TLS_LIB_UOBJS := $(BUILD)/u/lib/tls/tls.c.o $(BUILD)/u/lib/tls/config.c.o
# lib/crypto's allocator (the per-connection bound), wiping, and its
# Entropy reader: none of them depends on wolfSSL's configuration.
TLS_UOBJS := $(TLS_LIB_UOBJS) $(TLS_WOLFSSL_UOBJS) \
	$(BUILD)/u/lib/crypto/alloc.c.o $(BUILD)/u/lib/crypto/util.c.o \
	$(BUILD)/u/lib/crypto/rt/entropy.c.o

$(BUILD)/u/wolfssl-tls/%.o: $(WOLFSSL_DIR)/%.c $(WOLFSSL_STAMP) \
    lib/tls/user_settings.h lib/crypto/user_settings.h | deps
	@mkdir -p $(dir $@)
	@echo "  UCC     wolfssl-tls/$*.c"
	@$(UCC) $(UCFLAGS) $(TLS_INCLUDES) $(WOLFCRYPT_CFLAGS) -c -o $@ $<

$(TLS_LIB_UOBJS): UCFLAGS += $(TLS_INCLUDES)
$(TLS_LIB_UOBJS): | $(WOLFSSL_STAMP)

-include $(TLS_WOLFSSL_UOBJS:.o=.d)

# ---- The HTTPS test system (system/tls.capnp, tests/qemu/test_tls.py) ----

# The test's host clients: openssl s_client (mk/crypto.mk installs openssl)
# and curl.
DEB_PACKAGES += curl

TLSTEST_OBJS := $(patsubst %,$(BUILD)/u/%.o,$(wildcard \
	tests/programs/tlstest/*.c))
$(TLSTEST_OBJS): UCFLAGS += $(TLS_INCLUDES) -Ilib/proto/http
$(BUILD)/u/lib/proto/http/http.c.o: UCFLAGS += -Ilib/proto/http
$(BUILD)/user/tlstest: $(TLS_UOBJS) $(BUILD)/u/lib/proto/http/http.c.o

# The manifest imports the development key vault's arguments, as
# system/crypto.capnp does (mk/crypto.mk).
$(BUILD)/tls.manifest.bin: system/tls.capnp $(DEVTLS_DIR)/devtls.capnp \
    $(CAPNP_SCHEMAS) | deps
	@mkdir -p $(dir $@)
	capnp eval --binary -I$(DEVTLS_DIR) $< manifest > $@.tmp && \
		mv $@.tmp $@

PKG_BINARIES_tls = $(BUILD)/user/init $(BUILD)/user/virtio-net \
	$(BUILD)/user/netstack $(BUILD)/user/keyvault $(BUILD)/user/tlstest
ALL_TARGETS += $(BUILD)/tls.pkg

# ---- The fuzz target (tests/fuzz/tls_server.c) ----

# The server as lib/tls configures it, on a client's bytes, built for the
# host under ASan/UBSan with the same settings (and wolfCrypt's host
# allowances, mk/crypto.mk). It reads the development certificate.
TLS_HOST_DIR := $(BUILD)/tests/tls
TLS_HOST_CFLAGS = -std=c11 -g -O1 -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer \
	$(TLS_INCLUDES) -MMD -MP
TLS_WOLFSSL_HOST_OBJS := $(patsubst $(WOLFSSL_DIR)/%.c,$(TLS_HOST_DIR)/%.o, \
	$(TLS_WOLFSSL_SRCS))
TLS_CONFIG_HOST_OBJ := $(TLS_HOST_DIR)/lib/config.o

$(TLS_HOST_DIR)/%.o: $(WOLFSSL_DIR)/%.c $(WOLFSSL_STAMP) \
    lib/tls/user_settings.h lib/crypto/user_settings.h | deps
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  wolfssl-tls/$*.c"
	@$(HOSTCC) $(TLS_HOST_CFLAGS) $(WOLFCRYPT_CFLAGS) \
		-fno-sanitize=shift-base -c -o $@ $<

$(TLS_CONFIG_HOST_OBJ): lib/tls/config.c $(WOLFSSL_STAMP) | deps
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  lib/tls/config.c"
	@$(HOSTCC) $(TLS_HOST_CFLAGS) -Wall -Wextra -Werror -c -o $@ $<

-include $(TLS_WOLFSSL_HOST_OBJS:.o=.d) $(TLS_CONFIG_HOST_OBJ:.o=.d)

TLS_FUZZ_CERT := $(DEVTLS_DIR)/cert.der
FUZZ_SRCS_tls_server = $(TLS_CONFIG_HOST_OBJ) $(TLS_WOLFSSL_HOST_OBJS) \
	$(CRYPTO_HOST_DIR)/lib/alloc.o $(CRYPTO_HOST_DIR)/lib/util.o
FUZZ_CFLAGS_tls_server = $(TLS_INCLUDES) -Iinclude \
	-DTLS_FUZZ_CERT='"$(TLS_FUZZ_CERT)"'
$(BUILD)/tests/fuzz/tls_server: $(DEVTLS_DIR)/devtls.capnp

$(BUILD)/fuzz/tls_server: tests/fuzz/tls_server.c lib/tls/config.c \
    lib/tls/config.h lib/tls/user_settings.h $(TLS_WOLFSSL_SRCS) \
    $(DEVTLS_DIR)/devtls.capnp | deps
	@sh tools/deps.sh $(FUZZ_PACKAGES)
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -fwrapv -fsanitize=fuzzer,address,undefined \
		-fno-sanitize=shift-base $(FUZZ_CFLAGS_tls_server) -o $@ $< \
		lib/tls/config.c $(TLS_WOLFSSL_SRCS) lib/crypto/alloc.c \
		lib/crypto/util.c
