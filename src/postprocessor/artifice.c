/* artifice.c — the `artifice` post-processor: replaces the artifact's files with the ones listed
 * (typically something a provisioner downloaded from the guest), so later post-processors work on
 * them. Every listed file must exist. */
#include "component.h"
#include "postprocessor/common.h"
#include "ui/ui.h"
#include "util/file.h"
#include "util/mem.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>

struct artifice_pp {
	struct strv files;
};

static const struct kiln_attr artifice_attrs[] = {
	{.name = "files", .type = "list(string)", .flags = KILN_ATTR_REQUIRED, .doc = "the files (or glob patterns) that make up the new artifact"},
	{.name = NULL},
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

/* Each entry is a file or a glob pattern (Packer's filepath.Glob); one that matches nothing is an
 * error here, where Packer silently drops it. */
static int expand(const struct artifice_pp *p, struct strv *files, struct kiln_error *err)
{
	for (size_t i = 0; i < p->files.n; i++) {
		const char *pat = p->files.v[i];
		glob_t g;
		int r = glob(pat, 0, NULL, &g);
		if (r == 0) {
			for (size_t k = 0; k < g.gl_pathc; k++)
				if (!strv_contains(files, g.gl_pathv[k]))
					strv_push(files, g.gl_pathv[k]);
			globfree(&g);
			continue;
		}
		if (r != GLOB_NOMATCH)
			globfree(&g);
		if (strpbrk(pat, "*?["))
			err_set_kind(err, ERR_NOT_FOUND, "artifice: %s matches no file", pat);
		else
			err_set_kind(err, ERR_NOT_FOUND, "artifice: %s does not exist", pat);
		err_hint(err, "list files that exist once the build has run (a file provisioner with "
			      "direction = \"download\" can fetch them from the guest)");
		return -1;
	}
	return 0;
}

static int artifice_run(void *instance, struct kiln_ctx *ctx, struct kiln_artifact *in, struct kiln_artifact **out,
			bool *keep_input, struct kiln_error *err)
{
	struct artifice_pp *p = instance;
	struct strv files = STRV_INIT;
	if (expand(p, &files, err) < 0) {
		strv_free(&files);
		return -1;
	}
	if (in->files.n) {
		char *old = strv_join(&in->files, ", ");
		ui_say(ctx->ui, "Discarding files from artifact: %s", old);
		free(old);
	}
	struct kiln_artifact *a = kiln_artifact_new("packer.post-processor.artifice", "", NULL);
	for (size_t i = 0; i < files.n; i++)
		kiln_artifact_add_file(a, files.v[i]);
	char *list = strv_join(&files, ", ");
	ui_say(ctx->ui, "Using these artifact files: %s", list);
	free(a->description);
	a->description = xasprintf("Created artifact from files: %s", list);
	free(list);
	strv_free(&files);
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
	.type = "artifice",
	.doc = "Replaces the artifact's files with the listed ones",
	.schema = &artifice_schema,
	.prepare = artifice_prepare,
	.run = artifice_run,
	.destroy = artifice_destroy,
};
