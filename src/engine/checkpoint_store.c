/* checkpoint_store.c — the checkpoint store on disk (see checkpoint_store.h and docs/checkpoints.md).
 *
 * Locking: the store lock (flock on store.lock) is held exclusively only for short metadata work —
 * renaming a finished entry into entries/, renaming entries away to delete them, rewriting an
 * entry.json — never while files are hashed or removed. An entry in use by a build carries a shared
 * flock on its own lock file; deleting takes that lock exclusively without waiting, so an entry in use
 * (or one a used entry builds on) is never removed. */
#include "engine/checkpoint_store.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/units.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/signals.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include "util/lazy_jansson.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ENTRY_VERSION 1
#define STALE_AFTER_S 60     /* a tmp/ or work/ directory this old and unlocked belongs to a dead writer */

/* The store's subdirectories (docs/checkpoints.md), made when it is opened. */
enum { SUB_ENTRIES, SUB_TMP, SUB_WORK, SUB_BASES, NSUB };
static const char *const sub_names[NSUB] = {"entries", "tmp", "work", "bases"};

struct ckstore {
	char *root;
	char *sub[NSUB];   /* root/entries, root/tmp, ... */
	int lock_fd;
	char *salt;
};

/* ------------------------------------------------------------------------------------------------
 * Small helpers */

char *ckstore_default_root(void)
{
	return xdg_cache_path("kiln/checkpoints");
}

int ckstore_max_bytes_from_env(uint64_t *out, struct kiln_error *err)
{
	const char *v = getenv("KILN_CACHE_MAX_SIZE");
	*out = CKSTORE_DEFAULT_MAX_BYTES;
	if (!v || !*v)
		return 0;
	if (size_parse(v, 'B', out, err) < 0)
		return err_wrap(err, "KILN_CACHE_MAX_SIZE");
	return 0;
}

static int lock_store(struct ckstore *s, int op)
{
	while (flock(s->lock_fd, op) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

static void unlock_store(struct ckstore *s)
{
	flock(s->lock_fd, LOCK_UN);
}

/* Open dir/lock (creating it) and flock it with op; -1 when that fails (busy with LOCK_NB). */
static int lock_dir(const char *dir, int op)
{
	char *p = path_join(dir, "lock");
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(p);
	if (fd < 0)
		return -1;
	while (flock(fd, op) < 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		return -1;
	}
	return fd;
}

/* Close a lock's file descriptor (releasing its flock), if there is one (-1: none). */
static void close_lock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* ------------------------------------------------------------------------------------------------
 * Opening */

static int read_or_make_salt(struct ckstore *s, struct kiln_error *err)
{
	char *path = path_join(s->root, "salt");
	struct buf b = BUF_INIT;
	int rc = -1;
	for (int tries = 0; tries < 3; tries++) {
		struct kiln_error e = ERR_INIT;
		if (file_read_all(path, &b, &e) == 0 && b.len >= 32) {
			while (b.len && isspace((unsigned char)b.data[b.len - 1]))
				buf_truncate(&b, b.len - 1);
			s->salt = buf_detach(&b);
			rc = 0;
			err_clear(&e);
			break;
		}
		err_clear(&e);
		buf_reset(&b);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			if (errno == EEXIST) {
				usleep(20000);   /* another kiln is writing it */
				continue;
			}
			rc = err_set_errno(err, errno, "creating %s", path);
			break;
		}
		char *hex = hex_random(32);
		ssize_t w = write(fd, hex, strlen(hex));
		close(fd);
		if (w != (ssize_t)strlen(hex)) {
			free(hex);
			unlink(path);
			rc = err_set(err, "writing %s", path);
			break;
		}
		s->salt = hex;
		rc = 0;
		break;
	}
	if (rc < 0 && !err_isset(err))
		err_set(err, "cannot read %s", path);
	buf_free(&b);
	free(path);
	return rc;
}

/* Remove what dead writers left in tmp/ or work/: directories old enough whose lock nobody holds. */
static void clean_stale(const char *parent)
{
	DIR *d = opendir(parent);
	if (!d)
		return;
	struct dirent *de;
	struct strv dead = STRV_INIT;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *dir = path_join(parent, de->d_name);
		struct stat st;
		if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && now_s() - (int64_t)st.st_mtime > STALE_AFTER_S) {
			int fd = lock_dir(dir, LOCK_EX | LOCK_NB);
			if (fd >= 0) {
				strv_push(&dead, dir);
				close(fd);
			}
		}
		free(dir);
	}
	closedir(d);
	for (size_t i = 0; i < dead.n; i++) {
		struct kiln_error e = ERR_INIT;
		rm_rf(dead.v[i], &e);
		err_clear(&e);
	}
	strv_free(&dead);
}

int ckstore_open(const char *root, struct ckstore **out, struct kiln_error *err)
{
	struct ckstore *s = xcalloc(1, sizeof *s);
	s->lock_fd = -1;
	s->root = path_abs(root);
	if (mkdir_p(s->root, 0700, err) < 0)
		goto fail;
	for (size_t i = 0; i < NSUB; i++) {
		s->sub[i] = path_join(s->root, sub_names[i]);
		if (mkdir_p(s->sub[i], 0700, err) < 0)
			goto fail;
	}
	char *lp = path_join(s->root, "store.lock");
	s->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		err_set_errno(err, errno, "opening %s", lp);
		free(lp);
		goto fail;
	}
	free(lp);
	if (read_or_make_salt(s, err) < 0)
		goto fail;
	clean_stale(s->sub[SUB_TMP]);
	clean_stale(s->sub[SUB_WORK]);
	*out = s;
	return 0;
fail:
	err_wrap(err, "opening the checkpoint store %s", s->root);
	ckstore_close(s);
	return -1;
}

void ckstore_close(struct ckstore *s)
{
	if (!s)
		return;
	close_lock(s->lock_fd);
	free(s->root);
	for (size_t i = 0; i < NSUB; i++)
		free(s->sub[i]);
	free(s->salt);
	free(s);
}

const char *ckstore_root(const struct ckstore *s)
{
	return s->root;
}

const char *ckstore_salt(const struct ckstore *s)
{
	return s->salt;
}

/* ------------------------------------------------------------------------------------------------
 * entry.json */

void ckstore_entry_free(struct ckstore_entry *e)
{
	if (!e)
		return;
	close_lock(e->lock_fd);
	free(e->id);
	free(e->key);
	free(e->parent);
	free(e->dir);
	free(e->build);
	free(e->step);
	free(e->keep);
	for (size_t i = 0; i < e->nfiles; i++) {
		free(e->files[i].name);
		free(e->files[i].sha256);
	}
	free(e->files);
	memset(e, 0, sizeof *e);
	e->lock_fd = -1;
}

void ckstore_entries_free(struct ckstore_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ckstore_entry_free(&e[i]);
	free(e);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void ckstore_entry_copy(struct ckstore_entry *dst, const struct ckstore_entry *src)
{
	memset(dst, 0, sizeof *dst);
	dst->id = dup_or_null(src->id);
	dst->key = dup_or_null(src->key);
	dst->parent = dup_or_null(src->parent);
	dst->dir = dup_or_null(src->dir);
	dst->build = dup_or_null(src->build);
	dst->step = dup_or_null(src->step);
	dst->keep = dup_or_null(src->keep);
	dst->after = src->after;
	dst->steps = src->steps;
	dst->memory = src->memory;
	dst->created = src->created;
	dst->last_used = src->last_used;
	dst->cost_ms = src->cost_ms;
	dst->bytes = src->bytes;
	dst->nfiles = src->nfiles;
	dst->files = xcalloc(src->nfiles ? src->nfiles : 1, sizeof *dst->files);
	for (size_t i = 0; i < src->nfiles; i++) {
		dst->files[i].name = xstrdup(src->files[i].name);
		dst->files[i].size = src->files[i].size;
		dst->files[i].sha256 = dup_or_null(src->files[i].sha256);
	}
	dst->lock_fd = -1;
}

static json_t *entry_to_json(const struct ckstore_entry *e)
{
	json_t *files = json_array();
	for (size_t i = 0; i < e->nfiles; i++)
		json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "name", e->files[i].name, "size",
						       (json_int_t)e->files[i].size, "sha256", e->files[i].sha256));
	json_t *o = json_pack("{s:i, s:s, s:s, s:s?, s:s, s:s, s:I, s:I, s:b, s:s, s:I, s:I, s:I, s:I, s:o}",
			      "version", ENTRY_VERSION, "id", e->id, "key", e->key, "parent", e->parent,
			      "build", e->build ? e->build : "", "step", e->step ? e->step : "",
			      "after", (json_int_t)e->after, "steps", (json_int_t)e->steps, "memory", e->memory,
			      "keep", e->keep ? e->keep : "cache", "created", (json_int_t)e->created,
			      "last_used", (json_int_t)e->last_used, "cost_ms", (json_int_t)e->cost_ms,
			      "bytes", (json_int_t)e->bytes, "files", files);
	return o;
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool is_hex(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Parse dir/entry.json; -1 when it is missing or not what a commit writes. */
static int entry_read(const char *dir, const char *id, struct ckstore_entry *e)
{
	memset(e, 0, sizeof *e);
	e->lock_fd = -1;
	char *path = path_join(dir, "entry.json");
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je);
	free(path);
	if (!o)
		return -1;
	int rc = -1;
	json_t *files = json_object_get(o, "files");
	if (json_integer_value(json_object_get(o, "version")) != ENTRY_VERSION || !jstr(o, "id") || !jstr(o, "key") ||
	    strcmp(jstr(o, "id"), id) != 0 || !is_hex(jstr(o, "key"), 64) || !json_is_array(files))
		goto out;
	e->id = xstrdup(id);
	e->key = xstrdup(jstr(o, "key"));
	e->parent = dup_or_null(jstr(o, "parent"));
	e->dir = xstrdup(dir);
	e->build = xstrdup(jstr(o, "build") ? jstr(o, "build") : "");
	e->step = xstrdup(jstr(o, "step") ? jstr(o, "step") : "");
	e->keep = xstrdup(jstr(o, "keep") ? jstr(o, "keep") : "cache");
	e->after = (size_t)json_integer_value(json_object_get(o, "after"));
	e->steps = (size_t)json_integer_value(json_object_get(o, "steps"));
	e->memory = json_is_true(json_object_get(o, "memory"));
	e->created = json_integer_value(json_object_get(o, "created"));
	e->last_used = json_integer_value(json_object_get(o, "last_used"));
	e->cost_ms = json_integer_value(json_object_get(o, "cost_ms"));
	e->bytes = (uint64_t)json_integer_value(json_object_get(o, "bytes"));
	e->nfiles = json_array_size(files);
	e->files = xcalloc(e->nfiles ? e->nfiles : 1, sizeof *e->files);
	for (size_t i = 0; i < e->nfiles; i++) {
		json_t *f = json_array_get(files, i);
		const char *name = jstr(f, "name"), *sum = jstr(f, "sha256");
		if (!name || !*name || strchr(name, '/') || !is_hex(sum, 64)) {
			e->nfiles = i;
			goto out;
		}
		e->files[i].name = xstrdup(name);
		e->files[i].sha256 = xstrdup(sum);
		e->files[i].size = (uint64_t)json_integer_value(json_object_get(f, "size"));
	}
	rc = 0;
out:
	json_decref(o);
	if (rc < 0)
		ckstore_entry_free(e);
	return rc;
}

static int entry_write(const struct ckstore_entry *e, const char *dir, struct kiln_error *err)
{
	json_t *o = entry_to_json(e);
	char *text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	char *path = path_join(dir, "entry.json");
	int rc = file_write_atomic(path, text, strlen(text), 0600, err);
	free(path);
	free(text);
	return rc;
}

static int cmp_last_used(const void *a, const void *b)
{
	const struct ckstore_entry *x = a, *y = b;
	if (x->last_used != y->last_used)
		return x->last_used < y->last_used ? -1 : 1;
	/* the same second: deeper checkpoints go first, so a chain is trimmed from its end */
	if (x->after != y->after)
		return x->after > y->after ? -1 : 1;
	return strcmp(x->id, y->id);
}

int ckstore_list(struct ckstore *s, struct ckstore_entry **out, size_t *n, struct strv *broken, struct kiln_error *err)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir(s->sub[SUB_ENTRIES]);
	if (!d)
		return err_set_errno(err, errno, "reading %s", s->sub[SUB_ENTRIES]);
	struct ckstore_entry *v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *dir = path_join(s->sub[SUB_ENTRIES], de->d_name);
		v = xgrow(v, &cap, cnt + 1, sizeof *v);
		if (entry_read(dir, de->d_name, &v[cnt]) == 0)
			cnt++;
		else if (broken)
			strv_push(broken, de->d_name);
		free(dir);
	}
	closedir(d);
	if (cnt > 1)
		qsort(v, cnt, sizeof *v, cmp_last_used);
	*out = v;
	*n = cnt;
	return 0;
}

static struct ckstore_entry *find_id(struct ckstore_entry *v, size_t n, const char *id)
{
	for (size_t i = 0; id && i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			return &v[i];
	return NULL;
}

/* ------------------------------------------------------------------------------------------------
 * Removing */

/* Add id and every entry built on it (transitively) to ids. */
static void closure(struct ckstore_entry *v, size_t n, const char *id, struct strv *ids)
{
	if (strv_contains(ids, id))
		return;
	strv_push(ids, id);
	for (size_t i = 0; i < n; i++)
		if (v[i].parent && strcmp(v[i].parent, id) == 0)
			closure(v, n, v[i].id, ids);
}

/* With the store locked: take every entry of ids exclusively (none in use) and rename them into tmp/
 * for deletion (appended to doomed). false (nothing done) when one is busy. */
static bool take_away(struct ckstore *s, const struct strv *ids, struct strv *doomed)
{
	int *fds = xcalloc(ids->n ? ids->n : 1, sizeof *fds);
	bool ok = true;
	size_t locked = 0;
	for (; locked < ids->n; locked++) {
		char *dir = path_join(s->sub[SUB_ENTRIES], ids->v[locked]);
		fds[locked] = lock_dir(dir, LOCK_EX | LOCK_NB);
		free(dir);
		if (fds[locked] < 0) {
			ok = false;
			break;
		}
	}
	for (size_t i = 0; ok && i < ids->n; i++) {
		char *dir = path_join(s->sub[SUB_ENTRIES], ids->v[i]);
		char *r = hex_random(4);
		char *name = xasprintf("del-%s-%s", ids->v[i], r);
		char *to = path_join(s->sub[SUB_TMP], name);
		if (rename(dir, to) == 0)
			strv_push(doomed, to);
		free(r);
		free(name);
		free(to);
		free(dir);
	}
	for (size_t i = 0; i < locked; i++)
		close(fds[i]);
	free(fds);
	return ok;
}

static void remove_doomed(struct strv *doomed)
{
	for (size_t i = 0; i < doomed->n; i++) {
		struct kiln_error e = ERR_INIT;
		rm_rf(doomed->v[i], &e);
		err_clear(&e);
	}
}

int ckstore_remove(struct ckstore *s, const char *id, bool *busy, size_t *removed, struct kiln_error *err)
{
	*busy = false;
	if (removed)
		*removed = 0;
	if (lock_store(s, LOCK_EX) < 0)
		return err_set_errno(err, errno, "locking the checkpoint store");
	struct ckstore_entry *v = NULL;
	size_t n = 0;
	struct strv ids = STRV_INIT, doomed = STRV_INIT;
	int rc = ckstore_list(s, &v, &n, NULL, err);
	if (rc == 0 && find_id(v, n, id)) {
		closure(v, n, id, &ids);
		*busy = !take_away(s, &ids, &doomed);
		if (removed)
			*removed = doomed.n;
	}
	unlock_store(s);
	remove_doomed(&doomed);
	ckstore_entries_free(v, n);
	strv_free(&ids);
	strv_free(&doomed);
	return rc;
}

/* The broken entries (no readable entry.json) of a list, removed when nobody holds them. */
static void remove_broken(struct ckstore *s, const struct strv *broken, struct strv *doomed)
{
	for (size_t i = 0; i < broken->n; i++) {
		struct strv one = STRV_INIT;
		strv_push(&one, broken->v[i]);
		take_away(s, &one, doomed);
		strv_free(&one);
	}
}

/* An entry's recency for eviction: its last use or that of anything built on it, whichever is later.
 * A checkpoint goes only with what builds on it, so ordering by this never removes an entry used more
 * recently than the one chosen. */
static int64_t effective_use(struct ckstore_entry *v, size_t n, size_t i)
{
	struct strv ids = STRV_INIT;
	closure(v, n, v[i].id, &ids);
	int64_t t = v[i].last_used;
	for (size_t k = 0; k < ids.n; k++) {
		struct ckstore_entry *e = find_id(v, n, ids.v[k]);
		if (e && e->last_used > t)
			t = e->last_used;
	}
	strv_free(&ids);
	return t;
}

static int cmp_eviction(const void *a, const void *b)
{
	const struct ckstore_entry *x = *(struct ckstore_entry *const *)a, *y = *(struct ckstore_entry *const *)b;
	if (x->created != y->created)   /* `created` holds the effective use here (see ckstore_evict) */
		return x->created < y->created ? -1 : 1;
	if (x->after != y->after)       /* the same second: the end of a chain goes first */
		return x->after > y->after ? -1 : 1;
	return strcmp(x->id, y->id);
}

int ckstore_evict(struct ckstore *s, uint64_t max_bytes, struct strv *removed, struct kiln_error *err)
{
	if (lock_store(s, LOCK_EX) < 0)
		return err_set_errno(err, errno, "locking the checkpoint store");
	struct ckstore_entry *v = NULL;
	size_t n = 0;
	struct strv broken = STRV_INIT, gone = STRV_INIT, doomed = STRV_INIT;
	int rc = ckstore_list(s, &v, &n, &broken, err);
	if (rc == 0) {
		uint64_t total = 0;
		for (size_t i = 0; i < n; i++)
			total += v[i].bytes;
		/* order by effective use: copies whose `created` carries it, pointing back at v */
		struct ckstore_entry *keyed = xcalloc(n ? n : 1, sizeof *keyed), **order = xcalloc(n ? n : 1, sizeof *order);
		for (size_t i = 0; i < n; i++) {
			keyed[i] = v[i];
			keyed[i].created = effective_use(v, n, i);
			order[i] = &keyed[i];
		}
		if (n > 1)
			qsort(order, n, sizeof *order, cmp_eviction);
		for (size_t o = 0; o < n && total > max_bytes; o++) {
			size_t i = (size_t)(order[o] - keyed);
			if (strv_contains(&gone, v[i].id))
				continue;
			struct strv all = STRV_INIT, ids = STRV_INIT;
			closure(v, n, v[i].id, &all);
			for (size_t j = 0; j < all.n; j++)
				if (!strv_contains(&gone, all.v[j]))
					strv_push(&ids, all.v[j]);
			strv_free(&all);
			if (take_away(s, &ids, &doomed)) {
				for (size_t j = 0; j < ids.n; j++) {
					struct ckstore_entry *e = find_id(v, n, ids.v[j]);
					total -= e && e->bytes <= total ? e->bytes : 0;
					strv_push(&gone, ids.v[j]);
					if (removed)
						strv_push(removed, ids.v[j]);
				}
			}
			strv_free(&ids);
		}
		free(order);
		free(keyed);   /* shallow copies: the strings belong to v */
		remove_broken(s, &broken, &doomed);
	}
	unlock_store(s);
	remove_doomed(&doomed);
	ckstore_entries_free(v, n);
	strv_free(&broken);
	strv_free(&gone);
	strv_free(&doomed);
	return rc;
}

uint64_t ckstore_total_bytes(struct ckstore *s)
{
	struct ckstore_entry *v = NULL;
	size_t n = 0;
	struct kiln_error e = ERR_INIT;
	uint64_t total = 0;
	if (ckstore_list(s, &v, &n, NULL, &e) == 0)
		for (size_t i = 0; i < n; i++)
			total += v[i].bytes;
	err_clear(&e);
	ckstore_entries_free(v, n);
	return total;
}

/* ------------------------------------------------------------------------------------------------
 * Metadata updates */

static int rewrite(struct ckstore *s, const char *id, const char *keep, bool touch, struct kiln_error *err)
{
	char *dir = path_join(s->sub[SUB_ENTRIES], id);
	struct ckstore_entry e;
	int rc = 0;
	if (entry_read(dir, id, &e) == 0) {
		if (keep) {
			free(e.keep);
			e.keep = xstrdup(keep);
		}
		if (touch)
			e.last_used = now_s();
		rc = entry_write(&e, dir, err);
		ckstore_entry_free(&e);
	}
	free(dir);
	return rc;
}

int ckstore_set_keep(struct ckstore *s, const char *id, const char *keep, struct kiln_error *err)
{
	if (lock_store(s, LOCK_EX) < 0)
		return err_set_errno(err, errno, "locking the checkpoint store");
	int rc = rewrite(s, id, keep, false, err);
	unlock_store(s);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Finding */

void ckstore_chain_release(struct ckstore_chain *c)
{
	ckstore_entries_free(c->v, c->n);
	c->v = NULL;
	c->n = 0;
}

/* Check a file of an entry against entry.json; a sentence in *why when it does not match. */
static int verify_file(const struct ckstore_entry *e, const struct ckstore_file *f, char **why)
{
	char *path = path_join(e->dir, f->name);
	struct stat st;
	int rc = -1;
	if (stat(path, &st) < 0) {
		*why = xasprintf("%s is missing", f->name);
	} else if ((uint64_t)st.st_size != f->size) {
		*why = xasprintf("%s has %llu bytes instead of %llu", f->name, (unsigned long long)st.st_size,
				 (unsigned long long)f->size);
	} else {
		char *sum = NULL;
		struct kiln_error e2 = ERR_INIT;
		if (hash_file_hex("sha256", path, &sum, &e2) < 0)
			*why = xasprintf("%s: %s", f->name, err_cause(&e2));
		else if (strcmp(sum, f->sha256) != 0)
			*why = xasprintf("%s does not match its checksum", f->name);
		else
			rc = 0;
		free(sum);
		err_clear(&e2);
	}
	free(path);
	return rc;
}

/* Every file of the found entry, and the layers of the ones it builds on. */
static int verify_chain(const struct ckstore_chain *c, const struct ckstore_entry **bad, char **why)
{
	for (size_t k = 0; k < c->n; k++) {
		const struct ckstore_entry *e = &c->v[k];
		for (size_t i = 0; i < e->nfiles; i++) {
			if (k > 0 && strncmp(e->files[i].name, "layer", 5) != 0)
				continue;
			if (sig_cancelled()) {
				*bad = e;
				*why = xstrdup("cancelled");
				return -1;
			}
			if (verify_file(e, &e->files[i], why) < 0) {
				*bad = e;
				return -1;
			}
		}
	}
	return 0;
}

/* With the store locked: the chain of id (id first), each entry copied and holding its shared lock. */
static int take_chain(struct ckstore_entry *v, size_t n, const char *id, struct ckstore_chain *c, char **why)
{
	memset(c, 0, sizeof *c);
	size_t cap = 0;
	for (const char *cur = id; cur;) {
		struct ckstore_entry *e = find_id(v, n, cur);
		if (!e) {
			*why = xasprintf("the checkpoint it builds on (%.12s) is gone", cur);
			goto fail;
		}
		if (c->n > 64) {
			*why = xstrdup("its chain is too long or loops");
			goto fail;
		}
		c->v = xgrow(c->v, &cap, c->n + 1, sizeof *c->v);
		ckstore_entry_copy(&c->v[c->n], e);
		c->v[c->n].lock_fd = lock_dir(e->dir, LOCK_SH | LOCK_NB);
		if (c->v[c->n++].lock_fd < 0) {
			*why = xasprintf("%.12s is being removed", cur);
			goto fail;
		}
		cur = e->parent;
	}
	return 0;
fail:
	ckstore_chain_release(c);
	return -1;
}

static int cmp_created_desc(const void *a, const void *b)
{
	const struct ckstore_entry *x = *(struct ckstore_entry *const *)a, *y = *(struct ckstore_entry *const *)b;
	if (x->created != y->created)
		return x->created > y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

int ckstore_find(struct ckstore *s, const char *key, struct ckstore_chain *out, bool *found, struct strv *warnings,
		 struct kiln_error *err)
{
	*found = false;
	memset(out, 0, sizeof *out);
	if (lock_store(s, LOCK_SH) < 0)
		return err_set_errno(err, errno, "locking the checkpoint store");
	struct ckstore_entry *v = NULL;
	size_t n = 0;
	if (ckstore_list(s, &v, &n, NULL, err) < 0) {
		unlock_store(s);
		return -1;
	}
	struct ckstore_entry **cands = xcalloc(n ? n : 1, sizeof *cands);
	size_t nc = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].key, key) == 0)
			cands[nc++] = &v[i];
	qsort(cands, nc, sizeof *cands, cmp_created_desc);
	/* take the candidates' chains while the store is locked, verify them after */
	struct ckstore_chain *chains = xcalloc(nc ? nc : 1, sizeof *chains);
	char **whys = xcalloc(nc ? nc : 1, sizeof *whys);
	for (size_t i = 0; i < nc; i++)
		take_chain(v, n, cands[i]->id, &chains[i], &whys[i]);
	unlock_store(s);

	struct strv corrupt = STRV_INIT;
	for (size_t i = 0; i < nc; i++) {
		if (*found || sig_cancelled()) {
			ckstore_chain_release(&chains[i]);
			continue;
		}
		const struct ckstore_entry *bad = NULL;
		char *why = whys[i];
		whys[i] = NULL;
		if (!why && verify_chain(&chains[i], &bad, &why) == 0) {
			*out = chains[i];
			memset(&chains[i], 0, sizeof chains[i]);
			*found = true;
			continue;
		}
		if (warnings && !sig_cancelled())
			strv_pushf(warnings, "checkpoint %.12s (%s) is unusable: %s%s%s", cands[i]->id, cands[i]->step,
				   bad && bad != &chains[i].v[0] ? "in the checkpoint it builds on, " : "", why,
				   bad ? "; it is removed" : "");
		if (bad)
			strv_push(&corrupt, bad->id);
		free(why);
		ckstore_chain_release(&chains[i]);
	}
	for (size_t i = 0; i < corrupt.n; i++) {
		bool busy = false;
		struct kiln_error e = ERR_INIT;
		ckstore_remove(s, corrupt.v[i], &busy, NULL, &e);
		err_clear(&e);
	}
	if (*found && lock_store(s, LOCK_EX) == 0) {
		for (size_t i = 0; i < out->n; i++) {
			struct kiln_error e = ERR_INIT;
			rewrite(s, out->v[i].id, NULL, true, &e);
			err_clear(&e);
		}
		unlock_store(s);
	}
	for (size_t i = 0; i < nc; i++)
		free(whys[i]);
	free(whys);
	free(chains);
	free(cands);
	strv_free(&corrupt);
	ckstore_entries_free(v, n);
	return 0;
}

/* ------------------------------------------------------------------------------------------------
 * Writing */

int ckstore_begin(struct ckstore *s, const char *key, struct ckstore_pending *p, struct kiln_error *err)
{
	memset(p, 0, sizeof *p);
	p->lock_fd = -1;
	char *r = hex_random(4);
	p->id = xasprintf("%s-%s", key, r);
	free(r);
	p->dir = path_join(s->sub[SUB_TMP], p->id);
	p->final_dir = path_join(s->sub[SUB_ENTRIES], p->id);
	if (mkdir(p->dir, 0700) < 0) {
		err_set_errno(err, errno, "creating %s", p->dir);
		ckstore_abort(s, p);
		return -1;
	}
	p->lock_fd = lock_dir(p->dir, LOCK_EX);
	if (p->lock_fd < 0) {
		err_set_errno(err, errno, "locking %s", p->dir);
		ckstore_abort(s, p);
		return -1;
	}
	return 0;
}

void ckstore_abort(struct ckstore *s, struct ckstore_pending *p)
{
	(void)s;
	if (p->dir) {
		struct kiln_error e = ERR_INIT;
		rm_rf(p->dir, &e);
		err_clear(&e);
	}
	close_lock(p->lock_fd);
	free(p->id);
	free(p->dir);
	free(p->final_dir);
	memset(p, 0, sizeof *p);
	p->lock_fd = -1;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct ckstore_file *)a)->name, ((const struct ckstore_file *)b)->name);
}

/* The files the builder put in dir, each hashed. */
static int hash_files(const char *dir, struct ckstore_entry *e, struct kiln_error *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return err_set_errno(err, errno, "reading %s", dir);
	size_t cap = 0;
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "lock") == 0 || strcmp(de->d_name, "entry.json") == 0)
			continue;
		char *path = path_join(dir, de->d_name);
		struct stat st;
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			rc = err_set(err, "%s is not a regular file", path);
		} else {
			e->files = xgrow(e->files, &cap, e->nfiles + 1, sizeof *e->files);
			struct ckstore_file *f = &e->files[e->nfiles];
			memset(f, 0, sizeof *f);
			f->name = xstrdup(de->d_name);
			f->size = (uint64_t)st.st_size;
			e->bytes += (uint64_t)st.st_blocks * 512;
			e->nfiles++;
			if (sig_cancelled())
				rc = err_set_kind(err, ERR_CANCELLED, "cancelled");
			else
				rc = hash_file_hex("sha256", path, &f->sha256, err);
		}
		free(path);
	}
	closedir(d);
	if (e->nfiles > 1)
		qsort(e->files, e->nfiles, sizeof *e->files, cmp_file);
	return rc;
}

int ckstore_commit(struct ckstore *s, struct ckstore_pending *p, const struct ckstore_entry *meta,
		   struct ckstore_entry *committed, struct kiln_error *err)
{
	struct ckstore_entry e;
	ckstore_entry_copy(&e, meta);
	free(e.id);
	e.id = xstrdup(p->id);
	free(e.dir);
	e.dir = xstrdup(p->final_dir);
	e.nfiles = 0;
	e.bytes = 0;
	free(e.files);
	e.files = NULL;
	e.created = e.last_used = now_s();
	int rc = -1;
	if (hash_files(p->dir, &e, err) < 0 || entry_write(&e, p->dir, err) < 0)
		goto out;
	if (lock_store(s, LOCK_EX) < 0) {
		err_set_errno(err, errno, "locking the checkpoint store");
		goto out;
	}
	if (rename(p->dir, p->final_dir) < 0) {
		err_set_errno(err, errno, "moving %s into the store", p->dir);
		unlock_store(s);
		goto out;
	}
	unlock_store(s);
	/* the writer's exclusive lock becomes the user's shared one: the build runs on this layer */
	flock(p->lock_fd, LOCK_SH);
	e.lock_fd = p->lock_fd;
	p->lock_fd = -1;
	free(p->dir);
	p->dir = NULL;
	*committed = e;
	memset(&e, 0, sizeof e);
	e.lock_fd = -1;
	rc = 0;
out:
	ckstore_entry_free(&e);
	if (rc < 0)
		err_wrap(err, "saving checkpoint %.12s", p->id);
	ckstore_abort(s, p);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Bases and work directories */

int ckstore_base_link(struct ckstore *s, const char *digest, const char *base_path, char **link,
		      struct kiln_error *err)
{
	const char *colon = strchr(digest, ':');
	if (!colon || !is_hex(colon + 1, strlen(colon + 1)) || strlen(colon + 1) < 32)
		return err_set(err, "internal error: base digest \"%s\" is not algo:hex", digest);
	char *name = xasprintf("%.*s-%s", (int)(colon - digest), digest, colon + 1);
	char *final = path_join(s->sub[SUB_BASES], name);
	char *r = hex_random(4);
	char *tmpname = xasprintf(".%s.%s", name, r);
	char *tmp = path_join(s->sub[SUB_BASES], tmpname);
	char *target = path_abs(base_path);
	int rc = 0;
	if (symlink(target, tmp) < 0 || rename(tmp, final) < 0) {
		rc = err_set_errno(err, errno, "linking %s to %s", final, target);
		unlink(tmp);
	}
	if (rc == 0)
		*link = final;
	else
		free(final);
	free(name);
	free(r);
	free(tmpname);
	free(tmp);
	free(target);
	return rc;
}

int ckstore_work_dir(struct ckstore *s, char **dir, int *lock_fd, struct kiln_error *err)
{
	char *r = hex_random(6);
	char *d = path_join(s->sub[SUB_WORK], r);
	free(r);
	if (mkdir(d, 0700) < 0) {
		int e = errno;
		free(d);
		return err_set_errno(err, e, "creating a work directory in %s", s->sub[SUB_WORK]);
	}
	int fd = lock_dir(d, LOCK_EX);
	if (fd < 0) {
		int e = errno;
		rmdir(d);
		free(d);
		return err_set_errno(err, e, "locking a work directory in %s", s->sub[SUB_WORK]);
	}
	*dir = d;
	*lock_fd = fd;
	return 0;
}

void ckstore_work_release(const char *dir, int lock_fd)
{
	if (dir) {
		struct kiln_error e = ERR_INIT;
		rm_rf(dir, &e);
		err_clear(&e);
	}
	close_lock(lock_fd);
}
