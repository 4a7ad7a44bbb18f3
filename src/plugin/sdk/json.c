/* json.c — the SDK's JSON values (RFC 8259), with the C library only: a plugin built against
 * kiln-plugin.h needs nothing else. Objects keep their keys in order; numbers are doubles. */
#include "kiln-plugin.h"
#include "sdk-internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512

struct kp_json {
	enum kp_json_type type;
	bool b;
	double n;
	char *s;               /* strings (NUL-terminated; embedded NULs are refused at parse) */
	size_t len;            /* array/object members */
	size_t cap;
	struct kp_json **items;
	char **keys;           /* objects */
};

/* ------------------------------------------------------------------------------------------------
 * Building */

static struct kp_json *new_value(enum kp_json_type t)
{
	struct kp_json *v = kp_xcalloc(1, sizeof *v);
	v->type = t;
	return v;
}

struct kp_json *kp_json_null(void)
{
	return new_value(KP_JSON_NULL);
}

struct kp_json *kp_json_bool(bool b)
{
	struct kp_json *v = new_value(KP_JSON_BOOL);
	v->b = b;
	return v;
}

struct kp_json *kp_json_number(double n)
{
	struct kp_json *v = new_value(KP_JSON_NUMBER);
	v->n = n;
	return v;
}

struct kp_json *kp_json_string(const char *s)
{
	if (!s)
		return kp_json_null();
	struct kp_json *v = new_value(KP_JSON_STRING);
	v->s = kp_xstrdup(s);
	return v;
}

struct kp_json *kp_json_array(void)
{
	return new_value(KP_JSON_ARRAY);
}

struct kp_json *kp_json_object(void)
{
	return new_value(KP_JSON_OBJECT);
}

static void grow(struct kp_json *c)
{
	if (c->len < c->cap)
		return;
	c->cap = c->cap ? c->cap * 2 : 4;
	c->items = kp_xrealloc(c->items, c->cap * sizeof *c->items);
	if (c->type == KP_JSON_OBJECT)
		c->keys = kp_xrealloc(c->keys, c->cap * sizeof *c->keys);
}

void kp_json_append(struct kp_json *a, struct kp_json *v)
{
	if (!a || a->type != KP_JSON_ARRAY) {
		kp_json_free(v);
		return;
	}
	grow(a);
	a->items[a->len++] = v ? v : kp_json_null();
}

void kp_json_set(struct kp_json *o, const char *key, struct kp_json *v)
{
	if (!o || o->type != KP_JSON_OBJECT || !key) {
		kp_json_free(v);
		return;
	}
	if (!v)
		v = kp_json_null();
	for (size_t i = 0; i < o->len; i++) {
		if (strcmp(o->keys[i], key) == 0) {
			kp_json_free(o->items[i]);
			o->items[i] = v;
			return;
		}
	}
	grow(o);
	o->keys[o->len] = kp_xstrdup(key);
	o->items[o->len++] = v;
}

void kp_json_free(struct kp_json *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->len; i++) {
		kp_json_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->s);
	free(v);
}

struct kp_json *kp_json_copy(const struct kp_json *v)
{
	if (!v)
		return NULL;
	struct kp_json *c = new_value(v->type);
	c->b = v->b;
	c->n = v->n;
	c->s = v->s ? kp_xstrdup(v->s) : NULL;
	for (size_t i = 0; i < v->len; i++) {
		if (v->type == KP_JSON_OBJECT)
			kp_json_set(c, v->keys[i], kp_json_copy(v->items[i]));
		else
			kp_json_append(c, kp_json_copy(v->items[i]));
	}
	return c;
}

/* ------------------------------------------------------------------------------------------------
 * Reading */

enum kp_json_type kp_json_type(const struct kp_json *v)
{
	return v ? v->type : KP_JSON_NULL;
}

size_t kp_json_len(const struct kp_json *v)
{
	return v && (v->type == KP_JSON_ARRAY || v->type == KP_JSON_OBJECT) ? v->len : 0;
}

const struct kp_json *kp_json_at(const struct kp_json *a, size_t i)
{
	return a && a->type == KP_JSON_ARRAY && i < a->len ? a->items[i] : NULL;
}

const char *kp_json_key(const struct kp_json *o, size_t i)
{
	return o && o->type == KP_JSON_OBJECT && i < o->len ? o->keys[i] : NULL;
}

const struct kp_json *kp_json_value_at(const struct kp_json *o, size_t i)
{
	return o && o->type == KP_JSON_OBJECT && i < o->len ? o->items[i] : NULL;
}

const struct kp_json *kp_json_get(const struct kp_json *o, const char *key)
{
	if (!o || o->type != KP_JSON_OBJECT || !key)
		return NULL;
	for (size_t i = 0; i < o->len; i++)
		if (strcmp(o->keys[i], key) == 0)
			return o->items[i];
	return NULL;
}

const char *kp_json_as_string(const struct kp_json *v)
{
	return v && v->type == KP_JSON_STRING ? v->s : NULL;
}

double kp_json_as_number(const struct kp_json *v, double def)
{
	return v && v->type == KP_JSON_NUMBER ? v->n : def;
}

bool kp_json_as_bool(const struct kp_json *v, bool def)
{
	return v && v->type == KP_JSON_BOOL ? v->b : def;
}

const char *kp_json_get_string(const struct kp_json *o, const char *key, const char *def)
{
	const char *s = kp_json_as_string(kp_json_get(o, key));
	return s ? s : def;
}

double kp_json_get_number(const struct kp_json *o, const char *key, double def)
{
	return kp_json_as_number(kp_json_get(o, key), def);
}

int64_t kp_json_get_int(const struct kp_json *o, const char *key, int64_t def)
{
	double d = kp_json_as_number(kp_json_get(o, key), (double)def);
	if (!(d >= -9.2e18 && d <= 9.2e18))
		return def;
	return (int64_t)d;
}

bool kp_json_get_bool(const struct kp_json *o, const char *key, bool def)
{
	return kp_json_as_bool(kp_json_get(o, key), def);
}

/* ------------------------------------------------------------------------------------------------
 * Parsing */

struct parser {
	const char *start, *p, *end;
	char *err;
	int depth;
};

static void perr(struct parser *ps, const char *what)
{
	if (!ps->err)
		ps->err = kp_printf("%s at byte %zu", what, (size_t)(ps->p - ps->start));
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static void put_utf8(struct kp_buf *b, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	kp_buf_append(b, u, n);
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	size_t len;
	unsigned cp;
	if ((s[0] & 0xE0) == 0xC0) {
		len = 2;
		cp = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		len = 3;
		cp = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

static char *parse_string(struct parser *ps)
{
	struct kp_buf b = {0};
	ps->p++; /* the opening quote */
	while (ps->p < ps->end) {
		unsigned char c = (unsigned char)*ps->p;
		if (c == '"') {
			ps->p++;
			kp_buf_putc(&b, '\0');
			return b.data;
		}
		if (c < 0x20) {
			perr(ps, "a control character in a string");
			break;
		}
		if (c != '\\') {
			size_t n = utf8_len((const unsigned char *)ps->p, (size_t)(ps->end - ps->p));
			if (!n) {
				perr(ps, "invalid UTF-8 in a string");
				break;
			}
			kp_buf_append(&b, ps->p, n);
			ps->p += n;
			continue;
		}
		if (ps->end - ps->p < 2) {
			perr(ps, "an unfinished escape");
			break;
		}
		char e = ps->p[1];
		ps->p += 2;
		const char *simple = strchr("\"\\/bfnrt", e);
		if (simple && e) {
			static const char out[] = "\"\\/\b\f\n\r\t";
			kp_buf_putc(&b, out[simple - "\"\\/bfnrt"]);
			continue;
		}
		unsigned cp, lo;
		if (e != 'u' || ps->end - ps->p < 4 || hex4(ps->p, &cp) < 0) {
			perr(ps, "an invalid escape");
			break;
		}
		ps->p += 4;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' || hex4(ps->p + 2, &lo) < 0 ||
			    lo < 0xDC00 || lo > 0xDFFF) {
				perr(ps, "an unpaired surrogate");
				break;
			}
			ps->p += 6;
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
			perr(ps, "an unpaired surrogate");
			break;
		}
		if (cp == 0) {
			perr(ps, "a NUL character in a string");
			break;
		}
		put_utf8(&b, cp);
	}
	if (!ps->err)
		perr(ps, "an unterminated string");
	free(b.data);
	return NULL;
}

static struct kp_json *parse_value(struct parser *ps);

static struct kp_json *parse_number(struct parser *ps)
{
	const char *s = ps->p;
	const char *q = s;
	if (q < ps->end && *q == '-')
		q++;
	if (q >= ps->end || !(*q >= '0' && *q <= '9'))
		return perr(ps, "an invalid number"), NULL;
	if (*q == '0')
		q++;
	else
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	if (q < ps->end && *q == '.') {
		q++;
		if (q >= ps->end || !(*q >= '0' && *q <= '9'))
			return perr(ps, "an invalid number"), NULL;
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || !(*q >= '0' && *q <= '9'))
			return perr(ps, "an invalid number"), NULL;
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	char tmp[64];
	size_t n = (size_t)(q - s);
	char *text = n < sizeof tmp ? tmp : kp_xmalloc(n + 1);
	memcpy(text, s, n);
	text[n] = '\0';
	double d = strtod(text, NULL);
	if (text != tmp)
		free(text);
	ps->p = q;
	return kp_json_number(d);
}

static bool literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, word, n) == 0) {
		ps->p += n;
		return true;
	}
	return false;
}

static struct kp_json *parse_container(struct parser *ps, bool object)
{
	if (++ps->depth > MAX_DEPTH)
		return perr(ps, "values nested too deeply"), NULL;
	struct kp_json *c = object ? kp_json_object() : kp_json_array();
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
		ps->p++;
		ps->depth--;
		return c;
	}
	for (;;) {
		skip_ws(ps);
		char *key = NULL;
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"') {
				perr(ps, "expected a string key");
				break;
			}
			if (!(key = parse_string(ps)))
				break;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				perr(ps, "expected ':'");
				break;
			}
			ps->p++;
		}
		struct kp_json *v = parse_value(ps);
		if (!v) {
			free(key);
			break;
		}
		if (object) {
			if (kp_json_get(c, key)) {
				free(key);
				kp_json_free(v);
				perr(ps, "a duplicate key");
				break;
			}
			kp_json_set(c, key, v);
			free(key);
		} else {
			kp_json_append(c, v);
		}
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
			ps->p++;
			ps->depth--;
			return c;
		}
		perr(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
		break;
	}
	kp_json_free(c);
	return NULL;
}

static struct kp_json *parse_value(struct parser *ps)
{
	skip_ws(ps);
	if (ps->p >= ps->end)
		return perr(ps, "unexpected end of input"), NULL;
	switch (*ps->p) {
	case '{':
		return parse_container(ps, true);
	case '[':
		return parse_container(ps, false);
	case '"': {
		char *s = parse_string(ps);
		if (!s)
			return NULL;
		struct kp_json *v = new_value(KP_JSON_STRING);
		v->s = s;
		return v;
	}
	case 't':
		if (literal(ps, "true"))
			return kp_json_bool(true);
		break;
	case 'f':
		if (literal(ps, "false"))
			return kp_json_bool(false);
		break;
	case 'n':
		if (literal(ps, "null"))
			return kp_json_null();
		break;
	default:
		return parse_number(ps);
	}
	return perr(ps, "an invalid literal"), NULL;
}

struct kp_json *kp_json_parse(const char *text, size_t len, char **error)
{
	struct parser ps = {text, text, text + len, NULL, 0};
	struct kp_json *v = parse_value(&ps);
	if (v) {
		skip_ws(&ps);
		if (ps.p != ps.end) {
			perr(&ps, "text after the value");
			kp_json_free(v);
			v = NULL;
		}
	}
	if (v) {
		free(ps.err);
		if (error)
			*error = NULL;
		return v;
	}
	if (error)
		*error = ps.err ? ps.err : kp_printf("not JSON");
	else
		free(ps.err);
	return NULL;
}

/* ------------------------------------------------------------------------------------------------
 * Writing */

static void dump_string(const char *s, struct kp_buf *b)
{
	kp_buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': kp_buf_puts(b, "\\\""); break;
		case '\\': kp_buf_puts(b, "\\\\"); break;
		case '\n': kp_buf_puts(b, "\\n"); break;
		case '\r': kp_buf_puts(b, "\\r"); break;
		case '\t': kp_buf_puts(b, "\\t"); break;
		case '\b': kp_buf_puts(b, "\\b"); break;
		case '\f': kp_buf_puts(b, "\\f"); break;
		default:
			if (*p < 0x20) {
				char u[8];
				snprintf(u, sizeof u, "\\u%04x", *p);
				kp_buf_puts(b, u);
			} else if (*p < 0x80) {
				kp_buf_putc(b, (char)*p);
			} else {
				/* invalid UTF-8 becomes U+FFFD: the receiver parses strictly */
				size_t n = utf8_len(p, strlen((const char *)p));
				if (n) {
					kp_buf_append(b, p, n);
					p += n - 1;
				} else {
					kp_buf_puts(b, "\xEF\xBF\xBD");
				}
			}
		}
	}
	kp_buf_putc(b, '"');
}

static void dump(const struct kp_json *v, struct kp_buf *b)
{
	switch (kp_json_type(v)) {
	case KP_JSON_NULL:
		kp_buf_puts(b, "null");
		return;
	case KP_JSON_BOOL:
		kp_buf_puts(b, v->b ? "true" : "false");
		return;
	case KP_JSON_NUMBER: {
		char n[64];
		if (!isfinite(v->n))
			snprintf(n, sizeof n, "null");
		else if (fabs(v->n) < 1e15 && v->n == (double)(long long)v->n)
			snprintf(n, sizeof n, "%lld", (long long)v->n);
		else
			snprintf(n, sizeof n, "%.17g", v->n);
		kp_buf_puts(b, n);
		return;
	}
	case KP_JSON_STRING:
		dump_string(v->s, b);
		return;
	case KP_JSON_ARRAY:
	case KP_JSON_OBJECT:
		kp_buf_putc(b, v->type == KP_JSON_ARRAY ? '[' : '{');
		for (size_t i = 0; i < v->len; i++) {
			if (i)
				kp_buf_putc(b, ',');
			if (v->type == KP_JSON_OBJECT) {
				dump_string(v->keys[i], b);
				kp_buf_putc(b, ':');
			}
			dump(v->items[i], b);
		}
		kp_buf_putc(b, v->type == KP_JSON_ARRAY ? ']' : '}');
		return;
	}
}

char *kp_json_dump(const struct kp_json *v)
{
	struct kp_buf b = {0};
	dump(v, &b);
	kp_buf_putc(&b, '\0');
	return b.data;
}
