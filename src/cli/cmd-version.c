/* cmd-version.c — `kiln version`. */
#include "config.h"
#include "cli/cli.h"

#include <stdio.h>

const char kiln_version_string[] = PACKAGE_VERSION;

static int run_version(struct cli_args *a)
{
	(void)a;
	printf("kiln v%s\n", kiln_version_string);
	return 0;
}

const struct cli_command cmd_version = {
	.name = "version",
	.synopsis = "Prints the kiln version",
	.usage = "kiln version",
	.help = "",
	.flags = (const struct cli_flag[]){{NULL}},
	.min_args = 0,
	.max_args = 0,
	.run = run_version,
};
