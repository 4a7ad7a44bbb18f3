/* func_string.c — string functions: chomp format formatlist indent join lower upper title regex
 * regexall regex_replace replace split strrev substr trim trimprefix trimsuffix trimspace strcontains
 * startswith endswith (cty's stdlib, Terraform's and Packer's definitions). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcl/funcutil.h"
#include "hcl/regex.h"
#include "util/mem.h"
#include "util/strv.h"

#define P(n, t) {n, t, 0}

static struct hcl_value *str_result(struct buf *b)
{
	struct hcl_value *v = hcl_string_n(buf_cstr(b), b->len);
	buf_free(b);
	return v;
}

static struct hcl_value *map_case(struct hcl_value **args, bool upper)
{
	const char *s = hcl_str(args[0]);
	size_t len = hcl_str_len(args[0]);
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < len;) {
		uint32_t c;
		size_t n = hcl_utf8_next(s + i, len - i, &c);
		if (c == 0xfffd && n == 1 && (unsigned char)s[i] >= 0x80)
			buf_append(&b, s + i, 1);
		else
			hcl_utf8_put(&b, upper ? hcl_toupper(c) : hcl_tolower(c));
		i += n;
	}
	return str_result(&b);
}

static struct hcl_value *f_upper(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return map_case(a, true);
}

static struct hcl_value *f_lower(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return map_case(a, false);
}

/* Go's strings.Title: upper-case the first letter of each word */
static bool title_separator(uint32_t c)
{
	if (c <= 0x7f) {
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
			return false;
		return true;
	}
	if (hcl_isletter(c))
		return false;
	return hcl_isspace(c);
}

static struct hcl_value *f_title(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	const char *s = hcl_str(a[0]);
	size_t len = hcl_str_len(a[0]);
	struct buf b = BUF_INIT;
	uint32_t prev = ' ';
	for (size_t i = 0; i < len;) {
		uint32_t ch;
		size_t k = hcl_utf8_next(s + i, len - i, &ch);
		if (title_separator(prev))
			hcl_utf8_put(&b, hcl_toupper(ch));
		else
			buf_append(&b, s + i, k);
		prev = ch;
		i += k;
	}
	return str_result(&b);
}

static struct hcl_value *f_chomp(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	const char *s = hcl_str(a[0]);
	size_t len = hcl_str_len(a[0]);
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	return hcl_string_n(s, len);
}

static struct hcl_value *f_indent(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	long long spaces;
	if (hcl_arg_int(c, a, 0, &spaces) < 0)
		return NULL;
	const char *s = hcl_str(a[1]);
	size_t len = hcl_str_len(a[1]);
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < len; i++) {
		buf_putc(&b, s[i]);
		if (s[i] == '\n')
			for (long long k = 0; k < spaces; k++)
				buf_putc(&b, ' ');
	}
	return str_result(&b);
}

static struct hcl_value *f_join(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	if (n < 2)
		return hcl_call_error(c, "at least one list is required");
	for (size_t i = 1; i < n; i++)
		if (!hcl_is_wholly_known(a[i]))
			return hcl_unknown(HCL_T_STRING);
	struct buf b = BUF_INIT;
	bool first = true;
	for (size_t i = 1; i < n; i++) {
		for (size_t j = 0; j < hcl_len(a[i]); j++) {
			struct hcl_value *e = hcl_elem(a[i], j);
			if (e->null) {
				buf_free(&b);
				if (n > 2)
					return hcl_call_arg_error(c, (int)i, "element %zu of list %zu is null; cannot concatenate null values", j, i);
				return hcl_call_arg_error(c, (int)i, "element %zu is null; cannot concatenate null values", j);
			}
			if (!first)
				buf_append(&b, hcl_str(a[0]), hcl_str_len(a[0]));
			first = false;
			buf_append(&b, hcl_str(e), hcl_str_len(e));
		}
	}
	return str_result(&b);
}

static struct hcl_value *f_split(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	const char *sep = hcl_str(a[0]), *s = hcl_str(a[1]);
	size_t seplen = hcl_str_len(a[0]), len = hcl_str_len(a[1]);
	struct hcl_vec vec = HCL_VEC_INIT;
	if (seplen == 0) {
		for (size_t i = 0; i < len;) {
			uint32_t ch;
			size_t k = hcl_utf8_next(s + i, len - i, &ch);
			hcl_vec_push(&vec, hcl_string_n(s + i, k));
			i += k;
		}
	} else {
		size_t start = 0;
		for (size_t i = 0; i + seplen <= len;) {
			if (memcmp(s + i, sep, seplen) == 0) {
				hcl_vec_push(&vec, hcl_string_n(s + start, i - start));
				i += seplen;
				start = i;
			} else {
				i++;
			}
		}
		hcl_vec_push(&vec, hcl_string_n(s + start, len - start));
	}
	return hcl_vec_to_list(&vec, HCL_T_STRING);
}

static void replace_plain(const char *s, size_t len, const char *old, size_t oldlen, const char *rep, size_t replen,
			  struct buf *b)
{
	if (oldlen == 0) {
		/* Go: an empty old string matches before every rune and at the end */
		buf_append(b, rep, replen);
		for (size_t i = 0; i < len;) {
			uint32_t ch;
			size_t k = hcl_utf8_next(s + i, len - i, &ch);
			buf_append(b, s + i, k);
			buf_append(b, rep, replen);
			i += k;
		}
		return;
	}
	size_t i = 0;
	while (i < len) {
		if (i + oldlen <= len && memcmp(s + i, old, oldlen) == 0) {
			buf_append(b, rep, replen);
			i += oldlen;
		} else {
			buf_putc(b, s[i++]);
		}
	}
}

static struct hcl_value *regex_replace_common(struct hcl_call *c, const char *pattern, int argidx,
					      struct hcl_value *str, struct hcl_value *rep)
{
	char *err = NULL;
	struct hcl_re *re = hcl_re_compile(pattern, &err);
	(void)argidx;
	if (!re) {
		struct hcl_value *r = hcl_call_error(c, "%s", err);
		free(err);
		return r;
	}
	struct buf b = BUF_INIT;
	hcl_re_replace_all(re, hcl_str(str), hcl_str_len(str), hcl_str(rep), &b);
	hcl_re_free(re);
	return str_result(&b);
}

static struct hcl_value *f_replace(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	/* Packer's replace is cty's: plain substrings only (a "/re/" substring is not a regex) */
	const char *sub = hcl_str(a[1]);
	size_t sublen = hcl_str_len(a[1]);
	struct buf b = BUF_INIT;
	replace_plain(hcl_str(a[0]), hcl_str_len(a[0]), sub, sublen, hcl_str(a[2]), hcl_str_len(a[2]), &b);
	return str_result(&b);
}

static struct hcl_value *f_regex_replace(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return regex_replace_common(c, hcl_str(a[1]), 1, a[0], a[2]);
}

/* regex / regexall result for one match */
struct regex_state {
	const struct hcl_re *re;
	struct hcl_vec out;
	int kind; /* 0 string, 1 list, 2 object */
};

static struct hcl_value *match_value(const struct regex_state *st, const char *s, const long *off)
{
	size_t ng = hcl_re_ngroups(st->re);
	if (st->kind == 0)
		return hcl_string_n(s + off[0], (size_t)(off[1] - off[0]));
	struct hcl_vec vec = HCL_VEC_INIT;
	for (size_t g = 1; g <= ng; g++) {
		struct hcl_value *v = off[2 * g] >= 0 ? hcl_string_n(s + off[2 * g], (size_t)(off[2 * g + 1] - off[2 * g]))
						      : hcl_string("");
		if (st->kind == 2)
			hcl_vec_push_kv(&vec, hcl_re_group_name(st->re, g), v);
		else
			hcl_vec_push(&vec, v);
	}
	return st->kind == 2 ? hcl_vec_to_object(&vec) : hcl_vec_to_list(&vec, HCL_T_STRING);
}

static int regex_collect(void *arg, const char *s, const long *off)
{
	struct regex_state *st = arg;
	hcl_vec_push(&st->out, match_value(st, s, off));
	return 0;
}

static struct hcl_re *regex_prepare(struct hcl_call *c, struct hcl_value **a, struct regex_state *st)
{
	char *err = NULL;
	struct hcl_re *re = hcl_re_compile(hcl_str(a[0]), &err);
	if (!re) {
		hcl_call_arg_error(c, 0, "invalid regular expression pattern: %s", err);
		free(err);
		return NULL;
	}
	st->re = re;
	st->out = (struct hcl_vec)HCL_VEC_INIT;
	size_t ng = hcl_re_ngroups(re);
	if (ng == 0) {
		st->kind = 0;
	} else if (!hcl_re_group_name(re, 1)) {
		st->kind = 1;
		for (size_t g = 1; g <= ng; g++)
			if (hcl_re_group_name(re, g))
				goto mixed;
	} else {
		st->kind = 2;
		for (size_t g = 1; g <= ng; g++)
			if (!hcl_re_group_name(re, g))
				goto mixed;
	}
	return re;
mixed:
	hcl_call_arg_error(c, 0, "invalid regular expression pattern: cannot mix both named and unnamed capture groups");
	hcl_re_free(re);
	return NULL;
}

static struct hcl_value *f_regex(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct regex_state st;
	struct hcl_re *re = regex_prepare(c, a, &st);
	if (!re)
		return NULL;
	hcl_re_each(re, hcl_str(a[1]), hcl_str_len(a[1]), 1, regex_collect, &st);
	struct hcl_value *r;
	if (st.out.n == 0)
		r = hcl_call_error(c, "pattern did not match any part of the given string");
	else
		r = hcl_value_ref(st.out.v[0]);
	hcl_vec_free(&st.out);
	hcl_re_free(re);
	return r;
}

static struct hcl_value *f_regexall(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct regex_state st;
	struct hcl_re *re = regex_prepare(c, a, &st);
	if (!re)
		return NULL;
	hcl_re_each(re, hcl_str(a[1]), hcl_str_len(a[1]), (size_t)-1, regex_collect, &st);
	struct hcl_type *et;
	if (st.out.n)
		et = hcl_type_ref(st.out.v[0]->type);
	else if (st.kind == 0)
		et = HCL_T_STRING;
	else if (st.kind == 1)
		et = hcl_type_list(HCL_T_STRING);
	else {
		size_t ng = hcl_re_ngroups(re);
		const char **names = xcalloc(ng, sizeof(*names));
		struct hcl_type **ts = xcalloc(ng, sizeof(*ts));
		for (size_t g = 1; g <= ng; g++) {
			names[g - 1] = hcl_re_group_name(re, g);
			ts[g - 1] = HCL_T_STRING;
		}
		et = hcl_type_object(names, ts, ng, NULL);
		free(names);
		free(ts);
	}
	struct hcl_value *r = hcl_vec_to_list(&st.out, et);
	hcl_re_free(re);
	return r;
}

static struct hcl_value *f_strrev(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	const char *s = hcl_str(a[0]);
	size_t len = hcl_str_len(a[0]);
	size_t *starts = xcalloc(len + 1, sizeof(*starts));
	size_t k = 0;
	for (size_t i = 0; i < len;) {
		starts[k++] = i;
		i += hcl_grapheme_next(s + i, len - i);
	}
	struct buf b = BUF_INIT;
	for (size_t j = k; j-- > 0;) {
		size_t end = j + 1 < k ? starts[j + 1] : len;
		buf_append(&b, s + starts[j], end - starts[j]);
	}
	free(starts);
	return str_result(&b);
}

static struct hcl_value *f_substr(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	long long offset, length;
	if (hcl_arg_int(c, a, 1, &offset) < 0 || hcl_arg_int(c, a, 2, &length) < 0)
		return NULL;
	const char *s = hcl_str(a[0]);
	size_t len = hcl_str_len(a[0]);
	if (offset < 0) {
		offset += (long long)hcl_grapheme_count(s, len);
		if (offset < 0)
			offset = 0;
	} else if (length == 0)
		return hcl_string("");
	size_t i = 0, start = 0;
	long long pos = 0;
	if (offset > 0) {
		for (i = 0; i < len;) {
			i += hcl_grapheme_next(s + i, len - i);
			pos++;
			if (pos == offset)
				break;
			if (i >= len)
				return hcl_string("");
		}
		start = i;
	}
	if (length < 0)
		return hcl_string_n(s + start, len - start);
	for (i = start; i < len;) {
		i += hcl_grapheme_next(s + i, len - i);
		pos++;
		if (pos == offset + length)
			break;
	}
	return hcl_string_n(s + start, i - start);
}

/* Whether trim removes ch: a character of the string cut, or (cut NULL: trimspace) white space. */
static bool trimmed_char(uint32_t ch, const struct hcl_value *cut)
{
	if (!cut)
		return hcl_isspace(ch);
	const char *set = hcl_str(cut);
	size_t setlen = hcl_str_len(cut);
	for (size_t i = 0; i < setlen;) {
		uint32_t d;
		i += hcl_utf8_next(set + i, setlen - i, &d);
		if (d == ch)
			return true;
	}
	return false;
}

/* The string v without the leading and trailing characters trimmed_char(cut) selects. */
static struct hcl_value *trim_string(const struct hcl_value *v, const struct hcl_value *cut)
{
	const char *s = hcl_str(v);
	size_t start = 0, end = hcl_str_len(v);
	while (start < end) {
		uint32_t ch;
		size_t k = hcl_utf8_next(s + start, end - start, &ch);
		if (!trimmed_char(ch, cut))
			break;
		start += k;
	}
	while (end > start) {
		size_t p = end - 1;
		while (p > start && ((unsigned char)s[p] & 0xc0) == 0x80)
			p--;
		uint32_t ch;
		hcl_utf8_next(s + p, end - p, &ch);
		if (!trimmed_char(ch, cut))
			break;
		end = p;
	}
	return hcl_string_n(s + start, end - start);
}

static struct hcl_value *f_trim(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return trim_string(a[0], a[1]);
}

static struct hcl_value *f_trimspace(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return trim_string(a[0], NULL);
}

static bool has_prefix(struct hcl_value *s, struct hcl_value *p)
{
	return hcl_str_len(p) <= hcl_str_len(s) && memcmp(hcl_str(s), hcl_str(p), hcl_str_len(p)) == 0;
}

static bool has_suffix(struct hcl_value *s, struct hcl_value *p)
{
	size_t ls = hcl_str_len(s), lp = hcl_str_len(p);
	return lp <= ls && memcmp(hcl_str(s) + ls - lp, hcl_str(p), lp) == 0;
}

static struct hcl_value *f_trimprefix(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	if (has_prefix(a[0], a[1]))
		return hcl_string_n(hcl_str(a[0]) + hcl_str_len(a[1]), hcl_str_len(a[0]) - hcl_str_len(a[1]));
	return hcl_value_ref(a[0]);
}

static struct hcl_value *f_trimsuffix(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	if (has_suffix(a[0], a[1]))
		return hcl_string_n(hcl_str(a[0]), hcl_str_len(a[0]) - hcl_str_len(a[1]));
	return hcl_value_ref(a[0]);
}

static struct hcl_value *f_startswith(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return hcl_bool(has_prefix(a[0], a[1]));
}

static struct hcl_value *f_endswith(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return hcl_bool(has_suffix(a[0], a[1]));
}

static struct hcl_value *f_strcontains(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return hcl_bool(memmem(hcl_str(a[0]), hcl_str_len(a[0]), hcl_str(a[1]), hcl_str_len(a[1])) != NULL);
}

/* ---- format (cty's stdlib format verbs) ---- */

struct fmt_spec {
	bool minus, plus, space, zero, sharp;
	int width, prec; /* -1 = not given */
	char verb;
};

static void pad_out(struct buf *out, const struct fmt_spec *sp, const char *s, size_t len)
{
	size_t runes = 0;
	for (size_t i = 0; i < len;) {
		uint32_t ch;
		i += hcl_utf8_next(s + i, len - i, &ch);
		runes++;
	}
	size_t w = sp->width > 0 ? (size_t)sp->width : 0;
	size_t padn = runes < w ? w - runes : 0;
	if (sp->minus) {
		buf_append(out, s, len);
		buf_repeat(out, ' ', padn);
	} else if (sp->zero && padn && len > 0 && (s[0] == '-' || s[0] == '+' || s[0] == ' ') &&
		   strchr("dbboxXeEfFgG", sp->verb)) {
		buf_putc(out, s[0]);
		buf_repeat(out, '0', padn);
		buf_append(out, s + 1, len - 1);
	} else {
		buf_repeat(out, sp->zero && strchr("dboxXeEfFgG", sp->verb) ? '0' : ' ', padn);
		buf_append(out, s, len);
	}
}

static void json_of(struct hcl_value *v, struct buf *out);

static void json_string(const char *s, size_t len, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	buf_putc(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		switch (ch) {
		case '"': buf_puts(out, "\\\""); break;
		case '\\': buf_puts(out, "\\\\"); break;
		case '\n': buf_puts(out, "\\n"); break;
		case '\r': buf_puts(out, "\\r"); break;
		case '\t': buf_puts(out, "\\t"); break;
		case '<': buf_puts(out, "\\u003c"); break;
		case '>': buf_puts(out, "\\u003e"); break;
		case '&': buf_puts(out, "\\u0026"); break;
		default:
			if (ch < 0x20) {
				buf_printf(out, "\\u00%c%c", hex[ch >> 4], hex[ch & 15]);
			} else if (ch == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
				   ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
				buf_puts(out, (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
				i += 2;
			} else {
				buf_putc(out, (char)ch);
			}
		}
	}
	buf_putc(out, '"');
}

/* cty's JSON encoding (json.Marshal of a cty value): compact, keys sorted, HTML-escaped. */
void hcl_json_encode(struct hcl_value *v, struct buf *out)
{
	json_of(v, out);
}

static void json_of(struct hcl_value *v, struct buf *out)
{
	if (v->null) {
		buf_puts(out, "null");
		return;
	}
	switch (v->type->kind) {
	case HCL_STRING:
		json_string(hcl_str(v), hcl_str_len(v), out);
		return;
	case HCL_NUMBER:
		hcl_num_format(hcl_num_of(v), out);
		return;
	case HCL_BOOL:
		buf_puts(out, hcl_true(v) ? "true" : "false");
		return;
	case HCL_LIST: case HCL_SET: case HCL_TUPLE:
		buf_putc(out, '[');
		for (size_t i = 0; i < hcl_len(v); i++) {
			if (i)
				buf_putc(out, ',');
			json_of(hcl_elem(v, i), out);
		}
		buf_putc(out, ']');
		return;
	case HCL_MAP: case HCL_OBJECT:
		buf_putc(out, '{');
		for (size_t i = 0; i < hcl_len(v); i++) {
			if (i)
				buf_putc(out, ',');
			json_string(hcl_key(v, i), strlen(hcl_key(v, i)), out);
			buf_putc(out, ':');
			json_of(hcl_elem(v, i), out);
		}
		buf_putc(out, '}');
		return;
	default:
		buf_puts(out, "null");
	}
}

static void go_fmt_float(const struct fmt_spec *sp, double d, struct buf *out)
{
	char f[32], verb = sp->verb;
	int prec = sp->prec;
	if (verb == 'F')
		verb = 'f';
	if (isinf(d)) {
		buf_puts(out, d < 0 ? "-Inf" : (sp->plus ? "+Inf" : (sp->space ? " Inf" : "+Inf")));
		return;
	}
	if ((verb == 'g' || verb == 'G') && prec < 0) {
		struct buf t = BUF_INIT;
		if (sp->plus && !signbit(d))
			buf_putc(&t, '+');
		else if (sp->space && !signbit(d))
			buf_putc(&t, ' ');
		hcl_double_format_g(d, &t);
		if (verb == 'G')
			for (size_t i = 0; i < t.len; i++)
				if (t.data[i] == 'e')
					t.data[i] = 'E';
		buf_append(out, t.data, t.len);
		buf_free(&t);
		return;
	}
	snprintf(f, sizeof(f), "%%%s%s%s.%d%c", sp->plus ? "+" : "", sp->space ? " " : "", sp->sharp ? "#" : "",
		 prec < 0 ? 6 : prec, verb);
	buf_printf(out, f, d);
}

static int format_one(struct hcl_call *c, const struct fmt_spec *sp, struct hcl_value *arg, int argn,
		      const char *raw, size_t offset, struct buf *out)
{
	struct buf t = BUF_INIT;
	struct hcl_value *v = NULL;
	struct hcl_convert_error ce = {0};
	char verb = sp->verb;
	if (arg->null) {
		hcl_call_error(c, "unsupported value for \"%s\" at %zu: null value cannot be formatted", raw, offset);
		return -1;
	}
	switch (verb) {
	case 'v':
		if (arg->null) {
			buf_puts(&t, "null");
		} else if (sp->sharp || !hcl_type_is_primitive(arg->type)) {
			json_of(arg, &t);
		} else {
			char *s = hcl_value_as_text(arg);
			buf_puts(&t, s);
			free(s);
		}
		break;
	case 't':
		v = hcl_convert(arg, HCL_T_BOOL, &ce);
		if (!v)
			goto convfail;
		buf_puts(&t, hcl_true(v) ? "true" : "false");
		break;
	case 's': case 'q':
		v = hcl_convert(arg, HCL_T_STRING, &ce);
		if (!v)
			goto convfail;
		if (verb == 'q') {
			/* cty quotes as JSON does (HTML characters escaped), not as Go's %q */
			json_string(hcl_str(v), hcl_str_len(v), &t);
		} else {
			size_t len = hcl_str_len(v);
			if (sp->prec >= 0) {
				size_t i = 0;
				for (int k = 0; k < sp->prec && i < len; k++) {
					uint32_t ch;
					i += hcl_utf8_next(hcl_str(v) + i, len - i, &ch);
				}
				len = i;
			}
			buf_append(&t, hcl_str(v), len);
		}
		break;
	case 'd': case 'b': case 'o': case 'x': case 'X': {
		v = hcl_convert(arg, HCL_T_NUMBER, &ce);
		if (!v)
			goto convfail;
		const struct hcl_num *num = hcl_num_of(v);
		if (!hcl_num_is_int(num)) {
			hcl_value_unref(v);
			hcl_call_error(c, "unsupported value for \"%s\" at %zu: an integer is required", raw, offset);
			return -1;
		}
		char *dec = hcl_num_int_text(num);
		bool neg = dec[0] == '-';
		const char *digits = neg ? dec + 1 : dec;
		if (verb == 'd') {
			if (neg)
				buf_putc(&t, '-');
			else if (sp->plus)
				buf_putc(&t, '+');
			else if (sp->space)
				buf_putc(&t, ' ');
			buf_puts(&t, digits);
		} else {
			unsigned base = verb == 'b' ? 2 : verb == 'o' ? 8 : 16;
			/* convert decimal digits to the base by repeated division */
			struct buf num_digits = BUF_INIT;
			char *work = xstrdup(digits);
			size_t wl = strlen(work);
			while (!(wl == 1 && work[0] == '0')) {
				unsigned rem = 0;
				size_t o = 0;
				for (size_t i = 0; i < wl; i++) {
					unsigned cur = rem * 10 + (unsigned)(work[i] - '0');
					unsigned q = cur / base;
					rem = cur % base;
					if (o || q)
						work[o++] = (char)('0' + q);
				}
				if (o == 0)
					work[o++] = '0';
				wl = o;
				work[wl] = '\0';
				buf_putc(&num_digits, (verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef")[rem]);
			}
			if (num_digits.len == 0)
				buf_putc(&num_digits, '0');
			if (neg)
				buf_putc(&t, '-');
			else if (sp->plus)
				buf_putc(&t, '+');
			if (sp->sharp)
				buf_puts(&t, verb == 'b' ? "0b" : verb == 'o' ? "0" : verb == 'x' ? "0x" : "0X");
			for (size_t i = num_digits.len; i-- > 0;)
				buf_putc(&t, num_digits.data[i]);
			buf_free(&num_digits);
			free(work);
		}
		free(dec);
		break;
	}
	case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
		v = hcl_convert(arg, HCL_T_NUMBER, &ce);
		if (!v)
			goto convfail;
		go_fmt_float(sp, hcl_num_to_double(hcl_num_of(v)), &t);
		break;
	default:
		hcl_call_error(c, "invalid format verb %%%c at offset %zu", verb, offset);
		buf_free(&t);
		return -1;
	}
	hcl_value_unref(v);
	pad_out(out, sp, buf_cstr(&t), t.len);
	buf_free(&t);
	return 0;
convfail:
	hcl_call_error(c, "unsupported value for \"%s\" at %zu: %s", raw, offset, ce.msg);
	hcl_convert_error_free(&ce);
	buf_free(&t);
	return -1;
}

/* Format with args[first..n); argument indexes in errors are relative to the call (argbase). */
/* An argument index "[n]" at f[*i] (Go's fmt), which sets *idx and steps *i past it; anything else is
 * left alone. */
static void arg_index(const char *f, size_t flen, size_t *i, long *idx)
{
	if (*i >= flen || f[*i] != '[')
		return;
	size_t j = *i + 1;
	long v = 0;
	while (j < flen && f[j] >= '0' && f[j] <= '9')
		v = v * 10 + (f[j++] - '0');
	if (j < flen && f[j] == ']' && j > *i + 1) {
		*idx = v;
		*i = j + 1;
	}
}

static int do_format(struct hcl_call *c, const char *f, size_t flen, struct hcl_value **args, size_t nargs,
		     int argbase, struct buf *out)
{
	size_t next = 0, used = 0;
	size_t i = 0;
	while (i < flen) {
		if (f[i] != '%') {
			buf_putc(out, f[i++]);
			continue;
		}
		size_t start = i++;
		if (i < flen && f[i] == '%') {
			buf_putc(out, '%');
			i++;
			continue;
		}
		struct fmt_spec sp = {false, false, false, false, false, -1, -1, 0};
		for (; i < flen; i++) {
			if (f[i] == '-') sp.minus = true;
			else if (f[i] == '+') sp.plus = true;
			else if (f[i] == ' ') sp.space = true;
			else if (f[i] == '0') sp.zero = true;
			else if (f[i] == '#') sp.sharp = true;
			else break;
		}
		long explicit_idx = -1;
		arg_index(f, flen, &i, &explicit_idx);
		if (i < flen && f[i] == '*') {
			hcl_call_error(c, "unsupported '*' width in format string");
			return -1;
		}
		while (i < flen && f[i] >= '0' && f[i] <= '9') {
			sp.width = (sp.width < 0 ? 0 : sp.width) * 10 + (f[i] - '0');
			if (sp.width > 100000)
				sp.width = 100000;
			i++;
		}
		if (i < flen && f[i] == '.') {
			i++;
			sp.prec = 0;
			while (i < flen && f[i] >= '0' && f[i] <= '9') {
				sp.prec = sp.prec * 10 + (f[i] - '0');
				if (sp.prec > 10000)
					sp.prec = 10000;
				i++;
			}
		}
		if (explicit_idx < 0)
			arg_index(f, flen, &i, &explicit_idx);
		if (i >= flen) {
			hcl_call_error(c, "invalid format string starting at offset %zu", start);
			return -1;
		}
		uint32_t vch;
		size_t vk = hcl_utf8_next(f + i, flen - i, &vch);
		sp.verb = vch < 0x80 ? (char)vch : '?';
		i += vk;
		char *raw = xstrndup(f + start, i - start);
		if (explicit_idx >= 0)
			next = explicit_idx > 0 ? (size_t)explicit_idx - 1 : (size_t)-1;
		if (next >= nargs) {
			hcl_call_error(c, "not enough arguments for \"%s\" at %zu: need index %zu but have %zu total", raw,
				       start, next + 1, nargs);
			free(raw);
			return -1;
		}
		if (!strchr("vtsqdboxXeEfFgG", sp.verb)) {
			hcl_call_error(c, "unsupported format verb '%c' in \"%s\" at offset %zu", sp.verb, raw, start);
			free(raw);
			return -1;
		}
		int rc = format_one(c, &sp, args[next], argbase + (int)next, raw, start, out);
		free(raw);
		if (rc < 0)
			return -1;
		next++;
		if (next > used)
			used = next;
	}
	if (used < nargs) {
		hcl_call_arg_error(c, argbase + (int)used, "too many arguments; only %zu used by format string", used);
		return -1;
	}
	return 0;
}

static struct hcl_value *f_format(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (!hcl_is_wholly_known(a[i]))
			return hcl_unknown(HCL_T_STRING);
	struct buf b = BUF_INIT;
	if (do_format(c, hcl_str(a[0]), hcl_str_len(a[0]), a + 1, n - 1, 1, &b) < 0) {
		buf_free(&b);
		return NULL;
	}
	return str_result(&b);
}

static struct hcl_value *f_formatlist(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	long iterlen = -1;
	size_t lenarg = 0;
	for (size_t i = 1; i < n; i++) {
		struct hcl_value *v = a[i];
		if (v->null || !hcl_is_sequence(v))
			continue;
		if (v->unknown)
			return hcl_unknown(hcl_type_list(HCL_T_STRING));
		long l = (long)hcl_len(v);
		if (iterlen < 0) {
			iterlen = l;
			lenarg = i;
		} else if (l != iterlen) {
			return hcl_call_arg_error(c, (int)i,
						  "argument %zu has length %ld, which is inconsistent with argument %zu of length %ld",
						  i, l, lenarg, iterlen);
		}
	}
	if (iterlen < 0)
		iterlen = 1;
	struct hcl_vec out = HCL_VEC_INIT;
	struct hcl_value **row = xcalloc(n, sizeof(*row));
	for (long k = 0; k < iterlen; k++) {
		for (size_t i = 1; i < n; i++) {
			struct hcl_value *v = a[i];
			row[i - 1] = (!v->null && hcl_is_sequence(v)) ? hcl_elem(v, (size_t)k) : v;
		}
		bool unknown = false;
		for (size_t i = 0; i + 1 < n; i++)
			if (!hcl_is_wholly_known(row[i]))
				unknown = true;
		if (unknown) {
			hcl_vec_push(&out, hcl_unknown(HCL_T_STRING));
			continue;
		}
		struct buf b = BUF_INIT;
		if (do_format(c, hcl_str(a[0]), hcl_str_len(a[0]), row, n - 1, 1, &b) < 0) {
			buf_free(&b);
			free(row);
			hcl_vec_free(&out);
			return NULL;
		}
		hcl_vec_push(&out, str_result(&b));
	}
	free(row);
	return hcl_vec_to_list(&out, HCL_T_STRING);
}

static const struct hcl_param p_str[] = {P("str", "string"), {NULL, NULL, 0}};
static const struct hcl_param p_string[] = {P("string", "string"), {NULL, NULL, 0}};

const struct hcl_func hcl_funcs_string[] = {
	{"chomp", p_str, NULL, "string", f_chomp, "Remove trailing newline characters."},
	{"format", (const struct hcl_param[]){P("format", "string"), {NULL, NULL, 0}},
	 &(const struct hcl_param){"args", "any", HCL_PARAM_ALLOW_NULL | HCL_PARAM_ALLOW_UNKNOWN}, "string", f_format,
	 "Format values like printf."},
	{"formatlist", (const struct hcl_param[]){P("format", "string"), {NULL, NULL, 0}},
	 &(const struct hcl_param){"args", "any", HCL_PARAM_ALLOW_NULL | HCL_PARAM_ALLOW_UNKNOWN}, "list(string)",
	 f_formatlist, "Format each element of lists like printf."},
	{"indent", (const struct hcl_param[]){P("spaces", "number"), P("str", "string"), {NULL, NULL, 0}}, NULL,
	 "string", f_indent, "Indent every line but the first."},
	{"join", (const struct hcl_param[]){P("separator", "string"), {NULL, NULL, 0}},
	 &(const struct hcl_param){"lists", "list(string)", 0}, "string", f_join, "Join lists of strings."},
	{"lower", p_str, NULL, "string", f_lower, "Lower-case a string."},
	{"upper", p_str, NULL, "string", f_upper, "Upper-case a string."},
	{"title", p_str, NULL, "string", f_title, "Capitalise each word."},
	{"regex", (const struct hcl_param[]){P("pattern", "string"), P("string", "string"), {NULL, NULL, 0}}, NULL,
	 NULL, f_regex, "The first match of a regular expression."},
	{"regexall", (const struct hcl_param[]){P("pattern", "string"), P("string", "string"), {NULL, NULL, 0}},
	 NULL, NULL, f_regexall, "Every match of a regular expression."},
	{"regex_replace",
	 (const struct hcl_param[]){P("str", "string"), P("substr", "string"), P("replace", "string"), {NULL, NULL, 0}},
	 NULL, "string", f_regex_replace, "Replace regular-expression matches."},
	{"replace",
	 (const struct hcl_param[]){P("str", "string"), P("substr", "string"), P("replace", "string"), {NULL, NULL, 0}},
	 NULL, "string", f_replace, "Replace every occurrence of a substring (plain text, as Packer 1.6.6)."},
	{"split", (const struct hcl_param[]){P("separator", "string"), P("str", "string"), {NULL, NULL, 0}}, NULL,
	 "list(string)", f_split, "Split a string at a separator."},
	{"strrev", p_str, NULL, "string", f_strrev, "Reverse a string."},
	{"substr", (const struct hcl_param[]){P("str", "string"), P("offset", "number"), P("length", "number"), {NULL, NULL, 0}},
	 NULL, "string", f_substr, "A substring by offset and length."},
	{"trim", (const struct hcl_param[]){P("str", "string"), P("cutset", "string"), {NULL, NULL, 0}}, NULL,
	 "string", f_trim, "Remove characters from both ends."},
	{"trimprefix", (const struct hcl_param[]){P("str", "string"), P("prefix", "string"), {NULL, NULL, 0}}, NULL,
	 "string", f_trimprefix, "Remove a prefix."},
	{"trimsuffix", (const struct hcl_param[]){P("str", "string"), P("suffix", "string"), {NULL, NULL, 0}}, NULL,
	 "string", f_trimsuffix, "Remove a suffix."},
	{"trimspace", p_str, NULL, "string", f_trimspace, "Remove surrounding whitespace."},
	{"strcontains", (const struct hcl_param[]){P("str", "string"), P("substr", "string"), {NULL, NULL, 0}}, NULL,
	 "bool", f_strcontains, "Whether a string contains another."},
	{"startswith", (const struct hcl_param[]){P("str", "string"), P("prefix", "string"), {NULL, NULL, 0}}, NULL,
	 "bool", f_startswith, "Whether a string starts with a prefix."},
	{"endswith", (const struct hcl_param[]){P("str", "string"), P("suffix", "string"), {NULL, NULL, 0}}, NULL,
	 "bool", f_endswith, "Whether a string ends with a suffix."},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};

/* silence "unused" for the shared single-parameter table when a group does not use it */
static const struct hcl_param *const unused_string_params __attribute__((unused)) = p_string;
