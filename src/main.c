/* main.c — the kiln binary: set up signals, logging and the UI, then hand over to the CLI. */
#include "cli/cli.h"
#include "hcl/func.h"
#include "registry.h"
#include "ui/ui.h"
#include "util/file.h"
#include "util/signals.h"

int main(int argc, char **argv)
{
	sig_setup_deferred();
	log_init_from_env();
	hcl_gzip = kiln_module_gzip;
	int rc = cli_main(argc, argv);
	tmpdir_cleanup_all();
	log_close();
	return rc;
}
