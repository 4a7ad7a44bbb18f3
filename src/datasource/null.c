/* null.c — Packer's `null` data source: its result's `output` is its `input`. It does nothing useful
 * by itself; it shows (and tests) how a data source's value reaches a template. */
#include "component.h"
#include "hcl/value.h"

#include <stddef.h>

static const struct kiln_attr null_attrs[] = {
	{.name = "input", .type = "string", .flags = KILN_ATTR_REQUIRED, .doc = "the value `output` returns"},
	{.name = NULL},
};
static const struct kiln_schema null_schema = {null_attrs, NULL};

static int null_execute(const struct kiln_config *cfg, struct kiln_ctx *ctx, struct hcl_value **out,
			struct kiln_error *err)
{
	(void)ctx;
	const char *input = kiln_config_string(cfg, "input");
	/* Packer's wording; a zero value ("") counts as not set, as it does in Packer */
	if (!input || !*input)
		return kiln_config_error(cfg, "input", err, "The `input` must be specified");
	const char *key = "output";
	struct hcl_value *val = hcl_string(input);
	*out = hcl_object(&key, &val, 1);
	return 0;
}

const struct kiln_datasource null_datasource = {
	.type = "null",
	.doc = "Returns its input as its output (Packer's `null` data source, for trying data sources out).",
	.schema = &null_schema,
	.output_type = "object({output=string})",
	.execute = null_execute,
};
