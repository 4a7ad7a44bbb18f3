#!/bin/sh
# t0160-hostile — hostile input (tests/data/hostile/*.case, format in its README): each case ends
# within its time limit with its expected exit status and first line of output, with no crash and no
# sanitizer report, and in under 200 MiB of memory: peak RSS measured by tests/helpers/rss-run (the
# kernel's accounting; not checked under AddressSanitizer, whose shadow memory and quarantine would
# dominate it).
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

RSS_RUN="$KILN_BUILDDIR/tests/helpers/rss-run"
CASES="$KILN_SRCDIR/tests/data/hostile"
MAX_KIB=204800
if ldd "$KILN" 2>/dev/null | grep -q libasan; then
	asan=yes
	limit=60
else
	asan=no
	limit=20
fi
export RSS_RUN CASES MAX_KIB asan limit

# run_case FILE: set up the case in ./NAME, run it, compare; the measured RSS goes to NAME.rss.
run_case() {
	c=$1
	name=$(basename "$c" .case)
	run=$(sed -n 's/^run: //p' "$c")
	want_exit=$(sed -n 's/^exit: //p' "$c")
	want_first=$(sed -n 's/^first: //p' "$c")
	test -n "$run" && test -n "$want_exit" || { echo "$c: no run: or exit: line"; return 1; }
	mkdir "$name" && (
		cd "$name" &&
		sed '1,/^--$/d' "$c" >setup.sh &&
		sh -e setup.sh || { echo "$name: setup failed"; exit 1; }
		eval "\"\$RSS_RUN\" ../$name.rss timeout -k 5 $limit \"\$KILN\" $run" >../$name.out 2>&1
		echo $? >../$name.exit
	) || return 1
	got_exit=$(cat "$name.exit")
	got_first=$(head -n 1 "$name.out")
	rss=$(cat "$name.rss")
	echo "$name: exit $got_exit, peak RSS $rss KiB" >>"$TEST_DIR/summary"
	ok=0
	if grep -q "Sanitizer\|runtime error:" "$name.out"; then
		echo "$name: sanitizer report:" && head -n 30 "$name.out"
		ok=1
	fi
	if test "$got_exit" != "$want_exit"; then
		echo "$name: exit $got_exit, want $want_exit" && head -n 20 "$name.out"
		ok=1
	fi
	if test "$got_first" != "$want_first"; then
		echo "$name: first line differs:" && echo "  want: $want_first" && echo "  got:  $got_first"
		ok=1
	fi
	if test "$asan" = no && test "$rss" -gt "$MAX_KIB"; then
		echo "$name: peak RSS $rss KiB, over $MAX_KIB KiB"
		ok=1
	fi
	return $ok
}

test_expect_success 'there are hostile cases, each with a description' '
	test "$(ls "$CASES"/*.case | wc -l)" -ge 10 &&
	for c in "$CASES"/*.case; do head -n 1 "$c" | grep -q "^# ." || { echo "$c"; exit 1; }; done
'

for c in "$CASES"/*.case; do
	desc=$(sed -n '1s/^# *//p' "$c" | tr '#\\' '_/')
	test_expect_success "$(basename "$c" .case): $desc" "run_case '$c'"
done

# the measurements, as TAP comments in the log
test -f "$TEST_DIR/summary" && sed 's/^/# /' "$TEST_DIR/summary"
test_done
