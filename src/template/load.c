/* load.c — reading a template: which files make it up, parsing them, and decoding the top-level
 * blocks (packer, variable(s), local(s), source, data, build) into the model with the structural
 * checks Packer makes before evaluating anything (`validate -syntax-only`). */
#include "template/internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hcl/eval.h"
#include "hcl/parser.h"
#include "hcl/value.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/version.h"
#include "ui/ui.h"

/* ------------------------------------------------------------------------------------------------
 * Schemas of Packer's own blocks */

static const struct tmpl_block_spec root_blocks[] = {
	{"packer", 0, ""},
	{"variable", 1, "name"},
	{"variables", 0, ""},
	{"locals", 0, ""},
	{"local", 1, "name"},
	{"source", 2, "type, name"},
	{"data", 2, "type, name"},
	{"build", 0, ""},
	{NULL, 0, NULL},
};

static const char *const packer_attrs[] = {"required_version", NULL};
static const struct tmpl_block_spec packer_blocks[] = {{"required_plugins", 0, ""}, {NULL, 0, NULL}};
static const struct tmpl_body_spec packer_spec = {packer_attrs, NULL, packer_blocks};

static const char *const variable_attrs[] = {"type", "default", "description", "sensitive", NULL};
static const struct tmpl_block_spec variable_blocks[] = {{"validation", 0, ""}, {NULL, 0, NULL}};
static const struct tmpl_body_spec variable_spec = {variable_attrs, NULL, variable_blocks};

static const char *const validation_attrs[] = {"condition", "error_message", NULL};
static const struct tmpl_body_spec validation_spec = {validation_attrs, validation_attrs, NULL};

static const char *const local_attrs[] = {"expression", "sensitive", NULL};
static const char *const local_required[] = {"expression", NULL};
static const struct tmpl_body_spec local_spec = {local_attrs, local_required, NULL};

/* ------------------------------------------------------------------------------------------------
 * Helpers */

struct tmpl_var *tmpl_find_var(struct tmpl *t, const char *name)
{
	size_t i;
	return strmap_get(&t->var_index, name, &i) ? &t->vars[i] : NULL;
}

struct tmpl_source *tmpl_find_source(struct tmpl *t, const char *type, const char *name)
{
	for (size_t i = 0; i < t->nsources; i++)
		if (strcmp(t->sources[i].type, type) == 0 && strcmp(t->sources[i].name, name) == 0)
			return &t->sources[i];
	return NULL;
}

struct tmpl_local *tmpl_find_local(struct tmpl *t, const char *name)
{
	size_t i;
	return strmap_get(&t->local_index, name, &i) ? &t->locals[i] : NULL;
}

static void check_name(const char *what, const char *name, const struct hcl_range *r, struct hcl_diags *d)
{
	if (hcl_valid_identifier(name))
		return;
	hcl_error(d, r, "Invalid name",
		  "\"%s\" is not a valid %s name: a name must start with a letter or underscore and may contain only "
		  "letters, digits, underscores and dashes.",
		  name, what);
}

static void duplicate(struct hcl_diags *d, const struct hcl_range *at, const char *summary, const char *what,
		      const struct hcl_range *first)
{
	char *where = hcl_range_string(first);
	hcl_error(d, at, summary, "%s was already defined at %s. Each must be defined only once.", what, where);
	free(where);
}

/* ------------------------------------------------------------------------------------------------
 * packer {} */

static const char *literal_string(const struct hcl_expr *e)
{
	size_t len;
	const char *s = hcl_expr_as_string_literal(e, &len);
	return s && strlen(s) == len ? s : NULL;
}

static void decode_required_plugins(struct tmpl *t, const struct hcl_body *b, struct hcl_diags *d)
{
	if (b->nblocks > 0)
		hcl_error(d, &b->blocks[0]->type_range, "Unsupported block type",
			  "Blocks are not allowed in required_plugins: each plugin is an argument, like qemu = { "
			  "version = \">= 1.0.0\", source = \"github.com/hashicorp/qemu\" }.");
	for (size_t i = 0; i < b->nattrs; i++) {
		const struct hcl_attribute *a = b->attrs[i];
		struct tmpl_plugin_req req = {0};
		req.name = a->name;
		req.range = a->name_range;
		req.version_range = a->range;
		const struct hcl_expr *e = a->expr;
		if (e->kind == HCL_EXPR_OBJECT_CONS) {
			bool ok = true;
			for (size_t j = 0; j < e->u.object.nitems; j++) {
				const struct hcl_object_item *it = &e->u.object.items[j];
				const char *key = literal_string(it->key);
				const char *val = literal_string(it->value);
				if (!key || (strcmp(key, "version") != 0 && strcmp(key, "source") != 0)) {
					hcl_error(d, &it->key->range, "Invalid required_plugins entry",
						  "A plugin requirement has only \"version\" and \"source\".");
					ok = false;
					continue;
				}
				if (!val) {
					hcl_error(d, &it->value->range, "Invalid required_plugins entry",
						  "The %s of a plugin requirement must be a literal string.", key);
					ok = false;
					continue;
				}
				if (strcmp(key, "version") == 0) {
					req.version = val;
					req.version_range = it->value->range;
				}
				else
					req.source = val;
			}
			if (!ok)
				continue;
		} else if (literal_string(e)) {
			req.version = literal_string(e);   /* legacy form: name = ">= 1.0" */
			req.version_range = e->range;
		} else {
			hcl_error(d, &e->range, "Invalid required_plugins entry",
				  "A plugin requirement is an object: %s = { version = \">= 1.0.0\", source = "
				  "\"github.com/hashicorp/%s\" }.",
				  a->name, a->name);
			continue;
		}
		if (req.version) {
			struct version_constraints c = VERSION_CONSTRAINTS_INIT;
			struct kiln_error err = ERR_INIT;
			int rc = version_constraints_parse(req.version, &c, &err);
			if (rc < 0)
				hcl_error(d, &a->range, "Invalid version constraint",
					  "The version constraint \"%s\" for plugin %s cannot be read: %s. %s", req.version,
					  a->name, err_cause(&err), err.hint);
			version_constraints_free(&c);
			err_clear(&err);
			if (rc < 0)
				continue;
		}
		t->plugins = xrealloc(t->plugins, (t->nplugins + 1) * sizeof *t->plugins);
		t->plugins[t->nplugins++] = req;
	}
}

static void decode_packer(struct tmpl *t, const struct hcl_block *blk, struct hcl_diags *d)
{
	tmpl_check_body(blk->body, &packer_spec, d);
	const struct hcl_attribute *rv = hcl_body_attr(blk->body, "required_version");
	if (rv) {
		const char *text = literal_string(rv->expr);
		if (!text) {
			hcl_error(d, &rv->expr->range, "Invalid required_version",
				  "required_version must be a literal string such as \">= 1.7.0\".");
		} else {
			struct kiln_error err = ERR_INIT;
			int ok = version_satisfies(text, TMPL_PACKER_VERSION, &err);
			if (ok < 0) {
				hcl_error(d, &rv->expr->range, "Invalid version constraint",
					  "The version constraint \"%s\" cannot be read: %s. %s", text, err_cause(&err),
					  err.hint);
				err_clear(&err);
			} else {
				strv_push(&t->required_versions, text);
				t->required_version_ranges = xrealloc(t->required_version_ranges,
								      t->required_versions.n * sizeof(struct hcl_range));
				t->required_version_ranges[t->required_versions.n - 1] = rv->range;
				if (!ok)
					hcl_error(d, &rv->range, "Unsupported Packer Core version",
						  "This configuration requires Packer %s; kiln implements the template "
						  "language of Packer %s. Check the constraint, or run the template with a "
						  "Packer that satisfies it.",
						  text, TMPL_PACKER_VERSION);
			}
		}
	}
	for (size_t i = 0; i < blk->body->nblocks; i++)
		if (strcmp(blk->body->blocks[i]->type, "required_plugins") == 0)
			decode_required_plugins(t, blk->body->blocks[i]->body, d);
}

/* ------------------------------------------------------------------------------------------------
 * variable, variables, locals, local */

static struct tmpl_var *add_var(struct tmpl *t, const char *name, const struct hcl_range *r, struct hcl_diags *d)
{
	struct tmpl_var *old = tmpl_find_var(t, name);
	if (old) {
		char *what = xasprintf("The variable \"%s\"", name);
		duplicate(d, r, "Duplicate variable", what, &old->decl_range);
		free(what);
		return NULL;
	}
	check_name("variable", name, r, d);
	t->vars = xgrow(t->vars, &t->vars_cap, t->nvars + 1, sizeof *t->vars);
	struct tmpl_var *v = &t->vars[t->nvars++];
	memset(v, 0, sizeof *v);
	v->name = xstrdup(name);
	v->decl_range = *r;
	strmap_put(&t->var_index, v->name, t->nvars - 1);
	return v;
}

static void decode_variable(struct tmpl *t, const struct hcl_block *blk, struct hcl_diags *d)
{
	tmpl_check_body(blk->body, &variable_spec, d);
	struct hcl_range header = hcl_range_between(blk->type_range, blk->label_ranges[0]);
	struct tmpl_var *v = add_var(t, blk->labels[0], &header, d);
	if (!v)
		return;
	const struct hcl_attribute *a;
	if ((a = hcl_body_attr(blk->body, "type")))
		v->type_expr = a->expr;
	if ((a = hcl_body_attr(blk->body, "default")))
		v->default_expr = a->expr;
	if ((a = hcl_body_attr(blk->body, "description")))
		v->description_expr = a->expr;
	if ((a = hcl_body_attr(blk->body, "sensitive")))
		v->sensitive_expr = a->expr;
	for (size_t i = 0; i < blk->body->nblocks; i++) {
		const struct hcl_block *vb = blk->body->blocks[i];
		if (strcmp(vb->type, "validation") != 0)
			continue;
		if (!tmpl_check_body(vb->body, &validation_spec, d))
			continue;
		v->validations = xrealloc(v->validations, (v->nvalidations + 1) * sizeof *v->validations);
		struct tmpl_validation *val = &v->validations[v->nvalidations++];
		val->condition = hcl_body_attr(vb->body, "condition")->expr;
		val->error_message = hcl_body_attr(vb->body, "error_message")->expr;
		val->range = vb->range;
	}
}

static void decode_variables(struct tmpl *t, const struct hcl_block *blk, struct hcl_diags *d)
{
	for (size_t i = 0; i < blk->body->nblocks; i++)
		hcl_error(d, &blk->body->blocks[i]->type_range, "Unsupported block type",
			  "Blocks are not allowed in a variables block: each variable is an argument giving its "
			  "default (name = value). Use a variable \"%s\" block to set its type or description.",
			  blk->body->blocks[i]->type);
	for (size_t i = 0; i < blk->body->nattrs; i++) {
		const struct hcl_attribute *a = blk->body->attrs[i];
		struct tmpl_var *v = add_var(t, a->name, &a->name_range, d);
		if (v)
			v->default_expr = a->expr;
	}
}

static struct tmpl_local *add_local(struct tmpl *t, const char *name, const struct hcl_range *r,
				    const struct hcl_expr *e, struct hcl_diags *d)
{
	struct tmpl_local *old = tmpl_find_local(t, name);
	if (old) {
		char *what = xasprintf("The local \"%s\"", name);
		duplicate(d, r, "Duplicate local variable", what, &old->range);
		free(what);
		return NULL;
	}
	check_name("local", name, r, d);
	t->locals = xgrow(t->locals, &t->locals_cap, t->nlocals + 1, sizeof *t->locals);
	struct tmpl_local *l = &t->locals[t->nlocals++];
	memset(l, 0, sizeof *l);
	l->name = xstrdup(name);
	l->range = *r;
	l->expr = e;
	strmap_put(&t->local_index, l->name, t->nlocals - 1);
	return l;
}

static void decode_locals(struct tmpl *t, const struct hcl_block *blk, struct hcl_diags *d)
{
	for (size_t i = 0; i < blk->body->nblocks; i++)
		hcl_error(d, &blk->body->blocks[i]->type_range, "Unsupported block type",
			  "Blocks are not allowed in a locals block: each local is an argument (name = expression).");
	for (size_t i = 0; i < blk->body->nattrs; i++) {
		const struct hcl_attribute *a = blk->body->attrs[i];
		add_local(t, a->name, &a->name_range, a->expr, d);
	}
}

static void decode_local(struct tmpl *t, const struct hcl_block *blk, struct hcl_diags *d)
{
	if (!tmpl_check_body(blk->body, &local_spec, d))
		return;
	struct hcl_range header = hcl_range_between(blk->type_range, blk->label_ranges[0]);
	struct tmpl_local *l = add_local(t, blk->labels[0], &header, hcl_body_attr(blk->body, "expression")->expr, d);
	const struct hcl_attribute *s = hcl_body_attr(blk->body, "sensitive");
	if (l && s)
		l->sensitive_expr = s->expr;
}

/* ------------------------------------------------------------------------------------------------
 * source, data */

static void decode_source(struct tmpl *t, const struct hcl_block *blk, struct hcl_diags *d)
{
	const char *type = blk->labels[0], *name = blk->labels[1];
	struct hcl_range header = hcl_range_between(blk->type_range, blk->label_ranges[1]);
	struct tmpl_source *old = tmpl_find_source(t, type, name);
	if (old) {
		char *what = xasprintf("The source \"%s.%s\"", type, name);
		struct hcl_range first = hcl_range_between(old->block->type_range, old->block->label_ranges[1]);
		duplicate(d, &header, "Duplicate source block", what, &first);
		free(what);
		return;
	}
	check_name("builder type", type, &blk->label_ranges[0], d);
	check_name("source", name, &blk->label_ranges[1], d);
	t->sources = xrealloc(t->sources, (t->nsources + 1) * sizeof *t->sources);
	struct tmpl_source *s = &t->sources[t->nsources++];
	memset(s, 0, sizeof *s);
	s->type = xstrdup(type);
	s->name = xstrdup(name);
	s->block = blk;
}

static void decode_data(struct tmpl *t, const struct hcl_block *blk, struct hcl_diags *d)
{
	const char *type = blk->labels[0], *name = blk->labels[1];
	struct hcl_range header = hcl_range_between(blk->type_range, blk->label_ranges[1]);
	for (size_t i = 0; i < t->ndatas; i++) {
		if (strcmp(t->datas[i].type, type) == 0 && strcmp(t->datas[i].name, name) == 0) {
			char *what = xasprintf("The data source \"%s.%s\"", type, name);
			const struct hcl_block *ob = t->datas[i].block;
			struct hcl_range first = hcl_range_between(ob->type_range, ob->label_ranges[1]);
			duplicate(d, &header, "Duplicate data block", what, &first);
			free(what);
			return;
		}
	}
	check_name("data source type", type, &blk->label_ranges[0], d);
	check_name("data source", name, &blk->label_ranges[1], d);
	t->datas = xrealloc(t->datas, (t->ndatas + 1) * sizeof *t->datas);
	struct tmpl_data *x = &t->datas[t->ndatas++];
	memset(x, 0, sizeof *x);
	x->type = xstrdup(type);
	x->name = xstrdup(name);
	x->block = blk;
}

/* ------------------------------------------------------------------------------------------------
 * Files */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What the symbolic link p points to, as written in it (malloc'ed), or NULL. */
static char *link_target(const char *p)
{
	for (size_t cap = 256; cap <= 65536; cap *= 2) {
		char *b = xmalloc(cap);
		ssize_t n = readlink(p, b, cap);
		if (n >= 0 && (size_t)n < cap) {
			b[n] = '\0';
			return b;
		}
		free(b);
		if (n < 0)
			return NULL;
	}
	return NULL;
}

/* Can the directory entry p be read as a template or variable file? 1 yes, 0 skip it (a directory,
 * as Packer skips them), -1 no (an error in d): Packer refuses a dangling or looping symbolic link and
 * an unreadable file, and kiln also anything that is not a regular file (a FIFO would block). */
static int check_entry(const char *p, struct hcl_diags *d)
{
	struct stat st;
	const char *why = NULL;
	char *target = NULL, *detail = NULL;
	if (stat(p, &st) < 0) {
		int e = errno;
		struct stat lst;
		if (lstat(p, &lst) == 0 && S_ISLNK(lst.st_mode)) {
			target = link_target(p);
			if (e == ELOOP)
				detail = xasprintf("it is a symbolic link that leads back to itself (%s)", strerror(e));
			else if (e == ENOENT)
				detail = xasprintf("it is a symbolic link to \"%s\", which does not exist", target ? target : "?");
			else
				detail = xasprintf("it is a symbolic link to \"%s\", which cannot be read: %s",
						   target ? target : "?", strerror(e));
		} else {
			why = strerror(e);
		}
	} else if (S_ISDIR(st.st_mode)) {
		return 0;
	} else if (!S_ISREG(st.st_mode)) {
		why = S_ISFIFO(st.st_mode) ? "it is a FIFO, not a regular file"
		      : S_ISSOCK(st.st_mode) ? "it is a socket, not a regular file"
					     : "it is a device, not a regular file";
	} else if (access(p, R_OK) < 0) {
		why = strerror(errno);
	} else {
		return 1;
	}
	hcl_error(d, NULL, "Failed to read file", "The configuration file \"%s\" could not be read: %s.", p,
		  detail ? detail : why);
	free(detail);
	free(target);
	return -1;
}

/* The template's files: the one file, or the *.pkr.hcl of a directory with its variable files
 * (*.auto.pkrvars.hcl, then *.auto.pkrvars.json, each in lexical order, as Packer reads them). */
static int discover(const char *path, struct strv *templates, struct strv *autovars, struct hcl_diags *d)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		hcl_error(d, NULL, "Failed to read the template",
			  "\"%s\" cannot be read: %s. Give a template file (*.pkr.hcl) or a directory of them.", path,
			  strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (path_has_suffix(path, ".json")) {
			hcl_error(d, NULL, "JSON templates are not supported",
				  "\"%s\" is a JSON template. kiln reads HCL2 templates only; convert it with `packer "
				  "hcl2_upgrade %s` (Packer 1.6.2 or later).",
				  path, path);
			return -1;
		}
		strv_push(templates, path);
		return 0;
	}
	DIR *dh = opendir(path);
	if (!dh) {
		hcl_error(d, NULL, "Failed to read the template", "The directory \"%s\" cannot be read: %s.", path,
			  strerror(errno));
		return -1;
	}
	struct strv names = STRV_INIT;
	bool json = false;
	struct dirent *de;
	while ((de = readdir(dh))) {
		if (path_has_suffix(de->d_name, ".pkr.hcl") || path_has_suffix(de->d_name, ".auto.pkrvars.hcl") ||
		    path_has_suffix(de->d_name, ".auto.pkrvars.json"))
			strv_push(&names, de->d_name);
		else if (path_has_suffix(de->d_name, ".pkr.json"))
			json = true;
	}
	closedir(dh);
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, cmp_str);
	struct strv json_vars = STRV_INIT;
	int rc = 0;
	for (size_t i = 0; i < names.n; i++) {
		char *joined = path_join(path, names.v[i]);
		char *p = path_clean(joined);
		free(joined);
		int ok = check_entry(p, d);
		if (ok < 0)
			rc = -1;
		else if (ok > 0)
			strv_push(path_has_suffix(names.v[i], ".pkr.hcl")  ? templates
				  : path_has_suffix(names.v[i], ".json") ? &json_vars
									 : autovars,
				  p);
		free(p);
	}
	for (size_t i = 0; i < json_vars.n; i++)
		strv_push(autovars, json_vars.v[i]);
	strv_free(&json_vars);
	strv_free(&names);
	if (rc < 0)
		return -1;
	if (templates->n == 0) {
		hcl_error(d, NULL, "No template files found",
			  json ? "The directory \"%s\" holds only JSON templates (*.pkr.json), which kiln does not read."
			       : "The directory \"%s\" contains no *.pkr.hcl file.",
			  path);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------------
 * Loading */

static void decode_root(struct tmpl *t, const struct hcl_body *body, struct hcl_diags *d)
{
	for (size_t i = 0; i < body->nattrs; i++) {
		const struct hcl_attribute *a = body->attrs[i];
		hcl_error(d, &a->name_range, "Unsupported argument",
			  "An argument named \"%s\" is not expected at the top level of a template: it holds only "
			  "blocks (variable, locals, source, build, ...). To give a variable a value, use a "
			  "*.pkrvars.hcl file with -var-file.",
			  a->name);
	}
	struct strv types = STRV_INIT;
	for (size_t i = 0; root_blocks[i].type; i++)
		strv_push(&types, root_blocks[i].type);
	for (size_t i = 0; i < body->nblocks; i++) {
		const struct hcl_block *blk = body->blocks[i];
		const struct tmpl_block_spec *bs = NULL;
		for (size_t j = 0; root_blocks[j].type; j++)
			if (strcmp(root_blocks[j].type, blk->type) == 0)
				bs = &root_blocks[j];
		if (!bs) {
			char *sugg = tmpl_suggest(blk->type, (const char *const *)types.v, types.n);
			hcl_error(d, &blk->type_range, "Unsupported block type", "Blocks of type \"%s\" are not expected here.%s",
				  blk->type, sugg);
			free(sugg);
			continue;
		}
		if (!tmpl_check_labels(blk, bs, d))
			continue;
		if (strcmp(blk->type, "packer") == 0)
			decode_packer(t, blk, d);
		else if (strcmp(blk->type, "variable") == 0)
			decode_variable(t, blk, d);
		else if (strcmp(blk->type, "variables") == 0)
			decode_variables(t, blk, d);
		else if (strcmp(blk->type, "locals") == 0)
			decode_locals(t, blk, d);
		else if (strcmp(blk->type, "local") == 0)
			decode_local(t, blk, d);
		else if (strcmp(blk->type, "source") == 0)
			decode_source(t, blk, d);
		else if (strcmp(blk->type, "data") == 0)
			decode_data(t, blk, d);
		else if (strcmp(blk->type, "build") == 0)
			tmpl_check_build(t, blk, d);
	}
	strv_free(&types);
}

/* kiln's own names for this template, which the output filter never masks (ui_public_add): its
 * directory, its files and variable files, its sources' and builds' names. */
static void register_public_names(const struct tmpl *t, const struct strv *autovars, const struct tmpl_options *opts)
{
	struct strv names = STRV_INIT;
	strv_push(&names, t->path);
	strv_push(&names, t->dir);
	for (size_t i = 0; i < t->files.n; i++)
		strv_push(&names, t->files.v[i]->filename);
	for (size_t i = 0; i < autovars->n; i++)
		strv_push(&names, autovars->v[i]);
	for (size_t i = 0; i < opts->nvar_args; i++)
		if (opts->var_args[i].kind == TMPL_ARG_VAR_FILE)
			strv_push(&names, opts->var_args[i].text);
	for (size_t i = 0, n = names.n; i < n; i++)
		strv_push_owned(&names, path_basename(names.v[i]));
	for (size_t i = 0; i < t->nsources; i++) {
		strv_pushf(&names, "%s.%s", t->sources[i].type, t->sources[i].name);
		strv_push(&names, t->sources[i].name);
	}
	for (size_t i = 0; i < t->nbuilds; i++)
		strv_push(&names, t->builds[i]->name);
	for (size_t i = 0; i < names.n; i++)
		ui_public_add(names.v[i]);
	strv_free(&names);
}

struct tmpl *tmpl_load(const char *path, const struct tmpl_options *opts, struct hcl_diags *d)
{
	struct tmpl *t = xcalloc(1, sizeof *t);
	struct tmpl_options defaults = {0};
	if (!opts)
		opts = &defaults;
	t->mode = opts->mode;
	t->plugin_finder = opts->plugins;
	t->path = xstrdup(path);
	char *cwd = getcwd(NULL, 0);
	t->cwd = cwd ? cwd : xstrdup(".");
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		t->dir = path_clean(path);
	else
		t->dir = path_dirname(path);

	struct strv templates = STRV_INIT, autovars = STRV_INIT;
	if (discover(path, &templates, &autovars, d) < 0)
		goto out;
	size_t nerr = hcl_diags_count(d, HCL_DIAG_ERROR);
	for (size_t i = 0; i < templates.n; i++) {
		struct hcl_file *f = hcl_parse_config_file(templates.v[i], d);
		if (f)
			hcl_fileset_add(&t->files, f);
	}
	size_t ntemplates = t->files.n;
	for (size_t i = 0; i < ntemplates; i++)
		decode_root(t, t->files.v[i]->body, d);
	register_public_names(t, &autovars, opts);
	if (opts->mode == TMPL_SYNTAX_ONLY) {
		tmpl_check_types(t, d);
		goto out;
	}
	if (hcl_diags_count(d, HCL_DIAG_ERROR) > nerr)
		goto out;
	tmpl_evaluate(t, opts, &autovars, d);
out:
	strv_free(&templates);
	strv_free(&autovars);
	return t;
}

const struct hcl_fileset *tmpl_files(const struct tmpl *t)
{
	return &t->files;
}

const char *tmpl_dir(const struct tmpl *t)
{
	return t->dir;
}

struct hcl_eval_ctx *tmpl_eval_ctx(struct tmpl *t)
{
	return t->evaluated ? t->ctx : NULL;
}

size_t tmpl_required_versions(const struct tmpl *t, const char *const **texts, const struct hcl_range **ranges)
{
	*texts = (const char *const *)t->required_versions.v;
	*ranges = t->required_version_ranges;
	return t->required_versions.n;
}

size_t tmpl_required_plugins(const struct tmpl *t, const struct tmpl_plugin_req **reqs)
{
	*reqs = t->plugins;
	return t->nplugins;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nvars; i++) {
		struct tmpl_var *v = &t->vars[i];
		free(v->name);
		free(v->validations);
		hcl_type_unref(v->type);
		hcl_value_unref(v->value);
		free(v->description);
	}
	free(t->vars);
	for (size_t i = 0; i < t->nlocals; i++) {
		free(t->locals[i].name);
		hcl_value_unref(t->locals[i].value);
	}
	free(t->locals);
	strmap_free(&t->var_index);
	strmap_free(&t->local_index);
	for (size_t i = 0; i < t->nsources; i++) {
		free(t->sources[i].type);
		free(t->sources[i].name);
	}
	free(t->sources);
	for (size_t i = 0; i < t->ndatas; i++) {
		free(t->datas[i].type);
		free(t->datas[i].name);
		hcl_value_unref(t->datas[i].value);
	}
	free(t->datas);
	for (size_t i = 0; i < t->nbuilds; i++)
		tmpl_build_free(t->builds[i]);
	free(t->builds);
	free(t->build_blocks);
	if (t->ctx)
		hcl_eval_ctx_free(t->ctx);
	strv_free(&t->required_versions);
	free(t->required_version_ranges);
	free(t->plugins);
	strv_free(&t->strings);
	strv_free(&t->plugin_problems);
	hcl_fileset_free(&t->files);
	free(t->path);
	free(t->dir);
	free(t->cwd);
	free(t);
}
