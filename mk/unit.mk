# Host unit tests: one runner built from every test file and the pure code
# they exercise, under ASan and UBSan. A fragment adds its tests with
#   UNIT_SRCS += tests/unit/test_foo.c path/to/foo.c
#   UNIT_CFLAGS += -Ipath/to/headers      (optional)
#   UNIT_DEPS += generated headers        (optional)
# Prerequisites use second expansion, so fragments read after this one
# still count.

UNIT_RUNNER := $(BUILD)/tests/unit/runner
UNIT_SRCS += tests/unit/main.c tests/unit/lock_host.c
UNIT_CFLAGS += -std=c11 -D_DEFAULT_SOURCE -g -O1 -Wall -Wextra -Werror \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -Iinclude -Itests/unit -DCAPOS_HOST_TEST
UNIT_HDRS = $(shell find include lib kernel tests/unit -name '*.h' 2>/dev/null)

TEST_SUITES += unit
ALL_TARGETS += $(UNIT_RUNNER)

.SECONDEXPANSION:
$(UNIT_RUNNER): $$(UNIT_SRCS) $$(UNIT_DEPS) $$(UNIT_HDRS) | deps
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ $(UNIT_SRCS)

.PHONY: test-unit
## test-unit: host unit tests (ASan/UBSan); build/tests/unit/runner NAME runs some
test-unit: $(UNIT_RUNNER)
	@ASAN_OPTIONS=detect_leaks=1 $(UNIT_RUNNER)
