/* test-provisioner-common.c — unit tests of src/provisioner/common.c: the environment a script gets
 * (Packer's injected values, order, overrides), {{ .Vars }} and env files in kiln's quoting and in
 * Packer's env_var_format, exit codes, CRLF handling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "component.h"
#include "provisioner/common.h"
#include "util/file.h"
#include "util/mem.h"

static void test_env_build_injects_and_sorts(void **state)
{
	(void)state;
	struct kiln_ctx ctx = {.build_name = "qemu.debian", .builder_type = "qemu"};
	kiln_ctx_set(&ctx, "PackerHTTPAddr", "10.0.2.2:8080");
	kiln_ctx_set(&ctx, "PackerHTTPIP", "10.0.2.2");
	kiln_ctx_set(&ctx, "PackerHTTPPort", "8080");
	struct strv user = STRV_INIT, env = STRV_INIT;
	strv_push(&user, "ZED=last");
	strv_push(&user, "A=first");
	strv_push(&user, "A=overridden");
	strv_push(&user, "PACKER_BUILD_NAME=mine");
	prov_env_build(&ctx, &user, &env);
	const char *want[] = {"A=overridden", "PACKER_BUILDER_TYPE=qemu", "PACKER_BUILD_NAME=mine",
			      "PACKER_HTTP_ADDR=10.0.2.2:8080", "PACKER_HTTP_IP=10.0.2.2", "PACKER_HTTP_PORT=8080",
			      "ZED=last"};
	assert_int_equal(env.n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < env.n; i++)
		assert_string_equal(env.v[i], want[i]);
	strv_free(&env);
	strv_free(&user);
	strv_free(&ctx.build_data);
}

static void test_env_build_without_http(void **state)
{
	(void)state;
	struct kiln_ctx ctx = {.build_name = "null.x", .builder_type = "null"};
	struct strv env = STRV_INIT;
	prov_env_build(&ctx, NULL, &env);
	assert_int_equal(env.n, 2);
	assert_string_equal(env.v[0], "PACKER_BUILDER_TYPE=null");
	assert_string_equal(env.v[1], "PACKER_BUILD_NAME=null.x");
	strv_free(&env);
}

static void test_vars_render_quotes_values(void **state)
{
	(void)state;
	struct strv env = STRV_INIT;
	strv_push(&env, "A=plain");
	strv_push(&env, "B=two words");
	strv_push(&env, "C=it's $(x)");
	strv_push(&env, "D=");
	char *vars = prov_env_render(&env, NULL);
	assert_string_equal(vars, "A=plain B='two words' C='it'\\''s $(x)' D=''");
	free(vars);
	char *file = prov_env_file(&env, NULL);
	assert_string_equal(file, "export A=plain\nexport B='two words'\nexport C='it'\\''s $(x)'\nexport D=''\n");
	free(file);
	strv_free(&env);
}

static void test_vars_render_packer_format(void **state)
{
	(void)state;
	struct strv env = STRV_INIT;
	strv_push(&env, "A=it's");
	strv_push(&env, "B=100%");
	/* Packer's default and its documented alternatives */
	char *vars = prov_env_render(&env, "%s='%s' ");
	assert_string_equal(vars, "A='it'\"'\"'s' B='100%' ");
	free(vars);
	vars = prov_env_render(&env, "export %s='%s'\n");
	assert_string_equal(vars, "export A='it'\"'\"'s'\nexport B='100%'\n");
	free(vars);
	/* %% is a percent sign; a third %s or any other directive is left as text, never a printf format */
	vars = prov_env_render(&env, "%s=%s %% %s %n %d;");
	assert_string_equal(vars, "A=it'\"'\"'s % %s %n %d;B=100% % %s %n %d;");
	free(vars);
	strv_free(&env);
}

static void test_exit_codes_text(void **state)
{
	(void)state;
	long v[] = {0, 3, 2300218};
	struct prov_exit_codes codes = {v, 3};
	char *t = prov_exit_codes_text(&codes);
	assert_string_equal(t, "[0, 3, 2300218]");
	free(t);
	assert_true(prov_exit_code_ok(&codes, 3));
	assert_true(prov_exit_code_ok(&codes, PROV_PACKER_DISCONNECT_STATUS));
	assert_false(prov_exit_code_ok(&codes, 1));
}

static void test_read_script_crlf(void **state)
{
	(void)state;
	struct kiln_error err = ERR_INIT;
	char *dir = tmpdir_make("kiln-test-prov", &err);
	assert_non_null(dir);
	char *path = path_join(dir, "s.sh");
	const char text[] = "#!/bin/sh\r\necho a\r\necho b\rc\n\r\n";
	assert_int_equal(file_write(path, text, sizeof text - 1, 0644, &err), 0);
	struct buf b = BUF_INIT;
	assert_int_equal(prov_read_script(path, false, &b, &err), 0);
	assert_string_equal(buf_cstr(&b), "#!/bin/sh\necho a\necho b\rc\n\n");
	buf_reset(&b);
	assert_int_equal(prov_read_script(path, true, &b, &err), 0);
	assert_int_equal(b.len, sizeof text - 1);
	assert_memory_equal(b.data, text, sizeof text - 1);
	buf_free(&b);
	free(path);
	tmpdir_release(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_build_injects_and_sorts),
		cmocka_unit_test(test_env_build_without_http),
		cmocka_unit_test(test_vars_render_quotes_values),
		cmocka_unit_test(test_vars_render_packer_format),
		cmocka_unit_test(test_exit_codes_text),
		cmocka_unit_test(test_read_script_crlf),
	};
	return cmocka_run_group_tests_name("provisioner-common", tests, NULL, NULL);
}
