/* builder_config_qemuargs.c — reading the qemu keys of type list(list(string)) (`qemuargs`, `boot_steps`),
 * which the flat kiln_config accessors cannot express: each inner list is one switch and its values, or one
 * boot step and its description. */
#include "qemu/builder_config.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

#include "hcl/value.h"

static void free_lists(struct strv *lists, size_t n)
{
	for (size_t k = 0; k < n; k++)
		strv_free(&lists[k]);
	free(lists);
}

int qemu_config_read_string_lists(const struct kiln_config *cfg, const char *name, struct strv **out, size_t *n,
				  struct kiln_error *err)
{
	*out = NULL;
	*n = 0;
	const struct hcl_value *v = kiln_config_value(cfg, name);
	if (!v || hcl_is_null(v) || !hcl_is_known(v))
		return 0;
	size_t len = hcl_len(v);
	struct strv *lists = xcalloc(len + 1, sizeof *lists);
	for (size_t i = 0; i < len; i++) {
		struct hcl_value *inner = hcl_elem(v, i);
		if (inner && !hcl_is_known(inner)) {
			free_lists(lists, len);
			return 0;
		}
		size_t m = inner && !hcl_is_null(inner) ? hcl_len(inner) : 0;
		for (size_t j = 0; j < m; j++) {
			struct hcl_value *s = hcl_elem(inner, j);
			if (s && !hcl_is_known(s)) {
				free_lists(lists, len);
				return 0;
			}
			if (!s || hcl_is_null(s) || hcl_kind(s) != HCL_STRING) {
				free_lists(lists, len);
				return err_set_kind(err, ERR_INVALID, "%s[%zu][%zu] must be a string", name, i, j);
			}
			strv_push(&lists[i], hcl_str(s));
		}
	}
	*out = lists;
	*n = len;
	return 0;
}

int qemu_config_read_qemuargs(const struct kiln_config *cfg, struct strv **out, size_t *n, struct kiln_error *err)
{
	return qemu_config_read_string_lists(cfg, "qemuargs", out, n, err);
}
