/* parser.c — recursive-descent parser for HCL native syntax: bodies, expressions (precedence climbing
 * over the spec's six binary levels), templates, traversals. Error recovery resynchronises at the next
 * body item so that every syntax error in a file is reported in one run. */
#include "hcl/parser.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hcl/arena.h"
#include "hcl/lexer.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/lazy_unistring.h"
#include "util/mem.h"

#define MAX_NEWLINE_STACK 256
#define MAX_DEPTH HCL_MAX_NESTING

/* A token as the parser reads it: its text and its full range (the scanner stores less). */
struct tok {
	enum hcl_token_type type;
	const char *bytes;
	size_t len;
	struct hcl_range range;
};

struct parser {
	/* Tokens come from the scanner as the parser needs them; it keeps those from index `first`
	 * on (indices count from the start of the input), dropping the ones it has read unless
	 * keep_all. */
	struct hcl_lexer *lexer;
	struct hcl_tokens win;
	size_t first;
	bool keep_all;
	/* Syntax check only (hcl_check_config): every attribute's expression tree is dropped once
	 * parsed, so the tree never takes more memory than its largest expression. */
	bool discard_exprs;
	/* Invalid tokens are reported as they are scanned, apart from the parser's diagnostics (see
	 * parser_finish); check_tokens is false for hcl_parse_traversal, which does not report them. */
	bool check_tokens;
	struct hcl_token_check told;
	struct hcl_diags token_diags;
	size_t next;                  /* index of the next raw token */
	/* The last significant token found (peek, then read, look at the same token): found from
	 * index look_from with newlines included or not; look_after is the index after it. A line
	 * comment read as a newline is a newline token here. */
	struct tok look;
	size_t look_from, look_after;
	bool look_incl, look_valid;
	struct hcl_range prev_range;  /* range of the last token read */
	bool nl_stack[MAX_NEWLINE_STACK];
	int nl_top;
	int nl_overflow;
	bool recovery;
	int depth;
	struct hcl_diags *diags;
	size_t diags_from;            /* the first of the parser's diagnostics in diags */
	/* Where the tree goes: NULL only for hcl_parse_traversal, whose result is malloc'd piecewise
	 * (hcl_traversal_free). */
	struct hcl_arena *arena;
	struct buf scratch;           /* literal text being decoded */
};

/* ------------------------------------------------------------------------------------------------
 * Token peeking: comments are skipped; newlines are significant only in body context (a line comment
 * then counts as a newline, since its token swallows the newline) */

static bool including_newlines(const struct parser *p)
{
	return p->nl_stack[p->nl_top];
}

static void push_newlines(struct parser *p, bool include)
{
	if (p->nl_top + 1 >= MAX_NEWLINE_STACK) {
		p->nl_overflow++;
		return;
	}
	p->nl_stack[++p->nl_top] = include;
}

static void pop_newlines(struct parser *p)
{
	if (p->nl_overflow > 0) {
		p->nl_overflow--;
		return;
	}
	if (p->nl_top > 0)
		p->nl_top--;
}

#define SCAN_AHEAD 128        /* tokens scanned at a time */

/* Scan more tokens into the window, first dropping those already read when they are the larger
 * part of it (the last token stays: it may be the EOF token, returned again past the end). False
 * when the input is exhausted. */
static bool scan_more(struct parser *p)
{
	struct hcl_tokens *w = &p->win;
	size_t done = p->next - p->first;
	if (!p->keep_all && done > w->n / 2 && done > 0) {
		if (done >= w->n)
			done = w->n - 1;
		memmove(w->v, w->v + done, (w->n - done) * sizeof *w->v);
		w->n -= done;
		p->first += done;
	}
	size_t from = w->n;
	if (!hcl_lexer_more(p->lexer, w, SCAN_AHEAD))
		return false;
	if (p->check_tokens)
		hcl_tokens_check(w, from, &p->told, &p->token_diags);
	return true;
}

/* Token i, scanning as far as needed; NULL past the EOF token. */
static const struct hcl_token *token_at(struct parser *p, size_t i)
{
	while (i >= p->first + p->win.n)
		if (!scan_more(p))
			return NULL;
	return &p->win.v[i - p->first];
}

/* The last token: the EOF token once the input is exhausted. */
static const struct hcl_token *last_token(struct parser *p)
{
	while (scan_more(p))
		;
	return &p->win.v[p->win.n - 1];
}

static void set_look(struct parser *p, const struct hcl_token *t)
{
	p->look.type = t->type;
	p->look.bytes = hcl_token_bytes(&p->win, t);
	p->look.len = t->len;
	p->look.range = hcl_token_range(&p->win, t);
}

/* next_token when its cached token does not answer: scan from p->next. */
static const struct tok *find_token(struct parser *p, bool incl, size_t *after)
{
	size_t i = p->next;
	const struct hcl_token *t;
	for (; (t = token_at(p, i)); i++) {
		if (t->type == HCL_TOK_COMMENT) {
			if (!incl)
				continue;
			if (t->len > 0 && hcl_token_bytes(&p->win, t)[t->len - 1] == '\n') {
				set_look(p, t);
				p->look.type = HCL_TOK_NEWLINE;
				p->look.bytes += t->len - 1;
				p->look.len = 1;
				break;
			}
			continue;
		}
		if (t->type == HCL_TOK_NEWLINE && !incl)
			continue;
		set_look(p, t);
		break;
	}
	if (t) {
		p->look_after = i + 1;
	} else {
		/* past the end: the EOF token again */
		set_look(p, last_token(p));
		p->look_after = i;
	}
	p->look_from = p->next;
	p->look_incl = incl;
	p->look_valid = true;
	*after = p->look_after;
	return &p->look;
}

/* Find the next significant token from index p->next; *after gets the index after it. The token
 * returned stays valid until the parser looks for a different one (the next peek or read after a
 * read or a change of newline mode). */
static inline const struct tok *next_token(struct parser *p, size_t *after)
{
	bool incl = including_newlines(p);
	if (p->look_valid && p->look_from == p->next && p->look_incl == incl) {
		*after = p->look_after;
		return &p->look;
	}
	return find_token(p, incl, after);
}

static const struct tok *peek(struct parser *p)
{
	size_t after;
	return next_token(p, &after);
}

static struct tok read_tok(struct parser *p)
{
	size_t after;
	struct tok copy = *next_token(p, &after);
	p->next = after;
	p->prev_range = copy.range;
	return copy;
}

static struct hcl_range next_range(struct parser *p)
{
	return peek(p)->range;
}

static bool tok_is_keyword(const struct tok *t, const char *kw)
{
	size_t n = strlen(kw);
	return t->type == HCL_TOK_IDENT && t->len == n && memcmp(t->bytes, kw, n) == 0;
}

static enum hcl_token_type opposite(enum hcl_token_type t)
{
	switch (t) {
	case HCL_TOK_OBRACE: return HCL_TOK_CBRACE;
	case HCL_TOK_CBRACE: return HCL_TOK_OBRACE;
	case HCL_TOK_OBRACK: return HCL_TOK_CBRACK;
	case HCL_TOK_CBRACK: return HCL_TOK_OBRACK;
	case HCL_TOK_OPAREN: return HCL_TOK_CPAREN;
	case HCL_TOK_CPAREN: return HCL_TOK_OPAREN;
	case HCL_TOK_OQUOTE: return HCL_TOK_CQUOTE;
	case HCL_TOK_CQUOTE: return HCL_TOK_OQUOTE;
	case HCL_TOK_OHEREDOC: return HCL_TOK_CHEREDOC;
	case HCL_TOK_CHEREDOC: return HCL_TOK_OHEREDOC;
	case HCL_TOK_TEMPLATE_CONTROL:
	case HCL_TOK_TEMPLATE_INTERP: return HCL_TOK_TEMPLATE_SEQ_END;
	case HCL_TOK_TEMPLATE_SEQ_END: return HCL_TOK_TEMPLATE_INTERP;
	default: return 0;
	}
}

/* Skip to just after the token of type end that closes the current nesting level. */
static struct tok recover_to(struct parser *p, enum hcl_token_type end)
{
	enum hcl_token_type start = opposite(end);
	p->recovery = true;
	int nest = 0;
	for (;;) {
		struct tok tok = read_tok(p);
		enum hcl_token_type ty = tok.type;
		if (end == HCL_TOK_TEMPLATE_SEQ_END && ty == HCL_TOK_TEMPLATE_CONTROL)
			ty = HCL_TOK_TEMPLATE_INTERP;
		if (ty == start) {
			nest++;
		} else if (ty == end) {
			if (nest < 1)
				return tok;
			nest--;
		} else if (ty == HCL_TOK_EOF) {
			return tok;
		}
	}
}

/* An error at `at` whose context is everything from `from` up to it: HCL shows the construct a
 * problem was found in. */
static struct hcl_diag *error_in(struct parser *p, struct hcl_range from, struct hcl_range at,
				 const char *summary, const char *detail_fmt, ...)
{
	va_list ap;
	va_start(ap, detail_fmt);
	struct hcl_diag *d = hcl_diag_addv(p->diags, HCL_DIAG_ERROR, &at, summary, detail_fmt, ap);
	va_end(ap);
	struct hcl_range ctx = hcl_range_between(from, at);
	hcl_diag_set_context(d, &ctx);
	return d;
}

/* Skip to the start of the next body item: past the next newline outside any brackets. A closing
 * brace that would close the enclosing body is left unread. */
static void recover_after_body_item(struct parser *p)
{
	p->recovery = true;
	enum hcl_token_type open[64];
	size_t nopen = 0, overflow = 0;
	for (;;) {
		const struct tok *t = peek(p);
		enum hcl_token_type ty = t->type;
		if (ty == HCL_TOK_EOF)
			return;
		if (ty == HCL_TOK_CBRACE && nopen == 0 && overflow == 0)
			return;
		read_tok(p);
		switch (ty) {
		case HCL_TOK_NEWLINE:
			if (nopen == 0 && overflow == 0)
				return;
			break;
		case HCL_TOK_OBRACE: case HCL_TOK_OBRACK: case HCL_TOK_OPAREN: case HCL_TOK_OQUOTE:
		case HCL_TOK_OHEREDOC: case HCL_TOK_TEMPLATE_INTERP: case HCL_TOK_TEMPLATE_CONTROL:
			if (nopen < 64)
				open[nopen++] = ty;
			else
				overflow++;
			break;
		case HCL_TOK_CBRACE: case HCL_TOK_CBRACK: case HCL_TOK_CPAREN: case HCL_TOK_CQUOTE:
		case HCL_TOK_CHEREDOC: {
			if (overflow > 0) {
				overflow--;
				break;
			}
			enum hcl_token_type opener = opposite(ty);
			while (nopen > 0 && open[nopen - 1] != opener)
				nopen--;
			if (nopen > 0)
				nopen--;
			break;
		}
		case HCL_TOK_TEMPLATE_SEQ_END:
			if (overflow > 0) {
				overflow--;
				break;
			}
			while (nopen > 0 && open[nopen - 1] != HCL_TOK_TEMPLATE_INTERP &&
			       open[nopen - 1] != HCL_TOK_TEMPLATE_CONTROL)
				nopen--;
			if (nopen > 0)
				nopen--;
			break;
		default:
			break;
		}
	}
}

/* ------------------------------------------------------------------------------------------------
 * Node construction */

/* Everything in the tree comes from the parser's arena (zeroed memory; nothing is freed on its
 * own: a node dropped after a syntax error goes with the arena). */
static void *p_alloc(struct parser *p, size_t n)
{
	return p->arena ? hcl_arena_alloc(p->arena, n) : xcalloc(1, n);
}

static char *p_strndup(struct parser *p, const char *s, size_t n)
{
	return p->arena ? hcl_arena_strndup(p->arena, s, n) : xstrndup(s, n);
}

static void *p_grow(struct parser *p, void *v, size_t *cap, size_t need, size_t elem)
{
	return p->arena ? hcl_arena_grow(p->arena, v, cap, need, elem) : xgrow(v, cap, need, elem);
}

static struct hcl_expr *new_expr(struct parser *p, enum hcl_expr_kind kind, struct hcl_range r)
{
	struct hcl_expr *e = p_alloc(p, hcl_expr_node_size(kind));
	e->kind = kind;
	e->range = r;
	return e;
}

static struct hcl_expr *invalid_expr(struct parser *p, struct hcl_range r)
{
	return new_expr(p, HCL_EXPR_INVALID, r);
}

/* One more level of nesting in the tree being built (an operand, a term, a conditional's branch, a
 * step that wraps the expression before it, a template directive): false, after reporting it once,
 * when the tree would nest more than MAX_DEPTH levels. Every recursive walk of a tree (evaluation,
 * variables, dumps) then needs a bounded stack; only the left operands of a chain of binary
 * operators are not counted, and every walk iterates over those. */
static bool enter_nesting(struct parser *p, const struct hcl_range *at)
{
	if (++p->depth <= MAX_DEPTH)
		return true;
	p->depth--;
	if (!p->recovery)
		hcl_error(p->diags, at, "Expression too deeply nested",
			  "This expression nests more than %d levels deep (parentheses, brackets, operands, "
			  "conditionals, index steps or template directives); simplify it.", MAX_DEPTH);
	p->recovery = true;
	return false;
}

static char *tok_str(struct parser *p, const struct tok *t)
{
	return p_strndup(p, t->bytes, t->len);
}

static void push_expr(struct parser *p, struct hcl_expr ***v, size_t *n, size_t *cap, struct hcl_expr *e)
{
	*v = p_grow(p, *v, cap, *n + 1, sizeof **v);
	(*v)[(*n)++] = e;
}

static void push_step(struct parser *p, struct hcl_traversal *t, size_t *cap, struct hcl_traverser step)
{
	t->steps = p_grow(p, t->steps, cap, t->nsteps + 1, sizeof *t->steps);
	t->steps[t->nsteps++] = step;
}

/* Validate a number literal's text: digits ("." digits)? ([eE] [+-]? digits)? */
static bool valid_number(const char *s, size_t n)
{
	size_t i = 0;
	if (i >= n || s[i] < '0' || s[i] > '9')
		return false;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == n;
}

static bool number_literal(struct parser *p, const struct tok *t, struct hcl_literal *out)
{
	memset(out, 0, sizeof *out);
	if (!valid_number(t->bytes, t->len)) {
		hcl_error(p->diags, &t->range, "Invalid number literal",
			  "Failed to recognize the value of this number literal.");
		return false;
	}
	out->kind = HCL_LIT_NUMBER;
	out->text = tok_str(p, t);
	out->len = t->len;
	return true;
}

/* ------------------------------------------------------------------------------------------------
 * String literal tokens: escapes (quoted only), $${ and %%{ */

static void utf8_put(struct buf *b, unsigned cp)
{
	if (cp < 0x80) {
		buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_putc(b, (char)(0xC0 | (cp >> 6)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xE0 | (cp >> 12)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		buf_putc(b, (char)(0xF0 | (cp >> 18)));
		buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	}
}

/* Range of bytes [a, b) inside token t (same line: tokens with escapes never span lines). */
static struct hcl_range sub_range(const struct tok *t, size_t a, size_t b)
{
	struct hcl_range r = t->range;
	r.start.byte = t->range.start.byte + a;
	r.start.column = t->range.start.column + (int)hcl_text_columns(t->bytes, a);
	r.end = r.start;
	r.end.byte = t->range.start.byte + b;
	r.end.column = r.start.column + (int)hcl_text_columns(t->bytes + a, b - a);
	return r;
}

static void decode_string_raw(struct parser *p, const struct tok *t, struct buf *out);

/* HCL normalizes literal text to Unicode NFC (so a combining accent and its precomposed form are the
 * same string); libunistring does the work. Text of code points below U+0300 only (ASCII, the accented
 * letters of Latin-1 and Latin Extended-A/B) is NFC already: none of them decomposes or combines (the
 * first combining mark is U+0300), so such text never loads libunistring (~20 page faults). In UTF-8
 * those are the bytes below 0xCC other than the invalid 0xC0/0xC1 (invalid UTF-8 is kept as it is
 * either way). */
static void nfc_normalize(struct buf *b, size_t from)
{
	bool stable = true;
	for (size_t i = from; i < b->len && stable; i++) {
		unsigned char c = (unsigned char)b->data[i];
		stable = c < 0xC0 || (c >= 0xC2 && c < 0xCC);
	}
	if (stable)
		return;
	size_t n = 0;
	uint8_t *norm = u8_normalize(UNINORM_NFC, (const uint8_t *)b->data + from, b->len - from, NULL, &n);
	if (!norm)
		return; /* invalid UTF-8 was reported by the scanner; keep the bytes */
	buf_truncate(b, from);
	buf_append(b, norm, n);
	free(norm);
}

static void decode_string_token(struct parser *p, const struct tok *t, struct buf *out)
{
	size_t start = out->len;
	decode_string_raw(p, t, out);
	nfc_normalize(out, start);
}

/* A literal token's decoded text, in the tree; *len gets its length. */
static char *decode_literal(struct parser *p, const struct tok *t, size_t *len)
{
	buf_reset(&p->scratch);
	decode_string_token(p, t, &p->scratch);
	*len = p->scratch.len;
	return p_strndup(p, buf_cstr(&p->scratch), p->scratch.len);
}

static void decode_string_raw(struct parser *p, const struct tok *t, struct buf *out)
{
	bool quoted = t->type == HCL_TOK_QUOTED_LIT;
	const char *s = t->bytes;
	size_t n = t->len;
	size_t i = 0;
	while (i < n) {
		/* a run of characters that stand for themselves */
		size_t run = i;
		while (run < n && s[run] != '$' && s[run] != '%' && !(quoted && s[run] == '\\'))
			run++;
		if (run > i) {
			buf_append(out, s + i, run - i);
			i = run;
			continue;
		}
		char c = s[i];
		if ((c == '$' || c == '%') && i + 2 < n && s[i + 1] == c && s[i + 2] == '{') {
			buf_putc(out, c);
			buf_putc(out, '{');
			i += 3;
			continue;
		}
		if (c != '\\' || !quoted) {
			buf_putc(out, c);
			i++;
			continue;
		}
		/* escape sequence */
		if (i + 1 >= n) {
			struct hcl_range r = sub_range(t, i, i + 1);
			hcl_error(p->diags, &r, "Invalid escape sequence",
				  "A backslash must be followed by an escape sequence selector; to write a literal "
				  "backslash, use \"\\\\\".");
			i++;
			continue;
		}
		char sel = s[i + 1];
		switch (sel) {
		case 'n': buf_putc(out, '\n'); i += 2; continue;
		case 'r': buf_putc(out, '\r'); i += 2; continue;
		case 't': buf_putc(out, '\t'); i += 2; continue;
		case '"': buf_putc(out, '"'); i += 2; continue;
		case '\\': buf_putc(out, '\\'); i += 2; continue;
		case 'u':
		case 'U': {
			size_t want = sel == 'u' ? 4 : 8;
			size_t j = i + 2;
			unsigned cp = 0;
			size_t got = 0;
			while (got < want && j < n && hex_digit(s[j]) >= 0) {
				cp = cp * 16 + (unsigned)hex_digit(s[j]);
				j++;
				got++;
			}
			if (got < want) {
				struct hcl_range r = sub_range(t, i, j);
				hcl_error(p->diags, &r, "Invalid escape sequence",
					  "The \\%c escape sequence must be followed by exactly %zu hexadecimal digits.", sel,
					  want);
				i = j;
				continue;
			}
			if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
				struct hcl_range r = sub_range(t, i, j);
				hcl_error(p->diags, &r, "Invalid escape sequence",
					  "The escape sequence \\%c%.*s does not name a valid Unicode character.", sel,
					  (int)want, s + i + 2);
				i = j;
				continue;
			}
			utf8_put(out, cp);
			i = j;
			continue;
		}
		default: {
			unsigned cp;
			size_t l = hcl_utf8_decode((const unsigned char *)s + i + 1, n - i - 1, &cp);
			if (l == 0)
				l = 1;
			struct hcl_range r = sub_range(t, i, i + 1 + l);
			hcl_error(p->diags, &r, "Invalid escape sequence",
				  "The symbol \"%.*s\" is not a valid escape sequence selector. Valid escapes are \\n, \\r, "
				  "\\t, \\\", \\\\, \\uNNNN and \\UNNNNNNNN; to write a literal backslash, use \"\\\\\".",
				  (int)l, s + i + 1);
			buf_append(out, s + i + 1, l);
			i += 1 + l;
			continue;
		}
		}
	}
}

/* A quoted string with no template sequences (block labels). */
static char *parse_quoted_string_literal(struct parser *p, struct hcl_range *range)
{
	struct tok oq = read_tok(p);
	struct buf *b = &p->scratch;
	buf_reset(b);
	struct hcl_range end = oq.range;
	for (;;) {
		struct tok tok = read_tok(p);
		if (tok.type == HCL_TOK_CQUOTE) {
			end = tok.range;
			break;
		}
		if (tok.type == HCL_TOK_QUOTED_LIT) {
			decode_string_token(p, &tok, b);
			end = tok.range;
			continue;
		}
		if (tok.type == HCL_TOK_TEMPLATE_INTERP || tok.type == HCL_TOK_TEMPLATE_CONTROL) {
			const char *which = tok.type == HCL_TOK_TEMPLATE_CONTROL ? "%" : "$";
			error_in(p, oq.range, tok.range, "Invalid string literal",
				 "Template sequences are not allowed in this string. To include a "
				 "literal \"%s\", double it (as \"%s%s\") to escape it.",
				 which, which, which);
			buf_puts(b, which);
			buf_puts(b, "{ ... }");
			recover_to(p, HCL_TOK_TEMPLATE_SEQ_END);
			continue;
		}
		if (tok.type == HCL_TOK_QUOTED_NEWLINE) {
			end = tok.range;
			p->recovery = true;
			break;
		}
		if (tok.type == HCL_TOK_EOF) {
			struct hcl_diag *d = hcl_error(p->diags, &oq.range, "Unterminated template string",
						       "No closing marker was found for the string.");
			struct hcl_range ctx = hcl_range_between(oq.range, tok.range);
			hcl_diag_set_context(d, &ctx);
			end = tok.range;
			break;
		}
		if (!p->recovery)
			error_in(p, oq.range, tok.range, "Invalid string literal",
				 "This item is not valid in a string literal.");
		end = recover_to(p, HCL_TOK_CQUOTE).range;
		break;
	}
	*range = hcl_range_between(oq.range, end);
	return p_strndup(p, buf_cstr(b), b->len);
}

/* ------------------------------------------------------------------------------------------------
 * Expressions */

static struct hcl_expr *parse_expression(struct parser *p);
static struct hcl_expr *parse_expression_with_traversals(struct parser *p);
static struct hcl_expr *parse_template_expr(struct parser *p);

/* Extend a traversal expression with one more step, or wrap another expression in a relative
 * traversal. */
static struct hcl_expr *make_relative_traversal(struct parser *p, struct hcl_expr *e, struct hcl_traverser step, size_t *cap)
{
	if (e->kind == HCL_EXPR_SCOPE_TRAVERSAL) {
		push_step(p, &e->u.traversal, cap, step);
		e->range = hcl_range_between(e->range, step.range);
		return e;
	}
	if (e->kind == HCL_EXPR_RELATIVE_TRAVERSAL) {
		push_step(p, &e->u.rel.traversal, cap, step);
		e->range = hcl_range_between(e->range, step.range);
		return e;
	}
	struct hcl_expr *r = new_expr(p, HCL_EXPR_RELATIVE_TRAVERSAL, hcl_range_between(e->range, step.range));
	r->u.rel.source = e;
	*cap = 0;
	push_step(p, &r->u.rel.traversal, cap, step);
	return r;
}

static void legacy_index_chain_error(struct parser *p, const struct tok *num)
{
	const char *dot = memchr(num->bytes, '.', num->len);
	int first = (int)(dot - num->bytes);
	hcl_error(p->diags, &num->range, "Invalid legacy index syntax",
		  "When using the legacy index syntax, chaining two indexes together is not permitted. Use the "
		  "proper index syntax instead, like [%.*s][%.*s].",
		  first, num->bytes, (int)num->len - first - 1, dot + 1);
}

/* A step that wraps the expression before it in a new node nests one level deeper (counted in
 * *levels, which the caller gives back); steps appended to a traversal do not. */
static bool step_nests(struct parser *p, const struct hcl_expr *ret, bool always, int *levels,
		       const struct hcl_range *at)
{
	if (!always && (ret->kind == HCL_EXPR_SCOPE_TRAVERSAL || ret->kind == HCL_EXPR_RELATIVE_TRAVERSAL))
		return true;
	if (!enter_nesting(p, at))
		return false;
	(*levels)++;
	return true;
}

static struct hcl_expr *parse_steps(struct parser *p, struct hcl_expr *from, int *levels);

/* Steps after a term: .attr, .0, .*, [key], [*] */
static struct hcl_expr *parse_traversals(struct parser *p, struct hcl_expr *from)
{
	int levels = 0;
	struct hcl_expr *e = parse_steps(p, from, &levels);
	p->depth -= levels;
	return e;
}

static struct hcl_expr *parse_steps(struct parser *p, struct hcl_expr *from, int *levels)
{
	struct hcl_expr *ret = from;
	size_t cap = (from->kind == HCL_EXPR_SCOPE_TRAVERSAL) ? from->u.traversal.nsteps : 0;

	for (;;) {
		const struct tok *next = peek(p);
		if (next->type == HCL_TOK_DOT) {
			struct tok dot = read_tok(p);
			const struct tok *at = peek(p);
			if (at->type == HCL_TOK_IDENT) {
				if (!step_nests(p, ret, false, levels, &dot.range))
					return ret;
				struct tok name = read_tok(p);
				struct hcl_traverser step = {0};
				step.kind = HCL_TRAVERSE_ATTR;
				step.name = tok_str(p, &name);
				step.range = hcl_range_between(dot.range, name.range);
				ret = make_relative_traversal(p, ret, step, &cap);
			} else if (at->type == HCL_TOK_NUMBER_LIT) {
				if (!step_nests(p, ret, false, levels, &dot.range))
					return ret;
				struct tok num = read_tok(p);
				struct hcl_traverser step = {0};
				step.kind = HCL_TRAVERSE_INDEX;
				step.range = hcl_range_between(dot.range, num.range);
				if (memchr(num.bytes, '.', num.len))
					legacy_index_chain_error(p, &num);
				else
					number_literal(p, &num, &step.key);
				ret = make_relative_traversal(p, ret, step, &cap);
			} else if (at->type == HCL_TOK_STAR) {
				/* attribute-only splat: .*.a.b */
				if (!step_nests(p, ret, true, levels, &dot.range))
					return ret;
				struct tok star = read_tok(p);
				struct hcl_range marker = hcl_range_between(dot.range, star.range);
				struct hcl_expr *item = new_expr(p, HCL_EXPR_ANON_SYMBOL, marker);
				struct hcl_expr *each = item;
				size_t ecap = 0;
				struct hcl_range last = marker;
				while (peek(p)->type == HCL_TOK_DOT) {
					struct tok d2 = read_tok(p);
					const struct tok *nt = peek(p);
					struct hcl_traverser step = {0};
					if (nt->type == HCL_TOK_NUMBER_LIT) {
						struct tok num = read_tok(p);
						step.kind = HCL_TRAVERSE_INDEX;
						step.range = hcl_range_between(d2.range, num.range);
						if (memchr(num.bytes, '.', num.len))
							legacy_index_chain_error(p, &num);
						else
							number_literal(p, &num, &step.key);
					} else if (nt->type == HCL_TOK_IDENT) {
						struct tok name = read_tok(p);
						step.kind = HCL_TRAVERSE_ATTR;
						step.name = tok_str(p, &name);
						step.range = hcl_range_between(d2.range, name.range);
					} else {
						if (!p->recovery) {
							if (nt->type == HCL_TOK_STAR)
								hcl_error(p->diags, &nt->range, "Nested splat expression not allowed",
									  "A splat expression (*) cannot be used inside another "
									  "attribute-only splat expression.");
							else
								hcl_error(p->diags, &nt->range, "Invalid attribute name",
									  "An attribute name is required after a dot.");
						}
						p->recovery = true;
						break;
					}
					last = step.range;
					if (each == item) {
						each = new_expr(p, HCL_EXPR_RELATIVE_TRAVERSAL, step.range);
						each->u.rel.source = item;
					}
					push_step(p, &each->u.rel.traversal, &ecap, step);
					each->range = hcl_range_between(each->range, step.range);
				}
				struct hcl_expr *s = new_expr(p, HCL_EXPR_SPLAT, hcl_range_between(ret->range, last));
				s->u.splat.source = ret;
				s->u.splat.each = each;
				s->u.splat.item = item;
				s->u.splat.marker_range = marker;
				s->u.splat.full = false;
				ret = s;
				cap = 0;
			} else {
				if (!p->recovery)
					hcl_error(p->diags, &at->range, "Invalid attribute name",
						  "An attribute name is required after a dot.");
				p->recovery = true;
				return ret;
			}
			continue;
		}
		if (next->type == HCL_TOK_OBRACK) {
			struct tok open = read_tok(p);
			if (peek(p)->type == HCL_TOK_STAR) {
				read_tok(p);
				struct tok close = read_tok(p);
				if (close.type != HCL_TOK_CBRACK && !p->recovery) {
					hcl_error(p->diags, &close.range, "Missing close bracket on splat index",
						  "The star for a full splat operator must be immediately followed by a "
						  "closing bracket (\"]\").");
					close = recover_to(p, HCL_TOK_CBRACK);
				}
				struct hcl_range marker = hcl_range_between(open.range, close.range);
				if (!step_nests(p, ret, true, levels, &marker))
					return ret;
				struct hcl_expr *item = new_expr(p, HCL_EXPR_ANON_SYMBOL, marker);
				struct hcl_expr *each = parse_traversals(p, item);
				struct hcl_expr *s = new_expr(p, HCL_EXPR_SPLAT, hcl_range_between(ret->range, each->range));
				s->u.splat.source = ret;
				s->u.splat.each = each;
				s->u.splat.item = item;
				s->u.splat.marker_range = marker;
				s->u.splat.full = true;
				ret = s;
				cap = 0;
				/* the recursive call consumed every following step */
				return ret;
			}
			push_newlines(p, false);
			size_t ndiags = p->diags->n;
			struct hcl_expr *key = parse_expression(p);
			bool failed = hcl_diags_has_errors(p->diags) && p->diags->n > ndiags;
			struct tok close;
			if (p->recovery && failed) {
				close = recover_to(p, HCL_TOK_CBRACK);
			} else {
				close = read_tok(p);
				if (close.type != HCL_TOK_CBRACK && !p->recovery) {
					hcl_error(p->diags, &close.range, "Missing close bracket on index",
						  "The index operator must end with a closing bracket (\"]\").");
					close = recover_to(p, HCL_TOK_CBRACK);
				}
			}
			pop_newlines(p);
			struct hcl_range rng = hcl_range_between(open.range, close.range);
			size_t slen = 0;
			const char *str = key->kind == HCL_EXPR_TEMPLATE ? hcl_expr_as_string_literal(key, &slen) : NULL;
			/* a literal key is one more step of a traversal; any other makes an index node */
			bool literal_key = key->kind == HCL_EXPR_LITERAL || str;
			if (!step_nests(p, ret, !literal_key, levels, &rng))
				return ret;
			if (key->kind == HCL_EXPR_LITERAL) {
				struct hcl_traverser step = {0};
				step.kind = HCL_TRAVERSE_INDEX;
				step.key = key->u.literal;
				step.range = rng;
				ret = make_relative_traversal(p, ret, step, &cap);
			} else if (str) {
				struct hcl_traverser step = {0};
				step.kind = HCL_TRAVERSE_INDEX;
				step.key.kind = HCL_LIT_STRING;
				step.key.text = p_strndup(p, str, slen);
				step.key.len = slen;
				step.range = rng;
				ret = make_relative_traversal(p, ret, step, &cap);
			} else {
				struct hcl_expr *ix = new_expr(p, HCL_EXPR_INDEX, hcl_range_between(ret->range, rng));
				ix->u.index.coll = ret;
				ix->u.index.key = key;
				ix->u.index.bracket_range = rng;
				ret = ix;
				cap = 0;
			}
			continue;
		}
		return ret;
	}
}

static struct hcl_expr *finish_function_call(struct parser *p, struct tok name)
{
	struct tok open = read_tok(p);
	struct hcl_expr *e = new_expr(p, HCL_EXPR_FUNCTION_CALL, name.range);
	e->u.call.name = tok_str(p, &name);
	e->u.call.name_range = name.range;
	e->u.call.open_paren_range = open.range;
	size_t cap = 0;
	struct tok close = open;

	push_newlines(p, false);
	for (;;) {
		if (peek(p)->type == HCL_TOK_CPAREN) {
			close = read_tok(p);
			break;
		}
		size_t ndiags = p->diags->n;
		struct hcl_expr *arg = parse_expression(p);
		push_expr(p, &e->u.call.args, &e->u.call.nargs, &cap, arg);
		if (p->recovery && p->diags->n > ndiags && hcl_diags_has_errors(p->diags)) {
			close = recover_to(p, HCL_TOK_CPAREN);
			break;
		}
		struct tok sep = read_tok(p);
		if (sep.type == HCL_TOK_CPAREN) {
			close = sep;
			break;
		}
		if (sep.type == HCL_TOK_ELLIPSIS) {
			e->u.call.expand_final = true;
			if (peek(p)->type != HCL_TOK_CPAREN) {
				if (!p->recovery)
					error_in(p, name.range, sep.range, "Missing closing parenthesis",
						 "An expanded function argument (with ...) must be "
						 "immediately followed by closing parentheses.");
				close = recover_to(p, HCL_TOK_CPAREN);
			} else {
				close = read_tok(p);
			}
			break;
		}
		if (sep.type != HCL_TOK_COMMA) {
			if (!p->recovery)
				error_in(p, name.range, sep.range, "Missing argument separator",
					 "A comma is required to separate each function argument from "
					 "the next.");
			close = sep.type == HCL_TOK_EOF ? sep : recover_to(p, HCL_TOK_CPAREN);
			p->recovery = true;
			break;
		}
		if (peek(p)->type == HCL_TOK_CPAREN) {
			close = read_tok(p);
			break;
		}
	}
	pop_newlines(p);
	e->u.call.close_paren_range = close.range;
	e->range = hcl_range_between(name.range, close.range);
	return e;
}

static struct hcl_expr *finish_for_expr(struct parser *p, struct tok open)
{
	push_newlines(p, false);
	read_tok(p); /* "for" */
	bool is_object = open.type == HCL_TOK_OBRACE;
	enum hcl_token_type close_type = is_object ? HCL_TOK_CBRACE : HCL_TOK_CBRACK;
	struct hcl_expr *e = new_expr(p, HCL_EXPR_FOR, open.range);
	e->u.for_.is_object = is_object;
	e->u.for_.open_range = open.range;
	struct tok close;
	size_t ndiags = p->diags->n;
#define FOR_FAIL(...)                                                                                     \
	do {                                                                                              \
		if (!p->recovery)                                                                         \
			error_in(p, open.range, peek(p)->range, "Invalid 'for' expression", __VA_ARGS__); \
		close = recover_to(p, close_type);                                                        \
		goto fail;                                                                                \
	} while (0)

	if (peek(p)->type != HCL_TOK_IDENT)
		FOR_FAIL("For expression requires variable name after 'for'.");
	struct tok name = read_tok(p);
	e->u.for_.value_var = tok_str(p, &name);
	if (peek(p)->type == HCL_TOK_COMMA) {
		read_tok(p);
		e->u.for_.key_var = e->u.for_.value_var;
		e->u.for_.value_var = NULL;
		if (peek(p)->type != HCL_TOK_IDENT)
			FOR_FAIL("For expression requires value variable name after comma.");
		name = read_tok(p);
		e->u.for_.value_var = tok_str(p, &name);
	}
	if (!tok_is_keyword(peek(p), "in"))
		FOR_FAIL("For expression requires the 'in' keyword after its name declarations.");
	read_tok(p);
	e->u.for_.coll = parse_expression(p);
	if (p->recovery && p->diags->n > ndiags) {
		close = recover_to(p, close_type);
		goto fail;
	}
	if (peek(p)->type != HCL_TOK_COLON)
		FOR_FAIL("For expression requires a colon after the collection expression.");
	read_tok(p);
	e->u.for_.value_expr = parse_expression(p);
	if (peek(p)->type == HCL_TOK_FATARROW) {
		read_tok(p);
		e->u.for_.key_expr = e->u.for_.value_expr;
		e->u.for_.value_expr = parse_expression(p);
	}
	if (p->recovery && p->diags->n > ndiags) {
		close = recover_to(p, close_type);
		goto fail;
	}
	struct hcl_range ellipsis = {0};
	if (peek(p)->type == HCL_TOK_ELLIPSIS) {
		ellipsis = read_tok(p).range;
		e->u.for_.group = true;
	}
	if (tok_is_keyword(peek(p), "if")) {
		read_tok(p);
		e->u.for_.cond = parse_expression(p);
		if (p->recovery && p->diags->n > ndiags) {
			close = recover_to(p, close_type);
			goto fail;
		}
	}
	if (peek(p)->type == close_type) {
		close = read_tok(p);
	} else {
		if (!p->recovery)
			error_in(p, open.range, peek(p)->range, "Invalid 'for' expression",
				 "Extra characters after the end of the 'for' expression.");
		close = recover_to(p, close_type);
	}
	e->u.for_.close_range = close.range;
	e->range = hcl_range_between(open.range, close.range);
	struct hcl_range whole = e->range;
	if (!is_object) {
		if (e->u.for_.key_expr) {
			struct hcl_diag *d = hcl_error(p->diags, &e->u.for_.key_expr->range, "Invalid 'for' expression",
						       "Key expression is not valid when building a tuple.");
			hcl_diag_set_context(d, &whole);
		}
		if (e->u.for_.group) {
			struct hcl_diag *d = hcl_error(p->diags, &ellipsis, "Invalid 'for' expression",
						       "Grouping ellipsis (...) cannot be used when building a tuple.");
			hcl_diag_set_context(d, &whole);
		}
	} else if (!e->u.for_.key_expr) {
		struct hcl_diag *d = hcl_error(p->diags, &e->u.for_.value_expr->range, "Invalid 'for' expression",
					       "Key expression is required when building an object.");
		hcl_diag_set_context(d, &whole);
	}
	pop_newlines(p);
	return e;
fail:
#undef FOR_FAIL
	pop_newlines(p);
	return invalid_expr(p, hcl_range_between(open.range, close.range));
}

static struct hcl_expr *parse_tuple_cons(struct parser *p)
{
	struct tok open = read_tok(p);
	push_newlines(p, false);
	if (tok_is_keyword(peek(p), "for")) {
		struct hcl_expr *f = finish_for_expr(p, open);
		pop_newlines(p);
		return f;
	}
	struct hcl_expr *e = new_expr(p, HCL_EXPR_TUPLE_CONS, open.range);
	e->u.tuple.open_range = open.range;
	size_t cap = 0;
	struct tok close;
	for (;;) {
		if (peek(p)->type == HCL_TOK_CBRACK) {
			close = read_tok(p);
			break;
		}
		size_t ndiags = p->diags->n;
		struct hcl_expr *item = parse_expression(p);
		push_expr(p, &e->u.tuple.items, &e->u.tuple.nitems, &cap, item);
		if (p->recovery && p->diags->n > ndiags) {
			close = recover_to(p, HCL_TOK_CBRACK);
			break;
		}
		const struct tok *next = peek(p);
		if (next->type == HCL_TOK_CBRACK) {
			close = read_tok(p);
			break;
		}
		if (next->type != HCL_TOK_COMMA) {
			if (!p->recovery)
				error_in(p, open.range, next->range, "Missing item separator",
					 "Expected a comma to mark the beginning of the next item.");
			close = recover_to(p, HCL_TOK_CBRACK);
			break;
		}
		read_tok(p);
	}
	pop_newlines(p);
	e->range = hcl_range_between(open.range, close.range);
	return e;
}

static struct hcl_expr *parse_object_cons(struct parser *p)
{
	struct tok open = read_tok(p);
	push_newlines(p, false);
	bool is_for = tok_is_keyword(peek(p), "for");
	pop_newlines(p);
	if (is_for) {
		push_newlines(p, false);
		struct hcl_expr *f = finish_for_expr(p, open);
		pop_newlines(p);
		return f;
	}
	push_newlines(p, true);
	struct hcl_expr *e = new_expr(p, HCL_EXPR_OBJECT_CONS, open.range);
	e->u.object.open_range = open.range;
	size_t cap = 0;
	struct tok close;
	for (;;) {
		const struct tok *next = peek(p);
		if (next->type == HCL_TOK_NEWLINE) {
			read_tok(p);
			continue;
		}
		if (next->type == HCL_TOK_CBRACE) {
			close = read_tok(p);
			break;
		}
		bool force_expr = next->type == HCL_TOK_OPAREN;
		size_t ndiags = p->diags->n;
		struct hcl_expr *key = parse_expression(p);
		if (p->recovery && p->diags->n > ndiags) {
			close = recover_to(p, HCL_TOK_CBRACE);
			break;
		}
		bool key_is_name = false;
		if (!force_expr) {
			const char *kw = NULL;
			if (key->kind == HCL_EXPR_SCOPE_TRAVERSAL && key->u.traversal.nsteps == 0)
				kw = key->u.traversal.root;
			else if (key->kind == HCL_EXPR_LITERAL && key->u.literal.kind == HCL_LIT_BOOL)
				kw = key->u.literal.b ? "true" : "false";
			else if (key->kind == HCL_EXPR_LITERAL && key->u.literal.kind == HCL_LIT_NULL)
				kw = "null";
			if (kw) {
				struct hcl_expr *lit = new_expr(p, HCL_EXPR_LITERAL, key->range);
				lit->u.literal.kind = HCL_LIT_STRING;
				lit->u.literal.text = p_strndup(p, kw, strlen(kw));
				lit->u.literal.len = strlen(kw);
				key = lit;
				key_is_name = true;
			}
		}
		next = peek(p);
		if (next->type != HCL_TOK_EQUAL && next->type != HCL_TOK_COLON) {
			if (!p->recovery) {
				if (next->type == HCL_TOK_NEWLINE || next->type == HCL_TOK_COMMA)
					error_in(p, open.range, next->range, "Missing attribute value",
						 "Expected an attribute value, introduced by an equals sign (\"=\").");
				else if (next->type == HCL_TOK_IDENT)
					error_in(p, open.range, next->range, "Missing key/value separator",
						 "Expected an equals sign (\"=\") to mark the beginning of the attribute "
						 "value. If you intended to given an attribute name containing periods or "
						 "spaces, write the name in quotes to create a string literal.");
				else
					error_in(p, open.range, next->range, "Missing key/value separator",
						 "Expected an equals sign (\"=\") to mark the beginning of the attribute "
						 "value.");
			}
			close = recover_to(p, HCL_TOK_CBRACE);
			break;
		}
		read_tok(p);
		ndiags = p->diags->n;
		struct hcl_expr *value = parse_expression(p);
		e->u.object.items = p_grow(p, e->u.object.items, &cap, e->u.object.nitems + 1, sizeof *e->u.object.items);
		struct hcl_object_item *it = &e->u.object.items[e->u.object.nitems++];
		it->key = key;
		it->value = value;
		it->key_is_name = key_is_name;
		if (p->recovery && p->diags->n > ndiags) {
			close = recover_to(p, HCL_TOK_CBRACE);
			break;
		}
		next = peek(p);
		if (next->type == HCL_TOK_CBRACE) {
			close = read_tok(p);
			break;
		}
		if (next->type != HCL_TOK_COMMA && next->type != HCL_TOK_NEWLINE) {
			if (!p->recovery)
				error_in(p, open.range, next->range, "Missing attribute separator",
					 "Expected a newline or comma to mark the beginning of the next "
					 "attribute.");
			close = recover_to(p, HCL_TOK_CBRACE);
			break;
		}
		read_tok(p);
	}
	pop_newlines(p);
	e->range = hcl_range_between(open.range, close.range);
	return e;
}

static struct hcl_expr *parse_term(struct parser *p)
{
	const struct tok *start = peek(p);
	switch (start->type) {
	case HCL_TOK_OPAREN: {
		struct tok open = read_tok(p);
		push_newlines(p, false);
		size_t ndiags = p->diags->n;
		struct hcl_expr *inner = parse_expression(p);
		if (p->diags->n > ndiags && hcl_diags_has_errors(p->diags)) {
			struct tok close = recover_to(p, HCL_TOK_CPAREN);
			pop_newlines(p);
			struct hcl_expr *e = new_expr(p, HCL_EXPR_PARENS, hcl_range_between(open.range, close.range));
			e->u.wrap.inner = inner;
			return e;
		}
		const struct tok *c = peek(p);
		if (c->type != HCL_TOK_CPAREN) {
			error_in(p, open.range, c->range, "Unbalanced parentheses",
				 "Expected a closing parenthesis to terminate the expression.");
			p->recovery = true;
		}
		struct tok close = read_tok(p);
		pop_newlines(p);
		struct hcl_expr *e = new_expr(p, HCL_EXPR_PARENS, hcl_range_between(open.range, close.range));
		e->u.wrap.inner = inner;
		return e;
	}
	case HCL_TOK_NUMBER_LIT: {
		struct tok t = read_tok(p);
		struct hcl_expr *e = new_expr(p, HCL_EXPR_LITERAL, t.range);
		if (!number_literal(p, &t, &e->u.literal)) {
			e->kind = HCL_EXPR_INVALID;
		}
		return e;
	}
	case HCL_TOK_IDENT: {
		struct tok t = read_tok(p);
		if (peek(p)->type == HCL_TOK_OPAREN)
			return finish_function_call(p, t);
		struct hcl_expr *e;
		if (tok_is_keyword(&t, "true") || tok_is_keyword(&t, "false")) {
			e = new_expr(p, HCL_EXPR_LITERAL, t.range);
			e->u.literal.kind = HCL_LIT_BOOL;
			e->u.literal.b = t.bytes[0] == 't';
		} else if (tok_is_keyword(&t, "null")) {
			e = new_expr(p, HCL_EXPR_LITERAL, t.range);
			e->u.literal.kind = HCL_LIT_NULL;
		} else {
			e = new_expr(p, HCL_EXPR_SCOPE_TRAVERSAL, t.range);
			e->u.traversal.root = tok_str(p, &t);
			e->u.traversal.root_range = t.range;
		}
		return e;
	}
	case HCL_TOK_OQUOTE:
	case HCL_TOK_OHEREDOC:
		return parse_template_expr(p);
	case HCL_TOK_MINUS:
	case HCL_TOK_BANG: {
		struct tok op = read_tok(p);
		struct hcl_expr *operand = parse_expression_with_traversals(p);
		struct hcl_expr *e = new_expr(p, HCL_EXPR_UNARY_OP, hcl_range_between(op.range, operand->range));
		e->u.unary.op = op.type == HCL_TOK_MINUS ? HCL_OP_NEG : HCL_OP_NOT;
		e->u.unary.operand = operand;
		e->u.unary.op_range = op.range;
		return e;
	}
	case HCL_TOK_OBRACK:
		return parse_tuple_cons(p);
	case HCL_TOK_OBRACE:
		return parse_object_cons(p);
	default: {
		struct hcl_range r = start->range;
		if (!p->recovery) {
			/* Packer 1.6.6's HCL words the end of the input like any other token
			 * (later HCL says "Missing expression"); the console oracle is 1.6.6. */
			hcl_error(p->diags, &r, "Invalid expression",
				  "Expected the start of an expression, but found an invalid expression token.");
		}
		p->recovery = true;
		return invalid_expr(p, r);
	}
	}
}

static struct hcl_expr *parse_expression_with_traversals(struct parser *p)
{
	struct hcl_range at = next_range(p);
	if (!enter_nesting(p, &at))
		return invalid_expr(p, at);
	struct hcl_expr *term = parse_term(p);
	struct hcl_expr *e = parse_traversals(p, term);
	p->depth--;
	return e;
}

/* Binary operator precedence levels, loosest first. */
static int op_level(enum hcl_token_type t, enum hcl_binary_op *op)
{
	switch (t) {
	case HCL_TOK_OR: *op = HCL_OP_OR; return 0;
	case HCL_TOK_AND: *op = HCL_OP_AND; return 1;
	case HCL_TOK_EQUALOP: *op = HCL_OP_EQ; return 2;
	case HCL_TOK_NOTEQUAL: *op = HCL_OP_NE; return 2;
	case HCL_TOK_GT: *op = HCL_OP_GT; return 3;
	case HCL_TOK_GE: *op = HCL_OP_GE; return 3;
	case HCL_TOK_LT: *op = HCL_OP_LT; return 3;
	case HCL_TOK_LE: *op = HCL_OP_LE; return 3;
	case HCL_TOK_PLUS: *op = HCL_OP_ADD; return 4;
	case HCL_TOK_MINUS: *op = HCL_OP_SUB; return 4;
	case HCL_TOK_STAR: *op = HCL_OP_MUL; return 5;
	case HCL_TOK_SLASH: *op = HCL_OP_DIV; return 5;
	case HCL_TOK_PERCENT: *op = HCL_OP_MOD; return 5;
	default: return -1;
	}
}

#define NLEVELS 6

/* Binary operators of level >= min, left-associative, by precedence climbing: one call per
 * operator operand rather than one per level per operand. (It builds the same tree, and gives up
 * after an error in recovery at the same points, as one recursive function per level would.) */
static struct hcl_expr *parse_binary(struct parser *p, int min)
{
	size_t ndiags = p->diags->n;
	struct hcl_expr *lhs = parse_expression_with_traversals(p);
	if (p->recovery && p->diags->n > ndiags)
		return lhs;
	int level = NLEVELS - 1;
	while (level >= min) {
		enum hcl_binary_op op = HCL_OP_OR;
		if (op_level(peek(p)->type, &op) != level) {
			/* operators of this level are done; what follows can only be looser */
			level--;
			continue;
		}
		struct tok optok = read_tok(p);
		struct hcl_expr *rhs = parse_binary(p, level + 1);
		struct hcl_expr *e = new_expr(p, HCL_EXPR_BINARY_OP, hcl_range_between(lhs->range, rhs->range));
		e->u.binary.op = op;
		e->u.binary.lhs = lhs;
		e->u.binary.rhs = rhs;
		e->u.binary.op_range = optok.range;
		lhs = e;
		if (p->recovery && p->diags->n > ndiags)
			return lhs;
	}
	return lhs;
}

static struct hcl_expr *parse_expression(struct parser *p)
{
	struct hcl_range start = next_range(p);
	size_t ndiags = p->diags->n;
	struct hcl_expr *cond = parse_binary(p, 0);
	if (p->recovery && p->diags->n > ndiags)
		return cond;
	if (peek(p)->type != HCL_TOK_QUESTION)
		return cond;
	struct tok question = read_tok(p);
	/* the branches nest one level deeper: a chain a ? b : c ? d : ... is as deep as it is long */
	if (!enter_nesting(p, &question.range))
		return cond;
	struct hcl_expr *e = cond;
	struct hcl_expr *t = parse_expression(p);
	if (p->recovery && p->diags->n > ndiags)
		goto out;
	const struct tok *colon = peek(p);
	if (colon->type != HCL_TOK_COLON) {
		error_in(p, start, colon->range, "Missing false expression in conditional",
			 "The conditional operator (...?...:...) requires a false expression, "
			 "delimited by a colon.");
		p->recovery = true;
		goto out;
	}
	read_tok(p);
	struct hcl_expr *f = parse_expression(p);
	e = new_expr(p, HCL_EXPR_CONDITIONAL, hcl_range_between(start, f->range));
	e->u.cond.cond = cond;
	e->u.cond.true_expr = t;
	e->u.cond.false_expr = f;
out:
	p->depth--;
	return e;
}

/* ------------------------------------------------------------------------------------------------
 * Templates */

enum ttok_kind { TT_LITERAL, TT_INTERP, TT_IF, TT_ELSE, TT_ENDIF, TT_FOR, TT_ENDFOR, TT_END };

struct ttok {
	enum ttok_kind kind;
	struct hcl_range range;
	char *text;              /* LITERAL */
	size_t len;
	bool from_line_start;    /* LITERAL: heredoc line start (for <<- indentation) */
	struct hcl_expr *expr;   /* INTERP, IF (cond), FOR (coll) */
	char *key_var, *value_var;
};

struct ttoks {
	struct ttok *v;
	size_t n, cap;
};

static struct ttok *ttok_push(struct ttoks *t, enum ttok_kind kind, struct hcl_range r)
{
	t->v = xgrow(t->v, &t->cap, t->n + 1, sizeof *t->v);
	struct ttok *x = &t->v[t->n++];
	memset(x, 0, sizeof *x);
	x->kind = kind;
	x->range = r;
	return x;
}

/* (Texts and expressions are in the tree's arena.) */
static void ttoks_free(struct ttoks *t)
{
	free(t->v);
}

static void trim_right_space(struct ttok *lit)
{
	size_t n = lit->len;
	while (n > 0) {
		size_t k = n - 1;
		while (k > 0 && ((unsigned char)lit->text[k] & 0xC0) == 0x80)
			k--;
		unsigned cp;
		size_t l = hcl_utf8_decode((const unsigned char *)lit->text + k, n - k, &cp);
		if (l == 0 || k + l != n || !hcl_is_unicode_space(cp))
			break;
		n = k;
	}
	lit->len = n;
	lit->text[n] = '\0';
}

static size_t leading_space_bytes(const char *s, size_t n, size_t *chars)
{
	size_t i = 0, c = 0;
	while (i < n) {
		unsigned cp;
		size_t l = hcl_utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (l == 0 || !hcl_is_unicode_space(cp))
			break;
		i += l;
		c++;
	}
	if (chars)
		*chars = c;
	return i;
}

static void trim_left_space(struct ttok *lit)
{
	size_t i = leading_space_bytes(lit->text, lit->len, NULL);
	memmove(lit->text, lit->text + i, lit->len - i + 1);
	lit->len -= i;
}

/* Collect the flat sequence of template tokens up to the closing token `end`. */
static void parse_template_parts(struct parser *p, enum hcl_token_type end, const struct tok *opener,
				 struct ttoks *parts)
{
	struct hcl_range start = next_range(p);
	struct hcl_range end_range = start;
	bool ltrim_next = false, next_can_trim_prev = false;
	bool at_line_start = true;

	for (;;) {
		struct tok next = read_tok(p);
		if (next.type == end) {
			end_range = next.range;
			break;
		}
		bool ltrim = ltrim_next;
		ltrim_next = false;
		bool can_trim_prev = next_can_trim_prev;
		next_can_trim_prev = false;

		if (next.type == HCL_TOK_STRING_LIT || next.type == HCL_TOK_QUOTED_LIT) {
			struct ttok *lit = ttok_push(parts, TT_LITERAL, next.range);
			lit->text = decode_literal(p, &next, &lit->len);
			lit->from_line_start = at_line_start;
			if (ltrim)
				trim_left_space(lit);
			next_can_trim_prev = true;
			at_line_start = next.len > 0 && next.bytes[next.len - 1] == '\n';
			continue;
		}
		at_line_start = false;
		if (next.type == HCL_TOK_TEMPLATE_INTERP) {
			if (can_trim_prev && next.len == 3 && parts->n > 0 && parts->v[parts->n - 1].kind == TT_LITERAL)
				trim_right_space(&parts->v[parts->n - 1]);
			push_newlines(p, false);
			struct hcl_expr *expr = parse_expression(p);
			const struct tok *close = peek(p);
			struct hcl_range close_range = close->range;
			if (close->type != HCL_TOK_TEMPLATE_SEQ_END) {
				if (!p->recovery) {
					/* The end of the input is "extra characters" too, as in Packer 1.6.6. */
					if (close->type == HCL_TOK_COLON)
						error_in(p, next.range, close->range,
							 "Extra characters after interpolation expression",
							 "Template interpolation doesn't expect a colon at this "
							 "location. Did you intend this to be a literal sequence to be "
							 "processed as part of another language? If so, you can escape "
							 "it by starting with \"$${\" instead of just \"${\".");
					else
						error_in(p, next.range, close->range,
							 "Extra characters after interpolation expression",
							 "Expected a closing brace to end the interpolation expression, "
							 "but found extra characters.");
				}
				close_range = recover_to(p, HCL_TOK_TEMPLATE_SEQ_END).range;
			} else {
				struct tok c = read_tok(p);
				if (c.len == 2 && c.bytes[0] == '~')
					ltrim_next = true;
			}
			pop_newlines(p);
			struct ttok *it = ttok_push(parts, TT_INTERP, hcl_range_between(next.range, close_range));
			it->expr = expr;
			continue;
		}
		if (next.type == HCL_TOK_TEMPLATE_CONTROL) {
			if (can_trim_prev && next.len == 3 && parts->n > 0 && parts->v[parts->n - 1].kind == TT_LITERAL)
				trim_right_space(&parts->v[parts->n - 1]);
			push_newlines(p, false);
			const struct tok *kw = peek(p);
			if (kw->type != HCL_TOK_IDENT) {
				if (!p->recovery)
					error_in(p, next.range, kw->range, "Invalid template directive",
						 "A template directive keyword (\"if\", \"for\", etc) "
						 "is expected at the beginning of a %%{ sequence.");
				recover_to(p, HCL_TOK_TEMPLATE_SEQ_END);
				pop_newlines(p);
				continue;
			}
			struct tok kwt = read_tok(p);
			struct ttok *dir = NULL;
			if (tok_is_keyword(&kwt, "if")) {
				struct hcl_expr *cond = parse_expression(p);
				dir = ttok_push(parts, TT_IF, hcl_range_between(next.range, next_range(p)));
				dir->expr = cond;
			} else if (tok_is_keyword(&kwt, "else")) {
				dir = ttok_push(parts, TT_ELSE, hcl_range_between(next.range, next_range(p)));
			} else if (tok_is_keyword(&kwt, "endif")) {
				dir = ttok_push(parts, TT_ENDIF, hcl_range_between(next.range, next_range(p)));
			} else if (tok_is_keyword(&kwt, "endfor")) {
				dir = ttok_push(parts, TT_ENDFOR, hcl_range_between(next.range, next_range(p)));
			} else if (tok_is_keyword(&kwt, "for")) {
				char *key_var = NULL, *value_var = NULL;
				const char *problem = NULL;
				if (peek(p)->type != HCL_TOK_IDENT) {
					problem = "For directive requires variable name after 'for'.";
				} else {
					struct tok n1 = read_tok(p);
					value_var = tok_str(p, &n1);
					if (peek(p)->type == HCL_TOK_COMMA) {
						read_tok(p);
						key_var = value_var;
						value_var = NULL;
						if (peek(p)->type != HCL_TOK_IDENT) {
							problem = "For directive requires value variable name after comma.";
						} else {
							struct tok n2 = read_tok(p);
							value_var = tok_str(p, &n2);
						}
					}
					if (!problem && !tok_is_keyword(peek(p), "in"))
						problem = "For directive requires 'in' keyword after names.";
				}
				if (problem) {
					if (!p->recovery) {
						const struct tok *bad = peek(p);
						hcl_error(p->diags, &bad->range, "Invalid 'for' directive", "%s", problem);
					}
					recover_to(p, HCL_TOK_TEMPLATE_SEQ_END);
					pop_newlines(p);
					continue;
				}
				read_tok(p); /* in */
				struct hcl_expr *coll = parse_expression(p);
				dir = ttok_push(parts, TT_FOR, hcl_range_between(next.range, next_range(p)));
				dir->expr = coll;
				dir->key_var = key_var;
				dir->value_var = value_var;
			} else {
				if (!p->recovery) {
					static const char *const kws[] = {"if", "for", "else", "endif", "endfor"};
					char *given = xstrndup(kwt.bytes, kwt.len);
					const char *sugg = hcl_name_suggestion(given, kws, 5);
					error_in(p, next.range, kwt.range, "Invalid template control keyword",
						 "\"%s\" is not a valid template control keyword.%s%s%s",
						 given, sugg ? " Did you mean \"" : "", sugg ? sugg : "",
						 sugg ? "\"?" : "");
					free(given);
				}
				recover_to(p, HCL_TOK_TEMPLATE_SEQ_END);
				pop_newlines(p);
				continue;
			}
			const struct tok *close = peek(p);
			if (close->type != HCL_TOK_TEMPLATE_SEQ_END) {
				if (!p->recovery) {
					char *summary = xasprintf("Extra characters in %.*s marker", (int)kwt.len, kwt.bytes);
					error_in(p, start, close->range, summary,
						 "Expected a closing brace to end the sequence, but "
						 "found extra characters.");
					free(summary);
				}
				recover_to(p, HCL_TOK_TEMPLATE_SEQ_END);
			} else {
				struct tok c = read_tok(p);
				if (c.len == 2 && c.bytes[0] == '~')
					ltrim_next = true;
			}
			pop_newlines(p);
			continue;
		}
		if (next.type == HCL_TOK_QUOTED_NEWLINE) {
			/* reported by hcl_tokens_check; the string ends at the end of the line */
			end_range = next.range;
			p->recovery = true;
			break;
		}
		/* anything else: the string is not terminated properly */
		if (!p->recovery) {
			struct hcl_diag *d;
			if (next.type == HCL_TOK_EOF && end == HCL_TOK_CHEREDOC && opener) {
				/* point at "<<EOT", not at its newline */
				struct hcl_range r = opener->range;
				size_t n = opener->len;
				while (n > 0 && (opener->bytes[n - 1] == '\n' || opener->bytes[n - 1] == '\r'))
					n--;
				r.end = r.start;
				r.end.byte += n;
				r.end.column += (int)n;
				d = hcl_error(p->diags, &r, "Unterminated template string",
					      "No closing marker \"%.*s\" was found for this heredoc before the end of the "
					      "file.",
					      (int)(n - (opener->bytes[2] == '-' ? 3 : 2)),
					      opener->bytes + (opener->bytes[2] == '-' ? 3 : 2));
			} else {
				d = hcl_error(p->diags, &next.range, "Unterminated template string",
					      "No closing marker was found for the string.");
			}
			struct hcl_range ctx = hcl_range_between(start, next.range);
			hcl_diag_set_context(d, &ctx);
		}
		end_range = next.type == HCL_TOK_EOF ? next.range : recover_to(p, end).range;
		p->recovery = true;
		break;
	}
	(void)end_range;
	if (parts->n == 0) {
		struct hcl_range r = start;
		r.end = r.start;
		struct ttok *lit = ttok_push(parts, TT_LITERAL, r);
		lit->text = p_strndup(p, "", 0);
	}
	ttok_push(parts, TT_END, end_range);
}

/* <<- : remove the common leading whitespace from literal text at line starts. */
static void flush_heredoc(struct ttoks *parts)
{
	size_t min = (size_t)-1;
	bool newline = true;
	for (size_t i = 0; i < parts->n; i++)
		parts->v[i].from_line_start = false;
	for (size_t i = 0; i < parts->n; i++) {
		struct ttok *t = &parts->v[i];
		if (newline) {
			newline = false;
			size_t spaces;
			if (t->kind == TT_LITERAL) {
				size_t chars;
				size_t nbytes = leading_space_bytes(t->text, t->len, &chars);
				if (nbytes == t->len && t->len > 0 && t->text[t->len - 1] == '\n') {
					spaces = (size_t)-1; /* blank line: not counted */
				} else {
					spaces = chars;
					t->from_line_start = true;
				}
			} else if (t->kind == TT_END) {
				break;
			} else {
				spaces = 0;
			}
			if (spaces < min)
				min = spaces;
		}
		if (t->kind == TT_LITERAL && t->len > 0 && t->text[t->len - 1] == '\n')
			newline = true;
	}
	if (min == (size_t)-1)
		return;
	for (size_t i = 0; i < parts->n; i++) {
		struct ttok *t = &parts->v[i];
		if (t->kind != TT_LITERAL || !t->from_line_start)
			continue;
		size_t i2 = 0, c = 0;
		while (c < min && i2 < t->len) {
			unsigned cp;
			size_t l = hcl_utf8_decode((const unsigned char *)t->text + i2, t->len - i2, &cp);
			if (l == 0)
				l = 1;
			i2 += l;
			c++;
		}
		memmove(t->text, t->text + i2, t->len - i2 + 1);
		t->len -= i2;
		t->range.start.column += (int)c;
		t->range.start.byte += i2;
	}
}

struct tparser {
	struct parser *p;
	struct ttoks *t;
	size_t i;
	bool too_deep;   /* directives nested past MAX_DEPTH: reported once, the rest skipped */
};

/* An if or for directive's body nests one level deeper. When too deep, the parts left are skipped. */
static bool tp_enter(struct tparser *tp, const struct ttok *open)
{
	if (enter_nesting(tp->p, &open->range))
		return true;
	tp->too_deep = true;
	while (tp->t->v[tp->i].kind != TT_END)
		tp->i++;
	return false;
}

static struct hcl_template *tp_new(struct parser *p, struct hcl_range r)
{
	struct hcl_template *t = p_alloc(p, sizeof *t);
	t->range = r;
	return t;
}

static struct hcl_template_part *tp_add(struct parser *p, struct hcl_template *t, size_t *cap,
					enum hcl_template_part_kind kind, struct hcl_range r)
{
	t->parts = p_grow(p, t->parts, cap, t->nparts + 1, sizeof *t->parts);
	struct hcl_template_part *part = &t->parts[t->nparts++];
	memset(part, 0, sizeof *part);
	part->kind = kind;
	part->range = r;
	return part;
}

/* HCL's summary for a closing directive found where it does not belong */
static const char *unexpected_directive(enum ttok_kind k)
{
	return k == TT_ELSE ? "Unexpected else directive" :
	       k == TT_ENDIF ? "Unexpected endif directive" : "Unexpected endfor directive";
}

static char *steal(char **s)
{
	char *r = *s;
	*s = NULL;
	return r;
}

static void tp_parse_part(struct tparser *tp, struct hcl_template *into, size_t *cap);

/* The body of an if or for directive, up to its closing directive, as HCL's templateParser does:
 * returns the closing directive (consumed; an else only when else_t is given) or NULL after a
 * diagnostic (the end of the template, not consumed, or a wrong closing directive, consumed). */
static struct ttok *tp_parse_body(struct tparser *tp, const struct ttok *open, struct hcl_template *body,
				  size_t *cap)
{
	struct parser *p = tp->p;
	bool is_if = open->kind == TT_IF;
	for (;;) {
		struct ttok *nt = &tp->t->v[tp->i];
		switch (nt->kind) {
		case TT_END: {
			if (tp->too_deep)
				return NULL;
			char *at = hcl_range_string(&open->range);
			hcl_error(p->diags, &nt->range, "Unexpected end of template",
				  "The %s directive at %s is missing its corresponding %s directive.", is_if ? "if" : "for",
				  at, is_if ? "endif" : "endfor");
			free(at);
			return NULL;
		}
		case TT_ELSE: case TT_ENDIF: case TT_ENDFOR:
			tp->i++;
			if (nt->kind == (is_if ? TT_ENDIF : TT_ENDFOR) || (is_if && nt->kind == TT_ELSE))
				return nt;
			if (nt->kind == TT_ELSE) {
				hcl_error(p->diags, &nt->range, unexpected_directive(nt->kind),
					  "An else clause is not expected for a for directive.");
			} else {
				char *at = hcl_range_string(&open->range);
				if (is_if)
					hcl_error(p->diags, &nt->range, unexpected_directive(nt->kind),
						  "Expecting an endif directive for the if started at %s.", at);
				else
					hcl_error(p->diags, &nt->range, unexpected_directive(nt->kind),
						  "Expecting an endfor directive corresponding to the for directive at %s.", at);
				free(at);
			}
			return NULL;
		default:
			tp_parse_part(tp, body, cap);
		}
	}
}

static void tp_parse_if(struct tparser *tp, struct hcl_template *into, size_t *cap)
{
	struct ttok *open = &tp->t->v[tp->i++];
	if (!tp_enter(tp, open))
		return;
	struct hcl_template *then_t = tp_new(tp->p, open->range), *else_t = NULL;
	size_t tcap = 0, ecap = 0;
	struct ttok *close = tp_parse_body(tp, open, then_t, &tcap);
	if (close && close->kind == TT_ELSE) {
		else_t = tp_new(tp->p, close->range);
		close = tp_parse_body(tp, open, else_t, &ecap);
		if (close && close->kind == TT_ELSE) {
			char *at = hcl_range_string(&open->range);
			hcl_error(tp->p->diags, &close->range, unexpected_directive(TT_ELSE),
				  "Already in the else clause for the if started at %s.", at);
			free(at);
			close = NULL;
		}
	}
	tp->p->depth--;
	if (!close)
		return;
	struct hcl_template_part *part =
		tp_add(tp->p, into, cap, HCL_TPART_IF, hcl_range_between(open->range, close->range));
	part->cond = open->expr;
	open->expr = NULL;
	part->then_t = then_t;
	part->else_t = else_t;
}

static void tp_parse_for(struct tparser *tp, struct hcl_template *into, size_t *cap)
{
	struct ttok *open = &tp->t->v[tp->i++];
	if (!tp_enter(tp, open))
		return;
	struct hcl_template *body = tp_new(tp->p, open->range);
	size_t bcap = 0;
	struct ttok *close = tp_parse_body(tp, open, body, &bcap);
	tp->p->depth--;
	if (!close)
		return;
	struct hcl_template_part *part =
		tp_add(tp->p, into, cap, HCL_TPART_FOR, hcl_range_between(open->range, close->range));
	part->key_var = steal(&open->key_var);
	part->value_var = steal(&open->value_var);
	part->coll = open->expr;
	open->expr = NULL;
	part->body = body;
}

/* One part at tp->i (not the end): a literal, an interpolation, a directive with its body, or a
 * stray closing directive (reported as HCL does). */
static void tp_parse_part(struct tparser *tp, struct hcl_template *into, size_t *cap)
{
	struct ttok *t = &tp->t->v[tp->i];
	switch (t->kind) {
	case TT_LITERAL: {
		struct hcl_template_part *part = tp_add(tp->p, into, cap, HCL_TPART_LITERAL, t->range);
		part->len = t->len;
		part->text = steal(&t->text);
		tp->i++;
		return;
	}
	case TT_INTERP: {
		struct hcl_template_part *part = tp_add(tp->p, into, cap, HCL_TPART_INTERP, t->range);
		part->expr = t->expr;
		t->expr = NULL;
		tp->i++;
		return;
	}
	case TT_IF:
		tp_parse_if(tp, into, cap);
		return;
	case TT_FOR:
		tp_parse_for(tp, into, cap);
		return;
	case TT_ELSE: case TT_ENDIF: case TT_ENDFOR:
		hcl_error(tp->p->diags, &t->range, unexpected_directive(t->kind),
			  "The control directives within this template are unbalanced.");
		tp->i++;
		return;
	case TT_END:
		return;
	}
}

/* Build the template tree from parts; *passthru when it is exactly one interpolation. */
static struct hcl_template *build_template(struct parser *p, struct ttoks *parts, struct hcl_range range,
					   bool *passthru)
{
	struct tparser tp = {p, parts, 0, false};
	struct hcl_template *t = tp_new(p, range);
	size_t cap = 0;
	while (parts->v[tp.i].kind != TT_END)
		tp_parse_part(&tp, t, &cap);
	*passthru = parts->n == 2 && parts->v[0].kind == TT_INTERP && t->nparts == 1 &&
		    t->parts[0].kind == HCL_TPART_INTERP;
	return t;
}

/* The expression for a template's parts: a lone interpolation ("${x}") is x itself, wrapped so that its
 * value passes through unconverted; anything else is a template that yields a string. */
static struct hcl_expr *template_expr(struct parser *p, struct ttoks *parts, struct hcl_range range,
				      bool heredoc)
{
	bool passthru;
	struct hcl_template *t = build_template(p, parts, range, &passthru);
	if (passthru) {
		struct hcl_expr *e = new_expr(p, HCL_EXPR_TEMPLATE_WRAP, range);
		e->u.wrap.inner = t->parts[0].expr;
		return e;
	}
	struct hcl_expr *e = new_expr(p, HCL_EXPR_TEMPLATE, range);
	e->u.template_.tmpl = t;
	e->u.template_.heredoc = heredoc;
	return e;
}

static struct hcl_expr *parse_template_expr(struct parser *p)
{
	struct tok open = read_tok(p);
	enum hcl_token_type closer = open.type == HCL_TOK_OQUOTE ? HCL_TOK_CQUOTE : HCL_TOK_CHEREDOC;
	bool flush = open.type == HCL_TOK_OHEREDOC && open.len > 2 && open.bytes[2] == '-';
	struct ttoks parts = {0};
	parse_template_parts(p, closer, &open, &parts);
	if (flush)
		flush_heredoc(&parts);
	struct hcl_range range = hcl_range_between(open.range, p->prev_range);
	struct hcl_expr *e = template_expr(p, &parts, range, open.type == HCL_TOK_OHEREDOC);
	ttoks_free(&parts);
	return e;
}

/* ------------------------------------------------------------------------------------------------
 * Bodies */

struct body_builder {
	struct hcl_body *b;
	size_t acap, bcap;
	/* The attributes by name, for "Attribute redefined" in bodies with many of them (a scan is
	 * quadratic): open addressing over indices into b->attrs, plus one (0 = empty). NULL while
	 * the body has few attributes. */
	size_t *by_name;
	size_t by_name_cap;      /* a power of two, at least twice the attribute count */
};

#define BY_NAME_FROM 16      /* attributes before a body gets its name index */

static size_t name_hash(const char *s)
{
	size_t h = 14695981039346656037ULL;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void by_name_insert(struct body_builder *bb, size_t i)
{
	size_t mask = bb->by_name_cap - 1;
	size_t j = name_hash(bb->b->attrs[i]->name) & mask;
	while (bb->by_name[j])
		j = (j + 1) & mask;
	bb->by_name[j] = i + 1;
}

static const struct hcl_attribute *body_find_attr(const struct body_builder *bb, const char *name)
{
	if (!bb->by_name)
		return hcl_body_attr(bb->b, name);
	size_t mask = bb->by_name_cap - 1;
	for (size_t j = name_hash(name) & mask; bb->by_name[j]; j = (j + 1) & mask) {
		const struct hcl_attribute *a = bb->b->attrs[bb->by_name[j] - 1];
		if (strcmp(a->name, name) == 0)
			return a;
	}
	return NULL;
}

/* Index attribute i (just added), (re)building the index when it gets too full. */
static void by_name_add(struct body_builder *bb, size_t i)
{
	size_t n = i + 1;
	if (n < BY_NAME_FROM)
		return;
	if (2 * n > bb->by_name_cap) {
		free(bb->by_name);
		bb->by_name_cap = bb->by_name_cap ? 2 * bb->by_name_cap : 4 * BY_NAME_FROM;
		bb->by_name = xcalloc(bb->by_name_cap, sizeof *bb->by_name);
		for (size_t k = 0; k < n; k++)
			by_name_insert(bb, k);
		return;
	}
	by_name_insert(bb, i);
}

static struct hcl_body *parse_body(struct parser *p, enum hcl_token_type end, struct hcl_range open_range);

static struct hcl_attribute *finish_attribute(struct parser *p, struct tok name, bool single_line)
{
	struct tok eq = read_tok(p);
	struct hcl_attribute *a = p_alloc(p, sizeof *a);
	a->name = tok_str(p, &name);
	a->name_range = name.range;
	a->equals_range = eq.range;
	size_t ndiags = p->diags->n;
	struct hcl_arena_mark before_expr = hcl_arena_mark(p->arena);
	a->expr = parse_expression(p);
	struct hcl_range end = a->expr->range;
	if (p->discard_exprs) {
		hcl_arena_release(p->arena, before_expr);
		a->expr = NULL;
	}
	if (p->recovery && p->diags->n > ndiags) {
		if (!single_line)
			recover_after_body_item(p);
	} else {
		end = p->prev_range;
		if (!single_line) {
			const struct tok *t = peek(p);
			if (t->type != HCL_TOK_NEWLINE && t->type != HCL_TOK_EOF) {
				if (!p->recovery) {
					if (t->type == HCL_TOK_COMMA)
						error_in(p, name.range, t->range, "Unexpected comma after argument",
							 "Argument definitions must be separated by newlines, not "
							 "commas. An argument definition must end with a newline.");
					else
						error_in(p, name.range, t->range, "Missing newline after argument",
							 "An argument definition must end with a newline.");
				}
				recover_after_body_item(p);
			} else {
				read_tok(p);
			}
		}
	}
	a->range = hcl_range_between(name.range, end);
	return a;
}

static struct hcl_body *empty_body(struct parser *p, struct hcl_range r)
{
	struct hcl_body *b = p_alloc(p, sizeof *b);
	b->range = r;
	b->end_range = r;
	b->end_range.start = r.end;
	return b;
}

/* `a { b = 1 }`: a block holding exactly one attribute on its own line. */
static struct hcl_body *parse_single_attr_body(struct parser *p, struct tok open)
{
	struct hcl_body *body = p_alloc(p, sizeof *body);
	const struct tok *first = peek(p);
	if (first->type != HCL_TOK_IDENT) {
		if (!p->recovery)
			hcl_error(p->diags, &first->range, "Invalid single-argument block definition",
				  "A single-line block definition must contain exactly one argument definition, like "
				  "`name { key = value }`.");
		struct tok close = recover_to(p, HCL_TOK_CBRACE);
		body->range = hcl_range_between(open.range, close.range);
		body->end_range = close.range;
		return body;
	}
	struct tok name = read_tok(p);
	const struct tok *next = peek(p);
	if (next->type != HCL_TOK_EQUAL) {
		if (!p->recovery) {
			if (next->type == HCL_TOK_OBRACE || next->type == HCL_TOK_OQUOTE || next->type == HCL_TOK_IDENT) {
				struct hcl_range r = hcl_range_between(name.range, next->range);
				hcl_error(p->diags, &r, "Unexpected block definition",
					  "A single-line block definition cannot contain another block definition.");
			} else {
				hcl_error(p->diags, &name.range, "Invalid single-argument block definition",
					  "A single-line block definition must contain exactly one argument definition, "
					  "like `name { key = value }`.");
			}
		}
		struct tok close = recover_to(p, HCL_TOK_CBRACE);
		body->range = hcl_range_between(open.range, close.range);
		body->end_range = close.range;
		return body;
	}
	struct hcl_attribute *a = finish_attribute(p, name, true);
	body->attrs = p_alloc(p, sizeof *body->attrs);
	body->attrs[0] = a;
	body->nattrs = 1;
	struct tok close;
	const struct tok *t = peek(p);
	if (t->type == HCL_TOK_CBRACE) {
		close = read_tok(p);
	} else {
		if (!p->recovery) {
			if (t->type == HCL_TOK_COMMA)
				hcl_error(p->diags, &t->range, "Unexpected comma after argument",
					  "Only one argument is allowed in a single-line block definition. Put each argument "
					  "on its own line between the braces.");
			else if (t->type == HCL_TOK_NEWLINE)
				hcl_error(p->diags, &t->range, "Missing closing brace",
					  "The closing brace for a single-line block definition must be on the same line as "
					  "its argument; otherwise put the argument on its own line after the opening "
					  "brace.");
			else
				hcl_error(p->diags, &t->range, "Missing closing brace",
					  "A single-line block definition must end with a closing brace immediately after "
					  "its single argument.");
		}
		close = recover_to(p, HCL_TOK_CBRACE);
	}
	body->range = hcl_range_between(open.range, close.range);
	body->end_range = close.range;
	body->end_range.start = close.range.end;
	return body;
}

static struct hcl_block *finish_block(struct parser *p, struct tok type)
{
	struct hcl_block *blk = p_alloc(p, sizeof *blk);
	blk->type = tok_str(p, &type);
	blk->type_range = type.range;
	size_t lcap = 0, rcap = 0;
	struct tok open;
	for (;;) {
		const struct tok *t = peek(p);
		if (t->type == HCL_TOK_OBRACE) {
			open = read_tok(p);
			break;
		}
		if (t->type == HCL_TOK_OQUOTE || t->type == HCL_TOK_IDENT) {
			struct hcl_range lr;
			char *label;
			if (t->type == HCL_TOK_OQUOTE) {
				label = parse_quoted_string_literal(p, &lr);
			} else {
				struct tok id = read_tok(p);
				label = tok_str(p, &id);
				lr = id.range;
			}
			blk->labels = p_grow(p, blk->labels, &lcap, blk->nlabels + 1, sizeof *blk->labels);
			blk->label_ranges = p_grow(p, blk->label_ranges, &rcap, blk->nlabels + 1, sizeof *blk->label_ranges);
			blk->labels[blk->nlabels] = label;
			blk->label_ranges[blk->nlabels] = lr;
			blk->nlabels++;
			continue;
		}
		if (!p->recovery) {
			if (t->type == HCL_TOK_EQUAL)
				error_in(p, type.range, t->range, "Invalid block definition",
					 "The equals sign \"=\" indicates an argument definition, and must not be used "
					 "when defining a block.");
			else if (t->type == HCL_TOK_NEWLINE)
				error_in(p, type.range, t->range, "Invalid block definition",
					 "A block definition must have block content delimited by \"{\" and \"}\", "
					 "starting on the same line as the block header.");
			else
				error_in(p, type.range, t->range, "Invalid block definition",
					 "Either a quoted string block label or an opening brace (\"{\") is expected "
					 "here.");
		}
		recover_after_body_item(p);
		blk->body = empty_body(p, type.range);
		blk->open_brace_range = blk->close_brace_range = type.range;
		blk->range = type.range;
		return blk;
	}
	blk->open_brace_range = open.range;
	enum hcl_token_type nt = peek(p)->type;
	if (nt == HCL_TOK_NEWLINE || nt == HCL_TOK_EOF || nt == HCL_TOK_CBRACE) {
		blk->body = parse_body(p, HCL_TOK_CBRACE, open.range);
	} else {
		blk->body = parse_single_attr_body(p, open);
	}
	blk->close_brace_range = p->prev_range;
	blk->range = hcl_range_between(type.range, blk->close_brace_range);
	const struct tok *eol = peek(p);
	if (eol->type == HCL_TOK_NEWLINE || eol->type == HCL_TOK_EOF) {
		read_tok(p);
	} else {
		if (!p->recovery)
			error_in(p, type.range, eol->range, "Missing newline after block definition",
				 "A block definition must end with a newline.");
		recover_after_body_item(p);
	}
	return blk;
}

static void body_add_attr(struct parser *p, struct body_builder *bb, struct hcl_attribute *a)
{
	const struct hcl_attribute *existing = body_find_attr(bb, a->name);
	if (existing) {
		char *at = hcl_range_string(&existing->name_range);
		hcl_error(p->diags, &a->name_range, "Attribute redefined",
			  "The argument \"%s\" was already set at %s. Each argument may be set only once.", a->name, at);
		free(at);
		return;
	}
	bb->b->attrs = p_grow(p, bb->b->attrs, &bb->acap, bb->b->nattrs + 1, sizeof *bb->b->attrs);
	bb->b->attrs[bb->b->nattrs++] = a;
	by_name_add(bb, bb->b->nattrs - 1);
}

static struct hcl_body *parse_body(struct parser *p, enum hcl_token_type end, struct hcl_range open_range)
{
	struct body_builder bb = {p_alloc(p, sizeof(struct hcl_body)), 0, 0, NULL, 0};
	struct hcl_range start = open_range, endr = open_range;
	if (++p->depth > MAX_DEPTH) {
		if (!p->recovery)
			hcl_error(p->diags, &open_range, "Blocks too deeply nested",
				  "Blocks are nested more than %d levels deep here.", MAX_DEPTH);
		p->recovery = true;
		p->depth--;
		struct tok close = recover_to(p, HCL_TOK_CBRACE);
		bb.b->range = hcl_range_between(open_range, close.range);
		bb.b->end_range = close.range;
		return bb.b;
	}
	for (;;) {
		const struct tok *next = peek(p);
		if (next->type == end) {
			endr = read_tok(p).range;
			break;
		}
		if (next->type == HCL_TOK_NEWLINE) {
			read_tok(p);
			continue;
		}
		if (next->type == HCL_TOK_IDENT) {
			/* every body item starts fresh: errors in one item do not silence the next */
			p->recovery = false;
			struct tok ident = read_tok(p);
			const struct tok *after = peek(p);
			if (after->type == HCL_TOK_EQUAL) {
				body_add_attr(p, &bb, finish_attribute(p, ident, false));
			} else if (after->type == HCL_TOK_OQUOTE || after->type == HCL_TOK_OBRACE ||
				   after->type == HCL_TOK_IDENT) {
				struct hcl_block *blk = finish_block(p, ident);
				bb.b->blocks = p_grow(p, bb.b->blocks, &bb.bcap, bb.b->nblocks + 1, sizeof *bb.b->blocks);
				bb.b->blocks[bb.b->nblocks++] = blk;
			} else {
				hcl_error(p->diags, &ident.range, "Argument or block definition required",
					  "An argument or block definition is required here. To set an argument, use the "
					  "equals sign \"=\" to introduce the argument value.");
				recover_after_body_item(p);
			}
			continue;
		}
		if (next->type == HCL_TOK_EOF) {
			/* end == CBRACE: the block is never closed */
			hcl_error(p->diags, &open_range, "Unclosed configuration block",
					  "There is no closing brace for this block before the end of the file. This may be "
					  "caused by incorrect brace nesting elsewhere in this file.");
			endr = next->range;
			break;
		}
		if (next->type == HCL_TOK_CBRACE && end == HCL_TOK_EOF) {
			struct tok bad = read_tok(p);
			hcl_error(p->diags, &bad.range, "Unexpected closing brace",
				  "This closing brace does not match any opening brace; check the nesting of the "
				  "blocks above it.");
			continue;
		}
		p->recovery = false;
		struct tok bad = read_tok(p);
		if (bad.type == HCL_TOK_OQUOTE)
			hcl_error(p->diags, &bad.range, "Invalid argument name", "Argument names must not be quoted.");
		else
			hcl_error(p->diags, &bad.range, "Argument or block definition required",
				  "An argument or block definition is required here.");
		recover_after_body_item(p);
	}
	p->depth--;
	free(bb.by_name);
	bb.b->range = hcl_range_between(start, endr);
	bb.b->end_range = endr;
	bb.b->end_range.start = endr.end;
	return bb.b;
}

/* ------------------------------------------------------------------------------------------------
 * Entry points */

enum {
	CHECK_TOKENS = 1,        /* report invalid tokens (hcl_tokens_check) */
	KEEP_TOKENS = 2,         /* keep every token, for parser_finish to hand out */
	DISCARD_EXPRS = 4,       /* keep no expression trees */
};

/* A parser over the scanner lx (which it frees) of len bytes. diags gets the parser's diagnostics;
 * parser_finish puts the invalid tokens reported as they are scanned before them, as if the whole
 * input had been checked before parsing. */
static void parser_init(struct parser *p, struct hcl_lexer *lx, size_t len, struct hcl_diags *diags, bool newlines,
			struct hcl_arena *arena, int flags)
{
	memset(p, 0, sizeof *p);
	p->lexer = lx;
	p->check_tokens = flags & CHECK_TOKENS;
	p->keep_all = flags & KEEP_TOKENS;
	p->discard_exprs = flags & DISCARD_EXPRS;
	/* all of them (see hcl_tokens_reserve), or a window */
	hcl_tokens_reserve(&p->win, p->keep_all ? len / 4 + 16 : 2 * SCAN_AHEAD);
	p->diags = diags;
	p->diags_from = diags->n;
	p->nl_stack[0] = newlines;
	p->prev_range = hcl_token_range(&p->win, token_at(p, 0));
	p->arena = arena;
}

/* Scan the rest of the input (every token is checked, read or not), put the token diagnostics in
 * place, and hand the tokens to *keep (KEEP_TOKENS) or free them. */
static void parser_finish(struct parser *p, struct hcl_tokens *keep)
{
	if (p->check_tokens)
		last_token(p);
	hcl_diags_insert(p->diags, p->diags_from, &p->token_diags);
	buf_free(&p->scratch);
	if (keep) {
		*keep = p->win;
		p->win = (struct hcl_tokens){0};
	}
	hcl_tokens_free(&p->win);
	hcl_lexer_free(p->lexer);
}

/* An arena whose first chunk holds the tree of typical source text of this length (real templates
 * take 10 to 20 bytes of tree per byte; the chunk's untouched pages cost nothing), up to 64 MiB. */
static struct hcl_arena *tree_arena(size_t len)
{
	return hcl_arena_new(len < (4u << 20) ? 16 * len + 512 : 64u << 20);
}

/* The scanner reads at most HCL_LEX_MAX_LEN bytes: say so when there is more. */
static void check_length(size_t len, const char *filename, struct hcl_pos start, struct hcl_diags *diags)
{
	if (len <= HCL_LEX_MAX_LEN)
		return;
	struct hcl_range r = {filename, start, start};
	hcl_error(diags, &r, "Input too large",
		  "HCL input is limited to 4 GiB; only the first 4 GiB were read. Split the configuration into "
		  "several files.");
}

/* Order the diagnostics added since `from` by position (stable), so that scanner and parser reports
 * interleave in source order. */
static void sort_new_diags(struct hcl_diags *d, size_t from)
{
	for (size_t i = from + 1; i < d->n; i++) {
		struct hcl_diag x = d->v[i];
		size_t j = i;
		while (j > from && d->v[j - 1].has_subject && x.has_subject &&
		       d->v[j - 1].subject.start.byte > x.subject.start.byte) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = x;
	}
}

/* Parse a configuration file's text into a body allocated from arena; flags as for parser_init
 * (tokens gets them with KEEP_TOKENS). */
static struct hcl_body *parse_config_body(const char *bytes, size_t len, const char *filename, struct hcl_arena *arena,
					  struct hcl_diags *diags, struct hcl_tokens *tokens, int flags)
{
	size_t first_diag = diags->n;
	struct hcl_pos start = {1, 1, 0};
	size_t skip = 0;
	/* A UTF-8 byte order mark (editors on Windows write one) is skipped, as Packer's reader skips it
	 * and `packer fmt` drops it; positions still count its bytes. */
	if (len >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0) {
		skip = 3;
		start.byte = 3;
		start.column = 2;
	}
	check_length(len - skip, filename, start, diags);
	struct hcl_lexer *lx = hcl_lexer_new(bytes + skip, len - skip, filename, start, HCL_LEX_CONFIG);
	struct parser p;
	parser_init(&p, lx, len - skip, diags, true, arena, CHECK_TOKENS | flags);
	struct hcl_range file_start = {filename, start, start};
	struct hcl_body *body = parse_body(&p, HCL_TOK_EOF, file_start);
	parser_finish(&p, tokens);
	sort_new_diags(diags, first_diag);
	return body;
}

/* Parse the source text f holds into f->body. */
static struct hcl_file *parse_config(struct hcl_file *f, struct hcl_diags *diags)
{
	f->arena = tree_arena(f->len);
	f->body = parse_config_body(f->bytes, f->len, f->filename, f->arena, diags, NULL, 0);
	return f;
}

void hcl_check_config(const char *bytes, size_t len, const char *filename, struct hcl_diags *diags,
		      struct hcl_tokens *tokens)
{
	struct hcl_arena *arena = tree_arena(len);
	parse_config_body(bytes, len, filename, arena, diags, tokens, KEEP_TOKENS | DISCARD_EXPRS);
	hcl_arena_free(arena);
}

struct hcl_file *hcl_parse_config(const char *bytes, size_t len, const char *filename, struct hcl_diags *diags)
{
	return parse_config(hcl_file_new_source(filename, bytes, len), diags);
}

void hcl_read_error(struct hcl_diags *diags, const char *path, const struct kiln_error *err)
{
	char *msg = err_text(err);
	if (err_is(err, ERR_INVALID))
		hcl_error(diags, NULL, "Failed to read file",
			  "%s. kiln reads templates and variable files only from regular files of at most %zu MiB.",
			  msg, HCL_MAX_SOURCE_SIZE >> 20);
	else
		hcl_error(diags, NULL, "Failed to read file", "The file \"%s\" could not be read: %s.", path, msg);
	free(msg);
}

struct hcl_file *hcl_parse_config_file(const char *path, struct hcl_diags *diags)
{
	struct kiln_error err = ERR_INIT;
	struct buf data = BUF_INIT;
	if (file_read_regular(path, HCL_MAX_SOURCE_SIZE, &data, &err) < 0) {
		hcl_read_error(diags, path, &err);
		err_clear(&err);
		buf_free(&data);
		return NULL;
	}
	size_t len = data.len;
	char *bytes = buf_detach(&data); /* never NULL: file_read_regular stores at least "" */
	return parse_config(hcl_file_new_source_owned(path, bytes, len), diags);
}

struct hcl_expr *hcl_parse_expression(const char *bytes, size_t len, const char *filename, struct hcl_pos start,
				      struct hcl_diags *diags)
{
	check_length(len, filename, start, diags);
	struct hcl_lexer *lx = hcl_lexer_new(bytes, len, filename, start, HCL_LEX_CONFIG);
	struct hcl_arena *arena = tree_arena(len);
	struct parser p;
	parser_init(&p, lx, len, diags, false, arena, CHECK_TOKENS);
	size_t ndiags = diags->n;
	struct hcl_expr *e = parse_expression(&p);
	const struct tok *t = peek(&p);
	if (t->type != HCL_TOK_EOF && !(p.recovery && diags->n > ndiags))
		hcl_error(diags, &t->range, "Extra characters after expression",
			  "An expression was successfully parsed, but extra characters were found after it.");
	parser_finish(&p, NULL);
	return hcl_expr_tree(arena, e);
}

struct hcl_expr *hcl_parse_template(const char *bytes, size_t len, const char *filename, struct hcl_pos start,
				    struct hcl_diags *diags)
{
	check_length(len, filename, start, diags);
	struct hcl_lexer *lx = hcl_lexer_new(bytes, len, filename, start, HCL_LEX_TEMPLATE);
	struct hcl_arena *arena = tree_arena(len);
	struct parser p;
	parser_init(&p, lx, len, diags, false, arena, CHECK_TOKENS);
	struct ttoks parts = {0};
	struct hcl_range range = p.prev_range; /* the first token's */
	parse_template_parts(&p, HCL_TOK_EOF, NULL, &parts);
	range = hcl_range_between(range, hcl_token_range(&p.win, last_token(&p)));
	struct hcl_expr *e = template_expr(&p, &parts, range, false);
	ttoks_free(&parts);
	parser_finish(&p, NULL);
	return hcl_expr_tree(arena, e);
}

void hcl_traversal_free(struct hcl_traversal *t)
{
	if (!t)
		return;
	free(t->root);
	for (size_t i = 0; i < t->nsteps; i++) {
		free(t->steps[i].name);
		free(t->steps[i].key.text);
	}
	free(t->steps);
	memset(t, 0, sizeof *t);
}

int hcl_parse_traversal(const char *bytes, size_t len, const char *filename, struct hcl_pos start,
			struct hcl_traversal *out, struct hcl_diags *diags)
{
	memset(out, 0, sizeof *out);
	check_length(len, filename, start, diags);
	struct hcl_lexer *lx = hcl_lexer_new(bytes, len, filename, start, HCL_LEX_CONFIG);
	struct parser p;
	parser_init(&p, lx, len, diags, false, NULL, 0);
	size_t cap = 0;
	int rc = -1;
	struct tok root = read_tok(&p);
	if (root.type != HCL_TOK_IDENT) {
		hcl_error(diags, &root.range, "Variable name required", "Must begin with a variable name.");
		goto out;
	}
	out->root = tok_str(&p, &root);
	out->root_range = root.range;
	for (;;) {
		struct tok t = read_tok(&p);
		if (t.type == HCL_TOK_EOF)
			break;
		struct hcl_traverser step = {0};
		if (t.type == HCL_TOK_DOT) {
			struct tok name = read_tok(&p);
			if (name.type == HCL_TOK_IDENT) {
				step.kind = HCL_TRAVERSE_ATTR;
				step.name = tok_str(&p, &name);
			} else if (name.type == HCL_TOK_NUMBER_LIT && !memchr(name.bytes, '.', name.len)) {
				step.kind = HCL_TRAVERSE_INDEX;
				if (!number_literal(&p, &name, &step.key))
					goto out;
			} else {
				hcl_error(diags, &name.range, "Attribute name required",
					  name.type == HCL_TOK_STAR ? "Splat expressions (.*) may not be used here."
								    : "Dot must be followed by attribute name.");
				goto out;
			}
			step.range = hcl_range_between(t.range, name.range);
		} else if (t.type == HCL_TOK_OBRACK) {
			const struct tok *k = peek(&p);
			if (k->type == HCL_TOK_NUMBER_LIT) {
				struct tok num = read_tok(&p);
				step.kind = HCL_TRAVERSE_INDEX;
				if (!number_literal(&p, &num, &step.key))
					goto out;
			} else if (k->type == HCL_TOK_OQUOTE) {
				struct hcl_range r;
				size_t nd = diags->n;
				step.kind = HCL_TRAVERSE_INDEX;
				step.key.kind = HCL_LIT_STRING;
				step.key.text = parse_quoted_string_literal(&p, &r);
				step.key.len = strlen(step.key.text);
				if (diags->n > nd) {
					free(step.key.text);
					goto out;
				}
			} else {
				hcl_error(diags, &k->range, "Index value required",
					  k->type == HCL_TOK_STAR
						  ? "Splat expressions ([*]) may not be used here."
						  : "Index brackets must contain either a literal number or a literal string.");
				goto out;
			}
			struct tok close = read_tok(&p);
			if (close.type != HCL_TOK_CBRACK) {
				hcl_error(diags, &close.range, "Unclosed index brackets",
					  "Index key must be followed by a closing bracket.");
				free(step.key.text);
				goto out;
			}
			step.range = hcl_range_between(t.range, close.range);
		} else {
			struct hcl_range ctx = hcl_range_between(root.range, t.range);
			struct hcl_diag *d = hcl_error(diags, &t.range, "Invalid character",
						       "Expected an attribute access or an index operator.");
			hcl_diag_set_context(d, &ctx);
			goto out;
		}
		push_step(&p, out, &cap, step);
	}
	rc = 0;
out:
	parser_finish(&p, NULL);
	if (rc < 0)
		hcl_traversal_free(out);
	return rc;
}

bool hcl_valid_identifier(const char *s)
{
	size_t n = strlen(s);
	unsigned cp;
	size_t l = hcl_utf8_decode((const unsigned char *)s, n, &cp);
	if (l == 0 || !hcl_is_id_start(cp))
		return false;
	for (size_t i = l; i < n; i += l) {
		l = hcl_utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (l == 0 || !(hcl_is_id_continue(cp) || cp == '-'))
			return false;
	}
	return true;
}
