/* value.c — HCL values: construction, reference counting, marks, equality, set ordering and
 * printing (Packer console's layout and HCL expression syntax). Types live in type.c. */
#include "hcl/value.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/lazy_unistring.h"
#include "util/mem.h"

static struct hcl_value *val_alloc(struct hcl_type *t)
{
	struct hcl_value *v = xcalloc(1, sizeof(*v));
	v->refs = 1;
	v->type = t;
	return v;
}

/* Reference counts are atomic: parallel builds share the template's values between threads. */
struct hcl_value *hcl_value_ref(struct hcl_value *v)
{
	if (v)
		__atomic_add_fetch(&v->refs, 1, __ATOMIC_RELAXED);
	return v;
}

static bool val_has_payload(const struct hcl_value *v)
{
	return !v->null && !v->unknown;
}

void hcl_value_unref(struct hcl_value *v)
{
	if (!v || __atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (val_has_payload(v)) {
		switch (v->type->kind) {
		case HCL_NUMBER:
			hcl_num_free(v->u.num);
			break;
		case HCL_STRING:
			free(v->u.str.s);
			break;
		case HCL_LIST: case HCL_SET: case HCL_TUPLE: case HCL_MAP: case HCL_OBJECT:
			for (size_t i = 0; i < v->u.c.n; i++) {
				hcl_value_unref(v->u.c.v[i]);
				if (v->u.c.k)
					free(v->u.c.k[i]);
			}
			free(v->u.c.v);
			free(v->u.c.k);
			break;
		default:
			break;
		}
	}
	hcl_type_unref(v->type);
	free(v);
}

void hcl_value_clear(struct hcl_value **pv)
{
	hcl_value_unref(*pv);
	*pv = NULL;
}

/* cty keeps every string in Unicode NFC (a combining accent and its precomposed form are one
 * string); returns a normalised copy, or NULL when s is ASCII (or not valid UTF-8) and needs none. */
static char *nfc_copy(const char *s, size_t len, size_t *outlen)
{
	bool ascii = true;
	for (size_t i = 0; i < len && ascii; i++)
		ascii = (unsigned char)s[i] < 0x80;
	if (ascii)
		return NULL;
	size_t n = 0;
	uint8_t *norm = u8_normalize(UNINORM_NFC, (const uint8_t *)s, len, NULL, &n);
	if (!norm)
		return NULL;
	if (n == len && memcmp(norm, s, len) == 0) {
		free(norm);
		return NULL;
	}
	char *r = xmalloc(n + 1);
	memcpy(r, norm, n);
	r[n] = '\0';
	free(norm);
	*outlen = n;
	return r;
}

struct hcl_value *hcl_string_n(const char *s, size_t len)
{
	size_t nlen;
	char *norm = nfc_copy(s, len, &nlen);
	if (norm) {
		struct hcl_value *v = val_alloc(HCL_T_STRING);
		v->u.str.s = norm;
		v->u.str.len = nlen;
		return v;
	}
	struct hcl_value *v = val_alloc(HCL_T_STRING);
	v->u.str.s = xmalloc(len + 1);
	memcpy(v->u.str.s, s, len);
	v->u.str.s[len] = '\0';
	v->u.str.len = len;
	return v;
}

struct hcl_value *hcl_string(const char *s)
{
	return hcl_string_n(s, strlen(s));
}

struct hcl_value *hcl_string_own(char *s)
{
	size_t len = strlen(s), nlen;
	char *norm = nfc_copy(s, len, &nlen);
	if (norm) {
		free(s);
		s = norm;
		len = nlen;
	}
	struct hcl_value *v = val_alloc(HCL_T_STRING);
	v->u.str.s = s;
	v->u.str.len = len;
	return v;
}

struct hcl_value *hcl_string_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	return hcl_string_own(s);
}

struct hcl_value *hcl_number(struct hcl_num *n)
{
	struct hcl_value *v = val_alloc(HCL_T_NUMBER);
	v->u.num = n;
	return v;
}

struct hcl_value *hcl_number_int(int64_t i)
{
	return hcl_number(hcl_num_from_int(i));
}

struct hcl_value *hcl_number_double(double d)
{
	return hcl_number(hcl_num_from_double(d));
}

struct hcl_value *hcl_number_parse(const char *s)
{
	struct hcl_num *n = hcl_num_parse(s);
	return n ? hcl_number(n) : NULL;
}

struct hcl_value *hcl_bool(bool b)
{
	struct hcl_value *v = val_alloc(HCL_T_BOOL);
	v->u.b = b;
	return v;
}

struct hcl_value *hcl_null(struct hcl_type *t)
{
	struct hcl_value *v = val_alloc(t);
	v->null = true;
	return v;
}

struct hcl_value *hcl_unknown(struct hcl_type *t)
{
	struct hcl_value *v = val_alloc(t);
	v->unknown = true;
	return v;
}

/* A collection's depth from its elements' (see hcl_depth). */
static void set_depth(struct hcl_value *v)
{
	unsigned d = 0;
	for (size_t i = 0; i < v->u.c.n; i++)
		if (v->u.c.v[i]->depth > d)
			d = v->u.c.v[i]->depth;
	v->depth = (unsigned short)(d < USHRT_MAX ? d + 1 : USHRT_MAX);
}

static struct hcl_value **copy_items(struct hcl_value **items, size_t n)
{
	struct hcl_value **a = xcalloc(n ? n : 1, sizeof(*a));
	if (n)
		memcpy(a, items, n * sizeof(*a));
	return a;
}

struct hcl_value *hcl_list(struct hcl_type *elem_type, struct hcl_value **items, size_t n)
{
	if (!elem_type)
		elem_type = n ? hcl_type_ref(items[0]->type) : HCL_T_DYNAMIC;
	struct hcl_value *v = val_alloc(hcl_type_list(elem_type));
	v->u.c.n = n;
	v->u.c.v = copy_items(items, n);
	set_depth(v);
	return v;
}

static int cmp_values_qsort(const void *a, const void *b)
{
	return hcl_value_compare(*(struct hcl_value *const *)a, *(struct hcl_value *const *)b);
}

struct hcl_value *hcl_set(struct hcl_type *elem_type, struct hcl_value **items, size_t n)
{
	if (!elem_type)
		elem_type = n ? hcl_type_ref(items[0]->type) : HCL_T_DYNAMIC;
	struct hcl_value *v = val_alloc(hcl_type_set(elem_type));
	struct hcl_value **a = copy_items(items, n);
	qsort(a, n, sizeof(*a), cmp_values_qsort);
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		/* unknown elements never compare equal: keep each */
		if (out > 0 && !a[i]->unknown && hcl_value_raw_equal(a[out - 1], a[i]) &&
		    a[out - 1]->marks == a[i]->marks) {
			hcl_value_unref(a[i]);
			continue;
		}
		a[out++] = a[i];
	}
	v->u.c.n = out;
	v->u.c.v = a;
	set_depth(v);
	return v;
}

struct hcl_value *hcl_tuple(struct hcl_value **items, size_t n)
{
	struct hcl_type **ts = xcalloc(n ? n : 1, sizeof(*ts));
	for (size_t i = 0; i < n; i++)
		ts[i] = hcl_type_ref(items[i]->type);
	struct hcl_value *v = val_alloc(hcl_type_tuple(ts, n));
	free(ts);
	v->u.c.n = n;
	v->u.c.v = copy_items(items, n);
	set_depth(v);
	return v;
}

struct kv {
	const char *k;
	struct hcl_value *v;
	size_t order;
};

static int cmp_kv(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int c = strcmp(x->k, y->k);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sort keys, drop duplicates (last wins); fills v->u.c. */
static void fill_keyed(struct hcl_value *v, const char *const *keys, struct hcl_value **vals, size_t n)
{
	struct kv *kvs = xcalloc(n ? n : 1, sizeof(*kvs));
	for (size_t i = 0; i < n; i++)
		kvs[i] = (struct kv){keys[i], vals[i], i};
	qsort(kvs, n, sizeof(*kvs), cmp_kv);
	v->u.c.v = xcalloc(n ? n : 1, sizeof(*v->u.c.v));
	v->u.c.k = xcalloc(n ? n : 1, sizeof(*v->u.c.k));
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && strcmp(kvs[i].k, kvs[i + 1].k) == 0) {
			hcl_value_unref(kvs[i].v);
			continue;
		}
		v->u.c.k[out] = xstrdup(kvs[i].k);
		v->u.c.v[out] = kvs[i].v;
		out++;
	}
	v->u.c.n = out;
	free(kvs);
	set_depth(v);
}

struct hcl_value *hcl_map(struct hcl_type *elem_type, const char *const *keys, struct hcl_value **vals,
			  size_t n)
{
	if (!elem_type)
		elem_type = n ? hcl_type_ref(vals[0]->type) : HCL_T_DYNAMIC;
	struct hcl_value *v = val_alloc(hcl_type_map(elem_type));
	fill_keyed(v, keys, vals, n);
	return v;
}

struct hcl_value *hcl_object(const char *const *keys, struct hcl_value **vals, size_t n)
{
	struct hcl_value *v = val_alloc(NULL);
	fill_keyed(v, keys, vals, n);
	struct hcl_type **ts = xcalloc(v->u.c.n ? v->u.c.n : 1, sizeof(*ts));
	for (size_t i = 0; i < v->u.c.n; i++)
		ts[i] = hcl_type_ref(v->u.c.v[i]->type);
	v->type = hcl_type_object((const char *const *)v->u.c.k, ts, v->u.c.n, NULL);
	free(ts);
	return v;
}

struct hcl_value *hcl_empty_tuple(void)
{
	return hcl_tuple(NULL, 0);
}

struct hcl_value *hcl_empty_object(void)
{
	return hcl_object(NULL, NULL, 0);
}

/* ---- vec ---- */

void hcl_vec_push(struct hcl_vec *vec, struct hcl_value *v)
{
	size_t cap = vec->cap;
	vec->v = xgrow(vec->v, &cap, vec->n + 1, sizeof(*vec->v));
	if (vec->k)
		vec->k = xrealloc(vec->k, cap * sizeof(*vec->k));
	vec->cap = cap;
	if (vec->k)
		vec->k[vec->n] = NULL;
	vec->v[vec->n++] = v;
}

void hcl_vec_push_kv(struct hcl_vec *vec, const char *key, struct hcl_value *v)
{
	if (!vec->k) {
		vec->k = xcalloc(vec->cap ? vec->cap : 1, sizeof(*vec->k));
	}
	hcl_vec_push(vec, v);
	vec->k = xrealloc(vec->k, (vec->cap ? vec->cap : 1) * sizeof(*vec->k));
	vec->k[vec->n - 1] = xstrdup(key);
}

static void vec_reset(struct hcl_vec *vec)
{
	if (vec->k)
		for (size_t i = 0; i < vec->n; i++)
			free(vec->k[i]);
	free(vec->k);
	free(vec->v);
	*vec = (struct hcl_vec)HCL_VEC_INIT;
}

void hcl_vec_free(struct hcl_vec *vec)
{
	for (size_t i = 0; i < vec->n; i++)
		hcl_value_unref(vec->v[i]);
	vec_reset(vec);
}

struct hcl_value *hcl_vec_to_tuple(struct hcl_vec *vec)
{
	struct hcl_value *r = hcl_tuple(vec->v, vec->n);
	vec_reset(vec);
	return r;
}

struct hcl_value *hcl_vec_to_list(struct hcl_vec *vec, struct hcl_type *t)
{
	struct hcl_value *r = hcl_list(t, vec->v, vec->n);
	vec_reset(vec);
	return r;
}

struct hcl_value *hcl_vec_to_set(struct hcl_vec *vec, struct hcl_type *t)
{
	struct hcl_value *r = hcl_set(t, vec->v, vec->n);
	vec_reset(vec);
	return r;
}

struct hcl_value *hcl_vec_to_object(struct hcl_vec *vec)
{
	struct hcl_value *r = hcl_object((const char *const *)vec->k, vec->v, vec->n);
	vec_reset(vec);
	return r;
}

struct hcl_value *hcl_vec_to_map(struct hcl_vec *vec, struct hcl_type *t)
{
	struct hcl_value *r = hcl_map(t, (const char *const *)vec->k, vec->v, vec->n);
	vec_reset(vec);
	return r;
}

/* ---- accessors ---- */

bool hcl_is_wholly_known(const struct hcl_value *v)
{
	if (v->unknown)
		return false;
	if (v->null || !hcl_is_collection_value(v))
		return true;
	for (size_t i = 0; i < v->u.c.n; i++)
		if (!hcl_is_wholly_known(v->u.c.v[i]))
			return false;
	return true;
}

unsigned hcl_marks_deep(const struct hcl_value *v)
{
	unsigned m = v->marks;
	if (val_has_payload(v) && hcl_is_collection_value(v))
		for (size_t i = 0; i < v->u.c.n; i++)
			m |= hcl_marks_deep(v->u.c.v[i]);
	return m;
}

bool hcl_has_marks_deep(const struct hcl_value *v)
{
	return hcl_marks_deep(v) != 0;
}

const char *hcl_str(const struct hcl_value *v)
{
	return v->u.str.s;
}

size_t hcl_str_len(const struct hcl_value *v)
{
	return v->u.str.len;
}

const struct hcl_num *hcl_num_of(const struct hcl_value *v)
{
	return v->u.num;
}

bool hcl_true(const struct hcl_value *v)
{
	return v->type->kind == HCL_BOOL && val_has_payload(v) && v->u.b;
}

bool hcl_is_collection_value(const struct hcl_value *v)
{
	switch (v->type->kind) {
	case HCL_LIST: case HCL_SET: case HCL_MAP: case HCL_TUPLE: case HCL_OBJECT:
		return true;
	default:
		return false;
	}
}

bool hcl_is_sequence(const struct hcl_value *v)
{
	enum hcl_kind k = v->type->kind;
	return k == HCL_LIST || k == HCL_SET || k == HCL_TUPLE;
}

bool hcl_is_mapping(const struct hcl_value *v)
{
	enum hcl_kind k = v->type->kind;
	return k == HCL_MAP || k == HCL_OBJECT;
}

size_t hcl_len(const struct hcl_value *v)
{
	return val_has_payload(v) && hcl_is_collection_value(v) ? v->u.c.n : 0;
}

struct hcl_value *hcl_elem(const struct hcl_value *v, size_t i)
{
	return v->u.c.v[i];
}

const char *hcl_key(const struct hcl_value *v, size_t i)
{
	return v->u.c.k ? v->u.c.k[i] : NULL;
}

struct hcl_value *hcl_get(const struct hcl_value *v, const char *key)
{
	if (!val_has_payload(v) || !v->u.c.k)
		return NULL;
	size_t lo = 0, hi = v->u.c.n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(v->u.c.k[mid], key);
		if (c == 0)
			return v->u.c.v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- marks ---- */

/* shallow copy sharing children */
static struct hcl_value *val_shallow_copy(const struct hcl_value *v)
{
	struct hcl_value *c = val_alloc(hcl_type_ref(v->type));
	c->null = v->null;
	c->unknown = v->unknown;
	c->depth = v->depth;
	c->marks = v->marks;
	if (!val_has_payload(v))
		return c;
	switch (v->type->kind) {
	case HCL_BOOL:
		c->u.b = v->u.b;
		break;
	case HCL_NUMBER:
		c->u.num = hcl_num_copy(v->u.num);
		break;
	case HCL_STRING:
		c->u.str.s = xmalloc(v->u.str.len + 1);
		memcpy(c->u.str.s, v->u.str.s, v->u.str.len + 1);
		c->u.str.len = v->u.str.len;
		break;
	case HCL_DYNAMIC:
		break;
	default:
		c->u.c.n = v->u.c.n;
		c->u.c.v = xcalloc(v->u.c.n ? v->u.c.n : 1, sizeof(*c->u.c.v));
		for (size_t i = 0; i < v->u.c.n; i++)
			c->u.c.v[i] = hcl_value_ref(v->u.c.v[i]);
		if (v->u.c.k) {
			c->u.c.k = xcalloc(v->u.c.n ? v->u.c.n : 1, sizeof(*c->u.c.k));
			for (size_t i = 0; i < v->u.c.n; i++)
				c->u.c.k[i] = xstrdup(v->u.c.k[i]);
		}
		break;
	}
	return c;
}

struct hcl_value *hcl_mark(struct hcl_value *v, unsigned marks)
{
	if ((v->marks | marks) == v->marks)
		return v;
	struct hcl_value *c = __atomic_load_n(&v->refs, __ATOMIC_ACQUIRE) == 1 ? v : val_shallow_copy(v);
	if (c != v)
		hcl_value_unref(v);
	c->marks |= marks;
	return c;
}

struct hcl_value *hcl_unmark_deep(struct hcl_value *v, unsigned *marks)
{
	unsigned all = hcl_marks_deep(v);
	if (marks)
		*marks = all;
	if (!all)
		return v;
	struct hcl_value *c = __atomic_load_n(&v->refs, __ATOMIC_ACQUIRE) == 1 ? v : val_shallow_copy(v);
	if (c != v)
		hcl_value_unref(v);
	c->marks = 0;
	if (val_has_payload(c) && hcl_is_collection_value(c))
		for (size_t i = 0; i < c->u.c.n; i++)
			c->u.c.v[i] = hcl_unmark_deep(c->u.c.v[i], NULL);
	return c;
}

/* ---- equality and ordering ---- */

bool hcl_value_raw_equal(const struct hcl_value *a, const struct hcl_value *b)
{
	if (!hcl_type_equal(a->type, b->type))
		return false;
	if (a->null != b->null || a->unknown != b->unknown)
		return false;
	if (!val_has_payload(a))
		return true;
	switch (a->type->kind) {
	case HCL_BOOL:
		return a->u.b == b->u.b;
	case HCL_NUMBER:
		return hcl_num_cmp(a->u.num, b->u.num) == 0;
	case HCL_STRING:
		return a->u.str.len == b->u.str.len && memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
	case HCL_DYNAMIC:
		return true;
	default:
		if (a->u.c.n != b->u.c.n)
			return false;
		for (size_t i = 0; i < a->u.c.n; i++) {
			if (a->u.c.k && strcmp(a->u.c.k[i], b->u.c.k[i]) != 0)
				return false;
			if (!hcl_value_raw_equal(a->u.c.v[i], b->u.c.v[i]))
				return false;
		}
		return true;
	}
}

int hcl_value_compare(const struct hcl_value *a, const struct hcl_value *b)
{
	if (a->unknown != b->unknown)
		return a->unknown ? 1 : -1;
	if (a->null != b->null)
		return a->null ? 1 : -1;
	if (a->unknown || a->null)
		return 0;
	if (a->type->kind != b->type->kind)
		return a->type->kind < b->type->kind ? -1 : 1;
	switch (a->type->kind) {
	case HCL_STRING: {
		size_t n = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
		int c = memcmp(a->u.str.s, b->u.str.s, n);
		if (c)
			return c < 0 ? -1 : 1;
		return a->u.str.len < b->u.str.len ? -1 : a->u.str.len > b->u.str.len;
	}
	case HCL_NUMBER:
		return hcl_num_cmp(a->u.num, b->u.num);
	case HCL_BOOL:
		return (int)a->u.b - (int)b->u.b;
	default: {
		char *x = hcl_value_to_expr(a), *y = hcl_value_to_expr(b);
		int c = strcmp(x, y);
		free(x);
		free(y);
		return c < 0 ? -1 : c > 0;
	}
	}
}

struct hcl_value *hcl_value_equals(const struct hcl_value *a, const struct hcl_value *b)
{
	unsigned marks = a->marks | b->marks;
	struct hcl_value *r;
	if (a->unknown || b->unknown) {
		r = hcl_unknown(HCL_T_BOOL);
	} else if (a->null || b->null) {
		r = hcl_bool(a->null && b->null);
	} else if (a->type->kind == HCL_DYNAMIC || b->type->kind == HCL_DYNAMIC) {
		r = hcl_bool(false);
	} else if (!hcl_type_equal(a->type, b->type)) {
		r = hcl_bool(false);
	} else if (hcl_is_collection_value(a)) {
		if (a->u.c.n != b->u.c.n) {
			r = hcl_bool(false);
		} else {
			bool unknown = false, eq = true;
			for (size_t i = 0; i < a->u.c.n && eq; i++) {
				if (a->u.c.k && strcmp(a->u.c.k[i], b->u.c.k[i]) != 0) {
					eq = false;
					break;
				}
				struct hcl_value *e = hcl_value_equals(a->u.c.v[i], b->u.c.v[i]);
				if (e->unknown)
					unknown = true;
				else if (!e->u.b)
					eq = false;
				marks |= e->marks;
				hcl_value_unref(e);
			}
			r = !eq ? hcl_bool(false) : unknown ? hcl_unknown(HCL_T_BOOL) : hcl_bool(true);
		}
	} else {
		r = hcl_bool(hcl_value_raw_equal(a, b));
	}
	return hcl_mark(r, marks);
}

/* ---- printing ---- */

static int utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	int len;
	uint32_t c, min;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, c = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, c = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, c = s[0] & 0x07, min = 0x10000;
	else
		return -1;
	if ((size_t)len > n)
		return -1;
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	return len;
}

/* Go's unicode.IsPrint, approximated without Unicode tables: controls (Cc), format characters
 * (Cf), separators other than U+0020 (Zs, Zl, Zp), surrogates and private use (Co) are not
 * printable; everything else is. Unassigned code points are treated as printable. */
static bool go_is_print(uint32_t c)
{
	if (c < 0x20 || (c >= 0x7f && c < 0xa0))
		return false;
	switch (c) {
	case 0xa0: case 0xad: case 0x61c: case 0x6dd: case 0x70f: case 0x180e: case 0x1680:
	case 0x3000: case 0xfeff:
		return false;
	}
	if ((c >= 0x600 && c <= 0x605) || (c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f) ||
	    (c >= 0x205f && c <= 0x2064) || (c >= 0x2066 && c <= 0x206f) || (c >= 0xe000 && c <= 0xf8ff) ||
	    (c >= 0xfff9 && c <= 0xfffb) || c == 0xfffe || c == 0xffff || c >= 0xf0000 ||
	    (c >= 0xe0000 && c <= 0xe007f) || (c >= 0x1bca0 && c <= 0x1bca3) ||
	    (c >= 0x1d173 && c <= 0x1d17a) || c == 0x110bd || c == 0x110cd)
		return false;
	return true;
}

void hcl_go_quote(const char *s, size_t len, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	buf_putc(out, '"');
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		uint32_t c;
		int n = utf8_decode(p + i, len - i, &c);
		if (n < 0) {
			buf_printf(out, "\\x%c%c", hex[p[i] >> 4], hex[p[i] & 15]);
			i++;
			continue;
		}
		if (c == '"' || c == '\\') {
			buf_putc(out, '\\');
			buf_putc(out, (char)c);
		} else if (go_is_print(c)) {
			buf_append(out, p + i, (size_t)n);
		} else {
			switch (c) {
			case '\a': buf_puts(out, "\\a"); break;
			case '\b': buf_puts(out, "\\b"); break;
			case '\f': buf_puts(out, "\\f"); break;
			case '\n': buf_puts(out, "\\n"); break;
			case '\r': buf_puts(out, "\\r"); break;
			case '\t': buf_puts(out, "\\t"); break;
			case '\v': buf_puts(out, "\\v"); break;
			default:
				if (c < ' ' || c == 0x7f)
					buf_printf(out, "\\x%02x", c);
				else if (c < 0x10000)
					buf_printf(out, "\\u%04x", c);
				else
					buf_printf(out, "\\U%08x", c);
			}
		}
		i += (size_t)n;
	}
	buf_putc(out, '"');
}

static void indent_into(struct buf *out, const char *s)
{
	/* Terraform 0.12 repl's indent(): two spaces before every line */
	buf_puts(out, "  ");
	for (; *s; s++) {
		buf_putc(out, *s);
		if (*s == '\n')
			buf_puts(out, "  ");
	}
}

/* A sensitive, unknown or null value as its placeholder; false for any other value. */
static bool format_placeholder(const struct hcl_value *v, const char *sensitive, const char *unknown, struct buf *out)
{
	const char *s = v->marks & HCL_MARK_SENSITIVE ? sensitive : v->unknown ? unknown : v->null ? "null" : NULL;
	if (s)
		buf_puts(out, s);
	return s != NULL;
}

static void format_repl(const struct hcl_value *v, bool nested, struct buf *out)
{
	if (format_placeholder(v, "<sensitive>", "<unknown>", out))
		return;
	switch (v->type->kind) {
	case HCL_STRING:
		if (nested)
			hcl_go_quote(v->u.str.s, v->u.str.len, out);
		else
			buf_append(out, v->u.str.s, v->u.str.len);
		return;
	case HCL_NUMBER:
		hcl_num_format_shim(v->u.num, out);
		return;
	case HCL_BOOL:
		buf_puts(out, v->u.b ? "true" : "false");
		return;
	case HCL_LIST: case HCL_SET: case HCL_TUPLE:
		buf_putc(out, '[');
		if (v->u.c.n)
			buf_putc(out, '\n');
		for (size_t i = 0; i < v->u.c.n; i++) {
			struct buf item = BUF_INIT;
			format_repl(v->u.c.v[i], true, &item);
			indent_into(out, buf_cstr(&item));
			buf_puts(out, ",\n");
			buf_free(&item);
		}
		buf_putc(out, ']');
		return;
	case HCL_MAP: case HCL_OBJECT: {
		/* hcl2shim leaves null attributes out of maps */
		size_t shown = 0;
		for (size_t i = 0; i < v->u.c.n; i++)
			shown += !v->u.c.v[i]->null;
		buf_putc(out, '{');
		if (shown)
			buf_putc(out, '\n');
		for (size_t i = 0; i < v->u.c.n; i++) {
			if (v->u.c.v[i]->null)
				continue;
			struct buf item = BUF_INIT;
			hcl_go_quote(v->u.c.k[i], strlen(v->u.c.k[i]), &item);
			buf_puts(&item, " = ");
			format_repl(v->u.c.v[i], true, &item);
			indent_into(out, buf_cstr(&item));
			buf_putc(out, '\n');
			buf_free(&item);
		}
		buf_putc(out, '}');
		return;
	}
	case HCL_DYNAMIC:
		buf_puts(out, "null");
		return;
	}
}

void hcl_value_format_repl(const struct hcl_value *v, struct buf *out)
{
	format_repl(v, false, out);
}

static bool is_ident(const char *s)
{
	if (!*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-'))
			return false;
	return true;
}

void hcl_value_format_expr(const struct hcl_value *v, struct buf *out)
{
	if (format_placeholder(v, "(sensitive value)", "(known after build)", out))
		return;
	switch (v->type->kind) {
	case HCL_STRING:
		hcl_go_quote(v->u.str.s, v->u.str.len, out);
		return;
	case HCL_NUMBER:
		hcl_num_format(v->u.num, out);
		return;
	case HCL_BOOL:
		buf_puts(out, v->u.b ? "true" : "false");
		return;
	case HCL_LIST: case HCL_SET: case HCL_TUPLE:
		buf_putc(out, '[');
		for (size_t i = 0; i < v->u.c.n; i++) {
			if (i)
				buf_puts(out, ", ");
			hcl_value_format_expr(v->u.c.v[i], out);
		}
		buf_putc(out, ']');
		return;
	case HCL_MAP: case HCL_OBJECT:
		buf_putc(out, '{');
		for (size_t i = 0; i < v->u.c.n; i++) {
			if (i)
				buf_puts(out, ", ");
			if (is_ident(v->u.c.k[i]))
				buf_puts(out, v->u.c.k[i]);
			else
				hcl_go_quote(v->u.c.k[i], strlen(v->u.c.k[i]), out);
			buf_puts(out, " = ");
			hcl_value_format_expr(v->u.c.v[i], out);
		}
		buf_putc(out, '}');
		return;
	case HCL_DYNAMIC:
		buf_puts(out, "null");
		return;
	}
}

char *hcl_value_to_expr(const struct hcl_value *v)
{
	struct buf b = BUF_INIT;
	hcl_value_format_expr(v, &b);
	return buf_detach(&b);
}

char *hcl_value_as_text(const struct hcl_value *v)
{
	if (v->null || v->unknown)
		return NULL;
	switch (v->type->kind) {
	case HCL_STRING:
		return xstrndup(v->u.str.s, v->u.str.len);
	case HCL_NUMBER:
		return hcl_num_to_string(v->u.num);
	case HCL_BOOL:
		return xstrdup(v->u.b ? "true" : "false");
	default:
		return NULL;
	}
}
