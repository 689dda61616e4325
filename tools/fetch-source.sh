#!/bin/sh
# Fetch a pinned Debian source package and unpack it, Debian's patches
# applied:
#
#   tools/fetch-source.sh PACKAGE OUTDIR
#
# PACKAGE must have a line in tools/third-party.lock naming its upstream
# tarball and that tarball's SHA-256. The system's apt configuration is
# left alone: apt reads a private copy of the system's Debian sources
# switched to deb-src, and keeps its lists and caches in a private folder
# next to OUTDIR, which is removed afterwards.
#
# OUTDIR ends up holding the unpacked tree and a stamp, .capos-source,
# whose first line repeats the pin. A later run with the same pin finds the
# stamp and does nothing (it only refreshes the stamp's time, so that make
# sees it as up to date), so the download happens once per clean checkout.
set -eu

lock=$(dirname "$0")/third-party.lock
stamp_name=.capos-source

die() {
	echo "fetch-source: $*" >&2
	exit 1
}

[ $# -eq 2 ] || die "usage: $0 PACKAGE OUTDIR"
pkg=$1
out=${2%/}

# The pin: exactly one line for the package, with a well-formed hash.
pins=$(awk -v p="$pkg" '$1 == p { print $2, $3 }' "$lock")
[ -n "$pins" ] || die "$pkg is not pinned in $lock"
[ "$(printf '%s\n' "$pins" | wc -l)" -eq 1 ] ||
	die "$pkg is pinned more than once in $lock"
set -- $pins
orig=$1
want=$2
case "$want" in
*[!0-9a-f]*) die "$lock: $pkg: the hash must be 64 lower-case hex digits" ;;
esac
[ ${#want} -eq 64 ] ||
	die "$lock: $pkg: the hash must be 64 lower-case hex digits"
case "$orig" in
"$pkg"_*.orig.tar.*) ;;
*) die "$lock: $pkg: '$orig' is not an upstream tarball of $pkg" ;;
esac
pin="$pkg $orig $want"

if [ -f "$out/$stamp_name" ] && [ "$(head -n 1 "$out/$stamp_name")" = "$pin" ]
then
	touch "$out/$stamp_name"
	exit 0
fi

for tool in apt-get dpkg-source sha256sum; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool is missing (run 'make deps')"
done

# Work in a sibling of OUTDIR, on the same file system, so that the final
# rename is atomic and a failed run never leaves a half-unpacked OUTDIR.
mkdir -p "$(dirname "$out")"
work=$(cd "$(dirname "$out")" && pwd)/.$(basename "$out").fetch
rm -rf "$work"
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" \
	"$work/dl"

# apt's download methods run as the unprivileged _apt user when apt is
# started as root; give that user the folders it writes into, rather than
# letting apt fall back to downloading as root.
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
	chown _apt "$work/apt/lists/partial" "$work/dl"
fi

# A deb-src copy of the system's Debian sources: same mirrors, suites and
# signing keys.
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
	sources=$work/apt/debian.sources
	sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
		>"$sources"
elif [ -f /etc/apt/sources.list ]; then
	sources=$work/apt/sources.list
	sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list \
		>"$sources"
else
	die "no Debian sources found (/etc/apt/sources.list.d/debian.sources" \
		"or /etc/apt/sources.list)"
fi

apt() {
	apt-get -q -o Dir::Etc::SourceList="$sources" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$work/apt/lists" \
		-o Dir::Cache="$work/apt/cache" \
		-o Acquire::Languages=none "$@"
}

echo "fetch-source: fetching Debian source package $pkg"
if ! apt update >"$work/update.log" 2>&1; then
	cat "$work/update.log" >&2
	die "apt-get update of the deb-src lists failed (is the Debian mirror" \
		"reachable?)"
fi
if ! (cd "$work/dl" && apt source --download-only "$pkg") \
	>"$work/source.log" 2>&1; then
	grep '^[WE]:' "$work/update.log" >&2 || true
	cat "$work/source.log" >&2
	die "apt-get source $pkg failed"
fi

if [ ! -f "$work/dl/$orig" ]; then
	found=$(cd "$work/dl" && ls -- *.orig.tar.* 2>/dev/null | grep -v '\.asc$' |
		tr '\n' ' ')
	die "Debian's $pkg comes with upstream tarball '${found% }', but" \
		"$lock pins '$orig'. Review the new upstream version before" \
		"changing the pin."
fi
got=$(sha256sum "$work/dl/$orig" | cut -d ' ' -f 1)
if [ "$got" != "$want" ]; then
	die "SHA-256 mismatch for $orig: pinned $want, downloaded $got." \
		"Nothing was unpacked."
fi

set -- "$work"/dl/"$pkg"_*.dsc
[ $# -eq 1 ] && [ -f "$1" ] || die "expected one $pkg .dsc, found: $*"
dsc=$1
version=$(sed -n 's/^Version: //p' "$dsc")

# dpkg-source checks every file against the checksums in the .dsc (which
# apt took from the signed Sources index) and applies Debian's patch series.
if ! dpkg-source -x "$dsc" "$work/src" >"$work/unpack.log" 2>&1; then
	cat "$work/unpack.log" >&2
	die "dpkg-source -x $(basename "$dsc") failed"
fi
printf '%s\ndebian-version %s\n' "$pin" "$version" >"$work/src/$stamp_name"

rm -rf "$out"
mv "$work/src" "$out"
echo "fetch-source: $pkg $version unpacked into $out ($orig, SHA-256 ok)"
