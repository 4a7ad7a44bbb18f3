/* components.c — finding a builder, provisioner, post-processor or data source by type in the registry
 * (src/registry.c), with a diagnostic listing the types kiln has when there is none. */
#include "template/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

const char *tmpl_kind_name(enum tmpl_kind kind)
{
	switch (kind) {
	case TMPL_BUILDER: return "builder";
	case TMPL_PROVISIONER: return "provisioner";
	case TMPL_POSTPROCESSOR: return "post-processor";
	case TMPL_DATASOURCE: return "data";
	}
	return "?";
}

static const char *kind_plural(enum tmpl_kind kind)
{
	switch (kind) {
	case TMPL_BUILDER: return "builders";
	case TMPL_PROVISIONER: return "provisioners";
	case TMPL_POSTPROCESSOR: return "post-processors";
	case TMPL_DATASOURCE: return "data sources";
	}
	return "?";
}

static const char *kind_title(enum tmpl_kind kind)
{
	switch (kind) {
	case TMPL_BUILDER: return "builder";
	case TMPL_PROVISIONER: return "provisioner";
	case TMPL_POSTPROCESSOR: return "post-processor";
	case TMPL_DATASOURCE: return "data source";
	}
	return "?";
}

/* Every type kiln has of a kind, sorted. */
static void known_names(enum tmpl_kind kind, struct strv *out)
{
	kiln_component_names(tmpl_kind_name(kind), out);
}

bool tmpl_find_component(enum tmpl_kind kind, const char *type, const struct hcl_range *at, struct hcl_diags *d,
			 struct tmpl_component *out)
{
	memset(out, 0, sizeof *out);
	out->kind = kind;
	out->type = type;
	switch (kind) {
	case TMPL_BUILDER:
		if ((out->builder = kiln_find_builder(type)))
			out->schema = out->builder->schema;
		break;
	case TMPL_PROVISIONER:
		if ((out->provisioner = kiln_find_provisioner(type)))
			out->schema = out->provisioner->schema;
		break;
	case TMPL_POSTPROCESSOR:
		if ((out->postprocessor = kiln_find_postprocessor(type)))
			out->schema = out->postprocessor->schema;
		break;
	case TMPL_DATASOURCE:
		if ((out->datasource = kiln_find_datasource(type)))
			out->schema = out->datasource->schema;
		break;
	}
	if (out->builder || out->provisioner || out->postprocessor || out->datasource)
		return true;
	if (d)
		tmpl_unknown_component(kind, type, at, HCL_DIAG_ERROR, NULL, d);
	return false;
}

void tmpl_unknown_component(enum tmpl_kind kind, const char *type, const struct hcl_range *at,
			    enum hcl_severity sev, const char *more, struct hcl_diags *d)
{
	struct strv known = STRV_INIT;
	known_names(kind, &known);
	char *list = known.n ? strv_join(&known, ", ") : xstrdup("(none yet)");
	char *sugg = tmpl_suggest(type, (const char *const *)known.v, known.n);
	char *summary = xasprintf("Unsupported %s type", kind_title(kind));
	hcl_diag_add(d, sev, at, summary, "kiln has no %s of type \"%s\".%s The %s kiln provides are: %s.%s%s",
		     kind_title(kind), type, sugg, kind_plural(kind), list, more ? " " : "", more ? more : "");
	free(summary);
	free(sugg);
	free(list);
	strv_free(&known);
}
