/* requirements.c — required_plugins against the plugins built into kiln (see requirements.h). */
#include "cli/requirements.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "component.h"
#include "util/mem.h"
#include "util/version.h"

/* The Packer plugins whose components kiln has built in, with the plugin's releases (from its tags)
 * that kiln's components stand in for: kiln reads every setting of those releases. A plugin counts
 * only for the components kiln has (kiln_component_names): the amazon plugin, for instance, for its
 * amazon-import post-processor alone. */
struct builtin_plugin {
	const char *source;
	const char *releases;    /* oldest first, separated by spaces */
	struct {
		const char *kind, *type;
	} provides[4];
};

static const struct builtin_plugin builtin_plugins[] = {
	{"github.com/hashicorp/qemu",
	 "1.0.0 1.0.1 1.0.2 1.0.3 1.0.4 1.0.5 1.0.6 1.0.7 1.0.8 1.0.9 1.0.10 "
	 "1.1.0 1.1.1 1.1.2 1.1.3 1.1.4 1.1.5 1.1.6",
	 {{"builder", "qemu"}}},
	{"github.com/hashicorp/amazon",
	 "1.0.0 1.0.1 1.0.2 1.0.3 1.0.4 1.0.5 1.0.6 1.0.7 1.0.8 1.0.9 1.1.0 1.1.1 1.1.2 1.1.3 1.1.4 1.1.5 1.1.6 "
	 "1.2.0 1.2.1 1.2.2 1.2.3 1.2.4 1.2.5 1.2.6 1.2.7 1.2.8 1.2.9 1.3.0 1.3.1 1.3.2 1.3.3 1.3.4 1.3.5 1.3.6 "
	 "1.3.7 1.3.8 1.3.9 1.3.10 1.4.0 1.5.0 1.6.0 1.7.0 1.7.1 1.8.0 1.8.1 1.8.2",
	 {{"post-processor", "amazon-import"}}},
};

static bool kiln_has(const char *kind, const char *type)
{
	struct strv names = STRV_INIT;
	kiln_component_names(kind, &names);
	bool has = strv_contains(&names, type);
	strv_free(&names);
	return has;
}

static const struct builtin_plugin *find_builtin(const char *source)
{
	for (size_t i = 0; source && i < sizeof builtin_plugins / sizeof builtin_plugins[0]; i++)
		if (strcasecmp(builtin_plugins[i].source, source) == 0) /* GitHub names ignore case */
			return &builtin_plugins[i];
	return NULL;
}

void cli_req_check(const struct tmpl_plugin_req *r, struct cli_req_result *out)
{
	memset(out, 0, sizeof *out);
	out->state = CLI_REQ_MISSING;
	const struct builtin_plugin *p = find_builtin(r->source);
	if (!p)
		return;
	struct strv got = STRV_INIT;
	for (size_t j = 0; j < sizeof p->provides / sizeof p->provides[0] && p->provides[j].kind; j++)
		if (kiln_has(p->provides[j].kind, p->provides[j].type))
			strv_pushf(&got, "%s \"%s\"", p->provides[j].kind, p->provides[j].type);
	if (got.n == 0) {
		strv_free(&got);
		return;
	}
	out->provides = strv_join(&got, " and ");
	strv_free(&got);
	struct version_constraints c = VERSION_CONSTRAINTS_INIT;
	struct kiln_error err = ERR_INIT;
	bool any = !r->version || version_constraints_parse(r->version, &c, &err) < 0; /* unreadable: reported at load */
	out->state = CLI_REQ_VERSION;
	out->oldest = xstrndup(p->releases, strcspn(p->releases, " "));
	/* the releases are in order: the last one that satisfies the constraint is the newest */
	char *list = xstrdup(p->releases), *save = NULL;
	for (char *rel = strtok_r(list, " ", &save); rel; rel = strtok_r(NULL, " ", &save)) {
		struct version v = VERSION_INIT;
		if (version_parse(rel, &v, &err) == 0 && (any || version_constraints_check(&c, &v))) {
			out->state = CLI_REQ_BUILTIN;
			free(out->release);
			out->release = xstrdup(rel);
		}
		free(out->newest);
		out->newest = xstrdup(rel);
		version_free(&v);
	}
	free(list);
	version_constraints_free(&c);
	err_clear(&err);
}

void cli_req_result_free(struct cli_req_result *r)
{
	free(r->provides);
	free(r->release);
	free(r->oldest);
	free(r->newest);
	memset(r, 0, sizeof *r);
}

void cli_check_required_plugins(struct tmpl *t, struct hcl_diags *d)
{
	const struct tmpl_plugin_req *reqs;
	size_t n = tmpl_required_plugins(t, &reqs);
	for (size_t i = 0; i < n; i++) {
		struct cli_req_result res;
		cli_req_check(&reqs[i], &res);
		if (res.state == CLI_REQ_VERSION)
			cli_req_version_error(&reqs[i], &res, d);
		cli_req_result_free(&res);
	}
}

void cli_req_version_error(const struct tmpl_plugin_req *r, const struct cli_req_result *res, struct hcl_diags *d)
{
	hcl_error(d, &r->version_range, "Missing plugins",
		  "The template requires %s %s. kiln has that plugin built in (%s) as its releases %s to %s, and "
		  "none of them satisfies the constraint: change the constraint, or build with Packer and the "
		  "plugin.",
		  r->source, r->version, res->provides, res->oldest, res->newest);
}
