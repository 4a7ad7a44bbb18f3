/* seed-serve.c — test and benchmark driver for the HTTP seed server: serves a directory and/or
 * content entries until SIGTERM or SIGINT, then stops the server and exits 0 (so valgrind and
 * LeakSanitizer see a complete shutdown).
 *
 *   seed-serve [-d DIR] [-f /path=FILE]... [-t /path=TEXT]... [-b ADDR] [-p MIN-MAX] [-c CONNS]
 *
 * stdout: "port N" once serving, "fetched PATH from CLIENT" for each first fetch, "stopped" at the
 * end, each line flushed. Errors go to stderr with exit status 1. */
#include "http-seed/seed_server.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_fetch(void *arg, const char *path, const char *client)
{
	pthread_mutex_lock(&out_lock);
	printf("fetched %s from %s\n", path, client);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static int usage(void)
{
	fprintf(stderr, "usage: seed-serve [-d DIR] [-f /path=FILE]... [-t /path=TEXT]... [-b ADDR] "
	                "[-p MIN-MAX] [-c CONNS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct seed_server_options o = {.on_first_fetch = on_fetch};
	struct seed_content *content = xcalloc((size_t)argc, sizeof *content);
	struct buf *bodies = xcalloc((size_t)argc, sizeof *bodies);
	struct kiln_error err = ERR_INIT;
	struct seed_server *srv = NULL;
	int rc = 1, opt;

	log_init_from_env();
	/* Block the stop signals before the server's threads exist, so only sigwait() sees them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);

	while ((opt = getopt(argc, argv, "d:f:t:b:p:c:")) != -1) {
		switch (opt) {
		case 'd':
			o.directory = optarg;
			break;
		case 'f':
		case 't': {
			char *eq = strchr(optarg, '=');
			if (!eq) {
				rc = usage();
				goto out;
			}
			*eq = '\0';
			struct buf *b = &bodies[o.n_content];
			if (opt == 'f' && file_read_all(eq + 1, b, &err) < 0)
				goto out;
			if (opt == 't')
				buf_puts(b, eq + 1);
			content[o.n_content++] = (struct seed_content){optarg, buf_cstr(b), b->len};
			break;
		}
		case 'b':
			o.bind_address = optarg;
			break;
		case 'p':
			if (sscanf(optarg, "%d-%d", &o.port_min, &o.port_max) != 2) {
				rc = usage();
				goto out;
			}
			break;
		case 'c':
			o.max_connections = (unsigned)atoi(optarg);
			break;
		default:
			rc = usage();
			goto out;
		}
	}
	o.content = content;
	if (seed_server_start(&o, &srv, &err) < 0)
		goto out;
	pthread_mutex_lock(&out_lock);
	printf("port %d\n", seed_server_port(srv));
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);

	int sig;
	sigwait(&stop, &sig);
	seed_server_stop(srv);
	srv = NULL;
	printf("stopped\n");
	rc = 0;
out:
	if (err_isset(&err)) {
		char *text = err_text(&err);
		fprintf(stderr, "seed-serve: %s\n", text);
		if (err.hint)
			fprintf(stderr, "seed-serve: hint: %s\n", err.hint);
		free(text);
	}
	seed_server_stop(srv);
	for (int i = 0; i < argc; i++)
		buf_free(&bodies[i]);
	free(bodies);
	free(content);
	err_clear(&err);
	log_close();
	return rc;
}
