/* test-shellquote.c — unit tests of src/util/shellquote: the exact quoting, and round trips of hostile
 * text through real shells (dash as /bin/sh, and bash), which must print the text back unchanged and
 * never run any of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/proc.h"
#include "util/shellquote.h"

static const char *const hostile[] = {
	"",
	" ",
	"plain",
	"two words",
	"it's",
	"''",
	"'\\''",
	"\"double\" quotes",
	"$HOME ${HOME} $((1+1)) $1 $@ $* $# $? $$ $!",
	"$(touch PWNED)",
	"`touch PWNED`",
	"'; touch PWNED; '",
	"\"; touch PWNED; \"",
	"a\nb\n\nc\n",
	"\n",
	"tab\there",
	"back\\slash \\n \\\\",
	"glob * ? [a-z] ~ ~root",
	"semi; amp & pipe | redirect > < >> 2>&1",
	"{a,b} (sub) !bang #hash",
	"-n",
	"-e \\n",
	"a=b",
	"x=$(touch PWNED)",
	"unicode: \xc3\xa9\xe2\x82\xac \xf0\x9f\x94\xa5",
	"ctrl \x01\x02\x1b[31m\x7f",
};

static void test_exact_quoting(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"", "''"},
		{"abc", "abc"},
		{"/tmp/script_42.sh", "/tmp/script_42.sh"},
		{"user@host:1,2+3%4", "user@host:1,2+3%4"},
		{"a b", "'a b'"},
		{"it's", "'it'\\''s'"},
		{"'", "''\\'''"},
		{"a=b", "'a=b'"},
		{"$HOME", "'$HOME'"},
		{"~", "'~'"},
		{"a\nb", "'a\nb'"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *q = shell_quote(cases[i].in);
		assert_string_equal(q, cases[i].out);
		free(q);
	}
	struct buf b = BUF_INIT;
	buf_puts(&b, "echo ");
	shell_quote_append(&b, "x y");
	assert_string_equal(buf_cstr(&b), "echo 'x y'");
	buf_free(&b);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(shell_is_name("FOO"));
	assert_true(shell_is_name("_x1"));
	assert_true(shell_is_name("PACKER_BUILD_NAME"));
	assert_false(shell_is_name(""));
	assert_false(shell_is_name("1X"));
	assert_false(shell_is_name("A-B"));
	assert_false(shell_is_name("A B"));
	assert_false(shell_is_name("X;rm"));
	assert_false(shell_is_name("X=1"));
}

/* Run `shell -c script` in dir and return its stdout. */
static char *run_shell(const char *shell, const char *script, const char *dir)
{
	char *argv[] = {(char *)shell, "-c", (char *)script, NULL};
	struct buf out = BUF_INIT;
	struct proc_opts o = {.cwd = dir, .out = &out};
	struct kiln_error err = ERR_INIT;
	int status = -1;
	int rc = proc_run(argv, &o, &status, &err);
	if (rc < 0)
		fail_msg("%s: %s", shell, err_cause(&err));
	assert_int_equal(status, 0);
	err_clear(&err);
	return buf_detach(&out);
}

static void round_trip(const char *shell, const char *s, const char *dir)
{
	/* as an argument */
	struct buf script = BUF_INIT;
	buf_puts(&script, "printf '%s|' ");
	shell_quote_append(&script, s);
	/* as an assignment, the way environment_vars reach a script */
	buf_puts(&script, "; V=");
	shell_quote_append(&script, s);
	buf_puts(&script, "; printf '%s|' \"$V\"");
	/* as a prefix assignment to a command, like "{{ .Vars }} {{ .Path }}" */
	buf_puts(&script, "; V=");
	shell_quote_append(&script, s);
	buf_puts(&script, " sh -c 'printf %s \"$V\"'");
	char *got = run_shell(shell, buf_cstr(&script), dir);
	char *want = xasprintf("%s|%s|%s", s, s, s);
	if (strcmp(got, want) != 0)
		fail_msg("%s mangled %s: script %s gave %s", shell, s, buf_cstr(&script), got);
	free(want);
	free(got);
	buf_free(&script);
}

static void test_round_trip_through_shells(void **state)
{
	(void)state;
	struct kiln_error err = ERR_INIT;
	char *dir = tmpdir_make("kiln-test-shellquote", &err);
	assert_non_null(dir);
	const char *shells[] = {"/bin/sh", "/bin/dash", "/bin/bash"};
	int ran = 0;
	for (size_t k = 0; k < 3; k++) {
		if (access(shells[k], X_OK) != 0)
			continue;
		ran++;
		for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
			round_trip(shells[k], hostile[i], dir);
	}
	assert_true(ran >= 2);
	char *pwned = path_join(dir, "PWNED");
	assert_false(file_exists(pwned));
	free(pwned);
	tmpdir_release(dir);
	free(dir);
}

/* Every byte value but NUL, in random strings, through /bin/sh. */
static void test_random_bytes_round_trip(void **state)
{
	(void)state;
	struct kiln_error err = ERR_INIT;
	char *dir = tmpdir_make("kiln-test-shellquote", &err);
	assert_non_null(dir);
	unsigned seed = 12345;
	for (int n = 0; n < 60; n++) {
		char s[48];
		size_t len = (size_t)(n % 47);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			s[i] = (char)(1 + (seed >> 16) % 255);
		}
		s[len] = '\0';
		round_trip("/bin/sh", s, dir);
	}
	char *pwned = path_join(dir, "PWNED");
	assert_false(file_exists(pwned));
	free(pwned);
	tmpdir_release(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_quoting),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_round_trip_through_shells),
		cmocka_unit_test(test_random_bytes_round_trip),
	};
	return cmocka_run_group_tests_name("shellquote", tests, NULL, NULL);
}
