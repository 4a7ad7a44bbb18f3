#!/bin/sh
# t0311-provisioner-shell — `kiln build` with the null builder and the shell provisioner against a test
# sshd: inline, script and scripts; environment values with quotes, spaces, $, backticks and newlines
# arrive intact and never run; Packer's injected variables; execute_command; remote paths and clean-up;
# exit codes.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/sshd.sh"

sshd_setup_and_start

test_expect_success 'inline commands run on the machine, output prefixed with the build name' '
	sshd_null_template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "shell" {
	    inline = ["echo hello from $(id -un)", "echo to stderr >&2"]
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "==> null.box: Provisioning with shell script: inline (2 commands)" out &&
	test_grep "^    null.box: hello from $SSHD_USER$" out &&
	test_grep "null.box: to stderr" err &&
	test_grep "^--> null.box: Did not export anything. This is the null builder" out
'

# Each value is printed back between brackets; none may run, and all must match exactly.
test_expect_success 'hostile environment values arrive intact and never run' '
	sshd_null_template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "shell" {
	    environment_vars = [
	      "SQ=it'"'"'s",
	      "DQ=say \"hi\"",
	      "DOLLAR=$HOME and $${HOME} and $(touch PWNED-dollar)",
	      "TICKS=`touch PWNED-ticks`",
	      "BREAK='"'"'; touch PWNED-break; '"'"'",
	      "NL=line one\nline two",
	      "SPACES=  two  spaces  ",
	      "EQ==starts=with=equals",
	      "EMPTY=",
	    ]
	    env = {
	      GLOB      = "* ? [a]"
	      BACKSLASH = "a\\b\\\\c"
	    }
	    inline = [
	      "cd /tmp",
	      "printf '"'"'[%s]\\n'"'"' \"$SQ\" \"$DQ\" \"$DOLLAR\" \"$TICKS\" \"$BREAK\" \"$NL\" \"$SPACES\" \"$EQ\" \"$EMPTY\" \"$GLOB\" \"$BACKSLASH\"",
	      "ls PWNED-* 2>/dev/null || echo nothing-ran",
	    ]
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err &&
	sed -n "s/^    null.box: //p" out >got &&
	cat >want <<-\EOF &&
	[it'"'"'s]
	[say "hi"]
	[$HOME and ${HOME} and $(touch PWNED-dollar)]
	[`touch PWNED-ticks`]
	['"'"'; touch PWNED-break; '"'"']
	[line one
	line two]
	[  two  spaces  ]
	[=starts=with=equals]
	[]
	[* ? [a]]
	[a\b\\c]
	nothing-ran
	EOF
	test_cmp want got &&
	! ls "$SSHD_HOME"/PWNED-* /tmp/PWNED-* 2>/dev/null
'

test_expect_success 'a variable name that is not a shell name is refused before it can run' '
	sshd_null_template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "shell" {
	    environment_vars = ["X;touch PWNED=1"]
	    inline = ["true"]
	  }
	}
	HCL
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep_text "is not a valid environment variable name" err &&
	! ls "$SSHD_HOME"/PWNED* 2>/dev/null
'

test_expect_success 'Packer injects PACKER_BUILD_NAME and PACKER_BUILDER_TYPE' '
	sshd_null_template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "shell" {
	    inline = ["echo name=$PACKER_BUILD_NAME type=$PACKER_BUILDER_TYPE"]
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "null.box: name=null.box type=null$" out
'

test_expect_success 'script and scripts run in order, each on its own, with CRLF turned into LF' '
	printf "#!/bin/sh\necho one \$X\nSTATE=set\n" >one.sh &&
	printf "#!/bin/sh\r\necho two \${STATE:-unset}\r\n" >two.sh &&
	sshd_null_template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "shell" {
	    script           = "one.sh"
	    environment_vars = ["X=x"]
	  }
	  provisioner "shell" {
	    scripts = ["one.sh", "two.sh"]
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err &&
	sed -n "s/^    null.box: //p" out >got &&
	printf "one x\none\ntwo unset\n" >want &&
	test_cmp want got &&
	test_grep "Provisioning with shell script: two.sh" out
'

test_expect_success 'a missing script is refused with its name' '
	sshd_null_template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "shell" {
	    script = "no-such.sh"
	  }
	}
	HCL
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "bad script \"no-such.sh\"" err
'

test_expect_success 'execute_command, inline_shebang and remote_path; the script is removed afterwards' '
	sshd_null_template t.pkr.hcl <<-HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "shell" {
	    inline_shebang   = "/bin/sh -eu"
	    remote_path      = "$SSHD_HOME/kiln t0311 script.sh"
	    environment_vars = ["GREETING=hi there"]
	    execute_command  = "echo running {{ .Path }}; env {{ .Vars }} sh {{ .Path }}"
	    inline           = ["head -n 1 \\"\$0\\"", "echo \\"\$GREETING\\""]
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "null.box: running $SSHD_HOME/kiln t0311 script.sh$" out &&
	test_grep "null.box: #!/bin/sh -eu$" out &&
	test_grep "null.box: hi there$" out &&
	test ! -e "$SSHD_HOME/kiln t0311 script.sh"
'

test_expect_success 'remote_folder and remote_file, kept with skip_clean' '
	mkdir -p "$SSHD_HOME/scripts" && chown "$SSHD_USER" "$SSHD_HOME/scripts" &&
	sshd_null_template t.pkr.hcl <<-HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "shell" {
	    remote_folder = "$SSHD_HOME/scripts"
	    remote_file   = "setup.sh"
	    skip_clean    = true
	    inline        = ["echo kept"]
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "echo kept" "$SSHD_HOME/scripts/setup.sh"
'

test_expect_success 'use_env_var_file: the environment comes from a sourced file' '
	sshd_null_template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "shell" {
	    use_env_var_file = true
	    environment_vars = ["FROM_FILE=a '"'"'quoted'"'"' value"]
	    inline           = ["echo \"[$FROM_FILE]\""]
	  }
	}
	HCL
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "null.box: \[a '"'"'quoted'"'"' value\]$" out &&
	test -z "$(find /tmp -maxdepth 1 -user "$SSHD_USER" -name "varfile_*")"
'

test_expect_success 'a failing command fails the build with its exit status' '
	sshd_null_template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "shell" {
	    inline = ["echo before", "exit 3", "echo never"]
	  }
	}
	HCL
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "null.box: before" out &&
	! grep "never" out &&
	test_grep "script exited with non-zero exit status: 3; allowed exit codes are: \[0\]" err &&
	# the failed script was removed all the same
	test -z "$(find /tmp -maxdepth 1 -user "$SSHD_USER" -name "script_*")"
'

test_expect_success 'valid_exit_codes accepts the listed statuses only' '
	sshd_null_template t.pkr.hcl <<-\HCL &&
	build {
	  sources = ["source.null.box"]
	  provisioner "shell" {
	    valid_exit_codes = [0, 3]
	    inline           = ["exit 3"]
	  }
	  provisioner "shell" {
	    valid_exit_codes = [0, 3]
	    inline           = ["exit 4"]
	  }
	}
	HCL
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "script exited with non-zero exit status: 4; allowed exit codes are: \[0, 3\]" err &&
	test 2 = $(grep -c "Provisioning with shell script" out)
'

test_done
