#!/bin/sh
# t0700-images — every example template in images/ is valid and canonically formatted for kiln, is
# formatted as Packer 1.6.6 formats it, and every file it names next to it (seeds, scripts) exists.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

IMAGES=$KILN_SRCDIR/images
templates() {
	ls "$IMAGES"/*.pkr.hcl "$IMAGES"/*/*.pkr.hcl
}

test_expect_success 'images/ holds the default job and the five distribution examples' '
	templates | sed "s|^$IMAGES/||" >got &&
	cat >want <<-\EOT &&
	debian-12-cloud/debian-12-cloud.pkr.hcl
	debian-12-netinst/debian-12-netinst.pkr.hcl
	local-debian.pkr.hcl
	rocky-9-kickstart/rocky-9-kickstart.pkr.hcl
	ubuntu-24.04-autoinstall/ubuntu-24.04-autoinstall.pkr.hcl
	ubuntu-24.04-cloud/ubuntu-24.04-cloud.pkr.hcl
	EOT
	sort got >got.sorted && test_cmp want got.sorted
'

test_expect_success 'kiln validate accepts every template, as a file and as its directory' '
	for t in $(templates); do
		"$KILN" validate "$t" >out 2>&1 || { echo "$t:"; cat out; exit 1; }
		test_grep -q "The configuration is valid." out || exit 1
		"$KILN" validate "$(dirname "$t")" >out 2>&1 || { echo "$(dirname "$t"):"; cat out; exit 1; }
	done
'

test_expect_success 'kiln fmt -check finds nothing to change' '
	for t in $(templates); do
		"$KILN" fmt -check "$t" >out 2>&1 || { echo "$t:"; "$KILN" fmt -check -diff "$t"; exit 1; }
		test ! -s out || exit 1
	done
'

test_expect_success packer 'packer fmt -check (1.6.6) finds nothing to change either' '
	for t in $(templates); do
		packer fmt -check "$t" >out 2>&1 || { echo "$t:"; packer fmt -check -diff "$t"; exit 1; }
	done
'

test_expect_success 'every file a template names under ${path.root} exists' '
	for t in $(templates); do
		d=$(dirname "$t")
		grep -o "\${path.root}/[^\"]*" "$t" | sed "s|^\${path.root}/||" >paths || :
		while read -r p; do
			case "$p" in base/*) continue ;; esac # made by scripts/mk-base-image
			test -e "$d/$p" || { echo "$t names $p, which does not exist"; exit 1; }
		done <paths
	done
'

test_expect_success 'the installer seeds carry the hash of the templates default ssh_password' '
	hash=$(openssl passwd -6 -salt kilnexample packer) &&
	for s in ubuntu-24.04-autoinstall/http/user-data debian-12-netinst/http/preseed.cfg \
		rocky-9-kickstart/http/ks.cfg; do
		grep -q -F -- "$hash" "$IMAGES/$s" || { echo "$s lacks the hash of \"packer\""; exit 1; }
	done &&
	for t in ubuntu-24.04-autoinstall debian-12-netinst rocky-9-kickstart debian-12-cloud ubuntu-24.04-cloud; do
		"$KILN" inspect "$IMAGES/$t" >out 2>&1 && test_grep -q "var.ssh_password" out || exit 1
		grep -A3 "variable \"ssh_password\"" "$IMAGES/$t/$t.pkr.hcl" | grep -q "default *= \"packer\"" || exit 1
	done
'

test_done
