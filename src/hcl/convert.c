/* convert.c — type conversion and unification with cty's rules (zclconf/go-cty convert package):
 * which conversions exist, which are "unsafe" (string to number/bool), how tuples become lists,
 * objects become maps, element types unify, optional object attributes fill with null or their
 * default, and the error messages cty gives when a value does not fit. */
#include "hcl/value.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/strv.h"

void hcl_convert_error_free(struct hcl_convert_error *e)
{
	free(e->msg);
	free(e->path);
	e->msg = e->path = NULL;
}

bool hcl_type_conforms(const struct hcl_type *in, const struct hcl_type *want)
{
	if (want->kind == HCL_DYNAMIC)
		return true;
	if (in->kind != want->kind)
		return false;
	switch (in->kind) {
	case HCL_LIST: case HCL_SET: case HCL_MAP:
		return hcl_type_conforms(in->elem, want->elem);
	case HCL_TUPLE:
		if (in->n != want->n)
			return false;
		for (size_t i = 0; i < in->n; i++)
			if (!hcl_type_conforms(in->elems[i], want->elems[i]))
				return false;
		return true;
	case HCL_OBJECT:
		if (in->n != want->n)
			return false;
		for (size_t i = 0; i < in->n; i++)
			if (strcmp(in->names[i], want->names[i]) != 0 ||
			    !hcl_type_conforms(in->elems[i], want->elems[i]))
				return false;
		return true;
	default:
		return true;
	}
}

static bool attr_optional(const struct hcl_type *t, size_t i)
{
	return t->optional && t->optional[i];
}

/* Same type without optional-attribute markers (what a converted value's type is). */
static struct hcl_type *type_concrete(const struct hcl_type *t)
{
	switch (t->kind) {
	case HCL_LIST:
		return hcl_type_list(type_concrete(t->elem));
	case HCL_SET:
		return hcl_type_set(type_concrete(t->elem));
	case HCL_MAP:
		return hcl_type_map(type_concrete(t->elem));
	case HCL_TUPLE: case HCL_OBJECT: {
		struct hcl_type **ts = xcalloc(t->n ? t->n : 1, sizeof(*ts));
		for (size_t i = 0; i < t->n; i++)
			ts[i] = type_concrete(t->elems[i]);
		struct hcl_type *r = t->kind == HCL_TUPLE ?
			hcl_type_tuple(ts, t->n) :
			hcl_type_object((const char *const *)t->names, ts, t->n, NULL);
		free(ts);
		return r;
	}
	default:
		return hcl_type_ref((struct hcl_type *)t);
	}
}

static struct hcl_type *unify(struct hcl_type *const *types, size_t n, bool unsafe);

/* A tuple to a list or set, or an object to a map: every element converts to the element type, or
 * (to a collection of any) the element types unify. */
static bool structural_convertible_to_collection(const struct hcl_type *in, const struct hcl_type *want,
						 bool unsafe)
{
	if (want->elem->kind == HCL_DYNAMIC) {
		if (in->n == 0)
			return true;
		struct hcl_type *u = unify(in->elems, in->n, unsafe);
		hcl_type_unref(u);
		return u != NULL;
	}
	for (size_t i = 0; i < in->n; i++)
		if (!hcl_type_convertible(in->elems[i], want->elem, unsafe))
			return false;
	return true;
}

bool hcl_type_convertible(const struct hcl_type *in, const struct hcl_type *want, bool unsafe)
{
	if (want->kind == HCL_DYNAMIC || in->kind == HCL_DYNAMIC)
		return true;
	if (hcl_type_conforms(in, want))
		return true;
	switch (want->kind) {
	case HCL_STRING:
		return in->kind == HCL_NUMBER || in->kind == HCL_BOOL;
	case HCL_NUMBER: case HCL_BOOL:
		return unsafe && in->kind == HCL_STRING;
	case HCL_LIST: case HCL_SET:
		if (in->kind == HCL_LIST || in->kind == HCL_SET)
			return hcl_type_convertible(in->elem, want->elem, unsafe);
		if (in->kind == HCL_TUPLE)
			return structural_convertible_to_collection(in, want, unsafe);
		return false;
	case HCL_MAP:
		if (in->kind == HCL_MAP)
			return hcl_type_convertible(in->elem, want->elem, unsafe);
		if (in->kind == HCL_OBJECT)
			return structural_convertible_to_collection(in, want, unsafe);
		return false;
	case HCL_TUPLE:
		if (in->kind != HCL_TUPLE || in->n != want->n)
			return false;
		for (size_t i = 0; i < in->n; i++)
			if (!hcl_type_convertible(in->elems[i], want->elems[i], unsafe))
				return false;
		return true;
	case HCL_OBJECT:
		if (in->kind == HCL_MAP) {
			for (size_t i = 0; i < want->n; i++)
				if (!hcl_type_convertible(in->elem, want->elems[i], unsafe))
					return false;
			return true;
		}
		if (in->kind != HCL_OBJECT)
			return false;
		for (size_t i = 0; i < want->n; i++) {
			int j = hcl_type_attr_index(in, want->names[i]);
			if (j < 0) {
				if (!attr_optional(want, i))
					return false;
				continue;
			}
			if (!hcl_type_convertible(in->elems[j], want->elems[i], unsafe))
				return false;
		}
		return true;
	default:
		return false;
	}
}

/* ---- unification ---- */

static int compare_types(const struct hcl_type *a, const struct hcl_type *b)
{
	if (a->kind == HCL_DYNAMIC || b->kind == HCL_DYNAMIC) {
		if (a->kind != HCL_DYNAMIC)
			return -1;
		if (b->kind != HCL_DYNAMIC)
			return 1;
		return 0;
	}
	if (hcl_type_is_primitive(a) && hcl_type_is_primitive(b)) {
		if (a->kind == HCL_STRING || b->kind == HCL_STRING) {
			if (a->kind != HCL_STRING)
				return 1;
			if (b->kind != HCL_STRING)
				return -1;
		}
		return 0;
	}
	if (a->kind == b->kind && hcl_type_is_collection(a))
		return compare_types(a->elem, b->elem);
	return 0;
}

static struct hcl_type *unify_same_kind(struct hcl_type *const *types, size_t n, bool unsafe,
					enum hcl_kind kind)
{
	if (kind == HCL_LIST || kind == HCL_SET || kind == HCL_MAP) {
		struct hcl_type **els = xcalloc(n, sizeof(*els));
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (types[i]->kind != HCL_DYNAMIC)
				els[m++] = types[i]->elem;
		struct hcl_type *e = unify(els, m, unsafe);
		free(els);
		if (!e)
			return NULL;
		return kind == HCL_LIST ? hcl_type_list(e) : kind == HCL_SET ? hcl_type_set(e) : hcl_type_map(e);
	}
	/* tuples of equal length / objects with the same attribute names: unify position-wise */
	const struct hcl_type *first = NULL;
	for (size_t i = 0; i < n; i++)
		if (types[i]->kind != HCL_DYNAMIC) {
			first = types[i];
			break;
		}
	bool same_shape = true;
	for (size_t i = 0; i < n; i++) {
		const struct hcl_type *t = types[i];
		if (t->kind == HCL_DYNAMIC)
			continue;
		if (t->n != first->n)
			same_shape = false;
		else if (kind == HCL_OBJECT)
			for (size_t j = 0; j < t->n; j++)
				if (strcmp(t->names[j], first->names[j]) != 0)
					same_shape = false;
	}
	if (!same_shape) {
		/* cty: tuples of different lengths unify as a list, objects with different attributes as a
		 * map, when all their element types unify */
		size_t total = 0;
		for (size_t i = 0; i < n; i++)
			total += types[i]->n;
		struct hcl_type **all = xcalloc(total ? total : 1, sizeof(*all));
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < types[i]->n; j++)
				all[m++] = types[i]->elems[j];
		struct hcl_type *e = m ? unify(all, m, unsafe) : HCL_T_DYNAMIC;
		free(all);
		if (!e)
			return NULL;
		return kind == HCL_TUPLE ? hcl_type_list(e) : hcl_type_map(e);
	}
	struct hcl_type **res = xcalloc(first->n ? first->n : 1, sizeof(*res));
	struct hcl_type **col = xcalloc(n, sizeof(*col));
	bool ok = true;
	size_t done = 0;
	for (size_t j = 0; j < first->n; j++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (types[i]->kind != HCL_DYNAMIC)
				col[m++] = types[i]->elems[j];
		res[j] = unify(col, m, unsafe);
		if (!res[j]) {
			ok = false;
			break;
		}
		done++;
	}
	free(col);
	struct hcl_type *r = NULL;
	if (ok)
		r = kind == HCL_TUPLE ? hcl_type_tuple(res, first->n) :
			hcl_type_object((const char *const *)first->names, res, first->n, NULL);
	else
		for (size_t j = 0; j < done; j++)
			hcl_type_unref(res[j]);
	free(res);
	return r;
}

static struct hcl_type *unify(struct hcl_type *const *types, size_t n, bool unsafe)
{
	if (n == 0)
		return NULL;
	size_t cnt[HCL_OBJECT + 1] = {0};
	for (size_t i = 0; i < n; i++)
		cnt[types[i]->kind]++;
	size_t dyn = cnt[HCL_DYNAMIC];
	if (dyn == n)
		return HCL_T_DYNAMIC;
	static const enum hcl_kind structural[] = {HCL_MAP, HCL_LIST, HCL_SET, HCL_OBJECT, HCL_TUPLE};
	for (size_t k = 0; k < sizeof(structural) / sizeof(structural[0]); k++) {
		enum hcl_kind kind = structural[k];
		if (cnt[kind] > 0 && cnt[kind] + dyn == n) {
			struct hcl_type *r = unify_same_kind(types, n, unsafe, kind);
			if (r && dyn > 0) {
				/* cty: with dynamic among the inputs the unified type is dynamic */
				hcl_type_unref(r);
				return HCL_T_DYNAMIC;
			}
			return r;
		}
	}
	if (cnt[HCL_OBJECT] > 0 && cnt[HCL_TUPLE] > 0)
		return NULL;
	/* preference order: a stable topological order of "more general than" */
	size_t *order = xcalloc(n, sizeof(*order));
	bool *used = xcalloc(n, sizeof(*used));
	for (size_t k = 0; k < n; k++) {
		size_t pick = n;
		for (size_t i = 0; i < n && pick == n; i++) {
			if (used[i])
				continue;
			bool dominated = false;
			for (size_t j = 0; j < n; j++)
				if (!used[j] && j != i && compare_types(types[j], types[i]) < 0)
					dominated = true;
			if (!dominated)
				pick = i;
		}
		if (pick == n)
			for (pick = 0; used[pick]; pick++)
				;
		used[pick] = true;
		order[k] = pick;
	}
	struct hcl_type *r = NULL;
	for (size_t k = 0; k < n && !r; k++) {
		const struct hcl_type *want = types[order[k]];
		bool all = true;
		for (size_t i = 0; i < n && all; i++)
			if (!hcl_type_equal(types[i], want) && !hcl_type_convertible(types[i], want, unsafe))
				all = false;
		if (all)
			r = hcl_type_ref((struct hcl_type *)want);
	}
	free(order);
	free(used);
	return r;
}

struct hcl_type *hcl_unify_types(struct hcl_type *const *types, size_t n, bool unsafe)
{
	return unify(types, n, unsafe);
}

/* ---- mismatch messages ---- */

static void constraint_name(const struct hcl_type *t, struct buf *b)
{
	hcl_type_friendly(t, true, b);
}

static void mismatch(const struct hcl_type *got, const struct hcl_type *want, struct buf *b);

static void mismatch_objects(const struct hcl_type *got, const struct hcl_type *want, struct buf *b)
{
	struct strv missing = STRV_INIT;
	struct buf attr = BUF_INIT;
	for (size_t i = 0; i < want->n; i++) {
		int j = hcl_type_attr_index(got, want->names[i]);
		if (j < 0) {
			if (!attr_optional(want, i))
				strv_push(&missing, want->names[i]);
			continue;
		}
		if (!attr.len && !hcl_type_convertible(got->elems[j], want->elems[i], true)) {
			buf_printf(&attr, "attribute \"%s\": ", want->names[i]);
			mismatch(got->elems[j], want->elems[i], &attr);
		}
	}
	if (missing.n == 1) {
		buf_printf(b, "attribute \"%s\" is required", missing.v[0]);
	} else if (missing.n == 2) {
		buf_printf(b, "attributes \"%s\" and \"%s\" are required", missing.v[0], missing.v[1]);
	} else if (missing.n > 2) {
		buf_puts(b, "attributes ");
		for (size_t i = 0; i + 1 < missing.n; i++)
			buf_printf(b, "\"%s\", ", missing.v[i]);
		buf_printf(b, "and \"%s\" are required", missing.v[missing.n - 1]);
	} else if (attr.len) {
		buf_puts(b, attr.data);
	} else {
		buf_puts(b, "incorrect object attributes");
	}
	strv_free(&missing);
	buf_free(&attr);
}

static void mismatch(const struct hcl_type *got, const struct hcl_type *want, struct buf *b)
{
	if (got->kind == HCL_OBJECT && want->kind == HCL_OBJECT) {
		mismatch_objects(got, want, b);
		return;
	}
	if (got->kind == HCL_TUPLE && want->kind == HCL_LIST && want->elem->kind == HCL_DYNAMIC) {
		buf_puts(b, "all list elements must have the same type");
		return;
	}
	if (got->kind == HCL_TUPLE && want->kind == HCL_SET && want->elem->kind == HCL_DYNAMIC) {
		buf_puts(b, "all set elements must have the same type");
		return;
	}
	if (got->kind == HCL_OBJECT && want->kind == HCL_MAP && want->elem->kind == HCL_DYNAMIC) {
		buf_puts(b, "all map element values must have the same type");
		return;
	}
	if ((got->kind == HCL_TUPLE || got->kind == HCL_OBJECT) && hcl_type_is_collection(want)) {
		if ((want->kind == HCL_LIST || want->kind == HCL_SET) && got->kind != HCL_TUPLE)
			goto required;
		if (want->kind == HCL_MAP && got->kind != HCL_OBJECT)
			goto required;
		for (size_t i = 0; i < got->n; i++) {
			if (hcl_type_equal(got->elems[i], want->elem) ||
			    hcl_type_convertible(got->elems[i], want->elem, true))
				continue;
			if (got->kind == HCL_TUPLE)
				buf_printf(b, "element %zu: ", i);
			else
				buf_printf(b, "element \"%s\": ", got->names[i]);
			mismatch(got->elems[i], want->elem, b);
			return;
		}
		buf_puts(b, got->kind == HCL_TUPLE ? "all elements must be " : "all map elements must be ");
		constraint_name(want->elem, b);
		return;
	}
	if (hcl_type_is_collection(got) && hcl_type_is_collection(want)) {
		if ((want->kind == HCL_LIST || want->kind == HCL_SET) && got->kind == HCL_MAP)
			goto required;
		if (want->kind == HCL_MAP && got->kind != HCL_MAP)
			goto required;
		buf_printf(b, "incorrect %s element type: ",
			   want->kind == HCL_LIST ? "list" : want->kind == HCL_SET ? "set" : "map");
		mismatch(got->elem, want->elem, b);
		return;
	}
required:
	constraint_name(want, b);
	buf_puts(b, " required");
}

char *hcl_mismatch_message(const struct hcl_type *got, const struct hcl_type *want)
{
	struct buf b = BUF_INIT;
	mismatch(got, want, &b);
	return buf_detach(&b);
}

/* ---- value conversion ---- */

struct conv {
	struct hcl_convert_error *err;
	struct buf path;
};

static void conv_fail(struct conv *c, char *msg)
{
	if (c->err && !c->err->msg) {
		c->err->msg = msg;
		c->err->path = xstrdup(buf_cstr(&c->path));
	} else {
		free(msg);
	}
}

static struct hcl_value *conv_value(struct conv *c, struct hcl_value *v, const struct hcl_type *want);

static struct hcl_value *conv_elem(struct conv *c, struct hcl_value *v, const struct hcl_type *want,
				   const char *key, size_t idx)
{
	size_t mark = c->path.len;
	if (key) {
		buf_putc(&c->path, '[');
		hcl_go_quote(key, strlen(key), &c->path);
		buf_putc(&c->path, ']');
	} else {
		buf_printf(&c->path, "[%zu]", idx);
	}
	struct hcl_value *r = conv_value(c, v, want);
	buf_truncate(&c->path, mark);
	return r;
}

static struct hcl_value *conv_attr(struct conv *c, struct hcl_value *v, const struct hcl_type *want,
				   const char *name)
{
	size_t mark = c->path.len;
	buf_printf(&c->path, ".%s", name);
	struct hcl_value *r = conv_value(c, v, want);
	buf_truncate(&c->path, mark);
	return r;
}

static struct hcl_value *conv_primitive(struct conv *c, struct hcl_value *v, const struct hcl_type *want)
{
	switch (want->kind) {
	case HCL_STRING: {
		char *s = hcl_value_as_text(v);
		return hcl_string_own(s);
	}
	case HCL_NUMBER: {
		struct hcl_value *n = hcl_number_parse(hcl_str(v));
		if (!n)
			conv_fail(c, xstrdup("a number is required"));
		return n;
	}
	case HCL_BOOL:
		if (strcmp(hcl_str(v), "true") == 0)
			return hcl_bool(true);
		if (strcmp(hcl_str(v), "false") == 0)
			return hcl_bool(false);
		conv_fail(c, xstrdup("a bool is required"));
		return NULL;
	default:
		return NULL;
	}
}

static struct hcl_value *conv_to_seq(struct conv *c, struct hcl_value *v, const struct hcl_type *want)
{
	struct hcl_type *ety = NULL;
	if (want->elem->kind == HCL_DYNAMIC && v->type->kind == HCL_TUPLE) {
		if (v->type->n == 0)
			ety = HCL_T_DYNAMIC;
		else
			ety = unify(v->type->elems, v->type->n, true);
	} else if (want->elem->kind == HCL_DYNAMIC) {
		ety = hcl_type_ref(v->type->elem);
	} else {
		ety = type_concrete(want->elem);
	}
	struct hcl_vec vec = HCL_VEC_INIT;
	for (size_t i = 0; i < hcl_len(v); i++) {
		struct hcl_value *e = conv_elem(c, hcl_elem(v, i),
						want->elem->kind == HCL_DYNAMIC ? ety : want->elem, NULL, i);
		if (!e) {
			hcl_vec_free(&vec);
			hcl_type_unref(ety);
			return NULL;
		}
		hcl_vec_push(&vec, e);
	}
	return want->kind == HCL_LIST ? hcl_vec_to_list(&vec, ety) : hcl_vec_to_set(&vec, ety);
}

static struct hcl_value *conv_to_map(struct conv *c, struct hcl_value *v, const struct hcl_type *want)
{
	struct hcl_type *ety;
	if (want->elem->kind == HCL_DYNAMIC && v->type->kind == HCL_OBJECT)
		ety = v->type->n == 0 ? HCL_T_DYNAMIC : unify(v->type->elems, v->type->n, true);
	else if (want->elem->kind == HCL_DYNAMIC)
		ety = hcl_type_ref(v->type->elem);
	else
		ety = type_concrete(want->elem);
	struct hcl_vec vec = HCL_VEC_INIT;
	for (size_t i = 0; i < hcl_len(v); i++) {
		struct hcl_value *e = conv_elem(c, hcl_elem(v, i),
						want->elem->kind == HCL_DYNAMIC ? ety : want->elem, hcl_key(v, i), 0);
		if (!e) {
			hcl_vec_free(&vec);
			hcl_type_unref(ety);
			return NULL;
		}
		hcl_vec_push_kv(&vec, hcl_key(v, i), e);
	}
	return hcl_vec_to_map(&vec, ety);
}

static struct hcl_value *conv_to_object(struct conv *c, struct hcl_value *v, const struct hcl_type *want)
{
	struct hcl_vec vec = HCL_VEC_INIT;
	for (size_t i = 0; i < want->n; i++) {
		const char *name = want->names[i];
		struct hcl_value *src = hcl_get(v, name);
		struct hcl_value *e;
		if (!src || (src->null && attr_optional(want, i) && want->defaults && want->defaults[i])) {
			if (!attr_optional(want, i)) {
				if (v->type->kind == HCL_MAP)
					conv_fail(c, xasprintf("map has no element for required attribute \"%s\"", name));
				else
					conv_fail(c, xasprintf("attribute \"%s\" is required", name));
				hcl_vec_free(&vec);
				return NULL;
			}
			if (want->defaults && want->defaults[i])
				e = conv_attr(c, want->defaults[i], want->elems[i], name);
			else
				e = hcl_null(type_concrete(want->elems[i]));
		} else {
			e = conv_attr(c, src, want->elems[i], name);
		}
		if (!e) {
			hcl_vec_free(&vec);
			return NULL;
		}
		hcl_vec_push_kv(&vec, name, e);
	}
	return hcl_vec_to_object(&vec);
}

static struct hcl_value *conv_to_tuple(struct conv *c, struct hcl_value *v, const struct hcl_type *want)
{
	struct hcl_vec vec = HCL_VEC_INIT;
	for (size_t i = 0; i < want->n; i++) {
		struct hcl_value *e = conv_elem(c, hcl_elem(v, i), want->elems[i], NULL, i);
		if (!e) {
			hcl_vec_free(&vec);
			return NULL;
		}
		hcl_vec_push(&vec, e);
	}
	return hcl_vec_to_tuple(&vec);
}

static bool has_optional(const struct hcl_type *t)
{
	switch (t->kind) {
	case HCL_LIST: case HCL_SET: case HCL_MAP:
		return has_optional(t->elem);
	case HCL_OBJECT:
		if (t->optional)
			return true;
		/* fallthrough */
	case HCL_TUPLE:
		for (size_t i = 0; i < t->n; i++)
			if (has_optional(t->elems[i]))
				return true;
		return false;
	default:
		return false;
	}
}

static struct hcl_value *conv_value(struct conv *c, struct hcl_value *v, const struct hcl_type *want)
{
	if (want->kind == HCL_DYNAMIC)
		return hcl_value_ref(v);
	if (hcl_type_conforms(v->type, want) && !has_optional(want))
		return hcl_value_ref(v);
	if (!hcl_type_convertible(v->type, want, true)) {
		conv_fail(c, hcl_mismatch_message(v->type, want));
		return NULL;
	}
	struct hcl_value *r;
	if (v->null) {
		r = hcl_null(type_concrete(want));
	} else if (v->unknown) {
		r = hcl_unknown(type_concrete(want));
	} else if (v->type->kind == HCL_DYNAMIC) {
		r = hcl_null(type_concrete(want));
	} else {
		switch (want->kind) {
		case HCL_STRING: case HCL_NUMBER: case HCL_BOOL:
			r = conv_primitive(c, v, want);
			break;
		case HCL_LIST: case HCL_SET:
			r = conv_to_seq(c, v, want);
			break;
		case HCL_MAP:
			r = conv_to_map(c, v, want);
			break;
		case HCL_OBJECT:
			r = conv_to_object(c, v, want);
			break;
		case HCL_TUPLE:
			r = conv_to_tuple(c, v, want);
			break;
		default:
			r = NULL;
			break;
		}
	}
	if (r && v->marks)
		r = hcl_mark(r, v->marks);
	return r;
}

struct hcl_value *hcl_convert(struct hcl_value *v, const struct hcl_type *want,
			      struct hcl_convert_error *err)
{
	struct conv c = {err, BUF_INIT};
	if (err)
		err->msg = err->path = NULL;
	struct hcl_value *r = conv_value(&c, v, want);
	buf_free(&c.path);
	return r;
}
