/* builder_config_qemuargs.c — reading `qemuargs` (list(list(string))), the one qemu key the flat kiln_config
 * accessors cannot express: each inner list is one switch and its values. */
#include "qemu/builder_config.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

#include "hcl/value.h"

int qemu_config_read_qemuargs(const struct kiln_config *cfg, struct strv **out, size_t *n, struct kiln_error *err)
{
	*out = NULL;
	*n = 0;
	const struct hcl_value *v = kiln_config_value(cfg, "qemuargs");
	if (!v || hcl_is_null(v) || !hcl_is_known(v))
		return 0;
	size_t len = hcl_len(v);
	struct strv *args = xcalloc(len + 1, sizeof *args);
	for (size_t i = 0; i < len; i++) {
		struct hcl_value *inner = hcl_elem(v, i);
		size_t m = inner && !hcl_is_null(inner) ? hcl_len(inner) : 0;
		for (size_t j = 0; j < m; j++) {
			struct hcl_value *s = hcl_elem(inner, j);
			if (!s || hcl_is_null(s) || !hcl_is_known(s) || hcl_kind(s) != HCL_STRING) {
				for (size_t k = 0; k <= i; k++)
					strv_free(&args[k]);
				free(args);
				return err_set_kind(err, ERR_INVALID, "qemuargs[%zu][%zu] must be a string", i, j);
			}
			strv_push(&args[i], hcl_str(s));
		}
	}
	*out = args;
	*n = len;
	return 0;
}
