#!/bin/sh
# Download the Linux baseline guest's Debian packages into DIR without
# installing them: the kernel image package that linux-image-amd64 depends
# on today, busybox-static, and Dropbear's SSH server with the shared
# libraries it runs on (the SSH rows, bench/ssh.py). Refreshes the package lists once when they
# are missing or no longer name a downloadable version.
set -eu

dir=$1
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	SUDO=
fi

kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
	    sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1
}

fetch() {
	pkg=$(kernel_package)
	[ -n "$pkg" ] || return 1
	# Root downloads directly; apt's _apt sandbox user could not write here.
	(cd "$dir" && apt-get download -q -o APT::Sandbox::User=root \
	    "$pkg" busybox-static dropbear-bin libc6 libcrypt1 libtomcrypt1 \
	    libtommath1 libgmp10 zlib1g)
}

rm -f "$dir"/*.deb
if ! fetch; then
	$SUDO apt-get update -q >/dev/null
	fetch
fi
ls "$dir"
