/* cmd-init.c — `kiln init`: check a template's packer { required_version, required_plugins }. The
 * components Packer installs as plugins are built into kiln: init says which built-in component
 * satisfies each required plugin, and names any plugin kiln does not have. */
#include "cli/cli.h"
#include "cli/diagout.h"
#include "cli/tmplargs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component.h"
#include "template/template.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/strv.h"

/* What each plugin provides in Packer (kind, type). */
struct plugin_component {
	const char *kind;   /* "builder", "provisioner", "post-processor", "data" */
	const char *type;
};

struct plugin {
	const char *source;
	struct plugin_component provides[6];
};

static const struct plugin plugins[] = {
	{"github.com/hashicorp/qemu", {{"builder", "qemu"}}},
	{"github.com/hashicorp/vagrant", {{"post-processor", "vagrant"}, {"builder", "vagrant"}}},
	{"github.com/hashicorp/ansible", {{"provisioner", "ansible"}, {"provisioner", "ansible-local"}}},
	{"github.com/hashicorp/libvirt", {{"builder", "libvirt"}}},
	{NULL, {{NULL, NULL}}},
};

static bool kiln_has(const char *kind, const char *type)
{
	struct strv names = STRV_INIT;
	kiln_component_names(kind, &names);
	bool has = strv_contains(&names, type);
	strv_free(&names);
	return has;
}

/* "github.com/hashicorp/qemu" from a source, without a host prefix variation */
static const struct plugin *find_plugin(const char *source)
{
	for (size_t i = 0; plugins[i].source; i++)
		if (strcmp(plugins[i].source, source) == 0)
			return &plugins[i];
	return NULL;
}

static int run_init(struct cli_args *a)
{
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct tmpl *t = cli_load_template(a, a->argv[0], TMPL_SYNTAX_ONLY, true, &d);
	const struct tmpl_plugin_req *reqs;
	size_t n = tmpl_required_plugins(t, &reqs);
	const char *const *versions;
	const struct hcl_range *vranges;
	size_t nv = tmpl_required_versions(t, &versions, &vranges);
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < nv; i++)
		buf_printf(&out, "Packer version constraint \"%s\": satisfied (kiln implements Packer %s).\n",
			   versions[i], TMPL_PACKER_VERSION);
	if (!hcl_diags_has_errors(&d)) {
		for (size_t i = 0; i < n; i++) {
			const struct tmpl_plugin_req *r = &reqs[i];
			const struct plugin *p = r->source ? find_plugin(r->source) : NULL;
			struct strv got = STRV_INIT;
			for (size_t j = 0; p && j < 6 && p->provides[j].kind; j++)
				if (kiln_has(p->provides[j].kind, p->provides[j].type))
					strv_pushf(&got, "%s \"%s\"", p->provides[j].kind, p->provides[j].type);
			if (got.n == 0) {
				hcl_error(&d, &r->range, "Plugin not available",
					  "The template requires the plugin \"%s\"%s%s%s, which kiln does not provide. kiln "
					  "builds with its own built-in components and cannot install external plugins "
					  "yet. Remove the requirement and the blocks that use it, or build this template "
					  "with Packer.",
					  r->name, r->source ? " (" : "", r->source ? r->source : "", r->source ? ")" : "");
			} else {
				char *list = strv_join(&got, ", ");
				buf_printf(&out, "Plugin \"%s\" (%s%s%s): built into kiln as the %s.\n", r->name,
					   r->source, r->version ? " " : "", r->version ? r->version : "", list);
				free(list);
			}
			strv_free(&got);
		}
		if (n == 0)
			buf_puts(&out, "No plugins required.\n");
	}
	cli_print_diags(stderr, &d, tmpl_files(t));
	int rc = hcl_diags_has_errors(&d) ? 1 : 0;
	if (rc == 0)
		fputs(buf_cstr(&out), stdout);
	buf_free(&out);
	hcl_diags_free(&d);
	tmpl_free(t);
	return rc;
}

const struct cli_command cmd_init = {
	.name = "init",
	.synopsis = "Checks a template's required Packer version and plugins",
	.usage = "kiln init PATH",
	.help = "  Reads the packer { required_version, required_plugins } blocks of the template in PATH.\n"
		"  kiln's components are built in: for each required plugin, init reports which built-in\n"
		"  component satisfies it, and fails naming any plugin kiln does not have. Nothing is\n"
		"  downloaded. required_version is checked against the Packer release whose template\n"
		"  language kiln implements (" TMPL_PACKER_VERSION ").\n"
		"\n"
		"  Exit status: 0 when every requirement is satisfied, 1 otherwise.\n",
	.flags = (const struct cli_flag[]){{NULL}},
	.min_args = 1,
	.max_args = 1,
	.run = run_init,
};
