/* parser.h — parsing HCL native syntax into the tree of ast.h.
 *
 * Parsing never stops at the first problem: every syntax error is reported in diags and the parser
 * resynchronises at the next attribute or block, so the returned tree is always usable for further
 * analysis (erroneous expressions become HCL_EXPR_INVALID nodes). */
#ifndef KILN_HCL_PARSER_H
#define KILN_HCL_PARSER_H

#include <stddef.h>

#include "hcl/ast.h"
#include "hcl/diag.h"
#include "util/error.h"

/* Parse a configuration file (a body). Always returns a file (body never NULL), which owns a copy of
 * filename and bytes; diagnostics are appended to diags. */
struct hcl_file *hcl_parse_config(const char *bytes, size_t len, const char *filename, struct hcl_diags *diags);

/* For the formatter: hcl_parse_config's diagnostics without its tree (each attribute's expression
 * is dropped once parsed), and the scanner's tokens (free with hcl_tokens_free; they point into
 * bytes, which must outlive them; filename may not). */
struct hcl_tokens;
void hcl_check_config(const char *bytes, size_t len, const char *filename, struct hcl_diags *diags,
		      struct hcl_tokens *tokens);

/* The largest HCL source read from a file (a template, a variable file, a templatefile template):
 * the syntax tree of the densest source takes about 100 bytes per byte, so this bounds a parse to
 * about 100 MiB; real templates are a few tens of KiB. */
#define HCL_MAX_SOURCE_SIZE ((size_t)1 << 20)

/* Read and parse a file from disk. Returns NULL (with a diagnostic) when it cannot be read, is not
 * a regular file, or is larger than HCL_MAX_SOURCE_SIZE. */
struct hcl_file *hcl_parse_config_file(const char *path, struct hcl_diags *diags);
/* The diagnostic for a source file that could not be read (file_read_regular's error). */
void hcl_read_error(struct hcl_diags *diags, const char *path, const struct kiln_error *err);

/* Parse one expression (e.g. a -var value, `kiln console` input). Newlines are insignificant. start
 * is where bytes begin in the named source ({1, 1, 0} for a standalone buffer); filename must stay
 * valid as long as the tree (ranges point to it). Returns an expression, possibly HCL_EXPR_INVALID. */
struct hcl_expr *hcl_parse_expression(const char *bytes, size_t len, const char *filename, struct hcl_pos start,
				      struct hcl_diags *diags);

/* Parse a standalone template (templatefile()): literal text with ${} and %{} sequences, no quoting. */
struct hcl_expr *hcl_parse_template(const char *bytes, size_t len, const char *filename, struct hcl_pos start,
				    struct hcl_diags *diags);

/* Parse an absolute traversal such as "source.qemu.debian" or "var.list[0]" (HCL's
 * ParseTraversalAbs). Returns 0 and fills out (free with hcl_traversal_free), or -1 with diagnostics. */
int hcl_parse_traversal(const char *bytes, size_t len, const char *filename, struct hcl_pos start,
			struct hcl_traversal *out, struct hcl_diags *diags);
void hcl_traversal_free(struct hcl_traversal *t);   /* frees the contents, not t itself */

/* Is s a valid identifier (ID_Start (ID_Continue | '-')*)? */
bool hcl_valid_identifier(const char *s);

#endif
