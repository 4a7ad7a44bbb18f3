#!/bin/sh
# t0510-image-sanitize — sanitize in one libguestfs launch on a small Debian-looking disk that carries
# everything a build leaves behind (tests/lib/mk-fake-guest.sh), checked from outside with guestfish.
# Two appliance launches (about 15 s each under TCG): the sanitize and the guestfish check. inspect-image
# looking inside and the no-OS error launch more: they are in tests/e2e/t0551-image-inspect.sh.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

DRIVER="$KILN_BUILDDIR/tests/helpers/image-driver"
# guestfish must not try KVM: where /dev/kvm is broken it hangs for minutes.
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg

ssh-keygen -q -t ed25519 -N '' -C kiln-temporary -f temp &&
ssh-keygen -q -t ed25519 -N '' -C user@laptop -f user &&
sh "$KILN_SRCDIR/tests/lib/mk-fake-guest.sh" before.qcow2 temp.pub user.pub &&
cp before.qcow2 after.qcow2 || exit 1
TEMPBLOB=$(cut -d' ' -f2 temp.pub)
USERBLOB=$(cut -d' ' -f2 user.pub)

test_expect_success 'sanitize runs every operation in one launch and reports counts' '
	KILN_LOG=1 KILN_LOG_PATH=debug.log "$DRIVER" sanitize -accel tcg -ops defaults,user-account -keep debian \
		-user packer -created -pubkey temp.pub -report report.json -os os.json after.qcow2 >out 2>err &&
	test_grep "Sanitizing the disk with libguestfs (TCG)" out &&
	test_grep "Found debian 12.7" out &&
	test_grep "ssh-hostkeys: 6 removed" out &&
	test_grep "machine-id: 1 emptied" out &&
	test_grep "logfiles: 3 emptied, 3 removed" out &&
	test_grep "trimmed free space of 1 filesystem" out &&
	# where the appliance'"'"'s time went, for bench/checkpoint.sh
	test_grep "image: sanitize timings (s): launch=[0-9.]* inspect=[0-9.]* ops=[0-9.]* trim=[0-9.]* close=[0-9.]* total=" debug.log &&
	python3 -c "
import json
r = json.load(open(\"report.json\"))[\"operations\"]
assert r[\"ssh-hostkeys\"][\"removed\"] == 6, r
assert r[\"machine-id\"] == {\"removed\": 0, \"emptied\": 1, \"edited\": 0}, r
assert r[\"cloud-init\"][\"removed\"] == 5, r   # instances, instance, data + 2 logs
assert r[\"ssh-userdir\"][\"edited\"] == 1, r   # the key in /home/debian (packer went with its home)
assert r[\"build-user\"][\"edited\"] >= 8, r
assert r[\"hostname\"] == {\"removed\": 0, \"emptied\": 0, \"edited\": 2}, r   # /etc/hostname, the 127.0.1.1 line
assert r[\"net-hostname\"][\"edited\"] == 2, r   # HOSTNAME=, DHCP_HOSTNAME=
assert r[\"net-hwaddr\"][\"edited\"] == 1, r
assert \"user-account\" in r, r
o = json.load(open(\"os.json\"))
assert o[\"distro\"] == \"debian\" and o[\"version\"] == \"12.7\", o
assert o[\"kernels\"] == [\"6.1.0-99-cloud-amd64\"], o
assert {p[\"name\"] for p in o[\"packages\"]} == {\"openssh-server\", \"cloud-init\", \"linux-image-6.1.0-99-cloud-amd64\"}, o
"
'

# One read-only guestfish launch gathers everything the next tests check.
test_expect_success 'gather the sanitized disk contents with guestfish' '
	guestfish --ro -a after.qcow2 -m /dev/sda >state 2>&1 <<-\EOF
	echo ==hostkeys
	glob ls /etc/ssh/
	echo ==machine-id
	filesize /etc/machine-id
	is-symlink /var/lib/dbus/machine-id
	echo ==cloud
	ls /var/lib/cloud
	echo ==logs
	find /var/log
	echo ==logsizes
	filesize /var/log/syslog
	filesize /var/log/auth.log
	filesize /var/log/apt/history.log
	echo ==journal
	ls /var/log/journal
	echo ==passwd
	cat /etc/passwd
	echo ==shadow
	cat /etc/shadow
	echo ==group
	cat /etc/group
	echo ==gshadow
	cat /etc/gshadow
	echo ==sudoersd
	ls /etc/sudoers.d
	echo ==sudoers
	cat /etc/sudoers
	echo ==home
	ls /home
	echo ==keys-debian
	cat /home/debian/.ssh/authorized_keys
	echo ==keys-root
	cat /root/.ssh/authorized_keys
	echo ==hostname
	cat /etc/hostname
	cat /etc/hosts
	cat /etc/sysconfig/network-scripts/ifcfg-eth0
	echo ==tmp
	ls /tmp
	ls /var/tmp
	echo ==misc
	glob ls /var/lib/dhcp/
	glob ls /var/cache/apt/archives/
	ls /run
	ls /var/mail
	ls /var/crash
	glob ls /etc/udev/rules.d/
	exists /var/lib/systemd/random-seed
	exists /etc/passwd-
	exists /root/.bash_history
	exists /home/debian/.bash_history
	echo ==end
	EOF
	test_grep "==end" state
'

section() { sed -n "/^==$1\$/,/^==/p" state | sed "1d;\$d"; }

test_expect_success 'no SSH host keys remain' '
	section hostkeys >got && echo sshd_config >want && test_cmp want got
'

test_expect_success '/etc/machine-id is kept, empty; the D-Bus link stays' '
	section machine-id >got && printf "0\ntrue\n" >want && test_cmp want got
'

test_expect_success 'cloud-init state is gone but a baked-in seed stays' '
	section cloud >got && echo seed >want && test_cmp want got
'

test_expect_success 'logs are empty, rotated logs and the journal gone, directories kept' '
	section logs >got &&
	printf "/apt\n/apt/history.log\n/auth.log\n/empty.log\n/journal\n/syslog\n" >want && test_cmp want got &&
	section logsizes >got && printf "0\n0\n0\n" >want && test_cmp want got &&
	section journal >got && test ! -s got
'

test_expect_success 'the build user is gone: accounts, groups, sudoers, home' '
	section passwd >got && ! grep packer got && grep "^debian:" got &&
	section shadow >got && ! grep packer got &&
	section group >got && ! grep packer got && grep "^sudo:x:27:debian$" got && grep "^adm:x:4:$" got &&
	section gshadow >got && ! grep packer got &&
	section sudoersd >got && echo README >want && test_cmp want got &&
	section sudoers >got && grep "^%sudo ALL=(ALL:ALL) ALL" got &&
	section home >got && echo debian >want && test_cmp want got
'

test_expect_success 'the temporary key is gone from authorized_keys; other keys stay' '
	section keys-debian >got && ! grep "$TEMPBLOB" got && grep "$USERBLOB" got &&
	section keys-root >got && grep "$USERBLOB" got
'

test_expect_success 'the build host name is gone: hostname, hosts, ifcfg' '
	section hostname | grep -v "^\$" >got &&
	printf "localhost\n127.0.0.1 localhost\n::1 localhost ip6-localhost\nDEVICE=eth0\nONBOOT=yes\n" >want &&
	test_cmp want got
'

# apt's archives/partial directory stays: only what is in it goes.
test_expect_success 'temp files, leases, caches, seeds, mail, crash data, history and backups are gone' '
	section tmp >got && test ! -s got &&
	section misc >got &&
	printf "partial\nfalse\nfalse\nfalse\nfalse\n" >want && test_cmp want got
'

test_expect_success 'kiln inspect-image -no-os needs no appliance' '
	"$KILN" inspect-image -no-os after.qcow2 >out &&
	test_grep "Format: *qcow2" out &&
	test_grep "Virtual size: *64.0 MiB" out &&
	! grep Sanitized out
'

test_expect_success 'kiln inspect-image on a missing file fails clearly' '
	test_expect_code 1 "$KILN" inspect-image -no-os nothing.qcow2 2>err &&
	test_grep "nothing.qcow2" err
'

test_expect_success 'an unknown operation is refused before any appliance starts' '
	test_expect_code 1 "$DRIVER" sanitize -ops defaults,ssh-hostkey after.qcow2 >out 2>err &&
	test_grep "unknown sanitize operation \"ssh-hostkey\"" err &&
	test_grep "ssh-hostkeys" err &&
	! grep Sanitizing out
'

test_done
