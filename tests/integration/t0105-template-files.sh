#!/bin/sh
# t0105-template-files — which files make up a template and how they are read, against Packer 1.6.6:
# *.auto.pkrvars.json is read (after *.auto.pkrvars.hcl, before -var-file), a -var-file may be JSON,
# JSON values are taken as they are; a dangling or looping *.pkr.hcl symbolic link (or a FIFO) in a
# template directory is an error, a directory named *.pkr.hcl is skipped; /dev/null is a script.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

export CHECKPOINT_DISABLE=1

# A template that prints its variables from a shell-local provisioner (null builder, nothing boots).
mkdir d &&
cat >d/t.pkr.hcl <<'EOF'
variable "region" {
  type    = string
  default = "default"
}
variable "n" {
  type    = number
  default = 1
}
variable "l" {
  type    = list(string)
  default = []
}
variable "o" {
  type    = map(string)
  default = {}
}
variable "big" {
  type    = number
  default = 0
}
source "null" "a" {
  communicator = "none"
}
build {
  sources = ["source.null.a"]
  provisioner "shell-local" {
    inline = ["echo 'region=${var.region} n=${var.n} l=${join("+", var.l)} o=${jsonencode(var.o)} big=${var.big}'"]
  }
}
EOF

# the provisioner's line, from kiln or packer output
values() {
	sed -n "s/.*null.a: \(region=.*\)/\1/p" "$1" | sed "s/\x1b\[[0-9;]*m//g"
}

test_expect_success packer '*.auto.pkrvars.json is read after *.auto.pkrvars.hcl, as Packer 1.6.6 does' '
	echo "region = \"from-hcl\"" >d/a.auto.pkrvars.hcl &&
	echo "n = 2" >>d/a.auto.pkrvars.hcl &&
	printf "{\"region\": \"from-json \${x}\", \"l\": [\"a\", \"b\"], \"o\": {\"k\": \"v\"},\n \"big\": 123456789012345678901234567890}\n" \
		>d/a.auto.pkrvars.json &&
	"$KILN" build d >kiln.out 2>&1 &&
	packer build d >packer.out 2>&1 &&
	values kiln.out >kiln.values &&
	values packer.out >packer.values &&
	test -s packer.values &&
	test_cmp packer.values kiln.values &&
	test_grep "region=from-json \${x} n=2 l=a+b" kiln.values
'

test_expect_success packer 'a -var-file may be JSON and wins over the auto files, as in Packer 1.6.6' '
	echo "{\"n\": 7.5}" >vals.json &&
	"$KILN" build -var-file=vals.json d >kiln.out 2>&1 &&
	packer build -var-file=vals.json d >packer.out 2>&1 &&
	values kiln.out >kiln.values && values packer.out >packer.values &&
	test_cmp packer.values kiln.values &&
	test_grep "n=7.5" kiln.values
'

test_expect_success 'JSON variable files: a wrong type, bad JSON and a non-object are located errors' '
	echo "{\"n\": \"many\"}" >bad-type.json &&
	test_expect_code 1 "$KILN" validate -var-file=bad-type.json d 2>err &&
	test_grep "^Error: Invalid value for variable" err &&
	test_grep "on bad-type.json line 1" err &&
	printf "{\n  \"n\": 1,\n  \"n\": 2\n}\n" >dup.json &&
	test_expect_code 1 "$KILN" validate -var-file=dup.json d 2>err &&
	test_grep "^Error: Invalid JSON variable file" err &&
	test_grep_text "duplicate object key" err &&
	printf "{\n  \"n\": 1,\n}\n" >syntax.json &&
	test_expect_code 1 "$KILN" validate -var-file=syntax.json d 2>err &&
	test_grep "^Error: Invalid JSON variable file" err &&
	test_grep "on syntax.json line 3" err &&
	echo "[1, 2]" >array.json &&
	test_expect_code 1 "$KILN" validate -var-file=array.json d 2>err &&
	test_grep_text "A JSON variable file holds one object" err
'

test_expect_success 'an undeclared variable in a var file: validate warns, build does not unless asked (newer Packer)' '
	echo "{\"nope\": 1}" >undeclared.json &&
	"$KILN" validate -var-file=undeclared.json d >out 2>err &&
	test_grep "^Warning: Undefined variable" err &&
	test_grep "on undeclared.json line 1" err &&
	"$KILN" validate -no-warn-undeclared-var -var-file=undeclared.json d >out 2>err &&
	! grep -q "Undefined variable" err &&
	"$KILN" build -var-file=undeclared.json d >out 2>err &&
	! grep -q "Undefined variable" out err &&
	"$KILN" build -warn-on-undeclared-var -var-file=undeclared.json d >out 2>err &&
	test_grep "Undefined variable" err
'

test_expect_success packer 'a dangling *.pkr.hcl symbolic link: an error in Packer 1.6.6 and kiln' '
	rm -f d/*.auto.pkrvars.* &&
	ln -s nowhere.pkr.hcl d/dangling.pkr.hcl &&
	test_expect_code 1 packer validate d >packer.out 2>&1 &&
	test_grep "Failed to read file" packer.out &&
	test_expect_code 1 "$KILN" validate d 2>err &&
	test_grep "^Error: Failed to read file" err &&
	test_grep_text "d/dangling.pkr.hcl\" could not be read: it is a symbolic link to \"nowhere.pkr.hcl\", which does not exist" err &&
	rm d/dangling.pkr.hcl
'

test_expect_success packer 'a looping symbolic link, and one among the auto variable files: errors too' '
	ln -s loop.pkr.hcl d/loop.pkr.hcl &&
	test_expect_code 1 packer validate d >packer.out 2>&1 &&
	test_grep "Failed to read file" packer.out &&
	test_expect_code 1 "$KILN" validate d 2>err &&
	test_grep_text "d/loop.pkr.hcl\" could not be read: it is a symbolic link that leads back to itself" err &&
	rm d/loop.pkr.hcl &&
	ln -s gone.json d/x.auto.pkrvars.json &&
	test_expect_code 1 "$KILN" validate d 2>err &&
	test_grep_text "d/x.auto.pkrvars.json\" could not be read" err &&
	rm d/x.auto.pkrvars.json
'

test_expect_success 'a FIFO named *.pkr.hcl is refused at once, not waited on' '
	mkfifo d/fifo.pkr.hcl &&
	test_expect_code 1 timeout 10 "$KILN" validate d 2>err &&
	test_grep_text "d/fifo.pkr.hcl\" could not be read: it is a FIFO, not a regular file" err &&
	rm d/fifo.pkr.hcl
'

test_expect_success packer 'a directory named *.pkr.hcl is skipped, as Packer 1.6.6 skips it' '
	mkdir d/sub.pkr.hcl &&
	packer validate d &&
	"$KILN" validate d &&
	rmdir d/sub.pkr.hcl
'

test_expect_success packer '/dev/null is a script, as in Packer 1.6.6 (packer-maas customize_script)' '
	mkdir dn &&
	cat >dn/t.pkr.hcl <<-\EOF &&
	source "null" "a" {
	  communicator = "none"
	}
	build {
	  sources = ["source.null.a"]
	  provisioner "shell-local" {
	    scripts         = ["/dev/null"]
	    execute_command = ["/bin/sh", "{{.Script}}"]
	  }
	}
	EOF
	packer validate dn &&
	"$KILN" validate dn &&
	"$KILN" build dn >out 2>&1 &&
	test_grep "Running local shell script: /dev/null" out
'

test_expect_success 'a directory as a script is refused (Packer 1.6.6 accepts it and fails later)' '
	sed "s|/dev/null|/tmp|" dn/t.pkr.hcl >dn/t2.pkr.hcl && rm dn/t.pkr.hcl &&
	test_expect_code 1 "$KILN" validate dn 2>err &&
	test_grep_text "bad script \"/tmp\": it is a directory" err
'

test_done
