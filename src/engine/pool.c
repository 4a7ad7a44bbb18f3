/* pool.c — the hosts of the build pool and the builds running on them (see pool.h). */
#include "engine/pool.h"
#include "engine/sched.h"
#include "ui/ui.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum host_state {
	HOST_PROBING,   /* first answer not in yet */
	HOST_UP,
	HOST_DOWN,      /* cannot be reached (at start, or its connection dropped while idle) */
	HOST_LOST,      /* went away while a build ran there */
};

struct pool_host {
	struct pool *pool;
	const struct kiln_host *spec;
	enum host_state state;
	struct kiln_host_info info;
	void *conn;                  /* owned by the host's thread */
	char *why;                   /* why it is down */
	int running;                 /* builds of this process there */
	uint64_t running_memory;
	bool ever_up;
	bool announced_down;         /* the warning was shown */
	pthread_t thread;
	bool thread_started;
	bool thread_done;
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;         /* a host changed state, a build was released, stop */
	const struct kiln_host_ops *ops;
	struct pool_host *hosts;
	size_t n;
	bool stopping;
	long reprobe_ms, reconnect_ms;
	int64_t first_probe_ns;
	int64_t decide_ns;           /* summed over the placements */
	size_t placements;
};

void kiln_host_info_free(struct kiln_host_info *info)
{
	if (!info)
		return;
	free(info->version);
	memset(info, 0, sizeof *info);
}

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Wait on the pool's condition for up to ms (lock held). */
static void wait_ms(struct pool *p, long ms)
{
	struct timespec ts;
	deadline_in(&ts, ms);
	pthread_cond_timedwait(&p->cond, &p->lock, &ts);
}

static void report_removed(const struct kiln_host *h, const struct strv *removed, const char *why)
{
	if (!removed->n)
		return;
	char *list = strv_join(removed, ", ");
	ui_say(ui_global(), "Host %s: removed %s: %s", h->name, why, list);
	free(list);
}

/* A host answered (first time or again): clear what is to be cleared before it takes builds. */
static void clean_on_arrival(struct pool_host *h, void *conn, bool first)
{
	const struct kiln_host_ops *ops = h->pool->ops;
	struct strv pending = STRV_INIT;
	bool leftovers = ops->leftovers && ops->leftovers(h->spec, &pending);
	strv_free(&pending);
	unsigned what = (first ? KILN_HOST_CLEAN_STRAYS : 0) | (leftovers ? KILN_HOST_CLEAN_LEFTOVERS : 0);
	if (!what || !ops->clean)
		return;
	struct strv removed = STRV_INIT;
	struct kiln_error e = ERR_INIT;
	if (ops->clean(conn, what, &removed, &e) < 0) {
		ui_warn(ui_global(), "Host %s: cannot remove what earlier builds left there: %s", h->spec->name,
			err_cause(&e));
	}
	report_removed(h->spec, &removed, leftovers ? "what the lost build left" : "what a kiln that is gone left");
	err_clear(&e);
	strv_free(&removed);
}

static void *host_thread(void *arg)
{
	struct pool_host *h = arg;
	struct pool *p = h->pool;
	const struct kiln_host_ops *ops = p->ops;
	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		if (h->state != HOST_UP && h->conn) {
			/* lost or down: that connection is of no further use */
			void *c = h->conn;
			h->conn = NULL;
			pthread_mutex_unlock(&p->lock);
			ops->close(c);
			pthread_mutex_lock(&p->lock);
			continue;
		}
		if (h->state == HOST_UP) {
			void *conn = h->conn;
			pthread_mutex_unlock(&p->lock);
			struct kiln_host_info info = {0};
			struct kiln_error e = ERR_INIT;
			int rc = ops->probe(conn, &info, &e);
			bool alive = rc == 0 || !ops->alive || ops->alive(conn);
			pthread_mutex_lock(&p->lock);
			if (rc == 0 && h->state == HOST_UP) {
				kiln_host_info_free(&h->info);
				h->info = info;
			} else {
				kiln_host_info_free(&info);
			}
			if (!alive && h->state == HOST_UP) {
				h->state = HOST_DOWN;
				free(h->why);
				h->why = xstrdup(err_cause(&e));
				ui_warn(ui_global(), "Host %s (%s) went away: %s", h->spec->name, h->spec->uri, h->why);
				h->announced_down = true;
				pthread_cond_broadcast(&p->cond);
			}
			err_clear(&e);
			if (h->state == HOST_UP)
				wait_ms(p, p->reprobe_ms);
			continue;
		}
		/* (re)connect */
		bool first = !h->ever_up;
		pthread_mutex_unlock(&p->lock);
		void *c = NULL;
		struct kiln_host_info info = {0};
		struct kiln_error e = ERR_INIT;
		int rc = ops->open(h->spec, &c, &e);
		if (rc == 0 && (rc = ops->probe(c, &info, &e)) < 0) {
			ops->close(c);
			c = NULL;
		}
		if (rc == 0)
			clean_on_arrival(h, c, first);
		pthread_mutex_lock(&p->lock);
		if (rc == 0) {
			bool was_gone = h->state == HOST_DOWN || h->state == HOST_LOST;
			kiln_host_info_free(&h->info);
			h->info = info;
			h->conn = c;
			h->state = HOST_UP;
			h->ever_up = true;
			if (was_gone && h->announced_down)
				ui_say(ui_global(), "Host %s (%s) is back", h->spec->name, h->spec->uri);
			h->announced_down = false;
			pthread_cond_broadcast(&p->cond);
			continue;
		}
		if (h->state == HOST_PROBING) {
			h->state = HOST_DOWN;
			free(h->why);
			h->why = xstrdup(err_cause(&e));
			pthread_cond_broadcast(&p->cond);
		}
		err_clear(&e);
		wait_ms(p, p->reconnect_ms);
	}
	void *c = h->conn;
	h->conn = NULL;
	pthread_mutex_unlock(&p->lock);
	if (c)
		ops->close(c);
	pthread_mutex_lock(&p->lock);
	h->thread_done = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct pool *pool_open(const struct kiln_host *hosts, size_t n, const struct kiln_host_ops *ops,
		       const struct pool_options *opts)
{
	struct pool *p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	p->ops = ops;
	p->n = n;
	p->hosts = xcalloc(n ? n : 1, sizeof *p->hosts);
	p->reprobe_ms = opts && opts->reprobe_ms > 0 ? opts->reprobe_ms : 2000;
	p->reconnect_ms = opts && opts->reconnect_ms > 0 ? opts->reconnect_ms : 3000;
	long first_ms = opts && opts->first_probe_ms > 0 ? opts->first_probe_ms : 10000;
	int64_t t0 = time_mono_ns();
	for (size_t i = 0; i < n; i++) {
		p->hosts[i].pool = p;
		p->hosts[i].spec = &hosts[i];
		p->hosts[i].state = HOST_PROBING;
	}
	for (size_t i = 0; i < n; i++)
		p->hosts[i].thread_started = pthread_create(&p->hosts[i].thread, NULL, host_thread, &p->hosts[i]) == 0;

	pthread_mutex_lock(&p->lock);
	long end = time_mono_ms() + first_ms;
	for (;;) {
		size_t probing = 0;
		for (size_t i = 0; i < n; i++)
			if (p->hosts[i].state == HOST_PROBING && p->hosts[i].thread_started)
				probing++;
		if (!probing || time_mono_ms() >= end || sig_cancelled())
			break;
		wait_ms(p, 100);
	}
	for (size_t i = 0; i < n; i++) {
		struct pool_host *h = &p->hosts[i];
		if (!h->thread_started) {
			h->state = HOST_DOWN;
			h->why = xstrdup("cannot start a thread to watch it");
		} else if (h->state == HOST_PROBING) {
			h->state = HOST_DOWN;
			h->why = xasprintf("no answer within %ld s", first_ms / 1000);
		}
		if (h->state == HOST_DOWN) {
			ui_warn(ui_global(), "Host %s (%s) cannot be reached: %s. Skipping it (kiln keeps trying it in the "
					     "background).", h->spec->name, h->spec->uri, h->why);
			h->announced_down = true;
		} else {
			char *mem = ui_format_bytes(h->info.memory), *fr = ui_format_bytes(h->info.free_memory);
			log_debug("pool: %s (%s): %d CPUs, %s memory, %s free, %d builds of other kiln processes",
				  h->spec->name, h->spec->uri, h->info.cpus, mem, fr, h->info.other_builds);
			free(mem);
			free(fr);
		}
	}
	p->first_probe_ns = time_mono_ns() - t0;
	pthread_mutex_unlock(&p->lock);
	log_debug("pool: first probe of %zu hosts took %.3f s", n, (double)p->first_probe_ns / 1e9);
	return p;
}

void pool_close(struct pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	/* A thread stuck in a call to a host that does not answer is not waited for long. */
	long end = time_mono_ms() + 5000;
	bool all_done;
	for (;;) {
		all_done = true;
		for (size_t i = 0; i < p->n; i++)
			if (p->hosts[i].thread_started && !p->hosts[i].thread_done)
				all_done = false;
		if (all_done || time_mono_ms() >= end)
			break;
		wait_ms(p, 100);
	}
	pthread_mutex_unlock(&p->lock);
	for (size_t i = 0; i < p->n; i++) {
		struct pool_host *h = &p->hosts[i];
		if (!h->thread_started)
			continue;
		if (h->thread_done)
			pthread_join(h->thread, NULL);
		else
			pthread_detach(h->thread);
	}
	for (size_t i = 0; i < p->n; i++) {
		struct strv names = STRV_INIT;
		if (p->ops->leftovers && p->ops->leftovers(p->hosts[i].spec, &names)) {
			char *list = strv_join(&names, ", ");
			ui_warn(ui_global(), "Host %s (%s) is still gone: these could not be removed there: %s. Run `kiln hosts "
					     "clean` once it is back.", p->hosts[i].spec->name, p->hosts[i].spec->uri, list);
			free(list);
		}
		strv_free(&names);
	}
	if (p->placements)
		log_debug("pool: scheduling overhead %.4f s per build (first probe %.3f s over %zu placements, "
			  "decisions %.6f s in all)", (double)pool_overhead_ns(p) / 1e9, (double)p->first_probe_ns / 1e9,
			  p->placements, (double)p->decide_ns / 1e9);
	if (!all_done)
		return;   /* a thread still uses the pool: leave it to the process's exit */
	for (size_t i = 0; i < p->n; i++) {
		kiln_host_info_free(&p->hosts[i].info);
		free(p->hosts[i].why);
	}
	free(p->hosts);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

const struct kiln_host *pool_host(const struct pool *p, size_t i)
{
	return i < p->n ? p->hosts[i].spec : NULL;
}

int pool_find_uri(const struct pool *p, const char *uri)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->hosts[i].spec->uri, uri) == 0)
			return (int)i;
	return -1;
}

size_t pool_usable(struct pool *p)
{
	size_t k = 0;
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->n; i++)
		if (p->hosts[i].state == HOST_UP)
			k++;
	pthread_mutex_unlock(&p->lock);
	return k;
}

static void fill_sched(struct pool *p, struct sched_host *sh, int exclude, int only)
{
	for (size_t i = 0; i < p->n; i++) {
		struct pool_host *h = &p->hosts[i];
		int max = h->spec->max_builds > 0 ? h->spec->max_builds : h->info.cpus;
		sh[i] = (struct sched_host){
			.usable = h->state == HOST_UP && (int)i != exclude && (only < 0 || (int)i == only),
			.cpus = h->info.cpus, .memory = h->info.memory, .free_memory = h->info.free_memory,
			.reserve = h->spec->reserve_memory, .slots = max > 0 ? max : 1, .running = h->running,
			.running_memory = h->running_memory, .others = h->info.other_builds,
		};
	}
}

int pool_acquire(struct pool *p, const struct kiln_placement *need, int exclude, int only, struct ui *ui,
		 struct kiln_error *err)
{
	struct sched_host *sh = xcalloc(p->n ? p->n : 1, sizeof *sh);
	struct sched_need sn = {need->cpus, need->memory};
	bool said = false;
	int rc = -1;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (sig_cancelled()) {
			err_set_kind(err, ERR_CANCELLED, "cancelled while waiting for a host");
			break;
		}
		int64_t t0 = time_mono_ns();
		fill_sched(p, sh, exclude, only);
		int pick = sched_pick(sh, p->n, &sn);
		p->decide_ns += time_mono_ns() - t0;
		if (pick >= 0) {
			struct pool_host *h = &p->hosts[pick];
			h->running++;
			h->running_memory += need->memory;
			p->placements++;
			rc = pick;
			break;
		}
		if (pick == SCHED_NEVER) {
			size_t up = 0;
			for (size_t i = 0; i < p->n; i++)
				if (sh[i].usable)
					up++;
			if (up) {
				const char **names = xcalloc(p->n, sizeof *names);
				for (size_t i = 0; i < p->n; i++)
					names[i] = p->hosts[i].spec->name;
				char *why = sched_never_reason(sh, names, p->n, &sn);
				err_set_kind(err, ERR_INVALID, "no host of the pool can run this build: %s", why);
				err_hint(err, "lower the build's memory, or add a host with more memory to the pool (docs/hosts.md)");
				free(why);
				free(names);
			} else if (only >= 0) {
				err_set_kind(err, ERR_HOST_LOST, "host %s (%s), which libvirt_uri names, cannot be reached",
					     p->hosts[only].spec->name, p->hosts[only].spec->uri);
			} else if (exclude >= 0) {
				err_set_kind(err, ERR_HOST_LOST, "no other host of the pool can be reached to run the build on");
			} else {
				err_set_kind(err, ERR_HOST_LOST, "no host of the pool can be reached");
				err_hint(err, "check the hosts' libvirt daemons and their URIs (`kiln hosts` lists them)");
			}
			break;
		}
		if (!said) {
			ui_say(ui, "Waiting for a host: every host that can take this build is busy...");
			said = true;
		}
		wait_ms(p, 500);
	}
	pthread_mutex_unlock(&p->lock);
	free(sh);
	return rc;
}

void pool_release(struct pool *p, int host, const struct kiln_placement *need, bool lost)
{
	if (host < 0 || (size_t)host >= p->n)
		return;
	pthread_mutex_lock(&p->lock);
	struct pool_host *h = &p->hosts[host];
	h->running--;
	h->running_memory -= need->memory < h->running_memory ? need->memory : h->running_memory;
	if (lost && h->state == HOST_UP) {
		/* the build that lost it says so; the host thread reconnects and says when it is back */
		h->state = HOST_LOST;
		free(h->why);
		h->why = xstrdup("lost during a build");
		h->announced_down = true;
	}
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

int64_t pool_overhead_ns(const struct pool *p)
{
	if (!p->placements)
		return 0;
	return (p->first_probe_ns + p->decide_ns) / (int64_t)p->placements;
}
