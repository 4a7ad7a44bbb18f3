#!/bin/sh
# t0493-faults-panic — a guest whose kernel panics is still "running" to libvirt: kiln reads the panic on
# the serial console and fails at once, naming it, instead of waiting out ssh_timeout (or a provisioner's
# command forever). One `kiln build` runs two builds on the tiny image: one boots a kernel that cannot
# find its root file system (QEMU's -kernel, no initrd) while waiting for SSH with a 30 min ssh_timeout,
# the other crashes its kernel in the middle of a provisioner (sysrq c). Both fail with the panic's own
# line in their one-line error, the serial tail and a hint; nothing is left behind but their serial logs.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"
. "$KILN_SRCDIR/tests/lib/faults.sh"
qemu_setup

KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | head -n 1)

test_expect_success 'a kernel panic while waiting for SSH and one during a provisioner end their builds at once' '
	test -n "$KERNEL" &&
	{
		faults_source bootpanic out-bootpanic "sanitize = false" "ssh_timeout = \"30m\"" \
			"qemuargs = [[\"-kernel\", \"$KERNEL\"], [\"-append\", \"console=ttyS0,115200 root=/dev/nowhere no_timer_check\"]]"
		faults_source provpanic out-provpanic "sanitize = false"
		cat <<-EOF
		build {
		  sources = ["source.qemu.bootpanic", "source.qemu.provpanic"]
		  provisioner "shell" {
		    inline = ["echo crashing", "echo c > /proc/sysrq-trigger", "sleep 600", "echo still here"]
		  }
		}
		EOF
	} >panic.pkr.hcl &&
	# without the panic check the first build waits 30 min and the second for ever: timeout says so (124)
	test_expect_code 1 timeout 1200 "$KILN" build -parallel-builds=2 -machine-readable panic.pkr.hcl >panic.out 2>&1 &&
	sed -n "s/^[0-9]*,[^,]*,error-count,//p" panic.out >count &&
	test "$(cat count)" = 2
'

test_expect_success 'the panic while waiting for SSH is said with its line, the serial tail and a hint' '
	grep "bootpanic,error," panic.out >boot.err &&
	test_grep "step \"wait for SSH\": the guest.*s kernel panicked (Kernel panic - not syncing: VFS: Unable to mount root fs" boot.err &&
	test_grep "last lines of the serial console ($TEST_DIR/out-bootpanic-serial.log)" boot.err &&
	test_grep "bootpanic: hint: the lines before the panic say why" panic.out &&
	! grep -q "timeout waiting for SSH" panic.out
'

test_expect_success 'the panic during a provisioner ends its command with the panic, not a hang' '
	grep "provpanic,error," panic.out >prov.err &&
	test_grep "step \"provision\": provisioner \"shell\" at panic.pkr.hcl:[0-9:]*: the guest.*s kernel panicked (Kernel panic - not syncing: sysrq triggered crash" prov.err &&
	test_grep "crashing" panic.out &&
	! grep -q "still here" panic.out
'

test_expect_success 'both serial logs are kept beside the outputs; nothing else is left' '
	for n in bootpanic provpanic; do
		test_grep "Kept the serial log of the failed build: $TEST_DIR/out-$n-serial.log" panic.out &&
		test_grep "Kernel panic - not syncing" "out-$n-serial.log" || exit 1
	done &&
	! test -e out-bootpanic && ! test -e out-provpanic &&
	qemu_no_test_domains &&
	audit_test
'

test_done
