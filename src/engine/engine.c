/* engine.c — runs the builds of a plan, in parallel up to -parallel-builds, and prints Packer's
 * end-of-build summary (human and -machine-readable). */
#include "engine/engine.h"
#include "engine/build.h"
#include "ui/ui.h"
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
	pthread_t thread;
	bool started;
};

static void report_finished(struct build_run *r)
{
	char *d = duration_words_ns(r->elapsed_ns);
	if (!r->failed) {
		ui_say_plain(r->ui, "Build '%s' finished after %s.", r->build->name, d);
	} else {
		char *m = err_text(&r->err);
		if (r->err.detail)
			log_debug("build %s: %s", r->build->name, r->err.detail);
		ui_error_plain(r->ui, "Build '%s' errored after %s: %s", r->build->name, d, m);
		free(m);
	}
	free(d);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	build_execute(w->run);
	report_finished(w->run);
	pthread_mutex_lock(&w->slots->lock);
	if (w->slots->free >= 0)
		w->slots->free++;
	pthread_cond_broadcast(&w->slots->cond);
	pthread_mutex_unlock(&w->slots->lock);
	return NULL;
}

static void print_artifacts(struct build_run *r)
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
		ui_say_plain(ui_global(), "--> %s: %s", r->build->name, a->description);
	}
}

static void print_summary(struct build_run *runs, size_t n, int64_t elapsed_ns, struct engine_result *res)
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
				print_artifacts(&runs[i]);
	} else {
		ui_say_plain(ui_global(), "\n==> Builds finished but no artifacts were created.");
	}
	if (res->cancelled)
		ui_error_plain(ui_global(), "Cleanly cancelled builds after being interrupted.");
}

int engine_run(const struct plan *plan, const struct engine_opts *opts, struct engine_result *res)
{
	memset(res, 0, sizeof *res);
	size_t n = plan->nbuilds;
	struct build_run *runs = xcalloc(n ? n : 1, sizeof *runs);
	struct worker *workers = xcalloc(n ? n : 1, sizeof *workers);
	long start = time_mono_ms();
	bool prepared = true;

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
		if (sig_cancelled()) {
			err_set_kind(&runs[i].err, ERR_CANCELLED, "build was cancelled before it started");
			runs[i].failed = true;
			pthread_mutex_lock(&slots.lock);
			if (slots.free >= 0)
				slots.free++;
			pthread_mutex_unlock(&slots.lock);
			continue;
		}
		workers[i].run = &runs[i];
		workers[i].slots = &slots;
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
	print_summary(runs, n, (int64_t)(time_mono_ms() - start) * 1000000LL, res);
out:
	for (size_t i = 0; i < n; i++)
		build_run_free(&runs[i]);
	free(runs);
	free(workers);
	return res->failed ? -1 : 0;
}
