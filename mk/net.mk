# The networked system (system/net.capnp, docs/network.md): the virtio-net
# driver, the netstack on its Nic (DHCPv4 from QEMU's user network), echo
# on guest port 7 and closer on guest port 9.
#
#   make run-net   boots it; host 127.0.0.1:$(NET_ECHO_PORT) reaches echo
#                  (try `nc 127.0.0.1 7007`). Ctrl-a x leaves QEMU.

NET_ECHO_PORT ?= 7007

# Deferred `=`: user.mk, which defines USER_DIR, sorts after this file.
PKG_BINARIES_net = $(BUILD)/user/init $(BUILD)/user/virtio-net \
	$(BUILD)/user/netstack $(BUILD)/user/echo $(BUILD)/user/nettest
ALL_TARGETS += $(BUILD)/net.pkg
# The same system with short lifetimes and the counters on a port, for
# tests/qemu/test_net_host.py.
PKG_BINARIES_net-host = $(PKG_BINARIES_net)
ALL_TARGETS += $(BUILD)/net-host.pkg

NET_QEMU_NET := -netdev user,id=n0,hostfwd=tcp:127.0.0.1:$(NET_ECHO_PORT)-:7 \
	-device virtio-net-pci,netdev=n0

.PHONY: run-net
# The system serves until QEMU is left with Ctrl-a x, which ends the
# target with status 0; a real failure (the host port taken, a panic) is
# reported and fails it.
## run-net: the networked system: virtio-net, lwIP (DHCP) and a TCP echo service at 127.0.0.1:7007 (NET_ECHO_PORT); Ctrl-a x quits
run-net: $(KERNEL) $(BUILD)/net.pkg $(BUILD)/kvm-probe.pkg | deps
	@echo "echo service: 127.0.0.1:$(NET_ECHO_PORT) (Ctrl-a x leaves QEMU)"
	@$(RUN_QEMU) -kernel $(KERNEL) -initrd $(BUILD)/net.pkg $(NET_QEMU_NET)
