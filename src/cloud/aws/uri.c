/* uri.c — AWS's URI encoding, path normalization and canonical query strings (see uri.h). */
#include "cloud/aws/uri.h"
#include "util/hash.h"
#include "util/mem.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
	       c == '.' || c == '~';
}

void aws_uri_encode(struct buf *out, const char *s, size_t len, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	buf_reserve(out, len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c) || (keep_slash && c == '/')) {
			buf_putc(out, (char)c);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			buf_append(out, e, 3);
		}
	}
}

void aws_uri_decode(struct buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int h, l;
		if (s[i] == '%' && i + 2 < len && (h = hex_digit(s[i + 1])) >= 0 && (l = hex_digit(s[i + 2])) >= 0) {
			buf_putc(out, (char)(h * 16 + l));
			i += 2;
		} else {
			buf_putc(out, s[i]);
		}
	}
}

char *aws_path_normalize(const char *path)
{
	/* Segments kept so far, as offsets into out (RFC 3986's remove_dot_segments, and empty segments
	 * dropped, as botocore and the AWS SDKs do). */
	struct buf out = BUF_INIT;
	size_t *starts = NULL, nstarts = 0, cap = 0;
	const char *p = path ? path : "";
	size_t n = strlen(p);
	bool trailing = n > 0 && p[n - 1] == '/';
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = strchr(p, '/');
		size_t sl = e ? (size_t)(e - p) : strlen(p);
		if (sl == 0)
			break;
		if (sl == 1 && p[0] == '.') {
			/* skip */
		} else if (sl == 2 && p[0] == '.' && p[1] == '.') {
			if (nstarts)
				buf_truncate(&out, starts[--nstarts]);
		} else {
			starts = xgrow(starts, &cap, nstarts + 1, sizeof *starts);
			starts[nstarts++] = out.len;
			buf_putc(&out, '/');
			buf_append(&out, p, sl);
		}
		p += sl;
	}
	free(starts);
	if (out.len == 0 || trailing)
		buf_putc(&out, '/');
	/* "/a/" + trailing: the loop wrote "/a", the slash is added once. */
	return buf_detach(&out);
}

struct qpair {
	char *name;
	char *value;
};

static int cmp_qpair(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

/* decode then encode: "%E1%88%B4" and the raw UTF-8 bytes give the same canonical text */
static char *recode(const char *s, size_t len)
{
	struct buf d = BUF_INIT, e = BUF_INIT;
	aws_uri_decode(&d, s, len);
	aws_uri_encode(&e, buf_cstr(&d), d.len, false);
	buf_free(&d);
	return buf_detach(&e);
}

char *aws_query_canonical(const char *query)
{
	if (!query || !*query)
		return xstrdup("");
	struct qpair *pairs = NULL;
	size_t n = 0, cap = 0;
	const char *p = query;
	for (;;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len) {
			const char *eq = memchr(p, '=', len);
			size_t nl = eq ? (size_t)(eq - p) : len;
			pairs = xgrow(pairs, &cap, n + 1, sizeof *pairs);
			pairs[n].name = recode(p, nl);
			pairs[n].value = eq ? recode(eq + 1, len - nl - 1) : xstrdup("");
			n++;
		}
		if (!amp)
			break;
		p = amp + 1;
	}
	if (n > 1)
		qsort(pairs, n, sizeof *pairs, cmp_qpair);
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&out, '&');
		buf_printf(&out, "%s=%s", pairs[i].name, pairs[i].value);
		free(pairs[i].name);
		free(pairs[i].value);
	}
	free(pairs);
	return buf_detach(&out);
}

void aws_query_add(struct aws_query *q, const char *name, const char *value)
{
	struct buf b = BUF_INIT;
	aws_uri_encode(&b, name, strlen(name), false);
	buf_putc(&b, '=');
	if (value)
		aws_uri_encode(&b, value, strlen(value), false);
	strv_push_owned(&q->pairs, buf_detach(&b));
}

void aws_query_addf(struct aws_query *q, const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *v = xvasprintf(fmt, ap);
	va_end(ap);
	aws_query_add(q, name, v);
	free(v);
}

/* Sort by name, then value, on the encoded text: the name ends at '=', which must sort before any
 * character a longer name could continue with, so compare the two parts separately. */
static int cmp_pair(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t xn = strcspn(x, "="), yn = strcspn(y, "=");
	size_t m = xn < yn ? xn : yn;
	int c = memcmp(x, y, m);
	if (c)
		return c;
	if (xn != yn)
		return xn < yn ? -1 : 1;
	return strcmp(x + xn, y + yn);
}

char *aws_query_string(struct aws_query *q)
{
	if (q->pairs.n > 1)
		qsort(q->pairs.v, q->pairs.n, sizeof *q->pairs.v, cmp_pair);
	return strv_join(&q->pairs, "&");
}

void aws_query_free(struct aws_query *q)
{
	strv_free(&q->pairs);
}
