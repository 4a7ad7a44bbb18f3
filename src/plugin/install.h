/* install.h — installing plugins: from a mirror (a directory or an HTTP(S) URL), from GitHub
 * releases, or from a file given by hand (air-gapped machines). Every file is verified against the
 * SHA-256 its release publishes before it is put in place, and run once (handshake and describe) to
 * check that it speaks a protocol this kiln runs and is the version its name says.
 *
 * A mirror holds, for each source, the release files and one SHA256SUMS listing them:
 *
 *     MIRROR/github.com/acme/hello/SHA256SUMS
 *     MIRROR/github.com/acme/hello/kiln-plugin-hello_v1.2.0_x1.0_linux_amd64
 *
 * GitHub (the default for github.com sources): the releases of github.com/ORG/kiln-plugin-NAME, each
 * with the assets kiln-plugin-NAME_vVERSION_xPROTOCOL_OS_ARCH and kiln-plugin-NAME_vVERSION_SHA256SUMS.
 * $KILN_GITHUB_API (default https://api.github.com) is where the release list is asked for. */
#ifndef KILN_PLUGIN_INSTALL_H
#define KILN_PLUGIN_INSTALL_H

#include <stdbool.h>

#include "plugin/installed.h"
#include "util/error.h"
#include "util/strv.h"

struct ui;

struct plugin_install_opts {
	const char *mirror;      /* NULL: $KILN_PLUGIN_MIRROR, else GitHub */
	struct ui *ui;           /* progress; NULL: the global UI */
};

struct plugin_install_result {
	struct plugin_installed inst;    /* what is installed now */
	char *sha256;                    /* of the installed executable */
	struct strv hashes;              /* "sha256:<hex>" of the release on every platform it offers */
	char *from;                      /* where it came from (URL or path) */
};

/* The mirror in effect: opts->mirror, else $KILN_PLUGIN_MIRROR, else NULL (GitHub). */
const char *plugin_mirror(const struct plugin_install_opts *o);

/* Install the newest release of source that satisfies constraint (NULL: any) — or exactly version
 * (when not NULL) — and that this kiln can run. When locked is not NULL the downloaded file's
 * checksum must be one of those hashes ("sha256:<hex>"). */
int plugin_install(const char *source, const char *constraint, const char *version, const struct strv *locked,
		   const struct plugin_install_opts *o, struct plugin_install_result *res, struct kiln_error *err);

/* Install the executable at path as a release of source: its version and protocol come from the
 * plugin itself (handshake). */
int plugin_install_file(const char *path, const char *source, struct plugin_install_result *res,
			struct kiln_error *err);

/* Remove source's installed versions (every one, or just version) from the writable plugin
 * directory; the paths removed are appended to removed. Plugins that come with kiln are not removed
 * (an error says so). */
int plugin_remove(const char *source, const char *version, struct strv *removed, struct kiln_error *err);

/* Run the plugin once: it must speak a protocol this kiln runs (else the error names both
 * versions), say the version its file name says (want_version, when not NULL) and describe valid
 * components. *version and *protocol (malloc'ed) are what it says. */
int plugin_check(const char *path, const char *want_version, char **version, char **protocol, struct kiln_error *err);

void plugin_install_result_free(struct plugin_install_result *r);

#endif
