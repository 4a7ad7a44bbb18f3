/* test-engine-steps.c — the step runner: order, reverse cleanup, -on-error, cancellation, -debug. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/steps.h"
#include "util/buf.h"
#include "util/signals.h"

struct trace {
	struct buf log;     /* "r1 r2 c2 c1 " */
	int fail_at;        /* step number whose run fails (0: none) */
	int cancel_at;      /* step number whose run cancels */
	int fail_times;     /* how many times the failing step fails before succeeding */
	struct steps_opts *opts;
	enum steps_outcome seen_in_cleanup;
};

#define STEP_FNS(N)                                                                 \
	static int run##N(void *s, struct kiln_error *err)                          \
	{                                                                           \
		struct trace *t = s;                                                \
		buf_printf(&t->log, "r%d ", N);                                     \
		if (t->cancel_at == N) {                                            \
			sig_request_cancel();                                       \
			return err_set_kind(err, ERR_CANCELLED, "interrupted");     \
		}                                                                   \
		if (t->fail_at == N && t->fail_times-- > 0)                         \
			return err_set(err, "boom %d", N);                          \
		return 0;                                                           \
	}                                                                           \
	__attribute__((unused)) static void clean##N(void *s)                                             \
	{                                                                           \
		struct trace *t = s;                                                \
		buf_printf(&t->log, "c%d ", N);                                     \
		if (t->opts && t->opts->outcome)                                    \
			t->seen_in_cleanup = *t->opts->outcome;                     \
	}

STEP_FNS(1)
STEP_FNS(2)
STEP_FNS(3)

static const struct step steps[] = {
	{"one", run1, clean1},
	{"two", run2, clean2},
	{"three", run3, NULL},
};

static int run_with(struct trace *t, struct kiln_ctx *ctx, enum steps_outcome *outcome, int64_t *times,
		    struct kiln_error *err)
{
	struct steps_opts o = {.ctx = ctx, .outcome = outcome, .times_ns = times};
	t->opts = &o;
	int rc = steps_run(steps, 3, t, &o, err);
	t->opts = NULL;
	return rc;
}

static void test_success_runs_all_and_cleans_in_reverse(void **state)
{
	(void)state;
	struct trace t = {.log = BUF_INIT};
	struct kiln_error err = ERR_INIT;
	enum steps_outcome out;
	int64_t times[3];
	assert_int_equal(run_with(&t, NULL, &out, times, &err), 0);
	assert_string_equal(buf_cstr(&t.log), "r1 r2 r3 c2 c1 ");
	assert_int_equal(out, STEPS_SUCCEEDED);
	assert_int_equal(t.seen_in_cleanup, STEPS_SUCCEEDED);
	assert_true(times[0] >= 0 && times[2] >= 0);
	assert_false(err_isset(&err));
	buf_free(&t.log);
}

static void test_failure_cleans_up_including_failed_step(void **state)
{
	(void)state;
	struct trace t = {.log = BUF_INIT, .fail_at = 2, .fail_times = 1};
	struct kiln_error err = ERR_INIT;
	enum steps_outcome out;
	struct kiln_ctx ctx = {.on_error = KILN_ON_ERROR_CLEANUP};
	assert_int_equal(run_with(&t, &ctx, &out, NULL, &err), -1);
	assert_string_equal(buf_cstr(&t.log), "r1 r2 c2 c1 ");
	assert_int_equal(out, STEPS_FAILED);
	assert_int_equal(t.seen_in_cleanup, STEPS_FAILED);
	char *text = err_text(&err);
	assert_string_equal(text, "step \"two\": boom 2");
	free(text);
	err_clear(&err);
	buf_free(&t.log);
}

static void test_abort_keeps_everything(void **state)
{
	(void)state;
	struct trace t = {.log = BUF_INIT, .fail_at = 3, .fail_times = 1};
	struct kiln_error err = ERR_INIT;
	enum steps_outcome out;
	struct kiln_ctx ctx = {.on_error = KILN_ON_ERROR_ABORT};
	assert_int_equal(run_with(&t, &ctx, &out, NULL, &err), -1);
	assert_string_equal(buf_cstr(&t.log), "r1 r2 r3 ");
	assert_int_equal(out, STEPS_ABORTED);
	err_clear(&err);
	buf_free(&t.log);
}

static int always_cleanup(void *state, const struct kiln_error *err)
{
	(void)state;
	return strstr(err_cause(err), "boom") ? KILN_ON_ERROR_CLEANUP : -1;
}

static void test_policy_overrides_abort(void **state)
{
	(void)state;
	struct trace t = {.log = BUF_INIT, .fail_at = 2, .fail_times = 1};
	struct kiln_error err = ERR_INIT;
	enum steps_outcome out;
	struct kiln_ctx ctx = {.on_error = KILN_ON_ERROR_ABORT};
	struct steps_opts o = {.ctx = &ctx, .outcome = &out, .policy = always_cleanup};
	assert_int_equal(steps_run(steps, 3, &t, &o, &err), -1);
	assert_string_equal(buf_cstr(&t.log), "r1 r2 c2 c1 ");
	assert_int_equal(out, STEPS_FAILED);
	err_clear(&err);
	buf_free(&t.log);
}

static void test_cancel_cleans_up_even_with_abort(void **state)
{
	(void)state;
	struct trace t = {.log = BUF_INIT, .cancel_at = 2};
	struct kiln_error err = ERR_INIT;
	enum steps_outcome out;
	struct kiln_ctx ctx = {.on_error = KILN_ON_ERROR_ABORT};
	assert_int_equal(run_with(&t, &ctx, &out, NULL, &err), -1);
	assert_string_equal(buf_cstr(&t.log), "r1 r2 c2 c1 ");
	assert_int_equal(out, STEPS_CANCELLED);
	assert_true(err_is(&err, ERR_CANCELLED));
	sig_reset();
	err_clear(&err);
	buf_free(&t.log);
}

static void test_ask_without_terminal_cleans_up(void **state)
{
	(void)state;
	struct trace t = {.log = BUF_INIT, .fail_at = 1, .fail_times = 1};
	struct kiln_error err = ERR_INIT;
	enum steps_outcome out;
	struct kiln_ctx ctx = {.on_error = KILN_ON_ERROR_ASK};
	assert_int_equal(run_with(&t, &ctx, &out, NULL, &err), -1);
	assert_string_equal(buf_cstr(&t.log), "r1 c1 ");
	assert_int_equal(out, STEPS_FAILED);
	err_clear(&err);
	buf_free(&t.log);
}

static struct buf paused = BUF_INIT;
static int pause_limit;

static int record_pause(struct kiln_ctx *ctx, const char *name)
{
	(void)ctx;
	if (pause_limit-- <= 0)
		return -1;
	buf_printf(&paused, "[%s]", name);
	return 0;
}

static void test_debug_pauses_before_each_step(void **state)
{
	(void)state;
	static const struct kiln_ctx_ops ops = {.pause = record_pause};
	struct kiln_ctx ctx = {.debug = true, .ops = &ops};
	struct trace t = {.log = BUF_INIT};
	struct kiln_error err = ERR_INIT;
	pause_limit = 10;
	assert_int_equal(run_with(&t, &ctx, NULL, NULL, &err), 0);
	assert_string_equal(buf_cstr(&paused), "[one][two][three]");
	buf_reset(&paused);
	buf_reset(&t.log);

	/* a pause that is answered with Ctrl-C stops the build and cleans up what ran */
	pause_limit = 1;
	assert_int_equal(run_with(&t, &ctx, NULL, NULL, &err), -1);
	assert_true(err_is(&err, ERR_CANCELLED));
	assert_string_equal(buf_cstr(&t.log), "r1 c1 ");
	err_clear(&err);
	buf_free(&paused);
	buf_free(&t.log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success_runs_all_and_cleans_in_reverse),
		cmocka_unit_test(test_failure_cleans_up_including_failed_step),
		cmocka_unit_test(test_abort_keeps_everything),
		cmocka_unit_test(test_policy_overrides_abort),
		cmocka_unit_test(test_cancel_cleans_up_even_with_abort),
		cmocka_unit_test(test_ask_without_terminal_cleans_up),
		cmocka_unit_test(test_debug_pauses_before_each_step),
	};
	return cmocka_run_group_tests_name("engine-steps", tests, NULL, NULL);
}
