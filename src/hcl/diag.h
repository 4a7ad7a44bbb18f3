/* diag.h — HCL source positions and diagnostics.
 *
 * Every AST node carries a struct hcl_range. Parsing, evaluation and decoding report problems as
 * diagnostics (severity, one-line summary, detail saying what to do, the exact source range), collected
 * in a struct hcl_diags so that one run reports every problem, not only the first. Rendering follows
 * HCL's text style:
 *
 *     Error: Unsupported argument
 *
 *       on build.pkr.hcl line 4, in source "qemu" "x":
 *        4:   disk_sise = "10G"
 *             ^^^^^^^^^
 *
 *     An argument named "disk_sise" is not expected here. Did you mean "disk_size"?
 */
#ifndef KILN_HCL_DIAG_H
#define KILN_HCL_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/strv.h"

struct buf;
struct hcl_fileset;

/* line and column are 1-based (a column counts characters; a tab is one column), byte is the 0-based
 * offset into the file. */
struct hcl_pos {
	int line;
	int column;
	size_t byte;
};

/* [start, end): end is just after the last character. filename is borrowed from the struct hcl_file
 * that was parsed (or from whoever built the range) and lives as long as it. */
struct hcl_range {
	const char *filename;
	struct hcl_pos start;
	struct hcl_pos end;
};

/* The smallest range covering both a and b (same file). */
struct hcl_range hcl_range_between(struct hcl_range a, struct hcl_range b);
/* "file:line,col-col" / "file:line,col-line,col", as HCL prints ranges in messages. Caller frees. */
char *hcl_range_string(const struct hcl_range *r);
bool hcl_range_contains(const struct hcl_range *r, size_t byte);

enum hcl_severity {
	HCL_DIAG_ERROR = 1,
	HCL_DIAG_WARNING = 2,
};

struct hcl_diag {
	enum hcl_severity severity;
	char *summary;               /* "Unsupported argument" */
	char *detail;                /* full sentences; may be NULL */
	bool has_subject;
	struct hcl_range subject;    /* exactly what is wrong (underlined when rendered) */
	bool has_context;
	struct hcl_range context;    /* a wider range shown around the subject (e.g. the whole attribute) */
	/* "var.foo as \"bar\"" lines that explain the values involved (rendered as "with ...", HCL's
	 * style), filled by the evaluator; may be empty. */
	struct strv values;
	char *filename_;             /* owned copy backing subject/context .filename */
};

struct hcl_diags {
	struct hcl_diag *v;
	size_t n;
	size_t cap;
};

#define HCL_DIAGS_INIT {NULL, 0, 0}

/* Append a diagnostic. subject may be NULL. detail_fmt may be NULL. Returns the new entry (valid until
 * the next append) so the caller can add a context range or values. */
struct hcl_diag *hcl_diag_add(struct hcl_diags *d, enum hcl_severity sev, const struct hcl_range *subject,
			      const char *summary, const char *detail_fmt, ...)
	__attribute__((format(printf, 5, 6)));
struct hcl_diag *hcl_diag_addv(struct hcl_diags *d, enum hcl_severity sev, const struct hcl_range *subject,
			       const char *summary, const char *detail_fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
/* Shorthands for errors and warnings: hcl_error(d, subject, summary, detail_fmt, ...). */
#define hcl_error(d, subject, ...) hcl_diag_add((d), HCL_DIAG_ERROR, (subject), __VA_ARGS__)
#define hcl_warning(d, subject, ...) hcl_diag_add((d), HCL_DIAG_WARNING, (subject), __VA_ARGS__)
void hcl_diag_set_context(struct hcl_diag *diag, const struct hcl_range *context);

bool hcl_diags_has_errors(const struct hcl_diags *d);
size_t hcl_diags_count(const struct hcl_diags *d, enum hcl_severity sev);
/* Move every diagnostic of src to the end of dst; src is left empty. */
void hcl_diags_append(struct hcl_diags *dst, struct hcl_diags *src);
/* The same, to just before dst's diagnostic at index `at` (at <= dst->n). */
void hcl_diags_insert(struct hcl_diags *dst, size_t at, struct hcl_diags *src);
/* Copy one diagnostic to the end of dst. */
void hcl_diags_copy_one(struct hcl_diags *dst, const struct hcl_diag *src);
void hcl_diags_free(struct hcl_diags *d);
/* Drop diagnostics from index `from` on that repeat an earlier one (same severity, summary, detail
 * and subject), e.g. when one block is checked once per build that uses it. */
void hcl_diags_dedup(struct hcl_diags *d, size_t from);

/* --- rendering --- */

struct hcl_render_opts {
	unsigned width;   /* wrap the detail at this many columns; 0 = 78 (Packer's width) */
	bool color;       /* ANSI: bold summary, red/yellow severity, underline under the subject */
	bool no_marker;   /* omit the "^^^" line under the source line */
};

/* Render one diagnostic in HCL's text style. files (may be NULL) supplies the source lines and the
 * enclosing-block context ("in source "qemu" "x""); without it only the location is printed. */
void hcl_diag_render(const struct hcl_diag *d, const struct hcl_fileset *files,
		     const struct hcl_render_opts *opts, struct buf *out);
/* All of them, in order. */
void hcl_diags_render(const struct hcl_diags *d, const struct hcl_fileset *files,
		      const struct hcl_render_opts *opts, struct buf *out);
/* "file:line:col: summary" one per line — for logs, tests and machine consumption. */
void hcl_diags_render_short(const struct hcl_diags *d, struct buf *out);

/* The closest candidate by edit distance, as HCL suggests names ("Did you mean ...?"), or NULL when
 * none is close enough. */
const char *hcl_name_suggestion(const char *given, const char *const *candidates, size_t n);

#endif
