/* artifact.c — artifacts: what a builder or post-processor produced (see component.h). */
#include "component.h"
#include "util/file.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

struct kiln_artifact *kiln_artifact_new(const char *builder_id, const char *id, const char *description)
{
	struct kiln_artifact *a = xcalloc(1, sizeof *a);
	a->builder_id = xstrdup(builder_id ? builder_id : "");
	a->id = xstrdup(id ? id : "");
	a->description = xstrdup(description ? description : "");
	return a;
}

void kiln_artifact_add_file(struct kiln_artifact *a, const char *path)
{
	strv_push(&a->files, path);
}

void kiln_artifact_set(struct kiln_artifact *a, const char *key, const char *value)
{
	for (size_t i = 0; i < a->nstate; i++) {
		if (strcmp(a->state[i].key, key) == 0) {
			free(a->state[i].value);
			a->state[i].value = xstrdup(value ? value : "");
			return;
		}
	}
	a->state = xgrow(a->state, &a->capstate, a->nstate + 1, sizeof *a->state);
	a->state[a->nstate].key = xstrdup(key);
	a->state[a->nstate].value = xstrdup(value ? value : "");
	a->nstate++;
}

const char *kiln_artifact_get(const struct kiln_artifact *a, const char *key)
{
	for (size_t i = 0; a && i < a->nstate; i++)
		if (strcmp(a->state[i].key, key) == 0)
			return a->state[i].value;
	return NULL;
}

void kiln_artifact_rebase(struct kiln_artifact *a, const char *from, const char *to)
{
	for (size_t i = 0; i < a->files.n; i++) {
		char *moved = path_rebase(a->files.v[i], from, to);
		if (moved) {
			free(a->files.v[i]);
			a->files.v[i] = moved;
		}
	}
	for (size_t i = 0; i < a->nstate; i++) {
		char *moved = path_rebase(a->state[i].value, from, to);
		if (moved) {
			free(a->state[i].value);
			a->state[i].value = moved;
		}
	}
}

int kiln_artifact_destroy_files(struct kiln_artifact *a, struct kiln_error *err)
{
	int rc = 0;
	for (size_t i = 0; i < a->files.n; i++)
		if (rm_rf(a->files.v[i], err) < 0)
			rc = -1;
	return rc;
}

void kiln_artifact_free(struct kiln_artifact *a)
{
	if (!a)
		return;
	free(a->builder_id);
	free(a->id);
	free(a->description);
	strv_free(&a->files);
	for (size_t i = 0; i < a->nstate; i++) {
		free(a->state[i].key);
		free(a->state[i].value);
	}
	free(a->state);
	free(a);
}
