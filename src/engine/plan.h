/* plan.h — the contract between the template layer (src/template/, which makes plans: tmpl_plan and
 * tmpl_eval_step in template/template.h) and the build engine (src/engine/, which runs them).
 *
 * A loaded template yields a plan: one plan_build per (build block × source) pair that survives
 * -only/-except, in template order. The builder's configuration is evaluated when the plan is made.
 * Provisioner and post-processor configurations are evaluated late, just before each runs, because they
 * may refer to build.* values (build.Host, build.SSHPublicKey, ...) that only exist once the builder
 * has started; `override` for the build's name and only/except are applied by the template layer. */
#ifndef KILN_ENGINE_PLAN_H
#define KILN_ENGINE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "component.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strv.h"

struct tmpl;               /* a loaded template (src/template/): the handle late evaluation goes through */
struct kiln_config;

/* A provisioner or post-processor as the build lists it. */
struct plan_step {
	const char *type;              /* "shell", "checksum" */
	const char *name;              /* the optional `name` attribute / label, or NULL */
	const struct kiln_provisioner *provisioner;      /* exactly one of these two is set */
	const struct kiln_postprocessor *postprocessor;
	int64_t pause_before_ms;
	int64_t timeout_ms;            /* 0 = none */
	int max_retries;
	bool keep_input_artifact;      /* post-processors */
	bool keep_input_artifact_set;
	const char *location;          /* "build.pkr.hcl:12" where the block starts, for messages */
	void *tmpl_block;              /* the template's handle for late evaluation (owned by the plan) */
};

struct plan_chain {                 /* one `post-processors {}` block, or a lone `post-processor` */
	struct plan_step *steps;
	size_t nsteps;
};

struct plan_build {
	char *name;                    /* "qemu.debian", or the build-level `name` rename */
	char *build_block_name;        /* the `build { name = ... }` label, or "" */
	char *builder_type;            /* "qemu" */
	char *source_name;             /* "debian" */
	const struct kiln_builder *builder;
	struct kiln_config *builder_config;   /* evaluated; owned by the plan (plan_free) */
	struct plan_step *provisioners;
	size_t nprovisioners;
	struct plan_step *error_cleanup;      /* error-cleanup-provisioner, or NULL */
	struct plan_chain *chains;
	size_t nchains;
};

struct plan {
	struct plan_build *builds;
	size_t nbuilds;
	char *template_dir;            /* path.root */
};

struct plan_options {
	const struct strv *only;       /* -only globs over build names ("qemu.*", "*.debian") */
	const struct strv *except;
};

void plan_free(struct plan *p);

#endif
