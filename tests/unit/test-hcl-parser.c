/* test-hcl-parser.c — unit tests of the HCL syntax side: lexer, parser (tree shape, ranges, error
 * recovery), diagnostics rendering, static analysis helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hcl/arena.h"
#include "hcl/ast.h"
#include "hcl/diag.h"
#include "hcl/lexer.h"
#include "hcl/parser.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/strv.h"

/* Parse src; return the tree dump (caller frees); diagnostics go to *d. */
static char *parse_dump(const char *src, struct hcl_diags *d)
{
	struct hcl_file *f = hcl_parse_config(src, strlen(src), "t.hcl", d);
	struct buf b = BUF_INIT;
	hcl_body_dump(f->body, &b);
	hcl_file_free(f);
	char *s = buf_detach(&b);
	return s ? s : strdup("");
}

static void assert_parses_to(const char *src, const char *want)
{
	struct hcl_diags d = HCL_DIAGS_INIT;
	char *got = parse_dump(src, &d);
	if (hcl_diags_has_errors(&d)) {
		struct buf b = BUF_INIT;
		hcl_diags_render_short(&d, &b);
		print_error("unexpected diagnostics:\n%s", buf_cstr(&b));
		buf_free(&b);
	}
	assert_false(hcl_diags_has_errors(&d));
	if (strcmp(got, want) != 0)
		print_error("got:\n%s\nwant:\n%s", got, want);
	assert_string_equal(got, want);
	free(got);
	hcl_diags_free(&d);
}

/* The diagnostics of src as "line:col-line:col summary" lines. */
static char *diag_lines(const char *src)
{
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_file *f = hcl_parse_config(src, strlen(src), "t.hcl", &d);
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < d.n; i++) {
		const struct hcl_diag *x = &d.v[i];
		buf_printf(&b, "%d:%d/%zu-%d:%d/%zu %s\n", x->subject.start.line, x->subject.start.column,
			   x->subject.start.byte, x->subject.end.line, x->subject.end.column, x->subject.end.byte,
			   x->summary);
	}
	hcl_file_free(f);
	hcl_diags_free(&d);
	char *s = buf_detach(&b);
	return s ? s : strdup("");
}

static void assert_diags(const char *src, const char *want)
{
	char *got = diag_lines(src);
	if (strcmp(got, want) != 0)
		print_error("got:\n%s\nwant:\n%s", got, want);
	assert_string_equal(got, want);
	free(got);
}

/* The diagnostics of src as "summary: detail" lines, for checking wording. */
static void assert_diag_texts(const char *src, const char *want)
{
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_file *f = hcl_parse_config(src, strlen(src), "t.hcl", &d);
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < d.n; i++)
		buf_printf(&b, "%s: %s\n", d.v[i].summary, d.v[i].detail);
	hcl_file_free(f);
	hcl_diags_free(&d);
	if (strcmp(buf_cstr(&b), want) != 0)
		print_error("got:\n%s\nwant:\n%s", buf_cstr(&b), want);
	assert_string_equal(buf_cstr(&b), want);
	buf_free(&b);
}

static void test_operator_precedence(void **state)
{
	(void)state;
	assert_parses_to("a = 1 + 2 * 3 - -4 > 5 == true || !false && x\n",
			 "attr a\n"
			 "  binary_op ||\n"
			 "    binary_op ==\n"
			 "      binary_op >\n"
			 "        binary_op -\n"
			 "          binary_op +\n"
			 "            literal 1\n"
			 "            binary_op *\n"
			 "              literal 2\n"
			 "              literal 3\n"
			 "          unary_op -\n"
			 "            literal 4\n"
			 "        literal 5\n"
			 "      literal true\n"
			 "    binary_op &&\n"
			 "      unary_op !\n"
			 "        literal false\n"
			 "      scope_traversal x\n");
	/* left associativity within a level; unary binds tighter than binary */
	assert_parses_to("a = x / y * z % w\n",
			 "attr a\n"
			 "  binary_op %\n"
			 "    binary_op *\n"
			 "      binary_op /\n"
			 "        scope_traversal x\n"
			 "        scope_traversal y\n"
			 "      scope_traversal z\n"
			 "    scope_traversal w\n");
	assert_parses_to("a = -46 + 5\n",
			 "attr a\n  binary_op +\n    unary_op -\n      literal 46\n    literal 5\n");
	/* the conditional is right-associative and loosest */
	assert_parses_to("a = c ? x + 1 : d ? y : z\n",
			 "attr a\n"
			 "  conditional\n"
			 "    scope_traversal c\n"
			 "    binary_op +\n"
			 "      scope_traversal x\n"
			 "      literal 1\n"
			 "    conditional\n"
			 "      scope_traversal d\n"
			 "      scope_traversal y\n"
			 "      scope_traversal z\n");
	/* newlines inside parentheses are insignificant */
	assert_parses_to("a = (1 +\n 2)\n", "attr a\n  parens\n    binary_op +\n      literal 1\n      literal 2\n");
}

static void test_literals_and_strings(void **state)
{
	(void)state;
	assert_parses_to("n = 3.14e+10\nt = true\nz = null\n",
			 "attr n\n  literal 3.14e+10\nattr t\n  literal true\nattr z\n  literal null\n");
	assert_parses_to("s = \"a\\n\\t\\\"\\\\\\u00e9\\U0001F600 $${x} %%{y} $5 100%\"\n",
			 "attr s\n"
			 "  template\n"
			 "    lit \"a\\n\\t\\\"\\\\é😀 \"\n"
			 "    lit \"${\"\n"
			 "    lit \"x} \"\n"
			 "    lit \"%{\"\n"
			 "    lit \"y} \"\n"
			 "    lit \"$\"\n"
			 "    lit \"5 100\"\n"
			 "    lit \"%\"\n");
	/* a lone interpolation is unwrapped; anything more is a template */
	assert_parses_to("a = \"${x}\"\nb = \"${x}${y}\"\nc = \"\"\n",
			 "attr a\n  template_wrap\n    scope_traversal x\n"
			 "attr b\n  template\n    interp\n      scope_traversal x\n    interp\n      scope_traversal y\n"
			 "attr c\n  template\n    lit \"\"\n");
	/* identifiers may contain dashes: a-b is one name, a - b a subtraction */
	assert_parses_to("x = a-b\ny = a - b\n",
			 "attr x\n  scope_traversal a-b\nattr y\n  binary_op -\n    scope_traversal a\n    scope_traversal b\n");
	/* literal text is NFC-normalized: n + combining tilde is the precomposed ñ, also in labels */
	assert_parses_to("s = \"an\xcc\x83o\"\nb \"n\xcc\x83\" {}\n",
			 "attr s\n  template\n    lit \"a\xc3\xb1o\"\nblock b \"\xc3\xb1\"\n");
	/* text of Latin letters only is NFC already and kept; a combining mark among them still composes */
	assert_parses_to("s = \"Usu\xc3\xa1rio \xc3\xb1 \xc6\x92\"\nt = \"\xc3\xbc e\xcc\x81\"\n",
			 "attr s\n  template\n    lit \"Usu\xc3\xa1rio \xc3\xb1 \xc6\x92\"\n"
			 "attr t\n  template\n    lit \"\xc3\xbc \xc3\xa9\"\n");
	/* Go-template text is plain literal text */
	assert_parses_to("c = \"<esc>{{ .HTTPIP }}:{{ .HTTPPort }}\"\n",
			 "attr c\n  template\n    lit \"<esc>{{ .HTTPIP }}:{{ .HTTPPort }}\"\n");
}

static void test_strip_markers(void **state)
{
	(void)state;
	assert_parses_to("a = \"hello ${~ \"world\" ~} !\"\n",
			 "attr a\n  template\n    lit \"hello\"\n    interp\n      template\n        lit \"world\"\n"
			 "    lit \"!\"\n");
	assert_parses_to("a = \"%{ if true ~} hello %{~ endif }\"\n",
			 "attr a\n  template\n    if\n      literal true\n    then\n      lit \"hello\"\n");
	/* stripping is syntactic: spaces produced by an interpolation stay */
	assert_parses_to("a = \"${\"hello\" ~}${\" world\"}\"\n",
			 "attr a\n  template\n    interp\n      template\n        lit \"hello\"\n"
			 "    interp\n      template\n        lit \" world\"\n");
}

static void test_template_directives(void **state)
{
	(void)state;
	assert_parses_to("a = \"%{for k, v in m}${k}=${v},%{endfor}%{if c}y%{else}n%{endif}\"\n",
			 "attr a\n"
			 "  template\n"
			 "    for k, v\n"
			 "      scope_traversal m\n"
			 "    do\n"
			 "      interp\n"
			 "        scope_traversal k\n"
			 "      lit \"=\"\n"
			 "      interp\n"
			 "        scope_traversal v\n"
			 "      lit \",\"\n"
			 "    if\n"
			 "      scope_traversal c\n"
			 "    then\n"
			 "      lit \"y\"\n"
			 "    else\n"
			 "      lit \"n\"\n");
	assert_diags("a = \"%{ if x }y\"\n", "1:16/15-1:17/16 Unexpected end of template\n");
	assert_diags("a = \"%{ endif }\"\n", "1:6/5-1:16/15 Unexpected endif directive\n");
	assert_diags("a = \"%{ iff x }\"\n", "1:9/8-1:12/11 Invalid template control keyword\n");
}

/* Unbalanced and malformed directives are worded as HCL's template parser words them (and so as
 * Packer prints them), one diagnostic per problem. */
static void test_template_directive_errors_word_as_hcl(void **state)
{
	(void)state;
	assert_diag_texts("a = \"%{ endif }\"\n",
			  "Unexpected endif directive: The control directives within this template are unbalanced.\n");
	assert_diag_texts("a = \"%{ if x y }z%{ endif }\"\n",
			  "Extra characters in if marker: Expected a closing brace to end the sequence, but found "
			  "extra characters.\n");
	/* (a file's diagnostics come in source order) */
	assert_diag_texts("a = \"%{ endfor x }\"\n",
			  "Unexpected endfor directive: The control directives within this template are unbalanced.\n"
			  "Extra characters in endfor marker: Expected a closing brace to end the sequence, but found "
			  "extra characters.\n");
	assert_diag_texts("a = \"%{ if x }y%{ endfor }\"\n",
			  "Unexpected endfor directive: Expecting an endif directive for the if started at "
			  "t.hcl:1,6-15.\n");
	assert_diag_texts("a = \"%{ for v in x }y%{ endif }\"\n",
			  "Unexpected endif directive: Expecting an endfor directive corresponding to the for "
			  "directive at t.hcl:1,6-21.\n");
	assert_diag_texts("a = \"%{ for v in x }y%{ else }z%{ endfor }\"\n",
			  "Unexpected else directive: An else clause is not expected for a for directive.\n"
			  "Unexpected endfor directive: The control directives within this template are unbalanced.\n");
	assert_diag_texts("a = \"%{ if x }1%{ else }2%{ else }3%{ endif }\"\n",
			  "Unexpected else directive: Already in the else clause for the if started at t.hcl:1,6-15.\n"
			  "Unexpected endif directive: The control directives within this template are unbalanced.\n");
	assert_diag_texts("a = \"%{ for v in x }y\"\n",
			  "Unexpected end of template: The for directive at t.hcl:1,6-21 is missing its corresponding "
			  "endfor directive.\n");
}

static void test_heredocs(void **state)
{
	(void)state;
	assert_parses_to("a = <<EOT\nFoo\n  Bar\nEOT\n", "attr a\n  template heredoc\n    lit \"Foo\\n\"\n    lit \"  Bar\\n\"\n");
	/* the closing marker may be indented; NOT EOT is not the marker */
	assert_parses_to("a = <<EOT\n    NOT EOT\n  EOT\n", "attr a\n  template heredoc\n    lit \"    NOT EOT\\n\"\n");
	/* <<- removes the smallest indentation; blank lines do not count; tabs count as one */
	assert_parses_to("a = <<-EOT\n    Foo\n\n      Bar\n  EOT\n",
			 "attr a\n  template heredoc\n    lit \"Foo\\n\"\n    lit \"\\n\"\n    lit \"  Bar\\n\"\n");
	assert_parses_to("a = <<-EOT\n\tFoo\n  Bar\n  EOT\n",
			 "attr a\n  template heredoc\n    lit \"Foo\\n\"\n    lit \" Bar\\n\"\n");
	assert_parses_to("a = <<-EOT\n    Foo\n  ${x}\n  EOT\n",
			 "attr a\n  template heredoc\n    lit \"  Foo\\n\"\n    lit \"\"\n    interp\n"
			 "      scope_traversal x\n    lit \"\\n\"\n");
	/* two heredocs in one expression, CRLF line ends */
	assert_parses_to("a = [<<A\r\nx\r\nA\r\n, <<B\r\ny\r\nB\r\n]\r\n",
			 "attr a\n  tuple_cons\n    template heredoc\n      lit \"x\\r\\n\"\n    template heredoc\n"
			 "      lit \"y\\r\\n\"\n");
	assert_diags("a = <<EOT\nfoo\n", "1:5/4-1:10/9 Unterminated template string\n");
}

static void test_traversals_and_splats(void **state)
{
	(void)state;
	assert_parses_to("g = foo.bar[0].baz[\"q\"].0[true]\n", "attr g\n  scope_traversal foo.bar[0].baz[\"q\"][0][true]\n");
	assert_parses_to("h = list[*].id[0]\n",
			 "attr h\n  splat [*]\n    scope_traversal list\n    relative_traversal .id[0]\n      anon_symbol\n");
	assert_parses_to("i = list.*.a.b[1]\n",
			 "attr i\n  relative_traversal [1]\n    splat .*\n      scope_traversal list\n"
			 "      relative_traversal .a.b\n        anon_symbol\n");
	assert_parses_to("j = f(x).y[k]\n",
			 "attr j\n  index\n    relative_traversal .y\n      function_call f\n        scope_traversal x\n"
			 "    scope_traversal k\n");
	assert_parses_to("k = x[*]\n", "attr k\n  splat [*]\n    scope_traversal x\n    anon_symbol\n");
	assert_diags("a = foo.0.1\n", "1:9/8-1:12/11 Invalid legacy index syntax\n");
}

static void test_collections_and_for(void **state)
{
	(void)state;
	assert_parses_to("k = { a = 1, \"b\" = 2, (c) = 3, null = 4\n  d: 5, }\n",
			 "attr k\n"
			 "  object_cons\n"
			 "    item (name key)\n      literal \"a\"\n      literal 1\n"
			 "    item\n      template\n        lit \"b\"\n      literal 2\n"
			 "    item\n      parens\n        scope_traversal c\n      literal 3\n"
			 "    item (name key)\n      literal \"null\"\n      literal 4\n"
			 "    item (name key)\n      literal \"d\"\n      literal 5\n");
	assert_parses_to("t = [\n  1,\n  2,\n]\n", "attr t\n  tuple_cons\n    literal 1\n    literal 2\n");
	assert_parses_to("e = [for i, v in list : v.name if i > 0]\n",
			 "attr e\n  for tuple i, v if\n    scope_traversal list\n    scope_traversal v.name\n"
			 "    binary_op >\n      scope_traversal i\n      literal 0\n");
	assert_parses_to("f = {for k, v in m : upper(k) => v...}\n",
			 "attr f\n  for object k, v group\n    scope_traversal m\n    function_call upper\n"
			 "      scope_traversal k\n    scope_traversal v\n");
	assert_parses_to("j = concat(a, [b]...)\n",
			 "attr j\n  function_call concat ...\n    scope_traversal a\n    tuple_cons\n      scope_traversal b\n");
	assert_diags("e = [for v in x : k => v]\n", "1:19/18-1:20/19 Invalid 'for' expression\n");
	assert_diags("e = {for v in x : v}\n", "1:19/18-1:20/19 Invalid 'for' expression\n");
	assert_diags("t = [1 2]\n", "1:8/7-1:9/8 Missing item separator\n");
	assert_diags("o = {a = 1 b = 2}\n", "1:12/11-1:13/12 Missing attribute separator\n");
	assert_diags("c = f(a b)\n", "1:9/8-1:10/9 Missing argument separator\n");
}

static void test_blocks(void **state)
{
	(void)state;
	assert_parses_to("source \"qemu\" \"x\" {\n  a = 1\n  inner {\n  }\n}\nb ident \"q\" {}\nc { d = 2 }\n",
			 "block source \"qemu\" \"x\"\n  attr a\n    literal 1\n  block inner\n"
			 "block b \"ident\" \"q\"\n"
			 "block c\n  attr d\n    literal 2\n");
	/* every comment form; a line comment ends an attribute like a newline */
	assert_parses_to("# hash\n// slash\n/* multi\nline */ a = 1 # trailing\nb = /* inline */ 2 // x\n",
			 "attr a\n  literal 1\nattr b\n  literal 2\n");
	assert_diags("a = 1\na = 2\n", "2:1/6-2:2/7 Attribute redefined\n");
}

/* A body with many attributes finds a redefined one by name (not by scanning all of them) and still
 * reports where it was first set, keeping the first. */
static void test_many_attributes_redefined(void **state)
{
	(void)state;
	struct buf src = BUF_INIT;
	for (int i = 0; i < 100; i++)
		buf_printf(&src, "a%d = %d\n", i, i);
	buf_puts(&src, "a3 = \"again\"\na70 = 2\na100 = 3\n");
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_file *f = hcl_parse_config(buf_cstr(&src), src.len, "t.hcl", &d);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[0].summary, "Attribute redefined");
	assert_int_equal(d.v[0].subject.start.line, 101);
	assert_non_null(strstr(d.v[0].detail, "\"a3\" was already set at t.hcl:4,1-3."));
	assert_int_equal(d.v[1].subject.start.line, 102);
	assert_non_null(strstr(d.v[1].detail, "\"a70\" was already set at t.hcl:71,1-4."));
	assert_int_equal(f->body->nattrs, 101);
	const struct hcl_attribute *a3 = hcl_body_attr(f->body, "a3");
	assert_int_equal(a3->expr->kind, HCL_EXPR_LITERAL);
	assert_non_null(hcl_body_attr(f->body, "a100"));
	hcl_file_free(f);
	hcl_diags_free(&d);
	buf_free(&src);
}

/* The parser scans tokens as it goes and keeps only those it has not read: a lookahead over hundreds
 * of newlines and comments, invalid tokens and parse errors far apart still come out whole, with
 * their exact ranges and in source order. */
static void test_long_input_in_pieces(void **state)
{
	(void)state;
	struct buf src = BUF_INIT;
	buf_puts(&src, "a = [\n");
	for (int i = 0; i < 300; i++)
		buf_puts(&src, "\n");
	buf_puts(&src, "  1, # one\n");
	for (int i = 0; i < 300; i++)
		buf_puts(&src, "  // filler\n");
	buf_puts(&src, "  2]\n");
	for (int i = 0; i < 400; i++)
		buf_printf(&src, "x%d = %d\n", i, i);
	buf_puts(&src, "b = 1 & 2\nc = (\n");
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_file *f = hcl_parse_config(buf_cstr(&src), src.len, "t.hcl", &d);
	assert_int_equal(f->body->nattrs, 403);
	const struct hcl_attribute *a = hcl_body_attr(f->body, "a");
	assert_int_equal(a->expr->kind, HCL_EXPR_TUPLE_CONS);
	assert_int_equal(a->expr->u.tuple.nitems, 2);
	assert_int_equal(a->expr->u.tuple.items[1]->range.start.line, 603);
	assert_int_equal(a->expr->range.end.line, 603);
	assert_int_equal(a->expr->range.end.column, 5);
	char *lines = NULL;
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < d.n; i++)
		buf_printf(&b, "%d:%d %s\n", d.v[i].subject.start.line, d.v[i].subject.start.column, d.v[i].summary);
	lines = buf_detach(&b);
	assert_string_equal(lines, "1004:7 Unsupported operator\n1004:7 Missing newline after argument\n"
				   "1006:1 Invalid expression\n");
	free(lines);
	hcl_file_free(f);
	hcl_diags_free(&d);
	buf_free(&src);
}

/* hcl_check_config (fmt's syntax check, which drops each attribute's expression once parsed) reports
 * exactly what hcl_parse_config does, and hands out every token. */
static void test_check_config_matches_parse(void **state)
{
	(void)state;
	static const char *const inputs[] = {
		"a = 1\nb = \"${x}\"\n",
		"source \"q\" \"x\" {\n  a = [for v in x : v if v > 1]\n  inner { b = {k = 1, (v) = 2} }\n  a = 2\n}\n",
		"a = f(1,\nb = 2 & 3\nc { d = <<EOT\nx ${y\nEOT\n}\n",
		"x = 1 ? 2\ny = [1 2]\nz = \"unterminated\n w { e = 1, f = 2 }\n",
		"locals {\n  a = var.x[*].y.*.z\n  b = -!c\n  a = \"dup\"\n}\n}\n",
		"\xEF\xBB\xBF" "a = 1\n",
	};
	for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		const char *src = inputs[i];
		struct hcl_diags full = HCL_DIAGS_INIT, checked = HCL_DIAGS_INIT;
		struct hcl_file *f = hcl_parse_config(src, strlen(src), "t.hcl", &full);
		struct hcl_tokens toks = {0};
		hcl_check_config(src, strlen(src), "t.hcl", &checked, &toks);
		struct buf a = BUF_INIT, b = BUF_INIT;
		hcl_diags_render_short(&full, &a);
		hcl_diags_render_short(&checked, &b);
		assert_string_equal(buf_cstr(&a), buf_cstr(&b));
		assert_int_equal(toks.v[toks.n - 1].type, HCL_TOK_EOF);
		assert_int_equal(toks.v[toks.n - 1].off + (toks.src - src), strlen(src));
		buf_free(&a);
		buf_free(&b);
		hcl_tokens_free(&toks);
		hcl_diags_free(&full);
		hcl_diags_free(&checked);
		hcl_file_free(f);
	}
}

/* The specsuite's structural error cases, with HCL's exact ranges. */
static void test_structure_errors(void **state)
{
	(void)state;
	assert_diags("a = \"a value\", b = \"b value\"\n", "1:14/13-1:15/14 Unexpected comma after argument\n");
	assert_diags("a { b = \"foo\", c = \"bar\" }\n"
		     "a { b = \"foo\"\n"
		     "}\n"
		     "a { b = \"foo\"\n"
		     "  c = \"bar\" }\n"
		     "a { b = \"foo\"\n"
		     "  c = \"bar\"\n"
		     "}\n"
		     "a { d {} }\n",
		     "1:14/13-1:15/14 Unexpected comma after argument\n"
		     "2:14/40-3:1/41 Missing closing brace\n"
		     "4:14/56-5:1/57 Missing closing brace\n"
		     "6:14/84-7:1/85 Missing closing brace\n"
		     "9:5/103-9:8/106 Unexpected block definition\n");
	assert_diags("a {\n", "1:3/2-1:4/3 Unclosed configuration block\n");
	assert_diags("variable \"region\" {\n  type =string\n}\n\ninvalid\n\nsource \"x\" \"y\" {\n}\n",
		     "5:1/38-5:8/45 Argument or block definition required\n");
}

/* One run reports every error, each at its own place, and the tree stays usable. */
static void test_multiple_errors(void **state)
{
	(void)state;
	assert_diags("a = \"x\\q\"\n"
		     "b = 1.2.3\n"
		     "c = [1 2]\n"
		     "d = 'x'\n"
		     "block {\n"
		     "  e = \"unterminated\n"
		     "  f = 1 ;\n"
		     "}\n"
		     "g = \"${a b}\"\n",
		     "1:7/6-1:9/8 Invalid escape sequence\n"
		     "2:5/14-2:10/19 Invalid number literal\n"
		     "3:8/27-3:9/28 Missing item separator\n"
		     "4:5/34-4:6/35 Invalid character\n"
		     "4:5/34-4:6/35 Invalid expression\n"
		     "6:20/65-6:20/65 Invalid multi-line string\n"
		     "7:9/74-7:10/75 Invalid character\n"
		     "7:9/74-7:10/75 Missing newline after argument\n"
		     "9:10/87-9:11/88 Extra characters after interpolation expression\n");
}

static void test_render(void **state)
{
	(void)state;
	const char *src = "source \"qemu\" \"x\" {\n\tdisk_sise = \"10G\"\n}\n";
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_fileset fs = HCL_FILESET_INIT;
	struct hcl_file *f = hcl_parse_config(src, strlen(src), "b.pkr.hcl", &d);
	hcl_fileset_add(&fs, f);
	const struct hcl_attribute *a = f->body->blocks[0]->body->attrs[0];
	hcl_error(&d, &a->name_range, "Unsupported argument",
		  "An argument named \"%s\" is not expected here. Did you mean \"disk_size\"? This sentence is here "
		  "to make the detail long enough to wrap.",
		  a->name);
	hcl_warning(&d, NULL, "No subject", NULL);
	struct buf b = BUF_INIT;
	hcl_diags_render(&d, &fs, NULL, &b);
	assert_string_equal(buf_cstr(&b),
			    "Error: Unsupported argument\n"
			    "\n"
			    "  on b.pkr.hcl line 2, in source \"qemu\" \"x\":\n"
			    "   2: \tdisk_sise = \"10G\"\n"
			    "      \t^^^^^^^^^\n"
			    "\n"
			    "An argument named \"disk_sise\" is not expected here. Did you mean \"disk_size\"?\n"
			    "This sentence is here to make the detail long enough to wrap.\n"
			    "\n"
			    "Warning: No subject\n"
			    "\n");
	buf_reset(&b);
	hcl_diags_render_short(&d, &b);
	assert_string_equal(buf_cstr(&b), "b.pkr.hcl:2:2: error: Unsupported argument\nwarning: No subject\n");
	/* without the source, the location is still named */
	buf_reset(&b);
	hcl_diag_render(&d.v[0], NULL, NULL, &b);
	assert_non_null(strstr(buf_cstr(&b), "  on b.pkr.hcl line 2:\n  (source code not available)\n"));
	buf_free(&b);
	/* the same problem reported twice (one block checked per build) is kept once */
	size_t n = d.n;
	hcl_diags_copy_one(&d, &d.v[0]);
	hcl_warning(&d, &a->name_range, "Unsupported argument", "different severity: kept");
	hcl_diags_dedup(&d, n);
	assert_int_equal(d.n, n + 1);
	assert_int_equal(d.v[n].severity, HCL_DIAG_WARNING);
	hcl_diags_free(&d);
	hcl_fileset_free(&fs);
}

static int collect_var(void *arg, const struct hcl_expr *e)
{
	char *s = hcl_traversal_string(&e->u.traversal);
	strv_push_owned(arg, s);
	return 0;
}

static void test_variables(void **state)
{
	(void)state;
	const char *src = "x = [for k, v in var.m : \"${k}${v.a}${local.z}\" if v != path.root]\n"
			  "y = \"%{for s in var.list}${s}${upper(var.q)}%{endfor}\"\n"
			  "z = var.l[*].name\n";
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_file *f = hcl_parse_config(src, strlen(src), "v.hcl", &d);
	assert_false(hcl_diags_has_errors(&d));
	struct strv names = STRV_INIT;
	hcl_body_variables(f->body, collect_var, &names);
	char *joined = strv_join(&names, " ");
	assert_string_equal(joined, "var.m local.z path.root var.list var.q var.l");
	free(joined);
	strv_free(&names);
	assert_null(hcl_expr_as_keyword(hcl_body_attr(f->body, "z")->expr));
	hcl_file_free(f);
	hcl_diags_free(&d);
}

static void test_standalone_parsers(void **state)
{
	(void)state;
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_pos start = {1, 1, 0};
	const char *src = "[\n1,\n2\n]";
	struct hcl_expr *e = hcl_parse_expression(src, strlen(src), "<expr>", start, &d);
	assert_false(hcl_diags_has_errors(&d));
	assert_int_equal(e->kind, HCL_EXPR_TUPLE_CONS);
	assert_int_equal(e->u.tuple.nitems, 2);
	hcl_expr_free(e);

	e = hcl_parse_expression("1 2", 3, "<expr>", start, &d);
	assert_true(hcl_diags_has_errors(&d));
	assert_string_equal(d.v[0].summary, "Extra characters after expression");
	hcl_expr_free(e);
	hcl_diags_free(&d);

	src = "Hello ${name}!\n%{ for x in xs ~}\n- ${x}\n%{ endfor ~}\n";
	e = hcl_parse_template(src, strlen(src), "t.tpl", start, &d);
	assert_false(hcl_diags_has_errors(&d));
	struct buf b = BUF_INIT;
	hcl_expr_dump(e, &b);
	assert_string_equal(buf_cstr(&b), "template\n  lit \"Hello \"\n  interp\n    scope_traversal name\n"
					  "  lit \"!\\n\"\n  for x\n    scope_traversal xs\n  do\n    lit \"\"\n    lit \"- \"\n"
					  "    interp\n      scope_traversal x\n    lit \"\\n\"\n  lit \"\"\n");
	buf_free(&b);
	hcl_expr_free(e);

	e = hcl_parse_template("${true}", 7, "t.tpl", start, &d);
	assert_int_equal(e->kind, HCL_EXPR_TEMPLATE_WRAP);
	hcl_expr_free(e);

	struct hcl_traversal t;
	assert_int_equal(hcl_parse_traversal("source.amazon-ebs.example[0][\"k\"]", 33, "<t>", start, &t, &d), 0);
	char *s = hcl_traversal_string(&t);
	assert_string_equal(s, "source.amazon-ebs.example[0][\"k\"]");
	free(s);
	assert_int_equal(t.nsteps, 4);
	hcl_traversal_free(&t);
	assert_int_equal(hcl_parse_traversal("source.*", 8, "<t>", start, &t, &d), -1);
	assert_true(hcl_diags_has_errors(&d));
	hcl_diags_free(&d);

	e = hcl_parse_expression("(string)", 8, "<expr>", start, &d);
	assert_string_equal(hcl_expr_as_keyword(e), "string");
	hcl_expr_free(e);
	e = hcl_parse_expression("\"lit\"", 5, "<expr>", start, &d);
	size_t len;
	assert_string_equal(hcl_expr_as_string_literal(e, &len), "lit");
	assert_int_equal(len, 3);
	hcl_expr_free(e);

	assert_true(hcl_valid_identifier("amazon-ebs"));
	assert_true(hcl_valid_identifier("_x1"));
	assert_false(hcl_valid_identifier("1x"));
	assert_false(hcl_valid_identifier("a.b"));
}

/* Token boundaries as HCL's scanner draws them (the formatter depends on them). */
static void test_lexer_tokens(void **state)
{
	(void)state;
	const char *src = "a = <<-EOT\n  x ${y}\n  EOT\n# c\nb = \"q$${r}\" // d";
	struct hcl_tokens t = {0};
	struct hcl_pos start = {1, 1, 0};
	hcl_lex(src, strlen(src), "t", start, HCL_LEX_CONFIG, &t);
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < t.n; i++) {
		buf_printf(&b, "%s[", hcl_token_type_name(t.v[i].type));
		const char *bytes = hcl_token_bytes(&t, &t.v[i]);
		for (size_t j = 0; j < t.v[i].len; j++)
			buf_puts(&b, bytes[j] == '\n' ? "\\n" : (char[]){bytes[j], 0});
		buf_puts(&b, "] ");
	}
	assert_string_equal(buf_cstr(&b), "Ident[a] Equal[=] OHeredoc[<<-EOT\\n] StringLit[  x ] TemplateInterp[${] "
					  "Ident[y] TemplateSeqEnd[}] StringLit[\\n] CHeredoc[  EOT] Newline[\\n] "
					  "Comment[# c\\n] Ident[b] Equal[=] OQuote[\"] QuotedLit[q] QuotedLit[$${] "
					  "QuotedLit[r}] CQuote[\"] Comment[// d] EOF[] ");
	assert_int_equal(hcl_token_range(&t, &t.v[8]).start.line, 3);
	assert_int_equal(hcl_token_range(&t, &t.v[8]).end.column, 6);
	buf_free(&b);
	hcl_tokens_free(&t);
}

static void test_deep_nesting_is_an_error(void **state)
{
	(void)state;
	struct buf src = BUF_INIT;
	buf_puts(&src, "a = ");
	buf_repeat(&src, '[', 5000);
	buf_repeat(&src, ']', 5000);
	buf_puts(&src, "\nb = 1\n");
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_file *f = hcl_parse_config(src.data, src.len, "deep.hcl", &d);
	assert_true(hcl_diags_has_errors(&d));
	assert_string_equal(d.v[0].summary, "Expression too deeply nested");
	assert_non_null(hcl_body_attr(f->body, "b"));
	hcl_file_free(f);
	hcl_diags_free(&d);
	buf_free(&src);
}

/* Every kind of nesting counts against the limit: conditionals chained on either branch, steps
 * that wrap the expression before them (splats, computed indexes), template directives. */
static void test_every_nesting_is_limited(void **state)
{
	(void)state;
	static const struct {
		const char *open, *middle, *close;
		int levels;   /* per repetition */
	} kinds[] = {
		{"true ? 1 : ", "2", "", 1},
		{"true ? ", "1", " : 2", 1},
		{"", "[1]", "[*]", 1},
		{"", "[1]", "[0 + 0]", 1},
		{"", "f()", ".a[0 + 0]", 2},
		{"\"%{if true}", "x", "%{endif}\"", 1},
		{"\"%{for x in [1]}", "x", "%{endfor}\"", 1},
		{"-", "1", "", 1},
		{"list(", "string", ")", 1},
	};
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
		int limit = HCL_MAX_NESTING / kinds[k].levels;
		for (int n = limit - 5; n <= limit + 5; n += 10) {
			struct buf src = BUF_INIT;
			buf_puts(&src, "a = ");
			bool wrap = kinds[k].open[0] == '"';
			if (wrap) /* directives nest inside one template */
				buf_putc(&src, '"');
			for (int i = 0; i < n; i++)
				buf_puts(&src, kinds[k].open + wrap);
			buf_puts(&src, kinds[k].middle);
			for (int i = 0; i < n; i++)
				buf_append(&src, kinds[k].close, strlen(kinds[k].close) - wrap);
			if (wrap)
				buf_putc(&src, '"');
			buf_puts(&src, "\nb = 1\n");
			struct hcl_diags d = HCL_DIAGS_INIT;
			struct hcl_file *f = hcl_parse_config(src.data, src.len, "deep.hcl", &d);
			bool deep = n > limit;
			if (deep != hcl_diags_has_errors(&d))
				fail_msg("%s...%s x %d: %s", kinds[k].open, kinds[k].close, n, d.n ? d.v[0].summary : "no error");
			if (deep) {
				assert_string_equal(d.v[0].summary, "Expression too deeply nested");
				assert_int_equal(hcl_diags_count(&d, HCL_DIAG_ERROR), 1);
			}
			assert_non_null(hcl_body_attr(f->body, "b"));
			hcl_file_free(f);
			hcl_diags_free(&d);
			buf_free(&src);
		}
	}
}

/* A chain of binary operators is not limited: every walk iterates over its left operands, in the
 * order a recursive walk takes. */
static void test_long_operator_chains(void **state)
{
	(void)state;
	struct buf src = BUF_INIT;
	buf_puts(&src, "a = v0");
	for (int i = 1; i < 100000; i++)
		buf_printf(&src, " %s v%d", i % 2 ? "+" : "*", i);
	buf_puts(&src, "\n");
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_file *f = hcl_parse_config(src.data, src.len, "chain.hcl", &d);
	assert_false(hcl_diags_has_errors(&d));
	struct strv names = STRV_INIT;
	hcl_body_variables(f->body, collect_var, &names);
	assert_int_equal(names.n, 100000);
	for (size_t i = 0; i < names.n; i++) {
		char want[32];
		snprintf(want, sizeof want, "v%zu", i);
		assert_string_equal(names.v[i], want);
	}
	strv_free(&names);
	hcl_file_free(f);
	hcl_diags_free(&d);
	buf_free(&src);

	struct hcl_expr *e = hcl_parse_expression("1 - 2 * 3 - 4", 13, "<e>", (struct hcl_pos){1, 1, 0}, &d);
	struct buf b = BUF_INIT;
	hcl_expr_dump(e, &b);
	assert_string_equal(buf_cstr(&b), "binary_op -\n  binary_op -\n    literal 1\n    binary_op *\n"
					  "      literal 2\n      literal 3\n  literal 4\n");
	buf_free(&b);
	hcl_expr_free(e);
}

/* The VmFlags of the mapping of /proc/self/smaps that holds address p ("" when none). */
static char *vm_flags_at(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	assert_non_null(f);
	char line[512];
	bool inside = false;
	char *flags = NULL;
	while (!flags && fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			inside = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		else if (inside && strncmp(line, "VmFlags:", 8) == 0)
			flags = strdup(line + 8);
	}
	fclose(f);
	return flags ? flags : strdup("");
}

/* Whether large arrays and trees are mapped for huge pages here (never under AddressSanitizer,
 * nor where the kernel has no transparent huge pages). */
static bool huge_pages_used(void)
{
	return XMAP_WORTH != (size_t)-1 && access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0;
}

/* The tree of a large file lives in memory offered for huge pages (one page fault per 2 MiB of tree
 * instead of one per 4 KiB: what validate and fmt spend most on large templates); a small file's
 * tree does not take a huge page. Under AddressSanitizer the tree is malloc'ed instead (its checks
 * need that), so there the large tree must not be in a huge-page mapping either; on a kernel without
 * transparent huge pages only the parse itself is checked. */
static void test_large_tree_in_huge_pages(void **state)
{
	(void)state;
	struct buf src = BUF_INIT;
	for (int i = 0; i < 400; i++)
		buf_printf(&src, "a%d = \"value ${var.x} %d\"\n", i, i);
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_file *f = hcl_parse_config(src.data, src.len, "big.hcl", &d);
	assert_false(hcl_diags_has_errors(&d));
	assert_int_equal(f->body->nattrs, 400);
	char *flags = vm_flags_at(f->body->attrs[399]->expr);
	if (huge_pages_used())
		assert_non_null(strstr(flags, " hg"));
	else if (XMAP_WORTH == (size_t)-1)
		assert_null(strstr(flags, " hg"));
	free(flags);
	hcl_file_free(f);

	f = hcl_parse_config("a = 1\n", 6, "small.hcl", &d);
	flags = vm_flags_at(f->body->attrs[0]->expr);
	assert_null(strstr(flags, " hg"));
	free(flags);
	hcl_file_free(f);
	hcl_diags_free(&d);
	buf_free(&src);
}

/* A token array grows from malloc'ed to huge-page mappings and from mapping to mapping, keeping its
 * tokens; fmt's whole-file array of a large file is one mapping. */
static void test_token_array_reserve(void **state)
{
	(void)state;
	struct hcl_tokens t = {0};
	hcl_tokens_reserve(&t, 10);
	assert_true(t.cap >= 10);
	assert_int_equal(t.mapped, 0);
	for (; t.n < 10; t.n++)
		t.v[t.n].off = (uint32_t)t.n;
	for (size_t want = 4000; want < 300000; want *= 4) {
		hcl_tokens_reserve(&t, want);
		assert_true(t.cap >= want);
		while (t.n < want) {
			t.v[t.n].off = (uint32_t)t.n;
			t.n++;
		}
	}
	assert_true(t.mapped > 0 || XMAP_WORTH == (size_t)-1);
	for (size_t i = 0; i < t.n; i++)
		assert_int_equal(t.v[i].off, i);
	hcl_tokens_free(&t);
	assert_int_equal(t.mapped, 0);

	if (!huge_pages_used())
		return;
	struct buf src = BUF_INIT;
	for (int i = 0; i < 2000; i++)
		buf_printf(&src, "a%d = [1, 2, 3]\n", i);
	struct hcl_diags d = HCL_DIAGS_INIT;
	hcl_check_config(src.data, src.len, "big.hcl", &d, &t);
	assert_false(hcl_diags_has_errors(&d));
	char *flags = vm_flags_at(t.v);
	assert_non_null(strstr(flags, " hg"));
	free(flags);
	hcl_tokens_free(&t);
	hcl_diags_free(&d);
	buf_free(&src);
}

/* Arena chunks of every kind (small malloc'ed ones, huge-page mappings) survive marks, releases and
 * growth: what was allocated before a mark is intact after releasing back to it. */
static void test_arena_chunks(void **state)
{
	(void)state;
	size_t hints[] = {16, 1 << 20};
	for (size_t h = 0; h < 2; h++) {
		struct hcl_arena *a = hcl_arena_new(hints[h]);
		char *first = hcl_arena_strndup(a, "kept", 4);
		struct hcl_arena_mark m = hcl_arena_mark(a);
		for (int i = 0; i < 64; i++) {
			unsigned char *p = hcl_arena_alloc(a, 100000);
			assert_int_equal(p[0] | p[99999], 0);
			memset(p, 0xff, 100000);
		}
		hcl_arena_release(a, m);
		assert_string_equal(first, "kept");
		size_t cap = 0;
		int *v = NULL;
		for (int i = 0; i < 100000; i++) {
			v = hcl_arena_grow(a, v, &cap, (size_t)i + 1, sizeof *v);
			v[i] = i;
		}
		assert_int_equal(v[0] + v[99999], 99999);
		hcl_arena_free(a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operator_precedence),
		cmocka_unit_test(test_literals_and_strings),
		cmocka_unit_test(test_strip_markers),
		cmocka_unit_test(test_template_directives),
		cmocka_unit_test(test_template_directive_errors_word_as_hcl),
		cmocka_unit_test(test_heredocs),
		cmocka_unit_test(test_traversals_and_splats),
		cmocka_unit_test(test_collections_and_for),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_many_attributes_redefined),
		cmocka_unit_test(test_long_input_in_pieces),
		cmocka_unit_test(test_check_config_matches_parse),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_multiple_errors),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_variables),
		cmocka_unit_test(test_standalone_parsers),
		cmocka_unit_test(test_lexer_tokens),
		cmocka_unit_test(test_deep_nesting_is_an_error),
		cmocka_unit_test(test_every_nesting_is_limited),
		cmocka_unit_test(test_long_operator_chains),
		cmocka_unit_test(test_large_tree_in_huge_pages),
		cmocka_unit_test(test_arena_chunks),
		cmocka_unit_test(test_token_array_reserve),
	};
	return cmocka_run_group_tests_name("hcl-parser", tests, NULL, NULL);
}
