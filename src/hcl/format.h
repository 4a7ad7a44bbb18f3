/* format.h — canonical formatting of HCL native syntax, byte-identical to `packer fmt` (Packer 1.6.6,
 * which uses hclwrite.Format from HCL 2.8): indentation by bracket nesting (two spaces), spacing
 * between tokens, `=` aligned across runs of consecutive attribute lines, trailing comments aligned;
 * everything else (blank lines, comments, heredoc contents, line breaks) is left as it is. */
#ifndef KILN_HCL_FORMAT_H
#define KILN_HCL_FORMAT_H

#include <stddef.h>

struct buf;
struct hcl_diags;
struct hcl_file;

/* Append the formatted form of src to out. Only whitespace between tokens changes. The input should
 * parse without errors (callers check with hcl_parse_config first, as Packer does); formatting input
 * with syntax errors gives a best-effort result. */
void hcl_format(const char *src, size_t len, struct buf *out);

/* Check src's syntax as hcl_parse_config(src, len, filename, diags) does and, when it has no error,
 * append its formatted form to out (scanning src once for both). Returns NULL then; otherwise the
 * parsed file, with its diagnostics in diags, for rendering them. */
struct hcl_file *hcl_parse_and_format(const char *src, size_t len, const char *filename, struct hcl_diags *diags,
				      struct buf *out);

#endif
