#!/bin/sh
# t0301-ssh-exec — remote commands through the SSH communicator: output line by line, exit statuses and
# signals, a server that goes away mid-command (a reboot) and comes back, a dead link noticed by
# ssh_read_write_timeout, and Ctrl-C.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/sshd.sh"

DRIVER="$KILN_BUILDDIR/tests/lib/kiln-ssh-driver"
sshd_setup_and_start
drive() {
	"$DRIVER" --host 127.0.0.1 --port "$SSHD_PORT" --user "$SSHD_USER" --key "$SSHD_KEY" --quiet "$@"
}
# wait_for FILE: until FILE exists (at most 10 s)
wait_for() {
	_n=0
	while [ ! -e "$1" ] && [ $_n -lt 100 ]; do sleep 0.1; _n=$((_n + 1)); done
	[ -e "$1" ]
}

test_expect_success 'output arrives line by line on both streams, CRLF and a last line without newline' '
	drive exec "printf \"a\\r\\nb\\n\"; echo e1 >&2; printf \"\\n\"; printf tail; printf e2 >&2" >out &&
	# the two streams are separate channels: their relative order is not kept
	grep -v "^err: " out >got &&
	cat >want <<-\EOF &&
	out: a
	out: b
	out: 
	out: tail
	exit: 0
	EOF
	test_cmp want got &&
	grep "^err: " out >got &&
	printf "err: e1\nerr: e2\n" >want &&
	test_cmp want got
'

test_expect_success 'long output is complete and in order' '
	drive exec "seq 1 20000" >out &&
	sed -n "s/^out: //p" out >got &&
	seq 1 20000 >want &&
	test_cmp want got
'

test_expect_success 'exit statuses are reported as they are' '
	drive exec "exit 0" exec "exit 1" exec "exit 42" exec "exit 255" exec "false" >out &&
	sed -n "s/^exit: //p" out >got &&
	printf "0\n1\n42\n255\n1\n" >want &&
	test_cmp want got
'

test_expect_success 'a command killed by a signal reports 128+signal' '
	drive exec "kill -TERM \$\$" exec "kill -KILL \$\$" >out &&
	sed -n "s/^exit: //p" out >got &&
	printf "143\n137\n" >want &&
	test_cmp want got
'

test_expect_success 'commands see end-of-file on stdin instead of waiting' '
	drive exec "cat; echo after-cat" >out &&
	test_grep "^out: after-cat$" out
'

test_expect_success 'the server going away mid-command is a disconnect (-1), and the next command reconnects' '
	rm -f "$SSHD_HOME/marker" &&
	{ drive exec "echo before; touch marker; sleep 60; echo never" reconnect 30s exec "echo after" >out 2>err & } &&
	pid=$! &&
	wait_for "$SSHD_HOME/marker" &&
	sshd_stop &&
	sleep 1 &&
	sshd_start &&
	wait $pid &&
	cat >want <<-\EOF &&
	out: before
	exit: -1
	reconnected
	out: after
	exit: 0
	EOF
	grep -v "^status: waiting for SSH" out >got &&
	test_cmp want got
'

test_expect_success 'after a disconnect, the next command reconnects by itself' '
	rm -f "$SSHD_HOME/marker" &&
	{ drive --timeout 30s exec "touch marker; sleep 60" exec "echo again" >out 2>err & } &&
	pid=$! &&
	wait_for "$SSHD_HOME/marker" &&
	sshd_stop &&
	sleep 1 &&
	sshd_start &&
	wait $pid &&
	test_grep "^exit: -1$" out &&
	test_grep "^out: again$" out
'

test_expect_success 'reconnect gives up at its timeout while the server stays away' '
	rm -f "$SSHD_HOME/marker" &&
	test_when_finished "sshd_start" &&
	{ drive exec "touch marker; sleep 60" reconnect 2s >out 2>err & } &&
	pid=$! &&
	wait_for "$SSHD_HOME/marker" &&
	sshd_stop &&
	test_expect_code 1 wait $pid &&
	test_grep "^exit: -1$" out &&
	test_grep "^error: timeout waiting for SSH on 127.0.0.1:$SSHD_PORT after 2s: connection refused" err
'

test_expect_success 'keep-alives keep a quiet command alive under ssh_read_write_timeout' '
	drive --keep-alive 1s --rw-timeout 3s exec "sleep 6; echo done" >out &&
	test_grep "^out: done$" out &&
	test_grep "^exit: 0$" out
'

test_expect_success 'a link that goes silent counts as dropped after ssh_read_write_timeout' '
	rm -f "$SSHD_HOME/marker" &&
	{ drive --keep-alive 1s --rw-timeout 2s exec "touch marker; sleep 20; echo late" >out 2>err & } &&
	pid=$! &&
	wait_for "$SSHD_HOME/marker" &&
	session=$(pgrep -u "$SSHD_USER" -f "^sshd: $SSHD_USER") &&
	test -n "$session" &&
	kill -STOP $session &&
	test_when_finished "kill -CONT $session" &&
	wait $pid &&
	test_grep "^exit: -1$" out &&
	! grep "^out: late" out
'

# (SIGTERM: a background job of a script ignores SIGINT; kiln treats both alike)
test_expect_success 'Ctrl-C stops a running command, on the machine too' '
	rm -f "$SSHD_HOME/marker" &&
	{ "$DRIVER" --host 127.0.0.1 --port "$SSHD_PORT" --user "$SSHD_USER" --key "$SSHD_KEY" --quiet \
		exec "touch marker; exec sleep 301" >out 2>err & } &&
	pid=$! &&
	wait_for "$SSHD_HOME/marker" &&
	kill -TERM $pid &&
	test_expect_code 1 wait $pid &&
	test_grep "^error: cancelled while running a remote command" err &&
	# (a killed process may linger as a zombie until sshd reaps it: only live ones count)
	n=0 && while pgrep -r RSDT -u "$SSHD_USER" -f "^sleep 301" >/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done &&
	! pgrep -r RSDT -u "$SSHD_USER" -f "^sleep 301"
'

test_done
