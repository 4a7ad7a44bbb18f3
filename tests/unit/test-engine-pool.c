/* test-engine-pool.c — the build pool: the scheduler's decision (load, slots, memory, reserve, other
 * kiln processes' builds, waiting versus never), and the engine over fake hosts: builds spread and stay
 * within each host's limit and -parallel-builds, an unreachable host is skipped, a build whose host
 * goes away is retried exactly once elsewhere (and fails, saying why, when there is nowhere else), and
 * what it left there is removed when the host is back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component.h"
#include "engine/engine.h"
#include "engine/pool.h"
#include "engine/sched.h"
#include "ui/ui.h"
#include "ui-capture.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)

/* ------------------------------------------------------------------------------------------------
 * sched_pick */

static struct sched_host host(int slots, int running, uint64_t free_gib)
{
	return (struct sched_host){.usable = true, .cpus = 4, .memory = 32 * GiB, .free_memory = free_gib * GiB,
				   .slots = slots, .running = running, .running_memory = (uint64_t)running * GiB};
}

static void test_pick_least_loaded(void **state)
{
	(void)state;
	struct sched_need need = {1, GiB};
	struct sched_host h[3] = {host(2, 1, 20), host(4, 1, 20), host(2, 0, 20)};
	/* loads 1/2, 1/4, 0/2: the idle one */
	assert_int_equal(sched_pick(h, 3, &need), 2);
	h[2].running = 2;
	/* 1/2, 1/4, 2/2 (full): the one at a quarter */
	assert_int_equal(sched_pick(h, 3, &need), 1);
	/* a tie on load goes to the one with more memory left, then to the first listed */
	struct sched_host t[3] = {host(2, 0, 10), host(2, 0, 12), host(2, 0, 12)};
	assert_int_equal(sched_pick(t, 3, &need), 1);
	/* ... but first to one with enough CPUs for the build */
	struct sched_need wide = {8, GiB};
	t[2].cpus = 8;
	assert_int_equal(sched_pick(t, 3, &wide), 2);
}

static void test_pick_slots_and_others(void **state)
{
	(void)state;
	struct sched_need need = {1, GiB};
	struct sched_host h[2] = {host(1, 1, 20), host(2, 0, 20)};
	h[1].others = 2;   /* another kiln fills it */
	assert_int_equal(sched_pick(h, 2, &need), SCHED_WAIT);
	h[1].others = 1;
	assert_int_equal(sched_pick(h, 2, &need), 1);
	h[1].usable = false;
	assert_int_equal(sched_pick(h, 2, &need), SCHED_WAIT);
	h[0].usable = false;
	assert_int_equal(sched_pick(h, 2, &need), SCHED_NEVER);
}

static void test_pick_memory(void **state)
{
	(void)state;
	struct sched_need need = {1, 4 * GiB};
	struct sched_host h[2] = {host(8, 0, 3), host(8, 0, 6)};
	assert_int_equal(sched_pick(h, 2, &need), 1);
	/* the reserve is kept */
	h[1].reserve = 3 * GiB;
	assert_int_equal(sched_pick(h, 2, &need), SCHED_NEVER);
	/* what kiln's running builds were given counts although the host does not show it yet: it waits */
	h[1].reserve = 0;
	h[1].running = 1;
	h[1].running_memory = 4 * GiB;
	assert_int_equal(sched_pick(h, 2, &need), SCHED_WAIT);
	assert_int_equal(sched_memory_left(&h[1]), 2 * GiB);
	/* never: too big for any host even once kiln's builds are done */
	struct sched_need huge = {1, 64 * GiB};
	assert_int_equal(sched_pick(h, 2, &huge), SCHED_NEVER);
	const char *names[] = {"a", "b"};
	char *why = sched_never_reason(h, names, 2, &huge);
	assert_non_null(strstr(why, "64.0 GiB"));
	assert_non_null(strstr(why, "b, has 10.0 GiB free"));
	free(why);
	/* another kiln's builds may end: a host running some is waited for */
	h[0].others = 1;
	h[0].free_memory = 1 * GiB;
	struct sched_need eight = {1, 8 * GiB};
	assert_int_equal(sched_pick(h, 2, &eight), SCHED_WAIT);
}

/* ------------------------------------------------------------------------------------------------
 * Fake hosts */

struct fake_host {
	const char *name;
	bool up;
	int opens, cleans;
	bool leftover;          /* a lost build left something there */
	int running, max_running;
};

static pthread_mutex_t fk_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fake_host fakes[3];
static struct kiln_host hosts[3];

static struct fake_host *fake_of(const struct kiln_host *h)
{
	return &fakes[h - hosts];
}

static int fk_open(const struct kiln_host *h, void **conn, struct kiln_error *err)
{
	struct fake_host *f = fake_of(h);
	pthread_mutex_lock(&fk_lock);
	bool up = f->up;
	f->opens++;
	pthread_mutex_unlock(&fk_lock);
	if (!up)
		return err_set(err, "Connection refused");
	*conn = f;
	return 0;
}

static void fk_close(void *conn)
{
	(void)conn;
}

static bool fk_alive(void *conn)
{
	struct fake_host *f = conn;
	pthread_mutex_lock(&fk_lock);
	bool up = f->up;
	pthread_mutex_unlock(&fk_lock);
	return up;
}

static int fk_probe(void *conn, struct kiln_host_info *info, struct kiln_error *err)
{
	if (!fk_alive(conn))
		return err_set(err, "client socket is closed");
	*info = (struct kiln_host_info){.cpus = 2, .memory = 8 * GiB, .free_memory = 6 * GiB};
	return 0;
}

static int fk_clean(void *conn, unsigned what, struct strv *removed, struct kiln_error *err)
{
	(void)err;
	struct fake_host *f = conn;
	pthread_mutex_lock(&fk_lock);
	f->cleans++;
	if ((what & KILN_HOST_CLEAN_LEFTOVERS) && f->leftover) {
		strv_pushf(removed, "domain kiln-x-on-%s", f->name);
		f->leftover = false;
	}
	pthread_mutex_unlock(&fk_lock);
	return 0;
}

static bool fk_leftovers(const struct kiln_host *h, struct strv *names)
{
	struct fake_host *f = fake_of(h);
	pthread_mutex_lock(&fk_lock);
	bool l = f->leftover;
	pthread_mutex_unlock(&fk_lock);
	if (l)
		strv_pushf(names, "domain kiln-x-on-%s", f->name);
	return l;
}

static const struct kiln_host_ops fake_ops = {
	.open = fk_open, .close = fk_close, .alive = fk_alive, .probe = fk_probe, .clean = fk_clean,
	.leftovers = fk_leftovers,
};

static const struct pool_options quick = {.first_probe_ms = 2000, .reprobe_ms = 20, .reconnect_ms = 20};

static void setup_hosts(int max_builds)
{
	static const char *names[] = {"a", "b", "c"};
	for (size_t i = 0; i < 3; i++) {
		fakes[i] = (struct fake_host){.name = names[i], .up = true};
		hosts[i] = (struct kiln_host){.name = names[i], .uri = names[i], .max_builds = max_builds,
					      .cache_size = 0};
	}
}


static void test_pool_skips_unreachable_and_spreads(void **state)
{
	(void)state;
	setup_hosts(1);
	fakes[2].up = false;
	capture_start(false);
	struct pool *p = pool_open(hosts, 3, &fake_ops, &quick);
	assert_int_equal(pool_usable(p), 2);
	struct kiln_placement need = {1, 256 * MiB, NULL};
	struct kiln_error e = ERR_INIT;
	int h1 = pool_acquire(p, &need, -1, -1, ui_global(), &e);
	int h2 = pool_acquire(p, &need, -1, -1, ui_global(), &e);
	assert_true(h1 >= 0 && h2 >= 0 && h1 != h2 && h1 < 2 && h2 < 2);
	/* exclude and only */
	pool_release(p, h1, &need, false);
	assert_int_equal(pool_acquire(p, &need, h2, -1, ui_global(), &e), h1);
	pool_release(p, h1, &need, false);
	assert_int_equal(pool_acquire(p, &need, -1, h1, ui_global(), &e), h1);
	pool_release(p, h1, &need, false);
	/* the pinned host cannot be reached: no waiting for it */
	assert_int_equal(pool_acquire(p, &need, -1, 2, ui_global(), &e), -1);
	assert_true(err_is(&e, ERR_HOST_LOST));
	assert_non_null(strstr(err_cause(&e), "cannot be reached"));
	err_clear(&e);
	/* too big for every host */
	struct kiln_placement big = {1, 64 * GiB, NULL};
	assert_int_equal(pool_acquire(p, &big, -1, -1, ui_global(), &e), -1);
	assert_true(err_is(&e, ERR_INVALID));
	err_clear(&e);
	pool_release(p, h2, &need, false);
	pool_close(p);
	capture_stop();
	assert_non_null(strstr(err_data, "Host c (c) cannot be reached: Connection refused. Skipping it"));
	capture_free();
}

/* A host that comes back: reconnected to, its leftovers removed first, and it takes builds again. */
static void test_pool_lost_host_comes_back(void **state)
{
	(void)state;
	setup_hosts(1);
	capture_start(false);
	struct pool *p = pool_open(hosts, 2, &fake_ops, &quick);
	struct kiln_placement need = {1, 256 * MiB, NULL};
	struct kiln_error e = ERR_INIT;
	int h = pool_acquire(p, &need, -1, -1, ui_global(), &e);
	assert_int_equal(h, 0);
	pthread_mutex_lock(&fk_lock);
	fakes[0].up = false;
	fakes[0].leftover = true;
	pthread_mutex_unlock(&fk_lock);
	pool_release(p, h, &need, true);
	/* the other host takes the next build; the lost one does not */
	int again = pool_acquire(p, &need, -1, 0, ui_global(), &e);
	assert_int_equal(again, -1);
	err_clear(&e);
	pthread_mutex_lock(&fk_lock);
	fakes[0].up = true;
	pthread_mutex_unlock(&fk_lock);
	long end = time_mono_ms() + 5000;
	while (pool_usable(p) < 2 && time_mono_ms() < end)
		sleep_cancellable_ms(10);
	assert_int_equal(pool_usable(p), 2);
	pthread_mutex_lock(&fk_lock);
	assert_false(fakes[0].leftover);
	pthread_mutex_unlock(&fk_lock);
	assert_int_equal(pool_acquire(p, &need, -1, 0, ui_global(), &e), 0);
	pool_release(p, 0, &need, false);
	pool_close(p);
	capture_stop();
	assert_non_null(strstr(out_data, "Host a: removed what the lost build left: domain kiln-x-on-a"));
	assert_non_null(strstr(out_data, "Host a (a) is back"));
	capture_free();
}

/* ------------------------------------------------------------------------------------------------
 * The engine over the pool */

struct kiln_config {
	const char *behaviour;
};

static int fake_eval(struct tmpl *t, const struct plan_build *b, const struct plan_step *s,
		     const struct strv *build_data, struct kiln_config **cfg, struct kiln_error *err)
{
	(void)t;
	(void)b;
	(void)s;
	(void)build_data;
	(void)err;
	*cfg = xcalloc(1, sizeof **cfg);
	return 0;
}

static void fake_config_free(struct kiln_config *c)
{
	free(c);
}

static const struct engine_tmpl_ops tmpl_ops = {fake_eval, fake_config_free, NULL};

static int attempts;
static int total_running, total_max; /* over every host */

static int fb_prepare(const struct kiln_config *cfg, void **inst, struct strv *warnings, struct kiln_error *err)
{
	(void)warnings;
	(void)err;
	*inst = (void *)cfg->behaviour;
	return 0;
}

static int fb_run(void *inst, struct kiln_ctx *ctx, struct kiln_artifact **artifact, struct kiln_error *err)
{
	const char *b = inst;
	assert_non_null(ctx->host);
	struct fake_host *f = fake_of(ctx->host);
	pthread_mutex_lock(&fk_lock);
	attempts++;
	f->running++;
	if (f->running > f->max_running)
		f->max_running = f->running;
	if (++total_running > total_max)
		total_max = total_running;
	bool lose = (strcmp(b, "lose-a") == 0 && f == &fakes[0]) || strcmp(b, "lose-any") == 0;
	if (lose) {
		f->up = false;
		f->leftover = true;
	}
	pthread_mutex_unlock(&fk_lock);
	sleep_cancellable_ms(50);
	pthread_mutex_lock(&fk_lock);
	f->running--;
	total_running--;
	pthread_mutex_unlock(&fk_lock);
	if (lose)
		return err_set_kind(err, ERR_HOST_LOST, "reading the state of kiln-x: the connection to libvirt at %s was lost",
				    ctx->host->uri);
	*artifact = kiln_artifact_new("fake.builder", ctx->source_name, "VM files in directory: out");
	return 0;
}

static int fb_placement(void *inst, struct kiln_placement *p)
{
	(void)inst;
	*p = (struct kiln_placement){1, 256 * MiB, NULL};
	return 0;
}

static const struct kiln_builder pool_builder = {
	.type = "fake", .builder_id = "fake.builder", .prepare = fb_prepare, .run = fb_run,
	.placement = fb_placement, .host_ops = &fake_ops,
};

static struct kiln_config cfgs[8];
static int parallel_builds; /* -parallel-builds of run_on (0: no bound) */

static int run_on(const char *const *behaviours, size_t n, size_t nhosts, struct engine_result *res)
{
	struct plan_build b[8];
	memset(b, 0, sizeof b);
	for (size_t i = 0; i < n; i++) {
		cfgs[i].behaviour = behaviours[i];
		b[i].name = xasprintf("fake.b%zu", i);
		b[i].builder_type = "fake";
		b[i].source_name = b[i].name + 5;
		b[i].builder = &pool_builder;
		b[i].builder_config = &cfgs[i];
	}
	struct plan plan = {.builds = b, .nbuilds = n, .template_dir = "."};
	struct engine_opts opts = {.tmpl_ops = &tmpl_ops, .hosts = hosts, .nhosts = nhosts, .pool_opts = &quick,
				 .parallel_builds = parallel_builds};
	attempts = 0;
	total_running = total_max = 0;
	capture_start(false);
	int rc = engine_run(&plan, &opts, res);
	capture_stop();
	for (size_t i = 0; i < n; i++)
		free(b[i].name);
	return rc;
}

static void test_engine_spreads_within_limits(void **state)
{
	(void)state;
	setup_hosts(1);
	const char *ok[] = {"ok", "ok", "ok", "ok"};
	struct engine_result res;
	assert_int_equal(run_on(ok, 4, 2, &res), 0);
	assert_int_equal(res.succeeded, 4);
	assert_int_equal(attempts, 4);
	/* one build at a time on each host (max_builds = 1), and both hosts were used */
	assert_int_equal(fakes[0].max_running, 1);
	assert_int_equal(fakes[1].max_running, 1);
	assert_non_null(strstr(out_data, " on a."));
	assert_non_null(strstr(out_data, " on b."));
	assert_non_null(strstr(out_data, "==> fake.b0@"));
	assert_non_null(strstr(out_data, "(built on "));
	capture_free();
}

static void test_engine_retries_once_elsewhere(void **state)
{
	(void)state;
	setup_hosts(2);
	/* b0 goes to host a (first listed, all idle), which goes away: once more on b */
	const char *lose[] = {"lose-a"};
	struct engine_result res;
	assert_int_equal(run_on(lose, 1, 2, &res), 0);
	assert_int_equal(attempts, 2);
	assert_int_equal(res.succeeded, 1);
	assert_non_null(strstr(err_data, "Host a was lost during the build"));
	assert_non_null(strstr(out_data, "Retrying the build once on another host"));
	assert_non_null(strstr(out_data, "finished after"));
	assert_non_null(strstr(out_data, "on b (after a was lost)."));
	capture_free();

	/* losing the second host too: no third attempt */
	setup_hosts(2);
	const char *lose_any[] = {"lose-any"};
	assert_int_not_equal(run_on(lose_any, 1, 2, &res), 0);
	assert_int_equal(attempts, 2);
	assert_int_equal(res.failed, 1);
	assert_non_null(strstr(err_data, "errored after"));
	capture_free();
}

/* -parallel-builds bounds the builds running at once over the whole pool, whatever room the hosts have */
static void test_engine_parallel_builds_bounds_the_pool(void **state)
{
	(void)state;
	setup_hosts(2);
	const char *ok[] = {"ok", "ok", "ok", "ok"};
	struct engine_result res;
	parallel_builds = 1;
	assert_int_equal(run_on(ok, 4, 2, &res), 0);
	parallel_builds = 0;
	assert_int_equal(res.succeeded, 4);
	assert_int_equal(total_max, 1);
	capture_free();
}

/* A lost host and no other host to retry on: the build fails, saying why, after one attempt. */
static void test_engine_lost_with_nowhere_else(void **state)
{
	(void)state;
	setup_hosts(1);
	const char *lose[] = {"lose-a"};
	struct engine_result res;
	assert_int_not_equal(run_on(lose, 1, 1, &res), 0);
	assert_int_equal(attempts, 1);
	assert_int_equal(res.failed, 1);
	assert_non_null(strstr(err_data, "Host a was lost during the build"));
	assert_non_null(strstr(err_data, "retrying after host a was lost"));
	assert_non_null(strstr(err_data, "Build 'fake.b0' errored after "));
	capture_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick_least_loaded),
		cmocka_unit_test(test_pick_slots_and_others),
		cmocka_unit_test(test_pick_memory),
		cmocka_unit_test(test_pool_skips_unreachable_and_spreads),
		cmocka_unit_test(test_pool_lost_host_comes_back),
		cmocka_unit_test(test_engine_spreads_within_limits),
		cmocka_unit_test(test_engine_retries_once_elsewhere),
		cmocka_unit_test(test_engine_parallel_builds_bounds_the_pool),
		cmocka_unit_test(test_engine_lost_with_nowhere_else),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
