# audit.sh — "nothing left behind": the check every end-to-end test ends with (POSIX sh; source after
# test-lib.sh, and after libvirtd.sh when the test runs private daemons).
#
#   test_expect_success 'nothing is left behind' 'audit_test'
#
# audit_test [DIR...] fails, listing each leftover on stderr, when this test (everything is scoped to
# $TEST_DIR: other tests run VMs on this machine at the same time) has left:
#   domains    a running domain on qemu:///system whose kiln metadata points into $TEST_DIR, or any
#              domain at all on one of this test's private daemons (tests/lib/libvirtd.sh)
#   volumes    a volume in a storage pool whose directory is inside $TEST_DIR (qemu:///system), or a
#              kiln-* volume in any pool of a private daemon
#   processes  a process whose command line, working directory or open files mention $TEST_DIR, other
#              than the audit's own ancestors, the test's own helpers (private libvirt daemons, fixture
#              VMs, pids passed to audit_ignore_pid) and processes the audit itself runs
#   ports      a TCP port listening on loopback that such a process holds (reported with it)
#   temp files anything in $TMPDIR when the test pointed TMPDIR into $TEST_DIR (tests/lib/qemu.sh
#              does), and the per-run temporary roots kiln keeps there
#   artifacts  a half-written output: an output directory still carrying kiln's lock (.kiln-lock), a
#              staging or replaced directory of -force (*.kiln-new.*, *.kiln-old.*), kiln's temporary
#              files (*.kiln-tmp*, .kiln-export-*, *.remote), anywhere under $TEST_DIR or under DIR...
#
# audit_ignore_pid PID   the test started PID on purpose (a private sshd, a web server): not a leftover
# AUDIT_URI              the system daemon's URI (default qemu:///system)

AUDIT_URI=${AUDIT_URI:-qemu:///system}

audit_ignore_pid() {
	printf '%s\n' "$@" >>"${TEST_DIR:?}/.audit-ignore"
}

# domains on the system daemon whose kiln metadata names this test's directory
_audit_system_domains() {
	timeout 30 virsh -q -c "$AUDIT_URI" list --name 2>/dev/null | while read -r _au_d; do
		[ -n "$_au_d" ] || continue
		timeout 10 virsh -c "$AUDIT_URI" metadata "$_au_d" urn:kiln:domain:1 2>/dev/null | grep -q "$TEST_DIR" &&
			echo "domain $_au_d on $AUDIT_URI"
	done
}

_audit_private_daemons() {
	command -v libvirtd_names >/dev/null 2>&1 || return 0
	for _au_n in $(libvirtd_names); do
		for _au_d in $(libvirtd_domains "$_au_n"); do
			echo "domain $_au_d on private daemon $_au_n"
		done
		libvirtd_running "$_au_n" || {
			for _au_p in $(libvirtd_qemu_pids "$_au_n"); do
				echo "QEMU pid $_au_p of private daemon $_au_n (the daemon is down)"
			done
			continue
		}
		_au_uri=$(libvirtd_uri "$_au_n")
		for _au_pool in $(timeout 20 virsh -q -c "$_au_uri" pool-list --name 2>/dev/null); do
			timeout 20 virsh -q -c "$_au_uri" vol-list "$_au_pool" 2>/dev/null | awk '{print $1}' |
				grep '^kiln-' | sed "s|^|volume |; s|\$| in pool $_au_pool of private daemon $_au_n|"
		done
	done
}

_audit_system_volumes() {
	for _au_pool in $(timeout 30 virsh -q -c "$AUDIT_URI" pool-list --name 2>/dev/null); do
		timeout 10 virsh -c "$AUDIT_URI" pool-dumpxml "$_au_pool" 2>/dev/null | grep -q "<path>$TEST_DIR" || continue
		timeout 10 virsh -q -c "$AUDIT_URI" vol-list "$_au_pool" 2>/dev/null | awk 'NF {print $1}' |
			sed "s|^|volume |; s|\$| in pool $_au_pool|"
	done
}

# processes (and the loopback ports they listen on) that belong to this test and are not its helpers
_audit_processes() {
	_au_ignore=$(cat "$TEST_DIR/.audit-ignore" 2>/dev/null)
	for _au_f in "$TEST_DIR"/vm-*/qemu.pid; do
		[ -f "$_au_f" ] && _au_ignore="$_au_ignore $(cat "$_au_f")"
	done
	python3 - "$TEST_DIR" $_au_ignore <<-'EOF'
	import os, re, subprocess, sys
	test_dir = sys.argv[1]
	ignore = {int(p) for p in sys.argv[2:] if p.isdigit()}
	me = os.getpid()
	# our ancestors: the test's shells
	p = me
	while p > 1:
	    ignore.add(p)
	    try:
	        with open(f"/proc/{p}/stat") as f:
	            p = int(f.read().rsplit(")", 1)[1].split()[1])
	    except OSError:
	        break
	def parent(pid):
	    try:
	        with open(f"/proc/{pid}/stat") as f:
	            return int(f.read().rsplit(")", 1)[1].split()[1])
	    except OSError:
	        return 0
	def comm(pid):
	    try:
	        with open(f"/proc/{pid}/comm") as f:
	            return f.read().strip()
	    except OSError:
	        return ""
	def cmdline(pid):
	    try:
	        with open(f"/proc/{pid}/cmdline", "rb") as f:
	            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
	    except OSError:
	        return ""
	def mentions(pid):
	    cl = cmdline(pid)
	    if test_dir in cl:
	        return "command line"
	    try:
	        if os.readlink(f"/proc/{pid}/cwd").startswith(test_dir):
	            return "working directory"
	    except OSError:
	        pass
	    try:
	        for fd in os.listdir(f"/proc/{pid}/fd"):
	            try:
	                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(test_dir):
	                    return "open file"
	            except OSError:
	                pass
	    except OSError:
	        pass
	    return None
	# the test's private libvirt daemons (and their reaper) are helpers, not leftovers
	helper = re.compile(re.escape(test_dir) + r"/libvirtd-[^/ ]+/etc/libvirtd.conf")
	pids = [int(d) for d in os.listdir("/proc") if d.isdigit()]
	for pid in pids:
	    if helper.search(cmdline(pid)):
	        ignore.add(pid)
	        pp = parent(pid)
	        if comm(pp) in ("tini", "unshare", "sh"):
	            ignore.add(pp)
	left = {}
	for pid in pids:
	    if pid in ignore or pid == me:
	        continue
	    # what the audit itself runs (virsh, ps ...) descends from one of our ancestors AND from us
	    q, ours = pid, False
	    while q > 1:
	        if q == me:
	            ours = True
	            break
	        q = parent(q)
	    if ours:
	        continue
	    why = mentions(pid)
	    if why:
	        left[pid] = why
	ports = {}
	try:
	    out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, timeout=10).stdout
	    for line in out.splitlines():
	        cols = line.split()
	        if len(cols) < 4:
	            continue
	        local = cols[3]
	        for m in re.finditer(r"pid=(\d+)", line):
	            ports.setdefault(int(m.group(1)), []).append(local)
	except Exception:
	    pass
	for pid, why in sorted(left.items()):
	    extra = f"; listening on {', '.join(ports[pid])}" if pid in ports else ""
	    print(f"process {pid} ({comm(pid)}, {why} in the test directory{extra}): {cmdline(pid)[:200]}")
	EOF
}

_audit_files() {
	case "${TMPDIR:-}" in
	"$TEST_DIR"/*)
		[ -d "$TMPDIR" ] && ls -A "$TMPDIR" | grep -v "^\.guestfs-" | sed "s|^|temporary file $TMPDIR/|"
		;;
	esac
	for _au_top in "$TEST_DIR" "$@"; do
		[ -d "$_au_top" ] || continue
		find "$_au_top" \( -name .kiln-lock -o -name '*.kiln-new.*' -o -name '*.kiln-old.*' -o -name '*.kiln-tmp*' -o -name '.kiln-export-*' \
			-o -name '*.remote' \) -not -path "$TEST_DIR/libvirtd-*" 2>/dev/null |
			sed 's|^|half-written output |'
	done
}

audit_test() {
	_au_out=$TEST_DIR/.audit.out
	{
		_audit_system_domains
		_audit_private_daemons
		_audit_system_volumes
		_audit_processes
		_audit_files "$@"
	} >"$_au_out" 2>/dev/null
	if [ -s "$_au_out" ]; then
		echo "audit: left behind by this test:" >&2
		sed 's/^/  /' "$_au_out" >&2
		return 1
	fi
	return 0
}
