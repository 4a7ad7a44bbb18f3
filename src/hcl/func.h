/* func.h — HCL functions: how a function is declared and called (cty's function package).
 *
 * Each function is one `const struct hcl_func` in the file of its group (func_string.c,
 * func_collection.c, ...); each group exports a {NULL}-terminated array, and functions.c lists the
 * groups — adding a function is one entry in its group's table.
 *
 * Calling (hcl_func_call) does what cty does before a function body runs: arity, converting each
 * argument to its parameter's type constraint (errors name the parameter: `Invalid value for "str"
 * parameter: string required`), rejecting null where not allowed, returning an unknown result when an
 * argument is unknown and the parameter does not accept unknowns, and carrying marks (sensitive)
 * from the arguments to the result unless the parameter handles marks itself. */
#ifndef KILN_HCL_FUNC_H
#define KILN_HCL_FUNC_H

#include <stdbool.h>
#include <stddef.h>

#include "hcl/value.h"
#include "util/buf.h"

/* base64gzip's compressor: gzip of data appended to out, or -1 with *why set (malloc'ed). src/hcl uses
 * no compression library itself; the program wires one in (kiln: libarchive, through the components
 * module, so that only an expression calling base64gzip loads it). NULL: base64gzip reports an error. */
/* jsondecode and jsonencode outside a function call: JSON text as a value (numbers at full precision),
 * NULL with *why (malloc'ed) when it is not JSON; a value as JSON text appended to out. */
struct hcl_value *hcl_json_decode(const char *text, size_t len, char **why);
void hcl_json_encode(struct hcl_value *v, struct buf *out);

typedef int (*hcl_gzip_fn)(const void *data, size_t len, struct buf *out, char **why);
extern hcl_gzip_fn hcl_gzip;
/* Called with every known result a function computes from a sensitive argument (upper(var.secret),
 * base64encode(...)): the result is marked, and the template layer also registers it with the
 * output filter for text kiln does not render itself (a shell command's echo). NULL: nothing. */
extern void (*hcl_sensitive_result)(const struct hcl_value *v);

/* hcl_json_decode for a file: also refusing an object that repeats a key (reject_duplicates), and
 * saying where the text goes wrong (*line, *col from 1). */
struct hcl_value *hcl_json_decode_at(const char *text, size_t len, bool reject_duplicates, char **why, int *line,
				     int *col);

enum {
	HCL_PARAM_ALLOW_NULL = 1u << 0,     /* null reaches the body (else: "argument must not be null") */
	HCL_PARAM_ALLOW_UNKNOWN = 1u << 1,  /* unknown reaches the body (else: the result is unknown) */
	HCL_PARAM_ALLOW_DYNAMIC = 1u << 2,  /* a value of unknown type reaches the body */
	HCL_PARAM_ALLOW_MARKED = 1u << 3,   /* marked values reach the body unchanged (else: unmarked,
					       and the marks are put on the result) */
};

struct hcl_param {
	const char *name;   /* as shown in errors: Invalid value for "str" parameter */
	const char *type;   /* type constraint text: "string", "list(string)", "any" */
	unsigned flags;
};

struct hcl_eval_ctx;
struct hcl_func;

/* What a function body gets besides its arguments, and where it reports failure. */
struct hcl_call {
	const struct hcl_func *fn;
	struct hcl_eval_ctx *ctx;  /* the calling context (base directory; templatefile evaluates) */
	char *err;                 /* set by hcl_call_error / hcl_call_arg_error */
	int err_arg;               /* argument index the error is about, -1 for the call as a whole */
	unsigned marks;            /* marks collected from the arguments; put on the result */
};

struct hcl_func {
	const char *name;
	const struct hcl_param *params;    /* fixed parameters, terminated by {NULL} */
	const struct hcl_param *varparam;  /* the variadic parameter, or NULL */
	const char *ret;                   /* result type constraint for unknown results; NULL = any */
	/* Arguments are already converted (args[i] borrowed). Return a new value, or NULL after
	 * hcl_call_error/hcl_call_arg_error. */
	struct hcl_value *(*impl)(struct hcl_call *call, struct hcl_value **args, size_t nargs);
	const char *doc;                   /* one line, for docs and `kiln console` help */
};

/* Report a failure of the call as a whole ("Call to function "x" failed: ...") or about one
 * argument ("Invalid value for "p" parameter: ..."). Both return NULL for `return hcl_call_error()`. */
struct hcl_value *hcl_call_error(struct hcl_call *call, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct hcl_value *hcl_call_arg_error(struct hcl_call *call, int arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

size_t hcl_func_nparams(const struct hcl_func *fn);
/* A parameter's type constraint, parsed once and cached (borrowed; lives until exit). */
const struct hcl_type *hcl_param_type(const struct hcl_param *p);
const struct hcl_param *hcl_func_param(const struct hcl_func *fn, size_t i); /* NULL past the end */

/* Run fn on args (borrowed; arity already checked by the caller, see hcl_func_nparams). Returns a new
 * value, or NULL with call->err / call->err_arg set. call->fn and call->ctx must be set. */
struct hcl_value *hcl_func_call(struct hcl_call *call, struct hcl_value **args, size_t nargs);
void hcl_call_clear(struct hcl_call *call);

/* Limits of the filesystem functions: file() and filebase64() read regular files of at most
 * HCL_MAX_FILE_SIZE bytes (templatefile() templates are HCL sources: HCL_MAX_SOURCE_SIZE, parser.h);
 * fileset() stops with an error after visiting HCL_FILESET_MAX_ENTRIES directory entries, finding
 * HCL_FILESET_MAX_RESULTS files or running HCL_FILESET_MAX_SECONDS seconds, and does not descend
 * into symbolic links to directories (a link back up would never end). */
#define HCL_MAX_FILE_SIZE ((size_t)16 << 20)
#define HCL_FILESET_MAX_ENTRIES 200000
#define HCL_FILESET_MAX_RESULTS 10000
#define HCL_FILESET_MAX_SECONDS 10

/* Every built-in function, grouped; each group is {NULL}-terminated. */
extern const struct hcl_func hcl_funcs_string[];
extern const struct hcl_func hcl_funcs_number[];
extern const struct hcl_func hcl_funcs_collection[];
extern const struct hcl_func hcl_funcs_encoding[];
extern const struct hcl_func hcl_funcs_file[];
extern const struct hcl_func hcl_funcs_time[];
extern const struct hcl_func hcl_funcs_crypto[];
extern const struct hcl_func hcl_funcs_net[];
extern const struct hcl_func hcl_funcs_misc[];
/* The groups, NULL-terminated (functions.c). */
extern const struct hcl_func *const hcl_function_groups[];
/* Find a built-in by name (NULL if none). */
const struct hcl_func *hcl_builtin_func(const char *name);

/* Helpers for function bodies */
/* An integer argument: fails with "... must be a whole number" style errors like cty's gocty. */
int hcl_arg_int(struct hcl_call *call, struct hcl_value *const *args, size_t i, long long *out);

#endif
