#!/bin/sh
# t0430-qemu-boot-iso — an installer-style boot: the ISO (tests/fixtures/mk-boot-iso) stops at a
# `boot:` prompt that only a typed boot command gets past; kiln waits for the prompt on the serial
# console (<waitFor>), types the label with {{ .HTTPIP }}/{{ .HTTPPort }} expanded, and the system it
# boots fetches a key from the HTTP seed and is reached over SSH. The system runs from RAM and leaves its
# disk empty: built again with sanitize on (the default), libguestfs finds no OS on that disk after
# shutdown, and the build fails with that error and leaves no artifact behind.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
qemu_setup

ISO=$(fixture_boot_iso)
KEY=$(fixture_tiny_key)

test_expect_success 'the boot command gets the ISO to SSH' '
	mkdir http &&
	cp "$KEY.pub" http/key.pub &&
	cat >iso.pkr.hcl <<-EOF &&
	source "qemu" "iso" {
	  iso_url              = "$ISO"
	  iso_checksum         = "none"
	  accelerator          = "tcg"
	  sanitize             = false
	  memory               = 512
	  disk_size            = "64M"
	  http_directory       = "http"
	  boot_wait            = "0s"
	  boot_key_interval    = "20ms"
	  boot_command         = ["<waitFor \"boot:\" 2m>", "tiny tiny.authorized_keys_url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/key.pub<enter>"]
	  ssh_username         = "root"
	  ssh_private_key_file = "$KEY"
	  shutdown_command     = "poweroff"
	  output_directory     = "out"
	}
	build {
	  sources = ["source.qemu.iso"]
	  provisioner "shell" { inline = ["echo booted from the ISO"] }
	}
	EOF
	"$KILN" build iso.pkr.hcl >out.txt 2>&1 || { cat out.txt; false; } &&
	test_grep "Typing the boot command" out.txt &&
	test_grep "Waiting for \"boot:\" on the serial console" out.txt &&
	test_grep "HTTP seed: .* fetched /key.pub" out.txt &&
	test_grep "booted from the ISO" out.txt &&
	qemu-img check out/packer-iso &&
	qemu_no_test_domains
'

test_expect_success 'a disk libguestfs cannot inspect: a clear error after shutdown, no artifact left' '
	sed -e "/sanitize *= false/d" -e "s/output_directory *= \"out\"/output_directory = \"out-sanitize\"/" \
		iso.pkr.hcl >sanitize.pkr.hcl &&
	test_grep "out-sanitize" sanitize.pkr.hcl &&
	! grep sanitize.*false sanitize.pkr.hcl &&
	test_expect_code 1 "$KILN" build sanitize.pkr.hcl >out.txt 2>&1 &&
	test_grep "booted from the ISO" out.txt &&
	test_grep "libguestfs found no operating system" out.txt &&
	test_grep "sanitize = false" out.txt &&
	! test -e out-sanitize &&
	qemu_no_test_domains
'

test_done
