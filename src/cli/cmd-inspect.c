/* cmd-inspect.c — `kiln inspect`: what a template defines, in `packer inspect`'s layout. */
#include "cli/cli.h"
#include "cli/diagout.h"
#include "cli/tmplargs.h"

#include <stdio.h>
#include <stdlib.h>

#include "template/template.h"
#include "ui/ui.h"
#include "util/buf.h"

/* Drop the last newline: Packer's UI adds one to each of the three texts it says. */
static void say_text(struct buf *b)
{
	if (b->len && b->data[b->len - 1] == '\n')
		buf_truncate(b, b->len - 1);
	ui_say_plain(ui_global(), "%s", buf_cstr(b));
	buf_reset(b);
}

static int run_inspect(struct cli_args *a)
{
	ui_configure(&(struct ui_settings){.machine_readable = cli_bool(a, "machine-readable")});
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct tmpl *t = cli_load_template(a, a->argv[0], TMPL_FULL, true, &d);
	cli_print_diags(stderr, &d, tmpl_files(t));
	if (hcl_diags_has_errors(&d))
		return cli_template_done(t, &d, 1);
	struct tmpl_inspect in;
	tmpl_inspect(t, &in);
	/* three texts, as `packer inspect` says them (one ui,say line each with -machine-readable) */
	struct buf b = BUF_INIT;
	buf_puts(&b, "Packer Inspect: HCL2 mode\n\n");
	say_text(&b);
	buf_puts(&b, "> input-variables:\n\n");
	for (size_t i = 0; i < in.nvars; i++)
		buf_printf(&b, "var.%s: %s\n", in.vars[i].name, in.vars[i].value);
	buf_puts(&b, "\n> local-variables:\n\n");
	for (size_t i = 0; i < in.nlocals; i++)
		buf_printf(&b, "local.%s: %s\n", in.locals[i].name, in.locals[i].value);
	buf_putc(&b, '\n');
	say_text(&b);
	buf_puts(&b, "> builds:\n\n");
	for (size_t i = 0; i < in.nbuilds; i++) {
		const struct tmpl_inspect_build *ib = &in.builds[i];
		buf_printf(&b, "  > %s:\n\n", ib->name);
		if (ib->description && *ib->description)
			buf_printf(&b, "  > Description: %s\n\n", ib->description);
		buf_puts(&b, "    sources:\n\n");
		for (size_t j = 0; j < ib->sources.n; j++)
			buf_printf(&b, "      %s\n\n", ib->sources.v[j]);
		buf_puts(&b, "    provisioners:\n\n");
		if (ib->provisioners.n == 0)
			buf_puts(&b, "      <no provisioner>\n");
		for (size_t j = 0; j < ib->provisioners.n; j++)
			buf_printf(&b, "      %s\n", ib->provisioners.v[j]);
		buf_puts(&b, "\n    post-processors:\n\n");
		if (ib->nchains == 0)
			buf_puts(&b, "      <no post-processor>\n\n");
		for (size_t c = 0; c < ib->nchains; c++) {
			buf_printf(&b, "      %zu:\n", c);
			for (size_t j = 0; j < ib->chains[c].n; j++)
				buf_printf(&b, "        %s\n", ib->chains[c].v[j]);
			buf_putc(&b, '\n');
		}
	}
	say_text(&b);
	buf_free(&b);
	tmpl_inspect_free(&in);
	return cli_template_done(t, &d, 0);
}

const struct cli_command cmd_inspect = {
	.name = "inspect",
	.synopsis = "Shows the variables, locals and builds a template defines",
	.usage = "kiln inspect [options] PATH",
	.help = "  Lists the input variables with their values, the local values, and each build's sources,\n"
		"  provisioners and post-processor chains, in the layout of `packer inspect`. Sensitive values\n"
		"  show as <sensitive>; variables without a value as <unknown>. Variable values are taken as\n"
		"  for `kiln validate`: defaults, PKR_VAR_name, *.auto.pkrvars.hcl, then -var and -var-file in\n"
		"  command-line order.\n"
		"\n"
		"  Exit status: 0 on success, 1 when the template has errors.\n",
	.flags = (const struct cli_flag[]){
		{"machine-readable", CLI_BOOL, NULL, NULL, "Print Packer's machine-readable lines (ui,say) instead"},
		CLI_VAR_FLAGS,
		{NULL},
	},
	.min_args = 1,
	.max_args = 1,
	.run = run_inspect,
};
