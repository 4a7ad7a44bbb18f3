/* artifice.c — the `artifice` post-processor: replaces the artifact's files with the ones listed
 * (typically something a provisioner downloaded from the guest), so later post-processors work on
 * them. Every listed file must exist. */
#include "component.h"
#include "postprocessor/common.h"
#include "ui/ui.h"
#include "util/file.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

struct artifice_pp {
	struct strv files;
};

static const struct kiln_attr artifice_attrs[] = {
	{"files", "list(string)", KILN_ATTR_REQUIRED, NULL, "the files that make up the new artifact", NULL},
	{NULL, NULL, 0, NULL, NULL, NULL},
};
static const struct kiln_schema artifice_schema = {artifice_attrs, NULL};

static int artifice_prepare(const struct kiln_config *cfg, void **instance, struct strv *warnings,
			    struct kiln_error *err)
{
	(void)warnings;
	struct artifice_pp *p = xcalloc(1, sizeof *p);
	kiln_config_list_strv(cfg, "files", &p->files);
	if (p->files.n == 0 && kiln_config_is_known(cfg, "files")) {
		kiln_config_error(cfg, "files", err, "No files specified in artifice configuration");
		strv_free(&p->files);
		free(p);
		return -1;
	}
	*instance = p;
	return 0;
}

static int artifice_run(void *instance, struct kiln_ctx *ctx, struct kiln_artifact *in, struct kiln_artifact **out,
			bool *keep_input, struct kiln_error *err)
{
	struct artifice_pp *p = instance;
	for (size_t i = 0; i < p->files.n; i++) {
		if (!file_exists(p->files.v[i])) {
			err_set_kind(err, ERR_NOT_FOUND, "artifice: %s does not exist", p->files.v[i]);
			err_hint(err, "list files that exist once the build has run (a file provisioner with "
				      "direction = \"download\" can fetch them from the guest)");
			return -1;
		}
	}
	if (in->files.n) {
		char *old = strv_join(&in->files, ", ");
		ui_say(ctx->ui, "Discarding files from artifact: %s", old);
		free(old);
	}
	struct kiln_artifact *a = kiln_artifact_new("packer.post-processor.artifice", "", NULL);
	for (size_t i = 0; i < p->files.n; i++)
		kiln_artifact_add_file(a, p->files.v[i]);
	char *files = strv_join(&p->files, ", ");
	ui_say(ctx->ui, "Using these artifact files: %s", files);
	free(a->description);
	a->description = xasprintf("Created artifact from files: %s", files);
	free(files);
	pp_copy_state(a, in);
	*out = a;
	/* Packer keeps the discarded artifact unless keep_input_artifact = false. */
	*keep_input = true;
	return 0;
}

static void artifice_destroy(void *instance)
{
	struct artifice_pp *p = instance;
	if (!p)
		return;
	strv_free(&p->files);
	free(p);
}

const struct kiln_postprocessor artifice_postprocessor = {
	.abi = KILN_COMPONENT_ABI,
	.type = "artifice",
	.doc = "Replaces the artifact's files with the listed ones",
	.schema = &artifice_schema,
	.prepare = artifice_prepare,
	.run = artifice_run,
	.destroy = artifice_destroy,
};
