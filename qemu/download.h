/* download.h — fetching the base image or ISO into kiln's content-addressed download cache.
 *
 * The cache lives in $KILN_CACHE_DIR (default $XDG_CACHE_HOME/kiln, else ~/.cache/kiln) and is keyed by
 * checksum, not URL: "<cache>/sha256/<hex>.<ext>". Downloads go through libcurl, are hashed while they
 * stream, resume from a ".part" file left by an interrupted run, and hold a lock so parallel builds
 * (in one kiln or several) share one download. URLs are tried in order (mirrors). A digest mismatch
 * discards the download and fails naming the expected and the actual digest. Local paths and file://
 * URLs are used in place, never copied; their verification is remembered (by device, inode, size and
 * mtime) so an unchanged file is not hashed again. With iso_checksum "none" the cache is keyed by the
 * URL instead. */
#ifndef KILN_QEMU_DOWNLOAD_H
#define KILN_QEMU_DOWNLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "qemu/checksum.h"
#include "util/error.h"

struct ui;

struct qemu_fetch_req {
	char *const *urls;            /* iso_urls (or just iso_url), tried in order */
	size_t nurls;
	const char *checksum;         /* the iso_checksum specification */
	const char *target_path;      /* iso_target_path: download here instead of the cache (may be NULL) */
	const char *extension;        /* iso_target_extension; NULL: "iso" */
	const char *cache_dir;        /* NULL: from the environment (qemu_cache_dir) */
	const char *base_dir;         /* relative local paths resolve against this (NULL: cwd) */
	struct ui *ui;                /* progress and messages; NULL: global */
};

struct qemu_fetch_result {
	char *path;                   /* absolute path of the verified file */
	char *url;                    /* the URL (or path) that provided it */
	bool in_place;                /* a local file used where it is */
	bool cached;                  /* found complete in the cache: nothing was downloaded */
	char *checksum;               /* "sha256:<hex>" or "none" */
};

int qemu_fetch(const struct qemu_fetch_req *req, struct qemu_fetch_result *res, struct kiln_error *err);
void qemu_fetch_result_free(struct qemu_fetch_result *res);

/* The SHA-256 of a local file's content (hex, caller frees), remembered by the file's identity (device,
 * inode, size, mtime) so an unchanged file is hashed once. */
int qemu_file_sha256(const char *path, struct ui *ui, char **hex, struct kiln_error *err);

/* The cache directory kiln uses (caller frees). */
char *qemu_cache_dir(void);

/* Is this a URL that needs downloading (http, https, ftp), rather than a local path or file://? */
bool qemu_url_is_remote(const char *url);
/* Local path of a path or file:// URL, made absolute against base_dir (caller frees); NULL for remote. */
char *qemu_url_local_path(const char *url, const char *base_dir);

/* Fetch a small text resource (a SUMS file): remote URL or local path. */
int qemu_fetch_text(const char *url, const char *base_dir, char **text, struct kiln_error *err);

#endif
