#!/bin/sh
# t0161-secrets — sensitive values by value marks: kiln never shows a sensitive value, nor one
# computed from it, in its diagnostics, its console or a build's output, and never filters its own
# text (file names, words) for them. Diagnostics never show the source that holds a sensitive value
# (a -var, a variable file's line, a default); a function that fails on a sensitive argument does not
# say why; what functions compute from a secret (upper, base64encode, sha256) is filtered from
# subprocess output like the secret itself; values shorter than 4 bytes are not filtered.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

cat >t.pkr.hcl <<'EOT'
variable "token" {
  type      = number
  default   = 1
  sensitive = true
}
variable "word" {
  type      = string
  default   = "abcdefghij"
  sensitive = true
  validation {
    condition     = length(var.word) > 8
    error_message = "Too short: ${var.word}."
  }
}
EOT

test_expect_success 'console: an invalid -var for a sensitive variable does not show the value' '
	echo "1" >in &&
	test_expect_code 1 "$KILN" console -var token=s3cr3tvalue t.pkr.hcl <in >out 2>&1 &&
	test_grep "Invalid value for variable" out &&
	test_grep "source code not shown: it holds a sensitive value" out &&
	! grep -q s3cr3tvalue out
'

test_expect_success 'validate: neither the -var, the variable file line nor the message shows the value' '
	echo "token = \"s3cr3t-in-file\"" >v.pkrvars.hcl &&
	test_expect_code 1 "$KILN" validate -var-file=v.pkrvars.hcl -var word=s3cr3t t.pkr.hcl >out 2>&1 &&
	test "$(grep -c "Invalid value for variable" out)" = 2 &&
	test_grep "on v.pkrvars.hcl line 1:" out &&
	test_grep "the message is not shown: it uses a sensitive value" out &&
	! grep -q "s3cr3t" out
'

test_expect_success 'a sensitive default that does not fit its type is not shown' '
	cat >d.pkr.hcl <<-\EOT &&
	variable "token" {
	  type      = number
	  default   = "hunter2-default"
	  sensitive = true
	}
	EOT
	test_expect_code 1 "$KILN" validate d.pkr.hcl >out 2>&1 &&
	test_grep "on d.pkr.hcl line 3, in variable \"token\":" out &&
	! grep -q hunter2 out
'

test_expect_success 'a function failing on a sensitive argument does not say why' '
	cat >f.pkr.hcl <<-\EOT &&
	variable "path" {
	  default   = "/nonexistent/s3cr3t-path"
	  sensitive = true
	}
	locals {
	  f = file(var.path)
	}
	EOT
	test_expect_code 1 "$KILN" validate f.pkr.hcl >out 2>&1 &&
	test_grep "Call to function \"file\" failed: the reason is not shown because an argument is" out &&
	test_grep "with var.path as (sensitive value)" out &&
	! grep -q s3cr3t out
'

test_expect_success 'kiln does not filter its own text: file names, words and line numbers stay whole' '
	cat >ubuntu-cloudimg.pkr.hcl <<-\EOT &&
	variable "ssh_password" {
	  default   = "ubuntu"
	  sensitive = true
	}
	variable "a" {
	  default   = "a"
	  sensitive = true
	}
	locals {
	  x = nosuch.argument
	}
	EOT
	test_expect_code 1 "$KILN" validate ubuntu-cloudimg.pkr.hcl >out 2>&1 &&
	test_grep "on ubuntu-cloudimg.pkr.hcl line 10, in locals:" out &&
	test_grep "x = nosuch.argument" out &&
	! grep -q "<sensitive>" out
'

test_expect_success 'values computed from a secret are masked in a build, short words are not' '
	cat >b.pkr.hcl <<-\EOT &&
	variable "secret" {
	  type      = string
	  default   = "hunter2"
	  sensitive = true
	}
	variable "a" {
	  default   = "a"
	  sensitive = true
	}
	locals {
	  up = upper(var.secret)
	}
	source "null" "x" {
	  communicator = "none"
	}
	build {
	  sources = ["source.null.x"]
	  provisioner "shell-local" {
	    inline = ["echo up=${local.up}", "echo b64=${base64encode(var.secret)}", "echo sum=${sha256(var.secret)}",
	              "echo plain=${var.secret}", "echo an argument"]
	  }
	}
	EOT
	"$KILN" build b.pkr.hcl >out 2>&1 &&
	test_grep "null.x: up=<sensitive>\$" out &&
	test_grep "null.x: b64=<sensitive>\$" out &&
	test_grep "null.x: sum=<sensitive>\$" out &&
	test_grep "null.x: plain=<sensitive>\$" out &&
	test_grep "null.x: an argument\$" out &&
	! grep -qi "hunter2\|aHVudGVyMg\|f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7" out
'

test_expect_success 'a build named like its secret: the names stay whole, the secret is masked' '
	mkdir named &&
	cat >named/ubuntu-cloudimg.pkr.hcl <<-\EOT &&
	variable "pw" {
	  default   = "ubuntu"
	  sensitive = true
	}
	source "null" "ubuntu-vm" {
	  communicator = "none"
	}
	build {
	  sources = ["source.null.ubuntu-vm"]
	  provisioner "shell-local" {
	    inline = ["echo pw=${var.pw}"]
	  }
	}
	EOT
	"$KILN" build named/ubuntu-cloudimg.pkr.hcl >out 2>&1 &&
	test_grep "null.ubuntu-vm: pw=<sensitive>\$" out &&
	test_grep "Build .null.ubuntu-vm. finished" out &&
	! grep -q "<sensitive>-vm\|<sensitive>-cloudimg" out
'

test_expect_success 'a source named exactly like its password does not unmask the password' '
	mkdir same &&
	cat >same/t.pkr.hcl <<-\EOT &&
	variable "pw" {
	  default   = "vagrant"
	  sensitive = true
	}
	source "null" "vagrant" {
	  communicator = "none"
	}
	build {
	  name    = "vagrant"
	  sources = ["source.null.vagrant"]
	  provisioner "shell-local" {
	    inline = ["echo pw=${var.pw}", "echo vagrant"]
	  }
	}
	EOT
	"$KILN" build same/t.pkr.hcl >out 2>&1 &&
	test_grep "vagrant.null.vagrant: pw=<sensitive>\$" out &&
	test_grep "vagrant.null.vagrant: <sensitive>\$" out &&
	test "$(grep -c "[:=] *vagrant\$" out)" = 0
'

test_expect_success '-machine-readable diagnostics are not filtered either: names, words and carets stay whole' '
	cat >ubuntu-mr.pkr.hcl <<-\EOT &&
	variable "pw" {
	  default   = "ubuntu"
	  sensitive = true
	}
	variable "w" {
	  default   = "argument"
	  sensitive = true
	}
	variable "n" {
	  type    = number
	  default = "an argument"
	}
	EOT
	test_expect_code 1 "$KILN" validate -machine-readable ubuntu-mr.pkr.hcl >out 2>&1 &&
	test_grep ",ui,error,Error: Invalid value for variable" out &&
	test_grep "on ubuntu-mr.pkr.hcl line 11%!(PACKER_COMMA) in variable" out &&
	test_grep "default = \"an argument\"" out &&
	! grep -q "<sensitive>" out
'

test_expect_success 'a diagnostic raised during a build is not filtered either' '
	cat >late.pkr.hcl <<-\EOT &&
	variable "pw" {
	  default   = "operand"
	  sensitive = true
	}
	source "null" "x" {
	  communicator = "none"
	}
	build {
	  sources = ["source.null.x"]
	  provisioner "shell-local" {
	    inline = ["echo ${build.Host + 1}"]
	  }
	}
	EOT
	test_expect_code 1 "$KILN" build late.pkr.hcl >out 2>&1 &&
	test_grep "late.pkr.hcl:10: Error: Invalid operand\$" out &&
	test_grep "Unsuitable value for left operand" out &&
	! grep -q "<sensitive>" out
'

test_expect_success 'console shows values computed from a secret as <sensitive>' '
	printf "%s\n" "base64encode(var.word)" "upper(var.word)" "[var.word]" >in &&
	"$KILN" console t.pkr.hcl <in >out 2>&1 &&
	test "$(grep -c "<sensitive>" out)" = 3 &&
	! grep -qi "abcdefghij\|YWJjZGVmZ2hpag" out
'

test_done
