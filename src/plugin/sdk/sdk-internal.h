/* sdk-internal.h — what the SDK's files share; not installed. */
#ifndef KILN_PLUGIN_SDK_INTERNAL_H
#define KILN_PLUGIN_SDK_INTERNAL_H

#include <stddef.h>

#include "kiln-plugin.h"

#define KP_STR_(x) #x
#define KP_STR(x) KP_STR_(x)
#define KP_PROTOCOL_TEXT KP_STR(KP_PROTOCOL_MAJOR) "." KP_STR(KP_PROTOCOL_MINOR)

/* Limits of the protocol (docs/plugins.md). */
#define KP_MAX_LINE (16u << 20)
#define KP_MAX_FDS 16
#define KP_MAX_QUEUED_FDS 64

/* Error codes (docs/plugins.md, "Errors"). */
#define KP_ERR_PARSE (-32700)
#define KP_ERR_INVALID_REQUEST (-32600)
#define KP_ERR_METHOD_NOT_FOUND (-32601)
#define KP_ERR_INVALID_PARAMS (-32602)
#define KP_ERR_FAILED (-32000)
#define KP_ERR_INVALID_CONFIG (-32001)
#define KP_ERR_CANCELLED (-32002)
#define KP_ERR_UNSUPPORTED (-32003)

struct kp_buf {
	char *data;
	size_t len, cap;
};

void kp_buf_append(struct kp_buf *b, const void *data, size_t n);
void kp_buf_putc(struct kp_buf *b, char c);
void kp_buf_puts(struct kp_buf *b, const char *s);

/* Allocation that succeeds or ends the plugin with a message on stderr. */
void *kp_xmalloc(size_t n);
void *kp_xcalloc(size_t n, size_t size);
void *kp_xrealloc(void *p, size_t n);
char *kp_xstrdup(const char *s);
char *kp_vprintf(const char *fmt, va_list ap);

/* One message off the wire. */
struct kp_msg {
	struct kp_json *root;
	const char *method;            /* requests and notifications */
	const struct kp_json *id;      /* requests and responses */
	const struct kp_json *params;
	const struct kp_json *result;
	const struct kp_json *error;
	int fds[KP_MAX_FDS];
	int nfds;
};

/* Parse one line into a message; -1 with *why (malloc'ed) when it is not a valid one. The SDK's
 * fuzz target. */
int kp_msg_parse(const char *line, size_t len, struct kp_msg *m, char **why);
void kp_msg_free(struct kp_msg *m);

#endif
