#!/bin/sh
# regen.sh — regenerate expected.txt from Packer 1.6.6's `packer console` (apt-get install packer).
# Each line of cases.txt (comments and blank lines skipped) is fed to `packer console` on its own, with
# standard input a regular file (the mode in which Packer prints every result), in fixtures/ so that
# the file functions see the fixture files. Review the diff of expected.txt before committing.
#
#   tests/console/regen.sh            rewrite tests/console/expected.txt
set -eu
here=$(cd "$(dirname "$0")" && pwd)
command -v packer >/dev/null || { echo "regen.sh: packer (1.6.6) is not installed" >&2; exit 1; }
packer version | grep -q '1\.6\.6' || echo "regen.sh: warning: expected Packer 1.6.6, found $(packer version | head -1)" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out="$tmp/expected.txt"
: >"$out"
cd "$here/fixtures"
while IFS= read -r line || [ -n "$line" ]; do
	case "$line" in
	'#'*|'') continue ;;
	esac
	printf '%s\n' "$line" >"$tmp/in"
	printf '=== %s\n' "$line" >>"$out"
	# HOME is fixed so no case can depend on who regenerates; the exit status is not compared.
	HOME=/nonexistent CHECKPOINT_DISABLE=1 packer console t.pkr.hcl <"$tmp/in" >>"$out" 2>/dev/null || :
done <"$here/cases.txt"
mv "$out" "$here/expected.txt"
echo "regen.sh: wrote $(grep -c '^=== ' "$here/expected.txt") cases to tests/console/expected.txt"
