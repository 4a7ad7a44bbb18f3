#!/bin/sh
# t0103-version-constraints — src/util/version.c decides every constraint in
# tests/data/version/constraints.txt as Packer 1.6.6 decides its own required_version (Packer is
# 1.6.6, so both check version 1.6.6), and kiln's required_version and required_plugins use it.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

CONSTRAINTS=$KILN_SRCDIR/tests/data/version/constraints.txt
CHECK=$KILN_BUILDDIR/tests/helpers/version-check

test_expect_success packer 'every constraint: kiln and Packer 1.6.6 agree (satisfied, not, unreadable)' '
	mkdir d &&
	n=0 &&
	while IFS= read -r c; do
		n=$((n + 1))
		printf "packer {\n  required_version = \"%s\"\n}\n" "$c" >"$(printf d/c%03d.pkr.hcl $n)"
	done <"$CONSTRAINTS" &&
	printf "source \"null\" \"a\" {\n  communicator = \"none\"\n}\nbuild {\n  sources = [\"source.null.a\"]\n}\n" \
		>d/zz.pkr.hcl &&
	test_expect_code 1 env CHECKPOINT_DISABLE=1 packer validate -syntax-only d >packer.out 2>&1 &&
	# Packer names each file whose constraint fails or cannot be read
	awk "/^Error: Unsupported Packer Core version/ { what = \"no\" }
	     /^Error: Invalid version constraint/ { what = \"invalid\" }
	     /^  on d\/c[0-9]+\.pkr\.hcl line/ { f = \$2; sub(/^d\/c/, \"\", f); sub(/\.pkr\.hcl/, \"\", f); print f + 0, what }" \
		packer.out | sort -n >packer.fails &&
	test -s packer.fails &&
	i=0 &&
	while IFS= read -r c; do
		i=$((i + 1))
		w=$(grep "^$i " packer.fails | cut -d" " -f2)
		echo "${w:-yes}"
	done <"$CONSTRAINTS" >packer.answers &&
	"$CHECK" 1.6.6 <"$CONSTRAINTS" >kiln.answers &&
	paste "$CONSTRAINTS" kiln.answers >kiln.table &&
	paste "$CONSTRAINTS" packer.answers >packer.table &&
	test_cmp packer.table kiln.table &&
	# the list exercises all three answers
	grep -q "	yes$" kiln.table && grep -q "	no$" kiln.table && grep -q "	invalid$" kiln.table
'

tmpl() {
	cat >t.pkr.hcl <<-EOT
	packer {
	  $1
	}
	source "null" "a" {
	  communicator = "none"
	}
	build {
	  sources = ["source.null.a"]
	}
	EOT
}

test_expect_success 'kiln checks required_version against the Packer version it implements' '
	tmpl "required_version = \">= 1.7.0, < 2.0.0\"" &&
	"$KILN" validate -syntax-only t.pkr.hcl &&
	tmpl "required_version = \"~> 1.6.0\"" &&
	test_expect_code 1 "$KILN" validate -syntax-only t.pkr.hcl 2>err &&
	test_grep "^Error: Unsupported Packer Core version" err &&
	test_grep "t.pkr.hcl line 2" err
'

test_expect_success 'an unreadable required_version is an error, as in Packer, naming the term' '
	tmpl "required_version = \">= 1.0, >= 1.x\"" &&
	test_expect_code 1 "$KILN" validate -syntax-only t.pkr.hcl 2>err &&
	test_grep "^Error: Invalid version constraint" err &&
	tr "\n" " " <err | sed "s/  */ /g" >err.flat &&
	test_grep "\">= 1.x\" is not a version constraint" err.flat
'

test_expect_success 'an unreadable required_plugins version is an error' '
	tmpl "required_plugins {
	    qemu = { version = \"=> 1.0\", source = \"github.com/hashicorp/qemu\" }
	  }" &&
	test_expect_code 1 "$KILN" validate -syntax-only t.pkr.hcl 2>err &&
	test_grep "^Error: Invalid version constraint" err &&
	tr "\n" " " <err | sed "s/  */ /g" >err.flat &&
	test_grep "\"=> 1.0\" is not a version constraint" err.flat
'

test_done
