/* tmplargs.c — loading a template from a command's arguments (see tmplargs.h). */
#include "cli/tmplargs.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

struct tmpl *cli_load_template(const struct cli_args *a, const char *path, enum tmpl_mode mode, bool allow_unset,
			       struct hcl_diags *d)
{
	size_t n = a->list_flags.n;
	struct tmpl_var_arg *args = xcalloc(n + 1, sizeof *args);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(a->list_flags.v[i], "var") == 0)
			args[k].kind = TMPL_ARG_VAR;
		else if (strcmp(a->list_flags.v[i], "var-file") == 0)
			args[k].kind = TMPL_ARG_VAR_FILE;
		else
			continue;
		args[k++].text = a->list_values.v[i];
	}
	struct tmpl_options o = {0};
	o.mode = mode;
	o.var_args = args;
	o.nvar_args = k;
	o.allow_unset = allow_unset;
	struct tmpl *t = tmpl_load(path, &o, d);
	free(args);
	return t;
}
