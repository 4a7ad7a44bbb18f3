#!/bin/sh
# t0511-image-config — the `sanitize` and `export` settings of a qemu source, as `kiln validate` and
# `kiln build` read them: the forms that are accepted, and every bad name refused when the build is
# prepared — before anything is downloaded or booted — with the attribute's file:line:col and the
# names that would do.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

template() { # SETTINGS...: a qemu source with these extra lines
	{
		printf 'source "qemu" "t" {\n'
		printf '  iso_url          = "http://127.0.0.1:9/never-fetched.qcow2"\n'
		printf '  iso_checksum     = "none"\n'
		printf '  disk_image       = true\n'
		printf '  accelerator      = "tcg"\n'
		printf '  ssh_username     = "root"\n'
		printf '  output_directory = "outdir"\n'
		for line in "$@"; do printf '  %s\n' "$line"; done
		printf '}\nbuild { sources = ["source.qemu.t"] }\n'
	}
}

test_expect_success 'sanitize = false, a sanitize block and an export block validate' '
	template "sanitize = false" >a.pkr.hcl && "$KILN" validate a.pkr.hcl &&
	template "sanitize {" "  operations = [\"defaults\", \"user-account\"]" "  exclude = [\"logfiles\"]" \
		"  keep_user_accounts = [\"vagrant\"]" "  trim = false" "}" \
		"export {" "  formats = [\"qcow2\", \"vmdk\", \"ova\", \"vagrant\"]" "  compression = \"zstd\"" "}" >b.pkr.hcl &&
	"$KILN" validate b.pkr.hcl
'

test_expect_success 'an unknown sanitize key is a template error' '
	template "sanitize {" "  operation = [\"defaults\"]" "}" >c.pkr.hcl &&
	test_expect_code 1 "$KILN" validate c.pkr.hcl >log.txt 2>&1 &&
	test_grep "on c.pkr.hcl line 9" log.txt &&
	test_grep "Did you mean \"operations\"?" log.txt
'

test_expect_success 'an unknown operation stops the build before anything is fetched or booted' '
	template "sanitize {" "  operations = [\"defaults\", \"ssh-hostkey\"]" "}" >d.pkr.hcl &&
	test_expect_code 1 "$KILN" build d.pkr.hcl >log.txt 2>&1 &&
	test_grep_text "unknown sanitize operation \"ssh-hostkey\"" log.txt &&
	test_grep "on d.pkr.hcl line 9" log.txt &&
	test_grep "ssh-hostkeys" log.txt &&
	! grep -i -e "download" -e "starting" -e "booting" log.txt &&
	test ! -e outdir
'

test_expect_success 'an unknown excluded operation is refused too' '
	template "sanitize {" "  exclude = [\"logs\"]" "}" >e.pkr.hcl &&
	test_expect_code 1 "$KILN" build e.pkr.hcl >log.txt 2>&1 &&
	test_grep_text "unknown sanitize operation \"logs\"" log.txt &&
	test_grep "on e.pkr.hcl line 9" log.txt
'

test_expect_success 'a format kiln cannot write stops the build before anything is fetched' '
	template "export {" "  formats = [\"qcow2\", \"vdi\"]" "}" >f.pkr.hcl &&
	test_expect_code 1 "$KILN" build f.pkr.hcl >log.txt 2>&1 &&
	test_grep_text "kiln cannot write the image format \"vdi\"" log.txt &&
	test_grep "on f.pkr.hcl line 9" log.txt &&
	test_grep_text "qcow2, raw, vmdk, vhdx, vpc, ova, vagrant" log.txt &&
	test ! -e outdir
'

test_expect_success 'an unknown qcow2 compression stops the build' '
	template "export {" "  compression = \"lzma\"" "}" >g.pkr.hcl &&
	test_expect_code 1 "$KILN" build g.pkr.hcl >log.txt 2>&1 &&
	test_grep_text "compression = \"lzma\" is not one of: none, zlib, zstd." log.txt &&
	test_grep "on g.pkr.hcl line 9" log.txt
'

test_done
