/* compress.c — the `compress` post-processor: the artifact's files into one archive (tar, zip) and/or a
 * compressed stream (gzip, xz, zstd, bzip2, lz4), written with libarchive. The format comes from the
 * output's extension as in Packer (".tar.gz", ".zip", ".xz" for a single file; an unknown or missing
 * extension means tar.gz); `format` appends an extension. xz and zstd compress on every core. */
#include "component.h"
#include "image/archive.h"
#include "image/image.h"
#include "postprocessor/common.h"
#include "ui/ui.h"
#include "util/file.h"
#include "util/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct compress_pp {
	char *output;
	char *format;
	int level;       /* 0: the codec's default */
	bool level_set;
};

static const struct kiln_attr compress_attrs[] = {
	{.name = "output", .type = "string", .flags = KILN_ATTR_TEMPLATE, .def = "\"packer_{{.BuildName}}_{{.BuilderType}}\"",
	 .doc = "the archive to write; its extension picks the format (.tar, .tar.gz, .tgz, .tar.xz, .tar.zst, .tar.bz2, "
		".tar.lz4, .zip, or .gz, .xz, .zst, .bz2, .lz4 for one file; none: tar.gz)"},
	{.name = "format", .type = "string", .doc = "an extension appended to output to pick the format (\"tar.gz\")"},
	{.name = "compression_level", .type = "number", .default_doc = "the codec's (gzip: 6)", .range = KILN_RANGE(-1, 19),
	 .doc = "compression level: gzip, bzip2, zip 1-9; xz 0-9; zstd 1-19; lz4 1-12; -1 or 0: the codec's default"},
	{.name = NULL},
};
static const struct kiln_schema compress_schema = {compress_attrs, NULL};

static void level_range(enum img_archive_container c, enum img_archive_filter f, int *lo, int *hi)
{
	*lo = 1;
	*hi = 9;
	if (c == IMG_ARCHIVE_ZIP)
		return;
	switch (f) {
	case IMG_FILTER_XZ: *lo = 0; break;
	case IMG_FILTER_ZSTD: *hi = 19; break;
	case IMG_FILTER_LZ4: *hi = 12; break;
	default: break;
	}
}

/* Packer's rule, with kiln's extensions: from the name, else tar.gz. */
static void detect(const char *name, struct img_archive_opts *o)
{
	struct kiln_error e = ERR_INIT;
	if (img_archive_opts_from_name(name, o, &e) < 0)
		*o = (struct img_archive_opts){.container = IMG_ARCHIVE_TAR, .filter = IMG_FILTER_GZIP};
	err_clear(&e);
}

static int compress_prepare(const struct kiln_config *cfg, void **instance, struct strv *warnings,
			    struct kiln_error *err)
{
	(void)warnings;
	struct compress_pp *p = xcalloc(1, sizeof *p);
	p->output = xstrdup(kiln_config_string(cfg, "output"));
	const char *f = kiln_config_string(cfg, "format");
	p->format = f && *f ? xstrdup(f) : NULL;
	p->level_set = kiln_config_has(cfg, "compression_level") && kiln_config_is_known(cfg, "compression_level");
	int64_t lvl = kiln_config_int(cfg, "compression_level");
	/* Packer: -1 and 0 mean the default. */
	if (lvl == -1 || lvl == 0)
		p->level_set = false;
	p->level = p->level_set ? (int)lvl : 0;
	if (p->level_set) {
		/* The name is a template, but its extension rarely is: check the level against the codec the
		 * literal text names. */
		char *name = p->format ? xasprintf("%s.%s", p->output, p->format) : xstrdup(p->output);
		struct img_archive_opts ao;
		detect(name, &ao);
		free(name);
		int lo, hi;
		level_range(ao.container, ao.filter, &lo, &hi);
		if (lvl < lo || lvl > hi) {
			kiln_config_error(cfg, "compression_level", err, "compression_level %lld is out of range for %s (%d to %d)",
					  (long long)lvl, ao.container == IMG_ARCHIVE_ZIP ? "zip" : img_archive_filter_name(ao.filter),
					  lo, hi);
			free(p->output);
			free(p->format);
			free(p);
			return -1;
		}
	}
	*instance = p;
	return 0;
}

static const char *describe(const struct img_archive_opts *o)
{
	if (o->container == IMG_ARCHIVE_ZIP)
		return "zip";
	if (o->container == IMG_ARCHIVE_TAR)
		return o->filter == IMG_FILTER_NONE ? "tar" : o->filter == IMG_FILTER_GZIP ? "tar+gzip"
		       : o->filter == IMG_FILTER_XZ ? "tar+xz" : o->filter == IMG_FILTER_ZSTD ? "tar+zstd"
		       : o->filter == IMG_FILTER_BZIP2 ? "tar+bzip2" : "tar+lz4";
	return img_archive_filter_name(o->filter);
}

static int compress_run(void *instance, struct kiln_ctx *ctx, struct kiln_artifact *in, struct kiln_artifact **out,
			bool *keep_input, struct kiln_error *err)
{
	struct compress_pp *p = instance;
	struct strv extra = STRV_INIT;
	char *target = NULL, *tmp = NULL, *expanded = NULL;
	struct img_archive *ar = NULL;
	struct ui_progress *prog = NULL;
	int rc = -1;
	pp_template_values(ctx, &extra);
	if (pp_expand(ctx, p->output, &extra, &expanded, err) < 0) {
		err_wrap(err, "Error interpolating output value");
		goto out;
	}
	target = p->format ? xasprintf("%s.%s", expanded, p->format) : xstrdup(expanded);
	struct img_archive_opts ao;
	detect(target, &ao);
	ao.level = p->level;
	if (ao.container == IMG_ARCHIVE_RAW && in->files.n != 1) {
		err_set_kind(err, ERR_INVALID, "Can only have 1 input file when not using tar/zip. Found %zu files",
			     in->files.n);
		err_hint(err, "name the output .tar.gz (or .zip) to archive several files");
		goto out;
	}
	bool append;
	if (pp_claim_output(target, ctx->force, &append, err) < 0 || pp_make_parent(target, err) < 0)
		goto out;
	if (!(tmp = img_tmp_reserve(target, err)) || img_archive_open(tmp, &ao, &ar, err) < 0)
		goto out;
	uint64_t total = 0, done = 0;
	for (size_t i = 0; i < in->files.n; i++) {
		off_t sz = 0;
		if (file_size(in->files.v[i], &sz, NULL) == 0)
			total += (uint64_t)sz;
	}
	char *label = xasprintf("Compressing %s (%s)", target, describe(&ao));
	prog = ctx->ui ? ui_progress_start(ctx->ui, label, total) : NULL;
	free(label);
	for (size_t i = 0; i < in->files.n; i++) {
		const char *f = in->files.v[i];
		/* tar holds base names (Packer); zip the paths as given, without a leading "/". */
		char *name = ao.container == IMG_ARCHIVE_ZIP ? xstrdup(f[0] == '/' ? f + 1 : f) : path_basename(f);
		int r = img_archive_add_file(ar, f, name, prog, &done, err);
		free(name);
		if (r < 0)
			goto out;
	}
	if (img_archive_close(&ar, err) < 0 || img_tmp_commit(tmp, target, err) < 0)
		goto out;
	ui_progress_finish(prog);
	prog = NULL;
	off_t size = 0;
	file_size(target, &size, NULL);
	char *h = ui_format_bytes((uint64_t)size);
	ui_message(ctx->ui, "Archive %s completed (%s)", target, h);
	free(h);
	struct kiln_artifact *a = kiln_artifact_new("packer.post-processor.compress", target, NULL);
	kiln_artifact_add_file(a, target);
	free(a->description);
	a->description = xasprintf("compressed artifacts in: %s", target);
	*out = a;
	*keep_input = false;
	rc = 0;
out:
	ui_progress_finish(prog);
	img_archive_abort(ar);
	if (tmp && rc < 0)
		unlink(tmp);
	if (rc < 0 && target)
		img_err_nospace(err, target, "set output to a larger file system");
	free(tmp);
	free(target);
	free(expanded);
	strv_free(&extra);
	return rc;
}

static void compress_destroy(void *instance)
{
	struct compress_pp *p = instance;
	if (!p)
		return;
	free(p->output);
	free(p->format);
	free(p);
}

const struct kiln_postprocessor compress_postprocessor = {
	.type = "compress",
	.doc = "Archives and compresses the artifact's files (tar, zip, gzip, xz, zstd, bzip2, lz4)",
	.schema = &compress_schema,
	.prepare = compress_prepare,
	.run = compress_run,
	.destroy = compress_destroy,
};
