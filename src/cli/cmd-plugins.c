/* cmd-plugins.c — `kiln plugins installed | install | remove | required`: managing installed plugins
 * by hand, as `packer plugins` does. Each subcommand is a struct cli_command of its own, dispatched
 * from the first argument. */
#include "cli/cli.h"
#include "cli/diagout.h"
#include "cli/requirements.h"
#include "cli/tmplargs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/install.h"
#include "plugin/installed.h"
#include "plugin/lock.h"
#include "template/template.h"
#include "util/mem.h"
#include "util/version.h"


/* ------------------------------------------------------------------------------------------------ */

static int run_installed(struct cli_args *a)
{
	struct plugin_list l;
	plugin_list_installed(NULL, &l);
	for (size_t i = 0; i < l.n; i++) {
		if (cli_bool(a, "long"))
			printf("%s %s (protocol %s)%s: %s\n", l.v[i].source, l.v[i].version, l.v[i].protocol,
			       l.v[i].bundled ? ", comes with kiln" : "", l.v[i].path);
		else
			printf("%s\n", l.v[i].path);
	}
	plugin_list_free(&l);
	return 0;
}

static const struct cli_command sub_installed = {
	.name = "installed",
	.synopsis = "Lists the installed plugins",
	.usage = "kiln plugins installed [-long]",
	.help = "  Prints the path of every installed plugin, newest release of each source first: those in\n"
		"  $KILN_PLUGIN_PATH (or ~/.config/kiln/plugins), then those that come with kiln.\n",
	.flags = (const struct cli_flag[]){
		{"long", CLI_BOOL, NULL, "false", "Also print each plugin's source, version and protocol."},
		{NULL},
	},
	.min_args = 0,
	.max_args = 0,
	.run = run_installed,
};

/* ------------------------------------------------------------------------------------------------ */

static int run_install(struct cli_args *a)
{
	const char *source = a->argv[0];
	const char *path = cli_string(a, "path");
	struct kiln_error err = ERR_INIT;
	struct plugin_install_result r;
	int rc;
	if (path) {
		if (a->argc > 1) {
			fprintf(stderr, "Error: with -path, the version comes from the plugin itself: give only SOURCE\n");
			return 1;
		}
		rc = plugin_install_file(path, source, &r, &err);
	} else {
		const char *version = a->argc > 1 ? a->argv[1] : NULL;
		if (version && version[0] == 'v')
			version++;
		struct plugin_install_opts o = {cli_string(a, "plugin-mirror"), NULL};
		rc = plugin_install(source, NULL, version, NULL, &o, &r, &err);
	}
	if (rc < 0)
		return cli_print_error(&err);
	printf("Installed %s %s (protocol %s) in %s\n", r.inst.source, r.inst.version, r.inst.protocol, r.inst.path);
	plugin_install_result_free(&r);
	return 0;
}

static const struct cli_command sub_install = {
	.name = "install",
	.synopsis = "Installs a plugin",
	.usage = "kiln plugins install [options] SOURCE [VERSION]\n       kiln plugins install -path FILE SOURCE",
	.help = "  Installs the newest release of SOURCE (github.com/ORG/NAME) that this kiln can run, or\n"
		"  release VERSION, from the mirror (-plugin-mirror, KILN_PLUGIN_MIRROR) or the source's\n"
		"  GitHub releases, verified against the release's SHA256SUMS. With -path, installs the\n"
		"  plugin executable FILE as SOURCE (for machines without a network): its version and\n"
		"  protocol come from the plugin itself. Plugins go to $KILN_PLUGIN_PATH, or\n"
		"  ~/.config/kiln/plugins, in Packer's layout. kiln init does this for a template's\n"
		"  required_plugins and records what it installed in the lock file.\n",
	.flags = (const struct cli_flag[]){
		{"path", CLI_STRING, "FILE", NULL, "Install this plugin executable instead of downloading one."},
		{"plugin-mirror", CLI_STRING, "URL", NULL, "Install from this mirror (a directory or an http(s) URL) instead of GitHub."},
		{NULL},
	},
	.min_args = 1,
	.max_args = 2,
	.run = run_install,
};

/* ------------------------------------------------------------------------------------------------ */

static int run_remove(struct cli_args *a)
{
	struct strv removed = STRV_INIT;
	struct kiln_error err = ERR_INIT;
	const char *version = a->argc > 1 ? a->argv[1] : NULL;
	if (plugin_remove(a->argv[0], version, &removed, &err) < 0) {
		strv_free(&removed);
		return cli_print_error(&err);
	}
	for (size_t i = 0; i < removed.n; i++)
		printf("%s\n", removed.v[i]);
	strv_free(&removed);
	return 0;
}

static const struct cli_command sub_remove = {
	.name = "remove",
	.synopsis = "Removes an installed plugin",
	.usage = "kiln plugins remove SOURCE [VERSION]",
	.help = "  Removes every installed release of SOURCE, or only VERSION, and prints the paths\n"
		"  removed. Plugins that come with kiln are not removed.\n",
	.flags = (const struct cli_flag[]){{NULL}},
	.min_args = 1,
	.max_args = 2,
	.run = run_remove,
};

/* ------------------------------------------------------------------------------------------------ */

static int run_required(struct cli_args *a)
{
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct tmpl *t = cli_load_template(a, a->argv[0], TMPL_SYNTAX_ONLY, true, &d);
	int rc = hcl_diags_has_errors(&d) ? 1 : 0;
	cli_print_diags(stderr, &d, tmpl_files(t));
	const struct tmpl_plugin_req *reqs;
	size_t n = rc ? 0 : tmpl_required_plugins(t, &reqs);
	struct plugin_lock lock;
	struct kiln_error err = ERR_INIT;
	if (n && plugin_lock_read(tmpl_dir(t), &lock, &err) < 0) {
		rc = cli_print_error(&err);
		n = 0;
		memset(&lock, 0, sizeof lock);
	}
	for (size_t i = 0; i < n; i++) {
		const struct tmpl_plugin_req *q = &reqs[i];
		struct cli_req_result res;
		cli_req_check(q, &res);
		bool builtin = res.state != CLI_REQ_MISSING;
		cli_req_result_free(&res);
		if (builtin || !q->source)
			continue;
		/* the release the lock records, else the newest that satisfies the constraint */
		const struct plugin_lock_entry *e = plugin_lock_find(&lock, q->source);
		struct plugin_list l;
		plugin_list_installed(q->source, &l);
		const struct plugin_installed *found = NULL;
		for (size_t k = 0; k < l.n && !found; k++)
			if (e ? strcmp(l.v[k].version, e->version) == 0
			      : !q->version || version_satisfies(q->version, l.v[k].version, NULL) == 1)
				found = &l.v[k];
		if (found) {
			printf("%s\n", found->path);
		} else {
			fprintf(stderr, "Error: the plugin \"%s\" (%s%s%s) is not installed: run kiln init\n", q->name, q->source,
				e ? " " : q->version ? " " : "", e ? e->version : q->version ? q->version : "");
			rc = 1;
		}
		plugin_list_free(&l);
	}
	if (n)
		plugin_lock_free(&lock);
	return cli_template_done(t, &d, rc);
}

static const struct cli_command sub_required = {
	.name = "required",
	.synopsis = "Lists the installed plugins a template requires",
	.usage = "kiln plugins required PATH",
	.help = "  Prints, for each external plugin the template in PATH requires, the path of the\n"
		"  installed release kiln would use (the one the lock file records, else the newest that\n"
		"  satisfies the constraint); a required plugin that is not installed is an error. Plugins\n"
		"  kiln builds in are not listed.\n",
	.flags = (const struct cli_flag[]){{NULL}},
	.min_args = 1,
	.max_args = 1,
	.run = run_required,
};

/* ------------------------------------------------------------------------------------------------ */

static const struct cli_command *const subs[] = {&sub_installed, &sub_install, &sub_remove, &sub_required, NULL};

static int run_plugins(struct cli_args *a)
{
	return cli_run_subcommand(a, subs, " (installed, install, remove, required)");
}

const struct cli_command cmd_plugins = {
	.name = "plugins",
	.synopsis = "Installs, lists and removes plugins",
	.usage = "kiln plugins installed | install | remove | required ...",
	.help = "  kiln plugins installed lists the installed plugins.\n"
		"\n"
		"  kiln plugins install SOURCE [VERSION] installs a release of a plugin; with -path FILE, the\n"
		"  plugin executable FILE, for machines without a network.\n"
		"\n"
		"  kiln plugins remove SOURCE [VERSION] removes installed releases.\n"
		"\n"
		"  kiln plugins required PATH lists the installed plugins the template in PATH requires.\n"
		"\n"
		"  kiln plugins SUBCOMMAND -h shows a subcommand's options. docs/plugins.md tells how\n"
		"  plugins are found, installed, verified and locked.\n",
	.flags = (const struct cli_flag[]){{NULL}},
	.min_args = 1,
	.max_args = -1,
	.winds_down = true, /* install downloads and writes; Ctrl-C winds down as in init */
	.run = run_plugins,
};
