/* archive.c — libarchive writers for the OVA, the Vagrant box and the compress post-processor, and the
 * temporary-name-then-rename discipline every output of src/image follows (see archive.h). */
#include "image/archive.h"
#include "ui/ui.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct img_archive {
	struct archive *a;
	char *path;
	int fd;
};

static const struct {
	const char *suffix;
	enum img_archive_container container;
	enum img_archive_filter filter;
} name_table[] = {
	{".tar.gz", IMG_ARCHIVE_TAR, IMG_FILTER_GZIP},
	{".tgz", IMG_ARCHIVE_TAR, IMG_FILTER_GZIP},
	{".tar.xz", IMG_ARCHIVE_TAR, IMG_FILTER_XZ},
	{".txz", IMG_ARCHIVE_TAR, IMG_FILTER_XZ},
	{".tar.zst", IMG_ARCHIVE_TAR, IMG_FILTER_ZSTD},
	{".tar.zstd", IMG_ARCHIVE_TAR, IMG_FILTER_ZSTD},
	{".tar.bz2", IMG_ARCHIVE_TAR, IMG_FILTER_BZIP2},
	{".tbz2", IMG_ARCHIVE_TAR, IMG_FILTER_BZIP2},
	{".tar.lz4", IMG_ARCHIVE_TAR, IMG_FILTER_LZ4},
	{".tar", IMG_ARCHIVE_TAR, IMG_FILTER_NONE},
	{".zip", IMG_ARCHIVE_ZIP, IMG_FILTER_NONE},
	{".gz", IMG_ARCHIVE_RAW, IMG_FILTER_GZIP},
	{".xz", IMG_ARCHIVE_RAW, IMG_FILTER_XZ},
	{".zst", IMG_ARCHIVE_RAW, IMG_FILTER_ZSTD},
	{".zstd", IMG_ARCHIVE_RAW, IMG_FILTER_ZSTD},
	{".bz2", IMG_ARCHIVE_RAW, IMG_FILTER_BZIP2},
	{".lz4", IMG_ARCHIVE_RAW, IMG_FILTER_LZ4},
};

int img_archive_opts_from_name(const char *path, struct img_archive_opts *out, struct kiln_error *err)
{
	for (size_t i = 0; i < sizeof name_table / sizeof name_table[0]; i++) {
		if (path_has_suffix(path, name_table[i].suffix) && strlen(path) > strlen(name_table[i].suffix)) {
			*out = (struct img_archive_opts){.container = name_table[i].container,
							 .filter = name_table[i].filter};
			return 0;
		}
	}
	err_set_kind(err, ERR_INVALID, "cannot tell the archive format from the name \"%s\"", path);
	err_hint(err, "end the output name with .tar, .tar.gz, .tgz, .tar.xz, .tar.zst, .tar.bz2, .tar.lz4, "
		      ".zip, or .gz, .xz, .zst, .bz2, .lz4 for a single compressed file");
	return -1;
}

const char *img_archive_filter_name(enum img_archive_filter f)
{
	switch (f) {
	case IMG_FILTER_GZIP: return "gzip";
	case IMG_FILTER_XZ: return "xz";
	case IMG_FILTER_ZSTD: return "zstd";
	case IMG_FILTER_BZIP2: return "bzip2";
	case IMG_FILTER_LZ4: return "lz4";
	case IMG_FILTER_NONE: break;
	}
	return "none";
}

static int archive_fail(struct archive *a, struct kiln_error *err, const char *what, const char *path)
{
	const char *msg = a ? archive_error_string(a) : NULL;
	int e = a ? archive_errno(a) : 0;
	err_set(err, "%s %s: %s", what, path, msg ? msg : "libarchive error");
	if (e > 0)
		err->errnum = e;   /* libarchive's "Write error" is ENOSPC when the disk is full */
	return -1;
}

static int set_filter(struct img_archive *w, const struct img_archive_opts *o, struct kiln_error *err)
{
	struct archive *a = w->a;
	int r = ARCHIVE_OK;
	const char *name = NULL;
	switch (o->filter) {
	case IMG_FILTER_NONE: r = archive_write_add_filter_none(a); break;
	case IMG_FILTER_GZIP: r = archive_write_add_filter_gzip(a); name = "gzip"; break;
	case IMG_FILTER_XZ: r = archive_write_add_filter_xz(a); name = "xz"; break;
	case IMG_FILTER_ZSTD: r = archive_write_add_filter_zstd(a); name = "zstd"; break;
	case IMG_FILTER_BZIP2: r = archive_write_add_filter_bzip2(a); name = "bzip2"; break;
	case IMG_FILTER_LZ4: r = archive_write_add_filter_lz4(a); name = "lz4"; break;
	}
	if (r != ARCHIVE_OK)
		return archive_fail(a, err, "cannot set up compression for", w->path);
	if (name && o->level > 0) {
		char *lvl = xasprintf("%d", o->level);
		r = archive_write_set_filter_option(a, name, "compression-level", lvl);
		free(lvl);
		if (r != ARCHIVE_OK) {
			err_set_kind(err, ERR_INVALID, "compression level %d is not valid for %s: %s", o->level, name,
				     archive_error_string(a) ? archive_error_string(a) : "out of range");
			return -1;
		}
	}
	/* The codecs that compress in parallel: xz (liblzma's threaded encoder) and zstd. */
	if (o->filter == IMG_FILTER_XZ || o->filter == IMG_FILTER_ZSTD) {
		long n = o->threads > 0 ? o->threads : sysconf(_SC_NPROCESSORS_ONLN);
		if (n > 1) {
			char *t = xasprintf("%ld", n);
			/* Not fatal: a libarchive built without threaded codecs compresses on one thread. */
			(void)archive_write_set_filter_option(a, name, "threads", t);
			free(t);
		}
	}
	return 0;
}

int img_archive_open(const char *path, const struct img_archive_opts *opts, struct img_archive **out,
		     struct kiln_error *err)
{
	struct img_archive *w = xcalloc(1, sizeof *w);
	w->path = xstrdup(path);
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		err_set_errno(err, errno, "cannot create %s", path);
		free(w->path);
		free(w);
		return -1;
	}
	w->a = archive_write_new();
	int r;
	switch (opts->container) {
	case IMG_ARCHIVE_TAR: r = archive_write_set_format_pax_restricted(w->a); break;
	case IMG_ARCHIVE_ZIP: r = archive_write_set_format_zip(w->a); break;
	case IMG_ARCHIVE_RAW: default: r = archive_write_set_format_raw(w->a); break;
	}
	if (r != ARCHIVE_OK) {
		archive_fail(w->a, err, "cannot set up the archive", path);
		goto fail;
	}
	if (opts->container == IMG_ARCHIVE_ZIP && opts->level > 0) {
		char *lvl = xasprintf("%d", opts->level);
		r = archive_write_set_format_option(w->a, "zip", "compression-level", lvl);
		free(lvl);
		if (r != ARCHIVE_OK) {
			err_set_kind(err, ERR_INVALID, "compression level %d is not valid for zip", opts->level);
			goto fail;
		}
	}
	if (opts->container != IMG_ARCHIVE_ZIP && set_filter(w, opts, err) < 0)
		goto fail;
	/* Pad only to the 512-byte record: a tar's size is then exactly what OVF tools expect. */
	archive_write_set_bytes_in_last_block(w->a, 1);
	if (archive_write_open_fd(w->a, w->fd) != ARCHIVE_OK) {
		archive_fail(w->a, err, "cannot write", path);
		goto fail;
	}
	*out = w;
	return 0;
fail:
	img_archive_abort(w);
	return -1;
}

static struct archive_entry *new_entry(const char *name, int64_t size, mode_t mode, time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, mode & 07777);
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	return e;
}

int img_archive_add_file(struct img_archive *w, const char *src, const char *name, struct ui_progress *p,
			 uint64_t *done, struct kiln_error *err)
{
	int rc = -1;
	struct archive_entry *e = NULL;
	char *buf = NULL;
	int fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set_errno(err, errno, "cannot open %s", src);
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err_set_errno(err, errno, "cannot stat %s", src);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set_kind(err, ERR_INVALID, "%s is not a regular file", src);
		goto out;
	}
	e = new_entry(name, st.st_size, st.st_mode, st.st_mtime);
	if (archive_write_header(w->a, e) != ARCHIVE_OK) {
		archive_fail(w->a, err, "cannot add", src);
		goto out;
	}
	const size_t chunk = 1 << 20;
	buf = xmalloc(chunk);
	off_t left = st.st_size;
	while (left > 0) {
		if (sig_cancelled()) {
			err_set_kind(err, ERR_CANCELLED, "cancelled while writing %s", w->path);
			goto out;
		}
		ssize_t n = read(fd, buf, (size_t)left < chunk ? (size_t)left : chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set_errno(err, errno, "cannot read %s", src);
			goto out;
		}
		if (n == 0) {
			err_set(err, "%s shrank while it was being archived", src);
			goto out;
		}
		if (archive_write_data(w->a, buf, (size_t)n) != n) {
			archive_fail(w->a, err, "cannot write", w->path);
			goto out;
		}
		left -= n;
		if (done) {
			*done += (uint64_t)n;
			ui_progress_update(p, *done);
		}
	}
	if (archive_write_finish_entry(w->a) != ARCHIVE_OK) {
		archive_fail(w->a, err, "cannot write", w->path);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	archive_entry_free(e);
	close(fd);
	return rc;
}

int img_archive_add_data(struct img_archive *w, const char *name, const void *data, size_t len,
			 struct kiln_error *err)
{
	struct archive_entry *e = new_entry(name, (int64_t)len, 0644, time(NULL));
	int rc = 0;
	if (archive_write_header(w->a, e) != ARCHIVE_OK ||
	    (len && archive_write_data(w->a, data, len) != (la_ssize_t)len) ||
	    archive_write_finish_entry(w->a) != ARCHIVE_OK)
		rc = archive_fail(w->a, err, "cannot write", w->path);
	archive_entry_free(e);
	return rc;
}

int img_archive_entry_begin(struct img_archive *w, const char *name, uint64_t size, struct kiln_error *err)
{
	struct archive_entry *e = new_entry(name, (int64_t)size, 0644, time(NULL));
	int rc = 0;
	if (archive_write_header(w->a, e) != ARCHIVE_OK)
		rc = archive_fail(w->a, err, "cannot write", w->path);
	archive_entry_free(e);
	return rc;
}

int img_archive_entry_write(struct img_archive *w, const void *data, size_t len, struct kiln_error *err)
{
	if (len && archive_write_data(w->a, data, len) != (la_ssize_t)len)
		return archive_fail(w->a, err, "cannot write", w->path);
	return 0;
}

int img_archive_entry_end(struct img_archive *w, struct kiln_error *err)
{
	if (archive_write_finish_entry(w->a) != ARCHIVE_OK)
		return archive_fail(w->a, err, "cannot write", w->path);
	return 0;
}

int img_archive_close(struct img_archive **wp, struct kiln_error *err)
{
	struct img_archive *w = *wp;
	*wp = NULL;
	int rc = 0;
	if (archive_write_close(w->a) != ARCHIVE_OK)
		rc = archive_fail(w->a, err, "cannot finish", w->path);
	archive_write_free(w->a);
	w->a = NULL;
	if (rc == 0 && fsync(w->fd) < 0)
		rc = err_set_errno(err, errno, "cannot write %s", w->path);
	if (close(w->fd) < 0 && rc == 0)
		rc = err_set_errno(err, errno, "cannot write %s", w->path);
	w->fd = -1;
	if (rc < 0)
		unlink(w->path);
	free(w->path);
	free(w);
	return rc;
}

void img_archive_abort(struct img_archive *w)
{
	if (!w)
		return;
	if (w->a) {
		/* Do not let libarchive flush a half archive: free without close. */
		archive_write_fail(w->a);
		archive_write_free(w->a);
	}
	if (w->fd >= 0)
		close(w->fd);
	unlink(w->path);
	free(w->path);
	free(w);
}

int img_archive_pack(const char *path, const struct img_archive_opts *opts, const struct img_archive_text *texts,
		     size_t n, const char *src, const char *name, uint64_t size, struct ui *ui, const char *label,
		     struct kiln_error *err)
{
	struct img_archive *ar = NULL;
	if (img_archive_open(path, opts, &ar, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (img_archive_add_data(ar, texts[i].name, texts[i].text, strlen(texts[i].text), err) < 0)
			goto fail;
	uint64_t done = 0;
	struct ui_progress *p = ui ? ui_progress_start(ui, label, size) : NULL;
	int rc = img_archive_add_file(ar, src, name, p, &done, err);
	ui_progress_finish(p);
	if (rc == 0)
		return img_archive_close(&ar, err);
fail:
	img_archive_abort(ar);
	return -1;
}

char *img_tmp_reserve(const char *final, struct kiln_error *err)
{
	char *dir = path_dirname(final);
	char *base = path_basename(final);
	char *tmp = xasprintf("%s/.%s.kiln-tmp-XXXXXX", dir, base);
	free(dir);
	free(base);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		err_set_errno(err, errno, "cannot create a file beside %s", final);
		free(tmp);
		return NULL;
	}
	fchmod(fd, 0644);
	close(fd);
	return tmp;
}

int img_tmp_commit(const char *tmp, const char *final, struct kiln_error *err)
{
	int fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set_errno(err, errno, "cannot open %s", tmp);
	int rc = 0;
	if (fsync(fd) < 0)
		rc = err_set_errno(err, errno, "cannot write %s", tmp);
	close(fd);
	if (rc == 0 && rename(tmp, final) < 0)
		rc = err_set_errno(err, errno, "cannot rename %s to %s", tmp, final);
	/* the rename is durable too once the directory is */
	if (rc == 0)
		rc = file_sync_parent(final, err);
	return rc;
}

/* gzip of a buffer, as Go's compress/gzip writes it for base64gzip: no name, no timestamp. */
int img_gzip(const void *data, size_t len, struct buf *out, char **why)
{
	struct archive *ar = archive_write_new();
	size_t cap = len + len / 64 + 1024, used = 0;
	char *mem = xmalloc(cap);
	int rc = -1;
	archive_write_set_format_raw(ar);
	archive_write_add_filter_gzip(ar);
	archive_write_set_filter_option(ar, "gzip", "timestamp", NULL);
	archive_write_set_bytes_in_last_block(ar, 1);
	if (archive_write_open_memory(ar, mem, cap, &used) == ARCHIVE_OK) {
		struct archive_entry *ent = archive_entry_new2(ar);
		archive_entry_set_filetype(ent, AE_IFREG);
		archive_entry_set_size(ent, (la_int64_t)len);
		if (archive_write_header(ar, ent) == ARCHIVE_OK && archive_write_data(ar, data, len) >= 0 &&
		    archive_write_close(ar) == ARCHIVE_OK) {
			buf_append(out, mem, used);
			rc = 0;
		}
		archive_entry_free(ent);
	}
	if (rc < 0)
		*why = xstrdup(archive_error_string(ar) ? archive_error_string(ar) : "unknown error");
	archive_write_free(ar);
	free(mem);
	return rc;
}
