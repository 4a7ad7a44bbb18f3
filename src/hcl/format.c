/* format.c — hclwrite's formatting algorithm over the scanner's token stream: split the tokens into
 * lines, each line into a lead cell, an assignment cell (from `=`) and a trailing comment cell; set
 * each line's indentation from the bracket nesting, the spacing between tokens by a small rule table,
 * and align the `=` and comment cells of consecutive lines. Only the spaces before tokens change. */
#include "hcl/format.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hcl/lexer.h"
#include "hcl/parser.h"
#include "util/buf.h"
#include "util/mem.h"

/* The formatter reads the scanner's tokens in place and keeps only the spaces to write before each
 * (at first the original ones, then what the layout rules say; no run of spaces exceeds the 4 GiB the
 * scanner reads, so 32 bits hold it). */
struct fmt {
	const struct hcl_token *v;
	const char *src;
	uint32_t *spaces;
};

/* A cell is a run [start, end) of token indices; start == end means absent. */
struct cell {
	size_t start, end;
};

struct fline {
	struct cell lead, assign, comment;
};

static bool cell_empty(struct cell c)
{
	return c.start == c.end;
}

static enum hcl_token_type tok_type(const struct fmt *f, size_t i)
{
	return f->v[i].type;
}

static bool tok_is_newline(const struct fmt *f, size_t i)
{
	const struct hcl_token *t = &f->v[i];
	if (t->type == HCL_TOK_NEWLINE)
		return true;
	return t->type == HCL_TOK_COMMENT && t->len > 0 && f->src[t->off + t->len - 1] == '\n';
}

static int bracket_change(enum hcl_token_type type)
{
	switch (type) {
	case HCL_TOK_OBRACE: case HCL_TOK_OBRACK: case HCL_TOK_OPAREN:
	case HCL_TOK_TEMPLATE_CONTROL: case HCL_TOK_TEMPLATE_INTERP:
		return 1;
	case HCL_TOK_CBRACE: case HCL_TOK_CBRACK: case HCL_TOK_CPAREN: case HCL_TOK_TEMPLATE_SEQ_END:
		return -1;
	default:
		return 0;
	}
}

static size_t cell_columns(const struct fmt *f, struct cell c)
{
	size_t n = 0;
	for (size_t i = c.start; i < c.end; i++) {
		const struct hcl_token *t = &f->v[i];
		n += f->spaces[i] + hcl_text_columns(f->src + t->off, t->len);
	}
	return n;
}

static bool is_in_keyword(const struct fmt *f, size_t i)
{
	const struct hcl_token *t = &f->v[i];
	return t->type == HCL_TOK_IDENT && t->len == 2 && memcmp(f->src + t->off, "in", 2) == 0;
}

/* Should there be a space between token `subject` and the next one, of type a? b is the type of the
 * token before subject; 0 stands for the edge of the cell. */
static bool space_after(const struct fmt *f, size_t subject, enum hcl_token_type b, enum hcl_token_type a)
{
	enum hcl_token_type s = tok_type(f, subject);
	if (a == HCL_TOK_NEWLINE || a == 0)
		return false;
	if (s == HCL_TOK_IDENT && a == HCL_TOK_OPAREN)
		return false;
	if (s == HCL_TOK_DOT || a == HCL_TOK_DOT)
		return false;
	if (a == HCL_TOK_COMMA || a == HCL_TOK_ELLIPSIS)
		return false;
	if (s == HCL_TOK_COMMA)
		return true;
	if (s == HCL_TOK_QUOTED_LIT || s == HCL_TOK_STRING_LIT || s == HCL_TOK_OQUOTE || s == HCL_TOK_OHEREDOC ||
	    a == HCL_TOK_QUOTED_LIT || a == HCL_TOK_STRING_LIT || a == HCL_TOK_CQUOTE || a == HCL_TOK_CHEREDOC)
		return false;
	if (is_in_keyword(f, subject) && b == HCL_TOK_IDENT)
		return true;
	if (a == HCL_TOK_OBRACK && (s == HCL_TOK_IDENT || s == HCL_TOK_NUMBER_LIT || bracket_change(s) < 0))
		return false;
	if (s == HCL_TOK_MINUS) {
		/* negation (no space) when what comes before cannot end an expression */
		if ((int)b == 0)
			return false; /* at the start of the cell */
		switch (b) {
		case HCL_TOK_OPAREN: case HCL_TOK_OBRACE: case HCL_TOK_OBRACK: case HCL_TOK_EQUAL:
		case HCL_TOK_COLON: case HCL_TOK_COMMA: case HCL_TOK_QUESTION:
		case HCL_TOK_PLUS: case HCL_TOK_STAR: case HCL_TOK_SLASH: case HCL_TOK_PERCENT: case HCL_TOK_MINUS:
		case HCL_TOK_EQUALOP: case HCL_TOK_NOTEQUAL: case HCL_TOK_GT: case HCL_TOK_GE: case HCL_TOK_LT:
		case HCL_TOK_LE:
		case HCL_TOK_AND: case HCL_TOK_OR: case HCL_TOK_BANG:
			return false;
		default:
			return true;
		}
	}
	if (s == HCL_TOK_OBRACE || a == HCL_TOK_CBRACE)
		return !(s == HCL_TOK_OBRACE && a == HCL_TOK_CBRACE);
	if ((s == HCL_TOK_TEMPLATE_INTERP || s == HCL_TOK_TEMPLATE_CONTROL) && a == HCL_TOK_OBRACE)
		return true;
	if (s == HCL_TOK_CBRACE && a == HCL_TOK_TEMPLATE_SEQ_END)
		return true;
	if (s == HCL_TOK_TEMPLATE_SEQ_END && (a == HCL_TOK_TEMPLATE_INTERP || a == HCL_TOK_TEMPLATE_CONTROL))
		return false;
	if (bracket_change(s) > 0)
		return false;
	if (bracket_change(a) < 0)
		return false;
	return true;
}

static void format_spaces_cell(struct fmt *f, struct cell c)
{
	/* (the space after a cell's last token is the next cell's business) */
	for (size_t i = c.start; i + 1 < c.end; i++) {
		enum hcl_token_type before = i > c.start ? tok_type(f, i - 1) : 0;
		f->spaces[i + 1] = space_after(f, i, before, tok_type(f, i + 1)) ? 1 : 0;
	}
}

/* Are the n source bytes at gap (the blanks the scanner skipped before a token) what the layout
 * writes there, `spaces` spaces? */
static bool spaces_unchanged(const char *gap, size_t n, size_t spaces)
{
	if (n != spaces)
		return false;
	for (size_t i = 0; i < n; i++)
		if (gap[i] != ' ')
			return false;
	return true;
}

static void format_tokens(const struct hcl_tokens *ts, struct buf *out)
{
	size_t ntok = ts->n;
	const struct hcl_token *v = ts->v;
	struct fmt fm = {v, ts->src, xmalloc(ntok * sizeof *fm.spaces)};
	struct fmt *f = &fm;
	uint32_t *spaces = fm.spaces;
	size_t last_end = 0;
	for (size_t i = 0; i < ntok; i++) {
		spaces[i] = (uint32_t)(v[i].off - last_end);
		last_end = v[i].off + v[i].len;
	}
	/* A byte order mark with nothing but spaces after it: `packer fmt` keeps the mark's three bytes
	 * as three spaces before the end of the file (with anything else it drops the mark) */
	if (ntok && v[0].type == HCL_TOK_EOF && ts->base == 3 && memcmp(ts->src - 3, "\xEF\xBB\xBF", 3) == 0)
		spaces[0] += 3;

	/* lines: each ends with a newline token (or a line comment, which swallows its newline) */
	size_t nlines = 1;
	for (size_t i = 0; i < ntok; i++)
		if (tok_is_newline(f, i))
			nlines++;
	struct fline *lines = xcalloc(nlines, sizeof *lines);
	size_t li = 0, line_start = 0;
	for (size_t i = 0; i < ntok; i++) {
		if (tok_type(f, i) == HCL_TOK_EOF) {
			lines[li].lead = (struct cell){line_start, i};
			line_start = ntok;
			break;
		}
		if (tok_is_newline(f, i)) {
			lines[li].lead = (struct cell){line_start, i + 1};
			line_start = i + 1;
			li++;
		}
	}

	/* split off trailing comments and assignments */
	for (size_t l = 0; l < nlines; l++) {
		struct fline *line = &lines[l];
		if (cell_empty(line->lead))
			continue;
		if (line->lead.end - line->lead.start > 1 && tok_type(f, line->lead.end - 1) == HCL_TOK_COMMENT) {
			line->comment = (struct cell){line->lead.end - 1, line->lead.end};
			line->lead.end--;
		}
		for (size_t i = line->lead.start + 1; i < line->lead.end; i++) {
			if (tok_type(f, i) != HCL_TOK_EQUAL)
				continue;
			int net = 0;
			for (size_t j = i; j < line->lead.end; j++)
				net += bracket_change(tok_type(f, j));
			if (net == 0) {
				line->assign = (struct cell){i, line->lead.end};
				line->lead.end = i;
			}
			break;
		}
	}

	/* indentation */
	size_t *indents = NULL, nind = 0, capind = 0;
	for (size_t l = 0; l < nlines; l++) {
		struct fline *line = &lines[l];
		if (cell_empty(line->lead))
			continue;
		size_t first = line->lead.start;
		if (tok_type(f, first) == HCL_TOK_NEWLINE) {
			spaces[first] = 0;
			continue;
		}
		int net = 0;
		for (size_t i = line->lead.start; i < line->lead.end; i++) {
			net += bracket_change(tok_type(f, i));
			if (tok_type(f, i) == HCL_TOK_OHEREDOC)
				break;
		}
		for (size_t i = line->assign.start; i < line->assign.end; i++)
			net += bracket_change(tok_type(f, i));
		if (net > 0) {
			spaces[first] = (uint32_t)(2 * nind);
			indents = xgrow(indents, &capind, nind + 1, sizeof *indents);
			indents[nind++] = (size_t)net;
		} else if (net < 0) {
			size_t closed = (size_t)-net;
			while (closed > 0 && nind > 0) {
				if (closed > indents[nind - 1]) {
					closed -= indents[nind - 1];
					nind--;
				} else if (closed < indents[nind - 1]) {
					indents[nind - 1] -= closed;
					closed = 0;
				} else {
					nind--;
					closed = 0;
				}
			}
			spaces[first] = (uint32_t)(2 * nind);
		} else {
			spaces[first] = (uint32_t)(2 * nind);
		}
	}
	free(indents);

	/* spacing within cells */
	for (size_t l = 0; l < nlines; l++) {
		struct fline *line = &lines[l];
		format_spaces_cell(f, line->lead);
		if (!cell_empty(line->assign)) {
			spaces[line->assign.start] = 1;
			format_spaces_cell(f, line->assign);
		}
	}

	/* align "=" across consecutive assignment lines, then trailing comments */
	long chain = -1;
	size_t maxcols = 0;
	for (size_t l = 0; l <= nlines; l++) {
		bool has = l < nlines && !cell_empty(lines[l].assign);
		if (!has) {
			if (chain >= 0) {
				for (size_t k = (size_t)chain; k < l; k++)
					spaces[lines[k].assign.start] = (uint32_t)(maxcols - cell_columns(f, lines[k].lead) + 1);
				chain = -1;
				maxcols = 0;
			}
			continue;
		}
		if (chain < 0)
			chain = (long)l;
		size_t cols = cell_columns(f, lines[l].lead);
		if (cols > maxcols)
			maxcols = cols;
	}
	chain = -1;
	maxcols = 0;
	for (size_t l = 0; l <= nlines; l++) {
		bool has = l < nlines && !cell_empty(lines[l].comment);
		if (!has) {
			if (chain >= 0) {
				for (size_t k = (size_t)chain; k < l; k++) {
					size_t cols = cell_columns(f, lines[k].lead) + cell_columns(f, lines[k].assign);
					spaces[lines[k].comment.start] = (uint32_t)(maxcols - cols + 1);
				}
				chain = -1;
				maxcols = 0;
			}
			continue;
		}
		if (chain < 0)
			chain = (long)l;
		size_t cols = cell_columns(f, lines[l].lead) + cell_columns(f, lines[l].assign);
		if (cols > maxcols)
			maxcols = cols;
	}

	/* The output: the source, with the spaces before a token replaced where they change. Runs of
	 * tokens whose spaces stay are copied in one piece. */
	size_t total = 0;
	for (size_t i = 0; i < ntok; i++)
		total += spaces[i] + v[i].len;
	buf_reserve(out, total);
	const char *src = ts->src;
	char *w = out->data + out->len;
	size_t run = 0, end = 0; /* the unchanged source run [run, end) not yet written */
	for (size_t i = 0; i < ntok; i++) {
		if (!spaces_unchanged(src + end, v[i].off - end, spaces[i])) {
			memcpy(w, src + run, end - run);
			w += end - run;
			memset(w, ' ', spaces[i]);
			w += spaces[i];
			run = v[i].off;
		}
		end = v[i].off + v[i].len;
	}
	memcpy(w, src + run, end - run);
	out->len += total;
	out->data[out->len] = '\0';
	free(lines);
	free(spaces);
}

void hcl_format(const char *src, size_t len, struct buf *out)
{
	struct hcl_tokens ts = {0};
	struct hcl_pos start = {1, 1, 0};
	hcl_lex(src, len, "", start, HCL_LEX_CONFIG, &ts);
	format_tokens(&ts, out);
	hcl_tokens_free(&ts);
}

struct hcl_file *hcl_parse_and_format(const char *src, size_t len, const char *filename, struct hcl_diags *diags,
				      struct buf *out)
{
	struct hcl_tokens ts = {0};
	struct hcl_diags found = HCL_DIAGS_INIT;
	hcl_check_config(src, len, filename, &found, &ts);
	bool ok = !hcl_diags_has_errors(&found);
	if (ok) {
		format_tokens(&ts, out);
		hcl_diags_append(diags, &found);
	}
	hcl_tokens_free(&ts);
	hcl_diags_free(&found);
	/* errors are rare: the tree they are shown in comes from parsing again */
	return ok ? NULL : hcl_parse_config(src, len, filename, diags);
}
