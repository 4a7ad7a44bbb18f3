/* eval.h — evaluating HCL expressions (ast.h) to values (value.h) against an evaluation context.
 *
 * An evaluation context holds the variables an expression may read (a tree of named values: `var`,
 * `local`, `path`, ... each usually an object) and the functions it may call. Contexts chain: a
 * child (hcl_eval_ctx_child) sees its parent's variables and functions and may shadow them, which is
 * how `for` expressions and template `%{for}` bind their iteration variables, and how an application
 * adds per-block values (`source.name`) on top of a file-wide context.
 *
 * Evaluation never stops at the first problem and never aborts: each problem is an HCL diagnostic
 * (summary, detail, the exact source range) appended to `diags`, and the failing sub-expression
 * evaluates to an unknown value of a dynamic type so evaluation can go on and report more. Callers
 * check hcl_diags_has_errors() afterwards.
 *
 * Typical use (the template model, `kiln console`):
 *
 *     struct hcl_eval_ctx *ctx = hcl_eval_ctx_new();           // all built-in functions
 *     hcl_eval_ctx_set_var(ctx, "var", hcl_object(names, values, n));
 *     struct hcl_value *v = hcl_eval(expr, ctx, &diags);       // new reference, never NULL
 *     ... hcl_value_unref(v); hcl_eval_ctx_free(ctx);
 *
 * Type constraints written as expressions (`type = list(string)` in a variable block) are read with
 * hcl_eval_type_expr. */
#ifndef KILN_HCL_EVAL_H
#define KILN_HCL_EVAL_H

#include <stdbool.h>

#include "hcl/ast.h"
#include "hcl/diag.h"
#include "hcl/func.h"
#include "hcl/value.h"

struct hcl_eval_ctx;

/* A root context with every built-in function (hcl_functions). */
struct hcl_eval_ctx *hcl_eval_ctx_new(void);
/* A root context with no functions (e.g. evaluating -var values, which may not call functions). */
struct hcl_eval_ctx *hcl_eval_ctx_new_empty(void);
/* A child context: sees the parent's variables and functions. The parent must outlive it. */
struct hcl_eval_ctx *hcl_eval_ctx_child(struct hcl_eval_ctx *parent);
void hcl_eval_ctx_free(struct hcl_eval_ctx *ctx);
/* Bind name to value (steals value; replaces an earlier binding of the same name in this context). */
void hcl_eval_ctx_set_var(struct hcl_eval_ctx *ctx, const char *name, struct hcl_value *value);
/* The binding of name in ctx or its ancestors (borrowed), or NULL. */
struct hcl_value *hcl_eval_ctx_get_var(const struct hcl_eval_ctx *ctx, const char *name);
/* Make one more function available (e.g. an application's own); replaces a built-in of the same
 * name. The struct must outlive the context (static tables do). */
void hcl_eval_ctx_add_func(struct hcl_eval_ctx *ctx, const struct hcl_func *fn);
/* The directory relative paths in file functions (file, fileset, templatefile, ...) are resolved
 * against; NULL (the default) means the working directory, as Packer does. Copied. */
void hcl_eval_ctx_set_basedir(struct hcl_eval_ctx *ctx, const char *dir);
const char *hcl_eval_ctx_basedir(const struct hcl_eval_ctx *ctx);
/* Look up a function by name in ctx and its ancestors. */
const struct hcl_func *hcl_eval_ctx_func(const struct hcl_eval_ctx *ctx, const char *name);
/* Names of every function visible from ctx, sorted (for suggestions and docs); free with strv_free. */
void hcl_eval_ctx_func_names(const struct hcl_eval_ctx *ctx, struct strv *out);

/* Evaluate expr. Always returns a new reference (an unknown value where evaluation failed). */
struct hcl_value *hcl_eval(const struct hcl_expr *expr, struct hcl_eval_ctx *ctx, struct hcl_diags *diags);
/* Evaluate and convert to `want` (a type constraint, may contain `any`), reporting a failed
 * conversion as HCL does ("Incorrect attribute value type" / the given summary). NULL summary gives
 * HCL's default. */
struct hcl_value *hcl_eval_as(const struct hcl_expr *expr, const struct hcl_type *want,
			      struct hcl_eval_ctx *ctx, const char *summary, struct hcl_diags *diags);
/* Read a type constraint written as an expression: string, number, bool, any, list(T), set(T),
 * map(T), tuple([...]), object({...}) with optional(T) / optional(T, default) attributes when
 * allow_optional is set. NULL (with diagnostics) when the expression is not a type. */
struct hcl_type *hcl_eval_type_expr(const struct hcl_expr *expr, bool allow_optional, struct hcl_diags *diags);

/* Evaluate a standalone template (from hcl_parse_template) to a string value. */
struct hcl_value *hcl_eval_template(const struct hcl_expr *tmpl, struct hcl_eval_ctx *ctx,
				    struct hcl_diags *diags);

#endif
