#!/bin/sh
# t0492-faults-libvirtd — libvirt going away mid-build, on a private libvirtd (tests/lib/libvirtd.sh: the
# system daemon is everyone's and is never stopped). A daemon that crashes (SIGKILL) keeps its guests:
# kiln says it lost the connection, reconnects when the daemon is back, finds the VM still running and
# carries on — while waiting for SSH and again while provisioning — and the build succeeds. A daemon
# that stops normally destroys the VM kiln started (it is tied to kiln's connection, so that a killed
# kiln leaves none): kiln says the VM is gone once the daemon is back, and cleans up. A daemon that does
# not come back within libvirt_reconnect_timeout ends the build with the URI and what to check.
# On the way, what a running build exposes: the VNC display's password is shown once and never logged,
# the build's CD is a 0600 file in a 0700 directory, and the HTTP seed stops before the shutdown.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"
. "$KILN_SRCDIR/tests/lib/faults.sh"
. "$KILN_SRCDIR/tests/lib/libvirtd.sh"
qemu_setup

# t.pkr.hcl on the private daemon; its provisioner waits at the gate (faults_gate_open gate)
write_template() {
	mkdir -p gate && rm -f gate/go &&
	{
		faults_source tiny out "sanitize = false" "libvirt_uri = \"$(libvirtd_uri lv)\"" \
			"libvirt_reconnect_timeout = \"$1\"" "http_directory = \"gate\"" "vnc_use_password = true" \
			"cd_content = { \"note.txt\" = \"for the build only\" }"
		cat <<-EOF
		build {
		  sources = ["source.qemu.tiny"]
		  provisioner "shell" {
		    inline = ["echo provisioning", "$FAULTS_GATE_WAIT", "echo past the gate"]
		  }
		}
		EOF
	} >t.pkr.hcl
}

# wait until kiln has reconnected N times in all
reconnected() {
	i=0
	while [ "$(grep -c "Reconnected to libvirt at" "$1")" -lt "$2" ] && kill -0 "$FAULTS_PID" 2>/dev/null && [ $i -lt 900 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	test "$(grep -c "Reconnected to libvirt at" "$1")" -ge "$2"
}

test_expect_success 'setup: a private libvirtd' '
	libvirtd_start lv
'

test_expect_success 'libvirtd crashes while kiln waits for SSH and again while it provisions: kiln reconnects, the build succeeds' '
	write_template 60s &&
	faults_build crash.out t.pkr.hcl &&
	faults_wait crash.out "Waiting for the VM to boot and start SSH" &&
	libvirtd_kill lv && sleep 1 && libvirtd_start lv &&
	reconnected crash.out 1 &&
	faults_wait crash.out "qemu.tiny: provisioning" &&
	cd=$(find "$TMPDIR" -name "packer-tiny-cd.iso") && test -n "$cd" &&
	test "$(stat -c %a "$cd")" = 600 && test "$(stat -c %a "$(dirname "$cd")")" = 700 &&
	libvirtd_kill lv && sleep 1 && libvirtd_start lv &&
	reconnected crash.out 2 &&
	faults_gate_open gate &&
	faults_finish &&
	{ test "$FAULTS_RC" = 0 || { cat crash.out; false; }; } &&
	test "$(grep -c "Lost the connection to libvirt at $(libvirtd_uri lv) (.*): waiting up to 1m0s for it to come back" crash.out)" = 2 &&
	test "$(grep -c "VM kiln-packer-tiny-[0-9a-f]* is still running: carrying on" crash.out)" = 2 &&
	test_grep "past the gate" crash.out &&
	pw=$(sed -n "s/.*connect via VNC with the password \"\([^\"]*\)\" to vnc:.*/\1/p" crash.out) &&
	test "${#pw}" = 8 &&
	test_grep "passwd=.\*\*\*\*\*\*\*\*." crash.out.log && ! grep -q "passwd=.$pw" crash.out.log &&
	sed -n "/HTTP seed server stopped before the shutdown/,\$p" crash.out.log | grep -q "ssh: exec poweroff" &&
	qemu-img check -q out/packer-tiny &&
	test -z "$(libvirtd_domains lv)" &&
	audit_test
'

test_expect_success 'libvirtd stops normally while kiln waits for SSH: the VM went with it, kiln says so and cleans up' '
	rm -rf out && write_template 60s &&
	faults_build stop.out t.pkr.hcl &&
	faults_wait stop.out "Waiting for the VM to boot and start SSH" &&
	t0=$(date +%s) && libvirtd_stop lv && t1=$(date +%s) && sleep 1 && libvirtd_start lv &&
	echo "libvirtd stopped in $((t1 - t0)) s, answered again after $(($(date +%s) - t0)) s" &&
	faults_finish && test "$FAULTS_RC" = 1 &&
	{ test_grep "Reconnected to libvirt at" stop.out || { grep -i "libvirt\|reconnect" stop.out.log | tail -n 40; false; }; } &&
	faults_one_error stop.out >err.line &&
	test_grep "^--> qemu.tiny: step \"wait for SSH\": the VM kiln-packer-tiny-[0-9a-f]* is gone: the connection to libvirt at $(libvirtd_uri lv) was lost, and when it came back the VM no longer existed" err.line &&
	test_grep "hint: a libvirtd that stops normally destroys the VMs kiln starts" stop.out &&
	! test -e out &&
	test -z "$(libvirtd_domains lv)" &&
	audit_test
'

test_expect_success 'libvirtd stops during a provisioner and does not come back: the build ends naming the URI' '
	write_template 5s &&
	faults_build gone.out t.pkr.hcl &&
	faults_wait gone.out "qemu.tiny: provisioning" &&
	libvirtd_stop lv &&
	faults_finish && test "$FAULTS_RC" = 1 &&
	faults_one_error gone.out >err.line &&
	test_grep "^--> qemu.tiny: step \"provision\": provisioner \"shell\" at t.pkr.hcl:[0-9:]*: lost the connection to libvirt at $(libvirtd_uri lv) (.*), and it did not come back within 5s (libvirt_reconnect_timeout)" err.line &&
	test_grep "hint: is libvirtd on .* running?" gone.out &&
	! test -e out &&
	libvirtd_start lv &&
	test -z "$(libvirtd_domains lv)" &&
	audit_test
'

test_done
