/* internal.h — the template model's data structures, shared by the files of src/template/. Nothing
 * outside src/template/ includes this: the public interface is template.h and engine/plan.h. */
#ifndef KILN_TEMPLATE_INTERNAL_H
#define KILN_TEMPLATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "component.h"
#include "hcl/ast.h"
#include "hcl/diag.h"
#include "template/template.h"
#include "util/strmap.h"
#include "util/strv.h"

struct hcl_value;
struct hcl_type;
struct hcl_eval_ctx;
struct plan_options;

/* ------------------------------------------------------------------------------------------------
 * Body checking against a fixed schema (body.c) */

struct tmpl_block_spec {
	const char *type;
	int nlabels;
	const char *label_names;     /* "name", "type, name" (for messages) */
};

struct tmpl_body_spec {
	const char *const *attrs;            /* NULL-terminated; NULL = none */
	const char *const *required;         /* NULL-terminated; NULL = none */
	const struct tmpl_block_spec *blocks; /* terminated by {NULL}; NULL = none */
};

/* Report attributes and blocks the spec does not allow (with "Did you mean" suggestions) and missing
 * required attributes. Returns false when something was reported. */
/* Register every string and number inside v as a secret: the text kiln does not print itself (guest
 * and subprocess output, logs) is filtered for it (ui_mask). For sensitive values and every value
 * computed from one (marked HCL_MARK_SENSITIVE) once a component is given it. */
void tmpl_register_secrets(const struct hcl_value *v);
bool tmpl_check_body(const struct hcl_body *b, const struct tmpl_body_spec *spec, struct hcl_diags *d);
/* Check a block's label count against its spec; false (with a diagnostic) when wrong. */
bool tmpl_check_labels(const struct hcl_block *blk, const struct tmpl_block_spec *bs, struct hcl_diags *d);
/* "Did you mean" text (" Did you mean \"x\"?" or "") for a name among candidates; static buffer-free:
 * returns a new string. */
char *tmpl_suggest(const char *given, const char *const *candidates, size_t n);

/* ------------------------------------------------------------------------------------------------
 * Components (components.c): the registry */

enum tmpl_kind {
	TMPL_BUILDER = 1,
	TMPL_PROVISIONER,
	TMPL_POSTPROCESSOR,
	TMPL_DATASOURCE,
};

struct tmpl_component {
	enum tmpl_kind kind;
	const char *type;
	const struct kiln_schema *schema;
	const struct kiln_builder *builder;          /* set when registered (one of these four) */
	const struct kiln_provisioner *provisioner;
	const struct kiln_postprocessor *postprocessor;
	const struct kiln_datasource *datasource;
	/* Not found because a required plugin provides it but cannot be used (not installed, not what
	 * the lock file records): the diagnostic to give instead of "Unsupported type" (kept by the
	 * template), else NULL. */
	const char *plugin_summary, *plugin_detail;
};

/* Look up a component: kiln's own, then those of the template's required plugins; false when kiln has
 * no such type (with a diagnostic at `at` listing the known types of that kind, or saying why the
 * plugin that provides it cannot be used). */
bool tmpl_find_component(struct tmpl *t, enum tmpl_kind kind, const char *type, const struct hcl_range *at, struct hcl_diags *d,
			 struct tmpl_component *out);
const char *tmpl_kind_name(enum tmpl_kind kind);   /* "builder", "provisioner", ... */

/* The diagnostic for a component c that kiln could not find (tmpl_find_component failed): the type is
 * unknown, listing those kiln has, or a required plugin cannot be used (said once per problem: every
 * block that uses the plugin would say the same), with `more` (or NULL) appended: an error, or a
 * warning for one that -only/-except leave out. */
void tmpl_unknown_component(struct tmpl *t, const struct tmpl_component *c, const struct hcl_range *at,
			    enum hcl_severity sev, const char *more, struct hcl_diags *d);
/* Report the types kiln has no component of among the sources and build steps (tmpl_decode_builds
 * looks them up quietly): errors for those the builds selected by sel (-only/-except; NULL or empty:
 * all) use, warnings for the others. */
void tmpl_report_unknown_types(struct tmpl *t, const struct plan_options *sel, struct hcl_diags *d);

/* ------------------------------------------------------------------------------------------------
 * The model */

struct tmpl_validation {
	const struct hcl_expr *condition;
	const struct hcl_expr *error_message;
	struct hcl_range range;
};

struct tmpl_var {
	char *name;
	struct hcl_range decl_range;         /* `variable "x"` header or the attribute in variables {} */
	const struct hcl_expr *type_expr;
	const struct hcl_expr *default_expr;
	const struct hcl_expr *description_expr;
	const struct hcl_expr *sensitive_expr;
	struct tmpl_validation *validations;
	size_t nvalidations;
	/* evaluated */
	struct hcl_type *type;               /* NULL: any */
	struct hcl_value *value;             /* NULL: unset */
	struct hcl_range value_range;        /* where the value came from (for errors) */
	bool has_value_range;
	bool sensitive;
	char *description;
};

struct tmpl_local {
	char *name;
	const struct hcl_expr *expr;
	struct hcl_range range;              /* name range */
	const struct hcl_expr *sensitive_expr;
	bool sensitive;
	struct hcl_value *value;
	int state;                           /* 0 not yet, 1 evaluating (cycle check), 2 done */
};

struct tmpl_source {
	char *type;
	char *name;
	const struct hcl_block *block;
	struct tmpl_component comp;
	bool comp_ok;
};

struct tmpl_data {
	char *type;
	char *name;
	const struct hcl_block *block;
	struct tmpl_component comp;
	bool comp_ok;
	struct hcl_value *value;
	int state;
};

/* A value bound by a dynamic block's iterator (`tag.key`, `provisioner.value`) for the blocks it
 * generated. */
struct tmpl_binding {
	char *name;
	struct hcl_value *value;
};

struct tmpl_bindings {
	struct tmpl_binding *v;
	size_t n;
};

enum tmpl_step_kind {
	TMPL_STEP_PROVISIONER = 1,
	TMPL_STEP_ERROR_CLEANUP,
	TMPL_STEP_POSTPROCESSOR,
};

struct tmpl_build;

struct tmpl_step {
	enum tmpl_step_kind kind;
	char *type;
	const struct hcl_block *block;       /* the block, or the dynamic block that generated it */
	const struct hcl_body *body;         /* its body (a dynamic block's content) */
	struct hcl_range def_range;          /* `provisioner "shell"` header, for messages */
	struct tmpl_bindings bindings;
	struct tmpl_component comp;
	bool comp_ok;
	struct tmpl_build *build;
	/* Packer's own attributes, consumed by kiln (never passed to the component) */
	const struct hcl_attribute *name_attr, *only_attr, *except_attr, *pause_attr, *retries_attr,
		*timeout_attr, *override_attr, *keep_attr;
};

struct tmpl_chain {
	struct tmpl_step **steps;
	size_t nsteps;
};

struct tmpl_build_source {
	char *type;
	char *name;
	struct hcl_range ref_range;
	const struct hcl_block *block;       /* build-level `source "type.name" {}`, or NULL */
	const struct hcl_body *body;         /* its body (a dynamic block's content), or NULL */
	struct tmpl_bindings bindings;
	char *rename;                        /* its `name` attribute, or NULL */
	struct tmpl_source *src;             /* resolved (full mode) */
};

struct tmpl_build {
	const struct hcl_block *block;
	size_t index;                        /* for "<unnamed build N>" */
	char *name;                          /* "" when unnamed */
	char *description;
	struct tmpl_build_source *sources;
	size_t nsources;
	struct tmpl_step **provisioners;
	size_t nprovisioners;
	struct tmpl_step *error_cleanup;
	struct tmpl_chain *chains;
	size_t nchains;
};

struct tmpl {
	enum tmpl_mode mode;
	struct hcl_fileset files;
	char *path;                          /* as given */
	char *dir;                           /* path.root */
	char *cwd;                           /* path.cwd */

	struct strv required_versions;
	struct hcl_range *required_version_ranges;
	struct tmpl_plugin_req *plugins;
	size_t nplugins;
	const struct tmpl_plugins *plugin_finder;   /* tmpl_options.plugins */
	struct strv plugin_problems;         /* plugin diagnostics given already (tmpl_unknown_component) */

	struct tmpl_var *vars;
	size_t nvars;
	struct tmpl_local *locals;
	size_t nlocals;
	size_t vars_cap, locals_cap;
	struct strmap var_index, local_index;   /* name → position in vars, locals */
	struct tmpl_source *sources;
	size_t nsources;
	struct tmpl_data *datas;
	size_t ndatas;
	struct tmpl_build **builds;
	size_t nbuilds;
	const struct hcl_block **build_blocks;   /* in file order, decoded after evaluation */
	size_t nbuild_blocks;

	struct hcl_eval_ctx *ctx;            /* var, local, data, path, packer (full mode) */
	bool evaluated;
	bool run_datasources;                /* tmpl_options.run_datasources */
	struct strv strings;                 /* owned strings handed out by pointer */
};

/* load.c */
struct tmpl_var *tmpl_find_var(struct tmpl *t, const char *name);
struct tmpl_local *tmpl_find_local(struct tmpl *t, const char *name);
struct tmpl_source *tmpl_find_source(struct tmpl *t, const char *type, const char *name);

/* builds.c: the structure of a build block (any mode), and the build model (after evaluation) */
void tmpl_build_free(struct tmpl_build *b);
void tmpl_check_build(struct tmpl *t, const struct hcl_block *blk, struct hcl_diags *d);
void tmpl_decode_builds(struct tmpl *t, struct hcl_diags *d);
/* "source.type.name" or "type.name" → type and name (Packer's reading); false when malformed. */
bool tmpl_parse_source_ref(const char *ref, char **type, char **name);

/* evaluate.c: variables (precedence), locals, data sources, the evaluation context. */
/* A JSON variable file's members (varfile_json.c), with where each name and value is written. -1 with
 * an error in d when the file cannot be read or is not one JSON object; the text joins t->files. */
struct tmpl_json_var {
	char *name;
	struct hcl_value *value;
	struct hcl_range name_range, value_range;
};
int tmpl_read_json_vars(struct tmpl *t, const char *path, struct tmpl_json_var **out, size_t *n,
			struct hcl_diags *d);
void tmpl_json_vars_free(struct tmpl_json_var *v, size_t n);

void tmpl_evaluate(struct tmpl *t, const struct tmpl_options *opts, const struct strv *autovars,
		   struct hcl_diags *d);
/* -syntax-only: check the variables' type constraints without evaluating anything. */
void tmpl_check_types(struct tmpl *t, struct hcl_diags *d);
/* Report references to undeclared var.x / local.x in e; false when there are any. */
bool tmpl_check_refs(struct tmpl *t, const struct hcl_expr *e, struct hcl_diags *d);
/* A child context for one build source: source.name/type, build.* (unknown or from build_data). */
struct hcl_eval_ctx *tmpl_source_ctx(struct tmpl *t, const char *type, const char *name,
				     const struct strv *build_data);

/* config.c: decoding a component block into a struct kiln_config */
struct tmpl_decode {
	struct tmpl *t;
	const struct kiln_schema *schema;
	const char *label;                   /* "source.qemu.debian" */
	const struct hcl_body *body;
	struct hcl_range def_range;          /* the block header: where "missing argument" points */
	const struct hcl_body *extra;        /* build-level source block merged in (fills unset keys) */
	struct hcl_range extra_range;
	const char *const *skip;             /* Packer's own attribute names to leave out */
	const char *const *extra_skip;       /* ... and those of the build-level block ("name") */
	struct hcl_value *override;          /* provisioner override object for this source, or NULL */
};
struct kiln_config *tmpl_decode_config(const struct tmpl_decode *in, struct hcl_eval_ctx *ctx, struct hcl_diags *d);
/* One lock around evaluation and freeing configs (values are not thread-safe); see config.c. */
void tmpl_lock(void);
void tmpl_unlock(void);
void tmpl_config_free_locked(struct kiln_config *c);
/* The range of the argument or block that an error of kiln_config_error() is located at, if it is one of
 * c's (its filename points into c). */
bool tmpl_config_error_range(const struct kiln_config *c, const struct kiln_error *e, struct hcl_range *out);
/* A child of ctx with the dynamic-block bindings set. */
struct hcl_eval_ctx *tmpl_bind(struct hcl_eval_ctx *ctx, const struct tmpl_bindings *b);
void tmpl_bindings_free(struct tmpl_bindings *b);
void tmpl_bindings_copy(struct tmpl_bindings *dst, const struct tmpl_bindings *src);
void tmpl_bindings_push(struct tmpl_bindings *b, const char *name, struct hcl_value *value); /* steals */

/* Expanding `dynamic "x" {}` blocks of a body: calls fn once per generated block with its type,
 * labels, body and bindings (src's plus the iterator's). Static blocks are passed through with src's
 * bindings. Errors (for_each not iterable, ...) go to d. */
typedef void (*tmpl_block_fn)(void *arg, const char *type, const struct hcl_block *origin, struct strv *labels,
			      const struct hcl_body *body, const struct tmpl_bindings *bindings);
/* Check a dynamic block's structure; its content block, or NULL (with diagnostics). */
const struct hcl_block *tmpl_check_dynamic(const struct hcl_block *blk, struct hcl_diags *d);
void tmpl_expand_blocks(struct tmpl *t, const struct hcl_body *b, struct hcl_eval_ctx *ctx,
			const struct tmpl_bindings *src, tmpl_block_fn fn, void *arg, struct hcl_diags *d);

#endif
