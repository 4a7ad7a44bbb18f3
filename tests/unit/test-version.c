/* test-version.c — src/util/version: Packer's version grammar, ordering and constraints. The tables
 * are the behaviour of hashicorp/go-version (what Packer links), quirks included: each row is a case
 * whose answer a Packer user could observe through required_version or required_plugins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/version.h"

static void test_parse(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		bool ok;
		const char *canonical;   /* version_string, when ok */
		size_t written;
	} cases[] = {
		{"1.2.3", true, "1.2.3", 3},
		{"1.0", true, "1.0.0", 2},
		{"1", true, "1.0.0", 1},
		{"v1.2.3", true, "1.2.3", 3},
		{"1.2-5", true, "1.2.0-5", 2},
		{"1.2-beta.5", true, "1.2.0-beta.5", 2},
		{"1.2.0-x.Y.0+metadata", true, "1.2.0-x.Y.0+metadata", 3},
		{"1.2.0-x.Y.0+metadata-width-hyphen", true, "1.2.0-x.Y.0+metadata-width-hyphen", 3},
		{"1.2.3-rc1-with-hyphen", true, "1.2.3-rc1-with-hyphen", 3},
		{"1.2.3.4", true, "1.2.3.4", 4},
		{"1.2.0.4-x.Y.0+metadata", true, "1.2.0.4-x.Y.0+metadata", 4},
		{"1.2.0-X-1.2.0+metadata~dist", true, "1.2.0-X-1.2.0+metadata~dist", 3},
		{"1.7rc2", true, "1.7.0-rc2", 2},
		{"v1.7rc2", true, "1.7.0-rc2", 2},
		{"1.0-", true, "1.0.0--", 2},          /* a lone "-" is the prerelease */
		{"1.0--x", true, "1.0.0--x", 2},
		{"1.0-.x", true, "1.0.0--.x", 2},
		{"1.2.3~dev", true, "1.2.3-~dev", 3},
		{"007.1", true, "7.1.0", 2},
		{"9223372036854775807", true, "9223372036854775807.0.0", 1},
		{"", false, NULL, 0},
		{"v", false, NULL, 0},
		{"1.2.beta", false, NULL, 0},
		{"1.21.beta", false, NULL, 0},
		{"foo", false, NULL, 0},
		{"foo1.2.3", false, NULL, 0},
		{"\n1.2", false, NULL, 0},
		{" 1.2", false, NULL, 0},
		{"1.2 ", false, NULL, 0},
		{"1.", false, NULL, 0},
		{"1..2", false, NULL, 0},
		{"1.0+", false, NULL, 0},
		{"1.0-a.", false, NULL, 0},
		{"1.0-a..b", false, NULL, 0},
		{"1.0-a b", false, NULL, 0},
		{"controller-v0.40.2", false, NULL, 0},
		{"9223372036854775808", false, NULL, 0},
		{"11387778780781445675529500000000000000000", false, NULL, 0},
		{"1.2.3-\xc3\xa9", false, NULL, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct version v = VERSION_INIT;
		struct kiln_error err = ERR_INIT;
		int rc = version_parse(cases[i].text, &v, &err);
		if ((rc == 0) != cases[i].ok)
			fail_msg("version_parse(\"%s\") = %d, expected %s (%s)", cases[i].text, rc,
				 cases[i].ok ? "ok" : "an error", err_cause(&err));
		if (rc == 0) {
			char *s = version_string(&v);
			assert_string_equal(s, cases[i].canonical);
			assert_int_equal(v.written, cases[i].written);
			free(s);
		} else {
			assert_true(err_is(&err, ERR_INVALID));
			assert_non_null(strstr(err_cause(&err), "is not a version"));
		}
		version_free(&v);
		err_clear(&err);
	}
}

static void test_parse_errors_say_why(void **state)
{
	(void)state;
	struct version v = VERSION_INIT;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(version_parse("1.99999999999999999999", &v, &err), -1);
	assert_string_equal(err_cause(&err), "\"1.99999999999999999999\" is not a version: 99999999999999999999 is "
					     "too large a number");
	assert_non_null(err.hint);
	version_free(&v);
	err_clear(&err);

	struct version_constraints c = VERSION_CONSTRAINTS_INIT;
	assert_int_equal(version_constraints_parse(">= 1.0, >= 1.x", &c, &err), -1);
	assert_string_equal(err_cause(&err), "\">= 1.x\" is not a version constraint");
	assert_non_null(strstr(err.hint, "~>"));
	err_clear(&err);
	assert_int_equal(version_constraints_parse("", &c, &err), -1);
	assert_string_equal(err_cause(&err), "\"\" is not a version constraint: it is empty");
	err_clear(&err);
	assert_int_equal(version_constraints_parse(">= 1.0,", &c, &err), -1);
	assert_string_equal(err_cause(&err), "\">= 1.0,\" is not a version constraint: it has an empty term");
	err_clear(&err);
	assert_int_equal(version_constraints_parse("<= 11387778780781445675529500000000000000000", &c, &err), -1);
	assert_string_equal(err_cause(&err), "\"<= 11387778780781445675529500000000000000000\" is not a version "
					     "constraint: 11387778780781445675529500000000000000000 is too large a number");
	err_clear(&err);
	version_constraints_free(&c);
}

static void test_compare(void **state)
{
	(void)state;
	static const struct {
		const char *a, *b;
		int expected;
	} cases[] = {
		{"1.2.3", "1.4.5", -1},
		{"1.2-beta", "1.2-beta", 0},
		{"1.2", "1.1.4", 1},
		{"1.2", "1.2-beta", 1},
		{"1.2+foo", "1.2+beta", 0},
		{"v1.2", "v1.2-beta", 1},
		{"v1.2+foo", "v1.2+beta", 0},
		{"v1.2.3.4", "v1.2.3.4", 0},
		{"v1.2.0.0", "v1.2", 0},
		{"v1.2.0.0.1", "v1.2", 1},
		{"v1.2", "v1.2.0.0", 0},
		{"v1.2", "v1.2.0.0.1", -1},
		{"v1.2.0.0", "v1.2.0.0.1", -1},
		{"v1.2.3.0", "v1.2.3.4", -1},
		{"1.7rc2", "1.7rc1", 1},
		{"1.7rc2", "1.7", -1},
		{"1.2.0", "1.2.0-X-1.2.0+metadata~dist", 1},
		{"1.0.2alpha", "1.0.2-alpha", 0},
		{"v1.0.3-", "v1.0.3", -1},
		{"1.10.0", "1.9.0", 1},
		/* prereleases, part by part: numeric parts numerically, before alphanumeric ones */
		{"1.0.0-alpha", "1.0.0-alpha.1", -1},
		{"1.0.0-alpha.1", "1.0.0-alpha.beta", -1},
		{"1.0.0-alpha.beta", "1.0.0-beta", -1},
		{"1.0.0-beta.2", "1.0.0-beta.11", -1},
		{"1.0.0-beta.11", "1.0.0-rc.1", -1},
		{"1.0.0-rc.1", "1.0.0", -1},
		{"1.0.0-1", "1.0.0-alpha", -1},
		{"1.0.0-alpha.1", "1.0.0-alpha", 1},
		{"1.0.0-beta.1", "1.0.0-beta.-1", 1},
		/* go-version: numerically equal parts written differently are "less" both ways */
		{"1.0.0-01", "1.0.0-1", -1},
		{"1.0.0-1", "1.0.0-01", -1},
		/* and with segment counts that differ, prereleases are not compared at all */
		{"1.2.0.0-beta", "1.2", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct version a = VERSION_INIT, b = VERSION_INIT;
		struct kiln_error err = ERR_INIT;
		assert_int_equal(version_parse(cases[i].a, &a, &err), 0);
		assert_int_equal(version_parse(cases[i].b, &b, &err), 0);
		int got = version_compare(&a, &b);
		if (got != cases[i].expected)
			fail_msg("compare(%s, %s) = %d, expected %d", cases[i].a, cases[i].b, got, cases[i].expected);
		version_free(&a);
		version_free(&b);
	}
}

static void test_constraints(void **state)
{
	(void)state;
	static const struct {
		const char *constraint, *version;
		int expected;   /* 1 satisfied, 0 not, -1 unreadable */
	} cases[] = {
		{">= 1.0, < 1.2", "1.1.5", 1},
		{"< 1.0, < 1.2", "1.1.5", 0},
		{"= 1.0", "1.1.5", 0},
		{"= 1.0", "1.0.0", 1},
		{"1.0", "1.0.0", 1},
		{"=1.0", "1.0.0", 1},
		{"  >=1.0  ,<2 ", "1.5", 1},
		{"\t>= 1.0\n", "1.0", 1},
		{"!= 1.0", "1.0.0", 0},
		{"!= 1.0", "1.0.1", 1},
		{"> 1.0", "1.0.0", 0},
		{"> 1.0", "1.0.1", 1},
		{"< 1.0", "0.9", 1},
		{"<= 1.0", "1.0", 1},
		{"<= 1.0", "1.0.1", 0},
		{"~> 1.0", "2.0", 0},
		{"~> 1.0", "1.1", 1},
		{"~> 1.0", "1.2.3", 1},
		{"~> 1.0.0", "1.2.3", 0},
		{"~> 1.0.0", "1.0.7", 1},
		{"~> 1.0.0", "1.1.0", 0},
		{"~> 1.0.7", "1.0.4", 0},
		{"~> 1.0.7", "1.0.7", 1},
		{"~> 1.0.7", "1.0.8", 1},
		{"~> 1.0.7", "1.0.7.5", 1},
		{"~> 1.0.7", "1.0.6.99", 0},
		{"~> 1.0.7", "1.0.8.0", 1},
		{"~> 1.0.9.5", "1.0.9.5", 1},
		{"~> 1.0.9.5", "1.0.9.4", 0},
		{"~> 1.0.9.5", "1.0.9.6", 1},
		{"~> 1.0.9.5", "1.0.9.5.0", 1},
		{"~> 1.0.9.5", "1.0.9.5.1", 1},
		{"~> 1.0.9.5", "1.0.10", 0},
		{"~> 1.0.9.0", "1.0.9", 0},     /* a version with fewer segments than the term */
		{"~> 1", "1.9", 1},
		{"~> 1", "2.0", 1},           /* go-version: "~> 1" has no upper bound */
		{"~> 0.9", "0.9.5", 1},
		{"~> 0.9", "1.0", 0},
		{"~> 0.8.4", "0.8.9", 1},
		{"~> 0.8.4", "0.9.0", 0},
		/* prereleases */
		{"~> 2.0", "2.1.0-beta", 0},
		{"~> 2.1.0-a", "2.2.0", 0},
		{"~> 2.1.0-a", "2.1.0", 0},
		{"~> 2.1.0-a", "2.1.0-beta", 1},
		{"~> 2.1.0-a", "2.2.0-alpha", 0},
		{"> 2.0", "2.1.0-beta", 0},
		{">= 2.1.0-a", "2.1.0-beta", 1},
		{">= 2.1.0-a", "2.1.1-beta", 0},
		{">= 2.0.0", "2.1.0-beta", 0},
		{">= 2.1.0-a", "2.1.1", 1},
		{">= 2.1.0-a", "2.1.0", 1},
		{"<= 2.1.0-a", "2.0.0", 1},
		{">= 1.0", "1.2.0-rc1", 0},
		{">= 1.12.0-beta1", "1.11.2", 0},
		{"= 1.2.0-rc1", "1.2.0-rc1", 1},
		{"!= 1.2.0", "1.3.0-rc1", 1},  /* = and != have no prerelease rule */
		{"= 1.2.0+a", "1.2.0+b", 1},   /* metadata is ignored */
		/* what kiln checks: Packer's version and the built-ins' versions */
		{">= 1.7.0", "1.11.2", 1},
		{">= 1.7, < 1.11", "1.11.2", 0},
		{"~> 1.11.0", "1.11.2", 1},
		{"~> 1.10.0", "1.11.2", 0},
		{"~> 1.2", "1.11.2", 1},
		{">= v1", "1.11.2", 1},
		{">= 99.0.0", "1.1.0", 0},
		/* unreadable */
		{"", "1.0.0", -1},
		{" ", "1.0.0", -1},
		{">= 1.x", "1.0.0", -1},
		{">= banana", "1.0.0", -1},
		{"=> 1.0", "1.0.0", -1},
		{"== 1.0", "1.0.0", -1},
		{"> = 1.0", "1.0.0", -1},
		{"~ 1.0", "1.0.0", -1},
		{"^1.0", "1.0.0", -1},
		{">= 1.0 < 2.0", "1.0.0", -1},
		{">= 1.0 || < 0.5", "1.0.0", -1},
		{">= 1.0,,< 2", "1.0.0", -1},
		{">=", "1.0.0", -1},
		{">= 1.0", "one", -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct kiln_error err = ERR_INIT;
		int got = version_satisfies(cases[i].constraint, cases[i].version, &err);
		if (got != cases[i].expected)
			fail_msg("\"%s\" satisfied by %s: %d, expected %d (%s)", cases[i].constraint, cases[i].version,
				 got, cases[i].expected, err_cause(&err));
		assert_true((got < 0) == err_isset(&err));
		err_clear(&err);
	}
}

static void test_failing_term_and_text(void **state)
{
	(void)state;
	struct version_constraints c = VERSION_CONSTRAINTS_INIT;
	struct version v = VERSION_INIT;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(version_constraints_parse(" >=1.0 ,  < 1.5,!=1.2", &c, &err), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.terms[0].text, ">=1.0");
	assert_int_equal(c.terms[0].op, VERSION_OP_GE);
	assert_string_equal(c.terms[1].text, "< 1.5");
	assert_int_equal(c.terms[1].op, VERSION_OP_LT);
	assert_int_equal(c.terms[2].op, VERSION_OP_NE);
	assert_int_equal(version_parse("1.2", &v, &err), 0);
	assert_ptr_equal(version_constraints_failing(&c, &v), &c.terms[2]);
	assert_false(version_constraints_check(&c, &v));
	assert_int_equal(version_parse("1.6", &v, &err), 0);   /* reuse: the old value is freed */
	assert_ptr_equal(version_constraints_failing(&c, &v), &c.terms[1]);
	assert_int_equal(version_parse("1.3", &v, &err), 0);
	assert_null(version_constraints_failing(&c, &v));
	assert_true(version_constraints_check(&c, &v));
	/* parsing again into the same value replaces it */
	assert_int_equal(version_constraints_parse("~> 1.3", &c, &err), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.terms[0].op, VERSION_OP_PESSIMISTIC);
	assert_true(version_constraints_check(&c, &v));
	version_free(&v);
	version_constraints_free(&c);
	version_constraints_free(&c);   /* twice is harmless */
	version_free(&v);
	assert_false(err_isset(&err));
}

/* The newest of several versions that satisfies a constraint: what `kiln init` does with installed
 * plugin versions. */
static void test_select_newest(void **state)
{
	(void)state;
	static const char *const available[] = {"1.0.0", "1.2.0-rc1", "1.1.9", "2.0.0", "1.2.0", "1.10.1"};
	struct version_constraints c = VERSION_CONSTRAINTS_INIT;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(version_constraints_parse(">= 1.1, < 2", &c, &err), 0);
	struct version best = VERSION_INIT;
	const char *best_text = NULL;
	for (size_t i = 0; i < sizeof available / sizeof available[0]; i++) {
		struct version v = VERSION_INIT;
		assert_int_equal(version_parse(available[i], &v, &err), 0);
		if (version_constraints_check(&c, &v) && (!best_text || version_compare(&v, &best) > 0)) {
			version_free(&best);
			best = v;
			best_text = available[i];
		} else {
			version_free(&v);
		}
	}
	assert_string_equal(best_text, "1.10.1");
	version_free(&best);
	version_constraints_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors_say_why),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_constraints),
		cmocka_unit_test(test_failing_term_and_text),
		cmocka_unit_test(test_select_newest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
