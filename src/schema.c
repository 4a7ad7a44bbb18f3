/* schema.c — component schemas as data (schema.h): value checks shared by template validation and the
 * schema self-check, and the JSON form of docs/schema.md in both directions. */
#include "schema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hcl/diag.h"
#include "hcl/func.h"
#include "hcl/number.h"
#include "hcl/value.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/strv.h"
#include "util/timeutil.h"

const struct kiln_attr *kiln_schema_attr(const struct kiln_schema *s, const char *name)
{
	for (size_t i = 0; s && s->attrs && s->attrs[i].name; i++)
		if (strcmp(s->attrs[i].name, name) == 0)
			return &s->attrs[i];
	return NULL;
}

static bool is_duration(const struct kiln_attr *a)
{
	return a->type && strcmp(a->type, "duration") == 0;
}

struct hcl_type *kiln_attr_type(const struct kiln_attr *a, char **why)
{
	if (!a->type) {
		*why = xstrdup("a block has no value type");
		return NULL;
	}
	return hcl_type_parse(is_duration(a) ? "string" : a->type, why);
}

int kiln_duration_parse(const char *text, int64_t *ms)
{
	char *end;
	double secs = strtod(text, &end);
	if (end != text && *end == '\0' && isfinite(secs) && fabs(secs) < 9.2e15) {
		*ms = (int64_t)(secs * 1000.0);
		return 0;
	}
	struct kiln_error e = ERR_INIT;
	int rc = duration_parse(text, ms, &e);
	err_clear(&e);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Checking values */

static bool allowed(const char *const *values, const char *v)
{
	for (size_t i = 0; values[i]; i++)
		if (strcmp(values[i], v) == 0)
			return true;
	return false;
}

static size_t count(const char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

static char *values_text(const char *const *values)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; values[i]; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", values[i]);
	return buf_detach(&b);
}

static char *num_text(double d)
{
	struct hcl_value *v = hcl_number_double(d);
	char *s = hcl_value_as_text(v);
	hcl_value_unref(v);
	return s;
}

/* One primitive element at `path` ("disk_interface", "checksum_types[1]"). */
static char *check_scalar(const struct kiln_attr *a, const char *path, const struct hcl_value *v, const char **summary)
{
	if (!hcl_is_known(v))
		return NULL;
	if (hcl_is_null(v)) {
		*summary = "Invalid value";
		return xasprintf("%s must not be null.", path);
	}
	if (hcl_kind(v) == HCL_STRING && is_duration(a)) {
		int64_t ms;
		if (kiln_duration_parse(hcl_str(v), &ms) < 0) {
			*summary = "Invalid duration";
			return xasprintf("%s = \"%s\" is not a duration: use a number with a unit, like \"90s\", \"5m\" or "
					 "\"1h30m\".",
					 path, hcl_str(v));
		}
	}
	if (hcl_kind(v) == HCL_STRING && a->allowed && !allowed(a->allowed, hcl_str(v))) {
		*summary = "Unsupported value";
		char *list = values_text(a->allowed);
		const char *sugg = hcl_name_suggestion(hcl_str(v), a->allowed, count(a->allowed));
		char *msg = xasprintf("%s = \"%s\" is not one of: %s.%s%s%s", path, hcl_str(v), list,
				      sugg ? " Did you mean \"" : "", sugg ? sugg : "", sugg ? "\"?" : "");
		free(list);
		return msg;
	}
	if (hcl_kind(v) == HCL_NUMBER && a->range) {
		double d = hcl_num_to_double(hcl_num_of(v));
		if (d < a->range->min || d > a->range->max) {
			*summary = "Value out of range";
			char *lo = num_text(a->range->min), *hi = num_text(a->range->max), *got = hcl_value_as_text(v);
			char *msg = xasprintf("%s = %s is out of range: it must be between %s and %s.", path, got, lo, hi);
			free(lo);
			free(hi);
			free(got);
			return msg;
		}
	}
	return NULL;
}

bool kiln_value_is_zero(const struct hcl_value *v)
{
	if (!hcl_is_known(v) || hcl_is_null(v))
		return false;
	if (hcl_kind(v) == HCL_STRING)
		return hcl_str_len(v) == 0;
	if (hcl_kind(v) == HCL_NUMBER)
		return hcl_num_to_double(hcl_num_of(v)) == 0;
	return hcl_is_collection_value(v) && hcl_len(v) == 0;
}

static char *check_elems(const struct kiln_attr *a, const char *path, const struct hcl_value *v, const char **summary)
{
	if (!hcl_is_known(v) || hcl_is_null(v))
		return NULL;
	if (hcl_is_sequence(v)) {
		for (size_t i = 0; i < hcl_len(v); i++) {
			char *sub = xasprintf("%s[%zu]", path, i);
			const struct hcl_value *e = hcl_elem(v, i);
			char *msg = hcl_is_collection_value(e) ? check_elems(a, sub, e, summary)
							       : check_scalar(a, sub, e, summary);
			free(sub);
			if (msg)
				return msg;
		}
		return NULL;
	}
	if (hcl_is_mapping(v))
		return NULL;  /* map values may be null (an unset environment variable) */
	return check_scalar(a, path, v, summary);
}

char *kiln_attr_check_value(const struct kiln_attr *a, const char *key, const struct hcl_value *v,
			    const char **summary)
{
	if (!v)
		return NULL;
	if (a->flags & KILN_ATTR_UNSUPPORTED) {
		if (!hcl_is_wholly_known(v) || hcl_is_null(v) || kiln_value_is_zero(v))
			return NULL;
		*summary = "Argument not supported by kiln";
		return xasprintf("kiln does not support \"%s\": %s", key, a->doc ? a->doc : "");
	}
	if (hcl_is_null(v))
		return NULL;
	return check_elems(a, key, v, summary);
}

int kiln_attr_default(const struct kiln_attr *a, struct hcl_value **out, char **why)
{
	*out = NULL;
	if (!a->def)
		return 0;
	char *perr = NULL;
	struct hcl_value *raw = hcl_json_decode(a->def, strlen(a->def), &perr);
	if (!raw) {
		*why = xasprintf("its default %s is not JSON: %s", a->def, perr);
		free(perr);
		return -1;
	}
	struct hcl_type *ty = kiln_attr_type(a, &perr);
	if (!ty) {
		hcl_value_unref(raw);
		*why = xasprintf("its type \"%s\" is not a type: %s", a->type ? a->type : "(none)", perr);
		free(perr);
		return -1;
	}
	struct hcl_convert_error ce = {0};
	struct hcl_value *v = hcl_convert(raw, ty, &ce);
	hcl_value_unref(raw);
	hcl_type_unref(ty);
	if (!v) {
		*why = xasprintf("its default %s is not a %s: %s%s%s", a->def, a->type, ce.path && *ce.path ? ce.path : "",
				 ce.path && *ce.path ? ": " : "", ce.msg);
		hcl_convert_error_free(&ce);
		return -1;
	}
	const char *summary = NULL;
	char *msg = kiln_attr_check_value(a, a->name, v, &summary);
	if (msg) {
		*why = xasprintf("its default does not pass its own checks: %s", msg);
		free(msg);
		hcl_value_unref(v);
		return -1;
	}
	*out = v;
	return 0;
}

/* ------------------------------------------------------------------------------------------------
 * Checking a schema */

static bool type_is(const struct kiln_attr *a, const char *const *types)
{
	return a->type && allowed(types, a->type);
}

static int check_schema(const struct kiln_schema *s, const char *prefix, struct kiln_error *err);

static int check_attr(const struct kiln_attr *a, const char *prefix, struct kiln_error *err)
{
	const char *n = a->name;
	if (!n || !*n)
		return err_set(err, "%san attribute has no name", prefix);
	if ((a->flags & KILN_ATTR_BLOCK) && !a->block)
		return err_set(err, "%s%s: a block without a block schema", prefix, n);
	if (!(a->flags & KILN_ATTR_BLOCK) && a->block)
		return err_set(err, "%s%s: a block schema without the block flag", prefix, n);
	if ((a->flags & KILN_ATTR_REPEATED) && !(a->flags & KILN_ATTR_BLOCK))
		return err_set(err, "%s%s: only blocks repeat", prefix, n);
	if (!a->type && !(a->flags & KILN_ATTR_BLOCK))
		return err_set(err, "%s%s: neither a type nor a block", prefix, n);
	if (!a->doc || !*a->doc)
		return err_set(err, "%s%s: no description", prefix, n);
	unsigned kinds = a->flags & (KILN_ATTR_REQUIRED | KILN_ATTR_IGNORED | KILN_ATTR_UNSUPPORTED);
	if (kinds & (kinds - 1))
		return err_set(err, "%s%s: required, ignored and unsupported exclude each other", prefix, n);
	if (a->def && a->default_doc)
		return err_set(err, "%s%s: both a default and a default_doc", prefix, n);
	if (a->def && (a->flags & KILN_ATTR_REQUIRED))
		return err_set(err, "%s%s: a required attribute with a default", prefix, n);
	if (a->type) {
		char *why = NULL;
		struct hcl_type *ty = kiln_attr_type(a, &why);
		if (!ty) {
			err_set(err, "%s%s: type \"%s\" is not a type constraint: %s", prefix, n, a->type, why);
			free(why);
			return -1;
		}
		hcl_type_unref(ty);
	}
	static const char *const string_types[] = {"string", "list(string)", "set(string)", NULL};
	static const char *const number_types[] = {"number", "list(number)", "set(number)", NULL};
	if (a->allowed && (!type_is(a, string_types) || !a->allowed[0]))
		return err_set(err, "%s%s: allowed values need a string type and at least one value", prefix, n);
	if (a->range && (!type_is(a, number_types) || a->range->min > a->range->max))
		return err_set(err, "%s%s: a range needs a number type and min <= max", prefix, n);
	if (a->def) {
		struct hcl_value *v = NULL;
		char *why = NULL;
		if (kiln_attr_default(a, &v, &why) < 0) {
			err_set(err, "%s%s: %s", prefix, n, why);
			free(why);
			return -1;
		}
		hcl_value_unref(v);
	}
	if (a->block) {
		char *sub = xasprintf("%s%s.", prefix, n);
		int rc = check_schema(a->block, sub, err);
		free(sub);
		return rc;
	}
	return 0;
}

static int check_schema(const struct kiln_schema *s, const char *prefix, struct kiln_error *err)
{
	if (!s || !s->attrs)
		return err_set(err, "%sno attribute table", prefix);
	for (size_t i = 0; s->attrs[i].name; i++) {
		if (check_attr(&s->attrs[i], prefix, err) < 0)
			return -1;
		for (size_t k = 0; k < i; k++)
			if (strcmp(s->attrs[k].name, s->attrs[i].name) == 0)
				return err_set(err, "%s%s: listed twice", prefix, s->attrs[i].name);
	}
	for (size_t g = 0; s->conflicts && s->conflicts[g]; g++) {
		const char *const *group = s->conflicts[g];
		if (count(group) < 2)
			return err_set(err, "%sconflict group %zu names fewer than two keys", prefix, g);
		for (size_t k = 0; group[k]; k++)
			if (!kiln_schema_attr(s, group[k]))
				return err_set(err, "%sconflict group %zu names \"%s\", which is not an attribute", prefix, g,
					       group[k]);
	}
	return 0;
}

int kiln_schema_check(const struct kiln_schema *s, struct kiln_error *err)
{
	return check_schema(s, "", err);
}

/* ------------------------------------------------------------------------------------------------
 * JSON form */

static const struct {
	unsigned flag;
	const char *name;
} flag_names[] = {
	{KILN_ATTR_REQUIRED, "required"},   {KILN_ATTR_SENSITIVE, "sensitive"},
	{KILN_ATTR_DEPRECATED, "deprecated"}, {KILN_ATTR_TEMPLATE, "template"},
	{KILN_ATTR_IGNORED, "ignored"},     {KILN_ATTR_UNSUPPORTED, "unsupported"},
	{KILN_ATTR_REPEATED, "repeated"},   {KILN_ATTR_HOST_SIDE, "host_side"},
};
#define NFLAGS (sizeof flag_names / sizeof flag_names[0])

static json_t *strings_json(const char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *attr_json(const struct kiln_attr *a)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(a->name));
	if (a->type)
		json_object_set_new(o, "type", json_string(a->type));
	json_object_set_new(o, "description", json_string(a->doc ? a->doc : ""));
	if (a->def) {
		json_t *d = json_loads(a->def, JSON_DECODE_ANY, NULL);
		if (d)
			json_object_set_new(o, "default", d);
	}
	if (a->default_doc)
		json_object_set_new(o, "default_doc", json_string(a->default_doc));
	if (a->allowed)
		json_object_set_new(o, "allowed", strings_json(a->allowed));
	if (a->range) {
		json_object_set_new(o, "minimum", json_real(a->range->min));
		json_object_set_new(o, "maximum", json_real(a->range->max));
	}
	for (size_t i = 0; i < NFLAGS; i++)
		if (a->flags & flag_names[i].flag)
			json_object_set_new(o, flag_names[i].name, json_true());
	if (a->block)
		json_object_set_new(o, "block", kiln_schema_to_json(a->block));
	return o;
}

json_t *kiln_schema_to_json(const struct kiln_schema *s)
{
	json_t *o = json_object(), *attrs = json_array(), *conflicts = json_array();
	for (size_t i = 0; s && s->attrs && s->attrs[i].name; i++)
		json_array_append_new(attrs, attr_json(&s->attrs[i]));
	for (size_t g = 0; s && s->conflicts && s->conflicts[g]; g++)
		json_array_append_new(conflicts, strings_json(s->conflicts[g]));
	json_object_set_new(o, "attributes", attrs);
	json_object_set_new(o, "conflicts", conflicts);
	return o;
}

json_t *kiln_component_to_json(const char *kind, const char *type, const char *doc, const char *builder_id,
			       const struct kiln_schema *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "format", json_integer(KILN_SCHEMA_FORMAT));
	json_object_set_new(o, "kind", json_string(kind));
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "description", json_string(doc ? doc : ""));
	if (builder_id)
		json_object_set_new(o, "builder_id", json_string(builder_id));
	json_object_set_new(o, "schema", kiln_schema_to_json(s));
	return o;
}

/* Reading the JSON form: a schema and everything it points to in one allocation list, so that one
 * free releases it. */
struct owned_schema {
	struct kiln_schema s;
	struct strv strings;          /* every string the attributes point to */
	void **blocks;                /* arrays and nested schemas */
	size_t nblocks;
};

static void *own(struct owned_schema *o, void *p)
{
	o->blocks = xrealloc(o->blocks, (o->nblocks + 1) * sizeof *o->blocks);
	o->blocks[o->nblocks++] = p;
	return p;
}

static const char *own_string(struct owned_schema *o, const char *s)
{
	char *c = xstrdup(s);
	strv_push_owned(&o->strings, c);
	return c;
}

static const char *const *own_strings(struct owned_schema *o, const json_t *a, const char *what, struct kiln_error *err)
{
	if (!json_is_array(a)) {
		err_set(err, "%s: not an array of strings", what);
		return NULL;
	}
	const char **v = own(o, xcalloc(json_array_size(a) + 1, sizeof *v));
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *e = json_array_get(a, i);
		if (!json_is_string(e)) {
			err_set(err, "%s[%zu]: not a string", what, i);
			return NULL;
		}
		v[i] = own_string(o, json_string_value(e));
	}
	return v;
}

static const struct kiln_schema *read_schema(struct owned_schema *o, struct kiln_schema *into, const json_t *j,
					     const char *where, int depth, struct kiln_error *err);

static int read_attr(struct owned_schema *o, struct kiln_attr *a, const json_t *j, const char *where, int depth,
		     struct kiln_error *err)
{
	if (!json_is_object(j))
		return err_set(err, "%s: not an object", where);
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)j, key, v) {
		bool known = false;
		for (size_t i = 0; i < NFLAGS; i++) {
			if (strcmp(key, flag_names[i].name) != 0)
				continue;
			if (!json_is_boolean(v))
				return err_set(err, "%s.%s: not true or false", where, key);
			if (json_is_true(v))
				a->flags |= flag_names[i].flag;
			known = true;
		}
		if (known)
			continue;
		if (strcmp(key, "name") == 0 || strcmp(key, "type") == 0 || strcmp(key, "description") == 0 ||
		    strcmp(key, "default_doc") == 0) {
			if (!json_is_string(v))
				return err_set(err, "%s.%s: not a string", where, key);
			const char *s = own_string(o, json_string_value(v));
			if (strcmp(key, "name") == 0)
				a->name = s;
			else if (strcmp(key, "type") == 0)
				a->type = s;
			else if (strcmp(key, "description") == 0)
				a->doc = s;
			else
				a->default_doc = s;
		} else if (strcmp(key, "default") == 0) {
			char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			a->def = own_string(o, text ? text : "null");
			free(text);
		} else if (strcmp(key, "allowed") == 0) {
			char *what = xasprintf("%s.allowed", where);
			a->allowed = own_strings(o, v, what, err);
			free(what);
			if (!a->allowed)
				return -1;
		} else if (strcmp(key, "minimum") == 0 || strcmp(key, "maximum") == 0) {
			if (!json_is_number(v))
				return err_set(err, "%s.%s: not a number", where, key);
			struct kiln_range *r = (struct kiln_range *)a->range;
			if (!r) {
				r = own(o, xcalloc(1, sizeof *r));
				r->min = -INFINITY;
				r->max = INFINITY;
				a->range = r;
			}
			if (strcmp(key, "minimum") == 0)
				r->min = json_number_value(v);
			else
				r->max = json_number_value(v);
		} else if (strcmp(key, "block") == 0) {
			char *what = xasprintf("%s.block", where);
			struct kiln_schema *sub = own(o, xcalloc(1, sizeof *sub));
			a->block = read_schema(o, sub, v, what, depth + 1, err);
			free(what);
			if (!a->block)
				return -1;
			a->flags |= KILN_ATTR_BLOCK;
		}
		/* other members are ignored: later formats may add some */
	}
	if (!a->name)
		return err_set(err, "%s: no name", where);
	return 0;
}

static const struct kiln_schema *read_schema(struct owned_schema *o, struct kiln_schema *into, const json_t *j,
					     const char *where, int depth, struct kiln_error *err)
{
	if (depth > 8) {
		err_set(err, "%s: blocks nested more than 8 deep", where);
		return NULL;
	}
	if (!json_is_object(j)) {
		err_set(err, "%s: not an object", where);
		return NULL;
	}
	const json_t *attrs = json_object_get(j, "attributes");
	if (!json_is_array(attrs)) {
		err_set(err, "%s.attributes: not an array", where);
		return NULL;
	}
	size_t n = json_array_size(attrs);
	struct kiln_attr *av = own(o, xcalloc(n + 1, sizeof *av));
	for (size_t i = 0; i < n; i++) {
		char *what = xasprintf("%s.attributes[%zu]", where, i);
		int rc = read_attr(o, &av[i], json_array_get(attrs, i), what, depth, err);
		free(what);
		if (rc < 0)
			return NULL;
	}
	into->attrs = av;
	const json_t *conflicts = json_object_get(j, "conflicts");
	if (conflicts) {
		if (!json_is_array(conflicts)) {
			err_set(err, "%s.conflicts: not an array", where);
			return NULL;
		}
		size_t ng = json_array_size(conflicts);
		const char *const **gv = own(o, xcalloc(ng + 1, sizeof *gv));
		for (size_t g = 0; g < ng; g++) {
			char *what = xasprintf("%s.conflicts[%zu]", where, g);
			gv[g] = own_strings(o, json_array_get(conflicts, g), what, err);
			free(what);
			if (!gv[g])
				return NULL;
		}
		into->conflicts = gv;
	}
	return into;
}

struct kiln_schema *kiln_schema_from_json(const json_t *j, struct kiln_error *err)
{
	struct owned_schema *o = xcalloc(1, sizeof *o);
	if (!read_schema(o, &o->s, j, "schema", 0, err) || kiln_schema_check(&o->s, err) < 0) {
		kiln_schema_free(&o->s);
		return NULL;
	}
	return &o->s;
}

void kiln_schema_free(struct kiln_schema *s)
{
	if (!s)
		return;
	struct owned_schema *o = (struct owned_schema *)s;  /* s is the first member */
	for (size_t i = 0; i < o->nblocks; i++)
		free(o->blocks[i]);
	free(o->blocks);
	strv_free(&o->strings);
	free(o);
}

static const char *member_string(const json_t *j, const char *key, bool required, struct kiln_error *err)
{
	const json_t *v = json_object_get(j, key);
	if (!v && !required)
		return NULL;
	if (!json_is_string(v) || (required && !*json_string_value(v))) {
		err_set(err, "component description: \"%s\" %s", key, v ? "is not a non-empty string" : "is missing");
		return NULL;
	}
	return json_string_value(v);
}

int kiln_component_from_json(const json_t *j, struct kiln_component_desc *out, struct kiln_error *err)
{
	memset(out, 0, sizeof *out);
	if (!json_is_object(j))
		return err_set(err, "component description: not a JSON object");
	const json_t *format = json_object_get(j, "format");
	if (!json_is_integer(format) || json_integer_value(format) != KILN_SCHEMA_FORMAT)
		return err_set(err, "component description: \"format\" is %s; this kiln reads format %d",
			       json_is_integer(format) ? "another version" : "missing", KILN_SCHEMA_FORMAT);
	const char *kind = member_string(j, "kind", true, err);
	if (!kind)
		return -1;
	bool known = false;
	for (size_t i = 0; kiln_component_kinds[i]; i++)
		known = known || strcmp(kiln_component_kinds[i], kind) == 0;
	if (!known)
		return err_set(err, "component description: \"kind\" is \"%s\", not builder, provisioner, post-processor "
				    "or data",
			       kind);
	const char *type = member_string(j, "type", true, err);
	if (!type)
		return -1;
	const char *doc = member_string(j, "description", false, err);
	const char *builder_id = member_string(j, "builder_id", false, err);
	if (err_isset(err))
		return -1;
	struct kiln_schema *s = kiln_schema_from_json(json_object_get(j, "schema"), err);
	if (!s)
		return err_wrap(err, "component %s \"%s\"", kind, type);
	out->kind = xstrdup(kind);
	out->type = xstrdup(type);
	out->doc = xstrdup(doc ? doc : "");
	out->builder_id = builder_id ? xstrdup(builder_id) : NULL;
	out->schema = s;
	return 0;
}

void kiln_component_desc_free(struct kiln_component_desc *d)
{
	if (!d)
		return;
	free(d->kind);
	free(d->type);
	free(d->doc);
	free(d->builder_id);
	kiln_schema_free(d->schema);
	memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------------------------------------------------
 * Documentation */

static void markdown_rows(const struct kiln_attr *attrs, const char *prefix, struct buf *out)
{
	for (const struct kiln_attr *a = attrs; a->name; a++) {
		buf_printf(out, "| `%s%s` | %s | ", prefix, a->name, a->type ? a->type : "block");
		if (a->def)
			buf_printf(out, "`%s`", a->def);
		else if (a->default_doc)
			buf_puts(out, a->default_doc);
		const char *doc = a->doc ? a->doc : "";
		size_t len = strlen(doc);
		/* what the schema adds, as a clause after the description */
		const char *sep = len && doc[len - 1] == '.' ? " " : "; ";
		buf_printf(out, " | %s", doc);
		if (a->allowed) {
			buf_printf(out, "%s%s ", sep, *sep == ' ' ? "One of" : "one of");
			for (size_t i = 0; a->allowed[i]; i++)
				buf_printf(out, "%s`%s`", i ? ", " : "", a->allowed[i]);
			sep = *sep == ' ' ? ". " : "; ";
		}
		if (a->range) {
			char *lo = num_text(a->range->min), *hi = num_text(a->range->max);
			buf_printf(out, "%s%s %s to %s", sep, *sep == ' ' ? "From" : "from", lo, hi);
			free(lo);
			free(hi);
			sep = *sep == ' ' ? ". " : "; ";
		}
		if (sep[0] == '.')
			buf_putc(out, '.');
		static const struct {
			unsigned flag;
			const char *text;
		} notes[] = {
			{KILN_ATTR_REQUIRED, "required"},    {KILN_ATTR_SENSITIVE, "sensitive"},
			{KILN_ATTR_DEPRECATED, "deprecated"}, {KILN_ATTR_IGNORED, "ignored"},
			{KILN_ATTR_UNSUPPORTED, "not supported"}, {KILN_ATTR_REPEATED, "repeatable"},
		};
		for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
			if (a->flags & notes[i].flag)
				buf_printf(out, " (%s)", notes[i].text);
		buf_puts(out, " |\n");
		if (a->block) {
			char *sub = xasprintf("%s%s.", prefix, a->name);
			markdown_rows(a->block->attrs, sub, out);
			free(sub);
		}
	}
}

void kiln_schema_markdown(const struct kiln_schema *s, struct buf *out)
{
	buf_puts(out, "| key | type | default | what it does |\n|---|---|---|---|\n");
	if (s && s->attrs)
		markdown_rows(s->attrs, "", out);
	for (size_t g = 0; s && s->conflicts && s->conflicts[g]; g++) {
		buf_puts(out, g == 0 ? "\n" : "");
		buf_puts(out, "At most one of ");
		for (size_t k = 0; s->conflicts[g][k]; k++)
			buf_printf(out, "%s`%s`", k == 0 ? "" : s->conflicts[g][k + 1] ? ", " : " and ", s->conflicts[g][k]);
		buf_puts(out, " can be set.\n");
	}
}
