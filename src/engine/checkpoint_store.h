/* checkpoint_store.h — the checkpoint store (docs/checkpoints.md): one directory per checkpoint under
 * $XDG_CACHE_HOME/kiln/checkpoints, written in a private directory and renamed into place when
 * complete, its files' SHA-256 sums in entry.json, least-recently-used eviction under a size limit, and
 * locks so that parallel builds (in this process or others) share it safely:
 *
 *   store.lock           flock: exclusive while entries are added, removed or their metadata rewritten
 *   salt                 random key for the HMAC of sensitive values in checkpoint keys (0600)
 *   bases/sha256-<hex>   symlink to the base image a chain starts from (refreshed by every build)
 *   entries/<key>-<rnd>/ one checkpoint: entry.json, lock (shared while a build uses the entry) and the
 *                        builder's files; "layer*" files are backing files later checkpoints build on
 *   tmp/<id>/            being written (its lock held by the writer); gone, or renamed into entries/
 *   work/<id>/           a running build's working disks (its lock held by the build)
 *
 * The store knows nothing of what a builder keeps in an entry: it hashes, locks, lists and deletes. */
#ifndef KILN_ENGINE_CHECKPOINT_STORE_H
#define KILN_ENGINE_CHECKPOINT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/strv.h"

#define CKSTORE_DEFAULT_MAX_BYTES (20ull << 30)

struct ckstore;

struct ckstore_file {
	char *name;
	uint64_t size;
	char *sha256;
};

struct ckstore_entry {
	char *id;                /* directory name: "<key>-<random>" */
	char *key;               /* the hash-chain key (hex) */
	char *parent;            /* id of the checkpoint this one builds on, or NULL */
	char *dir;               /* absolute path */
	char *build;             /* "qemu.tiny" */
	char *step;              /* "provisioner \"shell\" at tiny.pkr.hcl:12", or "boot" */
	size_t after;            /* provisioners it covers (0: after boot) */
	size_t steps;            /* provisioners of the build that made it */
	bool memory;             /* the machine's memory is in it */
	char *keep;              /* "resume" (left to resume a failed build) or "cache" */
	int64_t created;         /* Unix time */
	int64_t last_used;
	int64_t cost_ms;         /* what reaching this state costs from scratch (boot + provisioners) */
	uint64_t bytes;          /* disk space used by its files */
	struct ckstore_file *files;
	size_t nfiles;
	int lock_fd;             /* >= 0 while this handle holds the entry's shared lock */
};

/* $XDG_CACHE_HOME/kiln/checkpoints, else ~/.cache/kiln/checkpoints. Caller frees. */
char *ckstore_default_root(void);
/* The size limit: KILN_CACHE_MAX_SIZE (size_parse: "20G", "500M", bytes) or the default. -1 on a bad value. */
int ckstore_max_bytes_from_env(uint64_t *out, struct kiln_error *err);

/* Open (creating it) the store at root; removes what dead writers left in tmp/ and work/. */
int ckstore_open(const char *root, struct ckstore **out, struct kiln_error *err);
void ckstore_close(struct ckstore *s);
const char *ckstore_root(const struct ckstore *s);
const char *ckstore_salt(const struct ckstore *s);

/* Every entry whose entry.json reads back (sorted oldest use first); the unreadable ones' ids go to
 * broken (may be NULL). */
int ckstore_list(struct ckstore *s, struct ckstore_entry **out, size_t *n, struct strv *broken, struct kiln_error *err);
void ckstore_entries_free(struct ckstore_entry *e, size_t n);
void ckstore_entry_free(struct ckstore_entry *e);
void ckstore_entry_copy(struct ckstore_entry *dst, const struct ckstore_entry *src);

/* A checkpoint and the ones it builds on, newest first, each holding its shared lock. */
struct ckstore_chain {
	struct ckstore_entry *v;
	size_t n;
};
void ckstore_chain_release(struct ckstore_chain *c);

/* The newest usable entry with this key: its chain complete, every file present with its checksum
 * (the entry's own files, and the "layer*" files of the ones it builds on). Corrupt or incomplete
 * candidates are skipped with a line in warnings (and removed when nobody uses them). *found false
 * when there is none. Marks the chain used (LRU). */
int ckstore_find(struct ckstore *s, const char *key, struct ckstore_chain *out, bool *found, struct strv *warnings,
		 struct kiln_error *err);

/* Writing one: a private directory to fill, then commit (hashes the files, writes entry.json, renames
 * it into entries/ and keeps its shared lock in *committed) or abort. */
struct ckstore_pending {
	char *id;
	char *dir;               /* tmp/<id>: fill this */
	char *final_dir;         /* entries/<id>: where it will be */
	int lock_fd;
};
int ckstore_begin(struct ckstore *s, const char *key, struct ckstore_pending *p, struct kiln_error *err);
int ckstore_commit(struct ckstore *s, struct ckstore_pending *p, const struct ckstore_entry *meta,
		   struct ckstore_entry *committed, struct kiln_error *err);
void ckstore_abort(struct ckstore *s, struct ckstore_pending *p);

/* Rewrite what can change after a commit (keep, last_used) for an entry this handle knows. */
int ckstore_set_keep(struct ckstore *s, const char *id, const char *keep, struct kiln_error *err);

/* Remove an entry and every entry built on it, unless one of them is in use (then *busy, nothing
 * removed). *removed (may be NULL) counts what went; an entry already gone is not an error. */
int ckstore_remove(struct ckstore *s, const char *id, bool *busy, size_t *removed, struct kiln_error *err);
/* Remove least-recently-used entries (with what builds on them) until the store holds at most
 * max_bytes; entries in use stay. Reports what went in removed (ids; may be NULL). */
int ckstore_evict(struct ckstore *s, uint64_t max_bytes, struct strv *removed, struct kiln_error *err);
/* Total disk space of the entries. */
uint64_t ckstore_total_bytes(struct ckstore *s);

/* bases/sha256-<hex> -> base_path (refreshed atomically); *link is its path (caller frees). */
int ckstore_base_link(struct ckstore *s, const char *digest, const char *base_path, char **link,
		      struct kiln_error *err);
/* A locked work directory for one build (removed by ckstore_work_release, or by the next open after
 * a crash). */
int ckstore_work_dir(struct ckstore *s, char **dir, int *lock_fd, struct kiln_error *err);
void ckstore_work_release(const char *dir, int lock_fd);

#endif
