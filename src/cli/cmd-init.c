/* cmd-init.c — `kiln init`: check a template's packer { required_version, required_plugins }. The
 * components Packer installs as plugins are built into kiln (cli/requirements.h): init says how each
 * requirement is satisfied — by which built-in component, standing in for which release of the
 * plugin — and names every one kiln cannot satisfy. */
#include "cli/cli.h"
#include "cli/diagout.h"
#include "cli/requirements.h"
#include "cli/tmplargs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/template.h"
#include "util/buf.h"

static int run_init(struct cli_args *a)
{
	bool upgrade = cli_bool(a, "upgrade");
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
	/* every requirement is reported, those kiln satisfies also when another one fails */
	for (size_t i = 0; i < n; i++) {
		const struct tmpl_plugin_req *r = &reqs[i];
		struct cli_req_result res;
		cli_req_check(r, &res);
		switch (res.state) {
		case CLI_REQ_BUILTIN:
			buf_printf(&out, "Plugin \"%s\" (%s%s%s): built into kiln as the %s, standing in for release %s.\n",
				   r->name, r->source, r->version ? " " : "", r->version ? r->version : "", res.provides,
				   res.release);
			if (upgrade)
				buf_printf(&out, "Plugin \"%s\": -upgrade has nothing to upgrade: the built-in %s changes "
						 "with kiln itself (newest release it stands in for: %s).\n",
					   r->name, res.provides, res.newest);
			break;
		case CLI_REQ_VERSION:
			cli_req_version_error(r, &res, &d);
			break;
		case CLI_REQ_MISSING:
			hcl_error(&d, &r->range, "Plugin not available",
				  "The template requires the plugin \"%s\"%s%s%s, which kiln does not provide. kiln "
				  "builds with its own built-in components and cannot install external plugins "
				  "yet. Remove the requirement and the blocks that use it, select only the builds kiln "
				  "can run with -only, or build this template with Packer.",
				  r->name, r->source ? " (" : "", r->source ? r->source : "", r->source ? ")" : "");
			break;
		}
		cli_req_result_free(&res);
	}
	if (n == 0 && !hcl_diags_has_errors(&d))
		buf_puts(&out, "No plugins required.\n");
	fputs(buf_cstr(&out), stdout);
	fflush(stdout);
	cli_print_diags(stderr, &d, tmpl_files(t));
	int rc = hcl_diags_has_errors(&d) ? 1 : 0;
	buf_free(&out);
	hcl_diags_free(&d);
	tmpl_free(t);
	return rc;
}

const struct cli_command cmd_init = {
	.name = "init",
	.synopsis = "Checks a template's required Packer version and plugins",
	.usage = "kiln init [-upgrade] PATH",
	.help = "  Reads the packer { required_version, required_plugins } blocks of the template in PATH.\n"
		"  kiln's components are built in: for each required plugin, init reports which built-in\n"
		"  component satisfies it and which release of the plugin it stands in for (the newest that\n"
		"  satisfies the version constraint, with Packer's constraint rules), and fails naming every\n"
		"  plugin kiln does not have or whose constraint no built-in release satisfies; the others\n"
		"  are still reported. Nothing is downloaded. required_version is checked against the Packer\n"
		"  release whose template language kiln implements (" TMPL_PACKER_VERSION ").\n"
		"\n"
		"  Exit status: 0 when every requirement is satisfied, 1 otherwise.\n",
	.flags = (const struct cli_flag[]){
		{"upgrade", CLI_BOOL, NULL, NULL,
		 "Packer's flag to upgrade installed plugins; kiln's are built in, and it says so."},
		{NULL},
	},
	.min_args = 1,
	.max_args = 1,
	.run = run_init,
};
