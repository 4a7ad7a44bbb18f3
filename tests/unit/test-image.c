/* test-image.c — unit tests of src/image without an appliance: the text edits sanitize makes to guest
 * files, operation selection, the report and OS JSON, format names and output paths, the OVF
 * descriptor, the Vagrant metadata, archive names, and export's refusals before any work starts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/archive.h"
#include "image/guest.h"
#include "image/export_internal.h"
#include "image/image.h"
#include "image/sanitize_text.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/proc.h"

static void test_account_files(void **state)
{
	(void)state;
	unsigned n = 0;
	char *t = img_text_remove_user_entries("root:x:0:0::/root:/bin/sh\npacker:x:1001:1001::/home/packer:/bin/bash\n"
					       "packer2:x:1002:1002::/home/packer2:/bin/sh\n", "packer", &n);
	assert_int_equal(n, 1);
	assert_string_equal(t, "root:x:0:0::/root:/bin/sh\npacker2:x:1002:1002::/home/packer2:/bin/sh\n");
	free(t);
	/* No trailing newline stays so; an absent user changes nothing. */
	t = img_text_remove_user_entries("root:x:0:0::/root:/bin/sh", "packer", &n);
	assert_int_equal(n, 0);
	assert_string_equal(t, "root:x:0:0::/root:/bin/sh");
	free(t);
	t = img_text_remove_user_entries("", "packer", &n);
	assert_string_equal(t, "");
	free(t);

	t = img_text_remove_user_from_groups("sudo:x:27:debian,packer\nadm:x:4:packer\npacker:x:1001:\n"
					     "shared:x:1500:packer,alice\nalice:x:1002:\n", "packer", false, &n);
	assert_int_equal(n, 4);
	assert_string_equal(t, "sudo:x:27:debian\nadm:x:4:\nshared:x:1500:alice\nalice:x:1002:\n");
	free(t);
	/* A group named after the user keeps existing while others are in it. */
	t = img_text_remove_user_from_groups("packer:x:1001:bob\n", "packer", false, &n);
	assert_string_equal(t, "packer:x:1001:bob\n");
	assert_int_equal(n, 0);
	free(t);
	/* gshadow: admins (third field) too. */
	t = img_text_remove_user_from_groups("adm:*:packer:packer,bob\npacker:!::\n", "packer", true, &n);
	assert_string_equal(t, "adm:*::bob\n");
	assert_int_equal(n, 2);
	free(t);
	/* A prefix of another name is not the user. */
	t = img_text_remove_user_from_groups("sudo:x:27:packers\n", "packer", false, &n);
	assert_string_equal(t, "sudo:x:27:packers\n");
	free(t);

	long uid = 0;
	char *home = NULL;
	const char *passwd = "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n"
			     "debian:x:1000:1000:Debian:/home/debian:/bin/bash\nbuild:x:1001:1001::/home/build:/bin/sh\n";
	assert_true(img_text_passwd_lookup(passwd, "build", &uid, &home));
	assert_int_equal(uid, 1001);
	assert_string_equal(home, "/home/build");
	free(home);
	assert_false(img_text_passwd_lookup(passwd, "nope", &uid, NULL));
	struct strv users = STRV_INIT;
	img_text_passwd_ordinary_users(passwd, 1000, &users);
	assert_int_equal(users.n, 2);
	assert_string_equal(users.v[0], "debian");
	assert_string_equal(users.v[1], "build");
	strv_free(&users);
	assert_int_equal(img_text_login_defs_uid_min("# x\nUID_MIN\t\t 500\nUID_MAX 60000\n"), 500);
	assert_int_equal(img_text_login_defs_uid_min("UID_MAX 60000\n"), 1000);
	assert_int_equal(img_text_login_defs_uid_min(NULL), 1000);
}

static void test_sudoers_and_keys(void **state)
{
	(void)state;
	unsigned n = 0;
	bool empty = false;
	char *t = img_text_remove_sudoers_user("# Created by cloud-init\n\n# User rules for packer\npacker ALL=(ALL) NOPASSWD:ALL\n",
					       "packer", &n, &empty);
	assert_int_equal(n, 1);
	assert_true(empty);
	free(t);
	t = img_text_remove_sudoers_user("Defaults:packer !requiretty\n\tpacker ALL=(ALL) ALL\nalice ALL=(ALL) ALL\n",
					 "packer", &n, &empty);
	assert_int_equal(n, 1);
	assert_false(empty);
	assert_string_equal(t, "Defaults:packer !requiretty\nalice ALL=(ALL) ALL\n");
	free(t);

	const char *temp = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITEMPKEY kiln-temporary-key";
	t = img_text_remove_authorized_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITEMPKEY other-comment\n"
					   "restrict,command=\"x\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITEMPKEY\n"
					   "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIUSERKEY user@laptop\n"
					   "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITEMPKEYX prefix-is-not-the-key\n",
					   temp, &n, &empty);
	assert_int_equal(n, 2);
	assert_false(empty);
	assert_string_equal(t, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIUSERKEY user@laptop\n"
			       "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITEMPKEYX prefix-is-not-the-key\n");
	free(t);
	t = img_text_remove_authorized_key("# only the build key\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITEMPKEY\n", temp,
					   &n, &empty);
	assert_int_equal(n, 1);
	assert_true(empty);
	free(t);
	/* A malformed key (no blob) matches nothing. */
	t = img_text_remove_authorized_key("ssh-ed25519 AAAA x\n", "ssh-ed25519", &n, &empty);
	assert_int_equal(n, 0);
	free(t);

	t = img_text_remove_prefixed("DEVICE=eth0\nHWADDR=52:54:00:12:34:56\nONBOOT=yes\n", "HWADDR=", &n);
	assert_int_equal(n, 1);
	assert_string_equal(t, "DEVICE=eth0\nONBOOT=yes\n");
	free(t);

	assert_true(img_log_is_rotated("syslog.1"));
	assert_true(img_log_is_rotated("dpkg.log.2.gz"));
	assert_true(img_log_is_rotated("messages-20240101"));
	assert_true(img_log_is_rotated("Xorg.0.log.old"));
	assert_true(img_log_is_rotated("eipp.log.xz"));
	assert_false(img_log_is_rotated("syslog"));
	assert_false(img_log_is_rotated("auth.log"));
	assert_false(img_log_is_rotated("Xorg.0.log"));
	assert_false(img_log_is_rotated("lastlog"));
}

static void test_hostname_texts(void **state)
{
	(void)state;
	char *h = img_text_hostname("# set by the installer\n\n  packer-golden \n");
	assert_string_equal(h, "packer-golden");
	free(h);
	assert_null(img_text_hostname("# nothing\n\n"));
	assert_null(img_text_hostname(""));
	assert_true(img_text_hostname_is_generic("localhost"));
	assert_true(img_text_hostname_is_generic("localhost.localdomain"));
	assert_false(img_text_hostname_is_generic("localhost2"));

	unsigned n = 0;
	char *old = NULL;
	char *t = img_text_sysconfig_reset_hostname("NETWORKING=yes\nHOSTNAME=\"build.example.com\"\nGATEWAY=10.0.2.2", &n, &old);
	assert_int_equal(n, 1);
	assert_string_equal(old, "build.example.com");
	assert_string_equal(t, "NETWORKING=yes\nHOSTNAME=localhost\nGATEWAY=10.0.2.2");
	free(t);
	free(old);
	t = img_text_sysconfig_reset_hostname("NETWORKING=yes\nHOSTNAME=localhost.localdomain\n", &n, &old);
	assert_int_equal(n, 0);
	assert_null(old);
	free(t);

	/* Debian's own-name line goes; other addresses and other names stay */
	t = img_text_hosts_forget("127.0.0.1 localhost\n127.0.1.1 packer-golden.example.com packer-golden\n"
				  "10.0.0.5 packer-golden-db\n::1 localhost ip6-localhost\n",
				  "packer-golden.example.com", &n);
	assert_int_equal(n, 1);
	assert_string_equal(t, "127.0.0.1 localhost\n10.0.0.5 packer-golden-db\n::1 localhost ip6-localhost\n");
	free(t);
	t = img_text_hosts_forget("127.0.1.1\tbuild.example.com other builder # comment\n127.0.1.10 build\n", "build", &n);
	assert_int_equal(n, 1);
	assert_string_equal(t, "127.0.1.1 other builder # comment\n127.0.1.10 build\n");
	free(t);
	t = img_text_hosts_forget("127.0.1.1 localhost\n", "localhost", &n);
	assert_int_equal(n, 0);
	assert_string_equal(t, "127.0.1.1 localhost\n");
	free(t);
}

/* The package list a reused inspection reads from dpkg's status file matches what libguestfs lists. */
static void test_dpkg_status(void **state)
{
	(void)state;
	struct img_package *p = NULL;
	size_t n = 0;
	img_text_dpkg_status("Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\n"
			     "Version: 1:1.2.13.dfsg-1+deb12u1\nDescription: zlib\n more text\n\n"
			     "Package: adduser\nStatus: install ok installed\nVersion: 3.134\nArchitecture: all\n\n"
			     "Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0-1\n\n"
			     "Package: noversion\nStatus: install ok installed\n\n"
			     "Package: badepoch\nStatus: install ok installed\nVersion: x:1.0-1\n\n"
			     "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b13-x\nArchitecture: amd64\n\n"
			     "Package: unterminated\nStatus: install ok installed\nVersion: 1.0\n",
			     &p, &n);
	assert_int_equal(n, 3);
	assert_string_equal(p[0].name, "adduser");
	assert_string_equal(p[0].version, "3.134");
	assert_string_equal(p[0].release, "");
	assert_string_equal(p[0].arch, "all");
	assert_int_equal(p[0].epoch, 0);
	/* libguestfs splits the release at the first dash */
	assert_string_equal(p[1].name, "bash");
	assert_string_equal(p[1].version, "5.2.15");
	assert_string_equal(p[1].release, "2+b13-x");
	assert_string_equal(p[2].name, "zlib1g");
	assert_int_equal(p[2].epoch, 1);
	assert_string_equal(p[2].version, "1.2.13.dfsg");
	assert_string_equal(p[2].release, "1+deb12u1");
	img_package_list_free(p, n);
	img_text_dpkg_status("", &p, &n);
	assert_int_equal(n, 0);
	img_package_list_free(p, n);
}

static void test_select(void **state)
{
	(void)state;
	struct img_sanitize_opts o;
	struct kiln_error e = ERR_INIT;
	img_sanitize_opts_init(&o);
	assert_true(o.enabled);
	assert_true(o.trim);
	/* The default set holds what issue 8 lists, and not user-account. */
	static const char *const defaults[] = {"machine-id", "ssh-hostkeys", "ssh-userdir", "cloud-init", "logfiles",
					       "tmp-files", "bash-history", "dhcp-client-state", "net-hwaddr",
					       "udev-persistent-net", "package-manager-cache", "random-seed", "utmp",
					       "crash-data", "mail-spool", "build-user", "hostname", "net-hostname", NULL};
	for (size_t i = 0; defaults[i]; i++)
		assert_true(img_sanitize_opts_has(&o, defaults[i]));
	assert_false(img_sanitize_opts_has(&o, "user-account"));

	char *ops[] = {"defaults", "user-account", NULL};
	char *excl[] = {"logfiles", NULL};
	assert_int_equal(img_sanitize_opts_select(&o, ops, excl, &e), 0);
	assert_true(img_sanitize_opts_has(&o, "user-account"));
	assert_false(img_sanitize_opts_has(&o, "logfiles"));
	/* Run order is the table's, whatever the user's order. */
	char *two[] = {"machine-id", "ssh-hostkeys", NULL};
	assert_int_equal(img_sanitize_opts_select(&o, two, NULL, &e), 0);
	assert_int_equal(o.operations.n, 2);
	assert_string_equal(o.operations.v[0], "ssh-hostkeys");
	char *all[] = {"all", NULL};
	assert_int_equal(img_sanitize_opts_select(&o, all, NULL, &e), 0);
	size_t nops = 0;
	while (img_sanitize_operation(nops))
		nops++;
	assert_int_equal(o.operations.n, nops);

	char *bad[] = {"machine-id", "ssh-hostkey", NULL};
	assert_int_equal(img_sanitize_opts_select(&o, bad, NULL, &e), -1);
	assert_true(err_is(&e, ERR_INVALID));
	assert_string_equal(err_cause(&e), "unknown sanitize operation \"ssh-hostkey\"");
	assert_non_null(strstr(e.hint, "ssh-hostkeys"));
	err_clear(&e);
	char *badx[] = {"nope", NULL};
	assert_int_equal(img_sanitize_opts_select(&o, NULL, badx, &e), -1);
	err_clear(&e);
	img_sanitize_opts_free(&o);

	enum img_accel a;
	assert_int_equal(img_accel_parse("tcg", &a, &e), 0);
	assert_int_equal(a, IMG_ACCEL_TCG);
	assert_int_equal(img_accel_parse(NULL, &a, &e), 0);
	assert_int_equal(a, IMG_ACCEL_AUTO);
	assert_int_equal(img_accel_parse("hvf", &a, &e), -1);
	err_clear(&e);
}

static void test_report_json(void **state)
{
	(void)state;
	struct img_sanitize_report r = {0};
	struct img_op_result ops[2] = {{"machine-id", 0, 1, 0, NULL}, {"logfiles", 3, 12, 0, NULL}};
	r.ops = xcalloc(2, sizeof *r.ops);
	memcpy(r.ops, ops, sizeof ops);
	r.nops = 2;
	r.trimmed = 2;
	r.has_os = true;
	r.os.root = xstrdup("/dev/sda1");
	r.os.type = xstrdup("linux");
	r.os.distro = xstrdup("debian");
	r.os.product_name = xstrdup("");
	r.os.version = xstrdup("12.7");
	r.os.hostname = xstrdup("h");
	r.os.arch = xstrdup("x86_64");
	r.os.package_format = xstrdup("deb");
	r.os.osinfo = xstrdup("debian12");
	strv_push(&r.os.kernels, "6.1.0-26-cloud-amd64");
	r.os.packages = xcalloc(1, sizeof *r.os.packages);
	r.os.packages[0] = (struct img_package){xstrdup("openssh-server"), xstrdup("9.2p1"), xstrdup("2+deb12u3"),
						xstrdup("amd64"), 1};
	r.os.npackages = 1;
	r.os.packages_listed = true;

	char *s = img_op_result_summary(&r.ops[1]);
	assert_string_equal(s, "logfiles: 12 emptied, 3 removed");
	free(s);
	struct img_op_result none = {"utmp", 0, 0, 0, NULL};
	s = img_op_result_summary(&none);
	assert_string_equal(s, "utmp: nothing to do");
	free(s);
	struct img_op_result kept = {"build-user", 0, 0, 0, "kept: listed in keep_user_accounts"};
	s = img_op_result_summary(&kept);
	assert_string_equal(s, "build-user: nothing to do (kept: listed in keep_user_accounts)");
	free(s);

	char *js = img_sanitize_report_json(&r);
	json_t *j = json_loads(js, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(j, "operations"), "logfiles"), "emptied")), 12);
	assert_int_equal(json_integer_value(json_object_get(j, "trimmed_filesystems")), 2);
	json_decref(j);
	free(js);

	js = img_os_json(&r.os);
	j = json_loads(js, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "distro")), "debian");
	assert_true(json_is_null(json_object_get(j, "product_name")));
	json_t *pk = json_array_get(json_object_get(j, "packages"), 0);
	assert_string_equal(json_string_value(json_object_get(pk, "version")), "1:9.2p1-2+deb12u3");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "kernels"), 0)), "6.1.0-26-cloud-amd64");
	json_decref(j);
	free(js);

	img_sanitize_report_free(&r);
	img_sanitize_report_free(NULL);
}

static void test_formats(void **state)
{
	(void)state;
	struct kiln_error e = ERR_INIT;
	enum img_format f;
	assert_int_equal(img_format_parse("vhd", &f, &e), 0);
	assert_int_equal(f, IMG_FORMAT_VPC);
	assert_int_equal(img_format_parse("box", &f, &e), 0);
	assert_int_equal(f, IMG_FORMAT_VAGRANT);
	assert_int_equal(img_format_parse("vdi", &f, &e), -1);
	assert_string_equal(err_cause(&e), "kiln cannot write the image format \"vdi\"");
	err_clear(&e);
	enum img_compression c;
	assert_int_equal(img_compression_parse("zstd", &c, &e), 0);
	assert_int_equal(c, IMG_COMPRESS_ZSTD);
	assert_int_equal(img_compression_parse("lzma", &c, &e), -1);
	err_clear(&e);

	struct img_export_opts o;
	img_export_opts_init(&o);
	assert_int_equal(img_export_opts_add(&o, "qcow2", &e), 0);
	char *p = img_export_path(&o, "out", "packer-debian", IMG_FORMAT_QCOW2);
	assert_string_equal(p, "out/packer-debian");   /* Packer's vm_name, unchanged */
	free(p);
	assert_int_equal(img_export_opts_add(&o, "ova", &e), 0);
	assert_int_equal(img_export_opts_add(&o, "qcow2", &e), 0);   /* duplicates ignored */
	assert_int_equal(o.nformats, 2);
	p = img_export_path(&o, "out", "debian.qcow2", IMG_FORMAT_QCOW2);
	assert_string_equal(p, "out/debian.qcow2");
	free(p);
	p = img_export_path(&o, "out", "debian.qcow2", IMG_FORMAT_OVA);
	assert_string_equal(p, "out/debian.ova");
	free(p);
	p = img_export_path(&o, "out", "debian", IMG_FORMAT_VPC);
	assert_string_equal(p, "out/debian.vhd");
	free(p);
	img_export_opts_free(&o);
	img_export_opts_init(&o);
	assert_int_equal(img_export_opts_add(&o, "ova", &e), 0);
	p = img_export_path(&o, "out", "appliance", IMG_FORMAT_OVA);
	assert_string_equal(p, "out/appliance.ova");   /* packages always get their extension */
	free(p);
	img_export_opts_free(&o);

	struct img_archive_opts ao;
	assert_int_equal(img_archive_opts_from_name("x.tar.zst", &ao, &e), 0);
	assert_int_equal(ao.container, IMG_ARCHIVE_TAR);
	assert_int_equal(ao.filter, IMG_FILTER_ZSTD);
	assert_int_equal(img_archive_opts_from_name("dir/x.qcow2.gz", &ao, &e), 0);
	assert_int_equal(ao.container, IMG_ARCHIVE_RAW);
	assert_int_equal(ao.filter, IMG_FILTER_GZIP);
	assert_int_equal(img_archive_opts_from_name("x.zip", &ao, &e), 0);
	assert_int_equal(ao.container, IMG_ARCHIVE_ZIP);
	assert_int_equal(img_archive_opts_from_name("x.tgz", &ao, &e), 0);
	assert_int_equal(ao.filter, IMG_FILTER_GZIP);
	assert_int_equal(img_archive_opts_from_name("x.rar", &ao, &e), -1);
	err_clear(&e);
	assert_int_equal(img_archive_opts_from_name(".gz", &ao, &e), -1);
	err_clear(&e);
}

static void test_ovf_and_box(void **state)
{
	(void)state;
	struct img_export_opts o;
	img_export_opts_init(&o);
	o.cpus = 2;
	o.memory_mb = 2048;
	o.os_distro = xstrdup("debian");
	char *ovf = img_ovf_descriptor("web <1> & co", "web-disk1.vmdk", 12345, 10737418240ULL, &o);
	assert_non_null(strstr(ovf, "<Name>web &lt;1&gt; &amp; co</Name>"));
	assert_non_null(strstr(ovf, "ovf:href=\"web-disk1.vmdk\" ovf:id=\"file1\" ovf:size=\"12345\""));
	assert_non_null(strstr(ovf, "ovf:capacity=\"10737418240\""));
	assert_non_null(strstr(ovf, "vmdk.html#streamOptimized"));
	assert_non_null(strstr(ovf, "<OperatingSystemSection ovf:id=\"96\">"));
	assert_non_null(strstr(ovf, "<rasd:VirtualQuantity>2048</rasd:VirtualQuantity>"));
	assert_non_null(strstr(ovf, "<rasd:ElementName>2 virtual CPU(s)</rasd:ElementName>"));
	assert_null(strstr(ovf, "<1>"));
	free(ovf);
	img_export_opts_free(&o);
	assert_int_equal(img_ovf_os_id("ubuntu", NULL), 94);
	assert_int_equal(img_ovf_os_id("gentoo", NULL), 101);
	assert_int_equal(img_ovf_os_id(NULL, NULL), 101);

	char *meta = img_vagrant_metadata(10737418240ULL + 1);
	json_t *j = json_loads(meta, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "provider")), "libvirt");
	assert_string_equal(json_string_value(json_object_get(j, "format")), "qcow2");
	assert_int_equal(json_integer_value(json_object_get(j, "virtual_size")), 11);   /* rounded up */
	json_decref(j);
	free(meta);
	char *vf = img_vagrant_vagrantfile();
	assert_non_null(strstr(vf, "config.vm.provider :libvirt"));
	free(vf);
}

/* Export refuses before converting anything: bad directory, existing output (no -force). */
static void test_export_refusals(void **state)
{
	(void)state;
	struct kiln_error e = ERR_INIT;
	char *dir = tmpdir_make("kiln-test-image", &e);
	assert_non_null(dir);
	char *disk = path_join(dir, "disk.qcow2");
	char *const create[] = {"qemu-img", "create", "-q", "-f", "qcow2", disk, "1M", NULL};
	assert_int_equal(proc_run_checked(create, NULL, &e), 0);
	struct img_export_opts o;
	img_export_opts_init(&o);
	assert_int_equal(img_export_opts_add(&o, "raw", &e), 0);
	assert_int_equal(img_export_opts_add(&o, "vmdk", &e), 0);

	char *missing = path_join(dir, "no-such-dir");
	assert_int_equal(img_export(disk, "qcow2", &o, missing, "vm", NULL, NULL, &e), -1);
	assert_true(err_is(&e, ERR_NOT_FOUND));
	err_clear(&e);

	char *existing = path_join(dir, "vm.vmdk");
	assert_int_equal(file_write(existing, "keep me", 7, 0644, &e), 0);
	assert_int_equal(img_export(disk, "qcow2", &o, dir, "vm", NULL, NULL, &e), -1);
	assert_non_null(strstr(err_cause(&e), "vm.vmdk already exists"));
	err_clear(&e);
	char *raw = path_join(dir, "vm.raw");
	assert_false(file_exists(raw));   /* nothing was started */

	/* With force, both are written and the old file replaced. */
	o.force = true;
	struct img_export_result made = {STRV_INIT, STRV_INIT, 0};
	assert_int_equal(img_export(disk, "qcow2", &o, dir, "vm", NULL, &made, &e), 0);
	assert_true(file_exists(raw));
	assert_int_equal(made.formats.n, 2);
	assert_string_equal(made.formats.v[0], "raw");
	assert_string_equal(made.formats.v[1], "vmdk");
	assert_int_equal(made.files.n, 2);
	assert_string_equal(made.files.v[0], raw);
	assert_string_equal(made.files.v[1], existing);
	struct img_info info;
	assert_int_equal(img_info_read(existing, NULL, &info, &e), 0);
	assert_string_equal(info.format, "vmdk");
	assert_string_equal(info.subformat, "streamOptimized");
	assert_int_equal(info.virtual_size, 1024 * 1024);
	img_info_free(&info);
	img_export_result_free(&made);

	/* Into a tmpfs directory (no O_DIRECT before kernel 6.6, a directory fsync that does nothing). */
	char shm[] = "/dev/shm/kiln-test-export-XXXXXX";
	assert_non_null(mkdtemp(shm));
	struct img_export_opts r;
	img_export_opts_init(&r);
	assert_int_equal(img_export_opts_add(&r, "qcow2", &e), 0);
	assert_int_equal(img_export(disk, "qcow2", &r, shm, "vm.qcow2", NULL, NULL, &e), 0);
	char *shm_out = path_join(shm, "vm.qcow2");
	assert_int_equal(img_info_read(shm_out, NULL, &info, &e), 0);
	assert_string_equal(info.format, "qcow2");
	img_info_free(&info);
	assert_int_equal(rm_rf(shm, &e), 0);
	free(shm_out);
	img_export_opts_free(&r);

	/* Not a disk at all. */
	assert_int_equal(img_info_read(missing, NULL, &info, &e), -1);
	err_clear(&e);

	img_export_opts_free(&o);
	tmpdir_release(dir);
	free(raw);
	free(existing);
	free(missing);
	free(disk);
	free(dir);
}

/* The export's qemu-img runs, seen through a qemu-img on PATH that logs its arguments: with room to
 * spare, no `measure` (a fully allocated disk would fit); the conversion writes through the page cache
 * (-t unsafe: the output is fsynced before its rename), never O_DIRECT; and the result carries the
 * disk's virtual size. */
static void test_export_qemu_img_runs(void **state)
{
	(void)state;
	struct kiln_error e = ERR_INIT;
	char *dir = tmpdir_make("kiln-test-export-runs", &e);
	assert_non_null(dir);
	char *bin = path_join(dir, "bin");
	assert_int_equal(mkdir_p(bin, 0755, &e), 0);
	char *log = path_join(dir, "qemu-img.log");
	char *wrapper = path_join(bin, "qemu-img");
	char *real = NULL;
	const char *path = getenv("PATH");
	char *const which[] = {"sh", "-c", "command -v qemu-img", NULL};
	struct buf out = BUF_INIT;
	struct proc_opts po = {.out = &out};
	assert_int_equal(proc_run_checked(which, &po, &e), 0);
	real = xstrdup(buf_cstr(&out));
	real[strcspn(real, "\n")] = '\0';
	buf_free(&out);
	char *script = xasprintf("#!/bin/sh\necho \"$*\" >>'%s'\nexec '%s' \"$@\"\n", log, real);
	assert_int_equal(file_write(wrapper, script, strlen(script), 0755, &e), 0);
	char *disk = path_join(dir, "disk.qcow2");
	char *const create[] = {"qemu-img", "create", "-q", "-f", "qcow2", disk, "3M", NULL};
	assert_int_equal(proc_run_checked(create, NULL, &e), 0);
	char *saved = xstrdup(path);
	char *newpath = xasprintf("%s:%s", bin, path);
	setenv("PATH", newpath, 1);

	struct img_export_opts o;
	img_export_opts_init(&o);
	assert_int_equal(img_export_opts_add(&o, "qcow2", &e), 0);
	struct img_export_result made = {STRV_INIT, STRV_INIT, 0};
	int rc = img_export(disk, "qcow2", &o, dir, "vm.qcow2", NULL, &made, &e);
	setenv("PATH", saved, 1);
	assert_int_equal(rc, 0);
	assert_int_equal(made.virtual_size, 3 * 1024 * 1024);
	assert_int_equal(made.files.n, 1);
	struct buf b = BUF_INIT;
	assert_int_equal(file_read_all(log, &b, &e), 0);
	const char *runs = buf_cstr(&b);
	assert_non_null(strstr(runs, "info "));
	assert_null(strstr(runs, "measure "));
	assert_non_null(strstr(runs, "convert -p -t unsafe "));
	assert_null(strstr(runs, "-t none"));
	buf_free(&b);

	assert_true(img_space_ample(dir, 1));
	assert_false(img_space_ample(dir, UINT64_MAX));

	img_export_result_free(&made);
	img_export_opts_free(&o);
	tmpdir_release(dir);
	free(newpath);
	free(saved);
	free(disk);
	free(script);
	free(real);
	free(wrapper);
	free(log);
	free(bin);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_account_files),
		cmocka_unit_test(test_sudoers_and_keys),
		cmocka_unit_test(test_hostname_texts),
		cmocka_unit_test(test_dpkg_status),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_report_json),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_ovf_and_box),
		cmocka_unit_test(test_export_refusals),
		cmocka_unit_test(test_export_qemu_img_runs),
	};
	return cmocka_run_group_tests_name("image", tests, NULL, NULL);
}
