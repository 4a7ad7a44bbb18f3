/* file.c — the "file" builder (Packer's builder id "packer.file"): builds no machine, it makes an
 * artifact of one file, written from `content` or copied from `source`, so post-processors can be tried
 * without waiting for a VM. Provisioners run with no communicator (shell-local, breakpoint), as in
 * Packer. Unlike Packer it does not overwrite an existing target without -force, and it removes the
 * target again when the build fails. */
#include "component.h"
#include "ui/ui.h"
#include "util/file.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

static const struct kiln_attr file_attrs[] = {
	{.name = "content", .type = "string", .doc = "text written to target (mode 0600)"},
	{.name = "source", .type = "string", .doc = "a file copied to target (mode 0644)"},
	{.name = "target", .type = "string", .flags = KILN_ATTR_REQUIRED,
	 .doc = "the artifact's file; its directory is created, an existing file is replaced only with -force"},
	{.name = NULL},
};
static const char *const one_source[] = {"content", "source", NULL};
static const char *const *const file_conflicts[] = {one_source, NULL};
static const struct kiln_schema file_schema = {file_attrs, file_conflicts};

struct file_build {
	char *content;   /* NULL: copy source (or, with neither, an empty file) */
	char *source;
	char *target;
};

static void file_destroy(void *instance)
{
	struct file_build *f = instance;
	if (!f)
		return;
	free(f->content);
	free(f->source);
	free(f->target);
	free(f);
}

static char *set_or_null(const struct kiln_config *cfg, const char *key)
{
	const char *s = kiln_config_string(cfg, key);
	return s && *s ? xstrdup(s) : NULL;
}

static int file_prepare(const struct kiln_config *cfg, void **instance, struct strv *warnings, struct kiln_error *err)
{
	struct file_build *f = xcalloc(1, sizeof *f);
	f->content = set_or_null(cfg, "content");
	f->source = set_or_null(cfg, "source");
	f->target = set_or_null(cfg, "target");
	if (!f->target && kiln_config_is_known(cfg, "target")) {
		file_destroy(f);
		return kiln_config_error(cfg, "target", err, "target required");
	}
	if (!f->content && !f->source && kiln_config_is_known(cfg, "content") && kiln_config_is_known(cfg, "source"))
		strv_push(warnings, "Both source file and contents are blank; target will have no content");
	*instance = f;
	return 0;
}

static int write_target(const struct file_build *f, struct kiln_ctx *ctx, struct kiln_error *err)
{
	if (file_exists(f->target) && !ctx->force) {
		err_set_kind(err, ERR_INVALID, "target %s already exists", f->target);
		err_hint(err, "remove it, choose another target, or run with -force to replace it");
		return -1;
	}
	char *dir = path_dirname(f->target);
	int rc = mkdir_p(dir, 0755, err);
	free(dir);
	if (rc < 0)
		return err_wrap(err, "creating the directory of %s", f->target);
	if (f->source)
		return file_copy(f->source, f->target, 0644, err);
	const char *text = f->content ? f->content : "";
	return file_write(f->target, text, strlen(text), 0600, err);
}

extern const struct kiln_builder file_builder;   /* below: its builder_id names the artifact */

static int file_run(void *instance, struct kiln_ctx *ctx, struct kiln_artifact **artifact, struct kiln_error *err)
{
	struct file_build *f = instance;
	if (write_target(f, ctx, err) < 0)
		return -1;
	if (ctx->ops->provision(ctx, NULL, err) < 0) {
		struct kiln_error e = ERR_INIT;
		if (rm_rf(f->target, &e) < 0)
			ui_error(ctx->ui, "could not remove %s: %s", f->target, err_cause(&e));
		err_clear(&e);
		return -1;
	}
	char *description = xasprintf("Stored file: %s", f->target);
	*artifact = kiln_artifact_new(file_builder.builder_id, "File", description);
	free(description);
	kiln_artifact_add_file(*artifact, f->target);
	return 0;
}

const struct kiln_builder file_builder = {
	.type = "file",
	.builder_id = "packer.file",
	.doc = "Builds no machine: makes an artifact of one file, to try post-processors quickly.",
	.schema = &file_schema,
	.prepare = file_prepare,
	.run = file_run,
	.destroy = file_destroy,
};
