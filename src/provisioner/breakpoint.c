/* breakpoint.c — the "breakpoint" provisioner: stops the build until the user presses Enter, to look at
 * the machine in the middle of provisioning. With no terminal on stdin there is nobody to press Enter:
 * it says so and goes on. */
#include "component.h"
#include "ui/ui.h"
#include "util/mem.h"
#include "util/signals.h"

#include <stdlib.h>
#include <unistd.h>

static const struct kiln_attr breakpoint_attrs[] = {
	{.name = "note", .type = "string", .doc = "Shown when the build stops here."},
	{.name = "disable", .type = "bool", .def = "false", .doc = "Skip this breakpoint."},
	{.name = NULL},
};
static const struct kiln_schema breakpoint_schema = {breakpoint_attrs, NULL};

struct breakpoint {
	char *note;
	bool disable;
};

static void breakpoint_destroy(void *instance)
{
	struct breakpoint *p = instance;
	if (!p)
		return;
	free(p->note);
	free(p);
}

static int breakpoint_prepare(const struct kiln_config *cfg, void **instance, struct strv *warnings,
			      struct kiln_error *err)
{
	(void)warnings;
	(void)err;
	struct breakpoint *p = xcalloc(1, sizeof *p);
	const char *note = kiln_config_string(cfg, "note");
	p->note = note && *note ? xstrdup(note) : NULL;
	p->disable = kiln_config_bool(cfg, "disable");
	*instance = p;
	return 0;
}

static int breakpoint_provision(void *instance, struct kiln_ctx *ctx, struct kiln_comm *comm, struct kiln_error *err)
{
	(void)comm;
	struct breakpoint *p = instance;
	char *with_note = p->note ? xasprintf(" with note \"%s\"", p->note) : xstrdup("");
	int rc = 0;
	if (p->disable) {
		ui_say(ctx->ui, "Breakpoint provisioner%s disabled; continuing...", with_note);
	} else if (!isatty(STDIN_FILENO)) {
		ui_say(ctx->ui, "Breakpoint provisioner%s: stdin is not a terminal, so there is nobody to press Enter; "
				"continuing...", with_note);
	} else {
		ui_say(ctx->ui, "Pausing at breakpoint provisioner%s.", with_note);
		char *line = ui_ask(ctx->ui, "Press enter to continue.");
		if (!line && sig_cancelled())
			rc = err_set_kind(err, ERR_CANCELLED, "cancelled at the breakpoint");
		free(line);
	}
	free(with_note);
	return rc;
}

/* A pause changes nothing on the guest: its configuration is all there is to hash. */
static int breakpoint_checkpoint_inputs(void *instance, struct strv *inputs, const char **why_not)
{
	(void)instance;
	(void)inputs;
	(void)why_not;
	return 0;
}

const struct kiln_provisioner breakpoint_provisioner = {
	.type = "breakpoint",
	.doc = "Stops the build until Enter is pressed.",
	.schema = &breakpoint_schema,
	.prepare = breakpoint_prepare,
	.provision = breakpoint_provision,
	.destroy = breakpoint_destroy,
	.checkpoint_inputs = breakpoint_checkpoint_inputs,
};
