# lib/fmt: the formatter shared by the kernel, userspace and host tests.
UNIT_SRCS += tests/unit/test_fmt.c lib/fmt/fmt.c
UNIT_CFLAGS += -Ilib
