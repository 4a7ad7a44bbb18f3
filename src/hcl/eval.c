/* eval.c — the HCL expression evaluator: every native-syntax expression (ast.h) evaluated to a value
 * with hclsyntax's semantics — operators as cty's stdlib operator functions (with unknown, null and
 * mark propagation), conditionals with type unification, for expressions, splats, traversals,
 * function calls with cty's argument handling, templates with directives — and the diagnostics HCL
 * gives, with the same summaries and details. */
#include "hcl/eval.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/strv.h"

struct hcl_eval_ctx {
	struct hcl_eval_ctx *parent;
	struct hcl_vec vars;                  /* keyed */
	const struct hcl_func **funcs;        /* extra functions of this context */
	size_t nfuncs, capfuncs;
	bool builtins;                        /* root: the built-in table is visible */
	char *basedir;
	/* splat: the anonymous symbol bound in this context */
	const struct hcl_expr *anon;
	struct hcl_value *anon_val;
};

static struct hcl_eval_ctx *ctx_alloc(void)
{
	return xcalloc(1, sizeof(struct hcl_eval_ctx));
}

struct hcl_eval_ctx *hcl_eval_ctx_new(void)
{
	struct hcl_eval_ctx *c = ctx_alloc();
	c->builtins = true;
	return c;
}

struct hcl_eval_ctx *hcl_eval_ctx_new_empty(void)
{
	return ctx_alloc();
}

struct hcl_eval_ctx *hcl_eval_ctx_child(struct hcl_eval_ctx *parent)
{
	struct hcl_eval_ctx *c = ctx_alloc();
	c->parent = parent;
	return c;
}

void hcl_eval_ctx_free(struct hcl_eval_ctx *ctx)
{
	if (!ctx)
		return;
	hcl_vec_free(&ctx->vars);
	free(ctx->funcs);
	free(ctx->basedir);
	hcl_value_unref(ctx->anon_val);
	free(ctx);
}

void hcl_eval_ctx_set_var(struct hcl_eval_ctx *ctx, const char *name, struct hcl_value *value)
{
	for (size_t i = 0; i < ctx->vars.n; i++)
		if (strcmp(ctx->vars.k[i], name) == 0) {
			hcl_value_unref(ctx->vars.v[i]);
			ctx->vars.v[i] = value;
			return;
		}
	hcl_vec_push_kv(&ctx->vars, name, value);
}

struct hcl_value *hcl_eval_ctx_get_var(const struct hcl_eval_ctx *ctx, const char *name)
{
	for (; ctx; ctx = ctx->parent)
		for (size_t i = 0; i < ctx->vars.n; i++)
			if (strcmp(ctx->vars.k[i], name) == 0)
				return ctx->vars.v[i];
	return NULL;
}

void hcl_eval_ctx_add_func(struct hcl_eval_ctx *ctx, const struct hcl_func *fn)
{
	ctx->funcs = xgrow(ctx->funcs, &ctx->capfuncs, ctx->nfuncs + 1, sizeof(*ctx->funcs));
	ctx->funcs[ctx->nfuncs++] = fn;
}

void hcl_eval_ctx_set_basedir(struct hcl_eval_ctx *ctx, const char *dir)
{
	free(ctx->basedir);
	ctx->basedir = dir ? xstrdup(dir) : NULL;
}

const char *hcl_eval_ctx_basedir(const struct hcl_eval_ctx *ctx)
{
	for (; ctx; ctx = ctx->parent)
		if (ctx->basedir)
			return ctx->basedir;
	return NULL;
}

const struct hcl_func *hcl_eval_ctx_func(const struct hcl_eval_ctx *ctx, const char *name)
{
	for (; ctx; ctx = ctx->parent) {
		for (size_t i = ctx->nfuncs; i-- > 0;)
			if (strcmp(ctx->funcs[i]->name, name) == 0)
				return ctx->funcs[i];
		if (ctx->builtins)
			return hcl_builtin_func(name);
	}
	return NULL;
}

static bool ctx_has_funcs(const struct hcl_eval_ctx *ctx)
{
	for (; ctx; ctx = ctx->parent) {
		if (ctx->nfuncs || ctx->builtins)
			return true;
	}
	return false;
}

void hcl_eval_ctx_func_names(const struct hcl_eval_ctx *ctx, struct strv *out)
{
	for (; ctx; ctx = ctx->parent) {
		for (size_t i = 0; i < ctx->nfuncs; i++)
			if (!strv_contains(out, ctx->funcs[i]->name))
				strv_push(out, ctx->funcs[i]->name);
		if (ctx->builtins) {
			for (size_t g = 0; hcl_function_groups[g]; g++)
				for (const struct hcl_func *f = hcl_function_groups[g]; f->name; f++)
					if (!strv_contains(out, f->name))
						strv_push(out, f->name);
			break;
		}
	}
	strv_sort(out);
}

/* ---- helpers ---- */

static struct hcl_value *dynval(void)
{
	return hcl_unknown(HCL_T_DYNAMIC);
}

static struct hcl_diag *err_at(struct hcl_diags *d, const struct hcl_range *subject,
			       const struct hcl_range *context, const char *summary, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static struct hcl_diag *err_at(struct hcl_diags *d, const struct hcl_range *subject,
			       const struct hcl_range *context, const char *summary, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct hcl_diag *diag = hcl_diag_addv(d, HCL_DIAG_ERROR, subject, summary, fmt, ap);
	va_end(ap);
	if (context)
		hcl_diag_set_context(diag, context);
	return diag;
}

static size_t diag_errors(const struct hcl_diags *d)
{
	return hcl_diags_count(d, HCL_DIAG_ERROR);
}

/* HCL's diagnostic writer lists the values of the variables an expression refers to ("with x as
 * 1."): the diagnostics carry them as "x as 1" statements, computed here. */
static struct hcl_value *eval(const struct hcl_expr *e, struct hcl_eval_ctx *ctx, struct hcl_diags *diags);

static void value_statement(const struct hcl_value *v, struct buf *b)
{
	const struct hcl_type *t = v->type;
	if (v->null) {
		buf_puts(b, "null");
	} else if (v->unknown) {
		buf_puts(b, "(not yet known)");
	} else if (v->marks & HCL_MARK_SENSITIVE) {
		buf_puts(b, "(sensitive value)");
	} else if (t->kind == HCL_BOOL) {
		buf_puts(b, hcl_true(v) ? "true" : "false");
	} else if (t->kind == HCL_NUMBER) {
		/* big.Float Text('g', 10) */
		char tmp[64];
		double d = hcl_num_to_double(hcl_num_of(v));
		snprintf(tmp, sizeof(tmp), "%.10g", d);
		buf_puts(b, tmp);
	} else if (t->kind == HCL_STRING) {
		hcl_go_quote(hcl_str(v), hcl_str_len(v), b);
	} else if (t->kind == HCL_OBJECT) {
		if (t->n == 0)
			buf_puts(b, "object with no attributes");
		else if (t->n == 1)
			buf_printf(b, "object with 1 attribute \"%s\"", t->names[0]);
		else
			buf_printf(b, "object with %zu attributes", t->n);
	} else if (hcl_is_collection_value(v)) {
		char *fn = hcl_type_friendly_name(t);
		size_t l = hcl_len(v);
		if (l == 0)
			buf_printf(b, "empty %s", fn);
		else if (l == 1)
			buf_printf(b, "%s with 1 element", fn);
		else
			buf_printf(b, "%s with %zu elements", fn, l);
		free(fn);
	} else {
		char *fn = hcl_type_friendly_name(t);
		buf_puts(b, fn);
		free(fn);
	}
}

struct annotate_state {
	struct hcl_eval_ctx *ctx;
	struct strv stmts, seen;
};

static int annotate_one(void *arg, const struct hcl_expr *trav)
{
	struct annotate_state *st = arg;
	struct hcl_diags scratch = HCL_DIAGS_INIT;
	struct hcl_value *v = eval(trav, st->ctx, &scratch);
	bool bad = hcl_diags_has_errors(&scratch);
	hcl_diags_free(&scratch);
	char *name = hcl_traversal_string(&trav->u.traversal);
	if (!bad && !v->unknown && !strv_contains(&st->seen, name)) {
		struct buf b = BUF_INIT;
		if (v->null) {
			buf_printf(&b, "%s set to null", name);
		} else {
			buf_printf(&b, "%s as ", name);
			value_statement(v, &b);
		}
		strv_push_owned(&st->stmts, buf_detach(&b));
		strv_push(&st->seen, name);
	}
	free(name);
	hcl_value_unref(v);
	return 0;
}

static void annotate(struct hcl_diag *d, const struct hcl_expr *expr, struct hcl_eval_ctx *ctx)
{
	if (!d || !expr || !ctx)
		return;
	struct annotate_state st = {ctx, STRV_INIT, STRV_INIT};
	hcl_expr_variables(expr, annotate_one, &st);
	strv_sort(&st.stmts);
	for (size_t i = 0; i < st.stmts.n; i++)
		strv_push(&d->values, st.stmts.v[i]);
	strv_free(&st.stmts);
	strv_free(&st.seen);
}

/* ---- index and attribute access (hcl.Index, hcl.GetAttr) ---- */

static struct hcl_value *with_marks(struct hcl_value *v, unsigned marks)
{
	return marks ? hcl_mark(v, marks) : v;
}

static struct hcl_type *elem_type_of(const struct hcl_type *t)
{
	if (t->kind == HCL_LIST || t->kind == HCL_MAP || t->kind == HCL_SET)
		return hcl_type_ref(t->elem);
	return HCL_T_DYNAMIC;
}

struct hcl_value *hcl_index_value(struct hcl_value *coll, struct hcl_value *key, const struct hcl_range *rng,
				  struct hcl_diags *diags);
struct hcl_value *hcl_index_value(struct hcl_value *coll, struct hcl_value *key, const struct hcl_range *rng,
				  struct hcl_diags *diags)
{
	static const char invalid[] = "Invalid index";
	if (coll->null) {
		err_at(diags, rng, NULL, "Attempt to index null value",
		       "This value is null, so it does not have any indices.");
		return dynval();
	}
	if (key->null) {
		err_at(diags, rng, NULL, invalid, "Can't use a null value as an indexing key.");
		return dynval();
	}
	const struct hcl_type *ty = coll->type;
	if (key->type->kind == HCL_DYNAMIC || ty->kind == HCL_DYNAMIC)
		return dynval();
	unsigned marks = coll->marks | key->marks;
	switch (ty->kind) {
	case HCL_LIST: case HCL_TUPLE: case HCL_MAP: {
		const struct hcl_type *want = ty->kind == HCL_MAP ? HCL_T_STRING : HCL_T_NUMBER;
		struct hcl_convert_error ce = {0};
		struct hcl_value *k = hcl_convert(key, want, &ce);
		if (!k) {
			err_at(diags, rng, NULL, invalid,
			       "The given key does not identify an element in this collection value: %s.", ce.msg);
			hcl_convert_error_free(&ce);
			return dynval();
		}
		struct hcl_value *r = NULL;
		if (coll->unknown || k->unknown) {
			r = ty->kind == HCL_TUPLE ? dynval() : hcl_unknown(elem_type_of(ty));
		} else if (ty->kind == HCL_MAP) {
			struct hcl_value *e = hcl_get(coll, hcl_str(k));
			if (e)
				r = hcl_value_ref(e);
		} else {
			int64_t i;
			const struct hcl_num *n = hcl_num_of(k);
			if (hcl_num_to_int64(n, &i) && i >= 0 && (uint64_t)i < hcl_len(coll)) {
				r = hcl_value_ref(hcl_elem(coll, (size_t)i));
			} else if (!hcl_num_is_int(n) && !hcl_num_is_inf(n)) {
				struct buf b = BUF_INIT;
				hcl_double_format_g(hcl_num_to_double(n), &b);
				err_at(diags, rng, NULL, invalid,
				       "The given key does not identify an element in this collection value: indexing a sequence requires a whole number, but the given index (%s) has a fractional part.",
				       buf_cstr(&b));
				buf_free(&b);
				hcl_value_unref(k);
				return dynval();
			}
		}
		hcl_value_unref(k);
		if (!r) {
			err_at(diags, rng, NULL, invalid,
			       "The given key does not identify an element in this collection value.");
			return dynval();
		}
		return with_marks(r, marks);
	}
	case HCL_OBJECT: {
		struct hcl_convert_error ce = {0};
		struct hcl_value *k = hcl_convert(key, HCL_T_STRING, &ce);
		if (!k) {
			err_at(diags, rng, NULL, invalid,
			       "The given key does not identify an element in this collection value: %s.", ce.msg);
			hcl_convert_error_free(&ce);
			return dynval();
		}
		if (coll->unknown || k->unknown) {
			hcl_value_unref(k);
			return dynval();
		}
		int ai = hcl_type_attr_index(ty, hcl_str(k));
		hcl_value_unref(k);
		if (ai < 0) {
			err_at(diags, rng, NULL, invalid,
			       "The given key does not identify an element in this collection value.");
			return dynval();
		}
		return with_marks(hcl_value_ref(hcl_elem(coll, (size_t)ai)), marks);
	}
	case HCL_SET:
		err_at(diags, rng, NULL, invalid,
		       "Elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set.");
		return dynval();
	default:
		err_at(diags, rng, NULL, invalid, "This value does not have any indices.");
		return dynval();
	}
}

static struct hcl_value *get_attr(struct hcl_value *obj, const char *name, const struct hcl_range *rng,
				  struct hcl_diags *diags)
{
	if (obj->null) {
		err_at(diags, rng, NULL, "Attempt to get attribute from null value",
		       "This value is null, so it does not have any attributes.");
		return dynval();
	}
	const struct hcl_type *ty = obj->type;
	switch (ty->kind) {
	case HCL_OBJECT: {
		int ai = hcl_type_attr_index(ty, name);
		if (ai < 0) {
			err_at(diags, rng, NULL, "Unsupported attribute",
			       "This object does not have an attribute named \"%s\".", name);
			return dynval();
		}
		if (obj->unknown)
			return with_marks(hcl_unknown(hcl_type_ref(ty->elems[ai])), obj->marks);
		return with_marks(hcl_value_ref(hcl_elem(obj, (size_t)ai)), obj->marks);
	}
	case HCL_MAP: {
		if (obj->unknown)
			return with_marks(hcl_unknown(hcl_type_ref(ty->elem)), obj->marks);
		struct hcl_value *e = hcl_get(obj, name);
		if (!e) {
			err_at(diags, rng, NULL, "Missing map element",
			       "This map does not have an element with the key \"%s\".", name);
			return dynval();
		}
		return with_marks(hcl_value_ref(e), obj->marks);
	}
	case HCL_DYNAMIC:
		return dynval();
	default:
		err_at(diags, rng, NULL, "Unsupported attribute", "This value does not have any attributes.");
		return dynval();
	}
}

static struct hcl_value *literal_value(const struct hcl_literal *lit)
{
	switch (lit->kind) {
	case HCL_LIT_NULL:
		return hcl_null(HCL_T_DYNAMIC);
	case HCL_LIT_BOOL:
		return hcl_bool(lit->b);
	case HCL_LIT_NUMBER: {
		struct hcl_value *v = hcl_number_parse(lit->text);
		return v ? v : dynval();
	}
	case HCL_LIT_STRING:
		return hcl_string_n(lit->text, lit->len);
	default:
		return dynval();
	}
}

/* Apply traversal steps to v (stolen). Stops at the first error. */
static struct hcl_value *traverse(struct hcl_value *v, const struct hcl_traversal *t, struct hcl_diags *diags)
{
	for (size_t i = 0; i < t->nsteps; i++) {
		const struct hcl_traverser *s = &t->steps[i];
		size_t before = diag_errors(diags);
		struct hcl_value *r;
		if (s->kind == HCL_TRAVERSE_ATTR) {
			r = get_attr(v, s->name, &s->range, diags);
		} else {
			if (s->key.kind == 0) {
				hcl_value_unref(v);
				return dynval();
			}
			struct hcl_value *k = literal_value(&s->key);
			r = hcl_index_value(v, k, &s->range, diags);
			hcl_value_unref(k);
		}
		hcl_value_unref(v);
		v = r;
		if (diag_errors(diags) > before)
			return v;
	}
	return v;
}

/* ---- the evaluator ---- */

static struct hcl_value *eval(const struct hcl_expr *e, struct hcl_eval_ctx *ctx, struct hcl_diags *diags);

static struct hcl_value *eval_scope_traversal(const struct hcl_expr *e, struct hcl_eval_ctx *ctx,
					      struct hcl_diags *diags)
{
	const struct hcl_traversal *t = &e->u.traversal;
	struct hcl_value *root = hcl_eval_ctx_get_var(ctx, t->root);
	if (!root) {
		bool any = false;
		struct strv names = STRV_INIT;
		for (const struct hcl_eval_ctx *c = ctx; c; c = c->parent)
			for (size_t i = 0; i < c->vars.n; i++) {
				any = true;
				strv_push(&names, c->vars.k[i]);
			}
		if (!any) {
			err_at(diags, &t->root_range, NULL, "Variables not allowed", "Variables may not be used here.");
		} else {
			const char *sug = hcl_name_suggestion(t->root, (const char *const *)names.v, names.n);
			if (sug)
				err_at(diags, &t->root_range, NULL, "Unknown variable",
				       "There is no variable named \"%s\". Did you mean \"%s\"?", t->root, sug);
			else
				err_at(diags, &t->root_range, NULL, "Unknown variable",
				       "There is no variable named \"%s\".", t->root);
		}
		strv_free(&names);
		return dynval();
	}
	return traverse(hcl_value_ref(root), t, diags);
}

/* Operators are cty stdlib functions with two (or one) parameters of these types. */
static const struct hcl_type *binop_param_type(enum hcl_binary_op op)
{
	switch (op) {
	case HCL_OP_OR: case HCL_OP_AND:
		return HCL_T_BOOL;
	case HCL_OP_EQ: case HCL_OP_NE:
		return HCL_T_DYNAMIC;
	default:
		return HCL_T_NUMBER;
	}
}

static const struct hcl_type *binop_result_type(enum hcl_binary_op op)
{
	switch (op) {
	case HCL_OP_ADD: case HCL_OP_SUB: case HCL_OP_MUL: case HCL_OP_DIV: case HCL_OP_MOD:
		return HCL_T_NUMBER;
	default:
		return HCL_T_BOOL;
	}
}

/* The operator of e applied to the values of its operands, gl and gr (stolen). before: the errors
 * counted before the operands were evaluated (any since make the result unknown). */
static struct hcl_value *apply_binary(const struct hcl_expr *e, struct hcl_value *gl, struct hcl_value *gr,
				      size_t before, struct hcl_eval_ctx *ctx, struct hcl_diags *diags)
{
	enum hcl_binary_op op = e->u.binary.op;
	const struct hcl_type *pt = binop_param_type(op);
	const struct hcl_type *rt = binop_result_type(op);
	struct hcl_convert_error ce = {0};
	struct hcl_value *l = hcl_convert(gl, pt, &ce);
	if (!l) {
		annotate(err_at(diags, &e->u.binary.lhs->range, &e->range, "Invalid operand",
				"Unsuitable value for left operand: %s.", ce.msg), e->u.binary.lhs, ctx);
		hcl_convert_error_free(&ce);
	}
	struct hcl_value *r = hcl_convert(gr, pt, &ce);
	if (!r) {
		annotate(err_at(diags, &e->u.binary.rhs->range, &e->range, "Invalid operand",
				"Unsuitable value for right operand: %s.", ce.msg), e->u.binary.rhs, ctx);
		hcl_convert_error_free(&ce);
	}
	hcl_value_unref(gl);
	hcl_value_unref(gr);
	struct hcl_value *res = NULL;
	if (diag_errors(diags) > before)
		goto unknown;

	unsigned marks = 0, m;
	l = hcl_unmark_deep(l, &m);
	marks |= m;
	r = hcl_unmark_deep(r, &m);
	marks |= m;

	if (op == HCL_OP_EQ || op == HCL_OP_NE) {
		res = hcl_value_equals(l, r);
		if (op == HCL_OP_NE && !res->unknown) {
			bool b = hcl_true(res);
			hcl_value_unref(res);
			res = hcl_bool(!b);
		}
		res = with_marks(res, marks);
		goto out;
	}
	const char *fail = NULL;
	if (l->null || r->null) {
		fail = "argument must not be null";
	} else if (l->unknown || r->unknown) {
		res = with_marks(hcl_unknown(hcl_type_ref((struct hcl_type *)rt)), marks);
		goto out;
	} else if (op == HCL_OP_AND || op == HCL_OP_OR) {
		bool a = hcl_true(l), b = hcl_true(r);
		res = hcl_bool(op == HCL_OP_AND ? (a && b) : (a || b));
	} else {
		const struct hcl_num *a = hcl_num_of(l), *b = hcl_num_of(r);
		struct hcl_num *n = NULL;
		int rc = 0;
		switch (op) {
		case HCL_OP_ADD:
			rc = hcl_num_add(a, b, &n);
			break;
		case HCL_OP_SUB:
			rc = hcl_num_sub(a, b, &n);
			break;
		case HCL_OP_MUL:
			rc = hcl_num_mul(a, b, &n);
			break;
		case HCL_OP_DIV:
			rc = hcl_num_quo(a, b, &n);
			if (rc < 0)
				fail = "can't divide zero by zero or infinity by infinity";
			break;
		case HCL_OP_MOD:
			rc = hcl_num_mod(a, b, &n);
			break;
		case HCL_OP_LT:
			res = hcl_bool(hcl_num_cmp(a, b) < 0);
			break;
		case HCL_OP_LE:
			res = hcl_bool(hcl_num_cmp(a, b) <= 0);
			break;
		case HCL_OP_GT:
			res = hcl_bool(hcl_num_cmp(a, b) > 0);
			break;
		case HCL_OP_GE:
			res = hcl_bool(hcl_num_cmp(a, b) >= 0);
			break;
		default:
			break;
		}
		if (rc < 0 && !fail)
			fail = "can't compute the result: it is not a number (an infinity cancels another)";
		if (n)
			res = hcl_number(n);
	}
	if (fail) {
		annotate(err_at(diags, &e->range, NULL, "Operation failed", "Error during operation: %s.", fail), e, ctx);
		goto unknown;
	}
	res = with_marks(res, marks);
	goto out;
unknown:
	res = hcl_unknown(hcl_type_ref((struct hcl_type *)rt));
out:
	hcl_value_unref(l);
	hcl_value_unref(r);
	return res;
}

/* A chain of binary operators (1 + 1 + ... + 1) is a tree as deep on its left as the chain is long,
 * and no parser limit applies to it (Packer evaluates chains of any length): its operators are
 * applied in a loop, innermost (leftmost) first, so that no length of chain can exhaust the stack.
 * The result and the diagnostics are those of evaluating each operator's operands in turn. */
static struct hcl_value *eval_binary(const struct hcl_expr *e, struct hcl_eval_ctx *ctx, struct hcl_diags *diags)
{
	size_t before = diag_errors(diags);
	const struct hcl_expr *few[16];
	size_t n;
	const struct hcl_expr **chain = hcl_binary_chain(e, few, 16, &n);
	struct hcl_value *acc = eval(chain[n - 1]->u.binary.lhs, ctx, diags);
	while (n-- > 0) {
		struct hcl_value *rhs = eval(chain[n]->u.binary.rhs, ctx, diags);
		acc = apply_binary(chain[n], acc, rhs, before, ctx, diags);
	}
	if (chain != few)
		free(chain);
	return acc;
}

static struct hcl_value *eval_unary(const struct hcl_expr *e, struct hcl_eval_ctx *ctx, struct hcl_diags *diags)
{
	bool neg = e->u.unary.op == HCL_OP_NEG;
	const struct hcl_type *t = neg ? HCL_T_NUMBER : HCL_T_BOOL;
	size_t before = diag_errors(diags);
	struct hcl_value *g = eval(e->u.unary.operand, ctx, diags);
	struct hcl_convert_error ce = {0};
	struct hcl_value *v = hcl_convert(g, t, &ce);
	hcl_value_unref(g);
	if (!v) {
		annotate(err_at(diags, &e->u.unary.operand->range, &e->range, "Invalid operand",
				"Unsuitable value for unary operand: %s.", ce.msg), e->u.unary.operand, ctx);
		hcl_convert_error_free(&ce);
	}
	if (diag_errors(diags) > before) {
		hcl_value_unref(v);
		return hcl_unknown((struct hcl_type *)t);
	}
	unsigned marks;
	v = hcl_unmark_deep(v, &marks);
	struct hcl_value *r;
	if (v->null) {
		err_at(diags, &e->range, NULL, "Operation failed", "Error during operation: %s.",
		       "argument must not be null");
		r = hcl_unknown((struct hcl_type *)t);
	} else if (v->unknown) {
		r = with_marks(hcl_unknown((struct hcl_type *)t), marks);
	} else if (neg) {
		r = with_marks(hcl_number(hcl_num_neg(hcl_num_of(v))), marks);
	} else {
		r = with_marks(hcl_bool(!hcl_true(v)), marks);
	}
	hcl_value_unref(v);
	return r;
}

static bool is_dynamic_null(const struct hcl_value *v)
{
	return v->null && v->type->kind == HCL_DYNAMIC;
}

static struct hcl_value *eval_conditional(const struct hcl_expr *e, struct hcl_eval_ctx *ctx,
					  struct hcl_diags *diags)
{
	struct hcl_diags td = HCL_DIAGS_INIT, fd = HCL_DIAGS_INIT;
	struct hcl_value *tv = eval(e->u.cond.true_expr, ctx, &td);
	struct hcl_value *fv = eval(e->u.cond.false_expr, ctx, &fd);
	struct hcl_type *rtype = NULL;
	struct hcl_value *res = NULL;
	if (is_dynamic_null(tv)) {
		rtype = hcl_type_ref(fv->type);
	} else if (is_dynamic_null(fv)) {
		rtype = hcl_type_ref(tv->type);
	} else if (tv->type->kind == HCL_DYNAMIC || fv->type->kind == HCL_DYNAMIC) {
		rtype = HCL_T_DYNAMIC;
	} else {
		struct hcl_type *ts[2] = {tv->type, fv->type};
		rtype = hcl_unify_types(ts, 2, true);
	}
	if (!rtype) {
		char *a = hcl_type_friendly_name(tv->type), *b = hcl_type_friendly_name(fv->type);
		struct hcl_range between = hcl_range_between(e->u.cond.true_expr->range, e->u.cond.false_expr->range);
		err_at(diags, &between, &e->range, "Inconsistent conditional result types",
		       "The true and false result expressions must have consistent types. The given expressions are %s and %s, respectively.",
		       a, b);
		free(a);
		free(b);
		res = dynval();
		goto out;
	}
	struct hcl_value *c = eval(e->u.cond.cond, ctx, diags);
	if (c->null) {
		annotate(err_at(diags, &e->u.cond.cond->range, &e->range, "Null condition",
				"The condition value is null. Conditions must either be true or false."), e->u.cond.cond, ctx);
		hcl_value_unref(c);
		res = hcl_unknown(hcl_type_ref(rtype));
		goto out;
	}
	if (c->unknown) {
		res = with_marks(hcl_unknown(hcl_type_ref(rtype)), c->marks);
		hcl_value_unref(c);
		goto out;
	}
	struct hcl_value *cb = hcl_convert(c, HCL_T_BOOL, NULL);
	hcl_value_unref(c);
	if (!cb) {
		annotate(err_at(diags, &e->u.cond.cond->range, &e->range, "Incorrect condition type",
				"The condition expression must be of type bool."), e->u.cond.cond, ctx);
		res = hcl_unknown(hcl_type_ref(rtype));
		goto out;
	}
	bool which = hcl_true(cb);
	unsigned cmarks = cb->marks;
	hcl_value_unref(cb);
	struct hcl_value *chosen = which ? tv : fv;
	hcl_diags_append(diags, which ? &td : &fd);
	struct hcl_convert_error ce = {0};
	res = hcl_convert(chosen, rtype, &ce);
	if (!res) {
		err_at(diags, which ? &e->u.cond.true_expr->range : &e->u.cond.false_expr->range, &e->range,
		       "Inconsistent conditional result types", "The %s result value has the wrong type: %s.",
		       which ? "true" : "false", ce.msg);
		hcl_convert_error_free(&ce);
		res = hcl_unknown(hcl_type_ref(rtype));
	}
	res = with_marks(res, cmarks);
out:
	hcl_type_unref(rtype);
	hcl_value_unref(tv);
	hcl_value_unref(fv);
	hcl_diags_free(&td);
	hcl_diags_free(&fd);
	return res;
}

static struct hcl_value *eval_tuple(const struct hcl_expr *e, struct hcl_eval_ctx *ctx, struct hcl_diags *diags)
{
	struct hcl_vec vec = HCL_VEC_INIT;
	for (size_t i = 0; i < e->u.tuple.nitems; i++)
		hcl_vec_push(&vec, eval(e->u.tuple.items[i], ctx, diags));
	return hcl_vec_to_tuple(&vec);
}

static struct hcl_value *eval_object(const struct hcl_expr *e, struct hcl_eval_ctx *ctx, struct hcl_diags *diags)
{
	struct hcl_vec vec = HCL_VEC_INIT;
	bool known = true;
	for (size_t i = 0; i < e->u.object.nitems; i++) {
		const struct hcl_object_item *it = &e->u.object.items[i];
		size_t before = diag_errors(diags);
		struct hcl_value *k = eval(it->key, ctx, diags);
		bool key_failed = diag_errors(diags) > before;
		struct hcl_value *v = eval(it->value, ctx, diags);
		if (key_failed) {
			known = false;
		} else if (k->null) {
			err_at(diags, &it->value->range, NULL, "Null value as key", "Can't use a null value as a key.");
			known = false;
		} else {
			struct hcl_convert_error ce = {0};
			struct hcl_value *ks = hcl_convert(k, HCL_T_STRING, &ce);
			if (!ks) {
				err_at(diags, &it->key->range, NULL, "Incorrect key type",
				       "Can't use this value as a key: %s.", ce.msg);
				hcl_convert_error_free(&ce);
				known = false;
			} else if (ks->unknown) {
				known = false;
			} else {
				char *key = xstrndup(hcl_str(ks), hcl_str_len(ks));
				/* duplicate keys: the last one wins */
				bool replaced = false;
				for (size_t j = 0; j < vec.n; j++)
					if (strcmp(vec.k[j], key) == 0) {
						hcl_value_unref(vec.v[j]);
						vec.v[j] = hcl_value_ref(v);
						replaced = true;
					}
				if (!replaced)
					hcl_vec_push_kv(&vec, key, hcl_value_ref(v));
				free(key);
			}
			hcl_value_unref(ks);
		}
		hcl_value_unref(k);
		hcl_value_unref(v);
	}
	if (!known) {
		hcl_vec_free(&vec);
		return dynval();
	}
	return hcl_vec_to_object(&vec);
}

static bool iterable(const struct hcl_value *v)
{
	return hcl_is_collection_value(v);
}

/* key for iteration: index (sequences), key string (mappings), the element itself (sets) */
static struct hcl_value *iter_key(const struct hcl_value *coll, size_t i)
{
	switch (coll->type->kind) {
	case HCL_MAP: case HCL_OBJECT:
		return hcl_string(hcl_key(coll, i));
	case HCL_SET:
		return hcl_value_ref(hcl_elem(coll, i));
	default:
		return hcl_number_int((int64_t)i);
	}
}

static struct hcl_value *eval_for(const struct hcl_expr *e, struct hcl_eval_ctx *ctx, struct hcl_diags *diags)
{
	const typeof(e->u.for_) *f = &e->u.for_;
	struct hcl_value *coll = eval(f->coll, ctx, diags);
	struct hcl_value *res = NULL;
	if (coll->null) {
		err_at(diags, &f->coll->range, &e->range, "Iteration over null value",
		       "A null value cannot be used as the collection in a 'for' expression.");
		hcl_value_unref(coll);
		return dynval();
	}
	if (coll->type->kind == HCL_DYNAMIC) {
		hcl_value_unref(coll);
		return dynval();
	}
	if (!iterable(coll)) {
		char *tn = hcl_type_friendly_name(coll->type);
		err_at(diags, &f->coll->range, &e->range, "Iteration over non-iterable value",
		       "A value of type %s cannot be used as the collection in a 'for' expression.", tn);
		free(tn);
		hcl_value_unref(coll);
		return dynval();
	}
	if (coll->unknown) {
		hcl_value_unref(coll);
		return dynval();
	}
	unsigned marks = coll->marks;
	struct hcl_vec vec = HCL_VEC_INIT;
	struct strv group_keys = STRV_INIT;
	struct hcl_vec *groups = NULL;
	bool known = true, failed = false;
	size_t n = hcl_len(coll);
	for (size_t i = 0; i < n && !failed; i++) {
		struct hcl_eval_ctx *child = hcl_eval_ctx_child(ctx);
		if (f->key_var)
			hcl_eval_ctx_set_var(child, f->key_var, iter_key(coll, i));
		hcl_eval_ctx_set_var(child, f->value_var, hcl_value_ref(hcl_elem(coll, i)));
		if (f->cond) {
			size_t before = diag_errors(diags);
			struct hcl_value *c = eval(f->cond, child, diags);
			if (diag_errors(diags) > before) {
				known = false;
				hcl_value_unref(c);
				hcl_eval_ctx_free(child);
				continue;
			}
			if (c->null) {
				annotate(err_at(diags, &f->cond->range, &e->range, "Condition is null",
						"The value of the 'if' clause must not be null."), f->cond, child);
				failed = true;
			} else {
				struct hcl_convert_error ce = {0};
				struct hcl_value *cb = hcl_convert(c, HCL_T_BOOL, &ce);
				if (!cb) {
					annotate(err_at(diags, &f->cond->range, &e->range, "Invalid 'for' condition",
							"The 'if' clause value is invalid: %s.", ce.msg), f->cond, child);
					hcl_convert_error_free(&ce);
					failed = true;
				} else if (cb->unknown) {
					known = false;
				} else {
					marks |= cb->marks;
					if (!hcl_true(cb)) {
						hcl_value_unref(cb);
						hcl_value_unref(c);
						hcl_eval_ctx_free(child);
						continue;
					}
				}
				hcl_value_unref(cb);
			}
			hcl_value_unref(c);
			if (failed || !known) {
				hcl_eval_ctx_free(child);
				continue;
			}
		}
		if (f->is_object) {
			size_t before = diag_errors(diags);
			struct hcl_value *k = eval(f->key_expr, child, diags);
			struct hcl_value *v = eval(f->value_expr, child, diags);
			if (diag_errors(diags) > before) {
				known = false;
			} else if (k->null) {
				annotate(err_at(diags, &f->key_expr->range, &e->range, "Invalid object key",
						"Key expression in 'for' expression must not produce a null value."), f->key_expr, child);
				known = false;
			} else if (k->unknown) {
				known = false;
			} else {
				struct hcl_convert_error ce = {0};
				struct hcl_value *ks = hcl_convert(k, HCL_T_STRING, &ce);
				if (!ks) {
					annotate(err_at(diags, &f->key_expr->range, &e->range, "Invalid object key",
							"The key expression produced an invalid result: %s.", ce.msg), f->key_expr, child);
					hcl_convert_error_free(&ce);
					known = false;
				} else {
					marks |= ks->marks;
					const char *key = hcl_str(ks);
					if (f->group) {
						size_t gi;
						for (gi = 0; gi < group_keys.n; gi++)
							if (strcmp(group_keys.v[gi], key) == 0)
								break;
						if (gi == group_keys.n) {
							strv_push(&group_keys, key);
							groups = xrealloc(groups, group_keys.n * sizeof(*groups));
							groups[gi] = (struct hcl_vec)HCL_VEC_INIT;
						}
						hcl_vec_push(&groups[gi], hcl_value_ref(v));
					} else {
						bool dup = false;
						for (size_t j = 0; j < vec.n; j++)
							if (strcmp(vec.k[j], key) == 0)
								dup = true;
						if (dup) {
							annotate(err_at(diags, &f->key_expr->range, &e->range, "Duplicate object key",
							       "Two different items produced the key \"%s\" in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key.",
							       key), f->key_expr, child);
							known = false;
						} else {
							hcl_vec_push_kv(&vec, key, hcl_value_ref(v));
						}
					}
					hcl_value_unref(ks);
				}
			}
			hcl_value_unref(k);
			hcl_value_unref(v);
		} else {
			size_t before = diag_errors(diags);
			struct hcl_value *v = eval(f->value_expr, child, diags);
			if (diag_errors(diags) > before)
				known = false;
			hcl_vec_push(&vec, v);
		}
		hcl_eval_ctx_free(child);
	}
	hcl_value_unref(coll);
	if (f->group) {
		for (size_t gi = 0; gi < group_keys.n; gi++)
			hcl_vec_push_kv(&vec, group_keys.v[gi], hcl_vec_to_tuple(&groups[gi]));
		free(groups);
		strv_free(&group_keys);
	}
	if (failed || !known) {
		hcl_vec_free(&vec);
		return dynval();
	}
	res = f->is_object ? hcl_vec_to_object(&vec) : hcl_vec_to_tuple(&vec);
	return with_marks(res, marks);
}

static struct hcl_value *eval_splat(const struct hcl_expr *e, struct hcl_eval_ctx *ctx, struct hcl_diags *diags)
{
	size_t before = diag_errors(diags);
	struct hcl_value *src = eval(e->u.splat.source, ctx, diags);
	if (diag_errors(diags) > before) {
		hcl_value_unref(src);
		return dynval();
	}
	enum hcl_kind k = src->type->kind;
	bool upgrade = !(k == HCL_TUPLE || k == HCL_LIST || k == HCL_SET);
	if (k == HCL_DYNAMIC) {
		/* HCL: a source of unknown type (also a literal null) gives an unknown result */
		hcl_value_unref(src);
		return dynval();
	}
	if (src->null) {
		hcl_value_unref(src);
		if (upgrade)
			return hcl_empty_tuple();
		struct hcl_range ctxr = hcl_range_between(e->u.splat.source->range, e->u.splat.marker_range);
		err_at(diags, &e->u.splat.source->range, &ctxr, "Splat of null value",
		       "Splat expressions (with the * symbol) cannot be applied to null sequences.");
		return dynval();
	}
	if (upgrade) {
		if (src->unknown && k == HCL_DYNAMIC) {
			hcl_value_unref(src);
			return dynval();
		}
		struct hcl_value *items[1] = {src};
		src = hcl_tuple(items, 1);
	}
	if (src->unknown) {
		hcl_value_unref(src);
		return dynval();
	}
	unsigned marks = src->marks;
	struct hcl_vec vec = HCL_VEC_INIT;
	bool known = true;
	for (size_t i = 0; i < hcl_len(src); i++) {
		struct hcl_eval_ctx *child = hcl_eval_ctx_child(ctx);
		child->anon = e->u.splat.item;
		child->anon_val = hcl_value_ref(hcl_elem(src, i));
		size_t b2 = diag_errors(diags);
		struct hcl_value *v = eval(e->u.splat.each, child, diags);
		if (diag_errors(diags) > b2)
			known = false;
		hcl_vec_push(&vec, v);
		hcl_eval_ctx_free(child);
	}
	struct hcl_value *res;
	if (!known) {
		hcl_vec_free(&vec);
		res = dynval();
	} else if (k == HCL_LIST || k == HCL_SET) {
		/* a list in, a list out: elements must agree in type */
		struct hcl_type **ts = xcalloc(vec.n ? vec.n : 1, sizeof(*ts));
		for (size_t i = 0; i < vec.n; i++)
			ts[i] = vec.v[i]->type;
		struct hcl_type *u = vec.n ? hcl_unify_types(ts, vec.n, false) : HCL_T_DYNAMIC;
		free(ts);
		if (!u) {
			res = hcl_vec_to_tuple(&vec);
		} else {
			struct hcl_vec conv = HCL_VEC_INIT;
			for (size_t i = 0; i < vec.n; i++) {
				struct hcl_value *c = hcl_convert(vec.v[i], u, NULL);
				hcl_vec_push(&conv, c ? c : hcl_value_ref(vec.v[i]));
			}
			hcl_vec_free(&vec);
			res = hcl_vec_to_list(&conv, u);
		}
	} else {
		res = hcl_vec_to_tuple(&vec);
	}
	hcl_value_unref(src);
	return with_marks(res, marks);
}

static struct hcl_value *eval_anon(const struct hcl_expr *e, struct hcl_eval_ctx *ctx)
{
	for (; ctx; ctx = ctx->parent)
		if (ctx->anon == e && ctx->anon_val)
			return hcl_value_ref(ctx->anon_val);
	return dynval();
}

/* try() and can() take their arguments unevaluated (cty's expression closures). */
static struct hcl_value *eval_try_can(const struct hcl_expr *e, bool is_can, struct hcl_eval_ctx *ctx,
				      struct hcl_diags *diags)
{
	size_t nargs = e->u.call.nargs;
	if (is_can && nargs != 1) {
		if (nargs == 0)
			err_at(diags, &e->u.call.close_paren_range, &e->range, "Not enough function arguments",
			       "Function \"can\" expects 1 argument(s). Missing value for \"expression\".");
		else
			err_at(diags, &e->u.call.args[1]->range, &e->range, "Too many function arguments",
			       "Function \"can\" expects only 1 argument(s).");
		return hcl_unknown(HCL_T_BOOL);
	}
	if (!is_can && nargs == 0) {
		err_at(diags, &e->range, NULL, "Error in function call",
		       "Call to function \"try\" failed: at least one argument is required.");
		return dynval();
	}
	struct hcl_diags collected = HCL_DIAGS_INIT;
	for (size_t i = 0; i < nargs; i++) {
		struct hcl_diags d = HCL_DIAGS_INIT;
		struct hcl_value *v = eval(e->u.call.args[i], ctx, &d);
		if (!hcl_diags_has_errors(&d)) {
			hcl_diags_append(diags, &d); /* warnings */
			hcl_diags_free(&collected);
			if (is_can) {
				bool known = hcl_is_wholly_known(v);
				hcl_value_unref(v);
				return known ? hcl_bool(true) : hcl_unknown(HCL_T_BOOL);
			}
			if (!hcl_is_wholly_known(v)) {
				/* cty: an unknown result could still fail later; the whole try is unknown */
				hcl_value_unref(v);
				return dynval();
			}
			return v;
		}
		hcl_value_unref(v);
		hcl_diags_append(&collected, &d);
		hcl_diags_free(&d);
	}
	if (is_can) {
		hcl_diags_free(&collected);
		return hcl_bool(false);
	}
	/* every argument failed: cty reports the call as failed, with each error */
	struct buf detail = BUF_INIT;
	buf_puts(&detail, "Call to function \"try\" failed: no expression succeeded:");
	for (size_t i = 0; i < collected.n; i++) {
		const struct hcl_diag *d = &collected.v[i];
		if (d->severity != HCL_DIAG_ERROR)
			continue;
		char *rs = d->has_subject ? hcl_range_string(&d->subject) : NULL;
		buf_printf(&detail, "\n- %s", d->summary);
		if (rs)
			buf_printf(&detail, " (at %s)", rs);
		if (d->detail)
			buf_printf(&detail, "\n  %s", d->detail);
		free(rs);
	}
	buf_puts(&detail, "\n\nAt least one expression must produce a successful result.");
	err_at(diags, &e->range, NULL, "Error in function call", "%s", buf_cstr(&detail));
	buf_free(&detail);
	hcl_diags_free(&collected);
	return dynval();
}

/* convert(value, type): the second argument is a type constraint, not a value. */
static struct hcl_value *eval_convert(const struct hcl_expr *e, struct hcl_eval_ctx *ctx, struct hcl_diags *diags)
{
	if (e->u.call.nargs != 2) {
		if (e->u.call.nargs < 2)
			err_at(diags, &e->u.call.close_paren_range, &e->range, "Not enough function arguments",
			       "Function \"convert\" expects 2 argument(s). Missing value for \"%s\".",
			       e->u.call.nargs == 0 ? "value" : "type");
		else
			err_at(diags, &e->u.call.args[2]->range, &e->range, "Too many function arguments",
			       "Function \"convert\" expects only 2 argument(s).");
		return dynval();
	}
	struct hcl_value *v = eval(e->u.call.args[0], ctx, diags);
	struct hcl_type *t = hcl_eval_type_expr(e->u.call.args[1], true, diags);
	if (!t) {
		hcl_value_unref(v);
		return dynval();
	}
	struct hcl_convert_error ce = {0};
	struct hcl_value *r = hcl_convert(v, t, &ce);
	if (!r) {
		err_at(diags, &e->u.call.args[0]->range, &e->range, "Invalid function argument",
		       "Invalid value for \"value\" parameter: %s.", ce.msg);
		hcl_convert_error_free(&ce);
		r = hcl_unknown(hcl_type_ref(t));
	}
	hcl_type_unref(t);
	hcl_value_unref(v);
	return r;
}

static struct hcl_value *eval_call(const struct hcl_expr *e, struct hcl_eval_ctx *ctx, struct hcl_diags *diags)
{
	const char *name = e->u.call.name;
	if (ctx_has_funcs(ctx)) {
		if (strcmp(name, "try") == 0 || strcmp(name, "can") == 0)
			return eval_try_can(e, name[0] == 'c', ctx, diags);
		if (strcmp(name, "convert") == 0)
			return eval_convert(e, ctx, diags);
	}
	const struct hcl_func *fn = hcl_eval_ctx_func(ctx, name);
	if (!fn) {
		if (!ctx_has_funcs(ctx)) {
			err_at(diags, &e->u.call.name_range, &e->range, "Function calls not allowed",
			       "Functions may not be called here.");
			return dynval();
		}
		struct strv names = STRV_INIT;
		hcl_eval_ctx_func_names(ctx, &names);
		const char *sug = hcl_name_suggestion(name, (const char *const *)names.v, names.n);
		if (sug)
			err_at(diags, &e->u.call.name_range, &e->range, "Call to unknown function",
			       "There is no function named \"%s\". Did you mean \"%s\"?", name, sug);
		else
			err_at(diags, &e->u.call.name_range, &e->range, "Call to unknown function",
			       "There is no function named \"%s\".", name);
		strv_free(&names);
		/* still evaluate the arguments, to report their problems too */
		for (size_t i = 0; i < e->u.call.nargs; i++)
			hcl_value_unref(eval(e->u.call.args[i], ctx, diags));
		return dynval();
	}

	size_t before = diag_errors(diags);
	struct hcl_vec args = HCL_VEC_INIT;
	size_t expr_cap = 0;
	const struct hcl_expr **arg_exprs = xgrow(NULL, &expr_cap, e->u.call.nargs + 1, sizeof(*arg_exprs));
	size_t nexpr = 0;
	struct hcl_value *res = NULL;
	for (size_t i = 0; i < e->u.call.nargs; i++) {
		const struct hcl_expr *ae = e->u.call.args[i];
		struct hcl_value *v = eval(ae, ctx, diags);
		if (e->u.call.expand_final && i + 1 == e->u.call.nargs) {
			if (v->null) {
				err_at(diags, &ae->range, &e->range, "Invalid expanding argument value",
				       "The expanding argument (indicated by ...) must not be null.");
				hcl_value_unref(v);
				res = dynval();
				goto out;
			}
			if (v->unknown && (hcl_is_sequence(v) || v->type->kind == HCL_DYNAMIC)) {
				hcl_value_unref(v);
				res = dynval();
				goto out;
			}
			if (!hcl_is_sequence(v)) {
				err_at(diags, &ae->range, &e->range, "Invalid expanding argument value",
				       "The expanding argument (indicated by ...) must be of a tuple, list, or set type.");
				hcl_value_unref(v);
				res = dynval();
				goto out;
			}
			for (size_t j = 0; j < hcl_len(v); j++) {
				hcl_vec_push(&args, with_marks(hcl_value_ref(hcl_elem(v, j)), v->marks));
				arg_exprs = xgrow(arg_exprs, &expr_cap, args.n + 1, sizeof(*arg_exprs));
				arg_exprs[nexpr++] = ae;
			}
			hcl_value_unref(v);
		} else {
			hcl_vec_push(&args, v);
			arg_exprs = xgrow(arg_exprs, &expr_cap, args.n + 1, sizeof(*arg_exprs));
			arg_exprs[nexpr++] = ae;
		}
	}
	size_t nparams = hcl_func_nparams(fn);
	if (args.n < nparams) {
		const struct hcl_param *missing = &fn->params[args.n];
		err_at(diags, &e->u.call.close_paren_range, &e->range, "Not enough function arguments",
		       "Function \"%s\" expects %zu argument(s). Missing value for \"%s\".", name, nparams,
		       missing->name);
		res = dynval();
		goto out;
	}
	if (args.n > nparams && !fn->varparam) {
		err_at(diags, &arg_exprs[nparams]->range, &e->range, "Too many function arguments",
		       "Function \"%s\" expects only %zu argument(s).", name, nparams);
		res = dynval();
		goto out;
	}
	if (diag_errors(diags) > before) {
		res = dynval();
		goto out;
	}
	/* HCL converts every argument to its parameter's type first and reports each failure */
	for (size_t i = 0; i < args.n; i++) {
		const struct hcl_param *p = hcl_func_param(fn, i);
		const struct hcl_type *pt = hcl_param_type(p);
		struct hcl_convert_error ce = {0};
		struct hcl_value *cv = hcl_convert(args.v[i], pt, &ce);
		if (!cv) {
			struct hcl_diag *d = err_at(diags, &arg_exprs[i]->range, &e->range, "Invalid function argument",
						    "Invalid value for \"%s\" parameter: %s.", p->name, ce.msg);
			annotate(d, arg_exprs[i], ctx);
			hcl_convert_error_free(&ce);
		}
		hcl_value_unref(cv);
	}
	if (diag_errors(diags) > before) {
		res = dynval();
		goto out;
	}
	struct hcl_call call = {.fn = fn, .ctx = ctx, .err = NULL, .err_arg = -1, .marks = 0};
	res = hcl_func_call(&call, args.v, args.n);
	if (!res) {
		if (call.err_arg >= 0 && (size_t)call.err_arg < args.n) {
			const struct hcl_param *p = hcl_func_param(fn, (size_t)call.err_arg);
			struct hcl_diag *d = err_at(diags, &arg_exprs[call.err_arg]->range, &e->range,
						    "Invalid function argument", "Invalid value for \"%s\" parameter: %s.",
						    p->name, call.err);
			annotate(d, arg_exprs[call.err_arg], ctx);
		} else {
			struct hcl_diag *d = err_at(diags, &e->range, NULL, "Error in function call",
						    "Call to function \"%s\" failed: %s.", name, call.err);
			annotate(d, e, ctx);
		}
		hcl_call_clear(&call);
		res = dynval();
	}
out:
	free(arg_exprs);
	hcl_vec_free(&args);
	return res;
}

/* Template parts, one string. Literal pieces need no conversion. */
static void eval_template_parts(const struct hcl_template *t, struct hcl_eval_ctx *ctx, struct hcl_diags *diags,
				struct buf *out, bool *known, unsigned *marks, const struct hcl_range *whole);

static void append_template_value(struct hcl_value *v, const struct hcl_expr *part, struct hcl_eval_ctx *ctx,
				  const struct hcl_range *whole, struct hcl_diags *diags, struct buf *out, bool *known,
				  unsigned *marks)
{
	const struct hcl_range *part_range = &part->range;
	if (v->null) {
		annotate(err_at(diags, part_range, whole, "Invalid template interpolation value",
				"The expression result is null. Cannot include a null value in a string template."), part, ctx);
		return;
	}
	if (v->unknown) {
		*known = false;
		return;
	}
	struct hcl_convert_error ce = {0};
	struct hcl_value *s = hcl_convert(v, HCL_T_STRING, &ce);
	if (!s) {
		annotate(err_at(diags, part_range, whole, "Invalid template interpolation value",
				"Cannot include the given value in a string template: %s.", ce.msg), part, ctx);
		hcl_convert_error_free(&ce);
		return;
	}
	*marks |= hcl_marks_deep(s);
	buf_append(out, hcl_str(s), hcl_str_len(s));
	hcl_value_unref(s);
}

static void eval_template_parts(const struct hcl_template *t, struct hcl_eval_ctx *ctx, struct hcl_diags *diags,
				struct buf *out, bool *known, unsigned *marks, const struct hcl_range *whole)
{
	for (size_t i = 0; i < t->nparts; i++) {
		const struct hcl_template_part *p = &t->parts[i];
		switch (p->kind) {
		case HCL_TPART_LITERAL:
			buf_append(out, p->text, p->len);
			break;
		case HCL_TPART_INTERP: {
			struct hcl_value *v = eval(p->expr, ctx, diags);
			append_template_value(v, p->expr, ctx, whole, diags, out, known, marks);
			hcl_value_unref(v);
			break;
		}
		case HCL_TPART_IF: {
			struct hcl_value *c = eval(p->cond, ctx, diags);
			if (c->null) {
				err_at(diags, &p->cond->range, &p->range, "Null condition",
				       "The condition value is null. Conditions must either be true or false.");
				*known = false;
			} else if (c->unknown) {
				*known = false;
			} else {
				struct hcl_value *cb = hcl_convert(c, HCL_T_BOOL, NULL);
				if (!cb) {
					err_at(diags, &p->cond->range, &p->range, "Incorrect condition type",
					       "The condition expression must be of type bool.");
					*known = false;
				} else {
					*marks |= cb->marks;
					if (hcl_true(cb))
						eval_template_parts(p->then_t, ctx, diags, out, known, marks, whole);
					else if (p->else_t)
						eval_template_parts(p->else_t, ctx, diags, out, known, marks, whole);
					hcl_value_unref(cb);
				}
			}
			hcl_value_unref(c);
			break;
		}
		case HCL_TPART_FOR: {
			struct hcl_value *coll = eval(p->coll, ctx, diags);
			if (coll->null) {
				err_at(diags, &p->coll->range, &p->range, "Iteration over null value",
				       "A null value cannot be used as the collection in a 'for' expression.");
				*known = false;
			} else if (coll->type->kind == HCL_DYNAMIC || coll->unknown) {
				*known = false;
			} else if (!iterable(coll)) {
				char *tn = hcl_type_friendly_name(coll->type);
				err_at(diags, &p->coll->range, &p->range, "Iteration over non-iterable value",
				       "A value of type %s cannot be used as the collection in a 'for' expression.", tn);
				free(tn);
				*known = false;
			} else {
				*marks |= coll->marks;
				for (size_t j = 0; j < hcl_len(coll); j++) {
					struct hcl_eval_ctx *child = hcl_eval_ctx_child(ctx);
					if (p->key_var)
						hcl_eval_ctx_set_var(child, p->key_var, iter_key(coll, j));
					hcl_eval_ctx_set_var(child, p->value_var, hcl_value_ref(hcl_elem(coll, j)));
					eval_template_parts(p->body, child, diags, out, known, marks, whole);
					hcl_eval_ctx_free(child);
				}
			}
			hcl_value_unref(coll);
			break;
		}
		}
	}
}

static struct hcl_value *eval_template(const struct hcl_expr *e, struct hcl_eval_ctx *ctx, struct hcl_diags *diags)
{
	struct buf out = BUF_INIT;
	bool known = true;
	unsigned marks = 0;
	eval_template_parts(e->u.template_.tmpl, ctx, diags, &out, &known, &marks, &e->range);
	struct hcl_value *r;
	if (!known)
		r = hcl_unknown(HCL_T_STRING);
	else
		r = hcl_string_n(out.data ? out.data : "", out.len);
	buf_free(&out);
	return with_marks(r, marks);
}

/* A value built by e (a constructor, a for or splat expression, a function call) that nests deeper
 * than HCL_MAX_VALUE_DEPTH: an error, so that no value walk can exhaust the stack (see value.h). */
static struct hcl_value *bounded(const struct hcl_expr *e, struct hcl_value *v, struct hcl_diags *diags)
{
	if (hcl_depth(v) <= HCL_MAX_VALUE_DEPTH)
		return v;
	err_at(diags, &e->range, NULL, "Value too deeply nested",
	       "This value nests lists, maps and objects more than %d levels deep.", HCL_MAX_VALUE_DEPTH);
	hcl_value_unref(v);
	return dynval();
}

static struct hcl_value *eval(const struct hcl_expr *e, struct hcl_eval_ctx *ctx, struct hcl_diags *diags)
{
	if (!e)
		return dynval();
	switch (e->kind) {
	case HCL_EXPR_LITERAL:
		return literal_value(&e->u.literal);
	case HCL_EXPR_TEMPLATE:
		return eval_template(e, ctx, diags);
	case HCL_EXPR_TEMPLATE_WRAP:
	case HCL_EXPR_PARENS:
		return eval(e->u.wrap.inner, ctx, diags);
	case HCL_EXPR_SCOPE_TRAVERSAL:
		return eval_scope_traversal(e, ctx, diags);
	case HCL_EXPR_RELATIVE_TRAVERSAL: {
		size_t before = diag_errors(diags);
		struct hcl_value *src = eval(e->u.rel.source, ctx, diags);
		if (diag_errors(diags) > before) {
			hcl_value_unref(src);
			return dynval();
		}
		return traverse(src, &e->u.rel.traversal, diags);
	}
	case HCL_EXPR_INDEX: {
		struct hcl_value *coll = eval(e->u.index.coll, ctx, diags);
		struct hcl_value *key = eval(e->u.index.key, ctx, diags);
		struct hcl_value *r = hcl_index_value(coll, key, &e->u.index.bracket_range, diags);
		hcl_value_unref(coll);
		hcl_value_unref(key);
		return r;
	}
	case HCL_EXPR_SPLAT:
		return bounded(e, eval_splat(e, ctx, diags), diags);
	case HCL_EXPR_ANON_SYMBOL:
		return eval_anon(e, ctx);
	case HCL_EXPR_FUNCTION_CALL:
		return bounded(e, eval_call(e, ctx, diags), diags);
	case HCL_EXPR_CONDITIONAL:
		return eval_conditional(e, ctx, diags);
	case HCL_EXPR_BINARY_OP:
		return eval_binary(e, ctx, diags);
	case HCL_EXPR_UNARY_OP:
		return eval_unary(e, ctx, diags);
	case HCL_EXPR_TUPLE_CONS:
		return bounded(e, eval_tuple(e, ctx, diags), diags);
	case HCL_EXPR_OBJECT_CONS:
		return bounded(e, eval_object(e, ctx, diags), diags);
	case HCL_EXPR_FOR:
		return bounded(e, eval_for(e, ctx, diags), diags);
	case HCL_EXPR_INVALID:
	default:
		return dynval();
	}
}

struct hcl_value *hcl_eval(const struct hcl_expr *expr, struct hcl_eval_ctx *ctx, struct hcl_diags *diags)
{
	return eval(expr, ctx, diags);
}

struct hcl_value *hcl_eval_template(const struct hcl_expr *tmpl, struct hcl_eval_ctx *ctx, struct hcl_diags *diags)
{
	struct hcl_value *v = eval(tmpl, ctx, diags);
	if (v->type->kind == HCL_STRING || v->unknown)
		return v;
	struct hcl_convert_error ce = {0};
	struct hcl_value *s = hcl_convert(v, HCL_T_STRING, &ce);
	if (!s) {
		err_at(diags, &tmpl->range, NULL, "Invalid template result",
		       "The template produced a value that is not a string: %s.", ce.msg);
		hcl_convert_error_free(&ce);
		s = hcl_unknown(HCL_T_STRING);
	}
	hcl_value_unref(v);
	return s;
}

struct hcl_value *hcl_eval_as(const struct hcl_expr *expr, const struct hcl_type *want,
			      struct hcl_eval_ctx *ctx, const char *summary, struct hcl_diags *diags)
{
	struct hcl_value *v = eval(expr, ctx, diags);
	struct hcl_convert_error ce = {0};
	struct hcl_value *c = hcl_convert(v, want, &ce);
	if (!c) {
		if (ce.path && *ce.path)
			err_at(diags, &expr->range, NULL, summary ? summary : "Incorrect attribute value type",
			       "Inappropriate value for attribute: %s: %s.", ce.path, ce.msg);
		else
			err_at(diags, &expr->range, NULL, summary ? summary : "Incorrect attribute value type",
			       "Inappropriate value for attribute: %s.", ce.msg);
		hcl_convert_error_free(&ce);
		c = hcl_unknown(hcl_type_ref((struct hcl_type *)want));
	}
	hcl_value_unref(v);
	return c;
}

/* ---- type expressions (HCL's ext/typeexpr) ---- */

static struct hcl_type *type_expr(const struct hcl_expr *e, bool allow_optional, bool *optional,
				  struct hcl_value **def, struct hcl_diags *diags);

static struct hcl_type *type_expr_plain(const struct hcl_expr *e, struct hcl_diags *diags)
{
	return type_expr(e, false, NULL, NULL, diags);
}

static const struct hcl_expr *unparen(const struct hcl_expr *e)
{
	while (e && e->kind == HCL_EXPR_PARENS)
		e = e->u.wrap.inner;
	return e;
}

static struct hcl_type *type_expr(const struct hcl_expr *e, bool allow_optional, bool *optional,
				  struct hcl_value **def, struct hcl_diags *diags)
{
	e = unparen(e);
	const char *kw = hcl_expr_as_keyword(e);
	if (kw) {
		if (strcmp(kw, "bool") == 0)
			return HCL_T_BOOL;
		if (strcmp(kw, "string") == 0)
			return HCL_T_STRING;
		if (strcmp(kw, "number") == 0)
			return HCL_T_NUMBER;
		if (strcmp(kw, "any") == 0)
			return HCL_T_DYNAMIC;
		if (strcmp(kw, "list") == 0 || strcmp(kw, "map") == 0 || strcmp(kw, "set") == 0) {
			err_at(diags, &e->range, NULL, "Invalid type specification",
			       "The %s type constructor requires one argument specifying the element type.", kw);
			return NULL;
		}
		if (strcmp(kw, "object") == 0) {
			err_at(diags, &e->range, NULL, "Invalid type specification",
			       "The object type constructor requires one argument specifying the attribute types as a map.");
			return NULL;
		}
		if (strcmp(kw, "tuple") == 0) {
			err_at(diags, &e->range, NULL, "Invalid type specification",
			       "The tuple type constructor requires one argument specifying the element types as a list.");
			return NULL;
		}
		err_at(diags, &e->range, NULL, "Invalid type specification",
		       "The keyword \"%s\" is not a valid type specification.", kw);
		return NULL;
	}
	if (!e || e->kind != HCL_EXPR_FUNCTION_CALL) {
		err_at(diags, e ? &e->range : NULL, NULL, "Invalid type specification",
		       "A type specification is either a primitive type keyword (bool, number, string) or a complex type constructor call, like list(string).");
		return NULL;
	}
	const char *name = e->u.call.name;
	size_t nargs = e->u.call.nargs;
	if (strcmp(name, "optional") == 0) {
		if (!allow_optional || !optional) {
			err_at(diags, &e->range, NULL, "Invalid type specification",
			       "Keyword \"optional\" is valid only as a modifier for object type attributes.");
			return NULL;
		}
		if (nargs < 1 || nargs > 2) {
			err_at(diags, &e->range, NULL, "Invalid type specification",
			       "The optional modifier requires the attribute type and, optionally, a default value.");
			return NULL;
		}
		struct hcl_type *t = type_expr(e->u.call.args[0], allow_optional, NULL, NULL, diags);
		if (!t)
			return NULL;
		*optional = true;
		if (nargs == 2 && def) {
			struct hcl_eval_ctx *c = hcl_eval_ctx_new_empty();
			struct hcl_value *dv = eval(e->u.call.args[1], c, diags);
			hcl_eval_ctx_free(c);
			struct hcl_convert_error ce = {0};
			struct hcl_value *cv = hcl_convert(dv, t, &ce);
			hcl_value_unref(dv);
			if (!cv) {
				err_at(diags, &e->u.call.args[1]->range, NULL, "Invalid default value for optional attribute",
				       "This default value is not compatible with the attribute's type constraint: %s.", ce.msg);
				hcl_convert_error_free(&ce);
				hcl_type_unref(t);
				return NULL;
			}
			*def = cv;
		}
		return t;
	}
	bool coll = strcmp(name, "list") == 0 || strcmp(name, "map") == 0 || strcmp(name, "set") == 0;
	if (coll || strcmp(name, "object") == 0 || strcmp(name, "tuple") == 0) {
		if (nargs != 1) {
			if (coll)
				err_at(diags, &e->range, NULL, "Invalid type specification",
				       "The %s type constructor requires one argument specifying the element type.", name);
			else if (name[0] == 'o')
				err_at(diags, &e->range, NULL, "Invalid type specification",
				       "The object type constructor requires one argument specifying the attribute types as a map.");
			else
				err_at(diags, &e->range, NULL, "Invalid type specification",
				       "The tuple type constructor requires one argument specifying the element types as a list.");
			return NULL;
		}
	}
	const struct hcl_expr *arg = nargs ? unparen(e->u.call.args[0]) : NULL;
	if (coll) {
		struct hcl_type *el = type_expr(arg, allow_optional, NULL, NULL, diags);
		if (!el)
			return NULL;
		return name[0] == 'l' ? hcl_type_list(el) : name[0] == 's' ? hcl_type_set(el) : hcl_type_map(el);
	}
	if (strcmp(name, "tuple") == 0) {
		if (arg->kind != HCL_EXPR_TUPLE_CONS) {
			err_at(diags, &arg->range, NULL, "Invalid type specification",
			       "The tuple type constructor requires one argument specifying the element types as a list.");
			return NULL;
		}
		size_t n = arg->u.tuple.nitems;
		struct hcl_type **ts = xcalloc(n ? n : 1, sizeof(*ts));
		for (size_t i = 0; i < n; i++) {
			ts[i] = type_expr(arg->u.tuple.items[i], allow_optional, NULL, NULL, diags);
			if (!ts[i]) {
				for (size_t j = 0; j < i; j++)
					hcl_type_unref(ts[j]);
				free(ts);
				return NULL;
			}
		}
		struct hcl_type *t = hcl_type_tuple(ts, n);
		free(ts);
		return t;
	}
	if (strcmp(name, "object") == 0) {
		if (arg->kind != HCL_EXPR_OBJECT_CONS) {
			err_at(diags, &arg->range, NULL, "Invalid type specification",
			       "The object type constructor requires one argument specifying the attribute types as a map.");
			return NULL;
		}
		size_t n = arg->u.object.nitems;
		struct hcl_type **ts = xcalloc(n ? n : 1, sizeof(*ts));
		char **names = xcalloc(n ? n : 1, sizeof(*names));
		bool *opts = xcalloc(n ? n : 1, sizeof(*opts));
		struct hcl_value **defs = xcalloc(n ? n : 1, sizeof(*defs));
		bool ok = true, anydef = false;
		size_t done = 0;
		for (size_t i = 0; i < n && ok; i++) {
			const struct hcl_object_item *it = &arg->u.object.items[i];
			const char *kn = hcl_expr_as_keyword(it->key);
			size_t kl;
			if (!kn)
				kn = hcl_expr_as_string_literal(it->key, &kl);
			if (!kn) {
				err_at(diags, &it->key->range, NULL, "Invalid type specification",
				       "Object constructor map keys must be attribute names.");
				ok = false;
				break;
			}
			names[i] = xstrdup(kn);
			ts[i] = type_expr(it->value, allow_optional, &opts[i], &defs[i], diags);
			done++;
			if (!ts[i])
				ok = false;
			anydef |= defs[i] != NULL;
		}
		struct hcl_type *t = NULL;
		if (ok) {
			t = hcl_type_object((const char *const *)names, ts, n, opts);
			if (anydef) {
				/* attach defaults in the sorted attribute order */
				t->defaults = xcalloc(t->n, sizeof(*t->defaults));
				for (size_t i = 0; i < n; i++) {
					int ai = hcl_type_attr_index(t, names[i]);
					if (ai >= 0 && defs[i] && !t->defaults[ai]) {
						t->defaults[ai] = defs[i];
						defs[i] = NULL;
					}
				}
			}
		} else {
			for (size_t i = 0; i < done; i++)
				hcl_type_unref(ts[i]);
		}
		for (size_t i = 0; i < n; i++) {
			free(names[i]);
			hcl_value_unref(defs[i]);
		}
		free(names);
		free(ts);
		free(opts);
		free(defs);
		return t;
	}
	err_at(diags, &e->u.call.name_range, NULL, "Invalid type specification",
	       "Keyword \"%s\" is not a valid type constructor.", name);
	return NULL;
}

struct hcl_type *hcl_eval_type_expr(const struct hcl_expr *expr, bool allow_optional, struct hcl_diags *diags)
{
	(void)type_expr_plain;
	return type_expr(expr, allow_optional, NULL, NULL, diags);
}
