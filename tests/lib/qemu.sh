# qemu.sh — helpers for the qemu builder's end-to-end tests (tests/e2e/t04*-qemu-*.sh). Sourced after
# test-lib.sh; it sources fixtures.sh (the test images). Builds run under TCG with user-mode networking
# (every host-side connection on loopback); every domain a test starts is found by its output directory
# (kiln's domain metadata) and destroyed when the test file ends, however it ends.
. "$KILN_SRCDIR/tests/lib/fixtures.sh"

qemu_setup() {
	test_have_prereq ROOT || { echo "Bail out! the qemu tests need root (libvirt's qemu:///system)"; exit 1; }
	test_have_prereq LIBVIRT || { echo "Bail out! libvirt is not reachable: run scripts/install-deps"; exit 1; }
	# QEMU runs as the invoking user (kiln sets a DAC label), but the download cache and the output
	# directories must not be shared with other test files.
	KILN_CACHE_DIR=$TEST_DIR/cache
	export KILN_CACHE_DIR
	TMPDIR=$TEST_DIR/tmp
	mkdir -p "$TMPDIR"
	export TMPDIR
	test_atexit 'qemu_destroy_test_domains'
}

# The names of running domains whose kiln metadata points into this test's directory.
qemu_test_domains() {
	virsh -c qemu:///system list --name 2>/dev/null | while read -r d; do
		[ -n "$d" ] || continue
		virsh -c qemu:///system metadata "$d" urn:kiln:domain:1 2>/dev/null | grep -q "$TEST_DIR" && echo "$d"
	done
}

qemu_destroy_test_domains() {
	for d in $(qemu_test_domains); do
		virsh -c qemu:///system destroy "$d" >/dev/null 2>&1 || :
	done
}

# Fails (listing them) when a domain of this test is still running.
qemu_no_test_domains() {
	left=$(qemu_test_domains)
	[ -z "$left" ] || { echo "domains left running: $left" >&2; return 1; }
}

# Is something listening on 127.0.0.1:PORT?
qemu_port_listening() {
	python3 -c 'import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$1"
}

# The host port kiln forwarded to the guest's SSH port, from a KILN_LOG file.
qemu_forwarded_port() {
	sed -n 's/.*qemu: forwarding host port \([0-9]*\) to the guest.*/\1/p' "$1" | tail -n 1
}
