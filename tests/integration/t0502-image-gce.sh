#!/bin/sh
# t0502-image-gce — the `gce` export: NAME.tar.gz holding disk.raw in GNU tar's sparse format, its size a
# whole GiB, as Compute Engine imports it. Read back by two readers that do not share code with kiln
# (GNU tar and Python's tarfile), byte for byte; sparse maps long enough for extension headers; offsets
# past 8 GiB (GNU's base-256 numbers); no leftovers after a failure.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

DRIVER="$KILN_BUILDDIR/tests/helpers/image-driver"

# 64 MiB with data in three places, holes elsewhere (as t0500)
qemu-img create -q -f qcow2 src.qcow2 64M &&
qemu-io -c "write -P 0x4b 0 4M" -c "write -P 0x69 20M 1M" -c "write -P 0x6e 63M 1M" src.qcow2 >/dev/null || exit 1

no_leftovers() {
	! ls -A "$1" | grep -e '\.kiln-tmp-' -e '^\.kiln-export-'
}

# tarinfo FILE: "name size sparse-flag type data-extents" of each member, as Python's tarfile reads them
tarinfo() {
	python3 -c '
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        print(m.name, m.size, m.issparse(), m.type.decode(), len([e for e in m.sparse or [] if e[1]]))' "$1"
}

test_expect_success 'gce: NAME.tar.gz with one member, disk.raw, sparse, a whole GiB' '
	mkdir exp &&
	"$DRIVER" export src.qcow2 exp vm gce >stdout 2>stderr &&
	test_grep "formats: gce" stdout &&
	test -s exp/vm.tar.gz &&
	tarinfo exp/vm.tar.gz >info &&
	echo "disk.raw 1073741824 True S 3" >want &&
	test_cmp want info &&
	tar -tzf exp/vm.tar.gz >list &&
	echo disk.raw >want &&
	test_cmp want list &&
	no_leftovers exp
'

test_expect_success 'gce: the archive is the old GNU format (magic "ustar  ") and gzip' '
	gzip -dc exp/vm.tar.gz | head -c 512 >head &&
	test "$(dd if=head bs=1 skip=257 count=7 2>/dev/null)" = "ustar  " &&
	test "$(dd if=head bs=1 skip=156 count=1 2>/dev/null)" = S &&
	test $(($(gzip -dc exp/vm.tar.gz | wc -c) % 10240)) -eq 0
'

test_expect_success 'gce: GNU tar extracts the same disk, the rest of the GiB zeros, sparse on disk' '
	mkdir x && (cd x && tar -xSzf ../exp/vm.tar.gz) &&
	test $(stat -c %s x/disk.raw) -eq 1073741824 &&
	qemu-img compare -q -f qcow2 -F raw src.qcow2 x/disk.raw 2>cmp || {
		# compare checks the common 64 MiB and then that the bigger image is zero beyond it
		cat cmp; false; } &&
	test $(du -k x/disk.raw | cut -f1) -lt 20000
'

test_expect_success 'gce: only the data is stored (the archive is small, packing read 6 MiB)' '
	test $(stat -c %s exp/vm.tar.gz) -lt 100000 &&
	test_grep "Packing disk.raw for Compute Engine (sparse, gzip): 100% (6.0 MiB of 6.0 MiB" stdout
'

test_expect_success 'gce with raw: the raw output is reused, both are right' '
	mkdir exp2 &&
	"$DRIVER" export src.qcow2 exp2 vm raw,gce >stdout 2>stderr &&
	test $(grep -c "Converting to raw: 100%" stdout) -eq 1 &&
	tarinfo exp2/vm.tar.gz >info && echo "disk.raw 1073741824 True S 3" >want && test_cmp want info &&
	no_leftovers exp2
'

test_expect_success 'gce: 30 extents (extension headers after the 4 in the header), read by both readers' '
	qemu-img create -q -f qcow2 many.qcow2 64M &&
	set -- && i=0 && while [ $i -lt 30 ]; do
		set -- "$@" -c "write -P $((i + 1)) $((i * 2))M 64k"; i=$((i + 1)); done &&
	qemu-io "$@" many.qcow2 >/dev/null &&
	mkdir exp3 && "$DRIVER" export many.qcow2 exp3 many gce >stdout 2>stderr &&
	tarinfo exp3/many.tar.gz >info &&
	echo "disk.raw 1073741824 True S 30" >want && test_cmp want info &&
	gzip -dc exp3/many.tar.gz | head -c 512 | tail -c +483 | head -c 1 | od -An -tu1 >ext &&
	test $(cat ext) -eq 1 &&
	mkdir y && (cd y && tar -xSzf ../exp3/many.tar.gz) &&
	qemu-img compare -q -f qcow2 -F raw many.qcow2 y/disk.raw
'

test_expect_success 'gce: data past 8 GiB (base-256 numbers in the sparse map)' '
	qemu-img create -q -f qcow2 big.qcow2 9G &&
	qemu-io -c "write -P 0x55 0 64k" -c "write -P 0x77 8704M 1M" big.qcow2 >/dev/null &&
	mkdir exp4 && "$DRIVER" export big.qcow2 exp4 big gce >stdout 2>stderr &&
	tarinfo exp4/big.tar.gz >info &&
	echo "disk.raw 9663676416 True S 2" >want && test_cmp want info &&
	mkdir z && (cd z && tar -xSzf ../exp4/big.tar.gz) &&
	test $(stat -c %s z/disk.raw) -eq 9663676416 &&
	qemu-img compare -q -f qcow2 -F raw big.qcow2 z/disk.raw &&
	test $(du -k z/disk.raw | cut -f1) -lt 10000
'

test_expect_success 'gce: an output directory that cannot take it fails cleanly, nothing left' '
	mkdir ro && chmod 0555 ro &&
	test_when_finished "chmod 0755 ro" &&
	if [ "$(id -u)" -eq 0 ]; then
		# root writes anyway: a full file system stands in (a 1 MiB tmpfs cannot hold the 6 MiB of data)
		mkdir full && mount -t tmpfs -o size=1m tmpfs full &&
		test_when_finished "umount full" &&
		! "$DRIVER" export src.qcow2 full vm gce >out 2>err &&
		no_leftovers full && ! test -e full/vm.tar.gz
	else
		! "$DRIVER" export src.qcow2 ro vm gce >out 2>err &&
		no_leftovers ro
	fi
'

test_done
