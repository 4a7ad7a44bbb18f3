/* arena.c — the syntax tree's bump allocator: a list of chunks, each at least twice the size
 * of the one before, so a tree of any size needs only a handful of them. */
#include "hcl/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* The tree's structs hold pointers, size_t and int at most; keeping strings to this alignment too
 * wastes less than max_align_t would. */
#define ALIGN alignof(size_t)
#define MIN_CHUNK 1024

struct chunk {
	struct chunk *prev;
	size_t size;             /* usable bytes after the header */
	size_t mapped;           /* bytes mapped by xmap_zeroed (0: malloc'ed) */
	size_t used;             /* bytes handed out, once a newer chunk is current */
	alignas(size_t) unsigned char data[];
};

struct hcl_arena {
	struct chunk *cur;       /* NULL until the first allocation */
	size_t first_size;       /* the size hint, for the first chunk */
	size_t used;             /* bytes of cur->data handed out */
	void *last;              /* the latest allocation (grown in place by hcl_arena_grow) */
	size_t last_size;
};

/* A size that cannot be allocated: the same report as any failed allocation. */
static void __attribute__((noreturn)) too_large(void)
{
	xmalloc(SIZE_MAX);
	abort();
}

static size_t round_up(size_t n)
{
	if (n > SIZE_MAX / 2)
		too_large();
	return (n + ALIGN - 1) & ~(ALIGN - 1);
}

static void free_chunk(struct chunk *c)
{
	if (c->mapped)
		xunmap(c, c->mapped);
	else
		free(c);
}

/* malloc, not calloc: allocations are zeroed as they are handed out, so the pages of a chunk that
 * the tree never reaches are never touched (a page touched first costs a fault, ~12 us on the
 * bench host; the first chunk is sized for the largest tree a file of its size makes). A large
 * chunk is mapped in huge pages instead: one fault for up to 2 MiB of tree. */
static void add_chunk(struct hcl_arena *a, size_t need)
{
#ifdef __SANITIZE_ADDRESS__
	/* A chunk per allocation, of exactly its size, so that AddressSanitizer checks the bounds of
	 * every node (which are allocated smaller than their struct: see hcl_expr_node_size). */
	size_t size = need;
#else
	size_t size = a->cur ? a->cur->size * 2 : a->first_size;
	if (size < MIN_CHUNK)
		size = MIN_CHUNK;
	if (size > SIZE_MAX / 2)
		too_large();
	if (size < need)
		size = need;
#endif
	struct chunk *c;
	size_t mapped = 0;
#ifndef __SANITIZE_ADDRESS__
	if (size >= XMAP_WORTH) {
		mapped = sizeof *c + size;
		c = xmap_zeroed(&mapped);
		size = mapped - sizeof *c;
	} else
#endif
		c = xmalloc(sizeof *c + size);
	c->mapped = mapped;
	if (a->cur)
		a->cur->used = a->used;
	c->prev = a->cur;
	c->size = size;
	a->cur = c;
	a->used = 0;
}

struct hcl_arena *hcl_arena_new(size_t size_hint)
{
	struct hcl_arena *a = xcalloc(1, sizeof *a);
	a->first_size = round_up(size_hint);
	return a;
}

void hcl_arena_free(struct hcl_arena *a)
{
	if (!a)
		return;
	struct chunk *c = a->cur;
	while (c) {
		struct chunk *prev = c->prev;
		free_chunk(c);
		c = prev;
	}
	free(a);
}

void *hcl_arena_alloc(struct hcl_arena *a, size_t n)
{
	n = round_up(n ? n : 1);
	if (!a->cur || n > a->cur->size - a->used)
		add_chunk(a, n);
	void *p = a->cur->data + a->used;
	memset(p, 0, n);
	a->used += n;
	a->last = p;
	a->last_size = n;
	return p;
}

void *hcl_arena_grow(struct hcl_arena *a, void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t ncap = *cap ? *cap : 1;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			too_large();
		ncap *= 2;
	}
	if (elem && ncap > SIZE_MAX / 2 / elem)
		too_large();
	size_t old = *cap * elem, bytes = round_up(ncap * elem);
	if (p && p == a->last && bytes - a->last_size <= a->cur->size - a->used) {
		/* the latest allocation: extend it where it is */
		memset(a->cur->data + a->used, 0, bytes - a->last_size);
		a->used += bytes - a->last_size;
		a->last_size = bytes;
		*cap = ncap;
		return p;
	}
	void *np = hcl_arena_alloc(a, bytes);
	if (old)
		memcpy(np, p, old);
	*cap = ncap;
	return np;
}

struct hcl_arena_mark hcl_arena_mark(const struct hcl_arena *a)
{
	struct hcl_arena_mark m = {a->cur, a->used};
	return m;
}

void hcl_arena_release(struct hcl_arena *a, struct hcl_arena_mark m)
{
	while (a->cur != m.chunk) {
		struct chunk *c = a->cur;
		a->cur = c->prev;
		a->used = a->cur ? a->cur->used : 0;
		free_chunk(c);
	}
	a->used = m.used;
	a->last = NULL;
}

char *hcl_arena_strndup(struct hcl_arena *a, const char *s, size_t n)
{
	char *d = hcl_arena_alloc(a, n + 1);
	if (n)
		memcpy(d, s, n);
	return d; /* d[n] is zero already */
}
