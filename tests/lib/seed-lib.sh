# seed-lib.sh — helpers for the HTTP seed server's tests (after test-lib.sh):
#
#   seed_serve NAME [seed-serve options...]   start the driver; NAME.out/.err/.pid/.port in $TEST_DIR
#   seed_port NAME                            its port
#   seed_stop NAME                            SIGTERM, wait until it is gone; status 0 if it said "stopped"
#                                             and exited 0 (so LeakSanitizer and valgrind found nothing)
#   fetch PATH [curl options...]              curl against the server named "srv" (loopback only)
#
# A server started outside a test runs until the file ends (test_atexit kills it).

SEED_SERVE="$KILN_BUILDDIR/tests/integration/seed-serve"
CIDATA_TOOL="$KILN_BUILDDIR/tests/integration/cidata-tool"
: "${SEED_WAIT:=100}"   # tenths of a second to wait for a server to listen

seed_serve() {
	_n=$1
	shift
	rm -f "$TEST_DIR/$_n.out" "$TEST_DIR/$_n.port" "$TEST_DIR/$_n.pid" "$TEST_DIR/$_n.status"
	# A subshell waits for the driver to record its exit status (leaks found at exit change it).
	(
		${SEED_WRAPPER:-} "$SEED_SERVE" "$@" >"$TEST_DIR/$_n.out" 2>"$TEST_DIR/$_n.err" &
		echo $! >"$TEST_DIR/$_n.pid.tmp"
		mv "$TEST_DIR/$_n.pid.tmp" "$TEST_DIR/$_n.pid"
		wait $!
		echo $? >"$TEST_DIR/$_n.status"
	) &
	while [ ! -f "$TEST_DIR/$_n.pid" ]; do sleep 0.05; done
	test_atexit "kill $(cat "$TEST_DIR/$_n.pid") 2>/dev/null"
	_i=0
	while ! grep -q '^port ' "$TEST_DIR/$_n.out" 2>/dev/null; do
		if [ -f "$TEST_DIR/$_n.status" ] || [ $_i -ge "$SEED_WAIT" ]; then
			echo "seed_serve $_n did not start:" >&2
			cat "$TEST_DIR/$_n.err" >&2
			return 1
		fi
		_i=$((_i + 1))
		sleep 0.1
	done
	sed -n 's/^port //p' "$TEST_DIR/$_n.out" | head -n 1 >"$TEST_DIR/$_n.port"
}

seed_port() {
	cat "$TEST_DIR/$1.port"
}

seed_stop() {
	kill -TERM "$(cat "$TEST_DIR/$1.pid")" 2>/dev/null
	_i=0
	while [ ! -f "$TEST_DIR/$1.status" ]; do
		_i=$((_i + 1))
		[ $_i -lt 600 ] || { echo "seed_stop $1: still running" >&2; return 1; }
		sleep 0.1
	done
	grep -q '^stopped$' "$TEST_DIR/$1.out" && [ "$(cat "$TEST_DIR/$1.status")" = 0 ] ||
		{ echo "seed_stop $1: exit status $(cat "$TEST_DIR/$1.status")" >&2; cat "$TEST_DIR/$1.err" >&2; return 1; }
}

fetch() {
	_path=$1
	shift
	curl -sS --noproxy '*' --path-as-is --max-time 20 "$@" "http://127.0.0.1:$(seed_port srv)$_path"
}
