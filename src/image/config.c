/* config.c — the `sanitize` and `export` schema fragments the qemu builder includes in its schema, and
 * their decoders. Every operation and format name is checked here, at prepare time, so a typo fails
 * before any guest boots, with the attribute's file:line:col. */
#include "image/image.h"
#include "util/buf.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

static const struct kiln_attr sanitize_attrs[] = {
	{.name = "operations", .type = "list(string)", .default_doc = "[\"defaults\"]",
	 .doc = "operations to run: names like virt-sysprep's, \"defaults\" or \"all\" (an empty list: none)"},
	{.name = "exclude", .type = "list(string)", .doc = "operations not to run (removed from `operations`)"},
	{.name = "keep_user_accounts", .type = "list(string)", .doc = "accounts build-user and user-account must keep (e.g. \"vagrant\")"},
	{.name = "trim", .type = "bool", .def = "true", .doc = "discard the free space of every filesystem after the operations"},
	{.name = "list_packages", .type = "bool", .def = "true", .doc = "record the installed packages for the manifest (an SBOM)"},
	{.name = NULL},
};

const struct kiln_schema img_sanitize_schema = {sanitize_attrs, NULL};

static const struct kiln_attr export_attrs[] = {
	{.name = "formats", .type = "list(string)", .default_doc = "[format]",
	 .doc = "output formats: qcow2, raw, vmdk, vhdx, vpc, ova, vagrant, gce (several allowed)"},
	{.name = "compression", .type = "string", .default_doc = "\"zlib\" with disk_compression, else \"none\"",
	 .allowed = KILN_VALUES("none", "zlib", "zstd"), .doc = "qcow2 cluster compression"},
	{.name = NULL},
};

const struct kiln_schema img_export_schema = {export_attrs, NULL};

static bool known_operation(const char *name)
{
	if (strcmp(name, "defaults") == 0 || strcmp(name, "all") == 0)
		return true;
	for (size_t i = 0; img_sanitize_operation(i); i++)
		if (strcmp(img_sanitize_operation(i)->name, name) == 0)
			return true;
	return false;
}

static int check_operations(const struct kiln_config *b, const char *key, const struct strv *names,
			    bool allow_groups, struct kiln_error *err)
{
	for (size_t i = 0; i < names->n; i++) {
		const char *n = names->v[i];
		bool group = strcmp(n, "defaults") == 0 || strcmp(n, "all") == 0;
		if (known_operation(n) && (allow_groups || !group))
			continue;
		struct buf known = BUF_INIT;
		for (size_t k = 0; img_sanitize_operation(k); k++)
			buf_printf(&known, "%s%s", k ? ", " : "", img_sanitize_operation(k)->name);
		kiln_config_error(b, key, err, "unknown sanitize operation \"%s\"", n);
		err_hint(err, "known operations: %s%s", buf_cstr(&known), allow_groups ? " (or \"defaults\", \"all\")" : "");
		buf_free(&known);
		return -1;
	}
	return 0;
}

int img_sanitize_opts_from_config(const struct kiln_config *cfg, struct img_sanitize_opts *out,
				  struct kiln_error *err)
{
	img_sanitize_opts_init(out);
	if (!kiln_config_has(cfg, "sanitize"))
		return 0;
	if (kiln_config_block_count(cfg, "sanitize") == 0) {
		/* `sanitize = false` (or true). */
		out->enabled = kiln_config_bool(cfg, "sanitize");
		return 0;
	}
	if (kiln_config_block_count(cfg, "sanitize") > 1)
		return kiln_config_error(cfg, "sanitize", err, "only one sanitize block is allowed");
	const struct kiln_config *b = kiln_config_block(cfg, "sanitize", 0);
	struct strv ops = STRV_INIT, excl = STRV_INIT;
	int rc = -1;
	bool has_ops = kiln_config_has(b, "operations");
	kiln_config_list_strv(b, "operations", &ops);
	kiln_config_list_strv(b, "exclude", &excl);
	if (check_operations(b, "operations", &ops, true, err) < 0 || check_operations(b, "exclude", &excl, false, err) < 0)
		goto out;
	if (img_sanitize_opts_select(out, has_ops ? strv_argv(&ops) : NULL, strv_argv(&excl), err) < 0)
		goto out;
	kiln_config_list_strv(b, "keep_user_accounts", &out->keep_user_accounts);
	out->trim = kiln_config_bool(b, "trim");
	out->list_packages = kiln_config_bool(b, "list_packages");
	rc = 0;
out:
	strv_free(&ops);
	strv_free(&excl);
	return rc;
}

int img_export_opts_from_config(const struct kiln_config *cfg, const char *default_format,
				bool default_compression, struct img_export_opts *out, struct kiln_error *err)
{
	img_export_opts_init(out);
	const struct kiln_config *b = kiln_config_block_count(cfg, "export") > 0 ? kiln_config_block(cfg, "export", 0) : NULL;
	struct kiln_error inner = ERR_INIT;
	if (b && kiln_config_has(b, "formats")) {
		size_t n = kiln_config_list_len(b, "formats");
		if (n == 0)
			return kiln_config_error(b, "formats", err, "export formats must not be empty");
		for (size_t i = 0; i < n; i++) {
			if (img_export_opts_add(out, kiln_config_list_string(b, "formats", i), &inner) < 0) {
				kiln_config_error(b, "formats", err, "%s", err_cause(&inner));
				err_hint(err, "%s", inner.hint ? inner.hint : "");
				err_clear(&inner);
				return -1;
			}
		}
	} else {
		if (img_export_opts_add(out, default_format, &inner) < 0) {
			kiln_config_error(cfg, "format", err, "%s", err_cause(&inner));
			err_hint(err, "%s", inner.hint ? inner.hint : "");
			err_clear(&inner);
			return -1;
		}
	}
	out->compression = default_compression ? IMG_COMPRESS_ZLIB : IMG_COMPRESS_NONE;
	if (b && kiln_config_has(b, "compression") &&
	    img_compression_parse(kiln_config_string(b, "compression"), &out->compression, &inner) < 0) {
		kiln_config_error(b, "compression", err, "%s", err_cause(&inner));
		err_hint(err, "%s", inner.hint ? inner.hint : "");
		err_clear(&inner);
		return -1;
	}
	return 0;
}
