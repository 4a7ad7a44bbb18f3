/* func_collection.c — collection functions: chunklist coalesce coalescelist compact concat contains
 * distinct element flatten index keys length lookup merge range reverse setintersection setproduct
 * setunion slice sort values zipmap alltrue anytrue (cty's stdlib semantics and messages). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hcl/funcutil.h"
#include "util/mem.h"

#define P(n, t) {n, t, 0}
#define END {NULL, NULL, 0}

static struct hcl_value *f_length(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct hcl_value *v = a[0];
	enum hcl_kind k = v->type->kind;
	if (k == HCL_DYNAMIC)
		return hcl_unknown(HCL_T_NUMBER);
	if (k == HCL_TUPLE || k == HCL_OBJECT)
		return hcl_number_int((int64_t)v->type->n);
	if (k != HCL_STRING && !hcl_type_is_collection(v->type))
		return hcl_call_error(c, "argument must be a string, a collection type, or a structural type");
	if (v->unknown)
		return hcl_unknown(HCL_T_NUMBER);
	if (k == HCL_STRING)
		return hcl_number_int((int64_t)hcl_grapheme_count(hcl_str(v), hcl_str_len(v)));
	return hcl_number_int((int64_t)hcl_len(v));
}

static struct hcl_type *unify_args(struct hcl_value **a, size_t n, bool unsafe)
{
	struct hcl_type **ts = xcalloc(n ? n : 1, sizeof(*ts));
	for (size_t i = 0; i < n; i++)
		ts[i] = a[i]->type;
	struct hcl_type *t = hcl_unify_types(ts, n, unsafe);
	free(ts);
	return t;
}

static struct hcl_value *f_coalesce(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct hcl_type *rt = n ? unify_args(a, n, true) : NULL;
	if (!rt)
		return hcl_call_error(c, "all arguments must have the same type");
	struct hcl_value *res = NULL;
	for (size_t i = 0; i < n && !res; i++) {
		struct hcl_value *v = hcl_convert(a[i], rt, NULL);
		if (!v)
			continue;
		if (v->unknown) {
			hcl_value_unref(v);
			res = hcl_unknown(hcl_type_ref(rt));
			break;
		}
		if (v->null || (rt->kind == HCL_STRING && hcl_str_len(v) == 0)) {
			hcl_value_unref(v);
			continue;
		}
		res = v;
	}
	hcl_type_unref(rt);
	if (!res)
		return hcl_call_error(c, "no non-null, non-empty-string arguments");
	return res;
}

static struct hcl_value *f_coalescelist(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	if (n == 0)
		return hcl_call_error(c, "at least one argument is required");
	for (size_t i = 0; i < n; i++) {
		enum hcl_kind k = a[i]->type->kind;
		if (k != HCL_LIST && k != HCL_TUPLE && k != HCL_DYNAMIC) {
			return hcl_call_error(c, "coalescelist arguments must be lists or tuples");
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (a[i]->unknown)
			return hcl_unknown(HCL_T_DYNAMIC);
		if (a[i]->null)
			continue;
		if (hcl_len(a[i]) > 0)
			return hcl_value_ref(a[i]);
	}
	return hcl_call_error(c, "no non-null arguments");
}

static struct hcl_value *f_compact(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	if (!hcl_is_wholly_known(a[0]))
		return hcl_unknown(hcl_type_list(HCL_T_STRING));
	struct hcl_vec vec = HCL_VEC_INIT;
	for (size_t i = 0; i < hcl_len(a[0]); i++) {
		struct hcl_value *e = hcl_elem(a[0], i);
		if (e->null || hcl_str_len(e) == 0)
			continue;
		hcl_vec_push(&vec, hcl_value_ref(e));
	}
	return hcl_vec_to_list(&vec, HCL_T_STRING);
}

static struct hcl_value *f_concat(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	if (n == 0)
		return hcl_call_error(c, "at least one argument is required");
	/* all lists of one element type: a list; otherwise a tuple */
	bool all_lists = true;
	struct hcl_type *ety = NULL;
	for (size_t i = 0; i < n; i++) {
		enum hcl_kind k = a[i]->type->kind;
		if (k != HCL_LIST && k != HCL_SET && k != HCL_TUPLE) {
			char *tn = hcl_type_friendly_name(a[i]->type);
			struct hcl_value *r = hcl_call_arg_error(c, (int)i, "all arguments must be lists or tuples; got %s", tn);
			free(tn);
			hcl_type_unref(ety);
			return r;
		}
		if (k != HCL_LIST) {
			all_lists = false;
		} else if (!ety) {
			ety = hcl_type_ref(a[i]->type->elem);
		} else if (!hcl_type_equal(ety, a[i]->type->elem)) {
			all_lists = false;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (a[i]->unknown || a[i]->null) {
			hcl_type_unref(ety);
			return hcl_unknown(all_lists ? hcl_type_list(hcl_type_ref(a[0]->type->elem)) : HCL_T_DYNAMIC);
		}
	struct hcl_vec vec = HCL_VEC_INIT;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < hcl_len(a[i]); j++)
			hcl_vec_push(&vec, hcl_value_ref(hcl_elem(a[i], j)));
	if (all_lists)
		return hcl_vec_to_list(&vec, ety);
	hcl_type_unref(ety);
	return hcl_vec_to_tuple(&vec);
}

static struct hcl_value *f_contains(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct hcl_value *l = a[0];
	enum hcl_kind k = l->type->kind;
	if (k != HCL_LIST && k != HCL_SET && k != HCL_TUPLE)
		return hcl_call_error(c, "argument must be list, tuple, or set");
	if (!hcl_is_wholly_known(l) || !hcl_is_wholly_known(a[1]))
		return hcl_unknown(HCL_T_BOOL);
	for (size_t i = 0; i < hcl_len(l); i++) {
		struct hcl_value *eq = hcl_value_equals(hcl_elem(l, i), a[1]);
		bool t = hcl_true(eq);
		hcl_value_unref(eq);
		if (t)
			return hcl_bool(true);
	}
	return hcl_bool(false);
}

static struct hcl_value *f_distinct(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	if (!hcl_is_wholly_known(a[0]))
		return hcl_unknown(hcl_type_ref(a[0]->type));
	struct hcl_vec vec = HCL_VEC_INIT;
	for (size_t i = 0; i < hcl_len(a[0]); i++) {
		struct hcl_value *e = hcl_elem(a[0], i);
		bool seen = false;
		for (size_t j = 0; j < vec.n && !seen; j++)
			seen = hcl_value_raw_equal(vec.v[j], e);
		if (!seen)
			hcl_vec_push(&vec, hcl_value_ref(e));
	}
	return hcl_vec_to_list(&vec, hcl_type_ref(a[0]->type->elem));
}

static struct hcl_value *f_element(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct hcl_value *l = a[0];
	enum hcl_kind k = l->type->kind;
	if (k != HCL_LIST && k != HCL_TUPLE) {
		char *tn = hcl_type_friendly_name(l->type);
		struct hcl_value *r = hcl_call_error(c, "cannot read elements from %s", tn);
		free(tn);
		return r;
	}
	if (l->unknown)
		return hcl_unknown(k == HCL_LIST ? hcl_type_ref(l->type->elem) : HCL_T_DYNAMIC);
	long long idx;
	if (hcl_arg_int(c, a, 1, &idx) < 0)
		return NULL;
	size_t len = hcl_len(l);
	if (len == 0)
		return hcl_call_error(c, "cannot use element function with an empty list");
	if (idx < 0)
		return hcl_call_error(c, "cannot use element function with a negative index");
	return hcl_value_ref(hcl_elem(l, (size_t)(idx % (long long)len)));
}

static bool flatten_into(struct hcl_value *v, struct hcl_vec *out, bool *unknown)
{
	for (size_t i = 0; i < hcl_len(v); i++) {
		struct hcl_value *e = hcl_elem(v, i);
		if (!e->null && hcl_is_sequence(e)) {
			if (e->unknown) {
				*unknown = true;
				return true;
			}
			if (!flatten_into(e, out, unknown))
				return false;
		} else {
			hcl_vec_push(out, hcl_value_ref(e));
		}
	}
	return true;
}

static struct hcl_value *f_flatten(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	if (!hcl_is_sequence(a[0]))
		return hcl_call_error(c, "can only flatten lists, sets and tuples");
	if (a[0]->unknown)
		return hcl_unknown(HCL_T_DYNAMIC);
	struct hcl_vec vec = HCL_VEC_INIT;
	bool unknown = false;
	flatten_into(a[0], &vec, &unknown);
	if (unknown) {
		hcl_vec_free(&vec);
		return hcl_unknown(HCL_T_DYNAMIC);
	}
	return hcl_vec_to_tuple(&vec);
}

/* Packer's index is cty's IndexFunc: index(collection, key) is collection[key] (not Terraform's
 * "position of a value" function, whatever later documentation says). */
static struct hcl_value *f_index(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct hcl_value *coll = a[0], *key = a[1];
	enum hcl_kind k = coll->type->kind, kk = key->type->kind;
	switch (k) {
	case HCL_TUPLE:
		if (kk != HCL_NUMBER && kk != HCL_DYNAMIC)
			return hcl_call_error(c, "key for tuple must be number");
		if (key->unknown)
			return hcl_unknown(HCL_T_DYNAMIC);
		{
			int64_t i;
			if (!hcl_num_is_int(hcl_num_of(key)) || !hcl_num_to_int64(hcl_num_of(key), &i))
				return hcl_call_error(c, "invalid key for tuple: value must be a whole number, between -9223372036854775808 and 9223372036854775807");
			if (i < 0 || (size_t)i >= coll->type->n)
				return hcl_call_error(c, "key must be between 0 and %zu inclusive", coll->type->n);
		}
		break;
	case HCL_LIST:
		if (kk != HCL_NUMBER && kk != HCL_DYNAMIC)
			return hcl_call_error(c, "key for list must be number");
		break;
	case HCL_MAP:
		if (kk != HCL_STRING && kk != HCL_DYNAMIC)
			return hcl_call_error(c, "key for map must be string");
		break;
	default:
		return hcl_call_error(c, "collection must be a list, a map or a tuple");
	}
	if (!hcl_is_wholly_known(coll) || key->unknown)
		return hcl_unknown(k == HCL_TUPLE ? HCL_T_DYNAMIC : hcl_type_ref(coll->type->elem));
	if (k == HCL_MAP) {
		struct hcl_value *e = hcl_get(coll, hcl_str(key));
		return e ? hcl_value_ref(e) : hcl_call_error(c, "invalid index");
	}
	int64_t i;
	if (!hcl_num_to_int64(hcl_num_of(key), &i) || i < 0 || (uint64_t)i >= hcl_len(coll))
		return hcl_call_error(c, "invalid index");
	return hcl_value_ref(hcl_elem(coll, (size_t)i));
}

static struct hcl_value *f_keys(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct hcl_value *m = a[0];
	enum hcl_kind k = m->type->kind;
	if (k != HCL_MAP && k != HCL_OBJECT)
		return hcl_call_arg_error(c, 0, "must have map or object type");
	if (k == HCL_OBJECT) {
		struct hcl_vec vec = HCL_VEC_INIT;
		for (size_t i = 0; i < m->type->n; i++)
			hcl_vec_push(&vec, hcl_string(m->type->names[i]));
		return hcl_vec_to_tuple(&vec);
	}
	if (m->unknown)
		return hcl_unknown(hcl_type_list(HCL_T_STRING));
	struct hcl_vec vec = HCL_VEC_INIT;
	for (size_t i = 0; i < hcl_len(m); i++)
		hcl_vec_push(&vec, hcl_string(hcl_key(m, i)));
	return hcl_vec_to_list(&vec, HCL_T_STRING);
}

static struct hcl_value *f_values(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct hcl_value *m = a[0];
	enum hcl_kind k = m->type->kind;
	if (k != HCL_MAP && k != HCL_OBJECT)
		return hcl_call_error(c, "values() requires a map as the first argument");
	if (m->unknown)
		return hcl_unknown(k == HCL_MAP ? hcl_type_list(hcl_type_ref(m->type->elem)) : HCL_T_DYNAMIC);
	struct hcl_vec vec = HCL_VEC_INIT;
	for (size_t i = 0; i < hcl_len(m); i++)
		hcl_vec_push(&vec, hcl_value_ref(hcl_elem(m, i)));
	if (k == HCL_MAP)
		return hcl_vec_to_list(&vec, hcl_type_ref(m->type->elem));
	return hcl_vec_to_tuple(&vec);
}

static struct hcl_value *f_lookup(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct hcl_value *m = a[0];
	enum hcl_kind k = m->type->kind;
	if (k != HCL_MAP && k != HCL_OBJECT)
		return hcl_call_arg_error(c, 0, "lookup() requires a map as the first argument");
	if (m->unknown)
		return hcl_unknown(k == HCL_MAP ? hcl_type_ref(m->type->elem) : HCL_T_DYNAMIC);
	const char *key = hcl_str(a[1]);
	struct hcl_value *e = hcl_get(m, key);
	if (e)
		return hcl_value_ref(e);
	if (n == 3) {
		if (k == HCL_MAP) {
			struct hcl_convert_error ce = {0};
			struct hcl_value *d = hcl_convert(a[2], m->type->elem, &ce);
			if (!d) {
				struct hcl_value *r = hcl_call_arg_error(c, 2, "%s", ce.msg);
				hcl_convert_error_free(&ce);
				return r;
			}
			return d;
		}
		return hcl_value_ref(a[2]);
	}
	return hcl_call_error(c, "lookup failed to find '%s'", key);
}

static struct hcl_value *f_merge(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	bool all_maps = true;
	struct hcl_type *ety = NULL;
	if (n == 0)
		return hcl_null(HCL_T_DYNAMIC);
	for (size_t i = 0; i < n; i++) {
		enum hcl_kind k = a[i]->type->kind;
		if (k == HCL_DYNAMIC && a[i]->null)
			continue;
		if (k == HCL_DYNAMIC) {
			hcl_type_unref(ety);
			return hcl_unknown(HCL_T_DYNAMIC);
		}
		if (k != HCL_MAP && k != HCL_OBJECT) {
			hcl_type_unref(ety);
			return hcl_call_error(c, "arguments must be maps or objects, got \"%s\"",
					      k == HCL_STRING ? "string" : k == HCL_NUMBER ? "number" :
					      k == HCL_BOOL ? "bool" : k == HCL_TUPLE ? "tuple" : k == HCL_SET ? "set" : "list");
		}
		if (a[i]->null)
			continue;
		if (k != HCL_MAP) {
			all_maps = false;
		} else if (!ety) {
			ety = hcl_type_ref(a[i]->type->elem);
		} else if (!hcl_type_equal(ety, a[i]->type->elem)) {
			all_maps = false;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (a[i]->unknown) {
			hcl_type_unref(ety);
			return hcl_unknown(HCL_T_DYNAMIC);
		}
	struct hcl_vec vec = HCL_VEC_INIT;
	for (size_t i = 0; i < n; i++) {
		if (a[i]->null)
			continue;
		for (size_t j = 0; j < hcl_len(a[i]); j++) {
			const char *key = hcl_key(a[i], j);
			bool replaced = false;
			for (size_t q = 0; q < vec.n; q++)
				if (strcmp(vec.k[q], key) == 0) {
					hcl_value_unref(vec.v[q]);
					vec.v[q] = hcl_value_ref(hcl_elem(a[i], j));
					replaced = true;
				}
			if (!replaced)
				hcl_vec_push_kv(&vec, key, hcl_value_ref(hcl_elem(a[i], j)));
		}
	}
	if (all_maps && ety)
		return hcl_vec_to_map(&vec, ety);
	hcl_type_unref(ety);
	return hcl_vec_to_object(&vec);
}

static struct hcl_value *f_range(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct hcl_num *start = NULL, *end = NULL, *step = NULL;
	switch (n) {
	case 1:
		start = hcl_num_from_int(0);
		end = hcl_num_copy(hcl_num_of(a[0]));
		step = hcl_num_from_int(1);
		break;
	case 2:
		start = hcl_num_copy(hcl_num_of(a[0]));
		end = hcl_num_copy(hcl_num_of(a[1]));
		step = hcl_num_from_int(1);
		break;
	case 3:
		start = hcl_num_copy(hcl_num_of(a[0]));
		end = hcl_num_copy(hcl_num_of(a[1]));
		step = hcl_num_copy(hcl_num_of(a[2]));
		break;
	default:
		return hcl_call_error(c, "must have one, two, or three arguments");
	}
	struct hcl_value *res = NULL;
	if (n < 3 && hcl_num_cmp(end, start) < 0) {
		hcl_num_free(step);
		step = hcl_num_from_int(-1);
	}
	int ss = hcl_num_sign(step);
	if (ss < 0 && hcl_num_cmp(start, end) < 0) {
		res = hcl_call_arg_error(c, 0, "end must be less than start when step is negative");
		goto out;
	}
	if (ss > 0 && hcl_num_cmp(start, end) > 0) {
		res = hcl_call_arg_error(c, 0, "end must be greater than start when step is positive");
		goto out;
	}
	struct hcl_vec vec = HCL_VEC_INIT;
	struct hcl_num *cur = hcl_num_copy(start);
	/* a zero step never reaches the end: cty stops at the 1024-element limit */
	while (ss >= 0 ? hcl_num_cmp(cur, end) < 0 : hcl_num_cmp(cur, end) > 0) {
		if (vec.n >= 1024) {
			hcl_num_free(cur);
			hcl_vec_free(&vec);
			res = hcl_call_error(c, "more than 1024 values were generated; either decrease the difference between start and end or use a smaller step");
			goto out;
		}
		hcl_vec_push(&vec, hcl_number(hcl_num_copy(cur)));
		struct hcl_num *next;
		if (hcl_num_add(cur, step, &next) < 0)
			break;
		hcl_num_free(cur);
		cur = next;
	}
	hcl_num_free(cur);
	res = hcl_vec_to_list(&vec, HCL_T_NUMBER);
out:
	hcl_num_free(start);
	hcl_num_free(end);
	hcl_num_free(step);
	return res;
}

static struct hcl_value *f_reverse(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	enum hcl_kind k = a[0]->type->kind;
	if (k != HCL_LIST && k != HCL_TUPLE && k != HCL_SET) {
		char *tn = hcl_type_friendly_name(a[0]->type);
		struct hcl_value *r = hcl_call_arg_error(c, 0, "can only reverse list or tuple values, not %s", tn);
		free(tn);
		return r;
	}
	if (a[0]->unknown)
		return hcl_unknown(hcl_type_ref(a[0]->type));
	struct hcl_vec vec = HCL_VEC_INIT;
	for (size_t i = hcl_len(a[0]); i-- > 0;)
		hcl_vec_push(&vec, hcl_value_ref(hcl_elem(a[0], i)));
	if (k == HCL_TUPLE)
		return hcl_vec_to_tuple(&vec);
	return hcl_vec_to_list(&vec, hcl_type_ref(a[0]->type->elem));
}

static struct hcl_value *f_slice(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct hcl_value *l = a[0];
	enum hcl_kind k = l->type->kind;
	if (k != HCL_LIST && k != HCL_TUPLE)
		return hcl_call_arg_error(c, 0, "must be a list or tuple value");
	long long start, end;
	if (hcl_arg_int(c, a, 1, &start) < 0 || hcl_arg_int(c, a, 2, &end) < 0)
		return NULL;
	if (start < 0)
		return hcl_call_arg_error(c, 1, "start index must not be less than zero");
	if (l->unknown)
		return hcl_unknown(k == HCL_LIST ? hcl_type_ref(l->type) : HCL_T_DYNAMIC);
	if ((size_t)end > hcl_len(l))
		return hcl_call_arg_error(c, 2, "end index must not be greater than the length of the list");
	if (end < start)
		return hcl_call_arg_error(c, 1, "start index must not be greater than end index");
	struct hcl_vec vec = HCL_VEC_INIT;
	for (long long i = start; i < end; i++)
		hcl_vec_push(&vec, hcl_value_ref(hcl_elem(l, (size_t)i)));
	if (k == HCL_LIST)
		return hcl_vec_to_list(&vec, hcl_type_ref(l->type->elem));
	return hcl_vec_to_tuple(&vec);
}

static int cmp_str_values(const void *x, const void *y)
{
	const struct hcl_value *a = *(struct hcl_value *const *)x, *b = *(struct hcl_value *const *)y;
	size_t n = hcl_str_len(a) < hcl_str_len(b) ? hcl_str_len(a) : hcl_str_len(b);
	int r = memcmp(hcl_str(a), hcl_str(b), n);
	if (r)
		return r;
	return hcl_str_len(a) < hcl_str_len(b) ? -1 : hcl_str_len(a) > hcl_str_len(b);
}

static struct hcl_value *f_sort(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	if (!hcl_is_wholly_known(a[0]))
		return hcl_unknown(hcl_type_list(HCL_T_STRING));
	size_t len = hcl_len(a[0]);
	struct hcl_value **items = xcalloc(len ? len : 1, sizeof(*items));
	for (size_t i = 0; i < len; i++) {
		items[i] = hcl_elem(a[0], i);
		if (items[i]->null) {
			free(items);
			return hcl_call_arg_error(c, 0, "given list element %zu is null; a null string cannot be sorted", i);
		}
	}
	qsort(items, len, sizeof(*items), cmp_str_values);
	struct hcl_vec vec = HCL_VEC_INIT;
	for (size_t i = 0; i < len; i++)
		hcl_vec_push(&vec, hcl_value_ref(items[i]));
	free(items);
	return hcl_vec_to_list(&vec, HCL_T_STRING);
}

static struct hcl_value *f_zipmap(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct hcl_value *keys = a[0], *vals = a[1];
	enum hcl_kind vk = vals->type->kind;
	if (vk != HCL_LIST && vk != HCL_TUPLE)
		return hcl_call_arg_error(c, 1, "values must be a list or tuple value");
	if (!hcl_is_wholly_known(keys) || vals->unknown)
		return hcl_unknown(HCL_T_DYNAMIC);
	if (hcl_len(keys) != hcl_len(vals))
		return hcl_call_error(c, "number of keys (%zu) does not match number of values (%zu)", hcl_len(keys),
				      hcl_len(vals));
	struct hcl_vec vec = HCL_VEC_INIT;
	for (size_t i = 0; i < hcl_len(keys); i++) {
		struct hcl_value *kv = hcl_elem(keys, i);
		if (kv->null) {
			hcl_vec_free(&vec);
			return hcl_call_arg_error(c, 0, "keys list has null value at index %zu", i);
		}
		hcl_vec_push_kv(&vec, hcl_str(kv), hcl_value_ref(hcl_elem(vals, i)));
	}
	if (vk == HCL_LIST)
		return hcl_vec_to_map(&vec, hcl_type_ref(vals->type->elem));
	return hcl_vec_to_object(&vec);
}

static struct hcl_value *f_chunklist(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	long long size;
	if (hcl_arg_int(c, a, 1, &size) < 0)
		return NULL;
	if (size < 0)
		return hcl_call_error(c, "the size argument must be positive");
	struct hcl_type *lt = hcl_type_ref(a[0]->type);
	if (!hcl_is_wholly_known(a[0]))
		return hcl_unknown(hcl_type_list(lt));
	struct hcl_vec outer = HCL_VEC_INIT;
	size_t len = hcl_len(a[0]);
	if (size == 0) {
		hcl_vec_push(&outer, hcl_value_ref(a[0]));
		return hcl_vec_to_list(&outer, lt);
	}
	for (size_t i = 0; i < len; i += (size_t)size) {
		struct hcl_vec inner = HCL_VEC_INIT;
		for (size_t j = i; j < len && j < i + (size_t)size; j++)
			hcl_vec_push(&inner, hcl_value_ref(hcl_elem(a[0], j)));
		hcl_vec_push(&outer, hcl_vec_to_list(&inner, hcl_type_ref(a[0]->type->elem)));
	}
	return hcl_vec_to_list(&outer, lt);
}

static struct hcl_value *bool_all_any(struct hcl_call *c, struct hcl_value **a, bool all)
{
	struct hcl_value *l = a[0];
	if (l->unknown)
		return hcl_unknown(HCL_T_BOOL);
	bool unknown = false;
	for (size_t i = 0; i < hcl_len(l); i++) {
		struct hcl_value *e = hcl_elem(l, i);
		if (e->unknown) {
			unknown = true;
			continue;
		}
		if (e->null)
			continue;
		if (all && !hcl_true(e))
			return hcl_bool(false);
		if (!all && hcl_true(e))
			return hcl_bool(true);
	}
	if (unknown)
		return hcl_unknown(HCL_T_BOOL);
	if (all) {
		for (size_t i = 0; i < hcl_len(l); i++)
			if (hcl_elem(l, i)->null)
				return hcl_bool(false);
		return hcl_bool(true);
	}
	return hcl_bool(false);
}

static struct hcl_value *f_alltrue(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return bool_all_any(c, a, true);
}

static struct hcl_value *f_anytrue(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return bool_all_any(c, a, false);
}

/* sets */
static struct hcl_value *set_op(struct hcl_call *c, struct hcl_value **a, size_t n, int op)
{
	for (size_t i = 0; i < n; i++)
		if (!hcl_is_wholly_known(a[i]))
			return hcl_unknown(HCL_T_DYNAMIC);
	struct hcl_type *et = NULL;
	{
		struct hcl_type **ts = xcalloc(n, sizeof(*ts));
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (a[i]->type->elem->kind != HCL_DYNAMIC || hcl_len(a[i]))
				ts[m++] = a[i]->type->elem;
		et = m ? hcl_unify_types(ts, m, false) : HCL_T_DYNAMIC;
		free(ts);
	}
	if (!et)
		return hcl_call_error(c, "given sets must all have compatible element types");
	struct hcl_vec vec = HCL_VEC_INIT;
	if (op == 0) { /* union */
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < hcl_len(a[i]); j++) {
				struct hcl_value *cv = hcl_convert(hcl_elem(a[i], j), et, NULL);
				if (cv)
					hcl_vec_push(&vec, cv);
			}
	} else { /* intersection */
		for (size_t j = 0; j < hcl_len(a[0]); j++) {
			struct hcl_value *cv = hcl_convert(hcl_elem(a[0], j), et, NULL);
			if (!cv)
				continue;
			bool in_all = true;
			for (size_t i = 1; i < n && in_all; i++) {
				bool found = false;
				for (size_t q = 0; q < hcl_len(a[i]) && !found; q++) {
					struct hcl_value *o = hcl_convert(hcl_elem(a[i], q), et, NULL);
					if (o)
						found = hcl_value_raw_equal(o, cv);
					hcl_value_unref(o);
				}
				in_all = found;
			}
			if (in_all)
				hcl_vec_push(&vec, cv);
			else
				hcl_value_unref(cv);
		}
	}
	return hcl_vec_to_set(&vec, et);
}

static struct hcl_value *f_setunion(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return set_op(c, a, n, 0);
}

static struct hcl_value *f_setintersection(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return set_op(c, a, n, 1);
}

static struct hcl_value *f_setproduct(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	if (n < 2)
		return hcl_call_error(c, "at least two arguments are required");
	bool all_sets = true;
	for (size_t i = 0; i < n; i++) {
		enum hcl_kind k = a[i]->type->kind;
		if (k != HCL_SET && k != HCL_LIST && k != HCL_TUPLE)
			return hcl_call_arg_error(c, (int)i, "a set or a list is required");
		if (k != HCL_SET)
			all_sets = false;
		if (!hcl_is_wholly_known(a[i]))
			return hcl_unknown(HCL_T_DYNAMIC);
	}
	size_t total = 1;
	for (size_t i = 0; i < n; i++) {
		total *= hcl_len(a[i]);
		if (total > 1000000)
			return hcl_call_error(c, "the product has too many elements");
	}
	struct hcl_vec out = HCL_VEC_INIT;
	size_t *idx = xcalloc(n, sizeof(*idx));
	for (size_t t = 0; t < total; t++) {
		struct hcl_vec row = HCL_VEC_INIT;
		size_t rem = t;
		for (size_t i = n; i-- > 0;) {
			idx[i] = rem % hcl_len(a[i]);
			rem /= hcl_len(a[i]);
		}
		for (size_t i = 0; i < n; i++)
			hcl_vec_push(&row, hcl_value_ref(hcl_elem(a[i], idx[i])));
		struct hcl_value *tup = hcl_vec_to_tuple(&row);
		/* when every input is a list/set of one element type, elements are lists */
		hcl_vec_push(&out, tup);
	}
	free(idx);
	if (out.n == 0)
		return all_sets ? hcl_vec_to_set(&out, hcl_type_list(HCL_T_DYNAMIC)) : hcl_vec_to_list(&out, hcl_type_list(HCL_T_DYNAMIC));
	/* convert each tuple to a list when its element types unify, as cty does for list/set inputs */
	struct hcl_type **ets = xcalloc(n, sizeof(*ets));
	for (size_t i = 0; i < n; i++)
		ets[i] = a[i]->type->kind == HCL_TUPLE ? HCL_T_DYNAMIC : a[i]->type->elem;
	struct hcl_type *u = hcl_unify_types(ets, n, false);
	free(ets);
	if (!u || u->kind == HCL_DYNAMIC) {
		hcl_type_unref(u);
		return all_sets ? hcl_vec_to_set(&out, NULL) : hcl_vec_to_list(&out, NULL);
	}
	struct hcl_type *lt = hcl_type_list(u);
	struct hcl_vec conv = HCL_VEC_INIT;
	for (size_t i = 0; i < out.n; i++) {
		struct hcl_value *cv = hcl_convert(out.v[i], lt, NULL);
		hcl_vec_push(&conv, cv ? cv : hcl_value_ref(out.v[i]));
	}
	hcl_vec_free(&out);
	return all_sets ? hcl_vec_to_set(&conv, lt) : hcl_vec_to_list(&conv, lt);
}

const struct hcl_func hcl_funcs_collection[] = {
	{"alltrue", (const struct hcl_param[]){P("list", "list(bool)"), END}, NULL, "bool", f_alltrue,
	 "Whether every element is true."},
	{"anytrue", (const struct hcl_param[]){P("list", "list(bool)"), END}, NULL, "bool", f_anytrue,
	 "Whether any element is true."},
	{"chunklist", (const struct hcl_param[]){P("list", "list(any)"), P("size", "number"), END}, NULL, NULL,
	 f_chunklist, "Split a list into chunks."},
	{"coalesce", (const struct hcl_param[]){END},
	 &(const struct hcl_param){"vals", "any", HCL_PARAM_ALLOW_NULL | HCL_PARAM_ALLOW_UNKNOWN | HCL_PARAM_ALLOW_DYNAMIC},
	 NULL, f_coalesce, "The first non-null, non-empty argument."},
	{"coalescelist", (const struct hcl_param[]){END},
	 &(const struct hcl_param){"vals", "any", HCL_PARAM_ALLOW_NULL | HCL_PARAM_ALLOW_UNKNOWN | HCL_PARAM_ALLOW_DYNAMIC},
	 NULL, f_coalescelist, "The first non-empty list."},
	{"compact", (const struct hcl_param[]){P("list", "list(string)"), END}, NULL, "list(string)", f_compact,
	 "Remove empty strings from a list."},
	{"concat", (const struct hcl_param[]){END}, &(const struct hcl_param){"seqs", "any", 0}, NULL, f_concat,
	 "Concatenate lists."},
	{"contains", (const struct hcl_param[]){P("list", "any"), P("value", "any"), END}, NULL, "bool", f_contains,
	 "Whether a list contains a value."},
	{"distinct", (const struct hcl_param[]){P("list", "list(any)"), END}, NULL, NULL, f_distinct,
	 "Remove duplicate elements."},
	{"element", (const struct hcl_param[]){P("list", "any"), P("index", "number"), END}, NULL, NULL, f_element,
	 "An element by index, wrapping around."},
	{"flatten", (const struct hcl_param[]){P("list", "any"), END}, NULL, NULL, f_flatten,
	 "Flatten nested lists."},
	{"index", (const struct hcl_param[]){P("collection", "any"), {"key", "any", HCL_PARAM_ALLOW_DYNAMIC}, END}, NULL,
	 NULL, f_index, "collection[key] (cty's index function, as Packer has it)."},
	{"keys", (const struct hcl_param[]){P("inputMap", "any"), END}, NULL, NULL, f_keys, "The keys of a map."},
	{"length", (const struct hcl_param[]){{"value", "any", HCL_PARAM_ALLOW_DYNAMIC | HCL_PARAM_ALLOW_UNKNOWN}, END},
	 NULL, "number", f_length, "The length of a string or collection."},
	{"lookup", (const struct hcl_param[]){P("inputMap", "any"), P("key", "string"),
					      {"default", "any", HCL_PARAM_ALLOW_NULL | HCL_PARAM_ALLOW_UNKNOWN}, END},
	 NULL, NULL, f_lookup,
	 "A map element by key, or a default."},
	{"merge", (const struct hcl_param[]){END},
	 &(const struct hcl_param){"maps", "any", HCL_PARAM_ALLOW_NULL | HCL_PARAM_ALLOW_DYNAMIC}, NULL, f_merge,
	 "Merge maps."},
	{"range", (const struct hcl_param[]){END}, &(const struct hcl_param){"params", "number", 0}, "list(number)",
	 f_range, "A list of numbers."},
	{"reverse", (const struct hcl_param[]){P("list", "any"), END}, NULL, NULL, f_reverse, "Reverse a list."},
	{"setintersection", (const struct hcl_param[]){P("first_set", "set(any)"), END},
	 &(const struct hcl_param){"other_sets", "set(any)", 0}, NULL, f_setintersection,
	 "The elements every set has."},
	{"setproduct", (const struct hcl_param[]){END}, &(const struct hcl_param){"sets", "any", 0}, NULL,
	 f_setproduct, "The Cartesian product of sets."},
	{"setunion", (const struct hcl_param[]){P("first_set", "set(any)"), END},
	 &(const struct hcl_param){"other_sets", "set(any)", 0}, NULL, f_setunion, "The elements of any set."},
	{"slice", (const struct hcl_param[]){P("list", "any"), P("start_index", "number"), P("end_index", "number"), END},
	 NULL, NULL, f_slice, "A part of a list."},
	{"sort", (const struct hcl_param[]){P("list", "list(string)"), END}, NULL, "list(string)", f_sort,
	 "Sort strings lexically."},
	{"values", (const struct hcl_param[]){P("mapping", "any"), END}, NULL, NULL, f_values,
	 "The values of a map."},
	{"zipmap", (const struct hcl_param[]){P("keys", "list(string)"), P("values", "any"), END}, NULL, NULL,
	 f_zipmap, "A map from a list of keys and a list of values."},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
