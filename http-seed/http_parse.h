/* http_parse.h — the seed server's pure HTTP helpers (no sockets, no files), unit-tested on their
 * own: request target → safe relative path, Range header, Content-Type. Internal to http-seed/. */
#ifndef KILN_HTTP_SEED_HTTP_PARSE_H
#define KILN_HTTP_SEED_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Turn a raw request target ("/a/%2e%2e/b?x=1", or absolute-form "http://h/a") into a cleaned path
 * "/a/b": query and fragment dropped, percent-decoded exactly once, empty and "." segments removed.
 * Returns 0 and a malloc'd path, or the HTTP status to answer: 400 (not origin/absolute form, bad
 * or NUL escape) or 403 (a ".." segment, before or after decoding). */
int seed_target_to_path(const char *target, char **path);

/* The segment cleaning of seed_target_to_path() without decoding (for http_content keys):
 * 0 and a malloc'd "/a/b", or 403 for a ".." segment. */
int seed_clean_path(const char *p, char **path);

enum seed_range {
	SEED_RANGE_NONE,            /* no usable Range header: send the whole representation (200) */
	SEED_RANGE_PARTIAL,         /* send [*offset, *offset + *length) with 206 */
	SEED_RANGE_UNSATISFIABLE,   /* 416 with "Content-Range: bytes * / size" */
};

/* Parse a Range header value against a representation of `size` bytes. Only one "bytes=" range is
 * honoured ("a-b", "a-", "-n"); several ranges, other units or bad syntax fall back to NONE, which
 * RFC 9110 allows. */
enum seed_range seed_parse_range(const char *value, uint64_t size, uint64_t *offset, uint64_t *length);

/* Content-Type for a path's extension ("ks.cfg", "a.ISO"), or NULL when the extension is unknown. */
const char *seed_type_by_extension(const char *path);

/* Content-Type for a path by extension; for unknown extensions, "text/plain; charset=utf-8" when
 * `head` (the first bytes, up to 512) looks like text, else "application/octet-stream". */
const char *seed_content_type(const char *path, const void *head, size_t n);

#endif
