#!/bin/sh
# t0010-man-completion — the manual pages in man/ cover the command table and render cleanly (that
# they are what `kiln help -man` generates is t0012-regen's), and bash completion offers the commands
# and each command's flags.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

test_expect_success 'every command has a page, and kiln.1 lists them all' '
	for c in $("$KILN" help | awk "/^Available commands are:/{on=1; next} on && NF==0{exit} on{print \$1}"); do
		test -s "$KILN_SRCDIR/man/kiln-$c.1" &&
		grep -q "^.BR kiln\\\\-$c (1)" "$KILN_SRCDIR/man/kiln.1" || { echo "missing: $c"; exit 1; }
	done
'

test_expect_success 'the man pages render without roff warnings' '
	for p in "$KILN_SRCDIR"/man/*.1; do
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$p" >/dev/null 2>warn &&
		test ! -s warn || { echo "$p:"; cat warn; exit 1; }
	done
'

complete_words() {
	# complete_words WORD... : what bash completion offers for the command line "kiln WORD..."
	PATH="$(dirname "$KILN"):$PATH" bash -c '
		. "$KILN_SRCDIR/scripts/kiln-completion.bash"
		COMP_WORDS=(kiln "$@"); COMP_CWORD=$#
		_kiln; printf "%s\n" "${COMPREPLY[@]}"' complete "$@"
}

test_expect_success 'bash completion offers the commands' '
	complete_words "" >out &&
	test_grep -x build out && test_grep -x validate out && test_grep -x fmt out
'

test_expect_success 'bash completion offers a command'"'"'s flags' '
	complete_words build -on >out &&
	test_grep -x -- "-on-error=" out &&
	complete_words build -on-error=a >out2 &&
	test_grep -x -- "-on-error=abort" out2 &&
	test_grep -x -- "-on-error=ask" out2
'

test_expect_success 'bash completion offers the Packer parity flags (validate, build, init, inspect, version)' '
	complete_words validate -no >out && test_grep -x -- "-no-warn-undeclared-var" out &&
	complete_words validate -ev >out && test_grep -x -- "-evaluate-datasources" out &&
	complete_words validate -mach >out && test_grep -x -- "-machine-readable" out &&
	complete_words build -warn >out && test_grep -x -- "-warn-on-undeclared-var" out &&
	complete_words init -up >out && test_grep -x -- "-upgrade" out &&
	complete_words inspect -mach >out && test_grep -x -- "-machine-readable" out &&
	complete_words version -mach >out && test_grep -x -- "-machine-readable" out &&
	grep -q "no-warn-undeclared-var" "$KILN_SRCDIR/man/kiln-validate.1" &&
	grep -q "upgrade" "$KILN_SRCDIR/man/kiln-init.1"
'

test_expect_success 'bash completion offers templates for PATH' '
	mkdir sub && : >a.pkr.hcl && : >notes.txt &&
	complete_words validate "" >out &&
	test_grep -x a.pkr.hcl out && test_grep -x sub out && ! grep -x notes.txt out
'

test_done
