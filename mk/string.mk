# lib/c's string functions under host test, built like the rest of lib/c
# for the host (the pattern rule and flags are in mk/lwip.mk).
UNIT_SRCS += tests/unit/test_string.c $(BUILD)/tests/unit/libc/string.o
