#!/bin/sh
# t0315-build-file — the file builder: an artifact of one file, written from content or copied from
# source, for trying post-processors without a VM; what Packer 1.6.6 does (the same file, the same
# "Stored file:" artifact), except that an existing target is replaced only with -force and a failed
# build removes the target again.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

test_expect_success 'content becomes the artifact; provisioners run without a communicator' '
	cat >t.pkr.hcl <<-\HCL &&
	source "file" "x" {
	  content = "hello"
	  target  = "out/dummy"
	}
	build {
	  sources = ["source.file.x"]
	  provisioner "shell-local" {
	    inline = ["echo provisioned"]
	  }
	  post-processor "checksum" {
	    checksum_types = ["sha256"]
	    output         = "out/sums"
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out.txt 2>&1 &&
	test_grep "file.x: provisioned" out.txt &&
	test_grep -- "--> file.x: Stored file: out/dummy" out.txt &&
	printf hello >want && test_cmp want out/dummy &&
	test "$(stat -c %a out/dummy)" = 600 &&
	test_grep "dummy" out/sums
'

test_expect_success 'source is copied; machine-readable output names the builder id and the file' '
	echo data >src.txt &&
	cat >c.pkr.hcl <<-\HCL &&
	source "file" "x" {
	  source = "src.txt"
	  target = "copy.txt"
	}
	build { sources = ["source.file.x"] }
	HCL
	"$KILN" build -machine-readable c.pkr.hcl >mr.txt &&
	test_cmp src.txt copy.txt &&
	test_grep ",file.x,artifact,0,builder-id,packer.file$" mr.txt &&
	test_grep ",file.x,artifact,0,file,0,copy.txt$" mr.txt &&
	test_grep ",file.x,artifact,0,string,Stored file: copy.txt$" mr.txt
'

test_expect_success 'an existing target is replaced only with -force' '
	echo old >copy.txt &&
	test_expect_code 1 "$KILN" build c.pkr.hcl >out.txt 2>&1 &&
	test_grep "target copy.txt already exists" out.txt &&
	echo old >want && test_cmp want copy.txt &&
	"$KILN" build -force c.pkr.hcl >out.txt 2>&1 &&
	test_cmp src.txt copy.txt
'

test_expect_success 'a failed build removes the target it wrote' '
	cat >f.pkr.hcl <<-\HCL &&
	source "file" "x" {
	  content = "x"
	  target  = "failed.txt"
	}
	build {
	  sources = ["source.file.x"]
	  provisioner "shell-local" {
	    inline = ["exit 3"]
	  }
	}
	HCL
	test_expect_code 1 "$KILN" build f.pkr.hcl >out.txt 2>&1 &&
	test ! -e failed.txt
'

test_expect_success 'neither source nor content: an empty file, with Packer'"'"'s warning' '
	printf "source \"file\" \"x\" {\n  target = \"empty.txt\"\n}\nbuild { sources = [\"source.file.x\"] }\n" >e.pkr.hcl &&
	"$KILN" build e.pkr.hcl >out.txt 2>&1 &&
	test_grep "Both source file and contents are blank; target will have no content" out.txt &&
	test -f empty.txt && test ! -s empty.txt
'

test_expect_success 'a missing target, both source and content, a missing source: located errors' '
	printf "source \"file\" \"x\" {\n  content = \"a\"\n  source = \"src.txt\"\n}\nbuild { sources = [\"source.file.x\"] }\n" >b.pkr.hcl &&
	test_expect_code 1 "$KILN" validate b.pkr.hcl 2>err &&
	test_grep_text "The argument \"target\" is required" err &&
	test_grep_text "Only one of \"content\" and \"source\" can be set" err &&
	printf "source \"file\" \"x\" {\n  source = \"nope.txt\"\n  target = \"n.txt\"\n}\nbuild { sources = [\"source.file.x\"] }\n" >n.pkr.hcl &&
	test_expect_code 1 "$KILN" build n.pkr.hcl >out.txt 2>&1 &&
	test_grep "nope.txt" out.txt &&
	test ! -e n.txt
'

test_expect_success 'the same artifact as Packer 1.6.6 (differential)' '
	if ! test_have_prereq packer; then echo "packer is not installed: run scripts/install-deps" >&2; exit 1; fi &&
	mkdir pk kl &&
	for d in pk kl; do
		cat >$d/t.pkr.hcl <<-\HCL || return 1
		source "file" "x" {
		  content = "Lorem ipsum"
		  target  = "sub/dir/artifact"
		}
		build { sources = ["source.file.x"] }
		HCL
	done &&
	(cd pk && CHECKPOINT_DISABLE=1 packer build t.pkr.hcl >out.txt 2>&1) &&
	(cd kl && "$KILN" build t.pkr.hcl >out.txt 2>&1) &&
	test_cmp pk/sub/dir/artifact kl/sub/dir/artifact &&
	test "$(stat -c %a pk/sub/dir/artifact)" = "$(stat -c %a kl/sub/dir/artifact)" &&
	grep -e "^--> " pk/out.txt >pk.lines && grep -e "^--> " kl/out.txt >kl.lines &&
	test_cmp pk.lines kl.lines
'

test_done
