#!/bin/sh
# Install the npm packages a folder pins, and check them:
#
#   tools/fetch-npm.sh SRCDIR OUTDIR
#
# SRCDIR holds package.json and package-lock.json (committed); OUTDIR
# (under build/, ignored) gets a copy of both and node_modules from
# `npm ci --ignore-scripts`, which installs exactly the locked versions
# and checks npm's integrity hashes. Then each package of the lock is
# packed again from npm's cache and its tarball's SHA-256 compared with
# its line in tools/third-party.lock:
#
#   npm:<name>  <tarball as npm pack names it>  <sha256>
#
# A package without a line, or with other bytes, stops here.
set -eu

src=$1
out=$2
lock=$(dirname "$0")/third-party.lock

rm -rf "$out"
mkdir -p "$out/dl"
cp "$src/package.json" "$src/package-lock.json" "$out/"
(cd "$out" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
node -e '
const lock = require(process.argv[1]);
for (const [path, p] of Object.entries(lock.packages))
	if (path.startsWith("node_modules/"))
		console.log(path.slice(13) + " " + p.version);
' "$(cd "$out" && pwd)/package-lock.json" | while read -r name version; do
	pin=$(awk -v p="npm:$name" '$1 == p { print $2, $3 }' "$lock")
	if [ -z "$pin" ]; then
		echo "fetch-npm: $name has no line in $lock" >&2
		exit 1
	fi
	tgz=${pin% *}
	sum=${pin#* }
	got=$(cd "$out/dl" && npm pack --silent "$name@$version")
	if [ "$got" != "$tgz" ] ||
	    ! echo "$sum  $out/dl/$tgz" | sha256sum -c --quiet -; then
		echo "fetch-npm: $name@$version ($got) does not match $lock" >&2
		exit 1
	fi
done
