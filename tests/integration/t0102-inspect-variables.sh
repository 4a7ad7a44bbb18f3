#!/bin/sh
# t0102-inspect-variables — `kiln inspect` prints what `packer inspect` prints (golden files made by
# Packer 1.6.6); variable precedence through the command line and the environment; sensitive values
# masked in inspect and in error messages; `kiln init`.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

DATA="$KILN_SRCDIR/tests/data/template-inspect"

test_expect_success 'inspect matches packer inspect byte for byte' '
	: >failures &&
	for out in "$DATA"/*.out; do
		c=$(basename "$out" .out) &&
		cp -r "$DATA/$c" "$c" &&
		"$KILN" inspect $(cat "$DATA/$c.args") "$c" >got 2>err || echo "$c: exit $?" >>failures
		cmp -s got "$out" || echo "$c: differs" >>failures
	done &&
	test $(ls "$DATA"/*.out | wc -l) -ge 3 &&
	test_cmp /dev/null failures
'

cat >vars.pkr.hcl <<-\EOT
variable "v" {
  type    = string
  default = "default"
}
variable "pw" {
  type      = string
  default   = "hunter2-default"
  sensitive = true
}
variable "port" {
  type    = number
  default = 22
}
source "null" "a" {
  communicator = "none"
}
build {
  sources = ["source.null.a"]
}
EOT

value_of() {
	grep "^var.$1: " out | sed "s/^var.$1: //"
}

test_expect_success 'precedence: default < PKR_VAR_ < auto files (lexical) < -var/-var-file in order' '
	mkdir p && cp vars.pkr.hcl p/ &&
	"$KILN" inspect p >out && test "$(value_of v)" = "\"default\"" &&
	PKR_VAR_v=env "$KILN" inspect p >out && test "$(value_of v)" = "\"env\"" &&
	echo "v = \"auto-a\"" >p/a.auto.pkrvars.hcl &&
	PKR_VAR_v=env "$KILN" inspect p >out && test "$(value_of v)" = "\"auto-a\"" &&
	echo "v = \"auto-b\"" >p/b.auto.pkrvars.hcl &&
	PKR_VAR_v=env "$KILN" inspect p >out && test "$(value_of v)" = "\"auto-b\"" &&
	echo "v = \"file\"" >f.pkrvars.hcl &&
	"$KILN" inspect -var-file f.pkrvars.hcl p >out && test "$(value_of v)" = "\"file\"" &&
	"$KILN" inspect -var-file f.pkrvars.hcl -var v=cli p >out && test "$(value_of v)" = "\"cli\"" &&
	"$KILN" inspect -var v=cli -var-file f.pkrvars.hcl p >out && test "$(value_of v)" = "\"file\"" &&
	"$KILN" inspect -var v=one -var v=two p >out && test "$(value_of v)" = "\"two\"" &&
	PKR_VAR_port=2222 "$KILN" inspect p >out && test "$(value_of port)" = "\"2222\""
'

test_expect_success 'auto var files are read only for a directory template' '
	mkdir q && cp vars.pkr.hcl q/ && echo "v = \"auto\"" >q/x.auto.pkrvars.hcl &&
	"$KILN" inspect q/vars.pkr.hcl >out && test "$(value_of v)" = "\"default\""
'

test_expect_success 'an undeclared -var is an error, an undeclared vars-file entry a warning' '
	test_expect_code 1 "$KILN" validate -var nope=1 vars.pkr.hcl 2>err &&
	test_grep "^Error: Undefined -var variable" err &&
	echo "nope = 1" >u.pkrvars.hcl &&
	"$KILN" validate -var-file u.pkrvars.hcl vars.pkr.hcl >out 2>err &&
	test_grep "^Warning: Undefined variable" err &&
	test_grep "on u.pkrvars.hcl line 1:" err &&
	test_grep "The configuration is valid" out
'

test_expect_success 'a value of the wrong type names where it came from' '
	test_expect_code 1 "$KILN" validate -var port=abc vars.pkr.hcl 2>err &&
	test_grep "^Error: Invalid value for variable" err &&
	test_grep "on <value for var.port from -var> line 1:" err &&
	PKR_VAR_port=abc test_expect_code 1 "$KILN" validate vars.pkr.hcl 2>err &&
	test_grep "from environment variable PKR_VAR_port" err
'

test_expect_success 'sensitive values are masked in inspect' '
	"$KILN" inspect -var pw=hunter2-cli vars.pkr.hcl >out &&
	test "$(value_of pw)" = "\"<sensitive>\"" &&
	! grep -q hunter2 out
'

test_expect_success 'sensitive values are not shown in error messages, nor the source that holds them' '
	cat >s.pkr.hcl <<-\EOT &&
	variable "token" {
	  type      = number
	  sensitive = true
	}
	EOT
	echo "token = \"tok-5ecret\"" >s.pkrvars.hcl &&
	test_expect_code 1 "$KILN" validate -var-file s.pkrvars.hcl s.pkr.hcl 2>err &&
	test_grep "Invalid value for variable" err &&
	test_grep "on s.pkrvars.hcl line 1:" err &&
	test_grep "(source code not shown: it holds a sensitive value)" err &&
	! grep -q tok-5ecret err
'

test_expect_success 'init reports the built-in component for each plugin, fails for one it cannot install' '
	cat >i.pkr.hcl <<-\EOT &&
	packer {
	  required_version = ">= 1.7.0"
	  required_plugins {
	    qemu = {
	      version = ">= 1.0.9"
	      source  = "github.com/hashicorp/qemu"
	    }
	  }
	}
	EOT
	"$KILN" init i.pkr.hcl >out &&
	test_grep "^Plugin \"qemu\" (github.com/hashicorp/qemu >= 1.0.9): built into kiln as the builder \"qemu\", standing in for release 1.1.6.$" out &&
	test_grep "required_version\|version constraint" out &&
	cat >j.pkr.hcl <<-\EOT &&
	packer {
	  required_plugins {
	    virtualbox = {
	      version = ">= 1.0.0"
	      source  = "github.com/hashicorp/virtualbox"
	    }
	  }
	}
	EOT
	mkdir mirror &&
	test_expect_code 1 env KILN_PLUGIN_MIRROR="$TEST_DIR/mirror" KILN_PLUGIN_PATH="$TEST_DIR/plugins" \
		"$KILN" init j.pkr.hcl >out 2>err &&
	test_grep "^Plugin \"virtualbox\" (github.com/hashicorp/virtualbox >= 1.0.0): failed (see below).$" out &&
	test_grep "^Error: Plugin \"virtualbox\" (github.com/hashicorp/virtualbox >= 1.0.0): reading the release list of github.com/hashicorp/virtualbox on the mirror" err &&
	! test -e .kiln.lock.hcl &&
	printf "packer {\n  required_version = \">= 99\"\n}\n" >k.pkr.hcl &&
	test_expect_code 1 "$KILN" init k.pkr.hcl 2>err &&
	test_grep "^Error: Unsupported Packer Core version" err &&
	echo "source \"null\" \"a\" {}" >n.pkr.hcl &&
	"$KILN" init n.pkr.hcl >out &&
	test_grep "^No plugins required.$" out
'

test_done
