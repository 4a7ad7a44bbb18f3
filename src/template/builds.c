/* builds.c — build blocks: their structure (checked in every mode, including -syntax-only), and,
 * once variables and locals are known, the build model: the sources each build uses (the `sources`
 * list and build-level `source` blocks, which fill in and rename), provisioners, the
 * error-cleanup-provisioner and post-processor chains, with dynamic blocks expanded. */
#include "template/internal.h"

#include <stdlib.h>
#include <string.h>

#include "hcl/eval.h"
#include "hcl/parser.h"
#include "hcl/value.h"
#include "util/mem.h"

static const char *const build_attrs[] = {"name", "description", "sources", NULL};
static const struct tmpl_block_spec build_blocks[] = {
	{"source", 1, "reference"},
	{"provisioner", 1, "type"},
	{"error-cleanup-provisioner", 1, "type"},
	{"post-processor", 1, "type"},
	{"post-processors", 0, ""},
	{"hcp_packer_registry", 0, ""},
	{"dynamic", 1, "type"},
	{NULL, 0, NULL},
};
static const struct tmpl_body_spec build_spec = {build_attrs, NULL, build_blocks};

static const struct tmpl_block_spec pps_blocks[] = {
	{"post-processor", 1, "type"},
	{"dynamic", 1, "type"},
	{NULL, 0, NULL},
};
static const struct tmpl_body_spec pps_spec = {NULL, NULL, pps_blocks};

bool tmpl_parse_source_ref(const char *ref, char **type, char **name)
{
	/* Packer splits on dots: "type.name", or "source.type.name" (the first part is not checked) */
	const char *p1 = strchr(ref, '.');
	if (!p1)
		return false;
	const char *p2 = strchr(p1 + 1, '.');
	const char *ts, *te, *ns;
	if (p2) {
		if (strchr(p2 + 1, '.'))
			return false;
		ts = p1 + 1;
		te = p2;
		ns = p2 + 1;
	} else {
		ts = ref;
		te = p1;
		ns = p1 + 1;
	}
	char *ty = xstrndup(ts, (size_t)(te - ts));
	char *nm = xstrdup(ns);
	if (!hcl_valid_identifier(ty) || !hcl_valid_identifier(nm)) {
		free(ty);
		free(nm);
		return false;
	}
	*type = ty;
	*name = nm;
	return true;
}

static void bad_ref(struct hcl_diags *d, const struct hcl_range *r, const char *ref)
{
	hcl_error(d, r, "Invalid source reference",
		  "\"%s\" is not a source reference. A reference names a source block as source.TYPE.NAME, like "
		  "\"source.qemu.debian\"; each part starts with a letter and may contain only letters, digits, "
		  "underscores and dashes.",
		  ref);
}

void tmpl_check_build(struct tmpl *t, const struct hcl_block *blk, struct hcl_diags *d)
{
	t->build_blocks = xrealloc(t->build_blocks, (t->nbuild_blocks + 1) * sizeof *t->build_blocks);
	t->build_blocks[t->nbuild_blocks++] = blk;
	tmpl_check_body(blk->body, &build_spec, d);
	const struct hcl_attribute *src = hcl_body_attr(blk->body, "sources");
	if (src && src->expr->kind == HCL_EXPR_TUPLE_CONS) {
		for (size_t i = 0; i < src->expr->u.tuple.nitems; i++) {
			const struct hcl_expr *it = src->expr->u.tuple.items[i];
			size_t len;
			const char *ref = hcl_expr_as_string_literal(it, &len);
			char *ty, *nm;
			if (!ref)
				continue; /* an expression: checked once evaluated */
			if (!tmpl_parse_source_ref(ref, &ty, &nm)) {
				bad_ref(d, &it->range, ref);
				continue;
			}
			free(ty);
			free(nm);
		}
	}
	for (size_t i = 0; i < blk->body->nblocks; i++) {
		const struct hcl_block *b = blk->body->blocks[i];
		if (strcmp(b->type, "source") == 0 && b->nlabels == 1) {
			char *ty, *nm;
			if (!tmpl_parse_source_ref(b->labels[0], &ty, &nm)) {
				bad_ref(d, &b->label_ranges[0], b->labels[0]);
				continue;
			}
			free(ty);
			free(nm);
		} else if (strcmp(b->type, "post-processors") == 0) {
			tmpl_check_body(b->body, &pps_spec, d);
			for (size_t j = 0; j < b->body->nblocks; j++)
				if (strcmp(b->body->blocks[j]->type, "dynamic") == 0 && b->body->blocks[j]->nlabels == 1) {
					if (tmpl_check_dynamic(b->body->blocks[j], d) &&
					    strcmp(b->body->blocks[j]->labels[0], "post-processor") != 0)
						hcl_error(d, &b->body->blocks[j]->label_ranges[0], "Unsupported block type",
							  "A dynamic block in post-processors can only generate "
							  "post-processor blocks, not \"%s\".",
							  b->body->blocks[j]->labels[0]);
				}
		} else if (strcmp(b->type, "dynamic") == 0 && b->nlabels == 1) {
			if (!tmpl_check_dynamic(b, d))
				continue;
			const char *gen = b->labels[0];
			bool known = false;
			for (size_t j = 0; build_blocks[j].type; j++)
				if (strcmp(build_blocks[j].type, gen) == 0 && strcmp(gen, "dynamic") != 0)
					known = true;
			if (!known)
				hcl_error(d, &b->label_ranges[0], "Unsupported block type",
					  "A dynamic block in a build can generate source, provisioner, "
					  "error-cleanup-provisioner, post-processor, post-processors or "
					  "hcp_packer_registry blocks, not \"%s\".",
					  gen);
		}
	}
}

/* ------------------------------------------------------------------------------------------------
 * The build model (full mode) */

static char *eval_string(struct tmpl *t, const struct hcl_expr *e, struct hcl_diags *d)
{
	if (!tmpl_check_refs(t, e, d))
		return NULL;
	struct hcl_value *v = hcl_eval_as(e, HCL_T_STRING, t->ctx, NULL, d);
	char *s = hcl_is_known(v) && !hcl_is_null(v) ? xstrdup(hcl_str(v)) : NULL;
	hcl_value_unref(v);
	return s;
}

static void add_source_ref(struct tmpl *t, struct tmpl_build *b, const char *ref, const struct hcl_range *r,
			   const struct hcl_block *blk, const struct hcl_body *body, const struct tmpl_bindings *bind,
			   struct hcl_diags *d)
{
	char *ty, *nm;
	if (!tmpl_parse_source_ref(ref, &ty, &nm)) {
		bad_ref(d, r, ref);
		return;
	}
	struct tmpl_source *s = tmpl_find_source(t, ty, nm);
	if (!s) {
		struct strv known = STRV_INIT;
		for (size_t i = 0; i < t->nsources; i++)
			strv_pushf(&known, "source.%s.%s", t->sources[i].type, t->sources[i].name);
		char *want = xasprintf("source.%s.%s", ty, nm);
		char *sugg = tmpl_suggest(want, (const char *const *)known.v, known.n);
		char *list = known.n ? strv_join(&known, ", ") : xstrdup("none");
		hcl_error(d, r, "Unknown source",
			  "There is no source \"%s\" {...} block named \"%s\".%s The sources defined are: %s.", ty, nm,
			  sugg, list);
		free(want);
		free(sugg);
		free(list);
		strv_free(&known);
		free(ty);
		free(nm);
		return;
	}
	b->sources = xrealloc(b->sources, (b->nsources + 1) * sizeof *b->sources);
	struct tmpl_build_source *bs = &b->sources[b->nsources++];
	memset(bs, 0, sizeof *bs);
	bs->type = ty;
	bs->name = nm;
	bs->ref_range = *r;
	bs->block = blk;
	bs->body = body;
	bs->src = s;
	tmpl_bindings_copy(&bs->bindings, bind);
	if (body) {
		const struct hcl_attribute *rn = hcl_body_attr(body, "name");
		if (rn) {
			struct hcl_eval_ctx *c = tmpl_bind(t->ctx, bind);
			struct hcl_value *v = hcl_eval_as(rn->expr, HCL_T_STRING, c, NULL, d);
			if (hcl_is_known(v) && !hcl_is_null(v))
				bs->rename = xstrdup(hcl_str(v));
			hcl_value_unref(v);
			hcl_eval_ctx_free(c);
		}
	}
	/* the same source twice in one build (under the same name) would make two identical builds */
	for (size_t i = 0; i + 1 < b->nsources; i++) {
		struct tmpl_build_source *o = &b->sources[i];
		const char *n1 = o->rename ? o->rename : o->name, *n2 = bs->rename ? bs->rename : bs->name;
		if (strcmp(o->type, bs->type) == 0 && strcmp(n1, n2) == 0) {
			char *at = hcl_range_string(&o->ref_range);
			hcl_error(d, r, "Duplicate source in build",
				  "The build already uses source.%s.%s (at %s) under the name \"%s\". Give one of them a "
				  "different name with a build-level source block: source \"%s.%s\" { name = \"...\" }.",
				  bs->type, bs->name, at, n2, bs->type, bs->name);
			free(at);
			tmpl_bindings_free(&bs->bindings);
			free(bs->type);
			free(bs->name);
			free(bs->rename);
			b->nsources--;
			return;
		}
	}
}

static struct tmpl_step *new_step(struct tmpl *t, struct tmpl_build *b, enum tmpl_step_kind kind, const char *type,
				  const struct hcl_block *origin, const struct hcl_body *body,
				  const struct tmpl_bindings *bind, struct hcl_diags *d)
{
	struct tmpl_step *s = xcalloc(1, sizeof *s);
	s->kind = kind;
	s->type = xstrdup(type);
	s->block = origin;
	s->body = body;
	s->build = b;
	s->def_range = origin->nlabels ? hcl_range_between(origin->type_range, origin->label_ranges[0]) : origin->type_range;
	tmpl_bindings_copy(&s->bindings, bind);
	enum tmpl_kind ck = kind == TMPL_STEP_POSTPROCESSOR ? TMPL_POSTPROCESSOR : TMPL_PROVISIONER;
	/* a type kiln lacks is reported once -only/-except are known (tmpl_report_unknown_types) */
	s->comp_ok = tmpl_find_component(t, ck, s->type, NULL, NULL, &s->comp);
	s->name_attr = hcl_body_attr(body, "name");
	s->only_attr = hcl_body_attr(body, "only");
	s->except_attr = hcl_body_attr(body, "except");
	if (kind == TMPL_STEP_POSTPROCESSOR) {
		s->keep_attr = hcl_body_attr(body, "keep_input_artifact");
	} else {
		s->pause_attr = hcl_body_attr(body, "pause_before");
		s->retries_attr = hcl_body_attr(body, "max_retries");
		s->timeout_attr = hcl_body_attr(body, "timeout");
		s->override_attr = hcl_body_attr(body, "override");
	}
	if (s->only_attr && s->except_attr) {
		hcl_error(d, &s->except_attr->name_range, "Conflicting only and except",
			  "A %s can have \"only\" or \"except\", not both.", kind == TMPL_STEP_POSTPROCESSOR
										? "post-processor"
										: "provisioner");
	}
	return s;
}

struct build_walk {
	struct tmpl *t;
	struct tmpl_build *b;
	struct hcl_diags *d;
	struct tmpl_chain *chain;   /* inside post-processors {} */
};

static void push_chain(struct tmpl_build *b)
{
	b->chains = xrealloc(b->chains, (b->nchains + 1) * sizeof *b->chains);
	memset(&b->chains[b->nchains], 0, sizeof b->chains[0]);
	b->nchains++;
}

static void chain_add(struct tmpl_chain *c, struct tmpl_step *s)
{
	c->steps = xrealloc(c->steps, (c->nsteps + 1) * sizeof *c->steps);
	c->steps[c->nsteps++] = s;
}

static void on_pps_block(void *arg, const char *type, const struct hcl_block *origin, struct strv *labels,
			 const struct hcl_body *body, const struct tmpl_bindings *bind)
{
	struct build_walk *w = arg;
	if (strcmp(type, "post-processor") != 0 || labels->n != 1)
		return; /* reported by the structural check */
	chain_add(w->chain, new_step(w->t, w->b, TMPL_STEP_POSTPROCESSOR, labels->v[0], origin, body, bind, w->d));
}

static void on_build_block(void *arg, const char *type, const struct hcl_block *origin, struct strv *labels,
			   const struct hcl_body *body, const struct tmpl_bindings *bind)
{
	struct build_walk *w = arg;
	struct tmpl_build *b = w->b;
	const struct hcl_range *at = origin->nlabels ? &origin->label_ranges[0] : &origin->type_range;
	if (strcmp(type, "source") == 0) {
		if (labels->n != 1) {
			hcl_error(w->d, at, "Invalid source block", "A build-level source block has one label: the "
								    "source it refers to, like \"source.qemu.debian\".");
			return;
		}
		add_source_ref(w->t, b, labels->v[0], at, origin, body, bind, w->d);
	} else if (strcmp(type, "provisioner") == 0 && labels->n == 1) {
		b->provisioners = xrealloc(b->provisioners, (b->nprovisioners + 1) * sizeof *b->provisioners);
		b->provisioners[b->nprovisioners++] =
			new_step(w->t, b, TMPL_STEP_PROVISIONER, labels->v[0], origin, body, bind, w->d);
	} else if (strcmp(type, "error-cleanup-provisioner") == 0 && labels->n == 1) {
		if (b->error_cleanup) {
			char *first = hcl_range_string(&b->error_cleanup->def_range);
			hcl_error(w->d, &origin->type_range, "Duplicate error-cleanup-provisioner block",
				  "A build can have only one error-cleanup-provisioner; another was defined at %s.", first);
			free(first);
			return;
		}
		b->error_cleanup = new_step(w->t, b, TMPL_STEP_ERROR_CLEANUP, labels->v[0], origin, body, bind, w->d);
	} else if (strcmp(type, "post-processor") == 0 && labels->n == 1) {
		push_chain(b);
		chain_add(&b->chains[b->nchains - 1],
			  new_step(w->t, b, TMPL_STEP_POSTPROCESSOR, labels->v[0], origin, body, bind, w->d));
	} else if (strcmp(type, "post-processors") == 0) {
		push_chain(b);
		struct build_walk inner = *w;
		inner.chain = &b->chains[b->nchains - 1];
		tmpl_expand_blocks(w->t, body, w->t->ctx, bind, on_pps_block, &inner, w->d);
		if (b->chains[b->nchains - 1].nsteps == 0) {
			free(b->chains[b->nchains - 1].steps);
			b->nchains--;
		}
	} else if (strcmp(type, "hcp_packer_registry") == 0) {
		hcl_warning(w->d, &origin->type_range, "HCP Packer registry not supported",
			    "kiln does not publish to the HCP Packer registry; this block is ignored.");
	}
}

static void decode_build(struct tmpl *t, const struct hcl_block *blk, size_t index, struct hcl_diags *d)
{
	struct tmpl_build *b = xcalloc(1, sizeof *b);
	b->block = blk;
	b->index = index;
	const struct hcl_attribute *a;
	b->name = (a = hcl_body_attr(blk->body, "name")) ? eval_string(t, a->expr, d) : NULL;
	if (!b->name)
		b->name = xstrdup("");
	if ((a = hcl_body_attr(blk->body, "description")))
		b->description = eval_string(t, a->expr, d);
	if ((a = hcl_body_attr(blk->body, "sources"))) {
		struct hcl_type *lt = hcl_type_list(HCL_T_STRING);
		size_t nd = d->n;
		struct hcl_value *v = tmpl_check_refs(t, a->expr, d) ? hcl_eval_as(a->expr, lt, t->ctx, NULL, d) : NULL;
		hcl_type_unref(lt);
		if (v && d->n == nd && hcl_is_wholly_known(v) && !hcl_is_null(v)) {
			for (size_t i = 0; i < hcl_len(v); i++) {
				const struct hcl_range *r = &a->expr->range;
				if (a->expr->kind == HCL_EXPR_TUPLE_CONS && i < a->expr->u.tuple.nitems)
					r = &a->expr->u.tuple.items[i]->range;
				add_source_ref(t, b, hcl_str(hcl_elem(v, i)), r, NULL, NULL, NULL, d);
			}
		}
		hcl_value_unref(v);
	}
	struct build_walk w = {t, b, d, NULL};
	tmpl_expand_blocks(t, blk->body, t->ctx, NULL, on_build_block, &w, d);
	if (b->nsources == 0) {
		struct hcl_range r = hcl_range_between(blk->type_range, blk->open_brace_range);
		hcl_warning(d, &r, "Build without sources",
			    "This build names no source (no sources = [...] and no source block), so it builds nothing.");
	}
	t->builds = xrealloc(t->builds, (t->nbuilds + 1) * sizeof *t->builds);
	t->builds[t->nbuilds++] = b;
}

void tmpl_decode_builds(struct tmpl *t, struct hcl_diags *d)
{
	for (size_t i = 0; i < t->nsources; i++) {
		struct tmpl_source *s = &t->sources[i];
		s->comp_ok = tmpl_find_component(t, TMPL_BUILDER, s->type, NULL, NULL, &s->comp);
	}
	for (size_t i = 0; i < t->nbuild_blocks; i++)
		decode_build(t, t->build_blocks[i], i, d);
}

static void tmpl_step_free(struct tmpl_step *s)
{
	if (!s)
		return;
	free(s->type);
	tmpl_bindings_free(&s->bindings);
	free(s);
}

void tmpl_build_free(struct tmpl_build *b)
{
	if (!b)
		return;
	free(b->name);
	free(b->description);
	for (size_t i = 0; i < b->nsources; i++) {
		free(b->sources[i].type);
		free(b->sources[i].name);
		free(b->sources[i].rename);
		tmpl_bindings_free(&b->sources[i].bindings);
	}
	free(b->sources);
	for (size_t i = 0; i < b->nprovisioners; i++)
		tmpl_step_free(b->provisioners[i]);
	free(b->provisioners);
	tmpl_step_free(b->error_cleanup);
	for (size_t i = 0; i < b->nchains; i++) {
		for (size_t j = 0; j < b->chains[i].nsteps; j++)
			tmpl_step_free(b->chains[i].steps[j]);
		free(b->chains[i].steps);
	}
	free(b->chains);
	free(b);
}
