/* test-hcl-eval.c — unit tests of the HCL evaluator: operators with unknown, null and sensitive
 * values, conditionals, for expressions, splats, traversals, templates, function-call handling,
 * diagnostics with their source ranges, type expressions with optional() and defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "hcl/eval.h"
#include "hcl/parser.h"

static struct hcl_eval_ctx *test_ctx(void)
{
	struct hcl_eval_ctx *ctx = hcl_eval_ctx_new();
	const char *names[] = {"known", "later", "nothing", "secret", "list"};
	struct hcl_value *items[] = {hcl_string("x"), hcl_string("y")};
	struct hcl_value *vals[] = {
		hcl_string("k"), hcl_unknown(HCL_T_STRING), hcl_null(HCL_T_STRING),
		hcl_mark(hcl_string("hunter2"), HCL_MARK_SENSITIVE), hcl_list(HCL_T_STRING, items, 2),
	};
	hcl_eval_ctx_set_var(ctx, "var", hcl_object(names, vals, 5));
	hcl_eval_ctx_set_var(ctx, "build", hcl_unknown(HCL_T_DYNAMIC));
	return ctx;
}

/* Evaluate src; returns the console rendering, or "ERR <summary>: <detail>" for the first error.
 * Marked values render as <sensitive>, unknown ones as <unknown>. Caller frees. */
static char *ev(const char *src)
{
	struct hcl_eval_ctx *ctx = test_ctx();
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_expr *e = hcl_parse_expression(src, strlen(src), "test", (struct hcl_pos){1, 1, 0}, &d);
	assert_false(hcl_diags_has_errors(&d));
	struct hcl_value *v = hcl_eval(e, ctx, &d);
	struct buf b = BUF_INIT;
	if (hcl_diags_has_errors(&d)) {
		for (size_t i = 0; i < d.n; i++)
			if (d.v[i].severity == HCL_DIAG_ERROR) {
				buf_printf(&b, "ERR %s: %s", d.v[i].summary, d.v[i].detail ? d.v[i].detail : "");
				break;
			}
	} else if (!hcl_is_wholly_known(v) && !hcl_is_sensitive(v)) {
		buf_puts(&b, "<unknown>");
	} else {
		hcl_value_format_repl(v, &b);
	}
	hcl_value_unref(v);
	hcl_expr_free(e);
	hcl_diags_free(&d);
	hcl_eval_ctx_free(ctx);
	return buf_detach(&b);
}

#define EV(want, src) do { char *g_ = ev(src); assert_string_equal(g_, want); free(g_); } while (0)
#define EV_PREFIX(want, src) do { char *g_ = ev(src); if (strncmp(g_, want, strlen(want)) != 0) fail_msg("%s => %s", src, g_); free(g_); } while (0)

static void test_operators(void **state)
{
	(void)state;
	EV("7", "1 + 2 * 3");
	EV("true", "1 < 2 && !false");
	EV("false", "\"1\" == 1");
	EV("3", "\"1\" + 2");
	EV_PREFIX("ERR Invalid operand: Unsuitable value for right operand: a number is required.", "1 + \"x\"");
	EV_PREFIX("ERR Operation failed: Error during operation: argument must not be null.", "1 + null");
	EV_PREFIX("ERR Operation failed: Error during operation: can't divide zero by zero", "0 / 0");
}

static void test_unknown_propagates(void **state)
{
	(void)state;
	EV("<unknown>", "var.later");
	EV("<unknown>", "var.later == \"y\"");
	EV("<unknown>", "upper(var.later)");
	EV("<unknown>", "\"a${var.later}b\"");
	EV("<unknown>", "var.later == \"\" ? 1 : 2");
	EV("<unknown>", "build.Host");
	EV("<unknown>", "[for s in var.list : \"${s}${var.later}\"]");
	EV("<unknown>", "can(build.ID)");       /* known only later: cty says unknown, not true */
	EV("true", "can(var.known)");
	EV("2", "length([var.later, 1])");      /* the length of a tuple is known */
}

static void test_sensitive_propagates(void **state)
{
	(void)state;
	EV("<sensitive>", "var.secret");
	EV("<sensitive>", "upper(var.secret)");
	EV("<sensitive>", "\"pw=${var.secret}\"");
	EV("<sensitive>", "var.secret == \"hunter2\"");
	EV("<sensitive>", "length(var.secret)");
	EV("[\n  <sensitive>,\n]", "[var.secret]");
	EV("k", "var.known");
}

static void test_null_handling(void **state)
{
	(void)state;
	EV("null", "var.nothing");
	EV_PREFIX("ERR Invalid template interpolation value: The expression result is null.", "\"x${var.nothing}\"");
	EV_PREFIX("ERR Invalid function argument: Invalid value for \"str\" parameter: argument must not be null.",
		  "upper(var.nothing)");
	EV("fallback", "coalesce(var.nothing, \"fallback\")");
	EV_PREFIX("ERR Null condition", "var.nothing ? 1 : 2");
}

static void test_for_splat_traversal(void **state)
{
	(void)state;
	EV("[\n  \"X\",\n  \"Y\",\n]", "[for s in var.list : upper(s)]");
	EV("{\n  \"x\" = 0\n  \"y\" = 1\n}", "{for i, s in var.list : s => i}");
	EV("{\n  \"a\" = [\n    1,\n    3,\n  ]\n  \"b\" = [\n    2,\n  ]\n}",
	   "{for p in [[\"a\", 1], [\"b\", 2], [\"a\", 3]] : p[0] => p[1]...}");
	EV("[\n  1,\n  2,\n]", "[{a = 1}, {a = 2}][*].a");
	EV("[\n  \"x\",\n]", "var.list[0][*]");
	EV("y", "var.list[1]");
	EV_PREFIX("ERR Invalid index: The given key does not identify an element in this collection value.", "var.list[2]");
	EV_PREFIX("ERR Unsupported attribute: This object does not have an attribute named \"nope\".", "var.nope");
	EV_PREFIX("ERR Unknown variable: There is no variable named \"vars\". Did you mean \"var\"?", "vars.x");
}

static void test_calls(void **state)
{
	(void)state;
	EV("x-y", "join(\"-\", [var.list]...)");
	EV_PREFIX("ERR Invalid function argument: Invalid value for \"lists\" parameter: list of string required.",
		  "join(\"-\", var.list...)");
	EV("x,y", "join(\",\", var.list)");
	EV("3", "max([1, 3, 2]...)");
	EV_PREFIX("ERR Call to unknown function: There is no function named \"uper\". Did you mean \"upper\"?", "uper(1)");
	EV_PREFIX("ERR Not enough function arguments: Function \"upper\" expects 1 argument(s). Missing value for \"str\".",
		  "upper()");
	EV_PREFIX("ERR Too many function arguments: Function \"upper\" expects only 1 argument(s).", "upper(1, 2)");
	EV_PREFIX("ERR Invalid expanding argument value", "max(1...)");
	EV("fallback", "try(var.nope, \"fallback\")");
	EV("false", "can(var.nope)");
	EV("[\n  \"1\",\n  \"2\",\n]", "convert([1, 2], list(string))");
}

static void test_diagnostic_ranges(void **state)
{
	(void)state;
	struct hcl_eval_ctx *ctx = test_ctx();
	struct hcl_diags d = HCL_DIAGS_INIT;
	const char *src = "upper(1) + length(true)";
	struct hcl_expr *e = hcl_parse_expression(src, strlen(src), "r.hcl", (struct hcl_pos){3, 5, 100}, &d);
	struct hcl_value *v = hcl_eval(e, ctx, &d);
	/* upper(1) converts fine ("1"), so the first error is the + with a string; length(true) fails too */
	assert_true(hcl_diags_has_errors(&d));
	bool saw_length = false;
	for (size_t i = 0; i < d.n; i++) {
		assert_true(d.v[i].has_subject);
		assert_int_equal(d.v[i].subject.start.line, 3);
		assert_string_equal(d.v[i].subject.filename, "r.hcl");
		if (strstr(d.v[i].detail, "\"length\"")) {
			saw_length = true;
			assert_int_equal(d.v[i].subject.start.column, 5 + 11);
		}
	}
	assert_true(saw_length);
	hcl_value_unref(v);
	hcl_expr_free(e);
	hcl_diags_free(&d);
	hcl_eval_ctx_free(ctx);
}

static void test_type_expressions(void **state)
{
	(void)state;
	struct {
		const char *src, *want;
	} ok[] = {
		{"string", "string"}, {"list(map(number))", "list(map(number))"}, {"any", "any"},
		{"object({a = string, b = optional(number)})", "object({a=string, b=optional(number)})"},
		{"tuple([bool, string])", "tuple([bool, string])"},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct hcl_diags d = HCL_DIAGS_INIT;
		struct hcl_expr *e = hcl_parse_expression(ok[i].src, strlen(ok[i].src), "t", (struct hcl_pos){1, 1, 0}, &d);
		struct hcl_type *t = hcl_eval_type_expr(e, true, &d);
		assert_non_null(t);
		char *s = hcl_type_to_string(t);
		assert_string_equal(s, ok[i].want);
		free(s);
		hcl_type_unref(t);
		hcl_expr_free(e);
		hcl_diags_free(&d);
	}
	const char *bad[] = {"strin", "list", "optional(string)", "list(optional(string))", "foo(string)", "\"string\""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hcl_diags d = HCL_DIAGS_INIT;
		struct hcl_expr *e = hcl_parse_expression(bad[i], strlen(bad[i]), "t", (struct hcl_pos){1, 1, 0}, &d);
		assert_null(hcl_eval_type_expr(e, true, &d));
		assert_true(hcl_diags_has_errors(&d));
		assert_string_equal(d.v[d.n - 1].summary, "Invalid type specification");
		hcl_expr_free(e);
		hcl_diags_free(&d);
	}
}

static void test_optional_defaults(void **state)
{
	(void)state;
	const char *ty = "object({name = string, size = optional(number, 10), tags = optional(list(string))})";
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_expr *te = hcl_parse_expression(ty, strlen(ty), "t", (struct hcl_pos){1, 1, 0}, &d);
	struct hcl_type *t = hcl_eval_type_expr(te, true, &d);
	assert_non_null(t);
	const char *vs = "{name = \"disk\"}";
	struct hcl_expr *ve = hcl_parse_expression(vs, strlen(vs), "v", (struct hcl_pos){1, 1, 0}, &d);
	struct hcl_eval_ctx *ctx = hcl_eval_ctx_new();
	struct hcl_value *v = hcl_eval_as(ve, t, ctx, NULL, &d);
	assert_false(hcl_diags_has_errors(&d));
	char *txt = hcl_value_to_expr(v);
	assert_string_equal(txt, "{name = \"disk\", size = 10, tags = null}");
	free(txt);
	hcl_value_unref(v);
	const char *missing = "{size = 1}";
	struct hcl_expr *me = hcl_parse_expression(missing, strlen(missing), "v", (struct hcl_pos){1, 1, 0}, &d);
	v = hcl_eval_as(me, t, ctx, NULL, &d);
	assert_true(hcl_diags_has_errors(&d));
	assert_non_null(strstr(d.v[d.n - 1].detail, "attribute \"name\" is required"));
	hcl_value_unref(v);
	hcl_expr_free(me);
	hcl_expr_free(ve);
	hcl_expr_free(te);
	hcl_type_unref(t);
	hcl_eval_ctx_free(ctx);
	hcl_diags_free(&d);
}

static void test_template_directives(void **state)
{
	(void)state;
	EV("a=x b=y ", "\"%{for i, s in var.list}${i == 0 ? \"a\" : \"b\"}=${s} %{endfor}\"");
	EV("yes", "\"%{if var.known == \"k\"}yes%{else}no%{endif}\"");
	const char *tsrc = "Hello ${name}!\n%{ for x in xs ~}\n- ${x}\n%{ endfor ~}\n";
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_expr *t = hcl_parse_template(tsrc, strlen(tsrc), "tpl", (struct hcl_pos){1, 1, 0}, &d);
	struct hcl_eval_ctx *ctx = hcl_eval_ctx_new();
	hcl_eval_ctx_set_var(ctx, "name", hcl_string("kiln"));
	struct hcl_value *xs[] = {hcl_number_int(1), hcl_number_int(2)};
	hcl_eval_ctx_set_var(ctx, "xs", hcl_tuple(xs, 2));
	struct hcl_value *v = hcl_eval_template(t, ctx, &d);
	assert_false(hcl_diags_has_errors(&d));
	assert_string_equal(hcl_str(v), "Hello kiln!\n- 1\n- 2\n");
	hcl_value_unref(v);
	hcl_expr_free(t);
	hcl_eval_ctx_free(ctx);
	hcl_diags_free(&d);
}

static void test_heredocs_in_a_body(void **state)
{
	(void)state;
	const char *src = "a = <<EOT\nhello ${name}\n  indented\nEOT\nb = <<-EOT\n    strip\n      two\n    EOT\n"
			  "c = [for s in split(\",\", \"x,y\") : \"${s}!\"]\n";
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_file *f = hcl_parse_config(src, strlen(src), "h.hcl", &d);
	assert_false(hcl_diags_has_errors(&d));
	struct hcl_eval_ctx *ctx = hcl_eval_ctx_new();
	hcl_eval_ctx_set_var(ctx, "name", hcl_string("kiln"));
	struct {
		const char *attr, *want;
	} cases[] = {{"a", "hello kiln\n  indented\n"}, {"b", "strip\n  two\n"}, {"c", "[\n  \"x!\",\n  \"y!\",\n]"}};
	for (size_t i = 0; i < 3; i++) {
		const struct hcl_attribute *at = hcl_body_attr(f->body, cases[i].attr);
		assert_non_null(at);
		struct hcl_value *v = hcl_eval(at->expr, ctx, &d);
		assert_false(hcl_diags_has_errors(&d));
		struct buf b = BUF_INIT;
		hcl_value_format_repl(v, &b);
		assert_string_equal(buf_cstr(&b), cases[i].want);
		buf_free(&b);
		hcl_value_unref(v);
	}
	hcl_eval_ctx_free(ctx);
	hcl_file_free(f);
	hcl_diags_free(&d);
}

/* Long chains of operators evaluate as their recursive definition would, diagnostics included
 * (each unsuitable right operand reported, in order); values nest at most HCL_MAX_VALUE_DEPTH. */
static void test_long_chains_and_deep_values(void **state)
{
	(void)state;
	struct buf src = BUF_INIT;
	buf_puts(&src, "1");
	for (int i = 1; i < 50000; i++)
		buf_puts(&src, i == 20000 || i == 30000 ? " + \"x\"" : " + 1");
	struct hcl_eval_ctx *ctx = test_ctx();
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_expr *e = hcl_parse_expression(src.data, src.len, "chain", (struct hcl_pos){1, 1, 0}, &d);
	assert_false(hcl_diags_has_errors(&d));
	struct hcl_value *v = hcl_eval(e, ctx, &d);
	assert_int_equal(hcl_diags_count(&d, HCL_DIAG_ERROR), 2);
	assert_true(d.v[0].subject.start.column < d.v[1].subject.start.column);
	assert_false(hcl_is_known(v));
	hcl_value_unref(v);
	hcl_expr_free(e);
	hcl_diags_free(&d);
	buf_free(&src);
	EV("50000", "1" " + 1" " + 1" " - 1" " + 49998");

	/* a value as deep as the limit is fine; one more level is an error */
	buf_puts(&src, "jsondecode(\"");
	buf_repeat(&src, '[', HCL_MAX_VALUE_DEPTH);
	buf_repeat(&src, ']', HCL_MAX_VALUE_DEPTH);
	buf_puts(&src, "\")");
	char *got = ev(src.data);
	assert_int_equal(got[0], '[');
	free(got);
	buf_free(&src);
	buf_puts(&src, "[jsondecode(\"");
	buf_repeat(&src, '[', HCL_MAX_VALUE_DEPTH);
	buf_repeat(&src, ']', HCL_MAX_VALUE_DEPTH);
	buf_puts(&src, "\")]");
	EV("ERR Value too deeply nested: This value nests lists, maps and objects more than 1000 levels deep.", src.data);
	buf_free(&src);
	buf_puts(&src, "yamldecode(\"");
	buf_repeat(&src, '[', HCL_MAX_VALUE_DEPTH + 1);
	buf_repeat(&src, ']', HCL_MAX_VALUE_DEPTH + 1);
	buf_puts(&src, "\")");
	EV_PREFIX("ERR Error in function call: Call to function \"yamldecode\" failed: the YAML source nests more than 1000", src.data);
	buf_free(&src);
	hcl_eval_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_unknown_propagates),
		cmocka_unit_test(test_sensitive_propagates),
		cmocka_unit_test(test_null_handling),
		cmocka_unit_test(test_for_splat_traversal),
		cmocka_unit_test(test_calls),
		cmocka_unit_test(test_diagnostic_ranges),
		cmocka_unit_test(test_type_expressions),
		cmocka_unit_test(test_optional_defaults),
		cmocka_unit_test(test_template_directives),
		cmocka_unit_test(test_heredocs_in_a_body),
		cmocka_unit_test(test_long_chains_and_deep_values),
	};
	return cmocka_run_group_tests_name("hcl-eval", tests, NULL, NULL);
}
