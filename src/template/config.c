/* config.c — a component's block decoded against its struct kiln_schema into a struct kiln_config,
 * and the kiln_config_* accessors components read it through (component.h).
 *
 * Decoding reports, each at its exact place: arguments the schema does not have (with a suggestion),
 * values that do not convert to the argument's type, values outside the schema's allowed values or
 * range, durations that do not parse, keys kiln does not support, nested blocks that are unknown or
 * repeated, missing required arguments and conflicting ones. Values are converted to the schema's
 * types and the schema's defaults are kept beside them, so the accessors only read. A value that is not
 * known yet (build.*, data sources during validate) reads as unset. */
#include "template/internal.h"
#include "engine/plan.h"

#include "util/lazy_jansson.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hcl/eval.h"
#include "hcl/func.h"
#include "hcl/value.h"
#include "schema.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/timeutil.h"

struct cfg_attr {
	char *name;
	struct hcl_value *value;
	struct hcl_range range;       /* the argument (name = value) */
	char *filename;               /* owned copy backing range.filename */
};

struct cfg_blocks {
	char *name;
	struct kiln_config **v;
	size_t n;
	struct hcl_range first;
};

struct cfg_default {
	const char *name;             /* the schema's */
	struct hcl_value *value;
};

struct kiln_config {
	char *label;
	const struct kiln_schema *schema;
	struct cfg_attr *attrs;
	size_t nattrs;
	struct cfg_blocks *blocks;
	size_t nblocks;
	struct cfg_default *defaults; /* the schema's defaults, converted to their types */
	size_t ndefaults;
	struct strv texts;            /* strings handed out by the accessors */
	struct strv reads;            /* every key the component asked about (tests: schema completeness) */
};

/* ------------------------------------------------------------------------------------------------
 * Accessors */

static const struct cfg_attr *find_attr(const struct kiln_config *c, const char *name)
{
	for (size_t i = 0; c && i < c->nattrs; i++)
		if (strcmp(c->attrs[i].name, name) == 0)
			return &c->attrs[i];
	return NULL;
}

static const struct cfg_blocks *find_blocks(const struct kiln_config *c, const char *name)
{
	for (size_t i = 0; c && i < c->nblocks; i++)
		if (strcmp(c->blocks[i].name, name) == 0)
			return &c->blocks[i];
	return NULL;
}

/* A component asked for a key its schema does not have: a bug in the component, never a silent default. */
static void __attribute__((noreturn)) schema_bug(const struct kiln_config *c, const char *name)
{
	ui_error(ui_global(), "kiln: internal error: %s asked for \"%s\", which is not in its schema",
		 c ? c->label : "(no configuration)", name ? name : "(null)");
	abort();
}

static const struct kiln_attr *schema_key(const struct kiln_config *c, const char *name)
{
	const struct kiln_attr *sa = c && name ? kiln_schema_attr(c->schema, name) : NULL;
	if (!sa)
		schema_bug(c, name);
	struct kiln_config *mc = (struct kiln_config *)c;
	if (!strv_contains(&mc->reads, name))
		strv_push(&mc->reads, name);
	return sa;
}

void tmpl_config_reads(const struct kiln_config *c, const char *prefix, struct strv *out)
{
	for (size_t i = 0; c && i < c->reads.n; i++) {
		char *key = xasprintf("%s%s", prefix, c->reads.v[i]);
		if (strv_contains(out, key))
			free(key);
		else
			strv_push_owned(out, key);
	}
	for (size_t i = 0; c && i < c->nblocks; i++)
		for (size_t j = 0; j < c->blocks[i].n; j++) {
			char *sub = xasprintf("%s%s.", prefix, c->blocks[i].name);
			tmpl_config_reads(c->blocks[i].v[j], sub, out);
			free(sub);
		}
}

static const struct hcl_value *default_of(const struct kiln_config *c, const char *name)
{
	for (size_t i = 0; i < c->ndefaults; i++)
		if (strcmp(c->defaults[i].name, name) == 0)
			return c->defaults[i].value;
	return NULL;
}

/* What the user set, when it is set and known; NULL otherwise. */
static const struct hcl_value *user_value(const struct kiln_config *c, const char *name)
{
	const struct cfg_attr *a = find_attr(c, name);
	if (!a || !a->value || hcl_is_null(a->value) || !hcl_is_wholly_known(a->value))
		return NULL;
	return a->value;
}

/* The value to read: the user's, else the schema's default (a zero value counts as unset when there is
 * a default, as Packer treats Go's zero value); NULL when neither. */
static const struct hcl_value *usable(const struct kiln_config *c, const char *name)
{
	schema_key(c, name);
	const struct hcl_value *v = user_value(c, name);
	const struct hcl_value *def = default_of(c, name);
	if (v && def && kiln_value_is_zero(v))
		return def;
	return v ? v : def;
}

bool kiln_config_has(const struct kiln_config *c, const char *name)
{
	schema_key(c, name);
	const struct cfg_attr *a = find_attr(c, name);
	if (a && a->value && !hcl_is_null(a->value))
		return true;
	const struct cfg_blocks *b = find_blocks(c, name);
	return b && b->n > 0;
}

bool kiln_config_is_known(const struct kiln_config *c, const char *name)
{
	schema_key(c, name);
	const struct cfg_attr *a = find_attr(c, name);
	return !a || !a->value || hcl_is_wholly_known(a->value);
}

/* Text of a primitive value, kept by the config. */
static const char *text_of(const struct kiln_config *c, const struct hcl_value *v)
{
	if (!v || hcl_is_null(v) || !hcl_is_known(v))
		return NULL;
	if (hcl_kind(v) == HCL_STRING)
		return hcl_str(v);
	char *s = hcl_value_as_text(v);
	if (!s)
		return NULL;
	struct kiln_config *mc = (struct kiln_config *)c;
	strv_push_owned(&mc->texts, s);
	return s;
}

const char *kiln_config_string(const struct kiln_config *c, const char *name)
{
	return text_of(c, usable(c, name));
}

static bool bool_of(const struct hcl_value *v)
{
	if (hcl_kind(v) == HCL_BOOL)
		return hcl_true(v);
	return hcl_kind(v) == HCL_STRING && (strcmp(hcl_str(v), "true") == 0 || strcmp(hcl_str(v), "1") == 0);
}

bool kiln_config_bool(const struct kiln_config *c, const char *name)
{
	const struct hcl_value *v = usable(c, name);
	return v ? bool_of(v) : false;
}

static bool number_of(const struct hcl_value *v, double *out, int64_t *iout, bool *is_int)
{
	if (!v)
		return false;
	if (hcl_kind(v) == HCL_NUMBER) {
		*out = hcl_num_to_double(hcl_num_of(v));
		*is_int = hcl_num_to_int64(hcl_num_of(v), iout);
		return true;
	}
	if (hcl_kind(v) == HCL_STRING) {
		char *end;
		*out = strtod(hcl_str(v), &end);
		if (end == hcl_str(v) || *end)
			return false;
		*is_int = (double)(int64_t)*out == *out;
		*iout = (int64_t)*out;
		return true;
	}
	return false;
}

static int64_t int_of(const struct hcl_value *v, int64_t def)
{
	double d;
	int64_t i;
	bool is_int;
	if (!number_of(v, &d, &i, &is_int))
		return def;
	return is_int ? i : (int64_t)d;
}

int64_t kiln_config_int(const struct kiln_config *c, const char *name)
{
	return int_of(usable(c, name), 0);
}

static int64_t duration_of(const struct kiln_config *c, const struct hcl_value *v)
{
	int64_t ms = 0;
	if (v && hcl_kind(v) == HCL_NUMBER)
		return (int64_t)(hcl_num_to_double(hcl_num_of(v)) * 1000.0);
	const char *s = text_of(c, v);
	if (s && kiln_duration_parse(s, &ms) < 0)
		ms = 0;  /* not reached: decoding checked it */
	return ms;
}

int64_t kiln_config_duration_ms(const struct kiln_config *c, const char *name)
{
	return duration_of(c, usable(c, name));
}

const char *kiln_config_default_string(const struct kiln_config *c, const char *name)
{
	schema_key(c, name);
	return text_of(c, default_of(c, name));
}

size_t kiln_config_list_len(const struct kiln_config *c, const char *name)
{
	const struct hcl_value *v = usable(c, name);
	return v && hcl_is_collection_value(v) ? hcl_len(v) : 0;
}

const char *kiln_config_list_string(const struct kiln_config *c, const char *name, size_t i)
{
	const struct hcl_value *v = usable(c, name);
	if (!v || !hcl_is_collection_value(v) || i >= hcl_len(v))
		return NULL;
	return text_of(c, hcl_elem(v, i));
}

static void strv_of(const struct kiln_config *c, const struct hcl_value *v, struct strv *out)
{
	for (size_t i = 0; v && hcl_is_collection_value(v) && i < hcl_len(v); i++) {
		const char *s = text_of(c, hcl_elem(v, i));
		if (s)
			strv_push(out, s);
	}
}

void kiln_config_list_strv(const struct kiln_config *c, const char *name, struct strv *out)
{
	strv_of(c, usable(c, name), out);
}

void kiln_config_list_strv_at(const struct kiln_config *c, const char *name, size_t i, struct strv *out)
{
	const struct hcl_value *v = usable(c, name);
	if (v && hcl_is_collection_value(v) && i < hcl_len(v))
		strv_of(c, hcl_elem(v, i), out);
}

size_t kiln_config_map_len(const struct kiln_config *c, const char *name)
{
	const struct hcl_value *v = usable(c, name);
	return v && hcl_is_mapping(v) ? hcl_len(v) : 0;
}

const char *kiln_config_map_key(const struct kiln_config *c, const char *name, size_t i)
{
	const struct hcl_value *v = usable(c, name);
	return v && hcl_is_mapping(v) && i < hcl_len(v) ? hcl_key(v, i) : NULL;
}

const char *kiln_config_map_string(const struct kiln_config *c, const char *name, size_t i)
{
	const struct hcl_value *v = usable(c, name);
	return v && hcl_is_mapping(v) && i < hcl_len(v) ? text_of(c, hcl_elem(v, i)) : NULL;
}

size_t kiln_config_block_count(const struct kiln_config *c, const char *name)
{
	schema_key(c, name);
	const struct cfg_blocks *b = find_blocks(c, name);
	return b ? b->n : 0;
}

const struct kiln_config *kiln_config_block(const struct kiln_config *c, const char *name, size_t i)
{
	schema_key(c, name);
	const struct cfg_blocks *b = find_blocks(c, name);
	return b && i < b->n ? b->v[i] : NULL;
}

int kiln_config_error(const struct kiln_config *c, const char *name, struct kiln_error *err, const char *fmt, ...)
{
	schema_key(c, name);
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	const struct cfg_attr *a = find_attr(c, name);
	const struct cfg_blocks *b = a ? NULL : find_blocks(c, name);
	size_t nl = strlen(name);
	if (strncmp(msg, name, nl) == 0 && msg[nl] == ':') /* the message names the key itself */
		err_set(err, "%s: %s", c ? c->label : "?", msg);
	else
		err_set(err, "%s: %s: %s", c ? c->label : "?", name, msg);
	free(msg);
	if (a)
		err_location(err, a->range.filename, a->range.start.line, a->range.start.column);
	else if (b)
		err_location(err, b->first.filename, b->first.start.line, b->first.start.column);
	return -1;
}

static bool starts_at(const struct hcl_range *r, const struct kiln_error *e)
{
	return r->filename && strcmp(r->filename, e->file) == 0 && (int)r->start.line == e->line &&
	       (int)r->start.column == e->col;
}

bool tmpl_config_error_range(const struct kiln_config *c, const struct kiln_error *e, struct hcl_range *out)
{
	if (!c || !e->file)
		return false;
	for (size_t i = 0; i < c->nattrs; i++)
		if (starts_at(&c->attrs[i].range, e)) {
			*out = c->attrs[i].range;
			return true;
		}
	for (size_t i = 0; i < c->nblocks; i++) {
		if (starts_at(&c->blocks[i].first, e)) {
			*out = c->blocks[i].first;
			return true;
		}
		/* an attribute of a nested block (sanitize { operations = ... }) */
		for (size_t j = 0; j < c->blocks[i].n; j++)
			if (tmpl_config_error_range(c->blocks[i].v[j], e, out))
				return true;
	}
	return false;
}

const char *kiln_config_label(const struct kiln_config *c)
{
	return c ? c->label : "";
}

const struct kiln_schema *kiln_config_schema(const struct kiln_config *c)
{
	return c ? c->schema : NULL;
}

static json_t *value_json(struct hcl_value *v)
{
	struct buf b = BUF_INIT;
	hcl_json_encode(v, &b);
	json_t *j = json_loadb(buf_cstr(&b), b.len, JSON_DECODE_ANY, NULL);
	buf_free(&b);
	return j ? j : json_null();
}

static json_t *config_json(const struct kiln_config *c, const char *prefix, struct strv *unknown)
{
	json_t *o = json_object();
	for (const struct kiln_attr *a = c->schema->attrs; a && a->name; a++) {
		const struct cfg_attr *ca = find_attr(c, a->name);
		if (ca && ca->value && !hcl_is_null(ca->value)) {
			if (hcl_is_wholly_known(ca->value))
				json_object_set_new(o, a->name, value_json(ca->value));
			else
				strv_pushf(unknown, "%s%s", prefix, a->name);
			continue;
		}
		const struct cfg_blocks *b = find_blocks(c, a->name);
		if (b && b->n) {
			bool repeated = (a->flags & KILN_ATTR_REPEATED) != 0;
			json_t *list = repeated ? json_array() : NULL;
			for (size_t i = 0; i < b->n; i++) {
				char *sub = repeated ? xasprintf("%s%s[%zu].", prefix, a->name, i) : xasprintf("%s%s.", prefix, a->name);
				json_t *bj = config_json(b->v[i], sub, unknown);
				free(sub);
				if (!repeated) {
					json_object_set_new(o, a->name, bj);
					break;
				}
				json_array_append_new(list, bj);
			}
			if (list)
				json_object_set_new(o, a->name, list);
			continue;
		}
		const struct hcl_value *d = default_of(c, a->name);
		if (d && !hcl_is_null(d))
			json_object_set_new(o, a->name, value_json((struct hcl_value *)d));
	}
	return o;
}

char *kiln_config_json(const struct kiln_config *c, struct strv *unknown)
{
	json_t *o = config_json(c, "", unknown);
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

/* HCL values are reference counted without atomics and configs share values with the template, so
 * evaluation (tmpl_eval_step, from the engine's parallel build threads) and freeing a config are
 * serialized by one lock. Reading a config through the accessors needs none. */
static pthread_mutex_t eval_lock = PTHREAD_MUTEX_INITIALIZER;

void tmpl_lock(void)
{
	pthread_mutex_lock(&eval_lock);
}

void tmpl_unlock(void)
{
	pthread_mutex_unlock(&eval_lock);
}

void kiln_config_free(struct kiln_config *c)
{
	if (!c)
		return;
	tmpl_lock();
	tmpl_config_free_locked(c);
	tmpl_unlock();
}

void tmpl_config_free_locked(struct kiln_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nattrs; i++) {
		free(c->attrs[i].name);
		free(c->attrs[i].filename);
		hcl_value_unref(c->attrs[i].value);
	}
	free(c->attrs);
	for (size_t i = 0; i < c->nblocks; i++) {
		for (size_t j = 0; j < c->blocks[i].n; j++)
			tmpl_config_free_locked(c->blocks[i].v[j]);
		free(c->blocks[i].v);
		free(c->blocks[i].name);
		free((char *)c->blocks[i].first.filename);
	}
	free(c->blocks);
	for (size_t i = 0; i < c->ndefaults; i++)
		hcl_value_unref(c->defaults[i].value);
	free(c->defaults);
	strv_free(&c->texts);
	strv_free(&c->reads);
	free(c->label);
	free(c);
}

/* ------------------------------------------------------------------------------------------------
 * Decoding */

static void set_attr(struct kiln_config *c, const char *name, struct hcl_value *v, const struct hcl_range *r)
{
	for (size_t i = 0; i < c->nattrs; i++) {
		if (strcmp(c->attrs[i].name, name) == 0) {
			hcl_value_unref(c->attrs[i].value);
			c->attrs[i].value = v;
			return;
		}
	}
	c->attrs = xrealloc(c->attrs, (c->nattrs + 1) * sizeof *c->attrs);
	struct cfg_attr *a = &c->attrs[c->nattrs++];
	a->name = xstrdup(name);
	a->value = v;
	a->filename = xstrdup(r->filename ? r->filename : "");
	a->range = *r;
	a->range.filename = a->filename;
}

static void add_block(struct kiln_config *c, const char *name, struct kiln_config *sub, const struct hcl_range *r)
{
	struct cfg_blocks *b = (struct cfg_blocks *)find_blocks(c, name);
	if (!b) {
		c->blocks = xrealloc(c->blocks, (c->nblocks + 1) * sizeof *c->blocks);
		b = &c->blocks[c->nblocks++];
		memset(b, 0, sizeof *b);
		b->name = xstrdup(name);
		b->first = *r;
		b->first.filename = xstrdup(r->filename ? r->filename : "");
	}
	b->v = xrealloc(b->v, (b->n + 1) * sizeof *b->v);
	b->v[b->n++] = sub;
}

static bool in_list(const char *const *v, const char *name)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], name) == 0)
			return true;
	return false;
}

static void schema_names(const struct kiln_schema *s, bool blocks, struct strv *out)
{
	for (size_t i = 0; s && s->attrs && s->attrs[i].name; i++) {
		const struct kiln_attr *a = &s->attrs[i];
		bool is_block = a->flags & KILN_ATTR_BLOCK;
		if (blocks ? is_block : a->type != NULL)
			strv_push(out, a->name);
	}
}

/* Convert v to the argument's type and check it against the schema; NULL (with a diagnostic) when it
 * does not fit. */
static struct hcl_value *convert_arg(const struct kiln_attr *sa, struct hcl_value *v, const struct hcl_range *r,
				     struct hcl_diags *d)
{
	if (!sa->type || hcl_is_null(v))
		return hcl_value_ref(v);
	struct hcl_value *c = NULL;
	if (strcmp(sa->type, "any") == 0) {
		c = hcl_value_ref(v);
	} else {
		char *why = NULL;
		struct hcl_type *ty = kiln_attr_type(sa, &why);
		if (!ty) {
			hcl_error(d, r, "Invalid component schema",
				  "The schema gives argument \"%s\" the type \"%s\", which is not a type: %s. This is a bug "
				  "in the component.",
				  sa->name, sa->type, why ? why : "?");
			free(why);
			return NULL;
		}
		struct hcl_convert_error ce = {0};
		c = hcl_convert(v, ty, &ce);
		hcl_type_unref(ty);
		if (!c) {
			hcl_error(d, r, "Incorrect attribute value type", "Inappropriate value for attribute \"%s\": %s%s%s.",
				  sa->name, ce.path && *ce.path ? ce.path : "", ce.path && *ce.path ? ": " : "", ce.msg);
			hcl_convert_error_free(&ce);
			return NULL;
		}
	}
	unsigned marks;
	struct hcl_value *plain = hcl_unmark_deep(hcl_value_ref(c), &marks);
	const char *summary = "Invalid value";
	/* a zero value means unset (the default, if any): nothing of it to check */
	bool as_default = kiln_value_is_zero(plain);
	char *problem = as_default ? NULL : kiln_attr_check_value(sa, sa->name, plain, &summary);
	hcl_value_unref(plain);
	if (problem) {
		/* a secret is not repeated in the message */
		if ((sa->flags & KILN_ATTR_SENSITIVE) || (marks & HCL_MARK_SENSITIVE)) {
			free(problem);
			problem = xasprintf("The value of \"%s\" is not valid.", sa->name);
		}
		hcl_error(d, r, summary, "%s", problem);
		free(problem);
		hcl_value_unref(c);
		return NULL;
	}
	return c;
}

/* The schema's defaults, converted; a default that does not fit its own attribute is the component's
 * bug, reported once here. */
static void fill_defaults(struct kiln_config *c, const struct kiln_schema *schema, const struct hcl_range *r,
			  struct hcl_diags *d)
{
	for (size_t i = 0; schema && schema->attrs && schema->attrs[i].name; i++) {
		const struct kiln_attr *sa = &schema->attrs[i];
		struct hcl_value *v = NULL;
		char *why = NULL;
		if (kiln_attr_default(sa, &v, &why) < 0) {
			hcl_error(d, r, "Invalid component schema",
				  "The schema of %s gives \"%s\" a default that does not work: %s. This is a bug in the "
				  "component.",
				  c->label, sa->name, why);
			free(why);
			continue;
		}
		if (!v)
			continue;
		c->defaults = xrealloc(c->defaults, (c->ndefaults + 1) * sizeof *c->defaults);
		c->defaults[c->ndefaults].name = sa->name;
		c->defaults[c->ndefaults++].value = v;
	}
}

static void unsupported_arg(const struct kiln_schema *s, const struct hcl_attribute *a, struct hcl_diags *d)
{
	const struct kiln_attr *sa = kiln_schema_attr(s, a->name);
	if (sa && (sa->flags & KILN_ATTR_BLOCK) && !sa->type) {
		hcl_error(d, &a->name_range, "Unsupported argument",
			  "An argument named \"%s\" is not expected here. Did you mean to define a block of type "
			  "\"%s\"?",
			  a->name, a->name);
		return;
	}
	struct strv names = STRV_INIT;
	schema_names(s, false, &names);
	char *sugg = tmpl_suggest(a->name, (const char *const *)names.v, names.n);
	hcl_error(d, &a->name_range, "Unsupported argument", "An argument named \"%s\" is not expected here.%s",
		  a->name, sugg);
	free(sugg);
	strv_free(&names);
}

struct decode_state {
	struct tmpl *t;
	const struct kiln_schema *schema;
	struct kiln_config *c;
	struct hcl_eval_ctx *ctx;
	struct hcl_diags *d;
	struct strv block_once;           /* non-repeated blocks seen */
	struct hcl_range *block_once_at;
	const char *label;
};

static struct kiln_config *decode_body(struct tmpl *t, const struct kiln_schema *schema, const char *label,
				       const struct hcl_body *body, const struct hcl_range *def_range,
				       const struct hcl_body *extra, const struct hcl_range *extra_range,
				       const char *const *skip, const char *const *extra_skip,
				       struct hcl_value *override, struct hcl_eval_ctx *ctx,
				       const struct tmpl_bindings *bind, struct hcl_diags *d);

static void on_nested_block(void *arg, const char *type, const struct hcl_block *origin, struct strv *labels,
			    const struct hcl_body *body, const struct tmpl_bindings *bind)
{
	struct decode_state *st = arg;
	const struct kiln_attr *sa = kiln_schema_attr(st->schema, type);
	if (!sa || !(sa->flags & KILN_ATTR_BLOCK)) {
		if (sa) {
			hcl_error(st->d, &origin->type_range, "Unsupported block type",
				  "Blocks of type \"%s\" are not expected here. Did you mean to define an argument named "
				  "\"%s\"?",
				  type, type);
			return;
		}
		struct strv names = STRV_INIT;
		schema_names(st->schema, true, &names);
		char *sugg = tmpl_suggest(type, (const char *const *)names.v, names.n);
		hcl_error(st->d, &origin->type_range, "Unsupported block type",
			  "Blocks of type \"%s\" are not expected here.%s", type, sugg);
		free(sugg);
		strv_free(&names);
		return;
	}
	if (labels->n > 0) {
		hcl_error(st->d, origin->nlabels ? &origin->label_ranges[0] : &origin->type_range,
			  "Extraneous label for block", "No labels are expected for %s blocks.", type);
		return;
	}
	if (!(sa->flags & KILN_ATTR_REPEATED)) {
		for (size_t i = 0; i < st->block_once.n; i++) {
			if (strcmp(st->block_once.v[i], type) == 0) {
				char *at = hcl_range_string(&st->block_once_at[i]);
				char *summary = xasprintf("Duplicate %s block", type);
				hcl_error(st->d, &origin->type_range, summary,
					  "Only one %s block is allowed. Another was defined at %s.", type, at);
				free(summary);
				free(at);
				return;
			}
		}
		st->block_once_at = xrealloc(st->block_once_at, (st->block_once.n + 1) * sizeof *st->block_once_at);
		st->block_once_at[st->block_once.n] = origin->type_range;
		strv_push(&st->block_once, type);
	}
	if (find_attr(st->c, type)) {
		hcl_error(st->d, &origin->type_range, "Conflicting configuration",
			  "\"%s\" is set both as an argument and as a block; use one of them.", type);
		return;
	}
	char *sublabel = xasprintf("%s.%s", st->label, type);
	struct hcl_range def = origin->type_range;
	struct kiln_config *sub = decode_body(st->t, sa->block, sublabel, body, &def, NULL, NULL, NULL, NULL, NULL,
					      st->ctx, bind, st->d);
	free(sublabel);
	add_block(st->c, type, sub, &origin->type_range);
}

static void decode_attrs(struct decode_state *st, const struct hcl_body *body, const char *const *skip,
			 const struct tmpl_bindings *bind, bool from_extra, const struct hcl_range *extra_range)
{
	struct hcl_eval_ctx *ctx = tmpl_bind(st->ctx, bind);
	for (size_t i = 0; i < body->nattrs; i++) {
		const struct hcl_attribute *a = body->attrs[i];
		if (in_list(skip, a->name))
			continue;
		const struct kiln_attr *sa = kiln_schema_attr(st->schema, a->name);
		if (!sa || !sa->type) {
			unsupported_arg(st->schema, a, st->d);
			continue;
		}
		if (from_extra && find_attr(st->c, a->name)) {
			char *at = hcl_range_string(&find_attr(st->c, a->name)->range);
			hcl_error(st->d, &a->name_range, "Duplicate argument",
				  "\"%s\" is already set in the source block (at %s); a build-level source block can only "
				  "fill in arguments the source leaves unset.",
				  a->name, at);
			free(at);
			continue;
		}
		(void)extra_range;
		if (!tmpl_check_refs(st->t, a->expr, st->d))
			continue;
		size_t nd = st->d->n;
		struct hcl_value *v = hcl_eval(a->expr, ctx, st->d);
		if (st->d->n > nd && hcl_diags_has_errors(st->d)) {
			hcl_value_unref(v);
			continue;
		}
		struct hcl_value *cv = convert_arg(sa, v, &a->expr->range, st->d);
		hcl_value_unref(v);
		if (!cv)
			continue;
		/* a sensitive argument, or a value computed from a sensitive one (upper(var.secret)): what
		 * the component prints or runs is filtered for it */
		if ((sa->flags & KILN_ATTR_SENSITIVE) || (hcl_marks_deep(cv) & HCL_MARK_SENSITIVE))
			tmpl_register_secrets(cv);
		if (sa->flags & KILN_ATTR_DEPRECATED)
			hcl_warning(st->d, &a->name_range, "Deprecated argument",
				    "The argument \"%s\" is deprecated: %s", a->name, sa->doc ? sa->doc : "see the documentation.");
		set_attr(st->c, a->name, cv, &a->range);
	}
	hcl_eval_ctx_free(ctx);
}

static struct kiln_config *decode_body(struct tmpl *t, const struct kiln_schema *schema, const char *label,
				       const struct hcl_body *body, const struct hcl_range *def_range,
				       const struct hcl_body *extra, const struct hcl_range *extra_range,
				       const char *const *skip, const char *const *extra_skip,
				       struct hcl_value *override, struct hcl_eval_ctx *ctx,
				       const struct tmpl_bindings *bind, struct hcl_diags *d)
{
	struct kiln_config *c = xcalloc(1, sizeof *c);
	c->label = xstrdup(label);
	c->schema = schema;
	struct decode_state st = {t, schema, c, ctx, d, STRV_INIT, NULL, label};

	decode_attrs(&st, body, skip, bind, false, NULL);
	tmpl_expand_blocks(t, body, ctx, bind, on_nested_block, &st, d);
	if (extra) {
		decode_attrs(&st, extra, extra_skip, NULL, true, extra_range);
		tmpl_expand_blocks(t, extra, ctx, NULL, on_nested_block, &st, d);
	}
	/* provisioner override: values for this source replace the block's */
	if (override && hcl_is_wholly_known(override) && hcl_is_mapping(override)) {
		for (size_t i = 0; i < hcl_len(override); i++) {
			const char *name = hcl_key(override, i);
			const struct kiln_attr *sa = kiln_schema_attr(schema, name);
			if (!sa || !sa->type) {
				hcl_error(d, def_range, "Unsupported argument in override",
					  "The override sets \"%s\", which %s does not have.", name, label);
				continue;
			}
			struct hcl_value *cv = convert_arg(sa, hcl_elem(override, i), def_range, d);
			if (cv)
				set_attr(c, name, cv, def_range);
		}
	}
	for (size_t i = 0; schema && schema->attrs && schema->attrs[i].name; i++) {
		const struct kiln_attr *sa = &schema->attrs[i];
		if ((sa->flags & KILN_ATTR_REQUIRED) && !find_attr(c, sa->name) && !find_blocks(c, sa->name))
			hcl_error(d, def_range, "Missing required argument",
				  "The argument \"%s\" is required, but no definition was found%s%s%s.", sa->name,
				  sa->doc ? " (" : "", sa->doc ? sa->doc : "", sa->doc ? ")" : "");
	}
	fill_defaults(c, schema, def_range, d);
	for (size_t g = 0; schema && schema->conflicts && schema->conflicts[g]; g++) {
		const char *const *group = schema->conflicts[g];
		const struct cfg_attr *first = NULL;
		for (size_t k = 0; group[k]; k++) {
			const struct cfg_attr *a = find_attr(c, group[k]);
			if (!a || !a->value || hcl_is_null(a->value))
				continue;
			if (!first) {
				first = a;
				continue;
			}
			struct buf names = BUF_INIT;
			for (size_t m = 0; group[m]; m++)
				buf_printf(&names, "%s\"%s\"", m == 0 ? "" : group[m + 1] ? ", " : " and ", group[m]);
			char *at = hcl_range_string(&first->range);
			hcl_error(d, &a->range, "Conflicting configuration arguments",
				  "Only one of %s can be set: \"%s\" conflicts with \"%s\" (set at %s).", buf_cstr(&names),
				  a->name, first->name, at);
			free(at);
			buf_free(&names);
		}
	}
	strv_free(&st.block_once);
	free(st.block_once_at);
	return c;
}

struct kiln_config *tmpl_decode_config(const struct tmpl_decode *in, struct hcl_eval_ctx *ctx, struct hcl_diags *d)
{
	return decode_body(in->t, in->schema, in->label, in->body, &in->def_range, in->extra, &in->extra_range, in->skip,
			   in->extra_skip, in->override, ctx, NULL, d);
}

/* ------------------------------------------------------------------------------------------------
 * Fingerprints for checkpoint keys (engine/plan.h) */

/* Length-prefixed, so no value can imitate the punctuation around another. */
static void fp_bytes(struct buf *out, const char *tag, const char *s, size_t n)
{
	buf_printf(out, "%s%zu:", tag, n);
	buf_append(out, s, n);
}

/* The value's canonical text; -1 (with *why) when a part is unknown or volatile. */
static int fp_value(const struct hcl_value *v, struct buf *out, const char **why)
{
	if (!hcl_is_known(v)) {
		*why = "its value is only known during the build";
		return -1;
	}
	if (v->marks & HCL_MARK_VOLATILE) {
		*why = "it uses timestamp(), uuidv4() or bcrypt(), whose result changes on every run";
		return -1;
	}
	if (hcl_is_null(v)) {
		buf_puts(out, "null");
		return 0;
	}
	switch (hcl_kind(v)) {
	case HCL_STRING:
		fp_bytes(out, "s", hcl_str(v), hcl_str_len(v));
		return 0;
	case HCL_NUMBER: {
		struct buf n = BUF_INIT;
		hcl_num_format(hcl_num_of(v), &n);
		fp_bytes(out, "n", buf_cstr(&n), n.len);
		buf_free(&n);
		return 0;
	}
	case HCL_BOOL:
		buf_puts(out, hcl_true(v) ? "true" : "false");
		return 0;
	case HCL_MAP:
	case HCL_OBJECT:
		buf_putc(out, '{');
		for (size_t i = 0; i < hcl_len(v); i++) {
			const char *k = hcl_key(v, i);
			fp_bytes(out, "k", k, strlen(k));
			buf_putc(out, '=');
			if (fp_value(hcl_elem(v, i), out, why) < 0)
				return -1;
			buf_putc(out, ',');
		}
		buf_putc(out, '}');
		return 0;
	default:
		if (!hcl_is_sequence(v)) {
			*why = "its value has no canonical form";
			return -1;
		}
		buf_putc(out, '[');
		for (size_t i = 0; i < hcl_len(v); i++) {
			if (fp_value(hcl_elem(v, i), out, why) < 0)
				return -1;
			buf_putc(out, ',');
		}
		buf_putc(out, ']');
		return 0;
	}
}

static int fp_config(const struct kiln_config *c, unsigned skip, const char *salt, const char *prefix, struct buf *out,
		     bool *sensitive, char **why_not)
{
	if (!c || !c->schema)
		return 0;
	for (const struct kiln_attr *sa = c->schema->attrs; sa && sa->name; sa++) {
		if (sa->flags & skip)
			continue;
		const struct cfg_attr *a = find_attr(c, sa->name);
		const struct cfg_blocks *bl = find_blocks(c, sa->name);
		if (a && a->value) {
			const char *why = NULL;
			struct buf v = BUF_INIT;
			bool secret = (sa->flags & KILN_ATTR_SENSITIVE) || (hcl_marks_deep(a->value) & HCL_MARK_SENSITIVE);
			int rc = fp_value(a->value, &v, &why);
			if (rc < 0) {
				*why_not = xasprintf("%s%s: %s", prefix, sa->name, why);
				buf_free(&v);
				return -1;
			}
			fp_bytes(out, "a", sa->name, strlen(sa->name));
			buf_putc(out, '=');
			if (secret) {
				*sensitive = true;
				/* the secret must change the key, but the key must not let anyone test guesses of it
				 * without the store's salt */
				char *mac = hmac_sha256_hex(salt ? salt : "", salt ? strlen(salt) : 0, buf_cstr(&v), v.len);
				buf_printf(out, "sensitive:%s", mac ? mac : "");
				free(mac);
			} else {
				buf_append(out, buf_cstr(&v), v.len);
			}
			buf_puts(out, ";\n");
			buf_free(&v);
		}
		for (size_t i = 0; bl && i < bl->n; i++) {
			char *sub = xasprintf("%s%s.", prefix, sa->name);
			fp_bytes(out, "b", sa->name, strlen(sa->name));
			buf_puts(out, "{\n");
			int rc = fp_config(bl->v[i], skip, salt, sub, out, sensitive, why_not);
			free(sub);
			if (rc < 0)
				return -1;
			buf_puts(out, "}\n");
		}
	}
	return 0;
}

int tmpl_config_fingerprint(const struct kiln_config *c, unsigned skip_flags, const char *salt, struct buf *out,
			    bool *sensitive, char **why_not)
{
	bool dummy = false;
	*why_not = NULL;
	if (!sensitive)
		sensitive = &dummy;
	return fp_config(c, skip_flags, salt, "", out, sensitive, why_not);   /* only reads: no lock (see above) */
}
