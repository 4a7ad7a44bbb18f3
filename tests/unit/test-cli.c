/* test-cli.c — unit tests of the command table and Go-style flag parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int ran;
static int run_fake(struct cli_args *a)
{
	(void)a;
	ran++;
	return 0;
}

static const struct cli_command fake = {
	.name = "fake",
	.synopsis = "a command for tests",
	.usage = "kiln fake [options] PATH",
	.flags = (const struct cli_flag[]){
		{"force", CLI_BOOL, NULL, NULL, "overwrite"},
		{"on-error", CLI_STRING, "cleanup|abort|ask", "cleanup", "what to do"},
		{"var", CLI_LIST, "NAME=VALUE", NULL, "a variable"},
		{"parallel-builds", CLI_INT, "N", "0", "how many"},
		{"color", CLI_BOOL, NULL, "true", "colour"},
		{NULL},
	},
	.min_args = 1,
	.max_args = 1,
	.run = run_fake,
};

static int parse(struct cli_args *a, int argc, char **argv)
{
	FILE *saved = stderr;
	stderr = fopen("/dev/null", "w");
	int rc = cli_parse(&fake, argc, argv, a);
	fclose(stderr);
	stderr = saved;
	return rc;
}

static void test_flags_go_style(void **state)
{
	(void)state;
	struct cli_args a;
	char *argv[] = {"-force", "--on-error=abort", "-var", "a=1", "-var=b=2", "-parallel-builds", "3",
			"-color=false", "dir", NULL};
	assert_int_equal(parse(&a, 9, argv), 0);
	assert_true(cli_bool(&a, "force"));
	assert_string_equal(cli_string(&a, "on-error"), "abort");
	const struct strv *vars = cli_list(&a, "var");
	assert_int_equal(vars->n, 2);
	assert_string_equal(vars->v[0], "a=1");
	assert_string_equal(vars->v[1], "b=2");
	assert_true(cli_list_order(&a, "var", 0) < cli_list_order(&a, "var", 1));
	assert_true(cli_list_order(&a, "force", 0) < 0);
	assert_true(cli_list_order(&a, "var", 2) < 0);
	assert_int_equal(cli_int(&a, "parallel-builds"), 3);
	assert_false(cli_bool(&a, "color"));
	assert_int_equal(a.argc, 1);
	assert_string_equal(a.argv[0], "dir");
	cli_args_free(&a);
}

static void test_defaults(void **state)
{
	(void)state;
	struct cli_args a;
	char *argv[] = {"dir", NULL};
	assert_int_equal(parse(&a, 1, argv), 0);
	assert_false(cli_bool(&a, "force"));
	assert_false(cli_flag_set(&a, "force"));
	assert_string_equal(cli_string(&a, "on-error"), "cleanup");
	assert_true(cli_bool(&a, "color"));
	assert_int_equal(cli_int(&a, "parallel-builds"), 0);
	cli_args_free(&a);
}

static void test_parsing_stops_at_positional(void **state)
{
	(void)state;
	struct cli_args a;
	char *argv[] = {"dir", "-force", NULL};
	/* Go's flag package stops at the first positional argument: "-force" is then a second argument */
	assert_int_equal(parse(&a, 2, argv), 1);
	cli_args_free(&a);
	char *argv2[] = {"--", "-dash-named-dir", NULL};
	assert_int_equal(parse(&a, 2, argv2), 0);
	assert_string_equal(a.argv[0], "-dash-named-dir");
	cli_args_free(&a);
	char *argv3[] = {"-", NULL}; /* "-" is stdin, a positional argument */
	assert_int_equal(parse(&a, 1, argv3), 0);
	assert_string_equal(a.argv[0], "-");
	cli_args_free(&a);
}

static void test_usage_errors(void **state)
{
	(void)state;
	struct cli_args a;
	char *unknown[] = {"-bogus", "dir", NULL};
	assert_int_equal(parse(&a, 2, unknown), 1);
	cli_args_free(&a);
	char *missing_value[] = {"-on-error", NULL};
	assert_int_equal(parse(&a, 1, missing_value), 1);
	cli_args_free(&a);
	char *bad_bool[] = {"-force=maybe", "dir", NULL};
	assert_int_equal(parse(&a, 2, bad_bool), 1);
	cli_args_free(&a);
	char *bad_int[] = {"-parallel-builds=x", "dir", NULL};
	assert_int_equal(parse(&a, 2, bad_int), 1);
	cli_args_free(&a);
	char *no_args[] = {NULL};
	assert_int_equal(parse(&a, 0, no_args), 1);
	cli_args_free(&a);
}

static void test_help_flag(void **state)
{
	(void)state;
	struct cli_args a;
	char *argv[] = {"-h", NULL};
	FILE *saved = stdout;
	stdout = fopen("/dev/null", "w");
	int rc = cli_parse(&fake, 1, argv, &a);
	fclose(stdout);
	stdout = saved;
	assert_int_equal(rc, 2);
	cli_args_free(&a);
}

static void test_dispatch(void **state)
{
	(void)state;
	assert_non_null(cli_find_command("version"));
	assert_non_null(cli_find_command("help"));
	assert_null(cli_find_command("frobnicate"));
	for (size_t i = 0; cli_commands[i]; i++) {
		const struct cli_command *c = cli_commands[i];
		assert_non_null(c->run);
		assert_non_null(c->synopsis);
		assert_true(strncmp(c->usage, "kiln ", 5) == 0);
		assert_ptr_equal(cli_find_command(c->name), c);
	}
	FILE *saved = stderr;
	stderr = fopen("/dev/null", "w");
	char *argv[] = {"kiln", "frobnicate", NULL};
	int rc = cli_main(2, argv);
	char *argv2[] = {"kiln", "version", "--bogus", NULL};
	int rc2 = cli_main(3, argv2);
	fclose(stderr);
	stderr = saved;
	assert_int_equal(rc, 1);
	assert_int_equal(rc2, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags_go_style),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parsing_stops_at_positional),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_help_flag),
		cmocka_unit_test(test_dispatch),
	};
	(void)ran;
	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
