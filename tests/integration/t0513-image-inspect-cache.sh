#!/bin/sh
# t0513-image-inspect-cache — a checkpointed build's sanitize remembers what OS inspection found and
# reuses it for the same OS: the same report, OS facts and package list as a full inspection, without
# guestfs_inspect_os; a disk whose release file changed is inspected again. Three appliance launches.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

DRIVER="$KILN_BUILDDIR/tests/helpers/image-driver"
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg

ssh-keygen -q -t ed25519 -N '' -C kiln-temporary -f temp &&
sh "$KILN_SRCDIR/tests/lib/mk-fake-guest.sh" before.qcow2 temp.pub temp.pub &&
cp before.qcow2 a.qcow2 && cp before.qcow2 b.qcow2 &&
# c: the same filesystem (UUID, label) whose /etc/debian_version says 12.8
qemu-img convert -q -O raw before.qcow2 c.raw &&
printf '12.8\n' >debian_version &&
debugfs -w -R "rm /etc/debian_version" c.raw >/dev/null 2>&1 &&
debugfs -w -R "write debian_version /etc/debian_version" c.raw >/dev/null 2>&1 &&
qemu-img convert -q -f raw -O qcow2 c.raw c.qcow2 && rm -f c.raw || exit 1

sanitize() {
	KILN_LOG=1 KILN_LOG_PATH=$1.log LIBGUESTFS_TRACE=1 "$DRIVER" sanitize -accel tcg -inspect-cache cache \
		-user packer -created -report $1-report.json -os $1-os.json $1.qcow2 >$1.out 2>$1.err
}

test_expect_success 'the first sanitize inspects and remembers the OS' '
	sanitize a &&
	test_grep "Found debian 12.7" a.out &&
	test_grep "trace: kiln: inspect_os$" a.err &&
	! test_grep "OS inspection reused" a.log &&
	test "$(ls cache/*.json | wc -l)" = 1
'

test_expect_success 'the same OS again: no inspect_os, the same facts, packages and changes' '
	sanitize b &&
	test_grep "OS inspection reused" b.log &&
	! test_grep "trace: kiln: inspect_os$" b.err &&
	test_cmp a.out b.out &&
	test_cmp a-os.json b-os.json &&
	python3 -c "
import json
a, b = (json.load(open(n + \"-report.json\")) for n in \"ab\")
a.pop(\"elapsed_ms\"), b.pop(\"elapsed_ms\")
assert a == b, (a, b)
"
'

test_expect_success 'a changed release file means a full inspection again' '
	sanitize c &&
	test_grep "no longer holds: inspecting again" c.log &&
	test_grep "trace: kiln: inspect_os$" c.err &&
	test_grep "Found debian 12.8" c.out &&
	python3 -c "
import json
assert json.load(open(\"c-os.json\"))[\"version\"] == \"12.8\"
"
'

test_done
