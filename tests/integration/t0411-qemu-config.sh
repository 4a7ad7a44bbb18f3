#!/bin/sh
# t0411-qemu-config — the qemu builder's checks of a source block (Packer's rules, kiln's additions):
# every problem in one report, the first located at file:line, before anything runs.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

driver=$KILN_BUILDDIR/tests/helpers/qemu-domain-xml

source_block() {
	printf 'source "qemu" "t" {\n  iso_checksum = "none"\n  ssh_username = "root"\n%s\n}\nbuild { sources = ["source.qemu.t"] }\n' "$1"
}

test_expect_success 'what the schema says is reported at once, each problem at its place' '
	source_block "  iso_url = \"a.qcow2\"
  disk_interface = \"virtoi\"
  format = \"vmdk\"
  use_backing_file = true
  vnc_port_min = 5000
  floppy_files = [\"a\"]" >t.pkr.hcl &&
	test_expect_code 1 "$driver" t.pkr.hcl >out 2>err &&
	test "$(grep -c "^  on t.pkr.hcl line" err)" = 4 &&
	test_grep "on t.pkr.hcl line 5" err &&
	test_grep_text "disk_interface = \"virtoi\" is not one of: virtio, virtio-scsi, scsi, sata, ide. Did you mean \"virtio\"?" err &&
	test_grep "on t.pkr.hcl line 6" err &&
	test_grep_text "format = \"vmdk\" is not one of: qcow2, raw" err &&
	test_grep "on t.pkr.hcl line 8" err &&
	test_grep_text "vnc_port_min = 5000 is out of range: it must be between 5900 and 65535" err &&
	test_grep "on t.pkr.hcl line 9" err &&
	test_grep_text "kiln does not support \"floppy_files\": floppy disks are not supported by kiln; use cd_files or cd_content" err
'

test_expect_success 'the builder'"'"'s own rules are all reported at once, the first with its location' '
	source_block "  iso_url = \"a.qcow2\"
  use_backing_file = true
  disk_size = \"10 GB\"
  accelerator = \"hvf\"
  communicator = \"winrm\"
  http_port_min = 9000
  http_port_max = 8000" >t.pkr.hcl &&
	test_expect_code 1 "$driver" t.pkr.hcl 2>err &&
	test_grep "t.pkr.hcl:6" err &&
	test_grep "use_backing_file can only be enabled for QCOW2 images and when disk_image is true" err &&
	test_grep "disk_size: invalid size \"10 GB\"" err &&
	test_grep "accelerator \"hvf\" is not available through libvirt" err &&
	test_grep "winrm communicator is not supported by kiln" err &&
	test_grep "http_port_min must not be above http_port_max" err
'

test_expect_success 'Packer defaults: a memory size below 10 MiB means 512, cpus 1' '
	source_block "  iso_url = \"a.qcow2\"
  disk_image = true
  accelerator = \"tcg\"
  memory = 5" >t.pkr.hcl &&
	"$driver" t.pkr.hcl >out.xml 2>err &&
	test_grep "<memory unit=.MiB.>512</memory>" out.xml &&
	test_grep "<vcpu>1</vcpu>" out.xml
'

test_expect_success 'a missing ssh_username and iso_url are named' '
	printf "source \"qemu\" \"t\" {\n  iso_checksum = \"none\"\n}\nbuild { sources = [\"source.qemu.t\"] }\n" >t.pkr.hcl &&
	test_expect_code 1 "$driver" t.pkr.hcl 2>err &&
	test_grep "one of iso_url or iso_urls must be set" err &&
	test_grep "ssh_username must be specified" err
'

test_expect_success 'a checksum the builder cannot read is located' '
	printf "source \"qemu\" \"t\" {\n  iso_url = \"a.qcow2\"\n  iso_checksum = \"crc32:abcd\"\n  ssh_username = \"root\"\n}\nbuild { sources = [\"source.qemu.t\"] }\n" >t.pkr.hcl &&
	test_expect_code 1 "$driver" t.pkr.hcl 2>err &&
	test_grep "t.pkr.hcl:3" err &&
	test_grep "unknown checksum type \"crc32\"" err
'

test_expect_success 'vga and cpu_model take what libvirt can express, located' '
	source_block "  iso_url = \"a.qcow2\"
  vga = \"tcx\"" >t.pkr.hcl &&
	test_expect_code 1 "$driver" t.pkr.hcl 2>err &&
	test_grep "on t.pkr.hcl line 5" err &&
	test_grep_text "vga = \"tcx\" is not one of: none, std, cirrus, vmware, qxl, virtio" err &&
	source_block "  iso_url = \"a.qcow2\"
  cpu_model = \"host,hv_relaxed\"" >t.pkr.hcl &&
	test_expect_code 1 "$driver" t.pkr.hcl 2>err &&
	test_grep "t.pkr.hcl:5" err &&
	test_grep "Hyper-V enlightenments (hv_relaxed) are not CPU features to libvirt" err &&
	source_block "  iso_url = \"a.qcow2\"
  cpu_model = \"Haswell,tsc-frequency=2000000000\"" >t.pkr.hcl &&
	test_expect_code 1 "$driver" t.pkr.hcl 2>err &&
	test_grep "t.pkr.hcl:5" err &&
	test_grep "\"tsc-frequency=2000000000\" is a CPU property libvirt.s <cpu> cannot express" err &&
	source_block "  iso_url = \"a.qcow2\"
  cpu_model = \",+pcid\"" >t.pkr.hcl &&
	test_expect_code 1 "$driver" t.pkr.hcl 2>err &&
	test_grep "does not start with a CPU model name" err
'

test_expect_success 'empty vga and cpu_model pass nothing, as in Packer' '
	source_block "  iso_url = \"a.qcow2\"
  disk_image = true
  accelerator = \"tcg\"
  vga = \"\"
  cpu_model = \"\"" >t.pkr.hcl &&
	"$driver" t.pkr.hcl >out.xml 2>err &&
	! grep "<cpu\|<video" out.xml &&
	! grep "cpu_model\|vga" err
'

test_expect_success 'boot_steps: not with boot_command; steps beyond [keys, description] warned' '
	source_block "  iso_url = \"a.iso\"
  boot_command = [\"<enter>\"]
  boot_steps = [[\"<enter>\", \"go\"]]" >t.pkr.hcl &&
	test_expect_code 1 "$driver" t.pkr.hcl 2>err &&
	test_grep "t.pkr.hcl:6" err &&
	test_grep "boot_command and boot_steps cannot be used together" err &&
	source_block "  iso_url = \"a.iso\"
  boot_steps = [[\"<enter>\", \"go\", \"extra\"], [], [\"<wait>\"]]" >t.pkr.hcl &&
	"$driver" t.pkr.hcl >out.xml 2>err &&
	test_grep "boot_steps\[0\] has 3 elements; only the first two (keys, description) are used" err
'

test_expect_success 'kiln validate accepts boot_steps built with concat(), cpu_model and vga' '
	cat >steps.pkr.hcl <<-\HCL &&
	variable "extra_steps" {
	  type    = list(list(string))
	  default = [["b<enter><wait5>", "Yes"]]
	}
	source "qemu" "netbsd" {
	  iso_url      = "netbsd.iso"
	  iso_checksum = "none"
	  cpu_model    = "host"
	  vga          = "std"
	  boot_steps = concat(
	    [["1<wait20s>", "Boot normally"]],
	    var.extra_steps,
	    [["a<enter><wait5>", "Install NetBSD to hard disk"]],
	  )
	  ssh_username = "root"
	}
	build { sources = ["source.qemu.netbsd"] }
	HCL
	"$KILN" validate steps.pkr.hcl >out 2>&1 || { cat out; false; }
'

test_done
