/* schema.c — schemas from a plugin's describe, and configurations for its prepare (see schema.h). */
#include "plugin/schema.h"

#include <stdlib.h>
#include <string.h>

#include "hcl/json.h"
#include "hcl/value.h"
#include "util/buf.h"
#include "util/mem.h"

#define MAX_DEPTH 16
#define MAX_ATTRS 1000

static void *own(struct plugin_schema *s, void *p)
{
	s->allocs = xgrow(s->allocs, &s->capallocs, s->nallocs + 1, sizeof *s->allocs);
	s->allocs[s->nallocs++] = p;
	return p;
}

static const char *own_str(struct plugin_schema *s, const json_t *v)
{
	return json_is_string(v) ? own(s, xstrdup(json_string_value(v))) : NULL;
}

static bool flag(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

/* A name HCL accepts as an attribute or block type: a letter or _, then letters, digits, _ and -. */
static bool good_name(const char *n)
{
	if (!n || !*n || !(((*n | 32) >= 'a' && (*n | 32) <= 'z') || *n == '_'))
		return false;
	for (const char *p = n; *p; p++)
		if (!(((*p | 32) >= 'a' && (*p | 32) <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return true;
}

static int read_schema(const json_t *j, struct plugin_schema *s, struct kiln_schema *out, int depth, struct buf *path,
		       struct kiln_error *err);

static int read_attr(const json_t *a, struct plugin_schema *s, struct kiln_attr *out, int depth, struct buf *path,
		     struct kiln_error *err)
{
	if (!json_is_object(a))
		return err_set(err, "%s: an attribute must be an object", buf_cstr(path));
	const json_t *name = json_object_get(a, "name");
	if (!json_is_string(name) || !good_name(json_string_value(name)))
		return err_set(err, "%s.name: must be a name (letters, digits, _ and -, not starting with a digit)",
			       buf_cstr(path));
	out->name = own_str(s, name);
	const json_t *type = json_object_get(a, "type");
	if (type && !json_is_null(type)) {
		if (!json_is_string(type))
			return err_set(err, "%s.type: must be an HCL type constraint such as \"string\" or \"list(string)\"",
				       buf_cstr(path));
		out->type = own_str(s, type);
	}
	const json_t *block = json_object_get(a, "block");
	if (flag(a, "required"))
		out->flags |= KILN_ATTR_REQUIRED;
	if (flag(a, "sensitive"))
		out->flags |= KILN_ATTR_SENSITIVE;
	if (flag(a, "deprecated"))
		out->flags |= KILN_ATTR_DEPRECATED;
	if (flag(a, "template"))
		out->flags |= KILN_ATTR_TEMPLATE;
	const json_t *def = json_object_get(a, "default");
	if (json_is_string(def))
		out->default_doc = own_str(s, def);
	else if (def && !json_is_null(def))
		out->default_doc = own(s, json_dumps(def, JSON_COMPACT | JSON_ENCODE_ANY));
	out->doc = own_str(s, json_object_get(a, "description"));
	if (block && !json_is_null(block)) {
		out->flags |= KILN_ATTR_BLOCK;
		if (flag(a, "repeated"))
			out->flags |= KILN_ATTR_REPEATED;
		struct kiln_schema *nested = own(s, xcalloc(1, sizeof *nested));
		size_t mark = path->len;
		buf_puts(path, ".block");
		int rc = read_schema(block, s, nested, depth + 1, path, err);
		buf_truncate(path, mark);
		if (rc < 0)
			return -1;
		out->block = nested;
	} else if (!out->type) {
		return err_set(err, "%s: an attribute needs a \"type\" (or a \"block\")", buf_cstr(path));
	}
	return 0;
}

static int read_conflicts(const json_t *c, struct plugin_schema *s, const struct kiln_attr *attrs, size_t nattrs,
			  struct kiln_schema *out, struct buf *path, struct kiln_error *err)
{
	if (!c || json_is_null(c))
		return 0;
	if (!json_is_array(c) || json_array_size(c) > MAX_ATTRS)
		return err_set(err, "%s.conflicts: must be an array of arrays of attribute names", buf_cstr(path));
	size_t ng = json_array_size(c);
	const char *const **groups = own(s, xcalloc(ng + 1, sizeof *groups));
	for (size_t i = 0; i < ng; i++) {
		const json_t *g = json_array_get(c, i);
		if (!json_is_array(g) || json_array_size(g) < 2 || json_array_size(g) > MAX_ATTRS)
			return err_set(err, "%s.conflicts[%zu]: must list at least two attribute names", buf_cstr(path), i);
		const char **names = own(s, xcalloc(json_array_size(g) + 1, sizeof *names));
		for (size_t k = 0; k < json_array_size(g); k++) {
			const json_t *n = json_array_get(g, k);
			bool known = false;
			for (size_t x = 0; json_is_string(n) && x < nattrs; x++)
				known = known || strcmp(attrs[x].name, json_string_value(n)) == 0;
			if (!known)
				return err_set(err, "%s.conflicts[%zu][%zu]: not one of the schema's attributes", buf_cstr(path),
					       i, k);
			names[k] = own_str(s, n);
		}
		groups[i] = names;
	}
	out->conflicts = groups;
	return 0;
}

static int read_schema(const json_t *j, struct plugin_schema *s, struct kiln_schema *out, int depth, struct buf *path,
		       struct kiln_error *err)
{
	if (depth > MAX_DEPTH)
		return err_set(err, "%s: blocks nested more than %d deep", buf_cstr(path), MAX_DEPTH);
	if (!json_is_object(j))
		return err_set(err, "%s: a schema must be an object", buf_cstr(path));
	const json_t *attrs = json_object_get(j, "attributes");
	if (attrs && !json_is_array(attrs))
		return err_set(err, "%s.attributes: must be an array", buf_cstr(path));
	size_t n = json_array_size(attrs);
	if (n > MAX_ATTRS)
		return err_set(err, "%s.attributes: more than %d attributes", buf_cstr(path), MAX_ATTRS);
	struct kiln_attr *table = own(s, xcalloc(n + 1, sizeof *table));
	for (size_t i = 0; i < n; i++) {
		size_t mark = path->len;
		buf_printf(path, ".attributes[%zu]", i);
		int rc = read_attr(json_array_get(attrs, i), s, &table[i], depth, path, err);
		for (size_t k = 0; rc == 0 && k < i; k++)
			if (strcmp(table[k].name, table[i].name) == 0)
				rc = err_set(err, "%s: \"%s\" is listed twice", buf_cstr(path), table[i].name);
		buf_truncate(path, mark);
		if (rc < 0)
			return -1;
	}
	out->attrs = table;
	return read_conflicts(json_object_get(j, "conflicts"), s, table, n, out, path, err);
}

int plugin_schema_from_json(const json_t *j, struct plugin_schema *out, struct kiln_error *err)
{
	memset(out, 0, sizeof *out);
	struct buf path = BUF_INIT;
	buf_puts(&path, "schema");
	int rc = read_schema(j, out, &out->schema, 0, &path, err);
	buf_free(&path);
	if (rc < 0)
		plugin_schema_free(out);
	return rc;
}

void plugin_schema_free(struct plugin_schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nallocs; i++)
		free(s->allocs[i]);
	free(s->allocs);
	memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------------------------------------------
 * Configurations */

static json_t *value_json(const struct hcl_value *v)
{
	struct buf b = BUF_INIT;
	hcl_json_encode((struct hcl_value *)v, &b);
	json_t *j = json_loadb(buf_cstr(&b), b.len, JSON_DECODE_ANY, NULL);
	buf_free(&b);
	return j ? j : json_null();
}

static json_t *config_json(const struct kiln_config *cfg, const struct kiln_schema *schema, json_t *unknown,
			   const char *prefix)
{
	json_t *o = json_object();
	for (const struct kiln_attr *a = schema->attrs; a && a->name; a++) {
		const struct hcl_value *v = kiln_config_value(cfg, a->name);
		if (v && !hcl_is_null(v)) {
			if (hcl_is_wholly_known(v))
				json_object_set_new(o, a->name, value_json(v));
			else
				json_array_append_new(unknown, json_sprintf("%s%s", prefix, a->name));
			continue;
		}
		if (!(a->flags & KILN_ATTR_BLOCK) || !a->block)
			continue;
		size_t n = kiln_config_block_count(cfg, a->name);
		if (n == 0)
			continue;
		json_t *list = (a->flags & KILN_ATTR_REPEATED) ? json_array() : NULL;
		for (size_t i = 0; i < n; i++) {
			char *sub = list ? xasprintf("%s%s[%zu].", prefix, a->name, i) : xasprintf("%s%s.", prefix, a->name);
			json_t *b = config_json(kiln_config_block(cfg, a->name, i), a->block, unknown, sub);
			free(sub);
			if (list) {
				json_array_append_new(list, b);
			} else {
				json_object_set_new(o, a->name, b);
				break;
			}
		}
		if (list)
			json_object_set_new(o, a->name, list);
	}
	return o;
}

json_t *plugin_config_to_json(const struct kiln_config *cfg, const struct kiln_schema *schema, json_t **unknown)
{
	*unknown = json_array();
	return config_json(cfg, schema, *unknown, "");
}
