#!/bin/sh
# t0450-qemu-remote — a build on a "remote" hypervisor: libvirt_uri = qemu+ssh://root@127.0.0.1:PORT/system
# through a private sshd on loopback, so kiln cannot assume the hypervisor sees its files. The base image
# goes up as a volume of a scratch storage pool, the serial console is streamed back, the guest's SSH
# port is forwarded on the "remote" host, the disk comes back down after shutdown, and every volume kiln
# created is deleted but the cached base image (qemu/volcache.h), which `kiln hosts -clean -cache`
# removes.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
qemu_setup

TINY=$(fixture_tiny_image)
KEY=$(fixture_tiny_key)
POOL=kiln-t0450-$$

test_expect_success 'setup: sshd on loopback and a scratch storage pool' '
	mkdir -p sshd pool /run/sshd &&
	# on the "remote" side QEMU runs as libvirt'"'"'s qemu user, which must reach the pool
	chmod 0755 "$TEST_DIR" &&
	ssh-keygen -q -t ed25519 -N "" -f sshd/host_key &&
	ssh-keygen -q -t ed25519 -N "" -f sshd/client_key &&
	SSHD_PORT=$(test_free_port) &&
	echo "$SSHD_PORT" >sshd/port &&
	cat >sshd/config <<-EOF &&
	Port $SSHD_PORT
	ListenAddress 127.0.0.1
	HostKey $TEST_DIR/sshd/host_key
	PermitRootLogin prohibit-password
	AuthorizedKeysFile $TEST_DIR/sshd/client_key.pub
	PidFile $TEST_DIR/sshd/pid
	StrictModes no
	EOF
	/usr/sbin/sshd -f sshd/config &&
	test_atexit "kill \$(cat $TEST_DIR/sshd/pid) 2>/dev/null" &&
	virsh -c qemu:///system pool-create-as "$POOL" dir --target "$TEST_DIR/pool" >/dev/null &&
	test_atexit "virsh -c qemu:///system pool-destroy $POOL >/dev/null 2>&1" &&
	virsh -c "qemu+ssh://root@127.0.0.1:$SSHD_PORT/system?keyfile=$TEST_DIR/sshd/client_key&no_verify=1" version >/dev/null
'

test_expect_success 'the tiny image builds on the remote hypervisor' '
	port=$(cat sshd/port) &&
	cat >remote.pkr.hcl <<-EOF &&
	source "qemu" "remote" {
	  iso_url              = "$TINY"
	  iso_checksum         = "none"
	  disk_image           = true
	  accelerator          = "tcg"
	  sanitize             = false
	  memory               = 256
	  disk_size            = "256M"
	  libvirt_uri          = "qemu+ssh://root@127.0.0.1:$port/system?keyfile=$TEST_DIR/sshd/client_key&no_verify=1"
	  libvirt_pool         = "$POOL"
	  ssh_username         = "root"
	  ssh_private_key_file = "$KEY"
	  shutdown_command     = "poweroff"
	  output_directory     = "out"
	}
	build {
	  sources = ["source.qemu.remote"]
	  provisioner "shell" { inline = ["echo remote > /root/where"] }
	}
	EOF
	"$KILN" build remote.pkr.hcl >out.txt 2>&1 || { cat out.txt; false; } &&
	test_grep "Uploading .* to pool $POOL" out.txt &&
	test_grep "Downloading the disk from 127.0.0.1" out.txt &&
	qemu-img check out/packer-remote &&
	! qemu-img info out/packer-remote | grep -q "backing file" &&
	test_grep "tiny: up" out/packer-remote-serial.log &&
	sha=$(sha256sum "$TINY" | cut -d" " -f1) &&
	virsh -c qemu:///system vol-list "$POOL" | awk "NR > 2 && NF { print \$1 }" | sed "s/\.used-[0-9]*\$/.used-T/" >vols &&
	printf "%s\n" "kiln-sha256-$sha" "kiln-sha256-$sha.used-T" >expect &&
	test_cmp expect vols &&
	qemu_no_test_domains
'

test_expect_success 'kiln hosts -clean -cache removes the cached image' '
	port=$(cat sshd/port) &&
	uri="qemu+ssh://root@127.0.0.1:$port/system?keyfile=$TEST_DIR/sshd/client_key&no_verify=1" &&
	"$KILN" hosts -hosts="$uri" >hosts.txt 2>&1 &&
	test_grep "image cache:  1 image, 26" hosts.txt &&
	"$KILN" hosts -clean -cache -hosts="$uri" >clean.txt 2>&1 &&
	test_grep "removed volume kiln-sha256-" clean.txt &&
	test -z "$(virsh -c qemu:///system vol-list "$POOL" | sed -n "3,\$p" | grep -v "^ *\$")"
'

test_done
