/* commands.c — the table of kiln's commands. Adding a command is one cmd-*.c file and one line here. */
#include "cli/cli.h"

#include <stddef.h>

extern const struct cli_command cmd_build;
extern const struct cli_command cmd_cache;
extern const struct cli_command cmd_console;
extern const struct cli_command cmd_describe_component;
extern const struct cli_command cmd_fmt;
extern const struct cli_command cmd_help;
extern const struct cli_command cmd_hosts;
extern const struct cli_command cmd_init;
extern const struct cli_command cmd_inspect;
extern const struct cli_command cmd_inspect_image;
extern const struct cli_command cmd_plugins;
extern const struct cli_command cmd_validate;
extern const struct cli_command cmd_version;

const struct cli_command *const cli_commands[] = {
	&cmd_build,
	&cmd_cache,
	&cmd_console,
	&cmd_describe_component,
	&cmd_fmt,
	&cmd_help,
	&cmd_hosts,
	&cmd_init,
	&cmd_inspect,
	&cmd_inspect_image,
	&cmd_plugins,
	&cmd_validate,
	&cmd_version,
	NULL,
};
