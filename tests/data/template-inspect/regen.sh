#!/bin/sh
# regen.sh — regenerate the expected `inspect` output (CASE.out) of each template directory here with
# Packer 1.6.6 (apt-get install packer): `packer inspect $(cat CASE.args) CASE`. Review the diff.
set -e
cd "$(dirname "$0")"
for d in */; do
	c=${d%/}
	# shellcheck disable=SC2046
	CHECKPOINT_DISABLE=1 packer inspect $(cat "$c.args") "$c" >"$c.out"
done
