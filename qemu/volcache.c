/* volcache.c — content-addressed image volumes on remote hosts (see volcache.h). */
#include "qemu/volcache.h"
#include "qemu/libvirt.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PREFIX "kiln-sha256-"
#define PREFIX_LEN (sizeof PREFIX - 1)
#define STALE_NO_OWNER_MS 30000      /* a lock whose owner never showed up */
#define STALE_NO_PROGRESS_MS 120000  /* an upload that stopped growing */

/* ------------------------------------------------------------------------------------------------
 * Names */

void qemu_volcache_parse(const char *vol, struct qemu_volcache_name *out)
{
	memset(out, 0, sizeof *out);
	if (strncmp(vol, PREFIX, PREFIX_LEN) != 0)
		return;
	const char *h = vol + PREFIX_LEN;
	for (size_t i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)h[i]) || isupper((unsigned char)h[i]))
			return;
	const char *rest = h + 64;
	memcpy(out->sha256, h, 64);
	out->sha256[64] = 0;
	if (!*rest) {
		out->kind = QEMU_VC_DATA;
	} else if (strcmp(rest, ".lock") == 0) {
		out->kind = QEMU_VC_LOCK;
	} else if (strncmp(rest, ".lock_", 6) == 0) {
		const char *p = rest + 6;
		char *end = NULL;
		long pid = strtol(p, &end, 10);
		if (end == p || *end != '_' || pid <= 0 || !end[1] || strlen(end + 1) >= sizeof out->host)
			return;
		out->pid = pid;
		strcpy(out->host, end + 1);
		out->kind = QEMU_VC_OWNER;
	} else if (strncmp(rest, ".used-", 6) == 0) {
		char *end = NULL;
		long long t = strtoll(rest + 6, &end, 10);
		if (end == rest + 6 || *end || t < 0)
			return;
		out->used = t;
		out->kind = QEMU_VC_USED;
	}
}

/* ------------------------------------------------------------------------------------------------
 * Eviction */

size_t qemu_volcache_evictions(const struct qemu_volcache_entry *e, size_t n, uint64_t limit, uint64_t incoming,
			       size_t *victims, bool *fits)
{
	uint64_t total = incoming;
	for (size_t i = 0; i < n; i++)
		total += e[i].bytes;
	size_t k = 0;
	bool *taken = xcalloc(n ? n : 1, sizeof *taken);
	while (total > limit) {
		size_t pick = n;
		for (size_t i = 0; i < n; i++)
			if (!taken[i] && !e[i].in_use && (pick == n || e[i].last_used < e[pick].last_used))
				pick = i;
		if (pick == n)
			break;
		taken[pick] = true;
		victims[k++] = pick;
		total -= e[pick].bytes;
	}
	free(taken);
	if (fits)
		*fits = total <= limit;
	return k;
}

/* ------------------------------------------------------------------------------------------------
 * What the pool holds of one image, from a listing */

struct image_state {
	bool data, lock;
	uint64_t data_alloc;
	long owner_pid;
	char owner_host[64];
	bool owner;
	struct strv used;          /* its .used- markers */
	int64_t last_used;
};

static void image_state_free(struct image_state *s)
{
	strv_free(&s->used);
}

static void scan(const struct qemu_vol *vols, size_t n, const char *sha, struct image_state *s)
{
	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < n; i++) {
		struct qemu_volcache_name nm;
		qemu_volcache_parse(vols[i].name, &nm);
		if (nm.kind == QEMU_VC_NONE || strcmp(nm.sha256, sha) != 0)
			continue;
		switch (nm.kind) {
		case QEMU_VC_DATA:
			s->data = true;
			s->data_alloc = vols[i].allocation;
			break;
		case QEMU_VC_LOCK:
			s->lock = true;
			break;
		case QEMU_VC_OWNER:
			s->owner = true;
			s->owner_pid = nm.pid;
			snprintf(s->owner_host, sizeof s->owner_host, "%s", nm.host);
			break;
		case QEMU_VC_USED:
			strv_push(&s->used, vols[i].name);
			if (nm.used > s->last_used)
				s->last_used = nm.used;
			break;
		default:
			break;
		}
	}
}

static char *data_name(const char *sha)
{
	return xasprintf(PREFIX "%s", sha);
}

static void delete_quietly(struct qemu_virt *v, const char *pool, const char *name)
{
	struct kiln_error e = ERR_INIT;
	if (qemu_vol_delete(v, pool, name, &e) < 0)
		log_debug("volcache: cannot delete %s: %s", name, err_cause(&e));
	err_clear(&e);
}

/* Remove an image's volumes: the data first, so that nothing takes it for complete meanwhile. */
static void remove_image(struct qemu_virt *v, const char *pool, const char *sha, const struct image_state *s,
			 struct strv *removed)
{
	char *d = data_name(sha);
	if (s->data) {
		delete_quietly(v, pool, d);
		if (removed)
			strv_pushf(removed, "volume %s", d);
	}
	for (size_t i = 0; i < s->used.n; i++)
		delete_quietly(v, pool, s->used.v[i]);
	if (s->owner) {
		char *o = xasprintf("%s.lock_%ld_%s", d, s->owner_pid, s->owner_host);
		delete_quietly(v, pool, o);
		free(o);
	}
	if (s->lock) {
		char *l = xasprintf("%s.lock", d);
		delete_quietly(v, pool, l);
		free(l);
	}
	free(d);
}

/* Mark the image used now: a new .used- marker, the older ones go. */
static void touch(struct qemu_virt *v, const char *pool, const char *sha, const struct image_state *s)
{
	int64_t now = (int64_t)time(NULL);
	char *m = xasprintf(PREFIX "%s.used-%lld", sha, (long long)now);
	struct kiln_error e = ERR_INIT;
	if (qemu_vol_create(v, pool, m, "raw", 0, NULL, NULL, &e) < 0 && !err_is(&e, ERR_EXISTS)) {
		log_debug("volcache: cannot mark %s used: %s", sha, err_cause(&e));
		err_clear(&e);
		free(m);
		return;
	}
	err_clear(&e);
	for (size_t i = 0; i < s->used.n; i++)
		if (strcmp(s->used.v[i], m) != 0)
			delete_quietly(v, pool, s->used.v[i]);
	free(m);
}

/* ------------------------------------------------------------------------------------------------
 * In-process coordination: one thread at a time deals with an image on a host; holds keep it. */

struct held {
	char *key;          /* uri \n pool \n sha */
	int refs;
	bool busy;
};

static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t held_cond = PTHREAD_COND_INITIALIZER;
static struct held *helds;
static size_t nhelds, caphelds;

static char *held_key(struct qemu_virt *v, const char *pool, const char *sha)
{
	return xasprintf("%s\n%s\n%s", qemu_virt_uri(v), pool, sha);
}

static struct held *held_find(const char *key, bool add)
{
	for (size_t i = 0; i < nhelds; i++)
		if (strcmp(helds[i].key, key) == 0)
			return &helds[i];
	if (!add)
		return NULL;
	helds = xgrow(helds, &caphelds, nhelds + 1, sizeof *helds);
	helds[nhelds] = (struct held){xstrdup(key), 0, false};
	return &helds[nhelds++];
}

static bool held_in_use(struct qemu_virt *v, const char *pool, const char *sha)
{
	char *key = held_key(v, pool, sha);
	pthread_mutex_lock(&held_lock);
	struct held *h = held_find(key, false);
	bool r = h && (h->refs > 0 || h->busy);
	pthread_mutex_unlock(&held_lock);
	free(key);
	return r;
}

void qemu_volcache_release(struct qemu_virt *v, const char *pool, const char *sha256)
{
	char *key = held_key(v, pool, sha256);
	pthread_mutex_lock(&held_lock);
	struct held *h = held_find(key, false);
	if (h && h->refs > 0)
		h->refs--;
	pthread_mutex_unlock(&held_lock);
	free(key);
}

/* ------------------------------------------------------------------------------------------------
 * Making room */

/* Is the volume `name` some volume's backing file? */
static bool is_backing(const struct qemu_vol *vols, size_t n, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < n; i++) {
		const char *b = vols[i].backing;
		size_t bl = b ? strlen(b) : 0;
		if (bl >= nl && strcmp(b + bl - nl, name) == 0 && (bl == nl || b[bl - nl - 1] == '/'))
			return true;
	}
	return false;
}

static void make_room(const struct qemu_volcache_req *req, uint64_t incoming)
{
	if (!req->limit)
		return;
	struct qemu_vol *vols = NULL;
	size_t n = 0;
	struct kiln_error e = ERR_INIT;
	if (qemu_vol_list(req->virt, req->pool, QEMU_VOL_SIZES | QEMU_VOL_BACKING, &vols, &n, &e) < 0) {
		log_debug("volcache: cannot list pool %s to make room: %s", req->pool, err_cause(&e));
		err_clear(&e);
		return;
	}
	struct qemu_volcache_entry *ent = xcalloc(n + 1, sizeof *ent);
	char (*shas)[65] = xcalloc(n + 1, sizeof *shas);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		struct qemu_volcache_name nm;
		qemu_volcache_parse(vols[i].name, &nm);
		if (nm.kind != QEMU_VC_DATA || strcmp(nm.sha256, req->sha256) == 0)
			continue;
		struct image_state s;
		scan(vols, n, nm.sha256, &s);
		if (s.used.n && !s.lock) {
			ent[k] = (struct qemu_volcache_entry){vols[i].allocation, s.last_used,
							      is_backing(vols, n, vols[i].name) ||
								      held_in_use(req->virt, req->pool, nm.sha256)};
			memcpy(shas[k], nm.sha256, 65);
			k++;
		}
		image_state_free(&s);
	}
	size_t *victims = xcalloc(k + 1, sizeof *victims);
	bool fits = true;
	size_t nv = qemu_volcache_evictions(ent, k, req->limit, incoming, victims, &fits);
	for (size_t i = 0; i < nv; i++) {
		struct image_state s;
		scan(vols, n, shas[victims[i]], &s);
		char *size = ui_format_bytes(ent[victims[i]].bytes);
		ui_message(req->ui, "Evicting cached image %.12s... (%s, least recently used) from %s", shas[victims[i]],
			   size, req->where);
		free(size);
		remove_image(req->virt, req->pool, shas[victims[i]], &s, NULL);
		image_state_free(&s);
	}
	if (!fits) {
		char *lim = ui_format_bytes(req->limit);
		ui_warn(req->ui, "The image cache on %s goes over its cache_size of %s: every other cached image is in use",
			req->where, lim);
		free(lim);
	}
	free(victims);
	free(shas);
	free(ent);
	qemu_vols_free(vols, n);
}

/* ------------------------------------------------------------------------------------------------
 * Getting an image onto the host */

/* Take the lock and upload. Returns 1 when, the lock taken, the image turned out complete after all
 * (another process finished it between our look and our lock), 0 when uploaded, -1 on failure
 * (ERR_EXISTS: another process holds the lock). */
static int upload(const struct qemu_volcache_req *req, struct kiln_error *err)
{
	struct qemu_virt *v = req->virt;
	char *d = data_name(req->sha256);
	char *lock = xasprintf("%s.lock", d);
	char *owner = xasprintf("%s.lock_%ld_%s", d, (long)getpid(), qemu_owner_host());
	int rc = -1;
	if (qemu_vol_create(v, req->pool, lock, "raw", 0, NULL, NULL, err) < 0)
		goto out;   /* ERR_EXISTS: another process was quicker */
	struct kiln_error e = ERR_INIT;
	if (qemu_vol_create(v, req->pool, owner, "raw", 0, NULL, NULL, &e) < 0)
		log_debug("volcache: cannot name the owner of %s: %s", lock, err_cause(&e));
	err_clear(&e);
	struct qemu_vol *vols = NULL;
	size_t n = 0;
	if (qemu_vol_list(v, req->pool, 0, &vols, &n, err) < 0)
		goto unlock;
	struct image_state s;
	scan(vols, n, req->sha256, &s);
	qemu_vols_free(vols, n);
	if (s.data && s.used.n) {
		touch(v, req->pool, req->sha256, &s);
		image_state_free(&s);
		rc = 1;
		goto unlock;
	}
	if (s.data)
		delete_quietly(v, req->pool, d);   /* the remains of an upload that died */
	image_state_free(&s);
	off_t size = 0;
	struct kiln_error se = ERR_INIT;
	if (file_size(req->local_path, &size, &se) < 0)
		size = 0;
	err_clear(&se);
	make_room(req, (uint64_t)size);
	char *hs = ui_format_bytes((uint64_t)size);
	ui_say(req->ui, "Uploading %s (%s) to pool %s on %s as %s...", req->local_path, hs, req->pool, req->where, d);
	free(hs);
	if (qemu_vol_upload(v, req->pool, d, req->local_path, req->format, req->capacity, req->ui, err) == 0) {
		char *m = xasprintf("%s.used-%lld", d, (long long)time(NULL));
		rc = qemu_vol_create(v, req->pool, m, "raw", 0, NULL, NULL, err);
		free(m);
		if (rc < 0)
			delete_quietly(v, req->pool, d);
	}
unlock:
	delete_quietly(v, req->pool, owner);
	delete_quietly(v, req->pool, lock);
out:
	free(owner);
	free(lock);
	free(d);
	return rc;
}

static int ensure(const struct qemu_volcache_req *req, bool *uploaded, struct kiln_error *err)
{
	struct qemu_virt *v = req->virt;
	long lock_seen = 0, progress_at = 0;
	uint64_t last_alloc = 0;
	bool said = false;
	for (;;) {
		if (sig_cancelled())
			return err_set_kind(err, ERR_CANCELLED, "cancelled");
		struct qemu_vol *vols = NULL;
		size_t n = 0;
		if (qemu_vol_list(v, req->pool, 0, &vols, &n, err) < 0)
			return -1;
		struct image_state s;
		scan(vols, n, req->sha256, &s);
		qemu_vols_free(vols, n);
		if (s.data && s.used.n && !s.lock) {
			touch(v, req->pool, req->sha256, &s);
			image_state_free(&s);
			*uploaded = false;
			return 0;
		}
		if (!s.lock) {
			image_state_free(&s);
			int rc = upload(req, err);
			if (rc < 0 && err_is(err, ERR_EXISTS)) {
				err_clear(err);
				continue;
			}
			*uploaded = rc == 0;
			return rc < 0 ? -1 : 0;
		}
		/* someone uploads it */
		long now = time_mono_ms();
		if (!lock_seen)
			lock_seen = progress_at = now;
		/* stale: its kiln on this machine is gone, it never named its owner, or it stopped growing */
		bool stale = s.owner ? qemu_owner_gone(s.owner_host, s.owner_pid) : now - lock_seen > STALE_NO_OWNER_MS;
		if (!stale) {
			uint64_t alloc = 0;
			struct qemu_vol *sized = NULL;
			size_t ns = 0;
			struct kiln_error e = ERR_INIT;
			if (s.data && qemu_vol_list(v, req->pool, QEMU_VOL_SIZES, &sized, &ns, &e) == 0) {
				struct image_state s2;
				scan(sized, ns, req->sha256, &s2);
				alloc = s2.data_alloc;
				image_state_free(&s2);
				qemu_vols_free(sized, ns);
			}
			err_clear(&e);
			if (alloc != last_alloc) {
				last_alloc = alloc;
				progress_at = now;
			}
			stale = now - progress_at > STALE_NO_PROGRESS_MS;
		}
		if (stale) {
			ui_warn(req->ui, "Removing an unfinished upload of %.12s... on %s (its kiln is gone)", req->sha256,
				req->where);
			remove_image(v, req->pool, req->sha256, &s, NULL);
			image_state_free(&s);
			lock_seen = 0;
			continue;
		}
		if (!said) {
			if (s.owner)
				ui_say(req->ui, "Waiting for kiln %ld on %s to finish uploading the image to %s...", s.owner_pid,
				       s.owner_host, req->where);
			else
				ui_say(req->ui, "Waiting for another upload of the image to %s to finish...", req->where);
			said = true;
		}
		image_state_free(&s);
		if (sleep_cancellable_ms(1000) < 0)
			return err_set_kind(err, ERR_CANCELLED, "cancelled");
	}
}

int qemu_volcache_get(const struct qemu_volcache_req *req, char **name, bool *uploaded, struct kiln_error *err)
{
	char *key = held_key(req->virt, req->pool, req->sha256);
	pthread_mutex_lock(&held_lock);
	struct held *h = held_find(key, true);
	while (h->busy) {
		/* another build of this process is getting it there: wait for it, then find it complete */
		pthread_cond_wait(&held_cond, &held_lock);
		h = held_find(key, true);
	}
	h->busy = true;
	pthread_mutex_unlock(&held_lock);

	*uploaded = false;
	int rc = ensure(req, uploaded, err);

	pthread_mutex_lock(&held_lock);
	h = held_find(key, true);
	h->busy = false;
	if (rc == 0)
		h->refs++;
	pthread_cond_broadcast(&held_cond);
	pthread_mutex_unlock(&held_lock);
	free(key);
	if (rc < 0)
		return err_wrap(err, "putting the image on %s", req->where);
	*name = data_name(req->sha256);
	if (!*uploaded)
		ui_say(req->ui, "Using the image cached on %s (%s)", req->where, *name);
	return 0;
}

/* ------------------------------------------------------------------------------------------------
 * kiln hosts */

int qemu_volcache_usage(struct qemu_virt *v, const char *pool, size_t *images, uint64_t *bytes, struct kiln_error *err)
{
	struct qemu_vol *vols = NULL;
	size_t n = 0;
	*images = 0;
	*bytes = 0;
	if (qemu_vol_list(v, pool, QEMU_VOL_SIZES, &vols, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct qemu_volcache_name nm;
		qemu_volcache_parse(vols[i].name, &nm);
		if (nm.kind == QEMU_VC_DATA) {
			(*images)++;
			*bytes += vols[i].allocation;
		}
	}
	qemu_vols_free(vols, n);
	return 0;
}

int qemu_volcache_clean(struct qemu_virt *v, const char *pool, bool all, struct strv *removed, struct kiln_error *err)
{
	struct qemu_vol *vols = NULL;
	size_t n = 0;
	if (qemu_vol_list(v, pool, all ? QEMU_VOL_BACKING : 0, &vols, &n, err) < 0)
		return -1;
	struct strv done = STRV_INIT;
	for (size_t i = 0; i < n; i++) {
		struct qemu_volcache_name nm;
		qemu_volcache_parse(vols[i].name, &nm);
		if (nm.kind == QEMU_VC_NONE || strv_contains(&done, nm.sha256))
			continue;
		strv_push(&done, nm.sha256);
		struct image_state s;
		scan(vols, n, nm.sha256, &s);
		bool abandoned = s.owner && qemu_owner_gone(s.owner_host, s.owner_pid);
		bool unused = !s.lock && !held_in_use(v, pool, nm.sha256);
		if (unused && s.data) {
			char *d = data_name(nm.sha256);
			unused = !is_backing(vols, n, d);
			free(d);
		}
		if (abandoned || (all && unused))
			remove_image(v, pool, nm.sha256, &s, removed);
		image_state_free(&s);
	}
	strv_free(&done);
	qemu_vols_free(vols, n);
	return 0;
}
