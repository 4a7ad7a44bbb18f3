/* registry.c — the table of built-in components. Adding a component is one file implementing
 * component.h and one line here. */
#include "component.h"
#include "util/strv.h"

#include <string.h>

extern const struct kiln_builder qemu_builder;
extern const struct kiln_builder null_builder;
extern const struct kiln_provisioner shell_provisioner;
extern const struct kiln_provisioner file_provisioner;
extern const struct kiln_provisioner shell_local_provisioner;
extern const struct kiln_provisioner breakpoint_provisioner;

static const struct kiln_builder *const builders[] = {
	&qemu_builder,
	&null_builder,
	NULL,
};

static const struct kiln_provisioner *const provisioners[] = {
	&shell_provisioner,
	&file_provisioner,
	&shell_local_provisioner,
	&breakpoint_provisioner,
	NULL,
};

extern const struct kiln_postprocessor artifice_postprocessor;
extern const struct kiln_postprocessor checksum_postprocessor;
extern const struct kiln_postprocessor compress_postprocessor;
extern const struct kiln_postprocessor manifest_postprocessor;
extern const struct kiln_postprocessor shell_local_postprocessor;

static const struct kiln_postprocessor *const postprocessors[] = {
	&artifice_postprocessor,
	&checksum_postprocessor,
	&compress_postprocessor,
	&manifest_postprocessor,
	&shell_local_postprocessor,
	NULL,
};

static const struct kiln_datasource *const datasources[] = {
	NULL,
};

#define FIND(table, type)                                          \
	for (size_t i = 0; table[i]; i++)                          \
		if (strcmp(table[i]->type, type) == 0)             \
			return table[i];                           \
	return NULL

const struct kiln_builder *kiln_find_builder(const char *type)
{
	FIND(builders, type);
}

const struct kiln_provisioner *kiln_find_provisioner(const char *type)
{
	FIND(provisioners, type);
}

const struct kiln_postprocessor *kiln_find_postprocessor(const char *type)
{
	FIND(postprocessors, type);
}

const struct kiln_datasource *kiln_find_datasource(const char *type)
{
	FIND(datasources, type);
}

void kiln_component_names(const char *kind, struct strv *out)
{
	size_t start = out->n;
	if (strcmp(kind, "builder") == 0)
		for (size_t i = 0; builders[i]; i++)
			strv_push(out, builders[i]->type);
	else if (strcmp(kind, "provisioner") == 0)
		for (size_t i = 0; provisioners[i]; i++)
			strv_push(out, provisioners[i]->type);
	else if (strcmp(kind, "post-processor") == 0)
		for (size_t i = 0; postprocessors[i]; i++)
			strv_push(out, postprocessors[i]->type);
	else if (strcmp(kind, "data") == 0)
		for (size_t i = 0; datasources[i]; i++)
			strv_push(out, datasources[i]->type);
	(void)start;
	strv_sort(out);
}
