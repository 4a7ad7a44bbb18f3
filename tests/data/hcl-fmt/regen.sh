#!/bin/sh
# regen.sh — regenerate the expected output (*.fmt) of every case here with Packer 1.6.6's `packer fmt`
# (apt-get install packer). Review the diff before committing.
set -e
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in *.pkr.hcl; do
	cp "$f" "$tmp/$f"
	(cd "$tmp" && CHECKPOINT_DISABLE=1 packer fmt "$f" >/dev/null)
	cp "$tmp/$f" "$f.fmt"
done
