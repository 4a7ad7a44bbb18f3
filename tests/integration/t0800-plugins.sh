#!/bin/sh
# t0800-plugins — plugins end to end without a VM: the example plugins built out of tree against the
# installed SDKs (`make install DESTDIR`, then only pkg-config), served from a loopback HTTP mirror,
# installed and locked by `kiln init`, checked by validate like built-in components, and run by a
# build (null builder, test sshd); `kiln plugins ...`; and each way installing or locking can fail.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/sshd.sh"
. "$KILN_SRCDIR/tests/lib/plugins.sh"

sshd_setup_and_start
KILN_PLUGIN_PATH=$TEST_DIR/plugins
export KILN_PLUGIN_PATH
unset KILN_PLUGIN_MIRROR

# the template: both example plugins, each kind of component, against the test sshd
write_template() {
	mkdir -p t/files && echo "file one" >t/files/one && echo "motd text" >t/motd && echo "disk bytes" >t/disk.img &&
	sshd_null_template t/build.pkr.hcl <<-HCL
	packer {
	  required_plugins {
	    hello   = { source = "github.com/kiln-examples/hello", version = ">= 1.0" }
	    pyhello = { source = "github.com/kiln-examples/pyhello", version = "~> 1.0" }
	  }
	}
	build {
	  sources = ["source.null.box"]
	  provisioner "hello" {
	    commands    = ["echo hello-ran on \$(hostname)", "echo to-stderr >&2"]
	    file        = "t/motd"
	    destination = "$SSHD_HOME/motd-copy"
	  }
	  provisioner "pyhello" {
	    inline      = ["echo py-ran"]
	    dir         = "t/files/"
	    destination = "$SSHD_HOME/files-copy"
	    note        = "$SSHD_HOME/note.txt"
	  }
	  post-processors {
	    post-processor "artifice" { files = ["t/disk.img", "t/motd"] }
	    post-processor "pyhello" { output = "t/SUMS" }
	    post-processor "hello" { output = "t/manifest.txt" }
	  }
	  provisioner "shell-local" {
	    inline = ["echo data: \${data.hello.me.greeting} \${local.count} \${join(",", data.pyhello.w.upper)}"]
	  }
	}
	data "hello" "me" { name = local.who }
	data "pyhello" "w" { words = ["a", data.hello.me.length == 8 ? "b" : "x"] }
	locals {
	  who   = "null-box"
	  count = data.pyhello.w.count
	}
	HCL
}

test_expect_success 'the example plugins build out of tree against the installed SDKs, with pkg-config only' '
	plugins_install_kiln "$TEST_DIR/inst" &&
	test -f "$KILN_PREFIX_DIR/include/kiln-plugin.h" &&
	test -f "$KILN_PREFIX_DIR/lib/libkiln-plugin.a" &&
	$PLUGIN_PKG_CONFIG --cflags kiln-plugin >cflags &&
	test_grep -- "-I$KILN_PREFIX_DIR/include" cflags &&
	! grep -- "$KILN_SRCDIR" cflags &&
	plugins_build_c "$TEST_DIR/kiln-plugin-hello" &&
	plugins_build_python "$TEST_DIR/kiln-plugin-pyhello" &&
	"$TEST_DIR/kiln-plugin-hello" --version >v && test_grep -x 1.0.0 v &&
	"$TEST_DIR/kiln-plugin-pyhello" describe >d && test_grep "\"data_sources\"" d &&
	# run by hand, a plugin says what it is
	test_expect_code 1 "$TEST_DIR/kiln-plugin-hello" 2>err &&
	test_grep "This is kiln-plugin-hello 1.0.0, a plugin for kiln" err &&
	# the header needs nothing of kiln: it compiles alone
	printf "#include <kiln-plugin.h>\nint main(void) { return kp_json_len(0); }\n" >alone.c &&
	cc -Wall -Werror $(cat cflags) -o alone alone.c $($PLUGIN_PKG_CONFIG --libs kiln-plugin)
'

test_expect_success 'a mirror on a loopback port serves both' '
	mirror_add mirror github.com/kiln-examples/hello kiln-plugin-hello 1.0.0 &&
	mirror_add mirror github.com/kiln-examples/pyhello kiln-plugin-pyhello 1.0.0 &&
	mirror_serve mirror &&
	curl -sf "$MIRROR_URL/github.com/kiln-examples/hello/SHA256SUMS" >sums &&
	test_grep "  kiln-plugin-hello_v1.0.0_x1.0_linux_amd64$" sums &&
	echo "$MIRROR_URL" >mirror.url
'
MIRROR_URL=$(cat mirror.url 2>/dev/null)

test_expect_success 'a build that needs a plugin that is not installed fails before anything starts: run kiln init' '
	write_template &&
	test_expect_code 1 "$KILN" build t >out 2>err &&
	test_grep "Error: Plugin not installed" err &&
	test_grep "has no lock file (.kiln.lock.hcl)" err &&
	test_grep "Run .kiln init. on the template" err &&
	test_grep "on t/build.pkr.hcl line 15, in build:" err &&
	! grep "Waiting for SSH" out &&
	test_expect_code 1 "$KILN" validate t >out 2>err &&
	test_grep "Error: Plugin not installed" err
'

test_expect_success 'kiln init installs both from the mirror, verified, and writes the lock file' '
	"$KILN" init -plugin-mirror "$MIRROR_URL" t >out 2>err &&
	test_grep "^Plugin \"hello\" (github.com/kiln-examples/hello >= 1.0): installed 1.0.0 from $MIRROR_URL/github.com/kiln-examples/hello/kiln-plugin-hello_v1.0.0_x1.0_linux_amd64 into $KILN_PLUGIN_PATH/github.com/kiln-examples/hello/kiln-plugin-hello_v1.0.0_x1.0_linux_amd64.$" out &&
	test_grep "^Plugin \"pyhello\" (github.com/kiln-examples/pyhello ~> 1.0): installed 1.0.0" out &&
	test_grep "^Wrote t/.kiln.lock.hcl (2 plugins).$" out &&
	h=$(sha256sum <kiln-plugin-hello | cut -c1-64) &&
	test_grep "^plugin \"github.com/kiln-examples/hello\" {$" t/.kiln.lock.hcl &&
	test_grep "\"sha256:$h\"," t/.kiln.lock.hcl &&
	test_grep "constraints = \"~> 1.0\"" t/.kiln.lock.hcl &&
	f=$KILN_PLUGIN_PATH/github.com/kiln-examples/hello/kiln-plugin-hello_v1.0.0_x1.0_linux_amd64 &&
	test -x "$f" && test_grep -x "$h" "${f}_SHA256SUM" &&
	! ls "$KILN_PLUGIN_PATH"/github.com/kiln-examples/hello/.install-* 2>/dev/null
'

test_expect_success 'kiln plugins installed and required list them' '
	"$KILN" plugins installed >out &&
	test_grep -x "$KILN_PLUGIN_PATH/github.com/kiln-examples/hello/kiln-plugin-hello_v1.0.0_x1.0_linux_amd64" out &&
	"$KILN" plugins installed -long >out &&
	test_grep "^github.com/kiln-examples/pyhello 1.0.0 (protocol 1.0): " out &&
	"$KILN" plugins required t >out &&
	test_grep -c "kiln-plugin-" out >n && test_grep -x 2 n
'

test_expect_success 'validate checks plugin blocks against the plugins schemas, with locations' '
	sed "s/    file        = \"t\/motd\"/    fiel = \"t\/motd\"/" t/build.pkr.hcl >t/build.tmp &&
	mv t/build.tmp t/build.pkr.hcl &&
	test_expect_code 1 "$KILN" validate t >out 2>err &&
	test_grep "Error: Unsupported argument" err &&
	test_grep "An argument named \"fiel\" is not expected here. Did you mean \"file\"?" err &&
	write_template &&
	sed "s/post-processor \"hello\" { output = \"t\/manifest.txt\" }/post-processor \"hello\" {}/" t/build.pkr.hcl >t/build.tmp &&
	mv t/build.tmp t/build.pkr.hcl &&
	test_expect_code 1 "$KILN" validate t >out 2>err &&
	test_grep "Error: Missing required argument" err &&
	test_grep "The argument \"output\" is required" err &&
	write_template &&
	# prepare runs too: the plugin checks what a schema cannot say, located at the attribute
	sed "s/dir         = \"t\/files\/\"/dir         = \"nope\/\"/" t/build.pkr.hcl >t/build.tmp &&
	mv t/build.tmp t/build.pkr.hcl &&
	test_expect_code 1 "$KILN" validate t >out 2>err &&
	test_grep "Error: Invalid provisioner configuration" err &&
	test_grep "on t/build.pkr.hcl line 22" err &&
	test_grep "nope/ is not a directory" err &&
	write_template &&
	"$KILN" validate t >out 2>err &&
	test_grep "The configuration is valid." out
'

test_expect_success 'a build runs both: commands and uploads on the machine, post-processors read and make artifacts' '
	write_template &&
	"$KILN" build t >out 2>err &&
	test_grep "==> null.box: hello from the C example plugin, on 127.0.0.1" out &&
	test_grep "    null.box: hello-ran on " out &&
	test_grep "null.box: to-stderr" err &&
	test_grep "    null.box: pyhello: py-ran" out &&
	test_cmp t/motd "$SSHD_HOME/motd-copy" &&
	test_cmp t/files/one "$SSHD_HOME/files-copy/one" &&
	test_grep "built by null.box on 127.0.0.1" "$SSHD_HOME/note.txt" &&
	(cd t && sha256sum disk.img motd) >want-sums &&
	test_cmp want-sums t/SUMS &&
	test_grep " $TEST_DIR/t/SUMS$" t/manifest.txt &&
	test_grep "^--> null.box: Checksums of 2 file(s): t/SUMS$" out &&
	test_grep "^--> null.box: Manifest of 1 file(s): t/manifest.txt$" out &&
	# data sources ran in dependency order with the locals, and the template used their values
	test_grep "    null.box: data: hello, null-box 2 A,B$" out
'

test_expect_success 'data sources run in kiln console and validate -evaluate-datasources, not in plain validate' '
	echo "data.hello.me.greeting" | "$KILN" console t >out 2>err &&
	test_grep -x "hello, null-box" out &&
	echo "data.pyhello.w.upper[1]" | "$KILN" console t >out 2>err &&
	test_grep -x "B" out &&
	sed "s/words = \[\"a\"/words = [\"\"/" t/build.pkr.hcl >t/build.tmp && mv t/build.tmp t/build.pkr.hcl &&
	"$KILN" validate t >out 2>err &&
	test_grep "The configuration is valid." out &&
	test_expect_code 1 "$KILN" validate -evaluate-datasources t >out 2>err &&
	test_grep "Error: Data source failed" err &&
	test_grep_text "data.pyhello.w: plugin kiln-plugin-pyhello 1.0.0: word 1 is empty" err &&
	test_expect_code 1 "$KILN" build t >out 2>err &&
	test_grep "Error: Data source failed" err &&
	! grep "null.box: hello from the C example plugin" out &&
	write_template &&
	"$KILN" validate -evaluate-datasources t >out 2>err &&
	test_grep "The configuration is valid." out &&
	# a loop through a data source and a local is named whole, also where nothing runs
	cat >>t/build.pkr.hcl <<-\EOF &&
	data "hello" "loop" { name = local.loop }
	locals { loop = data.hello.loop.greeting }
	EOF
	test_expect_code 1 "$KILN" validate t >out 2>err &&
	test_grep "Error: Cyclic references" err &&
	test_grep_text "local.loop refers to data.hello.loop, which refers to local.loop" err &&
	write_template
'

test_expect_success 'init again uses what the lock file records, and changes nothing' '
	cp t/.kiln.lock.hcl lock.before &&
	"$KILN" init t >out 2>err &&
	test_grep "^Plugin \"hello\" (github.com/kiln-examples/hello >= 1.0): using 1.0.0 (as locked), installed at " out &&
	test_cmp lock.before t/.kiln.lock.hcl
'

test_expect_success 'a checksum mismatch at install: nothing is installed, both digests are named' '
	"$KILN" plugins remove github.com/kiln-examples/hello >out &&
	test_grep "kiln-plugin-hello_v1.0.0_x1.0_linux_amd64$" out &&
	cp mirror/github.com/kiln-examples/hello/kiln-plugin-hello_v1.0.0_x1.0_linux_amd64 good &&
	echo tampered >>mirror/github.com/kiln-examples/hello/kiln-plugin-hello_v1.0.0_x1.0_linux_amd64 &&
	test_expect_code 1 "$KILN" init -plugin-mirror "$MIRROR_URL" t >out 2>err &&
	test_grep "^Plugin \"hello\" (github.com/kiln-examples/hello >= 1.0): failed (see below).$" out &&
	test_grep "^Plugin \"pyhello\" (github.com/kiln-examples/pyhello ~> 1.0): using 1.0.0 (as locked)" out &&
	test_grep "checksum mismatch for $MIRROR_URL/github.com/kiln-examples/hello/kiln-plugin-hello_v1.0.0_x1.0_linux_amd64: expected sha256:$(sha256sum <good | cut -c1-64), got sha256:" err &&
	test ! -e "$KILN_PLUGIN_PATH/github.com/kiln-examples/hello/kiln-plugin-hello_v1.0.0_x1.0_linux_amd64" &&
	! ls -a "$KILN_PLUGIN_PATH/github.com/kiln-examples/hello" | grep -v "^\.\.\?$" &&
	mv good mirror/github.com/kiln-examples/hello/kiln-plugin-hello_v1.0.0_x1.0_linux_amd64 &&
	"$KILN" init -plugin-mirror "$MIRROR_URL" t >out 2>err &&
	test_grep "hello >= 1.0): installed 1.0.0" out
'

test_expect_success 'a plugin that differs from the lock file: build refuses it and says kiln init -upgrade' '
	f=$KILN_PLUGIN_PATH/github.com/kiln-examples/hello/kiln-plugin-hello_v1.0.0_x1.0_linux_amd64 &&
	cp "$f" other && printf "\n" >>other &&
	cp other "$f" && sha256sum <other | cut -c1-64 >"${f}_SHA256SUM" &&
	test_expect_code 1 "$KILN" build t >out 2>err &&
	test_grep "Error: Plugin does not match the lock file" err &&
	test_grep "sha256:$(sha256sum <other | cut -c1-64), which" err &&
	test_grep "init -upgrade. to record its checksum" err &&
	! grep "Waiting for SSH" out &&
	# and a file changed behind kiln (its _SHA256SUM no longer matches) is refused too
	printf "x" >>"$f" &&
	test_expect_code 1 "$KILN" validate t >out 2>err &&
	test_grep "Error: Plugin file damaged" err &&
	test_grep "does not match its checksum file" err &&
	"$KILN" init -upgrade -plugin-mirror "$MIRROR_URL" t >out 2>err &&
	test_grep "hello >= 1.0): installed 1.0.0" out &&
	"$KILN" validate t >out
'

test_expect_success 'a plugin for another protocol major is refused at init, both versions named' '
	cat >future.py <<-\EOF &&
	import kiln_plugin as kp
	kp.PROTOCOL = "2.0"
	kp.serve("future", "2.0.0", provisioners={"": kp.Provisioner})
	EOF
	mkdir -p fut && cp future.py fut/__main__.py && cp "$(find "$TEST_DIR/inst" -name kiln_plugin.py)" fut/ &&
	/usr/bin/python3 -m zipapp fut -p /usr/bin/python3 -o kiln-plugin-future &&
	mirror_add mirror github.com/acme/future kiln-plugin-future 2.0.0 2.0 &&
	printf "packer {\n  required_plugins {\n    future = { source = \"github.com/acme/future\" }\n    hello = { source = \"github.com/kiln-examples/hello\" }\n  }\n}\n" >f.pkr.hcl &&
	test_expect_code 1 "$KILN" init -plugin-mirror "$MIRROR_URL" f.pkr.hcl >out 2>err &&
	test_grep "Plugin \"future\" (github.com/acme/future): failed (see below)." out &&
	test_grep "Plugin \"hello\" (github.com/kiln-examples/hello): using 1.0.0" out &&
	test_grep "no release of github.com/acme/future that kiln can run: 2.0.0 (it speaks plugin protocol 2.0 and this kiln speaks 1.0: it needs a newer kiln)" err &&
	# a file that claims protocol 1.0 but speaks 2.0 is refused when kiln shakes hands with it
	mirror_add mirror github.com/acme/future kiln-plugin-future 2.0.0 1.0 &&
	test_expect_code 1 "$KILN" init -plugin-mirror "$MIRROR_URL" f.pkr.hcl >out 2>err &&
	test_grep "kiln-plugin-future 2.0.0 cannot run on this kiln: it speaks plugin protocol 2.0 and this kiln speaks 1.0" err &&
	test ! -e "$KILN_PLUGIN_PATH/github.com/acme/future/kiln-plugin-future_v2.0.0_x1.0_linux_amd64" &&
	test_expect_code 1 "$KILN" plugins install --path kiln-plugin-future github.com/acme/future 2>err &&
	test_grep "cannot run on this kiln: it speaks plugin protocol 2.0 and this kiln speaks 1.0" err
'

test_expect_success 'kiln plugins install --path, for a machine without a network' '
	"$KILN" plugins install --path kiln-plugin-hello github.com/acme/offline >out &&
	test_grep "^Installed github.com/acme/offline 1.0.0 (protocol 1.0) in $KILN_PLUGIN_PATH/github.com/acme/offline/kiln-plugin-offline_v1.0.0_x1.0_linux_amd64$" out &&
	printf "packer {\n  required_plugins {\n    offline = { source = \"github.com/acme/offline\", version = \"1.0.0\" }\n  }\n}\nsource \"null\" \"a\" {\n  communicator = \"none\"\n}\nbuild {\n  sources = [\"source.null.a\"]\n  provisioner \"offline\" {}\n}\n" >o.pkr.hcl &&
	KILN_PLUGIN_MIRROR=/nonexistent "$KILN" init o.pkr.hcl >out 2>err &&
	test_grep "using 1.0.0, installed at $KILN_PLUGIN_PATH/github.com/acme/offline/" out &&
	"$KILN" validate o.pkr.hcl &&
	"$KILN" plugins remove github.com/acme/offline 1.0.0 >out &&
	test_expect_code 1 "$KILN" plugins remove github.com/acme/offline 2>err &&
	test_grep "github.com/acme/offline is not installed" err &&
	test_expect_code 1 "$KILN" plugins install --path kiln-plugin-hello not-a-source 2>err &&
	test_grep "\"not-a-source\" is not a plugin source" err
'

test_done
