#!/bin/sh
# t0405-build-checks-first — `kiln build` runs validate's checks before anything starts: a qemu build
# whose third provisioner has a typo, whose provisioner names a missing script, or whose
# post-processor has a typo fails at once, every problem reported, and no domain is ever created (a
# libvirt event watcher sees none), nothing is downloaded, no output directory appears and no build
# step runs. Packer 1.6.6 refuses such builds the same way ("Failed preparing provisioner-block").
# The last test shows the watcher does see a domain when the template is right.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"
qemu_setup

TINY=$(fixture_tiny_image)
KEY=$(fixture_tiny_key)
VM=checks-first-$$

# template FILE, with the provisioners and post-processors on stdin
template() {
	{
		cat <<-EOF
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
		  vm_name              = "$VM"
		}
		build {
		  sources = ["source.qemu.tiny"]
		EOF
		cat
		echo "}"
	} >"$1"
}

# Every lifecycle event of libvirt's qemu:///system while a command runs, in events.txt.
watch_events() {
	virsh -c qemu:///system event --loop --event lifecycle >events.txt 2>&1 &
	watcher=$!
	sleep 1
	"$@"
	rc=$?
	sleep 0.5
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
	return $rc
}

# Nothing of this build ever existed: no domain event, no step, no download, no output.
nothing_started() {
	! grep "kiln-$VM" events.txt &&
	! grep "step \"" build.log &&
	! grep "==> qemu.tiny" out.txt &&
	! test -e out &&
	! test -e "$KILN_CACHE_DIR" &&
	qemu_no_test_domains
}

test_expect_success 'a typo in the third provisioner stops the build before any VM starts' '
	echo data >data.txt &&
	template t.pkr.hcl <<-\EOF &&
	  provisioner "shell" {
	    inline = ["echo one"]
	  }
	  provisioner "file" {
	    source      = "data.txt"
	    destination = "/root/data.txt"
	  }
	  provisioner "shell" {
	    inlne = ["echo three"]
	  }
	EOF
	watch_events test_expect_code 1 env KILN_LOG=1 KILN_LOG_PATH=build.log "$KILN" build t.pkr.hcl >out.txt 2>err.txt &&
	test_grep "^Error: Unsupported argument" err.txt &&
	test_grep "on t.pkr.hcl line 24" err.txt &&
	test_grep_text "An argument named \"inlne\" is not expected here. Did you mean \"inline\"?" err.txt &&
	nothing_started
'

test_expect_success 'a missing script and a post-processor typo: both reported, nothing started' '
	template t.pkr.hcl <<-\EOF &&
	  provisioner "shell" {
	    inline = ["echo one"]
	  }
	  provisioner "shell" {
	    script = "no-such-script.sh"
	  }
	  post-processor "manifest" {
	    outptu = "manifest.json"
	  }
	EOF
	watch_events test_expect_code 1 env KILN_LOG=1 KILN_LOG_PATH=build.log "$KILN" build t.pkr.hcl >out.txt 2>err.txt &&
	test_grep "^Error: Invalid provisioner configuration" err.txt &&
	test_grep_text "bad script \"no-such-script.sh\"" err.txt &&
	test_grep "^Error: Unsupported argument" err.txt &&
	test_grep_text "An argument named \"outptu\" is not expected here. Did you mean \"output\"?" err.txt &&
	nothing_started
'

test_expect_success 'kiln validate reports exactly what kiln build refused' '
	"$KILN" build t.pkr.hcl >/dev/null 2>build.err;
	test_expect_code 1 "$KILN" validate t.pkr.hcl >/dev/null 2>validate.err &&
	test_cmp validate.err build.err
'

test_expect_success 'the watcher sees a domain when the template is right (Ctrl-C once it starts)' '
	template t.pkr.hcl <<-\EOF &&
	  provisioner "shell" {
	    inline = ["echo one"]
	  }
	EOF
	start_and_interrupt() {
		rm -f out.txt build.log   # not what the tests before wrote
		KILN_LOG=1 KILN_LOG_PATH=build.log "$KILN" build t.pkr.hcl >out.txt 2>&1 &
		pid=$!
		test_when_finished "stop_kiln $pid"
		i=0
		while ! grep -q "Starting VM" out.txt && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
		sleep 1
		kill -INT $pid
		wait $pid
	} &&
	watch_events test_expect_code 130 start_and_interrupt &&
	test_grep "kiln-$VM" events.txt &&
	test_grep "step \"" build.log &&
	qemu_no_test_domains
'

test_expect_success 'nothing is left behind' 'audit_test'

test_done
