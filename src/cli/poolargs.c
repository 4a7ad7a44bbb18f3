/* poolargs.c — the configuration file and the pool of a run, for the commands (see poolargs.h). */
#include "cli/poolargs.h"
#include "cli/diagout.h"

#include <stdio.h>
#include <stdlib.h>

int cli_load_pool(const struct cli_args *a, struct config *cfg, struct config_pool *pool)
{
	struct hcl_fileset files = HCL_FILESET_INIT;
	struct hcl_diags diags = HCL_DIAGS_INIT;
	int rc = config_load(NULL, cfg, &files, &diags);
	cli_print_diags(stderr, &diags, &files);
	hcl_diags_free(&diags);
	hcl_fileset_free(&files);
	if (rc < 0)
		return 1;
	struct kiln_error e = ERR_INIT;
	if (config_pool(cfg, cli_string(a, "hosts"), pool, &e) < 0) {
		cli_print_error(&e);
		config_free(cfg);
		return 1;
	}
	return 0;
}
