#!/bin/sh
# t0466-checkpoints-debian — checkpoints on the Debian cloud-image stand-in, where what the tiny image
# cannot show happens: cloud-init authorizes the build's temporary key, so a build that starts from a
# checkpoint must log in with the key that checkpoint's guest knows (kept with it, 0600); the guest is
# restored from its memory (seconds, not the minute a Debian boot takes under TCG), its clock set to
# now through passwordless sudo, and only the edited last provisioner runs. Then -resume on the same
# guest: three provisioners (the first two different from the -cache ones, so they run, from the
# checkpoint taken after boot), the third fails; fixed, -resume runs only the third, and the image
# holds all three results.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"
qemu_setup

DEBIAN=$(fixture_debian_image)
XDG_CACHE_HOME=$TEST_DIR/xdg
export XDG_CACHE_HOME
STORE=$XDG_CACHE_HOME/kiln/checkpoints
test_atexit '"$KILN" cache clear'

# the source block every template here shares (the same source: the same checkpoint keys)
source_deb() {
	cat <<-EOF
	source "qemu" "deb" {
	  iso_url          = "$DEBIAN"
	  iso_checksum     = "none"
	  disk_image       = true
	  accelerator      = "tcg"
	  memory           = 1024
	  cpus             = 2
	  cloud_init       = true
	  ssh_username     = "debian"
	  ssh_timeout      = "20m"
	  shutdown_command = "sudo poweroff"
	  output_directory = "out"
	  vm_name          = "debian.qcow2"
	  sanitize         = false
	}
	EOF
}

# debian LAST: the template, its last provisioner's command LAST
debian() {
	source_deb
	cat <<-EOF
	build {
	  sources = ["source.qemu.deb"]
	  provisioner "shell" {
	    inline = ["echo provisioned | sudo tee /etc/kiln-one", "echo RAN-ONE"]
	  }
	  provisioner "shell" {
	    inline = ["$1", "cat /etc/kiln-one", "date -u +guest-time=%s"]
	  }
	}
	EOF
}

# resume THIRD: three provisioners, each leaving a file; the third's last command THIRD
resume() {
	source_deb
	cat <<-EOF
	build {
	  sources = ["source.qemu.deb"]
	  provisioner "shell" {
	    inline = ["echo first | sudo tee /etc/kiln-r1", "echo RAN-R1"]
	  }
	  provisioner "shell" {
	    inline = ["echo second | sudo tee /etc/kiln-r2", "echo RAN-R2"]
	  }
	  provisioner "shell" {
	    inline = ["echo third | sudo tee /etc/kiln-r3", "$1"]
	  }
	}
	EOF
}

test_expect_success 'a -cache build with a temporary key keeps that key with its checkpoints' '
	debian "echo last-a" >deb.pkr.hcl &&
	"$KILN" build -cache deb.pkr.hcl >d1.txt 2>&1 || { cat d1.txt; false; } &&
	test_grep "Creating temporary SSH key" d1.txt &&
	test "$(grep -c "Checkpoint after .* saved (.*with memory" d1.txt)" = 2 &&
	test "$(grep -c "Checkpoint after provisioner 2 .* and the shutdown saved (.*the final disk" d1.txt)" = 1 &&
	for k in "$STORE"/entries/*/ssh_key; do
		test "$(stat -c %a "$k")" = 600 || return 1
	done &&
	test "$(ls "$STORE"/entries/*/ssh_key | wc -l)" = 3 &&
	audit_test
'

test_expect_success 'editing the last provisioner: the guest is restored from memory with its key and clock' '
	debian "echo last-b" >deb.pkr.hcl &&
	"$KILN" build -cache -force -machine-readable deb.pkr.hcl >d2.txt 2>&1 || { cat d2.txt; false; } &&
	test_grep "Starting from the checkpoint after provisioner 1" d2.txt &&
	test_grep "Using the checkpoint.s temporary SSH key" d2.txt &&
	test_grep "Restored VM .* from the checkpoint.s memory" d2.txt &&
	test_grep "Set the restored guest.s clock forward" d2.txt &&
	! test_grep "RAN-ONE" d2.txt &&
	test_grep "last-b" d2.txt &&
	test_grep "provisioned" d2.txt &&
	# the guest printed its clock: it agrees with the host'"'"'s time stamp of that line
	line=$(grep "guest-time=" d2.txt | head -n 1) &&
	host=${line%%,*} &&
	guest=$(echo "$line" | sed -n "s/.*guest-time=\([0-9]*\).*/\1/p") &&
	test -n "$guest" &&
	test $(( host - guest )) -le 5 && test $(( guest - host )) -le 5 &&
	qemu-img check out/debian.qcow2 &&
	audit_test &&
	test -z "$(ls -A "$STORE/work")"
'

test_expect_success '-resume: the third provisioner fails, the checkpoints after the first two stay' '
	rm -rf out &&
	resume "exit 7" >res.pkr.hcl &&
	test_expect_code 1 "$KILN" build -resume res.pkr.hcl >r1.txt 2>&1 &&
	test_grep "Starting from the checkpoint taken after boot" r1.txt &&
	test_grep "Restored VM .* from the checkpoint.s memory" r1.txt &&
	test_grep "RAN-R1" r1.txt &&
	test_grep "RAN-R2" r1.txt &&
	test_grep "Checkpoint after provisioner 2 \"shell\" .* saved (.*with memory" r1.txt &&
	! test_grep "Checkpoint after provisioner 3" r1.txt &&
	test_grep "Checkpoints are kept" r1.txt &&
	test "$("$KILN" cache list -machine-readable | awk -F, "\$3 == \"checkpoint\" && \$12 == \"resume\"" | wc -l)" = 2 &&
	! test -e out/debian.qcow2 &&
	audit_test &&
	test -z "$(ls -A "$STORE/work")"
'

test_expect_success '-resume after the fix runs only the third; the image holds all three results' '
	resume "cat /etc/kiln-r1 /etc/kiln-r2" >res.pkr.hcl &&
	"$KILN" build -resume res.pkr.hcl >r2.txt 2>&1 || { cat r2.txt; false; } &&
	test_grep "Starting from the checkpoint after provisioner 2 \"shell\"" r2.txt &&
	test_grep "Restored VM .* from the checkpoint.s memory" r2.txt &&
	test_grep "Skipping provisioner 1 \"shell\"" r2.txt &&
	test_grep "Skipping provisioner 2 \"shell\"" r2.txt &&
	! test_grep "RAN-R1" r2.txt &&
	! test_grep "RAN-R2" r2.txt &&
	test_grep "Removed the 3 checkpoints kept for -resume" r2.txt &&
	LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg \
		guestfish --ro -a out/debian.qcow2 -i >state 2>guestfish.err <<-\EOF &&
	cat /etc/kiln-r1
	cat /etc/kiln-r2
	cat /etc/kiln-r3
	EOF
	printf "first\nsecond\nthird\n" >expect &&
	grep -v "^\$" state >lines &&
	test_cmp expect lines &&
	audit_test &&
	test -z "$(ls -A "$STORE/work")"
'

test_done
