#!/bin/sh
# t0480-plugins-tiny — plugins in a real VM build of the tiny image: the example plugins, built out of
# tree against the installed SDKs and installed by `kiln init` from a loopback mirror, provision the
# machine (commands, a file and a directory through the communicator), post-process the disk image
# (read through a descriptor kiln opens, a new artifact) and give the template values (data sources).
# Then a plugin that crashes in the middle of
# a provisioning step: the build fails naming it, and the VM is stopped and removed with everything
# else, as after any failure.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"
. "$KILN_SRCDIR/tests/lib/plugins.sh"
qemu_setup

TINY=$(fixture_tiny_image)
KEY=$(fixture_tiny_key)
KILN_PLUGIN_PATH=$TEST_DIR/plugins
export KILN_PLUGIN_PATH

# source NAME: the tiny image, not sanitized (that is t0400's), output in out-NAME
source_block() {
	cat <<-EOF
	source "qemu" "$1" {
	  iso_url              = "$TINY"
	  iso_checksum         = "none"
	  disk_image           = true
	  use_backing_file     = true
	  accelerator          = "tcg"
	  sanitize             = false
	  memory               = 256
	  ssh_username         = "root"
	  ssh_private_key_file = "$KEY"
	  ssh_timeout          = "5m"
	  shutdown_command     = "poweroff"
	  output_directory     = "out-$1"
	  vm_name              = "$1.qcow2"
	}
	EOF
}

test_expect_success 'the example plugins and the fixture, built and installed from a loopback mirror' '
	plugins_install_kiln "$TEST_DIR/inst" &&
	plugins_build_c "$TEST_DIR/kiln-plugin-hello" &&
	plugins_build_python "$TEST_DIR/kiln-plugin-pyhello" &&
	mirror_add mirror github.com/kiln-examples/hello kiln-plugin-hello 1.0.0 &&
	mirror_add mirror github.com/kiln-examples/pyhello kiln-plugin-pyhello 1.0.0 &&
	mirror_add mirror github.com/kiln-tests/fixture "$KILN_BUILDDIR/tests/helpers/kiln-plugin-fixture" 0.3.0 &&
	mirror_serve mirror &&
	cat >plugins.pkr.hcl <<-\EOF &&
	packer {
	  required_plugins {
	    hello   = { source = "github.com/kiln-examples/hello", version = ">= 1.0" }
	    pyhello = { source = "github.com/kiln-examples/pyhello", version = "~> 1.0" }
	    fixture = { source = "github.com/kiln-tests/fixture" }
	  }
	}
	EOF
	"$KILN" init -plugin-mirror "$MIRROR_URL" . >out.txt 2>&1 || { cat out.txt; false; } &&
	test "$(grep -c ": installed " out.txt)" = 3
'

test_expect_success 'a VM build provisioned and post-processed by plugins' '
	echo "motd from the host" >motd && mkdir -p files && echo "file one" >files/one &&
	source_block tiny >tiny.pkr.hcl &&
	cat >>tiny.pkr.hcl <<-\EOF &&
	data "hello" "me" { name = "tiny" }
	data "pyhello" "words" { words = ["a", "b", "c"] }
	build {
	  sources = ["source.qemu.tiny"]
	  provisioner "hello" {
	    commands    = ["echo hello-ran on $(uname -s)", "echo ${data.hello.me.greeting} ${data.pyhello.words.count}"]
	    file        = "motd"
	    destination = "/root/motd"
	  }
	  provisioner "pyhello" {
	    inline      = ["echo py-ran"]
	    dir         = "files/"
	    destination = "/root/files"
	  }
	  provisioner "shell" {
	    inline = ["cat /root/motd /root/files/one"]
	  }
	  post-processor "hello" {
	    output = "manifest.txt"
	  }
	}
	EOF
	"$KILN" build . >out.txt 2>err.txt || { cat out.txt err.txt; false; } &&
	test_grep "==> qemu.tiny: hello from the C example plugin, on 127.0.0.1" out.txt &&
	test_grep "    qemu.tiny: hello-ran on Linux" out.txt &&
	test_grep "    qemu.tiny: hello, tiny 3$" out.txt &&
	test_grep "    qemu.tiny: pyhello: py-ran" out.txt &&
	test_grep "    qemu.tiny: motd from the host" out.txt &&
	test_grep "    qemu.tiny: file one" out.txt &&
	size=$(stat -c %s out-tiny/tiny.qcow2) &&
	crc=$(python3 -c "import zlib,sys; print(\"%08x\" % zlib.crc32(open(sys.argv[1],\"rb\").read()))" out-tiny/tiny.qcow2) &&
	test_grep -x "$crc $size $PWD/out-tiny/tiny.qcow2" manifest.txt &&
	test_grep "^--> qemu.tiny: Manifest of 1 file(s): manifest.txt$" out.txt &&
	qemu_no_test_domains
'

test_expect_success 'a plugin that crashes mid-run: the build fails naming it, the VM is removed' '
	source_block crash >tiny.pkr.hcl &&
	cat >>tiny.pkr.hcl <<-EOF &&
	build {
	  sources = ["source.qemu.crash"]
	  provisioner "shell" { inline = ["echo the machine is up"] }
	  provisioner "fixture" {
	    mode     = "crash"
	    pid_file = "$TEST_DIR/plugin.pid"
	  }
	}
	EOF
	test_expect_code 1 "$KILN" build . >out.txt 2>err.txt &&
	test_grep "qemu.crash: the machine is up" out.txt &&
	test_grep "plugin kiln-plugin-fixture 0.3.0: crashed during provision: it was killed by signal 11 (Segmentation fault); its last output:" err.txt &&
	test_grep "^    fixture: about to crash$" err.txt &&
	! kill -0 "$(cat plugin.pid)" 2>/dev/null &&
	qemu_no_test_domains
'

test_expect_success 'nothing is left behind' 'audit_test'

test_done
