# lwIP 2.1.3 for the netstack service (docs/third-party.md):
#   build/third_party/lwip/   Debian's source package, pinned in
#                             tools/third-party.lock, fetched and unpacked
#                             with Debian's patches by tools/fetch-source.sh
#   build/third_party/lwip-capos/
#                             its src/ with our patches applied on top
#                             (services/netstack/patches/, in name order):
#                             everything below compiles this tree
#   build/u/liblwip.a         lwIP built freestanding for capOS userspace
#                             with the netstack's port (services/netstack/
#                             lwipopts.h and arch/)
#   build/tests/lwip/runner   the same sources and port built for the host
#                             under ASan/UBSan, with the tests/lwip suite
# and lib/c's ctype and number conversions, which lwIP needs.
#
# This file must sort before user.mk: it adds to USER_LIB_EXTRA_SRCS, which
# user.mk reads when it is included.

# apt-get and dpkg-source (dpkg-dev brings patch and xz-utils along).
DEB_PACKAGES += dpkg-dev

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

# ---- Fetching lwIP ----

LWIP_DIR := $(BUILD)/third_party/lwip
LWIP_STAMP := $(LWIP_DIR)/.capos-source
LWIP_PORT := services/netstack
LWIP_PORT_HDRS := $(LWIP_PORT)/lwipopts.h $(wildcard $(LWIP_PORT)/arch/*.h)

# The script does nothing when the tree already matches the pin; it only
# refreshes the stamp, so a changed lock file costs one lwIP recompile.
$(LWIP_STAMP): tools/third-party.lock | deps
	@sh tools/fetch-source.sh lwip $(LWIP_DIR)

# ---- Our patches to lwIP ----

# Fixes to lwIP's own code, each a documented patch (docs/third-party.md)
# applied after Debian's. The patched tree is made afresh from the fetched
# one whenever the fetch or a patch changes, so a patch never meets a tree
# it was already applied to; a patch that does not apply cleanly stops the
# build.
LWIP_SRC := $(BUILD)/third_party/lwip-capos
LWIP_PATCHED := $(LWIP_SRC)/.capos-patched
LWIP_PATCHES := $(sort $(wildcard $(LWIP_PORT)/patches/*.patch))
# The names of the patches, rewritten only when they change, so that a
# patch taken away also makes the tree again.
LWIP_PATCH_LIST := $(BUILD)/third_party/lwip-patches.list
$(shell mkdir -p $(dir $(LWIP_PATCH_LIST)) && \
	echo '$(notdir $(LWIP_PATCHES))' | cmp -s - $(LWIP_PATCH_LIST) || \
	echo '$(notdir $(LWIP_PATCHES))' >$(LWIP_PATCH_LIST))

$(LWIP_PATCHED): $(LWIP_STAMP) $(LWIP_PATCHES) $(LWIP_PATCH_LIST)
	@rm -rf $(LWIP_SRC) $(LWIP_SRC).tmp
	@mkdir -p $(LWIP_SRC).tmp
	@cp -a $(LWIP_DIR)/src $(LWIP_SRC).tmp/src
	@for p in $(LWIP_PATCHES); do \
		echo "  PATCH   lwip: $$(basename $$p)"; \
		patch -d $(LWIP_SRC).tmp -p1 --batch --forward --quiet \
			--no-backup-if-mismatch <$$p || exit 1; \
	done
	@touch $(LWIP_SRC).tmp/.capos-patched
	@mv $(LWIP_SRC).tmp $(LWIP_SRC)

# The parts of lwIP the netstack uses: the core with TCP and UDP, IPv4
# with DHCP and ARP, and Ethernet. The sources exist once the patched
# tree does.
LWIP_CORE := def dhcp etharp icmp inet_chksum init ip ip4 ip4_addr ip4_frag \
	mem memp netif pbuf stats tcp tcp_in tcp_out timeouts udp
LWIP_SRCS := $(foreach f,$(LWIP_CORE),$(LWIP_SRC)/src/core/$(if $(filter \
	dhcp etharp icmp ip4 ip4_addr ip4_frag,$(f)),ipv4/)$(f).c) \
	$(LWIP_SRC)/src/netif/ethernet.c
$(LWIP_SRCS): | $(LWIP_PATCHED)

LWIP_INCLUDES = -I$(LWIP_PORT) -I$(LWIP_SRC)/src/include

# ---- lwIP for capOS userspace ----

LWIP_ULIB := $(BUILD)/u/liblwip.a
LWIP_UOBJS := $(patsubst $(LWIP_SRC)/%.c,$(BUILD)/u/lwip/%.o,$(LWIP_SRCS))
# The userspace flags; lwIP's own warnings are shown but, being third-party
# code, do not fail the build. Our port headers are checked with -Werror
# by the host build of tests/lwip.
LWIP_UCFLAGS = $(UCFLAGS) $(LWIP_INCLUDES) -Wno-error

ALL_TARGETS += $(LWIP_ULIB)

$(BUILD)/u/lwip/%.o: $(LWIP_SRC)/%.c $(LWIP_PATCHED) | deps
	@mkdir -p $(dir $@)
	@echo "  UCC     lwip/$*.c"
	@$(UCC) $(LWIP_UCFLAGS) -c -o $@ $<

$(LWIP_ULIB): $(LWIP_UOBJS)
	@rm -f $@
	@ar rcs $@ $^

-include $(LWIP_UOBJS:.o=.d)

# ---- lwIP on the host, and the test-lwip suite ----

LWIP_HOST_DIR := $(BUILD)/tests/lwip
LWIP_HOST_OBJS := $(patsubst $(LWIP_SRC)/%.c,$(LWIP_HOST_DIR)/%.o,$(LWIP_SRCS))
LWIP_TEST_SRCS := tests/unit/main.c $(wildcard tests/lwip/*.c)
LWIP_RUNNER := $(LWIP_HOST_DIR)/runner
LWIP_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
LWIP_HOST_CFLAGS = -std=c11 -g -O1 $(LWIP_SAN) $(LWIP_INCLUDES)
LWIP_TEST_CFLAGS = $(LWIP_HOST_CFLAGS) -Wall -Wextra -Werror -Itests/unit \
	-Itests/lwip

$(LWIP_HOST_DIR)/%.o: $(LWIP_SRC)/%.c $(LWIP_PATCHED) | deps
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  lwip/$*.c"
	@$(HOSTCC) $(LWIP_HOST_CFLAGS) -Wall -Wextra -MMD -MP -c -o $@ $<

$(LWIP_RUNNER): $(LWIP_TEST_SRCS) $(wildcard tests/lwip/*.h) \
    tests/unit/test.h $(LWIP_PORT_HDRS) $(LWIP_HOST_OBJS)
	$(HOSTCC) $(LWIP_TEST_CFLAGS) -o $@ $(LWIP_TEST_SRCS) $(LWIP_HOST_OBJS)

-include $(LWIP_HOST_OBJS:.o=.d)

# The suite also checks that build/u/liblwip.a needs nothing from the C
# library beyond lib/c, which it links against lib/c's user objects for.
LWIP_LIBC_UOBJS := $(BUILD)/u/lib/c/string.c.o $(BUILD)/u/lib/c/ctype.c.o \
	$(BUILD)/u/lib/c/stdlib.c.o

TEST_SUITES += lwip
.PHONY: test-lwip
## test-lwip: lwIP with the netstack's configuration on the host (ASan/UBSan), and its freestanding link
test-lwip: $(LWIP_RUNNER) $(LWIP_ULIB) $(LWIP_LIBC_UOBJS)
	@$(PYTHON) tests/lwip/run.py --runner $(LWIP_RUNNER) \
		--lib $(LWIP_ULIB) $(LWIP_LIBC_UOBJS)

# ---- The netstack program ----

# Its sources see lwIP's headers and the port, and wait for the fetch.
NETSTACK_OBJS := $(patsubst %,$(BUILD)/u/%.o,$(wildcard services/netstack/*.c))
$(NETSTACK_OBJS): UCFLAGS += $(LWIP_INCLUDES)
$(NETSTACK_OBJS): | $(LWIP_PATCHED)
# mk/user.mk links every .o prerequisite of a program: lwIP's objects
# join the netstack's own that way.
$(BUILD)/user/netstack: $(LWIP_UOBJS)

# The network test system: two netstacks joined by nic-loop
# (system/net-loop.capnp, tests/qemu/test_net.py).
PKG_BINARIES_net-loop := $(BUILD)/user/init $(BUILD)/user/nic-loop \
	$(BUILD)/user/netstack $(BUILD)/user/echo $(BUILD)/user/nettest
ALL_TARGETS += $(BUILD)/net-loop.pkg
