/* checksum.h — Packer's `iso_checksum` forms: "none", a bare hex digest (algorithm inferred from its
 * length), "md5:", "sha1:", "sha224:", "sha256:", "sha384:", "sha512:" prefixes, and "file:<url or path>" (optionally
 * "sha256:file:...") naming a SUMS file in GNU ("<hex>  name", "<hex> *name") or BSD
 * ("SHA256 (name) = <hex>") style, in which the entry for the downloaded file's name is looked up. */
#ifndef KILN_QEMU_CHECKSUM_H
#define KILN_QEMU_CHECKSUM_H

#include <stdbool.h>

#include "util/error.h"

struct qemu_checksum {
	char *algo;       /* "sha256"; NULL for "none" or while a file: form is unresolved */
	char *hex;        /* lowercase digest, NULL when algo is NULL */
	char *sums_ref;   /* file: form: the SUMS file's URL or path (to be fetched and resolved) */
	char *sums_algo;  /* file: form: an explicit algorithm before "file:", or NULL (inferred) */
};

/* Parse a checksum specification. */
int qemu_checksum_parse(const char *spec, struct qemu_checksum *out, struct kiln_error *err);
bool qemu_checksum_is_none(const struct qemu_checksum *c);
/* The algorithm whose hex digest has this many characters (32 md5, 40 sha1, 56 sha224, 64 sha256,
 * 96 sha384, 128 sha512), or NULL. */
const char *qemu_checksum_algo_for_len(size_t hexlen);
/* Resolve a file: form from the SUMS file's text: the entry for `filename` (matched on the whole
 * name, or on its last path component). A file with a single bare digest applies to any name. */
int qemu_checksum_resolve_sums(struct qemu_checksum *c, const char *sums_text, const char *filename,
			       struct kiln_error *err);
/* "sha256:<hex>" (caller frees), "none" for none. */
char *qemu_checksum_format(const struct qemu_checksum *c);
void qemu_checksum_free(struct qemu_checksum *c);

#endif
