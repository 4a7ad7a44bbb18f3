/* lock.c — reading and writing .kiln.lock.hcl (see lock.h) with kiln's own HCL parser. */
#include "plugin/lock.h"

#include <stdlib.h>
#include <string.h>

#include "hcl/ast.h"
#include "hcl/diag.h"
#include "hcl/eval.h"
#include "hcl/parser.h"
#include "hcl/value.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"

static void entry_free(struct plugin_lock_entry *e)
{
	free(e->source);
	free(e->version);
	free(e->constraints);
	free(e->protocol);
	strv_free(&e->hashes);
}

void plugin_lock_free(struct plugin_lock *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		entry_free(&l->v[i]);
	free(l->v);
	free(l->path);
	memset(l, 0, sizeof *l);
}

const struct plugin_lock_entry *plugin_lock_find(const struct plugin_lock *l, const char *source)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (strcmp(l->v[i].source, source) == 0)
			return &l->v[i];
	return NULL;
}

bool plugin_lock_has_hash(const struct plugin_lock_entry *e, const char *sha256_hex)
{
	char *want = xasprintf("sha256:%s", sha256_hex);
	bool has = strv_contains(&e->hashes, want);
	free(want);
	return has;
}

void plugin_lock_set(struct plugin_lock *l, const char *source, const char *version, const char *constraints,
		     const char *protocol, const struct strv *hashes)
{
	struct plugin_lock_entry *e = (struct plugin_lock_entry *)plugin_lock_find(l, source);
	if (e) {
		entry_free(e);
	} else {
		l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof *l->v);
		e = &l->v[l->n++];
	}
	memset(e, 0, sizeof *e);
	e->source = xstrdup(source);
	e->version = xstrdup(version);
	e->constraints = constraints ? xstrdup(constraints) : NULL;
	e->protocol = xstrdup(protocol);
	for (size_t i = 0; hashes && i < hashes->n; i++)
		if (!strv_contains(&e->hashes, hashes->v[i]))
			strv_push(&e->hashes, hashes->v[i]);
	strv_sort(&e->hashes);
}

void plugin_lock_retain(struct plugin_lock *l, const struct strv *keep)
{
	size_t w = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (strv_contains(keep, l->v[i].source))
			l->v[w++] = l->v[i];
		else
			entry_free(&l->v[i]);
	}
	l->n = w;
}

/* ------------------------------------------------------------------------------------------------
 * Reading */

static char *string_attr(const struct hcl_body *b, const char *name, bool required, struct hcl_diags *d,
			 const struct hcl_range *block_range)
{
	const struct hcl_attribute *a = hcl_body_attr(b, name);
	if (!a) {
		if (required)
			hcl_error(d, block_range, "Invalid lock file entry", "The entry has no \"%s\".", name);
		return NULL;
	}
	size_t len;
	const char *s = hcl_expr_as_string_literal(a->expr, &len);
	if (!s) {
		hcl_error(d, &a->range, "Invalid lock file entry", "\"%s\" must be a quoted string.", name);
		return NULL;
	}
	return xstrndup(s, len);
}

static void read_hashes(const struct hcl_body *b, struct plugin_lock_entry *e, struct hcl_diags *d,
			const struct hcl_range *block_range)
{
	const struct hcl_attribute *a = hcl_body_attr(b, "hashes");
	if (!a) {
		hcl_error(d, block_range, "Invalid lock file entry", "The entry has no \"hashes\".");
		return;
	}
	struct hcl_eval_ctx *ctx = hcl_eval_ctx_new_empty();
	struct hcl_type *ty = hcl_type_list(HCL_T_STRING);
	struct hcl_value *v = hcl_eval_as(a->expr, ty, ctx, "Invalid lock file entry", d);
	if (hcl_is_wholly_known(v) && !hcl_is_null(v)) {
		for (size_t i = 0; i < hcl_len(v); i++) {
			const char *h = hcl_str(hcl_elem(v, i));
			if (strncmp(h, "sha256:", 7) != 0 || strlen(h) != 7 + 64 || strspn(h + 7, "0123456789abcdef") != 64)
				hcl_error(d, &a->range, "Invalid lock file entry",
					  "\"%s\" is not a checksum of the form \"sha256:<64 lowercase hex digits>\".", h);
			else
				strv_push(&e->hashes, h);
		}
	}
	hcl_value_unref(v);
	hcl_type_unref(ty);
	hcl_eval_ctx_free(ctx);
	if (e->hashes.n == 0 && !hcl_diags_has_errors(d))
		hcl_error(d, &a->range, "Invalid lock file entry", "\"hashes\" lists no checksum.");
	strv_sort(&e->hashes);
}

int plugin_lock_read(const char *dir, struct plugin_lock *out, struct kiln_error *err)
{
	memset(out, 0, sizeof *out);
	out->path = path_join(dir, PLUGIN_LOCK_FILE);
	if (!file_exists(out->path))
		return 0;
	out->exists = true;
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_file *f = hcl_parse_config_file(out->path, &d);
	for (size_t i = 0; f && i < f->body->nattrs; i++)
		hcl_error(&d, &f->body->attrs[i]->name_range, "Unexpected argument in the lock file",
			  "The lock file holds only plugin blocks.");
	for (size_t i = 0; f && i < f->body->nblocks; i++) {
		const struct hcl_block *blk = f->body->blocks[i];
		if (strcmp(blk->type, "plugin") != 0 || blk->nlabels != 1) {
			hcl_error(&d, &blk->type_range, "Unexpected block in the lock file",
				  "The lock file holds only blocks of the form plugin \"SOURCE\" { ... }.");
			continue;
		}
		if (plugin_lock_find(out, blk->labels[0])) {
			hcl_error(&d, &blk->label_ranges[0], "Duplicate lock file entry",
				  "The plugin \"%s\" is listed twice.", blk->labels[0]);
			continue;
		}
		out->v = xgrow(out->v, &out->cap, out->n + 1, sizeof *out->v);
		struct plugin_lock_entry *e = &out->v[out->n++];
		memset(e, 0, sizeof *e);
		e->source = xstrdup(blk->labels[0]);
		e->version = string_attr(blk->body, "version", true, &d, &blk->type_range);
		e->constraints = string_attr(blk->body, "constraints", false, &d, &blk->type_range);
		e->protocol = string_attr(blk->body, "protocol", true, &d, &blk->type_range);
		read_hashes(blk->body, e, &d, &blk->type_range);
		if (!e->version || !e->protocol)
			out->n--, entry_free(e);
	}
	int rc = 0;
	if (hcl_diags_has_errors(&d)) {
		/* the first problem, located: "FILE:2:3: summary: detail" */
		struct buf b = BUF_INIT;
		for (size_t i = 0; i < d.n && !b.len; i++) {
			const struct hcl_diag *x = &d.v[i];
			if (x->severity != HCL_DIAG_ERROR)
				continue;
			if (x->has_subject)
				buf_printf(&b, "%s:%d:%d: ", out->path, x->subject.start.line, x->subject.start.column);
			buf_printf(&b, "%s", x->summary);
			if (x->detail)
				buf_printf(&b, ": %s", x->detail);
		}
		err_set(err, "the lock file is not valid: %s", buf_cstr(&b));
		err_hint(err, "delete it and run kiln init to write it again");
		buf_free(&b);
		rc = -1;
	}
	hcl_diags_free(&d);
	hcl_file_free(f);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Writing */

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct plugin_lock_entry *)a)->source, ((const struct plugin_lock_entry *)b)->source);
}

/* A string literal for HCL: these values never hold quotes, backslashes or ${ (they are versions,
 * constraints and hex), but escape anyway. */
static void quoted(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		if ((*s == '$' || *s == '%') && s[1] == '{')
			buf_putc(b, *s);
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

int plugin_lock_write(const struct plugin_lock *l, struct kiln_error *err)
{
	struct plugin_lock_entry *sorted = xmalloc(sizeof *sorted * (l->n ? l->n : 1));
	memcpy(sorted, l->v, sizeof *sorted * l->n);
	qsort(sorted, l->n, sizeof *sorted, cmp_entry);
	struct buf b = BUF_INIT;
	buf_puts(&b, "# This file is maintained automatically by \"kiln init\".\n"
		     "# Manual edits may be lost in future updates.\n");
	for (size_t i = 0; i < l->n; i++) {
		const struct plugin_lock_entry *e = &sorted[i];
		buf_puts(&b, "\nplugin ");
		quoted(&b, e->source);
		buf_puts(&b, " {\n  version     = ");
		quoted(&b, e->version);
		if (e->constraints) {
			buf_puts(&b, "\n  constraints = ");
			quoted(&b, e->constraints);
		}
		buf_puts(&b, "\n  protocol    = ");
		quoted(&b, e->protocol);
		buf_puts(&b, "\n  hashes = [\n");
		for (size_t k = 0; k < e->hashes.n; k++) {
			buf_puts(&b, "    ");
			quoted(&b, e->hashes.v[k]);
			buf_puts(&b, ",\n");
		}
		buf_puts(&b, "  ]\n}\n");
	}
	int rc = file_write_atomic(l->path, b.data ? b.data : "", b.len, 0644, err);
	buf_free(&b);
	free(sorted);
	return rc;
}
