/* catalog.h — which plugin provides a component a template uses, for the template layer
 * (struct tmpl_plugins): a component type is the required_plugins key ("hello"), or the key and the
 * component's name in the plugin ("hello-local"), as in Packer. The plugin must be installed in the
 * version the lock file records, with the checksum it records; then kiln asks it to `describe`
 * itself and builds the components from the answer. Everything a template needs is checked while the
 * template loads, before any build starts. */
#ifndef KILN_PLUGIN_CATALOG_H
#define KILN_PLUGIN_CATALOG_H

#include "plugin/adapter.h"
#include "plugin/host.h"
#include "template/template.h"

/* What cli_load_template hands the template layer. */
extern const struct tmpl_plugins plugin_finder;

/* The plugin's description (handshake and `describe`), started in workdir. *desc is a new
 * reference. */
int plugin_describe(const char *path, const char *workdir, json_t **desc, struct kiln_error *err);

/* Are the components a describe result lists valid (names, schemas, types)? For installs. */
int plugin_components_check(const json_t *desc, struct kiln_error *err);

#endif
