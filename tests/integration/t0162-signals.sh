#!/bin/sh
# t0162-signals — commands that do not build end at the first SIGINT or SIGTERM, whatever they are
# waiting on (util/signals.h: sig_exit_on_first), with status 128 + the signal; build keeps its
# two-step interrupt (the first asks it to wind down). Each command here waits on a FIFO with a
# writer that never writes, the way a hung input would.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

# wait_started PID: wait until the kiln process handles SIGINT and SIGTERM itself (a handler for
# both in /proc/PID/status SigCgt: bits 1 and 14), at most 20 s.
wait_started() {
	i=0
	while test "$i" -lt 200; do
		cgt=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
		test -n "$cgt" && test $((0x${cgt#${cgt%????}} & 0x4002)) = $((0x4002)) && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# run_hung SIGNAL WANT_STATUS ARGS...: start kiln ARGS with standard input a FIFO held open by a
# writer that never writes, send SIGNAL once, and check it ended within 10 s with WANT_STATUS. The
# number of kiln's threads just before the signal is left in $threads.
run_hung() {
	sig=$1 want=$2
	shift 2
	rm -f fifo && mkfifo fifo || return 1
	"$KILN" "$@" <fifo >out 2>err &
	pid=$!
	sleep 60 >fifo &
	holder=$!
	test_when_finished "kill $holder 2>/dev/null; kill -9 $pid 2>/dev/null; :"
	wait_started "$pid" || { echo "kiln did not start"; return 1; }
	sleep 0.3
	threads=$(ls "/proc/$pid/task" | wc -l)
	kill -"$sig" "$pid"
	i=0
	while kill -0 "$pid" 2>/dev/null && test "$i" -lt 100; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "still running 10 s after SIG$sig"
		return 1
	fi
	wait "$pid"
	status=$?
	test "$status" = "$want" || { echo "exit $status, want $want"; cat err; return 1; }
	test_grep "kiln: interrupted" err
}

echo 'variable "x" { default = 1 }' >t.pkr.hcl

test_expect_success 'console: the first SIGTERM ends it' '
	run_hung TERM 143 console t.pkr.hcl
'

test_expect_success 'console: the first SIGINT ends it' '
	run_hung INT 130 console
'

test_expect_success 'fmt -: the first SIGTERM ends it' '
	run_hung TERM 143 fmt -
'

# Nothing to wind down, nothing registered to undo: a plain handler ends fmt, and no signal thread is
# started for it (a thread costs ~0.3 ms of every short run on the bench host).
test_expect_success 'fmt -: the first SIGINT ends it, with no signal thread' '
	run_hung INT 130 fmt - &&
	test "$threads" = 1
'

test_expect_success 'build: the first SIGTERM only asks it to wind down' '
	cat >b.pkr.hcl <<-\EOT &&
	source "null" "x" {
	  communicator = "none"
	}
	build {
	  sources = ["source.null.x"]
	  provisioner "shell-local" {
	    inline = ["sleep 30"]
	  }
	}
	EOT
	{ "$KILN" build b.pkr.hcl >out 2>err & } &&
	pid=$! &&
	test_when_finished "kill -9 $pid 2>/dev/null; :" &&
	i=0 &&
	while ! grep -q "Running local shell script" out && test "$i" -lt 200; do sleep 0.1; i=$((i + 1)); done &&
	kill -TERM "$pid" &&
	i=0 &&
	while ! grep -q "interrupted, cleaning up" err && test "$i" -lt 100; do sleep 0.1; i=$((i + 1)); done &&
	test_grep "interrupted, cleaning up" err &&
	{ wait "$pid"; status=$?; test "$status" = 130 || { echo "exit $status"; false; }; } &&
	test_grep "Cleanly cancelled builds after being interrupted." err &&
	! grep -q "^kiln: interrupted\$" err
'

test_done
