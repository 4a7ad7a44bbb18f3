#!/bin/sh
# t0400-qemu-tiny — the tiny image (busybox + dropbear) builds with disk_image = true, ssh_username =
# "root" and a key: shell and file provisioners run, the artifact is a clean qcow2 that records the
# accelerator, nothing is left running, and a second boot of the artifact shows the provisioned files.
# The build sanitizes (one libguestfs launch): the template's own key is the user's, not a temporary
# one, so it stays authorized (the second boot logs in with it) while the build's host name goes.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"
qemu_setup

TINY=$(fixture_tiny_image)
KEY=$(fixture_tiny_key)

test_expect_success 'the tiny image builds' '
	echo "from the host" >data.txt &&
	cat >tiny.pkr.hcl <<-EOF &&
	source "qemu" "tiny" {
	  iso_url              = "$TINY"
	  iso_checksum         = "none"
	  disk_image           = true
	  use_backing_file     = true
	  accelerator          = "tcg"
	  memory               = 256
	  ssh_username         = "root"
	  ssh_private_key_file = "$KEY"
	  shutdown_command     = "poweroff"
	  output_directory     = "out"
	  vm_name              = "tiny.qcow2"
	}
	build {
	  sources = ["source.qemu.tiny"]
	  provisioner "shell" {
	    inline = ["echo provisioned > /root/hello", "uname -r"]
	  }
	  provisioner "file" {
	    source      = "data.txt"
	    destination = "/root/data.txt"
	  }
	}
	EOF
	KILN_LOG=1 KILN_LOG_PATH=build.log "$KILN" build -machine-readable tiny.pkr.hcl >out.txt 2>err.txt ||
		{ cat out.txt err.txt; false; } &&
	test_grep "Connected to SSH" out.txt &&
	test_grep "ssh-userdir: nothing to do" out.txt &&
	test_grep "hostname: 2 edited" out.txt &&
	test "$(grep -c "Sanitizing the disk" out.txt)" = 1 &&
	test -f out/tiny.qcow2 &&
	test -s out/tiny.qcow2-serial.log &&
	qemu-img check out/tiny.qcow2 &&
	qemu-img info out/tiny.qcow2 | test_grep "backing file: $TINY" &&
	test_grep "artifact,0,id" out.txt &&
	qemu_no_test_domains
'

test_expect_success 'the forwarded SSH port is free again' '
	port=$(qemu_forwarded_port build.log) &&
	test -n "$port" &&
	! qemu_port_listening "$port"
'

test_expect_success 'the overlay is created at disk_size by one qemu-img call, not created then resized' '
	qemu-img info out/tiny.qcow2 | test_grep "virtual size: 40 GiB (42949672960 bytes)" &&
	test_grep "qemu-img create -q -f qcow2 -b $TINY -F qcow2 .*out/tiny.qcow2 42949672960\$" build.log &&
	! grep "qemu-img resize" build.log
'

test_expect_success 'the build logs its phase timings' '
	test_grep "qemu: phase timings (s): total=" build.log &&
	test_grep "outside_guest=" build.log
'

# boot_source NAME ISO OUTDIR [SETTING]: the source block of a build that boots a previous artifact
# ISO again (not sanitized), with SETTING as one more line of it.
boot_source() {
	cat <<-EOF
	source "qemu" "$1" {
	  iso_url              = "$2"
	  iso_checksum         = "none"
	  disk_image           = true
	  accelerator          = "tcg"
	  sanitize             = false
	  memory               = 256
	  ssh_username         = "root"
	  ssh_private_key_file = "$KEY"
	  ssh_timeout          = "4m"
	  shutdown_command     = "poweroff"
	  output_directory     = "$3"
	  ${4:-}
	}
	EOF
}

# The second build leaves use_backing_file at its default (false): its working disk is an overlay on
# the first artifact, and compaction flattens it into a standalone qcow2, which the third boot reads.
test_expect_success 'a second boot of the sanitized artifact: the user key logs in, files provisioned, no build host name' '
	boot_source again out/tiny.qcow2 out2 >again.pkr.hcl &&
	cat >>again.pkr.hcl <<-EOF &&
	build {
	  sources = ["source.qemu.again"]
	  provisioner "shell" {
	    inline = ["test \"\$(cat /root/hello)\" = provisioned", "cat /root/data.txt", "echo \"hostname=\$(cat /etc/hostname)\"", "echo second > /root/second"]
	  }
	}
	EOF
	KILN_LOG=1 KILN_LOG_PATH=build2.log "$KILN" build again.pkr.hcl >out2.txt 2>&1 || { cat out2.txt; false; } &&
	test_grep "from the host" out2.txt &&
	test_grep "hostname=localhost" out2.txt &&
	test_grep "working overlay on .*out/tiny.qcow2" out2.txt &&
	qemu_no_test_domains
'

test_expect_success 'the compacted overlay is a standalone image with the second build in it' '
	qemu-img check out2/packer-again &&
	qemu-img info out2/packer-again >info.txt &&
	! test_grep "backing file" info.txt &&
	vsize=$(sed -n "s/^virtual size: .* (\([0-9]*\) bytes)\$/\1/p" info.txt) &&
	test -n "$vsize" &&
	test_grep "qemu: artifact disk .*out2/packer-again: format qcow2, virtual size $vsize\$" build2.log &&
	! grep "qemu-img info .*out2/packer-again" build2.log &&
	test_grep "export: .*out2/\.packer-again\.kiln-tmp-.*: write-back of [0-9]* MiB started while converting" build2.log &&
	mv out out.gone &&
	boot_source third out2/packer-again out3 "use_backing_file = true" >third.pkr.hcl &&
	cat >>third.pkr.hcl <<-EOF &&
	build {
	  sources = ["source.qemu.third"]
	  provisioner "shell" {
	    inline = ["cat /root/second"]
	  }
	}
	EOF
	"$KILN" build third.pkr.hcl >out3.txt 2>&1 || { cat out3.txt; false; } &&
	test_grep "second" out3.txt &&
	qemu_no_test_domains
'

test_expect_success 'nothing is left behind' 'audit_test'

test_done
