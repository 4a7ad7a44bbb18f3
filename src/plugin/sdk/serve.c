/* serve.c — the plugin's side of the protocol (docs/plugins.md): the connection, the messages, kiln's
 * calls dispatched to the plugin's components, and the plugin's calls to kiln. */
#define _GNU_SOURCE
#include "kiln-plugin.h"
#include "sdk-internal.h"
#include "sdk-ctx.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define COOKIE_ENV "KILN_PLUGIN_MAGIC_COOKIE"
#define COOKIE_VALUE "d3a1d6c1f0b94c4e9b1f2f8a6c35e0a7"

/* ------------------------------------------------------------------------------------------------
 * Small helpers */

void kp_buf_append(struct kp_buf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = kp_xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void kp_buf_putc(struct kp_buf *b, char c)
{
	kp_buf_append(b, &c, 1);
}

void kp_buf_puts(struct kp_buf *b, const char *s)
{
	kp_buf_append(b, s, strlen(s));
}

static void oom(void)
{
	static const char msg[] = "kiln plugin: out of memory\n";
	ssize_t w = write(2, msg, sizeof msg - 1);
	(void)w;
	abort();
}

void *kp_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *kp_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *kp_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *kp_xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		oom();
	return d;
}

char *kp_vprintf(const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	return s;
}

char *kp_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = kp_vprintf(fmt, ap);
	va_end(ap);
	return s;
}

char *kp_shell_quote(const char *s)
{
	struct kp_buf b = {0};
	kp_buf_putc(&b, '\'');
	for (; s && *s; s++) {
		if (*s == '\'')
			kp_buf_puts(&b, "'\\''");
		else
			kp_buf_putc(&b, *s);
	}
	kp_buf_putc(&b, '\'');
	return b.data;
}

/* ------------------------------------------------------------------------------------------------
 * Messages */

static int member_fds(const struct kp_json *holder, int *n)
{
	const struct kp_json *f = kp_json_get(holder, "fds");
	*n = 0;
	if (!f)
		return 0;
	double d = kp_json_as_number(f, -1);
	if (kp_json_type(f) != KP_JSON_NUMBER || d < 0 || d > KP_MAX_FDS || d != (double)(int)d)
		return -1;
	*n = (int)d;
	return 0;
}

int kp_msg_parse(const char *line, size_t len, struct kp_msg *m, char **why)
{
	memset(m, 0, sizeof *m);
	*why = NULL;
	char *err = NULL;
	m->root = kp_json_parse(line, len, &err);
	if (!m->root) {
		*why = err;
		return -1;
	}
	const struct kp_json *r = m->root;
	const char *ver = kp_json_get_string(r, "jsonrpc", NULL);
	const struct kp_json *method = kp_json_get(r, "method");
	m->id = kp_json_get(r, "id");
	m->params = kp_json_get(r, "params");
	m->result = kp_json_get(r, "result");
	m->error = kp_json_get(r, "error");
	int nfds = 0;
	if (kp_json_type(r) != KP_JSON_OBJECT || !ver || strcmp(ver, "2.0") != 0)
		*why = kp_xstrdup("not a JSON-RPC 2.0 message");
	else if ((method != NULL) + (m->result != NULL) + (m->error != NULL) != 1)
		*why = kp_xstrdup("a message has exactly one of method, result and error");
	else if (method && (!kp_json_as_string(method) || !*kp_json_as_string(method)))
		*why = kp_xstrdup("method must be a non-empty string");
	else if (m->params && kp_json_type(m->params) != KP_JSON_OBJECT)
		*why = kp_xstrdup("params must be an object");
	else if (m->id && kp_json_type(m->id) != KP_JSON_NUMBER && kp_json_type(m->id) != KP_JSON_STRING &&
		 kp_json_type(m->id) != KP_JSON_NULL)
		*why = kp_xstrdup("id must be a number, a string or null");
	else if (!method && !m->id)
		*why = kp_xstrdup("a response needs an id");
	else if (m->error && (kp_json_type(m->error) != KP_JSON_OBJECT ||
			      kp_json_type(kp_json_get(m->error, "code")) != KP_JSON_NUMBER ||
			      !kp_json_get_string(m->error, "message", NULL)))
		*why = kp_xstrdup("error must have a numeric code and a string message");
	else if (member_fds(method ? m->params : m->result, &nfds) < 0)
		*why = kp_printf("fds must be an integer from 0 to %d", KP_MAX_FDS);
	if (*why) {
		kp_json_free(m->root);
		memset(m, 0, sizeof *m);
		return -1;
	}
	m->method = method ? kp_json_as_string(method) : NULL;
	m->nfds = nfds;
	for (int i = 0; i < KP_MAX_FDS; i++)
		m->fds[i] = -1;
	return 0;
}

void kp_msg_free(struct kp_msg *m)
{
	for (int i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	kp_json_free(m->root);
	memset(m, 0, sizeof *m);
}

/* The connection broke or kiln broke the protocol: nothing sensible remains but to stop. */
static void die(struct kp_ctx *ctx, const char *why)
{
	fprintf(stderr, "kiln-plugin-%s: %s\n", ctx->plugin->name, why);
	exit(3);
}

/* Read one message, blocking (or not, with block false: 0 when none is complete yet). 1 with *m,
 * 0 at end of stream. */
static int read_msg(struct kp_ctx *ctx, struct kp_msg *m, bool block)
{
	for (;;) {
		char *nl = ctx->in.data ? memchr(ctx->in.data + ctx->in_off, '\n', ctx->in.len - ctx->in_off) : NULL;
		if (nl) {
			char *line = ctx->in.data + ctx->in_off;
			size_t len = (size_t)(nl - line);
			ctx->in_off += len + 1;
			if (len == 0 || (len == 1 && line[0] == '\r'))
				continue;
			char *why;
			if (kp_msg_parse(line, len, m, &why) < 0) {
				char *msg = kp_printf("kiln sent a message the plugin cannot read: %s", why);
				free(why);
				die(ctx, msg);
			}
			if ((size_t)m->nfds > ctx->nfds)
				die(ctx, "a message declares more file descriptors than came with it");
			for (int i = 0; i < m->nfds; i++)
				m->fds[i] = ctx->fds[i];
			memmove(ctx->fds, ctx->fds + m->nfds, sizeof(int) * (ctx->nfds - (size_t)m->nfds));
			ctx->nfds -= (size_t)m->nfds;
			return 1;
		}
		/* compact the buffer, then read more */
		if (ctx->in_off) {
			memmove(ctx->in.data, ctx->in.data + ctx->in_off, ctx->in.len - ctx->in_off);
			ctx->in.len -= ctx->in_off;
			ctx->in_off = 0;
		}
		if (ctx->in.len > KP_MAX_LINE)
			die(ctx, "kiln sent a message longer than the protocol allows");
		if (!block) {
			struct pollfd pfd = {ctx->fd, POLLIN, 0};
			if (poll(&pfd, 1, 0) <= 0)
				return 0;
		}
		char data[65536];
		union {
			char buf[CMSG_SPACE(sizeof(int) * KP_MAX_QUEUED_FDS)];
			struct cmsghdr align;
		} cbuf;
		struct iovec iov = {data, sizeof data};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf, .msg_controllen = sizeof cbuf.buf};
		ssize_t n = recvmsg(ctx->fd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != ECONNRESET)
			die(ctx, "cannot read from kiln");
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
				if (ctx->nfds >= KP_MAX_QUEUED_FDS)
					die(ctx, "kiln sent more file descriptors than messages claimed");
				ctx->fds[ctx->nfds++] = fd;
			}
		}
		if (n <= 0) {
			ctx->eof = true;
			return 0;
		}
		kp_buf_append(&ctx->in, data, (size_t)n);
	}
}

/* Send a message (owned) with descriptors (not closed). */
static int send_msg(struct kp_ctx *ctx, struct kp_json *msg, const int *fds, int nfds)
{
	char *text = kp_json_dump(msg);
	kp_json_free(msg);
	size_t len = strlen(text);
	text[len++] = '\n'; /* the dump's NUL becomes the line end */
	size_t off = 0;
	int rc = 0;
	while (off < len) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * KP_MAX_FDS)];
			struct cmsghdr align;
		} cbuf;
		struct iovec iov = {text + off, len - off};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		if (off == 0 && nfds > 0) {
			memset(&cbuf, 0, sizeof cbuf);
			mh.msg_control = cbuf.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
			struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
		}
		ssize_t n = sendmsg(ctx->fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -1;
			ctx->eof = true;
			break;
		}
		off += (size_t)n;
	}
	free(text);
	return rc;
}

static struct kp_json *envelope(void)
{
	struct kp_json *m = kp_json_object();
	kp_json_set(m, "jsonrpc", kp_json_string("2.0"));
	return m;
}

void kp_notify(struct kp_ctx *ctx, const char *method, struct kp_json *params)
{
	struct kp_json *m = envelope();
	kp_json_set(m, "method", kp_json_string(method));
	kp_json_set(m, "params", params ? params : kp_json_object());
	send_msg(ctx, m, NULL, 0);
}

static void respond(struct kp_ctx *ctx, const struct kp_json *id, struct kp_json *result, const int *fds, int nfds)
{
	struct kp_json *m = envelope();
	kp_json_set(m, "id", kp_json_copy(id));
	kp_json_set(m, "result", result ? result : kp_json_object());
	send_msg(ctx, m, fds, nfds);
}

static void respond_error(struct kp_ctx *ctx, const struct kp_json *id, int code, const char *message,
			  struct kp_json *data)
{
	struct kp_json *e = kp_json_object();
	kp_json_set(e, "code", kp_json_number(code));
	kp_json_set(e, "message", kp_json_string(message));
	if (data)
		kp_json_set(e, "data", data);
	struct kp_json *m = envelope();
	kp_json_set(m, "id", id ? kp_json_copy(id) : kp_json_null());
	kp_json_set(m, "error", e);
	send_msg(ctx, m, NULL, 0);
}

/* A notification from kiln: cancel, or output of the command running now. */
static void on_notification(struct kp_ctx *ctx, const struct kp_msg *m)
{
	if (strcmp(m->method, "cancel") == 0) {
		ctx->cancelled = true;
	} else if (strcmp(m->method, "comm.output") == 0 && ctx->on_line) {
		const char *line = kp_json_get_string(m->params, "line", NULL);
		const char *stream = kp_json_get_string(m->params, "stream", "stdout");
		if (line && kp_json_get_number(m->params, "id", -1) == (double)ctx->exec_id)
			ctx->on_line(ctx->line_arg, strcmp(stream, "stderr") == 0, line);
	}
}

int kp_call(struct kp_ctx *ctx, const char *method, struct kp_json *params, const int *fds, int nfds,
	    struct kp_json **result, int *rfd)
{
	long long id = ctx->next_id++;
	if (result)
		*result = NULL;
	if (rfd)
		*rfd = -1;
	free(ctx->last_error);
	ctx->last_error = NULL;
	struct kp_json *m = envelope();
	kp_json_set(m, "id", kp_json_number((double)id));
	kp_json_set(m, "method", kp_json_string(method));
	kp_json_set(m, "params", params ? params : kp_json_object());
	if (ctx->eof || send_msg(ctx, m, fds, nfds) < 0) {
		ctx->last_error = kp_xstrdup("kiln closed the connection");
		return -1;
	}
	if (strcmp(method, "comm.exec") == 0)
		ctx->exec_id = id;
	for (;;) {
		struct kp_msg r;
		if (read_msg(ctx, &r, true) <= 0) {
			ctx->last_error = kp_xstrdup("kiln closed the connection");
			return -1;
		}
		if (r.method) {
			if (r.id) /* kiln calls nothing while it waits for the plugin */
				respond_error(ctx, r.id, KP_ERR_INVALID_REQUEST, "the plugin is busy with a call to kiln", NULL);
			else
				on_notification(ctx, &r);
			kp_msg_free(&r);
			continue;
		}
		if (kp_json_as_number(r.id, -1) != (double)id) {
			kp_msg_free(&r);
			die(ctx, "kiln answered a call the plugin did not make");
		}
		int rc = 0;
		if (r.error) {
			ctx->last_error = kp_xstrdup(kp_json_get_string(r.error, "message", "failed"));
			if (kp_json_get_number(r.error, "code", 0) == KP_ERR_CANCELLED)
				ctx->cancelled = true;
			rc = -1;
		} else {
			if (rfd && r.nfds > 0) {
				*rfd = r.fds[0];
				r.fds[0] = -1;
			}
			if (result) {
				*result = kp_json_copy(r.result);
			}
		}
		kp_msg_free(&r);
		ctx->exec_id = -1;
		return rc;
	}
}

bool kp_cancelled(struct kp_ctx *ctx)
{
	struct kp_msg m;
	while (!ctx->cancelled && !ctx->eof && read_msg(ctx, &m, false) == 1) {
		if (m.method && !m.id)
			on_notification(ctx, &m);
		kp_msg_free(&m);
	}
	return ctx->cancelled || ctx->eof;
}

/* ------------------------------------------------------------------------------------------------
 * kiln's calls */

static const char *const kind_keys[] = {"builders", "provisioners", "post_processors", "data_sources"};

static struct kp_json *component_json(struct kp_ctx *ctx, const char *kind, const char *name, const char *doc,
				      const char *schema, char **err)
{
	struct kp_json *d = kp_json_object();
	if (doc)
		kp_json_set(d, "description", kp_json_string(doc));
	struct kp_json *s = NULL;
	char *why = NULL;
	if (schema && !(s = kp_json_parse(schema, strlen(schema), &why))) {
		*err = kp_printf("the schema of the %s \"%s\" is not valid JSON: %s", kind, name ? name : "", why);
		free(why);
		kp_json_free(d);
		return NULL;
	}
	(void)ctx;
	kp_json_set(d, "schema", s ? s : kp_json_object());
	return d;
}

static struct kp_json *describe(struct kp_ctx *ctx, char **err)
{
	const struct kp_plugin *p = ctx->plugin;
	struct kp_json *r = kp_json_object();
	kp_json_set(r, "name", kp_json_string(p->name));
	kp_json_set(r, "version", kp_json_string(p->version));
	kp_json_set(r, "protocol", kp_json_string(KP_PROTOCOL_TEXT));
	kp_json_set(r, "sdk", kp_json_string("kiln-plugin-c " KP_SDK_VERSION));
	struct kp_json *maps[4] = {kp_json_object(), kp_json_object(), kp_json_object(), kp_json_object()};
	struct kp_json *d;
	for (size_t i = 0; p->builders && p->builders[i]; i++) {
		const struct kp_builder *c = p->builders[i];
		if (!(d = component_json(ctx, "builder", c->name, c->description, c->schema, err)))
			goto fail;
		if (c->builder_id)
			kp_json_set(d, "builder_id", kp_json_string(c->builder_id));
		kp_json_set(maps[0], c->name ? c->name : "", d);
	}
	for (size_t i = 0; p->provisioners && p->provisioners[i]; i++) {
		const struct kp_provisioner *c = p->provisioners[i];
		if (!(d = component_json(ctx, "provisioner", c->name, c->description, c->schema, err)))
			goto fail;
		kp_json_set(maps[1], c->name ? c->name : "", d);
	}
	for (size_t i = 0; p->postprocessors && p->postprocessors[i]; i++) {
		const struct kp_postprocessor *c = p->postprocessors[i];
		if (!(d = component_json(ctx, "post-processor", c->name, c->description, c->schema, err)))
			goto fail;
		kp_json_set(maps[2], c->name ? c->name : "", d);
	}
	for (size_t i = 0; p->datasources && p->datasources[i]; i++) {
		const struct kp_datasource *c = p->datasources[i];
		if (!(d = component_json(ctx, "data source", c->name, c->description, c->schema, err)))
			goto fail;
		if (c->output_type)
			kp_json_set(d, "output_type", kp_json_string(c->output_type));
		kp_json_set(maps[3], c->name ? c->name : "", d);
	}
	for (int k = 0; k < 4; k++) {
		if (kp_json_len(maps[k]))
			kp_json_set(r, kind_keys[k], maps[k]);
		else
			kp_json_free(maps[k]);
	}
	return r;
fail:
	for (int k = 0; k < 4; k++)
		kp_json_free(maps[k]);
	kp_json_free(r);
	return NULL;
}

/* The failure the component reported (or kiln's message for the call that failed, or a default) as
 * an error response. */
static void respond_failure(struct kp_ctx *ctx, const struct kp_json *id, const char *what)
{
	struct kp_json *data = kp_json_object();
	if (ctx->fail_hint)
		kp_json_set(data, "hint", kp_json_string(ctx->fail_hint));
	int code = KP_ERR_FAILED;
	if (ctx->fail_attr) {
		kp_json_set(data, "attribute", kp_json_string(ctx->fail_attr));
		code = KP_ERR_INVALID_CONFIG;
	} else if (ctx->cancelled) {
		code = KP_ERR_CANCELLED;
	}
	char *dflt = kp_printf("%s failed", what);
	const char *msg = ctx->fail_msg ? ctx->fail_msg : ctx->last_error ? ctx->last_error : code == KP_ERR_CANCELLED ? "cancelled" : dflt;
	if (!kp_json_len(data)) {
		kp_json_free(data);
		data = NULL;
	}
	respond_error(ctx, id, code, msg, data); /* takes data */
	free(dflt);
}

static void reset_call(struct kp_ctx *ctx)
{
	free(ctx->fail_msg);
	free(ctx->fail_attr);
	free(ctx->fail_hint);
	free(ctx->last_error);
	ctx->fail_msg = ctx->fail_attr = ctx->fail_hint = ctx->last_error = NULL;
	kp_json_free(ctx->warnings);
	ctx->warnings = kp_json_array();
}

static void end_instance(struct kp_ctx *ctx)
{
	if (ctx->prepared && ctx->destroy && ctx->instance)
		ctx->destroy(ctx->instance);
	ctx->prepared = false;
	ctx->instance = NULL;
	ctx->destroy = NULL;
	ctx->component = NULL;
}

static const void *find_component(const struct kp_plugin *p, const char *kind, const char *name)
{
#define FIND(list)                                                                          \
	for (size_t i = 0; p->list && p->list[i]; i++)                                      \
		if (strcmp(p->list[i]->name ? p->list[i]->name : "", name) == 0)            \
			return p->list[i];                                                  \
	return NULL
	if (strcmp(kind, "builder") == 0) {
		FIND(builders);
	} else if (strcmp(kind, "provisioner") == 0) {
		FIND(provisioners);
	} else if (strcmp(kind, "post-processor") == 0) {
		FIND(postprocessors);
	} else if (strcmp(kind, "data") == 0) {
		FIND(datasources);
	}
#undef FIND
	return NULL;
}

static void do_prepare(struct kp_ctx *ctx, const struct kp_msg *m)
{
	const char *kind = kp_json_get_string(m->params, "kind", "");
	const char *name = kp_json_get_string(m->params, "name", "");
	end_instance(ctx);
	const void *c = find_component(ctx->plugin, kind, name);
	if (!c) {
		char *msg = kp_printf("the plugin %s has no %s named \"%s\"", ctx->plugin->name, kind, name);
		respond_error(ctx, m->id, KP_ERR_UNSUPPORTED, msg, NULL);
		free(msg);
		return;
	}
	kp_json_free(ctx->config);
	kp_json_free(ctx->unknown);
	ctx->config = kp_json_copy(kp_json_get(m->params, "config"));
	if (!ctx->config)
		ctx->config = kp_json_object();
	ctx->unknown = kp_json_copy(kp_json_get(m->params, "unknown"));
	if (!ctx->unknown)
		ctx->unknown = kp_json_array();
	int (*prep)(struct kp_ctx *, void **) = NULL;
	if (strcmp(kind, "builder") == 0) {
		prep = ((const struct kp_builder *)c)->prepare;
		ctx->destroy = ((const struct kp_builder *)c)->destroy;
	} else if (strcmp(kind, "provisioner") == 0) {
		prep = ((const struct kp_provisioner *)c)->prepare;
		ctx->destroy = ((const struct kp_provisioner *)c)->destroy;
	} else if (strcmp(kind, "post-processor") == 0) {
		prep = ((const struct kp_postprocessor *)c)->prepare;
		ctx->destroy = ((const struct kp_postprocessor *)c)->destroy;
	} else {
		prep = ((const struct kp_datasource *)c)->prepare;
		ctx->destroy = ((const struct kp_datasource *)c)->destroy;
	}
	void *inst = NULL;
	if (prep && prep(ctx, &inst) < 0) {
		respond_failure(ctx, m->id, "prepare");
		ctx->destroy = NULL;
		return;
	}
	ctx->component = c;
	snprintf(ctx->kind, sizeof ctx->kind, "%s", kind);
	ctx->instance = inst;
	ctx->prepared = true;
	struct kp_json *r = kp_json_object();
	kp_json_set(r, "warnings", ctx->warnings);
	ctx->warnings = NULL;
	respond(ctx, m->id, r, NULL, 0);
}

static bool need_prepared(struct kp_ctx *ctx, const struct kp_msg *m, const char *kind)
{
	if (ctx->prepared && strcmp(ctx->kind, kind) == 0)
		return true;
	char *msg = kp_printf("%s before a %s was prepared", m->method, kind);
	respond_error(ctx, m->id, KP_ERR_INVALID_REQUEST, msg, NULL);
	free(msg);
	return false;
}

static struct kp_json *artifact_json(const struct kp_artifact *a)
{
	struct kp_json *j = kp_json_object();
	kp_json_set(j, "builder_id", kp_json_string(a->builder_id));
	kp_json_set(j, "id", kp_json_string(a->id));
	kp_json_set(j, "description", kp_json_string(a->description));
	struct kp_json *files = kp_json_array();
	for (size_t i = 0; i < a->nfiles; i++)
		kp_json_append(files, kp_json_string(a->files[i]));
	kp_json_set(j, "files", files);
	kp_json_set(j, "state", a->state ? kp_json_copy(a->state) : kp_json_object());
	return j;
}

static struct kp_artifact *artifact_from(const struct kp_json *j)
{
	struct kp_artifact *a = kp_artifact_new(kp_json_get_string(j, "builder_id", ""), kp_json_get_string(j, "id", ""),
						kp_json_get_string(j, "description", ""));
	const struct kp_json *files = kp_json_get(j, "files");
	for (size_t i = 0; i < kp_json_len(files); i++)
		if (kp_json_as_string(kp_json_at(files, i)))
			kp_artifact_add_file(a, kp_json_as_string(kp_json_at(files, i)));
	const struct kp_json *state = kp_json_get(j, "state");
	for (size_t i = 0; i < kp_json_len(state); i++)
		if (kp_json_as_string(kp_json_value_at(state, i)))
			kp_artifact_set(a, kp_json_key(state, i), kp_json_as_string(kp_json_value_at(state, i)));
	return a;
}

static void set_build(struct kp_ctx *ctx, const struct kp_msg *m)
{
	kp_json_free(ctx->build);
	ctx->build = kp_json_copy(kp_json_get(m->params, "build"));
	if (!ctx->build)
		ctx->build = kp_json_object();
}

static void do_run(struct kp_ctx *ctx, const struct kp_msg *m)
{
	set_build(ctx, m);
	if (strcmp(m->method, "provision") == 0) {
		if (!need_prepared(ctx, m, "provisioner"))
			return;
		const struct kp_provisioner *p = ctx->component;
		if (!p->provision || p->provision(ctx, ctx->instance) < 0)
			return respond_failure(ctx, m->id, "provision");
		respond(ctx, m->id, NULL, NULL, 0);
	} else if (strcmp(m->method, "post_process") == 0) {
		if (!need_prepared(ctx, m, "post-processor"))
			return;
		const struct kp_postprocessor *p = ctx->component;
		struct kp_artifact *in = artifact_from(kp_json_get(m->params, "artifact"));
		struct kp_artifact *out = NULL;
		bool keep = false;
		ctx->in_artifact = in;
		int rc = p->post_process ? p->post_process(ctx, ctx->instance, in, &out, &keep) : -1;
		ctx->in_artifact = NULL;
		if (rc < 0) {
			respond_failure(ctx, m->id, "post_process");
		} else {
			struct kp_json *r = kp_json_object();
			kp_json_set(r, "artifact", out && out != in ? artifact_json(out) : kp_json_null());
			kp_json_set(r, "keep_input", kp_json_bool(keep));
			respond(ctx, m->id, r, NULL, 0);
		}
		if (out != in)
			kp_artifact_free(out);
		kp_artifact_free(in);
	} else if (strcmp(m->method, "execute") == 0) {
		if (!need_prepared(ctx, m, "data"))
			return;
		const struct kp_datasource *p = ctx->component;
		struct kp_json *value = NULL;
		if (!p->execute || p->execute(ctx, ctx->instance, &value) < 0) {
			kp_json_free(value);
			return respond_failure(ctx, m->id, "execute");
		}
		struct kp_json *r = kp_json_object();
		kp_json_set(r, "value", value ? value : kp_json_null());
		respond(ctx, m->id, r, NULL, 0);
	} else {
		if (!need_prepared(ctx, m, "builder"))
			return;
		const struct kp_builder *p = ctx->component;
		struct kp_artifact *out = NULL;
		if (!p->build || p->build(ctx, ctx->instance, &out) < 0 || !out) {
			if (!ctx->fail_msg && !ctx->last_error && !out)
				ctx->fail_msg = kp_xstrdup("the builder finished without an artifact");
			kp_artifact_free(out);
			return respond_failure(ctx, m->id, "build");
		}
		struct kp_json *r = kp_json_object();
		kp_json_set(r, "artifact", artifact_json(out));
		kp_artifact_free(out);
		respond(ctx, m->id, r, NULL, 0);
	}
}

static void dispatch(struct kp_ctx *ctx, const struct kp_msg *m)
{
	reset_call(ctx);
	ctx->cancelled = false;
	if (strcmp(m->method, "handshake") == 0) {
		struct kp_json *r = kp_json_object();
		kp_json_set(r, "protocol", kp_json_string(KP_PROTOCOL_TEXT));
		kp_json_set(r, "name", kp_json_string(ctx->plugin->name));
		kp_json_set(r, "version", kp_json_string(ctx->plugin->version));
		kp_json_set(r, "sdk", kp_json_string("kiln-plugin-c " KP_SDK_VERSION));
		respond(ctx, m->id, r, NULL, 0);
	} else if (strcmp(m->method, "describe") == 0) {
		char *err = NULL;
		struct kp_json *r = describe(ctx, &err);
		if (r) {
			respond(ctx, m->id, r, NULL, 0);
		} else {
			respond_error(ctx, m->id, KP_ERR_FAILED, err, NULL);
			free(err);
		}
	} else if (strcmp(m->method, "prepare") == 0) {
		do_prepare(ctx, m);
	} else if (strcmp(m->method, "provision") == 0 || strcmp(m->method, "post_process") == 0 ||
		   strcmp(m->method, "execute") == 0 || strcmp(m->method, "build") == 0) {
		do_run(ctx, m);
	} else {
		char *msg = kp_printf("the plugin has no method \"%s\"", m->method);
		respond_error(ctx, m->id, KP_ERR_METHOD_NOT_FOUND, msg, NULL);
		free(msg);
	}
}

/* ------------------------------------------------------------------------------------------------ */

static int by_hand(const struct kp_plugin *plugin, int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0)) {
		printf("%s\n", plugin->version);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "describe") == 0) {
		struct kp_ctx ctx = {.plugin = plugin, .fd = -1};
		char *err = NULL;
		struct kp_json *d = describe(&ctx, &err);
		if (!d) {
			fprintf(stderr, "kiln-plugin-%s: %s\n", plugin->name, err);
			free(err);
			return 1;
		}
		char *text = kp_json_dump(d);
		printf("%s\n", text);
		free(text);
		kp_json_free(d);
		return 0;
	}
	fprintf(stderr,
		"This is kiln-plugin-%s %s, a plugin for kiln: kiln starts it when a template uses it.\n"
		"Install it with `kiln plugins install --path %s SOURCE`, or let `kiln init` install it.\n"
		"Run it with `describe` to see what it provides.\n",
		plugin->name, plugin->version, argc > 0 ? argv[0] : "FILE");
	return 1;
}

int kp_serve(const struct kp_plugin *plugin, int argc, char **argv)
{
	const char *cookie = getenv(COOKIE_ENV);
	const char *fdtext = getenv("KILN_PLUGIN_FD");
	if (!cookie || strcmp(cookie, COOKIE_VALUE) != 0 || !fdtext || !*fdtext)
		return by_hand(plugin, argc, argv);
	struct kp_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.plugin = plugin;
	ctx.fd = atoi(fdtext);
	ctx.next_id = 1;
	ctx.exec_id = -1;
	/* what the plugin starts must not inherit the socket */
	fcntl(ctx.fd, F_SETFD, FD_CLOEXEC);
	unsetenv(COOKIE_ENV);
	unsetenv("KILN_PLUGIN_FD");
	for (;;) {
		struct kp_msg m;
		if (read_msg(&ctx, &m, true) <= 0)
			break;
		if (m.method && m.id)
			dispatch(&ctx, &m);
		else if (m.method)
			on_notification(&ctx, &m);
		kp_msg_free(&m);
	}
	end_instance(&ctx);
	reset_call(&ctx);
	kp_json_free(ctx.warnings);
	kp_json_free(ctx.config);
	kp_json_free(ctx.unknown);
	kp_json_free(ctx.build);
	free(ctx.in.data);
	for (size_t i = 0; i < ctx.nfds; i++)
		close(ctx.fds[i]);
	close(ctx.fd);
	return 0;
}
