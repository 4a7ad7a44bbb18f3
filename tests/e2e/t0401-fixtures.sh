#!/bin/sh
# t0401-fixtures — the test images (tests/fixtures/) build offline, are cached, and boot as the other
# end-to-end tests expect: booted directly with qemu-system-x86_64 under TCG (not through kiln), user-mode
# networking on a free 127.0.0.1 port, SSH with the test key, then powered off by the guest itself.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/fixtures.sh"

ssh_with() {
	# ssh_with KEY PORT USER CMD...: ssh with another key than the test key
	_k=$1 _p=$2 _u=$3
	shift 3
	# shellcheck disable=SC2086
	ssh $FIXTURE_SSH_OPTS -o IdentitiesOnly=yes -i "$_k" -p "$_p" "$_u@127.0.0.1" "$@" </dev/null
}

test_expect_success 'the test key is a 0600 ed25519 key pair, the same every time' '
	key=$(fixture_tiny_key) &&
	test -f "$key" && test -f "$key.pub" &&
	test "$(stat -c %a "$key")" = 600 &&
	ssh-keygen -y -f "$key" >derived &&
	test "$(cut -d" " -f1-2 derived)" = "$(cut -d" " -f1-2 "$key.pub")" &&
	test "$(fixture_tiny_key)" = "$key"
'

test_expect_success 'the fixture images build and come back from the cache' '
	tiny=$(fixture_tiny_image) && nosshd=$(fixture_tiny_nosshd_image) &&
	iso=$(fixture_boot_iso) && debian=$(fixture_debian_image) &&
	for f in "$tiny" "$nosshd" "$debian"; do
		case "$f" in "$FIXTURE_CACHE"/*.qcow2) ;; *) echo "unexpected path $f"; exit 1 ;; esac &&
		qemu-img check -q "$f" && qemu-img info "$f" >info && test_grep "file format: qcow2" info || exit 1
	done &&
	case "$iso" in "$FIXTURE_CACHE"/*.iso) ;; *) echo "unexpected path $iso"; exit 1 ;; esac &&
	xorriso -indev "$iso" -pvd_info 2>/dev/null >pvd && test_grep "Volume Id    : KILNBOOT" pvd &&
	# a second call is a cache hit: same path, nothing rebuilt
	test "$(fixture_tiny_image 2>err)" = "$tiny" && test ! -s err &&
	test "$(fixture_debian_image 2>err)" = "$debian" && test ! -s err
'

test_expect_success 'a fixture whose build fails leaves nothing in the cache' '
	mkdir fx && cp "$FIXTURE_DIR"/* fx/ && key=$(fixture_tiny_key) &&
	sed -i "s|^	qemu-img convert -f raw -O qcow2 .*|&; false|" fx/mk-tiny-image &&
	grep -q "; false$" fx/mk-tiny-image &&
	KILN_FIXTURE_CACHE=$TEST_DIR/cache && export KILN_FIXTURE_CACHE &&
	mkdir -p cache/test-key && cp "$key" "$key.pub" cache/test-key/ &&
	ln -s "$FIXTURE_CACHE/debs" cache/debs &&
	test_expect_code 1 fx/mk-tiny-image >out 2>err &&
	test_grep "error: the build failed" err && test ! -s out &&
	ls -A cache >left && ! grep -v -E "^(\.tiny\.lock|test-key|debs)$" left
'

test_expect_success 'two concurrent builds of a fixture build it once, and both get it' '
	key=$(fixture_tiny_key) &&
	mkdir cache2 && mkdir -p cache2/test-key && cp "$key" "$key.pub" cache2/test-key/ &&
	ln -s "$FIXTURE_CACHE/debs" cache2/debs &&
	KILN_FIXTURE_CACHE=$TEST_DIR/cache2 && export KILN_FIXTURE_CACHE &&
	{ "$FIXTURE_DIR/mk-tiny-image" >out1 2>err1 & } && pid1=$! &&
	"$FIXTURE_DIR/mk-tiny-image" >out2 2>err2 && wait $pid1 &&
	test -s out1 && test_cmp out1 out2 && test -s "$(cat out1)" &&
	cat err1 err2 >err &&
	test "$(grep -c "building .*/tiny-[0-9a-f]*\.qcow2" err)" = 1 &&
	test "$(grep -c "building .*/tiny-nosshd-[0-9a-f]*\.qcow2" err)" = 1 &&
	test_grep "waiting for another build of tiny" err &&
	ls cache2 >files && test "$(grep -c "^tiny-.*\.qcow2$" files)" = 2
'

test_expect_success 'tiny: SSH as root with the test key, scp and sftp, then shutdown -h now powers off' '
	fixture_overlay "$(fixture_tiny_image)" tiny1.qcow2 &&
	fixture_vm_start tiny1 tiny1.qcow2 -m 256 &&
	fixture_vm_wait_ssh tiny1 root 120 &&
	test_grep -E "tiny: up [0-9.]+s, sshd on port 22" "$(fixture_vm_serial tiny1)" &&
	fixture_vm_ssh tiny1 root "id -u; uname -r; sudo -n id -u" >out &&
	test "$(sed -n 1p out)" = 0 && test_grep -- "-cloud-amd64$" out && test "$(sed -n 3p out)" = 0 &&
	echo "payload $$" >up.txt &&
	port=$(fixture_vm_port tiny1) && key=$(fixture_tiny_key) &&
	scp -O $FIXTURE_SSH_OPTS -i "$key" -P "$port" up.txt root@127.0.0.1:/tmp/legacy.txt &&
	scp -s $FIXTURE_SSH_OPTS -i "$key" -P "$port" up.txt root@127.0.0.1:/tmp/sftp.txt &&
	printf "get /tmp/legacy.txt back.txt\n" | sftp -b - $FIXTURE_SSH_OPTS -i "$key" -P "$port" root@127.0.0.1 &&
	test_cmp up.txt back.txt &&
	fixture_vm_ssh tiny1 root cat /tmp/sftp.txt >got && test_cmp up.txt got &&
	{ fixture_vm_ssh tiny1 root "shutdown -h now" || :; } &&
	fixture_vm_wait_exit tiny1 60 &&
	test_grep "reboot: Power down" "$(fixture_vm_serial tiny1)"
'

test_expect_success 'tiny: keys from a cidata seed and from ds=nocloud-net in SMBIOS, then poweroff' '
	ssh-keygen -q -t ed25519 -N "" -f cd_key && ssh-keygen -q -t ed25519 -N "" -f net_key &&
	mkdir cd net &&
	printf "#cloud-config\nssh_authorized_keys:\n  - %s\n" "$(cat cd_key.pub)" >cd/user-data &&
	printf "instance-id: t0401\n" >cd/meta-data &&
	xorriso -as mkisofs -quiet -V cidata -J -R -o cd.iso cd/user-data cd/meta-data &&
	printf "#cloud-config\nssh_authorized_keys:\n  - \"%s\"\n" "$(cat net_key.pub)" >net/user-data &&
	printf "instance-id: t0401\n" >net/meta-data &&
	http_port=$(test_free_port) &&
	{ python3 -m http.server --bind 127.0.0.1 --directory net "$http_port" >http.log 2>&1 & } &&
	echo $! >http.pid &&
	test_when_finished "kill \$(cat http.pid)" &&
	fixture_overlay "$(fixture_tiny_image)" tiny2.qcow2 &&
	fixture_vm_start tiny2 tiny2.qcow2 -m 256 -cdrom cd.iso \
		-smbios "type=1,serial=ds=nocloud-net;s=http://10.0.2.2:$http_port/" &&
	fixture_vm_wait_ssh tiny2 root 120 &&
	port=$(fixture_vm_port tiny2) &&
	ssh_with cd_key "$port" root true &&
	ssh_with net_key "$port" root true &&
	test_grep "tiny: seed keys from cidata:/dev/sr0 http://10.0.2.2:$http_port/user-data (2)" \
		"$(fixture_vm_serial tiny2)" &&
	{ ssh_with cd_key "$port" root poweroff || :; } &&
	fixture_vm_wait_exit tiny2 60
'

test_expect_success 'tiny boots with UEFI too (OVMF), and powers off' '
	fixture_overlay "$(fixture_tiny_image)" tiny4.qcow2 &&
	uefi=$(fixture_uefi_args vars.fd) &&
	fixture_vm_start tiny4 tiny4.qcow2 -m 256 $uefi &&
	fixture_vm_wait_ssh tiny4 root 180 &&
	fixture_vm_ssh tiny4 root "test -d /sys/firmware/efi && echo uefi" >out &&
	test "$(cat out)" = uefi &&
	{ fixture_vm_ssh tiny4 root poweroff || :; } &&
	fixture_vm_wait_exit tiny4 60
'

test_expect_success 'tiny without sshd: up on the serial console, no SSH, ACPI power button powers off' '
	fixture_overlay "$(fixture_tiny_nosshd_image)" tiny3.qcow2 &&
	fixture_vm_start tiny3 tiny3.qcow2 -m 256 &&
	fixture_vm_wait_serial tiny3 "tiny: up .*no sshd \(tiny\.nosshd\)" 120 &&
	sleep 2 &&
	test_expect_code 255 fixture_vm_ssh tiny3 root true &&
	fixture_vm_powerdown tiny3 &&
	fixture_vm_wait_exit tiny3 60 &&
	test_grep "tiny: shutting down" "$(fixture_vm_serial tiny3)"
'

test_expect_success 'boot ISO: waits at boot:, an empty Enter boots nothing, typed "tiny" reaches SSH' '
	fixture_vm_start iso "" -m 512 -cdrom "$(fixture_boot_iso)" -boot d &&
	fixture_vm_wait_serial iso "boot:" 60 &&
	sleep 3 &&
	test_grep -c "boot:" "$(fixture_vm_serial iso)" >n && test "$(cat n)" = 1 &&
	fixture_vm_sendkeys iso ret &&
	fixture_vm_wait_serial iso "No such file or directory" 30 &&
	sleep 1 &&
	test "$(grep -c "boot:" "$(fixture_vm_serial iso)")" = 2 &&
	! grep -q "tiny: up" "$(fixture_vm_serial iso)" &&
	fixture_vm_sendkeys iso t i n y ret &&
	fixture_vm_wait_ssh iso root 120 &&
	fixture_vm_ssh iso root "cat /proc/cmdline" >cmdline &&
	test_grep "BOOT_IMAGE=/tiny/vmlinuz" cmdline &&
	{ fixture_vm_ssh iso root "shutdown -h now" || :; } &&
	fixture_vm_wait_exit iso 60
'

test_expect_success 'debian: cloud-init creates "debian" from a cidata seed, status done, sudo, shutdown' '
	fixture_overlay "$(fixture_debian_image)" deb.qcow2 4G &&
	fixture_cidata_iso seed.iso &&
	fixture_vm_start deb deb.qcow2 -cdrom seed.iso &&
	fixture_vm_wait_ssh deb debian 900 &&
	fixture_vm_ssh deb debian "cloud-init status --wait" >status &&
	test_grep "status: done" status &&
	fixture_vm_ssh deb debian "sudo -n id -u; hostname; id -nG; findmnt -bno SIZE /; ls /etc/ssh" >out 2>err &&
	test "$(sed -n 1p out)" = 0 && test "$(sed -n 2p out)" = kilntest &&
	test_grep -w sudo out && ! grep -q "unable to resolve" err &&
	test_grep ssh_host_ed25519_key out &&
	size=$(sed -n 4p out) && test "$size" -gt 3500000000 && # grown from 2 GiB to the 4 GiB disk
	test_grep -E "login:" "$(fixture_vm_serial deb)" &&
	{ fixture_vm_ssh deb debian "sudo shutdown -h now" || :; } &&
	fixture_vm_wait_exit deb 120
'

if fixture_kvm_works; then kvm=yes; else kvm=no; fi
echo "# KVM on this machine: $kvm ($FIXTURE_KVM_REASON); tests run guests under TCG regardless"

test_done
