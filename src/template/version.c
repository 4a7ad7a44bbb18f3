/* version.c — Go-style version constraints as Packer reads them (hashicorp/go-version):
 * comma-separated terms of an operator (=, !=, >, >=, <, <=, ~>) and a version such as "1.7", "v1",
 * "1.10.0-beta1". A version without a prerelease never matches a constraint with one unless equal. */
#include "template/template.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

struct ver {
	long seg[3];
	int nseg;            /* segments written (1..3), for ~> */
	char pre[64];        /* prerelease, "" when none */
};

/* "v1.2.3-beta+meta" */
static int parse_version(const char *s, struct ver *v, char **why)
{
	memset(v, 0, sizeof *v);
	const char *p = s;
	while (*p == ' ')
		p++;
	if (*p == 'v')
		p++;
	for (;;) {
		if (!isdigit((unsigned char)*p)) {
			*why = xasprintf("\"%s\" is not a version number", s);
			return -1;
		}
		char *end;
		long n = strtol(p, &end, 10);
		if (v->nseg < 3)
			v->seg[v->nseg] = n;
		v->nseg++;
		p = end;
		if (*p != '.')
			break;
		p++;
	}
	if (v->nseg > 3)
		v->nseg = 3;
	if (*p == '-') {
		p++;
		size_t n = strcspn(p, "+ ");
		if (n == 0 || n >= sizeof v->pre) {
			*why = xasprintf("\"%s\" has an invalid prerelease part", s);
			return -1;
		}
		memcpy(v->pre, p, n);
		v->pre[n] = '\0';
		p += n;
	}
	if (*p == '+')
		p += strcspn(p, " ");
	while (*p == ' ')
		p++;
	if (*p) {
		*why = xasprintf("\"%s\" is not a version number", s);
		return -1;
	}
	return 0;
}

/* Compare prerelease strings as semver does: dot-separated, numeric parts numerically. */
static int cmp_pre(const char *a, const char *b)
{
	if (!*a && !*b)
		return 0;
	if (!*a)
		return 1;  /* a release sorts after its prereleases */
	if (!*b)
		return -1;
	while (*a && *b) {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		bool na = la > 0, nb = lb > 0;
		for (size_t i = 0; i < la; i++)
			na = na && isdigit((unsigned char)a[i]);
		for (size_t i = 0; i < lb; i++)
			nb = nb && isdigit((unsigned char)b[i]);
		int c;
		if (na && nb) {
			long x = strtol(a, NULL, 10), y = strtol(b, NULL, 10);
			c = x < y ? -1 : x > y;
		} else if (na || nb) {
			c = na ? -1 : 1;
		} else {
			size_t m = la < lb ? la : lb;
			c = strncmp(a, b, m);
			if (c == 0)
				c = la < lb ? -1 : la > lb;
			c = c < 0 ? -1 : c > 0;
		}
		if (c)
			return c;
		a += la + (a[la] == '.');
		b += lb + (b[lb] == '.');
	}
	return *a ? 1 : *b ? -1 : 0;
}

static int cmp_ver(const struct ver *a, const struct ver *b)
{
	for (int i = 0; i < 3; i++)
		if (a->seg[i] != b->seg[i])
			return a->seg[i] < b->seg[i] ? -1 : 1;
	return cmp_pre(a->pre, b->pre);
}

static bool term_ok(const char *op, const struct ver *c, const struct ver *v)
{
	/* a prerelease only satisfies constraints that name a prerelease of the same version */
	if (*v->pre && (!*c->pre || c->seg[0] != v->seg[0] || c->seg[1] != v->seg[1] || c->seg[2] != v->seg[2]))
		return false;
	int r = cmp_ver(v, c);
	if (strcmp(op, "=") == 0 || *op == '\0')
		return r == 0;
	if (strcmp(op, "!=") == 0)
		return r != 0;
	if (strcmp(op, ">") == 0)
		return r > 0;
	if (strcmp(op, ">=") == 0)
		return r >= 0;
	if (strcmp(op, "<") == 0)
		return r < 0;
	if (strcmp(op, "<=") == 0)
		return r <= 0;
	/* ~> 1.2 means >= 1.2, < 2.0; ~> 1.2.3 means >= 1.2.3, < 1.3.0 */
	if (r < 0)
		return false;
	int fixed = c->nseg > 1 ? c->nseg - 1 : 1;
	for (int i = 0; i < fixed; i++)
		if (v->seg[i] != c->seg[i])
			return false;
	return true;
}

int tmpl_version_satisfies(const char *constraint, const char *version, char **why)
{
	struct ver v;
	char *dummy = NULL;
	if (!why)
		why = &dummy;
	*why = NULL;
	if (parse_version(version, &v, why) < 0)
		return -1;
	char *copy = xstrdup(constraint);
	int result = 1;
	bool any = false;
	char *save = NULL;
	for (char *term = strtok_r(copy, ",", &save); term; term = strtok_r(NULL, ",", &save)) {
		while (*term == ' ')
			term++;
		char op[3] = "";
		size_t ol = 0;
		while (ol < 2 && strchr("=!<>~", term[ol])) {
			op[ol] = term[ol];
			ol++;
		}
		op[ol] = '\0';
		if (ol && strcmp(op, "=") && strcmp(op, "!=") && strcmp(op, ">") && strcmp(op, ">=") &&
		    strcmp(op, "<") && strcmp(op, "<=") && strcmp(op, "~>")) {
			*why = xasprintf("\"%s\" is not a constraint operator", op);
			result = -1;
			break;
		}
		struct ver c;
		if (parse_version(term + ol, &c, why) < 0) {
			result = -1;
			break;
		}
		any = true;
		if (result == 1 && !term_ok(op, &c, &v))
			result = 0;
	}
	if (result >= 0 && !any) {
		*why = xstrdup("the constraint is empty");
		result = -1;
	}
	free(copy);
	free(dummy);
	return result;
}

int tmpl_version_compare(const char *a, const char *b, int *cmp)
{
	struct ver va, vb;
	char *why = NULL;
	if (parse_version(a, &va, &why) < 0 || parse_version(b, &vb, &why) < 0) {
		free(why);
		return -1;
	}
	*cmp = cmp_ver(&va, &vb);
	return 0;
}
