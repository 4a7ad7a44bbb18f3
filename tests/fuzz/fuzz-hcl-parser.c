/* fuzz-hcl-parser.c — libFuzzer target for the HCL native-syntax parser: the input is parsed as a
 * configuration file, as one expression, as a standalone template, and formatted (alone and as kiln
 * fmt does it, after a syntax check); every tree and diagnostic is rendered and freed. Any crash,
 * sanitizer report or leak is a bug. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "hcl/ast.h"
#include "hcl/diag.h"
#include "hcl/format.h"
#include "hcl/parser.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	struct hcl_diags diags = HCL_DIAGS_INIT;
	struct hcl_fileset files = HCL_FILESET_INIT;
	struct hcl_file *f = hcl_parse_config(src, size, "fuzz.pkr.hcl", &diags);
	hcl_fileset_add(&files, f);
	struct buf out = BUF_INIT;
	hcl_diags_render(&diags, &files, NULL, &out);
	hcl_diags_free(&diags);

	struct hcl_expr *e = hcl_parse_expression(src, size, "fuzz-expr", (struct hcl_pos){1, 1, 0}, &diags);
	hcl_expr_free(e);
	hcl_diags_free(&diags);

	struct hcl_expr *t = hcl_parse_template(src, size, "fuzz-template", (struct hcl_pos){1, 1, 0}, &diags);
	hcl_expr_free(t);
	hcl_diags_free(&diags);

	buf_reset(&out);
	hcl_format(src, size, &out);

	/* kiln fmt's path: a syntax check without trees, then the format or a full parse */
	buf_reset(&out);
	struct hcl_file *checked = hcl_parse_and_format(src, size, "fuzz.pkr.hcl", &diags, &out);
	hcl_file_free(checked);
	hcl_diags_free(&diags);
	buf_free(&out);
	hcl_fileset_free(&files);
	return 0;
}
