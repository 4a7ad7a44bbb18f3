#!/bin/sh
# mk-fake-guest.sh OUT.qcow2 TEMP_KEY.pub USER_KEY.pub — a small disk that libguestfs inspects as
# Debian 12 and that carries everything sanitize must remove: host keys, a machine-id, cloud-init
# instance state, logs (live, rotated, journal), a build user "packer" created for the build (passwd,
# shadow, group, sudoers drop-in, home with the temporary key), its host name (/etc/hostname, /etc/hosts,
# an ifcfg file), the temporary key in another user's
# authorized_keys beside a key that must stay, shell history, temp files, DHCP leases, caches...
#
# No appliance launch: the filesystem is made from a directory with `mke2fs -d` (e2fsprogs), so the
# whole thing takes a fraction of a second. The guest cannot boot (no kernel); it is for sanitize and
# inspection tests. Real boots use tests/fixtures/mk-debian-image.
set -eu
out=$1
tempkey=$(cat "$2")
userkey=$(cat "$3")
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-fake-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT
r=$work/root

d() { for x in "$@"; do mkdir -p "$r/$x"; done; }
f() { mkdir -p "$(dirname "$r/$1")"; printf '%s\n' "$2" >"$r/$1"; }

d bin sbin usr/bin usr/sbin lib boot dev proc sys run tmp var/tmp var/log/apt var/log/journal/0123456789abcdef0123456789abcdef \
	var/lib/dbus var/lib/cloud/instances/iid-build/sem var/lib/cloud/data var/lib/cloud/seed/nocloud \
	var/lib/dhcp var/lib/systemd var/cache/apt/archives/partial var/mail var/spool/cron/crontabs var/crash \
	var/lib/dpkg etc/ssh etc/sudoers.d etc/udev/rules.d root/.ssh home/packer/.ssh home/debian/.ssh
ln -s /run "$r/var/run"

f etc/os-release 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian'
f etc/debian_version '12.7'
f etc/hostname 'kiln-build'
f etc/hosts '127.0.0.1 localhost
127.0.1.1 kiln-build.example.com kiln-build
::1 localhost ip6-localhost'
f etc/sysconfig/network-scripts/ifcfg-eth0 'DEVICE=eth0
HWADDR=52:54:00:12:34:56
HOSTNAME=kiln-build
DHCP_HOSTNAME="kiln-build"
ONBOOT=yes'
f etc/fstab 'LABEL=kiln-root / ext4 defaults 0 1'
f etc/login.defs 'UID_MIN 1000
UID_MAX 60000'
f etc/passwd 'root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
debian:x:1000:1000:Debian:/home/debian:/bin/bash
packer:x:1001:1001::/home/packer:/bin/bash'
f etc/shadow 'root:*:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
debian:!:19000:0:99999:7:::
packer:!:19000:0:99999:7:::'
f etc/group 'root:x:0:
sudo:x:27:debian,packer
adm:x:4:packer
debian:x:1000:
packer:x:1001:'
f etc/gshadow 'root:*::
sudo:*::debian,packer
adm:*:packer:packer
debian:!::
packer:!::'
f etc/passwd- 'packer:x:1001:1001::/home/packer:/bin/bash'
f etc/shadow- 'packer:!:19000:0:99999:7:::'
f etc/sudoers 'Defaults env_reset
root ALL=(ALL:ALL) ALL
%sudo ALL=(ALL:ALL) ALL
@includedir /etc/sudoers.d'
f etc/sudoers.d/90-cloud-init-users '# Created by cloud-init v. 22.4.2 on Mon, 01 Jan 2024 00:00:00 +0000

# User rules for packer
packer ALL=(ALL) NOPASSWD:ALL'
f etc/sudoers.d/README '# Files in this directory are read by sudo.'
f etc/machine-id '0123456789abcdef0123456789abcdef'
ln -s /etc/machine-id "$r/var/lib/dbus/machine-id"
for t in rsa ecdsa ed25519; do
	f etc/ssh/ssh_host_${t}_key "PRIVATE $t"
	f etc/ssh/ssh_host_${t}_key.pub "PUBLIC $t"
done
f etc/ssh/sshd_config 'PermitRootLogin prohibit-password'
f etc/udev/rules.d/70-persistent-net.rules 'SUBSYSTEM=="net", ATTR{address}=="52:54:00:12:34:56", NAME="eth0"'
f root/.ssh/authorized_keys "$userkey"
f root/.bash_history 'ls /root'
f home/packer/.ssh/authorized_keys "$tempkey"
f home/packer/.bash_history 'sudo apt-get install -y nginx'
f home/debian/.ssh/authorized_keys "$tempkey
$userkey"
f home/debian/.bash_history 'history'
f var/lib/cloud/instances/iid-build/user-data.txt '#cloud-config'
f var/lib/cloud/instances/iid-build/sem/config_ssh 'done'
ln -s /var/lib/cloud/instances/iid-build "$r/var/lib/cloud/instance"
f var/lib/cloud/data/instance-id 'iid-build'
f var/lib/cloud/seed/nocloud/meta-data 'instance-id: baked-in'
f var/log/syslog 'Jan  1 00:00:00 kiln-build kernel: booted'
f var/log/auth.log 'Accepted publickey for packer'
f var/log/syslog.1 'older'
printf 'gzipped\n' | gzip >"$r/var/log/dpkg.log.2.gz"
f var/log/apt/history.log 'Start-Date: 2024-01-01'
f var/log/cloud-init.log '2024-01-01 00:00:00,000 - distros[DEBUG]: Adding user packer
2024-01-01 00:00:00,001 - distros[INFO]: User debian already exists, skipping.'
f var/log/cloud-init-output.log 'cloud-init output'
f var/log/journal/0123456789abcdef0123456789abcdef/system.journal 'journal'
: >"$r/var/log/empty.log"
f tmp/build-script.sh 'echo provisioning'
f tmp/.hidden 'x'
f var/tmp/cache.dat 'y'
f var/lib/dhcp/dhclient.eth0.leases 'lease { fixed-address 10.0.2.15; }'
f var/cache/apt/archives/nginx_1.22.1-9_amd64.deb 'deb'
f var/cache/apt/pkgcache.bin 'bin'
f var/lib/systemd/random-seed 'seed'
f run/utmp 'utmp'
f var/mail/packer 'mail for packer'
f var/spool/cron/crontabs/packer '* * * * * true'
f var/crash/core.1 'core'
f boot/vmlinuz-6.1.0-99-cloud-amd64 'not a kernel'
f var/lib/dpkg/status 'Package: openssh-server
Status: install ok installed
Architecture: amd64
Version: 1:9.2p1-2+deb12u3

Package: cloud-init
Status: install ok installed
Architecture: all
Version: 22.4.2-1

Package: linux-image-6.1.0-99-cloud-amd64
Status: install ok installed
Architecture: amd64
Version: 6.1.99-1
'
chmod 0640 "$r/etc/shadow" "$r/etc/gshadow"
chmod 0440 "$r/etc/sudoers" "$r/etc/sudoers.d/90-cloud-init-users"
chmod 0700 "$r/root/.ssh" "$r/home/packer/.ssh" "$r/home/debian/.ssh"
chmod 1777 "$r/tmp" "$r/var/tmp"

raw=$work/disk.raw
truncate -s 64M "$raw"
mke2fs -q -t ext4 -L kiln-root -d "$r" -F "$raw"
qemu-img convert -q -f raw -O qcow2 "$raw" "$out"
