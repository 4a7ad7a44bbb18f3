/* engine.c — runs the builds of a plan, in parallel up to -parallel-builds, and prints Packer's
 * end-of-build summary (human and -machine-readable). */
#include "engine/engine.h"
#include "engine/build.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slots {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int free;  /* < 0: unlimited */
};

struct worker {
	struct build_run *run;
	struct slots *slots;
	struct pool *pool;
	pthread_t thread;
	bool started;
};

static void report_finished(struct build_run *r, struct pool *pool)
{
	char *d = duration_words_ns(r->elapsed_ns);
	struct buf where = BUF_INIT;
	if (r->host >= 0) {
		buf_printf(&where, " on %s", pool_host(pool, (size_t)r->host)->name);
		if (r->lost_host)
			buf_printf(&where, " (after %s was lost)", r->lost_host);
	}
	if (!r->failed) {
		ui_say_plain(r->ui, "Build '%s' finished after %s%s.", r->build->name, d, buf_cstr(&where));
	} else {
		char *m = err_text(&r->err);
		if (r->err.detail)
			log_debug("build %s: %s", r->build->name, r->err.detail);
		ui_error_plain(r->ui, "Build '%s' errored after %s%s: %s", r->build->name, d, buf_cstr(&where), m);
		free(m);
	}
	buf_free(&where);
	free(d);
}

static void announce_host(struct build_run *r, struct pool *pool)
{
	const struct kiln_host *h = pool_host(pool, (size_t)r->host);
	r->ctx.host = h;
	ui_set_host(r->ui, h->name);
	ui_machine(r->ui, "host", h->name, h->uri, NULL);
	ui_say(r->ui, "Running on host %s (%s)", h->name, h->uri);
}

/* A build on the pool: run it where it was placed; when that host goes away during the build, run it
 * once more on another one. */
static void run_on_pool(struct build_run *r, struct pool *pool)
{
	long start = time_mono_ms();
	for (int attempt = 1;; attempt++) {
		announce_host(r, pool);
		build_execute(r);
		bool lost = r->failed && err_is(&r->err, ERR_HOST_LOST) && !sig_cancelled();
		pool_release(pool, r->host, &r->need, lost);
		if (!lost || attempt > 1 || r->only_host >= 0)
			break;
		const struct kiln_host *gone = pool_host(pool, (size_t)r->host);
		char *m = err_text(&r->err);
		ui_error(r->ui, "Host %s was lost during the build: %s", gone->name, m);
		free(m);
		r->lost_host = xstrdup(gone->name);
		struct kiln_error e = ERR_INIT;
		int prev = r->host;
		ui_set_host(r->ui, NULL);
		ui_say(r->ui, "Retrying the build once on another host...");
		int next = pool_acquire(pool, &r->need, prev, -1, r->ui, &e);
		if (next < 0) {
			err_wrap(&e, "retrying after host %s was lost", gone->name);
			build_run_reset(r);
			err_move(&r->err, &e);
			r->failed = true;
			break;
		}
		build_run_reset(r);
		r->host = next;
	}
	r->elapsed_ns = (int64_t)(time_mono_ms() - start) * 1000000LL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	if (w->run->host >= 0)
		run_on_pool(w->run, w->pool);
	else
		build_execute(w->run);
	report_finished(w->run, w->pool);
	pthread_mutex_lock(&w->slots->lock);
	if (w->slots->free >= 0)
		w->slots->free++;
	pthread_cond_broadcast(&w->slots->cond);
	pthread_mutex_unlock(&w->slots->lock);
	return NULL;
}

static void print_artifacts(struct build_run *r, const char *host)
{
	struct ui *u = r->ui;
	char num[32], cnt[32];
	snprintf(cnt, sizeof cnt, "%zu", r->nartifacts);
	ui_machine(u, "artifact-count", cnt, NULL);
	for (size_t i = 0; i < r->nartifacts; i++) {
		struct kiln_artifact *a = r->artifacts[i];
		snprintf(num, sizeof num, "%zu", i);
		ui_machine(u, "artifact", num, "builder-id", a->builder_id, NULL);
		ui_machine(u, "artifact", num, "id", a->id, NULL);
		ui_machine(u, "artifact", num, "string", a->description, NULL);
		snprintf(cnt, sizeof cnt, "%zu", a->files.n);
		ui_machine(u, "artifact", num, "files-count", cnt, NULL);
		for (size_t f = 0; f < a->files.n; f++) {
			char fnum[32];
			snprintf(fnum, sizeof fnum, "%zu", f);
			ui_machine(u, "artifact", num, "file", fnum, a->files.v[f], NULL);
		}
		ui_machine(u, "artifact", num, "end", NULL);
		if (host)
			ui_say_plain(ui_global(), "--> %s: %s (built on %s)", r->build->name, a->description, host);
		else
			ui_say_plain(ui_global(), "--> %s: %s", r->build->name, a->description);
	}
}

static void print_summary(struct build_run *runs, size_t n, struct pool *pool, int64_t elapsed_ns,
			  struct engine_result *res)
{
	char *d = duration_words_ns(elapsed_ns);
	ui_say_plain(ui_global(), "\n==> Wait completed after %s", d);
	free(d);
	if (res->failed) {
		char cnt[32];
		snprintf(cnt, sizeof cnt, "%zu", res->failed);
		ui_machine(ui_global(), "error-count", cnt, NULL);
		ui_error_plain(ui_global(), "\n==> Some builds didn't complete successfully and had errors:");
		for (size_t i = 0; i < n; i++) {
			if (!runs[i].failed)
				continue;
			char *m = err_text(&runs[i].err);
			ui_machine(runs[i].ui, "error", m, NULL);
			ui_error_plain(ui_global(), "--> %s: %s", runs[i].build->name, m);
			if (runs[i].err.hint)
				ui_error_plain(ui_global(), "    %s: hint: %s", runs[i].build->name, runs[i].err.hint);
			free(m);
		}
	}
	if (res->artifacts) {
		ui_say_plain(ui_global(), "\n==> Builds finished. The artifacts of successful builds are:");
		for (size_t i = 0; i < n; i++)
			if (runs[i].nartifacts)
				print_artifacts(&runs[i], runs[i].host >= 0 ? pool_host(pool, (size_t)runs[i].host)->name : NULL);
	} else {
		ui_say_plain(ui_global(), "\n==> Builds finished but no artifacts were created.");
	}
	if (res->cancelled)
		ui_error_plain(ui_global(), "Cleanly cancelled builds after being interrupted.");
}

/* The host operations of the first build whose builder runs on hypervisor hosts, or NULL. */
static const struct kiln_host_ops *pool_ops(const struct plan *plan)
{
	for (size_t i = 0; i < plan->nbuilds; i++) {
		const struct kiln_builder *b = plan->builds[i].builder;
		if (b && b->placement && b->host_ops)
			return b->host_ops;
	}
	return NULL;
}

/* Decide, once prepared, whether a build goes on the pool and what it needs there. */
static void plan_placement(struct build_run *r, struct pool *pool)
{
	const struct kiln_builder *b = r->build->builder;
	if (!pool || !b->placement || b->placement(r->builder_instance, &r->need) < 0)
		return;
	if (r->need.pinned_uri) {
		r->only_host = pool_find_uri(pool, r->need.pinned_uri);
		if (r->only_host < 0) {
			ui_say(r->ui, "libvirt_uri names %s, which is not a host of the pool: the build runs there", r->need.pinned_uri);
			return;
		}
	}
	r->on_pool = true;
}

int engine_run(const struct plan *plan, const struct engine_opts *opts, struct engine_result *res)
{
	memset(res, 0, sizeof *res);
	size_t n = plan->nbuilds;
	struct build_run *runs = xcalloc(n ? n : 1, sizeof *runs);
	struct worker *workers = xcalloc(n ? n : 1, sizeof *workers);
	long start = time_mono_ms();
	bool prepared = true;
	struct pool *pool = NULL;

	/* Prepare every build before running any, so configuration errors stop everything early. */
	for (size_t i = 0; i < n; i++) {
		build_run_init(&runs[i], &plan->builds[i], opts, plan->template_dir);
		struct kiln_error e = ERR_INIT;
		if (build_prepare(&runs[i], &e) < 0) {
			char *m = err_text(&e);
			ui_error(runs[i].ui, "Failed preparing build: %s", m);
			if (e.hint)
				ui_error(runs[i].ui, "hint: %s", e.hint);
			free(m);
			err_clear(&e);
			prepared = false;
		}
	}
	if (!prepared) {
		res->failed = n;
		goto out;
	}

	if (opts->nhosts) {
		const struct kiln_host_ops *ops = pool_ops(plan);
		if (!ops)
			ui_warn(ui_global(), "No build of this template runs on libvirt hosts: the host pool is not used");
		else
			pool = pool_open(opts->hosts, opts->nhosts, ops, opts->pool_opts);
		for (size_t i = 0; i < n; i++)
			plan_placement(&runs[i], pool);
	}

	int limit = opts->parallel_builds;
	if (opts->debug) {
		if (n > 1)
			ui_say_plain(ui_global(), "Debug mode enabled. Builds will not be parallelized.");
		limit = 1;
	}
	/* Packer shows each build's colour before any output, when there is colour to show */
	if (ui_stdout_colored() && n > 0) {
		for (size_t i = 0; i < n; i++)
			ui_say_plain(runs[i].ui, "%s: output will be in this color.", runs[i].build->name);
		ui_say_plain(ui_global(), "%s", "");
	}
	struct slots slots = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, limit > 0 ? limit : -1};
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(&slots.lock);
		while (slots.free == 0)
			pthread_cond_wait(&slots.cond, &slots.lock);
		if (slots.free > 0)
			slots.free--;
		pthread_mutex_unlock(&slots.lock);
		if (!sig_cancelled() && runs[i].on_pool) {
			/* builds are placed in order: one that waits for a host holds up the ones after it */
			runs[i].host = pool_acquire(pool, &runs[i].need, -1, runs[i].only_host, runs[i].ui, &runs[i].err);
			if (runs[i].host < 0) {
				runs[i].failed = true;
				report_finished(&runs[i], pool);
				pthread_mutex_lock(&slots.lock);
				if (slots.free >= 0)
					slots.free++;
				pthread_mutex_unlock(&slots.lock);
				continue;
			}
		}
		if (sig_cancelled()) {
			err_set_kind(&runs[i].err, ERR_CANCELLED, "build was cancelled before it started");
			runs[i].failed = true;
			if (runs[i].host >= 0) {
				pool_release(pool, runs[i].host, &runs[i].need, false);
				runs[i].host = -1;
			}
			pthread_mutex_lock(&slots.lock);
			if (slots.free >= 0)
				slots.free++;
			pthread_mutex_unlock(&slots.lock);
			continue;
		}
		workers[i].run = &runs[i];
		workers[i].slots = &slots;
		workers[i].pool = pool;
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) == 0) {
			workers[i].started = true;
		} else {
			/* could not start a thread: run it here */
			worker_main(&workers[i]);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (workers[i].started)
			pthread_join(workers[i].thread, NULL);
	pthread_mutex_destroy(&slots.lock);
	pthread_cond_destroy(&slots.cond);

	for (size_t i = 0; i < n; i++) {
		if (runs[i].failed)
			res->failed++;
		else
			res->succeeded++;
		res->artifacts += runs[i].nartifacts;
	}
	res->cancelled = sig_cancelled();
	print_summary(runs, n, pool, (int64_t)(time_mono_ms() - start) * 1000000LL, res);
out:
	pool_close(pool);
	for (size_t i = 0; i < n; i++)
		build_run_free(&runs[i]);
	free(runs);
	free(workers);
	return res->failed ? -1 : 0;
}
