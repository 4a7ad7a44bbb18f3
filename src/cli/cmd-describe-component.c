/* cmd-describe-component.c — `kiln describe-component [KIND [TYPE]]`: a component's configuration
 * schema as JSON (docs/schema.md: the same form plugins describe their components in), or as the key
 * table of the docs pages (-markdown). Without TYPE it lists the components of KIND, without KIND all. */
#include "cli/cli.h"
#include "schema.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/strv.h"

#include "util/lazy_jansson.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool known_kind(const char *kind)
{
	for (size_t i = 0; kiln_component_kinds[i]; i++)
		if (strcmp(kiln_component_kinds[i], kind) == 0)
			return true;
	return false;
}

static void list_kind(const char *kind)
{
	struct strv names = STRV_INIT;
	kiln_component_names(kind, &names);
	for (size_t i = 0; i < names.n; i++)
		printf("%s %s\n", kind, names.v[i]);
	strv_free(&names);
}

static int run_describe(struct cli_args *a)
{
	if (a->argc == 0) {
		for (size_t i = 0; kiln_component_kinds[i]; i++)
			list_kind(kiln_component_kinds[i]);
		return 0;
	}
	const char *kind = a->argv[0];
	if (!known_kind(kind)) {
		fprintf(stderr, "Error: \"%s\" is not a kind of component: use builder, provisioner, post-processor or data\n",
			kind);
		return 1;
	}
	if (a->argc == 1) {
		list_kind(kind);
		return 0;
	}
	const char *type = a->argv[1];
	struct kiln_component_info info;
	if (!kiln_find_component(kind, type, &info)) {
		struct strv names = STRV_INIT;
		kiln_component_names(kind, &names);
		char *list = names.n ? strv_join(&names, ", ") : xstrdup("(none)");
		fprintf(stderr, "Error: kiln has no %s \"%s\"; it has: %s\n", kind, type, list);
		free(list);
		strv_free(&names);
		return 1;
	}
	if (cli_bool(a, "markdown")) {
		struct buf b = BUF_INIT;
		kiln_schema_markdown(info.schema, &b);
		fputs(buf_cstr(&b), stdout);
		buf_free(&b);
		return 0;
	}
	json_t *j = kiln_component_to_json(info.kind, info.type, info.doc, info.builder_id, info.schema);
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!text)
		return 1;
	printf("%s\n", text);
	free(text);
	return 0;
}

const struct cli_command cmd_describe_component = {
	.name = "describe-component",
	.synopsis = "Prints the configuration schema of a builder, provisioner, post-processor or data source",
	.usage = "kiln describe-component [options] [KIND [TYPE]]",
	.help = "Prints the configuration schema of a component as JSON: every key with its type, default, "
		"allowed values or range, whether it is required, sensitive or deprecated, and what it does. "
		"The format is the one plugins describe their components in (docs/schema.md).\n\n"
		"KIND is builder, provisioner, post-processor or data. Without TYPE, lists the components of "
		"KIND; without KIND, lists every component.",
	.flags =
		(const struct cli_flag[]){
			{"markdown", CLI_BOOL, NULL, NULL, "Print the key table of the documentation instead of JSON."},
			{NULL},
		},
	.min_args = 0,
	.max_args = 2,
	.run = run_describe,
};
