/* template.h — the Packer template model: loading a template (one *.pkr.hcl file, or a directory of
 * them with its *.auto.pkrvars.hcl and *.auto.pkrvars.json files), variables with Packer's precedence, locals, data sources,
 * sources and builds, checked against each component's schema, and the plans the build engine runs
 * (tmpl_plan, tmpl_eval_step; the plan's structures are engine/plan.h).
 *
 *     struct hcl_diags diags = HCL_DIAGS_INIT;
 *     struct tmpl_options o = {.var_args = args, .nvar_args = n};
 *     struct tmpl *t = tmpl_load("dir/", &o, &diags);     // never NULL
 *     if (hcl_diags_has_errors(&diags)) ... print with tmpl_files(t) ...
 *     tmpl_plan(t, &plan_opts, &plan, &err);               // then plan_free(&plan)
 *     tmpl_free(t);
 *
 * Every problem is an HCL diagnostic naming file:line:col; loading goes on after an error to report
 * as many as it can. Sensitive variable values are registered with ui_secret_add as they are set. */
#ifndef KILN_TEMPLATE_TEMPLATE_H
#define KILN_TEMPLATE_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/plan.h"
#include "hcl/ast.h"
#include "hcl/diag.h"
#include "util/error.h"
#include "util/strv.h"

/* The Packer release whose template language kiln implements: `packer.version`, and what
 * `packer { required_version = ... }` is checked against. */
#define TMPL_PACKER_VERSION "1.11.2"

struct tmpl;

/* -var NAME=VALUE and -var-file PATH, in command-line order (later ones win). */
enum tmpl_var_arg_kind {
	TMPL_ARG_VAR = 1,
	TMPL_ARG_VAR_FILE,
};

struct tmpl_var_arg {
	enum tmpl_var_arg_kind kind;
	const char *text;              /* "name=value" or a file path */
};

struct tmpl_plugin_req;
struct tmpl_plugins;

enum tmpl_mode {
	TMPL_FULL = 0,        /* evaluate variables, locals and data sources; decode every component */
	TMPL_SYNTAX_ONLY,     /* parse and check the template's structure; evaluate nothing */
};

struct tmpl_options {
	enum tmpl_mode mode;
	const struct tmpl_var_arg *var_args;
	size_t nvar_args;
	/* The environment to read PKR_VAR_* from ("K=V" entries); NULL = the process environment. */
	char *const *env;
	/* A variable with no value is unknown rather than an error (inspect shows "<unknown>"). */
	bool allow_unset;
	/* Where components that the template's required plugins provide are found (kiln: src/plugin/);
	 * NULL: only kiln's own components. */
	const struct tmpl_plugins *plugins;
	/* Warn about values in variable files for variables the template does not declare (Packer:
	 * validate does unless -no-warn-undeclared-var, build only with -warn-on-undeclared-var). */
	bool warn_undeclared_vars;
	/* -only/-except: a source or step of a type kiln lacks is an error when a selected build uses
	 * it, a warning otherwise (NULL or empty: every build is selected). */
	const struct strv *only, *except;
	/* Run the data sources (TMPL_FULL): kiln build and console, validate -evaluate-datasources.
	 * Otherwise their blocks are checked and their results stay unknown, as in Packer's validate. */
	bool run_datasources;
};

/* Load a template. Never returns NULL: on errors (see diags) the template holds what could be read,
 * and tmpl_files() still serves to render the diagnostics. */
struct tmpl *tmpl_load(const char *path, const struct tmpl_options *opts, struct hcl_diags *diags);
void tmpl_free(struct tmpl *t);

/* The parsed files (templates, variable files, command-line values), for rendering diagnostics. */
const struct hcl_fileset *tmpl_files(const struct tmpl *t);
/* path.root: the template's directory. */
const char *tmpl_dir(const struct tmpl *t);

/* The template's evaluation context: var, local, data, path, packer and every function (what
 * `kiln console PATH` evaluates its input in; use a child context to add more). Borrowed: lives as
 * long as t. NULL when the template could not be evaluated (errors, or TMPL_SYNTAX_ONLY). Load with
 * allow_unset to have unset variables be unknown instead of errors. */
struct hcl_eval_ctx;
struct hcl_eval_ctx *tmpl_eval_ctx(struct tmpl *t);

/* Every key a component asked its configuration about through the kiln_config_* accessors (nested
 * block keys as "block.key", after prefix), appended to out without duplicates: the schema
 * completeness tests compare them with the schema. */
struct kiln_config;
void tmpl_config_reads(const struct kiln_config *c, const char *prefix, struct strv *out);

/* --- the plan the engine runs (engine/plan.h: the structures) --- */

/* Make the plan. On errors returns -1 with err holding the diagnostics already rendered in HCL's style
 * (commands that print diagnostics themselves use tmpl_plan_diags). Free it with plan_free. */
int tmpl_plan(struct tmpl *t, const struct plan_options *opts, struct plan *out, struct kiln_error *err);
/* Like tmpl_plan but reporting diagnostics (errors and warnings) instead of a rendered error. */
int tmpl_plan_diags(struct tmpl *t, const struct plan_options *opts, struct plan *out, struct hcl_diags *d);

/* Evaluate a provisioner's or post-processor's block for one build, now that build_data ("Key=Value",
 * the build.* values) is known. *cfg is owned by the caller (kiln_config_free). The engine reaches
 * this through struct engine_tmpl_ops, never directly. */
int tmpl_eval_step(struct tmpl *t, const struct plan_build *b, const struct plan_step *s,
		   const struct strv *build_data, struct kiln_config **cfg, struct kiln_error *err);
void kiln_config_free(struct kiln_config *c);

/* Checkpoint keys (docs/checkpoints.md): append a canonical text of the configuration to out — every
 * attribute the user set, in schema order, values in a form that does not depend on how they were
 * written — leaving out attributes (and nested blocks) whose schema flags intersect skip_flags.
 * Sensitive values (the attribute's flag or the value's mark) appear only as an HMAC under salt, and
 * set *sensitive (may be NULL). Returns -1 with *why_not (a malloc'd sentence naming the attribute)
 * when the configuration cannot be hashed: a value not known
 * yet, or one that changes on every run (timestamp(), uuidv4(), bcrypt()). */
int tmpl_config_fingerprint(const struct kiln_config *c, unsigned skip_flags, const char *salt, struct buf *out,
			    bool *sensitive, char **why_not);

/* Full validation beyond loading: decode every build's sources, provisioners and post-processors
 * against their schemas (with build.* values unknown), honouring -only/-except. */
int tmpl_validate(struct tmpl *t, const struct plan_options *opts, struct hcl_diags *diags);

/* --- what `kiln inspect` shows --- */

struct tmpl_inspect_var {
	const char *name;
	char *value;          /* as Packer prints it ("\"x\"", "<sensitive>", "<unknown>"); owned */
};

struct tmpl_inspect_step {
	char *label;          /* "shell" or "shell.name" */
};

struct tmpl_inspect_build {
	char *name;           /* "" for an unnamed build */
	char *description;    /* or NULL */
	struct strv sources;  /* "qemu.debian" */
	struct strv provisioners;
	struct strv *chains;  /* post-processor chains, each a list of labels */
	size_t nchains;
};

struct tmpl_inspect {
	struct tmpl_inspect_var *vars;   /* sorted by name */
	size_t nvars;
	struct tmpl_inspect_var *locals; /* sorted by name */
	size_t nlocals;
	struct tmpl_inspect_build *builds;
	size_t nbuilds;
};

void tmpl_inspect(struct tmpl *t, struct tmpl_inspect *out);
void tmpl_inspect_free(struct tmpl_inspect *in);

/* --- what `kiln init` checks --- */

struct tmpl_plugin_req {
	const char *name;          /* the key in required_plugins: "qemu" */
	const char *source;        /* "github.com/hashicorp/qemu", or NULL */
	const char *version;       /* constraint text, or NULL */
	struct hcl_range range;    /* the plugin's name */
	struct hcl_range version_range;
};

/* A component that one of the template's required plugins provides. */
struct tmpl_plugin_found {
	const void *component;     /* struct kiln_builder, _provisioner, _postprocessor or _datasource */
	const struct kiln_schema *schema;
};

struct tmpl_plugins {
	/* Is `type` of `kind` ("builder", "provisioner", "post-processor", "data") provided by a plugin
	 * the template requires? 1 yes (*found set), 0 no, -1 it is, but it cannot be used: *summary and
	 * *detail (malloc'ed) say why and what to do, or stay NULL when that was said already (once per
	 * plugin is enough). */
	int (*find)(void *arg, const char *kind, const char *type, const struct tmpl_plugin_req *reqs, size_t nreqs,
		    const char *template_dir, struct tmpl_plugin_found *found, char **summary, char **detail);
	/* The types the template's plugins provide of a kind, for "did you mean" (may be NULL). */
	void (*names)(void *arg, const char *kind, struct strv *out);
	void *arg;
};

/* required_version constraints (one per packer block that sets one) and required_plugins entries. */
size_t tmpl_required_versions(const struct tmpl *t, const char *const **texts, const struct hcl_range **ranges);
size_t tmpl_required_plugins(const struct tmpl *t, const struct tmpl_plugin_req **reqs);

#endif
