/* cli.h — kiln's command line: `kiln <command> [flags] [args]`, dispatched from a table of commands
 * (commands.c). Each command is one file exporting one `const struct cli_command`. Flags follow Go's
 * flag package, as Packer's do: -name, --name, -name=value, -name value; parsing stops at the first
 * positional argument or "--". */
#ifndef KILN_CLI_CLI_H
#define KILN_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "util/strv.h"

enum cli_flag_type {
	CLI_BOOL,    /* -force, -force=false */
	CLI_STRING,  /* -on-error=abort */
	CLI_LIST,    /* repeatable: -var a=1 -var b=2 */
	CLI_INT,
};

struct cli_flag {
	const char *name;
	enum cli_flag_type type;
	const char *arg;      /* placeholder in help: "NAME=VALUE" */
	const char *def;      /* default value as a string, or NULL */
	const char *help;
};

struct cli_args;

struct cli_command {
	const char *name;
	const char *synopsis;          /* one line for `kiln help` */
	const char *usage;             /* "kiln build [options] PATH" */
	const char *help;              /* paragraphs shown by `kiln help <command>` */
	const struct cli_flag *flags;  /* terminated by {NULL} */
	int min_args, max_args;        /* positional arguments; max -1 = unlimited */
	int (*run)(struct cli_args *args);
	/* The first SIGINT/SIGTERM asks it to stop and clean up (a second one forces the exit), for
	 * commands that start what must be undone (domains, appliances, downloads); without it the
	 * first signal ends the process at once (util/signals.h: sig_exit_on_first). */
	bool winds_down;
};

struct cli_flag_value {
	bool set;
	bool b;
	long long i;
	const char *s;        /* points into argv or def */
	struct strv list;
	int *order;           /* CLI_LIST: position of each list item on the command line */
};

struct cli_args {
	const struct cli_command *cmd;
	int argc;                      /* positional arguments */
	char **argv;
	struct cli_flag_value *values; /* parallel to cmd->flags */
};

bool cli_bool(const struct cli_args *a, const char *name);
const char *cli_string(const struct cli_args *a, const char *name);  /* NULL when unset and no default */
long long cli_int(const struct cli_args *a, const char *name);
const struct strv *cli_list(const struct cli_args *a, const char *name);
bool cli_flag_set(const struct cli_args *a, const char *name);
bool cli_has_flag(const struct cli_args *a, const char *name);  /* does the command define it? */
/* Where the i-th value of a list flag stood on the command line, to merge two list flags in the
 * order the user gave them (-var and -var-file). */
int cli_list_order(const struct cli_args *a, const char *name, size_t i);

/* The table (commands.c), terminated by NULL. */
extern const struct cli_command *const cli_commands[];
const struct cli_command *cli_find_command(const char *name);

/* Parse argv for cmd into out. Returns 0, 1 on a usage error (message printed), 2 for -h/-help
 * (usage printed). */
int cli_parse(const struct cli_command *cmd, int argc, char **argv, struct cli_args *out);
void cli_args_free(struct cli_args *a);
void cli_print_usage(const struct cli_command *cmd, FILE *f);
void cli_print_commands(FILE *f);

/* For a command made of subcommands (`kiln cache list`): parse the flags of the subcommand in subs
 * (NULL-terminated) that a's first argument names, and run it. Returns its exit status (0 after -h).
 * An unknown name is a usage error (1): `kiln CMD: unknown subcommand "NAME"` followed by which,
 * the command's own list of its subcommands. */
int cli_run_subcommand(const struct cli_args *a, const struct cli_command *const *subs, const char *which);

/* Entry point: returns the process exit status. */
int cli_main(int argc, char **argv);

extern const char kiln_version_string[];

#endif
