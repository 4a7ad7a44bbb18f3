/* strmap.c — open addressing with linear probing over a power-of-two table (see strmap.h). */
#include "util/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* FNV-1a */
static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t slot(const struct strmap *m, const char *key)
{
	size_t mask = m->cap - 1, i = hash(key) & mask;
	while (m->keys[i] && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & mask;
	return i;
}

static void grow(struct strmap *m)
{
	struct strmap bigger = {NULL, NULL, 0, m->cap ? 2 * m->cap : 16};
	bigger.keys = xcalloc(bigger.cap, sizeof *bigger.keys);
	bigger.vals = xcalloc(bigger.cap, sizeof *bigger.vals);
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = slot(&bigger, m->keys[i]);
		bigger.keys[j] = m->keys[i];
		bigger.vals[j] = m->vals[i];
		bigger.n++;
	}
	strmap_free(m);
	*m = bigger;
}

void strmap_put(struct strmap *m, const char *key, size_t val)
{
	if (2 * (m->n + 1) > m->cap)
		grow(m);
	size_t i = slot(m, key);
	if (!m->keys[i]) {
		m->keys[i] = key;
		m->n++;
	}
	m->vals[i] = val;
}

bool strmap_get(const struct strmap *m, const char *key, size_t *val)
{
	if (!m->cap)
		return false;
	size_t i = slot(m, key);
	if (!m->keys[i])
		return false;
	*val = m->vals[i];
	return true;
}

void strmap_free(struct strmap *m)
{
	free(m->keys);
	free(m->vals);
	*m = (struct strmap)STRMAP_INIT;
}
