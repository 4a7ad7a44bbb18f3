/* cmd-console.c — `kiln console`: evaluate HCL expressions as `packer console` does. One expression
 * per line; each result printed the way Packer 1.6.6 prints it (strings raw, collections in its
 * indented layout, errors as HCL diagnostics on stdout). On a terminal: a prompt, line editing and
 * history (libedit, from kiln-components.so: only an interactive console loads it). Without a
 * template the scope holds `var`, `local` (empty), `path`, `packer`, and the unknown `build` and
 * `source`. */
#include "config.h"
#include "cli/cli.h"
#include "cli/diagout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hcl/eval.h"
#include "hcl/parser.h"
#include "plugin/catalog.h"
#include "registry.h"
#include "template/template.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"

static const char console_help[] =
	"Packer console HCL2 Mode.\n"
	"The Packer console allows you to experiment with Packer interpolations.\n"
	"You may access variables and functions in the Packer config you called the\n"
	"console with.\n"
	"\n"
	"Type in the interpolation to test and hit <enter> to see the result.\n"
	"\n"
	"\"upper(var.foo.id)\" would evaluate to the ID of \"foo\" and uppercase is, if it\n"
	"exists in your config file.\n"
	"\n"
	"\"variables\" will dump all available variables and their values.\n"
	"\n"
	"To exit the console, type \"exit\" and hit <enter>, or use Control-C.\n"
	"\n"
	"/!\\ It is not possible to use go templating interpolation like \"{{timestamp}}\"\n"
	"with in HCL2 mode.";

struct console {
	struct hcl_eval_ctx *ctx;   /* owned: a root context, or a child of the template's */
	struct tmpl *tmpl;
	int status;
};

/* `name.KEY: "VALUE"` for each attribute of the scope variable `name`, as `variables` lists them */
static void print_scope(struct console *c, const char *name, struct buf *out)
{
	struct hcl_value *scope = hcl_eval_ctx_get_var(c->ctx, name);
	for (size_t i = 0; scope && i < hcl_len(scope); i++) {
		struct buf v = BUF_INIT;
		hcl_value_format_repl(hcl_elem(scope, i), &v);
		buf_printf(out, "%s.%s: ", name, hcl_key(scope, i));
		hcl_go_quote(buf_cstr(&v), v.len, out);
		buf_putc(out, '\n');
		buf_free(&v);
	}
}

static void print_variables(struct console *c, struct buf *out)
{
	buf_puts(out, "> input-variables:\n\n");
	print_scope(c, "var", out);
	buf_puts(out, "\n> local-variables:\n\n");
	print_scope(c, "local", out);
}

/* Evaluate one line; returns false when the console should exit. */
static bool console_line(struct console *c, const char *raw, struct buf *out)
{
	/* strings.TrimSpace */
	while (*raw == ' ' || *raw == '\t' || *raw == '\r' || *raw == '\n' || *raw == '\v' || *raw == '\f')
		raw++;
	size_t len = strlen(raw);
	while (len && (raw[len - 1] == ' ' || raw[len - 1] == '\t' || raw[len - 1] == '\r' || raw[len - 1] == '\n' ||
		       raw[len - 1] == '\v' || raw[len - 1] == '\f'))
		len--;
	char *line = xstrndup(raw, len);
	bool go_on = true;
	struct buf result = BUF_INIT;
	struct hcl_diags diags = HCL_DIAGS_INIT;
	if (len == 0) {
		/* nothing */
	} else if (strcmp(line, "exit") == 0) {
		go_on = false;
	} else if (strcmp(line, "help") == 0) {
		buf_puts(&result, console_help);
	} else if (strcmp(line, "variables") == 0) {
		print_variables(c, &result);
	} else {
		struct hcl_expr *e = hcl_parse_expression(line, len, "<console-input>", (struct hcl_pos){1, 1, 0}, &diags);
		if (!hcl_diags_has_errors(&diags)) {
			struct hcl_value *v = hcl_eval(e, c->ctx, &diags);
			if (!hcl_diags_has_errors(&diags)) {
				if (!hcl_is_wholly_known(v))
					buf_puts(&result, "<unknown>");
				else
					hcl_value_format_repl(v, &result);
			}
			hcl_value_unref(v);
		}
		hcl_expr_free(e);
	}
	if (!go_on) {
		free(line);
		buf_free(&result);
		hcl_diags_free(&diags);
		return false;
	}
	if (diags.n) {
		struct buf d = BUF_INIT;
		/* HCL's diagnostic text writer with no source files, as `packer console` renders it */
		hcl_diags_render(&diags, NULL, &(struct hcl_render_opts){.width = 80}, &d);
		if (d.len) {
			buf_append(out, d.data, d.len);
			buf_putc(out, '\n');
		}
		buf_free(&d);
		if (hcl_diags_has_errors(&diags))
			c->status = 1;
	}
	buf_append(out, result.data, result.len);
	buf_putc(out, '\n');
	buf_free(&result);
	hcl_diags_free(&diags);
	free(line);
	return true;
}

static void setup_scope(struct console *c)
{
	c->ctx = hcl_eval_ctx_new();
	char *cwd = getcwd(NULL, 0);
	const char *names[] = {"cwd", "root"};
	struct hcl_value *vals[] = {hcl_string(cwd ? cwd : "."), hcl_string(".")};
	free(cwd);
	hcl_eval_ctx_set_var(c->ctx, "path", hcl_object(names, vals, 2));
	hcl_eval_ctx_set_var(c->ctx, "var", hcl_empty_object());
	hcl_eval_ctx_set_var(c->ctx, "local", hcl_empty_object());
	const char *pn[] = {"version"};
	struct hcl_value *pv[] = {hcl_string(kiln_version_string)};
	hcl_eval_ctx_set_var(c->ctx, "packer", hcl_object(pn, pv, 1));
	hcl_eval_ctx_set_var(c->ctx, "build", hcl_unknown(HCL_T_DYNAMIC));
	hcl_eval_ctx_set_var(c->ctx, "source", hcl_unknown(HCL_T_DYNAMIC));
}

/* With a template: var, local, data, path and packer come from it (Packer's precedence of -var,
 * -var-file, *.auto.pkrvars.hcl and PKR_VAR_*); build and source stay unknown. */
static int load_template(struct console *c, struct cli_args *a)
{
	const struct strv *vars = cli_list(a, "var");
	const struct strv *varfiles = cli_list(a, "var-file");
	size_t n = (vars ? vars->n : 0) + (varfiles ? varfiles->n : 0);
	struct tmpl_var_arg *args = xcalloc(n ? n : 1, sizeof(*args));
	size_t k = 0;
	for (size_t i = 0; varfiles && i < varfiles->n; i++)
		args[k++] = (struct tmpl_var_arg){TMPL_ARG_VAR_FILE, varfiles->v[i]};
	for (size_t i = 0; vars && i < vars->n; i++)
		args[k++] = (struct tmpl_var_arg){TMPL_ARG_VAR, vars->v[i]};
	struct tmpl_options o = {.mode = TMPL_FULL, .var_args = args, .nvar_args = k, .allow_unset = true,
				 .plugins = &plugin_finder, .run_datasources = true};
	struct hcl_diags diags = HCL_DIAGS_INIT;
	c->tmpl = tmpl_load(a->argv[0], &o, &diags);
	free(args);
	int rc = 0;
	if (diags.n) {
		struct buf out = BUF_INIT;
		hcl_diags_render(&diags, tmpl_files(c->tmpl), NULL, &out);
		fwrite(out.data ? out.data : "", 1, out.len, stderr);
		buf_free(&out);
	}
	if (hcl_diags_has_errors(&diags) || !tmpl_eval_ctx(c->tmpl))
		rc = -1;
	hcl_diags_free(&diags);
	if (rc < 0)
		return -1;
	c->ctx = hcl_eval_ctx_child(tmpl_eval_ctx(c->tmpl));
	if (!hcl_eval_ctx_get_var(c->ctx, "build"))
		hcl_eval_ctx_set_var(c->ctx, "build", hcl_unknown(HCL_T_DYNAMIC));
	if (!hcl_eval_ctx_get_var(c->ctx, "source"))
		hcl_eval_ctx_set_var(c->ctx, "source", hcl_unknown(HCL_T_DYNAMIC));
	return 0;
}

/* One line of standard input (without a terminal's line editor) into *line, at most
 * HCL_MAX_SOURCE_SIZE bytes: false at the end of the input, or after saying that the line is longer
 * (an endless input such as /dev/zero must not grow without bound). */
static bool read_plain_line(struct buf *line, struct console *c)
{
	buf_reset(line);
	int ch;
	while ((ch = getc_unlocked(stdin)) != EOF) {
		if (line->len >= HCL_MAX_SOURCE_SIZE) {
			fprintf(stderr, "Error: Input line too long\n\nA line of input is longer than %zu MiB; kiln "
				"console reads one expression per line.\n", HCL_MAX_SOURCE_SIZE >> 20);
			c->status = 1;
			return false;
		}
		buf_putc(line, (char)ch);
		if (ch == '\n')
			return true;
	}
	return line->len > 0;
}

static int run_console(struct cli_args *a)
{
	struct console c = {NULL, NULL, 0};
	if (a->argc > 0) {
		if (load_template(&c, a) < 0) {
			hcl_eval_ctx_free(c.ctx);
			tmpl_free(c.tmpl);
			return 1;
		}
	} else {
		const struct strv *vars = cli_list(a, "var");
		const struct strv *varfiles = cli_list(a, "var-file");
		if ((vars && vars->n) || (varfiles && varfiles->n)) {
			fprintf(stderr, "Error: Undefined -var variable\n\nA \"var\" flag was used without a template: no variable is declared. Run kiln console with the template that declares it.\n");
			return 1;
		}
		setup_scope(&c);
	}
	/* On a terminal, lines come from the module's line editor; without it (or when the module cannot
	 * be loaded, which is said once) from plain reads, as for a pipe. */
	const struct kiln_module *m = NULL;
	bool tty = isatty(STDIN_FILENO);
	if (tty) {
		struct kiln_error e = ERR_INIT;
		if (!(m = kiln_module_get(&e))) {
			cli_print_error_line("kiln: no line editing", &e);
		}
	}
	char *line = NULL;
	struct buf plain = BUF_INIT;
	for (;;) {
		if (m) {
			free(line);
			if (!(line = m->read_line("> ")))
				break;
		} else {
			if (tty)
				fputs("> ", stdout), fflush(stdout);
			if (!read_plain_line(&plain, &c))
				break;
		}
		struct buf out = BUF_INIT;
		bool go_on = console_line(&c, m ? line : buf_cstr(&plain), &out);
		fwrite(out.data ? out.data : "", 1, out.len, stdout);
		fflush(stdout);
		buf_free(&out);
		if (!go_on)
			break;
	}
	free(line);
	buf_free(&plain);
	if (m)
		m->end_lines();
	hcl_eval_ctx_free(c.ctx);
	tmpl_free(c.tmpl);
	return c.status;
}

const struct cli_command cmd_console = {
	.name = "console",
	.synopsis = "Creates a console for testing variable interpolation",
	.usage = "kiln console [options] [TEMPLATE]",
	.help = "  Starts an interactive console for experimenting with HCL expressions and functions.\n"
		"  With standard input not a terminal, reads one expression per line and prints each result\n"
		"  as `packer console` does; the exit status is 1 when any expression failed.\n",
	.flags = (const struct cli_flag[]){
		{"var", CLI_LIST, "NAME=VALUE", NULL, "Variable for the template (repeatable)."},
		{"var-file", CLI_LIST, "FILE", NULL, "HCL file with variables (*.pkrvars.hcl; repeatable)."},
		{NULL, 0, NULL, NULL, NULL},
	},
	.min_args = 0,
	.max_args = 1,
	.run = run_console,
};
