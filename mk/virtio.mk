# The virtio-net driver and its test system (system/nic.capnp): the driver
# serving Nic, and nictest talking ARP with QEMU's user network through it.
# Deferred `=`, so the order of fragments does not matter.
PKG_BINARIES_nic = $(USER_DIR)/init $(USER_DIR)/virtio-net \
	$(USER_DIR)/nictest
ALL_TARGETS += $(BUILD)/nic.pkg
