# capOS top-level Makefile.
#
# Every subsystem describes its own outputs in a fragment under mk/; this file
# holds only the shared settings and the targets whose meaning never changes:
#   make            build everything
#   make run        boot the default system in QEMU (serial on the terminal)
#   make test       every test suite, ending with one "N passed, N failed" line
#   make test-unit  host unit tests
#   make test-qemu  QEMU boot tests
#   make iso        GRUB Multiboot2 ISO at build/capos.iso
#   make deps       install the Debian packages the build needs

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

all: $(ALL_TARGETS)

test: all
	@$(PYTHON) tests/run_suites.py $(TEST_SUITES)

clean:
	rm -rf $(BUILD)

help:
	@sed -n '3,11p' Makefile | sed 's/^# //'
