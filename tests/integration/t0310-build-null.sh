#!/bin/sh
# t0310-build-null — `kiln build` with the null builder against a test sshd: logging in with a key or a
# password, failing clearly (wrong password, nothing listening, missing settings), build.* values for
# templates, and the keys every provisioner has (pause_before, max_retries, timeout, only/except,
# override).
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/sshd.sh"

sshd_setup_and_start
# source NAME [EXTRA...]: a null source block for the test sshd logging in with the key
source_block() {
	_name=$1
	shift
	printf 'source "null" "%s" {\n  ssh_host = "127.0.0.1"\n  ssh_port = %s\n  ssh_username = "%s"\n' \
		"$_name" "$SSHD_PORT" "$SSHD_USER"
	for _l in "$@"; do printf '  %s\n' "$_l"; done
	printf '}\n'
}

test_expect_success 'key login: provisioners run, build.* values reach the template' '
	{
		source_block box "ssh_private_key_file = \"$SSHD_KEY\"" &&
		cat <<-\HCL
		build {
		  sources = ["source.null.box"]
		  provisioner "shell" {
		    inline = ["echo host=${build.Host} port=${build.Port} user=${build.User} type=${build.ConnType}"]
		  }
		}
		HCL
	} >t.pkr.hcl &&
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "==> null.box: Waiting for SSH to become available..." out &&
	test_grep "==> null.box: Connected to SSH!" out &&
	test_grep "null.box: host=127.0.0.1 port=$SSHD_PORT user=$SSHD_USER type=ssh$" out
'

test_expect_success 'password login' '
	{
		source_block box "ssh_password = \"$SSHD_PASSWORD\"" &&
		printf "build {\n  sources = [\"source.null.box\"]\n  provisioner \"shell\" {\n    inline = [\"id -un\"]\n  }\n}\n"
	} >t.pkr.hcl &&
	{ "$KILN" build t.pkr.hcl >out 2>err || { cat out err; false; }; } &&
	test_grep "null.box: $SSHD_USER$" out
'

test_expect_success 'a wrong password fails with a clear message after ssh_handshake_attempts' '
	{
		source_block box "ssh_password = \"wrong\"" "ssh_handshake_attempts = 2" &&
		printf "build {\n  sources = [\"source.null.box\"]\n}\n"
	} >t.pkr.hcl &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "cannot log in to 127.0.0.1:$SSHD_PORT: authentication failed for user \"$SSHD_USER\" (tried: password;" err
'

test_expect_success 'nothing listening: fails at ssh_timeout with the address and the reason' '
	port=$(test_free_port) &&
	cat >t.pkr.hcl <<-HCL &&
	source "null" "box" {
	  ssh_host     = "127.0.0.1"
	  ssh_port     = $port
	  ssh_username = "nobody"
	  ssh_password = "x"
	  ssh_timeout  = "3s"
	}
	build {
	  sources = ["source.null.box"]
	}
	HCL
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "null.box: waiting for SSH on 127.0.0.1:$port: connection refused, 1 try" out &&
	test_grep "timeout waiting for SSH on 127.0.0.1:$port after 3s: connection refused" err
'

test_expect_success 'the null builder needs ssh_host, ssh_username and a way to log in' '
	printf "source \"null\" \"a\" {\n  ssh_username = \"u\"\n  ssh_password = \"not-used-pw\"\n}\nbuild {\n  sources = [\"source.null.a\"]\n}\n" >t.pkr.hcl &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "needs ssh_host" err &&
	printf "source \"null\" \"a\" {\n  ssh_host = \"h\"\n  ssh_password = \"not-used-pw\"\n}\nbuild {\n  sources = [\"source.null.a\"]\n}\n" >t.pkr.hcl &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "an ssh_username must be specified" err &&
	printf "source \"null\" \"a\" {\n  ssh_host = \"h\"\n  ssh_username = \"u\"\n}\nbuild {\n  sources = [\"source.null.a\"]\n}\n" >t.pkr.hcl &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "one authentication method must be specified" err
'

test_expect_success 'communicator keys are checked where they are written' '
	printf "source \"null\" \"a\" {\n  communicator = \"winrm\"\n}\nbuild {\n  sources = [\"source.null.a\"]\n}\n" >t.pkr.hcl &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "winrm communicator is not supported" err &&
	test_grep "t.pkr.hcl" err &&
	printf "source \"null\" \"a\" {\n  ssh_host = \"h\"\n  ssh_username = \"u\"\n  ssh_password = \"not-used-pw\"\n  temporary_key_pair_type = \"dsa\"\n}\nbuild {\n  sources = [\"source.null.a\"]\n}\n" >t.pkr.hcl &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "temporary_key_pair_type" err
'

test_expect_success 'pause_before and max_retries: a provisioner that fails once is run again' '
	rm -f "$SSHD_HOME/tried" &&
	{
		source_block box "ssh_private_key_file = \"$SSHD_KEY\"" &&
		cat <<-\HCL
		build {
		  sources = ["source.null.box"]
		  provisioner "shell" {
		    pause_before = "1s"
		    max_retries  = 2
		    inline       = ["if [ -e tried ]; then echo second try; else touch tried; exit 1; fi"]
		  }
		}
		HCL
	} >t.pkr.hcl &&
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "Pausing 1s before the next provisioner" out &&
	test_grep "null.box: second try" out
'

test_expect_success 'timeout stops a provisioner that runs too long, on the machine too' '
	{
		source_block box "ssh_private_key_file = \"$SSHD_KEY\"" &&
		cat <<-\HCL
		build {
		  sources = ["source.null.box"]
		  provisioner "shell" {
		    timeout = "2s"
		    inline  = ["exec sleep 302"]
		  }
		}
		HCL
	} >t.pkr.hcl &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "timed out after 2s" err &&
	n=0 && while pgrep -r RSDT -u "$SSHD_USER" -f "^sleep 302" >/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done &&
	! pgrep -r RSDT -u "$SSHD_USER" -f "^sleep 302"
'

test_expect_success 'only, except and override pick and change provisioners per source' '
	{
		source_block one "ssh_private_key_file = \"$SSHD_KEY\"" &&
		source_block two "ssh_private_key_file = \"$SSHD_KEY\"" &&
		cat <<-\HCL
		build {
		  sources = ["source.null.one", "source.null.two"]
		  provisioner "shell" {
		    only   = ["null.one"]
		    inline = ["echo only-one"]
		  }
		  provisioner "shell" {
		    except = ["null.one"]
		    inline = ["echo not-one"]
		  }
		  provisioner "shell" {
		    inline = ["echo plain"]
		    override = {
		      two = { inline = ["echo overridden"] }
		    }
		  }
		}
		HCL
	} >t.pkr.hcl &&
	{ "$KILN" build t.pkr.hcl >out 2>err || { cat out err; false; }; } &&
	test_grep "null.one: only-one" out &&
	! grep "null.two: only-one" out &&
	test_grep "null.two: not-one" out &&
	! grep "null.one: not-one" out &&
	test_grep "null.one: plain" out &&
	test_grep "null.two: overridden" out
'

test_expect_success 'one build with all four provisioners' '
	echo "from the build" >payload.txt &&
	{
		source_block box "ssh_private_key_file = \"$SSHD_KEY\"" &&
		cat <<-\HCL
		build {
		  sources = ["source.null.box"]
		  provisioner "shell-local" {
		    inline = ["echo local side > local.txt"]
		  }
		  provisioner "file" {
		    source      = "payload.txt"
		    destination = "payload.txt"
		  }
		  provisioner "breakpoint" {
		    note = "between the uploads"
		  }
		  provisioner "shell" {
		    environment_vars = ["WHO=${build.User}"]
		    inline           = ["cat payload.txt", "echo \"shell as $WHO\""]
		  }
		  provisioner "file" {
		    direction   = "download"
		    source      = "payload.txt"
		    destination = "back/"
		  }
		}
		HCL
	} >t.pkr.hcl &&
	"$KILN" build t.pkr.hcl >out 2>err </dev/null &&
	test_grep "^local side$" local.txt &&
	test_grep "null.box: from the build$" out &&
	test_grep "null.box: shell as $SSHD_USER$" out &&
	test_grep "Breakpoint provisioner with note \"between the uploads\"" out &&
	test_cmp payload.txt back/payload.txt &&
	test_grep "^--> null.box: Did not export anything" out
'

test_done
