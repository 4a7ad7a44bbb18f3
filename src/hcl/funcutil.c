/* funcutil.c — UTF-8, grapheme clusters, case mapping and small helpers for the function groups. */
#include "hcl/funcutil.h"

#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "hcl/eval.h"
#include "util/file.h"
#include "util/lazy_unistring.h"
#include "util/mem.h"

size_t hcl_utf8_next(const char *str, size_t len, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	if (len == 0) {
		*cp = 0;
		return 0;
	}
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t n;
	uint32_t c, min;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, c = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, c = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, c = s[0] & 0x07, min = 0x10000;
	else
		goto bad;
	if (n > len)
		goto bad;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*cp = c;
	return n;
bad:
	*cp = 0xfffd;
	return 1;
}

void hcl_utf8_put(struct buf *b, uint32_t c)
{
	if (c < 0x80) {
		buf_putc(b, (char)c);
	} else if (c < 0x800) {
		buf_putc(b, (char)(0xc0 | (c >> 6)));
		buf_putc(b, (char)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		buf_putc(b, (char)(0xe0 | (c >> 12)));
		buf_putc(b, (char)(0x80 | ((c >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (c & 0x3f)));
	} else {
		buf_putc(b, (char)(0xf0 | (c >> 18)));
		buf_putc(b, (char)(0x80 | ((c >> 12) & 0x3f)));
		buf_putc(b, (char)(0x80 | ((c >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (c & 0x3f)));
	}
}

static bool is_regional(uint32_t c)
{
	return c >= 0x1f1e6 && c <= 0x1f1ff;
}

static bool is_pictographic(uint32_t c)
{
	return (c >= 0x1f000 && c <= 0x1faff) || (c >= 0x2600 && c <= 0x27bf) || (c >= 0x2300 && c <= 0x23ff) ||
	       (c >= 0x2b00 && c <= 0x2bff) || c == 0x00a9 || c == 0x00ae || (c >= 0x2190 && c <= 0x21ff);
}

static size_t unistring_next(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	const uint8_t *next = u8_grapheme_next(p, p + len);
	if (!next || next <= p)
		return 1;
	return (size_t)(next - p);
}

/* Unicode extended grapheme clusters, as cty counts them (textseg): libunistring's boundaries, plus
 * the two newer rules its tables predate — emoji joined by ZWJ (GB11) and regional-indicator pairs
 * (GB12/13, flags). */
size_t hcl_grapheme_next(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	size_t i = unistring_next(s, len);
	uint32_t first;
	size_t flen = hcl_utf8_next(s, len, &first);
	if (is_regional(first) && i == flen && i < len) {
		uint32_t d;
		size_t n = hcl_utf8_next(s + i, len - i, &d);
		if (is_regional(d))
			i += n;
		return i;
	}
	for (;;) {
		/* the last code point of the cluster so far */
		size_t lp = i - 1;
		while (lp > 0 && ((unsigned char)s[lp] & 0xc0) == 0x80)
			lp--;
		uint32_t last;
		hcl_utf8_next(s + lp, i - lp, &last);
		if (last != 0x200d || i >= len)
			break;
		uint32_t d;
		hcl_utf8_next(s + i, len - i, &d);
		if (!is_pictographic(d))
			break;
		i += unistring_next(s + i, len - i);
	}
	return i;
}

size_t hcl_grapheme_count(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; n++)
		i += hcl_grapheme_next(s + i, len - i);
	return n;
}

static locale_t utf8_loc;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_locale_init(void)
{
	utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (!utf8_loc)
		utf8_loc = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
}

static locale_t utf8_locale(void)
{
	pthread_once(&utf8_once, utf8_locale_init);
	return utf8_loc;
}

uint32_t hcl_toupper(uint32_t cp)
{
	locale_t l = utf8_locale();
	if (!l)
		return cp < 0x80 && cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
	return (uint32_t)towupper_l((wint_t)cp, l);
}

uint32_t hcl_tolower(uint32_t cp)
{
	locale_t l = utf8_locale();
	if (!l)
		return cp < 0x80 && cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
	return (uint32_t)towlower_l((wint_t)cp, l);
}

bool hcl_isletter(uint32_t cp)
{
	locale_t l = utf8_locale();
	if (!l)
		return (cp | 32) >= 'a' && (cp | 32) <= 'z';
	return iswalpha_l((wint_t)cp, l) != 0;
}

bool hcl_isspace(uint32_t c)
{
	switch (c) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xa0:
	case 0x1680: case 0x2028: case 0x2029: case 0x202f: case 0x205f: case 0x3000:
		return true;
	}
	return c >= 0x2000 && c <= 0x200a;
}

char *hcl_func_path(struct hcl_call *call, const char *path)
{
	const char *base = call->ctx ? hcl_eval_ctx_basedir(call->ctx) : NULL;
	if (path[0] == '/' || !base)
		return xstrdup(path);
	return path_join(base, path);
}
