#!/bin/sh
# t0011-components-module — kiln itself links only light libraries; the components and libvirt,
# libguestfs, libcurl, libssh, libmicrohttpd and libarchive come in kiln-components.so, loaded the first
# time a command needs a component (src/registry.h). The light ones (libcrypto, jansson, libcrypt, libm,
# PCRE2, libunistring, libyaml) kiln loads the first time it calls them (src/util/lazylib.h), so
# commands that never call them do not pay for mapping them at start.
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

# LD_DEBUG=files names every object the loader maps, at start ("needed by") or later ("dynamically loaded").
loaded() {
	LD_DEBUG=files "$@" 2>ld.log >/dev/null
	sed -n "s/.*file=\([^ ]*\) .*/\1/p" ld.log | sort -u
}

test_expect_success 'kiln links none of the libraries it loads on first use' '
	ldd "$KILN" >kiln.ldd &&
	! grep -E "libcrypto|libjansson|libcrypt\.|libpcre2|libunistring|libyaml" kiln.ldd
'

test_expect_success 'version, fmt and validate -syntax-only load no library they do not call' '
	printf "locals {\n  n = 1.5e3\n  s = \"\${upper(\"a\")}\"\n}\n" >plain.pkr.hcl &&
	# text of Latin letters (below U+0300) is NFC already: no libunistring to normalize it
	printf "variable \"u\" {\n  description = \"Usu\303\241rio \303\261 \306\222\"\n}\n" >latin.pkr.hcl &&
	for cmd in version "fmt -check t.pkr.hcl" "validate -syntax-only t.pkr.hcl" "fmt -check plain.pkr.hcl" \
		"validate -syntax-only plain.pkr.hcl" "fmt -check latin.pkr.hcl" "validate -syntax-only latin.pkr.hcl"; do
		loaded "$KILN" $cmd </dev/null >libs &&
		! grep -E "libcrypto|libjansson|libcrypt\.|libpcre2|libunistring|libyaml|kiln-components" libs ||
		{ echo "kiln $cmd loaded:"; cat libs; return 1; }
	done
'

test_expect_success 'each library is loaded on the first call into it, and works' '
	check() {
		printf "%s\n" "$1" >expr &&
		loaded "$KILN" console <expr >libs && grep -q "$2" libs &&
		"$KILN" console <expr >out && test_grep "$3" out
	}
	check "sha256(\"a\")" libcrypto "^ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb" &&
	check "1/3" libcrypto "^0.3333333333333333" &&
	check "jsondecode(\"[1, 22]\")[1]" libjansson "^22\$" &&
	check "bcrypt(\"x\")" "libcrypt\.so" "^.2a.10." &&
	check "regex(\"[a-z]+\", \"123abc\")" libpcre2 "^abc" &&
	check "yamlencode({a = \"b\"})" libyaml "\"a\": \"b\"" &&
	check "pow(2, 10)" "libm\.so" "^1024" &&
	check "length(\"e\u0301\")" libunistring "^1\$"
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
