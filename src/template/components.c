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

/* Every type kiln knows for a kind, sorted, without duplicates. */
static void known_names(const struct tmpl *t, enum tmpl_kind kind, struct strv *out)
{
	struct strv all = STRV_INIT;
	kiln_component_names(tmpl_kind_name(kind), &all);
	if (t->plugin_finder && t->plugin_finder->names)
		t->plugin_finder->names(t->plugin_finder->arg, tmpl_kind_name(kind), &all);
	strv_sort(&all);
	for (size_t i = 0; i < all.n; i++)
		if (i == 0 || strcmp(all.v[i], all.v[i - 1]) != 0)
			strv_push(out, all.v[i]);
	strv_free(&all);
}

/* A plugin's component (a required plugin, or one that comes with kiln): 1 found, 0 none, -1 a plugin
 * provides it but cannot be used (why in out->plugin_summary and out->plugin_detail, kept by the
 * template). */
static int find_in_plugins(struct tmpl *t, enum tmpl_kind kind, const char *type, struct tmpl_component *out)
{
	/* asked also without required_plugins: plugins that come with kiln need no requirement */
	const struct tmpl_plugins *p = t->plugin_finder;
	if (!p)
		return 0;
	struct tmpl_plugin_found found = {0};
	char *summary = NULL, *detail = NULL;
	int rc = p->find(p->arg, tmpl_kind_name(kind), type, t->plugins, t->nplugins, t->dir, &found, &summary, &detail);
	if (rc < 0 && summary) {
		strv_push_owned(&t->strings, summary);
		strv_push_owned(&t->strings, detail ? detail : xstrdup(""));
		out->plugin_summary = t->strings.v[t->strings.n - 2];
		out->plugin_detail = t->strings.v[t->strings.n - 1];
	} else {
		free(summary);
		free(detail);
	}
	if (rc <= 0)
		return rc;
	out->schema = found.schema;
	switch (kind) {
	case TMPL_BUILDER: out->builder = found.component; break;
	case TMPL_PROVISIONER: out->provisioner = found.component; break;
	case TMPL_POSTPROCESSOR: out->postprocessor = found.component; break;
	case TMPL_DATASOURCE: out->datasource = found.component; break;
	}
	return 1;
}

bool tmpl_find_component(struct tmpl *t, enum tmpl_kind kind, const char *type, const struct hcl_range *at,
			 struct hcl_diags *d, struct tmpl_component *out)
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
	if (find_in_plugins(t, kind, type, out) > 0)
		return true;
	if (d)
		tmpl_unknown_component(t, out, at, HCL_DIAG_ERROR, NULL, d);
	return false;
}

void tmpl_unknown_component(struct tmpl *t, const struct tmpl_component *c, const struct hcl_range *at,
			    enum hcl_severity sev, const char *more, struct hcl_diags *d)
{
	enum tmpl_kind kind = c->kind;
	const char *type = c->type;
	if (c->plugin_summary) {
		char *key = xasprintf("%d %s %s", (int)sev, c->plugin_summary, c->plugin_detail);
		/* the plugin's problem says what to do; "left out by -only" still matters */
		if (sev != HCL_DIAG_WARNING)
			more = NULL;
		if (!strv_contains(&t->plugin_problems, key))
			hcl_diag_add(d, sev, at, c->plugin_summary, "%s%s%s", c->plugin_detail, more ? " " : "",
				     more ? more : "");
		strv_push_owned(&t->plugin_problems, key);
		return;
	}
	struct strv known = STRV_INIT;
	known_names(t, kind, &known);
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
