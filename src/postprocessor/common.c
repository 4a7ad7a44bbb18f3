/* common.c — helpers shared by the post-processors (see common.h). */
#include "postprocessor/common.h"
#include "util/file.h"
#include "util/mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void pp_template_values(const struct kiln_ctx *ctx, struct strv *extra)
{
	const char *name = ctx && ctx->source_name ? ctx->source_name : "";
	strv_pushf(extra, "BuildName=%s", name);
	strv_pushf(extra, "BuilderType=%s", ctx && ctx->builder_type ? ctx->builder_type : "");
}

int pp_expand(const struct kiln_ctx *ctx, const char *text, struct strv *extra, char **out, struct kiln_error *err)
{
	return kiln_ctx_expand(ctx, text, extra->n ? extra->v : NULL, out, err);
}

void pp_copy_state(struct kiln_artifact *to, const struct kiln_artifact *from)
{
	for (size_t i = 0; from && i < from->nstate; i++)
		kiln_artifact_set(to, from->state[i].key, from->state[i].value);
}

static pthread_mutex_t claimed_lock = PTHREAD_MUTEX_INITIALIZER;
static struct strv claimed;

int pp_claim_output(const char *path, bool force, bool *append, struct kiln_error *err)
{
	char *abs = path_abs(path);
	int rc = 0;
	*append = false;
	pthread_mutex_lock(&claimed_lock);
	if (strv_contains(&claimed, abs)) {
		*append = file_exists(path);
	} else if (file_exists(path) && !force) {
		err_set_kind(err, ERR_INVALID, "%s already exists", path);
		err_hint(err, "remove it, choose another output, or build with -force to replace it");
		rc = -1;
	} else {
		strv_push(&claimed, abs);
	}
	pthread_mutex_unlock(&claimed_lock);
	free(abs);
	return rc;
}

int pp_make_parent(const char *path, struct kiln_error *err)
{
	char *dir = path_dirname(path);
	int rc = 0;
	if (strcmp(dir, ".") != 0 && strcmp(dir, "/") != 0)
		rc = mkdir_p(dir, 0755, err);
	free(dir);
	return rc;
}
