#!/bin/sh
# t0100-fmt — `kiln fmt` writes exactly what Packer 1.6.6's `packer fmt` writes for every corpus file,
# and its -check exit codes agree with Packer's (ORACLE.tsv); stdin, -diff, -write=false, -recursive.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

CORPUS="$KILN_SRCDIR/../shared/corpus/packer-templates"

test_expect_success 'the Packer corpus is there' '
	test -f "$CORPUS/ORACLE.tsv" &&
	test $(ls "$CORPUS"/*.fmt | wc -l) -ge 100
'

test_expect_success 'every corpus file formats byte for byte as packer fmt did' '
	: >failures &&
	for want in "$CORPUS"/*.fmt; do
		src=${want%.fmt} &&
		name=$(basename "$src") &&
		cp "$src" "$name" &&
		"$KILN" fmt "$name" >out 2>err || echo "$name: exit $?" >>failures
		cmp -s "$name" "$want" || echo "$name: differs" >>failures
		rm -f "$name"
	done &&
	test_cmp /dev/null failures
'

test_expect_success 'edge cases agree with packer fmt (tests/data/hcl-fmt, make regen)' '
	: >failures &&
	for want in "$KILN_SRCDIR"/tests/data/hcl-fmt/*.fmt; do
		"$KILN" fmt - <"${want%.fmt}" >got || echo "$want: exit $?" >>failures
		cmp -s got "$want" || echo "$want: differs" >>failures
	done &&
	test_cmp /dev/null failures
'

test_expect_success 'formatting is idempotent over the corpus' '
	: >failures &&
	for want in "$CORPUS"/*.fmt; do
		"$KILN" fmt - <"$want" >got || echo "$want: exit $?" >>failures
		cmp -s got "$want" || echo "$want: changed" >>failures
	done &&
	test_cmp /dev/null failures
'

test_expect_success '-check exit codes agree with Packer (ORACLE.tsv)' '
	: >failures &&
	tail -n +2 "$CORPUS/ORACLE.tsv" | cut -f1,3,4 >cases &&
	test $(wc -l <cases) -ge 100 &&
	while IFS="	" read -r name verdict changed; do
		case "$verdict/$changed" in
		accepted/yes) want=3 ;;
		accepted/no) want=0 ;;
		rejected/*) want=1 ;;
		*) echo "$name: unknown oracle row $verdict/$changed" >>failures; continue ;;
		esac
		cp "$CORPUS/$name" "$name" &&
		"$KILN" fmt -check "$name" >out 2>err
		got=$?
		test "$got" = "$want" || echo "$name: exit $got, packer $want" >>failures
		cmp -s "$name" "$CORPUS/$name" || echo "$name: -check wrote the file" >>failures
		if test "$want" = 3; then grep -qx "$name" out || echo "$name: not listed" >>failures; fi
		rm -f "$name"
	done <cases &&
	test_cmp /dev/null failures
'

test_expect_success 'the malformed fixture is refused at line 5 and left untouched' '
	cp "$CORPUS"/018__*malformed.pkr.hcl bad.pkr.hcl &&
	test_expect_code 1 "$KILN" fmt bad.pkr.hcl >out 2>err &&
	test_grep "^Error: Argument or block definition required" err &&
	test_grep "on bad.pkr.hcl line 5:" err &&
	cmp bad.pkr.hcl "$CORPUS"/018__*malformed.pkr.hcl &&
	test ! -s out
'

test_expect_success 'stdin is formatted to stdout' '
	printf "a=1\nbb = [ 1,2 ]\n" | "$KILN" fmt - >got &&
	printf "a  = 1\nbb = [1, 2]\n" >want &&
	test_cmp want got &&
	printf "a = 1\n" | "$KILN" fmt -check - >out &&
	test ! -s out &&
	printf "a=1\n" | test_expect_code 3 "$KILN" fmt -check - >out &&
	test ! -s out &&
	printf "a=\n" | test_expect_code 1 "$KILN" fmt - 2>err &&
	test_grep "on <stdin> line 1:" err
'

test_expect_success '-diff shows a unified diff; -write=false leaves files alone' '
	mkdir d && printf "a=1\n" >d/x.pkr.hcl && printf "b = 2\n" >d/y.pkr.hcl &&
	"$KILN" fmt -diff -write=false d >out &&
	cat >want <<-\EOT &&
	d/x.pkr.hcl
	--- old/d/x.pkr.hcl
	+++ new/d/x.pkr.hcl
	@@ -1 +1 @@
	-a=1
	+a = 1
	EOT
	test_cmp want out &&
	printf "a=1\n" >want &&
	test_cmp want d/x.pkr.hcl
'

test_expect_success 'a directory: templates then variable files, subdirectories only with -recursive' '
	mkdir -p r/sub && printf "a=1\n" >r/x.pkr.hcl && printf "v=1\n" >r/a.pkrvars.hcl &&
	printf "c=3\n" >r/sub/z.pkr.hcl && printf "w=1\n" >r/other.hcl &&
	test_expect_code 3 "$KILN" fmt -check r >out &&
	printf "r/x.pkr.hcl\nr/a.pkrvars.hcl\n" >want &&
	test_cmp want out &&
	"$KILN" fmt -recursive r >out &&
	printf "r/x.pkr.hcl\nr/a.pkrvars.hcl\nr/sub/z.pkr.hcl\n" >want &&
	test_cmp want out &&
	printf "c = 3\n" >want && test_cmp want r/sub/z.pkr.hcl &&
	printf "w=1\n" >want && test_cmp want r/other.hcl &&
	"$KILN" fmt -check -recursive r >out &&
	test ! -s out
'

test_expect_success 'file permissions survive a rewrite' '
	printf "a=1\n" >p.pkr.hcl && chmod 640 p.pkr.hcl &&
	"$KILN" fmt p.pkr.hcl >/dev/null &&
	test "$(stat -c %a p.pkr.hcl)" = 640
'

test_expect_success 'a UTF-8 byte order mark: fmt drops it and validate accepts the file, as Packer' '
	cp "$KILN_SRCDIR/tests/data/hcl-fmt/bom.pkr.hcl" bom.pkr.hcl &&
	"$KILN" validate bom.pkr.hcl &&
	test_expect_code 3 "$KILN" fmt -check bom.pkr.hcl &&
	"$KILN" fmt bom.pkr.hcl &&
	test_cmp "$KILN_SRCDIR/tests/data/hcl-fmt/bom.pkr.hcl.fmt" bom.pkr.hcl &&
	! grep -q "$(printf "\357\273\277")" bom.pkr.hcl
'

test_expect_success 'a missing path is an error' '
	test_expect_code 1 "$KILN" fmt nope.pkr.hcl 2>err &&
	test_grep "nope.pkr.hcl" err
'

test_done
