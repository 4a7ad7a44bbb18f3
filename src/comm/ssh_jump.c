/* ssh_jump.c — the jump host (ssh_bastion_*): one session to the bastion, and for each connection to
 * the machine a direct-tcpip channel that a thread copies to and from one end of a socket pair; the
 * other end is the socket of the inner SSH session. (libssh 0.10 has no jump host of its own, and its
 * ProxyCommand would need a shell string.) */
#include "comm/ssh_internal.h"
#include "util/mem.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>


struct ssh_jump {
	ssh_session session;
	int fd;
	ssh_key pinned;
	char *pinned_fp;
	ssh_key file_key;
	/* the current forward */
	ssh_channel channel;
	int pump_fd;
	pthread_t thread;
	bool running;
	atomic_bool stop;
};

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copy bytes both ways between the forward channel and pump_fd until either side ends. */
static void *jump_pump(void *arg)
{
	struct ssh_jump *j = arg;
	char *data = xmalloc(65536);
	while (!atomic_load(&j->stop)) {
		bool busy = false;
		int n = ssh_channel_read_nonblocking(j->channel, data, 65536, 0);
		if (n < 0 || (n == 0 && ssh_channel_is_eof(j->channel)))
			break;
		if (n > 0) {
			if (write_all(j->pump_fd, data, (size_t)n) < 0)
				break;
			busy = true;
		}
		ssize_t r = recv(j->pump_fd, data, 65536, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			break;
		if (r > 0) {
			if (ssh_channel_write(j->channel, data, (uint32_t)r) != r)
				break;
			busy = true;
		}
		if (busy || ssh_channel_poll(j->channel, 0) > 0)
			continue;
		struct pollfd p[2] = {{.fd = j->pump_fd, .events = POLLIN}, {.fd = ssh_get_fd(j->session), .events = POLLIN}};
		poll(p, 2, 100);
	}
	free(data);
	/* The inner session sees the link close. */
	shutdown(j->pump_fd, SHUT_RDWR);
	return NULL;
}

void sshc_jump_stop_forward(struct ssh_jump *j)
{
	if (j->running) {
		atomic_store(&j->stop, true);
		pthread_join(j->thread, NULL);
		j->running = false;
	}
	if (j->channel) {
		if (ssh_is_connected(j->session) && ssh_channel_is_open(j->channel))
			ssh_channel_close(j->channel);
		ssh_channel_free(j->channel);
		j->channel = NULL;
	}
	if (j->pump_fd >= 0) {
		close(j->pump_fd);
		j->pump_fd = -1;
	}
}

static void jump_disconnect(struct ssh_jump *j)
{
	sshc_jump_stop_forward(j);
	if (j->session) {
		ssh_disconnect(j->session);
		ssh_free(j->session);
		j->session = NULL;
	}
	if (j->fd >= 0) {
		close(j->fd);
		j->fd = -1;
	}
}

void sshc_jump_free(struct ssh_jump *j)
{
	if (!j)
		return;
	jump_disconnect(j);
	ssh_key_free(j->pinned);
	ssh_key_free(j->file_key);
	free(j->pinned_fp);
	free(j);
}

static enum sshc_attempt jump_login(struct ssh_comm *c, int64_t deadline, char **reason, struct kiln_error *err)
{
	const struct ssh_bastion_config *b = &c->sc->bastion;
	struct ssh_jump *j = c->jump;
	char *where = xasprintf("bastion %s:%d", b->host, b->port);
	enum sshc_attempt r = SSHC_RETRY;
	char *why = NULL;
	j->fd = sshc_tcp_connect(b->host, b->port, deadline, &why);
	if (j->fd < 0)
		goto out;
	j->session = sshc_session_new(c->sc, b->host, b->port, b->username, j->fd, deadline);
	if (ssh_connect(j->session) != SSH_OK) {
		char *e = sshc_lower_first(ssh_get_error(j->session));
		why = xasprintf("SSH handshake failed: %s", e);
		free(e);
		goto out;
	}
	r = sshc_check_host_key(j->session, &j->pinned, &j->pinned_fp, where, &why, err);
	if (r != SSHC_OK)
		goto out;
	if (b->private_key_file && !j->file_key &&
	    ssh_pki_import_privkey_file(b->private_key_file, NULL, NULL, NULL, &j->file_key) != SSH_OK) {
		r = SSHC_FATAL;
		err_set_kind(err, ERR_INVALID, "cannot read ssh_bastion_private_key_file %s", b->private_key_file);
		goto out;
	}
	struct sshc_credentials cr = {.user = b->username, .password = b->password, .agent = b->agent_auth,
				 .keys = {j->file_key}, .key_names = {"ssh_bastion_private_key_file"}};
	r = sshc_authenticate(j->session, &cr, &why);
	if (r == SSHC_AUTH) {
		/* The jump host is not booting: a refused login will not change by waiting. */
		r = SSHC_FATAL;
		err_set(err, "%s: %s", where, why);
		err_hint(err, "check ssh_bastion_username and ssh_bastion_password, ssh_bastion_private_key_file "
			      "or ssh_bastion_agent_auth");
	}
out:
	if (r != SSHC_OK) {
		jump_disconnect(j);
		if (why)
			*reason = xasprintf("%s: %s", where, why);
	}
	free(why);
	free(where);
	return r;
}

/* A socket that reaches host:port through the jump host, or -1 with *reason. */
enum sshc_attempt sshc_jump_forward(struct ssh_comm *c, int64_t deadline, int *fd_out, char **reason,
				 struct kiln_error *err)
{
	struct ssh_jump *j = c->jump;
	sshc_jump_stop_forward(j);
	if (j->session && !ssh_is_connected(j->session))
		jump_disconnect(j);
	if (!j->session) {
		enum sshc_attempt r = jump_login(c, deadline, reason, err);
		if (r != SSHC_OK)
			return r;
	}
	j->channel = ssh_channel_new(j->session);
	if (ssh_channel_open_forward(j->channel, c->host, c->port, "127.0.0.1", 0) != SSH_OK) {
		char *e = sshc_lower_first(ssh_get_error(j->session));
		*reason = xasprintf("%s (through bastion %s:%d)", e, c->sc->bastion.host, c->sc->bastion.port);
		free(e);
		sshc_jump_stop_forward(j);
		return SSHC_RETRY;
	}
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		err_set_errno(err, errno, "socketpair");
		sshc_jump_stop_forward(j);
		return SSHC_FATAL;
	}
	j->pump_fd = sp[1];
	atomic_store(&j->stop, false);
	if (pthread_create(&j->thread, NULL, jump_pump, j) != 0) {
		close(sp[0]);
		err_set(err, "cannot start the bastion forwarding thread");
		sshc_jump_stop_forward(j);
		return SSHC_FATAL;
	}
	j->running = true;
	*fd_out = sp[0];
	return SSHC_OK;
}

struct ssh_jump *sshc_jump_new(void)
{
	struct ssh_jump *j = xcalloc(1, sizeof *j);
	j->fd = -1;
	j->pump_fd = -1;
	return j;
}
