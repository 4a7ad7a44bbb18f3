/* func.c — calling HCL functions with cty's argument handling (conversion, null, unknown, marks),
 * and the table of built-in function groups. */
#include "hcl/func.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

const struct hcl_func *const hcl_function_groups[] = {
	hcl_funcs_string,
	hcl_funcs_number,
	hcl_funcs_collection,
	hcl_funcs_encoding,
	hcl_funcs_file,
	hcl_funcs_time,
	hcl_funcs_crypto,
	hcl_funcs_net,
	hcl_funcs_misc,
	NULL,
};

const struct hcl_func *hcl_builtin_func(const char *name)
{
	for (size_t g = 0; hcl_function_groups[g]; g++)
		for (const struct hcl_func *f = hcl_function_groups[g]; f->name; f++)
			if (strcmp(f->name, name) == 0)
				return f;
	return NULL;
}

static struct hcl_value *call_errorv(struct hcl_call *call, int arg, const char *fmt, va_list ap)
{
	if (!call->err) {
		call->err = xvasprintf(fmt, ap);
		call->err_arg = arg;
	}
	return NULL;
}

struct hcl_value *hcl_call_error(struct hcl_call *call, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	call_errorv(call, -1, fmt, ap);
	va_end(ap);
	return NULL;
}

struct hcl_value *hcl_call_arg_error(struct hcl_call *call, int arg, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	call_errorv(call, arg, fmt, ap);
	va_end(ap);
	return NULL;
}

void hcl_call_clear(struct hcl_call *call)
{
	free(call->err);
	call->err = NULL;
	call->err_arg = -1;
}

size_t hcl_func_nparams(const struct hcl_func *fn)
{
	size_t n = 0;
	while (fn->params && fn->params[n].name)
		n++;
	return n;
}

const struct hcl_param *hcl_func_param(const struct hcl_func *fn, size_t i)
{
	size_t n = hcl_func_nparams(fn);
	if (i < n)
		return &fn->params[i];
	return fn->varparam;
}

/* Parsed parameter types are cached per constraint text: the tables are static, so the number of
 * distinct texts is small and fixed. */
struct type_cache_entry {
	const char *text;
	struct hcl_type *type;
};
static struct type_cache_entry *type_cache;
static size_t type_cache_n, type_cache_cap;
/* builds may evaluate in parallel threads */
static pthread_mutex_t type_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void type_cache_free(void)
{
	for (size_t i = 0; i < type_cache_n; i++)
		hcl_type_unref(type_cache[i].type);
	free(type_cache);
	type_cache = NULL;
	type_cache_n = type_cache_cap = 0;
}

static const struct hcl_type *param_type(const char *text)
{
	if (!text)
		return HCL_T_DYNAMIC;
	pthread_mutex_lock(&type_cache_lock);
	for (size_t i = 0; i < type_cache_n; i++)
		if (type_cache[i].text == text || strcmp(type_cache[i].text, text) == 0) {
			struct hcl_type *found = type_cache[i].type;
			pthread_mutex_unlock(&type_cache_lock);
			return found;
		}
	char *err = NULL;
	struct hcl_type *t = hcl_type_parse(text, &err);
	if (!t) {
		/* a programming error in a function table */
		free(err);
		t = HCL_T_DYNAMIC;
	}
	if (type_cache_n == 0)
		atexit(type_cache_free);
	type_cache = xgrow(type_cache, &type_cache_cap, type_cache_n + 1, sizeof(*type_cache));
	type_cache[type_cache_n++] = (struct type_cache_entry){text, t};
	pthread_mutex_unlock(&type_cache_lock);
	return t;
}

const struct hcl_type *hcl_param_type(const struct hcl_param *p)
{
	return param_type(p->type);
}

void (*hcl_sensitive_result)(const struct hcl_value *v);

struct hcl_value *hcl_func_call(struct hcl_call *call, struct hcl_value **args, size_t nargs)
{
	const struct hcl_func *fn = call->fn;
	struct hcl_value **conv = xcalloc(nargs ? nargs : 1, sizeof(*conv));
	struct hcl_value *result = NULL;
	bool unknown = false;
	call->err_arg = -1;
	for (size_t i = 0; i < nargs; i++) {
		const struct hcl_param *p = hcl_func_param(fn, i);
		struct hcl_value *a = hcl_value_ref(args[i]);
		if (!(p->flags & HCL_PARAM_ALLOW_MARKED)) {
			unsigned m = 0;
			a = hcl_unmark_deep(a, &m);
			call->marks |= m;
		}
		conv[i] = a;
		if (a->null && !(p->flags & HCL_PARAM_ALLOW_NULL)) {
			hcl_call_arg_error(call, (int)i, "argument must not be null");
			goto out;
		}
		if (a->type->kind == HCL_DYNAMIC && a->unknown) {
			if (!(p->flags & HCL_PARAM_ALLOW_DYNAMIC) && !(p->flags & HCL_PARAM_ALLOW_UNKNOWN))
				unknown = true;
			continue;
		}
		struct hcl_convert_error cerr = {0};
		struct hcl_value *c = hcl_convert(a, param_type(p->type), &cerr);
		if (!c) {
			hcl_call_arg_error(call, (int)i, "%s", cerr.msg);
			hcl_convert_error_free(&cerr);
			goto out;
		}
		hcl_value_unref(conv[i]);
		conv[i] = c;
		if (c->unknown && !(p->flags & HCL_PARAM_ALLOW_UNKNOWN))
			unknown = true;
	}
	if (unknown) {
		result = hcl_unknown(hcl_type_ref((struct hcl_type *)param_type(fn->ret)));
	} else {
		result = fn->impl(call, conv, nargs);
		if (!result && !call->err)
			hcl_call_error(call, "function failed");
	}
	if (result && call->marks)
		result = hcl_mark(result, call->marks);
	if (result && (call->marks & HCL_MARK_SENSITIVE) && hcl_sensitive_result)
		hcl_sensitive_result(result);
out:
	/* a function's error may quote its arguments: with a sensitive one, none of it is shown */
	if (!result && call->err) {
		bool sensitive = false;
		for (size_t i = 0; i < nargs && !sensitive; i++)
			sensitive = (hcl_marks_deep(args[i]) & HCL_MARK_SENSITIVE) != 0;
		if (sensitive) {
			free(call->err);
			call->err = xstrdup("the reason is not shown because an argument is sensitive");
		}
	}
	for (size_t i = 0; i < nargs; i++)
		hcl_value_unref(conv[i]);
	free(conv);
	return result;
}

int hcl_arg_int(struct hcl_call *call, struct hcl_value *const *args, size_t i, long long *out)
{
	int64_t v;
	const struct hcl_num *n = hcl_num_of(args[i]);
	/* cty's gocty conversion inside the function body: a plain (not argument) error */
	(void)i;
	if (!hcl_num_is_int(n) || !hcl_num_to_int64(n, &v)) {
		hcl_call_error(call, "value must be a whole number, between -9223372036854775808 and 9223372036854775807");
		return -1;
	}
	*out = v;
	return 0;
}
