/* lexer.c — the HCL native-syntax scanner: a small mode machine (main, quoted template, heredoc, bare
 * template) producing the same tokens, with the same byte boundaries, as HCL's own scanner, so the
 * formatter can reproduce hclwrite's results exactly. */
#include "hcl/lexer.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* ------------------------------------------------------------------------------------------------
 * UTF-8 and character classes */

size_t hcl_utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	if (n == 0)
		return 0;
	unsigned c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	unsigned min;
	if ((c & 0xE0) == 0xC0) {
		len = 2;
		c &= 0x1F;
		min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3;
		c &= 0x0F;
		min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

bool hcl_is_unicode_space(unsigned cp)
{
	switch (cp) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
		return true;
	default:
		return cp >= 0x2000 && cp <= 0x200A;
	}
}

/* Non-ASCII code points that are punctuation, symbols or spaces rather than letters. This
 * approximates Unicode's ID_Start/ID_Continue without carrying the full tables: the identifiers real
 * templates use are ASCII, and what matters beyond that is that quotes, dashes and symbols from other
 * scripts are not taken for identifier characters. */
static bool non_ascii_is_symbol(unsigned cp)
{
	if (hcl_is_unicode_space(cp))
		return true;
	if (cp < 0xC0)
		return !(cp == 0xAA || cp == 0xB5 || cp == 0xBA);
	if (cp == 0xD7 || cp == 0xF7)
		return true;
	return (cp >= 0x2000 && cp <= 0x206F) ||   /* general punctuation, curly quotes */
	       (cp >= 0x2190 && cp <= 0x2BFF) ||   /* arrows, math operators, box drawing, symbols */
	       (cp >= 0x3000 && cp <= 0x303F) ||   /* CJK punctuation */
	       (cp >= 0xE000 && cp <= 0xF8FF) ||   /* private use */
	       (cp >= 0xFE10 && cp <= 0xFE6F) ||
	       (cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
	       (cp >= 0xFFF0 && cp <= 0xFFFF) ||
	       (cp >= 0x1F000 && cp <= 0x1FAFF);    /* emoji and pictographs */
}

static bool is_combining(unsigned cp)
{
	return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
	       (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
	       (cp >= 0xFE20 && cp <= 0xFE2F);
}

bool hcl_is_id_start(unsigned cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_';
	return !non_ascii_is_symbol(cp) && !is_combining(cp);
}

bool hcl_is_id_continue(unsigned cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_' || (cp >= '0' && cp <= '9');
	return !non_ascii_is_symbol(cp) || cp == 0x200C || cp == 0x200D;
}

/* Does this code point extend the previous user-perceived character (grapheme cluster)? */
static bool is_extender(unsigned cp)
{
	return is_combining(cp) || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0x200D ||
	       (cp >= 0x1F3FB && cp <= 0x1F3FF) || (cp >= 0xE0020 && cp <= 0xE007F);
}

struct colstate {
	bool after_zwj;
	bool after_ri;     /* after an unpaired regional indicator */
};

/* 1 when cp starts a new column, 0 when it continues the previous character. */
static int col_advance(struct colstate *st, unsigned cp)
{
	int adv = 1;
	if (st->after_zwj || is_extender(cp))
		adv = 0;
	bool ri = cp >= 0x1F1E6 && cp <= 0x1F1FF;
	if (ri && st->after_ri) {
		adv = 0;
		st->after_ri = false;
	} else {
		st->after_ri = ri;
	}
	st->after_zwj = cp == 0x200D;
	return adv;
}

size_t hcl_text_columns(const char *s, size_t n)
{
	struct colstate st = {false, false};
	size_t cols = 0;
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			/* an ASCII character starts a column unless it follows a zero-width joiner */
			cols += !st.after_zwj;
			st.after_zwj = st.after_ri = false;
			i++;
			continue;
		}
		unsigned cp;
		size_t l = hcl_utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (l == 0) {
			cols++;
			i++;
			st.after_zwj = st.after_ri = false;
			continue;
		}
		cols += (size_t)col_advance(&st, cp);
		i += l;
	}
	return cols;
}

/* ------------------------------------------------------------------------------------------------
 * The scanner */

enum mode { M_MAIN, M_STRING, M_HEREDOC, M_TEMPLATE };

struct heredoc {
	const char *marker;
	size_t marker_len;
	bool start_of_line;
};

struct hcl_lexer {
	const char *src;
	size_t len;
	const char *filename;
	size_t base;            /* byte offset of src within its file */
	struct hcl_tokens *out; /* where emit() appends */
	bool done;              /* the EOF token is out */

	size_t p;               /* current byte offset */
	int line, column;       /* position at p */
	struct colstate cs;

	enum mode *modes;
	size_t nmodes, capmodes;
	int braces;
	int *ret_braces;
	size_t nret, capret;
	struct heredoc *heredocs;
	size_t nheredocs, capheredocs;
};

static void push_mode(struct hcl_lexer *lx, enum mode m)
{
	lx->modes = xgrow(lx->modes, &lx->capmodes, lx->nmodes + 1, sizeof *lx->modes);
	lx->modes[lx->nmodes++] = m;
}

static void pop_mode(struct hcl_lexer *lx)
{
	if (lx->nmodes > 1)
		lx->nmodes--;
}

static enum mode cur_mode(const struct hcl_lexer *lx)
{
	return lx->modes[lx->nmodes - 1];
}

/* Advance the position over n bytes. (Locals, not lx's fields, in the loop: the build's
 * -fno-strict-aliasing would have every field reloaded after every store.) */
static void advance(struct hcl_lexer *lx, size_t n)
{
	const unsigned char *s = (const unsigned char *)lx->src;
	size_t p = lx->p, end = p + n;
	int line = lx->line, column = lx->column;
	struct colstate cs = lx->cs;
	while (p < end) {
		unsigned char c = s[p];
		if (c == '\n') {
			line++;
			column = 1;
			cs.after_zwj = cs.after_ri = false;
			p++;
			continue;
		}
		if (c < 0x80) {
			/* a run of ASCII within the line: a column per character, except for one right after
			 * a zero-width joiner (what col_advance says) */
			size_t q = p + 1;
			while (q < end && s[q] < 0x80 && s[q] != '\n')
				q++;
			column += (int)(q - p) - cs.after_zwj;
			cs.after_zwj = cs.after_ri = false;
			p = q;
			continue;
		}
		unsigned cp;
		size_t l = hcl_utf8_decode(s + p, lx->len - p, &cp);
		if (l == 0) {
			column++;
			p++;
			continue;
		}
		if (p + l > end)
			l = end - p;
		column += col_advance(&cs, cp);
		p += l;
	}
	lx->p = p;
	lx->line = line;
	lx->column = column;
	lx->cs = cs;
}

/* Emit a token of n bytes at the current position and advance past it. */
static struct hcl_token *push_token(struct hcl_lexer *lx, enum hcl_token_type type, size_t n)
{
	struct hcl_tokens *t = lx->out;
	if (t->n == t->cap)
		hcl_tokens_reserve(t, t->cap ? 2 * t->cap : 64);
	struct hcl_token *tok = &t->v[t->n++];
	tok->type = type;
	tok->off = (uint32_t)lx->p;
	tok->len = (uint32_t)n;
	tok->line = lx->line;
	tok->column = lx->column;
	return tok;
}

static void emit(struct hcl_lexer *lx, enum hcl_token_type type, size_t n)
{
	struct hcl_token *tok = push_token(lx, type, n);
	advance(lx, n);
	tok->end_line = lx->line;
	tok->end_column = lx->column;
}

/* advance() over n > 0 ASCII characters within the line, without looking at them again: a column
 * per character, but none for one right after a zero-width joiner. */
static void advance_ascii(struct hcl_lexer *lx, size_t n)
{
	lx->column += (int)n - lx->cs.after_zwj;
	lx->cs.after_zwj = lx->cs.after_ri = false;
	lx->p += n;
}

/* emit() for a token of n > 0 ASCII characters within the line (punctuation, numbers, most
 * identifiers). */
static void emit_ascii(struct hcl_lexer *lx, enum hcl_token_type type, size_t n)
{
	struct hcl_token *tok = push_token(lx, type, n);
	advance_ascii(lx, n);
	tok->end_line = lx->line;
	tok->end_column = lx->column;
}

static int peekc(const struct hcl_lexer *lx, size_t off)
{
	size_t i = lx->p + off;
	return i < lx->len ? (unsigned char)lx->src[i] : -1;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* ASCII classes for identifiers: ID_START starts one, IDENT continues one ('-' included). */
enum { ID_START = 1, IDENT = 2 };
static const unsigned char ascii_ident_class[128] = {
	['a' ... 'z'] = ID_START | IDENT, ['A' ... 'Z'] = ID_START | IDENT, ['_'] = ID_START | IDENT,
	['0' ... '9'] = IDENT, ['-'] = IDENT,
};

/* Length of an identifier starting at offset i (0 when none); *ascii tells whether it is all ASCII.
 * ASCII is classified inline; only other characters are decoded. */
static size_t ident_len(const struct hcl_lexer *lx, size_t i, bool *ascii)
{
	const unsigned char *s = (const unsigned char *)lx->src;
	size_t start = i;
	unsigned cp;
	*ascii = true;
	if (i < lx->len && s[i] < 0x80) {
		if (!(ascii_ident_class[s[i]] & ID_START))
			return 0;
		i++;
	} else {
		size_t l = hcl_utf8_decode(s + i, lx->len - i, &cp);
		if (l == 0 || !hcl_is_id_start(cp))
			return 0;
		*ascii = false;
		i += l;
	}
	while (i < lx->len) {
		unsigned char c = s[i];
		if (c < 0x80) {
			if (!(ascii_ident_class[c] & IDENT))
				break;
			i++;
			continue;
		}
		size_t l = hcl_utf8_decode(s + i, lx->len - i, &cp);
		if (l == 0 || !hcl_is_id_continue(cp))
			break;
		*ascii = false;
		i += l;
	}
	return i - start;
}

/* Number literal: digit (digit | '.' | [eE][+-]?digit)* not ending in '.'. */
static size_t number_len(const struct hcl_lexer *lx)
{
	size_t i = lx->p + 1;
	size_t last_good = i;
	while (i < lx->len) {
		char c = lx->src[i];
		if (is_digit(c)) {
			i++;
			last_good = i;
		} else if (c == '.') {
			i++;
		} else if ((c == 'e' || c == 'E') && i + 1 < lx->len &&
			   (is_digit(lx->src[i + 1]) ||
			    ((lx->src[i + 1] == '+' || lx->src[i + 1] == '-') && i + 2 < lx->len &&
			     is_digit(lx->src[i + 2])))) {
			i += is_digit(lx->src[i + 1]) ? 2 : 3;
			last_good = i;
		} else {
			break;
		}
	}
	return last_good - lx->p;
}

/* Length of the newline at offset i ("\n" or "\r\n"), 0 when none. */
static size_t newline_at(const struct hcl_lexer *lx, size_t i)
{
	if (i < lx->len && lx->src[i] == '\n')
		return 1;
	if (i + 1 < lx->len && lx->src[i] == '\r' && lx->src[i + 1] == '\n')
		return 2;
	return 0;
}

/* "${" or "%{" (either may be followed by "~") opens an interpolation or a directive: true when one
 * starts here. */
static bool open_template_seq(struct hcl_lexer *lx)
{
	int c = peekc(lx, 0);
	if ((c != '$' && c != '%') || peekc(lx, 1) != '{')
		return false;
	size_t n = peekc(lx, 2) == '~' ? 3 : 2;
	emit_ascii(lx, c == '$' ? HCL_TOK_TEMPLATE_INTERP : HCL_TOK_TEMPLATE_CONTROL, n);
	lx->braces++;
	lx->ret_braces = xgrow(lx->ret_braces, &lx->capret, lx->nret + 1, sizeof *lx->ret_braces);
	lx->ret_braces[lx->nret++] = lx->braces;
	if (lx->nheredocs > 0)
		lx->heredocs[lx->nheredocs - 1].start_of_line = false;
	push_mode(lx, M_MAIN);
	return true;
}

/* One code point that is not part of the language: Invalid, or BadUTF8 when not valid UTF-8. */
static void emit_invalid_char(struct hcl_lexer *lx)
{
	unsigned cp;
	size_t l = hcl_utf8_decode((const unsigned char *)lx->src + lx->p, lx->len - lx->p, &cp);
	if (l == 0)
		emit(lx, HCL_TOK_BAD_UTF8, 1);
	else
		emit(lx, HCL_TOK_INVALID, l);
}

static void scan_main(struct hcl_lexer *lx)
{
	int c = peekc(lx, 0);
	int c1 = peekc(lx, 1);

	if (c == ' ' || c == '\t') {
		size_t n = 1;
		while (peekc(lx, n) == ' ' || peekc(lx, n) == '\t')
			n++;
		advance_ascii(lx, n);
		return;
	}
	size_t nl = newline_at(lx, lx->p);
	if (nl) {
		emit(lx, HCL_TOK_NEWLINE, nl);
		return;
	}
	if (is_digit(c)) {
		emit_ascii(lx, HCL_TOK_NUMBER_LIT, number_len(lx));
		return;
	}
	bool ascii;
	size_t il = ident_len(lx, lx->p, &ascii);
	if (il) {
		if (ascii)
			emit_ascii(lx, HCL_TOK_IDENT, il);
		else
			emit(lx, HCL_TOK_IDENT, il);
		return;
	}
	if (c == '#' || (c == '/' && c1 == '/')) {
		size_t i = lx->p;
		while (i < lx->len && lx->src[i] != '\n')
			i++;
		if (i < lx->len)
			i++;
		emit(lx, HCL_TOK_COMMENT, i - lx->p);
		return;
	}
	if (c == '/' && c1 == '*') {
		const char *end = NULL;
		for (size_t i = lx->p + 2; i + 1 < lx->len; i++)
			if (lx->src[i] == '*' && lx->src[i + 1] == '/') {
				end = lx->src + i + 2;
				break;
			}
		if (end) {
			emit(lx, HCL_TOK_COMMENT, (size_t)(end - (lx->src + lx->p)));
			return;
		}
		/* unterminated: falls through to the single-character tokens */
	}

#define TWO(a, b, type)                          \
	if (c == (a) && c1 == (b)) {             \
		emit_ascii(lx, type, 2);         \
		return;                          \
	}
	TWO('=', '=', HCL_TOK_EQUALOP)
	TWO('!', '=', HCL_TOK_NOTEQUAL)
	TWO('>', '=', HCL_TOK_GE)
	TWO('<', '=', HCL_TOK_LE)
	TWO('&', '&', HCL_TOK_AND)
	TWO('|', '|', HCL_TOK_OR)
	TWO('=', '>', HCL_TOK_FATARROW)
#undef TWO
	if (c == '.' && c1 == '.' && peekc(lx, 2) == '.') {
		emit_ascii(lx, HCL_TOK_ELLIPSIS, 3);
		return;
	}
	if (c == '~' && c1 == '}') {
		/* Always a sequence end, even when it does not balance an interpolation, so the parser can
		 * report a misused strip marker. */
		emit_ascii(lx, HCL_TOK_TEMPLATE_SEQ_END, 2);
		lx->braces--;
		if (lx->nret > 0 && lx->ret_braces[lx->nret - 1] == lx->braces + 1) {
			lx->nret--;
			pop_mode(lx);
		}
		return;
	}
	if (c == '<' && c1 == '<') {
		size_t i = lx->p + 2;
		bool flush = false;
		if (i < lx->len && lx->src[i] == '-') {
			flush = true;
			i++;
		}
		size_t ml = ident_len(lx, i, &ascii);
		size_t nl2 = ml ? newline_at(lx, i + ml) : 0;
		if (ml && nl2) {
			struct heredoc h = {lx->src + i, ml, true};
			(void)flush;
			emit(lx, HCL_TOK_OHEREDOC, i + ml + nl2 - lx->p);
			lx->heredocs = xgrow(lx->heredocs, &lx->capheredocs, lx->nheredocs + 1, sizeof *lx->heredocs);
			lx->heredocs[lx->nheredocs++] = h;
			push_mode(lx, M_HEREDOC);
			return;
		}
	}
	switch (c) {
	case '"':
		emit_ascii(lx, HCL_TOK_OQUOTE, 1);
		push_mode(lx, M_STRING);
		return;
	case '{':
		emit_ascii(lx, HCL_TOK_OBRACE, 1);
		lx->braces++;
		return;
	case '}':
		if (lx->nret > 0 && lx->ret_braces[lx->nret - 1] == lx->braces) {
			emit_ascii(lx, HCL_TOK_TEMPLATE_SEQ_END, 1);
			lx->braces--;
			lx->nret--;
			pop_mode(lx);
		} else {
			emit_ascii(lx, HCL_TOK_CBRACE, 1);
			lx->braces--;
		}
		return;
	case '[': emit_ascii(lx, HCL_TOK_OBRACK, 1); return;
	case ']': emit_ascii(lx, HCL_TOK_CBRACK, 1); return;
	case '(': emit_ascii(lx, HCL_TOK_OPAREN, 1); return;
	case ')': emit_ascii(lx, HCL_TOK_CPAREN, 1); return;
	case '.': emit_ascii(lx, HCL_TOK_DOT, 1); return;
	case ',': emit_ascii(lx, HCL_TOK_COMMA, 1); return;
	case '*': emit_ascii(lx, HCL_TOK_STAR, 1); return;
	case '/': emit_ascii(lx, HCL_TOK_SLASH, 1); return;
	case '%': emit_ascii(lx, HCL_TOK_PERCENT, 1); return;
	case '+': emit_ascii(lx, HCL_TOK_PLUS, 1); return;
	case '-': emit_ascii(lx, HCL_TOK_MINUS, 1); return;
	case '=': emit_ascii(lx, HCL_TOK_EQUAL, 1); return;
	case '<': emit_ascii(lx, HCL_TOK_LT, 1); return;
	case '>': emit_ascii(lx, HCL_TOK_GT, 1); return;
	case '!': emit_ascii(lx, HCL_TOK_BANG, 1); return;
	case '?': emit_ascii(lx, HCL_TOK_QUESTION, 1); return;
	case ':': emit_ascii(lx, HCL_TOK_COLON, 1); return;
	case '&': emit_ascii(lx, HCL_TOK_BITWISE_AND, 1); return;
	case '|': emit_ascii(lx, HCL_TOK_BITWISE_OR, 1); return;
	case '~': emit_ascii(lx, HCL_TOK_BITWISE_NOT, 1); return;
	case '^': emit_ascii(lx, HCL_TOK_BITWISE_XOR, 1); return;
	case ';': emit_ascii(lx, HCL_TOK_SEMICOLON, 1); return;
	case '`': emit_ascii(lx, HCL_TOK_BACKTICK, 1); return;
	case '\'': emit_ascii(lx, HCL_TOK_APOSTROPHE, 1); return;
	default:
		emit_invalid_char(lx);
		return;
	}
}

/* "$" or "%" not starting a sequence: "$${"/"%%{" (with an optional "~") is one escaped literal token,
 * a lone "$"/"%" another. Returns its length, or 0 when there is no "$" or "%" at p or it starts a
 * real sequence. */
static size_t template_not_seq_len(const struct hcl_lexer *lx)
{
	int sigil = peekc(lx, 0);
	if (sigil != '$' && sigil != '%')
		return 0;
	int c1 = peekc(lx, 1);
	if (c1 == '{')
		return 0;
	if (c1 == sigil && peekc(lx, 2) == '{')
		return peekc(lx, 3) == '~' ? 4 : 3;
	return c1 < 0 ? 0 : 1;
}

static void scan_string(struct hcl_lexer *lx)
{
	if (open_template_seq(lx))
		return;
	int c = peekc(lx, 0);
	if (c == '"') {
		emit_ascii(lx, HCL_TOK_CQUOTE, 1);
		pop_mode(lx);
		return;
	}
	if (c == '\r' || c == '\n') {
		/* A quoted string cannot span lines. Unlike HCL's scanner (which carries on in the string,
		 * so one missing quote garbles the rest of the file) the string ends here with an empty
		 * marker token, and the newline is scanned as a normal newline. */
		emit(lx, HCL_TOK_QUOTED_NEWLINE, 0);
		pop_mode(lx);
		return;
	}
	size_t n = template_not_seq_len(lx);
	if (n) {
		emit_ascii(lx, HCL_TOK_QUOTED_LIT, n);
		return;
	}
	/* A run of ordinary characters and backslash escapes. */
	size_t i = lx->p;
	while (i < lx->len) {
		unsigned char ch = (unsigned char)lx->src[i];
		if (ch == '$' || ch == '%' || ch == '"' || ch == '\r' || ch == '\n')
			break;
		if (ch < 0x80 && ch != '\\') {
			i++;
			continue;
		}
		unsigned cp;
		if (ch == '\\') {
			if (i + 1 >= lx->len)
				break;
			size_t l = hcl_utf8_decode((const unsigned char *)lx->src + i + 1, lx->len - i - 1, &cp);
			if (l == 0 || cp == '\r' || cp == '\n')
				break;
			i += 1 + l;
			continue;
		}
		size_t l = hcl_utf8_decode((const unsigned char *)lx->src + i, lx->len - i, &cp);
		if (l == 0)
			break;
		i += l;
	}
	if (i > lx->p) {
		emit(lx, HCL_TOK_QUOTED_LIT, i - lx->p);
		return;
	}
	emit_invalid_char(lx);
}

/* Literal text of a heredoc or bare template line: "$"/"%" forms or a run without $ % \r \n. */
static size_t template_literal_len(const struct hcl_lexer *lx)
{
	size_t n = template_not_seq_len(lx);
	if (n)
		return n;
	size_t i = lx->p;
	while (i < lx->len) {
		char ch = lx->src[i];
		if (ch == '$' || ch == '%' || ch == '\n')
			break;
		if (ch == '\r' && i + 1 < lx->len && lx->src[i + 1] == '\n')
			break;
		i++;
	}
	return i - lx->p;
}

static bool is_trim_space(const char *s, size_t i, size_t n, size_t *l)
{
	unsigned cp;
	*l = hcl_utf8_decode((const unsigned char *)s + i, n - i, &cp);
	return *l && hcl_is_unicode_space(cp);
}

/* bytes.TrimSpace(s) == marker */
static bool is_marker_line(const char *s, size_t n, const char *marker, size_t ml)
{
	size_t a = 0, l;
	while (a < n && is_trim_space(s, a, n, &l))
		a += l;
	size_t b = n;
	while (b > a) {
		/* step back one code point */
		size_t k = b - 1;
		while (k > a && ((unsigned char)s[k] & 0xC0) == 0x80)
			k--;
		if (!is_trim_space(s, k, b, &l) || k + l != b)
			break;
		b = k;
	}
	return b - a == ml && memcmp(s + a, marker, ml) == 0;
}

static void scan_heredoc(struct hcl_lexer *lx)
{
	if (open_template_seq(lx))
		return;
	struct heredoc *h = &lx->heredocs[lx->nheredocs - 1];
	size_t n = template_literal_len(lx);
	size_t nl = newline_at(lx, lx->p + n);
	if (!nl) {
		if (n == 0) {
			/* a lone '\r' */
			emit_invalid_char(lx);
			return;
		}
		h->start_of_line = false;
		emit(lx, HCL_TOK_STRING_LIT, n);
		return;
	}
	if (h->start_of_line && is_marker_line(lx->src + lx->p, n, h->marker, h->marker_len)) {
		emit(lx, HCL_TOK_CHEREDOC, n);
		emit(lx, HCL_TOK_NEWLINE, nl);
		lx->nheredocs--;
		pop_mode(lx);
		return;
	}
	h->start_of_line = true;
	emit(lx, HCL_TOK_STRING_LIT, n + nl);
}

static void scan_bare_template(struct hcl_lexer *lx)
{
	if (open_template_seq(lx))
		return;
	size_t n = template_literal_len(lx);
	size_t nl = newline_at(lx, lx->p + n);
	if (n + nl == 0) {
		emit_invalid_char(lx);
		return;
	}
	emit(lx, HCL_TOK_STRING_LIT, n + nl);
}

struct hcl_lexer *hcl_lexer_new(const char *src, size_t len, const char *filename, struct hcl_pos start,
			       enum hcl_lex_mode mode)
{
	struct hcl_lexer *lx = xcalloc(1, sizeof *lx);
	lx->src = src;
	lx->len = len > HCL_LEX_MAX_LEN ? HCL_LEX_MAX_LEN : len;
	lx->filename = filename;
	lx->base = start.byte;
	lx->line = start.line > 0 ? start.line : 1;
	lx->column = start.column > 0 ? start.column : 1;
	push_mode(lx, mode == HCL_LEX_TEMPLATE ? M_TEMPLATE : M_MAIN);
	return lx;
}

bool hcl_lexer_more(struct hcl_lexer *lx, struct hcl_tokens *out, size_t want)
{
	out->src = lx->src;
	out->filename = lx->filename;
	out->base = lx->base;
	lx->out = out;
	size_t before = out->n;
	while (!lx->done && out->n - before < want) {
		if (lx->p >= lx->len) {
			emit(lx, HCL_TOK_EOF, 0);
			lx->done = true;
			break;
		}
		switch (cur_mode(lx)) {
		case M_MAIN:
			scan_main(lx);
			break;
		case M_STRING:
			scan_string(lx);
			break;
		case M_HEREDOC:
			scan_heredoc(lx);
			break;
		case M_TEMPLATE:
			scan_bare_template(lx);
			break;
		}
	}
	return out->n > before;
}

void hcl_lexer_free(struct hcl_lexer *lx)
{
	if (!lx)
		return;
	free(lx->modes);
	free(lx->ret_braces);
	free(lx->heredocs);
	free(lx);
}

void hcl_lex(const char *src, size_t len, const char *filename, struct hcl_pos start, enum hcl_lex_mode mode,
	     struct hcl_tokens *out)
{
	struct hcl_lexer *lx = hcl_lexer_new(src, len, filename, start, mode);
	hcl_tokens_reserve(out, out->n + lx->len / 4 + 16);
	hcl_lexer_more(lx, out, SIZE_MAX);
	hcl_lexer_free(lx);
}

static void free_token_array(struct hcl_tokens *t)
{
	if (t->mapped)
		xunmap(t->v, t->mapped);
	else
		free(t->v);
	t->mapped = 0;
}

void hcl_tokens_reserve(struct hcl_tokens *t, size_t n)
{
	if (n <= t->cap)
		return;
	if (n > SIZE_MAX / sizeof *t->v)
		n = SIZE_MAX / sizeof *t->v; /* xmalloc/xmap_zeroed report it */
	size_t bytes = n * sizeof *t->v;
	if (bytes < XMAP_WORTH) {
		t->v = xrealloc(t->v, bytes);
		t->cap = n;
		return;
	}
	size_t mapped = bytes;
	struct hcl_token *v = xmap_zeroed(&mapped);
	if (t->n)
		memcpy(v, t->v, t->n * sizeof *t->v);
	free_token_array(t);
	t->v = v;
	t->cap = mapped / sizeof *t->v;
	t->mapped = mapped;
}

void hcl_tokens_free(struct hcl_tokens *t)
{
	free_token_array(t);
	t->v = NULL;
	t->n = t->cap = 0;
}

const char *hcl_token_type_name(enum hcl_token_type t)
{
	static const char *const names[] = {
		[HCL_TOK_OBRACE] = "OBrace", [HCL_TOK_CBRACE] = "CBrace", [HCL_TOK_OBRACK] = "OBrack",
		[HCL_TOK_CBRACK] = "CBrack", [HCL_TOK_OPAREN] = "OParen", [HCL_TOK_CPAREN] = "CParen",
		[HCL_TOK_OQUOTE] = "OQuote", [HCL_TOK_CQUOTE] = "CQuote", [HCL_TOK_OHEREDOC] = "OHeredoc",
		[HCL_TOK_CHEREDOC] = "CHeredoc", [HCL_TOK_STAR] = "Star", [HCL_TOK_SLASH] = "Slash",
		[HCL_TOK_PLUS] = "Plus", [HCL_TOK_MINUS] = "Minus", [HCL_TOK_PERCENT] = "Percent",
		[HCL_TOK_EQUAL] = "Equal", [HCL_TOK_EQUALOP] = "EqualOp", [HCL_TOK_NOTEQUAL] = "NotEqual",
		[HCL_TOK_LT] = "LessThan", [HCL_TOK_LE] = "LessThanEq", [HCL_TOK_GT] = "GreaterThan",
		[HCL_TOK_GE] = "GreaterThanEq", [HCL_TOK_AND] = "And", [HCL_TOK_OR] = "Or",
		[HCL_TOK_BANG] = "Bang", [HCL_TOK_DOT] = "Dot", [HCL_TOK_COMMA] = "Comma",
		[HCL_TOK_ELLIPSIS] = "Ellipsis", [HCL_TOK_FATARROW] = "FatArrow", [HCL_TOK_QUESTION] = "Question",
		[HCL_TOK_COLON] = "Colon", [HCL_TOK_TEMPLATE_INTERP] = "TemplateInterp",
		[HCL_TOK_TEMPLATE_CONTROL] = "TemplateControl", [HCL_TOK_TEMPLATE_SEQ_END] = "TemplateSeqEnd",
		[HCL_TOK_QUOTED_LIT] = "QuotedLit", [HCL_TOK_STRING_LIT] = "StringLit",
		[HCL_TOK_NUMBER_LIT] = "NumberLit", [HCL_TOK_IDENT] = "Ident", [HCL_TOK_COMMENT] = "Comment",
		[HCL_TOK_NEWLINE] = "Newline", [HCL_TOK_EOF] = "EOF", [HCL_TOK_BITWISE_AND] = "BitwiseAnd",
		[HCL_TOK_BITWISE_OR] = "BitwiseOr", [HCL_TOK_BITWISE_NOT] = "BitwiseNot",
		[HCL_TOK_BITWISE_XOR] = "BitwiseXor", [HCL_TOK_APOSTROPHE] = "Apostrophe",
		[HCL_TOK_BACKTICK] = "Backtick", [HCL_TOK_SEMICOLON] = "Semicolon", [HCL_TOK_INVALID] = "Invalid",
		[HCL_TOK_BAD_UTF8] = "BadUTF8", [HCL_TOK_QUOTED_NEWLINE] = "QuotedNewline",
	};
	if ((size_t)t < sizeof names / sizeof names[0] && names[t])
		return names[t];
	return "?";
}

void hcl_tokens_check(const struct hcl_tokens *t, size_t from, struct hcl_token_check *told, struct hcl_diags *diags)
{
	for (size_t i = from; i < t->n; i++) {
		const struct hcl_token *tok = &t->v[i];
		if (tok->type < HCL_TOK_BITWISE_AND)
			continue; /* the language's own tokens: nothing to report */
		struct hcl_range range = hcl_token_range(t, tok);
		const char *bytes = hcl_token_bytes(t, tok);
		switch (tok->type) {
		case HCL_TOK_BITWISE_AND:
		case HCL_TOK_BITWISE_OR:
		case HCL_TOK_BITWISE_XOR:
		case HCL_TOK_BITWISE_NOT:
			if (told->bitwise++ < 4) {
				const char *sugg = tok->type == HCL_TOK_BITWISE_AND   ? " Did you mean boolean AND (\"&&\")?"
						   : tok->type == HCL_TOK_BITWISE_OR  ? " Did you mean boolean OR (\"||\")?"
						   : tok->type == HCL_TOK_BITWISE_NOT ? " Did you mean boolean NOT (\"!\")?"
										      : "";
				hcl_error(diags, &range, "Unsupported operator", "Bitwise operators are not supported.%s",
					  sugg);
			}
			break;
		case HCL_TOK_BACKTICK:
			if (told->backtick % 2 == 0)
				hcl_error(diags, &range, "Invalid character",
					  "The \"`\" character is not valid. To create a multi-line string, use the "
					  "\"heredoc\" syntax, like \"<<EOT\".");
			told->backtick++;
			break;
		case HCL_TOK_APOSTROPHE:
			if (told->apostrophe % 2 == 0)
				hcl_error(diags, &range, "Invalid character",
					  "Single quotes are not valid. Use double quotes (\") to enclose strings.");
			told->apostrophe++;
			break;
		case HCL_TOK_SEMICOLON:
			if (told->semicolon++ < 1)
				hcl_error(diags, &range, "Invalid character",
					  "The \";\" character is not valid. Use newlines to separate arguments and blocks, "
					  "and commas to separate items in collection values.");
			break;
		case HCL_TOK_BAD_UTF8:
			if (told->utf8++ < 1)
				hcl_error(diags, &range, "Invalid character encoding",
					  "All input files must be UTF-8 encoded. Ensure that UTF-8 encoding is selected in "
					  "your editor.");
			break;
		case HCL_TOK_QUOTED_NEWLINE:
			hcl_error(diags, &range, "Invalid multi-line string",
				  "Quoted strings may not be split over multiple lines. To produce a multi-line string, "
				  "either use the \\n escape to represent a newline character or use the \"heredoc\" "
				  "multi-line template syntax.");
			break;
		case HCL_TOK_INVALID:
			if ((tok->len == 3 && (memcmp(bytes, "\xe2\x80\x9c", 3) == 0 ||
					       memcmp(bytes, "\xe2\x80\x9d", 3) == 0)))
				hcl_error(diags, &range, "Invalid character",
					  "\"Curly quotes\" are not valid here. These can sometimes be inadvertently "
					  "introduced when sharing code via documents or discussion forums. It might help to "
					  "replace the character with a \"normal\" quote.");
			else
				hcl_error(diags, &range, "Invalid character",
					  "This character is not used within the language.");
			break;
		default:
			break;
		}
	}
}
