/* engine.h — runs a plan: every build (in parallel up to a limit), each one builder run with the
 * provisioners hooked in and the post-processor chains after it, then Packer's end-of-build summary. */
#ifndef KILN_ENGINE_ENGINE_H
#define KILN_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "component.h"
#include "engine/plan.h"
#include "engine/pool.h"

/* How the engine reaches the template layer: {tmpl_eval_step, kiln_config_free} in normal use; tests
 * substitute their own, so the engine does not depend on src/template/. */
struct engine_tmpl_ops {
	int (*eval_step)(struct tmpl *t, const struct plan_build *b, const struct plan_step *s,
			 const struct strv *build_data, struct kiln_config **cfg, struct kiln_error *err);
	void (*config_free)(struct kiln_config *c);
	/* tmpl_config_fingerprint (template/template.h); needed only with checkpoints */
	int (*fingerprint)(const struct kiln_config *c, unsigned skip_flags, const char *salt, struct buf *out,
			   bool *sensitive, char **why_not);
};

/* -resume / -cache (docs/checkpoints.md) */
enum engine_checkpoints {
	ENGINE_CHECKPOINTS_OFF = 0,
	ENGINE_CHECKPOINTS_RESUME,   /* keep checkpoints to resume a failed build; drop them once it succeeds */
	ENGINE_CHECKPOINTS_CACHE,    /* keep them across successful builds too */
};

struct engine_opts {
	bool debug;                     /* -debug: pause before each step, builds one at a time */
	bool force;                     /* -force */
	enum kiln_on_error on_error;    /* -on-error */
	int parallel_builds;            /* -parallel-builds: 0 = no limit */
	struct tmpl *tmpl;              /* for late evaluation */
	const struct engine_tmpl_ops *tmpl_ops;
	enum engine_checkpoints checkpoints;
	const char *checkpoint_dir;     /* the store; NULL: $XDG_CACHE_HOME/kiln/checkpoints */
	uint64_t checkpoint_max_bytes;  /* size limit of the store; 0: the default */
	/* The build pool (-hosts, KILN_HOSTS, the configuration file): builds whose builder takes placements
	 * are spread over these hosts. None: every build runs where its template says. */
	const struct kiln_host *hosts;
	size_t nhosts;
	const struct pool_options *pool_opts;   /* NULL: the defaults (tests shorten them) */
};

struct engine_result {
	size_t succeeded;
	size_t failed;
	size_t artifacts;
	bool cancelled;
};

/* Runs every build of the plan and prints the summary. Returns 0 when every build succeeded. */
int engine_run(const struct plan *plan, const struct engine_opts *opts, struct engine_result *res);

#endif
