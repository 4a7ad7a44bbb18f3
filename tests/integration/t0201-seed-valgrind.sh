#!/bin/sh
# t0201-seed-valgrind — the seed server under valgrind (memcheck, full leak check): every kind of
# request, some at once, then a clean stop with no error and nothing leaked.
# valgrind 3.19 does not know openat2, so this run also covers the server's fallback path check for
# kernels without it (symlink escapes and ".." still refused). seed_stop fails on valgrind's exit
# status 99 (an error or a definite/indirect leak).
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/seed-lib.sh"

# valgrind cannot run a binary built with AddressSanitizer: in that build the same workload runs under
# ASan+LeakSanitizer, which fail the driver's exit status the same way.
if ldd "$SEED_SERVE" 2>/dev/null | grep -q 'libasan'; then
	checker="AddressSanitizer and LeakSanitizer"
	wrapper=
else
	test_have_prereq valgrind || { echo "Bail out! valgrind is missing (run scripts/install-deps)"; exit 1; }
	checker="valgrind"
	wrapper="valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file=valgrind.log"
fi
: >valgrind.log

mkdir -p www/dir outside
printf 'hello\n' >www/a.txt
head -c 300000 /dev/urandom >www/big.bin   # kept in the server's file cache once settled
printf 'secret\n' >outside/secret
ln -s ../outside/secret www/escape
sleep 2   # big.bin must be more than a second old to be cached

test_expect_success "the server serves and stops cleanly under $checker" '
	SEED_WAIT=600 SEED_WRAPPER="$wrapper" seed_serve vg -d www -p 0-0 -t /user-data="#cloud-config" -t /meta-data="instance-id: x" &&
	port=$(seed_port vg) &&
	base="http://127.0.0.1:$port" &&
	for p in /a.txt /big.bin /user-data /meta-data /nope /dir /escape /%2e%2e/outside/secret "/%00" /a.txt?q=1; do
		curl -s --noproxy "*" --path-as-is --max-time 60 -o /dev/null "$base$p" || return 1
	done &&
	curl -s --noproxy "*" --max-time 60 -r 10-20 -o /dev/null "$base/big.bin" &&
	curl -s --noproxy "*" --max-time 60 -r 99999999- -o /dev/null "$base/big.bin" &&
	curl -s --noproxy "*" --max-time 60 -I -o /dev/null "$base/user-data" &&
	curl -s --noproxy "*" --max-time 60 -X POST -d x -o /dev/null "$base/a.txt" &&
	pids= &&
	for i in 1 2 3 4 5 6; do
		curl -s --noproxy "*" --max-time 60 -o "par$i" "$base/big.bin" &
		pids="$pids $!"
	done &&
	wait $pids &&
	for i in 1 2 3 4 5 6; do cmp www/big.bin "par$i" || return 1; done &&
	curl -s --noproxy "*" --max-time 60 -r 1000-200000 -o part "$base/big.bin" &&
	tail -c +1001 www/big.bin | head -c 199001 >want && cmp want part &&
	head -c 300000 /dev/urandom | dd of=www/big.bin conv=notrunc status=none &&
	curl -s --noproxy "*" --max-time 60 -o changed "$base/big.bin" && cmp www/big.bin changed &&
	for p in /escape /%2e%2e/outside/secret; do
		curl -s --noproxy "*" --path-as-is --max-time 60 -o body -w "%{http_code}\n" "$base$p" >code &&
		echo 403 >want && test_cmp want code && ! grep -q secret body || return 1
	done &&
	seed_stop vg &&
	test_grep "^fetched /a.txt from" vg.out ||
	{ cat valgrind.log; false; }
'

test_done
