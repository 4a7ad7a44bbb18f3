#!/bin/sh
# t0314-build-reboot — a provisioner that "reboots" the machine: the test sshd is stopped while a shell
# script runs and started again a moment later. With expect_disconnect the build goes on once SSH is
# back (within start_retry_timeout); without it, the dropped connection is an error that says what to
# set; a machine that does not come back fails at start_retry_timeout.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/sshd.sh"

sshd_setup_and_start
# reboot_when_marked DOWN_SECONDS: in the background, once the script touches ~/rebooting, stop sshd
# (and every session) and, unless DOWN_SECONDS is "never", start it again that much later.
reboot_when_marked() {
	rm -f "$SSHD_HOME/rebooting"
	(
		i=0
		while [ ! -e "$SSHD_HOME/rebooting" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
		sshd_stop
		[ "$1" = never ] && exit 0
		sleep "$1"
		sshd_start
	) >/dev/null 2>&1 &
	watcher=$!
}

test_expect_success 'expect_disconnect: the build goes on after the machine comes back' '
	sshd_null_template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "shell" {
	    expect_disconnect = true
	    inline            = ["echo going down", "touch $HOME/rebooting", "sleep 60", "echo never printed"]
	  }
	  provisioner "shell" {
	    inline = ["echo back up"]
	  }
	  provisioner "file" {
	    content     = "after the reboot"
	    destination = "after-reboot"
	  }
	}
	HCL
	reboot_when_marked 2 &&
	"$KILN" build t.pkr.hcl >out 2>err &&
	wait $watcher &&
	test_grep "null.box: going down" out &&
	! grep "never printed" out &&
	test_grep "The connection dropped, as expected (expect_disconnect)" out &&
	test_grep "null.box: back up" out &&
	printf "after the reboot" >want && test_cmp want "$SSHD_HOME/after-reboot"
'

test_expect_success 'without expect_disconnect a dropped connection fails and says what to set' '
	sshd_null_template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "shell" {
	    inline = ["touch $HOME/rebooting", "sleep 60"]
	  }
	}
	HCL
	reboot_when_marked 1 &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	wait $watcher &&
	test_grep "script disconnected unexpectedly" err &&
	test_grep "expect_disconnect = true" err
'

test_expect_success 'a machine that does not come back fails at start_retry_timeout' '
	sshd_null_template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "shell" {
	    expect_disconnect   = true
	    start_retry_timeout = "3s"
	    inline              = ["touch $HOME/rebooting", "sleep 60"]
	  }
	}
	HCL
	reboot_when_marked never &&
	test_when_finished "sshd_start" &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	wait $watcher &&
	test_grep "the machine did not come back within start_retry_timeout" err &&
	test_grep "connection refused" err &&
	test_grep "hint: raise start_retry_timeout" err
'

test_done
