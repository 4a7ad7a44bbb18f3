/* ssh_connect.c — waiting for SSH and connecting: TCP with a deadline (or a forward through the jump
 * host, ssh_jump.c), the handshake with host-key pinning, authentication, and the retry loop with
 * progress lines.
 *
 * A machine that is still booting refuses connections, or (behind QEMU's user-mode network) accepts
 * and closes them at once, or runs sshd before the user's key is installed. All of that is retried
 * with back-off until ssh_timeout; only authentication failures count against
 * ssh_handshake_attempts, as in Packer. */
#include "comm/ssh_internal.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <libssh/callbacks.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 5000
#define AUTH_RETRY_MS 2000
#define MIN_ATTEMPT_MS 50
#define HANDSHAKE_MAX_S 30
/* QEMU's user network accepts a forwarded connection at once and holds it while the guest does not
 * answer (its network not up yet): waiting the whole handshake timeout for a banner then makes kiln
 * connect up to 30 s after sshd is ready. The first bytes are waited for this long, longer after each
 * attempt that ran out (a loaded guest's sshd may be slow to fork), up to HANDSHAKE_MAX_S. */
#define BANNER_WAIT_FIRST_MS 5000
#define STATUS_INTERVAL_MS 15000

/* ------------------------------------------------------------------------------------------------
 * libssh's log goes to kiln's debug log */

static void libssh_log(int priority, const char *function, const char *buffer, void *userdata)
{
	(void)userdata;
	(void)function;
	log_debug("libssh[%d]: %s", priority, buffer);
}

static void libssh_logging_init(void)
{
	ssh_set_log_callback(libssh_log);
	ssh_set_log_level(log_enabled() ? SSH_LOG_PROTOCOL : SSH_LOG_WARNING);
}

static void setup_libssh_logging(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, libssh_logging_init);
}

/* ------------------------------------------------------------------------------------------------
 * TCP */

static char *errno_reason(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return xstrdup("connection refused");
	case ETIMEDOUT:
		return xstrdup("connection timed out");
	case EHOSTUNREACH:
		return xstrdup("no route to host");
	case ENETUNREACH:
		return xstrdup("network is unreachable");
	case ECONNRESET:
		return xstrdup("connection reset");
	default: {
		char *s = xstrdup(strerror(e));
		if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
			s[0] = (char)(s[0] - 'A' + 'a');
		return s;
	}
	}
}

/* Wait until fd is writable (connected), the deadline passes, or the build is cancelled. */
static int wait_connected(int fd, int64_t deadline, int *so_error)
{
	for (;;) {
		int64_t left = deadline - time_mono_ms();
		if (left <= 0)
			return ETIMEDOUT;
		struct pollfd p[2] = {{.fd = fd, .events = POLLOUT}, {.fd = sig_cancel_fd(), .events = POLLIN}};
		int n = poll(p, p[1].fd >= 0 ? 2 : 1, left > 200 ? 200 : (int)left);
		if (sig_cancelled())
			return ECANCELED;
		if (n < 0 && errno != EINTR)
			return errno;
		if (n > 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
			socklen_t len = sizeof *so_error;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, so_error, &len) < 0)
				return errno;
			return 0;
		}
	}
}

/* Connect to host:port before deadline. Returns the socket (blocking), or -1 with *reason. */
int sshc_tcp_connect(const char *host, int port, int64_t deadline, char **reason)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	char portstr[16];
	snprintf(portstr, sizeof portstr, "%d", port);
	int rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		*reason = xasprintf("cannot resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	int fd = -1, last = ECONNREFUSED;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		int e = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			e = errno;
			if (e == EINPROGRESS) {
				int so_error = 0;
				e = wait_connected(fd, deadline, &so_error);
				if (e == 0)
					e = so_error;
			}
		}
		if (e != 0) {
			last = e;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		*reason = last == ECANCELED ? xstrdup("cancelled") : errno_reason(last);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	/* libssh sets TCP_NODELAY only on sockets it opens itself. Without it, SFTP writes of 32-64 KiB
	 * stall on delayed ACKs: 1 MB/s instead of 150. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

/* ------------------------------------------------------------------------------------------------
 * Sessions, host keys, authentication */

char *sshc_lower_first(const char *s)
{
	char *r = xstrdup(s && *s ? s : "unknown error");
	if (r[0] >= 'A' && r[0] <= 'Z' && !(r[1] >= 'A' && r[1] <= 'Z'))
		r[0] = (char)(r[0] - 'A' + 'a');
	return r;
}

ssh_session sshc_session_new(const struct ssh_config *sc, const char *host, int port, const char *user, int fd,
			       int64_t deadline)
{
	ssh_session s = ssh_new();
	bool no = false;
	int64_t left_s = (deadline - time_mono_ms()) / 1000;
	long timeout_s = left_s < 1 ? 1 : left_s > HANDSHAKE_MAX_S ? HANDSHAKE_MAX_S : (long)left_s;
	/* Our own settings only: never ~/.ssh/config, known_hosts or default identities. */
	ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
	ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
	ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
	ssh_options_set(s, SSH_OPTIONS_FD, &fd);
	ssh_options_set(s, SSH_OPTIONS_HOST, host);
	ssh_options_set(s, SSH_OPTIONS_PORT, &port);
	if (user)
		ssh_options_set(s, SSH_OPTIONS_USER, user);
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout_s);
	if (sc->ciphers) {
		ssh_options_set(s, SSH_OPTIONS_CIPHERS_C_S, sc->ciphers);
		ssh_options_set(s, SSH_OPTIONS_CIPHERS_S_C, sc->ciphers);
	}
	if (sc->kex)
		ssh_options_set(s, SSH_OPTIONS_KEY_EXCHANGE, sc->kex);
	return s;
}

static char *key_fingerprint(ssh_key key)
{
	unsigned char *hash = NULL;
	size_t len = 0;
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) < 0)
		return xstrdup("(unknown)");
	char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
	ssh_clean_pubkey_hash(&hash);
	char *r = xstrdup(fp ? fp : "(unknown)");
	ssh_string_free_char(fp);
	return r;
}

/* Accept the first host key and hold every later connection to it. */
enum sshc_attempt sshc_check_host_key(ssh_session s, ssh_key *pinned, char **pinned_fp, const char *where,
				   char **reason, struct kiln_error *err)
{
	ssh_key key = NULL;
	if (ssh_get_server_publickey(s, &key) < 0) {
		*reason = xasprintf("no host key from the server: %s", ssh_get_error(s));
		return SSHC_RETRY;
	}
	enum sshc_attempt r = SSHC_OK;
	if (!*pinned) {
		*pinned = key;
		*pinned_fp = key_fingerprint(key);
		log_info("ssh: host key of %s is %s %s; pinned for this build", where,
			 ssh_key_type_to_char(ssh_key_type(key)), *pinned_fp);
		return SSHC_OK;
	}
	if (ssh_key_cmp(*pinned, key, SSH_KEY_CMP_PUBLIC) != 0) {
		char *fp = key_fingerprint(key);
		err_set(err, "the host key of %s changed during the build: it was %s, now it is %s", where, *pinned_fp,
			fp);
		err_hint(err, "another machine answers on this address, or the machine's SSH host keys were "
			      "regenerated by a provisioner; kiln refuses to continue on a different machine");
		free(fp);
		r = SSHC_FATAL;
	}
	ssh_key_free(key);
	return r;
}

static int auth_kbdint(ssh_session s, const char *password)
{
	int rc = ssh_userauth_kbdint(s, NULL, NULL);
	for (int rounds = 0; rc == SSH_AUTH_INFO && rounds < 5; rounds++) {
		int n = ssh_userauth_kbdint_getnprompts(s);
		for (int i = 0; i < n; i++)
			if (ssh_userauth_kbdint_setanswer(s, (unsigned)i, password) < 0)
				return SSH_AUTH_ERROR;
		rc = ssh_userauth_kbdint(s, NULL, NULL);
	}
	return rc == SSH_AUTH_INFO ? SSH_AUTH_DENIED : rc;
}

static void methods_text(struct buf *b, int methods)
{
	static const struct {
		int bit;
		const char *name;
	} names[] = {
		{SSH_AUTH_METHOD_PUBLICKEY, "publickey"},
		{SSH_AUTH_METHOD_PASSWORD, "password"},
		{SSH_AUTH_METHOD_INTERACTIVE, "keyboard-interactive"},
		{SSH_AUTH_METHOD_HOSTBASED, "hostbased"},
		{SSH_AUTH_METHOD_GSSAPI_MIC, "gssapi-with-mic"},
	};
	size_t start = b->len;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (methods & names[i].bit)
			buf_printf(b, "%s%s", b->len > start ? "," : "", names[i].name);
	if (b->len == start)
		buf_puts(b, "none");
}

/* Log in. SSHC_AUTH when the server refused every credential (*reason says which were tried). */
enum sshc_attempt sshc_authenticate(ssh_session s, const struct sshc_credentials *cr, char **reason)
{
	int rc = ssh_userauth_none(s, NULL);
	if (rc == SSH_AUTH_SUCCESS)
		return SSHC_OK;
	if (rc == SSH_AUTH_ERROR)
		goto link_error;
	int methods = ssh_userauth_list(s, NULL);
	struct buf tried = BUF_INIT;
	if (cr->agent) {
		buf_printf(&tried, "%sssh-agent", tried.len ? ", " : "");
		rc = ssh_userauth_agent(s, NULL);
		if (rc == SSH_AUTH_SUCCESS)
			goto ok;
	}
	for (int i = 0; i < 2; i++) {
		if (!cr->keys[i])
			continue;
		buf_printf(&tried, "%s%s", tried.len ? ", " : "", cr->key_names[i]);
		rc = ssh_userauth_publickey(s, NULL, cr->keys[i]);
		if (rc == SSH_AUTH_SUCCESS)
			goto ok;
		if (rc == SSH_AUTH_ERROR)
			goto link_error_tried;
	}
	if (cr->password && (methods & SSH_AUTH_METHOD_PASSWORD)) {
		buf_printf(&tried, "%spassword", tried.len ? ", " : "");
		rc = ssh_userauth_password(s, NULL, cr->password);
		if (rc == SSH_AUTH_SUCCESS)
			goto ok;
		if (rc == SSH_AUTH_ERROR)
			goto link_error_tried;
	}
	if (cr->password && (methods & SSH_AUTH_METHOD_INTERACTIVE)) {
		buf_printf(&tried, "%skeyboard-interactive", tried.len ? ", " : "");
		rc = auth_kbdint(s, cr->password);
		if (rc == SSH_AUTH_SUCCESS)
			goto ok;
		if (rc == SSH_AUTH_ERROR)
			goto link_error_tried;
	}
	{
		struct buf msg = BUF_INIT;
		buf_printf(&msg, "authentication failed for user \"%s\" (tried: %s; the server accepts: ", cr->user,
			   tried.len ? buf_cstr(&tried) : "nothing");
		methods_text(&msg, methods);
		buf_puts(&msg, ")");
		*reason = buf_detach(&msg);
		buf_free(&tried);
		return SSHC_AUTH;
	}
ok:
	buf_free(&tried);
	return SSHC_OK;
link_error_tried:
	buf_free(&tried);
link_error: {
	char *e = sshc_lower_first(ssh_get_error(s));
	*reason = xasprintf("connection lost while logging in: %s", e);
	free(e);
	return SSHC_RETRY;
}
}

/* ------------------------------------------------------------------------------------------------
 * One attempt, and the loop around it */

bool sshc_alive(struct ssh_comm *c)
{
	return c->session && ssh_is_connected(c->session) &&
	       !(ssh_get_status(c->session) & (SSH_CLOSED | SSH_CLOSED_ERROR));
}

void sshc_disconnect(struct ssh_comm *c)
{
	if (c->sftp) {
		sftp_free(c->sftp);
		c->sftp = NULL;
	}
	if (c->session) {
		if (ssh_is_connected(c->session))
			ssh_disconnect(c->session);
		ssh_free(c->session);
		c->session = NULL;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->jump)
		sshc_jump_stop_forward(c->jump);
}

const char *sshc_error(struct ssh_comm *c)
{
	return c->session ? ssh_get_error(c->session) : "not connected";
}

static enum sshc_attempt attempt_connect(struct ssh_comm *c, int64_t deadline, char **reason, struct kiln_error *err)
{
	const struct ssh_config *sc = c->sc;
	int fd = -1;
	enum sshc_attempt r;
	if (c->jump) {
		r = sshc_jump_forward(c, deadline, &fd, reason, err);
		if (r != SSHC_OK)
			return r;
	} else {
		fd = sshc_tcp_connect(c->host, c->port, deadline, reason);
		if (fd < 0)
			return SSHC_RETRY;
		if (!c->banner_wait_ms)
			c->banner_wait_ms = BANNER_WAIT_FIRST_MS;
		int64_t wait = deadline - time_mono_ms();
		if (wait > c->banner_wait_ms)
			wait = c->banner_wait_ms;
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = sig_cancel_fd(), .events = POLLIN}};
		int n = poll(p, p[1].fd >= 0 ? 2 : 1, wait > 0 ? (int)wait : 0);
		if (n > 0 && !(p[0].revents & (POLLIN | POLLHUP | POLLERR))) { /* cancelled */
			*reason = xstrdup("cancelled");
			close(fd);
			return SSHC_RETRY;
		}
		if (n == 0) {
			*reason = xasprintf("no SSH banner within %llds (the guest's network or sshd is not up yet)",
					    (long long)(wait / 1000));
			close(fd);
			if (c->banner_wait_ms < HANDSHAKE_MAX_S * 1000LL)
				c->banner_wait_ms *= 2;
			return SSHC_RETRY;
		}
	}
	c->fd = fd;
	c->session = sshc_session_new(sc, c->host, c->port, sc->username, fd, deadline);
	memset(&c->rx, 0, sizeof c->rx);
	ssh_set_counters(c->session, NULL, &c->rx);
	if (ssh_connect(c->session) != SSH_OK) {
		char *e = sshc_lower_first(ssh_get_error(c->session));
		/* QEMU's user network accepts while the guest has no sshd yet, then closes. */
		*reason = c->rx.in_bytes == 0 ? xasprintf("connection closed before the SSH banner (%s)", e)
					      : xasprintf("SSH handshake failed: %s", e);
		free(e);
		sshc_disconnect(c);
		return SSHC_RETRY;
	}
	char *where = xasprintf("%s:%d", c->host, c->port);
	r = sshc_check_host_key(c->session, &c->pinned, &c->pinned_fp, where, reason, err);
	free(where);
	if (r != SSHC_OK) {
		sshc_disconnect(c);
		return r;
	}
	struct sshc_credentials cr = {.user = sc->username, .password = sc->password, .agent = sc->agent_auth};
	int nkeys = 0;
	if (c->kp) {
		cr.keys[nkeys] = c->kp->key;
		cr.key_names[nkeys++] = "the temporary key";
	}
	if (c->file_key) {
		cr.keys[nkeys] = c->file_key;
		cr.key_names[nkeys++] = "ssh_private_key_file";
	}
	r = sshc_authenticate(c->session, &cr, reason);
	if (r != SSHC_OK)
		sshc_disconnect(c);
	return r;
}

static void report_status(struct ssh_comm *c, const char *reason, int tries, int64_t elapsed_ms)
{
	char *dur = duration_human_ms(elapsed_ms);
	char *line = xasprintf("waiting for SSH on %s:%d: %s, %d %s, %s", c->host, c->port, reason, tries,
			       tries == 1 ? "try" : "tries", dur);
	if (c->status)
		c->status(c->status_arg, line);
	else if (c->ui)
		ui_message(c->ui, "%s", line);
	log_info("ssh: %s", line);
	free(line);
	free(dur);
}

/* Connect, retrying until timeout_ms passes. */
static int connect_loop(struct ssh_comm *c, int64_t timeout_ms, struct kiln_error *err)
{
	int64_t start = time_mono_ms(), deadline = start + timeout_ms;
	int64_t interval = c->status_interval_ms > 0 ? c->status_interval_ms : STATUS_INTERVAL_MS;
	int64_t next_status = start;
	int tries = 0, auth_failures = 0;
	long backoff = BACKOFF_FIRST_MS;
	char *reason = NULL;
	int rc = -1;
	for (;;) {
		free(reason);
		reason = NULL;
		tries++;
		/* a machine that stopped will not answer however long we wait */
		if (c->machine_check && c->machine_check(c->machine_arg, err) < 0)
			break;
		enum sshc_attempt r = attempt_connect(c, deadline, &reason, err);
		if (r == SSHC_OK) {
			rc = 0;
			break;
		}
		if (r == SSHC_FATAL)
			break;
		if (sig_cancelled()) {
			err_set_kind(err, ERR_CANCELLED, "cancelled while waiting for SSH on %s:%d", c->host, c->port);
			break;
		}
		if (r == SSHC_AUTH && ++auth_failures >= c->sc->handshake_attempts) {
			err_set(err, "cannot log in to %s:%d: %s, %d %s", c->host, c->port, reason, auth_failures,
				auth_failures == 1 ? "attempt" : "attempts");
			err_hint(err, "check ssh_username and ssh_password or the key (ssh_private_key_file, or the "
				      "temporary key that the machine must list in authorized_keys)");
			break;
		}
		int64_t now = time_mono_ms();
		if (now >= next_status) {
			report_status(c, reason, tries, now - start);
			next_status = now + interval;
		}
		/* Refusals back off up to 5 s; a refused login waits 2 s, as in Packer (cloud-init may still be
		 * installing the key). */
		long wait = r == SSHC_AUTH ? AUTH_RETRY_MS : backoff;
		if (wait > deadline - now)
			wait = (long)(deadline - now);
		if (wait > 0 && sleep_cancellable_ms(wait) < 0) {
			err_set_kind(err, ERR_CANCELLED, "cancelled while waiting for SSH on %s:%d", c->host, c->port);
			break;
		}
		/* No attempt without time for it: the error then names the last real reason. */
		if (time_mono_ms() >= deadline - MIN_ATTEMPT_MS) {
			char *limit = duration_human_ms(timeout_ms);
			err_set_kind(err, ERR_TIMEOUT, "timeout waiting for SSH on %s:%d after %s: %s (%d %s)", c->host,
				     c->port, limit, reason, tries, tries == 1 ? "try" : "tries");
			err_hint(err, "check that the machine boots and starts sshd on port %d, or raise ssh_timeout",
				 c->port);
			free(limit);
			break;
		}
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	free(reason);
	return rc;
}

int sshc_session(struct ssh_comm *c, struct kiln_error *err)
{
	if (sshc_alive(c))
		return 0;
	if (c->session)
		log_info("ssh: connection to %s:%d lost; connecting again", c->host, c->port);
	sshc_disconnect(c);
	return connect_loop(c, c->sc->timeout_ms, err);
}

/* ------------------------------------------------------------------------------------------------
 * The communicator */

static int sshc_reconnect(struct kiln_comm *comm, int64_t timeout_ms, struct kiln_error *err)
{
	struct ssh_comm *c = (struct ssh_comm *)comm;
	sshc_disconnect(c);
	return connect_loop(c, timeout_ms > 0 ? timeout_ms : c->sc->timeout_ms, err);
}

static const char *sshc_host_key(struct kiln_comm *comm)
{
	struct ssh_comm *c = (struct ssh_comm *)comm;
	if (!c->pinned_line && c->pinned) {
		char *b64 = NULL;
		if (ssh_pki_export_pubkey_base64(c->pinned, &b64) == SSH_OK && b64)
			c->pinned_line = xasprintf("%s %s", ssh_key_type_to_char(ssh_key_type(c->pinned)), b64);
		ssh_string_free_char(b64);
	}
	return c->pinned_line;
}

static const struct kiln_comm_ops ssh_comm_ops = {
	.exec = sshc_exec,
	.upload_file = sshc_upload_file,
	.upload_data = sshc_upload_data,
	.upload_dir = sshc_upload_dir,
	.download_file = sshc_download_file,
	.download_dir = sshc_download_dir,
	.reconnect = sshc_reconnect,
	.is_dir = sshc_is_dir,
	.host_key = sshc_host_key,
};

int ssh_comm_connect(const struct ssh_config *sc, const struct ssh_connect_opts *o, struct kiln_comm **out,
		     struct kiln_error *err)
{
	setup_libssh_logging();
	*out = NULL;
	const char *host = sc->host ? sc->host : o->host;
	if (!host || !*host)
		return err_set_kind(err, ERR_INVALID, "no address to connect to: set ssh_host");
	struct ssh_comm *c = xcalloc(1, sizeof *c);
	c->base.ops = &ssh_comm_ops;
	c->base.impl = c;
	c->base.type = "ssh";
	c->sc = sc;
	c->host = xstrdup(host);
	c->port = sc->host || o->port <= 0 ? sc->port : o->port;
	c->ui = o->ui;
	c->status = o->status;
	c->status_arg = o->status_arg;
	c->status_interval_ms = o->status_interval_ms;
	c->machine_check = o->machine_check;
	c->machine_arg = o->machine_arg;
	c->kp = o->keypair;
	c->fd = -1;
	if (sc->private_key_file &&
	    ssh_pki_import_privkey_file(sc->private_key_file, NULL, NULL, NULL, &c->file_key) != SSH_OK) {
		err_set_kind(err, ERR_INVALID, "cannot read the private key in ssh_private_key_file %s",
			     sc->private_key_file);
		err_hint(err, "it must be an unencrypted OpenSSH or PEM private key");
		goto fail;
	}
	if (sc->bastion.host) {
		c->jump = sshc_jump_new();
	}
	if (connect_loop(c, sc->timeout_ms, err) < 0)
		goto fail;
	if (sc->pause_before_connecting_ms > 0) {
		char *d = duration_human_ms(sc->pause_before_connecting_ms);
		if (c->ui)
			ui_say(c->ui, "Pausing %s before connecting...", d);
		free(d);
		sshc_disconnect(c);
		if (sleep_cancellable_ms((long)sc->pause_before_connecting_ms) < 0) {
			err_set_kind(err, ERR_CANCELLED, "cancelled while pausing before connecting");
			goto fail;
		}
		if (connect_loop(c, sc->timeout_ms, err) < 0)
			goto fail;
	}
	*out = &c->base;
	return 0;
fail:
	ssh_comm_close(&c->base);
	return -1;
}

void ssh_comm_close(struct kiln_comm *comm)
{
	if (!comm)
		return;
	struct ssh_comm *c = (struct ssh_comm *)comm;
	sshc_disconnect(c);
	sshc_jump_free(c->jump);
	ssh_key_free(c->file_key);
	ssh_key_free(c->pinned);
	free(c->pinned_fp);
	free(c->pinned_line);
	free(c->host);
	free(c);
}

const char *ssh_comm_host_fingerprint(const struct kiln_comm *comm)
{
	const struct ssh_comm *c = (const struct ssh_comm *)comm;
	return c ? c->pinned_fp : NULL;
}
