/* ast.h — the syntax tree of HCL native syntax (../shared/reference/hcl/hclsyntax_spec.md).
 *
 * A parsed file is a body of attributes and blocks; attribute values are expressions, kept unevaluated
 * for the evaluator (values side of src/hcl) and the application (src/template). The node kinds follow
 * the spec's productions (and HCL's own hclsyntax package, so its semantics carry over one to one):
 *
 *   literal            5, 3.14, true, false, null          (number kept as source text)
 *   template           "a ${b} c", <<EOT ... EOT           (parts: literal text, ${...}, %{if}, %{for})
 *   template_wrap      "${b}"                              (a template that is exactly one
 *                                                           interpolation: yields b's value unconverted)
 *   scope_traversal    var.foo.bar[0]                      (variable + constant attr/index steps)
 *   relative_traversal f(x).foo[0]                         (any expression + constant steps)
 *   index              a[b]                                (key not a constant)
 *   splat              a[*].b / a.*.b                      (each = expression over the anon symbol)
 *   anon_symbol        the current element inside a splat's `each`
 *   function_call      f(a, b...)
 *   conditional        a ? b : c
 *   binary_op, unary_op
 *   tuple_cons         [a, b]
 *   object_cons        {a = 1, (b) = 2, "c" = 3}
 *   for                [for k, v in x : v if c], {for k, v in x : k => v... if c}
 *   parens             (a)                                 (kept for ranges; evaluates to a)
 *
 * Every node has a range. Strings in the tree are owned by the tree, NUL-terminated; literal and
 * template text may contain NUL bytes (\u0000), so their length is given too. */
#ifndef KILN_HCL_AST_H
#define KILN_HCL_AST_H

#include <stdbool.h>
#include <stddef.h>

#include "hcl/diag.h"

struct hcl_expr;
struct hcl_body;
struct hcl_arena;

/* ------------------------------------------------------------------------------------------------
 * Files */

struct hcl_file {
	char *filename;
	char *bytes;             /* the whole source, NUL-terminated copy */
	size_t len;
	struct hcl_body *body;   /* NULL when the file holds only source text (a template, a -var value) */
	struct hcl_arena *arena; /* holds body's whole tree (NULL without a body) */
	/* byte ranges of the source that hold a sensitive value (hcl_file_hide): diagnostics never show
	 * a source line that overlaps one */
	struct hcl_span {
		size_t start, end;
	} *hidden;
	size_t nhidden, caphidden;
};

/* A set of files, so diagnostics can show source lines and the enclosing block. Owns its files. */
struct hcl_fileset {
	struct hcl_file **v;
	size_t n;
	size_t cap;
};

#define HCL_FILESET_INIT {NULL, 0, 0}

void hcl_fileset_add(struct hcl_fileset *fs, struct hcl_file *f);     /* takes ownership */
/* The bytes of range r (in the file of fs it names; nothing when none) hold a sensitive value: a
 * diagnostic whose source lines overlap them shows no source. */
void hcl_fileset_hide(struct hcl_fileset *fs, const struct hcl_range *r);
/* Whether bytes [start, end) of f overlap a hidden range. */
bool hcl_file_is_hidden(const struct hcl_file *f, size_t start, size_t end);
const struct hcl_file *hcl_fileset_find(const struct hcl_fileset *fs, const char *filename);
void hcl_fileset_free(struct hcl_fileset *fs);

/* A file holding only source text (for rendering diagnostics about it); copies name and bytes. */
struct hcl_file *hcl_file_new_source(const char *filename, const char *bytes, size_t len);
/* The same, taking bytes (malloc'd, with a NUL at bytes[len]) instead of copying them. */
struct hcl_file *hcl_file_new_source_owned(const char *filename, char *bytes, size_t len);
void hcl_file_free(struct hcl_file *f);

/* ------------------------------------------------------------------------------------------------
 * Structure: bodies, attributes, blocks */

struct hcl_attribute {
	char *name;
	struct hcl_expr *expr;
	struct hcl_range range;          /* name through the end of the expression */
	struct hcl_range name_range;
	struct hcl_range equals_range;
};

struct hcl_block {
	char *type;
	char **labels;                   /* nlabels entries */
	struct hcl_range *label_ranges;  /* including the quotes of a quoted label */
	size_t nlabels;
	struct hcl_body *body;           /* never NULL */
	struct hcl_range type_range;
	struct hcl_range open_brace_range;
	struct hcl_range close_brace_range;
	struct hcl_range range;          /* type through the closing brace */
};

/* Attributes and blocks each in source order. A body never has two attributes of one name (the
 * parser reports "Attribute redefined" and keeps the first). */
struct hcl_body {
	struct hcl_attribute **attrs;
	size_t nattrs;
	struct hcl_block **blocks;
	size_t nblocks;
	struct hcl_range range;          /* from the opening brace (or file start) to the closing brace */
	struct hcl_range end_range;      /* empty range at the very end, for "missing X" diagnostics */
};

const struct hcl_attribute *hcl_body_attr(const struct hcl_body *b, const char *name);

/* ------------------------------------------------------------------------------------------------
 * Expressions */

enum hcl_expr_kind {
	HCL_EXPR_LITERAL = 1,
	HCL_EXPR_TEMPLATE,
	HCL_EXPR_TEMPLATE_WRAP,
	HCL_EXPR_SCOPE_TRAVERSAL,
	HCL_EXPR_RELATIVE_TRAVERSAL,
	HCL_EXPR_INDEX,
	HCL_EXPR_SPLAT,
	HCL_EXPR_ANON_SYMBOL,
	HCL_EXPR_FUNCTION_CALL,
	HCL_EXPR_CONDITIONAL,
	HCL_EXPR_BINARY_OP,
	HCL_EXPR_UNARY_OP,
	HCL_EXPR_TUPLE_CONS,
	HCL_EXPR_OBJECT_CONS,
	HCL_EXPR_FOR,
	HCL_EXPR_PARENS,
	HCL_EXPR_INVALID,       /* placeholder left where a syntax error was reported; evaluates to an
	                           unknown value of any type */
};

enum hcl_literal_kind {
	HCL_LIT_NULL = 1,
	HCL_LIT_BOOL,
	HCL_LIT_NUMBER,         /* text is the decimal source text: "5", "3.14", "1e10" (always valid) */
	HCL_LIT_STRING,         /* text/len is the decoded string (escapes applied) */
};

struct hcl_literal {
	enum hcl_literal_kind kind;
	bool b;                 /* HCL_LIT_BOOL */
	char *text;             /* NUMBER, STRING; NULL otherwise */
	size_t len;
};

/* One step of a traversal: .name, [constant], or the legacy .0 index (an INDEX with a number key). */
enum hcl_traverser_kind {
	HCL_TRAVERSE_ATTR = 1,
	HCL_TRAVERSE_INDEX,
};

struct hcl_traverser {
	enum hcl_traverser_kind kind;
	char *name;                 /* ATTR */
	struct hcl_literal key;     /* INDEX: a number, string, bool or null constant. kind 0 when the key
	                               is unusable after a syntax error (treat as unknown). */
	struct hcl_range range;     /* including the dot or brackets */
};

struct hcl_traversal {
	char *root;                 /* scope traversals: the variable name; NULL for relative ones */
	struct hcl_range root_range;
	struct hcl_traverser *steps;
	size_t nsteps;
};

enum hcl_binary_op {
	HCL_OP_OR = 1,      /* ||  level 1 (loosest) */
	HCL_OP_AND,         /* &&  level 2 */
	HCL_OP_EQ,          /* ==  level 3 */
	HCL_OP_NE,          /* != */
	HCL_OP_LT,          /* <   level 4 */
	HCL_OP_LE,          /* <= */
	HCL_OP_GT,          /* > */
	HCL_OP_GE,          /* >= */
	HCL_OP_ADD,         /* +   level 5 */
	HCL_OP_SUB,         /* - */
	HCL_OP_MUL,         /* *   level 6 (tightest) */
	HCL_OP_DIV,         /* / */
	HCL_OP_MOD,         /* % */
};

enum hcl_unary_op {
	HCL_OP_NEG = 1,     /* -a */
	HCL_OP_NOT,         /* !a */
};

/* --- templates --- */

struct hcl_template;

enum hcl_template_part_kind {
	HCL_TPART_LITERAL = 1,  /* literal text: escapes, $${ / %%{, strip markers and <<- indentation
	                           already applied */
	HCL_TPART_INTERP,       /* ${ expr } */
	HCL_TPART_IF,           /* %{ if cond }then%{ else }else%{ endif } */
	HCL_TPART_FOR,          /* %{ for key, value in coll }body%{ endfor } */
};

struct hcl_template_part {
	enum hcl_template_part_kind kind;
	struct hcl_range range;
	/* LITERAL */
	char *text;
	size_t len;
	/* INTERP */
	struct hcl_expr *expr;
	/* IF */
	struct hcl_expr *cond;
	struct hcl_template *then_t;      /* never NULL */
	struct hcl_template *else_t;      /* NULL when there is no %{ else } */
	/* FOR */
	char *key_var;                    /* NULL when only a value variable is named */
	char *value_var;
	struct hcl_expr *coll;
	struct hcl_template *body;
};

struct hcl_template {
	struct hcl_template_part *parts;
	size_t nparts;
	struct hcl_range range;
};

/* --- object constructor items --- */

struct hcl_object_item {
	/* A naked identifier key (`{foo = 1}`, also true/false/null) is turned into a string literal
	 * "foo" by the parser, with key_is_name set; any other key is an expression to evaluate and
	 * convert to string (`{(foo) = 1}` reads variable foo). */
	struct hcl_expr *key;
	struct hcl_expr *value;
	bool key_is_name;
};

struct hcl_expr {
	enum hcl_expr_kind kind;
	struct hcl_range range;
	union {
		struct hcl_literal literal;                /* LITERAL */

		struct {                                   /* TEMPLATE */
			struct hcl_template *tmpl;
			bool heredoc;
		} template_;

		struct {                                   /* TEMPLATE_WRAP, PARENS */
			struct hcl_expr *inner;
		} wrap;

		struct hcl_traversal traversal;            /* SCOPE_TRAVERSAL (root set) */

		struct {                                   /* RELATIVE_TRAVERSAL */
			struct hcl_expr *source;
			struct hcl_traversal traversal;    /* root NULL */
		} rel;

		struct {                                   /* INDEX */
			struct hcl_expr *coll;
			struct hcl_expr *key;
			struct hcl_range bracket_range;
		} index;

		struct {                                   /* SPLAT */
			struct hcl_expr *source;
			/* evaluated once per element, with `item` bound to the element; `each` is `item`
			 * itself when nothing follows the splat */
			struct hcl_expr *each;
			struct hcl_expr *item;             /* the ANON_SYMBOL node inside `each` */
			struct hcl_range marker_range;     /* ".*" or "[*]" */
			bool full;                         /* [*] (attr and index steps apply per element)
			                                      rather than .* (attr steps only) */
		} splat;

		struct {                                   /* FUNCTION_CALL */
			char *name;
			struct hcl_expr **args;
			size_t nargs;
			bool expand_final;                 /* f(a, list...) */
			struct hcl_range name_range;
			struct hcl_range open_paren_range;
			struct hcl_range close_paren_range;
		} call;

		struct {                                   /* CONDITIONAL */
			struct hcl_expr *cond;
			struct hcl_expr *true_expr;
			struct hcl_expr *false_expr;
		} cond;

		struct {                                   /* BINARY_OP */
			enum hcl_binary_op op;
			struct hcl_expr *lhs;
			struct hcl_expr *rhs;
			struct hcl_range op_range;
		} binary;

		struct {                                   /* UNARY_OP */
			enum hcl_unary_op op;
			struct hcl_expr *operand;
			struct hcl_range op_range;
		} unary;

		struct {                                   /* TUPLE_CONS */
			struct hcl_expr **items;
			size_t nitems;
			struct hcl_range open_range;
		} tuple;

		struct {                                   /* OBJECT_CONS */
			struct hcl_object_item *items;
			size_t nitems;
			struct hcl_range open_range;
		} object;

		struct {                                   /* FOR */
			char *key_var;                     /* NULL when only the value is named */
			char *value_var;
			struct hcl_expr *coll;
			struct hcl_expr *key_expr;         /* object for: the key (before =>); NULL for tuple */
			struct hcl_expr *value_expr;
			struct hcl_expr *cond;             /* `if` clause, or NULL */
			bool group;                        /* object for with `...` grouping */
			bool is_object;                    /* { } rather than [ ] */
			struct hcl_range open_range;
			struct hcl_range close_range;
		} for_;
	} u;
};

/* Free a tree returned by hcl_parse_expression or hcl_parse_template (a file's tree goes with
 * hcl_file_free). Nodes are never freed one by one: never pass a node from inside a tree. */
void hcl_expr_free(struct hcl_expr *e);

const char *hcl_binary_op_symbol(enum hcl_binary_op op);   /* "+", "&&", ... */
const char *hcl_expr_kind_name(enum hcl_expr_kind kind);    /* "function_call", ... */

/* ------------------------------------------------------------------------------------------------
 * Depth. The parser bounds how deeply a tree nests (HCL_MAX_NESTING levels of operands, brackets,
 * conditionals, wrapping index steps and template directives, and of blocks), so that a recursive
 * walk over a tree needs a bounded stack — except along the left operands of a chain of binary
 * operators (1 + 1 + ... + 1), which Packer evaluates at any length: every walk iterates over
 * those, with hcl_binary_chain. */
#define HCL_MAX_NESTING 500

/* The operators of the chain of binary operators e starts (e must be one), outermost first: e, its
 * left operand while that is a binary operator too, and so on; *n of them. The chain's leftmost
 * operand is chain[*n - 1]->u.binary.lhs; the right operands are walked innermost first (from
 * chain[*n - 1] back to chain[0]) to keep the source order. The array is `few` (nfew entries) when
 * it fits, else malloc'd: free it when it is not `few`. */
const struct hcl_expr **hcl_binary_chain(const struct hcl_expr *e, const struct hcl_expr **few, size_t nfew,
					 size_t *n);

/* ------------------------------------------------------------------------------------------------
 * Static analysis */

/* Calls fn for every scope traversal the expression reads from its scope (HCL's Variables()):
 * names bound by `for` expressions and template `for` directives are left out. Stops and returns
 * fn's value when it is non-zero. */
typedef int (*hcl_traversal_fn)(void *arg, const struct hcl_expr *scope_traversal);
int hcl_expr_variables(const struct hcl_expr *e, hcl_traversal_fn fn, void *arg);
/* The same over every attribute of a body and its nested blocks. */
int hcl_body_variables(const struct hcl_body *b, hcl_traversal_fn fn, void *arg);

/* Pre-order walk over every expression node (including those inside templates). Return non-zero
 * from fn to stop; that value is returned. */
typedef int (*hcl_expr_fn)(void *arg, const struct hcl_expr *e);
int hcl_expr_walk(const struct hcl_expr *e, hcl_expr_fn fn, void *arg);

/* A naked identifier (`string`, `list`, a keyword-like word): its name, else NULL. Parentheses are
 * looked through. Used for type constraints and keywords. */
const char *hcl_expr_as_keyword(const struct hcl_expr *e);
/* A template with only literal text: the text (and its length), else NULL. */
const char *hcl_expr_as_string_literal(const struct hcl_expr *e, size_t *len);
/* Render a traversal as source-like text: "var.foo[0].bar". Caller frees. */
char *hcl_traversal_string(const struct hcl_traversal *t);

/* An indented text dump of the tree (one node per line), for tests and debugging. */
struct buf;
void hcl_expr_dump(const struct hcl_expr *e, struct buf *out);
void hcl_body_dump(const struct hcl_body *b, struct buf *out);

#endif
