#!/bin/sh
# t0801-plugin-failures — a plugin that misbehaves during a build (null builder, test sshd): it
# crashes, hangs past the step's timeout, writes garbage to the socket, or runs when the user presses
# Ctrl-C. Each time the step fails with an error that names the plugin and quotes its last output, the
# build's cleanup runs, and no plugin process is left. The plugin is tests/helpers/kiln-plugin-fixture,
# built on the C SDK; the services it uses (build values, streamed output, descriptors both ways) are
# checked on the way.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/sshd.sh"

sshd_setup_and_start
KILN_PLUGIN_PATH=$TEST_DIR/plugins
KILN_PLUGIN_CANCEL_GRACE=1s
# kiln's temporary directories (the links that give uploads their names) go here, to be checked
TMPDIR=$TEST_DIR/tmp
mkdir -p "$TMPDIR"
export KILN_PLUGIN_PATH KILN_PLUGIN_CANCEL_GRACE TMPDIR

# template PROVISIONER-BODY: the fixture's provisioner after a shell step, against the test sshd
template() {
	sshd_null_template t.pkr.hcl <<-HCL
	packer {
	  required_plugins {
	    fixture = { source = "github.com/kiln-tests/fixture", version = ">= 0.1" }
	  }
	}
	build {
	  sources = ["source.null.box"]
	  provisioner "shell" { inline = ["echo before the plugin"] }
	  provisioner "fixture" {
	    pid_file = "$TEST_DIR/plugin.pid"
	$1
	  }
	}
	HCL
}

# the plugin process the last step started is gone, and so is every temporary directory of kiln's
nothing_left() {
	test -s "$TEST_DIR/plugin.pid" &&
	pid=$(cat "$TEST_DIR/plugin.pid") &&
	! kill -0 "$pid" 2>/dev/null &&
	test -z "$(ls -A "$TMPDIR")" &&
	rm -f "$TEST_DIR/plugin.pid" out err kiln.pgid   # what the tests before wrote must not satisfy CONDITION
}

test_expect_success 'the fixture installs by hand and locks' '
	"$KILN" plugins install -path "$KILN_BUILDDIR/tests/helpers/kiln-plugin-fixture" github.com/kiln-tests/fixture >out &&
	template "    mode = \"ok\"" &&
	KILN_PLUGIN_MIRROR=/nonexistent "$KILN" init t.pkr.hcl >out &&
	test_grep "using 0.3.0, installed at" out
'

test_expect_success 'services: build values, streamed output, an upload and a download through descriptors' '
	echo "local bytes" >up.txt &&
	echo "remote bytes" >"$SSHD_HOME/remote.txt" &&
	template "    command = \"echo key=\${build.SSHPrivateKeyFile}; echo oops >&2\"
	    stream = true
	    file = \"up.txt\"
	    destination = \"$SSHD_HOME/\"
	    fetch = \"$SSHD_HOME/remote.txt\"
	    fetch_to = \"down.txt\"" &&
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "==> null.box: fixture on 127.0.0.1 (build null.box)" out &&
	test_grep "    null.box: streamed stdout: key=$SSHD_KEY$" out &&
	test_grep "    null.box: streamed stderr: oops$" out &&
	test_cmp up.txt "$SSHD_HOME/up.txt" &&
	test_cmp "$SSHD_HOME/remote.txt" down.txt &&
	nothing_left
'

test_expect_success 'a plugin that crashes mid-run: the step fails naming it, with its last output' '
	template "    mode = \"crash\"" &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "null.box: before the plugin" out &&
	test_grep "provisioner \"fixture\" at t.pkr.hcl:15: plugin kiln-plugin-fixture 0.3.0: crashed during provision: it was killed by signal 11 (Segmentation fault); its last output:" err &&
	test_grep "^    fixture: about to crash$" err &&
	test_grep "Provisioning step had errors: Running the cleanup provisioner, if present..." out &&
	nothing_left
'

test_expect_success 'a plugin that hangs past the step timeout is cancelled, then killed' '
	template "    mode = \"hang\"
	    timeout = \"2s\"" &&
	start=$(date +%s) &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test $(($(date +%s) - start)) -lt 20 &&
	test_grep "timed out after 2s: plugin kiln-plugin-fixture 0.3.0: did not stop within 1s of being cancelled (timeout) during provision, and was killed; its last output:" err &&
	test_grep "^    fixture: about to hang$" err &&
	nothing_left
'

test_expect_success 'a plugin that stops when cancelled at its timeout: a plain timeout' '
	template "    mode = \"wait-cancel\"
	    timeout = \"1s\"" &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "timed out after 1s: plugin kiln-plugin-fixture 0.3.0: stopped after cancel" err &&
	nothing_left
'

test_expect_success 'a plugin that writes garbage to its socket breaks the protocol: killed, quoted' '
	template "    mode = \"garbage\"" &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "plugin kiln-plugin-fixture 0.3.0: broke the protocol during provision: protocol error in message [0-9]*: not JSON" err &&
	test_grep "^    fixture: about to garbage$" err &&
	test_grep "\"this is not JSON\"" err &&
	test_grep "this is a bug in the plugin" err &&
	nothing_left
'

test_expect_success 'a plugin that exits without answering' '
	template "    mode = \"exit\"" &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "plugin kiln-plugin-fixture 0.3.0: stopped during provision: it exited with status 3; its last output:" err &&
	nothing_left
'

# ctrl_c_build CONDITION: run kiln in a process group of its own, as a shell runs a foreground job;
# once CONDITION holds, Ctrl-C: SIGINT to the whole group
ctrl_c_build() {
	rm -f "$TEST_DIR/plugin.pid" out err kiln.pgid   # what the tests before wrote must not satisfy CONDITION
	setsid sh -c 'echo $$ >kiln.pgid; exec "$KILN" build t.pkr.hcl' >out 2>err &
	i=0
	until eval "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "never saw: $1"; cat out err; return 1; }
		sleep 0.1
	done
	kill -INT -"$(cat kiln.pgid)" &&
	i=0
	while kill -0 "$(cat kiln.pgid)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "kiln did not stop"; return 1; }
		sleep 0.1
	done
}

test_expect_success 'Ctrl-C during a plugin run: the plugin gets cancel, not SIGINT, and stops' '
	template "    mode = \"wait-cancel\"" &&
	ctrl_c_build "grep -q \"waiting to be cancelled\" out" &&
	test_grep "plugin kiln-plugin-fixture 0.3.0: stopped after cancel" err &&
	! grep "killed by signal" err &&
	nothing_left
'

test_expect_success 'Ctrl-C with a plugin that ignores cancel: killed after the grace period' '
	template "    mode = \"hang\"" &&
	ctrl_c_build "test -s plugin.pid && sleep 0.5" &&
	test_grep "did not stop within 1s of being cancelled (interrupted) during provision, and was killed" err &&
	nothing_left
'

test_done
