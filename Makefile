# capOS top-level Makefile.
#
# Every subsystem describes its own outputs in a fragment under mk/; this file
# holds only the shared settings and the targets whose meaning never changes.
# A target users call is documented by a line
#   ## target: what it does
# above its rule; `make help` and the README's table are made from them
# (tools/make-help.py), and the run suite checks that the two agree.

BUILD   := build
HOSTCC  ?= gcc
PYTHON  ?= python3
QEMU    ?= qemu-system-x86_64

# Suites that `make test` runs, in order. A fragment adds its suite name here
# and defines a `test-<name>` target whose output ends with the line
# "N passed, N failed".
TEST_SUITES :=

.DEFAULT_GOAL := all
.PHONY: all run test iso deps clean help
.SUFFIXES:
# Keep intermediate objects, so a rebuild only redoes what changed.
.SECONDARY:

include $(sort $(wildcard mk/*.mk))

## all: build everything under build/
all: $(ALL_TARGETS)

## test: build, then run every test suite; ends with "N passed, N failed"
test: all
	@$(PYTHON) tests/run_suites.py $(TEST_SUITES)

## clean: remove build/
clean:
	rm -rf $(BUILD)

## help: this list of targets
help:
	@$(PYTHON) tools/make-help.py Makefile $(sort $(wildcard mk/*.mk))
