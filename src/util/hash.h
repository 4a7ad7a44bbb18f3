/* hash.h — message digests through OpenSSL (md5, sha1, sha224, sha256, sha384, sha512), streaming
 * or over a whole file, as lowercase hex. */
#ifndef KILN_UTIL_HASH_H
#define KILN_UTIL_HASH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct hasher;

size_t hash_hex_len(const char *algo);      /* 0 when unknown */
struct hasher *hasher_new(const char *algo); /* NULL when unknown */
void hasher_update(struct hasher *h, const void *data, size_t n);
char *hasher_final_hex(struct hasher *h);   /* frees h; caller frees the string */
void hasher_free(struct hasher *h);
char *hash_hex(const char *algo, const void *data, size_t n);
int hash_file_hex(const char *algo, const char *path, char **hex, struct kiln_error *err);
/* HMAC-SHA256 of data under key, as lowercase hex (caller frees). */
char *hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t n);
void hex_encode(const unsigned char *in, size_t n, char *out /* 2n+1 */);
/* The value of the hex digit c (0-9, a-f, A-F), or -1 when c is not one. */
int hex_digit(int c);
/* `bytes` random bytes (getrandom; at most 32) as lowercase hex, for unique names. Caller frees. */
char *hex_random(size_t bytes);

#endif
