#!/bin/sh
# t0470-ansible-tiny — the tiny image (busybox + dropbear, no Python) configured by a playbook through
# `provisioner "ansible"` (kiln-plugin-ansible as `make install` leaves it, no `kiln init`): Ansible
# connects straight to the guest's forwarded SSH port with the build's key, pins dropbear's host key
# in a known_hosts of the run (never ~/.ssh), runs `raw` tasks (the only ones a guest without Python
# runs) from a file-only role and a template rendered on this machine, enables a service (a respawn
# line in busybox's inittab); the image, sanitized, holds all of it. A failing task fails the build
# with Ansible's message and removes the VM. Nothing is left.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
. "$KILN_SRCDIR/tests/lib/plugins.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"
qemu_setup
command -v ansible-playbook >/dev/null || { echo "Bail out! ansible-playbook is missing: run scripts/install-deps"; exit 1; }
plugins_use_installed_kiln "$TEST_DIR/inst" || { echo "Bail out! make install failed"; exit 1; }

TINY=$(fixture_tiny_image)
KEY=$(fixture_tiny_key)

mkdir -p ansible/roles/motd/tasks ansible/roles/motd/templates
cat >ansible/site.yml <<'EOF'
- hosts: all
  gather_facts: false
  roles:
    - motd
  tasks:
    - name: install the service
      ansible.builtin.raw: |
        printf '#!/bin/sh\nexec /bin/busybox httpd -f -p 8080 -h /srv/www\n' >/etc/init.d/kilnapp &&
        chmod 755 /etc/init.d/kilnapp && mkdir -p /srv/www && echo ok >/srv/www/index.html
      notify: enable the service
    - name: who and where
      ansible.builtin.raw: echo "ansible ran as $(id -un) on {{ inventory_hostname }} for {{ packer_build_name }}"
      register: who
    - ansible.builtin.debug: {msg: "{{ who.stdout | trim }}"}
  handlers:
    - name: enable the service
      ansible.builtin.raw: |
        grep -q kilnapp /etc/inittab || echo "::respawn:/etc/init.d/kilnapp" >>/etc/inittab
EOF
cat >ansible/roles/motd/tasks/main.yml <<'EOF'
- name: write the motd (rendered here, written with raw)
  ansible.builtin.raw: "printf '%s' {{ lookup('template', 'motd.j2') | quote }} >/etc/motd"
EOF
cat >ansible/roles/motd/templates/motd.j2 <<'EOF'
built by {{ packer_builder_type }} build {{ packer_build_name }} with Ansible
EOF

tiny_template() {
	cat >"$1" <<-EOF
	source "qemu" "tiny" {
	  iso_url              = "$TINY"
	  iso_checksum         = "none"
	  disk_image           = true
	  use_backing_file     = true
	  accelerator          = "tcg"
	  memory               = 256
	  ssh_username         = "root"
	  ssh_private_key_file = "$KEY"
	  shutdown_command     = "poweroff"
	  output_directory     = "$2"
	  vm_name              = "tiny.qcow2"
	}
	build {
	  sources = ["source.qemu.tiny"]
	  provisioner "ansible" {
	    playbook_file = "$3"
	    roles_path    = "ansible/roles"
	  }
	}
	EOF
}

test_expect_success 'a playbook configures the tiny image over a direct SSH connection' '
	tiny_template tiny.pkr.hcl output ansible/site.yml &&
	KILN_LOG=1 KILN_LOG_PATH=build.log "$KILN" build tiny.pkr.hcl >out.txt 2>err.txt ||
		{ cat out.txt err.txt; false; } &&
	port=$(qemu_forwarded_port build.log) &&
	test_grep "Connecting Ansible to root@127.0.0.1:$port directly (no proxy)" out.txt &&
	test_grep "Ansible must find the machine.s [a-z0-9-]* host key that the communicator pinned" out.txt &&
	test_grep "^    qemu.tiny: *\"msg\": \"ansible ran as root on default for qemu.tiny\"" out.txt &&
	test_grep "RUNNING HANDLER \[enable the service\]" out.txt &&
	test_grep "^    qemu.tiny: default *: ok=5 *changed=4 .*failed=0" out.txt &&
	test_grep "Sanitizing the disk" out.txt &&
	test -f output/tiny.qcow2 &&
	! grep -s "127.0.0.1\]:$port" "$HOME/.ssh/known_hosts" &&
	qemu_no_test_domains
'

test_expect_success 'the sanitized image holds what the playbook did' '
	LIBGUESTFS_BACKEND=direct guestfish --ro -a output/tiny.qcow2 -i >state 2>guestfish.err <<-\EOF &&
	cat /etc/motd
	cat /etc/inittab
	is-file /etc/init.d/kilnapp
	stat /etc/init.d/kilnapp
	cat /srv/www/index.html
	EOF
	test_grep "^built by qemu build qemu.tiny with Ansible$" state &&
	test_grep "^::respawn:/etc/init.d/kilnapp$" state &&
	test_grep "^true$" state &&
	test_grep "^mode: 33261$" state &&
	test_grep "^ok$" state
'

test_expect_success 'a failing task fails the build with Ansible'"'"'s message, and the VM goes' '
	cat >ansible/fail.yml <<-\EOF &&
	- hosts: all
	  gather_facts: false
	  tasks:
	    - ansible.builtin.raw: echo "no such thing" >&2; exit 7
	EOF
	tiny_template fail.pkr.hcl out-fail ansible/fail.yml &&
	test_expect_code 1 "$KILN" build fail.pkr.hcl >out.txt 2>err.txt &&
	test_grep "Error executing Ansible: ansible-playbook exited with status 2" err.txt &&
	test_grep "fatal: \[default\]: FAILED!.*no such thing" err.txt &&
	! test -e out-fail/tiny.qcow2 &&
	qemu_no_test_domains
'

test_expect_success 'nothing is left behind' '
	! pgrep -f "$TMPDIR/kiln-ansible" &&
	! ls -d "$TMPDIR"/kiln-ansible.* 2>/dev/null &&
	audit_test
'

test_done
