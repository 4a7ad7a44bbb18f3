/* checksum.c — the `checksum` post-processor: Packer's keys and file format ("<hex>\t<basename>" per
 * line, one output file per checksum type). Every file is read once, whatever the number of types. */
#include "component.h"
#include "image/image.h"
#include "postprocessor/common.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/signals.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct checksum_pp {
	struct strv types;
	char *output;
};

static const struct kiln_attr checksum_attrs[] = {
	{.name = "checksum_types", .type = "list(string)", .def = "[\"md5\"]",
	 .allowed = KILN_VALUES("md5", "sha1", "sha224", "sha256", "sha384", "sha512"), .doc = "checksums to compute"},
	{.name = "output", .type = "string", .flags = KILN_ATTR_TEMPLATE, .def = "\"packer_{{.BuildName}}_{{.BuilderType}}_{{.ChecksumType}}.checksum\"",
	 .doc = "where to write each type's checksums: {{.BuildName}}, {{.BuilderType}}, {{.ChecksumType}}"},
	{.name = NULL},
};
static const struct kiln_schema checksum_schema = {checksum_attrs, NULL};

static int checksum_prepare(const struct kiln_config *cfg, void **instance, struct strv *warnings,
			    struct kiln_error *err)
{
	(void)warnings;
	(void)err;
	struct checksum_pp *p = xcalloc(1, sizeof *p);
	kiln_config_list_strv(cfg, "checksum_types", &p->types);
	p->output = xstrdup(kiln_config_string(cfg, "output"));
	*instance = p;
	return 0;
}

/* Every type's digest of one file, in one pass. */
static int hash_file(const char *path, const struct strv *types, struct ui_progress *prog, uint64_t *done,
		     struct strv *hex, struct kiln_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set_errno(err, errno, "unable to open file %s", path);
	struct hasher **h = xcalloc(types->n, sizeof *h);
	for (size_t i = 0; i < types->n; i++)
		h[i] = hasher_new(types->v[i]);
	const size_t chunk = 1 << 20;
	char *buf = xmalloc(chunk);
	int rc = 0;
	for (;;) {
		if (sig_cancelled()) {
			rc = err_set_kind(err, ERR_CANCELLED, "cancelled");
			break;
		}
		ssize_t n = read(fd, buf, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set_errno(err, errno, "unable to read %s", path);
			break;
		}
		if (n == 0)
			break;
		for (size_t i = 0; i < types->n; i++)
			hasher_update(h[i], buf, (size_t)n);
		*done += (uint64_t)n;
		ui_progress_update(prog, *done);
	}
	for (size_t i = 0; i < types->n; i++) {
		if (rc == 0)
			strv_push_owned(hex, hasher_final_hex(h[i]));
		else
			hasher_free(h[i]);
	}
	free(h);
	free(buf);
	close(fd);
	return rc;
}

static int checksum_run(void *instance, struct kiln_ctx *ctx, struct kiln_artifact *in, struct kiln_artifact **out,
			bool *keep_input, struct kiln_error *err)
{
	struct checksum_pp *p = instance;
	struct kiln_artifact *a = kiln_artifact_new("packer.post-processor.checksum", "", NULL);
	struct strv *digests = xcalloc(in->files.n ? in->files.n : 1, sizeof *digests);
	struct strv outputs = STRV_INIT, extra = STRV_INIT;
	struct buf text = BUF_INIT;
	int rc = -1;
	for (size_t i = 0; i < in->files.n; i++)
		kiln_artifact_add_file(a, in->files.v[i]);

	uint64_t total = 0, done = 0;
	for (size_t i = 0; i < in->files.n; i++) {
		off_t sz = 0;
		if (file_size(in->files.v[i], &sz, NULL) == 0)
			total += (uint64_t)sz;
	}
	char *types = strv_join(&p->types, ", ");
	char *label = xasprintf("Computing %s", types);
	free(types);
	struct ui_progress *prog = ctx->ui && total ? ui_progress_start(ctx->ui, label, total) : NULL;
	free(label);
	for (size_t i = 0; i < in->files.n; i++)
		if (hash_file(in->files.v[i], &p->types, prog, &done, &digests[i], err) < 0)
			goto out;
	ui_progress_finish(prog);
	prog = NULL;

	for (size_t t = 0; t < p->types.n; t++) {
		char *path = NULL;
		strv_free(&extra);
		pp_template_values(ctx, &extra);
		strv_pushf(&extra, "ChecksumType=%s", p->types.v[t]);
		if (pp_expand(ctx, p->output, &extra, &path, err) < 0) {
			err_wrap(err, "Error interpolating the output path");
			goto out;
		}
		buf_reset(&text);
		for (size_t i = 0; i < in->files.n; i++) {
			char *base = path_basename(in->files.v[i]);
			buf_printf(&text, "%s\t%s\n", digests[i].v[t], base);
			free(base);
		}
		bool append = false;
		if (pp_claim_output(path, ctx->force, &append, err) < 0 || pp_make_parent(path, err) < 0) {
			free(path);
			goto out;
		}
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
		if (fd < 0) {
			err_set_errno(err, errno, "unable to create file %s", path);
			free(path);
			goto out;
		}
		ssize_t w = write(fd, text.data ? text.data : "", text.len);
		int saved = errno;
		if (close(fd) < 0 && w == (ssize_t)text.len) {
			w = -1;
			saved = errno;
		}
		if (w != (ssize_t)text.len) {
			err_set_errno(err, saved, "unable to write %s", path);
			img_err_nospace(err, path, "set output to a larger file system");
			free(path);
			goto out;
		}
		if (!strv_contains(&a->files, path))
			kiln_artifact_add_file(a, path);
		strv_push_owned(&outputs, path);
	}
	for (size_t i = 0; i < outputs.n; i++)
		ui_message(ctx->ui, "%s checksums: %s", p->types.v[i], outputs.v[i]);
	pp_copy_state(a, in);
	free(a->description);
	char *files = strv_join(&a->files, ", "); /* the input's files and the checksum files, as Packer */
	a->description = xasprintf("Created artifact from files: %s", files);
	free(files);
	*out = a;
	a = NULL;
	/* Packer keeps the artifact it checksums whatever keep_input_artifact says. */
	*keep_input = true;
	rc = 0;
out:
	ui_progress_finish(prog);
	for (size_t i = 0; i < in->files.n; i++)
		strv_free(&digests[i]);
	free(digests);
	strv_free(&outputs);
	strv_free(&extra);
	buf_free(&text);
	kiln_artifact_free(a);
	return rc;
}

static void checksum_destroy(void *instance)
{
	struct checksum_pp *p = instance;
	if (!p)
		return;
	strv_free(&p->types);
	free(p->output);
	free(p);
}

const struct kiln_postprocessor checksum_postprocessor = {
	.type = "checksum",
	.doc = "Writes checksum files of the artifact's files",
	.schema = &checksum_schema,
	.prepare = checksum_prepare,
	.run = checksum_run,
	.destroy = checksum_destroy,
};
