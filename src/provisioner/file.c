/* file.c — the "file" provisioner: copies files and directories to the machine (source, sources,
 * content) or from it (direction = "download"), with their modes. A trailing slash decides, as in
 * Packer (and rsync): "dir/" means the contents of dir, "dir" means dir itself; a destination ending in
 * "/" receives a file under its own name. */
#include "component.h"
#include "ui/ui.h"
#include "util/file.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

static const struct kiln_attr file_attrs[] = {
	{.name = "source", .type = "string", .doc = "A local file or directory to upload (or the remote one to download)."},
	{.name = "sources", .type = "list(string)", .doc = "Several sources, all into the destination directory."},
	{.name = "content", .type = "string", .doc = "Text to write to the destination instead of a source file."},
	{.name = "destination", .type = "string", .flags = KILN_ATTR_REQUIRED, .doc = "Where the files go (end a directory with /)."},
	{.name = "direction", .type = "string", .def = "\"upload\"", .allowed = KILN_VALUES("upload", "download"),
	 .doc = "Copy to the machine (upload) or from it (download)."},
	{.name = "generated", .type = "bool", .def = "false", .doc = "Check the sources exist only when uploading, not before."},
	{.name = NULL},
};
static const char *const one_source[] = {"source", "sources", "content", NULL};
static const char *const *const file_conflicts[] = {one_source, NULL};
static const struct kiln_schema file_schema = {file_attrs, file_conflicts};

struct file_prov {
	struct strv sources;
	char *content;           /* NULL: sources */
	bool has_content;
	char *destination;
	bool download;
	bool generated;
};

static void file_destroy(void *instance)
{
	struct file_prov *p = instance;
	if (!p)
		return;
	strv_free(&p->sources);
	free(p->content);
	free(p->destination);
	free(p);
}

static bool ends_with_slash(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && s[n - 1] == '/';
}

static int file_prepare(const struct kiln_config *cfg, void **instance, struct strv *warnings, struct kiln_error *err)
{
	(void)warnings;
	struct file_prov *p = xcalloc(1, sizeof *p);
	p->download = strcmp(kiln_config_string(cfg, "direction"), "download") == 0;
	p->generated = kiln_config_bool(cfg, "generated");
	const char *source = kiln_config_string(cfg, "source");
	if (source && *source)
		strv_push(&p->sources, source);
	kiln_config_list_strv(cfg, "sources", &p->sources);
	p->has_content = kiln_config_has(cfg, "content");
	if (p->has_content) {
		if (p->download) {
			kiln_config_error(cfg, "content", err, "content can only be uploaded (direction = \"upload\")");
			goto fail;
		}
		const char *content = kiln_config_string(cfg, "content");
		p->content = xstrdup(content ? content : "");
	}
	if (!p->has_content && !kiln_config_has(cfg, "source") && !kiln_config_has(cfg, "sources")) {
		kiln_config_error(cfg, "source", err, "source, sources or content must be specified");
		goto fail;
	}
	const char *destination = kiln_config_string(cfg, "destination");
	p->destination = xstrdup(destination ? destination : "");
	if (!*p->destination && kiln_config_is_known(cfg, "destination")) {
		kiln_config_error(cfg, "destination", err, "destination must be specified");
		goto fail;
	}
	if (p->sources.n > 1 && !ends_with_slash(p->destination)) {
		kiln_config_error(cfg, "destination", err,
				  "with several sources the destination must be a directory ending in \"/\"");
		goto fail;
	}
	for (size_t i = 0; !p->download && !p->generated && i < p->sources.n; i++) {
		if (!file_exists(p->sources.v[i])) {
			kiln_config_error(cfg, kiln_config_has(cfg, "source") ? "source" : "sources", err,
					  "bad source \"%s\": no such file or directory", p->sources.v[i]);
			err_hint(err, "relative paths are relative to the directory kiln runs in; set generated = true "
				      "for a file an earlier step creates");
			goto fail;
		}
	}
	*instance = p;
	return 0;
fail:
	file_destroy(p);
	return -1;
}

static int upload(struct file_prov *p, struct kiln_ctx *ctx, struct kiln_comm *comm, struct kiln_error *err)
{
	const char *dst = p->destination;
	if (p->has_content) {
		char *target = ends_with_slash(dst) ? xasprintf("%spkr-file-content", dst) : xstrdup(dst);
		ui_say(ctx->ui, "Uploading content => %s", target);
		int rc = comm->ops->upload_data(comm, p->content, strlen(p->content), target, 0644, err);
		free(target);
		return rc;
	}
	for (size_t i = 0; i < p->sources.n; i++) {
		const char *src = p->sources.v[i];
		ui_say(ctx->ui, "Uploading %s => %s", src, dst);
		if (!file_exists(src))
			return err_set_kind(err, ERR_NOT_FOUND, "bad source \"%s\": no such file or directory", src);
		int rc;
		if (file_is_dir(src)) {
			rc = comm->ops->upload_dir(comm, src, dst, err);
		} else {
			char *base = path_basename(src);
			char *target = ends_with_slash(dst) ? xasprintf("%s%s", dst, base) : xstrdup(dst);
			rc = comm->ops->upload_file(comm, src, target, err);
			free(target);
			free(base);
		}
		if (rc < 0) {
			if (!err_is(err, ERR_IO) && !err_is(err, ERR_CANCELLED))
				err_hint(err, "the destination's directory must exist and be writable by the SSH user; "
					      "a directory destination must end in \"/\"");
			return -1;
		}
	}
	return 0;
}

static int download(struct file_prov *p, struct kiln_ctx *ctx, struct kiln_comm *comm, struct kiln_error *err)
{
	const char *dst = p->destination;
	for (size_t i = 0; i < p->sources.n; i++) {
		const char *src = p->sources.v[i];
		ui_say(ctx->ui, "Downloading %s => %s", src, dst);
		if (strpbrk(src, "*?["))
			return err_set_kind(err, ERR_INVALID, "download source \"%s\": wildcards are not supported; "
							      "download the directory instead", src);
		bool is_dir = ends_with_slash(src);
		if (!is_dir && comm->ops->is_dir(comm, src, &is_dir, err) < 0)
			return -1;
		int rc;
		if (is_dir) {
			/* "dir/" fills the destination; "dir" lands in it as dir */
			rc = comm->ops->download_dir(comm, src, dst, err);
		} else {
			char *base = path_basename(src);
			char *target = ends_with_slash(dst) ? xasprintf("%s%s", dst, base) : xstrdup(dst);
			char *dir = ends_with_slash(dst) ? xstrdup(dst) : path_dirname(target);
			rc = mkdir_p(dir, 0755, err);
			if (rc == 0)
				rc = comm->ops->download_file(comm, src, target, err);
			free(dir);
			free(target);
			free(base);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int file_provision(void *instance, struct kiln_ctx *ctx, struct kiln_comm *comm, struct kiln_error *err)
{
	struct file_prov *p = instance;
	if (!comm)
		return err_set_kind(err, ERR_INVALID, "the file provisioner needs a communicator, and this build has "
						      "communicator = \"none\"");
	return p->download ? download(p, ctx, comm, err) : upload(p, ctx, comm, err);
}

/* Checkpoint keys: what an upload sends. A download changes this machine, not the guest, and a
 * generated source does not exist yet when the key is made: neither can be skipped on a restore. */
static int file_checkpoint_inputs(void *instance, struct strv *inputs, const char **why_not)
{
	struct file_prov *p = instance;
	if (p->download) {
		*why_not = "it downloads to this machine, which a checkpoint cannot replay";
		return 0;
	}
	if (p->generated) {
		*why_not = "its source is generated during the build (generated = true), so its content is not known beforehand";
		return 0;
	}
	for (size_t i = 0; !p->has_content && i < p->sources.n; i++)
		strv_push(inputs, p->sources.v[i]);
	return 0;
}

const struct kiln_provisioner file_provisioner = {
	.type = "file",
	.doc = "Uploads files and directories to the machine, or downloads them from it.",
	.schema = &file_schema,
	.prepare = file_prepare,
	.provision = file_provision,
	.destroy = file_destroy,
	.checkpoint_inputs = file_checkpoint_inputs,
};
