#!/bin/sh
# t0001-cli — the command table: version, help, unknown commands and flags.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

test_expect_success 'kiln version prints the version' '
	"$KILN" version >out &&
	test_grep -E "^kiln v[0-9]+\.[0-9]+\.[0-9]+$" out
'

test_expect_success '-v and --version are kiln version' '
	"$KILN" version >want &&
	"$KILN" -v >got1 && test_cmp want got1 &&
	"$KILN" --version >got2 && test_cmp want got2
'

test_expect_success 'kiln help lists the commands' '
	"$KILN" help >out &&
	test_grep "Available commands are:" out &&
	test_grep -E "^    version +Prints the kiln version" out &&
	test_grep -E "^    help " out
'

test_expect_success 'kiln with no command shows usage and exits 1' '
	test_expect_code 1 "$KILN" 2>err &&
	test_grep "Usage: kiln" err
'

test_expect_success 'kiln frobnicate exits 1 naming the command' '
	test_expect_code 1 "$KILN" frobnicate >out 2>err &&
	test_grep "unknown command \"frobnicate\"" err &&
	test_grep "Available commands are:" err &&
	test ! -s out
'

test_expect_success 'kiln version --bogus exits 1 naming the flag' '
	test_expect_code 1 "$KILN" version --bogus 2>err &&
	head -n 1 err >first &&
	test_grep "flag provided but not defined: -bogus" first &&
	test_grep "Usage: kiln version" err
'

test_expect_success 'kiln help version shows its usage' '
	"$KILN" help version >out &&
	test_grep "^Usage: kiln version" out
'

test_expect_success 'kiln version -h shows usage and exits 0' '
	"$KILN" version -h >out &&
	test_grep "^Usage: kiln version" out
'

test_expect_success 'kiln help of an unknown command exits 1' '
	test_expect_code 1 "$KILN" help frobnicate 2>err &&
	test_grep "unknown command \"frobnicate\"" err
'

test_expect_success 'extra arguments are refused' '
	test_expect_code 1 "$KILN" version extra 2>err &&
	test_grep "unexpected argument \"extra\"" err
'

test_expect_success 'an unknown subcommand exits 1 naming it and the subcommands' '
	test_expect_code 1 "$KILN" cache frobnicate >out 2>err &&
	printf "%s\n" "kiln cache: unknown subcommand \"frobnicate\": use list, prune or clear" >want &&
	test_cmp want err && test ! -s out &&
	test_expect_code 1 "$KILN" plugins frobnicate >out 2>err &&
	printf "%s\n" "kiln plugins: unknown subcommand \"frobnicate\" (installed, install, remove, required)" >want &&
	test_cmp want err && test ! -s out
'

test_expect_success 'a subcommand parses its own flags: -h shows its usage and exits 0' '
	"$KILN" cache list -h >out &&
	test_grep "^Usage: kiln cache list \[-machine-readable\]" out &&
	"$KILN" plugins remove -h >out &&
	test_grep "^Usage: kiln plugins remove SOURCE" out
'

test_done
