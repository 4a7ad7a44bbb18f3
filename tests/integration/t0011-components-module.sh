#!/bin/sh
# t0011-components-module — kiln itself links only light libraries; the components and libvirt,
# libguestfs, libcurl, libssh, libmicrohttpd and libarchive come in kiln-components.so, loaded the first
# time a command needs a component (src/registry.h).
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

cat >t.pkr.hcl <<-\HCL
source "qemu" "x" {
  iso_url      = "base.qcow2"
  iso_checksum = "none"
  disk_image   = true
  ssh_username = "root"
}
build {
  sources = ["source.qemu.x"]
}
HCL
: >base.qcow2

test_expect_success 'kiln does not link the heavy libraries, the module does' '
	ldd "$KILN" >kiln.ldd &&
	! grep -E "libvirt|libguestfs|libcurl|libssh|libmicrohttpd|libarchive|libedit" kiln.ldd &&
	module="$(dirname "$KILN")/kiln-components.so" &&
	ldd "$module" >module.ldd &&
	grep -q libvirt module.ldd && grep -q libguestfs module.ldd && grep -q libssh module.ldd && grep -q libedit module.ldd
'

test_expect_success 'the module exports its entry point and nothing else' '
	nm -D --defined-only "$(dirname "$KILN")/kiln-components.so" >dynsym &&
	awk "{ print \$NF }" dynsym | sort >exports &&
	echo kiln_builtin_module >expect &&
	test_cmp expect exports
'

test_expect_success 'fmt, validate -syntax-only and console run without the module' '
	KILN_COMPONENTS=/nonexistent/kiln-components.so "$KILN" fmt -check t.pkr.hcl &&
	KILN_COMPONENTS=/nonexistent/kiln-components.so "$KILN" validate -syntax-only t.pkr.hcl &&
	echo "upper(\"a\")" | KILN_COMPONENTS=/nonexistent/kiln-components.so "$KILN" console >out &&
	echo A >expect && test_cmp expect out
'

test_expect_success 'a command that needs a component loads the module' '
	"$KILN" validate t.pkr.hcl >out 2>err &&
	test_grep "The configuration is valid" out &&
	echo "base64gzip(\"hi\")" | "$KILN" console >out &&
	base64 -d <out | gzip -dc >plain && printf hi | cmp - plain
'

test_expect_success 'a missing module is one clear error naming the file and the fix' '
	test_expect_code 1 env KILN_COMPONENTS=/nonexistent/kiln-components.so "$KILN" validate t.pkr.hcl >out 2>err &&
	test_grep "kiln cannot load its components (kiln-components.so): /nonexistent/kiln-components.so" err &&
	test_grep "KILN_COMPONENTS" err &&
	test "$(grep -c "cannot load its components" err)" = 1
'

test_expect_success 'inspect-image without the module says so too' '
	test_expect_code 1 env KILN_COMPONENTS=/nonexistent/kiln-components.so "$KILN" inspect-image -no-os base.qcow2 2>err &&
	test_grep "cannot load its components" err
'

test_expect_success 'a copy of kiln elsewhere finds the module through KILN_COMPONENTS' '
	mkdir bin && cp "$KILN" bin/kiln &&
	test_expect_code 1 bin/kiln validate t.pkr.hcl 2>err &&
	test_grep "cannot load its components" err &&
	KILN_COMPONENTS="$(dirname "$KILN")/kiln-components.so" bin/kiln validate t.pkr.hcl
'

test_done
