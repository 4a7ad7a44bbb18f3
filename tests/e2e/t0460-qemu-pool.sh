#!/bin/sh
# t0460-qemu-pool — build farms (docs/hosts.md): a pool of three libvirt daemons on this machine — the
# system one (local to kiln: disks by path, the HTTP seed) and two unprivileged session daemons started
# by the test (tests/lib/libvirtd.sh, qemu+tcp://127.0.0.1:PORT/session: remote to kiln, so volumes,
# streams and seeds on CDs), plus a host that cannot be reached — given in a configuration file.
#
# Four tiny-image builds at once (max_builds 1 + 2 + 1: every host takes some): all succeed; the
# base image goes up once to each remote host (the second build there uploads nothing); remote guests
# get their cloud-init seed and http_content on CDs, the local one over HTTP; the daemon of h3 is
# killed while its build waits for SSH and started again: that build runs exactly once more, on another
# host, and what it left on h3 is removed once h3 is back. Then Ctrl-C in the middle of two builds
# stops both and leaves nothing, and `kiln hosts -clean -cache` leaves no volume at all.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
. "$KILN_SRCDIR/tests/lib/libvirtd.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"
qemu_setup

TINY=$(fixture_tiny_image)
SHA=$(sha256sum "$TINY" | cut -d' ' -f1)
XDG_CONFIG_HOME=$TEST_DIR/config
export XDG_CONFIG_HOME
unset KILN_HOSTS KILN_CONFIG

# a session daemon with a persistent directory pool "kiln"
start_host() {
	libvirtd_start_user "$1" &&
	_uri=$(libvirtd_tcp_uri "$1") &&
	virsh -q -c "$_uri" pool-define-as kiln dir --target "$(libvirtd_dir "$1")/pool" >/dev/null &&
	virsh -q -c "$_uri" pool-start kiln >/dev/null &&
	virsh -q -c "$_uri" pool-autostart kiln >/dev/null
}

# wait_line PATTERN FILE PID SECONDS: until FILE has a line matching PATTERN (fails when PID exits first)
wait_line() {
	_i=0
	while ! grep -q -- "$1" "$2" 2>/dev/null; do
		kill -0 "$3" 2>/dev/null || return 1
		_i=$((_i + 1))
		[ $_i -le $(($4 * 5)) ] || return 1
		sleep 0.2
	done
}

# the volumes of pool kiln on HOST, use markers' times shown as T
volumes() {
	virsh -q -c "$(libvirtd_tcp_uri "$1")" vol-list kiln | awk 'NF { print $1 }' | sed 's/\.used-[0-9]*$/.used-T/' | sort
}

test_expect_success 'setup: two session daemons, each with a storage pool; the pool in a config file' '
	start_host h2 &&
	start_host h3 &&
	test "$(ps -o user= -p "$(libvirtd_pid h2)")" = kiln-session &&
	gone=$(test_free_port) &&
	mkdir -p config/kiln &&
	cat >config/kiln/config.hcl <<-EOF &&
	host "local" {
	  uri        = "qemu:///system"
	  max_builds = 1
	}
	host "h2" {
	  uri          = "$(libvirtd_tcp_uri h2)"
	  max_builds   = 2
	  storage_pool = "kiln"
	}
	host "h3" {
	  uri          = "$(libvirtd_tcp_uri h3)"
	  max_builds   = 1
	  storage_pool = "kiln"
	}
	host "gone" {
	  uri = "qemu+tcp://127.0.0.1:$gone/session"
	}
	EOF
	"$KILN" hosts >hosts.txt 2>&1 &&
	test_grep "h2" hosts.txt &&
	test_grep "state:        up" hosts.txt &&
	test_grep "state:        cannot be reached" hosts.txt &&
	cat >pool.pkr.hcl <<-EOF
	variable "out" {
	  default = "out"
	}
	source "qemu" "tiny" {
	  iso_url          = "$TINY"
	  iso_checksum     = "none"
	  disk_image       = true
	  accelerator      = "tcg"
	  sanitize         = false
	  memory           = 256
	  disk_size        = "256M"
	  ssh_username     = "root"
	  cloud_init       = true
	  cloud_init_seed  = "net"
	  http_content     = { "/hello.txt" = "hello from the seed" }
	  shutdown_command = "poweroff"
	}
	build {
	  source "source.qemu.tiny" {
	    name             = "a"
	    output_directory = "\${var.out}-a"
	  }
	  source "source.qemu.tiny" {
	    name             = "b"
	    output_directory = "\${var.out}-b"
	  }
	  source "source.qemu.tiny" {
	    name             = "c"
	    output_directory = "\${var.out}-c"
	  }
	  source "source.qemu.tiny" {
	    name             = "d"
	    output_directory = "\${var.out}-d"
	  }
	  provisioner "shell" {
	    inline = ["if d=\$(findfs LABEL=http); then mount -r \$d /mnt && cat /mnt/hello.txt; else wget -q -O - http://\$PACKER_HTTP_ADDR/hello.txt; fi"]
	  }
	}
	EOF
'

test_expect_success 'four builds over the pool; h3 dies during one and comes back' '
	{ KILN_LOG=1 KILN_LOG_PATH=kiln.log "$KILN" build pool.pkr.hcl >out 2>&1; echo $? >rc; } &
	job=$! &&
	wait_line "@h3: Waiting for the VM to boot" out $job 600 &&
	libvirtd_kill h3 &&
	sleep 2 &&
	libvirtd_start h3 &&
	wait $job &&
	{ test "$(cat rc)" = 0 || { cat out; false; }; } &&
	test_grep "Host gone (qemu+tcp://127.0.0.1:[0-9]*/session) cannot be reached" out &&
	test "$(grep -c "^Build .* finished after" out)" = 4 &&
	! grep -q "errored after" out
'

# local is the system daemon, which other tests share: builds of their kiln processes there count
# against its max_builds, so it takes one of ours at once only when the first probe saw none of theirs.
test_expect_success 'the builds spread over the hosts (h2, with room for two, took two)' '
	others=$(sed -n "s/.*pool: local (qemu:\/\/\/system): .*, \([0-9]*\) builds of other kiln processes.*/\1/p" kiln.log) &&
	test -n "$others" &&
	if test "$others" = 0; then
		test "$(grep -c "Running on host local " out)" -ge 1
	fi &&
	test "$(grep -c "Running on host h2 " out)" -ge 2 &&
	test "$(grep -c "Running on host h3 " out)" -ge 1 &&
	! grep -q "Running on host gone" out &&
	test_grep "^--> qemu.a: VM files in directory: out-a (built on " out
'

test_expect_success 'the base image went up once to each remote host: the second build there uploaded none' '
	for h in h2 h3; do
		port=$(cat "$(libvirtd_dir $h)/port") &&
		grep "libvirt: uploaded [0-9]* bytes of $TINY to volume kiln-sha256-$SHA in pool kiln on qemu+tcp://127.0.0.1:$port/" kiln.log >up.$h &&
		test "$(wc -l <up.$h)" = 1 || exit 1
	done &&
	test_grep "@h2: Using the image cached on h2 (kiln-sha256-$SHA)" out
'

# Each remote build logged in with a temporary key that only its seed carried; the serial logs say
# where each guest found it (a line the kernel's own messages may split, so one of them suffices).
test_expect_success 'remote guests got their seeds on CDs, the local one over HTTP' '
	{
		test "$(grep -c "its cloud-init seed goes on a CD (label cidata)" out)" -ge 3 &&
		test "$(grep -c ": hello from the seed\$" out)" = 4 &&
		grep -l "tiny: seed keys from cidata" out-?/*-serial.log >cd-seeded &&
		if grep -q "Running on host local " out; then
			test_grep "@local: HTTP seed: 127.0.0.1 fetched /user-data" out &&
			grep -l "tiny: seed keys from http://10.0.2.2" out-?/*-serial.log
		fi
	} || { grep -H "seed keys" out-?/*-serial.log; grep "seed\|hello" out; wc -c out-?/*-serial.log; false; }
'

test_expect_success 'the build h3 lost ran exactly once more, elsewhere; h3 was cleaned when it came back' '
	test "$(grep -c "Retrying the build once on another host" out)" = 1 &&
	test_grep "@h3: Host h3 was lost during the build: .*the connection to libvirt at qemu+tcp://127.0.0.1:[0-9]*/session was lost" out &&
	test_grep "^Build .* finished after .* on \(local\|h2\) (after h3 was lost)\.\$" out &&
	test_grep "Host h3: removed what the lost build left: .*volume kiln-packer-" out &&
	test -z "$(libvirtd_qemu_pids h3)"
'

test_expect_success 'no domain and no temporary volume is left on any host; the cache stays' '
	qemu_no_test_domains &&
	test -z "$(libvirtd_domains h2)$(libvirtd_domains h3)" &&
	printf "%s\n" "kiln-sha256-$SHA" "kiln-sha256-$SHA.used-T" >expect &&
	volumes h2 >vols.h2 && test_cmp expect vols.h2 &&
	volumes h3 >vols.h3 && test_cmp expect vols.h3
'

test_expect_success 'Ctrl-C stops the builds on every host and leaves nothing but the cache' '
	{ "$KILN" build -var out=int -only "qemu.a,qemu.b" -hosts=h2,h3 pool.pkr.hcl >int.txt 2>&1; echo $? >rc2; } &
	job=$! &&
	wait_line "@h2: Waiting for the VM to boot" int.txt $job 600 &&
	wait_line "@h3: Waiting for the VM to boot" int.txt $job 600 &&
	kill -INT $(pgrep -P $job -x kiln) &&
	wait $job &&
	test "$(cat rc2)" = 130 &&
	test_grep "Cleanly cancelled builds after being interrupted" int.txt &&
	! test -e int-a && ! test -e int-b &&
	test -z "$(libvirtd_domains h2)$(libvirtd_domains h3)" &&
	volumes h2 >vols.h2 && test_cmp expect vols.h2 &&
	volumes h3 >vols.h3 && test_cmp expect vols.h3
'

test_expect_success 'kiln hosts shows the cache; -clean -cache removes it' '
	"$KILN" hosts -hosts=h2,h3 >hosts.txt 2>&1 &&
	test "$(grep -c "image cache:  1 image, 26" hosts.txt)" = 2 &&
	"$KILN" hosts -clean -cache -hosts=h2,h3 >clean.txt 2>&1 &&
	test_grep "h2: removed volume kiln-sha256-$SHA" clean.txt &&
	test_grep "h3: removed volume kiln-sha256-$SHA" clean.txt &&
	test -z "$(volumes h2)$(volumes h3)"
'

test_expect_success 'nothing is left behind' 'audit_test'

test_done
