/* format.c — hclwrite's formatting algorithm over the scanner's token stream: split the tokens into
 * lines, each line into a lead cell, an assignment cell (from `=`) and a trailing comment cell; set
 * each line's indentation from the bracket nesting, the spacing between tokens by a small rule table,
 * and align the `=` and comment cells of consecutive lines. Only the spaces before tokens change. */
#include "hcl/format.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hcl/lexer.h"
#include "util/buf.h"
#include "util/mem.h"

struct wtok {
	enum hcl_token_type type;
	const char *bytes;
	size_t len;
	size_t spaces;      /* spaces written before the token */
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

static bool tok_is_newline(const struct wtok *t)
{
	if (t->type == HCL_TOK_NEWLINE)
		return true;
	return t->type == HCL_TOK_COMMENT && t->len > 0 && t->bytes[t->len - 1] == '\n';
}

static int bracket_change(const struct wtok *t)
{
	switch (t->type) {
	case HCL_TOK_OBRACE: case HCL_TOK_OBRACK: case HCL_TOK_OPAREN:
	case HCL_TOK_TEMPLATE_CONTROL: case HCL_TOK_TEMPLATE_INTERP:
		return 1;
	case HCL_TOK_CBRACE: case HCL_TOK_CBRACK: case HCL_TOK_CPAREN: case HCL_TOK_TEMPLATE_SEQ_END:
		return -1;
	default:
		return 0;
	}
}

static size_t cell_columns(const struct wtok *toks, struct cell c)
{
	size_t n = 0;
	for (size_t i = c.start; i < c.end; i++)
		n += toks[i].spaces + hcl_text_columns(toks[i].bytes, toks[i].len);
	return n;
}

static bool is_in_keyword(const struct wtok *t)
{
	return t->type == HCL_TOK_IDENT && t->len == 2 && memcmp(t->bytes, "in", 2) == 0;
}

/* Should there be a space between subject and after? */
static bool space_after(const struct wtok *subject, const struct wtok *before, const struct wtok *after)
{
	enum hcl_token_type s = subject->type, a = after->type, b = before->type;
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
	if (is_in_keyword(subject) && b == HCL_TOK_IDENT)
		return true;
	if (a == HCL_TOK_OBRACK && (s == HCL_TOK_IDENT || s == HCL_TOK_NUMBER_LIT || bracket_change(subject) < 0))
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
	if (bracket_change(subject) > 0)
		return false;
	if (bracket_change(after) < 0)
		return false;
	return true;
}

static void format_spaces_cell(struct wtok *toks, struct cell c)
{
	struct wtok nil = {0, "", 0, 0};
	for (size_t i = c.start; i < c.end; i++) {
		const struct wtok *before = i > c.start ? &toks[i - 1] : &nil;
		struct wtok *after = i + 1 < c.end ? &toks[i + 1] : &nil;
		after->spaces = space_after(&toks[i], before, after) ? 1 : 0;
	}
}

void hcl_format(const char *src, size_t len, struct buf *out)
{
	struct hcl_tokens nt = {0};
	struct hcl_pos start = {1, 1, 0};
	hcl_lex(src, len, "", start, HCL_LEX_CONFIG, &nt);

	struct wtok *toks = xcalloc(nt.n, sizeof *toks);
	size_t last_end = 0;
	for (size_t i = 0; i < nt.n; i++) {
		toks[i].type = nt.v[i].type;
		toks[i].bytes = hcl_token_bytes(&nt, &nt.v[i]);
		toks[i].len = nt.v[i].len;
		toks[i].spaces = nt.v[i].off - last_end;
		last_end = nt.v[i].off + nt.v[i].len;
	}
	size_t ntok = nt.n;

	/* lines: each ends with a newline token (or a line comment, which swallows its newline) */
	size_t nlines = 1;
	for (size_t i = 0; i < ntok; i++)
		if (tok_is_newline(&toks[i]))
			nlines++;
	struct fline *lines = xcalloc(nlines, sizeof *lines);
	size_t li = 0, line_start = 0;
	for (size_t i = 0; i < ntok; i++) {
		if (toks[i].type == HCL_TOK_EOF) {
			lines[li].lead = (struct cell){line_start, i};
			line_start = ntok;
			break;
		}
		if (tok_is_newline(&toks[i])) {
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
		if (line->lead.end - line->lead.start > 1 && toks[line->lead.end - 1].type == HCL_TOK_COMMENT) {
			line->comment = (struct cell){line->lead.end - 1, line->lead.end};
			line->lead.end--;
		}
		for (size_t i = line->lead.start + 1; i < line->lead.end; i++) {
			if (toks[i].type != HCL_TOK_EQUAL)
				continue;
			int net = 0;
			for (size_t j = i; j < line->lead.end; j++)
				net += bracket_change(&toks[j]);
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
		struct wtok *first = &toks[line->lead.start];
		if (first->type == HCL_TOK_NEWLINE) {
			first->spaces = 0;
			continue;
		}
		int net = 0;
		for (size_t i = line->lead.start; i < line->lead.end; i++) {
			net += bracket_change(&toks[i]);
			if (toks[i].type == HCL_TOK_OHEREDOC)
				break;
		}
		for (size_t i = line->assign.start; i < line->assign.end; i++)
			net += bracket_change(&toks[i]);
		if (net > 0) {
			first->spaces = 2 * nind;
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
			first->spaces = 2 * nind;
		} else {
			first->spaces = 2 * nind;
		}
	}
	free(indents);

	/* spacing within cells */
	for (size_t l = 0; l < nlines; l++) {
		struct fline *line = &lines[l];
		format_spaces_cell(toks, line->lead);
		if (!cell_empty(line->assign)) {
			toks[line->assign.start].spaces = 1;
			format_spaces_cell(toks, line->assign);
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
					toks[lines[k].assign.start].spaces = maxcols - cell_columns(toks, lines[k].lead) + 1;
				chain = -1;
				maxcols = 0;
			}
			continue;
		}
		if (chain < 0)
			chain = (long)l;
		size_t cols = cell_columns(toks, lines[l].lead);
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
					size_t cols = cell_columns(toks, lines[k].lead) + cell_columns(toks, lines[k].assign);
					toks[lines[k].comment.start].spaces = maxcols - cols + 1;
				}
				chain = -1;
				maxcols = 0;
			}
			continue;
		}
		if (chain < 0)
			chain = (long)l;
		size_t cols = cell_columns(toks, lines[l].lead) + cell_columns(toks, lines[l].assign);
		if (cols > maxcols)
			maxcols = cols;
	}

	for (size_t i = 0; i < ntok; i++) {
		buf_repeat(out, ' ', toks[i].spaces);
		buf_append(out, toks[i].bytes, toks[i].len);
	}
	free(lines);
	free(toks);
	hcl_tokens_free(&nt);
}
