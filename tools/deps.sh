#!/bin/sh
# Install the Debian packages named on the command line that are missing.
# Runs `apt-get update` only when the package lists are empty or an install
# fails for want of them, and prints nothing when everything is present.
set -eu

missing=""
for pkg in "$@"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $pkg" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "deps: missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
else
	SUDO=
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
install() {
	$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
}
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || ! install; then
	$SUDO apt-get update -q >/dev/null
	install
fi
