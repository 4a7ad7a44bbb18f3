/* test-ansible-plugin.c — unit tests of kiln-plugin-ansible's own parts (src/plugins/ansible/common.c,
 * linked with the C SDK only, like the plugin): Packer's inventory and its template, galaxy files, the
 * lines of Ansible's output quoted in a failure, masked arguments, command lines as printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ansible.h"

static const char *lookup(void *arg, const char *name)
{
	(void)arg;
	static const char *const values[][2] = {{"HostAlias", "default"}, {"Host", "127.0.0.1"}, {"Port", "2222"},
						{"User", "root"}, {"ID", ""}, {NULL, NULL}};
	for (size_t i = 0; values[i][0]; i++)
		if (strcmp(values[i][0], name) == 0)
			return values[i][1];
	return NULL;
}

static void render_ok(const char *tmpl, const char *want)
{
	char *err = NULL;
	char *got = ans_render_template(tmpl, lookup, NULL, &err);
	if (!got)
		fail_msg("%s: %s", tmpl, err);
	assert_string_equal(got, want);
	free(got);
}

static void render_bad(const char *tmpl, const char *want)
{
	char *err = NULL;
	char *got = ans_render_template(tmpl, lookup, NULL, &err);
	if (got)
		fail_msg("%s rendered as %s", tmpl, got);
	if (!strstr(err, want))
		fail_msg("%s: \"%s\" does not say \"%s\"", tmpl, err, want);
	free(err);
}

static void test_inventory_template(void **state)
{
	(void)state;
	/* Packer's default line, in both spacings Go templates allow */
	render_ok("{{ .HostAlias }} ansible_host={{ .Host }} ansible_user={{ .User }} ansible_port={{ .Port }}\n",
		  "default ansible_host=127.0.0.1 ansible_user=root ansible_port=2222\n");
	render_ok("{{.HostAlias}} ansible_port={{\t.Port }} id=[{{ .ID }}]", "default ansible_port=2222 id=[]");
	render_ok("no values at all\n", "no values at all\n");
	render_ok("", "");
	render_ok("a } b { c", "a } b { c");
	render_bad("{{ .Nope }}", "{{ .Nope }} is not a value this build has");
	render_bad("x {{ .Host ", "without a closing");
	render_bad("{{ Host }}", "is not a value");
	render_bad("{{ .Host | printf }}", "only {{ .Name }}");
	render_bad("{{ . }}", "is not a value");
}

static void test_inventory(void **state)
{
	(void)state;
	struct kp_json *groups = kp_json_parse("[\"web\",\"db\"]", strlen("[\"web\",\"db\"]"), NULL);
	struct kp_json *empty = kp_json_parse("[\"spare\"]", strlen("[\"spare\"]"), NULL);
	char *inv = ans_inventory("default ansible_host=h\n", groups, empty);
	assert_string_equal(inv, "default ansible_host=h\n[web]\ndefault ansible_host=h\n[db]\ndefault ansible_host=h\n[spare]\n");
	free(inv);
	inv = ans_inventory("default\n", NULL, NULL);
	assert_string_equal(inv, "default\n");
	free(inv);
	kp_json_free(groups);
	kp_json_free(empty);
}

static void test_galaxy_kinds(void **state)
{
	(void)state;
	bool r, c;
	ans_galaxy_kinds("- src: file:///x/role.tar.gz\n  name: x\n", &r, &c);
	assert_true(r && !c);   /* a plain list is roles */
	ans_galaxy_kinds("---\nroles:\n  - src: a\ncollections:\n  - name: b\n", &r, &c);
	assert_true(r && c);
	ans_galaxy_kinds("collections:\n  - name: b\n    type: dir\n", &r, &c);
	assert_true(!r && c);
	ans_galaxy_kinds("# roles: in a comment only\ncollections: []\n", &r, &c);
	assert_true(!r && c);
}

static void test_config_sets(void **state)
{
	(void)state;
	assert_true(ans_config_sets("[defaults]\nforks = 5\n[ssh_connection]\nssh_args = -o ForwardAgent=yes\n", "ssh_args"));
	assert_true(ans_config_sets("[ssh_connection]\n  ssh_args: -C\n", "ssh_args"));
	assert_true(ans_config_sets("ssh_args=\n", "ssh_args"));
	assert_false(ans_config_sets("[ssh_connection]\n# ssh_args = -C\n;ssh_args = -C\n", "ssh_args"));
	assert_false(ans_config_sets("[ssh_connection]\nssh_extra_args = -C\nscp_extra_args = -O\n", "ssh_args"));
	assert_false(ans_config_sets("", "ssh_args"));
}

static void test_tail(void **state)
{
	(void)state;
	struct ans_tail t = {ANS_STRV_INIT, ANS_STRV_INIT};
	char *s = ans_tail_text(&t);
	assert_string_equal(s, "");
	free(s);
	for (int i = 0; i < 20; i++) {
		char line[32];
		snprintf(line, sizeof line, "line %d", i);
		ans_tail_add(&t, line);
	}
	ans_tail_add(&t, "   ");
	s = ans_tail_text(&t);
	/* without a failure line, the last eight lines */
	assert_string_equal(s, "line 12\nline 13\nline 14\nline 15\nline 16\nline 17\nline 18\nline 19");
	free(s);
	ans_tail_add(&t, "TASK [fail] ****");
	ans_tail_add(&t, "fatal: [default]: FAILED! => {\"changed\": false, \"msg\": \"boom\"}");
	ans_tail_add(&t, "PLAY RECAP ****");
	ans_tail_add(&t, "default : ok=1 changed=0 unreachable=0 failed=1");
	s = ans_tail_text(&t);
	assert_string_equal(s, "fatal: [default]: FAILED! => {\"changed\": false, \"msg\": \"boom\"}");
	free(s);
	ans_tail_add(&t, "  ERROR! the role 'nope' was not found");
	s = ans_tail_text(&t);
	assert_string_equal(s, "fatal: [default]: FAILED! => {\"changed\": false, \"msg\": \"boom\"}\n"
			       "ERROR! the role 'nope' was not found");
	free(s);
	ans_tail_free(&t);
}

static void test_secrets(void **state)
{
	(void)state;
	struct ans_strv args = ANS_STRV_INIT, secrets = ANS_STRV_INIT;
	ans_strv_push(&args, "--extra-vars");
	ans_strv_push(&args, "db_Password=hunter2");
	ans_strv_push(&args, "api_secret=s3");
	ans_strv_push(&args, "user=bob");
	ans_strv_push(&args, "password=");
	ans_secret_args(&args, &secrets);
	assert_int_equal(secrets.n, 2);
	char *line = ans_strv_display(&args);
	assert_string_equal(line, "--extra-vars db_Password=hunter2 api_secret=s3 user=bob password=");
	char *m = ans_mask(line, &secrets);
	assert_string_equal(m, "--extra-vars db_Password=***** api_secret=***** user=bob password=");
	free(m);
	free(line);
	ans_strv_free(&args);
	ans_strv_free(&secrets);
}

static void test_display(void **state)
{
	(void)state;
	struct ans_strv a = ANS_STRV_INIT;
	ans_strv_push(&a, "ansible-playbook");
	ans_strv_push(&a, "-e");
	ans_strv_push(&a, "{\"packer_build_name\":\"box\"}");
	ans_strv_push(&a, "--ssh-extra-args");
	ans_strv_push(&a, "'-o IdentitiesOnly=yes'");
	ans_strv_push(&a, "");
	ans_strv_pushf(&a, "/tmp/%s.yml", "it's");
	char *s = ans_strv_display(&a);
	assert_string_equal(s, "ansible-playbook -e '{\"packer_build_name\":\"box\"}' --ssh-extra-args "
			       "''\\''-o IdentitiesOnly=yes'\\''' '' '/tmp/it'\\''s.yml'");
	assert_null(a.v[a.n]);
	free(s);
	ans_strv_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inventory_template), cmocka_unit_test(test_inventory), cmocka_unit_test(test_galaxy_kinds),
		cmocka_unit_test(test_config_sets),
		cmocka_unit_test(test_tail),               cmocka_unit_test(test_secrets),   cmocka_unit_test(test_display),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
