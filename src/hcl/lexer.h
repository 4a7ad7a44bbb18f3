/* lexer.h — the HCL native-syntax scanner. It produces the same token stream as HCL's own scanner
 * (hclsyntax), comments and newlines included, which both the parser and the formatter need: the
 * formatter works on tokens alone, exactly as hclwrite does. */
#ifndef KILN_HCL_LEXER_H
#define KILN_HCL_LEXER_H

#include <stddef.h>
#include <stdint.h>

#include "hcl/diag.h"

enum hcl_token_type {
	HCL_TOK_OBRACE = 1,      /* { */
	HCL_TOK_CBRACE,          /* } */
	HCL_TOK_OBRACK,          /* [ */
	HCL_TOK_CBRACK,          /* ] */
	HCL_TOK_OPAREN,          /* ( */
	HCL_TOK_CPAREN,          /* ) */
	HCL_TOK_OQUOTE,          /* " opening a quoted template */
	HCL_TOK_CQUOTE,          /* " closing it */
	HCL_TOK_OHEREDOC,        /* <<EOT or <<-EOT, including the newline */
	HCL_TOK_CHEREDOC,        /* the closing marker line, with any leading spaces, without newline */
	HCL_TOK_STAR,
	HCL_TOK_SLASH,
	HCL_TOK_PLUS,
	HCL_TOK_MINUS,
	HCL_TOK_PERCENT,
	HCL_TOK_EQUAL,           /* = */
	HCL_TOK_EQUALOP,         /* == */
	HCL_TOK_NOTEQUAL,        /* != */
	HCL_TOK_LT,
	HCL_TOK_LE,
	HCL_TOK_GT,
	HCL_TOK_GE,
	HCL_TOK_AND,             /* && */
	HCL_TOK_OR,              /* || */
	HCL_TOK_BANG,            /* ! */
	HCL_TOK_DOT,
	HCL_TOK_COMMA,
	HCL_TOK_ELLIPSIS,        /* ... */
	HCL_TOK_FATARROW,        /* => */
	HCL_TOK_QUESTION,
	HCL_TOK_COLON,
	HCL_TOK_TEMPLATE_INTERP,  /* ${ or ${~ */
	HCL_TOK_TEMPLATE_CONTROL, /* %{ or %{~ */
	HCL_TOK_TEMPLATE_SEQ_END, /* } or ~} closing either */
	HCL_TOK_QUOTED_LIT,      /* literal text in a quoted template (escapes still encoded) */
	HCL_TOK_STRING_LIT,      /* literal text in a heredoc or bare template (one line, with its newline) */
	HCL_TOK_NUMBER_LIT,
	HCL_TOK_IDENT,
	HCL_TOK_COMMENT,         /* # and // comments include their newline */
	HCL_TOK_NEWLINE,
	HCL_TOK_EOF,
	/* not part of the language: reported by the parser */
	HCL_TOK_BITWISE_AND,     /* & */
	HCL_TOK_BITWISE_OR,      /* | */
	HCL_TOK_BITWISE_NOT,     /* ~ */
	HCL_TOK_BITWISE_XOR,     /* ^ */
	HCL_TOK_APOSTROPHE,
	HCL_TOK_BACKTICK,
	HCL_TOK_SEMICOLON,
	HCL_TOK_INVALID,
	HCL_TOK_BAD_UTF8,
	HCL_TOK_QUOTED_NEWLINE,  /* a newline inside a quoted string */
};

/* A scanned token, kept small (28 bytes): a large file has tens of thousands of them. Its text is
 * src[off, off + len) of the scanned text; hcl_token_bytes and hcl_token_range give its text and its
 * full source range. */
struct hcl_token {
	enum hcl_token_type type;
	uint32_t off;            /* byte offset within the scanned text */
	uint32_t len;
	int line, column;        /* where it starts */
	int end_line, end_column;
};

struct hcl_tokens {
	struct hcl_token *v;     /* malloc'ed, or mapped by xmap_zeroed (mapped bytes) */
	size_t n;
	size_t cap;
	size_t mapped;
	const char *src;         /* the scanned text (borrowed) */
	const char *filename;    /* borrowed, for ranges */
	size_t base;             /* byte offset of src within its file */
};

/* The longest text hcl_lex scans (token offsets are 32-bit); callers reject longer input. */
#define HCL_LEX_MAX_LEN ((size_t)UINT32_MAX)

static inline const char *hcl_token_bytes(const struct hcl_tokens *ts, const struct hcl_token *t)
{
	return ts->src + t->off;
}

static inline struct hcl_range hcl_token_range(const struct hcl_tokens *ts, const struct hcl_token *t)
{
	struct hcl_range r = {ts->filename, {t->line, t->column, ts->base + t->off},
			      {t->end_line, t->end_column, ts->base + t->off + t->len}};
	return r;
}

enum hcl_lex_mode {
	HCL_LEX_CONFIG,          /* a configuration file or expression */
	HCL_LEX_TEMPLATE,        /* a standalone template */
};

/* Scan src into out (always ending with an EOF token; out starts empty). out borrows src and filename:
 * they must outlive it. Only the first HCL_LEX_MAX_LEN bytes are scanned. */
void hcl_lex(const char *src, size_t len, const char *filename, struct hcl_pos start, enum hcl_lex_mode mode,
	     struct hcl_tokens *out);
/* Room for n tokens in all (one per 4 bytes of source covers real files, about one per 6): a large
 * array is mapped in huge pages, as a parse tree's arena is (util/mem.h xmap_zeroed). */
void hcl_tokens_reserve(struct hcl_tokens *t, size_t n);
void hcl_tokens_free(struct hcl_tokens *t);
const char *hcl_token_type_name(enum hcl_token_type t);

/* The same scan, token by token as they are needed: hcl_lexer_more appends at least `want` more
 * tokens to out (fewer only at the end; the EOF token is the last) and says whether it appended any.
 * out may drop tokens it no longer needs between calls. */
struct hcl_lexer;
struct hcl_lexer *hcl_lexer_new(const char *src, size_t len, const char *filename, struct hcl_pos start,
			       enum hcl_lex_mode mode);
bool hcl_lexer_more(struct hcl_lexer *lx, struct hcl_tokens *out, size_t want);
void hcl_lexer_free(struct hcl_lexer *lx);

/* Report invalid tokens (bitwise operators, single quotes, bad UTF-8, newlines in strings, ...) among
 * t's tokens from index `from` on. Tokens may come in pieces: told carries what was already reported
 * (some problems are reported only the first few times); zero it to begin. */
struct hcl_token_check {
	int bitwise, backtick, apostrophe, semicolon, utf8;
};
void hcl_tokens_check(const struct hcl_tokens *t, size_t from, struct hcl_token_check *told, struct hcl_diags *diags);

/* UTF-8 helpers shared by the scanner, the formatter and the renderer. */
/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when invalid. *cp gets the code point. */
size_t hcl_utf8_decode(const unsigned char *s, size_t n, unsigned *cp);
bool hcl_is_id_start(unsigned cp);
bool hcl_is_id_continue(unsigned cp);
bool hcl_is_unicode_space(unsigned cp);
/* Columns (user-perceived characters, approximating grapheme clusters) in s[0..n). */
size_t hcl_text_columns(const char *s, size_t n);

#endif
