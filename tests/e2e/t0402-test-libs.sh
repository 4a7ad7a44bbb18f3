#!/bin/sh
# t0402-test-libs — the helpers the end-to-end tests stand on: tests/lib/libvirtd.sh runs private libvirt
# daemons (two at once, each on its own socket and loopback port; killed and restarted, a guest of a
# killed daemon keeps running and the restarted daemon finds it again) and tests/lib/audit.sh finds each
# kind of leftover it promises to find, then passes once they are gone. No guest boots: the domains are
# created paused.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/libvirtd.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"

test_have_prereq ROOT || { echo "Bail out! private libvirt daemons need root"; exit 1; }

# a paused transient domain with nothing to boot (QEMU starts, runs no guest code)
paused_domain() {
	cat >"$1.xml" <<-EOF
	<domain type='qemu'>
	  <name>$1</name>
	  <memory unit='MiB'>32</memory>
	  <os><type arch='x86_64' machine='pc'>hvm</type></os>
	  <devices><graphics type='vnc' listen='127.0.0.1' autoport='yes'/></devices>
	</domain>
	EOF
	virsh -q -c "$2" create --paused "$1.xml" >/dev/null
}

test_expect_success 'two private daemons answer on their own socket and loopback port' '
	libvirtd_start a && libvirtd_start b &&
	test "$(virsh -c "$(libvirtd_uri a)" hostname)" = "$(hostname)" &&
	virsh -c "$(libvirtd_tcp_uri b)" version >/dev/null &&
	test "$(libvirtd_tcp_uri a)" != "$(libvirtd_tcp_uri b)" &&
	ss -Hltn "sport = :$(cat "$(libvirtd_dir a)/port")" >listen &&
	test_grep "127.0.0.1:" listen && ! grep -v "127.0.0.1:" listen &&
	test "$(libvirtd_names | tr "\n" " ")" = "a b " &&
	test -z "$(virsh -q -c "$(libvirtd_uri a)" list --all --name)"
'

test_expect_success 'a guest of a killed daemon keeps running; the restarted daemon finds it' '
	paused_domain kiln-t0402-x "$(libvirtd_uri a)" &&
	test "$(libvirtd_domains a)" = kiln-t0402-x &&
	qpid=$(libvirtd_qemu_pids a) && test -n "$qpid" &&
	libvirtd_kill a && ! libvirtd_running a &&
	kill -0 "$qpid" && test -z "$(libvirtd_domains a)" &&
	libvirtd_start a &&
	test "$(libvirtd_domains a)" = kiln-t0402-x &&
	test "$(libvirtd_qemu_pids a)" = "$qpid"
'

test_expect_success 'the audit finds a domain of a private daemon, and its QEMU while the daemon is down' '
	! audit_test 2>err && test_grep "domain kiln-t0402-x on private daemon a" err &&
	libvirtd_kill a &&
	! audit_test 2>err && test_grep "QEMU pid $(libvirtd_qemu_pids a) of private daemon a" err &&
	libvirtd_start a &&
	virsh -q -c "$(libvirtd_uri a)" destroy kiln-t0402-x >/dev/null &&
	audit_test
'

test_expect_success 'the audit finds a volume in a private pool, a process, a held port, temp and half-written files' '
	mkdir pool && virsh -q -c "$(libvirtd_uri b)" pool-create-as p dir --target "$TEST_DIR/pool" >/dev/null &&
	virsh -q -c "$(libvirtd_uri b)" vol-create-as p kiln-t0402-vol 1M >/dev/null &&
	mkdir -p tmp out &&
	TMPDIR=$TEST_DIR/tmp && export TMPDIR && : >tmp/leftover && mkdir tmp/.guestfs-0 &&
	echo "pid 1" >out/.kiln-lock && mkdir out.kiln-new.abc &&
	port=$(test_free_port) &&
	{ (cd "$TEST_DIR" && exec python3 -c "import socket,time; s=socket.socket(); s.bind((\"127.0.0.1\", $port)); s.listen(); time.sleep(600)") & } &&
	pid=$! &&
	i=0 && while ! ss -Hltn "sport = :$port" | grep -q . && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done &&
	! audit_test 2>err &&
	test_grep "volume kiln-t0402-vol in pool p of private daemon b" err &&
	test_grep "process $pid (python3, working directory in the test directory; listening on 127.0.0.1:$port)" err &&
	test_grep "temporary file $TEST_DIR/tmp/leftover" err && ! grep -q guestfs err &&
	test_grep "half-written output $TEST_DIR/out/.kiln-lock" err &&
	test_grep "half-written output $TEST_DIR/out.kiln-new.abc" err &&
	audit_ignore_pid "$pid" && ! audit_test 2>err && ! grep -q "process $pid" err &&
	kill "$pid" && rm -rf tmp/leftover out out.kiln-new.abc &&
	virsh -q -c "$(libvirtd_uri b)" vol-delete kiln-t0402-vol --pool p >/dev/null &&
	virsh -q -c "$(libvirtd_uri b)" pool-destroy p >/dev/null &&
	audit_test
'

test_expect_success 'teardown stops every daemon and kills the guests of one that is down' '
	paused_domain kiln-t0402-y "$(libvirtd_uri b)" && qpid=$(libvirtd_qemu_pids b) &&
	libvirtd_kill b && kill -0 "$qpid" &&
	apid=$(libvirtd_pid a) &&
	libvirtd_teardown a && libvirtd_teardown b &&
	! test_pid_alive "$qpid" && ! test_pid_alive "$apid" &&
	! libvirtd_running a && ! libvirtd_running b &&
	audit_test
'

test_expect_success 'teardown after a restart also stops a daemon its pid file does not name' '
	libvirtd_start c && libvirtd_restart c && cpid=$(libvirtd_pid c) && test -n "$cpid" &&
	rm "$(libvirtd_dir c)/run/libvirtd.pid" && ! libvirtd_running c &&
	libvirtd_teardown c &&
	! test_pid_alive "$cpid" &&
	test -z "$(pgrep -f -- "-f $(libvirtd_dir c)/etc/libvirtd.conf")" &&
	audit_test
'

test_done
