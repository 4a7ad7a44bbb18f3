#!/bin/sh
# t0410-qemu-domain-xml — the domain XML of every golden case (tests/data/domain-xml/<case>.pkr.hcl) is
# exactly <case>.xml, its warnings are <case>.warnings (none when absent), and libvirt's own schema
# accepts it. Regenerate after an intended change: make regen
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

driver=$KILN_BUILDDIR/tests/helpers/qemu-domain-xml
data=$KILN_SRCDIR/tests/data/domain-xml

for hcl in "$data"/*.pkr.hcl; do
	case=$(basename "$hcl" .pkr.hcl)
	test_expect_success "domain XML: $case" '
		"$driver" "$hcl" >actual.xml 2>actual.warnings &&
		test_cmp "$data/$case.xml" actual.xml &&
		if [ -f "$data/$case.warnings" ]; then test_cmp "$data/$case.warnings" actual.warnings; else test_cmp /dev/null actual.warnings; fi &&
		virt-xml-validate actual.xml domain >validate.out 2>&1 || { cat validate.out; false; }
	'
done

test_expect_success 'a template the builder rejects is reported, not rendered' '
	cat >bad.pkr.hcl <<-\HCL &&
	source "qemu" "bad" {
	  iso_url      = "x.qcow2"
	  iso_checksum = "none"
	  machine_type = "pc"
	  efi_secure_boot = true
	  ssh_username = "root"
	}
	build { sources = ["source.qemu.bad"] }
	HCL
	test_expect_code 1 "$driver" bad.pkr.hcl >out 2>err &&
	test_grep "Secure Boot needs a q35 machine" err &&
	test_grep "bad.pkr.hcl:5" err
'

test_done
