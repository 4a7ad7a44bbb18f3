#!/bin/sh
# bench/export.sh — kiln's sanitize + export against the chain a Packer user writes by hand after a
# build, on the same Debian 12 image (tests/fixtures/mk-debian-image), measured in one run:
#
#   chain:  virt-sysprep -a disk          (libguestfs appliance launch 1)
#           virt-sparsify --inplace disk  (launch 2)
#           qemu-img convert -c -O qcow2  (zlib-compressed qcow2)
#   kiln:   img_sanitize + img_export     (one launch: inspect, operations, fstrim; then a
#                                          zstd-compressed qcow2 written on every core)
#
# Both run their libguestfs appliance under TCG (LIBGUESTFS_BACKEND_SETTINGS=force_tcg for the chain,
# the accelerator argument for kiln), as on a host whose KVM cannot be trusted. Prints both times and
# sizes and the ratios; the goal is kiln <= 0.7x the chain's time with an output no larger.
#
#   bench/export.sh [--runs N] [--zlib]     (--zlib: kiln compresses with zlib too, like -c)
#
# --runs N (default BENCH_ROUNDS, else 1): each time is the best of N runs. The last lines,
# "RESULT bench=export ...", are the same figures for bench/run-all (bench/README.md).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILDDIR:-$top/build}
runs=${BENCH_ROUNDS:-1}
kiln_compression=zstd
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--zlib) kiln_compression=zlib; shift ;;
	*) echo "usage: bench/export.sh [--runs N] [--zlib]" >&2; exit 2 ;;
	esac
done

for tool in virt-sysprep virt-sparsify qemu-img; do
	command -v "$tool" >/dev/null || { echo "bench/export.sh: $tool is missing (scripts/install-deps)" >&2; exit 1; }
done
driver=$build/tests/helpers/image-driver
if [ ! -x "$driver" ]; then
	make -C "$build" tests/helpers/image-driver >/dev/null || { echo "bench/export.sh: cannot build $driver" >&2; exit 1; }
fi
base=$("$top/tests/fixtures/mk-debian-image") || { echo "bench/export.sh: no Debian image" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/var/tmp}/kiln-bench-export.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }
size_of() { stat -c %s "$1"; }

export LIBGUESTFS_BACKEND=direct
echo "image: $base ($(qemu-img info --output=json "$base" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p') bytes virtual)"
echo "runs: $runs; kiln compression: $kiln_compression"

best_chain= best_kiln= chain_size= kiln_size=
i=0
while [ $i -lt "$runs" ]; do
	i=$((i + 1))
	rm -rf "$work"/*
	cp "$base" "$work/chain.qcow2"
	cp "$base" "$work/kiln.qcow2"
	mkdir "$work/out"
	sync

	t0=$(now)
	LIBGUESTFS_BACKEND_SETTINGS=force_tcg virt-sysprep -q -a "$work/chain.qcow2" >"$work/sysprep.log" 2>&1 ||
		{ cat "$work/sysprep.log" >&2; exit 1; }
	t1=$(now)
	LIBGUESTFS_BACKEND_SETTINGS=force_tcg virt-sparsify -q --inplace "$work/chain.qcow2" >"$work/sparsify.log" 2>&1 ||
		{ cat "$work/sparsify.log" >&2; exit 1; }
	t2=$(now)
	qemu-img convert -c -O qcow2 "$work/chain.qcow2" "$work/chain-out.qcow2"
	t3=$(now)
	chain=$(elapsed "$t0" "$t3")
	echo "run $i chain: virt-sysprep $(elapsed "$t0" "$t1") s + virt-sparsify $(elapsed "$t1" "$t2") s +" \
		"qemu-img convert -c $(elapsed "$t2" "$t3") s = $chain s"

	t0=$(now)
	"$driver" sanitize-export -accel tcg -c "$kiln_compression" "$work/kiln.qcow2" "$work/out" kiln.qcow2 qcow2 \
		>"$work/kiln.log" 2>&1 || { cat "$work/kiln.log" >&2; exit 1; }
	t1=$(now)
	kiln=$(elapsed "$t0" "$t1")
	echo "run $i kiln:  sanitize+export $kiln s"

	chain_size=$(size_of "$work/chain-out.qcow2")
	kiln_size=$(size_of "$work/out/kiln.qcow2")
	if [ -z "$best_chain" ] || [ "$(echo "$chain < $best_chain" | bc)" = 1 ]; then best_chain=$chain; fi
	if [ -z "$best_kiln" ] || [ "$(echo "$kiln < $best_kiln" | bc)" = 1 ]; then best_kiln=$kiln; fi
done

qemu-img check -q "$work/out/kiln.qcow2"
echo
printf '%-34s %10s %14s\n' "" "time (s)" "output (bytes)"
printf '%-34s %10.1f %14s\n' "chain (sysprep+sparsify+convert -c)" "$best_chain" "$chain_size"
printf '%-34s %10.1f %14s\n' "kiln (sanitize+export, $kiln_compression)" "$best_kiln" "$kiln_size"
time_ratio=$(printf '%.2f' "$(echo "scale=4; $best_kiln / $best_chain" | bc)")
size_ratio=$(printf '%.3f' "$(echo "scale=5; $kiln_size / $chain_size" | bc)")
echo "time ratio kiln/chain: $time_ratio (goal <= 0.70)"
echo "size ratio kiln/chain: $size_ratio (goal <= 1.000)"
# machine-readable (bench/README.md)
met() { [ "$(echo "$1 <= $2" | bc)" = 1 ] && echo yes || echo no; }
echo "RESULT bench=export measure=\"sanitize + export: time (best of $runs)\" unit=s kiln=$(printf '%.1f' "$best_kiln") peer=chain" \
	"peer_value=$(printf '%.1f' "$best_chain") ratio=$time_ratio goal=\"<=0.70x\" met=$(met "$time_ratio" 0.70)" \
	"compression=$kiln_compression runs=$runs"
echo "RESULT bench=export measure=\"sanitize + export: output size\" unit=bytes kiln=$kiln_size peer=chain" \
	"peer_value=$chain_size ratio=$size_ratio goal=\"<=1.00x\" met=$(met "$size_ratio" 1.000)" \
	"compression=$kiln_compression"
