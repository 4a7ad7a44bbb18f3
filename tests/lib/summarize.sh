#!/bin/sh
# summarize.sh DIR... — add up the automake .trs results under the given build directories and print
# one line per suite, the failures by name, and finally "N passed, N failed". A skipped test counts as
# failed: a test that cannot run here is a defect, not a pass.
set -u
passed=0
failed=0
for dir in "$@"; do
	[ -d "$dir" ] || continue
	for trs in $(find "$dir" -name '*.trs' | sort); do
		suite=${trs#"$dir"/}
		suite=${suite%.trs}
		p=$(grep -c -E '^:test-result: (PASS|XFAIL)' "$trs")
		f=$(grep -c -E '^:test-result: (FAIL|XPASS|ERROR|SKIP)' "$trs")
		# a script that crashed before its plan has no results at all
		if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		printf '%-14s %-48s %4d passed %4d failed\n' "$dir" "$suite" "$p" "$f"
		log=${trs%.trs}.log
		if [ "$f" -gt 0 ] && [ -f "$log" ]; then
			grep -E '^(not ok|Bail out!)' "$log" | sed 's/^/    /'
		fi
		passed=$((passed + p))
		failed=$((failed + f))
	done
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
