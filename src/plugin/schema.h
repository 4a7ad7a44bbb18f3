/* schema.h — a plugin component's configuration schema, received as JSON from its `describe`, turned
 * into the struct kiln_schema the template layer checks blocks against (so a plugin's keys get the
 * same located diagnostics as a built-in's); and a decoded configuration turned back into the JSON
 * object the plugin's `prepare` receives. */
#ifndef KILN_PLUGIN_SCHEMA_H
#define KILN_PLUGIN_SCHEMA_H

#include <jansson.h>

#include "component.h"
#include "util/error.h"

/* Everything a schema built from JSON owns. */
struct plugin_schema {
	struct kiln_schema schema;
	void **allocs;          /* attribute tables, nested schemas, conflict groups, strings */
	size_t nallocs, capallocs;
};

/* Build out->schema from a schema JSON object (docs/plugins.md, "Schemas"). -1 with err naming the
 * first thing that is wrong ("attributes[3].type: ..."). */
int plugin_schema_from_json(const json_t *j, struct plugin_schema *out, struct kiln_error *err);
void plugin_schema_free(struct plugin_schema *s);

/* The configuration as the plugin gets it: {"key": value, ...} for every key set (blocks as arrays
 * of objects when repeated, objects otherwise); keys whose value is not known yet (kiln validate,
 * before build.* values exist) are left out and listed in *unknown. New references. */
json_t *plugin_config_to_json(const struct kiln_config *cfg, const struct kiln_schema *schema, json_t **unknown);

#endif
