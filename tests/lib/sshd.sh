# sshd.sh — a private OpenSSH server on a loopback port for the SSH tests and benchmarks.
#
#   . "$KILN_SRCDIR/tests/lib/sshd.sh"
#   sshd_setup            # user, host key, client key, config in $SSHD_DIR; stopped/removed at exit
#   sshd_start            # listens on 127.0.0.1:$SSHD_PORT
#   sshd_stop             # stops the listener and every session it serves (a "reboot")
#   sshd_setup_and_start  # both, for a TAP test file: "Bail out!" and exit when either fails
#   sshd_null_template F  # writes F: a null source "box" that logs in to it with SSHD_KEY, then stdin
#
# After sshd_setup: SSHD_DIR, SSHD_PORT, SSHD_USER, SSHD_PASSWORD, SSHD_HOME, SSHD_KEY (client private
# key listed in authorized_keys), SSHD_OTHER_KEY (a key the server does not know), SSHD_CONFIG.
# The user is created for this test file only (sshd needs a real account for password logins) and
# removed at exit together with its home; users left by a killed run are removed by the next setup.
# Needs root, /usr/sbin/sshd (openssh-server), ssh-keygen and python3. Works with test-lib.sh
# (test_atexit, test_free_port) and, outside it, with SSHD_ATEXIT set to a file of cleanup commands.
# Safe under `set -e`: the stop and cleanup functions never fail.

# Account tools fail at once when another run holds the lock on /etc/passwd: try a few times.
_sshd_retry() {
	_t=0
	until "$@"; do
		_t=$((_t + 1))
		[ $_t -lt 20 ] || return 1
		sleep 0.5
	done
}

sshd_remove_stale_users() {
	getent passwd | cut -d: -f1 | grep -E '^kilnt[0-9]+$' | while read -r _u; do
		kill -0 "${_u#kilnt}" 2>/dev/null && continue
		pkill -KILL -U "$_u" 2>/dev/null || :
		find /tmp /var/tmp -maxdepth 1 -user "$_u" -exec rm -rf {} + 2>/dev/null || :
		_sshd_retry userdel "$_u" >/dev/null 2>&1 || :
	done
	# files of test users deleted by an earlier run that could not clean up
	find /tmp /var/tmp -xdev -maxdepth 1 -name 'script_*' -nouser -exec rm -rf {} + 2>/dev/null || :
}

sshd_setup() {
	[ "$(id -u)" -eq 0 ] || { echo "sshd_setup: needs root (sshd switches to the test user)" >&2; return 1; }
	SSHD_DIR=${SSHD_DIR:-$TEST_DIR/sshd}
	SSHD_PORT=${SSHD_PORT:-$(test_free_port)}
	SSHD_USER=kilnt$$
	SSHD_HOME=$SSHD_DIR/home
	SSHD_CONFIG=$SSHD_DIR/sshd_config
	SSHD_KEY=$SSHD_DIR/client_key
	SSHD_OTHER_KEY=$SSHD_DIR/other_key
	SSHD_PASSWORD=pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	export SSHD_DIR SSHD_PORT SSHD_USER SSHD_HOME SSHD_CONFIG SSHD_KEY SSHD_OTHER_KEY SSHD_PASSWORD

	sshd_remove_stale_users
	mkdir -p "$SSHD_DIR" "$SSHD_HOME" /run/sshd || return 1
	# The test user must reach its home and the files under the test directory.
	chmod 0711 "$TEST_DIR" "$SSHD_DIR"
	_sshd_retry useradd -M -d "$SSHD_HOME" -s /bin/sh "$SSHD_USER" || return 1
	sshd_atexit "sshd_cleanup"
	_sshd_retry sshd_set_password || return 1
	chown "$SSHD_USER:" "$SSHD_HOME"

	ssh-keygen -q -t ed25519 -N '' -C kiln-test-host -f "$SSHD_DIR/host_ed25519" || return 1
	ssh-keygen -q -t ed25519 -N '' -C kiln-test-client -f "$SSHD_KEY" || return 1
	ssh-keygen -q -t ed25519 -N '' -C kiln-test-other -f "$SSHD_OTHER_KEY" || return 1
	cp "$SSHD_KEY.pub" "$SSHD_DIR/authorized_keys"
	chmod 0644 "$SSHD_DIR/authorized_keys"

	cat >"$SSHD_CONFIG" <<EOF
ListenAddress 127.0.0.1:$SSHD_PORT
HostKey $SSHD_DIR/host_ed25519
PidFile $SSHD_DIR/sshd.pid
AuthorizedKeysFile $SSHD_DIR/authorized_keys .ssh/authorized_keys
AllowUsers $SSHD_USER
PermitRootLogin no
StrictModes no
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AllowTcpForwarding yes
AllowAgentForwarding yes
UseDNS no
MaxStartups 100
MaxAuthTries 6
LoginGraceTime 30
LogLevel VERBOSE
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
	/usr/sbin/sshd -t -f "$SSHD_CONFIG" || return 1
}

# Cleanup that runs when the test file ends (test-lib's test_atexit, or $SSHD_ATEXIT for benchmarks).
sshd_atexit() {
	if command -v test_atexit >/dev/null 2>&1; then
		test_atexit ". \"$KILN_SRCDIR/tests/lib/sshd.sh\"; SSHD_DIR=$SSHD_DIR SSHD_USER=$SSHD_USER; $1"
	else
		printf '%s\n' "SSHD_DIR=$SSHD_DIR SSHD_USER=$SSHD_USER; $1" >>"$SSHD_ATEXIT"
	fi
}

sshd_start() {
	: >"$SSHD_DIR/sshd.log"
	/usr/sbin/sshd -D -f "$SSHD_CONFIG" -E "$SSHD_DIR/sshd.log" &
	echo $! >"$SSHD_DIR/listener.pid"
	_i=0
	while [ $_i -lt 100 ]; do
		grep -q "Server listening" "$SSHD_DIR/sshd.log" 2>/dev/null && return 0
		kill -0 "$(cat "$SSHD_DIR/listener.pid")" 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "sshd_start: sshd did not start; its log:" >&2
	cat "$SSHD_DIR/sshd.log" >&2
	return 1
}

sshd_setup_and_start() {
	sshd_setup || { echo "Bail out! cannot set up sshd"; exit 1; }
	sshd_start || { echo "Bail out! cannot start sshd"; exit 1; }
}

# sshd_null_template FILE: `source "null" "box"` logging in to the test sshd with the key, followed by
# what is on standard input (the build block), written to FILE.
sshd_null_template() {
	{
		cat <<-HCL
		source "null" "box" {
		  ssh_host             = "127.0.0.1"
		  ssh_port             = $SSHD_PORT
		  ssh_username         = "$SSHD_USER"
		  ssh_private_key_file = "$SSHD_KEY"
		}
		HCL
		cat
	} >"$1"
}

# Stop the listener and the sessions it forked: to a client this looks like the machine going away.
sshd_stop() {
	[ -f "$SSHD_DIR/listener.pid" ] || return 0
	_pid=$(cat "$SSHD_DIR/listener.pid")
	rm -f "$SSHD_DIR/listener.pid"
	kill -0 "$_pid" 2>/dev/null || return 0
	# Sessions are the listener's children (each has its own session id, so no process-group kill).
	# Freeze the listener first, so that it cannot fork a session for a connection that arrives now.
	kill -STOP "$_pid" 2>/dev/null || :
	_kids=$(ps -o pid= --ppid "$_pid" 2>/dev/null || :)
	[ -z "$_kids" ] || kill $_kids 2>/dev/null || :
	kill -TERM "$_pid" 2>/dev/null || :
	kill -CONT "$_pid" 2>/dev/null || :
	_i=0
	while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	kill -9 "$_pid" 2>/dev/null || :
	wait "$_pid" 2>/dev/null || :
	# What the sessions ran dies with the machine, too.
	pkill -KILL -U "$SSHD_USER" 2>/dev/null || :
}

sshd_cleanup() {
	sshd_stop
	pkill -KILL -U "$SSHD_USER" 2>/dev/null || :
	# what the user left in the shared temporary directories (scripts a failed build could not remove)
	find /tmp /var/tmp -maxdepth 1 -user "$SSHD_USER" -exec rm -rf {} + 2>/dev/null || :
	_sshd_retry userdel "$SSHD_USER" >/dev/null 2>&1 || :
}

sshd_set_password() {
	printf '%s:%s\n' "$SSHD_USER" "$SSHD_PASSWORD" | chpasswd
}
