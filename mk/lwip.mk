# lwIP 2.1.3 for the netstack service (docs/third-party.md). This part:
# lib/c's ctype and number conversions, which lwIP needs.
#
# This file must sort before user.mk: it adds to USER_LIB_EXTRA_SRCS, which
# user.mk reads when it is included.

# ---- lib/c: character classes and number conversions ----

USER_LIB_EXTRA_SRCS += lib/c/ctype.c lib/c/stdlib.c

# Host unit tests: lib/c built against its own headers, its functions
# renamed capos_* so they stay out of the host C library's way.
LIBC_HOST_OBJS := $(BUILD)/tests/unit/libc/ctype.o \
	$(BUILD)/tests/unit/libc/stdlib.o
LIBC_HOST_CFLAGS = -std=c11 -ffreestanding -nostdinc \
	-isystem $(shell $(HOSTCC) -print-file-name=include) -Ilib/c/include \
	-DCAPOS_LIBC_RENAME -include tests/unit/libc_host.h \
	-g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer

$(BUILD)/tests/unit/libc/%.o: lib/c/%.c tests/unit/libc_host.h \
    $(wildcard lib/c/include/*.h) | deps
	@mkdir -p $(dir $@)
	$(HOSTCC) $(LIBC_HOST_CFLAGS) -c -o $@ $<

UNIT_SRCS += tests/unit/test_libc.c $(LIBC_HOST_OBJS)
