/* uri.h — the URI rules of AWS Signature Version 4: percent-encoding of everything but the unreserved
 * characters (A-Z a-z 0-9 - _ . ~), path normalization (every service but S3), and the canonical form
 * of a query string (each name and value decoded and re-encoded, pairs sorted by name, then value). */
#ifndef KILN_CLOUD_AWS_URI_H
#define KILN_CLOUD_AWS_URI_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/strv.h"

/* Append s[0..len) percent-encoded ("%2F" upper-case hex); '/' is kept when keep_slash. */
void aws_uri_encode(struct buf *out, const char *s, size_t len, bool keep_slash);
/* Append s[0..len) with %XX escapes decoded (a malformed escape is kept as it is; '+' stays '+'). */
void aws_uri_decode(struct buf *out, const char *s, size_t len);
/* Remove "." and ".." segments and empty segments; a trailing '/' is kept. "" → "/". Caller frees. */
char *aws_path_normalize(const char *path);
/* The canonical query of `query` (as sent, without '?'; NULL or "" gives ""). Caller frees. */
char *aws_query_canonical(const char *query);

/* A query string built from name/value pairs, each encoded the AWS way, kept sorted, so that the
 * query as sent is already canonical. */
struct aws_query {
	struct strv pairs;  /* "name=value", encoded */
};
#define AWS_QUERY_INIT {STRV_INIT}
void aws_query_add(struct aws_query *q, const char *name, const char *value);
void aws_query_addf(struct aws_query *q, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "a=1&b=2" (sorted); caller frees. */
char *aws_query_string(struct aws_query *q);
void aws_query_free(struct aws_query *q);

#endif
