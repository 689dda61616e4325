# make deps: install the Debian packages the build and the tests use.
# tools/deps.sh checks each package first, so a machine that has them all
# pays only for a dpkg query. Fragments add what they need to DEB_PACKAGES.

DEB_PACKAGES += gcc make binutils python3 qemu-system-x86 grub-pc-bin \
	grub-common xorriso mtools
# The clients the README and docs/network.md suggest for make run-net
# (nc, telnet); the run suite also checks they are there.
DEB_PACKAGES += telnet netcat-openbsd

## deps: install the missing Debian packages the build, the tests and the run targets use
deps:
	@sh tools/deps.sh $(sort $(DEB_PACKAGES))
