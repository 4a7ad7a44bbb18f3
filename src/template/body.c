/* body.c — checking a block's contents against a fixed schema, with HCL's diagnostics: unsupported
 * arguments and block types (with a suggestion), missing required arguments, wrong label counts. */
#include "template/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

char *tmpl_suggest(const char *given, const char *const *candidates, size_t n)
{
	const char *s = hcl_name_suggestion(given, candidates, n);
	return s ? xasprintf(" Did you mean \"%s\"?", s) : xstrdup("");
}

static size_t count_names(const char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

static bool in_list(const char *const *v, const char *name)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], name) == 0)
			return true;
	return false;
}

static const struct tmpl_block_spec *find_block_spec(const struct tmpl_block_spec *bs, const char *type)
{
	for (size_t i = 0; bs && bs[i].type; i++)
		if (strcmp(bs[i].type, type) == 0)
			return &bs[i];
	return NULL;
}

bool tmpl_check_labels(const struct hcl_block *blk, const struct tmpl_block_spec *bs, struct hcl_diags *d)
{
	struct hcl_range ctx = hcl_range_between(blk->type_range, blk->open_brace_range);
	if ((int)blk->nlabels > bs->nlabels) {
		char *summary = xasprintf("Extraneous label for %s", blk->type);
		struct hcl_diag *x;
		if (bs->nlabels == 0)
			x = hcl_error(d, &blk->label_ranges[0], summary, "No labels are expected for %s blocks.",
				      blk->type);
		else
			x = hcl_error(d, &blk->label_ranges[bs->nlabels], summary,
				      "Only %d label%s (%s) %s expected for %s blocks.", bs->nlabels,
				      bs->nlabels == 1 ? "" : "s", bs->label_names, bs->nlabels == 1 ? "is" : "are",
				      blk->type);
		hcl_diag_set_context(x, &ctx);
		free(summary);
		return false;
	}
	if ((int)blk->nlabels < bs->nlabels) {
		/* "type, name" → the name of the first missing label */
		const char *names = bs->label_names;
		for (size_t i = 0; i < blk->nlabels; i++) {
			const char *c = strchr(names, ',');
			names = c ? c + 2 : names;
		}
		const char *end = strchr(names, ',');
		int len = end ? (int)(end - names) : (int)strlen(names);
		char *summary = xasprintf("Missing %.*s for %s", len, names, blk->type);
		struct hcl_diag *x = hcl_error(d, &blk->open_brace_range, summary, "All %s blocks must have %d label%s (%s).",
					       blk->type, bs->nlabels, bs->nlabels == 1 ? "" : "s", bs->label_names);
		hcl_diag_set_context(x, &ctx);
		free(summary);
		return false;
	}
	return true;
}

bool tmpl_check_body(const struct hcl_body *b, const struct tmpl_body_spec *spec, struct hcl_diags *d)
{
	bool ok = true;
	size_t nattrs = count_names(spec->attrs);
	for (size_t i = 0; i < b->nattrs; i++) {
		const struct hcl_attribute *a = b->attrs[i];
		if (in_list(spec->attrs, a->name))
			continue;
		ok = false;
		if (find_block_spec(spec->blocks, a->name)) {
			hcl_error(d, &a->name_range, "Unsupported argument",
				  "An argument named \"%s\" is not expected here. Did you mean to define a block of type "
				  "\"%s\"?",
				  a->name, a->name);
			continue;
		}
		char *sugg = tmpl_suggest(a->name, spec->attrs, nattrs);
		hcl_error(d, &a->name_range, "Unsupported argument", "An argument named \"%s\" is not expected here.%s",
			  a->name, sugg);
		free(sugg);
	}
	struct strv btypes = STRV_INIT;
	for (size_t i = 0; spec->blocks && spec->blocks[i].type; i++)
		strv_push(&btypes, spec->blocks[i].type);
	for (size_t i = 0; i < b->nblocks; i++) {
		const struct hcl_block *blk = b->blocks[i];
		const struct tmpl_block_spec *bs = find_block_spec(spec->blocks, blk->type);
		if (bs) {
			if (!tmpl_check_labels(blk, bs, d))
				ok = false;
			continue;
		}
		ok = false;
		if (in_list(spec->attrs, blk->type)) {
			hcl_error(d, &blk->type_range, "Unsupported block type",
				  "Blocks of type \"%s\" are not expected here. Did you mean to define an argument named "
				  "\"%s\"?",
				  blk->type, blk->type);
			continue;
		}
		char *sugg = tmpl_suggest(blk->type, (const char *const *)btypes.v, btypes.n);
		hcl_error(d, &blk->type_range, "Unsupported block type", "Blocks of type \"%s\" are not expected here.%s",
			  blk->type, sugg);
		free(sugg);
	}
	strv_free(&btypes);
	for (size_t i = 0; spec->required && spec->required[i]; i++) {
		if (hcl_body_attr(b, spec->required[i]))
			continue;
		ok = false;
		struct hcl_range at = b->range;
		at.end = at.start;
		hcl_error(d, &at, "Missing required argument",
			  "The argument \"%s\" is required, but no definition was found.", spec->required[i]);
	}
	return ok;
}
