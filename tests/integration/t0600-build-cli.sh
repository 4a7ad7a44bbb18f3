#!/bin/sh
# t0600-build-cli — `kiln build` refuses bad input before anything runs.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

cat >tiny.pkr.hcl <<'HCL'
source "qemu" "a" {
  disk_image   = true
  iso_url      = "does-not-matter.qcow2"
  iso_checksum = "none"
  ssh_username = "root"
}
build {
  sources = ["source.qemu.a"]
}
HCL

test_expect_success 'an unknown -on-error value is refused' '
	test_expect_code 1 "$KILN" build -on-error=explode tiny.pkr.hcl 2>err &&
	test_grep "on-error must be cleanup, abort, ask or run-cleanup-provisioner, not \"explode\"" err
'

test_expect_success 'a negative -parallel-builds is refused' '
	test_expect_code 1 "$KILN" build -parallel-builds=-1 tiny.pkr.hcl 2>err &&
	test_grep "parallel-builds must be 0" err
'

test_expect_success 'a missing template is a diagnostic, exit 1' '
	test_expect_code 1 "$KILN" build nope.pkr.hcl 2>err &&
	test_grep "nope.pkr.hcl" err
'

test_expect_success '-only that matches nothing runs nothing' '
	test_expect_code 1 "$KILN" build -only=qemu.zzz tiny.pkr.hcl 2>err &&
	test_grep "no build of the template to run" err
'

test_expect_success '-only and -except together: both filter, as in Packer 1.6.6' '
	test_expect_code 1 "$KILN" build -only=qemu.a -except=qemu.a tiny.pkr.hcl 2>err &&
	test_grep "no build of the template to run" err
'

test_expect_success 'template errors stop the build with file and line' '
	cat >bad.pkr.hcl <<-HCL &&
	source "qemu" "a" {
	  iso_urll = "x"
	}
	build {
	  sources = ["source.qemu.a"]
	}
	HCL
	test_expect_code 1 "$KILN" build bad.pkr.hcl 2>err &&
	test_grep "on bad.pkr.hcl line 2" err &&
	test_grep "iso_url" err
'

test_expect_success 'kiln build with no template shows usage' '
	test_expect_code 1 "$KILN" build 2>err &&
	test_grep "Usage: kiln build" err
'

test_expect_success '-except skips post-processors by name, or by type when unnamed (as Packer 1.6.6)' '
	cat >pp.pkr.hcl <<-\HCL &&
	source "null" "none" {
	  communicator = "none"
	}
	build {
	  sources = ["source.null.none"]
	  post-processor "shell-local" {
	    name   = "notify"
	    inline = ["touch notified"]
	  }
	  post-processor "shell-local" {
	    inline = ["touch plain"]
	  }
	}
	HCL
	"$KILN" build -except=notify pp.pkr.hcl >out 2>err &&
	test -e plain && ! test -e notified &&
	rm -f plain &&
	"$KILN" build -except=shell-local pp.pkr.hcl >out 2>err &&
	test -e notified && ! test -e plain &&
	rm -f notified &&
	"$KILN" build pp.pkr.hcl >out 2>err &&
	test -e notified && test -e plain
'

test_done
