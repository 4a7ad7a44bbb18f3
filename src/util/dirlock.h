/* dirlock.h — "kiln process P on host H is writing this directory": a lock file inside a directory a
 * build owns (its output directory). The owner holds an flock() on the file for as long as it lives, so
 * the lock of an owner that died (kill -9, a crash, a power cut) is free again at once, whatever became
 * of its pid; the file's text records who took it and when, for messages. A later build can so tell a
 * directory a dead kiln left half written (take it over) from one a live build is writing (refuse) and
 * from one kiln did not leave at all (the user's, or a finished output: only -force replaces it). */
#ifndef KILN_UTIL_DIRLOCK_H
#define KILN_UTIL_DIRLOCK_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

#define DIRLOCK_FILE ".kiln-lock"

struct dirlock;

struct dirlock_owner {
	long pid;
	char *host;        /* gethostname() of the owner */
	char *started;     /* RFC 3339 */
	char *what;        /* what the owner does there ("build qemu.tiny") */
};

enum dirlock_status {
	DIRLOCK_NONE,      /* no lock file: not a directory kiln is writing or left half written */
	DIRLOCK_HELD,      /* a live process holds it */
	DIRLOCK_STALE,     /* its owner on this host is gone: the caller now holds the lock */
	DIRLOCK_ELSEWHERE, /* taken on another host and not held as far as this host can tell (a file
			    * system without working flock across hosts): cannot be judged from here */
};

/* Create dir (its parent must exist; dir must not) with mode, and take its lock for what.
 * An existing dir fails with errno EEXIST (err->errnum), so two builds cannot both create it. */
int dirlock_create_dir(const char *dir, mode_t mode, const char *what, struct dirlock **out, struct kiln_error *err);
/* Examine dir's lock. With DIRLOCK_STALE, *taken (when taken is non-NULL) holds the lock for the caller,
 * who may then remove or reuse the directory; otherwise *taken is NULL. owner (may be NULL) gets what
 * the file says (free with dirlock_owner_free). */
int dirlock_probe(const char *dir, enum dirlock_status *status, struct dirlock_owner *owner, struct dirlock **taken,
		  struct kiln_error *err);
/* "kiln pid 1234 on host build1 (build qemu.tiny, since 2026-12-06T17:20:00Z)". Caller frees. */
char *dirlock_owner_describe(const struct dirlock_owner *o);
void dirlock_owner_free(struct dirlock_owner *o);
/* The directory was renamed: the lock follows it (the open file moved with it; only the path changes). */
void dirlock_moved(struct dirlock *l, const char *newdir);
/* Remove the lock file and unlock: the directory is no longer being written (a finished output, or one
 * left on purpose for inspection). NULL is a no-op. */
void dirlock_release(struct dirlock *l);
/* Unlock and forget without touching the file (the directory is about to be removed). NULL is a no-op. */
void dirlock_drop(struct dirlock *l);

#endif
