#!/bin/sh
# t0820-provisioner-ansible — kiln-plugin-ansible (the `ansible` and `ansible-local` provisioners, a plugin
# written against the C SDK and installed by `make install` into kiln's own plugin directory) with
# Debian's ansible-core, against the test sshd (null builder): a playbook with a template, a copy, a
# handler, a role from roles_path, a galaxy requirements file with local roles (a tarball and a
# directory), extra vars and env vars; a failing task fails the build with Ansible's message;
# use_proxy = true and false; an inventory template with groups; the connection goes straight to the
# sshd with the build's key (host key pinned in a known_hosts of the run, never ~/.ssh); password
# logins; max_retries; ssh without compression unless the user sets ssh_args; the controller's temp
# files in the run's directory unless the user sets local_tmp; and ansible-local,
# uploaded through the communicator and run on the machine.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/sshd.sh"
. "$KILN_SRCDIR/tests/lib/plugins.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"

command -v ansible-playbook >/dev/null || { echo "Bail out! ansible-playbook is missing: run scripts/install-deps"; exit 1; }
sshd_setup_and_start
# kiln as `make install` leaves it: the plugin in kiln's own plugin directory, nothing in the user's
plugins_use_installed_kiln "$TEST_DIR/inst" || { echo "Bail out! make install failed"; exit 1; }
OUT=$SSHD_HOME/out

# The playbook and what it uses, all local (nothing is downloaded).
mkdir -p pb/templates pb/files roles/localrole/tasks galaxy/src/dirrole/tasks galaxy/src/tarrole/tasks galaxy/src/tarrole/meta
cat >pb/site.yml <<'EOF'
- hosts: all
  gather_facts: false
  roles:
    - localrole
    - tarrole
    - dirrole
  tasks:
    - name: render a template
      ansible.builtin.template:
        src: templates/app.conf.j2
        dest: "{{ out }}/app.conf"
      notify: mark handled
    - name: copy a file
      ansible.builtin.copy:
        src: files/data.txt
        dest: "{{ out }}/data.txt"
        mode: "0640"
  handlers:
    - name: mark handled
      ansible.builtin.copy:
        content: "handler ran\n"
        dest: "{{ out }}/handler.txt"
EOF
cat >pb/templates/app.conf.j2 <<'EOF'
build={{ packer_build_name }}
type={{ packer_builder_type }}
user={{ ansible_user }}
extra={{ extra_value }}
env={{ lookup('env', 'KILN_T0810_VALUE') }}
EOF
echo "some data" >pb/files/data.txt
cat >roles/localrole/tasks/main.yml <<'EOF'
- ansible.builtin.file: {path: "{{ out }}", state: directory}
- ansible.builtin.copy: {content: "localrole ran\n", dest: "{{ out }}/localrole.txt"}
EOF
cat >galaxy/src/tarrole/tasks/main.yml <<'EOF'
- ansible.builtin.copy: {content: "tarrole ran\n", dest: "{{ out }}/tarrole.txt"}
EOF
printf 'galaxy_info:\n  author: kiln\n  description: a role from a tarball\n  license: MIT\n  min_ansible_version: "2.9"\n  platforms: []\n' \
	>galaxy/src/tarrole/meta/main.yml
cat >galaxy/src/dirrole/tasks/main.yml <<'EOF'
- ansible.builtin.copy: {content: "dirrole ran\n", dest: "{{ out }}/dirrole.txt"}
EOF
tar -C galaxy/src -czf galaxy/tarrole.tar.gz tarrole
cat >galaxy/requirements.yml <<EOF
- src: file://$TEST_DIR/galaxy/tarrole.tar.gz
  name: tarrole
- src: $TEST_DIR/galaxy/src/dirrole
  name: dirrole
EOF

# ansible_provisioner FILE <<HCL: the null source, then a build with an ansible provisioner whose body is
# stdin
ansible_template() {
	{
		echo 'build {'
		echo '  sources = ["source.null.box"]'
		echo '  provisioner "ansible" {'
		cat
		echo '  }'
		echo '}'
	} | sshd_null_template "$1"
}

# the runs' private directories go here, where only this test looks
TMPDIR=$TEST_DIR/tmp
mkdir -p "$TMPDIR"
export TMPDIR

no_leftovers() {
	# no ssh connection master, no ansible, no private directory of a run
	! pgrep -f "$TMPDIR/kiln-ansible" &&
	! pgrep -f "ansible-playbook.*$TEST_DIR" &&
	! ls -d "$TMPDIR"/kiln-ansible.* 2>/dev/null
}

test_expect_success 'a playbook: template, copy, handler, roles from roles_path and galaxy, extra and env vars' '
	rm -rf "$OUT" &&
	ansible_template t.pkr.hcl <<-EOF &&
	    playbook_file    = "pb/site.yml"
	    roles_path       = "$TEST_DIR/roles-installed"
	    galaxy_file      = "galaxy/requirements.yml"
	    extra_arguments  = ["--extra-vars", "out=$OUT extra_value=from-extra-args"]
	    ansible_env_vars = ["KILN_T0810_VALUE=from-env"]
	EOF
	cp -r roles/localrole "$TEST_DIR/roles-installed-seed" &&
	mkdir -p "$TEST_DIR/roles-installed" && cp -r roles/localrole "$TEST_DIR/roles-installed/" &&
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "==> null.box: Provisioning with Ansible..." out &&
	test_grep "==> null.box: Executing Ansible Galaxy: ansible-galaxy install -r /.*/requirements.yml -p $TEST_DIR/roles-installed" out &&
	test_grep "dirrole was installed from the directory" out &&
	test_grep "==> null.box: Executing Ansible: ansible-playbook -e" out &&
	test_grep "^    null.box: TASK \[copy a file\]" out &&
	test_grep "^    null.box: RUNNING HANDLER \[mark handled\]" out &&
	test_grep "^    null.box: default *: ok=7 *changed=7 .*failed=0" out &&
	cat >want <<-EOF &&
	build=null.box
	type=null
	user=$SSHD_USER
	extra=from-extra-args
	env=from-env
	EOF
	test_cmp want "$OUT/app.conf" &&
	test "$(cat "$OUT/data.txt")" = "some data" &&
	test "$(stat -c %a "$OUT/data.txt")" = 640 &&
	test "$(cat "$OUT/handler.txt")" = "handler ran" &&
	test "$(cat "$OUT/localrole.txt")" = "localrole ran" &&
	test "$(cat "$OUT/tarrole.txt")" = "tarrole ran" &&
	test "$(cat "$OUT/dirrole.txt")" = "dirrole ran" &&
	no_leftovers
'

test_expect_success 'Ansible connects straight to the machine with the build key, pinning its host key privately' '
	# every connection the sshd saw was a public-key login of the test user from the loopback, and no
	# proxy listened: the run used the sshd port itself
	grep "Accepted publickey for $SSHD_USER from 127.0.0.1" "$SSHD_DIR/sshd.log" >accepted &&
	test $(wc -l <accepted) -ge 2 &&
	test_grep "Connecting Ansible to $SSHD_USER@127.0.0.1:$SSHD_PORT directly (no proxy)" out &&
	test_grep "\"ansible_ssh_private_key_file\":\"$SSHD_KEY\"" out &&
	! test -e "$HOME/.ssh/known_hosts.kiln-t0820" &&
	! grep -s "\[127.0.0.1\]:$SSHD_PORT" "$HOME/.ssh/known_hosts"
'

test_expect_success 'Ansible is held to the host key the communicator pinned: another key fails it' '
	grep "Ansible must find the machine.s ssh-ed25519 host key that the communicator pinned" out &&
	# between kiln'"'"'s connection and Ansible'"'"'s, the "machine" changes its host key (sshd re-reads it on
	# SIGHUP): the communicator'"'"'s session goes on, Ansible'"'"'s first connection sees the new key
	ssh-keygen -q -t ed25519 -N "" -C kiln-test-impostor -f "$TEST_DIR/impostor" &&
	cp "$SSHD_DIR/host_ed25519" "$TEST_DIR/host_ed25519.orig" &&
	printf "%s\n" "- hosts: all" "  gather_facts: false" "  tasks:" "    - ansible.builtin.command: echo reached" >pb/hk.yml &&
	{
		echo "build {"
		echo "  sources = [\"source.null.box\"]"
		echo "  provisioner \"shell-local\" {"
		echo "    inline = [\"cp $TEST_DIR/impostor $SSHD_DIR/host_ed25519\", \"kill -HUP \$(cat $SSHD_DIR/sshd.pid)\", \"sleep 1\"]"
		echo "  }"
		echo "  provisioner \"ansible\" {"
		echo "    playbook_file = \"pb/hk.yml\""
		echo "  }"
		echo "}"
	} | sshd_null_template hk.pkr.hcl &&
	test_expect_code 1 "$KILN" build hk.pkr.hcl >out-hk 2>err-hk;
	rc=$?
	cp "$TEST_DIR/host_ed25519.orig" "$SSHD_DIR/host_ed25519" && kill -HUP "$(cat "$SSHD_DIR/sshd.pid")" && sleep 1 &&
	test $rc = 0 &&
	test_grep "Host key verification failed" err-hk &&
	test_grep "Error executing Ansible" err-hk &&
	! grep "changed: \[default\]" out-hk &&
	no_leftovers
'

test_expect_success 'a failing task fails the build with Ansible'"'"'s message' '
	cat >pb/fail.yml <<-\EOF &&
	- hosts: all
	  gather_facts: false
	  tasks:
	    - ansible.builtin.command: echo before
	    - name: this fails
	      ansible.builtin.fail: {msg: "the widget is broken"}
	    - ansible.builtin.command: echo never-runs
	EOF
	ansible_template t.pkr.hcl <<-\EOF &&
	    playbook_file = "pb/fail.yml"
	EOF
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "Error executing Ansible: ansible-playbook exited with status 2" err &&
	test_grep "fatal: \[default\]: FAILED! => {\"changed\": false, \"msg\": \"the widget is broken\"}" err &&
	! grep never-runs out &&
	test_grep "Build .null.box. errored" err &&
	no_leftovers
'

test_expect_success 'use_proxy = true and false connect the same way; user applies without the proxy' '
	cat >pb/whoami.yml <<-\EOF &&
	- hosts: all
	  gather_facts: false
	  tasks:
	    - ansible.builtin.command: id -un
	      register: who
	    - ansible.builtin.debug: {msg: "remote user is {{ who.stdout }}, ansible_user is {{ ansible_user }}"}
	EOF
	for proxy in true false; do
		ansible_template t.pkr.hcl <<-EOF &&
		    playbook_file = "pb/whoami.yml"
		    use_proxy     = $proxy
		EOF
		"$KILN" build t.pkr.hcl >out-$proxy 2>err-$proxy &&
		test_grep "remote user is $SSHD_USER, ansible_user is $SSHD_USER" out-$proxy || return 1
	done &&
	# with the proxy, Packer logged in as the build user whatever user said: so does kiln, with a warning
	ansible_template t.pkr.hcl <<-\EOF &&
	    playbook_file = "pb/whoami.yml"
	    user          = "somebody"
	EOF
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "remote user is $SSHD_USER" out &&
	test_grep "user = \"somebody\" is not the build.s SSH user" err &&
	# without it, user is who Ansible logs in as (and the sshd refuses somebody)
	ansible_template t.pkr.hcl <<-\EOF &&
	    playbook_file = "pb/whoami.yml"
	    use_proxy     = false
	    user          = "somebody"
	EOF
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "somebody@127.0.0.1" err &&
	test_grep "UNREACHABLE" err
'

test_expect_success 'inventory_file_template, groups, empty groups, inventory_directory, keep_inventory_file' '
	cat >pb/groups.yml <<-\EOF &&
	- hosts: web
	  gather_facts: false
	  tasks:
	    - ansible.builtin.debug: {msg: "in web: {{ inventory_hostname }} role={{ machine_role }} groups={{ group_names | join(\",\") }}"}
	- hosts: spare
	  gather_facts: false
	  tasks:
	    - ansible.builtin.debug: {msg: "never: spare is empty"}
	EOF
	mkdir -p invdir &&
	ansible_template t.pkr.hcl <<-\EOF &&
	    playbook_file           = "pb/groups.yml"
	    host_alias              = "box1"
	    groups                  = ["web", "linux"]
	    empty_groups            = ["spare"]
	    inventory_directory     = "invdir"
	    keep_inventory_file     = true
	    inventory_file_template = "{{ .HostAlias }} ansible_host={{ .Host }} ansible_port={{.Port}} ansible_user={{ .User }} machine_role=builder\n"
	EOF
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "in web: box1 role=builder groups=linux,web" out &&
	! grep "never: spare" out &&
	test_grep "Keeping the inventory file: $TEST_DIR/invdir/packer-provisioner-ansible" out &&
	inv=$(ls invdir/packer-provisioner-ansible*) &&
	cat >want <<-EOF &&
	box1 ansible_host=127.0.0.1 ansible_port=$SSHD_PORT ansible_user=$SSHD_USER machine_role=builder
	[web]
	box1 ansible_host=127.0.0.1 ansible_port=$SSHD_PORT ansible_user=$SSHD_USER machine_role=builder
	[linux]
	box1 ansible_host=127.0.0.1 ansible_port=$SSHD_PORT ansible_user=$SSHD_USER machine_role=builder
	[spare]
	EOF
	test_cmp want "$inv" &&
	# without keep_inventory_file, the inventory does not stay in inventory_directory
	rm -f invdir/* &&
	sed -i "/keep_inventory_file/d" t.pkr.hcl &&
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "in web: box1" out &&
	test -z "$(ls invdir)"
'

test_expect_success 'an inventory template naming a value the build lacks fails clearly' '
	ansible_template t.pkr.hcl <<-\EOF &&
	    playbook_file           = "pb/whoami.yml"
	    inventory_file_template = "{{ .HostAlias }} ansible_host={{ .Nope }}\n"
	EOF
	test_expect_code 1 "$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "Error generating inventory file from template: {{ .Nope }} is not a value this build has" err
'

test_expect_success 'a password login goes through sshpass, and the password is never printed' '
	cat >tp.pkr.hcl <<-EOF &&
	source "null" "box" {
	  ssh_host     = "127.0.0.1"
	  ssh_port     = $SSHD_PORT
	  ssh_username = "$SSHD_USER"
	  ssh_password = "$SSHD_PASSWORD"
	}
	build {
	  sources = ["source.null.box"]
	  provisioner "ansible" {
	    playbook_file   = "pb/whoami.yml"
	    extra_arguments = ["-e", "db_password=hunter2-t0820"]
	  }
	}
	EOF
	"$KILN" build tp.pkr.hcl >out 2>err &&
	test_grep "remote user is $SSHD_USER" out &&
	test_grep "Accepted password for $SSHD_USER" "$SSHD_DIR/sshd.log" &&
	test_grep "db_password=\*\*\*\*\*" out &&
	! grep -e "$SSHD_PASSWORD" -e hunter2-t0820 out err &&
	no_leftovers
'

test_expect_success 'through a jump host: ssh_bastion_* becomes a ProxyCommand with the bastion key' '
	# the test sshd is its own jump host: kiln and Ansible both reach 127.0.0.1:PORT through it
	cat >tb.pkr.hcl <<-EOF &&
	source "null" "box" {
	  ssh_host                     = "127.0.0.1"
	  ssh_port                     = $SSHD_PORT
	  ssh_username                 = "$SSHD_USER"
	  ssh_private_key_file         = "$SSHD_KEY"
	  ssh_bastion_host             = "127.0.0.1"
	  ssh_bastion_port             = $SSHD_PORT
	  ssh_bastion_username         = "$SSHD_USER"
	  ssh_bastion_private_key_file = "$SSHD_KEY"
	}
	build {
	  sources = ["source.null.box"]
	  provisioner "ansible" {
	    playbook_file = "pb/whoami.yml"
	  }
	}
	EOF
	"$KILN" build tb.pkr.hcl >out 2>err &&
	test_grep "directly (no proxy), through the jump host" out &&
	test_grep "remote user is $SSHD_USER" out &&
	no_leftovers
'

test_expect_success 'Ctrl-C stops ansible-playbook and its ssh connections; nothing stays' '
	cat >pb/slow.yml <<-\EOF &&
	- hosts: all
	  gather_facts: false
	  tasks:
	    - ansible.builtin.command: sleep 600
	EOF
	ansible_template t.pkr.hcl <<-\EOF &&
	    playbook_file = "pb/slow.yml"
	EOF
	test_when_finished "pkill -u \"$SSHD_USER\" -f \"sleep 600\"" &&
	# as a shell runs a foreground job: kiln leads a process group of its own, and Ctrl-C is
	# SIGINT to that whole group (only the build goes to the background, in braces: a background
	# job of this shell would ignore SIGINT)
	rm -f out err kiln.pgid &&
	{ setsid sh -c "echo \$\$ >kiln.pgid; exec \"\$0\" build t.pkr.hcl" "$KILN" >out 2>err & } &&
	pid=$! &&
	test_when_finished "stop_kiln $pid" &&
	i=0 && while ! grep -q "TASK \[ansible.builtin.command\]" out && test $i -lt 600; do sleep 0.5; i=$((i + 1)); done &&
	test_grep "TASK \[ansible.builtin.command\]" out &&
	sleep 3 &&
	kill -INT -"$(cat kiln.pgid)" &&
	{ wait $pid; rc=$?; true; } &&
	test "$rc" -eq 130 &&
	test_grep -i "cancel\|interrupt" err &&
	no_leftovers
'

test_expect_success 'max_retries runs a failed ansible provisioner again' '
	rm -f "$SSHD_HOME/attempt" &&
	cat >pb/flaky.yml <<-EOF &&
	- hosts: all
	  gather_facts: false
	  tasks:
	    - ansible.builtin.shell: test -e attempt || { touch attempt; exit 3; }
	EOF
	ansible_template t.pkr.hcl <<-\EOF &&
	    playbook_file = "pb/flaky.yml"
	    max_retries   = 1
	EOF
	"$KILN" build t.pkr.hcl >out 2>err &&
	test_grep "Retrying" out &&
	test $(grep -c "Executing Ansible: " out) = 2
'

test_expect_success 'ssh runs without compression (-C) by default; ssh_args from ansible_env_vars or ansible.cfg win' '
	printf "%s\n" "- hosts: all" "  gather_facts: false" "  tasks:" "    - ansible.builtin.command: echo reached" >pb/ssh.yml &&
	ansible_template t.pkr.hcl <<-\EOF &&
	    playbook_file   = "pb/ssh.yml"
	    extra_arguments = ["-vvv"]
	EOF
	"$KILN" build t.pkr.hcl >out 2>err &&
	grep "SSH: EXEC ssh " out >exec &&
	test_grep "SSH: EXEC ssh -o ControlMaster=auto -o ControlPersist=60s " exec &&
	! grep "SSH: EXEC ssh -C" exec &&
	ansible_template te.pkr.hcl <<-\EOF &&
	    playbook_file    = "pb/ssh.yml"
	    extra_arguments  = ["-vvv"]
	    ansible_env_vars = ["ANSIBLE_SSH_ARGS=-C -o ControlMaster=auto -o ControlPersist=30s"]
	EOF
	"$KILN" build te.pkr.hcl >out 2>err &&
	test_grep "SSH: EXEC ssh -C -o ControlMaster=auto -o ControlPersist=30s " out &&
	printf "%s\n" "[ssh_connection]" "ssh_args = -C -o ControlMaster=auto -o ControlPersist=20s" >ansible.cfg &&
	"$KILN" build t.pkr.hcl >out 2>err;
	rc=$?
	rm -f ansible.cfg &&
	test $rc = 0 &&
	test_grep "SSH: EXEC ssh -C -o ControlMaster=auto -o ControlPersist=20s " out &&
	no_leftovers
'

test_expect_success 'Ansible keeps its controller temp files in the run directory; local_tmp from ansible.cfg wins' '
	cat >pb/tmp.yml <<-EOF &&
	- hosts: all
	  gather_facts: false
	  tasks:
	    - ansible.builtin.copy: {content: "through local_tmp\\n", dest: "$SSHD_HOME/tmpcheck.txt"}
	EOF
	ansible_template t.pkr.hcl <<-\EOF &&
	    playbook_file   = "pb/tmp.yml"
	    extra_arguments = ["-vvv"]
	EOF
	"$KILN" build t.pkr.hcl >out 2>err &&
	grep "PUT " out >put &&
	test_grep "PUT $TMPDIR/kiln-ansible\.[^/]*/tmp/ansible-local-" put &&
	! grep "PUT $HOME/.ansible" put &&
	test_grep "through local_tmp" "$SSHD_HOME/tmpcheck.txt" &&
	rm "$SSHD_HOME/tmpcheck.txt" &&
	printf "%s\n" "[defaults]" "local_tmp = $TEST_DIR/lt" >ansible.cfg &&
	"$KILN" build t.pkr.hcl >out 2>err;
	rc=$?
	rm -f ansible.cfg &&
	test $rc = 0 &&
	grep "PUT " out >put &&
	test_grep "PUT $TEST_DIR/lt/ansible-local-" put &&
	no_leftovers
'

test_expect_success 'validate checks the configuration: missing playbook, unknown keys, a missing ansible-playbook' '
	ansible_template t.pkr.hcl <<-\EOF &&
	    playbook_file = "pb/nope.yml"
	EOF
	test_expect_code 1 "$KILN" validate t.pkr.hcl >out 2>err &&
	test_grep_text "playbook_file: pb/nope.yml is invalid: No such file or directory" err &&
	test_grep "on t.pkr.hcl line 10" err &&
	ansible_template t.pkr.hcl <<-\EOF &&
	    playbook_file = "pb/site.yml"
	    galaxy_fil    = "x"
	EOF
	test_expect_code 1 "$KILN" validate t.pkr.hcl >out 2>err &&
	test_grep "galaxy_file" err &&
	ansible_template t.pkr.hcl <<-\EOF &&
	    playbook_file = "pb/site.yml"
	    command       = "no-such-ansible-playbook"
	EOF
	test_expect_code 1 "$KILN" validate t.pkr.hcl >out 2>err &&
	test_grep_text "no-such-ansible-playbook was not found on PATH" err &&
	test_grep_text "apt-get install ansible-core" err &&
	# Packer'"'"'s proxy keys are accepted
	ansible_template t.pkr.hcl <<-\EOF &&
	    playbook_file          = "pb/site.yml"
	    local_port             = 2200
	    ansible_proxy_key_type = "RSA"
	    sftp_command           = "/usr/lib/sftp-server -e"
	    use_sftp               = true
	EOF
	"$KILN" validate t.pkr.hcl >out 2>err
'

test_expect_success 'required_plugins for github.com/hashicorp/ansible is satisfied by the plugin kiln comes with' '
	mkdir -p req && cp pb/whoami.yml req/ &&
	{
		echo "packer {"
		echo "  required_plugins {"
		echo "    ansible = { source = \"github.com/hashicorp/ansible\", version = \">= 1.0.0\" }"
		echo "  }"
		echo "}"
		echo "build {"
		echo "  sources = [\"source.null.box\"]"
		echo "  provisioner \"ansible\" { playbook_file = \"req/whoami.yml\" }"
		echo "}"
	} | sshd_null_template req/build.pkr.hcl &&
	"$KILN" build req/build.pkr.hcl >out 2>err &&
	test_grep "remote user is $SSHD_USER" out &&
	test -z "$(ls -A "$KILN_PLUGIN_PATH" 2>/dev/null)"
'

test_expect_success 'ansible-local: files uploaded through the communicator, ansible-playbook run on the machine' '
	mkdir -p local/pbdir/group_vars local/roles/lrole/tasks local/hv/default &&
	cat >local/pbdir/main.yml <<-\EOF &&
	- hosts: all
	  gather_facts: false
	  roles: [lrole]
	  tasks:
	    - ansible.builtin.copy:
	        content: "build={{ packer_build_name }} from={{ group_value }} groups={{ group_names | join(\",\") }}\n"
	        dest: "{{ lookup(\"env\", \"HOME\") }}/local-ran.txt"
	EOF
	echo "group_value: from-group-vars" >local/all.yml &&
	mkdir -p local/gv && cp local/all.yml local/gv/all.yml &&
	cat >local/roles/lrole/tasks/main.yml <<-\EOF &&
	- ansible.builtin.copy: {content: "lrole ran\n", dest: "{{ lookup(\"env\", \"HOME\") }}/lrole.txt"}
	EOF
	cat >tl.pkr.hcl <<-EOF &&
	source "null" "box" {
	  ssh_host             = "127.0.0.1"
	  ssh_port             = $SSHD_PORT
	  ssh_username         = "$SSHD_USER"
	  ssh_private_key_file = "$SSHD_KEY"
	}
	build {
	  sources = ["source.null.box"]
	  provisioner "ansible-local" {
	    playbook_file           = "local/pbdir/main.yml"
	    group_vars              = "local/gv"
	    role_paths              = ["local/roles/lrole"]
	    inventory_groups        = ["builders"]
	    staging_directory       = "$SSHD_HOME/staging"
	    clean_staging_directory = true
	  }
	}
	EOF
	"$KILN" build tl.pkr.hcl >out 2>err &&
	test_grep "==> null.box: Uploading main Playbook file..." out &&
	test_grep "==> null.box: Executing Ansible: cd .*$SSHD_HOME/staging.* && ANSIBLE_FORCE_COLOR=1 PYTHONUNBUFFERED=1 ansible-playbook .*/staging/main.yml.* -c local -i" out &&
	test "$(cat "$SSHD_HOME/local-ran.txt")" = "build=null.box from=from-group-vars groups=builders" &&
	test "$(cat "$SSHD_HOME/lrole.txt")" = "lrole ran" &&
	test_grep "Removing staging directory" out &&
	! test -e "$SSHD_HOME/staging"
'

test_expect_success 'ansible-local: a failing playbook and a missing ansible-playbook on the machine' '
	cat >local/fail.yml <<-\EOF &&
	- hosts: all
	  gather_facts: false
	  tasks:
	    - ansible.builtin.fail: {msg: "local widget broken"}
	EOF
	sed -e "s|local/pbdir/main.yml|local/fail.yml|" -e "/group_vars\|role_paths/d" tl.pkr.hcl >tf.pkr.hcl &&
	test_expect_code 1 "$KILN" build tf.pkr.hcl >out 2>err &&
	test_grep "Error executing Ansible: non-zero exit status 2" err &&
	test_grep "local widget broken" err &&
	! test -e "$SSHD_HOME/staging" &&
	sed -e "s|playbook_file |command = \"no-such-ansible-playbook\"\n    playbook_file |" tf.pkr.hcl >tm.pkr.hcl &&
	test_expect_code 1 "$KILN" build tm.pkr.hcl >out 2>err &&
	test_grep "no-such-ansible-playbook could not be found on the machine" err
'

test_expect_success 'nothing is left behind' '
	no_leftovers &&
	sshd_stop &&
	audit_test
'

test_done
