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
	/* Packer's defaults: validate warns about values for undeclared variables in variable files
	 * unless -no-warn-undeclared-var, build only with -warn-on-undeclared-var, the others never */
	if (cli_has_flag(a, "no-warn-undeclared-var"))
		opts.warn_undeclared_vars = !cli_bool(a, "no-warn-undeclared-var");
	else
		opts.warn_undeclared_vars = cli_bool(a, "warn-on-undeclared-var");
	/* -only/-except: a list flag (build) or one comma-separated string (validate) */
	struct strv sel[2] = {STRV_INIT, STRV_INIT};
	static const char *const names[2] = {"only", "except"};
	for (size_t i = 0; i < 2; i++) {
		const struct strv *l = cli_list(a, names[i]);
		for (size_t j = 0; l && j < l->n; j++)
			strv_push(&sel[i], l->v[j]);
		if ((!l || l->n == 0) && cli_string(a, names[i]))
			strv_push(&sel[i], cli_string(a, names[i]));
	}
	/* Packer runs data sources in build and console, in validate only with -evaluate-datasources */
	opts.run_datasources = mode == TMPL_FULL && (strcmp(a->cmd->name, "build") == 0 ||
						     (cli_has_flag(a, "evaluate-datasources") && cli_bool(a, "evaluate-datasources")));
	opts.only = &sel[0];
	opts.except = &sel[1];
	struct tmpl *t = tmpl_load(path, &opts, d);
	strv_free(&sel[0]);
	strv_free(&sel[1]);
	free(args);
	return t;
}

int cli_template_done(struct tmpl *t, struct hcl_diags *d, int rc)
{
	hcl_diags_free(d);
	tmpl_free(t);
	return rc;
}
