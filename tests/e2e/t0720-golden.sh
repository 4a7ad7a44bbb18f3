#!/bin/sh
# t0720-golden — README command 1's job end to end: scripts/golden-build makes the offline base image,
# builds images/local-debian.pkr.hcl with kiln and prints how to boot the result; the printed commands,
# run as printed, boot the golden image to a login prompt on the serial console.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

test_expect_success 'scripts/golden-build builds the default golden image and says how to boot it' '
	KILN="$KILN" GOLDEN_BASE_DIR="$TEST_DIR/base" "$KILN_SRCDIR/scripts/golden-build" \
		-var output_directory="$TEST_DIR/out" >out.txt 2>&1 &&
	test -s "$TEST_DIR/out/debian-12-golden.qcow2" &&
	qemu-img check "$TEST_DIR/out/debian-12-golden.qcow2" &&
	test_grep "golden: the golden image is $TEST_DIR/out/debian-12-golden.qcow2" out.txt &&
	grep "^  qemu-img create " out.txt >create.sh &&
	grep -A1 "^  qemu-system-x86_64 " out.txt | sed "s/\\\\\$//" | tr -d "\n" >boot.sh &&
	test -s create.sh && test -s boot.sh
'

test_expect_success 'the printed boot line boots it to a login prompt' '
	overlay="$TEST_DIR/golden-overlay.qcow2" &&
	sed "s|/tmp/golden-overlay.qcow2|$overlay|g" create.sh >create2.sh &&
	sed "s|/tmp/golden-overlay.qcow2|$overlay|g" boot.sh >boot2.sh &&
	sh create2.sh >/dev/null &&
	test_when_finished "pkill -f \"file=$overlay\" || :" &&
	{ sh boot2.sh </dev/null >console.txt 2>&1 & } &&
	i=0 && while ! grep -q "login:" console.txt && [ $i -lt 300 ]; do sleep 1; i=$((i + 1)); done &&
	grep "login:" console.txt
'

test_done
