/* dynamic.c — `dynamic "type" { for_each, iterator, labels, content {} }` blocks (HCL's dynblock
 * extension, as Packer uses it): each element of for_each generates one block of that type from the
 * content, with the iterator (named after the block type unless `iterator` says otherwise) bound to
 * { key, value } while the generated block is evaluated — which may be much later, per build source. */
#include "template/internal.h"

#include <stdlib.h>
#include <string.h>

#include "hcl/eval.h"
#include "hcl/value.h"
#include "util/mem.h"

void tmpl_bindings_push(struct tmpl_bindings *b, const char *name, struct hcl_value *value)
{
	b->v = xrealloc(b->v, (b->n + 1) * sizeof *b->v);
	b->v[b->n].name = xstrdup(name);
	b->v[b->n].value = value;
	b->n++;
}

void tmpl_bindings_copy(struct tmpl_bindings *dst, const struct tmpl_bindings *src)
{
	for (size_t i = 0; src && i < src->n; i++)
		tmpl_bindings_push(dst, src->v[i].name, hcl_value_ref(src->v[i].value));
}

void tmpl_bindings_free(struct tmpl_bindings *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].name);
		hcl_value_unref(b->v[i].value);
	}
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

struct hcl_eval_ctx *tmpl_bind(struct hcl_eval_ctx *ctx, const struct tmpl_bindings *b)
{
	struct hcl_eval_ctx *c = hcl_eval_ctx_child(ctx);
	for (size_t i = 0; b && i < b->n; i++)
		hcl_eval_ctx_set_var(c, b->v[i].name, hcl_value_ref(b->v[i].value));
	return c;
}

static const char *const dynamic_attrs[] = {"for_each", "iterator", "labels", NULL};
static const char *const dynamic_required[] = {"for_each", NULL};
static const struct tmpl_block_spec dynamic_blocks[] = {{"content", 0, ""}, {NULL, 0, NULL}};
static const struct tmpl_body_spec dynamic_spec = {dynamic_attrs, dynamic_required, dynamic_blocks};

/* Structure of one dynamic block; returns its content block or NULL (with diagnostics). */
const struct hcl_block *tmpl_check_dynamic(const struct hcl_block *blk, struct hcl_diags *d)
{
	if (blk->nlabels != 1) {
		hcl_error(d, &blk->type_range, "Invalid dynamic block",
			  "A dynamic block needs exactly one label: the type of the blocks it generates, like "
			  "dynamic \"tag\" {}.");
		return NULL;
	}
	if (!tmpl_check_body(blk->body, &dynamic_spec, d))
		return NULL;
	const struct hcl_block *content = NULL;
	for (size_t i = 0; i < blk->body->nblocks; i++) {
		if (content) {
			char *at = hcl_range_string(&content->type_range);
			hcl_error(d, &blk->body->blocks[i]->type_range, "Duplicate content block",
				  "A dynamic block has exactly one content block; another was defined at %s.", at);
			free(at);
			return NULL;
		}
		content = blk->body->blocks[i];
	}
	if (!content) {
		struct hcl_range r = hcl_range_between(blk->type_range, blk->open_brace_range);
		hcl_error(d, &r, "Missing content block",
			  "A dynamic block needs a content block describing the blocks it generates.");
		return NULL;
	}
	const struct hcl_attribute *it = hcl_body_attr(blk->body, "iterator");
	if (it && !hcl_expr_as_keyword(it->expr)) {
		hcl_error(d, &it->expr->range, "Invalid dynamic iterator name",
			  "The iterator must be a bare name, like iterator = tag.");
		return NULL;
	}
	return content;
}

void tmpl_expand_blocks(struct tmpl *t, const struct hcl_body *b, struct hcl_eval_ctx *ctx,
			const struct tmpl_bindings *src, tmpl_block_fn fn, void *arg, struct hcl_diags *d)
{
	for (size_t i = 0; i < b->nblocks; i++) {
		const struct hcl_block *blk = b->blocks[i];
		if (strcmp(blk->type, "dynamic") != 0) {
			struct strv labels = STRV_INIT;
			for (size_t j = 0; j < blk->nlabels; j++)
				strv_push(&labels, blk->labels[j]);
			fn(arg, blk->type, blk, &labels, blk->body, src);
			strv_free(&labels);
			continue;
		}
		const struct hcl_block *content = tmpl_check_dynamic(blk, d);
		if (!content)
			continue;
		const char *type = blk->labels[0];
		const struct hcl_attribute *it = hcl_body_attr(blk->body, "iterator");
		const char *iter = it ? hcl_expr_as_keyword(it->expr) : type;
		const struct hcl_attribute *fe = hcl_body_attr(blk->body, "for_each");
		const struct hcl_attribute *la = hcl_body_attr(blk->body, "labels");
		struct hcl_eval_ctx *outer = tmpl_bind(ctx, src);
		size_t nd = d->n;
		struct hcl_value *coll = tmpl_check_refs(t, fe->expr, d) ? hcl_eval(fe->expr, outer, d) : NULL;
		if (!coll || d->n > nd) {
			hcl_value_unref(coll);
			hcl_eval_ctx_free(outer);
			continue;
		}
		if (!hcl_is_known(coll)) {
			/* not known yet (e.g. a data source during validate): nothing to check here */
			hcl_value_unref(coll);
			hcl_eval_ctx_free(outer);
			continue;
		}
		if (hcl_is_null(coll) || !hcl_is_collection_value(coll)) {
			char *tn = hcl_type_friendly_name(coll->type);
			hcl_error(d, &fe->expr->range, "Invalid dynamic for_each value",
				  "Cannot use a %s value in for_each. An iterable collection is required.",
				  hcl_is_null(coll) ? "null" : tn);
			free(tn);
			hcl_value_unref(coll);
			hcl_eval_ctx_free(outer);
			continue;
		}
		enum hcl_kind k = hcl_kind(coll);
		for (size_t j = 0; j < hcl_len(coll); j++) {
			struct hcl_value *elem = hcl_elem(coll, j);
			struct hcl_value *key;
			if (k == HCL_MAP || k == HCL_OBJECT)
				key = hcl_string(hcl_key(coll, j));
			else if (k == HCL_SET)
				key = hcl_value_ref(elem);
			else
				key = hcl_number_int((int64_t)j);
			const char *names[2] = {"key", "value"};
			struct hcl_value *vals[2] = {key, hcl_value_ref(elem)};
			struct tmpl_bindings bound = {0};
			tmpl_bindings_copy(&bound, src);
			tmpl_bindings_push(&bound, iter, hcl_object(names, vals, 2));
			struct strv labels = STRV_INIT;
			bool ok = true;
			if (la) {
				struct hcl_eval_ctx *inner = tmpl_bind(ctx, &bound);
				struct hcl_type *lt = hcl_type_list(HCL_T_STRING);
				size_t nd2 = d->n;
				struct hcl_value *lv = hcl_eval_as(la->expr, lt, inner, "Invalid dynamic block labels", d);
				hcl_type_unref(lt);
				if (d->n > nd2 || !hcl_is_wholly_known(lv) || hcl_is_null(lv)) {
					ok = false;
				} else {
					for (size_t m = 0; m < hcl_len(lv); m++)
						strv_push(&labels, hcl_str(hcl_elem(lv, m)));
				}
				hcl_value_unref(lv);
				hcl_eval_ctx_free(inner);
			}
			if (ok)
				fn(arg, type, blk, &labels, content->body, &bound);
			strv_free(&labels);
			tmpl_bindings_free(&bound);
		}
		hcl_value_unref(coll);
		hcl_eval_ctx_free(outer);
	}
}
