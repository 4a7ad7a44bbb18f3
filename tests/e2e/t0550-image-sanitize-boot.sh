#!/bin/sh
# t0550-image-sanitize-boot — the golden-image path end to end on the Debian 12 base
# (tests/fixtures/mk-debian-image): `kiln build` boots it with the cloud-init seed kiln generates (a
# temporary user "packer" with a temporary key), provisions, shuts down, sanitizes and exports; the
# image then carries no SSH host keys, an empty machine-id, no cloud-init instance state, empty logs,
# no build user and no temporary key. Booted again under TCG with a fresh cloud-init seed (user-mode
# networking, SSH on 127.0.0.1), it makes new host keys and a new machine-id and accepts SSH; the
# compressed qcow2 (`disk_compression = true`: zlib, as Packer) and the streamOptimized VMDK both boot.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
. "$KILN_SRCDIR/tests/lib/fixtures.sh"
qemu_setup

DRIVER="$KILN_BUILDDIR/tests/helpers/image-driver"
DEBIAN=$(fixture_debian_image) || { echo "Bail out! cannot build the Debian fixture"; exit 1; }
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg

test_expect_success 'kiln build: provision, shut down, sanitize, export, manifest' '
	cat >golden.pkr.hcl <<-EOF &&
	source "qemu" "golden" {
	  iso_url          = "$DEBIAN"
	  iso_checksum     = "none"
	  disk_image       = true
	  accelerator      = "tcg"
	  memory           = 1024
	  cpus             = 2
	  cloud_init       = true
	  ssh_username     = "packer"
	  ssh_timeout      = "20m"
	  shutdown_command = "sudo poweroff"
	  output_directory = "out"
	  vm_name          = "golden.qcow2"
	  disk_compression = true
	}
	build {
	  sources = ["source.qemu.golden"]
	  provisioner "shell" {
	    inline = [
	      "cloud-init status --wait >/dev/null || true",
	      "echo \"MACHINEID=\$(cat /etc/machine-id)\"",
	      "echo \"HOSTKEY=\$(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub | cut -d\" \" -f2)\"",
	      "ls -d /var/lib/cloud/instances/*",
	      "echo \"secret command\" >~/.bash_history",
	      "sudo sh -c \"echo root history >/root/.bash_history; logger -t kiln-e2e provisioned; touch /tmp/leftover /var/tmp/leftover\"",
	    ]
	  }
	  post-processor "manifest" {
	    output = "manifest.json"
	  }
	}
	EOF
	"$KILN" build golden.pkr.hcl >build.txt 2>&1 || { cat build.txt; false; } &&
	qemu_no_test_domains &&
	test_grep "Sanitizing the disk with libguestfs (TCG)" build.txt &&
	test "$(grep -c "Sanitizing the disk" build.txt)" = 1 &&
	test_grep -E "ssh-hostkeys: [1-9][0-9]* removed" build.txt &&
	test_grep "machine-id: 1 emptied" build.txt &&
	test_grep -E "build-user: [1-9][0-9]* removed" build.txt &&
	test_grep -E "trimmed free space of [1-9]" build.txt &&
	sed -n "s/.*MACHINEID=\([0-9a-f]\{32\}\).*/\1/p" build.txt | head -n 1 >machine-id.build &&
	test -s machine-id.build &&
	sed -n "s/.*HOSTKEY=\(SHA256:[^ ]*\).*/\1/p" build.txt | head -n 1 >hostkey.build &&
	test -s hostkey.build &&
	qemu-img check -q out/golden.qcow2 &&
	qemu-img info out/golden.qcow2 >info && test_grep "file format: qcow2" info
'

test_expect_success 'the manifest records the sanitize report and the guest OS' '
	python3 -c "
import json
b = json.load(open(\"manifest.json\"))[\"builds\"][0]
assert b[\"name\"] == \"golden\" and b[\"builder_type\"] == \"qemu\", b
ops = b[\"sanitize\"][\"operations\"]
assert ops[\"ssh-hostkeys\"][\"removed\"] > 0 and ops[\"machine-id\"][\"emptied\"] == 1, ops
os = b[\"os\"]
assert os[\"distro\"] == \"debian\" and os[\"version\"].startswith(\"12.\"), os
assert any(k.endswith(\"cloud-amd64\") for k in os[\"kernels\"]), os
names = {p[\"name\"] for p in os[\"packages\"]}
assert {\"openssh-server\", \"cloud-init\", \"sudo\"} <= names, sorted(names)[:20]
f = b[\"files\"][0]
assert f[\"name\"].endswith(\"golden.qcow2\") and len(f[\"sha256\"]) == 64, f
"
'

# cloud-init creates root's authorized_keys even with no key for it (an empty file): what matters is
# that no key is in it.
test_expect_success 'the image carries none of the build machine' '
	guestfish --ro -a out/golden.qcow2 -i >state 2>&1 <<-\EOF &&
	echo ==hostkeys
	glob-expand /etc/ssh/ssh_host_*
	echo ==machine-id
	filesize /etc/machine-id
	echo ==cloud
	exists /var/lib/cloud/instances
	exists /var/lib/cloud/instance
	echo ==passwd
	cat /etc/passwd
	echo ==home
	ls /home
	echo ==keys
	-cat /root/.ssh/authorized_keys
	echo ==history
	exists /root/.bash_history
	echo ==tmp
	ls /tmp
	ls /var/tmp
	echo ==logs
	find /var/log
	echo ==end
	EOF
	test_grep "==end" state &&
	section() { sed -n "/^==$1\$/,/^==/p" state | sed "1d;\$d"; } &&
	{
		section hostkeys >got && test ! -s got &&
		section machine-id >got && echo 0 >want && test_cmp want got &&
		section cloud >got && printf "false\nfalse\n" >want && test_cmp want got &&
		section passwd >got && ! grep "^packer:" got &&
		section home >got && ! grep packer got &&
		section keys | grep -v "libguestfs: error" >got && ! grep -E "(^|[[:space:]])(ssh-|ecdsa-|sk-)" got &&
		section history >got && echo false >want && test_cmp want got &&
		section tmp >got && ! grep leftover got
	} || { cat state; false; }
'

test_expect_success 'every log file is empty' '
	sed -n "/^==logs\$/,/^==end/p" state | sed "1d;\$d" | sed "s|^|/var/log|" >logs &&
	test -s logs &&
	{ while read -r f; do echo "-is-file $f"; echo "-filesize $f"; done <logs; echo "echo ==end"; } >sizes.fish &&
	guestfish --ro -a out/golden.qcow2 -i -f sizes.fish >sizes 2>/dev/null &&
	test_grep "==end" sizes &&
	awk "/^true\$/ { files++; getline n; if (n != 0) { print \"not empty: \" n; bad++ } } END { exit (bad || !files) ? 1 : 0 }" sizes
'

test_expect_success 'export the same disk as a streamOptimized VMDK' '
	mkdir vmdk &&
	"$DRIVER" export out/golden.qcow2 vmdk golden vmdk >export.txt 2>&1 &&
	qemu-img check vmdk/golden.vmdk &&
	qemu-img info vmdk/golden.vmdk >info && test_grep "create type: streamOptimized" info
'

boot_fresh() { # NAME DISK FORMAT INSTANCE-ID
	fixture_overlay_fmt "$2" "$3" "$1.qcow2" &&
	fixture_cidata_iso "$1-seed.iso" "$4" &&
	fixture_vm_start "$1" "$1.qcow2" -drive "file=$1-seed.iso,media=cdrom,readonly=on" &&
	fixture_vm_wait_ssh "$1" debian 1200
}

fixture_overlay_fmt() { qemu-img create -q -f qcow2 -b "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" -F "$2" "$3"; }

test_expect_success 'the compressed qcow2 boots with a fresh seed: new host keys, new machine-id, SSH' '
	boot_fresh again out/golden.qcow2 qcow2 iid-kiln-e2e-again &&
	fixture_vm_ssh again debian "cloud-init status --wait >/dev/null; cat /etc/machine-id" >mid &&
	test "$(wc -c <mid)" -eq 33 && ! test_cmp machine-id.build mid &&
	fixture_vm_ssh again debian "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub" >hk &&
	! grep -F "$(cat hostkey.build)" hk && test_grep SHA256: hk &&
	! fixture_vm_ssh again debian "id packer" &&
	fixture_vm_ssh again debian "sudo ls /var/lib/cloud/instances" >iids && test_grep iid-kiln-e2e-again iids &&
	{ fixture_vm_ssh again debian "sudo poweroff" || :; } &&
	fixture_vm_wait_exit again 120
'

test_expect_success 'the streamOptimized VMDK boots in a second VM' '
	boot_fresh vm2 vmdk/golden.vmdk vmdk iid-kiln-e2e-vmdk &&
	fixture_vm_ssh vm2 debian "test -s /etc/machine-id && ls /etc/ssh/ssh_host_ed25519_key" &&
	{ fixture_vm_ssh vm2 debian "sudo poweroff" || :; } &&
	fixture_vm_wait_exit vm2 120
'

test_done
