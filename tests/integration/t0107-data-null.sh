#!/bin/sh
# t0107-data-null — the built-in `null` data source (Packer's: output = input), and through it how data
# sources run: in dependency order with the locals (also through data["TYPE"]["NAME"]), in kiln build
# and console, in validate only with -evaluate-datasources; its errors at the argument; loops named.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

export CHECKPOINT_DISABLE=1

write_template() {
	mkdir -p t &&
	cat >t/t.pkr.hcl <<-\EOF
	variable "release" {
	  default = "bookworm"
	}
	locals {
	  name  = "debian-${data.null.release.output}"
	  label = upper(data["null"]["tag"].output)
	}
	data "null" "release" {
	  input = var.release
	}
	data "null" "tag" {
	  input = "${local.name}-tag"
	}
	source "null" "t" {
	  communicator = "none"
	}
	build {
	  sources = ["source.null.t"]
	  provisioner "shell-local" {
	    inline = ["echo image ${local.name} ${local.label}"]
	  }
	}
	EOF
}

test_expect_success 'kiln describes it from its schema' '
	"$KILN" describe-component data null >out 2>err &&
	test_grep "input" out
'

test_expect_success 'kiln console runs it, in dependency order with the locals' '
	write_template &&
	echo "data.null.release.output" | "$KILN" console t >out 2>err &&
	test_grep -x "bookworm" out &&
	echo "local.label" | "$KILN" console -var release=trixie t >out 2>err &&
	test_grep -x "DEBIAN-TRIXIE-TAG" out
'

test_expect_success 'kiln build uses its value' '
	"$KILN" build -color=false t >out 2>err &&
	test_grep "image debian-bookworm DEBIAN-BOOKWORM-TAG$" out
'

test_expect_success 'kiln validate checks it; it runs only with -evaluate-datasources, failing at its argument' '
	sed "s/default = \"bookworm\"/default = \"\"/" t/t.pkr.hcl >t.tmp && mv t.tmp t/t.pkr.hcl &&
	"$KILN" validate t >out 2>err &&
	test_grep "The configuration is valid." out &&
	test_expect_code 1 "$KILN" validate -evaluate-datasources t >out 2>err &&
	test_grep "Error: Data source failed" err &&
	test_grep "on t/t.pkr.hcl line 9, in data \"null\" \"release\":" err &&
	test_grep "^data.null.release: input: The \`input\` must be specified$" err &&
	test_expect_code 1 "$KILN" build t >out 2>err &&
	test_grep "Error: Data source failed" err &&
	! grep "image debian" out
'

test_expect_success 'its schema: a required argument, a misspelt one' '
	mkdir -p u &&
	printf "data \"null\" \"x\" {\n  inputs = \"a\"\n}\n" >u/u.pkr.hcl &&
	test_expect_code 1 "$KILN" validate u >out 2>err &&
	test_grep "Did you mean \"input\"?" err &&
	test_grep "Missing required argument" err
'

test_expect_success 'a loop through data sources alone is named whole' '
	cat >u/u.pkr.hcl <<-\EOF &&
	data "null" "a" { input = data.null.b.output }
	data "null" "b" { input = data.null.a.output }
	EOF
	test_expect_code 1 "$KILN" validate u >out 2>err &&
	test_grep "Error: Cyclic references" err &&
	test_grep_text "data.null.a refers to data.null.b, which refers to data.null.a" err
'

test_done
