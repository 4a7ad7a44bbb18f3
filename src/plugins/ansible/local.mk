# src/plugins/ansible: kiln-plugin-ansible, Packer's ansible and ansible-local provisioners as a kiln
# plugin (docs/provisioners.md). It is built like any plugin: against the C SDK's header and library
# only, none of kiln's include paths. `make install` puts it in kiln's own plugin directory,
# $(pkglibdir)/plugins, in the layout docs/plugins.md describes (with its _SHA256SUM), as the release
# of github.com/hashicorp/ansible that comes with kiln: templates use it without `kiln init`.
ANSIBLE_PLUGIN_VERSION = 1.0.0
ANSIBLE_PLUGIN_PROTOCOL = 1.0
ANSIBLE_PLUGIN_SOURCE = github.com/hashicorp/ansible
ANSIBLE_PLUGIN_SOURCES = src/plugins/ansible/ansible.h src/plugins/ansible/common.c \
	src/plugins/ansible/remote.c src/plugins/ansible/local.c

noinst_PROGRAMS = src/plugins/ansible/kiln-plugin-ansible
src_plugins_ansible_kiln_plugin_ansible_SOURCES = $(ANSIBLE_PLUGIN_SOURCES) src/plugins/ansible/main.c
src_plugins_ansible_kiln_plugin_ansible_CPPFLAGS = -I$(top_srcdir)/src/plugin/sdk
src_plugins_ansible_kiln_plugin_ansible_CFLAGS = $(KILN_SDK_CFLAGS)
src_plugins_ansible_kiln_plugin_ansible_LDADD = src/plugin/sdk/libkiln-plugin.a -lm
EXTRA_DIST += src/plugins/ansible/local.mk

ansible_plugin_dir = $(pkglibdir)/plugins/$(ANSIBLE_PLUGIN_SOURCE)
ansible_plugin_file = kiln-plugin-ansible_v$(ANSIBLE_PLUGIN_VERSION)_x$(ANSIBLE_PLUGIN_PROTOCOL)_linux_$$(uname -m | sed 's/^x86_64$$/amd64/; s/^aarch64$$/arm64/; s/^i.86$$/386/')

install-exec-local: src/plugins/ansible/kiln-plugin-ansible
	$(MKDIR_P) "$(DESTDIR)$(ansible_plugin_dir)"
	f="$(DESTDIR)$(ansible_plugin_dir)/$(ansible_plugin_file)"; \
	$(INSTALL_PROGRAM) src/plugins/ansible/kiln-plugin-ansible "$$f" && \
	sha256sum "$$f" | cut -d' ' -f1 >"$$f"_SHA256SUM

uninstall-local:
	rm -f "$(DESTDIR)$(ansible_plugin_dir)"/kiln-plugin-ansible_v$(ANSIBLE_PLUGIN_VERSION)_x*

# Unit tests of the plugin's own code (inventory, templates, quoting Ansible's failures), linked with
# the SDK only, like the plugin.
check_PROGRAMS += tests/unit/test-ansible-plugin
TESTS += tests/unit/test-ansible-plugin
tests_unit_test_ansible_plugin_SOURCES = tests/unit/test-ansible-plugin.c $(ANSIBLE_PLUGIN_SOURCES)
tests_unit_test_ansible_plugin_CPPFLAGS = -I$(top_srcdir)/src/plugin/sdk -I$(top_srcdir)/src/plugins/ansible
tests_unit_test_ansible_plugin_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ansible_plugin_LDADD = src/plugin/sdk/libkiln-plugin.a $(CMOCKA_LIBS) -lm

# With Debian's ansible-core against the test sshd (null builder), kiln installed with DESTDIR.
TESTS += tests/integration/t0820-provisioner-ansible.sh
EXTRA_DIST += tests/integration/t0820-provisioner-ansible.sh
# The tiny image configured by a playbook, checked in the sanitized image.
E2E_TESTS += tests/e2e/t0470-ansible-tiny.sh
EXTRA_DIST += tests/e2e/t0470-ansible-tiny.sh
