/* hosts.c — the qemu builder's side of the build pool (see hosts.h): connections the engine keeps to
 * each host, what a host reports, the names of temporary volumes, and the leftovers of builds that lost
 * their host. */
#include "qemu/hosts.h"
#include "qemu/libvirt.h"
#include "qemu/volcache.h"
#include "ui/ui.h"
#include "util/mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------------
 * Temporary volume names */

char *qemu_temp_volume_name(const char *domain_name, const char *role)
{
	return xasprintf("%s-%s_%ld_%s", domain_name, role, (long)getpid(), qemu_owner_host());
}

bool qemu_temp_volume_owner(const char *name, long *pid, char *host)
{
	if (strncmp(name, "kiln-", 5) != 0)
		return false;
	const char *h = strrchr(name, '_');
	if (!h || !h[1] || strlen(h + 1) >= 64)
		return false;
	const char *p = h;
	while (p > name && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (p == h || p == name || p[-1] != '_')
		return false;
	*pid = strtol(p, NULL, 10);
	strcpy(host, h + 1);
	return *pid > 0;
}

/* ------------------------------------------------------------------------------------------------
 * Leftovers: what builds of this process could not remove from a host that went away */

struct leftover {
	char *uri;
	char *pool;          /* NULL: a domain */
	char *name;
};

static pthread_mutex_t left_lock = PTHREAD_MUTEX_INITIALIZER;
static struct leftover *lefts;
static size_t nlefts, caplefts;

void qemu_leftover_add(const char *uri, const char *pool, const char *name)
{
	pthread_mutex_lock(&left_lock);
	lefts = xgrow(lefts, &caplefts, nlefts + 1, sizeof *lefts);
	lefts[nlefts++] = (struct leftover){xstrdup(uri), pool ? xstrdup(pool) : NULL, xstrdup(name)};
	pthread_mutex_unlock(&left_lock);
	log_debug("qemu: left on %s until it is back: %s %s", uri, pool ? "volume" : "domain", name);
}

static bool host_leftovers(const struct kiln_host *h, struct strv *names)
{
	bool any = false;
	pthread_mutex_lock(&left_lock);
	for (size_t i = 0; i < nlefts; i++)
		if (strcmp(lefts[i].uri, h->uri) == 0) {
			strv_pushf(names, "%s %s", lefts[i].pool ? "volume" : "domain", lefts[i].name);
			any = true;
		}
	pthread_mutex_unlock(&left_lock);
	return any;
}

static void leftover_free(struct leftover *l)
{
	free(l->uri);
	free(l->pool);
	free(l->name);
}

/* Remove this host's leftovers: domains first (their disks are the volumes). */
static int clean_leftovers(struct qemu_virt *v, struct strv *removed, struct kiln_error *err)
{
	pthread_mutex_lock(&left_lock);
	struct leftover *mine = xcalloc(nlefts + 1, sizeof *mine);
	size_t n = 0, kept = 0;
	for (size_t i = 0; i < nlefts; i++) {
		if (strcmp(lefts[i].uri, qemu_virt_uri(v)) == 0)
			mine[n++] = lefts[i];
		else
			lefts[kept++] = lefts[i];
	}
	nlefts = kept;
	pthread_mutex_unlock(&left_lock);
	int rc = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			struct leftover *l = &mine[i];
			if (!l->name || (pass == 0) != (l->pool == NULL))
				continue;
			struct kiln_error e = ERR_INIT;
			int r = l->pool ? qemu_vol_delete(v, l->pool, l->name, &e) : qemu_virt_remove_domain(v, l->name, &e);
			if (r == 0 || err_is(&e, ERR_NOT_FOUND)) {
				if (r == 0)
					strv_pushf(removed, "%s %s", l->pool ? "volume" : "domain", l->name);
				leftover_free(l);
				l->name = NULL;
			} else if (rc == 0) {
				rc = -1;
				err_move(err, &e);
			}
			err_clear(&e);
		}
	/* what could not be removed stays recorded */
	for (size_t i = 0; i < n; i++)
		if (mine[i].name)
			qemu_leftover_add(mine[i].uri, mine[i].pool, mine[i].name), leftover_free(&mine[i]);
	free(mine);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Strays: what kiln processes of this machine that are gone left on the host */

static int clean_strays(struct qemu_virt *v, struct strv *removed, struct kiln_error *err)
{
	struct strv names = STRV_INIT;
	if (qemu_virt_list_strays(v, &names, err) < 0)
		return -1;
	for (size_t i = 0; i < names.n; i++) {
		struct kiln_error e = ERR_INIT;
		if (qemu_virt_remove_domain(v, names.v[i], &e) == 0)
			strv_pushf(removed, "domain %s", names.v[i]);
		err_clear(&e);
	}
	strv_free(&names);
	return 0;
}

/* Temporary volumes of gone kiln processes, and their unfinished cache uploads, in every pool;
 * with cache, every cached image no volume uses. */
static int clean_volumes(struct qemu_virt *v, bool strays, bool cache, struct strv *removed, struct kiln_error *err)
{
	struct strv pools = STRV_INIT;
	if (qemu_virt_pools(v, &pools, err) < 0)
		return -1;
	int rc = 0;
	for (size_t p = 0; p < pools.n && rc == 0; p++) {
		/* a pool that went away meanwhile (another user's scratch pool) is no error of ours */
		struct kiln_error e = ERR_INIT;
		if (strays) {
			struct qemu_vol *vols = NULL;
			size_t n = 0;
			if (qemu_vol_list(v, pools.v[p], 0, &vols, &n, &e) < 0) {
				if (err_is(&e, ERR_HOST_LOST)) {
					err_move(err, &e);
					rc = -1;
					break;
				}
				log_debug("qemu: cannot list pool %s: %s", pools.v[p], err_cause(&e));
				err_clear(&e);
				continue;
			}
			for (size_t i = 0; i < n; i++) {
				long pid = 0;
				char host[64];
				if (!qemu_temp_volume_owner(vols[i].name, &pid, host) || !qemu_owner_gone(host, pid))
					continue;
				struct kiln_error de = ERR_INIT;
				if (qemu_vol_delete(v, pools.v[p], vols[i].name, &de) == 0)
					strv_pushf(removed, "volume %s", vols[i].name);
				err_clear(&de);
			}
			qemu_vols_free(vols, n);
		}
		if (qemu_volcache_clean(v, pools.v[p], cache, removed, &e) < 0) {
			if (err_is(&e, ERR_HOST_LOST)) {
				err_move(err, &e);
				rc = -1;
			} else {
				log_debug("qemu: cannot clean the image cache in pool %s: %s", pools.v[p], err_cause(&e));
			}
		}
		err_clear(&e);
	}
	strv_free(&pools);
	return rc;
}

void qemu_remove_strays(struct qemu_virt *v, struct ui *ui, bool volumes)
{
	struct strv removed = STRV_INIT;
	struct kiln_error e = ERR_INIT;
	if (clean_strays(v, &removed, &e) < 0 || (volumes && clean_volumes(v, true, false, &removed, &e) < 0))
		log_debug("qemu: cannot look for what gone kiln processes left on %s: %s", qemu_virt_uri(v), err_cause(&e));
	for (size_t i = 0; i < removed.n; i++)
		ui_warn(ui, "Removed %s, left by a kiln process that is gone", removed.v[i]);
	err_clear(&e);
	strv_free(&removed);
}

/* ------------------------------------------------------------------------------------------------
 * The operations */

static int h_open(const struct kiln_host *h, void **conn, struct kiln_error *err)
{
	struct qemu_virt *v = NULL;
	if (qemu_virt_open(h->uri, &v, err) < 0)
		return -1;
	*conn = v;
	return 0;
}

static void h_close(void *conn)
{
	qemu_virt_close(conn);
}

static bool h_alive(void *conn)
{
	return qemu_virt_alive(conn);
}

static int h_probe(void *conn, struct kiln_host_info *info, struct kiln_error *err)
{
	return qemu_virt_node_info(conn, info, err);
}

static int h_clean(void *conn, unsigned what, struct strv *removed, struct kiln_error *err)
{
	struct qemu_virt *v = conn;
	int rc = 0;
	if ((what & KILN_HOST_CLEAN_LEFTOVERS) && clean_leftovers(v, removed, err) < 0)
		rc = -1;
	if (rc == 0 && (what & KILN_HOST_CLEAN_STRAYS) && clean_strays(v, removed, err) < 0)
		rc = -1;
	if (rc == 0 && (what & (KILN_HOST_CLEAN_STRAYS | KILN_HOST_CLEAN_CACHE)) &&
	    clean_volumes(v, what & KILN_HOST_CLEAN_STRAYS, what & KILN_HOST_CLEAN_CACHE, removed, err) < 0)
		rc = -1;
	return rc;
}

static int h_cache_usage(void *conn, size_t *images, uint64_t *bytes, struct kiln_error *err)
{
	struct qemu_virt *v = conn;
	struct strv pools = STRV_INIT;
	*images = 0;
	*bytes = 0;
	if (qemu_virt_pools(v, &pools, err) < 0)
		return -1;
	int rc = 0;
	for (size_t p = 0; p < pools.n && rc == 0; p++) {
		size_t i = 0;
		uint64_t b = 0;
		struct kiln_error e = ERR_INIT;
		if (qemu_volcache_usage(v, pools.v[p], &i, &b, &e) < 0 && err_is(&e, ERR_HOST_LOST)) {
			err_move(err, &e);
			rc = -1;
		}
		err_clear(&e);
		*images += i;
		*bytes += b;
	}
	strv_free(&pools);
	return rc;
}

const struct kiln_host_ops qemu_host_ops = {
	.open = h_open,
	.close = h_close,
	.alive = h_alive,
	.probe = h_probe,
	.clean = h_clean,
	.leftovers = host_leftovers,
	.cache_usage = h_cache_usage,
};
