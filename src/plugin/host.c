/* host.c — a plugin connection: handshake, calls, and every way a call can end (see host.h). */
#include "config.h"

#include "plugin/host.h"
#include "plugin/protocol.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

long plugin_timeout_ms(const char *env, long def)
{
	const char *v = getenv(env);
	int64_t ms;
	struct kiln_error e = ERR_INIT;
	if (v && *v && duration_parse(v, &ms, &e) == 0 && ms > 0)
		return (long)ms;
	if (v && *v)
		log_info("ignoring %s=\"%s\": not a positive duration", env, v);
	err_clear(&e);
	return def;
}

int plugin_protocol_parse(const char *text, int *major, int *minor)
{
	if (!text)
		return -1;
	char *end;
	long ma = strtol(text, &end, 10);
	if (end == text || *end != '.' || ma < 0 || ma > 1000)
		return -1;
	const char *p = end + 1;
	long mi = strtol(p, &end, 10);
	if (end == p || *end || mi < 0 || mi > 1000 || text[0] == '-' || text[0] == '+' || *p == '-' || *p == '+')
		return -1;
	*major = (int)ma;
	*minor = (int)mi;
	return 0;
}

bool plugin_protocol_compatible(const char *text, char **why)
{
	int ma, mi;
	*why = NULL;
	if (plugin_protocol_parse(text, &ma, &mi) < 0) {
		*why = xasprintf("it names its protocol version \"%s\", which is not MAJOR.MINOR", text ? text : "");
		return false;
	}
	if (ma == PLUGIN_PROTOCOL_MAJOR && mi <= PLUGIN_PROTOCOL_MINOR)
		return true;
	if (ma == PLUGIN_PROTOCOL_MAJOR)
		*why = xasprintf("it speaks plugin protocol %d.%d and this kiln speaks %s: it needs a newer kiln", ma, mi,
				 PLUGIN_PROTOCOL_TEXT);
	else
		*why = xasprintf("it speaks plugin protocol %d.%d and this kiln speaks %s: %s", ma, mi, PLUGIN_PROTOCOL_TEXT,
				 ma > PLUGIN_PROTOCOL_MAJOR ? "it needs a newer kiln"
							    : "it was written for an older kiln; install a release of the plugin "
							      "built for protocol " PLUGIN_PROTOCOL_TEXT);
	return false;
}

/* ------------------------------------------------------------------------------------------------
 * Failures: each names the plugin and quotes its last output */

static int fail_with_tail(struct plugin_conn *c, struct kiln_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail_with_tail(struct plugin_conn *c, struct kiln_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	plugin_proc_drain(c->proc);
	char *tail = plugin_proc_tail_text(c->proc);
	if (*tail)
		err_set(err, "%s; its last output:%s", what, tail);
	else
		err_set(err, "%s (it wrote nothing to stderr)", what);
	free(tail);
	free(what);
	return -1;
}

/* The plugin closed its end: wait a moment for it to exit, then say how it ended. */
static int fail_ended(struct plugin_conn *c, const char *method, struct kiln_error *err)
{
	long until = time_mono_ms() + 1000;
	while (!plugin_proc_exited(c->proc) && time_mono_ms() < until) {
		plugin_proc_drain(c->proc);
		poll(NULL, 0, 5);
	}
	c->dead = true;
	if (!plugin_proc_exited(c->proc))
		return fail_with_tail(c, err, "closed its connection during %s", method);
	char *how = plugin_proc_exit_text(c->proc);
	fail_with_tail(c, err, "%s during %s: it %s", c->proc->term_signal ? "crashed" : "stopped", method, how);
	free(how);
	return -1;
}

int plugin_send(struct plugin_conn *c, json_t *msg, const int *fds, int nfds, struct kiln_error *err)
{
	struct rpc_conn *rc = &c->proc->conn;
	int r = rpc_queue(rc, msg, fds, nfds, err);
	json_decref(msg);
	if (r < 0)
		return -1;
	while (rpc_pending(rc)) {
		if (rpc_flush(rc, err) < 0)
			return -1;
		if (!rpc_pending(rc))
			break;
		if (plugin_proc_exited(c->proc))
			return err_set(err, "the plugin exited");
		struct pollfd pfd[2] = {{rc->fd, POLLOUT, 0}, {c->proc->outfd, POLLIN, 0}};
		if (poll(pfd, c->proc->outfd >= 0 ? 2 : 1, 100) > 0 && (pfd[1].revents & (POLLIN | POLLHUP)))
			plugin_proc_drain(c->proc);
		/* a plugin that reads nothing while kiln writes to it is stuck: cancellation ends the wait */
		if (sig_cancelled() && rc->out.len > 0 && !(pfd[0].revents & POLLOUT))
			return err_set_kind(err, ERR_CANCELLED, "cancelled while the plugin did not read its messages");
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------------
 * Calls */

static void error_from_response(struct plugin_conn *c, const struct rpc_msg *m, struct kiln_error *err)
{
	c->last_code = m->error_code;
	json_decref(c->last_data);
	c->last_data = json_incref(m->error_data);
	enum err_kind kind = m->error_code == RPC_CANCELLED ? ERR_CANCELLED
			     : m->error_code == RPC_INVALID_CONFIG ? ERR_INVALID
			     : m->error_code == RPC_TIMEOUT ? ERR_TIMEOUT
								: ERR_GENERIC;
	const char *msg = m->error_message && *m->error_message ? m->error_message : "failed (no message)";
	err_set_kind(err, kind, "%s", msg);
	const json_t *hint = json_object_get(m->error_data, "hint");
	if (json_is_string(hint))
		err_hint(err, "%s", json_string_value(hint));
}

static bool is_our_response(const struct rpc_msg *m, long long id)
{
	return m->kind == RPC_RESPONSE && json_is_integer(m->id) && json_integer_value(m->id) == id;
}

int plugin_call(struct plugin_conn *c, const struct plugin_services *svc, const char *method, json_t *params,
		long timeout_ms, json_t **result, struct kiln_error *err)
{
	struct rpc_conn *conn = &c->proc->conn;
	*result = NULL;
	c->last_code = 0;
	if (c->dead) {
		json_decref(params);
		return err_set(err, "%s cannot be called after it failed", c->label);
	}
	c->svc = svc;
	long long id = conn->next_id++;
	long start = time_mono_ms();
	long deadline = timeout_ms > 0 ? start + timeout_ms : 0;
	long kill_at = 0, grace_ms = 0;
	const char *cancel_reason = NULL;
	int rc = -1;
	log_debug("plugin %s: %s", c->proc->name, method);
	if (plugin_send(c, rpc_request(id, method, params), NULL, 0, err) < 0) {
		if (conn->eof || plugin_proc_exited(c->proc)) {
			err_clear(err);
			rc = fail_ended(c, method, err);
		}
		goto out;
	}
	for (;;) {
		struct rpc_msg m;
		int got;
		while ((got = rpc_next(conn, &m, err)) == 1) {
			if (is_our_response(&m, id)) {
				if (m.error_message) {
					error_from_response(c, &m, err);
					rpc_msg_free(&m);
					goto out;
				}
				*result = json_incref(m.result);
				rpc_msg_free(&m);
				rc = 0;
				goto out;
			}
			if (m.kind == RPC_RESPONSE) {
				rpc_msg_free(&m);
				err_set(err, "protocol error: an answer to a call kiln did not make (id %lld is pending)", id);
				got = -1;
				break;
			}
			int sr = plugin_serve(c, &m, err);
			rpc_msg_free(&m);
			if (sr < 0) {
				got = -1;
				break;
			}
		}
		if (got < 0) {
			/* garbage on the socket, or a socket error while answering: nothing more can be trusted */
			char *why = err_text(err);
			err_clear(err);
			plugin_proc_kill(c->proc);
			c->dead = true;
			fail_with_tail(c, err, "broke the protocol during %s: %s", method, why);
			err_hint(err, "this is a bug in the plugin: report it to its author");
			free(why);
			goto out;
		}
		if (conn->eof) {
			fail_ended(c, method, err);
			goto out;
		}
		long now = time_mono_ms();
		if (!cancel_reason && (sig_cancelled() || (deadline && now >= deadline))) {
			cancel_reason = sig_thread_deadline_passed() || (deadline && now >= deadline) ? "timeout" : "interrupted";
			grace_ms = plugin_timeout_ms("KILN_PLUGIN_CANCEL_GRACE", PLUGIN_CANCEL_GRACE_MS);
			kill_at = now + grace_ms;
			log_debug("plugin %s: cancel (%s)", c->proc->name, cancel_reason);
			struct kiln_error ignored = ERR_INIT;
			plugin_send(c, rpc_notification("cancel", json_pack("{s:s}", "reason", cancel_reason)), NULL, 0,
				    &ignored);
			err_clear(&ignored);
		}
		if (kill_at && now >= kill_at) {
			plugin_proc_kill(c->proc);
			c->dead = true;
			char *d = duration_format_ns((int64_t)grace_ms * 1000000LL);
			fail_with_tail(c, err, "did not stop within %s of being cancelled (%s) during %s, and was killed",
				       d, cancel_reason, method);
			free(d);
			goto out;
		}
		struct pollfd pfd[3];
		int n = 0;
		pfd[n++] = (struct pollfd){conn->fd, POLLIN, 0};
		int cfd = sig_cancel_fd();
		if (!cancel_reason && cfd >= 0)
			pfd[n++] = (struct pollfd){cfd, POLLIN, 0};
		int ofd = n;
		if (c->proc->outfd >= 0)
			pfd[n++] = (struct pollfd){c->proc->outfd, POLLIN, 0};
		int wait = 100;
		if (deadline && !cancel_reason && deadline - now < wait)
			wait = (int)(deadline - now) + 1;
		if (poll(pfd, (nfds_t)n, wait) < 0 && errno != EINTR) {
			err_set_errno(err, errno, "poll");
			goto out;
		}
		if (ofd < n && (pfd[ofd].revents & (POLLIN | POLLHUP)))
			plugin_proc_drain(c->proc);
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (rpc_read(conn, err) < 0) {
				plugin_proc_kill(c->proc);
				c->dead = true;
				goto out;
			}
		}
	}
out:
	if (rc < 0) {
		/* after a cancel, however the plugin ended, the call was cancelled (or timed out) */
		if (cancel_reason)
			err->kind = strcmp(cancel_reason, "timeout") == 0 ? ERR_TIMEOUT : ERR_CANCELLED;
		err_wrap(err, "%s", c->label);
	}
	c->svc = NULL;
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Opening and closing */

static const char *str_member(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int plugin_open(const char *path, const char *workdir, struct plugin_conn **out, struct kiln_error *err)
{
	*out = NULL;
	struct plugin_conn *c = xcalloc(1, sizeof *c);
	if (plugin_proc_start(path, workdir, &c->proc, err) < 0) {
		free(c);
		return -1;
	}
	c->path = xstrdup(path);
	c->label = xasprintf("plugin %s", c->proc->name);
	json_t *params = json_pack("{s:s, s:s}", "protocol", PLUGIN_PROTOCOL_TEXT, "kiln_version", PACKAGE_VERSION);
	json_t *res = NULL;
	long t = plugin_timeout_ms("KILN_PLUGIN_HANDSHAKE_TIMEOUT", PLUGIN_HANDSHAKE_TIMEOUT_MS);
	struct plugin_services none = {0};
	if (plugin_call(c, &none, "handshake", params, t, &res, err) < 0) {
		if (err_is(err, ERR_TIMEOUT) || (c->last_code == 0 && !sig_cancelled()))
			err_hint(err, "%s does not answer kiln's handshake: is it a kiln plugin (docs/plugins.md)?", path);
		goto fail;
	}
	const char *proto = str_member(res, "protocol");
	const char *version = str_member(res, "version");
	if (!proto || !version) {
		fail_with_tail(c, err, "answered the handshake without a%s",
			       !proto ? " \"protocol\" version" : " \"version\"");
		err_wrap(err, "%s", c->label);
		goto fail;
	}
	char *why;
	if (!plugin_protocol_compatible(proto, &why)) {
		err_set(err, "%s %s cannot run on this kiln: %s", c->proc->name, version, why);
		free(why);
		goto fail;
	}
	c->protocol = xstrdup(proto);
	c->version = xstrdup(version);
	c->name = xstrdup(str_member(res, "name") ? str_member(res, "name") : "");
	free(c->label);
	c->label = xasprintf("plugin %s %s", c->proc->name, c->version);
	json_decref(res);
	*out = c;
	return 0;
fail:
	json_decref(res);
	plugin_close(c);
	return -1;
}

void plugin_close(struct plugin_conn *c)
{
	if (!c)
		return;
	plugin_services_end(c);
	plugin_proc_stop(c->proc, c->dead ? 0 : plugin_timeout_ms("KILN_PLUGIN_EXIT_GRACE", PLUGIN_EXIT_GRACE_MS));
	json_decref(c->last_data);
	free(c->path);
	free(c->label);
	free(c->name);
	free(c->version);
	free(c->protocol);
	free(c);
}
