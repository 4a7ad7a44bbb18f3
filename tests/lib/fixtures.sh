# fixtures.sh — test images and a small VM toolkit for kiln's end-to-end tests (POSIX sh). Source it after
# test-lib.sh:
#
#   . "$KILN_SRCDIR/tests/lib/test-lib.sh"
#   . "$KILN_SRCDIR/tests/lib/fixtures.sh"
#
# Images (built offline from Debian packages on first use, cached in ${KILN_FIXTURE_CACHE:-/var/tmp/kiln-fixtures}
# keyed by the content of the scripts in tests/fixtures/ that make them; each prints the path, or fails
# with the build's messages on stderr). Never write to them: boot an overlay or a copy.
#   fixture_tiny_image           tiny qcow2, BIOS and UEFI (busybox + dropbear, root with the test key;
#                                tests/fixtures/tiny-lib.sh)
#   fixture_tiny_nosshd_image    the same, booting without any SSH server (for ssh_timeout tests)
#   fixture_tiny_key             private key (0600) of the fixed test key pair; "$key.pub" next to it
#   fixture_debian_image         Debian 12 genericcloud-like qcow2: user "debian" from a NoCloud seed
#   fixture_debian_repo          tar of a flat apt repository (Packages.gz, [trusted=yes]) with ansible-core,
#                                python3-apt and what they need beyond the Debian image: unpack, serve
#   fixture_boot_iso             boot ISO: `boot:` prompt, typing `tiny<enter>` boots tiny from RAM
#   fixture_cidata_iso OUT [INSTANCE_ID]
#                                a NoCloud seed ISO (label cidata) authorizing the test key for the
#                                default user (debian on the Debian image; root on tiny)
#
# Accelerator: tests run guests under TCG regardless of the machine (the same on every CI host, and
# /dev/kvm may exist yet crash guests). `fixture_kvm_works` tells whether KVM really works here (for
# tests of kiln's accelerator choice, and for reports): /dev/kvm opens read-write AND a tiny guest
# booted with -accel kvm reaches "tiny: up" without "KVM internal error". The answer is cached per
# host boot; FIXTURE_KVM_REASON says why.
#
# VMs started directly with qemu-system-x86_64 (TCG, user-mode networking, SSH forwarded to a free
# port on 127.0.0.1, serial console to a file, a monitor socket); each is killed when the test file
# ends (test_atexit), however it ends. State lives in $TEST_DIR/vm-NAME/.
#   fixture_vm_start NAME DISK [QEMU_ARG...]   boot DISK (used as is: pass an overlay) with extra args
#   fixture_vm_port NAME                       the forwarded SSH port on 127.0.0.1
#   fixture_vm_serial NAME                     path of the serial log
#   fixture_vm_ssh NAME USER CMD...            run CMD over SSH with the test key (batch mode)
#   fixture_vm_wait_ssh NAME USER [SECONDS]    wait until SSH accepts the test key (default 180 s)
#   fixture_vm_wait_serial NAME REGEX [SECONDS] wait until the serial log matches (grep -E)
#   fixture_vm_sendkeys NAME KEY...            type QEMU sendkey names (t i n y ret) on the keyboard
#   fixture_vm_powerdown NAME                  ACPI power button (system_powerdown)
#   fixture_vm_wait_exit NAME [SECONDS]        wait until QEMU has exited (the guest powered off)
#   fixture_vm_stop NAME                       kill QEMU if it still runs (also done at exit)
#   fixture_overlay BASE OUT [SIZE]            qcow2 overlay backed by BASE
#   fixture_uefi_args VARS                     QEMU options for UEFI (OVMF; VARS: a fresh copy of its
#                                              variable store is made there), for fixture_vm_start

: "${KILN_SRCDIR:?fixtures.sh needs KILN_SRCDIR}"
FIXTURE_DIR=$KILN_SRCDIR/tests/fixtures
FIXTURE_CACHE=${KILN_FIXTURE_CACHE:-/var/tmp/kiln-fixtures}
FIXTURE_QEMU=${FIXTURE_QEMU:-qemu-system-x86_64}
FIXTURE_SSH_OPTS="-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5 -o ServerAliveInterval=5 -o ServerAliveCountMax=3"

fixture_tiny_image() { "$FIXTURE_DIR/mk-tiny-image"; }
fixture_tiny_nosshd_image() { "$FIXTURE_DIR/mk-tiny-image" --nosshd; }
fixture_tiny_key() { "$FIXTURE_DIR/mk-test-key"; }
fixture_debian_image() { "$FIXTURE_DIR/mk-debian-image"; }
fixture_debian_repo() { "$FIXTURE_DIR/mk-debian-repo"; }
fixture_boot_iso() { "$FIXTURE_DIR/mk-boot-iso"; }

fixture_overlay() {
	if [ -n "${3:-}" ]; then
		qemu-img create -q -f qcow2 -b "$1" -F qcow2 "$2" "$3"
	else
		qemu-img create -q -f qcow2 -b "$1" -F qcow2 "$2"
	fi
}

fixture_uefi_args() {
	_fx_code=/usr/share/OVMF/OVMF_CODE_4M.fd
	[ -r "$_fx_code" ] || { echo "fixture_uefi_args: no $_fx_code (package ovmf)" >&2; return 1; }
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$1" || return 1
	printf '%s\n' "-drive if=pflash,format=raw,readonly=on,file=$_fx_code -drive if=pflash,format=raw,file=$1"
}

fixture_cidata_iso() {
	_fx_out=$1
	_fx_iid=${2:-iid-kiln-test}
	_fx_key=$(fixture_tiny_key) || return 1
	_fx_d=$(mktemp -d "${TMPDIR:-/tmp}/kiln-cidata.XXXXXX") || return 1
	printf '#cloud-config\nssh_authorized_keys:\n  - %s\n' "$(cat "$_fx_key.pub")" >"$_fx_d/user-data"
	printf 'instance-id: %s\nlocal-hostname: kilntest\n' "$_fx_iid" >"$_fx_d/meta-data"
	xorriso -as mkisofs -quiet -V cidata -J -R -o "$_fx_out" "$_fx_d/user-data" "$_fx_d/meta-data" 2>"$_fx_d/log"
	_fx_rc=$?
	[ $_fx_rc -eq 0 ] || cat "$_fx_d/log" >&2
	rm -rf "$_fx_d"
	return $_fx_rc
}

# --- KVM ---------------------------------------------------------------------------------------------

fixture_kvm_works() {
	_fx_boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
	_fx_cached=$FIXTURE_CACHE/kvm-status-$_fx_boot
	if [ -s "$_fx_cached" ]; then
		FIXTURE_KVM_REASON=$(sed -n 2p "$_fx_cached")
		[ "$(sed -n 1p "$_fx_cached")" = yes ]
		return
	fi
	_fx_answer=no
	if [ ! -e /dev/kvm ]; then
		FIXTURE_KVM_REASON="no /dev/kvm"
	elif ! (: <>/dev/kvm) 2>/dev/null; then
		FIXTURE_KVM_REASON="/dev/kvm does not open read-write"
	else
		_fx_probe_kvm && _fx_answer=yes
	fi
	mkdir -p "$FIXTURE_CACHE"
	rm -f "$FIXTURE_CACHE"/kvm-status-*
	printf '%s\n%s\n' "$_fx_answer" "$FIXTURE_KVM_REASON" >"$_fx_cached.$$" && mv -f "$_fx_cached.$$" "$_fx_cached"
	[ "$_fx_answer" = yes ]
}

# boot the tiny image under KVM for up to 60 s: "tiny: up" = works, "KVM internal error" = broken
_fx_probe_kvm() {
	_fx_img=$(fixture_tiny_image) || { FIXTURE_KVM_REASON="cannot build the tiny image"; return 1; }
	_fx_d=$(mktemp -d "${TMPDIR:-/tmp}/kiln-kvm-probe.XXXXXX") || return 1
	fixture_overlay "$_fx_img" "$_fx_d/disk.qcow2" || { rm -rf "$_fx_d"; return 1; }
	"$FIXTURE_QEMU" -machine pc -accel kvm -m 256 -display none -monitor none -net none \
		-serial "file:$_fx_d/serial.log" -drive "file=$_fx_d/disk.qcow2,if=virtio" \
		</dev/null >"$_fx_d/qemu.log" 2>&1 &
	_fx_pid=$!
	_fx_rc=1
	FIXTURE_KVM_REASON="a guest under KVM did not come up within 60 s"
	_fx_i=0
	while [ $_fx_i -lt 300 ]; do
		if grep -q 'tiny: up' "$_fx_d/serial.log" 2>/dev/null; then
			FIXTURE_KVM_REASON="a guest under KVM boots"
			_fx_rc=0
			break
		fi
		if grep -q 'KVM internal error' "$_fx_d/qemu.log" 2>/dev/null; then
			FIXTURE_KVM_REASON="guests die with \"KVM internal error\" (broken KVM, e.g. kvm-pvm)"
			break
		fi
		if ! kill -0 $_fx_pid 2>/dev/null; then
			FIXTURE_KVM_REASON="qemu -accel kvm failed: $(head -n 1 "$_fx_d/qemu.log")"
			break
		fi
		sleep 0.2
		_fx_i=$((_fx_i + 1))
	done
	kill $_fx_pid 2>/dev/null
	wait $_fx_pid 2>/dev/null
	rm -rf "$_fx_d"
	return $_fx_rc
}

# --- VMs -----------------------------------------------------------------------------------------------

_fx_vm() { printf '%s/vm-%s' "${TEST_DIR:?}" "$1"; }

fixture_vm_start() {
	_fx_name=$1
	_fx_disk=$2
	shift 2
	_fx_v=$(_fx_vm "$_fx_name")
	mkdir -p "$_fx_v" || return 1
	_fx_port=$(test_free_port) || return 1
	echo "$_fx_port" >"$_fx_v/port"
	: >"$_fx_v/serial.log"
	test_atexit "fixture_vm_stop '$_fx_name'"
	_fx_drive=
	[ -z "$_fx_disk" ] || _fx_drive="-drive file=$_fx_disk,if=virtio,discard=unmap"
	# shellcheck disable=SC2086 # the drive option is one word or none
	"$FIXTURE_QEMU" -machine pc -accel tcg -m "${FIXTURE_VM_MEMORY:-1024}" -smp "${FIXTURE_VM_CPUS:-2}" \
		-display none -serial "file:$_fx_v/serial.log" -monitor "unix:$_fx_v/monitor.sock,server,nowait" \
		$_fx_drive -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$_fx_port-:22" -device virtio-net-pci,netdev=n0 \
		-pidfile "$_fx_v/qemu.pid" -daemonize "$@" >"$_fx_v/qemu.log" 2>&1 || {
		cat "$_fx_v/qemu.log" >&2
		return 1
	}
}

fixture_vm_port() { cat "$(_fx_vm "$1")/port"; }
fixture_vm_serial() { printf '%s/serial.log' "$(_fx_vm "$1")"; }

_fx_vm_pid() { cat "$(_fx_vm "$1")/qemu.pid" 2>/dev/null; }

_fx_vm_running() {
	_fx_p=$(_fx_vm_pid "$1")
	[ -n "$_fx_p" ] && kill -0 "$_fx_p" 2>/dev/null
}

fixture_vm_ssh() {
	_fx_name=$1
	_fx_user=$2
	shift 2
	# shellcheck disable=SC2086
	ssh $FIXTURE_SSH_OPTS -i "$(fixture_tiny_key)" -p "$(fixture_vm_port "$_fx_name")" \
		"$_fx_user@127.0.0.1" "$@" </dev/null
}

fixture_vm_wait_ssh() {
	_fx_deadline=$(($(date +%s) + ${3:-180}))
	while [ "$(date +%s)" -lt $_fx_deadline ]; do
		if ! _fx_vm_running "$1"; then
			echo "fixture_vm_wait_ssh: VM $1 is not running; serial log:" >&2
			tail -n 20 "$(fixture_vm_serial "$1")" >&2
			return 1
		fi
		fixture_vm_ssh "$1" "$2" true 2>/dev/null && return 0
		sleep 1
	done
	echo "fixture_vm_wait_ssh: no SSH as $2 on VM $1 after ${3:-180} s; serial log:" >&2
	tail -n 20 "$(fixture_vm_serial "$1")" >&2
	return 1
}

fixture_vm_wait_serial() {
	_fx_deadline=$(($(date +%s) + ${3:-120}))
	while [ "$(date +%s)" -lt $_fx_deadline ]; do
		grep -q -E "$2" "$(fixture_vm_serial "$1")" 2>/dev/null && return 0
		_fx_vm_running "$1" || break
		sleep 0.2
	done
	echo "fixture_vm_wait_serial: no /$2/ on VM $1's serial console; its tail:" >&2
	tail -n 20 "$(fixture_vm_serial "$1")" >&2
	return 1
}

_fx_monitor() {
	printf '%s\n' "$2" | socat - "UNIX-CONNECT:$(_fx_vm "$1")/monitor.sock" >/dev/null
}

fixture_vm_sendkeys() {
	_fx_name=$1
	shift
	for _fx_k in "$@"; do
		_fx_monitor "$_fx_name" "sendkey $_fx_k" || return 1
		sleep 0.1
	done
}

fixture_vm_powerdown() { _fx_monitor "$1" system_powerdown; }

fixture_vm_wait_exit() {
	_fx_deadline=$(($(date +%s) + ${2:-60}))
	while [ "$(date +%s)" -lt $_fx_deadline ]; do
		_fx_vm_running "$1" || return 0
		sleep 0.2
	done
	echo "fixture_vm_wait_exit: VM $1 still runs after ${2:-60} s; serial log:" >&2
	tail -n 10 "$(fixture_vm_serial "$1")" >&2
	return 1
}

fixture_vm_stop() {
	_fx_p=$(_fx_vm_pid "$1")
	[ -n "$_fx_p" ] || return 0
	test_stop_pid "$_fx_p" TERM 5
	rm -f "$(_fx_vm "$1")/qemu.pid"
	return 0
}
