/* plan.h — the contract between the template layer (src/template/, which implements it) and the build
 * engine (src/engine/, which consumes it).
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

struct tmpl;               /* a loaded template (src/template/) */
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

/* Make the plan. On errors returns -1 with err holding the diagnostics already rendered in HCL's style
 * (commands that print diagnostics themselves use tmpl_plan_diags, template/template.h). Components
 * that kiln only knows the configuration of (placeholder schemas) are errors here: they cannot run. */
int tmpl_plan(struct tmpl *t, const struct plan_options *opts, struct plan *out, struct kiln_error *err);
void plan_free(struct plan *p);

/* Evaluate a provisioner's or post-processor's block for one build, now that build_data ("Key=Value",
 * the build.* values) is known. *cfg is owned by the caller (kiln_config_free). */
int tmpl_eval_step(struct tmpl *t, const struct plan_build *b, const struct plan_step *s,
		   const struct strv *build_data, struct kiln_config **cfg, struct kiln_error *err);
void kiln_config_free(struct kiln_config *c);

/* Checkpoint keys (docs/checkpoints.md): append a canonical text of the configuration to out — every
 * attribute the user set, in schema order, values in a form that does not depend on how they were
 * written — leaving out attributes (and nested blocks) whose schema flags intersect skip_flags.
 * Sensitive values (the attribute's flag or the value's mark) appear only as an HMAC under salt, and
 * set *sensitive (may be NULL). Returns -1 with *why_not (a malloc'd sentence naming the attribute) when the configuration cannot be
 * hashed: a value not known yet, or one that changes on every run (timestamp(), uuidv4(), bcrypt()). */
int tmpl_config_fingerprint(const struct kiln_config *c, unsigned skip_flags, const char *salt, struct buf *out,
			    bool *sensitive, char **why_not);

#endif
