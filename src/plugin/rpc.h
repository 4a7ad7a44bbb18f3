/* rpc.h — the plugin protocol's wire format (docs/plugins.md, "Transport"): JSON-RPC 2.0 messages, one
 * compact JSON object per line, over a Unix stream socket; file descriptors travel beside a message as
 * SCM_RIGHTS control data attached to its first byte, and the message says how many (`"fds": N` in
 * its params or result).
 *
 * This layer knows messages, not methods: src/plugin/host.c gives them meaning. It never blocks: the
 * socket is non-blocking, and the caller polls rpc_conn_fd() and calls rpc_read()/rpc_flush(). */
#ifndef KILN_PLUGIN_RPC_H
#define KILN_PLUGIN_RPC_H

#include "util/lazy_jansson.h"
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/* Limits (docs/plugins.md): longer lines, more descriptors in one message or more unclaimed
 * descriptors at once are protocol errors. */
#define RPC_MAX_LINE (16u << 20)
#define RPC_MAX_FDS 16
#define RPC_MAX_QUEUED_FDS 64

/* JSON-RPC's error codes and the protocol's own (docs/plugins.md, "Errors"). */
enum rpc_code {
	RPC_PARSE_ERROR = -32700,
	RPC_INVALID_REQUEST = -32600,
	RPC_METHOD_NOT_FOUND = -32601,
	RPC_INVALID_PARAMS = -32602,
	RPC_INTERNAL_ERROR = -32603,
	RPC_FAILED = -32000,          /* the call failed: message says why */
	RPC_INVALID_CONFIG = -32001,  /* prepare: data.attribute names the key */
	RPC_CANCELLED = -32002,
	RPC_UNSUPPORTED = -32003,     /* no such component, or a kind the plugin does not provide */
	RPC_NO_COMMUNICATOR = -32004, /* comm.* while the build has no communicator */
	RPC_TIMEOUT = -32005,
};

enum rpc_kind {
	RPC_REQUEST = 1,      /* method and id */
	RPC_NOTIFICATION,     /* method, no id */
	RPC_RESPONSE,         /* result or error, and id */
};

struct rpc_msg {
	enum rpc_kind kind;
	json_t *root;         /* the whole message (owned) */
	const char *method;   /* requests and notifications */
	json_t *id;           /* requests and responses (borrowed from root); NULL for notifications */
	json_t *params;       /* an object (borrowed), or NULL */
	json_t *result;       /* responses without error (borrowed; any JSON value) */
	int error_code;       /* responses with error */
	const char *error_message;
	json_t *error_data;   /* borrowed, or NULL */
	int nfds_declared;    /* the "fds" member: how many descriptors came with the message */
	int *fds;             /* those descriptors (owned: closed by rpc_msg_free unless taken) */
	int nfds;
};

/* Parse one line (without its newline) into a message. Everything a well-formed message must be is
 * checked here: an object, "jsonrpc": "2.0", exactly one of method/result/error, a string method, an
 * id that is a string, an integer or null, params an object, an error with an integer code and a
 * string message, "fds" an integer 0..RPC_MAX_FDS. Returns -1 with *why (malloc'ed) otherwise. */
int rpc_msg_parse(const char *line, size_t len, struct rpc_msg *out, char **why);
void rpc_msg_free(struct rpc_msg *m);
/* Take descriptor i out of the message (the caller now owns it); -1 when there is none. */
int rpc_msg_take_fd(struct rpc_msg *m, int i);

struct rpc_conn {
	int fd;                    /* non-blocking, close-on-exec */
	struct buf in;             /* bytes read and not yet parsed */
	struct buf out;            /* bytes queued for writing */
	int *out_fds;              /* descriptors to send with the first byte of the message that starts */
	int out_nfds;              /* out_fds_at bytes into out (one batch at a time) */
	size_t out_fds_at;
	int *queued_fds;           /* received, not yet claimed by a message: FIFO */
	size_t nqueued_fds, capqueued_fds;
	bool eof;                  /* the peer closed its end */
	long long next_id;
	size_t lines_in;           /* messages read, for error messages */
};

void rpc_conn_init(struct rpc_conn *c, int fd);
/* Close the socket and every descriptor still held. */
void rpc_conn_close(struct rpc_conn *c);

/* Read what the socket has (once): 0, or -1 on a socket error. Sets c->eof at end of stream. */
int rpc_read(struct rpc_conn *c, struct kiln_error *err);
/* Take the next complete message from what was read: 1 with *out filled, 0 when none is complete
 * yet, -1 on a protocol error (err says what, quoting the start of the offending line). */
int rpc_next(struct rpc_conn *c, struct rpc_msg *out, struct kiln_error *err);

/* Queue a message (it is encoded compactly, one line) with descriptors to send beside it (the
 * caller keeps its own descriptors: they are duplicated). One batch of descriptors at a time: flush a
 * message with descriptors before queuing the next one. Returns -1 when the message cannot be encoded. */
int rpc_queue(struct rpc_conn *c, json_t *msg, const int *fds, int nfds, struct kiln_error *err);
/* Write what the socket takes now: 0 (check rpc_pending()), -1 on a socket error (EPIPE: the peer
 * is gone). */
int rpc_flush(struct rpc_conn *c, struct kiln_error *err);
bool rpc_pending(const struct rpc_conn *c);

/* Message builders (new references). */
json_t *rpc_request(long long id, const char *method, json_t *params /* stolen, may be NULL */);
json_t *rpc_notification(const char *method, json_t *params /* stolen, may be NULL */);
json_t *rpc_response(json_t *id /* borrowed */, json_t *result /* stolen, NULL: {} */);
json_t *rpc_error_response(json_t *id /* borrowed, NULL: null */, int code, const char *message,
			   json_t *data /* stolen, may be NULL */);

/* A JSON string from bytes that may not be valid UTF-8 (command output, file names): invalid
 * sequences become U+FFFD. Never NULL. */
json_t *rpc_string(const char *s);
json_t *rpc_stringn(const char *s, size_t n);

#endif
