#!/bin/sh
# t0302-ssh-files — SFTP through the SSH communicator: files and nested directories both ways with
# their modes, Packer's trailing-slash rule, content uploads, errors that name the path, a 100 MiB file.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/sshd.sh"

DRIVER="$KILN_BUILDDIR/tests/lib/kiln-ssh-driver"
sshd_setup_and_start
drive() {
	"$DRIVER" --host 127.0.0.1 --port "$SSHD_PORT" --user "$SSHD_USER" --key "$SSHD_KEY" --quiet "$@"
}
# modes TREE: "mode type path" for everything under TREE, sorted, paths relative to it
modes() {
	(cd "$1" && find . -mindepth 1 -printf "%m %y %p\n" | sort -k3)
}
R=$SSHD_HOME

# A nested tree with unusual modes, names with spaces, an empty directory and an empty file.
mkdir -p tree/sub/deeper "tree/with space" tree/empty &&
echo top >tree/top.txt && chmod 0640 tree/top.txt &&
echo run >tree/sub/run.sh && chmod 0755 tree/sub/run.sh &&
printf 'x' >tree/sub/deeper/secret && chmod 0600 tree/sub/deeper/secret &&
: >"tree/with space/empty file" && chmod 0444 "tree/with space/empty file" &&
chmod 0750 tree/sub && chmod 2711 tree/sub/deeper && chmod 0700 tree/empty

test_expect_success 'upload a file: content and mode' '
	printf "line 1\nline 2\n" >f && chmod 0751 f &&
	drive upload f up-file &&
	test_cmp f "$R/up-file" &&
	echo 751 >want && stat -c %a "$R/up-file" >got && test_cmp want got
'

test_expect_success 'upload over an existing file replaces its content and mode' '
	echo new >f2 && chmod 0600 f2 &&
	drive upload f2 up-file &&
	test_cmp f2 "$R/up-file" &&
	echo 600 >want && stat -c %a "$R/up-file" >got && test_cmp want got
'

test_expect_success 'upload a file into an existing directory keeps its name' '
	mkdir -p "$R/into" && chown "$SSHD_USER" "$R/into" &&
	drive upload f "$R/into" &&
	test_cmp f "$R/into/f"
'

test_expect_success 'upload content with a mode' '
	drive upload-data "a \$b \"c\" '"'"'d'"'"'" content.txt 0640 &&
	printf "%s" "a \$b \"c\" '"'"'d'"'"'" >want && test_cmp want "$R/content.txt" &&
	echo 640 >want && stat -c %a "$R/content.txt" >got && test_cmp want got
'

test_expect_success 'upload "tree" (no slash) creates tree inside the destination, with every mode' '
	drive upload-dir tree dest1 &&
	modes tree >want &&
	modes "$R/dest1/tree" >got &&
	test_cmp want got &&
	diff -r tree "$R/dest1/tree"
'

test_expect_success 'upload "tree/" (slash) puts the contents into the destination' '
	drive upload-dir tree/ dest2/nested &&
	modes tree >want &&
	modes "$R/dest2/nested" >got &&
	test_cmp want got
'

test_expect_success 'download a file: content and mode' '
	drive download up-file got-file &&
	test_cmp "$R/up-file" got-file &&
	echo 600 >want && stat -c %a got-file >got && test_cmp want got
'

test_expect_success 'download "dir" (no slash) and "dir/" (slash) with every mode' '
	drive download-dir dest1/tree dl1 download-dir dest1/tree/ dl2 &&
	modes tree >want &&
	modes dl1/tree >got && test_cmp want got &&
	modes dl2 >got && test_cmp want got &&
	diff -r tree dl2
'

test_expect_success 'is_dir tells directories from files and missing paths' '
	drive is-dir dest1 is-dir up-file is-dir no/such/thing >out &&
	printf "is-dir: yes\nis-dir: no\nis-dir: no\n" >want &&
	test_cmp want out
'

test_expect_success 'errors name the path and the reason' '
	test_expect_code 1 drive upload f /proc/not-writable/x 2>err &&
	test_grep "^error: uploading f: cannot create /proc/not-writable/x on the machine: no such file or directory" err &&
	mkdir -p "$R/locked" && chmod 0555 "$R/locked" &&
	test_expect_code 1 drive upload f locked/x 2>err &&
	test_grep "cannot create locked/x on the machine: permission denied" err &&
	test_expect_code 1 drive download missing-file x 2>err &&
	test_grep "^error: downloading missing-file: cannot open missing-file on the machine: no such file or directory" err &&
	test_expect_code 1 drive upload no-such-local x 2>err &&
	test_grep "cannot open no-such-local" err
'

test_expect_success 'a 100 MiB upload arrives intact' '
	head -c 104857600 /dev/urandom >big &&
	test_when_finished "rm -f big \"$R/big\"" &&
	drive upload big big exec "sha256sum big" >out &&
	sha256sum big | cut -d" " -f1 >want &&
	sed -n "s/^out: \([0-9a-f]*\) .*/\1/p" out >got &&
	test_cmp want got
'

test_done
