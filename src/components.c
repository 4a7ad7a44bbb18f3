/* components.c — the table of built-in components. Adding a component is one file implementing
 * component.h and one line here. This file and the components are built into kiln-components.so
 * (src/registry.h explains why); src/registry.c finds them. */
#include "image/archive.h"
#include "image/image.h"
#include "qemu/download.h"
#include "registry.h"
#include "util/file.h"
#include "util/mem.h"

#include <editline/readline.h>
#include <stdlib.h>

extern const struct kiln_builder qemu_builder;
extern const struct kiln_builder null_builder;
extern const struct kiln_builder file_builder;
extern const struct kiln_provisioner shell_provisioner;
extern const struct kiln_provisioner file_provisioner;
extern const struct kiln_provisioner shell_local_provisioner;
extern const struct kiln_provisioner breakpoint_provisioner;
extern const struct kiln_postprocessor amazon_import_postprocessor;
extern const struct kiln_postprocessor artifice_postprocessor;
extern const struct kiln_postprocessor checksum_postprocessor;
extern const struct kiln_postprocessor compress_postprocessor;
extern const struct kiln_postprocessor manifest_postprocessor;
extern const struct kiln_postprocessor shell_local_postprocessor;
extern const struct kiln_datasource null_datasource;

static const struct kiln_builder *const builders[] = {
	&qemu_builder,
	&null_builder,
	&file_builder,
	NULL,
};

static const struct kiln_provisioner *const provisioners[] = {
	&shell_provisioner,
	&file_provisioner,
	&shell_local_provisioner,
	&breakpoint_provisioner,
	NULL,
};

static const struct kiln_postprocessor *const postprocessors[] = {
	&amazon_import_postprocessor,
	&artifice_postprocessor,
	&checksum_postprocessor,
	&compress_postprocessor,
	&manifest_postprocessor,
	&shell_local_postprocessor,
	NULL,
};

static const struct kiln_datasource *const datasources[] = {
	&null_datasource,
	NULL,
};

static const struct img_api img_api = {
	.accel_parse = img_accel_parse,
	.accel_name = img_accel_name,
	.info_read = img_info_read,
	.info_free = img_info_free,
	.inspect_os = img_inspect_os,
	.os_json = img_os_json,
	.os_free = img_os_free,
};

/* The console's line editor lives here, not in kiln, so that only an interactive console pays for
 * loading libedit and the libraries it needs. */
static char *read_line(const char *prompt)
{
	char *line = readline(prompt);
	if (line && *line)
		add_history(line);
	return line;
}

static int fetch_text(const char *url, char **text, struct kiln_error *err)
{
	return qemu_fetch_text(url, NULL, text, err);
}

/* A remote file is downloaded into dest; a local one is verified where it is, then copied. */
static int fetch_file(const char *url, const char *sha256_hex, const char *dest, struct ui *ui, struct kiln_error *err)
{
	char *checksum = xasprintf("sha256:%s", sha256_hex);
	char *const urls[] = {(char *)url, NULL};
	struct qemu_fetch_req req = {.urls = urls, .nurls = 1, .checksum = checksum, .target_path = dest, .ui = ui};
	struct qemu_fetch_result res;
	int rc = qemu_fetch(&req, &res, err);
	if (rc == 0 && res.in_place)
		rc = file_copy(res.path, dest, 0755, err);
	if (rc == 0)
		qemu_fetch_result_free(&res);
	free(checksum);
	return rc;
}

const struct kiln_module kiln_builtin_module = {
	.abi = KILN_MODULE_ABI,
	.component_abi = KILN_COMPONENT_ABI,
	.builders = builders,
	.provisioners = provisioners,
	.postprocessors = postprocessors,
	.datasources = datasources,
	.image = &img_api,
	.gzip = img_gzip,
	.read_line = read_line,
	.end_lines = clear_history,
	.fetch_text = fetch_text,
	.fetch_file = fetch_file,
};
