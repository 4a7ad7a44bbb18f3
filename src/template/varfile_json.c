/* varfile_json.c — JSON variable files (-var-file x.json, *.auto.pkrvars.json), which Packer reads as
 * HCL's JSON syntax: one object whose members are the assignments. Values are taken as they are
 * (Packer evaluates them without a context, so "${...}" in a string stays text); numbers keep their
 * full precision. jansson parses (through hcl_json_decode, what jsondecode() uses); a small scan of the
 * text finds where each top-level member's name and value are, so diagnostics point at them. */
#include "template/internal.h"

#include <stdlib.h>
#include <string.h>

#include "hcl/func.h"
#include "hcl/parser.h"
#include "hcl/value.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"
#include "util/mem.h"

/* The position of byte off in text: line, column (in characters) and byte, as HCL counts them. */
static struct hcl_pos pos_at(const char *text, size_t off)
{
	struct hcl_pos p = {1, 1, 0};
	for (size_t i = 0; i < off; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\n') {
			p.line++;
			p.column = 1;
		} else if ((c & 0xC0) != 0x80) {
			p.column++;
		}
	}
	p.byte = off;
	return p;
}

static size_t skip_space(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* The end of the string starting at s[i] == '"' (one past its closing quote). */
static size_t string_end(const char *s, size_t len, size_t i)
{
	for (i++; i < len && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i < len ? i + 1 : len;
}

/* The end of the value starting at s[i]: the next ',' or '}' outside strings and nested values. */
static size_t value_end(const char *s, size_t len, size_t i)
{
	int depth = 0;
	size_t last = i; /* one past the value's last non-blank byte */
	while (i < len) {
		char c = s[i];
		if (c == '"') {
			i = string_end(s, len, i);
			last = i;
			continue;
		}
		if (depth == 0 && (c == ',' || c == '}'))
			break;
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		i++;
		if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r'))
			last = i;
	}
	return last;
}

static struct hcl_range range_of(const char *filename, const char *text, size_t from, size_t to)
{
	struct hcl_range r;
	r.filename = filename;
	r.start = pos_at(text, from);
	r.end = pos_at(text, to);
	return r;
}

/* Name and value ranges of member `name` of the top-level object (the first with that name whose
 * text is written without escapes); false when it is not found so. */
static bool member_ranges(const char *filename, const char *text, size_t len, const char *name,
			  struct hcl_range *name_r, struct hcl_range *value_r)
{
	size_t i = skip_space(text, len, 0);
	if (i >= len || text[i] != '{')
		return false;
	i++;
	size_t nlen = strlen(name);
	while (i < len) {
		i = skip_space(text, len, i);
		if (i >= len || text[i] != '"')
			return false;
		size_t kend = string_end(text, len, i);
		bool match = kend - i == nlen + 2 && memcmp(text + i + 1, name, nlen) == 0;
		size_t kstart = i;
		i = skip_space(text, len, kend);
		if (i >= len || text[i] != ':')
			return false;
		size_t vstart = skip_space(text, len, i + 1);
		size_t vend = value_end(text, len, vstart);
		if (match) {
			*name_r = range_of(filename, text, kstart, kend);
			*value_r = range_of(filename, text, vstart, vend);
			return true;
		}
		i = skip_space(text, len, vend);
		if (i >= len || text[i] != ',')
			return false;
		i++;
	}
	return false;
}

void tmpl_json_vars_free(struct tmpl_json_var *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		hcl_value_unref(v[i].value);
	}
	free(v);
}

int tmpl_read_json_vars(struct tmpl *t, const char *path, struct tmpl_json_var **out, size_t *nout,
			struct hcl_diags *d)
{
	*out = NULL;
	*nout = 0;
	struct buf text = BUF_INIT;
	struct kiln_error err = ERR_INIT;
	if (file_read_regular(path, HCL_MAX_SOURCE_SIZE, &text, &err) < 0) {
		hcl_read_error(d, path, &err);
		err_clear(&err);
		buf_free(&text);
		return -1;
	}
	size_t len = text.len;
	struct hcl_file *f = hcl_file_new_source_owned(path, buf_detach(&text), len);
	hcl_fileset_add(&t->files, f);
	char *why = NULL;
	int line = 1, col = 1;
	struct hcl_value *doc = hcl_json_decode_at(f->bytes, f->len, true, &why, &line, &col);
	if (!doc) {
		struct hcl_range at = {f->filename, {line, col, 0}, {line, col, 0}};
		/* the byte offset, so the snippet shows the line */
		size_t off = 0;
		for (int l = 1; l < line && off < f->len; off++)
			if (f->bytes[off] == '\n')
				l++;
		at.start.byte = at.end.byte = off + (size_t)(col > 0 ? col - 1 : 0);
		hcl_error(d, &at, "Invalid JSON variable file", "%s is not valid JSON: %s.", path, why);
		free(why);
		return -1;
	}
	if (doc->type->kind != HCL_OBJECT) {
		struct hcl_range at = range_of(f->filename, f->bytes, skip_space(f->bytes, f->len, 0), f->len);
		hcl_error(d, &at, "Invalid JSON variable file",
			  "A JSON variable file holds one object whose members give variables their values, like "
			  "{\"region\": \"eu-west-1\", \"cpus\": 2}.");
		hcl_value_unref(doc);
		return -1;
	}
	size_t n = hcl_len(doc);
	struct tmpl_json_var *v = xcalloc(n ? n : 1, sizeof *v);
	for (size_t i = 0; i < n; i++) {
		const char *name = hcl_key(doc, i);
		v[i].name = xstrdup(name);
		v[i].value = hcl_value_ref(hcl_elem(doc, i));
		if (!member_ranges(f->filename, f->bytes, f->len, name, &v[i].name_range, &v[i].value_range))
			v[i].name_range = v[i].value_range = range_of(f->filename, f->bytes, 0, 0);
	}
	hcl_value_unref(doc);
	*out = v;
	*nout = n;
	return 0;
}
