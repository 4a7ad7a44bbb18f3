/* specsuite.c — kiln's runner for HCL's language conformance suite (tests/hcl-specsuite/tests, copied
 * from the HCL repository with its licence). Upstream drives the `hcldec` tool from a Go harness; this
 * program is both for kiln: for every NAME.hcl with NAME.hcldec (a decoding spec) and NAME.t (the
 * expectations), it parses NAME.hcl with kiln's parser, decodes it as the spec says with kiln's
 * evaluator (hcldec's spec language: literal, object, attr, block, block_list, block_set, block_map,
 * variables), and checks the expected result, result type, diagnostics (exact ranges) and
 * traversals. Output is TAP, one test per case.
 *
 *     specsuite [TESTS_DIR]        (default: $KILN_SRCDIR/tests/hcl-specsuite/tests) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hcl/ast.h"
#include "hcl/diag.h"
#include "hcl/eval.h"
#include "hcl/parser.h"
#include "hcl/value.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/strv.h"

static int ntests, nfailed;
static struct strv known_names, known_reasons;

/* tests/hcl-specsuite/known-failures: "CASE REASON" lines */
static void load_known(const char *root)
{
	char *path = xasprintf("%s/../known-failures", root);
	struct buf b = BUF_INIT;
	struct kiln_error err = ERR_INIT;
	if (file_read_all(path, &b, &err) == 0) {
		char *save = NULL;
		for (char *line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (*line == '#' || !*line)
				continue;
			char *sp = strchr(line, ' ');
			strv_push_owned(&known_names, xstrndup(line, sp ? (size_t)(sp - line) : strlen(line)));
			strv_push(&known_reasons, sp ? sp + 1 : "known failure");
		}
	}
	err_clear(&err);
	buf_free(&b);
	free(path);
}

static const char *known_reason(const char *name)
{
	for (size_t i = 0; i < known_names.n; i++)
		if (strcmp(known_names.v[i], name) == 0)
			return known_reasons.v[i];
	return NULL;
}

/* ------------------------------------------------------------------------------------------------
 * Decoding by spec (hcldec) */

struct dec {
	struct hcl_eval_ctx *ctx;
	struct hcl_diags *diags;     /* diagnostics of decoding the input */
	struct buf *problems;        /* problems with the spec itself */
};

static struct hcl_value *decode_spec(struct dec *x, const struct hcl_block *spec, const struct hcl_body *body,
				     const char *name);

static const struct hcl_block *first_block(const struct hcl_body *b)
{
	for (size_t i = 0; i < b->nblocks; i++)
		if (strcmp(b->blocks[i]->type, "variables") != 0)
			return b->blocks[i];
	return NULL;
}

static struct hcl_type *spec_type(struct dec *x, const struct hcl_body *spec)
{
	const struct hcl_attribute *t = hcl_body_attr(spec, "type");
	if (!t)
		return HCL_T_DYNAMIC;
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_type *ty = hcl_eval_type_expr(t->expr, false, &d);
	if (!ty)
		buf_printf(x->problems, "bad type in spec at line %d\n", t->range.start.line);
	hcl_diags_free(&d);
	return ty ? ty : HCL_T_DYNAMIC;
}

static bool spec_bool(const struct hcl_body *spec, const char *name)
{
	const struct hcl_attribute *a = hcl_body_attr(spec, name);
	const char *kw = a ? hcl_expr_as_keyword(a->expr) : NULL;
	return kw && strcmp(kw, "true") == 0;
}

/* The name a sub-spec gives its result within an object, and the attribute/block name it reads. */
static const char *spec_label(const struct hcl_block *s)
{
	return s->nlabels > 0 ? s->labels[0] : NULL;
}

static const char *spec_string(const struct hcl_body *spec, const char *name)
{
	const struct hcl_attribute *a = hcl_body_attr(spec, name);
	size_t len;
	return a ? hcl_expr_as_string_literal(a->expr, &len) : NULL;
}

/* Names every spec in an object consumes, so leftovers can be reported. */
static void consumed_names(const struct hcl_block *spec, struct strv *attrs, struct strv *blocks)
{
	const char *kind = spec->type;
	const char *name = spec_label(spec);
	if (strcmp(kind, "attr") == 0) {
		strv_push(attrs, name ? name : spec_string(spec->body, "name"));
	} else if (strncmp(kind, "block", 5) == 0) {
		const char *bt = spec_string(spec->body, "block_type");
		strv_push(blocks, bt ? bt : name ? name : "");
	} else if (strcmp(kind, "object") == 0) {
		for (size_t i = 0; i < spec->body->nblocks; i++)
			consumed_names(spec->body->blocks[i], attrs, blocks);
	}
}

static void check_leftovers(struct dec *x, const struct hcl_block *spec, const struct hcl_body *body)
{
	struct strv attrs = STRV_INIT, blocks = STRV_INIT;
	consumed_names(spec, &attrs, &blocks);
	for (size_t i = 0; i < body->nattrs; i++)
		if (!strv_contains(&attrs, body->attrs[i]->name))
			hcl_error(x->diags, &body->attrs[i]->name_range, "Unsupported argument",
				  "An argument named \"%s\" is not expected here.", body->attrs[i]->name);
	for (size_t i = 0; i < body->nblocks; i++)
		if (!strv_contains(&blocks, body->blocks[i]->type))
			hcl_error(x->diags, &body->blocks[i]->type_range, "Unsupported block type",
				  "Blocks of type \"%s\" are not expected here.", body->blocks[i]->type);
	strv_free(&attrs);
	strv_free(&blocks);
}

static struct hcl_value *decode_attr(struct dec *x, const struct hcl_block *spec, const struct hcl_body *body,
				     const char *name)
{
	const char *aname = spec_string(spec->body, "name");
	if (!aname)
		aname = name;
	struct hcl_type *ty = spec_type(x, spec->body);
	const struct hcl_attribute *a = aname ? hcl_body_attr(body, aname) : NULL;
	if (!a) {
		if (spec_bool(spec->body, "required")) {
			struct hcl_range r = body->end_range;
			hcl_error(x->diags, &r, "Missing required argument",
				  "The argument \"%s\" is required, but no definition was found.", aname);
		}
		return hcl_null(ty);
	}
	struct hcl_value *v = hcl_eval_as(a->expr, ty, x->ctx, NULL, x->diags);
	hcl_type_unref(ty);
	return v;
}

static void collect_blocks(const struct hcl_body *body, const char *type, const struct hcl_block ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < body->nblocks; i++) {
		if (strcmp(body->blocks[i]->type, type) != 0)
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		(*out)[(*n)++] = body->blocks[i];
	}
}

static struct hcl_value *decode_nested(struct dec *x, const struct hcl_block *spec, const struct hcl_block *blk)
{
	const struct hcl_block *inner = first_block(spec->body);
	if (!inner)
		return hcl_empty_object();
	struct hcl_value *v = decode_spec(x, inner, blk->body, NULL);
	check_leftovers(x, inner, blk->body);
	return v;
}

/* Labels of a block_map spec: labels = ["a", "b"]. */
static size_t spec_labels(const struct hcl_body *spec)
{
	const struct hcl_attribute *a = hcl_body_attr(spec, "labels");
	return a && a->expr->kind == HCL_EXPR_TUPLE_CONS ? a->expr->u.tuple.nitems : 0;
}

static struct hcl_value *group_by_labels(struct dec *x, const struct hcl_block *spec,
					 const struct hcl_block **blocks, size_t n, size_t level, size_t nlabels)
{
	if (level == nlabels) {
		/* several blocks with the same labels: hcldec reports a duplicate */
		if (n > 1)
			hcl_error(x->diags, &blocks[1]->type_range, "Duplicate block", "A block with these labels was already defined.");
		return decode_nested(x, spec, blocks[0]);
	}
	struct hcl_vec kv = HCL_VEC_INIT;
	struct strv seen = STRV_INIT;
	for (size_t i = 0; i < n; i++) {
		const char *key = blocks[i]->labels[level];
		if (strv_contains(&seen, key))
			continue;
		strv_push(&seen, key);
		const struct hcl_block **sub = NULL;
		size_t ns = 0;
		for (size_t j = i; j < n; j++) {
			if (strcmp(blocks[j]->labels[level], key) != 0)
				continue;
			sub = xrealloc(sub, (ns + 1) * sizeof *sub);
			sub[ns++] = blocks[j];
		}
		hcl_vec_push_kv(&kv, key, group_by_labels(x, spec, sub, ns, level + 1, nlabels));
		free(sub);
	}
	strv_free(&seen);
	/* a map of the element values' (unified) type */
	struct hcl_type **types = xcalloc(kv.n + 1, sizeof *types);
	for (size_t i = 0; i < kv.n; i++)
		types[i] = kv.v[i]->type;
	struct hcl_type *et = kv.n ? hcl_unify_types(types, kv.n, false) : hcl_type_ref(HCL_T_DYNAMIC);
	free(types);
	struct hcl_value *m = hcl_vec_to_map(&kv, et ? et : HCL_T_DYNAMIC);
	hcl_vec_free(&kv);
	return m;
}

static struct hcl_value *decode_block_kind(struct dec *x, const struct hcl_block *spec, const struct hcl_body *body,
					   const char *name)
{
	const char *bt = spec_string(spec->body, "block_type");
	if (!bt)
		bt = name;
	if (!bt) {
		buf_printf(x->problems, "%s spec without a block type\n", spec->type);
		return hcl_null(HCL_T_DYNAMIC);
	}
	const struct hcl_block **blocks;
	size_t n;
	collect_blocks(body, bt, &blocks, &n);
	struct hcl_value *result;
	size_t nlabels = spec_labels(spec->body);
	for (size_t i = 0; i < n; i++) {
		if (blocks[i]->nlabels != nlabels) {
			hcl_error(x->diags, &blocks[i]->type_range, "Wrong number of block labels",
				  "Blocks of type \"%s\" must have %zu labels.", bt, nlabels);
		}
	}
	if (strcmp(spec->type, "block") == 0) {
		if (n > 1)
			hcl_error(x->diags, &blocks[1]->type_range, "Duplicate block",
				  "Only one \"%s\" block is allowed.", bt);
		if (n == 0 && spec_bool(spec->body, "required"))
			hcl_error(x->diags, &body->end_range, "Missing block", "A block of type \"%s\" is required.", bt);
		result = n ? decode_nested(x, spec, blocks[0]) : hcl_null(HCL_T_DYNAMIC);
	} else if (strcmp(spec->type, "block_map") == 0) {
		result = n ? group_by_labels(x, spec, blocks, n, 0, nlabels) : hcl_empty_object();
	} else {
		struct hcl_vec items = HCL_VEC_INIT;
		for (size_t i = 0; i < n; i++)
			hcl_vec_push(&items, decode_nested(x, spec, blocks[i]));
		struct hcl_type **types = xcalloc(items.n + 1, sizeof *types);
		for (size_t i = 0; i < items.n; i++)
			types[i] = items.v[i]->type;
		struct hcl_type *et = items.n ? hcl_unify_types(types, items.n, false) : hcl_type_ref(HCL_T_DYNAMIC);
		free(types);
		if (strcmp(spec->type, "block_set") == 0)
			result = hcl_vec_to_set(&items, et ? et : HCL_T_DYNAMIC);
		else
			result = hcl_vec_to_list(&items, et ? et : HCL_T_DYNAMIC);
		hcl_vec_free(&items);
	}
	free(blocks);
	return result;
}

static struct hcl_value *decode_spec(struct dec *x, const struct hcl_block *spec, const struct hcl_body *body,
				     const char *name)
{
	if (!name)
		name = spec_label(spec);
	if (strcmp(spec->type, "literal") == 0) {
		const struct hcl_attribute *v = hcl_body_attr(spec->body, "value");
		if (!v)
			return hcl_null(HCL_T_DYNAMIC);
		struct hcl_diags d = HCL_DIAGS_INIT;
		struct hcl_value *val = hcl_eval(v->expr, x->ctx, &d);
		hcl_diags_free(&d);
		return val;
	}
	if (strcmp(spec->type, "object") == 0) {
		struct hcl_vec kv = HCL_VEC_INIT;
		for (size_t i = 0; i < spec->body->nblocks; i++) {
			const struct hcl_block *sub = spec->body->blocks[i];
			const char *sn = spec_label(sub);
			if (!sn) {
				buf_printf(x->problems, "object member without a name at line %d\n", sub->type_range.start.line);
				continue;
			}
			hcl_vec_push_kv(&kv, sn, decode_spec(x, sub, body, sn));
		}
		struct hcl_value *o = hcl_vec_to_object(&kv);
		hcl_vec_free(&kv);
		return o;
	}
	if (strcmp(spec->type, "attr") == 0)
		return decode_attr(x, spec, body, name);
	if (strcmp(spec->type, "block") == 0 || strcmp(spec->type, "block_list") == 0 ||
	    strcmp(spec->type, "block_set") == 0 || strcmp(spec->type, "block_map") == 0)
		return decode_block_kind(x, spec, body, name);
	buf_printf(x->problems, "unsupported spec kind \"%s\"\n", spec->type);
	return hcl_null(HCL_T_DYNAMIC);
}

/* ------------------------------------------------------------------------------------------------
 * Running one case */

static struct hcl_file *parse_file(const char *path, struct hcl_diags *d)
{
	return hcl_parse_config_file(path, d);
}

static void fail_case(const char *name, const char *why)
{
	const char *todo = known_reason(name);
	if (todo)
		printf("not ok %d - %s # TODO %s\n", ++ntests, name, todo);
	else
		printf("not ok %d - %s\n", ++ntests, name);
	for (const char *p = why; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		printf("#   %.*s\n", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
	if (!todo)
		nfailed++;
}

static int read_pos(const struct hcl_body *b, const char *which, int *line, int *col, long *byte)
{
	const struct hcl_attribute *l = NULL, *c = NULL, *by = NULL;
	for (size_t i = 0; i < b->nblocks; i++) {
		if (strcmp(b->blocks[i]->type, which) != 0)
			continue;
		l = hcl_body_attr(b->blocks[i]->body, "line");
		c = hcl_body_attr(b->blocks[i]->body, "column");
		by = hcl_body_attr(b->blocks[i]->body, "byte");
	}
	if (!l || !c || !by || l->expr->kind != HCL_EXPR_LITERAL || c->expr->kind != HCL_EXPR_LITERAL ||
	    by->expr->kind != HCL_EXPR_LITERAL)
		return -1;
	*line = atoi(l->expr->u.literal.text);
	*col = atoi(c->expr->u.literal.text);
	*byte = atol(by->expr->u.literal.text);
	return 0;
}

/* Compare the diagnostics with the .t file's diagnostics { error { from {} to {} } ... } block. */
static void check_diags(const struct hcl_block *want, const struct hcl_diags *got, struct buf *why)
{
	size_t nwant = 0;
	for (size_t i = 0; i < want->body->nblocks; i++) {
		const struct hcl_block *w = want->body->blocks[i];
		enum hcl_severity sev = strcmp(w->type, "warning") == 0 ? HCL_DIAG_WARNING : HCL_DIAG_ERROR;
		int fl, fc, tl, tc;
		long fb, tb;
		if (read_pos(w->body, "from", &fl, &fc, &fb) < 0 || read_pos(w->body, "to", &tl, &tc, &tb) < 0) {
			buf_printf(why, "unreadable expected diagnostic %zu\n", i);
			continue;
		}
		if (nwant >= got->n) {
			buf_printf(why, "missing %s at %d:%d-%d:%d\n", w->type, fl, fc, tl, tc);
			nwant++;
			continue;
		}
		const struct hcl_diag *g = &got->v[nwant++];
		const struct hcl_range *r = &g->subject;
		if (g->severity != sev || !g->has_subject || r->start.line != fl || r->start.column != fc ||
		    (long)r->start.byte != fb || r->end.line != tl || r->end.column != tc || (long)r->end.byte != tb)
			buf_printf(why, "want %s at %d:%d(%ld)-%d:%d(%ld), got \"%s\" at %d:%d(%zu)-%d:%d(%zu)\n", w->type,
				   fl, fc, fb, tl, tc, tb, g->summary, r->start.line, r->start.column, r->start.byte,
				   r->end.line, r->end.column, r->end.byte);
	}
	for (size_t i = nwant; i < got->n; i++)
		buf_printf(why, "unexpected diagnostic: %s: %s\n", got->v[i].summary, got->v[i].detail ? got->v[i].detail : "");
}

static int count_var(void *arg, const struct hcl_expr *e)
{
	(void)e;
	(*(size_t *)arg)++;
	return 0;
}

static void run_case(const char *dir, const char *base, const char *name)
{
	char *hcl = xasprintf("%s/%s.hcl", dir, base);
	char *spec = xasprintf("%s/%s.hcldec", dir, base);
	char *tfile = xasprintf("%s/%s.t", dir, base);
	struct buf why = BUF_INIT, problems = BUF_INIT;
	struct hcl_diags meta = HCL_DIAGS_INIT, diags = HCL_DIAGS_INIT;
	struct hcl_file *sf = parse_file(spec, &meta);
	struct hcl_file *tf = parse_file(tfile, &meta);
	struct hcl_file *in = NULL;
	struct hcl_eval_ctx *ctx = hcl_eval_ctx_new();
	struct hcl_value *got = NULL, *want = NULL;
	struct hcl_type *want_type = NULL;
	if (!sf || !tf || hcl_diags_has_errors(&meta)) {
		buf_printf(&why, "the spec or the expectations do not parse\n");
		goto out;
	}
	/* variables { } in the spec: the evaluation context */
	for (size_t i = 0; i < sf->body->nblocks; i++) {
		const struct hcl_block *b = sf->body->blocks[i];
		if (strcmp(b->type, "variables") != 0)
			continue;
		for (size_t j = 0; j < b->body->nattrs; j++)
			hcl_eval_ctx_set_var(ctx, b->body->attrs[j]->name, hcl_eval(b->body->attrs[j]->expr, ctx, &meta));
	}
	in = parse_file(hcl, &diags);
	const struct hcl_block *root = first_block(sf->body);
	if (!root) {
		buf_printf(&why, "the spec has no root\n");
		goto out;
	}
	/* hcldec stops at syntax errors; otherwise it decodes */
	if (in && !hcl_diags_has_errors(&diags)) {
		struct dec x = {ctx, &diags, &problems};
		got = decode_spec(&x, root, in->body, NULL);
		if (strcmp(root->type, "object") == 0)
			check_leftovers(&x, root, in->body);
		else if (strcmp(root->type, "literal") != 0)
			check_leftovers(&x, root, in->body);
	}
	if (problems.len)
		buf_append(&why, problems.data, problems.len);

	const struct hcl_attribute *rt = hcl_body_attr(tf->body, "result_type");
	const struct hcl_attribute *rv = hcl_body_attr(tf->body, "result");
	const struct hcl_block *wd = NULL, *wt = NULL;
	for (size_t i = 0; i < tf->body->nblocks; i++) {
		if (strcmp(tf->body->blocks[i]->type, "diagnostics") == 0)
			wd = tf->body->blocks[i];
		if (strcmp(tf->body->blocks[i]->type, "traversals") == 0)
			wt = tf->body->blocks[i];
	}
	if (wd) {
		check_diags(wd, &diags, &why);
	} else if (diags.n) {
		struct buf b = BUF_INIT;
		hcl_diags_render_short(&diags, &b);
		buf_printf(&why, "unexpected diagnostics:\n%s", buf_cstr(&b));
		buf_free(&b);
	}
	if (rt) {
		want_type = hcl_eval_type_expr(rt->expr, false, &meta);
		if (!want_type)
			buf_printf(&why, "unreadable result_type\n");
		else if (got && !hcl_type_equal(got->type, want_type)) {
			char *g = hcl_type_to_string(got->type), *w = hcl_type_to_string(want_type);
			buf_printf(&why, "result type %s, want %s\n", g, w);
			free(g);
			free(w);
		}
	}
	if (rv && got) {
		want = hcl_eval(rv->expr, ctx, &meta);
		if (want_type) {
			struct hcl_convert_error ce = {0};
			struct hcl_value *c = hcl_convert(want, want_type, &ce);
			hcl_convert_error_free(&ce);
			if (c) {
				hcl_value_unref(want);
				want = c;
			}
		}
		if (!hcl_value_raw_equal(got, want)) {
			struct buf g = BUF_INIT, w = BUF_INIT;
			hcl_value_format_expr(got, &g);
			hcl_value_format_expr(want, &w);
			buf_printf(&why, "result:\n%s\nwant:\n%s\n", buf_cstr(&g), buf_cstr(&w));
			buf_free(&g);
			buf_free(&w);
		}
	}
	if (wt && in) {
		size_t n = 0;
		hcl_body_variables(in->body, count_var, &n);
		if (n != wt->body->nblocks)
			buf_printf(&why, "%zu traversals, want %zu\n", n, wt->body->nblocks);
	}
out:
	if (why.len)
		fail_case(name, buf_cstr(&why));
	else if (known_reason(name))
		printf("ok %d - %s # TODO %s\n", ++ntests, name, known_reason(name));
	else
		printf("ok %d - %s\n", ++ntests, name);
	hcl_value_unref(got);
	hcl_value_unref(want);
	hcl_type_unref(want_type);
	hcl_eval_ctx_free(ctx);
	hcl_file_free(sf);
	hcl_file_free(tf);
	hcl_file_free(in);
	hcl_diags_free(&meta);
	hcl_diags_free(&diags);
	buf_free(&why);
	buf_free(&problems);
	free(hcl);
	free(spec);
	free(tfile);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every NAME.t under dir, depth first in lexical order. */
static void walk(const char *root, const char *rel)
{
	char *dir = *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *dh = opendir(dir);
	if (!dh) {
		printf("not ok %d - cannot read %s\n", ++ntests, dir);
		nfailed++;
		free(dir);
		return;
	}
	struct strv names = STRV_INIT;
	struct dirent *de;
	while ((de = readdir(dh)))
		if (de->d_name[0] != '.')
			strv_push(&names, de->d_name);
	closedir(dh);
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, cmp_str);
	for (size_t i = 0; i < names.n; i++) {
		char *p = xasprintf("%s/%s", dir, names.v[i]);
		char *r = *rel ? xasprintf("%s/%s", rel, names.v[i]) : xstrdup(names.v[i]);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			walk(root, r);
		} else {
			size_t n = strlen(names.v[i]);
			if (n > 2 && strcmp(names.v[i] + n - 2, ".t") == 0) {
				char *base = xstrndup(names.v[i], n - 2);
				char *label = xstrndup(r, strlen(r) - 2);
				run_case(dir, base, label);
				free(base);
				free(label);
			}
		}
		free(p);
		free(r);
	}
	strv_free(&names);
	free(dir);
}

int main(int argc, char **argv)
{
	char *root;
	if (argc > 1)
		root = xstrdup(argv[1]);
	else
		root = xasprintf("%s/tests/hcl-specsuite/tests", getenv("KILN_SRCDIR") ? getenv("KILN_SRCDIR") : ".");
	load_known(root);
	walk(root, "");
	printf("1..%d\n", ntests);
	strv_free(&known_names);
	strv_free(&known_reasons);
	free(root);
	return nfailed ? 1 : 0;
}
