/* version.c — Packer's versions and version constraints (hashicorp/go-version's grammar and
 * comparison rules, quirks included, so that a constraint means in kiln what it means in Packer).
 * Notes on the grammar and the prerelease rules are in version.h. */
#include "util/version.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

/* ------------------------------------------------------------------------------------------------
 * Versions */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* the characters of a prerelease or metadata identifier: [0-9A-Za-z-~] */
static bool is_ident(char c)
{
	return is_digit(c) || is_alpha(c) || c == '-' || c == '~';
}

/* Go's \s in RE2: [\t\n\f\r ] */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* Length of an identifier with dotted parts, X[0-9A-Za-z-~]*(\.[0-9A-Za-z-~]+)*, in s[..end), where
 * the caller has checked that s[0] may start it. */
static size_t ident_len(const char *s, const char *end)
{
	size_t n = 1, max = (size_t)(end - s);
	while (n < max && is_ident(s[n]))
		n++;
	while (n + 1 < max && s[n] == '.' && is_ident(s[n + 1])) {
		n += 2;
		while (n < max && is_ident(s[n]))
			n++;
	}
	return n;
}

/* A decimal integer that fits int64 (Go's strconv.ParseInt(s, 10, 64): optional sign, digits). */
static bool parse_int64(const char *s, size_t len, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (len && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len)
		return false;
	uint64_t n = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		if (!is_digit(s[i]))
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (n > (limit - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*out = neg ? (int64_t)(0 - n) : (int64_t)n;
	return true;
}

/* Parse text[0..len). Returns 0, or -1 when it is not a version; *too_large then points at a segment
 * that does not fit (or is NULL). */
static int parse(const char *text, size_t len, struct version *out, const char **too_large, size_t *too_large_len)
{
	const char *p = text, *end = text + len;
	*too_large = NULL;
	if (p < end && *p == 'v')
		p++;
	if (p == end || !is_digit(*p))
		return -1;
	size_t cap = 0;
	for (;;) {
		size_t n = 0;
		while (p + n < end && is_digit(p[n]))
			n++;
		int64_t value;
		if (!parse_int64(p, n, &value)) {
			*too_large = p;
			*too_large_len = n;
			return -1;
		}
		out->seg = xgrow(out->seg, &cap, out->nseg + 1, sizeof *out->seg);
		out->seg[out->nseg++] = value;
		p += n;
		if (end - p < 2 || p[0] != '.' || !is_digit(p[1]))
			break;
		p++;
	}
	out->written = out->nseg;
	while (out->nseg < 3) {
		out->seg = xgrow(out->seg, &cap, out->nseg + 1, sizeof *out->seg);
		out->seg[out->nseg++] = 0;
	}
	/* The prerelease: "-" and an identifier ("-rc1", "-5"), or an identifier starting with a letter,
	 * "-" or "~" right after the numbers ("rc2" in "1.7rc2"); a "-" followed by neither is itself
	 * the prerelease, as go-version's expression has it. */
	const char *pre = p;
	size_t plen = 0;
	if (p < end && p[0] == '-' && p + 1 < end && is_ident(p[1])) {
		pre = p + 1;
		plen = ident_len(pre, end);
	} else if (p < end && (p[0] == '-' || is_alpha(p[0]) || p[0] == '~')) {
		plen = ident_len(p, end);
	}
	out->pre = xstrndup(pre, plen);
	p = pre + plen;
	const char *meta = p;
	size_t mlen = 0;
	if (p < end && p[0] == '+' && p + 1 < end && is_ident(p[1])) {
		meta = p + 1;
		mlen = ident_len(meta, end);
	}
	out->meta = xstrndup(meta, mlen);
	p = meta + mlen;
	return p == end ? 0 : -1;
}

int version_parse(const char *text, struct version *out, struct kiln_error *err)
{
	version_free(out);
	const char *big;
	size_t biglen;
	if (parse(text, strlen(text), out, &big, &biglen) == 0)
		return 0;
	if (big)
		err_set_kind(err, ERR_INVALID, "\"%s\" is not a version: %.*s is too large a number", text,
			     (int)biglen, big);
	else
		err_set_kind(err, ERR_INVALID, "\"%s\" is not a version", text);
	err_hint(err, "A version is numbers separated by dots, optionally with a prerelease and build "
		      "metadata: 1.2.3, v1.2, 1.2.3-beta.1+build.5.");
	return -1;
}

void version_free(struct version *v)
{
	if (!v)
		return;
	free(v->seg);
	free(v->pre);
	free(v->meta);
	*v = (struct version)VERSION_INIT;
}

char *version_string(const struct version *v)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < v->nseg; i++)
		buf_printf(&b, "%s%lld", i ? "." : "", (long long)v->seg[i]);
	if (v->pre && *v->pre)
		buf_printf(&b, "-%s", v->pre);
	if (v->meta && *v->meta)
		buf_printf(&b, "+%s", v->meta);
	return buf_detach(&b);
}

static bool equal_segments(const struct version *a, const struct version *b)
{
	if (a->nseg != b->nseg)
		return false;
	for (size_t i = 0; i < a->nseg; i++)
		if (a->seg[i] != b->seg[i])
			return false;
	return true;
}

/* One dot-separated part of two prereleases (go-version's comparePart, including that two numeric
 * parts that differ only in leading zeros compare as "less" both ways). */
static int compare_part(const char *a, size_t la, const char *b, size_t lb)
{
	if (la == lb && memcmp(a, b, la) == 0)
		return 0;
	int64_t ia = 0, ib = 0;
	bool na = parse_int64(a, la, &ia), nb = parse_int64(b, lb, &ib);
	if (la == 0)
		return nb ? -1 : 1;
	if (lb == 0)
		return na ? 1 : -1;
	if (na && !nb)
		return -1;
	if (!na && nb)
		return 1;
	if (!na && !nb) {
		int c = memcmp(a, b, la < lb ? la : lb);
		if (c > 0 || (c == 0 && la > lb))
			return 1;
		return -1;
	}
	return ia > ib ? 1 : -1;
}

static int compare_prereleases(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return 0;
	while (*a || *b) {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		int c = compare_part(a, la, b, lb);
		if (c)
			return c;
		a += la + (a[la] == '.');
		b += lb + (b[lb] == '.');
	}
	return 0;
}

static bool all_zero(const int64_t *s, size_t from, size_t n)
{
	for (size_t i = from; i < n; i++)
		if (s[i])
			return false;
	return true;
}

int version_compare(const struct version *a, const struct version *b)
{
	if (equal_segments(a, b)) {
		bool pa = *a->pre, pb = *b->pre;
		if (!pa && !pb)
			return 0;
		if (!pa)
			return 1;
		if (!pb)
			return -1;
		return compare_prereleases(a->pre, b->pre);
	}
	/* Segments of different lengths compare as if padded with zeros; prereleases are then not
	 * looked at (go-version does the same). */
	size_t n = a->nseg > b->nseg ? a->nseg : b->nseg;
	for (size_t i = 0; i < n; i++) {
		if (i >= a->nseg)
			return all_zero(b->seg, i, b->nseg) ? 0 : -1;
		if (i >= b->nseg)
			return all_zero(a->seg, i, a->nseg) ? 0 : 1;
		if (a->seg[i] != b->seg[i])
			return a->seg[i] < b->seg[i] ? -1 : 1;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------------
 * Constraints */

static const struct {
	const char *text;
	enum version_op op;
} operators[] = {
	/* two-character operators first, as go-version's alternation has them */
	{"<=", VERSION_OP_LE}, {">=", VERSION_OP_GE}, {"!=", VERSION_OP_NE}, {"~>", VERSION_OP_PESSIMISTIC},
	{"<", VERSION_OP_LT},  {">", VERSION_OP_GT},  {"=", VERSION_OP_EQ},
};

static int parse_term(const char *whole, const char *s, size_t len, struct version_term *t, struct kiln_error *err)
{
	size_t i = 0;
	while (i < len && is_space(s[i]))
		i++;
	size_t end = len;
	while (end > i && is_space(s[end - 1]))
		end--;
	const char *trimmed = s + i;
	size_t tlen = end - i;
	t->text = xstrndup(trimmed, tlen);
	t->op = VERSION_OP_EQ;
	for (size_t k = 0; k < sizeof operators / sizeof operators[0]; k++) {
		size_t ol = strlen(operators[k].text);
		if (end - i >= ol && memcmp(s + i, operators[k].text, ol) == 0) {
			t->op = operators[k].op;
			i += ol;
			break;
		}
	}
	while (i < end && is_space(s[i]))
		i++;
	const char *big = NULL;
	size_t biglen = 0;
	if (i < end && parse(s + i, end - i, &t->v, &big, &biglen) == 0)
		return 0;
	if (big)
		err_set_kind(err, ERR_INVALID, "\"%s\" is not a version constraint: %.*s is too large a number",
			     t->text, (int)biglen, big);
	else if (tlen == 0)
		err_set_kind(err, ERR_INVALID, "\"%s\" is not a version constraint: %s", whole,
			     *whole ? "it has an empty term" : "it is empty");
	else
		err_set_kind(err, ERR_INVALID, "\"%s\" is not a version constraint", t->text);
	err_hint(err, "A constraint is one or more terms separated by commas, each an operator (=, !=, >, "
		      ">=, <, <=, ~>) and a version: \">= 1.2.0, < 2.0.0\", \"~> 1.4\".");
	return -1;
}

int version_constraints_parse(const char *text, struct version_constraints *out, struct kiln_error *err)
{
	version_constraints_free(out);
	const char *p = text;
	for (;;) {
		size_t len = strcspn(p, ",");
		out->terms = xrealloc(out->terms, (out->n + 1) * sizeof *out->terms);
		struct version_term *t = &out->terms[out->n++];
		memset(t, 0, sizeof *t);
		if (parse_term(text, p, len, t, err) < 0)
			return -1;
		if (!p[len])
			break;
		p += len + 1;
	}
	return 0;
}

void version_constraints_free(struct version_constraints *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		version_free(&c->terms[i].v);
		free(c->terms[i].text);
	}
	free(c->terms);
	*c = (struct version_constraints)VERSION_CONSTRAINTS_INIT;
}

/* A prerelease version only satisfies an ordering term that names a prerelease of the same
 * segments; a release satisfies any. */
static bool prerelease_ok(const struct version *v, const struct version *c)
{
	bool vp = *v->pre, cp = *c->pre;
	if (vp && cp)
		return equal_segments(v, c);
	return !vp;
}

static bool pessimistic(const struct version *v, const struct version *c)
{
	if (!prerelease_ok(v, c) || (*c->pre && !*v->pre))
		return false;
	if (version_compare(v, c) < 0)
		return false;
	size_t cs = c->nseg;
	if (cs > v->nseg)
		return false;
	/* every segment written before the last must be equal; the last may grow */
	for (size_t i = 0; i + 1 < c->written; i++)
		if (v->seg[i] != c->seg[i])
			return false;
	return c->seg[cs - 1] <= v->seg[cs - 1];
}

bool version_term_check(const struct version_term *t, const struct version *v)
{
	const struct version *c = &t->v;
	switch (t->op) {
	case VERSION_OP_EQ:
		return version_compare(v, c) == 0;
	case VERSION_OP_NE:
		return version_compare(v, c) != 0;
	case VERSION_OP_GT:
		return prerelease_ok(v, c) && version_compare(v, c) > 0;
	case VERSION_OP_GE:
		return prerelease_ok(v, c) && version_compare(v, c) >= 0;
	case VERSION_OP_LT:
		return prerelease_ok(v, c) && version_compare(v, c) < 0;
	case VERSION_OP_LE:
		return prerelease_ok(v, c) && version_compare(v, c) <= 0;
	case VERSION_OP_PESSIMISTIC:
		return pessimistic(v, c);
	}
	return false;
}

const struct version_term *version_constraints_failing(const struct version_constraints *c,
						       const struct version *v)
{
	for (size_t i = 0; i < c->n; i++)
		if (!version_term_check(&c->terms[i], v))
			return &c->terms[i];
	return NULL;
}

bool version_constraints_check(const struct version_constraints *c, const struct version *v)
{
	return version_constraints_failing(c, v) == NULL;
}

int version_satisfies(const char *constraints, const char *version, struct kiln_error *err)
{
	struct version_constraints c = VERSION_CONSTRAINTS_INIT;
	struct version v = VERSION_INIT;
	int rc = -1;
	if (version_constraints_parse(constraints, &c, err) < 0 || version_parse(version, &v, err) < 0)
		goto out;
	rc = version_constraints_check(&c, &v) ? 1 : 0;
out:
	version_free(&v);
	version_constraints_free(&c);
	return rc;
}
