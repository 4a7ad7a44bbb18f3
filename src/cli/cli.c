/* cli.c — flag parsing, dispatch and help for the command table (see cli.h). */
#include "cli/cli.h"
#include "util/mem.h"
#include "util/signals.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct cli_command *cli_find_command(const char *name)
{
	for (size_t i = 0; cli_commands[i]; i++)
		if (strcmp(cli_commands[i]->name, name) == 0)
			return cli_commands[i];
	return NULL;
}

static int flag_index(const struct cli_command *cmd, const char *name, size_t len)
{
	for (int i = 0; cmd->flags && cmd->flags[i].name; i++)
		if (strlen(cmd->flags[i].name) == len && strncmp(cmd->flags[i].name, name, len) == 0)
			return i;
	return -1;
}

static const struct cli_flag_value *value_of(const struct cli_args *a, const char *name)
{
	int i = flag_index(a->cmd, name, strlen(name));
	return i < 0 ? NULL : &a->values[i];
}

bool cli_bool(const struct cli_args *a, const char *name)
{
	const struct cli_flag_value *v = value_of(a, name);
	return v && v->b;
}

const char *cli_string(const struct cli_args *a, const char *name)
{
	const struct cli_flag_value *v = value_of(a, name);
	return v ? v->s : NULL;
}

long long cli_int(const struct cli_args *a, const char *name)
{
	const struct cli_flag_value *v = value_of(a, name);
	return v ? v->i : 0;
}

const struct strv *cli_list(const struct cli_args *a, const char *name)
{
	const struct cli_flag_value *v = value_of(a, name);
	return v ? &v->list : NULL;
}

int cli_list_order(const struct cli_args *a, const char *name, size_t i)
{
	const struct cli_flag_value *v = value_of(a, name);
	return v && i < v->list.n ? v->order[i] : -1;
}

bool cli_flag_set(const struct cli_args *a, const char *name)
{
	const struct cli_flag_value *v = value_of(a, name);
	return v && v->set;
}

bool cli_has_flag(const struct cli_args *a, const char *name)
{
	return value_of(a, name) != NULL;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *yes[] = {"1", "t", "T", "true", "TRUE", "True"};
	static const char *no[] = {"0", "f", "F", "false", "FALSE", "False"};
	for (size_t i = 0; i < 6; i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int usage_error(const struct cli_command *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "kiln %s: ", cmd->name);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	fprintf(stderr, "Usage: %s\nRun 'kiln help %s' for the list of options.\n", cmd->usage, cmd->name);
	return 1;
}

int cli_parse(const struct cli_command *cmd, int argc, char **argv, struct cli_args *out)
{
	size_t nflags = 0;
	while (cmd->flags && cmd->flags[nflags].name)
		nflags++;
	memset(out, 0, sizeof *out);
	out->cmd = cmd;
	out->values = xcalloc(nflags + 1, sizeof *out->values);
	for (size_t i = 0; i < nflags; i++) {
		const struct cli_flag *f = &cmd->flags[i];
		struct cli_flag_value *v = &out->values[i];
		if (f->def) {
			v->s = f->def;
			if (f->type == CLI_BOOL)
				parse_bool(f->def, &v->b);
			if (f->type == CLI_INT)
				v->i = strtoll(f->def, NULL, 10);
		}
	}
	int i = 0;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		const char *name = a + 1;
		if (*name == '-')
			name++;
		if (*name == '-' || *name == '=' || *name == '\0')
			return usage_error(cmd, "bad flag syntax: %s", a);
		const char *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		int fi = flag_index(cmd, name, nlen);
		if (fi < 0) {
			if ((nlen == 1 && name[0] == 'h') || (nlen == 4 && strncmp(name, "help", 4) == 0)) {
				cli_print_usage(cmd, stdout);
				return 2;
			}
			char *n = xstrndup(name, nlen);
			usage_error(cmd, "flag provided but not defined: -%s", n);
			free(n);
			return 1;
		}
		const struct cli_flag *f = &cmd->flags[fi];
		struct cli_flag_value *v = &out->values[fi];
		const char *val = eq ? eq + 1 : NULL;
		if (f->type == CLI_BOOL) {
			if (val && parse_bool(val, &v->b) < 0)
				return usage_error(cmd, "invalid boolean value \"%s\"", val);
			if (!val)
				v->b = true;
			v->set = true;
			continue;
		}
		if (!val) {
			if (i + 1 >= argc)
				return usage_error(cmd, "flag needs an argument: -%s", f->name);
			val = argv[++i];
		}
		v->set = true;
		switch (f->type) {
		case CLI_STRING:
			v->s = val;
			break;
		case CLI_LIST:
			v->order = xrealloc(v->order, (v->list.n + 1) * sizeof *v->order);
			v->order[v->list.n] = i;
			strv_push(&v->list, val);
			v->s = val;
			break;
		case CLI_INT: {
			char *end;
			errno = 0;
			long long n = strtoll(val, &end, 10);
			if (errno || *end || end == val)
				return usage_error(cmd, "invalid number \"%s\"", val);
			v->i = n;
			v->s = val;
			break;
		}
		case CLI_BOOL:
			break;
		}
	}
	out->argc = argc - i;
	out->argv = argv + i;
	if (out->argc < cmd->min_args)
		return usage_error(cmd, "%s", cmd->min_args == 1 ? "expected one argument" : "too few arguments");
	if (cmd->max_args >= 0 && out->argc > cmd->max_args)
		return usage_error(cmd, "unexpected argument \"%s\"", out->argv[cmd->max_args]);
	return 0;
}

void cli_args_free(struct cli_args *a)
{
	if (!a->values)
		return;
	for (size_t i = 0; a->cmd->flags && a->cmd->flags[i].name; i++) {
		strv_free(&a->values[i].list);
		free(a->values[i].order);
	}
	free(a->values);
	a->values = NULL;
}

void cli_print_usage(const struct cli_command *cmd, FILE *f)
{
	fprintf(f, "Usage: %s\n\n  %s\n", cmd->usage, cmd->synopsis);
	if (cmd->help && *cmd->help)
		fprintf(f, "\n%s", cmd->help);
	if (cmd->flags && cmd->flags[0].name) {
		fprintf(f, "\nOptions:\n\n");
		for (size_t i = 0; cmd->flags[i].name; i++) {
			const struct cli_flag *fl = &cmd->flags[i];
			char left[64];
			if (fl->arg)
				snprintf(left, sizeof left, "-%s=%s", fl->name, fl->arg);
			else
				snprintf(left, sizeof left, "-%s", fl->name);
			fprintf(f, "  %-28s %s", left, fl->help);
			if (fl->def && fl->type != CLI_BOOL)
				fprintf(f, " (default: %s)", fl->def);
			fputc('\n', f);
		}
	}
}

void cli_print_commands(FILE *f)
{
	fprintf(f, "Usage: kiln [--version] [--help] <command> [<args>]\n\n"
		   "kiln builds golden machine images from Packer-style HCL2 templates.\n\n"
		   "Available commands are:\n");
	for (size_t i = 0; cli_commands[i]; i++)
		fprintf(f, "    %-15s %s\n", cli_commands[i]->name, cli_commands[i]->synopsis);
	fprintf(f, "\nRun 'kiln help <command>' or 'kiln <command> -h' for a command's options.\n");
}

/* Parse argv for cmd and run it; -h/-help (usage printed) is success. For the top-level command,
 * say how the first Ctrl-C ends it. */
static int parse_and_run(const struct cli_command *cmd, int argc, char **argv, bool top_level)
{
	struct cli_args args;
	int rc = cli_parse(cmd, argc, argv, &args);
	if (rc == 0) {
		if (top_level)
			sig_exit_on_first(!cmd->winds_down);
		rc = cmd->run(&args);
	}
	else if (rc == 2)
		rc = 0;
	cli_args_free(&args);
	return rc;
}

int cli_run_subcommand(const struct cli_args *a, const struct cli_command *const *subs, const char *which)
{
	for (size_t i = 0; subs[i]; i++)
		if (strcmp(subs[i]->name, a->argv[0]) == 0)
			return parse_and_run(subs[i], a->argc - 1, a->argv + 1, false);
	fprintf(stderr, "kiln %s: unknown subcommand \"%s\"%s\n", a->cmd->name, a->argv[0], which);
	return 1;
}

int cli_main(int argc, char **argv)
{
	if (argc < 2) {
		cli_print_commands(stderr);
		return 1;
	}
	const char *name = argv[1];
	if (strcmp(name, "-v") == 0 || strcmp(name, "--version") == 0 || strcmp(name, "-version") == 0)
		name = "version";
	else if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-help") == 0)
		name = "help";
	const struct cli_command *cmd = cli_find_command(name);
	if (!cmd) {
		fprintf(stderr, "kiln: unknown command \"%s\"\n\n", name);
		cli_print_commands(stderr);
		return 1;
	}
	return parse_and_run(cmd, argc - 2, argv + 2, true);
}
