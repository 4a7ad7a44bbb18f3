#!/bin/sh
# t0491-faults-disk — broken images and full disks. A truncated or corrupt base image and a truncated
# ISO fail in seconds naming the file, before any VM starts. Then one `kiln build` runs six builds that
# each break differently (two at a time, on the tiny image): the guest fills the file system of its
# overlay (the VM pauses: "no space left on <mount point>"), the export does not fit (checked before it
# starts, with both numbers), a post-processor fills its file system, qemu-img is killed during the
# export, the guest powers off in the middle of a provisioner, and a disk that does not boot keeps the
# serial console silent (a hint that it may not boot at all). Each build's one-line error says what
# happened; nothing is left behind but the failed builds' serial logs, kept beside their outputs.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"
. "$KILN_SRCDIR/tests/lib/faults.sh"
qemu_setup

TINY=$(fixture_tiny_image)

# one_build NAME BASE: a template with one build of BASE into out-NAME
one_build() {
	{
		FAULTS_BASE=$2 faults_source "$1" "out-$1"
		echo "build { sources = [\"source.qemu.$1\"] }"
	} >"$1.pkr.hcl"
}

test_expect_success 'a truncated base image fails before booting, naming the file' '
	head -c 300000 "$TINY" >trunc.qcow2 &&
	one_build trunc "$TEST_DIR/trunc.qcow2" &&
	test_expect_code 1 "$KILN" build trunc.pkr.hcl >trunc.out 2>&1 &&
	faults_one_error trunc.out >err.line &&
	test_grep "^--> qemu.trunc: step \"download\": $TEST_DIR/trunc.qcow2 (293.0 KiB) is truncated: its qcow2 metadata points past the end of the file" err.line &&
	test_grep "hint: download it again" trunc.out &&
	! grep -q "Starting VM" trunc.out && ! test -e out-trunc
'

test_expect_success 'a base image with corrupt metadata fails before booting' '
	cp "$TINY" corrupt.qcow2 &&
	python3 -c "
import struct, sys
f = open(sys.argv[1], \"r+b\")
l1 = struct.unpack(\">Q\", f.read(48)[40:48])[0]
f.seek(l1)
f.write(struct.pack(\">Q\", (1 << 63) | 0x7fff0200))   # the first L2 table: unaligned, past the end
" corrupt.qcow2 &&
	one_build corrupt "$TEST_DIR/corrupt.qcow2" &&
	test_expect_code 1 "$KILN" build corrupt.pkr.hcl >corrupt.out 2>&1 &&
	faults_one_error corrupt.out >err.line &&
	test_grep "^--> qemu.corrupt: step \"download\": $TEST_DIR/corrupt.qcow2 is damaged: qemu-img check found 3 corruptions" err.line &&
	! grep -q "Starting VM" corrupt.out && ! test -e out-corrupt
'

test_expect_success 'a truncated ISO fails before booting' '
	iso=$(fixture_boot_iso) &&
	head -c 1000000 "$iso" >trunc.iso &&
	cat >iso.pkr.hcl <<-EOF &&
	source "qemu" "iso" {
	  iso_url          = "$TEST_DIR/trunc.iso"
	  iso_checksum     = "none"
	  accelerator      = "tcg"
	  communicator     = "none"
	  output_directory = "out-iso"
	}
	build { sources = ["source.qemu.iso"] }
	EOF
	test_expect_code 1 "$KILN" build iso.pkr.hcl >iso.out 2>&1 &&
	faults_one_error iso.out >err.line &&
	test_grep "^--> qemu.iso: step \"download\": $TEST_DIR/trunc.iso is truncated: the file has 976.6 KiB, its ISO 9660 volume" err.line &&
	! grep -q "Starting VM" iso.out && ! test -e out-iso
'

test_expect_success 'six builds break six ways, each said in one line' '
	faults_tmpfs full-guest 12m && faults_tmpfs full-export 12m && faults_tmpfs full-pp 2m &&
	qemu-img create -q -f raw blank.raw 64M &&
	faults_qemu_img_shim shim "out-convkill" &&
	{
		faults_source guestfull full-guest/out "sanitize = false"
		FAULTS_BACKING=false faults_source exportfull full-export/out "sanitize = false"
		FAULTS_BACKING=false faults_source ppfull out-pp "sanitize = false"
		FAULTS_BACKING=false faults_source convkill out-convkill "sanitize = false"
		faults_source poweroff out-poweroff "sanitize = false"
		FAULTS_BASE=$TEST_DIR/blank.raw faults_source silent out-silent "sanitize = false" "ssh_timeout = \"40s\""
		cat <<-EOF
		build {
		  sources = ["source.qemu.guestfull", "source.qemu.exportfull", "source.qemu.ppfull", "source.qemu.convkill",
		             "source.qemu.poweroff", "source.qemu.silent"]
		  provisioner "shell" {
		    only   = ["qemu.guestfull"]
		    inline = ["dd if=/dev/urandom of=/root/big bs=1M count=40 && sync"]
		  }
		  provisioner "shell" {
		    only   = ["qemu.poweroff"]
		    inline = ["echo powering off", "poweroff", "sleep 120", "echo still here"]
		  }
		  post-processor "compress" {
		    only   = ["qemu.ppfull"]
		    output = "full-pp/tiny.tar.gz"
		  }
		}
		EOF
	} >six.pkr.hcl &&
	PATH=$TEST_DIR/shim:$PATH faults_build six.out -parallel-builds=2 six.pkr.hcl &&
	# kill the stand-in qemu-img of the convkill build once it converts
	while kill -0 "$FAULTS_PID" 2>/dev/null; do
		if [ -s shim/pid ] && ! [ -e shim/killed ]; then kill -9 "$(cat shim/pid)" && : >shim/killed; fi
		sleep 0.2
	done &&
	faults_finish && test "$FAULTS_RC" = 1 &&
	faults_one_error six.out >errors &&
	cat errors &&
	test "$(wc -l <errors)" = 6
'

test_expect_success 'a guest that fills its overlay: the VM pauses, "no space left on" the mount point' '
	test_grep "^--> qemu.guestfull: step \"provision\": provisioner \"shell\" at six.pkr.hcl:[0-9:]*: no space left on $TEST_DIR/full-guest (the VM paused: writing its disk $TEST_DIR/full-guest/out/packer-guestfull failed" errors &&
	test_grep "hint: $TEST_DIR/full-guest has .* free of 12.0 MiB now: free some space there, or set output_directory to a larger file system" six.out
'

test_expect_success 'an export that cannot fit fails before it starts, with both numbers' '
	test_grep "^--> qemu.exportfull: step \"finish disk\": exporting $TEST_DIR/full-export/out/packer-exportfull: not enough space on $TEST_DIR/full-export for the export: it can need up to [0-9.]* MiB, and $TEST_DIR/full-export has [0-9.]* [KM]iB free (of 12.0 MiB)" errors &&
	! ls -A full-export/out 2>/dev/null
'

test_expect_success 'a post-processor that fills its file system: "no space left on" it, no half-written archive' '
	test_grep "^--> qemu.ppfull: post-processor \"compress\" at six.pkr.hcl:[0-9:]*: no space left on $TEST_DIR/full-pp (" errors &&
	test -z "$(ls -A full-pp)" &&
	qemu-img check -q out-pp/packer-ppfull
'

test_expect_success 'qemu-img killed during the export: said so, nothing half written' '
	test_grep "^--> qemu.convkill: step \"finish disk\": exporting $TEST_DIR/out-convkill/packer-convkill: qemu-img was killed by SIGKILL" errors &&
	! test -e out-convkill
'

test_expect_success 'the guest powers off in the middle of a provisioner: the VM stopped, not "disconnected"' '
	test_grep "^--> qemu.poweroff: step \"provision\": provisioner \"shell\" at six.pkr.hcl:[0-9:]*: the VM stopped unexpectedly (state: off)" errors &&
	! grep -q "still here" six.out
'

test_expect_success 'a disk that does not boot: the silent serial console gets a boot hint, not an sshd one' '
	test_grep "^--> qemu.silent: step \"wait for SSH\": timeout waiting for SSH after 40s" errors &&
	test_grep "hint: the serial console stayed silent for the whole wait: the VM may not boot at all" six.out
'

test_expect_success 'each failed build kept its serial log beside its output; nothing else is left' '
	for n in guestfull exportfull convkill poweroff; do
		case $n in guestfull) o=full-guest/out ;; exportfull) o=full-export/out ;; *) o=out-$n ;; esac &&
		test_grep "Kept the serial log of the failed build: $TEST_DIR/$o-serial.log" six.out &&
		test -s "$o-serial.log" || exit 1
	done &&
	test_grep "tiny: up" out-poweroff-serial.log &&
	qemu_no_test_domains &&
	audit_test
'

test_done
