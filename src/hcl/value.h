/* value.h — HCL values and types, as cty has them.
 *
 * TYPES (struct hcl_type) are immutable and reference counted. Primitive types and `dynamic` are
 * static singletons (HCL_T_STRING, HCL_T_NUMBER, HCL_T_BOOL, HCL_T_DYNAMIC); hcl_type_ref/unref on
 * them are no-ops. Collection types (list/set/map of T), structural types (tuple([...]),
 * object({...})) are built by the constructors below.
 *
 * VALUES (struct hcl_value) are immutable and reference counted: share them freely with
 * hcl_value_ref(), release with hcl_value_unref(). Every value has a type and may be
 *   - null (hcl_null), of any type;
 *   - unknown (hcl_unknown): known only later (Packer's build.*), of any type, possibly dynamic;
 *   - marked: a bit set of marks (HCL_MARK_SENSITIVE) that operations and functions carry into
 *     their results, so a secret stays a secret; printing a marked value shows `<sensitive>`.
 * Collections: list (ordered, one element type), set (unique elements, canonical order), map
 * (string keys sorted, one element type), tuple (ordered, a type per element), object (sorted
 * attribute names, a type per attribute).
 *
 * OWNERSHIP: functions returning `struct hcl_value *` return a NEW reference (caller unrefs).
 * Constructors that take values or types STEAL the references passed in (so
 * `hcl_list(HCL_T_STRING, items, n)` owns the items afterwards, but the `items` array itself stays
 * the caller's). Accessors that return `const`/borrowed pointers do not change reference counts:
 * the result lives as long as the value it came from. */
#ifndef KILN_HCL_VALUE_H
#define KILN_HCL_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hcl/number.h"
#include "util/buf.h"

enum hcl_kind {
	HCL_DYNAMIC, /* `any` in a constraint; the type of an unknown value whose type is not known */
	HCL_STRING,
	HCL_NUMBER,
	HCL_BOOL,
	HCL_LIST,
	HCL_SET,
	HCL_MAP,
	HCL_TUPLE,
	HCL_OBJECT,
};

struct hcl_value;

struct hcl_type {
	int refs;                  /* < 0: static singleton */
	enum hcl_kind kind;
	struct hcl_type *elem;     /* list, set, map */
	size_t n;                  /* tuple elements, object attributes */
	struct hcl_type **elems;   /* tuple element types, object attribute types (parallel to names) */
	char **names;              /* object attribute names, sorted bytewise */
	bool *optional;            /* object type constraints only: optional(T) attributes; may be NULL */
	struct hcl_value **defaults; /* object constraints: optional(T, default) defaults (NULL = none) */
};

extern struct hcl_type hcl_type_string, hcl_type_number, hcl_type_bool, hcl_type_dynamic;
#define HCL_T_STRING (&hcl_type_string)
#define HCL_T_NUMBER (&hcl_type_number)
#define HCL_T_BOOL (&hcl_type_bool)
#define HCL_T_DYNAMIC (&hcl_type_dynamic)

struct hcl_type *hcl_type_ref(struct hcl_type *t);
void hcl_type_unref(struct hcl_type *t);
struct hcl_type *hcl_type_list(struct hcl_type *elem);   /* steals elem */
struct hcl_type *hcl_type_set(struct hcl_type *elem);
struct hcl_type *hcl_type_map(struct hcl_type *elem);
/* steals each elems[i]; the array stays the caller's */
struct hcl_type *hcl_type_tuple(struct hcl_type **elems, size_t n);
/* names are copied, types stolen; names need not be sorted (duplicates: last wins). optional may be
 * NULL. */
struct hcl_type *hcl_type_object(const char *const *names, struct hcl_type **types, size_t n,
				 const bool *optional);
bool hcl_type_equal(const struct hcl_type *a, const struct hcl_type *b);
bool hcl_type_is_primitive(const struct hcl_type *t);
bool hcl_type_is_collection(const struct hcl_type *t);  /* list, set, map */
bool hcl_type_has_dynamic(const struct hcl_type *t);     /* contains `any` anywhere */
int hcl_type_attr_index(const struct hcl_type *t, const char *name); /* object attr, -1 if none */
/* cty's FriendlyName: "string", "list of string", "map of number", "object", "tuple", "dynamic"
 * (FriendlyNameForConstraint says "any type" for dynamic: pass constraint=true). */
void hcl_type_friendly(const struct hcl_type *t, bool constraint, struct buf *out);
char *hcl_type_friendly_name(const struct hcl_type *t);
/* Type expression syntax: "list(string)", "object({a=number})" — what hcl_type_parse reads. */
void hcl_type_format(const struct hcl_type *t, struct buf *out);
char *hcl_type_to_string(const struct hcl_type *t);
/* Parse a type constraint from text ("list(map(string))", "object({ a = optional(number) })").
 * Returns NULL with a message in *err (caller frees) when the text is not a type. */
struct hcl_type *hcl_type_parse(const char *text, char **err);

/* ---- values ---- */

#define HCL_MARK_SENSITIVE 0x1u
/* Volatile: the value differs on every evaluation (timestamp(), uuidv4(), bcrypt()'s random salt).
 * Nothing prints differently; checkpoint keys cannot be made from it (docs/checkpoints.md). */
#define HCL_MARK_VOLATILE 0x2u

struct hcl_value {
	int refs;
	struct hcl_type *type;
	bool null;
	bool unknown;
	unsigned short depth;  /* collections: 1 + the deepest element's depth (saturating); else 0 */
	unsigned marks;
	union {
		bool b;
		struct hcl_num *num;
		struct {
			char *s;   /* NUL-terminated; may contain NULs before len */
			size_t len;
		} str;
		struct {
			size_t n;
			struct hcl_value **v;
			char **k;  /* map/object keys (sorted); NULL for list/set/tuple */
		} c;
	} u;
};

struct hcl_value *hcl_value_ref(struct hcl_value *v);
void hcl_value_unref(struct hcl_value *v);
/* unref and clear the pointer: for cleanup paths */
void hcl_value_clear(struct hcl_value **pv);

/* Strings are kept in Unicode NFC, as cty keeps them (non-ASCII text is normalised on creation). */
struct hcl_value *hcl_string(const char *s);
struct hcl_value *hcl_string_n(const char *s, size_t len);
struct hcl_value *hcl_string_own(char *s);                 /* takes a malloc'd NUL-terminated string */
struct hcl_value *hcl_string_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct hcl_value *hcl_number(struct hcl_num *n);           /* steals n */
struct hcl_value *hcl_number_int(int64_t i);
struct hcl_value *hcl_number_double(double d);
/* Parse a literal as cty.ParseNumberVal; NULL when invalid */
struct hcl_value *hcl_number_parse(const char *s);
struct hcl_value *hcl_bool(bool b);
struct hcl_value *hcl_null(struct hcl_type *t);            /* steals t */
struct hcl_value *hcl_unknown(struct hcl_type *t);         /* steals t */
/* Collections: items stolen. hcl_list/hcl_set with n == 0 need elem_type (stolen; may be given with
 * n > 0 too, else the elements' type is used — they must already agree, see hcl_convert for unifying).
 * hcl_set sorts and removes duplicates. */
struct hcl_value *hcl_list(struct hcl_type *elem_type, struct hcl_value **items, size_t n);
struct hcl_value *hcl_set(struct hcl_type *elem_type, struct hcl_value **items, size_t n);
struct hcl_value *hcl_tuple(struct hcl_value **items, size_t n);
/* keys copied, vals stolen; keys need not be sorted (a duplicate key keeps the last value) */
struct hcl_value *hcl_map(struct hcl_type *elem_type, const char *const *keys, struct hcl_value **vals,
			  size_t n);
struct hcl_value *hcl_object(const char *const *keys, struct hcl_value **vals, size_t n);
struct hcl_value *hcl_empty_tuple(void);
struct hcl_value *hcl_empty_object(void);

/* A growable array of owned values, with optional keys: handy for building collections. */
struct hcl_vec {
	struct hcl_value **v;
	char **k; /* NULL unless keys were pushed */
	size_t n, cap;
};
#define HCL_VEC_INIT {NULL, NULL, 0, 0}
void hcl_vec_push(struct hcl_vec *vec, struct hcl_value *v);                  /* steals v */
void hcl_vec_push_kv(struct hcl_vec *vec, const char *key, struct hcl_value *v); /* steals v */
void hcl_vec_free(struct hcl_vec *vec);   /* unrefs what is left */
/* Build and empty the vector (the vector is reset; its values are moved into the result). */
struct hcl_value *hcl_vec_to_tuple(struct hcl_vec *vec);
struct hcl_value *hcl_vec_to_object(struct hcl_vec *vec);
struct hcl_value *hcl_vec_to_list(struct hcl_vec *vec, struct hcl_type *elem_type); /* steals type */
struct hcl_value *hcl_vec_to_set(struct hcl_vec *vec, struct hcl_type *elem_type);
struct hcl_value *hcl_vec_to_map(struct hcl_vec *vec, struct hcl_type *elem_type);

/* Predicates and accessors */
static inline enum hcl_kind hcl_kind(const struct hcl_value *v) { return v->type->kind; }
static inline bool hcl_is_null(const struct hcl_value *v) { return v->null; }
static inline bool hcl_is_known(const struct hcl_value *v) { return !v->unknown; }
static inline bool hcl_is_sensitive(const struct hcl_value *v) { return (v->marks & HCL_MARK_SENSITIVE) != 0; }
bool hcl_is_wholly_known(const struct hcl_value *v); /* no unknown anywhere inside */
/* How deeply collections nest in v ([[1]] is 2). The evaluator refuses values deeper than
 * HCL_MAX_VALUE_DEPTH (a chain of locals could otherwise nest them without end), so that every
 * recursive walk over a value or its type needs a bounded stack. */
#define HCL_MAX_VALUE_DEPTH 1000
static inline unsigned hcl_depth(const struct hcl_value *v) { return v->depth; }
bool hcl_has_marks_deep(const struct hcl_value *v);  /* a mark anywhere inside */
unsigned hcl_marks_deep(const struct hcl_value *v);  /* union of all marks inside */
/* A known, non-null string's bytes (borrowed). */
const char *hcl_str(const struct hcl_value *v);
size_t hcl_str_len(const struct hcl_value *v);
const struct hcl_num *hcl_num_of(const struct hcl_value *v);
bool hcl_true(const struct hcl_value *v);
/* Collections (known, non-null): element count, element i, key i (map/object) — borrowed. */
size_t hcl_len(const struct hcl_value *v);
struct hcl_value *hcl_elem(const struct hcl_value *v, size_t i);
const char *hcl_key(const struct hcl_value *v, size_t i);
/* map/object lookup: borrowed value or NULL */
struct hcl_value *hcl_get(const struct hcl_value *v, const char *key);
bool hcl_is_collection_value(const struct hcl_value *v); /* list/set/map/tuple/object */
bool hcl_is_sequence(const struct hcl_value *v);         /* list/set/tuple */
bool hcl_is_mapping(const struct hcl_value *v);          /* map/object */

/* Marks: returns a new reference carrying `marks` in addition to its own. */
struct hcl_value *hcl_mark(struct hcl_value *v, unsigned marks);   /* steals v */
/* Deep: remove marks everywhere inside; union returned in *marks. steals v */
struct hcl_value *hcl_unmark_deep(struct hcl_value *v, unsigned *marks);

/* Equality as cty's RawEquals (type, nullness, unknown-ness and content all equal; marks ignored). */
bool hcl_value_raw_equal(const struct hcl_value *a, const struct hcl_value *b);
/* Ordering used for sets (strings bytewise, numbers numerically, false<true, else canonical text). */
int hcl_value_compare(const struct hcl_value *a, const struct hcl_value *b);

/* cty's Value.Equals: a bool value, unknown when either side is (partly) unknown. */
struct hcl_value *hcl_value_equals(const struct hcl_value *a, const struct hcl_value *b);

/* Printing.
 * hcl_value_format_repl: exactly how `packer console` (1.6.6) prints a result: top-level strings
 * raw, nested strings Go-quoted, numbers as integers when exact int64 else float64 %g, lists/sets/
 * tuples as "[\n  a,\n]", maps/objects as "{\n  \"k\" = v\n}" with sorted keys, null as "null",
 * a marked value as "<sensitive>", unknown as "<unknown>".
 * hcl_value_format_expr: an HCL expression that reads back as the value (for diagnostics). */
void hcl_value_format_repl(const struct hcl_value *v, struct buf *out);
void hcl_value_format_expr(const struct hcl_value *v, struct buf *out);
char *hcl_value_to_expr(const struct hcl_value *v);
/* Go's strconv.Quote */
void hcl_go_quote(const char *s, size_t len, struct buf *out);

/* ---- conversions (cty's convert package) ---- */

/* A conversion error: the message is cty's ("a number is required", "string required",
 * "attribute \"x\" is required"), the path says where inside the value ("[0]", ".a", "[\"k\"]"). */
struct hcl_convert_error {
	char *msg;
	char *path; /* "" at the top */
};
void hcl_convert_error_free(struct hcl_convert_error *e);
/* Convert v to `want` (which may contain dynamic, optional attributes): returns a new value or NULL
 * with *err filled. v is borrowed. Unknown and null values convert to unknown/null of the target. */
struct hcl_value *hcl_convert(struct hcl_value *v, const struct hcl_type *want,
			      struct hcl_convert_error *err);
/* The single type all of `types` convert to (cty's Unify/UnifyUnsafe: unsafe also allows
 * string->number and string->bool), or NULL when there is none. New reference. */
struct hcl_type *hcl_unify_types(struct hcl_type *const *types, size_t n, bool unsafe);
/* Can a value of type `in` convert to `want` at all (cty's GetConversion[Unsafe] != nil)? */
bool hcl_type_convertible(const struct hcl_type *in, const struct hcl_type *want, bool unsafe);
/* Does `in` already satisfy `want` (equal, or `any` where in has something)? */
bool hcl_type_conforms(const struct hcl_type *in, const struct hcl_type *want);
/* cty's MismatchMessage(got, want): "string required", "attribute \"x\" is required", ... */
char *hcl_mismatch_message(const struct hcl_type *got, const struct hcl_type *want);
/* String conversion helper for templates and string parameters: the primitive value as text
 * (numbers as hcl_num_format, bools as true/false). NULL when v is not a known primitive. */
char *hcl_value_as_text(const struct hcl_value *v);

#endif
