/* json.h — HCL values to and from JSON text, as cty's JSON package and the jsonencode/jsondecode
 * functions do (compact, keys sorted; numbers keep their literal precision). */
#ifndef KILN_HCL_JSON_H
#define KILN_HCL_JSON_H

#include <stddef.h>

#include "hcl/value.h"
#include "util/buf.h"

/* v (wholly known) as JSON text, appended to out. */
void hcl_json_encode(struct hcl_value *v, struct buf *out);
/* JSON text as a value: objects as objects, arrays as tuples. -1 with *why (malloc'ed) when the text
 * is not JSON. */
int hcl_json_decode(const char *text, size_t len, struct hcl_value **out, char **why);

#endif
