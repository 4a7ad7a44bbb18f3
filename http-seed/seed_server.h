/* seed_server.h — the embedded HTTP/1.1 seed server: serves one build's http_directory and
 * http_content to the guest (kickstart, preseed, cloud-init's nocloud-net seed) on libmicrohttpd.
 *
 * It knows nothing of templates or builds: the caller passes plain options and gets back the bound
 * address and port. GET and HEAD only; Content-Type, Content-Length, single-range Range requests;
 * no directory listings; nothing outside the served tree is ever opened (".." and escaping symlinks
 * are refused with 403). The listening socket is bound once and held until seed_server_stop(), so
 * parallel builds in one or many processes never get the same port.
 *
 *     struct seed_server_options o = { .directory = "http", .port_min = 8000, .port_max = 9000 };
 *     struct seed_server *srv;
 *     if (seed_server_start(&o, &srv, err) < 0) return -1;
 *     ... guest fetches http://10.0.2.2:<seed_server_port(srv)>/ks.cfg ...
 *     seed_server_stop(srv);
 *
 * Every request is logged with log_debug() (KILN_LOG=1). */
#ifndef KILN_HTTP_SEED_SEED_SERVER_H
#define KILN_HTTP_SEED_SEED_SERVER_H

#include <stddef.h>

#include "util/error.h"

/* Packer's defaults for http_port_min / http_port_max (the builder applies them). */
#define SEED_PORT_MIN_DEFAULT 8000
#define SEED_PORT_MAX_DEFAULT 9000

/* One http_content entry: served at `path` (must start with '/', cleaned like a request path, so
 * "/a//b" and "/a/b" are the same entry). The bytes are copied by seed_server_start(). */
struct seed_content {
	const char *path;
	const char *data;
	size_t len;
};

/* Called the first time a client successfully GETs each path (status 200 or 206), once per path
 * for the life of the server. `path` is the cleaned request path ("/ks.cfg"), `client` the peer's
 * numeric address. Runs on a server thread: it must be thread-safe (the ui_* functions are) and
 * quick; it must not call seed_server_stop(). */
typedef void (*seed_fetch_fn)(void *arg, const char *path, const char *client);

struct seed_server_options {
	const char *directory;               /* http_directory: the served tree, or NULL */
	const struct seed_content *content;  /* http_content; an entry shadows a file of the same path */
	size_t n_content;
	const char *bind_address;            /* numeric IPv4 or IPv6; NULL or "" means "127.0.0.1" */
	int port_min, port_max;              /* inclusive range, tried from a random start; both 0 means
	                                      * any free port the kernel picks (tests) */
	seed_fetch_fn on_first_fetch;        /* optional */
	void *fetch_arg;
	unsigned max_connections;            /* concurrent connections; 0 means 64 */
};

struct seed_server;

/* Validate the options, bind a port, start serving. On failure nothing is left open.
 * Errors: ERR_INVALID (bad options, bad address, missing directory), ERR_IO (no free port). */
int seed_server_start(const struct seed_server_options *opts, struct seed_server **out,
                      struct kiln_error *err);

/* Stop serving, close the socket (the port is free again), free everything. Accepts NULL.
 * In-flight transfers are cut off. */
void seed_server_stop(struct seed_server *s);

int seed_server_port(const struct seed_server *s);
/* The address the socket is bound to, as given (or "127.0.0.1"). */
const char *seed_server_address(const struct seed_server *s);

#endif
