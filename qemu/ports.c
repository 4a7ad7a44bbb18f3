/* ports.c — reserving host ports (see ports.h). */
#include "qemu/ports.h"
#include "util/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int *taken;
static size_t ntaken, captaken;

static bool is_taken(int port)
{
	for (size_t i = 0; i < ntaken; i++)
		if (taken[i] == port)
			return true;
	return false;
}

static int try_bind(const char *addr, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr && *addr ? addr : "127.0.0.1", &sa.sin_addr) != 1)
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int qemu_port_reserve(const char *addr, int min, int max, struct qemu_port *out, struct kiln_error *err)
{
	out->port = 0;
	out->fd = -1;
	if (min < 1 || max > 65535 || min > max)
		return err_set_kind(err, ERR_INVALID, "invalid port range %d-%d", min, max);
	unsigned r = 0;
	if (getrandom(&r, sizeof r, 0) != sizeof r)
		r = (unsigned)getpid();
	unsigned span = (unsigned)(max - min + 1);
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < span; i++) {
		int port = min + (int)((r + i) % span);
		if (is_taken(port))
			continue;
		int fd = try_bind(addr, port);
		if (fd < 0)
			continue;
		taken = xgrow(taken, &captaken, ntaken + 1, sizeof *taken);
		taken[ntaken++] = port;
		out->port = port;
		out->fd = fd;
		break;
	}
	pthread_mutex_unlock(&lock);
	if (!out->port)
		return err_set_kind(err, ERR_IO, "no free port between %d and %d on %s", min, max, addr ? addr : "127.0.0.1");
	return 0;
}

void qemu_port_hand_over(struct qemu_port *p)
{
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
}

void qemu_port_release(struct qemu_port *p)
{
	qemu_port_hand_over(p);
	if (!p->port)
		return;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < ntaken; i++)
		if (taken[i] == p->port) {
			taken[i] = taken[--ntaken];
			break;
		}
	if (ntaken == 0) {
		free(taken);
		taken = NULL;
		captaken = 0;
	}
	pthread_mutex_unlock(&lock);
	p->port = 0;
}
