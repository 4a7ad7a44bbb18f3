#!/bin/sh
# t0312-provisioner-file — `kiln build` with the null builder and the file provisioner against a test
# sshd: a file and a nested directory both ways with their modes, the trailing-slash rules, content,
# sources, and a 100 MiB upload.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/sshd.sh"

sshd_setup_and_start
R=$SSHD_HOME
modes() {
	(cd "$1" && find . -mindepth 1 -printf "%m %y %p\n" | sort -k3)
}

mkdir -p tree/sub/deeper tree/empty &&
echo top >tree/top.txt && chmod 0640 tree/top.txt &&
echo run >tree/sub/run.sh && chmod 0755 tree/sub/run.sh &&
echo secret >tree/sub/deeper/key && chmod 0600 tree/sub/deeper/key &&
chmod 0750 tree/sub && chmod 0711 tree/sub/deeper &&
echo single >single.txt && chmod 0604 single.txt

test_expect_success 'upload a file, a directory ("tree") and its contents ("tree/"), with modes' '
	sshd_null_template t.pkr.hcl <<-HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "file" {
	    source      = "single.txt"
	    destination = "$R/single-copy.txt"
	  }
	  provisioner "file" {
	    source      = "single.txt"
	    destination = "$R/into/"
	  }
	  provisioner "file" {
	    source      = "tree"
	    destination = "$R/up1"
	  }
	  provisioner "file" {
	    source      = "tree/"
	    destination = "$R/up2"
	  }
	}
	HCL
	mkdir -p "$R/into" && chown "$SSHD_USER" "$R/into" &&
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "null.box: Uploading single.txt => $R/single-copy.txt" out &&
	test_cmp single.txt "$R/single-copy.txt" &&
	test 604 = $(stat -c %a "$R/single-copy.txt") &&
	test_cmp single.txt "$R/into/single.txt" &&
	modes tree >want &&
	modes "$R/up1/tree" >got && test_cmp want got &&
	modes "$R/up2" >got && test_cmp want got &&
	diff -r tree "$R/up2"
'

test_expect_success 'download a file and a directory ("dir" and "dir/"), with modes' '
	sshd_null_template t.pkr.hcl <<-HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "file" {
	    direction   = "download"
	    source      = "$R/single-copy.txt"
	    destination = "dl/"
	  }
	  provisioner "file" {
	    direction   = "download"
	    source      = "$R/up1/tree"
	    destination = "dl/a"
	  }
	  provisioner "file" {
	    direction   = "download"
	    source      = "$R/up1/tree/"
	    destination = "dl/b"
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "Downloading $R/up1/tree => dl/a" out &&
	test_cmp single.txt dl/single-copy.txt &&
	test 604 = $(stat -c %a dl/single-copy.txt) &&
	modes tree >want &&
	modes dl/a/tree >got && test_cmp want got &&
	modes dl/b >got && test_cmp want got
'

test_expect_success 'content goes to the destination (pkr-file-content inside a directory)' '
	sshd_null_template t.pkr.hcl <<-HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "file" {
	    content     = "user: \${build.User}\n"
	    destination = "$R/content.txt"
	  }
	  provisioner "file" {
	    content     = "in a directory"
	    destination = "$R/"
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err &&
	echo "user: $SSHD_USER" >want && test_cmp want "$R/content.txt" &&
	printf "in a directory" >want && test_cmp want "$R/pkr-file-content"
'

test_expect_success 'sources: several files into one directory' '
	echo a >a.txt && echo b >b.txt &&
	mkdir -p "$R/many" && chown "$SSHD_USER" "$R/many" &&
	sshd_null_template t.pkr.hcl <<-HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "file" {
	    sources     = ["a.txt", "b.txt"]
	    destination = "$R/many/"
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_cmp a.txt "$R/many/a.txt" && test_cmp b.txt "$R/many/b.txt"
'

test_expect_success 'mistakes are refused with the key that is wrong' '
	sshd_null_template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "file" {
	    source      = "no-such-file"
	    destination = "/tmp/x"
	  }
	}
	HCL
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep_text "source: bad source \"no-such-file\": no such file or directory" err &&
	sshd_null_template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "file" {
	    source      = "a.txt"
	    destination = "/tmp/x"
	    direction   = "sideways"
	  }
	}
	HCL
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep_text "direction = \"sideways\" is not one of: upload, download" err &&
	sshd_null_template t.pkr.hcl <<-HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "file" {
	    source      = "a.txt"
	    destination = "$R/no/such/dir/x"
	  }
	}
	HCL
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "cannot create $R/no/such/dir/x on the machine: no such file or directory" err
'

test_expect_success 'generated: the source only has to exist when its turn comes' '
	rm -f later.txt &&
	sshd_null_template t.pkr.hcl <<-HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "shell-local" {
	    inline = ["echo made during the build >later.txt"]
	  }
	  provisioner "file" {
	    source      = "later.txt"
	    destination = "$R/later.txt"
	    generated   = true
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_cmp later.txt "$R/later.txt"
'

test_expect_success 'a 100 MiB upload arrives intact' '
	head -c 104857600 /dev/urandom >big &&
	test_when_finished "rm -f big \"$R/big\"" &&
	sshd_null_template t.pkr.hcl <<-HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "file" {
	    source      = "big"
	    destination = "$R/big"
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_cmp big "$R/big"
'

test_done
