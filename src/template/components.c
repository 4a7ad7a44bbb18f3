/* components.c — finding a builder, provisioner, post-processor or data source by type: the registry
 * (src/registry.c) first, then the placeholder schemas of components still being written. */
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

/* Every type kiln knows for a kind, sorted, without duplicates. */
static void known_names(enum tmpl_kind kind, struct strv *out)
{
	struct strv all = STRV_INIT;
	kiln_component_names(tmpl_kind_name(kind), &all);
	tmpl_pending_names(kind, &all);
	strv_sort(&all);
	for (size_t i = 0; i < all.n; i++)
		if (i == 0 || strcmp(all.v[i], all.v[i - 1]) != 0)
			strv_push(out, all.v[i]);
	strv_free(&all);
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
	if ((out->schema = tmpl_pending_schema(kind, type))) {
		out->pending = true;
		return true;
	}
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
