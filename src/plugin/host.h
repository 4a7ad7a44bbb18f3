/* host.h — kiln's side of a plugin connection: start the plugin, shake hands, call its methods while
 * serving what it asks of kiln in the meantime (the UI, the communicator, the artifact's files), and
 * turn every way a plugin can fail — crash, hang, garbage on the socket, an error it reports — into one
 * error that names the plugin and quotes the last lines it wrote to stderr.
 *
 *     struct plugin_conn *c;
 *     if (plugin_open(path, dir, &c, err) < 0) ...          // start + handshake (versions checked)
 *     struct plugin_services svc = {.ui = ctx->ui, .ctx = ctx, .comm = comm};
 *     json_t *res;
 *     if (plugin_call(c, &svc, "provision", params, 0, &res, err) < 0) ...
 *     plugin_close(c);                                   // end of stream, then kill the group
 */
#ifndef KILN_PLUGIN_HOST_H
#define KILN_PLUGIN_HOST_H

#include "util/lazy_jansson.h"
#include <stdbool.h>

#include "component.h"
#include "plugin/process.h"
#include "util/error.h"

struct ui;
struct ui_progress;

/* What a call may use; every member may be NULL. */
struct plugin_services {
	struct ui *ui;                          /* ui.* (NULL: the global UI) */
	struct kiln_ctx *ctx;                   /* the build: its values and cancellation */
	struct kiln_comm *comm;                 /* comm.* (NULL: "no communicator") */
	const struct kiln_artifact *artifact;   /* artifact.open: the post-processor's input */
};

struct plugin_bar {
	char *id;
	struct ui_progress *progress;
};

struct plugin_conn {
	struct plugin_proc *proc;
	char *path;
	char *label;                 /* "plugin kiln-plugin-hello 1.2.0", for messages */
	char *name;                  /* from the handshake */
	char *version;
	char *protocol;
	const struct plugin_services *svc;   /* during a call */
	struct plugin_bar *bars;     /* ui.progress bars open now */
	size_t nbars, capbars;
	char *linkdir;               /* temporary directory for comm.upload's named links */
	int last_code;               /* the last error response's code and data (prepare's attribute) */
	json_t *last_data;
	bool dead;                   /* killed or broken: no more calls */
};

/* Start the plugin at path (in the directory workdir; NULL: kiln's) and shake hands: its protocol
 * version must be one this kiln runs (protocol.h), else the error names both versions. */
int plugin_open(const char *path, const char *workdir, struct plugin_conn **out, struct kiln_error *err);

/* Call method with params (stolen) and wait for the answer, serving the plugin's requests and
 * notifications meanwhile. timeout_ms > 0 bounds the wait; the build's cancellation (Ctrl-C, the
 * provisioner's timeout) sends `cancel`, and a plugin that has not answered PLUGIN_CANCEL_GRACE_MS
 * later is killed. On success *result is the result (a new reference). On failure err says what
 * happened, wrapped with the plugin's label; c->last_code is the plugin's error code when it answered
 * with one (0 otherwise), and the connection is unusable unless it did. */
int plugin_call(struct plugin_conn *c, const struct plugin_services *svc, const char *method, json_t *params,
		long timeout_ms, json_t **result, struct kiln_error *err);

/* End the connection and the process (NULL is fine). */
void plugin_close(struct plugin_conn *c);

/* services.c: answer one request or notification from the plugin (queued on the connection).
 * Returns -1 only when the connection cannot go on (err set). */
int plugin_serve(struct plugin_conn *c, struct rpc_msg *m, struct kiln_error *err);
/* Queue and send a message now, waiting for the socket as long as the plugin runs and the build is
 * not cancelled. */
int plugin_send(struct plugin_conn *c, json_t *msg /* stolen */, const int *fds, int nfds, struct kiln_error *err);
void plugin_services_end(struct plugin_conn *c);

#endif
