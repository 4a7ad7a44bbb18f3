/* diag.c — collecting diagnostics and rendering them as HCL (and Packer) print them: summary, the
 * location with the enclosing top-level block, the source lines with a marker under the subject,
 * the detail word-wrapped at 78 columns. */
#include "hcl/diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcl/ast.h"
#include "hcl/lexer.h"
#include "util/buf.h"
#include "util/mem.h"

struct hcl_range hcl_range_between(struct hcl_range a, struct hcl_range b)
{
	struct hcl_range r;
	r.filename = a.filename ? a.filename : b.filename;
	r.start = a.start.byte <= b.start.byte ? a.start : b.start;
	r.end = a.end.byte >= b.end.byte ? a.end : b.end;
	return r;
}

char *hcl_range_string(const struct hcl_range *r)
{
	const char *f = r->filename ? r->filename : "";
	if (r->start.line == r->end.line)
		return xasprintf("%s:%d,%d-%d", f, r->start.line, r->start.column, r->end.column);
	return xasprintf("%s:%d,%d-%d,%d", f, r->start.line, r->start.column, r->end.line, r->end.column);
}

bool hcl_range_contains(const struct hcl_range *r, size_t byte)
{
	return byte >= r->start.byte && byte < r->end.byte;
}

/* ------------------------------------------------------------------------------------------------
 * Collection */

struct hcl_diag *hcl_diag_addv(struct hcl_diags *d, enum hcl_severity sev, const struct hcl_range *subject,
			       const char *summary, const char *detail_fmt, va_list ap)
{
	d->v = xgrow(d->v, &d->cap, d->n + 1, sizeof *d->v);
	struct hcl_diag *x = &d->v[d->n++];
	memset(x, 0, sizeof *x);
	x->severity = sev;
	x->summary = xstrdup(summary ? summary : "");
	x->detail = detail_fmt ? xvasprintf(detail_fmt, ap) : NULL;
	if (subject) {
		x->has_subject = true;
		x->subject = *subject;
		x->filename_ = xstrdup(subject->filename ? subject->filename : "");
		x->subject.filename = x->filename_;
	}
	return x;
}

struct hcl_diag *hcl_diag_add(struct hcl_diags *d, enum hcl_severity sev, const struct hcl_range *subject,
			      const char *summary, const char *detail_fmt, ...)
{
	va_list ap;
	va_start(ap, detail_fmt);
	struct hcl_diag *x = hcl_diag_addv(d, sev, subject, summary, detail_fmt, ap);
	va_end(ap);
	return x;
}

void hcl_diag_set_context(struct hcl_diag *diag, const struct hcl_range *context)
{
	if (!diag || !context)
		return;
	diag->has_context = true;
	diag->context = *context;
	if (!diag->filename_)
		diag->filename_ = xstrdup(context->filename ? context->filename : "");
	diag->context.filename = diag->filename_;
}

bool hcl_diags_has_errors(const struct hcl_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].severity == HCL_DIAG_ERROR)
			return true;
	return false;
}

size_t hcl_diags_count(const struct hcl_diags *d, enum hcl_severity sev)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].severity == sev)
			n++;
	return n;
}

void hcl_diags_insert(struct hcl_diags *dst, size_t at, struct hcl_diags *src)
{
	if (src->n == 0)
		return;
	dst->v = xgrow(dst->v, &dst->cap, dst->n + src->n, sizeof *dst->v);
	memmove(dst->v + at + src->n, dst->v + at, (dst->n - at) * sizeof *dst->v);
	memcpy(dst->v + at, src->v, src->n * sizeof *src->v);
	dst->n += src->n;
	free(src->v);
	src->v = NULL;
	src->n = src->cap = 0;
}

void hcl_diags_append(struct hcl_diags *dst, struct hcl_diags *src)
{
	hcl_diags_insert(dst, dst->n, src);
}

void hcl_diags_copy_one(struct hcl_diags *dst, const struct hcl_diag *src)
{
	struct hcl_diag *x = hcl_diag_add(dst, src->severity, src->has_subject ? &src->subject : NULL, src->summary,
					  src->detail ? "%s" : NULL, src->detail);
	if (src->has_context)
		hcl_diag_set_context(x, &src->context);
	for (size_t i = 0; i < src->values.n; i++)
		strv_push(&x->values, src->values.v[i]);
}

static void diag_free_one(struct hcl_diag *x);

void hcl_diags_free(struct hcl_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		diag_free_one(&d->v[i]);
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

static bool same_range(const struct hcl_range *a, const struct hcl_range *b)
{
	return a->start.byte == b->start.byte && a->end.byte == b->end.byte &&
	       strcmp(a->filename ? a->filename : "", b->filename ? b->filename : "") == 0;
}

static bool same_diag(const struct hcl_diag *a, const struct hcl_diag *b)
{
	return a->severity == b->severity && a->has_subject == b->has_subject &&
	       (!a->has_subject || same_range(&a->subject, &b->subject)) && strcmp(a->summary, b->summary) == 0 &&
	       strcmp(a->detail ? a->detail : "", b->detail ? b->detail : "") == 0;
}

static void diag_free_one(struct hcl_diag *x)
{
	free(x->summary);
	free(x->detail);
	free(x->filename_);
	strv_free(&x->values);
}

void hcl_diags_dedup(struct hcl_diags *d, size_t from)
{
	size_t out = from;
	for (size_t i = from; i < d->n; i++) {
		bool dup = false;
		for (size_t j = 0; j < out && !dup; j++)
			dup = same_diag(&d->v[j], &d->v[i]);
		if (dup) {
			diag_free_one(&d->v[i]);
			continue;
		}
		d->v[out++] = d->v[i];
	}
	d->n = out;
}

/* ------------------------------------------------------------------------------------------------
 * Rendering */

/* Go's %q for a block label (printable ASCII and UTF-8 kept, the rest escaped). */
static void put_quoted(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				buf_printf(b, "\\x%02x", *p);
			else
				buf_putc(b, (char)*p);
		}
	}
	buf_putc(b, '"');
}

/* The top-level block containing byte offset off: `source "qemu" "x"`, or NULL. */
static char *context_string(const struct hcl_file *f, size_t off)
{
	if (!f || !f->body || f->body->nblocks == 0)
		return NULL;
	/* the last block starting at or before off (blocks are in file order) */
	size_t lo = 0, hi = f->body->nblocks;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->body->blocks[mid]->type_range.start.byte <= off)
			lo = mid;
		else
			hi = mid;
	}
	{
		const struct hcl_block *blk = f->body->blocks[lo];
		struct hcl_range r = hcl_range_between(blk->type_range, blk->close_brace_range);
		if (!hcl_range_contains(&r, off))
			return NULL;
		struct buf b = BUF_INIT;
		buf_puts(&b, blk->type);
		for (size_t j = 0; j < blk->nlabels; j++) {
			buf_putc(&b, ' ');
			put_quoted(&b, blk->labels[j]);
		}
		return buf_detach(&b);
	}
	return NULL;
}

static bool is_wrap_space(unsigned cp)
{
	return cp != 0xA0 && hcl_is_unicode_space(cp);
}

/* The end of a line (or of the text): the pending word with the spaces before it; spaces with no word
 * after them only when they still fit. */
static void wrap_line_end(struct buf *out, const struct buf *space, const struct buf *word, size_t current,
			  size_t spacelen, size_t lim)
{
	if (word->len == 0) {
		if (current + spacelen <= lim)
			buf_append(out, space->data, space->len);
	} else {
		buf_append(out, space->data, space->len);
		buf_append(out, word->data, word->len);
	}
}

/* go-wordwrap's WrapString: greedy wrapping at spaces, keeping existing newlines; a word longer than
 * the limit stays whole on its own line. */
static void wrap_text(struct buf *out, const char *s, size_t lim)
{
	struct buf word = BUF_INIT, space = BUF_INIT;
	size_t current = 0, wordlen = 0, spacelen = 0;
	size_t n = strlen(s);
	size_t i = 0;
	while (i < n) {
		unsigned cp;
		size_t l = hcl_utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (l == 0) {
			l = 1;
			cp = 0xFFFD;
		}
		if (cp == '\n') {
			wrap_line_end(out, &space, &word, current, spacelen, lim);
			buf_reset(&space);
			buf_reset(&word);
			spacelen = wordlen = 0;
			buf_putc(out, '\n');
			current = 0;
		} else if (is_wrap_space(cp)) {
			if (space.len == 0 || word.len > 0) {
				current += spacelen + wordlen;
				buf_append(out, space.data, space.len);
				buf_append(out, word.data, word.len);
				buf_reset(&space);
				buf_reset(&word);
				spacelen = wordlen = 0;
			}
			buf_append(&space, s + i, l);
			spacelen++;
		} else {
			buf_append(&word, s + i, l);
			wordlen++;
			if (current + spacelen + wordlen > lim && wordlen < lim) {
				buf_putc(out, '\n');
				current = 0;
				buf_reset(&space);
				spacelen = 0;
			}
		}
		i += l;
	}
	wrap_line_end(out, &space, &word, current, spacelen, lim);
	buf_free(&word);
	buf_free(&space);
}

#define ANSI_RESET "\033[0m"
#define ANSI_BOLD "\033[1m"
#define ANSI_RED "\033[31m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_UNDERLINE "\033[4m"

/* A source line longer than this is shown as a window around what it highlights (a generated or
 * hostile template's one huge line, reported many times, would otherwise flood the output). */
#define SNIPPET_MAX_LINE 1000
#define SNIPPET_AROUND 100     /* bytes of context on each side of the highlight in a window */
#define SNIPPET_MAX_HL 500     /* bytes of a long highlight shown in a window */

/* p moved back to the start of the UTF-8 character it is in (not before lo). */
static size_t char_start(const char *s, size_t p, size_t lo)
{
	while (p > lo && ((unsigned char)s[p] & 0xC0) == 0x80)
		p--;
	return p;
}

/* Print the source lines that overlap snip, highlighting hl. */
static void render_snippet(struct buf *out, const struct hcl_file *f, const struct hcl_range *snip,
			   const struct hcl_range *hl, const struct hcl_render_opts *o)
{
	const char *src = f->bytes;
	size_t len = f->len;
	/* from the start of snip's first line: found from its offset, not by reading the file from its
	 * beginning for every diagnostic */
	size_t pos = snip->start.byte < len ? snip->start.byte : len;
	while (pos > 0 && src[pos - 1] != '\n')
		pos--;
	int line = snip->start.line;
	while (pos <= len) {
		size_t eol = pos;
		while (eol < len && src[eol] != '\n')
			eol++;
		size_t content_end = eol;
		if (content_end > pos && src[content_end - 1] == '\r')
			content_end--;
		/* line spans [pos, eol]; it overlaps snip when it intersects [start, end] */
		size_t lstart = pos, lend = eol + (eol < len ? 1 : 0);
		bool overlaps = (lstart < snip->end.byte && snip->start.byte < lend) ||
				(snip->start.byte == snip->end.byte && snip->start.byte >= lstart &&
				 snip->start.byte <= eol);
		if (overlaps) {
			/* the highlight on this line, clamped to its text (a highlighted line end shows as
			 * one marker just after the text) */
			bool has_hl = (hl->start.byte < lend && lstart < hl->end.byte) ||
				      (hl->start.byte == hl->end.byte && hl->start.byte >= lstart && hl->start.byte <= eol);
			size_t hs = hl->start.byte > lstart ? hl->start.byte : lstart;
			size_t he = hl->end.byte < content_end ? hl->end.byte : content_end;
			if (hs > content_end)
				hs = content_end;
			if (he < hs)
				he = hs;
			/* the part of the line shown: all of it, or a window around the highlight */
			size_t ws = pos, we = content_end;
			if (content_end - pos > SNIPPET_MAX_LINE) {
				size_t at = has_hl ? hs : pos;
				ws = char_start(src, at - pos > SNIPPET_AROUND ? at - SNIPPET_AROUND : pos, pos);
				size_t hl_end = has_hl && he - hs > SNIPPET_MAX_HL ? hs + SNIPPET_MAX_HL : (has_hl ? he : at);
				we = content_end - hl_end > SNIPPET_AROUND ? hl_end + SNIPPET_AROUND : content_end;
				we = char_start(src, we, ws);
				if (he > we)
					he = we;
			}
			const char *lead = ws > pos ? "..." : "", *trail = we < content_end ? "..." : "";
			buf_printf(out, "%4d: %s", line, lead);
			if (has_hl && o->color && hs < he) {
				buf_append(out, src + ws, hs - ws);
				buf_puts(out, ANSI_UNDERLINE);
				buf_append(out, src + hs, he - hs);
				buf_puts(out, ANSI_RESET);
				buf_append(out, src + he, we - he);
			} else {
				buf_append(out, src + ws, we - ws);
			}
			buf_puts(out, trail);
			buf_putc(out, '\n');
			if (has_hl && !o->no_marker) {
				buf_puts(out, "      ");
				buf_repeat(out, ' ', strlen(lead));
				for (size_t i = ws; i < hs;) {
					if (src[i] == '\t') {
						buf_putc(out, '\t');
						i++;
						continue;
					}
					unsigned cp;
					size_t l = hcl_utf8_decode((const unsigned char *)src + i, hs - i, &cp);
					if (l == 0)
						l = 1;
					buf_repeat(out, ' ', hcl_text_columns(src + i, l));
					i += l;
				}
				size_t cols = he > hs ? hcl_text_columns(src + hs, he - hs) : 0;
				if (cols == 0)
					cols = 1;
				if (o->color)
					buf_puts(out, ANSI_RED);
				buf_repeat(out, '^', cols);
				if (o->color)
					buf_puts(out, ANSI_RESET);
				buf_putc(out, '\n');
			}
		}
		if (eol >= len)
			break;
		pos = eol + 1;
		line++;
		if (pos > snip->end.byte && pos > hl->end.byte)
			break;
	}
}

/* Whether the whole lines render_snippet would show for snip overlap a sensitive value's source. */
static bool snippet_hidden(const struct hcl_file *f, const struct hcl_range *snip)
{
	if (!f->nhidden)
		return false;
	size_t s = snip->start.byte < f->len ? snip->start.byte : f->len;
	size_t e = snip->end.byte < f->len ? snip->end.byte : f->len;
	while (s > 0 && f->bytes[s - 1] != '\n')
		s--;
	while (e < f->len && f->bytes[e] != '\n')
		e++;
	return hcl_file_is_hidden(f, s, e);
}

void hcl_diag_render(const struct hcl_diag *d, const struct hcl_fileset *files, const struct hcl_render_opts *opts,
		     struct buf *out)
{
	struct hcl_render_opts defaults = {0};
	const struct hcl_render_opts *o = opts ? opts : &defaults;
	unsigned width = o->width ? o->width : 78;
	bool err = d->severity == HCL_DIAG_ERROR;

	if (o->color)
		buf_printf(out, "%s%s%s: %s%s%s%s\n\n", ANSI_BOLD, err ? ANSI_RED : ANSI_YELLOW,
			   err ? "Error" : "Warning", ANSI_RESET, ANSI_BOLD, d->summary, ANSI_RESET);
	else
		buf_printf(out, "%s: %s\n\n", err ? "Error" : "Warning", d->summary);

	if (d->has_subject) {
		const struct hcl_file *f = hcl_fileset_find(files, d->subject.filename);
		if (!f || !f->bytes) {
			buf_printf(out, "  on %s line %d:\n  (source code not available)\n\n", d->subject.filename,
				   d->subject.start.line);
		} else {
			char *ctx = context_string(f, d->subject.start.byte);
			buf_printf(out, "  on %s line %d%s%s:\n", d->subject.filename, d->subject.start.line,
				   ctx ? ", in " : "", ctx ? ctx : "");
			free(ctx);
			struct hcl_range snip = d->subject;
			if (d->has_context)
				snip = hcl_range_between(snip, d->context);
			if (snippet_hidden(f, &snip)) {
				buf_puts(out, "  (source code not shown: it holds a sensitive value)\n\n");
			} else {
				render_snippet(out, f, &snip, &d->subject, o);
				buf_putc(out, '\n');
			}
		}
		if (d->values.n > 0) {
			for (size_t i = 0; i < d->values.n; i++) {
				buf_puts(out, i == 0 ? "with " : "     ");
				buf_puts(out, d->values.v[i]);
				buf_puts(out, i + 1 == d->values.n ? ".\n\n" : ",\n");
			}
		}
	}
	if (d->detail && *d->detail) {
		wrap_text(out, d->detail, width);
		buf_puts(out, "\n\n");
	}
}

void hcl_diags_render(const struct hcl_diags *d, const struct hcl_fileset *files, const struct hcl_render_opts *opts,
		      struct buf *out)
{
	for (size_t i = 0; i < d->n; i++)
		hcl_diag_render(&d->v[i], files, opts, out);
}

void hcl_diags_render_short(const struct hcl_diags *d, struct buf *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct hcl_diag *x = &d->v[i];
		if (x->has_subject)
			buf_printf(out, "%s:%d:%d: ", x->subject.filename, x->subject.start.line, x->subject.start.column);
		buf_printf(out, "%s: %s\n", x->severity == HCL_DIAG_ERROR ? "error" : "warning", x->summary);
	}
}

/* ------------------------------------------------------------------------------------------------
 * Suggestions */

static size_t levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = xcalloc(lb + 1, sizeof *row);
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t tmp = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	size_t d = row[lb];
	free(row);
	return d;
}

const char *hcl_name_suggestion(const char *given, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3;
	for (size_t i = 0; i < n; i++) {
		if (!candidates[i])
			continue;
		size_t d = levenshtein(given, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}
