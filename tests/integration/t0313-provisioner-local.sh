#!/bin/sh
# t0313-provisioner-local — the provisioners that need no machine, run by `kiln build` with the null
# builder and communicator = "none": shell-local (command, inline, script, scripts, environment,
# execute_command, valid_exit_codes, only_on) and breakpoint (waits for Enter on a terminal, says why
# it does not without one, disable).
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

template() {
	{
		cat <<-\HCL
		source "null" "none" {
		  communicator = "none"
		}
		HCL
		cat
	} >"$1"
}

test_expect_success 'inline and command run here, with the build environment' '
	template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.none"]
	  provisioner "shell-local" {
	    inline = ["echo inline in $PWD for $PACKER_BUILD_NAME/$PACKER_BUILDER_TYPE", "echo err >&2"]
	  }
	  provisioner "shell-local" {
	    command = "echo command: $(basename $0)"
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "null.none: inline in $TEST_DIR for null.none/null$" out &&
	test_grep "null.none: err$" err &&
	test_grep "null.none: command: script$" out
'

test_expect_success 'script and scripts; hostile values in environment_vars and env stay data' '
	cat >show.sh <<-\EOF &&
	#!/bin/sh
	printf "[%s]\n" "$A" "$B" "$C"
	EOF
	chmod +x show.sh &&
	template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.none"]
	  provisioner "shell-local" {
	    script           = "show.sh"
	    environment_vars = ["A=$(touch PWNED) it'"'"'s", "B=`touch PWNED`"]
	    env              = { C = "x\ny \"z\"" }
	  }
	  provisioner "shell-local" {
	    scripts = ["show.sh", "show.sh"]
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err &&
	sed -n "s/^    null.none: //p" out >got &&
	cat >want <<-\EOF &&
	[$(touch PWNED) it'"'"'s]
	[`touch PWNED`]
	[x
	y "z"]
	[]
	[]
	[]
	[]
	[]
	[]
	EOF
	test_cmp want got &&
	test ! -e PWNED
'

test_expect_success 'execute_command: {{.Script}} alone is one argument, even with spaces' '
	mkdir -p "dir with space" &&
	printf "echo \"ran as \$0 with \$GREETING\"\n" >"dir with space/s.sh" &&
	template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.none"]
	  provisioner "shell-local" {
	    script           = "dir with space/s.sh"
	    environment_vars = ["GREETING=hello"]
	    execute_command  = ["/bin/sh", "{{.Script}}"]
	  }
	  provisioner "shell-local" {
	    script           = "dir with space/s.sh"
	    environment_vars = ["GREETING=hi there"]
	    execute_command  = ["/bin/sh", "-c", "{{.Vars}} /bin/sh {{.Script}}"]
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "null.none: ran as $TEST_DIR/dir with space/s.sh with hello$" out &&
	test_grep "null.none: ran as $TEST_DIR/dir with space/s.sh with hi there$" out
'

test_expect_success 'a failing script fails the build; valid_exit_codes can allow it' '
	template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.none"]
	  provisioner "shell-local" {
	    inline           = ["exit 7"]
	    valid_exit_codes = [7]
	  }
	  provisioner "shell-local" {
	    inline = ["echo failing", "false", "echo never"]
	  }
	}
	HCL
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "null.none: failing" out &&
	! grep never out &&
	test_grep "script exited with non-zero exit status: 1; allowed exit codes are: \[0\]" err
'

test_expect_success 'only_on without linux skips the provisioner' '
	template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.none"]
	  provisioner "shell-local" {
	    only_on = ["darwin", "windows"]
	    inline  = ["echo should not run"]
	  }
	  provisioner "shell-local" {
	    only_on = ["linux"]
	    inline  = ["echo runs on linux"]
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "Skipping shell-local due to runtime OS" out &&
	! grep "should not run" out &&
	test_grep "null.none: runs on linux" out
'

test_expect_success 'scripts are taken from the working directory: a missing one is a located error with its full path, one not executable a warning' '
	echo "echo hi" >plain.sh &&
	chmod -x plain.sh &&
	template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.none"]
	  provisioner "shell-local" {
	    scripts = ["plain.sh", "missing.sh"]
	  }
	}
	HCL
	test_expect_code 1 "$KILN" validate t.pkr.hcl >out 2>err &&
	test_grep "on t.pkr.hcl line 7, in build:" err &&
	test_grep_text "scripts: bad script \"$TEST_DIR/missing.sh\": no such file" err &&
	sed -i "s/, \"missing.sh\"//" t.pkr.hcl &&
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep_text "Warning: shell-local: $TEST_DIR/plain.sh is not executable" err
'

test_expect_success 'shell and file need a communicator: a clear error with communicator = none' '
	template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.none"]
	  provisioner "shell" {
	    inline = ["true"]
	  }
	}
	HCL
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "the shell provisioner needs a communicator, and this build has communicator = \"none\"" err
'

test_expect_success 'breakpoint without a terminal says so and goes on; disable skips it' '
	template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.none"]
	  provisioner "breakpoint" {
	    note = "check the disk"
	  }
	  provisioner "breakpoint" {
	    disable = true
	  }
	  provisioner "shell-local" {
	    inline = ["echo after the breakpoints"]
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err </dev/null &&
	test_grep "Breakpoint provisioner with note \"check the disk\": stdin is not a terminal" out &&
	test_grep "Breakpoint provisioner disabled; continuing..." out &&
	test_grep "null.none: after the breakpoints" out
'

test_expect_success script 'breakpoint on a terminal waits for Enter' '
	template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.none"]
	  provisioner "breakpoint" {
	    note = "look now"
	  }
	  provisioner "shell-local" {
	    inline = ["echo after-enter"]
	  }
	}
	HCL
	mkfifo answer &&
	{ script -qfec "\"$KILN\" build -color=false t.pkr.hcl" /dev/null <answer >out 2>&1 & } &&
	pid=$! &&
	exec 9>answer &&
	i=0 && while ! grep -q "Press enter to continue" out && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done &&
	test_grep "Pausing at breakpoint provisioner with note \"look now\"." out &&
	! grep -q after-enter out &&
	echo >&9 && exec 9>&- &&
	wait $pid &&
	test_grep "null.none: after-enter" out
'

test_done
