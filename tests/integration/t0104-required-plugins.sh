#!/bin/sh
# t0104-required-plugins — required_plugins against the plugins built into kiln: a constraint is
# satisfied when a release the built-in stands in for satisfies it (Packer's constraint rules), and
# `>= 99.0.0` is not; validate and build refuse it before anything runs, as Packer refuses a missing
# plugin; init reports every requirement, those satisfied also when another fails; init -upgrade says
# there is nothing to upgrade. Every qemu constraint of the real templates in the corpus is satisfied.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

CORPUS="$KILN_SRCDIR/../shared/corpus/packer-templates"

# template FILE QEMU_CONSTRAINT [EXTRA_PLUGIN_LINES]
template() {
	cat >"$1" <<-EOF
	packer {
	  required_plugins {
	    qemu = {
	      version = "$2"
	      source  = "github.com/hashicorp/qemu"
	    }
	    ${3:-}
	  }
	}
	source "null" "a" {
	  communicator = "none"
	}
	build {
	  sources = ["source.null.a"]
	  provisioner "shell-local" {
	    inline = ["touch built"]
	  }
	}
	EOF
}

test_expect_success 'init names the release of the built-in each constraint is satisfied by' '
	for c in "~> 1.0.8=1.0.10" "1.1.4=1.1.4" ">= 1.0.1=1.1.6" ">= 1.1.0, < 1.1.2=1.1.1" "~> 1=1.1.6" \
		"!= 1.1.6=1.1.5"; do
		template t.pkr.hcl "${c%=*}" &&
		"$KILN" init t.pkr.hcl >out 2>err &&
		test_grep -x "Plugin \"qemu\" (github.com/hashicorp/qemu ${c%=*}): built into kiln as the builder \"qemu\", standing in for release ${c##*=}." out ||
		exit 1
	done
'

test_expect_success '>= 99.0.0 fails init, validate and build, naming the releases kiln stands in for' '
	template t.pkr.hcl ">= 99.0.0" &&
	test_expect_code 1 "$KILN" init t.pkr.hcl >out 2>err &&
	test_grep "^Error: Missing plugins" err &&
	test_grep "on t.pkr.hcl line 4, in packer:" err &&
	test_grep_text "as its releases 1.0.0 to 1.1.6, and none of them satisfies the constraint" err &&
	test_expect_code 1 "$KILN" validate t.pkr.hcl >out 2>err &&
	test_grep "^Error: Missing plugins" err &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "^Error: Missing plugins" err &&
	! test -e built
'

test_expect_success 'a prerelease-only constraint is not satisfied by releases' '
	template t.pkr.hcl "~> 1.1.6-dev" &&
	test_expect_code 1 "$KILN" init t.pkr.hcl 2>err &&
	test_grep "^Error: Missing plugins" err
'

test_expect_success 'init reports the satisfied requirements also when another fails' '
	template t.pkr.hcl ">= 1.0.0" "virtualbox = { version = \"~> 1\", source = \"github.com/hashicorp/virtualbox\" }" &&
	test_expect_code 1 "$KILN" init t.pkr.hcl >out 2>err &&
	test_grep "^Plugin \"qemu\" (github.com/hashicorp/qemu >= 1.0.0): built into kiln" out &&
	test_grep "^Plugin \"virtualbox\" (github.com/hashicorp/virtualbox ~> 1): failed (see below).$" out &&
	test_grep "^Error: Plugin \"virtualbox\" (github.com/hashicorp/virtualbox ~> 1): reading the release list of github.com/hashicorp/virtualbox on the mirror" err
'

test_expect_success 'validate and build leave plugins kiln lacks to the component checks' '
	"$KILN" validate t.pkr.hcl >out 2>err &&
	test_grep "The configuration is valid." out &&
	"$KILN" build t.pkr.hcl >out 2>err &&
	test -e built
'

test_expect_success 'init -upgrade is accepted and says there is nothing to upgrade' '
	template t.pkr.hcl "~> 1.0.8" &&
	"$KILN" init -upgrade t.pkr.hcl >out &&
	test_grep "^Plugin \"qemu\": -upgrade has nothing to upgrade: the built-in builder \"qemu\" changes with kiln itself (newest release it stands in for: 1.1.6).$" out
'

test_expect_success 'every qemu constraint in the real templates of the corpus is satisfied' '
	n=0 &&
	for f in "$CORPUS"/*.pkr.hcl; do
		grep -q "hashicorp/qemu" "$f" || continue
		grep -q "required_plugins" "$f" || continue
		mkdir -p c && rm -f c/* && cp "$f" c/t.pkr.hcl &&
		"$KILN" init c >out 2>err
		grep -q "^Plugin \"[a-z]*\" (github.com/hashicorp/qemu .*): built into kiln as the builder \"qemu\"" out ||
			{ echo "$f:"; cat out err; exit 1; }
		n=$((n + 1))
	done &&
	echo "$n templates" &&
	test "$n" -ge 10
'

test_done
