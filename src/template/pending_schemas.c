/* pending_schemas.c — placeholder configuration schemas for components that are being written but not
 * yet registered in src/registry.c, so templates using them validate today. They are consulted only
 * for types the registry does not have: when a real component lands, its own schema takes over and
 * its entry here becomes dead — delete it then. A pending component validates but cannot run. */
#include "template/internal.h"

#include <string.h>

#define S(n, t, d) {.name = n, .type = t, .doc = d}
#define R(n, t, d) {.name = n, .type = t, .flags = KILN_ATTR_REQUIRED, .doc = d}
#define END {.name = NULL}

/* --- builders --- */

static const struct kiln_attr file_builder_attrs[] = {
	S("content", "string", "the file's contents"),
	S("source", "string", "a file to copy"),
	R("target", "string", "where to write the artifact"),
	END,
};
static const char *const file_builder_conflict[] = {"content", "source", NULL};
static const char *const *const file_builder_conflicts[] = {file_builder_conflict, NULL};
static const struct kiln_schema file_builder_schema = {file_builder_attrs, file_builder_conflicts};

struct pending {
	enum tmpl_kind kind;
	const char *type;
	const struct kiln_schema *schema;
};

static const struct pending pending[] = {
	{TMPL_BUILDER, "file", &file_builder_schema},
	{0, NULL, NULL},
};

const struct kiln_schema *tmpl_pending_schema(enum tmpl_kind kind, const char *type)
{
	for (size_t i = 0; pending[i].type; i++)
		if (pending[i].kind == kind && strcmp(pending[i].type, type) == 0)
			return pending[i].schema;
	return NULL;
}

void tmpl_pending_names(enum tmpl_kind kind, struct strv *out)
{
	for (size_t i = 0; pending[i].type; i++)
		if (pending[i].kind == kind)
			strv_push(out, pending[i].type);
}
