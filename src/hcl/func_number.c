/* func_number.c — numeric functions: abs ceil floor log max min parseint pow signum sum. Results keep
 * cty's precisions: functions that compute in float64 (log, pow) give 53-bit numbers, exactly as cty
 * does, which shows when such a number is interpolated into a string. */
#include <stdlib.h>
#include <string.h>

#include "hcl/funcutil.h"
#include "util/lazy_m.h"
#include "util/mem.h"

#define P(n, t) {n, t, 0}

static struct hcl_value *f_abs(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return hcl_number(hcl_num_abs(hcl_num_of(a[0])));
}

static struct hcl_value *f_ceil(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return hcl_number(hcl_num_ceil(hcl_num_of(a[0])));
}

static struct hcl_value *f_floor(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return hcl_number(hcl_num_floor(hcl_num_of(a[0])));
}

static struct hcl_value *f_log(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	double num = hcl_num_to_double(hcl_num_of(a[0])), base = hcl_num_to_double(hcl_num_of(a[1]));
	double r = log(num) / log(base);
	if (isnan(r))
		return hcl_call_error(c, "the result is not a number (NaN)");
	return hcl_number_double(r);
}

static struct hcl_value *f_pow(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	double r = pow(hcl_num_to_double(hcl_num_of(a[0])), hcl_num_to_double(hcl_num_of(a[1])));
	if (isnan(r))
		return hcl_call_error(c, "the result is not a number (NaN)");
	return hcl_number_double(r);
}

static struct hcl_value *f_signum(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	/* cty 1.7 reads the argument as an int */
	long long v;
	if (hcl_arg_int(c, a, 0, &v) < 0)
		return NULL;
	return hcl_number_int(v < 0 ? -1 : v > 0);
}

static struct hcl_value *minmax(struct hcl_call *c, struct hcl_value **a, size_t n, int dir)
{
	if (n == 0)
		return hcl_call_error(c, "must pass at least one number");
	struct hcl_value *best = a[0];
	for (size_t i = 1; i < n; i++)
		if (hcl_num_cmp(hcl_num_of(a[i]), hcl_num_of(best)) * dir > 0)
			best = a[i];
	return hcl_value_ref(best);
}

static struct hcl_value *f_max(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return minmax(c, a, n, 1);
}

static struct hcl_value *f_min(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return minmax(c, a, n, -1);
}

static struct hcl_value *f_parseint(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	if (a[0]->type->kind != HCL_STRING) {
		char *tn = hcl_type_friendly_name(a[0]->type);
		struct hcl_value *r = hcl_call_arg_error(c, 0, "first argument must be a string, not %s", tn);
		free(tn);
		return r;
	}
	if (a[0]->unknown || a[1]->unknown)
		return hcl_unknown(HCL_T_NUMBER);
	long long base;
	const struct hcl_num *bn = hcl_num_of(a[1]);
	int64_t b64;
	if (!hcl_num_to_int64(bn, &b64) || b64 < 2 || b64 > 62)
		return hcl_call_arg_error(c, 1, "base must be a whole number between 2 and 62 inclusive");
	base = b64;
	struct hcl_num *num = hcl_num_parse_int(hcl_str(a[0]), (int)base);
	if (!num)
		return hcl_call_arg_error(c, 0, "cannot parse \"%s\" as a base %lld integer", hcl_str(a[0]), base);
	return hcl_number(num);
}

static struct hcl_value *f_sum(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct hcl_value *l = a[0];
	if (!hcl_is_sequence(l))
		return hcl_call_arg_error(c, 0, "cannot sum noniterable");
	if (!hcl_is_wholly_known(l))
		return hcl_unknown(HCL_T_NUMBER);
	if (hcl_len(l) == 0)
		return hcl_call_arg_error(c, 0, "cannot sum an empty list");
	struct hcl_num *acc = NULL;
	for (size_t i = 0; i < hcl_len(l); i++) {
		struct hcl_value *e = hcl_elem(l, i);
		if (e->null) {
			hcl_num_free(acc);
			return hcl_call_arg_error(c, 0, "argument must be list, set, or tuple of number values");
		}
		struct hcl_convert_error ce = {0};
		struct hcl_value *nv = hcl_convert(e, HCL_T_NUMBER, &ce);
		if (!nv) {
			hcl_convert_error_free(&ce);
			hcl_num_free(acc);
			return hcl_call_arg_error(c, 0, "argument must be list, set, or tuple of number values");
		}
		if (!acc) {
			acc = hcl_num_copy(hcl_num_of(nv));
		} else {
			struct hcl_num *s;
			if (hcl_num_add(acc, hcl_num_of(nv), &s) < 0) {
				hcl_value_unref(nv);
				hcl_num_free(acc);
				return hcl_call_error(c, "can't compute sum of opposing infinities");
			}
			hcl_num_free(acc);
			acc = s;
		}
		hcl_value_unref(nv);
	}
	return hcl_number(acc);
}

static const struct hcl_param p_num[] = {P("num", "number"), {NULL, NULL, 0}};

const struct hcl_func hcl_funcs_number[] = {
	{"abs", p_num, NULL, "number", f_abs, "Absolute value."},
	{"ceil", p_num, NULL, "number", f_ceil, "Round up to a whole number."},
	{"floor", p_num, NULL, "number", f_floor, "Round down to a whole number."},
	{"log", (const struct hcl_param[]){P("num", "number"), P("base", "number"), {NULL, NULL, 0}}, NULL, "number",
	 f_log, "Logarithm of num in base."},
	{"max", (const struct hcl_param[]){{NULL, NULL, 0}},
	 &(const struct hcl_param){"numbers", "number", HCL_PARAM_ALLOW_DYNAMIC}, "number", f_max, "The greatest number."},
	{"min", (const struct hcl_param[]){{NULL, NULL, 0}},
	 &(const struct hcl_param){"numbers", "number", HCL_PARAM_ALLOW_DYNAMIC}, "number", f_min, "The smallest number."},
	{"parseint", (const struct hcl_param[]){{"number", "any", HCL_PARAM_ALLOW_UNKNOWN}, P("base", "number"), {NULL, NULL, 0}},
	 NULL, "number", f_parseint, "Parse an integer in a base."},
	{"pow", (const struct hcl_param[]){P("num", "number"), P("power", "number"), {NULL, NULL, 0}}, NULL, "number",
	 f_pow, "num to the power of power."},
	{"signum", p_num, NULL, "number", f_signum, "-1, 0 or 1."},
	{"sum", (const struct hcl_param[]){{"list", "any", 0}, {NULL, NULL, 0}}, NULL, "number", f_sum,
	 "The sum of a list of numbers."},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
