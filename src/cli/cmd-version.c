/* cmd-version.c — `kiln version`, with Packer's machine-readable lines (version, version-prelease,
 * version-commit, then the ui,say line). */
#include "config.h"
#include "cli/cli.h"

#include "ui/ui.h"

const char kiln_version_string[] = PACKAGE_VERSION;

static int run_version(struct cli_args *a)
{
	ui_configure(&(struct ui_settings){.machine_readable = cli_bool(a, "machine-readable")});
	ui_machine(ui_global(), "version", kiln_version_string, NULL);
	ui_machine(ui_global(), "version-prelease", "", NULL); /* sic: Packer's spelling */
	ui_machine(ui_global(), "version-commit", "", NULL);
	ui_say_plain(ui_global(), "kiln v%s", kiln_version_string);
	return 0;
}

const struct cli_command cmd_version = {
	.name = "version",
	.synopsis = "Prints the kiln version",
	.usage = "kiln version [-machine-readable]",
	.help = "  Prints \"kiln vVERSION\". kiln never checks for a newer release.\n",
	.flags = (const struct cli_flag[]){
		{"machine-readable", CLI_BOOL, NULL, NULL,
		 "Print Packer's machine-readable lines (version, version-prelease, version-commit, ui,say)."},
		{NULL},
	},
	.min_args = 0,
	.max_args = 0,
	.run = run_version,
};
