# test-lib.sh — the helper library of kiln's shell tests (TAP output), in the manner of git's t/test-lib.sh.
#
#   . "$KILN_SRCDIR/tests/lib/test-lib.sh"
#   test_expect_success 'what it shows' '
#           "$KILN" version >out &&
#           grep "^kiln v" out
#   '
#   test_done
#
# Every test file runs in its own throwaway directory ($TEST_DIR, also the cwd), removed at the end.
# test_when_finished 'cmd' registers cleanup that runs after the current test, pass or fail.
# test_atexit 'cmd' registers cleanup that runs when the file ends, however it ends.

: "${KILN_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${KILN_BUILDDIR:=$KILN_SRCDIR/build}"
: "${KILN:=$KILN_BUILDDIR/kiln}"
export KILN KILN_SRCDIR KILN_BUILDDIR

test_count=0
test_failed=0
TEST_NAME=$(basename "$0" .sh)
TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kiln-$TEST_NAME.XXXXXX")
export TEST_DIR
_test_atexit="$TEST_DIR/.atexit"
: >"$_test_atexit"

_test_cleanup_all() {
	cd / || :
	if [ -s "$_test_atexit" ]; then
		(. "$_test_atexit") >/dev/null 2>&1 || :
	fi
	rm -rf "$TEST_DIR"
}
trap '_test_cleanup_all' EXIT
trap '_test_cleanup_all; exit 130' INT TERM

cd "$TEST_DIR" || exit 1

# Plugins (docs/plugins.md): a test installs into its own directory, and `kiln init` never reaches
# GitHub from a test (only loopback traffic): without -plugin-mirror it finds an empty mirror.
KILN_PLUGIN_PATH=$TEST_DIR/kiln-plugins
KILN_PLUGIN_MIRROR=$TEST_DIR/no-plugin-mirror
export KILN_PLUGIN_PATH KILN_PLUGIN_MIRROR

test_when_finished() {
	printf '%s\n' "$1" >>"$TEST_DIR/.when_finished"
}

test_atexit() {
	printf '%s\n' "$1" >>"$_test_atexit"
}

# say what we are about to run, for the log of a failure
_test_diag() {
	sed 's/^/# /' "$1"
}

test_expect_success() {
	if [ $# -eq 3 ]; then
		_prereq=$1
		shift
		if ! test_have_prereq "$_prereq"; then
			echo "Bail out! $TEST_NAME: missing prerequisite $_prereq for '$1'"
			exit 1
		fi
	fi
	test_count=$((test_count + 1))
	: >"$TEST_DIR/.when_finished"
	_out="$TEST_DIR/.out.$test_count"
	(
		set -u
		eval "$2"
	) >"$_out" 2>&1 </dev/null
	_rc=$?
	if [ -s "$TEST_DIR/.when_finished" ]; then
		(. "$TEST_DIR/.when_finished") >>"$_out" 2>&1 </dev/null || :
	fi
	if [ $_rc -eq 0 ]; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		echo "#   exit status $_rc; commands:"
		printf '%s\n' "$2" | sed 's/^/#     /'
		echo "#   output:"
		tail -n 60 "$_out" | _test_diag /dev/stdin
		# most tests capture a command's output in ./out and ./err: show their ends too
		for _f in out err; do
			if [ -f "$TEST_DIR/$_f" ] && [ -s "$TEST_DIR/$_f" ]; then
				echo "#   tail of ./$_f:"
				tail -n 25 "$TEST_DIR/$_f" | _test_diag /dev/stdin
			fi
		done
	fi
	rm -f "$_out"
}

test_expect_code() {
	# test_expect_code CODE cmd args...: run cmd, succeed only when it exits with CODE
	_want=$1
	shift
	"$@"
	_got=$?
	if [ "$_got" != "$_want" ]; then
		echo "test_expect_code: '$*' exited $_got, expected $_want" >&2
		return 1
	fi
	return 0
}

test_have_prereq() {
	case "$1" in
	ROOT) [ "$(id -u)" -eq 0 ] ;;
	LIBVIRT) virsh -c qemu:///system version >/dev/null 2>&1 ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}

# grep with a message on failure
test_grep() {
	if ! grep "$@"; then
		echo "test_grep: no match for: $*" >&2
		_f=$(eval echo \${$#})
		[ -f "$_f" ] && { echo "--- $_f:" >&2; head -n 40 "$_f" >&2; }
		return 1
	fi
}

# test_grep_text PATTERN FILE: grep -F in FILE's text with line breaks and runs of blanks read as one
# space, for messages that diagnostics wrap at 80 columns.
test_grep_text() {
	tr '\n' ' ' <"$2" | tr -s ' \t' ' ' >"$2.text"
	if ! grep -qF -- "$1" "$2.text"; then
		echo "test_grep_text: no \"$1\" in $2:" >&2
		head -n 40 "$2" >&2
		return 1
	fi
}

test_cmp() {
	diff -u "$1" "$2"
}

# Is PID running? (A zombie waiting for init to reap it is not: kill -0 says yes to those.)
test_pid_alive() {
	_tl_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$_tl_st" ] && [ "$_tl_st" != Z ]
}

# test_stop_pid PID SIGNAL SECONDS: send SIGNAL, wait up to SECONDS for PID to go (test_pid_alive, so a
# zombie nobody reaps counts as gone), then SIGKILL it. Nothing when it is gone already.
test_stop_pid() {
	test_pid_alive "$1" || return 0
	kill "-$2" "$1" 2>/dev/null
	_ts_i=0
	while test_pid_alive "$1" && [ $_ts_i -lt $(($3 * 10)) ]; do
		sleep 0.1
		_ts_i=$((_ts_i + 1))
	done
	test_pid_alive "$1" && kill -9 "$1" 2>/dev/null
	return 0
}

# stop_kiln PID: for test_when_finished after starting kiln in the background — when a test fails before
# its own `kill`, interrupt that kiln (Ctrl-C: it removes what it made) and give it 2 min to go, so the
# next test and the audit do not meet a build that is still running.
stop_kiln() {
	test_stop_pid "$1" INT 120
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
test_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

test_done() {
	echo "1..$test_count"
	[ "$test_failed" -eq 0 ]
	exit $?
}
