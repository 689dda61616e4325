# make deps: install the Debian packages the build and the tests use.
# tools/deps.sh checks each package first, so a machine that has them all
# pays only for a dpkg query. Fragments add what they need to DEB_PACKAGES.

DEB_PACKAGES += gcc make binutils python3 qemu-system-x86 grub-pc-bin \
	grub-common xorriso mtools

deps:
	@sh tools/deps.sh $(sort $(DEB_PACKAGES))
