/* regex.c — Go-compatible regular expression matching over PCRE2 (see regex.h). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "hcl/regex.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/lazy_pcre2.h"
#include "util/mem.h"

struct hcl_re {
	pcre2_code *code;
	size_t ngroups;
	char **names; /* ngroups+1 entries, NULL where unnamed */
};

struct hcl_re *hcl_re_compile(const char *pattern, char **err)
{
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
					 PCRE2_UTF | PCRE2_DOLLAR_ENDONLY,
					 &errcode, &erroff, NULL);
	if (!code) {
		if (err) {
			/* worded as Go's regexp/syntax errors */
			switch (errcode) {
			case 114: /* missing closing parenthesis */
				*err = xasprintf("error parsing regexp: missing closing ): `%s`", pattern);
				break;
			case 122: /* unmatched closing parenthesis */
				*err = xasprintf("error parsing regexp: unexpected ): `%s`", pattern);
				break;
			case 106: { /* missing terminating ] */
				const char *br = strrchr(pattern, '[');
				*err = xasprintf("error parsing regexp: missing closing ]: `%s`", br ? br : pattern);
				break;
			}
			case 109: /* quantifier does not follow a repeatable item */
				*err = xasprintf("error parsing regexp: missing argument to repetition operator: `%c`",
						 erroff > 0 ? pattern[erroff - 1] : '*');
				break;
			default: {
				PCRE2_UCHAR msg[256];
				pcre2_get_error_message(errcode, msg, sizeof(msg));
				*err = xasprintf("error parsing regexp: %s: `%s`", (const char *)msg, pattern);
			}
			}
		}
		return NULL;
	}
	struct hcl_re *re = xcalloc(1, sizeof(*re));
	re->code = code;
	uint32_t cap = 0, namecount = 0, entry = 0;
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &cap);
	re->ngroups = cap;
	re->names = xcalloc(cap + 1, sizeof(*re->names));
	pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &namecount);
	if (namecount) {
		PCRE2_SPTR table;
		pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
		pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
		for (uint32_t i = 0; i < namecount; i++) {
			PCRE2_SPTR e = table + i * entry;
			unsigned n = ((unsigned)e[0] << 8) | e[1];
			if (n <= cap && !re->names[n])
				re->names[n] = xstrdup((const char *)e + 2);
		}
	}
	return re;
}

void hcl_re_free(struct hcl_re *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	for (size_t i = 0; i <= re->ngroups; i++)
		free(re->names[i]);
	free(re->names);
	free(re);
}

size_t hcl_re_ngroups(const struct hcl_re *re)
{
	return re->ngroups;
}

const char *hcl_re_group_name(const struct hcl_re *re, size_t i)
{
	return i <= re->ngroups ? re->names[i] : NULL;
}

static size_t rune_width(const char *s, size_t len, size_t pos)
{
	if (pos >= len)
		return 0;
	unsigned char c = (unsigned char)s[pos];
	size_t w = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
	return pos + w <= len ? w : 1;
}

/* One match at or after pos; fills offsets. Returns false when there is none. */
static bool match_at(const struct hcl_re *re, pcre2_match_data *md, const char *s, size_t len, size_t pos,
		     long *offsets)
{
	/* RE2 matches in linear time; PCRE2 backtracks, so bound its work (a pathological pattern then
	 * finds no match rather than hanging) */
	static __thread pcre2_match_context *mctx;
	if (!mctx) {
		mctx = pcre2_match_context_create(NULL);
		if (mctx)
			pcre2_set_match_limit(mctx, 1000000);
	}
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, pos, 0, md, mctx);
	if (rc < 0)
		return false;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	for (size_t i = 0; i <= re->ngroups; i++) {
		if ((int)i < rc && ov[2 * i] != PCRE2_UNSET) {
			offsets[2 * i] = (long)ov[2 * i];
			offsets[2 * i + 1] = (long)ov[2 * i + 1];
		} else {
			offsets[2 * i] = offsets[2 * i + 1] = -1;
		}
	}
	return true;
}

size_t hcl_re_each(const struct hcl_re *re, const char *s, size_t len, size_t max, hcl_re_match_fn fn, void *arg)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
	long *off = xcalloc(2 * (re->ngroups + 1), sizeof(*off));
	size_t count = 0;
	long prev_end = -1;
	size_t pos = 0;
	while (count < max && pos <= len) {
		if (!match_at(re, md, s, len, pos, off))
			break;
		bool accept = true;
		if ((size_t)off[1] == pos) {
			if (off[0] == prev_end)
				accept = false;
			size_t w = rune_width(s, len, pos);
			pos += w ? w : 1;
		} else {
			pos = (size_t)off[1];
		}
		prev_end = off[1];
		if (accept) {
			count++;
			if (fn && fn(arg, s, off))
				break;
		}
	}
	free(off);
	pcre2_match_data_free(md);
	return count;
}

static long group_index(const struct hcl_re *re, const char *name, size_t n)
{
	bool numeric = n > 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)name[i]))
			numeric = false;
	if (numeric) {
		long v = 0;
		for (size_t i = 0; i < n && v < 100000; i++)
			v = v * 10 + (name[i] - '0');
		return v <= (long)re->ngroups ? v : -1;
	}
	for (size_t i = 1; i <= re->ngroups; i++)
		if (re->names[i] && strlen(re->names[i]) == n && memcmp(re->names[i], name, n) == 0)
			return (long)i;
	return -1;
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Go's Regexp.expand */
static void expand(const struct hcl_re *re, const char *repl, const char *s, const long *off, struct buf *out)
{
	const char *p = repl;
	while (*p) {
		const char *d = strchr(p, '$');
		if (!d) {
			buf_puts(out, p);
			return;
		}
		buf_append(out, p, (size_t)(d - p));
		p = d + 1;
		if (*p == '$') {
			buf_putc(out, '$');
			p++;
			continue;
		}
		const char *name;
		size_t n;
		if (*p == '{') {
			const char *q = p + 1;
			while (name_char(*q))
				q++;
			if (q == p + 1 || *q != '}') {
				buf_putc(out, '$');
				continue;
			}
			name = p + 1;
			n = (size_t)(q - name);
			p = q + 1;
		} else {
			const char *q = p;
			while (name_char(*q))
				q++;
			if (q == p) {
				buf_putc(out, '$');
				continue;
			}
			name = p;
			n = (size_t)(q - p);
			p = q;
		}
		long g = group_index(re, name, n);
		if (g >= 0 && off[2 * g] >= 0)
			buf_append(out, s + off[2 * g], (size_t)(off[2 * g + 1] - off[2 * g]));
	}
}

void hcl_re_replace_all(const struct hcl_re *re, const char *s, size_t len, const char *repl, struct buf *out)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
	long *off = xcalloc(2 * (re->ngroups + 1), sizeof(*off));
	size_t last_end = 0, pos = 0;
	while (pos <= len) {
		if (!match_at(re, md, s, len, pos, off))
			break;
		buf_append(out, s + last_end, (size_t)off[0] - last_end);
		if ((size_t)off[1] > last_end || off[0] == 0)
			expand(re, repl, s, off, out);
		last_end = (size_t)off[1];
		size_t w = rune_width(s, len, pos);
		if (pos + w > (size_t)off[1])
			pos += w;
		else if (pos + 1 > (size_t)off[1])
			pos++;
		else
			pos = (size_t)off[1];
	}
	buf_append(out, s + last_end, len - last_end);
	free(off);
	pcre2_match_data_free(md);
}
