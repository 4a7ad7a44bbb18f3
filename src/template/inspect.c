/* inspect.c — what `kiln inspect` shows: variables and locals with their values (as Packer prints
 * them: quoted console form, "<sensitive>", "<unknown>"), and each build's sources, provisioners and
 * post-processor chains. */
#include "template/internal.h"

#include <stdlib.h>
#include <string.h>

#include "hcl/value.h"
#include "util/buf.h"
#include "util/mem.h"

static char *show_value(const struct hcl_value *v)
{
	struct buf repl = BUF_INIT, q = BUF_INIT;
	if (!v || !hcl_is_known(v))
		buf_puts(&repl, "<unknown>");
	else if (hcl_marks_deep(v) & HCL_MARK_SENSITIVE)
		buf_puts(&repl, "<sensitive>");
	else
		hcl_value_format_repl(v, &repl);
	hcl_go_quote(buf_cstr(&repl), repl.len, &q);
	buf_free(&repl);
	char *s = buf_detach(&q);
	return s ? s : xstrdup("\"\"");
}

static int cmp_var(const void *a, const void *b)
{
	return strcmp(((const struct tmpl_inspect_var *)a)->name, ((const struct tmpl_inspect_var *)b)->name);
}

static char *step_label(const struct tmpl *t, const struct tmpl_step *s)
{
	const struct hcl_attribute *n = s->name_attr;
	size_t len;
	const char *lit = n ? hcl_expr_as_string_literal(n->expr, &len) : NULL;
	(void)t;
	return lit ? xasprintf("%s.%s", s->type, lit) : xstrdup(s->type);
}

void tmpl_inspect(struct tmpl *t, struct tmpl_inspect *out)
{
	memset(out, 0, sizeof *out);
	out->vars = xcalloc(t->nvars + 1, sizeof *out->vars);
	for (size_t i = 0; i < t->nvars; i++) {
		out->vars[i].name = t->vars[i].name;
		out->vars[i].value = show_value(t->vars[i].value);
	}
	out->nvars = t->nvars;
	qsort(out->vars, out->nvars, sizeof *out->vars, cmp_var);
	out->locals = xcalloc(t->nlocals + 1, sizeof *out->locals);
	for (size_t i = 0; i < t->nlocals; i++) {
		out->locals[i].name = t->locals[i].name;
		out->locals[i].value = show_value(t->locals[i].value);
	}
	out->nlocals = t->nlocals;
	qsort(out->locals, out->nlocals, sizeof *out->locals, cmp_var);
	out->builds = xcalloc(t->nbuilds + 1, sizeof *out->builds);
	out->nbuilds = t->nbuilds;
	for (size_t i = 0; i < t->nbuilds; i++) {
		const struct tmpl_build *b = t->builds[i];
		struct tmpl_inspect_build *ib = &out->builds[i];
		ib->name = b->name && *b->name ? xstrdup(b->name) : xasprintf("<unnamed build %zu>", b->index);
		ib->description = b->description ? xstrdup(b->description) : NULL;
		for (size_t j = 0; j < b->nsources; j++)
			strv_pushf(&ib->sources, "%s.%s", b->sources[j].type, b->sources[j].name); /* as Packer: not renamed */
		for (size_t j = 0; j < b->nprovisioners; j++)
			strv_push_owned(&ib->provisioners, step_label(t, b->provisioners[j]));
		ib->chains = xcalloc(b->nchains + 1, sizeof *ib->chains);
		ib->nchains = b->nchains;
		for (size_t c = 0; c < b->nchains; c++)
			for (size_t k = 0; k < b->chains[c].nsteps; k++)
				strv_push_owned(&ib->chains[c], step_label(t, b->chains[c].steps[k]));
	}
}

void tmpl_inspect_free(struct tmpl_inspect *in)
{
	for (size_t i = 0; i < in->nvars; i++)
		free(in->vars[i].value);
	free(in->vars);
	for (size_t i = 0; i < in->nlocals; i++)
		free(in->locals[i].value);
	free(in->locals);
	for (size_t i = 0; i < in->nbuilds; i++) {
		struct tmpl_inspect_build *b = &in->builds[i];
		free(b->name);
		free(b->description);
		strv_free(&b->sources);
		strv_free(&b->provisioners);
		for (size_t c = 0; c < b->nchains; c++)
			strv_free(&b->chains[c]);
		free(b->chains);
	}
	free(in->builds);
	memset(in, 0, sizeof *in);
}
