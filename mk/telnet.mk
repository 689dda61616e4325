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
