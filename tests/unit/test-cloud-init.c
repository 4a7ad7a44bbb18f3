/* test-cloud-init.c — unit tests of cloud-init/: host names from VM names, the generated seed,
 * validation of seed files (with locations), the nocloud-net serial and the files per form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cloud-init/nocloud.h"
#include "util/error.h"

#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKiln kiln-build"

static void test_hostname(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"packer-debian", "packer-debian"},
		{"Debian-12.qcow2", "debian-12"},
		{"web_server.example", "web-server-example"},
		{"disk.RAW", "disk"},
		{"--x--", "x"},
		{"", "kiln"},
		{"___", "kiln"},
		{"h\xc3\xa9llo", "h--llo"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *h = nocloud_hostname(cases[i][0]);
		if (strcmp(h, cases[i][1]) != 0)
			fail_msg("\"%s\" -> \"%s\", want \"%s\"", cases[i][0], h, cases[i][1]);
		free(h);
	}
	char *h = nocloud_hostname(NULL);
	assert_string_equal(h, "kiln");
	free(h);
}

static void test_generate_user(void **state)
{
	(void)state;
	struct nocloud_defaults d = {"Debian-12.qcow2", "packer", KEY "\n", NULL, NULL};
	struct nocloud_seed a = {0}, b = {0};
	struct kiln_error err = ERR_INIT;
	assert_int_equal(nocloud_seed_generate(&d, &a, &err), 0);
	assert_int_equal(nocloud_seed_generate(&d, &b, &err), 0);
	assert_non_null(strstr(a.meta_data, "local-hostname: \"debian-12\"\n"));
	assert_non_null(strstr(a.meta_data, "instance-id: \"kiln-"));
	assert_string_not_equal(a.meta_data, b.meta_data);   /* a new instance-id per build */
	assert_true(strncmp(a.user_data, "#cloud-config\n", 14) == 0);
	assert_non_null(strstr(a.user_data, "users:\n  - name: \"packer\"\n"));
	assert_non_null(strstr(a.user_data, "sudo: \"ALL=(ALL) NOPASSWD:ALL\""));
	assert_non_null(strstr(a.user_data, "lock_passwd: true"));
	assert_non_null(strstr(a.user_data, "      - \"" KEY "\"\n"));
	assert_null(a.vendor_data);
	assert_null(a.network_config);
	assert_int_equal(nocloud_seed_validate(&a, &err), 0);
	nocloud_seed_free(&a);
	nocloud_seed_free(&b);
	nocloud_seed_free(NULL);
}

static void test_generate_root_and_fixed_id(void **state)
{
	(void)state;
	struct nocloud_defaults d = {"tiny", "root", KEY, NULL, "iid-fixed"};
	struct nocloud_seed s = {0};
	struct kiln_error err = ERR_INIT;
	assert_int_equal(nocloud_seed_generate(&d, &s, &err), 0);
	assert_string_equal(s.meta_data, "instance-id: \"iid-fixed\"\nlocal-hostname: \"tiny\"\n");
	assert_non_null(strstr(s.user_data, "disable_root: false\nssh_authorized_keys:\n  - \"" KEY "\"\n"));
	assert_null(strstr(s.user_data, "users:"));
	assert_int_equal(nocloud_seed_validate(&s, &err), 0);
	nocloud_seed_free(&s);
}

static void test_generate_password(void **state)
{
	(void)state;
	struct nocloud_defaults d = {"vm", "packer", NULL, "s3cret \"x\"", "i"};
	struct nocloud_seed s = {0};
	struct kiln_error err = ERR_INIT;
	assert_int_equal(nocloud_seed_generate(&d, &s, &err), 0);
	assert_non_null(strstr(s.user_data, "    lock_passwd: false\n    plain_text_passwd: \"s3cret \\\"x\\\"\"\n"));
	assert_null(strstr(s.user_data, "ssh_authorized_keys"));
	assert_non_null(strstr(s.user_data, "\nssh_pwauth: true\n"));
	assert_int_equal(nocloud_seed_validate(&s, &err), 0);
	nocloud_seed_free(&s);

	struct nocloud_defaults r = {"vm", "root", KEY, "pw", "i"};
	assert_int_equal(nocloud_seed_generate(&r, &s, &err), 0);
	assert_non_null(strstr(s.user_data, "chpasswd:\n  expire: false\n  users:\n    - name: \"root\"\n"
	                                    "      type: text\n      password: \"pw\"\n"));
	assert_non_null(strstr(s.user_data, "ssh_authorized_keys:\n  - \"" KEY "\"\n"));
	assert_int_equal(nocloud_seed_validate(&s, &err), 0);
	nocloud_seed_free(&s);
}

static void test_generate_rejects(void **state)
{
	(void)state;
	static const struct nocloud_defaults cases[] = {
		{"vm", "", KEY, NULL, NULL},
		{"vm", NULL, KEY, NULL, NULL},
		{"vm", "bad user", KEY, NULL, NULL},
		{"vm", "-rf", KEY, NULL, NULL},
		{"vm", "a:b", KEY, NULL, NULL},
		{"vm", "packer", "", NULL, NULL},
		{"vm", "packer", NULL, "", NULL},
		{"vm", "packer", KEY "\n" KEY, NULL, NULL},
		{"vm", "packer", KEY "\n" KEY, "pw", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct nocloud_seed s = {0};
		struct kiln_error err = ERR_INIT;
		assert_int_equal(nocloud_seed_generate(&cases[i], &s, &err), -1);
		assert_true(err_is(&err, ERR_INVALID));
		assert_null(s.user_data);
		err_clear(&err);
	}
}

static void test_yaml_quoting_survives_odd_input(void **state)
{
	(void)state;
	/* a key comment with quotes and backslashes must not break the YAML */
	struct nocloud_defaults d = {"vm", "packer", "ssh-rsa AAAA \"quoted\" back\\slash: #x", NULL, "id: \"1\""};
	struct nocloud_seed s = {0};
	struct kiln_error err = ERR_INIT;
	assert_int_equal(nocloud_seed_generate(&d, &s, &err), 0);
	assert_int_equal(nocloud_seed_validate(&s, &err), 0);
	assert_non_null(strstr(s.user_data, "\"ssh-rsa AAAA \\\"quoted\\\" back\\\\slash: #x\""));
	assert_non_null(strstr(s.meta_data, "instance-id: \"id: \\\"1\\\"\""));
	nocloud_seed_free(&s);
}

struct validate_case {
	const char *name;
	const char *text;
	const char *want;   /* NULL: valid; else a substring of the error text */
};

static void test_validate(void **state)
{
	(void)state;
	static const struct validate_case cases[] = {
		{"user-data", "#cloud-config\npackages: [nginx]\n", NULL},
		{"user-data", "  \n#Cloud-Config\nruncmd:\n  - echo hi\n", NULL},
		{"user-data", "#cloud-config\n", NULL},
		{"user-data", "", NULL},
		{"user-data", "#!/bin/sh\necho 'not: [yaml'\n", NULL},
		{"user-data", "#cloud-config-archive\n- type: text/cloud-config\n  content: 'a: 1'\n", NULL},
		{"user-data", "packages: [nginx]\n", "u:1:1: cloud-init user data must start with \"#cloud-config\" or \"#!\", not \"packages: [nginx]\""},
		{"user-data", "#cloud-config\nusers:\n  - name: a\n\tsudo: x\n", "u:4:1: invalid YAML: found a tab character that violates indentation (while scanning a plain scalar)"},
		{"user-data", "#cloud-config\na: [1, 2\nb: 3\n", "u:3:2:"},
		{"user-data", "#cloud-config\n- a\n- b\n", "u:2:1: the document must be a mapping"},
		{"user-data", "#cloud-config\njust text\n", "u:2:1: the document must be a mapping"},
		{"user-data", "#cloud-config\na: 1\n---\nb: 2\n", "u:3:1: more than one YAML document"},
		{"user-data", "#cloud-config-archive\na: 1\n", "the document must be a sequence"},
		{"vendor-data", "hello\n", "must start with \"#cloud-config\""},
		{"meta-data", "instance-id: x\nlocal-hostname: y\n", NULL},
		{"meta-data", "{\"instance-id\": \"x\"}", NULL},
		{"meta-data", "", NULL},
		{"meta-data", "x: [\n", "u:2:1: invalid YAML"},
		{"network-config", "version: 2\nethernets: {}\n", NULL},
		{"network-config", "- 1\n", "the document must be a mapping"},
		{"dir/meta-data", "- 1\n", "the document must be a mapping"},
		{"ks.cfg", "anything: [\n", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct kiln_error err = ERR_INIT;
		int rc = nocloud_validate_file(cases[i].name, "u", cases[i].text, strlen(cases[i].text), &err);
		char *text = err_text(&err);
		if (cases[i].want ? rc == 0 || !strstr(text, cases[i].want) : rc != 0)
			fail_msg("case %zu (%s): rc %d, error \"%s\", want %s", i, cases[i].name, rc, text,
			         cases[i].want ? cases[i].want : "valid");
		if (rc && strstr(text, "must start with"))
			assert_non_null(err.hint);
		free(text);
		err_clear(&err);
	}
}

static void test_serial(void **state)
{
	(void)state;
	char *s = nocloud_net_serial("10.0.2.2", 8123);
	assert_string_equal(s, "ds=nocloud-net;s=http://10.0.2.2:8123/");
	free(s);
	s = nocloud_net_serial("fd00::2", 80);
	assert_string_equal(s, "ds=nocloud-net;s=http://[fd00::2]:80/");
	free(s);
}

static void test_seed_files(void **state)
{
	(void)state;
	struct nocloud_seed s = {.user_data = "#cloud-config\n", .meta_data = "instance-id: a\n"};
	struct nocloud_file f[NOCLOUD_MAX_FILES];
	assert_int_equal(nocloud_seed_files(&s, NOCLOUD_CD, f), 2);
	assert_string_equal(f[0].name, "user-data");
	assert_string_equal(f[1].name, "meta-data");
	assert_int_equal(f[1].len, 15);

	assert_int_equal(nocloud_seed_files(&s, NOCLOUD_NET, f), 3);
	assert_string_equal(f[2].name, "vendor-data");   /* served empty: no 404 and its retries */
	assert_int_equal(f[2].len, 0);

	s.vendor_data = "#cloud-config\n";
	s.network_config = "version: 2\n";
	assert_int_equal(nocloud_seed_files(&s, NOCLOUD_CD, f), 4);
	assert_string_equal(f[2].data, "#cloud-config\n");
	assert_string_equal(f[3].name, "network-config");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostname),
		cmocka_unit_test(test_generate_user),
		cmocka_unit_test(test_generate_root_and_fixed_id),
		cmocka_unit_test(test_generate_password),
		cmocka_unit_test(test_generate_rejects),
		cmocka_unit_test(test_yaml_quoting_survives_odd_input),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_seed_files),
	};
	return cmocka_run_group_tests_name("cloud-init", tests, NULL, NULL);
}
