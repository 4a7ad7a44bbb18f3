/* arena.h — bump allocation for syntax trees. A parse allocates every node, array and string of its
 * tree from one arena, and freeing the tree frees the arena's few chunks at once: no per-node malloc
 * and free, and the tree sits in contiguous memory. */
#ifndef KILN_HCL_ARENA_H
#define KILN_HCL_ARENA_H

#include <stddef.h>

struct hcl_arena;

/* size_hint: the bytes the first chunk holds (later chunks grow from it). */
struct hcl_arena *hcl_arena_new(size_t size_hint);
void hcl_arena_free(struct hcl_arena *a);

/* n zeroed bytes, aligned for pointers and size_t (what tree nodes hold; not for long double). */
void *hcl_arena_alloc(struct hcl_arena *a, size_t n);
/* xgrow() for an array living in the arena: grows in place when it is the latest allocation, else
 * moves it (its old space stays allocated until the arena is freed). */
void *hcl_arena_grow(struct hcl_arena *a, void *p, size_t *cap, size_t need, size_t elem);
/* A NUL-terminated copy of s[0..n). */
char *hcl_arena_strndup(struct hcl_arena *a, const char *s, size_t n);

/* A point to return to: hcl_arena_release hands back everything allocated after hcl_arena_mark, to
 * be allocated again. */
struct hcl_arena_mark {
	void *chunk;
	size_t used;
};
struct hcl_arena_mark hcl_arena_mark(const struct hcl_arena *a);
void hcl_arena_release(struct hcl_arena *a, struct hcl_arena_mark m);

/* For the parser (implemented in ast.c): */
#include "hcl/ast.h"
/* The bytes an expression node of this kind needs: the union member of its kind, not the whole
 * struct hcl_expr (the function-call member makes that 200 bytes; most nodes need half). A node is
 * allocated with this size and never changes to a kind needing more. */
size_t hcl_expr_node_size(enum hcl_expr_kind kind);
/* Hand out root (copied into the arena, just after a header naming the arena) as the root of a lone
 * expression tree, which hcl_expr_free frees with its arena. */
struct hcl_expr *hcl_expr_tree(struct hcl_arena *a, const struct hcl_expr *root);

#endif
