/* rpc.c — JSON-RPC 2.0 lines and SCM_RIGHTS descriptors over a Unix stream socket (see rpc.h). */
#include "plugin/rpc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/lazy_unistring.h"
#include "util/mem.h"

/* ------------------------------------------------------------------------------------------------
 * Messages */

static int fail(char **why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **why, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	*why = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

static bool valid_id(const json_t *id)
{
	if (json_is_string(id) || json_is_null(id))
		return true;
	return json_is_integer(id);
}

/* The "fds" member of params or result: how many descriptors came with the message. */
static int declared_fds(const json_t *holder, int *n, char **why)
{
	*n = 0;
	if (!json_is_object(holder))
		return 0;
	const json_t *f = json_object_get(holder, "fds");
	if (!f)
		return 0;
	if (!json_is_integer(f) || json_integer_value(f) < 0 || json_integer_value(f) > RPC_MAX_FDS)
		return fail(why, "\"fds\" must be an integer from 0 to %d", RPC_MAX_FDS);
	*n = (int)json_integer_value(f);
	return 0;
}

int rpc_msg_parse(const char *line, size_t len, struct rpc_msg *out, char **why)
{
	memset(out, 0, sizeof *out);
	*why = NULL;
	json_error_t jerr;
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!root)
		return fail(why, "not JSON (%s at byte %d)", jerr.text, jerr.position);
	out->root = root;
	if (!json_is_object(root)) {
		fail(why, "a message must be a JSON object (batches are not used)");
		goto bad;
	}
	const json_t *ver = json_object_get(root, "jsonrpc");
	if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0) {
		fail(why, "\"jsonrpc\" must be \"2.0\"");
		goto bad;
	}
	json_t *method = json_object_get(root, "method");
	json_t *result = json_object_get(root, "result");
	json_t *error = json_object_get(root, "error");
	json_t *id = json_object_get(root, "id");
	if ((method != NULL) + (result != NULL) + (error != NULL) != 1) {
		fail(why, "a message has exactly one of \"method\", \"result\" and \"error\"");
		goto bad;
	}
	if (id && !valid_id(id)) {
		fail(why, "\"id\" must be a string, an integer or null");
		goto bad;
	}
	if (method) {
		if (!json_is_string(method) || json_string_length(method) == 0) {
			fail(why, "\"method\" must be a non-empty string");
			goto bad;
		}
		out->method = json_string_value(method);
		out->kind = id ? RPC_REQUEST : RPC_NOTIFICATION;
		out->id = id;
		json_t *params = json_object_get(root, "params");
		if (params && !json_is_object(params)) {
			fail(why, "\"params\" must be an object");
			goto bad;
		}
		out->params = params;
		if (declared_fds(params, &out->nfds_declared, why) < 0)
			goto bad;
		return 0;
	}
	if (!id) {
		fail(why, "a response needs an \"id\"");
		goto bad;
	}
	out->kind = RPC_RESPONSE;
	out->id = id;
	if (result) {
		out->result = result;
		if (declared_fds(result, &out->nfds_declared, why) < 0)
			goto bad;
		return 0;
	}
	const json_t *code = json_object_get(error, "code");
	const json_t *message = json_object_get(error, "message");
	if (!json_is_object(error) || !json_is_integer(code) || !json_is_string(message)) {
		fail(why, "\"error\" must be an object with an integer \"code\" and a string \"message\"");
		goto bad;
	}
	json_int_t c = json_integer_value(code);
	out->error_code = c < INT_MIN || c > INT_MAX ? RPC_INTERNAL_ERROR : (int)c;
	out->error_message = json_string_value(message);
	out->error_data = json_object_get(error, "data");
	return 0;
bad:
	json_decref(root);
	memset(out, 0, sizeof *out);
	return -1;
}

void rpc_msg_free(struct rpc_msg *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	free(m->fds);
	json_decref(m->root);
	memset(m, 0, sizeof *m);
}

int rpc_msg_take_fd(struct rpc_msg *m, int i)
{
	if (i < 0 || i >= m->nfds)
		return -1;
	int fd = m->fds[i];
	m->fds[i] = -1;
	return fd;
}

/* ------------------------------------------------------------------------------------------------
 * Strings that are always valid UTF-8 */

json_t *rpc_stringn(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	if (!u8_check(p, n))
		return json_stringn_nocheck(s, n);
	struct buf b = BUF_INIT;
	size_t i = 0;
	while (i < n) {
		ucs4_t uc;
		int l = u8_mbtoucr(&uc, p + i, n - i);
		if (l > 0) {
			buf_append(&b, p + i, (size_t)l);
			i += (size_t)l;
		} else {
			buf_puts(&b, "\xEF\xBF\xBD");
			i++;
		}
	}
	json_t *j = json_stringn_nocheck(buf_cstr(&b), b.len);
	buf_free(&b);
	return j;
}

json_t *rpc_string(const char *s)
{
	return rpc_stringn(s ? s : "", s ? strlen(s) : 0);
}

/* ------------------------------------------------------------------------------------------------
 * Builders */

json_t *rpc_request(long long id, const char *method, json_t *params)
{
	json_t *m = json_pack("{s:s, s:I, s:s}", "jsonrpc", "2.0", "id", (json_int_t)id, "method", method);
	json_object_set_new(m, "params", params ? params : json_object());
	return m;
}

json_t *rpc_notification(const char *method, json_t *params)
{
	json_t *m = json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method);
	json_object_set_new(m, "params", params ? params : json_object());
	return m;
}

json_t *rpc_response(json_t *id, json_t *result)
{
	json_t *m = json_pack("{s:s}", "jsonrpc", "2.0");
	json_object_set(m, "id", id ? id : json_null());
	json_object_set_new(m, "result", result ? result : json_object());
	return m;
}

json_t *rpc_error_response(json_t *id, int code, const char *message, json_t *data)
{
	json_t *e = json_pack("{s:i}", "code", code);
	json_object_set_new(e, "message", rpc_string(message));
	if (data)
		json_object_set_new(e, "data", data);
	json_t *m = json_pack("{s:s}", "jsonrpc", "2.0");
	json_object_set(m, "id", id ? id : json_null());
	json_object_set_new(m, "error", e);
	return m;
}

/* ------------------------------------------------------------------------------------------------
 * The connection */

void rpc_conn_init(struct rpc_conn *c, int fd)
{
	memset(c, 0, sizeof *c);
	c->fd = fd;
	c->next_id = 1;
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

void rpc_conn_close(struct rpc_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	close_fds(c->queued_fds, c->nqueued_fds);
	free(c->queued_fds);
	close_fds(c->out_fds, (size_t)c->out_nfds);
	free(c->out_fds);
	buf_free(&c->in);
	buf_free(&c->out);
	c->queued_fds = c->out_fds = NULL;
	c->nqueued_fds = c->capqueued_fds = 0;
	c->out_nfds = 0;
}

int rpc_read(struct rpc_conn *c, struct kiln_error *err)
{
	char data[65536];
	union {
		char buf[CMSG_SPACE(sizeof(int) * RPC_MAX_QUEUED_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {data, sizeof data};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
	ssize_t n;
	do
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == ECONNRESET) {
			c->eof = true;
			return 0;
		}
		return err_set_errno(err, errno, "cannot read from the plugin's socket");
	}
	bool too_many = (mh.msg_flags & MSG_CTRUNC) != 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *got = (int *)(void *)CMSG_DATA(cm);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, got + i, sizeof fd);
			if (c->nqueued_fds >= RPC_MAX_QUEUED_FDS) {
				close(fd);
				too_many = true;
				continue;
			}
			c->queued_fds = xgrow(c->queued_fds, &c->capqueued_fds, c->nqueued_fds + 1, sizeof(int));
			c->queued_fds[c->nqueued_fds++] = fd;
		}
	}
	if (too_many)
		return err_set(err, "protocol error: more than %d file descriptors sent and not claimed by messages",
			       RPC_MAX_QUEUED_FDS);
	if (n == 0)
		c->eof = true;
	else
		buf_append(&c->in, data, (size_t)n);
	return 0;
}

/* The start of a line for an error message, printable. */
static char *quote_start(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	size_t max = n < 80 ? n : 80;
	for (size_t i = 0; i < max; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			buf_putc(&b, (char)ch);
		else
			buf_printf(&b, "\\x%02x", ch);
	}
	if (n > max)
		buf_puts(&b, "...");
	return buf_detach(&b);
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

int rpc_next(struct rpc_conn *c, struct rpc_msg *out, struct kiln_error *err)
{
	memset(out, 0, sizeof *out);
	for (;;) {
		const char *start = c->in.data;
		const char *nl = start ? memchr(start, '\n', c->in.len) : NULL;
		if (!nl) {
			if (c->in.len > RPC_MAX_LINE)
				return err_set(err, "protocol error: a message longer than %u MiB", RPC_MAX_LINE >> 20);
			if (c->eof && c->in.len && !blank(start, c->in.len)) {
				char *q = quote_start(start, c->in.len);
				err_set(err, "protocol error: the stream ended inside a message: \"%s\"", q);
				free(q);
				return -1;
			}
			return 0;
		}
		size_t len = (size_t)(nl - start);
		if (blank(start, len)) {
			buf_remove_prefix(&c->in, len + 1);
			continue;
		}
		char *why = NULL;
		c->lines_in++;
		int parsed = rpc_msg_parse(start, len, out, &why);
		if (parsed < 0) {
			char *q = quote_start(start, len);
			err_set(err, "protocol error in message %zu: %s: \"%s\"", c->lines_in, why, q);
			free(q);
			free(why);
		}
		buf_remove_prefix(&c->in, len + 1);
		if (parsed < 0)
			return -1;
		if ((size_t)out->nfds_declared > c->nqueued_fds) {
			err_set(err, "protocol error in message %zu: it declares %d file descriptors but %zu came with it",
				c->lines_in, out->nfds_declared, c->nqueued_fds);
			rpc_msg_free(out);
			return -1;
		}
		if (out->nfds_declared) {
			out->nfds = out->nfds_declared;
			out->fds = xmalloc(sizeof(int) * (size_t)out->nfds);
			memcpy(out->fds, c->queued_fds, sizeof(int) * (size_t)out->nfds);
			memmove(c->queued_fds, c->queued_fds + out->nfds, sizeof(int) * (c->nqueued_fds - (size_t)out->nfds));
			c->nqueued_fds -= (size_t)out->nfds;
		}
		return 1;
	}
}

int rpc_queue(struct rpc_conn *c, json_t *msg, const int *fds, int nfds, struct kiln_error *err)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	if (!text)
		return err_set(err, "cannot encode a message for the plugin");
	if (nfds > 0) {
		if (c->out_nfds > 0)
			return free(text), err_set(err, "internal error: two descriptor batches queued at once");
		c->out_fds = xmalloc(sizeof(int) * (size_t)nfds);
		for (int i = 0; i < nfds; i++) {
			c->out_fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
			if (c->out_fds[i] < 0) {
				int e = errno;
				close_fds(c->out_fds, (size_t)i);
				free(c->out_fds);
				c->out_fds = NULL;
				free(text);
				return err_set_errno(err, e, "cannot pass a file descriptor to the plugin");
			}
		}
		c->out_nfds = nfds;
		c->out_fds_at = c->out.len;
	}
	buf_puts(&c->out, text);
	buf_putc(&c->out, '\n');
	free(text);
	return 0;
}

bool rpc_pending(const struct rpc_conn *c)
{
	return c->out.len > 0;
}

int rpc_flush(struct rpc_conn *c, struct kiln_error *err)
{
	while (c->out.len > 0) {
		size_t len = c->out.len;
		bool with_fds = c->out_nfds > 0 && c->out_fds_at == 0;
		if (c->out_nfds > 0 && c->out_fds_at > 0 && c->out_fds_at < len)
			len = c->out_fds_at; /* up to the message that carries descriptors */
		union {
			char buf[CMSG_SPACE(sizeof(int) * RPC_MAX_FDS)];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = {c->out.data, len};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		if (with_fds) {
			memset(&ctl, 0, sizeof ctl);
			mh.msg_control = ctl.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)c->out_nfds);
			struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)c->out_nfds);
			memcpy(CMSG_DATA(cm), c->out_fds, sizeof(int) * (size_t)c->out_nfds);
		}
		ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return err_set_errno(err, errno, "cannot write to the plugin's socket");
		if (with_fds) {
			close_fds(c->out_fds, (size_t)c->out_nfds);
			free(c->out_fds);
			c->out_fds = NULL;
			c->out_nfds = 0;
		} else if (c->out_nfds > 0) {
			c->out_fds_at -= (size_t)n;
		}
		buf_remove_prefix(&c->out, (size_t)n);
	}
	return 0;
}
