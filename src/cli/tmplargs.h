/* tmplargs.h — what the template commands (validate, inspect, init, and build) share: loading the
 * template named on the command line with its -var and -var-file flags, in command-line order. */
#ifndef KILN_CLI_TMPLARGS_H
#define KILN_CLI_TMPLARGS_H

#include "cli/cli.h"
#include "hcl/diag.h"
#include "template/template.h"

/* The flag table entries for -var and -var-file (use inside a command's flags array). */
#define CLI_VAR_FLAGS                                                                                   \
	{"var", CLI_LIST, "NAME=VALUE", NULL, "Set a variable (repeatable; later values win)."},        \
	{"var-file", CLI_LIST, "FILE", NULL,                                                            \
	 "Read variables from a file (*.pkrvars.hcl, or JSON: *.json); repeatable, in order with -var."}

/* Load PATH with the command's -var/-var-file flags (and -no-warn-undeclared-var or
 * -warn-on-undeclared-var when the command has them). Never NULL. */
struct tmpl *cli_load_template(const struct cli_args *a, const char *path, enum tmpl_mode mode, bool allow_unset,
			       struct hcl_diags *d);

/* The common tail of the template commands: free the template and its diagnostics (printed or not,
 * as the command chose), and return rc, the command's exit status. */
int cli_template_done(struct tmpl *t, struct hcl_diags *d, int rc);

#endif
