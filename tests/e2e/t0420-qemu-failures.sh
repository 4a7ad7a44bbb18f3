#!/bin/sh
# t0420-qemu-failures — a guest without sshd ends in an ssh_timeout error that shows the serial console's
# last lines; Ctrl-C while waiting for SSH leaves no domain, no temporary file, no output directory and
# no held port behind.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"
qemu_setup

NOSSHD=$(fixture_tiny_nosshd_image)
KEY=$(fixture_tiny_key)

write_template() {
	cat >"$1" <<-EOF
	source "qemu" "nosshd" {
	  iso_url              = "$NOSSHD"
	  iso_checksum         = "none"
	  disk_image           = true
	  use_backing_file     = true
	  accelerator          = "tcg"
	  sanitize             = false
	  memory               = 256
	  ssh_username         = "root"
	  ssh_private_key_file = "$KEY"
	  ssh_timeout          = "$2"
	  output_directory     = "out"
	}
	build { sources = ["source.qemu.nosshd"] }
	EOF
}

test_expect_success 'no sshd: the ssh_timeout error carries the serial tail' '
	write_template t.pkr.hcl 45s &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out.txt 2>&1 &&
	test_grep "timeout waiting for SSH after 45s" out.txt &&
	test_grep "last lines of the serial console" out.txt &&
	test_grep "tiny: up" out.txt &&
	! test -e out &&
	qemu_no_test_domains
'

test_expect_success 'Ctrl-C while waiting for SSH cleans everything up' '
	write_template t.pkr.hcl 5m &&
	ls -A "$TMPDIR" >tmp.before &&
	# out.txt of the test before says "Waiting for ... SSH" too: the loop below must not read it before
	# the background shell has truncated it (nor sed read build.log before kiln has created it)
	rm -f out.txt build.log &&
	{ KILN_LOG=1 KILN_LOG_PATH=build.log "$KILN" build t.pkr.hcl >out.txt 2>&1 & } &&
	pid=$! &&
	test_when_finished "stop_kiln $pid" &&
	i=0 &&
	while ! grep -q "Waiting for the VM to boot and start SSH" out.txt && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done &&
	test_grep "Waiting for the VM to boot and start SSH" out.txt &&
	port=$(qemu_forwarded_port build.log) &&
	test -n "$port" &&
	qemu_port_listening "$port" &&
	test -n "$(qemu_test_domains)" &&
	kill -INT $pid &&
	{ wait $pid; rc=$?; true; } &&
	test "$rc" -eq 130 &&
	test_grep -i "interrupted\|cancelled" out.txt &&
	qemu_no_test_domains &&
	! test -e out &&
	! qemu_port_listening "$port" &&
	ls -A "$TMPDIR" >tmp.after &&
	test_cmp tmp.before tmp.after
'

test_expect_success 'nothing is left behind' 'audit_test'

test_done
