/* volcache.h — base images and ISOs kept on remote hypervisor hosts as content-addressed storage
 * volumes, so that each is uploaded to a host once and reused by every later build there.
 *
 * Everything kiln needs to know is in the volume names of the host's storage pool, so one listing
 * tells it all and any number of kiln processes (on any number of machines) can share a host:
 *
 *   kiln-sha256-<hex>                      the image, named by the SHA-256 of its content
 *   kiln-sha256-<hex>.lock                 being uploaded (created exclusively: the upload lock)
 *   kiln-sha256-<hex>.lock_<pid>_<host>    ... by that kiln process on that machine
 *   kiln-sha256-<hex>.used-<epoch>         complete; last used then (the least recently used go first)
 *
 * A volume is used only once it is complete (a .used- marker and no lock), never half-written; builds
 * of one process that need the same image wait for one upload, and other processes wait on the lock
 * (an upload whose owner on this machine is gone, or that has not grown for two minutes, is removed
 * and done again). Before an upload, the least recently used images that no build uses (no volume of
 * the pool has them as backing file) are deleted until the new one fits the host's cache_size. */
#ifndef KILN_QEMU_VOLCACHE_H
#define KILN_QEMU_VOLCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/error.h"
#include "util/strv.h"

struct qemu_virt;
struct ui;

struct qemu_volcache_req {
	struct qemu_virt *virt;
	const char *pool;
	const char *local_path;       /* the image on this machine */
	const char *sha256;           /* the hex SHA-256 of its content */
	const char *format;           /* "qcow2", "raw" (ISOs) */
	uint64_t capacity;            /* the volume's capacity (the image's virtual size) */
	uint64_t limit;               /* cache_size of the host; 0: no limit */
	const char *where;            /* the host as messages name it */
	struct ui *ui;
};

/* Make sure the host has the image as a complete volume; *name gets its name (caller frees) and
 * *uploaded whether this call had to send it. The image is held (this process does not evict it)
 * until qemu_volcache_release. */
int qemu_volcache_get(const struct qemu_volcache_req *req, char **name, bool *uploaded, struct kiln_error *err);
void qemu_volcache_release(struct qemu_virt *v, const char *pool, const char *sha256);

/* --- names --- */
enum qemu_volcache_kind { QEMU_VC_NONE = 0, QEMU_VC_DATA, QEMU_VC_LOCK, QEMU_VC_OWNER, QEMU_VC_USED };
struct qemu_volcache_name {
	enum qemu_volcache_kind kind;
	char sha256[65];
	long pid;                     /* QEMU_VC_OWNER */
	char host[64];                /* QEMU_VC_OWNER */
	int64_t used;                 /* QEMU_VC_USED: seconds since the epoch */
};
/* Parse a volume name; kind QEMU_VC_NONE when it is not one of the cache's. */
void qemu_volcache_parse(const char *vol, struct qemu_volcache_name *out);

/* --- eviction (the decision alone) --- */
struct qemu_volcache_entry {
	uint64_t bytes;
	int64_t last_used;
	bool in_use;
};
/* Which entries to delete, least recently used first, skipping those in use, so that what stays plus
 * `incoming` fits `limit`. Their indexes go to victims (room for n); returns how many. *fits tells
 * whether that was enough. */
size_t qemu_volcache_evictions(const struct qemu_volcache_entry *e, size_t n, uint64_t limit, uint64_t incoming,
			       size_t *victims, bool *fits);

/* --- for `kiln hosts` and cleaning --- */
int qemu_volcache_usage(struct qemu_virt *v, const char *pool, size_t *images, uint64_t *bytes,
			struct kiln_error *err);
/* Remove what `kiln hosts clean` removes: the unfinished uploads of kiln processes of this machine that
 * are gone and, with all, every complete image no volume uses. Appends "volume NAME" to removed. */
int qemu_volcache_clean(struct qemu_virt *v, const char *pool, bool all, struct strv *removed,
			struct kiln_error *err);

#endif
