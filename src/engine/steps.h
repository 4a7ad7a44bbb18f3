/* steps.h — a build as a list of small steps, in the manner of Packer's multistep: each step has a run
 * and a cleanup; the steps run in order until one fails or the build is cancelled, then the cleanups of
 * every step that ran (the failing one included) run in reverse order.
 *
 * What happens after a failure follows -on-error: cleanup (the default), abort (no cleanup at all:
 * everything stays for inspection), ask (the user chooses: clean up, abort, or retry the failed step).
 * Cancellation (Ctrl-C) always cleans up. With -debug the runner pauses before each step through
 * ctx->ops->pause. Steps share one caller-defined state struct. */
#ifndef KILN_ENGINE_STEPS_H
#define KILN_ENGINE_STEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "component.h"
#include "util/error.h"

struct step {
	const char *name;                                 /* "create disk": shown by -debug, in errors, logs */
	int (*run)(void *state, struct kiln_error *err);  /* 0 ok, -1 failed (err set) */
	void (*cleanup)(void *state);                     /* may be NULL; must tolerate a failed run */
};

enum steps_outcome {
	STEPS_RUNNING = 0,
	STEPS_SUCCEEDED,
	STEPS_FAILED,
	STEPS_CANCELLED,
	STEPS_ABORTED,    /* failed, and -on-error=abort (or the user's answer) kept everything */
};

struct steps_opts {
	struct kiln_ctx *ctx;        /* ui, debug, on_error, ops->pause; may be NULL (tests) */
	/* Set by the runner before the cleanups run, so a cleanup can tell success from failure (e.g. the
	 * output directory is removed only when the build did not succeed). May be NULL. */
	enum steps_outcome *outcome;
	/* Optional: decide the -on-error policy for this failure instead of ctx->on_error (e.g. a failure
	 * the caller will retry must always clean up). Return -1 to use ctx->on_error. */
	int (*policy)(void *state, const struct kiln_error *err);
	/* Optional: phase timings. When non-NULL, times[i] gets step i's run time in ns (0 if not run). */
	int64_t *times_ns;
};

/* Run steps[0..n) over state. Returns 0 when every step succeeded (after running all cleanups in
 * reverse), -1 otherwise with err describing the failure ("step 'create disk': ..."). */
int steps_run(const struct step *steps, size_t n, void *state, const struct steps_opts *opts,
	      struct kiln_error *err);

#endif
