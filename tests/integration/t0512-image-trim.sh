#!/bin/sh
# t0512-image-trim — sanitize's trim reaches every filesystem on a partitioned disk: the root the
# guest's fstab names (trimmed where inspection mounted it), a filesystem no fstab names (mounted just
# for the trim) and a swap area (discarded and recreated with its UUID and label). The disk starts
# filled with non-zero bytes, so every trimmed free block shows as a hole in the qcow2 afterwards.
# One appliance launch for the sanitize, one guestfish launch for the check.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

DRIVER="$KILN_BUILDDIR/tests/helpers/image-driver"
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg

MIB=1048576
SWAP_UUID=6b1e1b52-0a3c-4d47-9c55-2f5d7e4c9a10

# Layout (MiB): 1 gap | 64 root (p1) | 32 swap (p2) | 48 data (p3, in no fstab)
ssh-keygen -q -t ed25519 -N '' -C kiln-temporary -f temp &&
sh "$KILN_SRCDIR/tests/lib/mk-fake-guest.sh" root.qcow2 temp.pub temp.pub &&
qemu-img convert -q -O raw root.qcow2 root.raw &&
# 40 MiB of the root's free space holds the data of a deleted file
yes kiln | head -c $((40 * MIB)) >junk &&
debugfs -w -R "write junk junk" root.raw >/dev/null 2>&1 &&
debugfs -w -R "rm junk" root.raw >/dev/null 2>&1 &&
yes kiln | head -c $((32 * MIB)) >swap.raw &&
mkswap -q -L kiln-swap -U $SWAP_UUID swap.raw >/dev/null &&
yes kiln | head -c $((48 * MIB)) >data.raw &&
mke2fs -q -t ext4 -E nodiscard -L kiln-data -F data.raw &&
yes kiln | head -c $((146 * MIB)) >disk.raw &&
printf 'label: dos\n1MiB,64MiB,83\n65MiB,32MiB,82\n97MiB,48MiB,83\n' | sfdisk -q disk.raw &&
dd if=root.raw of=disk.raw bs=1M seek=1 conv=notrunc status=none &&
dd if=swap.raw of=disk.raw bs=1M seek=65 conv=notrunc status=none &&
dd if=data.raw of=disk.raw bs=1M seek=97 conv=notrunc status=none &&
qemu-img convert -q -f raw -O qcow2 disk.raw disk.qcow2 &&
rm -f junk root.raw swap.raw data.raw disk.raw || exit 1

# allocated BYTES of disk.qcow2 between FROM and TO MiB
allocated() {
	qemu-img map --output=json disk.qcow2 | python3 -c "
import json, sys
lo, hi = int(sys.argv[1]) << 20, int(sys.argv[2]) << 20
print(sum(max(0, min(e['start'] + e['length'], hi) - max(e['start'], lo))
          for e in json.load(sys.stdin) if e['data']))" "$1" "$2"
}

test_expect_success 'before: the free space of every partition is allocated' '
	test "$(allocated 65 97)" -gt $((30 * MIB)) &&
	test "$(allocated 97 145)" -gt $((40 * MIB)) &&
	test "$(allocated 1 65)" -gt $((40 * MIB))
'

test_expect_success 'sanitize trims the root, the filesystem in no fstab and the swap area' '
	KILN_LOG=1 KILN_LOG_PATH=debug.log "$DRIVER" sanitize -accel tcg -report report.json disk.qcow2 >out 2>err &&
	test_grep "Found debian 12.7" out &&
	test_grep "trimmed free space of 3 filesystems" out &&
	python3 -c "
import json
assert json.load(open(\"report.json\"))[\"trimmed_filesystems\"] == 3
"
'

test_expect_success 'after: the free space is gone from the qcow2' '
	test "$(allocated 65 97)" -lt $((1 * MIB)) &&
	test "$(allocated 97 145)" -lt $((8 * MIB)) &&
	test "$(allocated 1 65)" -lt $((20 * MIB))
'

test_expect_success 'the swap area keeps its UUID and label; the data stays a filesystem' '
	guestfish --ro -a disk.qcow2 >state 2>&1 <<-\EOF &&
	run
	vfs-type /dev/sda2
	vfs-uuid /dev/sda2
	vfs-label /dev/sda2
	vfs-type /dev/sda3
	vfs-label /dev/sda3
	EOF
	printf "%s\n" swap $SWAP_UUID kiln-swap ext4 kiln-data >expect &&
	test_cmp expect state
'

test_done
