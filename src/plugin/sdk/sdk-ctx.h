/* sdk-ctx.h — the connection and the call in progress (struct kp_ctx); not installed. */
#ifndef KILN_PLUGIN_SDK_CTX_H
#define KILN_PLUGIN_SDK_CTX_H

#include <stdbool.h>

#include "kiln-plugin.h"
#include "sdk-internal.h"

struct kp_ctx {
	const struct kp_plugin *plugin;
	int fd;
	struct kp_buf in;                /* bytes read; in_off of them consumed */
	size_t in_off;
	int fds[KP_MAX_QUEUED_FDS];      /* received, not yet claimed by a message */
	size_t nfds;
	bool eof;
	long long next_id;
	bool cancelled;

	/* the prepared component */
	bool prepared;
	char kind[16];
	const void *component;
	void *instance;
	void (*destroy)(void *instance);
	struct kp_json *config, *unknown, *build;
	const struct kp_artifact *in_artifact;

	/* the call in progress */
	char *fail_msg, *fail_attr, *fail_hint;
	struct kp_json *warnings;
	char *last_error;                /* kiln's message for the last call to kiln that failed */

	/* comm.exec in progress */
	long long exec_id;
	kp_line_fn on_line;
	void *line_arg;
};

/* Call kiln: 0 with *result (may be NULL: not wanted) and the first descriptor of the answer in *rfd
 * (may be NULL), or -1 with ctx->last_error. params and the descriptors' ownership stay as stated:
 * params is taken, fds are not closed. */
int kp_call(struct kp_ctx *ctx, const char *method, struct kp_json *params, const int *fds, int nfds,
	    struct kp_json **result, int *rfd);
void kp_notify(struct kp_ctx *ctx, const char *method, struct kp_json *params);

#endif
