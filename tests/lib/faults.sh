# faults.sh — helpers of the fault-injection tests (tests/e2e/t049*-faults-*.sh; POSIX sh, sourced after
# test-lib.sh, qemu.sh and audit.sh, once qemu_setup has run). They break builds on purpose: kill kiln
# at a chosen stage, fill a file system, kill a converter, stop libvirt.
#
#   faults_source NAME OUTDIR [LINE...]   a source "qemu" block booting the tiny image (TCG, root with
#                                         the test key), each LINE one more setting; FAULTS_BASE and
#                                         FAULTS_CHECKSUM replace the image and "none", FAULTS_BACKING=false
#                                         exports a standalone image (use_backing_file = true keeps the
#                                         overlay as the output: no conversion at the end)
#   faults_build LOG [KILN-ARGS...]       start `kiln build` in the background (KILN_LOG to LOG.log,
#                                         output to LOG); its pid in $FAULTS_PID
#   faults_wait LOG REGEX [SECONDS]       wait until LOG matches (grep -E), failing with LOG's tail
#                                         when it does not in time (default 900 s: a loaded machine runs TCG guests slowly) or kiln exited
#   faults_wait_file LOG FILE [SECONDS]   the same, until FILE exists and is not empty
#   faults_kill9                          SIGKILL the build started last and reap it (status 137)
#   faults_finish                         wait for it; its exit status in $FAULTS_RC
#   faults_tmpfs DIR SIZE                 a tmpfs of SIZE at DIR (unmounted when the test file ends)
#   faults_qemu_img_shim DIR PATTERN      DIR/qemu-img: a stand-in for qemu-img that, for a `convert`
#                                         whose arguments match PATTERN (grep -E), writes its pid to
#                                         DIR/pid and sleeps (exec sleep: the pid is "qemu-img") —
#                                         anything else runs the real qemu-img; put DIR first in PATH
#   faults_serve FILE DIR                 tests/lib/stall-http.py serving FILE on 127.0.0.1 (its first
#                                         full download stalls after 2 MiB); URL in DIR/url
#   faults_one_error OUT                  the build's one-line error from the summary ("--> NAME: ...")
#   faults_gate_open DIR                  provisioners that wait for "$FAULTS_GATE" go on (see below)
#
# A provisioner waits for the test with $FAULTS_GATE_WAIT (a line for `inline`, no quotes in it): it polls
# the build's HTTP seed (http_directory = "DIR") for a file "go" until `faults_gate_open DIR` creates it.

faults_source() {
	_fs_name=$1
	_fs_out=$2
	shift 2
	printf 'source "qemu" "%s" {\n' "$_fs_name"
	printf '  iso_url              = "%s"\n' "${FAULTS_BASE:-$(fixture_tiny_image)}"
	printf '  iso_checksum         = "%s"\n' "${FAULTS_CHECKSUM:-none}"
	printf '  disk_image           = true\n'
	printf '  use_backing_file     = %s\n' "${FAULTS_BACKING:-true}"
	printf '  accelerator          = "tcg"\n'
	printf '  memory               = 256\n'
	printf '  ssh_username         = "root"\n'
	printf '  ssh_private_key_file = "%s"\n' "$(fixture_tiny_key)"
	printf '  shutdown_command     = "poweroff"\n'
	printf '  output_directory     = "%s"\n' "$_fs_out"
	for _fs_l in "$@"; do
		printf '  %s\n' "$_fs_l"
	done
	printf '}\n'
}

faults_build() {
	_fb_log=$1
	shift
	KILN_LOG=1 KILN_LOG_PATH=$_fb_log.log "$KILN" build "$@" >"$_fb_log" 2>&1 </dev/null &
	FAULTS_PID=$!
	# a test that fails half way must not leave its build running into the next one
	test_when_finished "kill -9 $FAULTS_PID 2>/dev/null; wait $FAULTS_PID 2>/dev/null"
}

# _faults_until LOG SECONDS WHAT CMD...: wait until CMD succeeds; fail with LOG's tail after SECONDS, or
# as soon as the build started last has exited without CMD succeeding
_faults_until() {
	_fu_log=$1 _fu_secs=$2 _fu_what=$3
	shift 3
	_fu_deadline=$(($(date +%s) + _fu_secs))
	while [ "$(date +%s)" -lt $_fu_deadline ]; do
		"$@" && return 0
		if [ -n "${FAULTS_PID:-}" ] && ! kill -0 "$FAULTS_PID" 2>/dev/null; then
			"$@" && return 0
			echo "faults_wait: kiln exited before $_fu_what; its output:" >&2
			tail -n 30 "$_fu_log" >&2
			return 1
		fi
		sleep 0.2
	done
	echo "faults_wait: no $_fu_what within $_fu_secs s; the output:" >&2
	tail -n 30 "$_fu_log" >&2
	return 1
}

faults_wait() {
	_faults_until "$1" "${3:-900}" "/$2/" grep -s -q -E "$2" "$1"
}

faults_wait_file() {
	_faults_until "$1" "${3:-900}" "$2" test -s "$2"
}

faults_kill9() {
	kill -9 "$FAULTS_PID" 2>/dev/null
	wait "$FAULTS_PID"
	FAULTS_RC=$?
	[ "$FAULTS_RC" = 137 ]
}

faults_finish() {
	wait "$FAULTS_PID"
	FAULTS_RC=$?
}

faults_tmpfs() {
	mkdir -p "$1" && mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" || return 1
	test_atexit "umount -l '$(cd "$1" && pwd)'"
}

faults_qemu_img_shim() {
	mkdir -p "$1" || return 1
	_fq_dir=$(cd "$1" && pwd)   # kiln may run it from another directory
	_fq_real=$(command -v qemu-img)
	cat >"$1/qemu-img" <<-EOF
	#!/bin/sh
	# a qemu-img that never finishes the conversions the fault test aims at
	if [ "\$1" = convert ] && printf '%s\n' "\$*" | grep -q -E '$2'; then
		echo \$\$ >"$_fq_dir/pid.tmp" && mv "$_fq_dir/pid.tmp" "$_fq_dir/pid"
		exec sleep 600
	fi
	exec "$_fq_real" "\$@"
	EOF
	chmod +x "$1/qemu-img"
}

faults_serve() {
	mkdir -p "$2" || return 1
	python3 "$KILN_SRCDIR/tests/lib/stall-http.py" "$1" "$2/port" </dev/null >"$2/server.log" 2>&1 &
	_fh_pid=$!
	echo "$_fh_pid" >"$2/pid"
	test_atexit "kill $_fh_pid 2>/dev/null"
	audit_ignore_pid "$_fh_pid"
	_fh_i=0
	while [ ! -s "$2/port" ] && [ $_fh_i -lt 300 ]; do
		sleep 0.1
		_fh_i=$((_fh_i + 1))
	done
	[ -s "$2/port" ] || { echo "faults_serve: the server did not start" >&2; cat "$2/server.log" >&2; return 1; }
	echo "http://127.0.0.1:$(cat "$2/port")/$(basename "$1")" >"$2/url"
}

faults_one_error() {
	sed -n '/^==> Some builds/,/^==> Builds finished/p' "$1" | grep '^--> '
}

FAULTS_GATE_WAIT='until wget -q -O /dev/null http://$PACKER_HTTP_ADDR/go; do sleep 1; done'

faults_gate_open() {
	: >"$1/go"
}
