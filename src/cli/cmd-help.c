/* cmd-help.c — `kiln help [command]`. */
#include "cli/cli.h"

#include <stdio.h>

static int run_help(struct cli_args *a)
{
	if (a->argc == 0) {
		cli_print_commands(stdout);
		return 0;
	}
	const struct cli_command *cmd = cli_find_command(a->argv[0]);
	if (!cmd) {
		fprintf(stderr, "kiln help: unknown command \"%s\"\n\n", a->argv[0]);
		cli_print_commands(stderr);
		return 1;
	}
	cli_print_usage(cmd, stdout);
	return 0;
}

const struct cli_command cmd_help = {
	.name = "help",
	.synopsis = "Shows the commands, or one command's options",
	.usage = "kiln help [COMMAND]",
	.help = "",
	.flags = (const struct cli_flag[]){{NULL}},
	.min_args = 0,
	.max_args = 1,
	.run = run_help,
};
