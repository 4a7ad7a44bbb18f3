/* test-hcl-value.c — unit tests of HCL values: cty's number arithmetic and printing, types and their
 * parsing, conversions with cty's messages, unification, sets, marks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "hcl/value.h"

static char *num_text(const char *a, char op, const char *b)
{
	struct hcl_num *x = hcl_num_parse(a), *y = b ? hcl_num_parse(b) : NULL, *r = NULL;
	assert_non_null(x);
	int rc = 0;
	switch (op) {
	case '+': rc = hcl_num_add(x, y, &r); break;
	case '-': rc = hcl_num_sub(x, y, &r); break;
	case '*': rc = hcl_num_mul(x, y, &r); break;
	case '/': rc = hcl_num_quo(x, y, &r); break;
	case '%': rc = hcl_num_mod(x, y, &r); break;
	default: r = hcl_num_copy(x);
	}
	char *s = rc < 0 ? strdup("NaN") : hcl_num_to_string(r);
	hcl_num_free(x);
	hcl_num_free(y);
	hcl_num_free(r);
	return s;
}

#define NUM_EQ(want, a, op, b) do { char *s_ = num_text(a, op, b); assert_string_equal(s_, want); free(s_); } while (0)

static void test_number_arithmetic_is_exact_like_cty(void **state)
{
	(void)state;
	NUM_EQ("0.3", "0.1", '+', "0.2");
	NUM_EQ("-2", "-5", '%', "3");
	NUM_EQ("1.5", "5.5", '%', "2");
	/* cty computes the modulo at the dividend's precision (512 bits for a literal), as HCL's spec
	 * suite expects; Packer 1.6.6's older cty rounded the product to 64 bits (0.8000000000000000002) */
	NUM_EQ("0.800000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	       "00000000000000000000000000000000000000000000000000000000000024",
	       "11", '%', "5.1");
	NUM_EQ("1000000000000000000000", "1e21", 0, NULL);
	NUM_EQ("0.000000000000000000000000000001", "1e-30", 0, NULL);
	NUM_EQ("-0", "-0", 0, NULL);
	NUM_EQ("NaN", "0", '/', "0");
	NUM_EQ("+Inf", "1", '/', "0");
	char *third = num_text("1", '/', "3");
	assert_int_equal(strncmp(third, "0.33333333333333333333", 22), 0);
	assert_int_equal(third[strlen(third) - 1], '5'); /* 512-bit rounding, as Go prints it */
	free(third);
	struct hcl_num *t = hcl_num_parse("10"), *three = hcl_num_parse("3"), *q, *p;
	assert_int_equal(hcl_num_quo(t, three, &q), 0);
	assert_int_equal(hcl_num_mul(q, three, &p), 0);
	char *s = hcl_num_to_string(p);
	assert_string_equal(s, "10");
	free(s);
	hcl_num_free(t);
	hcl_num_free(three);
	hcl_num_free(q);
	hcl_num_free(p);
}

static void test_number_printing_like_packer(void **state)
{
	(void)state;
	struct {
		const char *in;
		const char *shim;
	} cases[] = {
		{"1234567", "1234567"}, {"12345678901234567890", "1.2345678901234567e+19"}, {"1e100", "1e+100"},
		{"0.00001", "1e-05"}, {"0.0001", "0.0001"}, {"1234567.5", "1.2345675e+06"}, {"-0", "0"},
		{"100000000000000000000", "1e+20"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hcl_num *n = hcl_num_parse(cases[i].in);
		struct buf b = BUF_INIT;
		hcl_num_format_shim(n, &b);
		assert_string_equal(buf_cstr(&b), cases[i].shim);
		buf_free(&b);
		hcl_num_free(n);
	}
	/* float64-valued numbers keep 53 bits: pow(2, 64) interpolates as Go prints it */
	struct hcl_num *d = hcl_num_from_double(18446744073709551616.0);
	char *s = hcl_num_to_string(d);
	assert_string_equal(s, "18446744073709550000");
	free(s);
	hcl_num_free(d);
	assert_null(hcl_num_parse("1x"));
	assert_null(hcl_num_parse(""));
	assert_null(hcl_num_parse("."));
}

static void test_type_parse_and_format(void **state)
{
	(void)state;
	const char *ok[] = {"string", "list(string)", "map(list(number))", "set(bool)", "any",
			    "tuple([string, number])", "object({a=string, b=optional(list(any))})", "list(list(string))"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *err = NULL;
		struct hcl_type *t = hcl_type_parse(ok[i], &err);
		assert_non_null(t);
		char *back = hcl_type_to_string(t);
		struct hcl_type *t2 = hcl_type_parse(back, NULL);
		assert_true(hcl_type_equal(t, t2));
		free(back);
		hcl_type_unref(t);
		hcl_type_unref(t2);
	}
	char *err = NULL;
	assert_null(hcl_type_parse("list(strin)", &err));
	assert_non_null(strstr(err, "\"strin\" is not a valid type specification"));
	free(err);
	assert_null(hcl_type_parse("list", NULL));
	assert_null(hcl_type_parse("optional(string)", NULL));
	/* what is wrong with a malformed "(TYPE)" after a keyword, and where */
	static const struct {
		const char *text, *want;
	} bad[] = {
		{"list", "the element type must be given in parentheses, like list(string) (at offset 4"},
		{"map(string", "expected ')' (at offset 10"},
		{"set(list(string)", "expected ')' (at offset 16"},
		{"object({a=optional string})", "expected '(' after optional (at offset 19"},
		{"object({a=optional(string, 1)})", "defaults in optional() are only read from HCL expressions"},
		{"list(optional(string))", "optional() is only allowed for object attributes"},
		{"tuple([string, number]", "expected ')' (at offset 22"},
		{"tuple([string, numbr])", "\"numbr\" is not a valid type specification"},
		{"object({a=string, b=list(number)}", "expected ')' (at offset 33"},
		{"object({a=string b})", "expected '=' after the attribute name"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		assert_null(hcl_type_parse(bad[i].text, &err));
		if (!strstr(err, bad[i].want))
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].text, err, bad[i].want);
		free(err);
	}
}

static void test_conversions_and_messages(void **state)
{
	(void)state;
	struct hcl_convert_error ce = {0};
	struct hcl_value *s = hcl_string("abc");
	assert_null(hcl_convert(s, HCL_T_NUMBER, &ce));
	assert_string_equal(ce.msg, "a number is required");
	hcl_convert_error_free(&ce);
	struct hcl_value *n = hcl_convert(s, HCL_T_STRING, &ce);
	assert_ptr_equal(n, s);
	hcl_value_unref(n);

	struct hcl_value *five = hcl_string("5");
	struct hcl_value *num = hcl_convert(five, HCL_T_NUMBER, &ce);
	assert_non_null(num);
	assert_int_equal(hcl_kind(num), HCL_NUMBER);
	hcl_value_unref(num);

	/* a tuple of mixed primitives becomes a list of strings */
	struct hcl_value *items[] = {hcl_string("a"), hcl_number_int(1), hcl_bool(true)};
	struct hcl_value *tup = hcl_tuple(items, 3);
	struct hcl_type *want = hcl_type_parse("list(any)", NULL);
	struct hcl_value *l = hcl_convert(tup, want, &ce);
	assert_non_null(l);
	char *txt = hcl_value_to_expr(l);
	assert_string_equal(txt, "[\"a\", \"1\", \"true\"]");
	free(txt);
	hcl_value_unref(l);
	hcl_type_unref(want);

	/* objects missing attributes */
	struct hcl_type *ot = hcl_type_parse("object({x=string, y=optional(number)})", NULL);
	struct hcl_value *empty = hcl_empty_object();
	assert_null(hcl_convert(empty, ot, &ce));
	assert_string_equal(ce.msg, "attribute \"x\" is required");
	hcl_convert_error_free(&ce);
	const char *k[] = {"x"};
	struct hcl_value *v[] = {hcl_string("hi")};
	struct hcl_value *obj = hcl_object(k, v, 1);
	struct hcl_value *conv = hcl_convert(obj, ot, &ce);
	assert_non_null(conv);
	assert_true(hcl_is_null(hcl_get(conv, "y")));
	hcl_value_unref(conv);
	hcl_value_unref(obj);
	hcl_value_unref(empty);
	hcl_type_unref(ot);

	struct hcl_type *lst = hcl_type_parse("list(string)", NULL);
	struct hcl_value *b = hcl_bool(true);
	assert_null(hcl_convert(b, lst, &ce));
	assert_string_equal(ce.msg, "list of string required");
	hcl_convert_error_free(&ce);
	hcl_value_unref(b);
	hcl_type_unref(lst);
	hcl_value_unref(tup);
	hcl_value_unref(s);
	hcl_value_unref(five);
}

static void test_sets_sort_and_dedupe(void **state)
{
	(void)state;
	struct hcl_value *items[] = {hcl_string("b"), hcl_string("a"), hcl_string("b")};
	struct hcl_value *set = hcl_set(NULL, items, 3);
	assert_int_equal(hcl_len(set), 2);
	assert_string_equal(hcl_str(hcl_elem(set, 0)), "a");
	struct buf out = BUF_INIT;
	hcl_value_format_repl(set, &out);
	assert_string_equal(buf_cstr(&out), "[\n  \"a\",\n  \"b\",\n]");
	buf_free(&out);
	hcl_value_unref(set);
}

static void test_marks_propagate_and_print_sensitive(void **state)
{
	(void)state;
	struct hcl_value *secret = hcl_mark(hcl_string("hunter2"), HCL_MARK_SENSITIVE);
	struct hcl_value *items[] = {hcl_value_ref(secret)};
	struct hcl_value *l = hcl_tuple(items, 1);
	assert_true(hcl_has_marks_deep(l));
	struct buf out = BUF_INIT;
	hcl_value_format_repl(l, &out);
	assert_null(strstr(buf_cstr(&out), "hunter2"));
	assert_non_null(strstr(buf_cstr(&out), "<sensitive>"));
	buf_free(&out);
	unsigned m = 0;
	struct hcl_value *plain = hcl_unmark_deep(hcl_value_ref(l), &m);
	assert_int_equal(m, HCL_MARK_SENSITIVE);
	assert_false(hcl_has_marks_deep(plain));
	assert_true(hcl_has_marks_deep(l)); /* the original is untouched */
	hcl_value_unref(plain);
	hcl_value_unref(l);
	hcl_value_unref(secret);
}

static void test_unify(void **state)
{
	(void)state;
	struct hcl_type *ts[] = {HCL_T_NUMBER, HCL_T_STRING};
	struct hcl_type *u = hcl_unify_types(ts, 2, true);
	assert_ptr_equal(u, HCL_T_STRING);
	struct hcl_type *l1 = hcl_type_parse("list(string)", NULL), *tt = hcl_type_parse("tuple([bool])", NULL);
	struct hcl_type *ts2[] = {l1, tt};
	struct hcl_type *u2 = hcl_unify_types(ts2, 2, false);
	assert_non_null(u2);
	assert_true(hcl_type_equal(u2, l1)); /* a tuple of bools converts to a list of strings */
	hcl_type_unref(u2);
	struct hcl_type *ts3[] = {HCL_T_BOOL, HCL_T_NUMBER};
	assert_null(hcl_unify_types(ts3, 2, true));
	hcl_type_unref(l1);
	hcl_type_unref(tt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_number_arithmetic_is_exact_like_cty),
		cmocka_unit_test(test_number_printing_like_packer),
		cmocka_unit_test(test_type_parse_and_format),
		cmocka_unit_test(test_conversions_and_messages),
		cmocka_unit_test(test_sets_sort_and_dedupe),
		cmocka_unit_test(test_marks_propagate_and_print_sensitive),
		cmocka_unit_test(test_unify),
	};
	return cmocka_run_group_tests_name("hcl-value", tests, NULL, NULL);
}
