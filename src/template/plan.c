/* plan.c — from a loaded template to the engine's plan (engine/plan.h): one plan_build per build ×
 * source that survives -only/-except, with the builder's configuration decoded now and each
 * provisioner's and post-processor's decoded late (tmpl_eval_step), when build.* is known. Also full
 * validation (everything decoded with build.* unknown), inspection, and freeing the template. */
#include "template/internal.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "engine/plan.h"
#include "hcl/eval.h"
#include "hcl/value.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/timeutil.h"

static const char *const prov_meta[] = {"name", "only", "except", "pause_before", "max_retries", "timeout",
					"override", NULL};
static const char *const pp_meta[] = {"name", "only", "except", "keep_input_artifact", NULL};
static const char *const source_meta[] = {"name", NULL};

/* What a plan_step's tmpl_block points to. */
struct step_handle {
	struct tmpl_step *step;
	struct tmpl_build_source *bs;
};

static const char *source_name(const struct tmpl_build_source *bs)
{
	return bs->rename ? bs->rename : bs->name;
}

static char *build_name(const struct tmpl_build *b, const struct tmpl_build_source *bs)
{
	if (b->name && *b->name)
		return xasprintf("%s.%s.%s", b->name, bs->type, source_name(bs));
	return xasprintf("%s.%s", bs->type, source_name(bs));
}

static bool glob_any(const struct strv *globs, const char *full, const char *short_name)
{
	for (size_t i = 0; globs && i < globs->n; i++) {
		/* -only takes comma-separated lists too */
		char *copy = xstrdup(globs->v[i]), *save = NULL;
		for (char *g = strtok_r(copy, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
			if (fnmatch(g, full, 0) == 0 || fnmatch(g, short_name, 0) == 0) {
				free(copy);
				return true;
			}
		}
		free(copy);
	}
	return false;
}

static bool selected(const struct plan_options *o, const char *full, const char *short_name)
{
	if (!o)
		return true;
	if (o->only && o->only->n && !glob_any(o->only, full, short_name))
		return false;
	if (o->except && o->except->n && glob_any(o->except, full, short_name))
		return false;
	return true;
}

/* Evaluate a Packer-level attribute of a step (only, pause_before, ...) in ctx. */
static struct hcl_value *step_attr(struct tmpl *t, const struct hcl_attribute *a, const struct hcl_type *ty,
				   struct hcl_eval_ctx *ctx, struct hcl_diags *d)
{
	if (!a || !tmpl_check_refs(t, a->expr, d))
		return NULL;
	size_t nd = d->n;
	struct hcl_value *v = hcl_eval_as(a->expr, ty, ctx, NULL, d);
	if (d->n > nd || !hcl_is_wholly_known(v) || hcl_is_null(v)) {
		hcl_value_unref(v);
		return NULL;
	}
	return v;
}

static bool list_has(const struct hcl_value *l, const char *a, const char *b)
{
	for (size_t i = 0; l && i < hcl_len(l); i++) {
		const char *s = hcl_str(hcl_elem(l, i));
		if (strcmp(s, a) == 0 || (b && strcmp(s, b) == 0))
			return true;
	}
	return false;
}

/* Does the step run for this source (only/except)? */
static bool step_applies(struct tmpl *t, struct tmpl_step *s, struct tmpl_build_source *bs, struct hcl_eval_ctx *ctx,
			 struct hcl_diags *d)
{
	char *orig = xasprintf("%s.%s", bs->type, bs->name);
	char *renamed = bs->rename ? xasprintf("%s.%s", bs->type, bs->rename) : NULL;
	struct hcl_type *lt = hcl_type_list(HCL_T_STRING);
	bool ok = true;
	struct hcl_value *only = step_attr(t, s->only_attr, lt, ctx, d);
	struct hcl_value *except = step_attr(t, s->except_attr, lt, ctx, d);
	if (only && !list_has(only, orig, renamed))
		ok = false;
	if (except && list_has(except, orig, renamed))
		ok = false;
	hcl_value_unref(only);
	hcl_value_unref(except);
	hcl_type_unref(lt);
	free(orig);
	free(renamed);
	return ok;
}

static int64_t duration_attr(struct tmpl *t, const struct hcl_attribute *a, struct hcl_eval_ctx *ctx,
			     struct hcl_diags *d)
{
	struct hcl_value *v = step_attr(t, a, HCL_T_STRING, ctx, d);
	if (!v)
		return 0;
	int64_t ms = 0;
	struct kiln_error e = ERR_INIT;
	char *end;
	double secs = strtod(hcl_str(v), &end);
	if (end != hcl_str(v) && *end == '\0') {
		ms = (int64_t)(secs * 1000.0);
	} else if (duration_parse(hcl_str(v), &ms, &e) < 0) {
		hcl_error(d, &a->expr->range, "Invalid duration",
			  "\"%s\" is not a duration: use a number with a unit, like \"90s\", \"5m\" or \"1h30m\".",
			  hcl_str(v));
		err_clear(&e);
	}
	hcl_value_unref(v);
	return ms;
}

static void fill_step(struct tmpl *t, struct plan_step *ps, struct tmpl_step *s, struct tmpl_build_source *bs,
		      struct hcl_eval_ctx *ctx, struct hcl_diags *d)
{
	memset(ps, 0, sizeof *ps);
	ps->type = xstrdup(s->type);
	ps->location = xasprintf("%s:%d", s->def_range.filename, s->def_range.start.line);
	struct hcl_value *name = step_attr(t, s->name_attr, HCL_T_STRING, ctx, d);
	ps->name = name ? xstrdup(hcl_str(name)) : NULL;
	hcl_value_unref(name);
	ps->provisioner = s->comp.provisioner;
	ps->postprocessor = s->comp.postprocessor;
	if (s->kind == TMPL_STEP_POSTPROCESSOR) {
		struct hcl_value *keep = step_attr(t, s->keep_attr, HCL_T_BOOL, ctx, d);
		if (keep) {
			ps->keep_input_artifact = hcl_true(keep);
			ps->keep_input_artifact_set = true;
		}
		hcl_value_unref(keep);
	} else {
		ps->pause_before_ms = duration_attr(t, s->pause_attr, ctx, d);
		ps->timeout_ms = duration_attr(t, s->timeout_attr, ctx, d);
		struct hcl_value *r = step_attr(t, s->retries_attr, HCL_T_NUMBER, ctx, d);
		if (r) {
			int64_t n = 0;
			if (!hcl_num_to_int64(hcl_num_of(r), &n) || n < 0)
				hcl_error(d, &s->retries_attr->expr->range, "Invalid max_retries",
					  "max_retries must be a whole number of at least 0.");
			ps->max_retries = (int)n;
		}
		hcl_value_unref(r);
	}
	struct step_handle *h = xcalloc(1, sizeof *h);
	h->step = s;
	h->bs = bs;
	ps->tmpl_block = h;
}

static void free_step(struct plan_step *ps)
{
	free((char *)ps->type);
	free((char *)ps->location);
	free((char *)ps->name);
	free(ps->tmpl_block);
}

/* The override object for this source, if the step has one. */
static struct hcl_value *override_for(struct tmpl *t, struct tmpl_step *s, struct tmpl_build_source *bs,
				      struct hcl_eval_ctx *ctx, struct hcl_diags *d)
{
	if (!s->override_attr)
		return NULL;
	struct hcl_value *o = step_attr(t, s->override_attr, HCL_T_DYNAMIC, ctx, d);
	if (!o)
		return NULL;
	struct hcl_value *found = NULL;
	if (hcl_is_mapping(o)) {
		char *full = xasprintf("%s.%s", bs->type, source_name(bs));
		char *orig = xasprintf("%s.%s", bs->type, bs->name);
		const char *keys[] = {full, orig, source_name(bs), bs->name};
		for (size_t k = 0; k < 4 && !found; k++) {
			struct hcl_value *v = hcl_get(o, keys[k]);
			if (v)
				found = hcl_value_ref(v);
		}
		free(full);
		free(orig);
	} else {
		hcl_error(d, &s->override_attr->expr->range, "Invalid override",
			  "override must be an object keyed by source name, like override = { \"qemu.debian\" = { ... "
			  "} }.");
	}
	hcl_value_unref(o);
	return found;
}

static char *step_label(const struct tmpl_step *s, const struct tmpl_build_source *bs)
{
	const char *kind = s->kind == TMPL_STEP_POSTPROCESSOR ? "post-processor"
			   : s->kind == TMPL_STEP_ERROR_CLEANUP ? "error-cleanup-provisioner"
								  : "provisioner";
	return xasprintf("%s.%s (source.%s.%s)", kind, s->type, bs->type, source_name(bs));
}

static struct kiln_config *decode_step(struct tmpl *t, struct tmpl_step *s, struct tmpl_build_source *bs,
				       const struct strv *build_data, struct hcl_diags *d)
{
	struct hcl_eval_ctx *base = tmpl_source_ctx(t, bs->type, source_name(bs), build_data);
	struct hcl_eval_ctx *ctx = tmpl_bind(base, &s->bindings);
	struct tmpl_decode in = {0};
	in.t = t;
	in.schema = s->comp.schema;
	char *label = step_label(s, bs);
	in.label = label;
	in.body = s->body;
	in.def_range = s->def_range;
	in.skip = s->kind == TMPL_STEP_POSTPROCESSOR ? pp_meta : prov_meta;
	in.override = override_for(t, s, bs, ctx, d);
	struct kiln_config *c = tmpl_decode_config(&in, ctx, d);
	hcl_value_unref(in.override);
	free(label);
	hcl_eval_ctx_free(ctx);
	hcl_eval_ctx_free(base);
	return c;
}

static struct kiln_config *decode_builder(struct tmpl *t, struct tmpl_build_source *bs, struct hcl_diags *d)
{
	struct hcl_eval_ctx *base = tmpl_source_ctx(t, bs->type, source_name(bs), NULL);
	struct hcl_eval_ctx *ctx = tmpl_bind(base, &bs->bindings);
	struct tmpl_decode in = {0};
	in.t = t;
	in.schema = bs->src->comp.schema;
	char *label = xasprintf("source.%s.%s", bs->type, source_name(bs));
	in.label = label;
	in.body = bs->src->block->body;
	in.def_range = hcl_range_between(bs->src->block->type_range, bs->src->block->label_ranges[1]);
	in.extra = bs->body;
	in.extra_range = bs->ref_range;
	in.extra_skip = source_meta;
	/* the source's own body sees no iterator: only the build-level block was generated */
	struct kiln_config *c = tmpl_decode_config(&in, ctx, d);
	free(label);
	hcl_eval_ctx_free(ctx);
	hcl_eval_ctx_free(base);
	return c;
}

/* A component's prepare, as the build would call it, for kiln validate (Packer's validate prepares every
 * builder, provisioner and post-processor): its error becomes a diagnostic at the argument it names,
 * else at `at` (the block). Values the build alone knows (build.*) are unknown here, and components
 * leave checks on unknown values to the build. */
static void check_prepare(int (*prepare)(const struct kiln_config *, void **, struct strv *, struct kiln_error *),
			  void (*destroy)(void *), const struct kiln_config *cfg, const struct hcl_range *block,
			  const char *summary, struct hcl_diags *d)
{
	void *inst = NULL;
	struct strv warnings = STRV_INIT;
	struct kiln_error e = ERR_INIT;
	if (prepare(cfg, &inst, &warnings, &e) == 0) {
		if (destroy)
			destroy(inst);
	} else {
		struct hcl_range at = *block, r;
		/* the diagnostic outlives the configuration: keep the template's own file name */
		if (tmpl_config_error_range(cfg, &e, &r) && strcmp(r.filename, block->filename) == 0) {
			at = r;
			at.filename = block->filename;
		}
		char *text = err_chain_text(&e); /* the diagnostic says where: not again in its text */
		char *hint = e.hint ? xstrdup(e.hint) : NULL;
		if (hint)
			hint[0] = (char)toupper((unsigned char)hint[0]); /* a sentence of its own here */
		hcl_error(d, &at, summary, "%s%s%s", text, hint ? ". " : "", hint ? hint : "");
		free(hint);
		free(text);
	}
	strv_free(&warnings);
	err_clear(&e);
}

static void check_builder(const struct plan_build *pb, const struct tmpl_build_source *bs, struct hcl_diags *d)
{
	check_prepare(pb->builder->prepare, pb->builder->destroy, pb->builder_config, &bs->src->block->label_ranges[0],
		      "Invalid builder configuration", d);
}

/* validate: decode a provisioner or post-processor as the build would, then prepare it when it decoded
 * cleanly and kiln has the component. */
static void check_step(struct tmpl *t, struct tmpl_step *s, struct tmpl_build_source *bs, struct hcl_diags *d)
{
	size_t nerr = hcl_diags_count(d, HCL_DIAG_ERROR);
	struct kiln_config *cfg = decode_step(t, s, bs, NULL, d);
	if (cfg && hcl_diags_count(d, HCL_DIAG_ERROR) == nerr) {
		if (s->comp.provisioner)
			check_prepare(s->comp.provisioner->prepare, s->comp.provisioner->destroy, cfg, &s->def_range,
				      "Invalid provisioner configuration", d);
		else if (s->comp.postprocessor)
			check_prepare(s->comp.postprocessor->prepare, s->comp.postprocessor->destroy, cfg,
				      &s->def_range, "Invalid post-processor configuration", d);
	}
	kiln_config_free(cfg);
}

/* Make the plan; with validate, also decode every step's configuration (build.* unknown) and accept
 * components that cannot run yet. */
static int make_plan(struct tmpl *t, const struct plan_options *opts, struct plan *out, bool validate,
		     struct hcl_diags *d)
{
	memset(out, 0, sizeof *out);
	out->template_dir = xstrdup(t->dir);
	size_t nerr = hcl_diags_count(d, HCL_DIAG_ERROR), first = d->n;
	for (size_t bi = 0; bi < t->nbuilds; bi++) {
		struct tmpl_build *b = t->builds[bi];
		for (size_t si = 0; si < b->nsources; si++) {
			struct tmpl_build_source *bs = &b->sources[si];
			char *full = build_name(b, bs);
			char *short_name = xasprintf("%s.%s", bs->type, source_name(bs));
			bool want = selected(opts, full, short_name);
			free(short_name);
			if (!want || !bs->src->comp_ok) {
				free(full);
				continue;
			}
			out->builds = xrealloc(out->builds, (out->nbuilds + 1) * sizeof *out->builds);
			struct plan_build *pb = &out->builds[out->nbuilds++];
			memset(pb, 0, sizeof *pb);
			pb->name = full;
			pb->build_block_name = xstrdup(b->name ? b->name : "");
			pb->builder_type = xstrdup(bs->type);
			pb->source_name = xstrdup(source_name(bs));
			pb->builder = bs->src->comp.builder;
			size_t nerr_before = hcl_diags_count(d, HCL_DIAG_ERROR);
			pb->builder_config = decode_builder(t, bs, d);
			/* validate runs the builder's own checks too, as Packer's does: a configuration
			 * that fits the schema can still be one the builder refuses */
			if (validate && pb->builder_config &&
			    hcl_diags_count(d, HCL_DIAG_ERROR) == nerr_before)
				check_builder(pb, bs, d);

			struct hcl_eval_ctx *ctx = tmpl_source_ctx(t, bs->type, source_name(bs), NULL);
			for (size_t i = 0; i < b->nprovisioners; i++) {
				struct tmpl_step *s = b->provisioners[i];
				if (!s->comp_ok)
					continue;
				struct hcl_eval_ctx *sc = tmpl_bind(ctx, &s->bindings);
				if (step_applies(t, s, bs, sc, d)) {
					pb->provisioners = xrealloc(pb->provisioners,
								    (pb->nprovisioners + 1) * sizeof *pb->provisioners);
					fill_step(t, &pb->provisioners[pb->nprovisioners++], s, bs, sc, d);
					if (validate)
						check_step(t, s, bs, d);
				}
				hcl_eval_ctx_free(sc);
			}
			if (b->error_cleanup && b->error_cleanup->comp_ok) {
				struct tmpl_step *s = b->error_cleanup;
				struct hcl_eval_ctx *sc = tmpl_bind(ctx, &s->bindings);
				if (step_applies(t, s, bs, sc, d)) {
					pb->error_cleanup = xcalloc(1, sizeof *pb->error_cleanup);
					fill_step(t, pb->error_cleanup, s, bs, sc, d);
					if (validate)
						check_step(t, s, bs, d);
				}
				hcl_eval_ctx_free(sc);
			}
			for (size_t c = 0; c < b->nchains; c++) {
				struct plan_chain chain = {NULL, 0};
				for (size_t k = 0; k < b->chains[c].nsteps; k++) {
					struct tmpl_step *s = b->chains[c].steps[k];
					if (!s->comp_ok)
						continue;
					struct hcl_eval_ctx *sc = tmpl_bind(ctx, &s->bindings);
					if (step_applies(t, s, bs, sc, d)) {
						chain.steps = xrealloc(chain.steps, (chain.nsteps + 1) * sizeof *chain.steps);
						struct plan_step *ps = &chain.steps[chain.nsteps++];
						fill_step(t, ps, s, bs, sc, d);
						/* -except names post-processors too, by name or else type (Packer 1.6.6) */
						const char *ppname = ps->name && *ps->name ? ps->name : ps->type;
						if (opts && opts->except && opts->except->n &&
						    glob_any(opts->except, ppname, ppname)) {
							free_step(ps);
							chain.nsteps--;
							hcl_eval_ctx_free(sc);
							continue;
						}
						if (validate)
							check_step(t, s, bs, d);
					}
					hcl_eval_ctx_free(sc);
				}
				if (chain.nsteps == 0) {
					free(chain.steps); /* every step left out by -except */
					continue;
				}
				pb->chains = xrealloc(pb->chains, (pb->nchains + 1) * sizeof *pb->chains);
				pb->chains[pb->nchains++] = chain;
			}
			hcl_eval_ctx_free(ctx);
		}
	}
	/* a source used by several builds is decoded once per build: report each problem once */
	hcl_diags_dedup(d, first);
	return hcl_diags_count(d, HCL_DIAG_ERROR) > nerr ? -1 : 0;
}

/* ------------------------------------------------------------------------------------------------
 * Types kiln has no component of. A multi-builder template (bento's: VirtualBox, VMware, Parallels and
 * qemu sources, Windows provisioners) builds its qemu image with -only: what the selected builds do
 * not use is then a warning, not an error. */

static bool filtering(const struct plan_options *sel)
{
	return sel && ((sel->only && sel->only->n) || (sel->except && sel->except->n));
}

/* Does step s run for at least one build × source that sel selects? */
static bool step_selected(struct tmpl *t, struct tmpl_build *b, struct tmpl_step *s, const struct plan_options *sel)
{
	struct hcl_diags scratch = HCL_DIAGS_INIT; /* only/except are reported when the plan is made */
	bool found = false;
	for (size_t i = 0; i < b->nsources && !found; i++) {
		struct tmpl_build_source *bs = &b->sources[i];
		char *full = build_name(b, bs);
		char *short_name = xasprintf("%s.%s", bs->type, source_name(bs));
		bool want = selected(sel, full, short_name);
		free(full);
		free(short_name);
		if (!want)
			continue;
		struct hcl_eval_ctx *ctx = tmpl_source_ctx(t, bs->type, source_name(bs), NULL);
		struct hcl_eval_ctx *sc = tmpl_bind(ctx, &s->bindings);
		found = step_applies(t, s, bs, sc, &scratch);
		if (found && s->kind == TMPL_STEP_POSTPROCESSOR && sel && sel->except && sel->except->n) {
			/* -except leaves out post-processors by name, else type */
			struct hcl_value *name = step_attr(t, s->name_attr, HCL_T_STRING, sc, &scratch);
			const char *pp = name && *hcl_str(name) ? hcl_str(name) : s->type;
			found = !glob_any(sel->except, pp, pp);
			hcl_value_unref(name);
		}
		hcl_eval_ctx_free(sc);
		hcl_eval_ctx_free(ctx);
	}
	hcl_diags_free(&scratch);
	return found;
}

static void report_step(struct tmpl *t, struct tmpl_build *b, struct tmpl_step *s, const struct plan_options *sel,
			const char *only, struct hcl_diags *d)
{
	if (s->comp_ok)
		return;
	bool pp = s->kind == TMPL_STEP_POSTPROCESSOR;
	const struct hcl_range *at = s->block->nlabels ? &s->block->label_ranges[0] : &s->block->type_range;
	char *more;
	enum hcl_severity sev = HCL_DIAG_ERROR;
	if (filtering(sel) && !step_selected(t, b, s, sel)) {
		sev = HCL_DIAG_WARNING;
		more = xstrdup("It is left out: it runs for no build that -only/-except select.");
	} else if (pp) {
		more = xasprintf("Leave it out with -except=%s (a post-processor's name, or its type when it has "
				 "none).",
				 s->type);
	} else {
		more = xasprintf("Restrict it with only or except in its block to the sources it is for%s%s.",
				 only ? ", or build only what kiln can with " : "", only ? only : "");
	}
	tmpl_unknown_component(t, &s->comp, at, sev, more, d);
	free(more);
}

void tmpl_report_unknown_types(struct tmpl *t, const struct plan_options *sel, struct hcl_diags *d)
{
	/* the builds kiln can run, to name in the filter the messages suggest */
	struct strv runnable = STRV_INIT;
	for (size_t bi = 0; bi < t->nbuilds; bi++)
		for (size_t si = 0; si < t->builds[bi]->nsources; si++) {
			struct tmpl_build_source *bs = &t->builds[bi]->sources[si];
			char *full = build_name(t->builds[bi], bs);
			if (bs->src && bs->src->comp_ok && !strv_contains(&runnable, full))
				strv_push(&runnable, full);
			free(full);
		}
	char *list = runnable.n ? strv_join(&runnable, ",") : NULL;
	char *only = list ? xasprintf("-only=%s", list) : NULL;
	for (size_t i = 0; i < t->nsources; i++) {
		struct tmpl_source *src = &t->sources[i];
		if (src->comp_ok)
			continue;
		bool wanted = !filtering(sel);
		for (size_t bi = 0; bi < t->nbuilds && !wanted; bi++)
			for (size_t si = 0; si < t->builds[bi]->nsources && !wanted; si++) {
				struct tmpl_build_source *bs = &t->builds[bi]->sources[si];
				if (bs->src != src)
					continue;
				char *full = build_name(t->builds[bi], bs);
				char *short_name = xasprintf("%s.%s", bs->type, source_name(bs));
				wanted = selected(sel, full, short_name);
				free(full);
				free(short_name);
			}
		char *more = !wanted ? xasprintf("source.%s.%s is left out: -only/-except select no build of it.",
						 src->type, src->name)
			     : only ? xasprintf("Build only what kiln can with %s.", only)
				    : NULL;
		tmpl_unknown_component(t, &src->comp, &src->block->label_ranges[0],
				       wanted ? HCL_DIAG_ERROR : HCL_DIAG_WARNING, more, d);
		free(more);
	}
	for (size_t bi = 0; bi < t->nbuilds; bi++) {
		struct tmpl_build *b = t->builds[bi];
		for (size_t i = 0; i < b->nprovisioners; i++)
			report_step(t, b, b->provisioners[i], sel, only, d);
		if (b->error_cleanup)
			report_step(t, b, b->error_cleanup, sel, only, d);
		for (size_t c = 0; c < b->nchains; c++)
			for (size_t k = 0; k < b->chains[c].nsteps; k++)
				report_step(t, b, b->chains[c].steps[k], sel, only, d);
	}
	free(only);
	free(list);
	strv_free(&runnable);
}

static void render_into(struct tmpl *t, const struct hcl_diags *d, struct kiln_error *err)
{
	struct hcl_diags errors = HCL_DIAGS_INIT;
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].severity == HCL_DIAG_ERROR)
			hcl_diags_copy_one(&errors, &d->v[i]);
	struct buf b = BUF_INIT;
	hcl_diags_render(&errors, &t->files, NULL, &b);
	buf_truncate(&b, b.len >= 2 ? b.len - 2 : b.len); /* drop the final blank line */
	/* kiln's own text, which shows secrets by their marks: the build's output filter must not cut
	 * its words ("Invalid operand" with a password "operand"), as no diagnostic is filtered */
	ui_public_add(buf_cstr(&b));
	err_set_kind(err, ERR_INVALID, "%s", buf_cstr(&b));
	buf_free(&b);
	hcl_diags_free(&errors);
}

int tmpl_plan_diags(struct tmpl *t, const struct plan_options *opts, struct plan *out, struct hcl_diags *d)
{
	if (!t->evaluated) {
		memset(out, 0, sizeof *out);
		hcl_error(d, NULL, "Template not loaded", "The template has errors and cannot be planned.");
		return -1;
	}
	int rc = make_plan(t, opts, out, false, d);
	if (rc == 0 && out->nbuilds == 0)
		hcl_warning(d, NULL, "Nothing to build",
			    "No build matches: the template defines no build, or -only/-except left none.");
	return rc;
}

int tmpl_plan(struct tmpl *t, const struct plan_options *opts, struct plan *out, struct kiln_error *err)
{
	struct hcl_diags d = HCL_DIAGS_INIT;
	int rc = tmpl_plan_diags(t, opts, out, &d);
	if (rc < 0)
		render_into(t, &d, err);
	hcl_diags_free(&d);
	return rc;
}

int tmpl_validate(struct tmpl *t, const struct plan_options *opts, struct hcl_diags *d)
{
	if (!t->evaluated)
		return -1;
	struct plan p;
	int rc = make_plan(t, opts, &p, true, d);
	plan_free(&p);
	if (opts && ((opts->only && opts->only->n) || (opts->except && opts->except->n)))
		return rc;
	/* sources no build uses are checked too: a typo there is still a typo */
	size_t nerr = hcl_diags_count(d, HCL_DIAG_ERROR), first = d->n;
	for (size_t i = 0; i < t->nsources; i++) {
		struct tmpl_source *s = &t->sources[i];
		bool used = false;
		for (size_t b = 0; b < t->nbuilds && !used; b++)
			for (size_t k = 0; k < t->builds[b]->nsources && !used; k++)
				used = t->builds[b]->sources[k].src == s;
		if (used || !s->comp_ok)
			continue;
		struct tmpl_build_source bs = {0};
		bs.type = s->type;
		bs.name = s->name;
		bs.src = s;
		bs.ref_range = s->block->type_range;
		kiln_config_free(decode_builder(t, &bs, d));
	}
	hcl_diags_dedup(d, first);
	return hcl_diags_count(d, HCL_DIAG_ERROR) > nerr ? -1 : rc;
}

int tmpl_eval_step(struct tmpl *t, const struct plan_build *b, const struct plan_step *s,
		   const struct strv *build_data, struct kiln_config **cfg, struct kiln_error *err)
{
	(void)b;
	*cfg = NULL;
	struct step_handle *h = s->tmpl_block;
	if (!h)
		return err_set(err, "internal error: the step has no template handle");
	struct hcl_diags d = HCL_DIAGS_INIT;
	tmpl_lock();
	struct kiln_config *c = decode_step(t, h->step, h->bs, build_data, &d);
	if (hcl_diags_has_errors(&d)) {
		render_into(t, &d, err);
		tmpl_config_free_locked(c);
		tmpl_unlock();
		hcl_diags_free(&d);
		return -1;
	}
	tmpl_unlock();
	hcl_diags_free(&d);
	*cfg = c;
	return 0;
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nbuilds; i++) {
		struct plan_build *pb = &p->builds[i];
		free(pb->name);
		free(pb->build_block_name);
		free(pb->builder_type);
		free(pb->source_name);
		kiln_config_free(pb->builder_config);
		for (size_t j = 0; j < pb->nprovisioners; j++)
			free_step(&pb->provisioners[j]);
		free(pb->provisioners);
		if (pb->error_cleanup) {
			free_step(pb->error_cleanup);
			free(pb->error_cleanup);
		}
		for (size_t c = 0; c < pb->nchains; c++) {
			for (size_t j = 0; j < pb->chains[c].nsteps; j++)
				free_step(&pb->chains[c].steps[j]);
			free(pb->chains[c].steps);
		}
		free(pb->chains);
	}
	free(p->builds);
	free(p->template_dir);
	memset(p, 0, sizeof *p);
}
