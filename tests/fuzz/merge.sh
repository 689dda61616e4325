#!/bin/sh
# Adds to a committed corpus the fewest inputs of a fuzz-run corpus that
# reach coverage edges the committed corpus does not (libFuzzer -merge=1
# counting edges only, so a handful of small files), each named
# cov-<first 16 hex digits of its SHA-1>.
#
#	merge.sh FUZZER RUN-CORPUS COMMITTED-CORPUS
set -eu

fuzzer=$1
run=$2
committed=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/corpus"
cp "$committed"/* "$tmp/corpus/"
if ! "$fuzzer" -merge=1 -use_counters=0 "$tmp/corpus" "$run" \
    >"$tmp/log" 2>&1; then
	cat "$tmp/log" >&2
	exit 1
fi
added=0
for f in "$tmp/corpus"/*; do
	name=${f##*/}
	[ -e "$committed/$name" ] && continue
	cp "$f" "$committed/cov-$(echo "$name" | cut -c1-16)"
	added=$((added + 1))
done
echo "fuzz-merge: $committed: $added inputs added"
