/* steps.c — the step runner (see steps.h): run in order, clean up in reverse, honour -on-error,
 * -debug and cancellation, and log how long each step took. */
#include "engine/steps.h"
#include "ui/ui.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum choice { CHOICE_CLEANUP, CHOICE_ABORT, CHOICE_RETRY };

static struct ui *runner_ui(const struct steps_opts *o)
{
	return o && o->ctx && o->ctx->ui ? o->ctx->ui : ui_global();
}

static enum choice ask_user(const struct steps_opts *o, const char *step, const struct kiln_error *err)
{
	struct ui *ui = runner_ui(o);
	char *text = err_text(err);
	ui_error(ui, "Step \"%s\" failed: %s", step, text);
	free(text);
	for (;;) {
		char *answer = ui_ask(ui, "[c] Clean up and exit, [a] abort without cleanup, or [r] retry step "
					  "(build may fail even if retry succeeds)?");
		if (!answer)   /* no terminal, end of input or Ctrl-C: the safe choice */
			return CHOICE_CLEANUP;
		char c = (char)tolower((unsigned char)answer[strspn(answer, " \t")]);
		free(answer);
		if (c == 'c')
			return CHOICE_CLEANUP;
		if (c == 'a')
			return CHOICE_ABORT;
		if (c == 'r')
			return CHOICE_RETRY;
	}
}

static enum kiln_on_error policy_for(const struct steps_opts *o, void *state, const struct kiln_error *err)
{
	if (o && o->policy) {
		int p = o->policy(state, err);
		if (p >= 0)
			return (enum kiln_on_error)p;
	}
	if (o && o->ctx)
		return o->ctx->on_error;
	return KILN_ON_ERROR_CLEANUP;
}

static void set_outcome(const struct steps_opts *o, enum steps_outcome v)
{
	if (o && o->outcome)
		*o->outcome = v;
}

static void run_cleanups(const struct step *steps, size_t ran, void *state)
{
	for (size_t i = ran; i-- > 0;) {
		if (!steps[i].cleanup)
			continue;
		int64_t t0 = time_mono_ns();
		steps[i].cleanup(state);
		log_debug("step \"%s\": cleanup took %.3fs", steps[i].name, (double)(time_mono_ns() - t0) / 1e9);
	}
}

int steps_run(const struct step *steps, size_t n, void *state, const struct steps_opts *opts,
	      struct kiln_error *err)
{
	size_t ran = 0;          /* steps whose run was called: their cleanups are due */
	bool failed = false, cancelled = false;
	set_outcome(opts, STEPS_RUNNING);
	if (opts && opts->times_ns)
		memset(opts->times_ns, 0, n * sizeof *opts->times_ns);

	for (size_t i = 0; i < n; i++) {
		if (sig_cancelled()) {
			cancelled = true;
			err_set_kind(err, ERR_CANCELLED, "build cancelled");
			break;
		}
		if (opts && opts->ctx && opts->ctx->debug && opts->ctx->ops && opts->ctx->ops->pause) {
			if (opts->ctx->ops->pause(opts->ctx, steps[i].name) < 0) {
				cancelled = true;
				err_set_kind(err, ERR_CANCELLED, "build cancelled before step \"%s\"", steps[i].name);
				break;
			}
		}
		for (;;) {
			log_debug("step \"%s\": start", steps[i].name);
			int64_t t0 = time_mono_ns();
			ran = i + 1;
			int rc = steps[i].run(state, err);
			int64_t dt = time_mono_ns() - t0;
			if (opts && opts->times_ns)
				opts->times_ns[i] += dt;
			log_debug("step \"%s\": %s in %.3fs", steps[i].name, rc == 0 ? "done" : "failed", (double)dt / 1e9);
			if (rc == 0 && !err_isset(err))
				break;
			if (!err_isset(err))
				err_set(err, "failed");
			if (err_is(err, ERR_CANCELLED) || sig_cancelled()) {
				cancelled = true;
				break;
			}
			failed = true;
			enum kiln_on_error p = policy_for(opts, state, err);
			enum choice c = CHOICE_CLEANUP;
			if (p == KILN_ON_ERROR_ABORT)
				c = CHOICE_ABORT;
			else if (p == KILN_ON_ERROR_ASK)
				c = ask_user(opts, steps[i].name, err);
			if (c == CHOICE_RETRY) {
				/* Undo what the failed attempt left, then run the step again. */
				if (steps[i].cleanup)
					steps[i].cleanup(state);
				err_clear(err);
				failed = false;
				if (sig_cancelled()) {
					cancelled = true;
					err_set_kind(err, ERR_CANCELLED, "build cancelled");
					break;
				}
				continue;
			}
			if (c == CHOICE_ABORT) {
				err_wrap(err, "step \"%s\"", steps[i].name);
				set_outcome(opts, STEPS_ABORTED);
				log_debug("steps: aborted after \"%s\": no cleanup", steps[i].name);
				return -1;
			}
			break;
		}
		if (failed || cancelled) {
			err_wrap(err, "step \"%s\"", steps[i].name);
			break;
		}
	}
	set_outcome(opts, cancelled ? STEPS_CANCELLED : failed ? STEPS_FAILED : STEPS_SUCCEEDED);
	run_cleanups(steps, ran, state);
	return failed || cancelled ? -1 : 0;
}
