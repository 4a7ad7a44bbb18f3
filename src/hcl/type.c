/* type.c — HCL/cty types: the static primitives, collection and structural constructors, equality,
 * cty's friendly names, and type-constraint expressions read from text ("list(map(string))",
 * "object({ a = optional(number, 1) })"), as component schemas declare them. */
#include "hcl/value.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

struct hcl_type hcl_type_string = {.refs = -1, .kind = HCL_STRING};
struct hcl_type hcl_type_number = {.refs = -1, .kind = HCL_NUMBER};
struct hcl_type hcl_type_bool = {.refs = -1, .kind = HCL_BOOL};
struct hcl_type hcl_type_dynamic = {.refs = -1, .kind = HCL_DYNAMIC};

struct hcl_type *hcl_type_ref(struct hcl_type *t)
{
	if (t && t->refs >= 0)
		__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	return t;
}

void hcl_type_unref(struct hcl_type *t)
{
	if (!t || t->refs < 0 || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	hcl_type_unref(t->elem);
	for (size_t i = 0; i < t->n; i++) {
		hcl_type_unref(t->elems[i]);
		if (t->names)
			free(t->names[i]);
		if (t->defaults)
			hcl_value_unref(t->defaults[i]);
	}
	free(t->elems);
	free(t->names);
	free(t->optional);
	free(t->defaults);
	free(t);
}

static struct hcl_type *type_alloc(enum hcl_kind kind)
{
	struct hcl_type *t = xcalloc(1, sizeof(*t));
	t->refs = 1;
	t->kind = kind;
	return t;
}

static struct hcl_type *collection_type(enum hcl_kind kind, struct hcl_type *elem)
{
	struct hcl_type *t = type_alloc(kind);
	t->elem = elem;
	return t;
}

struct hcl_type *hcl_type_list(struct hcl_type *elem)
{
	return collection_type(HCL_LIST, elem);
}

struct hcl_type *hcl_type_set(struct hcl_type *elem)
{
	return collection_type(HCL_SET, elem);
}

struct hcl_type *hcl_type_map(struct hcl_type *elem)
{
	return collection_type(HCL_MAP, elem);
}

struct hcl_type *hcl_type_tuple(struct hcl_type **elems, size_t n)
{
	struct hcl_type *t = type_alloc(HCL_TUPLE);
	t->n = n;
	t->elems = xcalloc(n ? n : 1, sizeof(*t->elems));
	for (size_t i = 0; i < n; i++)
		t->elems[i] = elems[i];
	return t;
}

struct attr_sort {
	const char *name;
	struct hcl_type *type;
	bool opt;
	size_t order;
};

static int cmp_attr(const void *a, const void *b)
{
	const struct attr_sort *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

struct hcl_type *hcl_type_object(const char *const *names, struct hcl_type **types, size_t n,
				 const bool *optional)
{
	struct hcl_type *t = type_alloc(HCL_OBJECT);
	struct attr_sort *as = xcalloc(n ? n : 1, sizeof(*as));
	for (size_t i = 0; i < n; i++)
		as[i] = (struct attr_sort){names[i], types[i], optional ? optional[i] : false, i};
	qsort(as, n, sizeof(*as), cmp_attr);
	t->elems = xcalloc(n ? n : 1, sizeof(*t->elems));
	t->names = xcalloc(n ? n : 1, sizeof(*t->names));
	bool anyopt = false;
	for (size_t i = 0; i < n; i++)
		anyopt |= as[i].opt;
	if (anyopt)
		t->optional = xcalloc(n, sizeof(*t->optional));
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && strcmp(as[i].name, as[i + 1].name) == 0) {
			hcl_type_unref(as[i].type);
			continue;
		}
		t->names[out] = xstrdup(as[i].name);
		t->elems[out] = as[i].type;
		if (t->optional)
			t->optional[out] = as[i].opt;
		out++;
	}
	t->n = out;
	free(as);
	return t;
}

bool hcl_type_equal(const struct hcl_type *a, const struct hcl_type *b)
{
	if (a == b)
		return true;
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case HCL_LIST: case HCL_SET: case HCL_MAP:
		return hcl_type_equal(a->elem, b->elem);
	case HCL_TUPLE: case HCL_OBJECT:
		if (a->n != b->n)
			return false;
		for (size_t i = 0; i < a->n; i++) {
			if (a->names && strcmp(a->names[i], b->names[i]) != 0)
				return false;
			if (!hcl_type_equal(a->elems[i], b->elems[i]))
				return false;
			bool oa = a->optional && a->optional[i], ob = b->optional && b->optional[i];
			if (oa != ob)
				return false;
		}
		return true;
	default:
		return true;
	}
}

bool hcl_type_is_primitive(const struct hcl_type *t)
{
	return t->kind == HCL_STRING || t->kind == HCL_NUMBER || t->kind == HCL_BOOL;
}

bool hcl_type_is_collection(const struct hcl_type *t)
{
	return t->kind == HCL_LIST || t->kind == HCL_SET || t->kind == HCL_MAP;
}

bool hcl_type_has_dynamic(const struct hcl_type *t)
{
	switch (t->kind) {
	case HCL_DYNAMIC:
		return true;
	case HCL_LIST: case HCL_SET: case HCL_MAP:
		return hcl_type_has_dynamic(t->elem);
	case HCL_TUPLE: case HCL_OBJECT:
		for (size_t i = 0; i < t->n; i++)
			if (hcl_type_has_dynamic(t->elems[i]))
				return true;
		return false;
	default:
		return false;
	}
}

int hcl_type_attr_index(const struct hcl_type *t, const char *name)
{
	if (t->kind != HCL_OBJECT)
		return -1;
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(t->names[mid], name);
		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void hcl_type_friendly(const struct hcl_type *t, bool constraint, struct buf *out)
{
	switch (t->kind) {
	case HCL_DYNAMIC:
		buf_puts(out, constraint ? "any type" : "dynamic");
		return;
	case HCL_STRING:
		buf_puts(out, "string");
		return;
	case HCL_NUMBER:
		buf_puts(out, "number");
		return;
	case HCL_BOOL:
		buf_puts(out, "bool");
		return;
	case HCL_LIST:
		buf_puts(out, "list of ");
		hcl_type_friendly(t->elem, constraint, out);
		return;
	case HCL_SET:
		buf_puts(out, "set of ");
		hcl_type_friendly(t->elem, constraint, out);
		return;
	case HCL_MAP:
		buf_puts(out, "map of ");
		hcl_type_friendly(t->elem, constraint, out);
		return;
	case HCL_TUPLE:
		buf_puts(out, "tuple");
		return;
	case HCL_OBJECT:
		buf_puts(out, "object");
		return;
	}
}

char *hcl_type_friendly_name(const struct hcl_type *t)
{
	struct buf b = BUF_INIT;
	hcl_type_friendly(t, false, &b);
	return buf_detach(&b);
}

void hcl_type_format(const struct hcl_type *t, struct buf *out)
{
	switch (t->kind) {
	case HCL_DYNAMIC: buf_puts(out, "any"); return;
	case HCL_STRING: buf_puts(out, "string"); return;
	case HCL_NUMBER: buf_puts(out, "number"); return;
	case HCL_BOOL: buf_puts(out, "bool"); return;
	case HCL_LIST: case HCL_SET: case HCL_MAP:
		buf_puts(out, t->kind == HCL_LIST ? "list(" : t->kind == HCL_SET ? "set(" : "map(");
		hcl_type_format(t->elem, out);
		buf_putc(out, ')');
		return;
	case HCL_TUPLE:
		buf_puts(out, "tuple([");
		for (size_t i = 0; i < t->n; i++) {
			if (i)
				buf_puts(out, ", ");
			hcl_type_format(t->elems[i], out);
		}
		buf_puts(out, "])");
		return;
	case HCL_OBJECT:
		buf_puts(out, "object({");
		for (size_t i = 0; i < t->n; i++) {
			if (i)
				buf_puts(out, ", ");
			buf_printf(out, "%s=", t->names[i]);
			bool opt = t->optional && t->optional[i];
			if (opt)
				buf_puts(out, "optional(");
			hcl_type_format(t->elems[i], out);
			if (opt && t->defaults && t->defaults[i]) {
				buf_puts(out, ", ");
				hcl_value_format_expr(t->defaults[i], out);
			}
			if (opt)
				buf_putc(out, ')');
		}
		buf_puts(out, "})");
		return;
	}
}

char *hcl_type_to_string(const struct hcl_type *t)
{
	struct buf b = BUF_INIT;
	hcl_type_format(t, &b);
	return buf_detach(&b);
}

/* ---- parsing type constraints from text ---- */

struct tparse {
	const char *s;
	size_t pos;
	char *err;
};

static void tp_ws(struct tparse *p)
{
	while (p->s[p->pos] && isspace((unsigned char)p->s[p->pos]))
		p->pos++;
}

static bool tp_eat(struct tparse *p, char c)
{
	tp_ws(p);
	if (p->s[p->pos] == c) {
		p->pos++;
		return true;
	}
	return false;
}

static char *tp_ident(struct tparse *p)
{
	tp_ws(p);
	size_t start = p->pos;
	while (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '_' || p->s[p->pos] == '-')
		p->pos++;
	if (p->pos == start)
		return NULL;
	return xstrndup(p->s + start, p->pos - start);
}

static void tp_fail(struct tparse *p, const char *msg)
{
	if (!p->err)
		p->err = xasprintf("%s (at offset %zu of \"%s\")", msg, p->pos, p->s);
}

static struct hcl_type *tp_type(struct tparse *p, bool *optional);

static struct hcl_type *tp_type_plain(struct tparse *p)
{
	bool opt = false;
	struct hcl_type *t = tp_type(p, &opt);
	if (t && opt) {
		tp_fail(p, "optional() is only allowed for object attributes");
		hcl_type_unref(t);
		return NULL;
	}
	return t;
}

/* "(TYPE)", as after list, set, map and optional; no_open and no_close say what is wrong when a
 * parenthesis is missing. */
static struct hcl_type *tp_type_in_parens(struct tparse *p, const char *no_open, const char *no_close)
{
	if (!tp_eat(p, '(')) {
		tp_fail(p, no_open);
		return NULL;
	}
	struct hcl_type *t = tp_type_plain(p);
	if (t && !tp_eat(p, ')')) {
		hcl_type_unref(t);
		tp_fail(p, no_close);
		return NULL;
	}
	return t;
}

/* The ")" that ends tuple([...]) or object({...}). False when it is missing or the list before it was
 * malformed (ok false): the n types read are released then. */
static bool tp_close_type_list(struct tparse *p, bool ok, struct hcl_type **types, size_t n)
{
	if (ok && !tp_eat(p, ')')) {
		tp_fail(p, "expected ')'");
		ok = false;
	}
	if (!ok)
		for (size_t i = 0; i < n; i++)
			hcl_type_unref(types[i]);
	return ok;
}

static struct hcl_type *tp_type(struct tparse *p, bool *optional)
{
	char *id = tp_ident(p);
	struct hcl_type *t = NULL;
	if (!id) {
		tp_fail(p, "a type specification is required");
		return NULL;
	}
	if (strcmp(id, "string") == 0) {
		t = HCL_T_STRING;
	} else if (strcmp(id, "number") == 0) {
		t = HCL_T_NUMBER;
	} else if (strcmp(id, "bool") == 0) {
		t = HCL_T_BOOL;
	} else if (strcmp(id, "any") == 0) {
		t = HCL_T_DYNAMIC;
	} else if (strcmp(id, "list") == 0 || strcmp(id, "set") == 0 || strcmp(id, "map") == 0) {
		struct hcl_type *e = tp_type_in_parens(
			p, "the element type must be given in parentheses, like list(string)", "expected ')'");
		if (!e)
			goto out;
		t = id[0] == 'l' ? hcl_type_list(e) : id[0] == 's' ? hcl_type_set(e) : hcl_type_map(e);
	} else if (strcmp(id, "tuple") == 0) {
		if (!tp_eat(p, '(') || !tp_eat(p, '[')) {
			tp_fail(p, "tuple element types must be given as a list, like tuple([string, number])");
			goto out;
		}
		struct hcl_type **elems = NULL;
		size_t n = 0, cap = 0;
		bool ok = true;
		if (!tp_eat(p, ']')) {
			for (;;) {
				struct hcl_type *e = tp_type_plain(p);
				if (!e) {
					ok = false;
					break;
				}
				elems = xgrow(elems, &cap, n + 1, sizeof(*elems));
				elems[n++] = e;
				if (tp_eat(p, ','))
					continue;
				if (tp_eat(p, ']'))
					break;
				tp_fail(p, "expected ',' or ']'");
				ok = false;
				break;
			}
		}
		if (tp_close_type_list(p, ok, elems, n))
			t = hcl_type_tuple(elems, n);
		free(elems);
	} else if (strcmp(id, "object") == 0) {
		if (!tp_eat(p, '(') || !tp_eat(p, '{')) {
			tp_fail(p, "object attribute types must be given as an object, like object({a=string})");
			goto out;
		}
		struct hcl_type **types = NULL;
		char **names = NULL;
		bool *opts = NULL;
		struct hcl_value **defs = NULL;
		size_t n = 0, cap = 0, cap2 = 0, cap3 = 0, cap4 = 0;
		bool ok = true;
		if (!tp_eat(p, '}')) {
			for (;;) {
				char *name = tp_ident(p);
				if (!name) {
					tp_fail(p, "an attribute name is required");
					ok = false;
					break;
				}
				if (!tp_eat(p, '=') && !tp_eat(p, ':')) {
					free(name);
					tp_fail(p, "expected '=' after the attribute name");
					ok = false;
					break;
				}
				bool opt = false;
				struct hcl_type *e = tp_type(p, &opt);
				if (!e) {
					free(name);
					ok = false;
					break;
				}
				types = xgrow(types, &cap, n + 1, sizeof(*types));
				names = xgrow(names, &cap2, n + 1, sizeof(*names));
				opts = xgrow(opts, &cap3, n + 1, sizeof(*opts));
				defs = xgrow(defs, &cap4, n + 1, sizeof(*defs));
				types[n] = e;
				names[n] = name;
				opts[n] = opt;
				defs[n] = NULL;
				n++;
				if (tp_eat(p, ',') || tp_eat(p, '\n')) {
					if (tp_eat(p, '}'))
						break;
					continue;
				}
				if (tp_eat(p, '}'))
					break;
				tp_ws(p);
				if (p->s[p->pos] && p->s[p->pos] != '}')
					continue; /* newline-separated attributes */
				tp_fail(p, "expected ',' or '}'");
				ok = false;
				break;
			}
		}
		if (tp_close_type_list(p, ok, types, n))
			t = hcl_type_object((const char *const *)names, types, n, opts);
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		free(types);
		free(opts);
		free(defs);
	} else if (strcmp(id, "optional") == 0) {
		if (!optional) {
			tp_fail(p, "optional() is only allowed for object attributes");
			goto out;
		}
		struct hcl_type *e = tp_type_in_parens(
			p, "expected '(' after optional",
			"expected ')' (defaults in optional() are only read from HCL expressions)");
		if (!e)
			goto out;
		*optional = true;
		t = e;
	} else {
		char *msg = xasprintf("The keyword \"%s\" is not a valid type specification", id);
		tp_fail(p, msg);
		free(msg);
	}
out:
	free(id);
	return t;
}

struct hcl_type *hcl_type_parse(const char *text, char **err)
{
	struct tparse p = {text, 0, NULL};
	struct hcl_type *t = tp_type_plain(&p);
	tp_ws(&p);
	if (t && p.s[p.pos]) {
		tp_fail(&p, "unexpected text after the type");
		hcl_type_unref(t);
		t = NULL;
	}
	if (!t) {
		if (err)
			*err = p.err;
		else
			free(p.err);
		return NULL;
	}
	free(p.err);
	return t;
}
