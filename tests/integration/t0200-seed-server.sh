#!/bin/sh
# t0200-seed-server — the HTTP seed server with curl: files and http_content, Content-Type and
# Content-Length, HEAD, Range, 404/405, no listings, traversal attempts of every kind refused without
# reading outside the tree, concurrent clients, the first-fetch report, the debug log and limits.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/seed-lib.sh"

# The served tree, and a secret next to it that must never come out.
mkdir -p www/dir/sub outside
printf 'hello\n' >www/a.txt
printf '#cloud-config\npackages: [nginx]\n' >www/user-data
printf 'file wins?\n' >www/shadowed
printf 'deep\n' >www/dir/sub/file.cfg
printf 'TOP-SECRET\n' >outside/secret
ln -s ../outside/secret www/escape
ln -s "$TEST_DIR/outside/secret" www/escape-abs
ln -s ../outside www/escape-dir
ln -s a.txt www/inside
head -c 1048576 /dev/urandom >www/big.bin
printf '\000\001\002binary' >www/blob
mkfifo www/fifo
printf 'ks=1\n' >ks-content
KILN_LOG_PATH="$TEST_DIR/debug.log"
export KILN_LOG_PATH
seed_serve srv -d www -p 0-0 -t /shadowed=content-wins -t /x//y.json='{"a":1}' -f /ks.cfg=ks-content ||
	{ echo "Bail out! the seed server did not start"; exit 1; }
unset KILN_LOG_PATH
port=$(seed_port srv)

test_expect_success 'a file is served with its bytes, type and length' '
	fetch /a.txt -D h -o body &&
	test_cmp www/a.txt body &&
	test_grep "^HTTP/1.1 200" h &&
	test_grep -i "^Content-Type: text/plain; charset=utf-8" h &&
	test_grep -i "^Content-Length: 6" h &&
	test_grep -i "^Accept-Ranges: bytes" h
'

test_expect_success 'a 1 MiB binary file arrives intact' '
	fetch /big.bin -D h -o body &&
	cmp www/big.bin body &&
	test_grep -i "^Content-Type: application/octet-stream" h &&
	test_grep -i "^Content-Length: 1048576" h
'

test_expect_success 'files without an extension are sniffed: text or binary' '
	fetch /user-data -D h1 -o /dev/null &&
	test_grep -i "^Content-Type: text/plain" h1 &&
	fetch /blob -D h2 -o /dev/null &&
	test_grep -i "^Content-Type: application/octet-stream" h2
'

test_expect_success 'subdirectories and symlinks inside the tree are served' '
	fetch /dir/sub/file.cfg -o body && test_cmp www/dir/sub/file.cfg body &&
	fetch /inside -o body && test_cmp www/a.txt body
'

test_expect_success 'http_content entries are served, and win over a file of the same path' '
	fetch /ks.cfg -o body && test_cmp ks-content body &&
	fetch /x/y.json -D h -o body && printf "{\"a\":1}" >want && test_cmp want body &&
	test_grep -i "^Content-Type: application/json" h &&
	fetch /shadowed -o body && printf "content-wins" >want && test_cmp want body
'

test_expect_success 'HEAD gives the headers of GET and no body' '
	fetch /big.bin -I -o h &&
	test_grep "^HTTP/1.1 200" h &&
	test_grep -i "^Content-Length: 1048576" h &&
	fetch /ks.cfg -I -o h &&
	test_grep -i "^Content-Length: 5" h &&
	python3 - "$port" >raw <<-\EOF &&
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
	s.sendall(b"HEAD /big.bin HTTP/1.0\r\n\r\n")
	data = b""
	while True:
	    chunk = s.recv(65536)
	    if not chunk:
	        break
	    data += chunk
	sys.stdout.write(data.decode("latin-1"))
	EOF
	test_grep "^HTTP/1.1 200" raw &&
	sed -n "/^\r\$/,\$p" raw >after &&
	test "$(wc -c <after)" -eq 2
'

test_expect_success 'Range: first bytes, an open end and a suffix give 206 with Content-Range' '
	fetch /a.txt -r 0-1 -D h -o body &&
	test_grep "^HTTP/1.1 206" h && test_grep -i "^Content-Range: bytes 0-1/6" h &&
	printf "he" >want && test_cmp want body &&
	fetch /big.bin -r 1048570- -o body && tail -c 6 www/big.bin >want && cmp want body &&
	fetch /big.bin -H "Range: bytes=-100" -D h -o body && tail -c 100 www/big.bin >want && cmp want body &&
	test_grep -i "^Content-Range: bytes 1048476-1048575/1048576" h &&
	fetch /ks.cfg -r 1-2 -o body && printf "s=" >want && test_cmp want body
'

test_expect_success 'Range past the end is 416; several ranges get the whole file' '
	fetch /a.txt -r 6- -D h -o /dev/null &&
	test_grep "^HTTP/1.1 416" h && test_grep -i "^Content-Range: bytes \*/6" h &&
	fetch /a.txt -r 0-1,3-4 -D h -o body &&
	test_grep "^HTTP/1.1 200" h && test_cmp www/a.txt body
'

test_expect_success 'missing files, directories and the root are 404: no listings' '
	for p in /nope /dir /dir/ / /dir/sub/; do
		fetch "$p" -o body -w "%{http_code}\n" >code &&
		echo 404 >want && test_cmp want code &&
		! grep -q "file.cfg\|a.txt" body || return 1
	done
'

test_expect_success 'methods other than GET and HEAD are 405 with Allow' '
	for m in POST PUT DELETE OPTIONS PATCH; do
		fetch /a.txt -X "$m" -D h -o /dev/null -d x &&
		test_grep "^HTTP/1.1 405" h && test_grep -i "^Allow: GET, HEAD" h || return 1
	done
'

# Every traversal attempt: the status must be 403 or 404 and the secret must never appear.
traversal() {
	curl -sS --noproxy "*" --path-as-is --max-time 5 -o body -w "%{http_code}" "$@" >code || return 1
	grep -q "^40[34]$" code || { echo "status $(cat code) for $*" >&2; return 1; }
	! grep -q TOP-SECRET body
}

test_expect_success 'plain ../ traversal is refused' '
	traversal "http://127.0.0.1:$port/../outside/secret" &&
	traversal "http://127.0.0.1:$port/dir/../../outside/secret" &&
	traversal "http://127.0.0.1:$port/.." &&
	test "$(cat code)" = 403
'

test_expect_success 'percent-encoded traversal is refused' '
	traversal "http://127.0.0.1:$port/%2e%2e/outside/secret" &&
	traversal "http://127.0.0.1:$port/%2E%2E%2Foutside%2Fsecret" &&
	traversal "http://127.0.0.1:$port/..%2foutside/secret" &&
	traversal "http://127.0.0.1:$port/dir/%2e%2e/%2e%2e/outside/secret" &&
	test "$(cat code)" = 403
'

test_expect_success 'double-encoded traversal is a literal name, not found' '
	traversal "http://127.0.0.1:$port/%252e%252e/outside/secret" &&
	traversal "http://127.0.0.1:$port/%252e%252e%252foutside%252fsecret" &&
	test "$(cat code)" = 404
'

test_expect_success 'symlinks that leave the tree are refused' '
	traversal "http://127.0.0.1:$port/escape" && test "$(cat code)" = 403 &&
	traversal "http://127.0.0.1:$port/escape-abs" && test "$(cat code)" = 403 &&
	traversal "http://127.0.0.1:$port/escape-dir/secret" && test "$(cat code)" = 403
'

test_expect_success 'absolute paths stay inside the tree' '
	traversal "http://127.0.0.1:$port/$TEST_DIR/outside/secret" &&
	traversal "http://127.0.0.1:$port//etc/passwd" &&
	traversal --request-target "http://127.0.0.1:$port/../outside/secret" "http://127.0.0.1:$port/" &&
	traversal --request-target "$TEST_DIR/outside/secret" "http://127.0.0.1:$port/"
'

test_expect_success 'a NUL byte or a broken escape is 400' '
	fetch "/a.txt%00.png" -o /dev/null -w "%{http_code}\n" >code && echo 400 >want && test_cmp want code &&
	fetch "/a%zz" -o /dev/null -w "%{http_code}\n" >code && test_cmp want code
'

test_expect_success 'a FIFO in the tree is refused without hanging the server' '
	fetch /fifo -o /dev/null -w "%{http_code}\n" >code && echo 403 >want && test_cmp want code &&
	fetch /a.txt -o body && test_cmp www/a.txt body
'

test_expect_success 'a huge request header is refused and the server lives on' '
	big=$(head -c 40000 /dev/zero | tr "\0" a) &&
	fetch /a.txt -H "X-Big: $big" -o /dev/null -w "%{http_code}\n" >code ;
	grep -q "^4[0-9][0-9]$" code &&
	fetch /a.txt -o body && test_cmp www/a.txt body
'

test_expect_success 'concurrent clients all get their files' '
	i=0 &&
	while [ $i -lt 40 ]; do
		case $((i % 4)) in
		0) p=big.bin want=www/big.bin ;;
		1) p=a.txt want=www/a.txt ;;
		2) p=dir/sub/file.cfg want=www/dir/sub/file.cfg ;;
		3) p=ks.cfg want=ks-content ;;
		esac
		echo "$want" >"c$i.want"
		curl -sS --noproxy "*" --max-time 30 -o "c$i.out" "http://127.0.0.1:$port/$p" &
		pids="${pids:-} $!"
		i=$((i + 1))
	done &&
	wait $pids &&
	i=0 &&
	while [ $i -lt 40 ]; do
		cmp "$(cat c$i.want)" "c$i.out" || return 1
		i=$((i + 1))
	done
'

test_expect_success 'clients that hang up mid-download do not hurt the server' '
	head -c 20000000 /dev/zero >www/huge.bin &&
	test_when_finished "rm -f www/huge.bin" &&
	python3 - "$port" <<-\EOF &&
	import socket, struct, sys
	for linger in (False, True, False, True):
	    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
	    s.sendall(b"GET /huge.bin HTTP/1.1\r\nHost: x\r\n\r\n")
	    s.recv(4096)
	    if linger:  # reset instead of a clean close
	        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
	    s.close()
	EOF
	fetch /a.txt -o body && test_cmp www/a.txt body
'

# Files above 64 KiB and up to 4 MiB are read once and kept in memory (http-seed/server.c's file
# cache) once they are more than a second old; every other case and every change goes to the file.
test_expect_success 'a file kept in memory is served whole and in ranges, from several clients' '
	head -c 300000 /dev/urandom >www/mem.bin &&
	sleep 2 &&
	fetch /mem.bin -o b1 && cmp www/mem.bin b1 &&
	test_grep "http-seed: keeping /mem.bin in memory (300000 bytes)" debug.log &&
	fetch /mem.bin -o b2 && cmp www/mem.bin b2 &&
	fetch /mem.bin -r 70000-169999 -D h -o r &&
	test_grep "^HTTP/1.1 206" h &&
	test_grep -i "^Content-Range: bytes 70000-169999/300000" h &&
	tail -c +70001 www/mem.bin | head -c 100000 >want && cmp want r &&
	fetch /mem.bin -r -80000 -o r && tail -c 80000 www/mem.bin >want && cmp want r &&
	fetch /mem.bin -I -o h && test_grep -i "^Content-Length: 300000" h &&
	mpids= &&
	for i in 1 2 3 4 5 6 7 8; do
		curl -sS --noproxy "*" --max-time 30 -o "m$i.out" "http://127.0.0.1:$port/mem.bin" & mpids="$mpids $!"
	done &&
	wait $mpids &&
	for i in 1 2 3 4 5 6 7 8; do cmp www/mem.bin "m$i.out" || return 1; done &&
	test $(grep -c "keeping /mem.bin in memory" debug.log) -eq 1
'

test_expect_success 'a kept file changed in place, replaced or truncated is served as it is now' '
	test_grep "keeping /mem.bin in memory" debug.log &&
	head -c 300000 /dev/urandom | dd of=www/mem.bin conv=notrunc status=none &&
	fetch /mem.bin -o b && cmp www/mem.bin b &&
	touch -d "2020-01-01" www/mem.bin &&
	fetch /mem.bin -o b && cmp www/mem.bin b &&
	sleep 2 && fetch /mem.bin -o b && cmp www/mem.bin b &&
	test $(grep -c "keeping /mem.bin in memory" debug.log) -eq 2 &&
	printf "changed" | dd of=www/mem.bin bs=1 seek=1000 conv=notrunc status=none &&
	fetch /mem.bin -o b && cmp www/mem.bin b &&
	head -c 200000 /dev/urandom >new && mv new www/mem.bin &&
	fetch /mem.bin -o b && cmp www/mem.bin b &&
	truncate -s 100000 www/mem.bin &&
	fetch /mem.bin -o b && cmp www/mem.bin b
'

test_expect_success 'files over 4 MiB are sent from the file, not kept' '
	head -c 5000000 /dev/urandom >www/large.bin &&
	test_when_finished "rm -f www/large.bin" &&
	sleep 2 &&
	fetch /large.bin -o b && cmp www/large.bin b &&
	fetch /large.bin -r 4999000- -o r && tail -c 1000 www/large.bin >want && cmp want r &&
	! grep -q "keeping /large.bin" debug.log
'

test_expect_success 'keep-alive: one connection serves several requests' '
	curl -sS --noproxy "*" -v -o /dev/null -o /dev/null \
		"http://127.0.0.1:$port/a.txt" "http://127.0.0.1:$port/ks.cfg" 2>err &&
	test_grep -i "Re-using existing connection" err
'

test_expect_success 'the first successful GET of each path is reported once' '
	fetch /a.txt -o /dev/null && fetch /a.txt -o /dev/null &&
	grep "^fetched " srv.out >fetched &&
	test $(grep -c "^fetched /a.txt from 127.0.0.1$" fetched) -eq 1 &&
	test $(grep -c "^fetched /big.bin from" fetched) -eq 1 &&
	test_grep "^fetched /ks.cfg from" fetched &&
	test_grep "^fetched /x/y.json from" fetched &&
	! grep -q "^fetched /nope \|^fetched /escape\|^fetched /fifo \|^fetched /dir from\|^fetched / from" fetched
'

test_expect_success 'HEAD and failed requests are not reported as fetches' '
	fetch /dir/sub/../sub/file.cfg -o /dev/null;
	printf x >www/head-only && fetch /head-only -I -o /dev/null &&
	! grep -q "^fetched /head-only" srv.out
'

test_expect_success 'every request is in the debug log' '
	test_grep "http-seed: 127.0.0.1 GET /a.txt -> 200 (6 bytes)" debug.log &&
	test_grep "http-seed: 127.0.0.1 GET /%2e%2e/outside/secret -> 403" debug.log &&
	test_grep "http-seed: 127.0.0.1 POST /a.txt -> 405" debug.log &&
	test_grep "http-seed: 127.0.0.1 HEAD /big.bin -> 200" debug.log
'

test_expect_success 'the port is held until stop, and free after it' '
	seed_serve same -d www -p "$port-$port" 2>/dev/null ;
	test_grep "no free port in $port-$port on 127.0.0.1" same.err &&
	seed_serve other -d www -p 0-0 &&
	other=$(seed_port other) &&
	seed_stop other &&
	test_grep "^stopped$" other.out &&
	test_expect_code 7 curl -sS --noproxy "*" --max-time 5 -o /dev/null "http://127.0.0.1:$other/a.txt"
'

test_expect_success 'a port range gives parallel servers distinct ports' '
	base=$(test_free_port) &&
	seed_serve r1 -d www -p "$base-$((base + 2))" &&
	seed_serve r2 -d www -p "$base-$((base + 2))" &&
	p1=$(seed_port r1) && p2=$(seed_port r2) &&
	test "$p1" != "$p2" &&
	test "$p1" -ge "$base" && test "$p1" -le "$((base + 2))" &&
	test "$p2" -ge "$base" && test "$p2" -le "$((base + 2))" &&
	seed_stop r1 && seed_stop r2
'

test_expect_success 'the connection limit turns extra clients away, then serves again' '
	seed_serve lim -d www -p 0-0 -c 2 &&
	lp=$(seed_port lim) &&
	python3 - "$lp" <<-\EOF
	import socket, sys, time, urllib.request
	port = int(sys.argv[1])
	held = []
	for _ in range(2):  # two keep-alive connections, each proven live by an answered request
	    s = socket.create_connection(("127.0.0.1", port))
	    s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
	    assert s.recv(4096).startswith(b"HTTP/1.1 200")
	    held.append(s)
	try:
	    urllib.request.urlopen("http://127.0.0.1:%d/a.txt" % port, timeout=5).read()
	    sys.exit("a third connection was served")
	except Exception:
	    pass
	for s in held:
	    s.close()
	for _ in range(50):  # the server notices the closed connections within moments
	    try:
	        assert urllib.request.urlopen("http://127.0.0.1:%d/a.txt" % port, timeout=5).read() == b"hello\n"
	        break
	    except OSError:
	        time.sleep(0.1)
	else:
	    sys.exit("no connection was served after the others closed")
	EOF
	seed_stop lim
'

test_expect_success 'a bind address that is not numeric, or not ours, is an error' '
	test_expect_code 1 "$SEED_SERVE" -d www -b localhost 2>err &&
	test_grep "bind address \"localhost\" is not a numeric IPv4 or IPv6 address" err &&
	test_expect_code 1 "$SEED_SERVE" -d www -b 192.0.2.1 -p 0-0 2>err &&
	test_grep "binding 192.0.2.1" err &&
	test_grep "hint: the bind address must belong to this host" err
'

test_expect_success 'a missing directory is an error naming it' '
	test_expect_code 1 "$SEED_SERVE" -d no-such-dir 2>err &&
	test_grep "serving directory \"no-such-dir\": No such file or directory" err
'

test_expect_success 'IPv6 loopback works when the host has it' '
	if python3 -c "import socket; s=socket.socket(socket.AF_INET6); s.bind((\"::1\", 0))" 2>/dev/null; then
		seed_serve v6 -d www -b ::1 -p 0-0 &&
		curl -sS -g --noproxy "*" --max-time 5 -o body "http://[::1]:$(seed_port v6)/a.txt" &&
		test_cmp www/a.txt body &&
		seed_stop v6
	else
		echo "no IPv6 loopback here: checked that ::1 is refused cleanly instead" &&
		test_expect_code 1 "$SEED_SERVE" -d www -b ::1 -p 0-0 2>err
	fi
'

test_expect_success 'SIGTERM stops the server cleanly' '
	seed_stop srv
'

test_done
