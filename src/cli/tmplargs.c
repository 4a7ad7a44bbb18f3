/* tmplargs.c — loading a template from a command's arguments (see tmplargs.h). */
#include "cli/tmplargs.h"

#include <stdlib.h>
#include <string.h>

#include "plugin/catalog.h"
#include "util/mem.h"

struct ordered {
	int pos;
	struct tmpl_var_arg arg;
};

static int cmp_pos(const void *a, const void *b)
{
	return ((const struct ordered *)a)->pos - ((const struct ordered *)b)->pos;
}

struct tmpl *cli_load_template(const struct cli_args *a, const char *path, enum tmpl_mode mode, bool allow_unset,
			       struct hcl_diags *d)
{
	const struct strv *vars = cli_list(a, "var"), *files = cli_list(a, "var-file");
	size_t nv = vars ? vars->n : 0, nf = files ? files->n : 0;
	struct ordered *o = xcalloc(nv + nf + 1, sizeof *o);
	for (size_t i = 0; i < nv; i++)
		o[i] = (struct ordered){cli_list_order(a, "var", i), {TMPL_ARG_VAR, vars->v[i]}};
	for (size_t i = 0; i < nf; i++)
		o[nv + i] = (struct ordered){cli_list_order(a, "var-file", i), {TMPL_ARG_VAR_FILE, files->v[i]}};
	qsort(o, nv + nf, sizeof *o, cmp_pos);
	struct tmpl_var_arg *args = xcalloc(nv + nf + 1, sizeof *args);
	for (size_t i = 0; i < nv + nf; i++)
		args[i] = o[i].arg;
	free(o);
	struct tmpl_options opts = {0};
	opts.mode = mode;
	opts.var_args = args;
	opts.nvar_args = nv + nf;
	opts.allow_unset = allow_unset;
	opts.plugins = &plugin_finder;
	struct tmpl *t = tmpl_load(path, &opts, d);
	free(args);
	return t;
}
