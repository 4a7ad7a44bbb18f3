/* sanitize_internal.h — the operation table shared by sanitize.c (selection, running, report) and
 * sanitize_ops.c (what each operation does in the guest). */
#ifndef KILN_IMAGE_SANITIZE_INTERNAL_H
#define KILN_IMAGE_SANITIZE_INTERNAL_H

#include "image/guest.h"
#include "image/image.h"

struct img_op_ctx {
	struct img_guest *s;
	const struct img_sanitize_opts *opts;
	const struct img_sanitize_facts *facts;   /* never NULL */
	struct img_op_result *res;
};

typedef int (*img_op_fn)(struct img_op_ctx *c, struct kiln_error *err);

struct img_op {
	struct img_operation_info info;
	img_op_fn run;
};

/* The table, in the order operations run. */
extern const struct img_op img_ops[];
extern const size_t img_nops;

/* Remove one path (file, symlink or whole tree) and count it. */
int img_op_remove(struct img_op_ctx *c, const char *path, struct kiln_error *err);

/* sanitize_inspect.c: the OS inspection cache. fs: the disk's (device, type) pairs. Looks up the
 * entry for this disk (*entry: its path, always set; caller frees); when it still holds, mounts the
 * OS as inspection would, fills os (and, with packages, its dpkg package list) and returns 1; 0 when
 * it does not (nothing mounted then); -1 on error. */
int img_inspect_cache_lookup(struct img_guest *s, const char *dir, const struct strv *fs, bool packages,
			     struct img_os *os, char **entry, struct kiln_error *err);
/* After a full inspection with the OS mounted: write the entry (failures are only logged). */
void img_inspect_cache_store(struct img_guest *s, const char *entry, const struct img_os *os);

#endif
