/* fuzz-hcl-eval.c — libFuzzer target for the evaluator: the input is parsed as an expression (and as
 * a template) and evaluated in a scope like `kiln console`'s, with every built-in function except
 * those that touch the filesystem or are slow by design (bcrypt), so that a run is bounded; the
 * result is printed the way the console prints it. Any crash, sanitizer report or leak is a bug. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hcl/eval.h"
#include "hcl/parser.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool excluded(const struct hcl_func *f)
{
	static const char *const skip[] = {"bcrypt", "file", "filebase64", "fileexists", "fileset",
					   "templatefile", "abspath", NULL};
	for (size_t i = 0; skip[i]; i++)
		if (strcmp(f->name, skip[i]) == 0)
			return true;
	return false;
}

static struct hcl_eval_ctx *fuzz_ctx(void)
{
	struct hcl_eval_ctx *ctx = hcl_eval_ctx_new_empty();
	for (size_t g = 0; hcl_function_groups[g]; g++)
		for (const struct hcl_func *f = hcl_function_groups[g]; f->name; f++)
			if (!excluded(f))
				hcl_eval_ctx_add_func(ctx, f);
	const char *names[] = {"cwd", "root"};
	struct hcl_value *vals[] = {hcl_string("/nonexistent"), hcl_string(".")};
	hcl_eval_ctx_set_var(ctx, "path", hcl_object(names, vals, 2));
	const char *vn[] = {"list", "map", "num", "secret", "str"};
	struct hcl_value *li[] = {hcl_string("a"), hcl_string("b")};
	struct hcl_value *mk[] = {hcl_number_int(1)};
	const char *mkn[] = {"k"};
	struct hcl_value *vv[] = {
		hcl_list(HCL_T_STRING, li, 2), hcl_map(HCL_T_NUMBER, mkn, mk, 1), hcl_number_parse("1.5"),
		hcl_mark(hcl_string("hunter2"), HCL_MARK_SENSITIVE), hcl_string("text"),
	};
	hcl_eval_ctx_set_var(ctx, "var", hcl_object(vn, vv, 5));
	hcl_eval_ctx_set_var(ctx, "local", hcl_empty_object());
	hcl_eval_ctx_set_var(ctx, "build", hcl_unknown(HCL_T_DYNAMIC));
	return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0; /* long inputs only slow the search down */
	const char *src = (const char *)data;
	struct hcl_eval_ctx *ctx = fuzz_ctx();
	struct hcl_diags diags = HCL_DIAGS_INIT;
	struct buf out = BUF_INIT;
	struct hcl_expr *e = hcl_parse_expression(src, size, "fuzz", (struct hcl_pos){1, 1, 0}, &diags);
	if (!hcl_diags_has_errors(&diags)) {
		struct hcl_value *v = hcl_eval(e, ctx, &diags);
		hcl_value_format_repl(v, &out);
		hcl_value_format_expr(v, &out);
		hcl_value_unref(v);
	}
	hcl_diags_render(&diags, NULL, NULL, &out);
	hcl_expr_free(e);
	hcl_diags_free(&diags);

	struct hcl_expr *t = hcl_parse_template(src, size, "fuzz", (struct hcl_pos){1, 1, 0}, &diags);
	if (!hcl_diags_has_errors(&diags)) {
		struct hcl_value *v = hcl_eval_template(t, ctx, &diags);
		hcl_value_unref(v);
	}
	hcl_expr_free(t);
	hcl_diags_free(&diags);
	buf_free(&out);
	hcl_eval_ctx_free(ctx);
	return 0;
}
