#!/bin/sh
# t0402-qemu-refusals — what the qemu builder refuses before any VM exists: an existing output_directory
# without -force (left untouched), and a download whose checksum does not match (the download is
# removed from the cache and the error names both digests). The image is served over HTTP on loopback.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

test_have_prereq LIBVIRT || { echo "Bail out! libvirt is not reachable: run scripts/install-deps"; exit 1; }
KILN_CACHE_DIR=$TEST_DIR/cache
export KILN_CACHE_DIR

template() {
	cat <<-EOF
	source "qemu" "t" {
	  iso_url          = "$1"
	  iso_checksum     = "$2"
	  disk_image       = true
	  accelerator      = "tcg"
	  ssh_username     = "root"
	  output_directory = "out"
	}
	build { sources = ["source.qemu.t"] }
	EOF
}

test_expect_success 'an existing output directory is refused and left alone' '
	printf "not a disk image" >image.qcow2 &&
	template image.qcow2 none >t.pkr.hcl &&
	mkdir out && echo keep >out/precious &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out.txt 2>&1 &&
	test_grep "output directory out already exists" out.txt &&
	test_grep -- "-force" out.txt &&
	test "$(cat out/precious)" = keep &&
	test "$(ls out)" = precious
'

test_expect_success 'a checksum mismatch removes the download and names both digests' '
	rm -rf out &&
	head -c 300000 /dev/urandom >served.img &&
	actual=$(sha256sum served.img | cut -d" " -f1) &&
	wrong=0000000000000000000000000000000000000000000000000000000000000000 &&
	port=$(test_free_port) &&
	{ python3 -m http.server --bind 127.0.0.1 "$port" >http.log 2>&1 & } &&
	echo "kill $!" >>"$TEST_DIR/.when_finished" &&
	i=0 && while ! python3 -c "import socket,sys; sys.exit(socket.socket().connect_ex((\"127.0.0.1\",$port)))" && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done &&
	template "http://127.0.0.1:$port/served.img" "sha256:$wrong" >t.pkr.hcl &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out.txt 2>&1 &&
	test_grep "checksum mismatch" out.txt &&
	test_grep "expected sha256:$wrong" out.txt &&
	test_grep "got sha256:$actual" out.txt &&
	test -z "$(find "$KILN_CACHE_DIR" -type f ! -name "*.lock")" &&
	! test -e out
'

test_done
