/* diagout.c — printing HCL diagnostics from commands (see diagout.h). */
#include "cli/diagout.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/ui.h"
#include "util/buf.h"

static int use_color(FILE *f)
{
	const struct ui_settings *s = ui_current_settings();
	if (s && s->color == UI_COLOR_NEVER)
		return 0;
	if (s && s->color == UI_COLOR_ALWAYS)
		return 1;
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		return 0;
	return isatty(fileno(f));
}

void cli_print_diags(FILE *f, const struct hcl_diags *d, const struct hcl_fileset *files)
{
	if (!d || d->n == 0)
		return;
	const struct ui_settings *s = ui_current_settings();
	struct hcl_render_opts o = {0};
	if (s && s->machine_readable) {
		/* as Packer: all of them in one ui,error line when there is an error, else one ui,say;
		 * not filtered for secrets, as below */
		struct buf b = BUF_INIT;
		hcl_diags_render(d, files, &o, &b);
		ui_diagnostics_plain(ui_global(), hcl_diags_has_errors(d), buf_cstr(&b));
		buf_free(&b);
		return;
	}
	o.color = use_color(f);
	const char *format = getenv("KILN_DIAG_FORMAT");
	bool short_form = format && strcmp(format, "short") == 0;
	/* one at a time: thousands of diagnostics never sit in memory as one text */
	for (size_t i = 0; i < d->n; i++) {
		struct hcl_diags one = {&d->v[i], 1, 1};
		struct buf b = BUF_INIT;
		if (short_form)
			hcl_diags_render_short(&one, &b);
		else
			hcl_diags_render(&one, files, &o, &b);
		/* not filtered for secrets: a diagnostic shows sensitive values as <sensitive> (marks) and
		 * never the source that holds one (hcl_fileset_hide), so file names, labels and words stay
		 * as they are */
		fputs(buf_cstr(&b), f);
		buf_free(&b);
	}
	fflush(f);
}

int cli_print_error(struct kiln_error *e)
{
	char *t = err_text(e);
	fprintf(stderr, "Error: %s\n", t);
	if (e->hint)
		fprintf(stderr, "%s\n", e->hint);
	free(t);
	err_clear(e);
	return 1;
}

void cli_print_error_line(const char *prefix, struct kiln_error *e)
{
	char *t = err_text(e);
	fprintf(stderr, "%s: %s\n", prefix, t);
	free(t);
	err_clear(e);
}
