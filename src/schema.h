/* schema.h — component schemas (component.h) as data: checking a value against an attribute (the
 * template layer validates every block with these), checking that a schema is well formed, and the
 * JSON form of a schema that docs/schema.md specifies: written by `kiln describe-component`, read back
 * for schemas that arrive as data (plugins describe their components this way). */
#ifndef KILN_SCHEMA_H
#define KILN_SCHEMA_H

#include "util/lazy_jansson.h"
#include <stdbool.h>
#include <stdint.h>

#include "component.h"
#include "util/buf.h"
#include "util/error.h"

struct hcl_value;
struct hcl_type;

/* The version of the JSON form ("format" in a component description, docs/schema.md). */
#define KILN_SCHEMA_FORMAT 1

/* The attribute named `name`, or NULL. */
const struct kiln_attr *kiln_schema_attr(const struct kiln_schema *s, const char *name);

/* The HCL type an attribute's values convert to ("duration" converts as "string"), or NULL (with *why
 * malloc'ed) when .type is not a type constraint. New reference. */
struct hcl_type *kiln_attr_type(const struct kiln_attr *a, char **why);

/* Go's zero value: "", 0, an empty list, set or map (not false, not null). A key set to its zero value
 * reads as the key's default when it has one. */
bool kiln_value_is_zero(const struct hcl_value *v);

/* A duration as kiln reads them: Go's syntax ("90s", "1h30m", "-1s") or a bare number of seconds. */
int kiln_duration_parse(const char *text, int64_t *ms);

/* Check a value already converted to the attribute's type against what the schema says beyond the
 * type: .allowed, .range, "duration", no null list elements, KILN_ATTR_UNSUPPORTED. Unknown parts are
 * not checked. NULL when it is fine; else the problem as one sentence naming the key (`key` is how to
 * name it: "disk_interface", "export.formats"), malloc'ed; *summary gets a static diagnostic summary. */
char *kiln_attr_check_value(const struct kiln_attr *a, const char *key, const struct hcl_value *v,
			    const char **summary);

/* The attribute's default (.def) as a value of its type in *out (NULL when it has none). -1 with *why
 * (malloc'ed) when .def is not JSON or does not fit the attribute. */
int kiln_attr_default(const struct kiln_attr *a, struct hcl_value **out, char **why);

/* Is the schema well formed? Every type parses, every default fits its attribute (type, allowed
 * values, range), allowed values and ranges sit on types they apply to, names are unique, flags
 * agree with each other, conflict groups name attributes that exist; recursively for blocks. */
int kiln_schema_check(const struct kiln_schema *s, struct kiln_error *err);

/* The JSON form (docs/schema.md): a schema object {"attributes": [...], "conflicts": [...]}. */
json_t *kiln_schema_to_json(const struct kiln_schema *s);
/* A component description: {"format", "kind", "type", "description", ["builder_id",] "schema"}.
 * kind: "builder", "provisioner", "post-processor", "data". builder_id may be NULL. */
json_t *kiln_component_to_json(const char *kind, const char *type, const char *doc, const char *builder_id,
			       const struct kiln_schema *s);
/* A component description read back (kiln_component_from_json): every string owned by it. */
struct kiln_component_desc {
	char *kind;
	char *type;
	char *doc;
	char *builder_id;                  /* NULL unless given */
	struct kiln_schema *schema;
};
/* Read a component description: checks "format" (KILN_SCHEMA_FORMAT), "kind", "type" and the schema.
 * 0, or -1 with err saying which member is wrong. */
int kiln_component_from_json(const json_t *j, struct kiln_component_desc *out, struct kiln_error *err);
void kiln_component_desc_free(struct kiln_component_desc *d);
/* Read a schema object back (allocated; kiln_schema_free). Checks it with kiln_schema_check. */
struct kiln_schema *kiln_schema_from_json(const json_t *j, struct kiln_error *err);
void kiln_schema_free(struct kiln_schema *s);

/* The key table of docs/ pages, as Markdown rows "| `name` | type | default | description |" (nested
 * block keys as `block.key`), appended to out. */
void kiln_schema_markdown(const struct kiln_schema *s, struct buf *out);

#endif
