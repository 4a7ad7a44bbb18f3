/* installed.h — where plugins live on disk, in Packer's layout (docs/plugins.md, "Installing"):
 *
 *     <plugin dir>/<source>/kiln-plugin-NAME_vVERSION_xPROTOCOL_OS_ARCH
 *     <plugin dir>/<source>/kiln-plugin-NAME_vVERSION_xPROTOCOL_OS_ARCH_SHA256SUM   (the hex digest)
 *
 * with <source> "github.com/ORG/NAME". The plugin directories, searched in this order:
 * $KILN_PLUGIN_PATH when set, else $XDG_CONFIG_HOME/kiln/plugins (~/.config/kiln/plugins); then
 * kiln's own, $(pkglibdir)/plugins, where `make install` puts the plugins that come with kiln.
 * `kiln init` and `kiln plugins install` write into the first. */
#ifndef KILN_PLUGIN_INSTALLED_H
#define KILN_PLUGIN_INSTALLED_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"
#include "util/strv.h"

#define PLUGIN_FILE_PREFIX "kiln-plugin-"
#define PLUGIN_SUM_SUFFIX "_SHA256SUM"

struct plugin_installed {
	char *source;        /* "github.com/acme/hello" */
	char *name;          /* "hello" */
	char *version;       /* "1.2.0" (no "v") */
	char *protocol;      /* "1.0" */
	char *path;          /* the executable */
	char *dir;           /* the plugin directory it was found in */
	bool bundled;        /* in kiln's own directory (read-only for kiln plugins remove) */
};

struct plugin_list {
	struct plugin_installed *v;
	size_t n, cap;
};

/* The plugin directories, in search order (see above). */
void plugin_dirs(struct strv *out);
/* Where installs go (caller frees). */
char *plugin_install_dir(void);
/* kiln's own directory. */
const char *plugin_bundled_dir(void);

/* "linux_amd64" for this machine. */
const char *plugin_platform(void);

/* A source address: "github.com/ORG/NAME" (host, then two path elements of letters, digits, '-',
 * '_' and '.'). false with *why (malloc'ed) otherwise. The plugin's name is the last element. */
bool plugin_source_valid(const char *source, char **why);
char *plugin_source_name(const char *source);

/* Parse a file name of the layout; false when it is not one (or for another platform). */
bool plugin_file_parse(const char *file, char **name, char **version, char **protocol);
/* The file name for name, version, protocol on this platform. */
char *plugin_file_name(const char *name, const char *version, const char *protocol);

/* Order two version texts: -1, 0, 1 ("1.2.0" < "1.10.0", "1.0.0-rc1" < "1.0.0"). */
int plugin_version_cmp(const char *a, const char *b);

/* Every installed plugin of source (NULL: of every source), newest version first within a source;
 * a version found in two directories is listed once, from the first. Files without their
 * _SHA256SUM beside them are skipped (logged). */
void plugin_list_installed(const char *source, struct plugin_list *out);
void plugin_list_free(struct plugin_list *l);
void plugin_installed_clear(struct plugin_installed *p);

/* Does the executable's SHA-256 match its _SHA256SUM file? *sha256 (when not NULL) gets the digest
 * actually computed. -1 with err saying which file and what differs. */
int plugin_verify_file(const char *path, char **sha256, struct kiln_error *err);

#endif
