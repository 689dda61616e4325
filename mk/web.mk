# The web gateway's protocol engines (docs/web.md): pure code in
# lib/proto/{http,websocket,cbor,webauthn}, built here into the host unit
# runner and the fuzz targets; the service that will use them links them
# into capOS programs the same way.
#
# The WebSocket handshake (SHA-1, base64) and WebAuthn (SHA-256, P-256,
# Ed25519) use lib/crypto, whose host build mk/crypto.mk already puts in
# the unit runner.

WEB_DIRS := lib/proto/http lib/proto/websocket lib/proto/cbor \
	lib/proto/webauthn lib/proto/termstream
WEB_SRCS := $(foreach d,$(WEB_DIRS),$(wildcard $(d)/*.c))
WEB_HDRS := $(foreach d,$(WEB_DIRS),$(wildcard $(d)/*.h))
WEB_INCLUDES := $(addprefix -I,$(WEB_DIRS)) -Ilib/crypto

UNIT_SRCS += $(wildcard tests/unit/test_http*.c tests/unit/test_websocket*.c \
	tests/unit/test_cbor*.c tests/unit/test_webauthn*.c \
	tests/unit/test_termstream*.c) $(WEB_SRCS)
UNIT_CFLAGS += $(addprefix -I,$(WEB_DIRS)) -Itests/webauthn
# The WebAuthn vectors, written by tests/webauthn/gen.js and committed:
# the runner does not need Node, only these bytes.
UNIT_DEPS += tests/webauthn/vectors.h

# make test-fuzz replays each corpus through these sources (mk/fuzz.mk).
FUZZ_SRCS_http_parser = lib/proto/http/http.c
FUZZ_CFLAGS_http_parser = -Ilib/proto/http
FUZZ_SRCS_websocket_frames = lib/proto/http/http.c \
	lib/proto/websocket/websocket.c $(CRYPTO_HOST_OBJS) \
	$(WOLFCRYPT_HOST_OBJS)
FUZZ_CFLAGS_websocket_frames = $(WEB_INCLUDES)
FUZZ_SRCS_cbor_webauthn = lib/proto/cbor/cbor.c \
	lib/proto/webauthn/webauthn.c $(CRYPTO_HOST_OBJS) $(WOLFCRYPT_HOST_OBJS)
FUZZ_CFLAGS_cbor_webauthn = $(WEB_INCLUDES)
FUZZ_SRCS_termstream_messages = lib/proto/termstream/termstream.c
FUZZ_CFLAGS_termstream_messages = -Ilib/proto/termstream

# libFuzzer builds (make fuzz): the engines, and lib/crypto with wolfCrypt
# compiled in with the host build's allowances, as for crypto_parsers.
WEB_FUZZ_CC = clang -std=c11 -g -O1 -fwrapv -fsanitize=fuzzer,address,undefined \
	-fno-sanitize=shift-base

$(BUILD)/fuzz/http_parser: tests/fuzz/http_parser.c lib/proto/http/http.c \
    $(WEB_HDRS) | deps
	@sh tools/deps.sh $(FUZZ_PACKAGES)
	@mkdir -p $(dir $@)
	$(WEB_FUZZ_CC) -Ilib/proto/http -o $@ $< lib/proto/http/http.c

$(BUILD)/fuzz/termstream_messages: tests/fuzz/termstream_messages.c \
    lib/proto/termstream/termstream.c lib/proto/termstream/termstream.h | deps
	@sh tools/deps.sh $(FUZZ_PACKAGES)
	@mkdir -p $(dir $@)
	$(WEB_FUZZ_CC) -Ilib/proto/termstream -o $@ $< \
		lib/proto/termstream/termstream.c

$(BUILD)/fuzz/websocket_frames $(BUILD)/fuzz/cbor_webauthn: \
    $(BUILD)/fuzz/%: tests/fuzz/%.c $(WEB_SRCS) $(WEB_HDRS) $(CRYPTO_SRCS) \
    $(CRYPTO_HDRS) $(WOLFCRYPT_SRCS) | deps
	@sh tools/deps.sh $(FUZZ_PACKAGES)
	@mkdir -p $(dir $@)
	$(WEB_FUZZ_CC) $(WEB_INCLUDES) $(CRYPTO_INCLUDES) -o $@ $< \
		$(filter lib/proto/%,$(FUZZ_SRCS_$*)) \
		$(CRYPTO_SRCS) $(WOLFCRYPT_SRCS)
