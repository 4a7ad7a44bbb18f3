/* archive.h — writing tar, zip and compressed streams with libarchive, for the OVA, the Vagrant box
 * and the compress post-processor. Callers write to a temporary name (img_tmp_reserve) and rename it
 * into place once complete, so a failure never leaves a half archive under the final name. */
#ifndef KILN_IMAGE_ARCHIVE_H
#define KILN_IMAGE_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"

struct ui;
struct ui_progress;

enum img_archive_container {
	IMG_ARCHIVE_TAR = 0,   /* POSIX ustar, pax headers only where ustar cannot say it (big files) */
	IMG_ARCHIVE_ZIP,
	IMG_ARCHIVE_RAW,       /* a single file, only compressed (file.gz, file.xz, ...) */
};

enum img_archive_filter {
	IMG_FILTER_NONE = 0,
	IMG_FILTER_GZIP,
	IMG_FILTER_XZ,
	IMG_FILTER_ZSTD,
	IMG_FILTER_BZIP2,
	IMG_FILTER_LZ4,
};

struct img_archive_opts {
	enum img_archive_container container;
	enum img_archive_filter filter;
	int level;        /* compression level; 0: the codec's default */
	int threads;      /* xz and zstd compress on this many threads; 0: one per CPU */
};

/* From a file name: ".tar" ".tar.gz"/".tgz" ".tar.xz" ".tar.zst" ".tar.bz2" ".tar.lz4" ".zip", and the
 * single-file ".gz" ".xz" ".zst" ".bz2" ".lz4". Unknown extensions are ERR_INVALID listing the known. */
int img_archive_opts_from_name(const char *path, struct img_archive_opts *out, struct kiln_error *err);
const char *img_archive_filter_name(enum img_archive_filter f);   /* "gzip", "xz", ... "none" */

struct img_archive;

int img_archive_open(const char *path, const struct img_archive_opts *opts, struct img_archive **out,
		     struct kiln_error *err);
/* Add a regular file under `name`; progress (may be NULL) advances by its bytes from *done. */
int img_archive_add_file(struct img_archive *a, const char *src, const char *name, struct ui_progress *p,
			 uint64_t *done, struct kiln_error *err);
int img_archive_add_data(struct img_archive *a, const char *name, const void *data, size_t len,
			 struct kiln_error *err);
/* An entry written in pieces: begin with its size, write exactly that many bytes, end. With
 * IMG_ARCHIVE_RAW the bytes are the whole (compressed) stream: callers that write a container
 * libarchive does not (the gce export's GNU sparse tar) produce its bytes themselves. */
int img_archive_entry_begin(struct img_archive *a, const char *name, uint64_t size, struct kiln_error *err);
int img_archive_entry_write(struct img_archive *a, const void *data, size_t len, struct kiln_error *err);
int img_archive_entry_end(struct img_archive *a, struct kiln_error *err);
/* Finish and fsync. Frees *a and sets it to NULL whatever happens; on failure the file is removed. */
int img_archive_close(struct img_archive **a, struct kiln_error *err);
/* Give up: close and remove the file. NULL is fine. */
void img_archive_abort(struct img_archive *a);

/* A small member given by its text. */
struct img_archive_text {
	const char *name;
	const char *text;
};
/* A whole archive at `path` in one call: the n texts first, then the file `src` as `name` (size bytes)
 * under a progress line `label` (no progress without ui). Nothing is left at `path` on failure. */
int img_archive_pack(const char *path, const struct img_archive_opts *opts, const struct img_archive_text *texts,
		     size_t n, const char *src, const char *name, uint64_t size, struct ui *ui, const char *label,
		     struct kiln_error *err);

/* A fresh temporary name beside `final`: "<dir>/.<base>.kiln-tmp-XXXXXX" (the file is created empty,
 * so the name is ours). Caller frees; NULL with err set when the directory is not writable. */
char *img_tmp_reserve(const char *final, struct kiln_error *err);
/* fsync the file, rename it over `final` and fsync the directory: on disk, name and all. */
int img_tmp_commit(const char *tmp, const char *final, struct kiln_error *err);

/* gzip of data appended to out (no name, no timestamp); -1 with *why (malloc'ed) set. */
int img_gzip(const void *data, size_t len, struct buf *out, char **why);

#endif
