/* adapter.h — a plugin's components as kiln components: each one a struct kiln_provisioner
 * (post-processor, data source, builder) whose functions start the plugin and call it, so the engine
 * and the template layer run plugin components exactly as built-in ones.
 *
 * One process per use: prepare starts the plugin (after checking its checksum again), shakes hands and
 * sends the configuration; the run calls the same process; destroy ends it. prepare only gets the
 * configuration: it finds its component by the schema the configuration was decoded against
 * (kiln_config_schema), which is the component's own. */
#ifndef KILN_PLUGIN_ADAPTER_H
#define KILN_PLUGIN_ADAPTER_H

#include "util/lazy_jansson.h"

#include "component.h"

/* One installed, verified plugin, as its components need it. */
struct plugin_ref {
	char *source;        /* "github.com/acme/hello" */
	char *version;
	char *path;          /* the executable */
	char *sha256;        /* verified when it was found; checked again before each start */
	char *workdir;       /* the plugin runs here: kiln's working directory */
};

enum plugin_kind {
	PLUGIN_BUILDER = 1,
	PLUGIN_PROVISIONER,
	PLUGIN_POSTPROCESSOR,
	PLUGIN_DATASOURCE,
};

struct plugin_component {
	struct kiln_schema *schema;           /* from the plugin's JSON (kiln_schema_from_json) */
	enum plugin_kind kind;
	char *name;                           /* within the plugin: "" or "local" */
	char *type;                           /* as templates write it: "hello", "hello-local" */
	char *doc;
	char *output_type;                    /* data sources */
	char *builder_id;                     /* builders */
	const struct plugin_ref *plugin;
	union {
		struct kiln_builder builder;
		struct kiln_provisioner provisioner;
		struct kiln_postprocessor postprocessor;
		struct kiln_datasource datasource;
	} c;
};

/* "provisioner", ... as the protocol and the template layer name kinds; and back (0: unknown). */
const char *plugin_kind_name(enum plugin_kind kind);
enum plugin_kind plugin_kind_from_name(const char *name);

/* Make a component from its entry in the plugin's describe result ("description", "schema", ...). -1 with
 * err when the description is not valid. */
int plugin_component_new(enum plugin_kind kind, const char *name, const char *type, const json_t *desc,
			 const struct plugin_ref *plugin, struct plugin_component **out, struct kiln_error *err);
void plugin_component_free(struct plugin_component *pc);

/* The artifact as the protocol carries it, and back (files relative to base_dir made absolute; every
 * file must exist). */
json_t *plugin_artifact_to_json(const struct kiln_artifact *a);
int plugin_artifact_from_json(const json_t *j, const char *default_id, const char *base_dir,
			      struct kiln_artifact **out, struct kiln_error *err);

#endif
