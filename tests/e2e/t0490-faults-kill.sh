#!/bin/sh
# t0490-faults-kill — kiln killed with SIGKILL at each stage of a build (downloading, booting,
# provisioning, sanitizing, exporting), each time followed by a normal build without -force that takes
# the half-written output directory over; the last one succeeds, and nothing is left: no domain (libvirt
# destroys it with kiln's connection), no subprocess (they die with kiln), no temporary directory (the
# next kiln removes a dead one's), no half-written file. A live build's directory is refused even with
# -force; -force keeps the previous output when the new build fails (a bad checksum, as Packer 1.6.6
# does) and replaces it only with a complete one.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"
. "$KILN_SRCDIR/tests/lib/faults.sh"
qemu_setup

TINY=$(fixture_tiny_image)
SUM=$(sha256sum "$TINY" | cut -d" " -f1)

# t.pkr.hcl: the tiny image over HTTP with its checksum; -var stall=provision makes the provisioner wait,
# -var sanitize=true runs libguestfs (minutes under TCG on a loaded machine: only where the test needs it)
write_template() {
	{
		echo 'variable "stall" { default = "" }'
		echo 'variable "sanitize" { default = false }'
		FAULTS_BASE=$(cat http/url) FAULTS_CHECKSUM=sha256:$SUM FAULTS_BACKING=false faults_source tiny out \
			"sanitize = var.sanitize"
		cat <<-'EOF'
		build {
		  sources = ["source.qemu.tiny"]
		  provisioner "shell" {
		    inline = ["echo provisioning", var.stall == "provision" ? "sleep 600" : "true", "echo built > /root/built"]
		  }
		}
		EOF
	} >t.pkr.hcl
}

takes_over() {
	test_grep "Output directory out was left half written by kiln pid $1 on host .*, which is gone: taking it over" "$2"
}

test_expect_success 'SIGKILL while downloading: the output directory is locked, the download partial' '
	faults_serve "$TINY" http && write_template &&
	faults_build a.out t.pkr.hcl &&
	echo "$FAULTS_PID" >a.pid &&
	i=0 && while [ -z "$(find cache -name "*.part" -size +1M 2>/dev/null)" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done &&
	test -n "$(find cache -name "*.part" -size +1M)" &&
	faults_kill9 &&
	test_grep "^pid=$(cat a.pid)$" out/.kiln-lock
'

test_expect_success 'SIGKILL while booting: the next build resumed the download and took the directory over' '
	faults_build b.out t.pkr.hcl && echo "$FAULTS_PID" >b.pid &&
	faults_wait b.out "Starting VM" &&
	test -n "$(qemu_test_domains)" &&
	faults_kill9 &&
	takes_over "$(cat a.pid)" b.out &&
	test_grep "range=2097152-" http/port.log &&
	i=0 && while [ -n "$(qemu_test_domains)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	qemu_no_test_domains
'

test_expect_success 'SIGKILL while provisioning; meanwhile -force does not take the live build'"'"'s directory' '
	faults_build c.out -var stall=provision t.pkr.hcl && echo "$FAULTS_PID" >c.pid &&
	faults_wait c.out "qemu.tiny: provisioning" &&
	takes_over "$(cat b.pid)" c.out &&
	test_expect_code 1 "$KILN" build -force t.pkr.hcl >live.out 2>&1 &&
	test_grep "output directory out is being written by kiln pid $(cat c.pid) on host" live.out &&
	test_grep "does not take a directory from a running build" live.out &&
	faults_kill9
'

test_expect_success 'SIGKILL while sanitizing (the libguestfs appliance dies with kiln)' '
	faults_build d.out -var sanitize=true t.pkr.hcl && echo "$FAULTS_PID" >d.pid &&
	faults_wait d.out "Sanitizing the disk" &&
	sleep 2 &&
	faults_kill9 &&
	takes_over "$(cat c.pid)" d.out &&
	i=0 && while pgrep -f "$TEST_DIR/out/packer-tiny" >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	! pgrep -f "$TEST_DIR/out/packer-tiny"
'

test_expect_success 'SIGKILL while exporting: qemu-img dies with kiln, the half-written export stays in the locked directory' '
	faults_qemu_img_shim shim "kiln-tmp" &&
	PATH=$TEST_DIR/shim:$PATH faults_build e.out t.pkr.hcl && echo "$FAULTS_PID" >e.pid &&
	faults_wait_file e.out shim/pid &&
	ls -a out | grep -q "kiln-tmp" &&
	faults_kill9 &&
	takes_over "$(cat d.pid)" e.out &&
	i=0 && while test_pid_alive "$(cat shim/pid)" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done &&
	! test_pid_alive "$(cat shim/pid)"
'

test_expect_success 'then a normal build, without -force, takes over and succeeds; nothing of the killed ones is left' '
	ls -A "$TMPDIR" | grep "^kiln-run\." >roots.before &&
	test -s roots.before &&
	"$KILN" build -var sanitize=true t.pkr.hcl >f.out 2>&1 || { cat f.out; false; } &&
	takes_over "$(cat e.pid)" f.out &&
	test_grep "Using cached" f.out &&
	qemu-img check -q out/packer-tiny &&
	! test -e out/.kiln-lock &&
	! ls -A "$TMPDIR" | grep "^kiln-run\." &&
	audit_test
'

test_expect_success '-force with a bad checksum fails before touching the previous output (Packer 1.6.6 keeps it too)' '
	sha256sum out/packer-tiny >before.sum &&
	sed "s|sha256:$SUM|sha256:$(echo x | sha256sum | cut -d" " -f1)|" t.pkr.hcl >bad.pkr.hcl &&
	test_expect_code 1 "$KILN" build -force bad.pkr.hcl >bad.out 2>&1 &&
	faults_one_error bad.out >err.line &&
	test_grep "step \"download\": checksum mismatch" err.line &&
	sha256sum -c before.sum &&
	! ls -d out.kiln-* 2>/dev/null &&
	audit_test
'

test_expect_success '-force replaces the output only with a complete one' '
	echo old >out/marker &&
	"$KILN" build -force -machine-readable t.pkr.hcl >force.out 2>&1 || { cat force.out; false; } &&
	test_grep "Output directory out exists: building beside it" force.out &&
	test_grep "Replacing the previous output directory" force.out &&
	! test -e out/marker &&
	qemu-img check -q out/packer-tiny &&
	test_grep "artifact,0,file,0,$TEST_DIR/out/packer-tiny$" force.out &&
	! ls -d out.kiln-* 2>/dev/null &&
	audit_test
'

test_done
