#!/bin/sh
# t0440-qemu-debian — the Debian 12 cloud-image stand-in (tests/fixtures/mk-debian-image), three ways:
#   1. disk_image with a cloud-init seed kiln generates (user debian, the build's temporary key), an
#      inline shell and a file provisioner; the artifact is a clean qcow2;
#   2. a second boot of that artifact through cloud-init's network seed form, as Packer users write it
#      (http_content + qemuargs' SMBIOS serial "ds=nocloud-net;s=http://{{ .HTTPIP }}:{{ .HTTPPort }}/"),
#      which shows the files the first build provisioned;
#   3. the base through a cd_content seed (a "cidata" CD).
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
qemu_setup

DEBIAN=$(fixture_debian_image)
KEY=$(fixture_tiny_key)
PUB=$(cat "$KEY.pub")

test_expect_success 'a generated cloud-init seed, shell and file provisioners' '
	echo "uploaded by kiln" >payload.txt &&
	cat >gen.pkr.hcl <<-EOF &&
	source "qemu" "gen" {
	  iso_url          = "$DEBIAN"
	  iso_checksum     = "none"
	  disk_image       = true
	  use_backing_file = true
	  accelerator      = "tcg"
	  memory           = 1024
	  cpus             = 2
	  cloud_init       = true
	  ssh_username     = "debian"
	  ssh_timeout      = "20m"
	  shutdown_command = "sudo poweroff"
	  output_directory = "out1"
	  vm_name          = "debian.qcow2"
	}
	build {
	  sources = ["source.qemu.gen"]
	  provisioner "shell" {
	    inline = ["echo provisioned-by-kiln | sudo tee /etc/kiln-e2e"]
	  }
	  provisioner "file" {
	    source      = "payload.txt"
	    destination = "/tmp/payload.txt"
	  }
	  provisioner "shell" {
	    inline = ["sudo mv /tmp/payload.txt /etc/kiln-payload"]
	  }
	}
	EOF
	"$KILN" build gen.pkr.hcl >out1.txt 2>&1 || { cat out1.txt; false; } &&
	test_grep "Creating cloud-init seed" out1.txt &&
	test_grep "provisioned-by-kiln" out1.txt &&
	qemu-img check out1/debian.qcow2 &&
	qemu_no_test_domains
'

test_expect_success 'the artifact boots again through the network seed form and shows the files' '
	cat >net.pkr.hcl <<-EOF &&
	source "qemu" "net" {
	  iso_url              = "out1/debian.qcow2"
	  iso_checksum         = "none"
	  disk_image           = true
	  use_backing_file     = true
	  accelerator          = "tcg"
	  memory               = 1024
	  cpus                 = 2
	  http_content = {
	    "/meta-data"   = "instance-id: kiln-e2e-net\nlocal-hostname: net\n"
	    "/user-data"   = "#cloud-config\nssh_authorized_keys:\n  - $PUB\n"
	    "/vendor-data" = ""
	  }
	  qemuargs = [
	    ["-smbios", "type=1,serial=ds=nocloud-net;s=http://{{ .HTTPIP }}:{{ .HTTPPort }}/"],
	  ]
	  ssh_username         = "debian"
	  ssh_private_key_file = "$KEY"
	  ssh_timeout          = "20m"
	  shutdown_command     = "sudo poweroff"
	  output_directory     = "out2"
	  sanitize             = false
	}
	build {
	  sources = ["source.qemu.net"]
	  provisioner "shell" {
	    inline = ["cat /etc/kiln-e2e /etc/kiln-payload"]
	  }
	}
	EOF
	"$KILN" build net.pkr.hcl >out2.txt 2>&1 || { cat out2.txt; false; } &&
	test_grep "HTTP seed: .* fetched /user-data" out2.txt &&
	test_grep "provisioned-by-kiln" out2.txt &&
	test_grep "uploaded by kiln" out2.txt &&
	qemu_no_test_domains
'

test_expect_success 'the base boots through a cd_content seed' '
	cat >cd.pkr.hcl <<-EOF &&
	source "qemu" "cd" {
	  iso_url              = "$DEBIAN"
	  iso_checksum         = "none"
	  disk_image           = true
	  use_backing_file     = true
	  accelerator          = "tcg"
	  memory               = 1024
	  cpus                 = 2
	  cd_label             = "cidata"
	  cd_content = {
	    "meta-data" = "instance-id: kiln-e2e-cd\nlocal-hostname: cd\n"
	    "user-data" = "#cloud-config\nssh_authorized_keys:\n  - $PUB\n"
	  }
	  ssh_username         = "debian"
	  ssh_private_key_file = "$KEY"
	  ssh_timeout          = "20m"
	  shutdown_command     = "sudo poweroff"
	  output_directory     = "out3"
	  sanitize             = false
	}
	build {
	  sources = ["source.qemu.cd"]
	  provisioner "shell" { inline = ["hostname", "cloud-init query v1.instance_id || true"] }
	}
	EOF
	"$KILN" build cd.pkr.hcl >out3.txt 2>&1 || { cat out3.txt; false; } &&
	test_grep "Creating CD" out3.txt &&
	test_grep "kiln-e2e-cd" out3.txt &&
	qemu-img check out3/packer-cd &&
	qemu_no_test_domains
'

test_done
