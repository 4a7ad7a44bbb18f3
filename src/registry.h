/* registry.h — where the built-in components live. The components that need the heavy libraries
 * (libvirt, libguestfs, libcurl, libssh, libmicrohttpd, libarchive) are built into a private module,
 * kiln-components.so, that kiln loads the first time a component is looked up. Commands that never
 * touch a component (fmt, validate -syntax-only, console, help, version) then start in a few
 * milliseconds instead of paying for ~70 shared libraries they do not use (docs/architecture.md).
 *
 * The module exports one symbol, kiln_builtin_module. Programs that link the components statically
 * (the unit tests, test helpers) get it at link time and never load anything. */
#ifndef KILN_REGISTRY_H
#define KILN_REGISTRY_H

#include "component.h"
#include "util/buf.h"
#include "util/error.h"

#define KILN_MODULE_ABI 3
#define KILN_MODULE_FILE "kiln-components.so"

struct img_api;
struct ui;

struct kiln_module {
	int abi;                                        /* KILN_MODULE_ABI */
	int component_abi;                              /* KILN_COMPONENT_ABI it was built with */
	const struct kiln_builder *const *builders;     /* NULL-terminated */
	const struct kiln_provisioner *const *provisioners;
	const struct kiln_postprocessor *const *postprocessors;
	const struct kiln_datasource *const *datasources;
	const struct img_api *image;                    /* disk inspection, for kiln inspect-image */
	/* gzip (libarchive) for the base64gzip function: data compressed into out; -1 with *why set. */
	int (*gzip)(const void *data, size_t len, struct buf *out, char **why);
	/* Line editing (libedit) for an interactive kiln console: the next line without its newline,
	 * kept in the history (caller frees), NULL at end of input; end_lines forgets the history. */
	char *(*read_line)(const char *prompt);
	void (*end_lines)(void);
	/* Plugin installs (src/plugin/install.c) download through qemu/'s libcurl code: a small text by
	 * URL or local path (a SHA256SUMS file, a release list), and a file by URL or local path into
	 * dest, verified against its SHA-256 (a mismatch names both digests and leaves nothing). */
	int (*fetch_text)(const char *url, char **text, struct kiln_error *err);
	int (*fetch_file)(const char *url, const char *sha256_hex, const char *dest, struct ui *ui,
			  struct kiln_error *err);
};

extern const struct kiln_module kiln_builtin_module;

/* The module, loaded on first use: $KILN_COMPONENTS, else kiln-components.so next to the running
 * binary (the build tree), else the installed one in $(pkglibdir). NULL with err set when it cannot be
 * loaded (the error names the file and dlerror's reason). */
const struct kiln_module *kiln_module_get(struct kiln_error *err);

/* base64gzip's compressor, through the module (wired into src/hcl by main.c). */
int kiln_module_gzip(const void *data, size_t len, struct buf *out, char **why);

#endif
