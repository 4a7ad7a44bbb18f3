#!/bin/sh
# t0500-image-export — every export format from one disk: right format per qemu-img, same contents as
# the source, the OVA's manifest digests verify, the Vagrant box's metadata is valid; failures and
# Ctrl-C leave neither a half file under a final name nor a temporary file. No appliance is launched.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

DRIVER="$KILN_BUILDDIR/tests/helpers/image-driver"

# A 64 MiB disk with recognisable data in a few places and holes elsewhere.
qemu-img create -q -f qcow2 src.qcow2 64M &&
qemu-io -c "write -P 0x4b 0 4M" -c "write -P 0x69 20M 1M" -c "write -P 0x6e 63M 1M" src.qcow2 >/dev/null || exit 1

no_leftovers() {
	! ls -A "$1" | grep -e '\.kiln-tmp-' -e '^\.kiln-export-'
}

test_expect_success 'one run writes every format' '
	mkdir exp &&
	"$DRIVER" export -c zstd -cpus 2 -memory 2048 -distro debian src.qcow2 exp vm \
		qcow2,raw,vmdk,vhdx,vpc,ova,vagrant >stdout 2>stderr &&
	test_grep "formats: qcow2 raw vmdk vhdx vpc ova vagrant" stdout &&
	for f in vm.qcow2 vm.raw vm.vmdk vm.vhdx vm.vhd vm.ova vm.box; do
		test -s exp/$f || { echo "missing $f"; exit 1; }
	done &&
	no_leftovers exp
'

test_expect_success 'progress is shown for each conversion' '
	test_grep "Converting to qcow2 (zstd compressed): 100%" stdout &&
	test_grep "Converting to vmdk (streamOptimized): 100%" stdout &&
	test_grep "Exported ova: exp/vm.ova" stdout
'

check_format() { # FILE FORMAT [-f FMT]
	qemu-img info --output=json ${3:-} "$1" >info.json &&
	python3 -c "import json,sys; d=json.load(open(\"info.json\")); sys.exit(0 if d[\"format\"]==\"$2\" and d[\"virtual-size\"]>=64*1024*1024 else 1)"
}

test_expect_success 'qcow2: zstd-compressed, passes qemu-img check, same contents' '
	check_format exp/vm.qcow2 qcow2 &&
	qemu-img info exp/vm.qcow2 >info && test_grep "compression type: zstd" info &&
	qemu-img check exp/vm.qcow2 &&
	qemu-img compare -q src.qcow2 exp/vm.qcow2
'

test_expect_success 'raw: same contents, sparse' '
	check_format exp/vm.raw raw &&
	qemu-img compare -q src.qcow2 exp/vm.raw &&
	test $(du -k exp/vm.raw | cut -f1) -lt 20000
'

test_expect_success 'vmdk: streamOptimized, passes qemu-img check, same contents' '
	check_format exp/vm.vmdk vmdk &&
	qemu-img info exp/vm.vmdk >info && test_grep "create type: streamOptimized" info &&
	qemu-img check exp/vm.vmdk &&
	qemu-img compare -q src.qcow2 exp/vm.vmdk
'

test_expect_success 'vhdx: passes qemu-img check, same contents' '
	check_format exp/vm.vhdx vhdx &&
	qemu-img check exp/vm.vhdx &&
	qemu-img compare -q src.qcow2 exp/vm.vhdx
'

test_expect_success 'vpc: a fixed VHD, virtual size a whole number of MiB, same contents' '
	check_format exp/vm.vhd vpc "-f vpc" &&
	size=$(stat -c %s exp/vm.vhd) &&
	test $(( (size - 512) % 1048576 )) -eq 0 &&
	tail -c 512 exp/vm.vhd | head -c 8 >cookie && printf conectix >want && test_cmp want cookie &&
	"$DRIVER" info exp/vm.vhd >info && test_grep "^subformat=fixed" info &&
	qemu-img compare -q -F vpc src.qcow2 exp/vm.vhd
'

test_expect_success 'ova: descriptor first, then manifest, then a streamOptimized disk' '
	tar tf exp/vm.ova >members &&
	printf "vm.ovf\nvm.mf\nvm-disk1.vmdk\n" >want && test_cmp want members &&
	mkdir ova && tar xf exp/vm.ova -C ova &&
	xmllint --noout ova/vm.ovf &&
	test_grep "vmdk.html#streamOptimized" ova/vm.ovf &&
	test_grep "ovf:size=\"$(stat -c %s ova/vm-disk1.vmdk)\"" ova/vm.ovf &&
	test_grep "<OperatingSystemSection ovf:id=\"96\">" ova/vm.ovf &&
	test_grep "<rasd:VirtualQuantity>2048</rasd:VirtualQuantity>" ova/vm.ovf &&
	check_format ova/vm-disk1.vmdk vmdk &&
	qemu-img compare -q src.qcow2 ova/vm-disk1.vmdk
'

test_expect_success 'ova: every manifest digest verifies' '
	test $(wc -l <ova/vm.mf) -eq 2 &&
	sed -n "s/^SHA256(\(.*\))= \([0-9a-f]\{64\}\)$/\2  \1/p" ova/vm.mf >sums &&
	test $(wc -l <sums) -eq 2 &&
	(cd ova && sha256sum -c ../sums)
'

test_expect_success 'ova: a changed disk fails the manifest' '
	printf x >>ova/vm-disk1.vmdk &&
	! (cd ova && sha256sum -c --quiet ../sums 2>/dev/null)
'

test_expect_success 'vagrant box: metadata.json, Vagrantfile and a qcow2 box.img in a tar.gz' '
	gzip -t exp/vm.box &&
	tar tzf exp/vm.box | sort >members &&
	printf "Vagrantfile\nbox.img\nmetadata.json\n" >want && test_cmp want members &&
	mkdir box && tar xzf exp/vm.box -C box &&
	python3 -c "
import json
m = json.load(open(\"box/metadata.json\"))
assert m[\"provider\"] == \"libvirt\", m
assert m[\"format\"] == \"qcow2\", m
assert isinstance(m[\"virtual_size\"], int) and m[\"virtual_size\"] >= 1, m
" &&
	test_grep "config.vm.provider :libvirt" box/Vagrantfile &&
	check_format box/box.img qcow2 &&
	qemu-img check box/box.img &&
	qemu-img compare -q src.qcow2 box/box.img
'

test_expect_success 'a lone qcow2 keeps the name it was given (Packer vm_name)' '
	mkdir single &&
	"$DRIVER" export src.qcow2 single packer-vm qcow2 >/dev/null 2>&1 &&
	ls -A single >list && echo packer-vm >want && test_cmp want list &&
	qemu-img compare -q src.qcow2 single/packer-vm
'

test_expect_success 'the disk can be replaced by its own compacted export' '
	mkdir inplace && cp src.qcow2 inplace/vm.qcow2 &&
	"$DRIVER" export -c zlib inplace/vm.qcow2 inplace vm.qcow2 qcow2 >/dev/null 2>&1 &&
	ls -A inplace >list && echo vm.qcow2 >want && test_cmp want list &&
	qemu-img compare -q src.qcow2 inplace/vm.qcow2
'

test_expect_success 'a format kiln cannot write is refused before anything is written' '
	mkdir bad &&
	test_expect_code 1 "$DRIVER" export src.qcow2 bad vm qcow2,vdi >out 2>err &&
	test_grep "kiln cannot write the image format \"vdi\"" err &&
	test_grep "qcow2, raw, vmdk, vhdx, vpc, ova, vagrant" err &&
	test -z "$(ls -A bad)"
'

test_expect_success 'an existing output is kept unless -force' '
	mkdir exists && echo precious >exists/vm.raw &&
	test_expect_code 1 "$DRIVER" export src.qcow2 exists vm qcow2,raw >out 2>err &&
	test_grep "exists/vm.raw already exists" err &&
	test_grep "force" err &&
	echo precious >want && test_cmp want exists/vm.raw &&
	test ! -e exists/vm.qcow2 &&
	"$DRIVER" export -force src.qcow2 exists vm qcow2,raw >/dev/null 2>&1 &&
	qemu-img compare -q src.qcow2 exists/vm.raw
'

# A qemu-img that fails (or hangs) when asked for one format, the real one otherwise.
mkdir fakebin
cat >fakebin/qemu-img <<EOF
#!/bin/sh
for a in "\$@"; do
	case "\$a" in
	vhdx) [ -n "\${FAIL_VHDX:-}" ] && { echo "qemu-img: injected failure" >&2; exit 1; } ;;
	vpc) [ -n "\${HANG_VPC:-}" ] && { : >"\$HANG_VPC"; sleep 60; exit 1; } ;;
	esac
done
exec $(command -v qemu-img) "\$@"
EOF
chmod +x fakebin/qemu-img

test_expect_success 'a failed conversion leaves no output and no temporary file' '
	mkdir failed &&
	test_expect_code 1 env FAIL_VHDX=1 PATH="$PWD/fakebin:$PATH" \
		"$DRIVER" export src.qcow2 failed vm qcow2,raw,vhdx,ova >out 2>err &&
	test_grep "injected failure" err &&
	test -z "$(ls -A failed)"
'

# Background jobs of a non-interactive shell ignore SIGINT; SIGTERM takes the same cancel path.
test_expect_success 'cancelling (SIGTERM) during a conversion leaves no output and no temporary file' '
	mkdir cancelled &&
	(env HANG_VPC="$PWD/hanging" PATH="$PWD/fakebin:$PATH" \
		"$DRIVER" export src.qcow2 cancelled vm qcow2,vpc >out 2>err & echo $! >pid; wait $! ; echo $? >rc) &
	i=0; while [ ! -e hanging ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	test -e hanging &&
	kill -TERM $(cat pid) &&
	i=0; while [ ! -e rc ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	test "$(cat rc)" = 1 &&
	test_grep "cancelled" err &&
	test -z "$(ls -A cancelled)"
'

test_done
