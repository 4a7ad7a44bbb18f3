/* evaluate.c — giving a loaded template its values: input variables in Packer's precedence (default <
 * PKR_VAR_name < *.auto.pkrvars.hcl in lexical order < -var and -var-file in command-line order),
 * their type constraints and validation rules, sensitive values, locals in dependency order (cycles
 * are reported), data sources, and the evaluation context (var, local, data, path, packer) the
 * components' blocks are evaluated in. */
#include "template/internal.h"

#include <stdlib.h>
#include <string.h>

#include "engine/plan.h"
#include "hcl/eval.h"
#include "hcl/parser.h"
#include "hcl/value.h"
#include "hcl/func.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"

extern char **environ;

/* ------------------------------------------------------------------------------------------------
 * Secrets */

void tmpl_register_secrets(const struct hcl_value *v)
{
	if (!v || v->null || v->unknown)
		return;
	switch (v->type->kind) {
	case HCL_STRING:
		if (v->u.str.len > 0)
			ui_secret_add(v->u.str.s);
		break;
	case HCL_NUMBER: {
		char *s = hcl_value_as_text(v);
		if (s && *s)
			ui_secret_add(s);
		free(s);
		break;
	}
	case HCL_LIST: case HCL_SET: case HCL_MAP: case HCL_TUPLE: case HCL_OBJECT:
		for (size_t i = 0; i < v->u.c.n; i++)
			tmpl_register_secrets(v->u.c.v[i]);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------------------------------------
 * References: undeclared var.x / local.x are reported by name, with a suggestion */

struct refcheck {
	struct tmpl *t;
	struct hcl_diags *d;
	bool ok;
};

static int check_one_ref(void *arg, const struct hcl_expr *e)
{
	struct refcheck *rc = arg;
	const struct hcl_traversal *tr = &e->u.traversal;
	if (tr->nsteps == 0 || tr->steps[0].kind != HCL_TRAVERSE_ATTR)
		return 0;
	const char *name = tr->steps[0].name;
	struct hcl_range r = hcl_range_between(tr->root_range, tr->steps[0].range);
	if (strcmp(tr->root, "var") == 0) {
		if (tmpl_find_var(rc->t, name))
			return 0;
		struct strv names = STRV_INIT;
		for (size_t i = 0; i < rc->t->nvars; i++)
			strv_push(&names, rc->t->vars[i].name);
		char *sugg = tmpl_suggest(name, (const char *const *)names.v, names.n);
		hcl_error(rc->d, &r, "Reference to undeclared input variable",
			  "An input variable with the name \"%s\" has not been declared.%s Declare it with a "
			  "variable \"%s\" {} block.",
			  name, sugg, name);
		free(sugg);
		strv_free(&names);
		rc->ok = false;
	} else if (strcmp(tr->root, "data") == 0) {
		const char *dname = tr->nsteps > 1 && tr->steps[1].kind == HCL_TRAVERSE_ATTR ? tr->steps[1].name : NULL;
		for (size_t i = 0; i < rc->t->ndatas; i++)
			if (strcmp(rc->t->datas[i].type, name) == 0 && (!dname || strcmp(rc->t->datas[i].name, dname) == 0))
				return 0;
		struct hcl_range dr = tr->nsteps > 1 ? hcl_range_between(r, tr->steps[1].range) : r;
		hcl_error(rc->d, &dr, "Reference to undeclared data source",
			  "A data source \"%s\" \"%s\" has not been declared. Declare it with a data \"%s\" \"%s\" "
			  "{} block.",
			  name, dname ? dname : "?", name, dname ? dname : "...");
		rc->ok = false;
	} else if (strcmp(tr->root, "local") == 0) {
		if (tmpl_find_local(rc->t, name))
			return 0;
		struct strv names = STRV_INIT;
		for (size_t i = 0; i < rc->t->nlocals; i++)
			strv_push(&names, rc->t->locals[i].name);
		char *sugg = tmpl_suggest(name, (const char *const *)names.v, names.n);
		hcl_error(rc->d, &r, "Reference to undeclared local value",
			  "A local value with the name \"%s\" has not been declared.%s", name, sugg);
		free(sugg);
		strv_free(&names);
		rc->ok = false;
	}
	return 0;
}

bool tmpl_check_refs(struct tmpl *t, const struct hcl_expr *e, struct hcl_diags *d)
{
	struct refcheck rc = {t, d, true};
	hcl_expr_variables(e, check_one_ref, &rc);
	return rc.ok;
}

/* ------------------------------------------------------------------------------------------------
 * Input variables */

/* Values in variable files and on the command line: no variables, no functions. */
static struct hcl_value *eval_static(const struct hcl_expr *e, struct hcl_diags *d)
{
	struct hcl_eval_ctx *ctx = hcl_eval_ctx_new_empty();
	struct hcl_value *v = hcl_eval(e, ctx, d);
	hcl_eval_ctx_free(ctx);
	return v;
}

/* Set v's value, from the source range r (NULL: none). The source of a sensitive variable's value
 * is never shown in a diagnostic (the value would be read from it). */
static void set_value(struct tmpl *t, struct tmpl_var *v, struct hcl_value *val, const struct hcl_range *r)
{
	if (v->sensitive && r)
		hcl_fileset_hide(&t->files, r);
	hcl_value_clear(&v->value);
	v->value = val;
	v->has_value_range = r != NULL;
	if (r)
		v->value_range = *r;
}

/* A value given as text (-var, PKR_VAR_): string and number variables take it literally (converted
 * later, as Packer does), others parse it as an HCL expression. */
static struct hcl_value *text_value(struct tmpl *t, struct tmpl_var *v, const char *text, const char *origin,
				    struct hcl_range *range, struct hcl_diags *d)
{
	char *name = xasprintf("<value for var.%s from %s>", v->name, origin);
	struct hcl_file *f = hcl_file_new_source(name, text, strlen(text));
	free(name);
	hcl_fileset_add(&t->files, f);
	range->filename = f->filename;
	if (v->sensitive) /* all of it: it is the value, and parse errors point into it */
		hcl_fileset_hide(&t->files, &(struct hcl_range){f->filename, {1, 1, 0}, {1, 1, f->len}});
	range->start = (struct hcl_pos){1, 1, 0};
	range->end = (struct hcl_pos){1, 1 + (int)strlen(text), strlen(text)};
	if (!v->type || v->type->kind == HCL_STRING || v->type->kind == HCL_NUMBER)
		return hcl_string(text);
	struct hcl_pos start = {1, 1, 0};
	size_t nd = d->n;
	struct hcl_expr *e = hcl_parse_expression(text, strlen(text), f->filename, start, d);
	struct hcl_value *val = NULL;
	if (d->n == nd)
		val = eval_static(e, d);
	hcl_expr_free(e);
	return val;
}

/* A value for name from a variable file: set it, or (Packer) ignore it with a warning when no variable
 * of that name is declared and warnings were asked for (validate does, build only with
 * -warn-on-undeclared-var). val is stolen. */
static void assign_from_file(struct tmpl *t, const char *name, const struct hcl_range *name_range,
			     struct hcl_value *val, const struct hcl_range *value_range, bool is_auto,
			     bool warn_undeclared, struct hcl_diags *d)
{
	struct tmpl_var *v = tmpl_find_var(t, name);
	if (!v) {
		if (warn_undeclared)
			hcl_warning(d, name_range, "Undefined variable",
				    "A \"%s\" variable was set but was not declared. To declare variable \"%s\", add a "
				    "variable \"%s\" {} block to one of your .pkr.hcl files, such as "
				    "variables.pkr.hcl.%s",
				    name, name, name, is_auto ? "" : " (kiln ignores this value.)");
		hcl_value_unref(val);
		return;
	}
	set_value(t, v, val, value_range);
}

/* A JSON variable file, read as Packer reads it (HCL's JSON syntax: one object of assignments). */
static void apply_json_var_file(struct tmpl *t, const char *path, bool is_auto, bool warn_undeclared,
				struct hcl_diags *d)
{
	struct tmpl_json_var *vars;
	size_t n;
	if (tmpl_read_json_vars(t, path, &vars, &n, d) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		assign_from_file(t, vars[i].name, &vars[i].name_range, vars[i].value, &vars[i].value_range, is_auto,
				 warn_undeclared, d);
		vars[i].value = NULL;
	}
	tmpl_json_vars_free(vars, n);
}

static void apply_var_file(struct tmpl *t, const char *path, bool is_auto, bool warn_undeclared,
			   struct hcl_diags *d)
{
	if (path_has_suffix(path, ".json")) {
		apply_json_var_file(t, path, is_auto, warn_undeclared, d);
		return;
	}
	struct hcl_file *f = hcl_parse_config_file(path, d);
	if (!f)
		return;
	hcl_fileset_add(&t->files, f);
	const struct hcl_body *b = f->body;
	for (size_t i = 0; i < b->nblocks; i++)
		hcl_error(d, &b->blocks[i]->type_range, "Unexpected block in a variable file",
			  "A variable file holds only assignments (name = value); blocks such as this %s belong in "
			  "a template (*.pkr.hcl).",
			  b->blocks[i]->type);
	for (size_t i = 0; i < b->nattrs; i++) {
		const struct hcl_attribute *a = b->attrs[i];
		if (!tmpl_find_var(t, a->name)) {
			assign_from_file(t, a->name, &a->name_range, NULL, NULL, is_auto, warn_undeclared, d);
			continue;
		}
		size_t nd = d->n;
		struct hcl_value *val = eval_static(a->expr, d);
		if (d->n > nd && hcl_diags_has_errors(d)) {
			hcl_value_unref(val);
			continue;
		}
		assign_from_file(t, a->name, &a->name_range, val, &a->expr->range, is_auto, warn_undeclared, d);
	}
}

static void apply_var_arg(struct tmpl *t, const char *arg, struct hcl_diags *d)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg) {
		hcl_error(d, NULL, "Invalid -var option",
			  "The given -var option \"%s\" is not correctly specified. It must be a variable name and a "
			  "value separated by an equals sign, like -var \"key=value\".",
			  arg);
		return;
	}
	char *name = xstrndup(arg, (size_t)(eq - arg));
	struct tmpl_var *v = tmpl_find_var(t, name);
	if (!v) {
		hcl_error(d, NULL, "Undefined -var variable",
			  "A \"%s\" variable was passed on the command line but is not declared. To declare variable "
			  "\"%s\", add a variable \"%s\" {} block to one of your .pkr.hcl files, such as "
			  "variables.pkr.hcl.",
			  name, name, name);
		free(name);
		return;
	}
	struct hcl_range r;
	size_t nd = d->n;
	struct hcl_value *val = text_value(t, v, eq + 1, "-var", &r, d);
	if (val && !(d->n > nd && hcl_diags_has_errors(d)))
		set_value(t, v, val, &r);
	else
		hcl_value_unref(val);
	free(name);
}

static void apply_env(struct tmpl *t, char *const *env, struct hcl_diags *d)
{
	for (size_t i = 0; env && env[i]; i++) {
		if (strncmp(env[i], "PKR_VAR_", 8) != 0)
			continue;
		const char *eq = strchr(env[i], '=');
		if (!eq)
			continue;
		char *name = xstrndup(env[i] + 8, (size_t)(eq - env[i] - 8));
		struct tmpl_var *v = tmpl_find_var(t, name);
		if (v) {
			struct hcl_range r;
			size_t nd = d->n;
			char *origin = xasprintf("environment variable PKR_VAR_%s", name);
			struct hcl_value *val = text_value(t, v, eq + 1, origin, &r, d);
			free(origin);
			if (val && !(d->n > nd && hcl_diags_has_errors(d)))
				set_value(t, v, val, &r);
			else
				hcl_value_unref(val);
		}
		free(name);
	}
}

/* Declarations: type, default, description, sensitive. */
static void declare_vars(struct tmpl *t, struct hcl_diags *d)
{
	for (size_t i = 0; i < t->nvars; i++) {
		struct tmpl_var *v = &t->vars[i];
		if (v->type_expr)
			v->type = hcl_eval_type_expr(v->type_expr, true, d);
		if (v->sensitive_expr) {
			struct hcl_eval_ctx *e = hcl_eval_ctx_new_empty();
			struct hcl_value *s = hcl_eval_as(v->sensitive_expr, HCL_T_BOOL, e, NULL, d);
			hcl_eval_ctx_free(e);
			v->sensitive = hcl_is_known(s) && !hcl_is_null(s) && hcl_true(s);
			hcl_value_unref(s);
		}
		if (v->description_expr) {
			struct hcl_value *s = eval_static(v->description_expr, d);
			char *text = hcl_value_as_text(s);
			v->description = text;
			hcl_value_unref(s);
		}
		if (v->default_expr) {
			/* a default may call env() — Packer's only function there — but sees no variables */
			struct hcl_eval_ctx *ctx = hcl_eval_ctx_new_empty();
			hcl_eval_ctx_add_func(ctx, hcl_builtin_func("env"));
			struct hcl_value *def = hcl_eval(v->default_expr, ctx, d);
			hcl_eval_ctx_free(ctx);
			set_value(t, v, def, &v->default_expr->range);
			if (!v->type && !hcl_is_null(def))
				v->type = hcl_type_ref(def->type);
		}
	}
}

/* Convert each value to its type, check validation rules, mark secrets; report unset variables. */
static void finish_vars(struct tmpl *t, bool allow_unset, struct hcl_diags *d)
{
	for (size_t i = 0; i < t->nvars; i++) {
		struct tmpl_var *v = &t->vars[i];
		if (!v->value && allow_unset) {
			v->value = hcl_unknown(v->type ? hcl_type_ref(v->type) : HCL_T_DYNAMIC);
			continue;
		}
		if (!v->value) {
			hcl_error(d, &v->decl_range, "Unset variable",
				  "The variable \"%s\" has no default and no value was given. Set it with -var "
				  "\"%s=...\", in a -var-file or *.auto.pkrvars.hcl file, or with the environment variable "
				  "PKR_VAR_%s.",
				  v->name, v->name, v->name);
			v->value = hcl_unknown(v->type ? hcl_type_ref(v->type) : HCL_T_DYNAMIC);
			continue;
		}
		if (v->sensitive)
			tmpl_register_secrets(v->value); /* before conversion: a value that fails is still a secret */
		if (v->type && !hcl_is_null(v->value)) {
			struct hcl_convert_error ce = {0};
			struct hcl_value *c = hcl_convert(v->value, v->type, &ce);
			if (!c) {
				char *tn = hcl_type_to_string(v->type);
				struct hcl_diag *x = hcl_error(d, v->has_value_range ? &v->value_range : &v->decl_range,
							       "Invalid value for variable",
							       "The value for %s is not compatible with the variable's type "
							       "constraint %s: %s%s%s.",
							       v->name, tn, ce.path && *ce.path ? ce.path : "",
							       ce.path && *ce.path ? ": " : "", ce.msg);
				(void)x;
				free(tn);
				hcl_convert_error_free(&ce);
				hcl_value_unref(v->value);
				v->value = hcl_unknown(hcl_type_ref(v->type));
				continue;
			}
			hcl_value_unref(v->value);
			v->value = c;
		}
		if (v->sensitive) {
			tmpl_register_secrets(v->value);
			v->value = hcl_mark(v->value, HCL_MARK_SENSITIVE);
		}
	}
}

/* Validation rules see only the variable being checked. */
static void validate_vars(struct tmpl *t, struct hcl_diags *d)
{
	for (size_t i = 0; i < t->nvars; i++) {
		struct tmpl_var *v = &t->vars[i];
		if (v->nvalidations == 0 || !hcl_is_wholly_known(v->value))
			continue;
		struct hcl_eval_ctx *ctx = hcl_eval_ctx_new();
		const char *key = v->name;
		struct hcl_value *val = hcl_value_ref(v->value);
		hcl_eval_ctx_set_var(ctx, "var", hcl_object(&key, &val, 1));
		for (size_t j = 0; j < v->nvalidations; j++) {
			const struct tmpl_validation *rule = &v->validations[j];
			size_t nd = d->n;
			struct hcl_value *ok = hcl_eval_as(rule->condition, HCL_T_BOOL, ctx, "Invalid validation condition", d);
			if (d->n > nd || !hcl_is_known(ok) || hcl_is_null(ok) || hcl_true(ok)) {
				hcl_value_unref(ok);
				continue;
			}
			hcl_value_unref(ok);
			struct hcl_value *msg = hcl_eval_as(rule->error_message, HCL_T_STRING, ctx, NULL, d);
			/* a message computed from the sensitive value would print it */
			const char *text = !hcl_is_known(msg) || hcl_is_null(msg) ? "(no message)"
					   : hcl_is_sensitive(msg) ? "(the message is not shown: it uses a sensitive value)"
					   : hcl_str(msg);
			char *at = hcl_range_string(&rule->range);
			hcl_error(d, v->has_value_range ? &v->value_range : &v->decl_range, "Invalid value for variable",
				  "%s\n\nThis was checked by the validation rule at %s.", text, at);
			free(at);
			hcl_value_unref(msg);
		}
		hcl_eval_ctx_free(ctx);
	}
}

static struct hcl_value *vars_object(struct tmpl *t)
{
	const char **keys = xcalloc(t->nvars + 1, sizeof *keys);
	struct hcl_value **vals = xcalloc(t->nvars + 1, sizeof *vals);
	for (size_t i = 0; i < t->nvars; i++) {
		keys[i] = t->vars[i].name;
		vals[i] = hcl_value_ref(t->vars[i].value);
	}
	struct hcl_value *o = hcl_object(keys, vals, t->nvars);
	free(keys);
	free(vals);
	return o;
}

/* ------------------------------------------------------------------------------------------------
 * Locals and data sources, in dependency order: a local may use data sources' results, and a data
 * source's block may use locals and other data sources' results. A data source's result is known
 * once it has run (kiln build, console, validate -evaluate-datasources); until then, and when it
 * cannot run, it is an unknown value of the component's output type. */

/* What an expression or block refers to among the locals and data sources: local.NAME and
 * local["NAME"]; data.TYPE.NAME (kept as "TYPE.NAME") and data.TYPE alone ("TYPE"). all_locals when
 * it uses the local object otherwise (local[var.x], or local alone): it then sees every local
 * evaluated so far; all_datas when it uses data alone: it then waits for every data source. */
struct deps {
	struct strv locals;
	bool all_locals;
	struct strv datas;
	bool all_datas;
};

/* The name an attribute step or a literal string index gives, else NULL. */
static const char *step_key(const struct hcl_traversal *tr, size_t i)
{
	if (i >= tr->nsteps)
		return NULL;
	const struct hcl_traverser *st = &tr->steps[i];
	if (st->kind == HCL_TRAVERSE_ATTR)
		return st->name;
	if (st->kind == HCL_TRAVERSE_INDEX && st->key.kind == HCL_LIT_STRING)
		return st->key.text;
	return NULL;
}

static int collect_dep(void *arg, const struct hcl_expr *e)
{
	struct deps *dp = arg;
	const struct hcl_traversal *tr = &e->u.traversal;
	const char *k0 = step_key(tr, 0);
	if (strcmp(tr->root, "local") == 0) {
		if (k0)
			strv_push(&dp->locals, k0);
		else
			dp->all_locals = true;
	} else if (strcmp(tr->root, "data") == 0) {
		const char *k1 = k0 ? step_key(tr, 1) : NULL;
		if (!k0)
			dp->all_datas = true;
		else if (k1)
			strv_pushf(&dp->datas, "%s.%s", k0, k1);
		else
			strv_push(&dp->datas, k0);
	}
	return 0;
}

/* The local object an expression is evaluated with: the locals it refers to (a chain of many locals
 * stays linear), or every local evaluated so far (names NULL) when it uses the object as a whole. */
static struct hcl_value *locals_object(struct tmpl *t, const struct strv *names)
{
	size_t n = names ? names->n : t->nlocals;
	const char **keys = xcalloc(n + 1, sizeof *keys);
	struct hcl_value **vals = xcalloc(n + 1, sizeof *vals);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tmpl_local *l = names ? tmpl_find_local(t, names->v[i]) : &t->locals[i];
		if (!l || l->state != 2)
			continue;
		keys[k] = l->name;
		vals[k++] = hcl_value_ref(l->value);
	}
	struct hcl_value *o = hcl_object(keys, vals, k);
	free(keys);
	free(vals);
	return o;
}

static void set_locals(struct tmpl *t, const struct deps *dp)
{
	hcl_eval_ctx_set_var(t->ctx, "local", locals_object(t, dp->all_locals ? NULL : &dp->locals));
}

static struct hcl_value *data_object(struct tmpl *t)
{
	struct hcl_vec types = HCL_VEC_INIT;
	struct strv done = STRV_INIT;
	for (size_t i = 0; i < t->ndatas; i++) {
		if (strv_contains(&done, t->datas[i].type))
			continue;
		strv_push(&done, t->datas[i].type);
		struct hcl_vec names = HCL_VEC_INIT;
		for (size_t j = i; j < t->ndatas; j++)
			if (strcmp(t->datas[j].type, t->datas[i].type) == 0)
				hcl_vec_push_kv(&names, t->datas[j].name, hcl_value_ref(t->datas[j].value));
		hcl_vec_push_kv(&types, t->datas[i].type, hcl_vec_to_object(&names));
		hcl_vec_free(&names);
	}
	strv_free(&done);
	struct hcl_value *o = hcl_vec_to_object(&types);
	hcl_vec_free(&types);
	return o;
}

/* Every data source's component, and its value until it runs: unknown, of the output type (also for
 * a type kiln lacks, reported here, so that references to it do not cascade). */
static void data_prepare(struct tmpl *t, struct hcl_diags *d)
{
	for (size_t i = 0; i < t->ndatas; i++) {
		struct tmpl_data *x = &t->datas[i];
		if (!x->comp_ok)
			x->comp_ok = tmpl_find_component(t, TMPL_DATASOURCE, x->type, &x->block->label_ranges[0], d, &x->comp);
		if (x->value)
			continue;
		struct hcl_type *ty = NULL;
		if (x->comp_ok && x->comp.datasource && x->comp.datasource->output_type) {
			char *why = NULL;
			ty = hcl_type_parse(x->comp.datasource->output_type, &why);
			free(why);
		}
		x->value = hcl_unknown(ty ? ty : HCL_T_DYNAMIC);
	}
}

/* A local whose dependencies are all evaluated (cyclic: one of them refers back to it). */
static void finish_local(struct tmpl *t, struct tmpl_local *l, const struct deps *dp, bool cyclic,
			 struct hcl_diags *d)
{
	l->state = 2;
	if (cyclic) {
		l->value = hcl_unknown(HCL_T_DYNAMIC);
		return;
	}
	set_locals(t, dp);
	if (tmpl_check_refs(t, l->expr, d))
		l->value = hcl_eval(l->expr, t->ctx, d);
	else
		l->value = hcl_unknown(HCL_T_DYNAMIC);
	if (l->sensitive_expr) {
		struct hcl_eval_ctx *e = hcl_eval_ctx_new_empty();
		struct hcl_value *s = hcl_eval_as(l->sensitive_expr, HCL_T_BOOL, e, NULL, d);
		hcl_eval_ctx_free(e);
		l->sensitive = hcl_is_known(s) && !hcl_is_null(s) && hcl_true(s);
		hcl_value_unref(s);
	}
	if (l->sensitive) {
		hcl_fileset_hide(&t->files, &l->expr->range);
		tmpl_register_secrets(l->value);
		l->value = hcl_mark(l->value, HCL_MARK_SENSITIVE);
	}
}

/* Run one data source whose dependencies are evaluated: decode its block against its schema (errors
 * are the template's, in every mode), then, when data sources run, execute it and take its result,
 * converted to its output type. */
static void run_data(struct tmpl *t, struct tmpl_data *x, const struct deps *dp, struct hcl_diags *d)
{
	const struct kiln_datasource *ds = x->comp.datasource;
	if (!x->comp_ok || !x->comp.schema)
		return;
	set_locals(t, dp);
	struct tmpl_decode in = {0};
	in.t = t;
	in.schema = x->comp.schema;
	char *label = xasprintf("data.%s.%s", x->type, x->name);
	in.label = label;
	in.body = x->block->body;
	in.def_range = hcl_range_between(x->block->type_range, x->block->label_ranges[1]);
	size_t nd = d->n;
	struct kiln_config *c = tmpl_decode_config(&in, t->ctx, d);
	bool failed = !c;
	for (size_t i = nd; i < d->n; i++)
		failed |= d->v[i].severity == HCL_DIAG_ERROR;
	if (failed || !t->run_datasources || !ds || !ds->execute)
		goto out;
	struct hcl_value *v = NULL;
	struct kiln_error e = ERR_INIT;
	if (ds->execute(c, NULL, &v, &e) < 0) {
		/* at the argument the error names (kiln_config_error), else at the block */
		struct hcl_range at = x->block->label_ranges[1], r;
		if (tmpl_config_error_range(c, &e, &r) && strcmp(r.filename, at.filename) == 0) {
			at = r;
			at.filename = x->block->label_ranges[1].filename; /* the diagnostic outlives c */
		}
		char *text = err_chain_text(&e);
		/* a kiln_config_error names the block already */
		bool named = strncmp(text, label, strlen(label)) == 0;
		hcl_error(d, &at, "Data source failed", "%s%s%s%s%s%s", named ? "" : label, named ? "" : ": ", text,
			  e.hint ? " (" : "", e.hint ? e.hint : "", e.hint ? ")" : "");
		free(text);
		err_clear(&e);
		goto out;
	}
	if (ds->output_type) {
		char *why = NULL;
		struct hcl_type *ty = hcl_type_parse(ds->output_type, &why);
		struct hcl_convert_error cerr = {0};
		struct hcl_value *conv = ty ? hcl_convert(v, ty, &cerr) : NULL;
		if (ty && !conv) {
			hcl_error(d, &x->block->label_ranges[1], "Data source failed",
				  "%s: the result is not of the data source's type %s: %s%s%s", label, ds->output_type,
				  cerr.path && *cerr.path ? cerr.path : "", cerr.path && *cerr.path ? ": " : "",
				  cerr.msg ? cerr.msg : "");
			hcl_convert_error_free(&cerr);
			hcl_value_unref(v);
			v = NULL;
		} else if (conv) {
			hcl_value_unref(v);
			v = conv;
		}
		if (ty)
			hcl_type_unref(ty);
		free(why);
	}
	if (v) {
		hcl_value_unref(x->value);
		x->value = v;
		hcl_eval_ctx_set_var(t->ctx, "data", data_object(t));
	}
out:
	kiln_config_free(c);
	free(label);
}

/* A local or a data source: what the dependency walk visits. */
struct node {
	struct tmpl_local *l;
	struct tmpl_data *x;
};

static int *node_state(struct node n)
{
	return n.l ? &n.l->state : &n.x->state;
}

static char *node_name(struct node n)
{
	return n.l ? xasprintf("local.%s", n.l->name) : xasprintf("data.%s.%s", n.x->type, n.x->name);
}

/* A node on the way to being evaluated: what it depends on, the next one to look at. */
struct frame {
	struct node n;
	struct deps deps;
	struct node *on;
	size_t non, next;
	bool cyclic;
};

static bool data_matches(const struct tmpl_data *x, const char *ref)
{
	size_t tl = strlen(x->type);
	if (strncmp(ref, x->type, tl) != 0)
		return false;
	return ref[tl] == '\0' || (ref[tl] == '.' && strcmp(ref + tl + 1, x->name) == 0);
}

/* The locals and data sources a frame's node depends on (undeclared ones are reported by the
 * reference check). */
static void frame_open(struct tmpl *t, struct frame *f, struct node n)
{
	*f = (struct frame){.n = n, .deps = {STRV_INIT, false, STRV_INIT, false}};
	*node_state(n) = 1;
	if (n.l)
		hcl_expr_variables(n.l->expr, collect_dep, &f->deps);
	else
		hcl_body_variables(n.x->block->body, collect_dep, &f->deps);
	size_t cap = 0;
	for (size_t i = 0; i < f->deps.locals.n; i++) {
		struct tmpl_local *l = tmpl_find_local(t, f->deps.locals.v[i]);
		if (!l)
			continue;
		f->on = xgrow(f->on, &cap, f->non + 1, sizeof *f->on);
		f->on[f->non++] = (struct node){l, NULL};
	}
	for (size_t k = 0; k < t->ndatas; k++) {
		bool dep = f->deps.all_datas;
		for (size_t i = 0; !dep && i < f->deps.datas.n; i++)
			dep = data_matches(&t->datas[k], f->deps.datas.v[i]);
		if (!dep)
			continue;
		f->on = xgrow(f->on, &cap, f->non + 1, sizeof *f->on);
		f->on[f->non++] = (struct node){NULL, &t->datas[k]};
	}
}

static void frame_close(struct tmpl *t, struct frame *f, struct hcl_diags *d)
{
	if (f->n.l) {
		finish_local(t, f->n.l, &f->deps, f->cyclic, d);
	} else {
		if (!f->cyclic)
			run_data(t, f->n.x, &f->deps, d);
		f->n.x->state = 2;
	}
	strv_free(&f->deps.locals);
	strv_free(&f->deps.datas);
	free(f->on);
}

/* A loop: name it whole, from where back entered the stack to the innermost frame. */
static void report_cycle(const struct frame *frames, size_t n, struct node back, struct hcl_diags *d)
{
	struct buf loop = BUF_INIT;
	size_t from = 0;
	bool data = false;
	for (size_t i = 0; i < n; i++)
		if (frames[i].n.l == back.l && frames[i].n.x == back.x)
			from = i;
	for (size_t i = from; i < n; i++) {
		char *name = node_name(frames[i].n);
		buf_printf(&loop, i == from ? "%s refers to " : "%s, which refers to ", name);
		free(name);
		data |= frames[i].n.x != NULL;
	}
	char *self = node_name(back);
	buf_printf(&loop, "%s", self);
	free(self);
	const struct hcl_range *at = back.l ? &back.l->range : &back.x->block->label_ranges[1];
	if (data)
		hcl_error(d, at, "Cyclic references",
			  "The local values and data sources refer to each other in a loop: %s. None of them can "
			  "depend on itself, directly or through others.",
			  buf_cstr(&loop));
	else
		hcl_error(d, at, "Cyclic local values",
			  "The local values refer to each other in a loop: %s. A local cannot depend on itself, "
			  "directly or through other locals.",
			  buf_cstr(&loop));
	buf_free(&loop);
}

/* Evaluate a local or run a data source after what it depends on, depth first with a stack of its
 * own (a template's chain of locals can be as long as it likes). */
static void eval_node(struct tmpl *t, struct node start, struct hcl_diags *d)
{
	if (*node_state(start) == 2)
		return;
	struct frame *frames = NULL;
	size_t n = 0, cap = 0;
	for (struct node push = start, none = {NULL, NULL};;) {
		if (push.l || push.x) {
			frames = xgrow(frames, &cap, n + 1, sizeof *frames);
			frame_open(t, &frames[n++], push);
			push = none;
		}
		struct frame *f = &frames[n - 1];
		if (f->next < f->non) {
			struct node dep = f->on[f->next++];
			int state = *node_state(dep);
			if (state == 2)
				continue;
			if (state == 1) {
				report_cycle(frames, n, dep, d);
				f->cyclic = true;
				continue;
			}
			push = dep;
			continue;
		}
		frame_close(t, f, d);
		if (--n == 0)
			break;
	}
	free(frames);
}


/* ------------------------------------------------------------------------------------------------
 * The whole evaluation */

static struct hcl_value *str_object2(const char *k1, const char *v1, const char *k2, const char *v2)
{
	const char *keys[2] = {k1, k2};
	struct hcl_value *vals[2] = {hcl_string(v1), k2 ? hcl_string(v2) : NULL};
	return hcl_object(keys, vals, k2 ? 2 : 1);
}

void tmpl_check_types(struct tmpl *t, struct hcl_diags *d)
{
	for (size_t i = 0; i < t->nvars; i++) {
		if (!t->vars[i].type_expr)
			continue;
		struct hcl_type *ty = hcl_eval_type_expr(t->vars[i].type_expr, true, d);
		if (ty)
			hcl_type_unref(ty);
	}
}

void tmpl_evaluate(struct tmpl *t, const struct tmpl_options *opts, const struct strv *autovars,
		   struct hcl_diags *d)
{
	/* what a function computes from a secret is a secret for the output filter too */
	hcl_sensitive_result = tmpl_register_secrets;
	t->ctx = hcl_eval_ctx_new();
	hcl_eval_ctx_set_var(t->ctx, "path", str_object2("cwd", t->cwd, "root", t->dir));
	hcl_eval_ctx_set_var(t->ctx, "packer", str_object2("version", TMPL_PACKER_VERSION, NULL, NULL));

	declare_vars(t, d);
	apply_env(t, opts->env ? opts->env : environ, d);
	for (size_t i = 0; i < autovars->n; i++)
		apply_var_file(t, autovars->v[i], true, opts->warn_undeclared_vars, d);
	for (size_t i = 0; i < opts->nvar_args; i++) {
		if (opts->var_args[i].kind == TMPL_ARG_VAR_FILE)
			apply_var_file(t, opts->var_args[i].text, false, opts->warn_undeclared_vars, d);
		else
			apply_var_arg(t, opts->var_args[i].text, d);
	}
	finish_vars(t, opts->allow_unset, d);
	validate_vars(t, d);
	hcl_eval_ctx_set_var(t->ctx, "var", vars_object(t));
	t->run_datasources = opts->run_datasources;
	data_prepare(t, d);
	hcl_eval_ctx_set_var(t->ctx, "data", data_object(t));

	for (size_t i = 0; i < t->nlocals; i++)
		eval_node(t, (struct node){&t->locals[i], NULL}, d);
	for (size_t i = 0; i < t->ndatas; i++)
		eval_node(t, (struct node){NULL, &t->datas[i]}, d);
	hcl_eval_ctx_set_var(t->ctx, "local", locals_object(t, NULL));
	t->evaluated = true;
	tmpl_decode_builds(t, d);
	struct plan_options sel = {opts->only, opts->except};
	tmpl_report_unknown_types(t, &sel, d);
}

struct hcl_eval_ctx *tmpl_source_ctx(struct tmpl *t, const char *type, const char *name,
				     const struct strv *build_data)
{
	struct hcl_eval_ctx *ctx = hcl_eval_ctx_child(t->ctx);
	hcl_eval_ctx_set_var(ctx, "source", str_object2("name", name, "type", type));
	if (!build_data) {
		hcl_eval_ctx_set_var(ctx, "build", hcl_unknown(HCL_T_DYNAMIC));
		return ctx;
	}
	struct hcl_vec kv = HCL_VEC_INIT;
	for (size_t i = 0; i < build_data->n; i++) {
		const char *e = build_data->v[i];
		const char *eq = strchr(e, '=');
		if (!eq)
			continue;
		char *k = xstrndup(e, (size_t)(eq - e));
		hcl_vec_push_kv(&kv, k, hcl_string(eq + 1));
		free(k);
	}
	hcl_eval_ctx_set_var(ctx, "build", hcl_vec_to_object(&kv));
	hcl_vec_free(&kv);
	return ctx;
}
