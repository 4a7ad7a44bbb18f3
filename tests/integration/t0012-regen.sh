#!/bin/sh
# t0012-regen — no generated or golden file is stale: `scripts/regen -check` regenerates each of them
# (docs key tables from the component schemas, man pages from the command table, the domain XML golden
# files from the qemu builder, the fmt and inspect expectations from Packer 1.6.6) into a scratch
# directory and compares; `make regen` rewrites them. And the check can fail.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

regen() {
	"$KILN_SRCDIR/scripts/regen" -check "$KILN_BUILDDIR" "$@"
}

test_expect_success 'the docs key tables are what the schemas say' '
	regen docs >out.txt 2>&1 || { cat out.txt; false; }
'

test_expect_success 'the man pages are what kiln help -man says' '
	regen man >out.txt 2>&1 || { cat out.txt; false; }
'

test_expect_success 'the domain XML golden files are what the qemu builder generates' '
	regen domain-xml >out.txt 2>&1 || { cat out.txt; false; }
'

test_expect_success 'the fmt, inspect and console expectations are what Packer 1.6.6 says' '
	if ! test_have_prereq packer; then echo "packer is not installed: run scripts/install-deps" >&2; exit 1; fi &&
	regen hcl-fmt template-inspect console >out.txt 2>&1 || { cat out.txt; false; }
'

test_expect_success 'a stale file is reported, named' '
	mkdir -p tree/scripts tree/docs &&
	cp "$KILN_SRCDIR/scripts/regen" tree/scripts/ &&
	sed "s/| \`target\` | string |  |/| \`target\` | number |  |/" "$KILN_SRCDIR/docs/builder-file.md" >tree/docs/builder-file.md &&
	! cmp -s "$KILN_SRCDIR/docs/builder-file.md" tree/docs/builder-file.md &&
	test_expect_code 1 tree/scripts/regen -check "$KILN_BUILDDIR" docs >out.txt 2>&1 &&
	test_grep "stale: docs/builder-file.md (run make regen)" out.txt &&
	cp "$KILN_SRCDIR/docs/builder-file.md" tree/docs/ &&
	tree/scripts/regen -check "$KILN_BUILDDIR" docs
'

test_done
