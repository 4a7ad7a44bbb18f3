/* ast.c — freeing, walking and statically analysing the HCL syntax tree; file sets. */
#include "hcl/ast.h"

#include <stdlib.h>
#include <string.h>

#include "hcl/arena.h"
#include "util/buf.h"
#include "util/mem.h"

/* ------------------------------------------------------------------------------------------------
 * Files */

struct hcl_file *hcl_file_new_source_owned(const char *filename, char *bytes, size_t len)
{
	struct hcl_file *f = xcalloc(1, sizeof *f);
	f->filename = xstrdup(filename ? filename : "");
	f->bytes = bytes;
	f->len = len;
	return f;
}

struct hcl_file *hcl_file_new_source(const char *filename, const char *bytes, size_t len)
{
	char *copy = xmalloc(len + 1);
	if (len)
		memcpy(copy, bytes, len);
	copy[len] = '\0';
	return hcl_file_new_source_owned(filename, copy, len);
}

void hcl_file_free(struct hcl_file *f)
{
	if (!f)
		return;
	hcl_arena_free(f->arena);
	free(f->hidden);
	free(f->bytes);
	free(f->filename);
	free(f);
}

void hcl_fileset_hide(struct hcl_fileset *fs, const struct hcl_range *r)
{
	if (!fs || !r || !r->filename)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		struct hcl_file *f = fs->v[i];
		if (strcmp(f->filename, r->filename) != 0)
			continue;
		f->hidden = xgrow(f->hidden, &f->caphidden, f->nhidden + 1, sizeof *f->hidden);
		f->hidden[f->nhidden++] = (struct hcl_span){r->start.byte, r->end.byte};
	}
}

bool hcl_file_is_hidden(const struct hcl_file *f, size_t start, size_t end)
{
	for (size_t i = 0; f && i < f->nhidden; i++)
		if (f->hidden[i].start <= end && start <= f->hidden[i].end)
			return true;
	return false;
}

void hcl_fileset_add(struct hcl_fileset *fs, struct hcl_file *f)
{
	fs->v = xgrow(fs->v, &fs->cap, fs->n + 1, sizeof *fs->v);
	fs->v[fs->n++] = f;
}

const struct hcl_file *hcl_fileset_find(const struct hcl_fileset *fs, const char *filename)
{
	if (!fs || !filename)
		return NULL;
	/* the newest wins: a file re-registered after an edit shadows the old one */
	for (size_t i = fs->n; i-- > 0;)
		if (strcmp(fs->v[i]->filename, filename) == 0)
			return fs->v[i];
	return NULL;
}

void hcl_fileset_free(struct hcl_fileset *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		hcl_file_free(fs->v[i]);
	free(fs->v);
	fs->v = NULL;
	fs->n = fs->cap = 0;
}

/* ------------------------------------------------------------------------------------------------
 * Freeing: a parsed tree lives in one arena (arena.h). A file holds its tree's arena; a lone
 * expression is handed out as its root node preceded by its arena. */

#define TREE_MAGIC 0x6b696c6eU

struct expr_tree {
	unsigned magic;             /* TREE_MAGIC: catches hcl_expr_free on a node inside a tree */
	struct hcl_arena *arena;
	struct hcl_expr root;
};

size_t hcl_expr_node_size(enum hcl_expr_kind kind)
{
#define NODE_WITH(member) (offsetof(struct hcl_expr, u) + sizeof(((struct hcl_expr *)NULL)->u.member))
	switch (kind) {
	case HCL_EXPR_LITERAL: return NODE_WITH(literal);
	case HCL_EXPR_TEMPLATE: return NODE_WITH(template_);
	case HCL_EXPR_TEMPLATE_WRAP: case HCL_EXPR_PARENS: return NODE_WITH(wrap);
	case HCL_EXPR_SCOPE_TRAVERSAL: return NODE_WITH(traversal);
	case HCL_EXPR_RELATIVE_TRAVERSAL: return NODE_WITH(rel);
	case HCL_EXPR_INDEX: return NODE_WITH(index);
	case HCL_EXPR_SPLAT: return NODE_WITH(splat);
	case HCL_EXPR_FUNCTION_CALL: return NODE_WITH(call);
	case HCL_EXPR_CONDITIONAL: return NODE_WITH(cond);
	case HCL_EXPR_BINARY_OP: return NODE_WITH(binary);
	case HCL_EXPR_UNARY_OP: return NODE_WITH(unary);
	case HCL_EXPR_TUPLE_CONS: return NODE_WITH(tuple);
	case HCL_EXPR_OBJECT_CONS: return NODE_WITH(object);
	case HCL_EXPR_FOR: return NODE_WITH(for_);
	case HCL_EXPR_ANON_SYMBOL: case HCL_EXPR_INVALID: return offsetof(struct hcl_expr, u);
	}
#undef NODE_WITH
	return sizeof(struct hcl_expr);
}

struct hcl_expr *hcl_expr_tree(struct hcl_arena *a, const struct hcl_expr *root)
{
	size_t size = hcl_expr_node_size(root->kind);
	struct expr_tree *t = hcl_arena_alloc(a, offsetof(struct expr_tree, root) + size);
	t->magic = TREE_MAGIC;
	t->arena = a;
	memcpy(&t->root, root, size);
	return &t->root;
}

void hcl_expr_free(struct hcl_expr *e)
{
	if (!e)
		return;
	struct expr_tree *t = (struct expr_tree *)((char *)e - offsetof(struct expr_tree, root));
	if (t->magic != TREE_MAGIC)
		abort(); /* not a tree's root: a programming error that would corrupt memory */
	hcl_arena_free(t->arena);
}

const struct hcl_attribute *hcl_body_attr(const struct hcl_body *b, const char *name)
{
	if (!b)
		return NULL;
	for (size_t i = 0; i < b->nattrs; i++)
		if (strcmp(b->attrs[i]->name, name) == 0)
			return b->attrs[i];
	return NULL;
}

const char *hcl_binary_op_symbol(enum hcl_binary_op op)
{
	switch (op) {
	case HCL_OP_OR: return "||";
	case HCL_OP_AND: return "&&";
	case HCL_OP_EQ: return "==";
	case HCL_OP_NE: return "!=";
	case HCL_OP_LT: return "<";
	case HCL_OP_LE: return "<=";
	case HCL_OP_GT: return ">";
	case HCL_OP_GE: return ">=";
	case HCL_OP_ADD: return "+";
	case HCL_OP_SUB: return "-";
	case HCL_OP_MUL: return "*";
	case HCL_OP_DIV: return "/";
	case HCL_OP_MOD: return "%";
	}
	return "?";
}

const char *hcl_expr_kind_name(enum hcl_expr_kind kind)
{
	switch (kind) {
	case HCL_EXPR_LITERAL: return "literal";
	case HCL_EXPR_TEMPLATE: return "template";
	case HCL_EXPR_TEMPLATE_WRAP: return "template_wrap";
	case HCL_EXPR_SCOPE_TRAVERSAL: return "scope_traversal";
	case HCL_EXPR_RELATIVE_TRAVERSAL: return "relative_traversal";
	case HCL_EXPR_INDEX: return "index";
	case HCL_EXPR_SPLAT: return "splat";
	case HCL_EXPR_ANON_SYMBOL: return "anon_symbol";
	case HCL_EXPR_FUNCTION_CALL: return "function_call";
	case HCL_EXPR_CONDITIONAL: return "conditional";
	case HCL_EXPR_BINARY_OP: return "binary_op";
	case HCL_EXPR_UNARY_OP: return "unary_op";
	case HCL_EXPR_TUPLE_CONS: return "tuple_cons";
	case HCL_EXPR_OBJECT_CONS: return "object_cons";
	case HCL_EXPR_FOR: return "for";
	case HCL_EXPR_PARENS: return "parens";
	case HCL_EXPR_INVALID: return "invalid";
	}
	return "?";
}

/* ------------------------------------------------------------------------------------------------
 * Walking */

const struct hcl_expr **hcl_binary_chain(const struct hcl_expr *e, const struct hcl_expr **few, size_t nfew,
					 size_t *n)
{
	const struct hcl_expr **chain = few;
	size_t k = 0, cap = nfew;
	for (; e->kind == HCL_EXPR_BINARY_OP; e = e->u.binary.lhs) {
		if (k == cap) {
			size_t old = cap;
			if (chain == few) {
				chain = xgrow(NULL, &cap, k + 1, sizeof *chain);
				memcpy(chain, few, old * sizeof *chain);
			} else {
				chain = xgrow(chain, &cap, k + 1, sizeof *chain);
			}
		}
		chain[k++] = e;
	}
	*n = k;
	return chain;
}

static int walk_template(const struct hcl_template *t, hcl_expr_fn fn, void *arg);

int hcl_expr_walk(const struct hcl_expr *e, hcl_expr_fn fn, void *arg)
{
	if (!e)
		return 0;
	int rc = fn(arg, e);
	if (rc)
		return rc;
#define W(x)                                             \
	do {                                             \
		if ((rc = hcl_expr_walk((x), fn, arg)))  \
			return rc;                       \
	} while (0)
	switch (e->kind) {
	case HCL_EXPR_TEMPLATE:
		return walk_template(e->u.template_.tmpl, fn, arg);
	case HCL_EXPR_TEMPLATE_WRAP:
	case HCL_EXPR_PARENS:
		W(e->u.wrap.inner);
		break;
	case HCL_EXPR_RELATIVE_TRAVERSAL:
		W(e->u.rel.source);
		break;
	case HCL_EXPR_INDEX:
		W(e->u.index.coll);
		W(e->u.index.key);
		break;
	case HCL_EXPR_SPLAT:
		W(e->u.splat.source);
		W(e->u.splat.each);
		break;
	case HCL_EXPR_FUNCTION_CALL:
		for (size_t i = 0; i < e->u.call.nargs; i++)
			W(e->u.call.args[i]);
		break;
	case HCL_EXPR_CONDITIONAL:
		W(e->u.cond.cond);
		W(e->u.cond.true_expr);
		W(e->u.cond.false_expr);
		break;
	case HCL_EXPR_BINARY_OP: {
		/* the chain's operators in pre-order, then its operands left to right (see ast.h) */
		const struct hcl_expr *few[16];
		size_t n;
		const struct hcl_expr **chain = hcl_binary_chain(e, few, 16, &n);
		for (size_t i = 1; i < n && !rc; i++)
			rc = fn(arg, chain[i]);
		if (!rc)
			rc = hcl_expr_walk(chain[n - 1]->u.binary.lhs, fn, arg);
		for (size_t i = n; i-- > 0 && !rc;)
			rc = hcl_expr_walk(chain[i]->u.binary.rhs, fn, arg);
		if (chain != few)
			free(chain);
		return rc;
	}
	case HCL_EXPR_UNARY_OP:
		W(e->u.unary.operand);
		break;
	case HCL_EXPR_TUPLE_CONS:
		for (size_t i = 0; i < e->u.tuple.nitems; i++)
			W(e->u.tuple.items[i]);
		break;
	case HCL_EXPR_OBJECT_CONS:
		for (size_t i = 0; i < e->u.object.nitems; i++) {
			W(e->u.object.items[i].key);
			W(e->u.object.items[i].value);
		}
		break;
	case HCL_EXPR_FOR:
		W(e->u.for_.coll);
		W(e->u.for_.key_expr);
		W(e->u.for_.value_expr);
		W(e->u.for_.cond);
		break;
	default:
		break;
	}
#undef W
	return 0;
}

static int walk_template(const struct hcl_template *t, hcl_expr_fn fn, void *arg)
{
	if (!t)
		return 0;
	int rc;
	for (size_t i = 0; i < t->nparts; i++) {
		const struct hcl_template_part *p = &t->parts[i];
		if ((rc = hcl_expr_walk(p->expr, fn, arg)) || (rc = hcl_expr_walk(p->cond, fn, arg)) ||
		    (rc = walk_template(p->then_t, fn, arg)) || (rc = walk_template(p->else_t, fn, arg)) ||
		    (rc = hcl_expr_walk(p->coll, fn, arg)) || (rc = walk_template(p->body, fn, arg)))
			return rc;
	}
	return 0;
}

/* Variables: a walk that tracks names bound by for expressions/directives. */
struct scope {
	const char *a, *b;
	const struct scope *up;
};

static bool bound(const struct scope *s, const char *name)
{
	for (; s; s = s->up)
		if ((s->a && strcmp(s->a, name) == 0) || (s->b && strcmp(s->b, name) == 0))
			return true;
	return false;
}

static int vars_expr(const struct hcl_expr *e, const struct scope *s, hcl_traversal_fn fn, void *arg);

static int vars_template(const struct hcl_template *t, const struct scope *s, hcl_traversal_fn fn, void *arg)
{
	if (!t)
		return 0;
	int rc;
	for (size_t i = 0; i < t->nparts; i++) {
		const struct hcl_template_part *p = &t->parts[i];
		switch (p->kind) {
		case HCL_TPART_INTERP:
			if ((rc = vars_expr(p->expr, s, fn, arg)))
				return rc;
			break;
		case HCL_TPART_IF:
			if ((rc = vars_expr(p->cond, s, fn, arg)) || (rc = vars_template(p->then_t, s, fn, arg)) ||
			    (rc = vars_template(p->else_t, s, fn, arg)))
				return rc;
			break;
		case HCL_TPART_FOR: {
			if ((rc = vars_expr(p->coll, s, fn, arg)))
				return rc;
			struct scope inner = {p->key_var, p->value_var, s};
			if ((rc = vars_template(p->body, &inner, fn, arg)))
				return rc;
			break;
		}
		default:
			break;
		}
	}
	return 0;
}

static int vars_expr(const struct hcl_expr *e, const struct scope *s, hcl_traversal_fn fn, void *arg)
{
	if (!e)
		return 0;
	int rc;
#define V(x)                                              \
	do {                                              \
		if ((rc = vars_expr((x), s, fn, arg)))    \
			return rc;                        \
	} while (0)
	switch (e->kind) {
	case HCL_EXPR_SCOPE_TRAVERSAL:
		if (!bound(s, e->u.traversal.root))
			return fn(arg, e);
		return 0;
	case HCL_EXPR_TEMPLATE:
		return vars_template(e->u.template_.tmpl, s, fn, arg);
	case HCL_EXPR_TEMPLATE_WRAP:
	case HCL_EXPR_PARENS:
		V(e->u.wrap.inner);
		return 0;
	case HCL_EXPR_RELATIVE_TRAVERSAL:
		V(e->u.rel.source);
		return 0;
	case HCL_EXPR_INDEX:
		V(e->u.index.coll);
		V(e->u.index.key);
		return 0;
	case HCL_EXPR_SPLAT:
		V(e->u.splat.source);
		V(e->u.splat.each);
		return 0;
	case HCL_EXPR_FUNCTION_CALL:
		for (size_t i = 0; i < e->u.call.nargs; i++)
			V(e->u.call.args[i]);
		return 0;
	case HCL_EXPR_CONDITIONAL:
		V(e->u.cond.cond);
		V(e->u.cond.true_expr);
		V(e->u.cond.false_expr);
		return 0;
	case HCL_EXPR_BINARY_OP: {
		/* the chain's operands left to right (see ast.h) */
		const struct hcl_expr *few[16];
		size_t n;
		const struct hcl_expr **chain = hcl_binary_chain(e, few, 16, &n);
		rc = vars_expr(chain[n - 1]->u.binary.lhs, s, fn, arg);
		for (size_t i = n; i-- > 0 && !rc;)
			rc = vars_expr(chain[i]->u.binary.rhs, s, fn, arg);
		if (chain != few)
			free(chain);
		return rc;
	}
	case HCL_EXPR_UNARY_OP:
		V(e->u.unary.operand);
		return 0;
	case HCL_EXPR_TUPLE_CONS:
		for (size_t i = 0; i < e->u.tuple.nitems; i++)
			V(e->u.tuple.items[i]);
		return 0;
	case HCL_EXPR_OBJECT_CONS:
		for (size_t i = 0; i < e->u.object.nitems; i++) {
			V(e->u.object.items[i].key);
			V(e->u.object.items[i].value);
		}
		return 0;
	case HCL_EXPR_FOR: {
		V(e->u.for_.coll);
		struct scope inner = {e->u.for_.key_var, e->u.for_.value_var, s};
		const struct scope *saved = s;
		s = &inner;
		V(e->u.for_.key_expr);
		V(e->u.for_.value_expr);
		V(e->u.for_.cond);
		s = saved;
		return 0;
	}
	default:
		return 0;
	}
#undef V
}

int hcl_expr_variables(const struct hcl_expr *e, hcl_traversal_fn fn, void *arg)
{
	return vars_expr(e, NULL, fn, arg);
}

int hcl_body_variables(const struct hcl_body *b, hcl_traversal_fn fn, void *arg)
{
	if (!b)
		return 0;
	int rc;
	for (size_t i = 0; i < b->nattrs; i++)
		if ((rc = hcl_expr_variables(b->attrs[i]->expr, fn, arg)))
			return rc;
	for (size_t i = 0; i < b->nblocks; i++)
		if ((rc = hcl_body_variables(b->blocks[i]->body, fn, arg)))
			return rc;
	return 0;
}

const char *hcl_expr_as_keyword(const struct hcl_expr *e)
{
	while (e && e->kind == HCL_EXPR_PARENS)
		e = e->u.wrap.inner;
	if (!e)
		return NULL;
	if (e->kind == HCL_EXPR_SCOPE_TRAVERSAL && e->u.traversal.nsteps == 0)
		return e->u.traversal.root;
	if (e->kind == HCL_EXPR_LITERAL && e->u.literal.kind == HCL_LIT_BOOL)
		return e->u.literal.b ? "true" : "false";
	if (e->kind == HCL_EXPR_LITERAL && e->u.literal.kind == HCL_LIT_NULL)
		return "null";
	return NULL;
}

const char *hcl_expr_as_string_literal(const struct hcl_expr *e, size_t *len)
{
	if (!e)
		return NULL;
	if (e->kind == HCL_EXPR_LITERAL && e->u.literal.kind == HCL_LIT_STRING) {
		if (len)
			*len = e->u.literal.len;
		return e->u.literal.text;
	}
	if (e->kind != HCL_EXPR_TEMPLATE)
		return NULL;
	const struct hcl_template *t = e->u.template_.tmpl;
	if (t->nparts != 1 || t->parts[0].kind != HCL_TPART_LITERAL)
		return NULL;
	if (len)
		*len = t->parts[0].len;
	return t->parts[0].text;
}

char *hcl_traversal_string(const struct hcl_traversal *t)
{
	struct buf b = BUF_INIT;
	if (t->root)
		buf_puts(&b, t->root);
	for (size_t i = 0; i < t->nsteps; i++) {
		const struct hcl_traverser *s = &t->steps[i];
		if (s->kind == HCL_TRAVERSE_ATTR) {
			buf_printf(&b, ".%s", s->name);
			continue;
		}
		switch (s->key.kind) {
		case HCL_LIT_NUMBER:
			buf_printf(&b, "[%s]", s->key.text);
			break;
		case HCL_LIT_STRING:
			buf_putc(&b, '[');
			buf_putc(&b, '"');
			for (size_t j = 0; j < s->key.len; j++) {
				char c = s->key.text[j];
				if (c == '"' || c == '\\')
					buf_putc(&b, '\\');
				buf_putc(&b, c);
			}
			buf_puts(&b, "\"]");
			break;
		case HCL_LIT_BOOL:
			buf_printf(&b, "[%s]", s->key.b ? "true" : "false");
			break;
		case HCL_LIT_NULL:
			buf_puts(&b, "[null]");
			break;
		default:
			buf_puts(&b, "[?]");
			break;
		}
	}
	char *s = buf_detach(&b);
	return s ? s : xstrdup("");
}

/* ------------------------------------------------------------------------------------------------
 * Debug dump */

static void dump_expr(const struct hcl_expr *e, int ind, struct buf *out);

static void dump_str(struct buf *out, const char *s, size_t n)
{
	buf_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			buf_printf(out, "\\%c", c);
		else if (c == '\n')
			buf_puts(out, "\\n");
		else if (c == '\t')
			buf_puts(out, "\\t");
		else if (c == '\r')
			buf_puts(out, "\\r");
		else if (c < 0x20)
			buf_printf(out, "\\u%04x", c);
		else
			buf_putc(out, (char)c);
	}
	buf_putc(out, '"');
}

static void dump_literal(const struct hcl_literal *l, struct buf *out)
{
	switch (l->kind) {
	case HCL_LIT_NULL: buf_puts(out, "null"); break;
	case HCL_LIT_BOOL: buf_puts(out, l->b ? "true" : "false"); break;
	case HCL_LIT_NUMBER: buf_puts(out, l->text); break;
	case HCL_LIT_STRING: dump_str(out, l->text, l->len); break;
	default: buf_puts(out, "?"); break;
	}
}

static void dump_traversal(const struct hcl_traversal *t, struct buf *out)
{
	char *s = hcl_traversal_string(t);
	buf_puts(out, s);
	free(s);
}

static void dump_template(const struct hcl_template *t, int ind, struct buf *out)
{
	for (size_t i = 0; i < t->nparts; i++) {
		const struct hcl_template_part *p = &t->parts[i];
		buf_repeat(out, ' ', (size_t)ind);
		switch (p->kind) {
		case HCL_TPART_LITERAL:
			buf_puts(out, "lit ");
			dump_str(out, p->text, p->len);
			buf_putc(out, '\n');
			break;
		case HCL_TPART_INTERP:
			buf_puts(out, "interp\n");
			dump_expr(p->expr, ind + 2, out);
			break;
		case HCL_TPART_IF:
			buf_puts(out, "if\n");
			dump_expr(p->cond, ind + 2, out);
			buf_repeat(out, ' ', (size_t)ind);
			buf_puts(out, "then\n");
			dump_template(p->then_t, ind + 2, out);
			if (p->else_t) {
				buf_repeat(out, ' ', (size_t)ind);
				buf_puts(out, "else\n");
				dump_template(p->else_t, ind + 2, out);
			}
			break;
		case HCL_TPART_FOR:
			buf_printf(out, "for %s%s%s\n", p->key_var ? p->key_var : "", p->key_var ? ", " : "", p->value_var);
			dump_expr(p->coll, ind + 2, out);
			buf_repeat(out, ' ', (size_t)ind);
			buf_puts(out, "do\n");
			dump_template(p->body, ind + 2, out);
			break;
		}
	}
}

static void dump_expr(const struct hcl_expr *e, int ind, struct buf *out)
{
	buf_repeat(out, ' ', (size_t)ind);
	if (!e) {
		buf_puts(out, "(nil)\n");
		return;
	}
	buf_puts(out, hcl_expr_kind_name(e->kind));
	switch (e->kind) {
	case HCL_EXPR_LITERAL:
		buf_putc(out, ' ');
		dump_literal(&e->u.literal, out);
		buf_putc(out, '\n');
		break;
	case HCL_EXPR_TEMPLATE:
		buf_puts(out, e->u.template_.heredoc ? " heredoc\n" : "\n");
		dump_template(e->u.template_.tmpl, ind + 2, out);
		break;
	case HCL_EXPR_TEMPLATE_WRAP:
	case HCL_EXPR_PARENS:
		buf_putc(out, '\n');
		dump_expr(e->u.wrap.inner, ind + 2, out);
		break;
	case HCL_EXPR_SCOPE_TRAVERSAL:
		buf_putc(out, ' ');
		dump_traversal(&e->u.traversal, out);
		buf_putc(out, '\n');
		break;
	case HCL_EXPR_RELATIVE_TRAVERSAL:
		buf_putc(out, ' ');
		dump_traversal(&e->u.rel.traversal, out);
		buf_putc(out, '\n');
		dump_expr(e->u.rel.source, ind + 2, out);
		break;
	case HCL_EXPR_INDEX:
		buf_putc(out, '\n');
		dump_expr(e->u.index.coll, ind + 2, out);
		dump_expr(e->u.index.key, ind + 2, out);
		break;
	case HCL_EXPR_SPLAT:
		buf_puts(out, e->u.splat.full ? " [*]\n" : " .*\n");
		dump_expr(e->u.splat.source, ind + 2, out);
		dump_expr(e->u.splat.each, ind + 2, out);
		break;
	case HCL_EXPR_FUNCTION_CALL:
		buf_printf(out, " %s%s\n", e->u.call.name, e->u.call.expand_final ? " ..." : "");
		for (size_t i = 0; i < e->u.call.nargs; i++)
			dump_expr(e->u.call.args[i], ind + 2, out);
		break;
	case HCL_EXPR_CONDITIONAL:
		buf_putc(out, '\n');
		dump_expr(e->u.cond.cond, ind + 2, out);
		dump_expr(e->u.cond.true_expr, ind + 2, out);
		dump_expr(e->u.cond.false_expr, ind + 2, out);
		break;
	case HCL_EXPR_BINARY_OP: {
		/* the chain's left operands nest one level each (see ast.h) */
		const struct hcl_expr *few[16];
		size_t n;
		const struct hcl_expr **chain = hcl_binary_chain(e, few, 16, &n);
		for (size_t i = 0; i < n; i++) {
			if (i > 0) {
				buf_repeat(out, ' ', (size_t)ind + 2 * i);
				buf_puts(out, hcl_expr_kind_name(e->kind));
			}
			buf_printf(out, " %s\n", hcl_binary_op_symbol(chain[i]->u.binary.op));
		}
		dump_expr(chain[n - 1]->u.binary.lhs, ind + 2 * (int)n, out);
		for (size_t i = n; i-- > 0;)
			dump_expr(chain[i]->u.binary.rhs, ind + 2 * (int)i + 2, out);
		if (chain != few)
			free(chain);
		break;
	}
	case HCL_EXPR_UNARY_OP:
		buf_puts(out, e->u.unary.op == HCL_OP_NEG ? " -\n" : " !\n");
		dump_expr(e->u.unary.operand, ind + 2, out);
		break;
	case HCL_EXPR_TUPLE_CONS:
		buf_putc(out, '\n');
		for (size_t i = 0; i < e->u.tuple.nitems; i++)
			dump_expr(e->u.tuple.items[i], ind + 2, out);
		break;
	case HCL_EXPR_OBJECT_CONS:
		buf_putc(out, '\n');
		for (size_t i = 0; i < e->u.object.nitems; i++) {
			buf_repeat(out, ' ', (size_t)ind + 2);
			buf_puts(out, e->u.object.items[i].key_is_name ? "item (name key)\n" : "item\n");
			dump_expr(e->u.object.items[i].key, ind + 4, out);
			dump_expr(e->u.object.items[i].value, ind + 4, out);
		}
		break;
	case HCL_EXPR_FOR:
		buf_printf(out, " %s %s%s%s%s%s\n", e->u.for_.is_object ? "object" : "tuple",
			   e->u.for_.key_var ? e->u.for_.key_var : "", e->u.for_.key_var ? ", " : "", e->u.for_.value_var,
			   e->u.for_.group ? " group" : "", e->u.for_.cond ? " if" : "");
		dump_expr(e->u.for_.coll, ind + 2, out);
		if (e->u.for_.key_expr)
			dump_expr(e->u.for_.key_expr, ind + 2, out);
		dump_expr(e->u.for_.value_expr, ind + 2, out);
		if (e->u.for_.cond)
			dump_expr(e->u.for_.cond, ind + 2, out);
		break;
	default:
		buf_putc(out, '\n');
		break;
	}
}

static void dump_body(const struct hcl_body *b, int ind, struct buf *out)
{
	for (size_t i = 0; i < b->nattrs; i++) {
		buf_repeat(out, ' ', (size_t)ind);
		buf_printf(out, "attr %s\n", b->attrs[i]->name);
		dump_expr(b->attrs[i]->expr, ind + 2, out);
	}
	for (size_t i = 0; i < b->nblocks; i++) {
		const struct hcl_block *blk = b->blocks[i];
		buf_repeat(out, ' ', (size_t)ind);
		buf_printf(out, "block %s", blk->type);
		for (size_t j = 0; j < blk->nlabels; j++) {
			buf_putc(out, ' ');
			dump_str(out, blk->labels[j], strlen(blk->labels[j]));
		}
		buf_putc(out, '\n');
		dump_body(blk->body, ind + 2, out);
	}
}

void hcl_expr_dump(const struct hcl_expr *e, struct buf *out)
{
	dump_expr(e, 0, out);
}

void hcl_body_dump(const struct hcl_body *b, struct buf *out)
{
	if (b)
		dump_body(b, 0, out);
}
