/* strmap.h — an index from names to numbers (positions in the caller's array): constant-time lookups
 * where a template's many variables, locals or attributes would otherwise be searched one by one. */
#ifndef KILN_UTIL_STRMAP_H
#define KILN_UTIL_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap {
	const char **keys;  /* borrowed: each key must outlive the map */
	size_t *vals;
	size_t n, cap;      /* cap: 0 or a power of two, at least twice n */
};

#define STRMAP_INIT {NULL, NULL, 0, 0}

/* Map key (borrowed) to val, replacing what it mapped to. */
void strmap_put(struct strmap *m, const char *key, size_t val);
/* What key maps to, in *val; false when it maps to nothing. */
bool strmap_get(const struct strmap *m, const char *key, size_t *val);
void strmap_free(struct strmap *m);

#endif
