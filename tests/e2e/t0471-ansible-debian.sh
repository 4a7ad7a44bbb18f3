#!/bin/sh
# t0471-ansible-debian — the Debian 12 image (tests/fixtures/mk-debian-image: Python, systemd, sudo)
# configured with real Ansible modules, as an air-gapped site does it: `provisioner "ansible"` (facts,
# copy, apt, template, systemd, a handler, a file-only role from roles_path, extra vars) points apt at
# the site's local repository (tests/fixtures/mk-debian-repo, served by kiln's HTTP seed through
# http_directory; the guest never reaches the internet), installs ansible-core from it and enables a
# service; then `provisioner "ansible-local"` runs a playbook inside the guest with that ansible-core.
# The image, sanitized, holds all of it. Nothing is left.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
. "$KILN_SRCDIR/tests/lib/plugins.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"
qemu_setup
command -v ansible-playbook >/dev/null || { echo "Bail out! ansible-playbook is missing: run scripts/install-deps"; exit 1; }
plugins_use_installed_kiln "$TEST_DIR/inst" || { echo "Bail out! make install failed"; exit 1; }

DEBIAN=$(fixture_debian_image) || { echo "Bail out! no Debian image"; exit 1; }
REPO=$(fixture_debian_repo) || { echo "Bail out! no local Debian repository"; exit 1; }
mkdir -p repo && tar -C repo -xf "$REPO" || { echo "Bail out! cannot unpack $REPO"; exit 1; }

mkdir -p ansible/roles/hello/tasks ansible/roles/hello/templates ansible/roles/hello/handlers
cat >ansible/site.yml <<'EOF'
- hosts: all
  become: true
  tasks:
    - name: the site's repository is the only apt source
      ansible.builtin.copy:
        dest: /etc/apt/sources.list
        content: "deb [trusted=yes] http://{{ packer_http_addr }}/ ./\n"
    - name: ansible-core from it
      ansible.builtin.apt:
        name: ansible-core
        update_cache: true
        install_recommends: false
    - ansible.builtin.include_role:
        name: hello
    - ansible.builtin.debug:
        msg: "facts say {{ ansible_facts.distribution }} {{ ansible_facts.distribution_major_version }}, user {{ ansible_user_id }}"
EOF
cat >ansible/roles/hello/tasks/main.yml <<'EOF'
- name: the unit
  ansible.builtin.template:
    src: kiln-hello.service.j2
    dest: /etc/systemd/system/kiln-hello.service
    mode: "0644"
  notify: start the service
- name: enabled at boot
  ansible.builtin.systemd:
    name: kiln-hello
    enabled: true
    daemon_reload: true
EOF
cat >ansible/roles/hello/templates/kiln-hello.service.j2 <<'EOF'
[Unit]
Description=greeting written by {{ packer_build_name }}

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo {{ greeting }} >/var/lib/kiln-hello'

[Install]
WantedBy=multi-user.target
EOF
cat >ansible/roles/hello/handlers/main.yml <<'EOF'
- name: start the service
  ansible.builtin.systemd:
    name: kiln-hello
    state: started
EOF
cat >ansible/local.yml <<'EOF'
- hosts: all
  gather_facts: false
  tasks:
    - name: written by ansible-playbook inside the guest
      become: true
      ansible.builtin.copy:
        dest: /etc/kiln-ansible-local
        content: "ansible-local {{ ansible_version.full }} on {{ inventory_hostname }} for {{ packer_build_name }}\n"
EOF

test_expect_success 'Ansible configures the Debian image from a local repository, then ansible-local runs in it' '
	cat >deb.pkr.hcl <<-EOF &&
	source "qemu" "deb" {
	  iso_url          = "$DEBIAN"
	  iso_checksum     = "none"
	  disk_image       = true
	  use_backing_file = true
	  accelerator      = "tcg"
	  memory           = 1024
	  cpus             = 2
	  cloud_init       = true
	  ssh_username     = "debian"
	  ssh_timeout      = "20m"
	  shutdown_command = "sudo poweroff"
	  http_directory   = "repo"
	  output_directory = "out"
	  vm_name          = "debian.qcow2"
	}
	build {
	  sources = ["source.qemu.deb"]
	  provisioner "ansible" {
	    playbook_file   = "ansible/site.yml"
	    roles_path      = "ansible/roles"
	    extra_arguments = ["--extra-vars", "greeting=hello-from-kiln"]
	  }
	  provisioner "ansible-local" {
	    playbook_file           = "ansible/local.yml"
	    clean_staging_directory = true
	  }
	}
	EOF
	KILN_LOG=1 KILN_LOG_PATH=build.log "$KILN" build -timestamp-ui deb.pkr.hcl >out.txt 2>err.txt ||
		{ cat out.txt err.txt; false; } &&
	port=$(qemu_forwarded_port build.log) &&
	test_grep "Connecting Ansible to debian@127.0.0.1:$port directly (no proxy)" out.txt &&
	test_grep "Ansible must find the machine.s [a-z0-9-]* host key that the communicator pinned" out.txt &&
	test_grep "\"msg\": \"facts say Debian 12, user root\"" out.txt &&
	test_grep "RUNNING HANDLER \[hello : start the service\]" out.txt &&
	test_grep "qemu.deb: default *: ok=7 *changed=5 .*failed=0" out.txt &&
	# ansible-local'"'"'s default command forces colours, as Packer'"'"'s does
	sed "s/$(printf "\033")\[[0-9;]*m//g" out.txt >plain.txt &&
	test_grep "qemu.deb: 127.0.0.1 *: ok=1 *changed=1 .*failed=0" plain.txt &&
	test_grep "Sanitizing the disk" out.txt &&
	qemu-img check out/debian.qcow2 &&
	qemu_no_test_domains
'

test_expect_success 'the sanitized image holds the package, the enabled service and ansible-local'"'"'s file' '
	LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg \
		guestfish --ro -a out/debian.qcow2 -i >state 2>guestfish.err <<-\EOF &&
	cat /var/lib/dpkg/status
	readlink /etc/systemd/system/multi-user.target.wants/kiln-hello.service
	cat /etc/systemd/system/kiln-hello.service
	cat /var/lib/kiln-hello
	cat /etc/kiln-ansible-local
	EOF
	grep -A1 "^Package: ansible-core$" state >pkg &&
	test_grep "^Status: install ok installed$" pkg &&
	test_grep "^/etc/systemd/system/kiln-hello.service$" state &&
	test_grep "^Description=greeting written by qemu.deb$" state &&
	test_grep "^hello-from-kiln$" state &&
	test_grep "^ansible-local 2\.14\.[0-9]* on 127.0.0.1 for qemu.deb$" state
'

test_expect_success 'nothing is left behind' '
	! pgrep -f "$TMPDIR/kiln-ansible" &&
	! ls -d "$TMPDIR"/kiln-ansible.* 2>/dev/null &&
	audit_test
'

test_done
