/* test-engine.c — unit tests of artifacts, the run context's build data and Go-template expansion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "component.h"

static void test_artifact(void **state)
{
	(void)state;
	struct kiln_artifact *a = kiln_artifact_new("transcend.qemu", "vm", "VM files in directory: out");
	kiln_artifact_add_file(a, "out/vm.qcow2");
	kiln_artifact_set(a, "format", "qcow2");
	kiln_artifact_set(a, "format", "raw");
	assert_string_equal(kiln_artifact_get(a, "format"), "raw");
	assert_null(kiln_artifact_get(a, "nope"));
	assert_int_equal(a->files.n, 1);
	kiln_artifact_free(a);
	kiln_artifact_free(NULL);
}

static void test_expand(void **state)
{
	(void)state;
	struct kiln_ctx ctx = {0};
	kiln_ctx_set(&ctx, "HTTPIP", "10.0.2.2");
	kiln_ctx_set(&ctx, "HTTPPort", "8100");
	kiln_ctx_set(&ctx, "HTTPPort", "8101");
	assert_string_equal(kiln_ctx_get(&ctx, "HTTPPort"), "8101");
	struct kiln_error e = ERR_INIT;
	char *out = NULL;
	assert_int_equal(kiln_ctx_expand(&ctx, "http://{{ .HTTPIP }}:{{.HTTPPort}}/ks.cfg", NULL, &out, &e), 0);
	assert_string_equal(out, "http://10.0.2.2:8101/ks.cfg");
	free(out);
	char *extra[] = {"Name=vm1", "Vars=A='1'", NULL};
	assert_int_equal(kiln_ctx_expand(&ctx, "{{ .Name }} {{ build `HTTPIP` }} {{.Vars}}", extra, &out, &e), 0);
	assert_string_equal(out, "vm1 10.0.2.2 A='1'");
	free(out);
	assert_int_equal(kiln_ctx_expand(&ctx, "a  {{- .Name -}}  b", extra, &out, &e), 0);
	assert_string_equal(out, "avm1b");
	free(out);
	assert_int_equal(kiln_ctx_expand(&ctx, "{{ .Nope }}", NULL, &out, &e), -1);
	assert_non_null(strstr(err_cause(&e), "\"Nope\""));
	err_clear(&e);
	assert_int_equal(kiln_ctx_expand(&ctx, "{{ .Name ", NULL, &out, &e), -1);
	err_clear(&e);
	assert_int_equal(kiln_ctx_expand(&ctx, "{{ user `x` }}", NULL, &out, &e), -1);
	err_clear(&e);
	/* Packer's functions without arguments: timestamp (the same all run long), uuid, isotime */
	char *t1 = NULL, *t2 = NULL;
	assert_int_equal(kiln_ctx_expand(&ctx, "packer-import-{{timestamp}}.ova", NULL, &t1, &e), 0);
	assert_int_equal(kiln_ctx_expand(&ctx, "packer-import-{{ timestamp }}.ova", NULL, &t2, &e), 0);
	assert_string_equal(t1, t2);
	long long ts = 0;
	assert_int_equal(sscanf(t1, "packer-import-%lld.ova", &ts), 1);
	assert_true(ts > 1600000000);
	free(t1);
	free(t2);
	assert_int_equal(kiln_ctx_expand(&ctx, "{{uuid}}", NULL, &out, &e), 0);
	assert_int_equal(strlen(out), 36);
	assert_int_equal(out[14], '4');
	free(out);
	assert_int_equal(kiln_ctx_expand(&ctx, "{{isotime}}", NULL, &out, &e), 0);
	assert_int_equal(strlen(out), 20);
	assert_int_equal(out[19], 'Z');
	free(out);
	assert_int_equal(kiln_ctx_expand(&ctx, "{{ timestamp | clean_resource_name }}", NULL, &out, &e), -1);
	err_clear(&e);
	strv_free(&ctx.build_data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_artifact),
		cmocka_unit_test(test_expand),
	};
	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
