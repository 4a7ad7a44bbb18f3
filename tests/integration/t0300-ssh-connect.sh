#!/bin/sh
# t0300-ssh-connect — the SSH communicator against a real OpenSSH server on loopback: every way to log
# in, every way to fail (each with a clear message and no hang), waiting for a server that starts late
# or never, host-key pinning, and the jump host.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/sshd.sh"

DRIVER="$KILN_BUILDDIR/tests/lib/kiln-ssh-driver"
sshd_setup_and_start
drive() {
	"$DRIVER" --host 127.0.0.1 --port "$SSHD_PORT" --user "$SSHD_USER" --quiet "$@"
}

test_expect_success 'private key file: runs a command and reports its output and exit status' '
	drive --key "$SSHD_KEY" exec "echo hello; echo to-stderr >&2; exit 3" >out 2>err &&
	test_grep "^out: hello$" out &&
	test_grep "^err: to-stderr$" out &&
	test_grep "^exit: 3$" out
'

test_expect_success 'password login' '
	drive --password "$SSHD_PASSWORD" exec "id -un" >out &&
	test_grep "^out: $SSHD_USER$" out
'

test_expect_success 'ssh-agent login' '
	eval "$(ssh-agent -s -a "$TEST_DIR/agent.sock")" >/dev/null &&
	test_when_finished "kill $SSH_AGENT_PID" &&
	ssh-add -q "$SSHD_KEY" 2>/dev/null &&
	drive --agent exec "echo via-agent" >out &&
	test_grep "^out: via-agent$" out
'

for type in ed25519 ecdsa:384 rsa:2048; do
	test_expect_success "temporary $type key: listed in authorized_keys, logs in, file 0600 and gone afterwards" '
		cp "$SSHD_DIR/authorized_keys" ak.orig &&
		test_when_finished "cp ak.orig \"$SSHD_DIR/authorized_keys\"" &&
		drive --temp-key '"$type"' --authorized-keys "$SSHD_DIR/authorized_keys" \
			exec "echo in" >out &&
		test_grep "^out: in$" out &&
		test_grep "^pubkey: [a-z0-9-]* AAAA[A-Za-z0-9+/=]* kiln-test$" out &&
		keyfile=$(sed -n "s/^keyfile: //p" out) &&
		test -n "$keyfile" &&
		test ! -e "$keyfile" &&
		test ! -e "$(dirname "$keyfile")"
	'
done

test_expect_success 'the temporary key file is 0600 while the build runs' '
	cp "$SSHD_DIR/authorized_keys" ak.orig &&
	test_when_finished "cp ak.orig \"$SSHD_DIR/authorized_keys\"; touch \"$SSHD_HOME/go\"" &&
	# (a fresh file: the loop below must not read an older "out" before the job truncates it)
	rm -f "$SSHD_HOME/go" keyout &&
	{ drive --temp-key ed25519 --authorized-keys "$SSHD_DIR/authorized_keys" \
		exec "while [ ! -e go ]; do sleep 0.1; done" >keyout & } &&
	pid=$! &&
	i=0 && while ! grep -q "^keyfile: " keyout 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done &&
	keyfile=$(sed -n "s/^keyfile: //p" keyout) &&
	stat -c %a "$keyfile" >mode &&
	touch "$SSHD_HOME/go" &&
	echo 600 >want && test_cmp want mode &&
	wait $pid &&
	test ! -e "$keyfile"
'

test_expect_success 'unknown temporary key types and sizes are refused' '
	test_expect_code 1 drive --temp-key dsa exec true 2>err &&
	test_grep "\"dsa\" is not supported" err &&
	test_expect_code 1 drive --temp-key ecdsa:300 exec true 2>err &&
	test_grep "use 256, 384 or 521" err
'

test_expect_success 'wrong password: fails after ssh_handshake_attempts with a clear message' '
	test_expect_code 1 drive --password wrong --attempts 2 exec true >out 2>err &&
	test_grep "error: cannot log in to 127.0.0.1:$SSHD_PORT: authentication failed for user \"$SSHD_USER\" (tried: password; the server accepts: publickey,password), 2 attempts" err &&
	test_grep "hint: check ssh_username and ssh_password" err
'

test_expect_success 'wrong key: fails with a clear message' '
	test_expect_code 1 drive --key "$SSHD_OTHER_KEY" --attempts 2 exec true >out 2>err &&
	test_grep "authentication failed for user \"$SSHD_USER\" (tried: ssh_private_key_file;" err
'

test_expect_success 'an unreadable private key file is refused at once' '
	echo "not a key" >bogus &&
	test_expect_code 1 drive --key bogus exec true 2>err &&
	test_grep "cannot read the private key in ssh_private_key_file bogus" err
'

test_expect_success 'a server that starts late: retries with progress lines, then connects' '
	port=$(test_free_port) &&
	sed "s/^ListenAddress .*/ListenAddress 127.0.0.1:$port/; s|^PidFile .*|PidFile $TEST_DIR/late.pid|" \
		"$SSHD_CONFIG" >late_config &&
	{ "$DRIVER" --host 127.0.0.1 --port $port --user "$SSHD_USER" --key "$SSHD_KEY" --quiet \
		--timeout 60s --status-interval 1s exec "echo finally" >out 2>err & } &&
	pid=$! &&
	sleep 3 &&
	{ /usr/sbin/sshd -D -f late_config -E late.log & } &&
	late=$! &&
	test_when_finished "kill $late; pkill -P $late" &&
	wait $pid &&
	test_grep "^status: waiting for SSH on 127.0.0.1:$port: connection refused, 1 try, " out &&
	test_grep "^status: waiting for SSH on 127.0.0.1:$port: connection refused, [0-9]* tries, " out &&
	test_grep "^out: finally$" out
'

test_expect_success 'a server that never listens: fails at ssh_timeout naming the address and the reason' '
	port=$(test_free_port) &&
	test_expect_code 1 "$DRIVER" --host 127.0.0.1 --port $port --user nobody --password x --quiet \
		--timeout 3s exec true >out 2>err &&
	test_grep "^error: timeout waiting for SSH on 127.0.0.1:$port after 3s: connection refused ([0-9]* tries)$" err &&
	test_grep "^hint: check that the machine boots and starts sshd on port $port, or raise ssh_timeout$" err
'

# fake_listener PORT close|hold: a listener on 127.0.0.1:PORT that closes every connection at once
# (QEMU's user network before the guest's sshd) or holds it silent (before the guest's network is
# up); returns once it listens, and is stopped when the test finishes.
fake_listener() {
	rm -f listening &&
	{ python3 -c "
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((\"127.0.0.1\", $1)); s.listen(8)
open(\"listening\", \"w\").close()
held = []
while True:
    c, _ = s.accept()
    c.close() if sys.argv[1] == \"close\" else held.append(c)
" "$2" & } &&
	test_when_finished "kill $!" &&
	i=0 && while [ ! -f listening ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}

test_expect_success 'a port that accepts and closes (QEMU user networking before sshd) is waited for' '
	port=$(test_free_port) &&
	fake_listener $port close &&
	test_expect_code 1 "$DRIVER" --host 127.0.0.1 --port $port --user nobody --password x --quiet \
		--timeout 2s exec true >out 2>err &&
	test_grep "connection closed before the SSH banner" err
'

test_expect_success 'a port that accepts and stays silent (guest network not up) is given up on and retried' '
	port=$(test_free_port) &&
	fake_listener $port hold &&
	test_expect_code 1 "$DRIVER" --host 127.0.0.1 --port $port --user nobody --password x --quiet \
		--timeout 12s exec true >out 2>err &&
	test_grep "no SSH banner within 5s" out &&
	test_grep "no SSH banner within" err &&
	test_grep "(2 tries)" err
'

test_expect_success 'the host key is pinned: a different key after a reconnect is an error' '
	rm -f "$SSHD_HOME/marker" &&
	{ drive --key "$SSHD_KEY" fingerprint exec "touch marker" exec "sleep 30" reconnect 30s exec true >out 2>err & } &&
	pid=$! &&
	i=0 && while [ ! -f "$SSHD_HOME/marker" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	sshd_stop &&
	cp "$SSHD_DIR/host_ed25519" host.orig && cp "$SSHD_DIR/host_ed25519.pub" host.orig.pub &&
	test_when_finished "sshd_stop; cp host.orig \"$SSHD_DIR/host_ed25519\"; cp host.orig.pub \"$SSHD_DIR/host_ed25519.pub\"; sshd_start" &&
	rm -f "$SSHD_DIR/host_ed25519" "$SSHD_DIR/host_ed25519.pub" &&
	ssh-keygen -q -t ed25519 -N "" -f "$SSHD_DIR/host_ed25519" &&
	sshd_start &&
	test_expect_code 1 wait $pid &&
	test_grep "^fingerprint: SHA256:" out &&
	test_grep "^error: the host key of 127.0.0.1:$SSHD_PORT changed during the build: it was SHA256:.*, now it is SHA256:" err
'

test_expect_success 'the same host key after a reconnect is accepted' '
	drive --key "$SSHD_KEY" exec "echo one" reconnect 10s exec "echo two" >out &&
	test_grep "^reconnected$" out &&
	test_grep "^out: two$" out
'

test_expect_success 'jump host: connects through ssh_bastion_host' '
	drive --key "$SSHD_KEY" --bastion 127.0.0.1:$SSHD_PORT --bastion-user "$SSHD_USER" \
		--bastion-password "$SSHD_PASSWORD" exec "echo \$SSH_CONNECTION" upload "$SSHD_KEY" via-jump \
		exec "cat via-jump" >out &&
	# the inner connection comes from the jump host (sshd itself), not from the driver
	test_grep "^out: 127.0.0.1 [0-9]* 127.0.0.1 $SSHD_PORT$" out &&
	test_grep "BEGIN OPENSSH PRIVATE KEY" out
'

test_expect_success 'jump host: a refused login there fails at once with its own message' '
	test_expect_code 1 drive --key "$SSHD_KEY" --bastion 127.0.0.1:$SSHD_PORT --bastion-user "$SSHD_USER" \
		--bastion-password wrong exec true 2>err &&
	test_grep "^error: bastion 127.0.0.1:$SSHD_PORT: authentication failed for user \"$SSHD_USER\"" err &&
	test_grep "^hint: check ssh_bastion_username" err
'

test_expect_success 'ssh_pty gives commands a terminal' '
	drive --key "$SSHD_KEY" --pty exec "tty" >out &&
	test_grep "^out: /dev/pts/" out &&
	drive --key "$SSHD_KEY" exec "tty || true" >out &&
	test_grep "^out: not a tty$" out
'

test_expect_success 'ssh_clear_authorized_keys removes the temporary key and nothing else' '
	mkdir -p "$SSHD_HOME/.ssh" &&
	echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeepMeKeepMeKeepMeKeepMeKeepMeKeepMeKeepMe keep-me" \
		>"$SSHD_HOME/.ssh/authorized_keys" &&
	chown -R "$SSHD_USER" "$SSHD_HOME/.ssh" &&
	test_when_finished "rm -rf \"$SSHD_HOME/.ssh\"" &&
	drive --temp-key ed25519 --authorized-keys "$SSHD_HOME/.ssh/authorized_keys" \
		exec "grep -c kiln-test .ssh/authorized_keys" clear-key exec "cat .ssh/authorized_keys" >out &&
	test_grep "^out: 1$" out &&
	test_grep "^out: ssh-ed25519 .* keep-me$" out &&
	! grep "kiln-test$" "$SSHD_HOME/.ssh/authorized_keys" &&
	test_grep "keep-me" "$SSHD_HOME/.ssh/authorized_keys" &&
	test ! -e "$SSHD_HOME/.ssh/authorized_keys.bak"
'

test_done
