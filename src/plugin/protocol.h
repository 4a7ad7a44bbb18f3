/* protocol.h — the plugin protocol's version and time limits (docs/plugins.md is the specification).
 *
 * Versioning: a plugin built for protocol MAJOR.x runs on every kiln that speaks MAJOR.y with y >= x.
 * kiln refuses any other pairing when it installs the plugin (kiln init, kiln plugins install) and,
 * should an installed file claim one version and speak another, at the handshake, before a build
 * starts anything. A minor version adds methods, parameters or result members that older plugins
 * ignore; removing or changing one is a new major version. */
#ifndef KILN_PLUGIN_PROTOCOL_H
#define KILN_PLUGIN_PROTOCOL_H

#include <stdbool.h>

#define PLUGIN_PROTOCOL_MAJOR 1
#define PLUGIN_PROTOCOL_MINOR 0
#define PLUGIN_PROTOCOL_TEXT "1.0"

/* Time limits, in milliseconds (docs/plugins.md, "Timeouts"); each can be changed through the
 * environment variable named beside it (a Go duration, "30s"). */
#define PLUGIN_HANDSHAKE_TIMEOUT_MS 10000L   /* KILN_PLUGIN_HANDSHAKE_TIMEOUT */
#define PLUGIN_CALL_TIMEOUT_MS 60000L        /* KILN_PLUGIN_CALL_TIMEOUT: describe and prepare */
#define PLUGIN_CANCEL_GRACE_MS 10000L        /* KILN_PLUGIN_CANCEL_GRACE: cancel, then SIGKILL */
#define PLUGIN_EXIT_GRACE_MS 2000L           /* end of stream, then SIGKILL */

long plugin_timeout_ms(const char *env, long def);

/* "1.0" into major and minor; -1 when it is not MAJOR.MINOR. */
int plugin_protocol_parse(const char *text, int *major, int *minor);
/* Can this kiln run a plugin that speaks `text`? false with *why (malloc'ed) naming both versions. */
bool plugin_protocol_compatible(const char *text, char **why);

#endif
