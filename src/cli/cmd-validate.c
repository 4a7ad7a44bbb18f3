/* cmd-validate.c — `kiln validate`: check a template without building anything. */
#include "cli/cli.h"
#include "cli/diagout.h"
#include "cli/requirements.h"
#include "cli/tmplargs.h"

#include <stdio.h>

#include "engine/plan.h"
#include "hcl/diag.h"
#include "template/template.h"
#include "ui/ui.h"
#include "util/strv.h"

static int run_validate(struct cli_args *a)
{
	bool syntax_only = cli_bool(a, "syntax-only");
	ui_configure(&(struct ui_settings){.machine_readable = cli_bool(a, "machine-readable")});
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct tmpl *t = cli_load_template(a, a->argv[0], syntax_only ? TMPL_SYNTAX_ONLY : TMPL_FULL, false, &d);
	if (!syntax_only) {
		cli_check_required_plugins(t, &d);
		/* components are checked even when variables or locals had errors: every problem in one run */
		struct strv only = STRV_INIT, except = STRV_INIT;
		if (cli_string(a, "only"))
			strv_push(&only, cli_string(a, "only"));
		if (cli_string(a, "except"))
			strv_push(&except, cli_string(a, "except"));
		struct plan_options po = {&only, &except};
		tmpl_validate(t, &po, &d);
		strv_free(&only);
		strv_free(&except);
	}
	cli_print_diags(stderr, &d, tmpl_files(t));
	int rc = hcl_diags_has_errors(&d) ? 1 : 0;
	if (rc == 0)
		ui_say_plain(ui_global(), "%s", syntax_only ? "Syntax-only check passed. Everything looks okay."
							    : "The configuration is valid.");
	return cli_template_done(t, &d, rc);
}

const struct cli_command cmd_validate = {
	.name = "validate",
	.synopsis = "Checks that a template is valid",
	.usage = "kiln validate [options] PATH",
	.help = "  Checks the template in PATH (a *.pkr.hcl file, or a directory of them with its\n"
		"  *.auto.pkrvars.hcl files): its syntax, its blocks, variables and locals, and every\n"
		"  source, provisioner and post-processor against the component's configuration schema,\n"
		"  then each component's own checks (builders, provisioners, post-processors), as a build\n"
		"  would run them; values only a build knows (build.*) are left to the build. Every\n"
		"  problem is reported, each with the file, line and column it is about. Nothing is built\n"
		"  or downloaded.\n"
		"\n"
		"  Variable values are taken, later ones winning, from: defaults, PKR_VAR_name environment\n"
		"  variables, *.auto.pkrvars.hcl then *.auto.pkrvars.json files in lexical order, then -var\n"
		"  and -var-file in the order given. A value in a variable file for a variable the template\n"
		"  does not declare is a warning (-no-warn-undeclared-var silences it).\n"
		"\n"
		"  Data source blocks are checked, and their results left unknown, as newer Packer leaves\n"
		"  them unless -evaluate-datasources is given: then they run, as in kiln build.\n"
		"\n"
		"  Environment: PKR_VAR_name gives variable name a value; KILN_DIAG_FORMAT=short prints each\n"
		"  diagnostic as one FILE:LINE:COLUMN: error: SUMMARY line; NO_COLOR turns colour off.\n"
		"\n"
		"  Exit status: 0 when the template is valid (warnings may be shown), 1 otherwise.\n",
	.flags = (const struct cli_flag[]){
		{"syntax-only", CLI_BOOL, NULL, NULL,
		 "Only check the syntax and the template's structure; evaluate nothing."},
		{"evaluate-datasources", CLI_BOOL, NULL, NULL,
		 "Run the data sources, so that the checks see their results."},
		{"machine-readable", CLI_BOOL, NULL, NULL,
		 "Print Packer's machine-readable lines (ui,say and ui,error) on standard output."},
		{"no-warn-undeclared-var", CLI_BOOL, NULL, NULL,
		 "No warning for values in variable files for variables the template does not declare."},
		CLI_VAR_FLAGS,
		{"only", CLI_STRING, "NAME,...", NULL, "Validate only the builds matching these names (globs)."},
		{"except", CLI_STRING, "NAME,...", NULL, "Validate all builds except those matching these names."},
		{NULL},
	},
	.min_args = 1,
	.max_args = 1,
	.run = run_validate,
};
