#!/bin/sh
# t0551-image-inspect — `kiln inspect-image` looking inside images: a disk carrying a build's identity
# (tests/lib/mk-fake-guest.sh) does not look sanitized; after sanitize it does (JSON); a disk with no OS
# is a clear sanitize error and stays unchanged. Four libguestfs launches (about 15 s each under TCG).
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

DRIVER="$KILN_BUILDDIR/tests/helpers/image-driver"

ssh-keygen -q -t ed25519 -N '' -C kiln-temporary -f temp &&
ssh-keygen -q -t ed25519 -N '' -C user@laptop -f user &&
sh "$KILN_SRCDIR/tests/lib/mk-fake-guest.sh" before.qcow2 temp.pub user.pub &&
cp before.qcow2 after.qcow2 || exit 1

test_expect_success 'kiln inspect-image: the original does not look sanitized' '
	"$KILN" inspect-image -accel tcg before.qcow2 >out 2>err &&
	test_grep "OS: *debian 12.7" out &&
	test_grep "^Sanitized: no" out &&
	test_grep "SSH host keys: *6 present" out &&
	test_grep "machine-id: *set" out &&
	test_grep "cloud-init: *instance state present" out
'

# The build user here is debian, which cloud-init found in the image (its log says so): kept.
test_expect_success 'kiln inspect-image -json: the sanitized disk looks sanitized' '
	"$DRIVER" sanitize -accel tcg -user debian -created -pubkey temp.pub after.qcow2 >sanitize.out 2>&1 &&
	test_grep "build-user: nothing to do (kept: the account was in the image before the build)" sanitize.out &&
	"$KILN" inspect-image -accel tcg -json after.qcow2 >out.json &&
	python3 -c "
import json
d = json.load(open(\"out.json\"))
assert d[\"format\"] == \"qcow2\", d
s = d[\"sanitized\"]
assert s[\"looks_sanitized\"] is True, s
assert s[\"ssh_host_keys\"] == 0 and s[\"machine_id\"] == \"empty\", s
assert s[\"cloud_init_instances\"] is False and s[\"nonempty_logs\"] == 0, s
assert s[\"authorized_keys\"] == 2, s
assert d[\"os\"][\"distro\"] == \"debian\" and len(d[\"os\"][\"packages\"]) == 3, d
"
'

test_expect_success 'a disk with no OS: clear error, disk unchanged' '
	qemu-img create -q -f qcow2 blank.qcow2 16M &&
	sha256sum blank.qcow2 >sum &&
	test_expect_code 1 "$DRIVER" sanitize -accel tcg blank.qcow2 >out 2>err &&
	test_grep "libguestfs found no operating system in blank.qcow2" err &&
	test_grep "sanitize = false" err &&
	sha256sum -c sum
'

test_done
