/* build.h — one build's state while the engine runs it (engine internal). */
#ifndef KILN_ENGINE_BUILD_H
#define KILN_ENGINE_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "component.h"
#include "engine/engine.h"
#include "engine/plan.h"

struct ckpt_build;

struct build_run {
	const struct plan_build *build;
	const struct engine_opts *opts;
	struct ui *ui;
	struct kiln_ctx ctx;
	void *builder_instance;
	struct kiln_artifact **artifacts;  /* what the summary lists, builder's first */
	size_t nartifacts, capartifacts;
	struct kiln_error err;
	int64_t elapsed_ns;
	bool failed;
	bool warned_no_tty;
	long start_ms;                     /* time_mono_ms() when the build started */
	struct ckpt_build *ck;             /* checkpoints (engine/checkpoint.h), or NULL */
	/* the build pool */
	bool on_pool;                      /* the builder takes placements and there is a pool */
	struct kiln_placement need;
	int only_host;                     /* its template pins it to this pool host, or -1 */
	int host;                          /* where it runs (ran), or -1 */
	char *lost_host;                   /* the host lost during its first attempt, or NULL */
};

void build_run_init(struct build_run *r, const struct plan_build *b, const struct engine_opts *opts,
		    const char *template_dir);
int build_prepare(struct build_run *r, struct kiln_error *err);
/* Run the builder, its provisioners and post-processors; the outcome is in r->err / r->artifacts. */
int build_execute(struct build_run *r);
void build_run_free(struct build_run *r);
/* Forget a failed attempt's outcome before the build runs again (on another host). */
void build_run_reset(struct build_run *r);

#endif
