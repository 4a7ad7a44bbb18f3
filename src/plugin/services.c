/* services.c — what kiln does for a plugin while one of the plugin's methods runs (docs/plugins.md,
 * "Services"): the build's UI and log, its communicator (commands with streamed output, files and
 * directories passed as descriptors), the post-processor's input artifact. */
#include "plugin/host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ui/ui.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"

static const char *param_str(const struct rpc_msg *m, const char *key)
{
	const json_t *v = json_object_get(m->params, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool param_bool(const struct rpc_msg *m, const char *key, bool def)
{
	const json_t *v = json_object_get(m->params, key);
	return json_is_boolean(v) ? json_is_true(v) : def;
}

static struct ui *svc_ui(struct plugin_conn *c)
{
	return c->svc && c->svc->ui ? c->svc->ui : ui_global();
}

/* Answer a request (no-op for notifications, which get no answer). */
static int reply(struct plugin_conn *c, const struct rpc_msg *m, json_t *result, const int *fds, int nfds,
		 struct kiln_error *err)
{
	if (m->kind != RPC_REQUEST) {
		json_decref(result);
		return 0;
	}
	return plugin_send(c, rpc_response(m->id, result), fds, nfds, err);
}

static int reply_error(struct plugin_conn *c, const struct rpc_msg *m, int code, const char *msg, struct kiln_error *err)
{
	if (m->kind != RPC_REQUEST) {
		log_debug("plugin %s: %s: %s", c->proc->name, m->method, msg);
		return 0;
	}
	return plugin_send(c, rpc_error_response(m->id, code, msg, NULL), NULL, 0, err);
}

/* A failed kiln operation, answered with its message (and cancellation as such). */
static int reply_failure(struct plugin_conn *c, const struct rpc_msg *m, struct kiln_error *e, struct kiln_error *err)
{
	char *t = err_text(e);
	int code = err_is(e, ERR_CANCELLED) ? RPC_CANCELLED : err_is(e, ERR_TIMEOUT) ? RPC_TIMEOUT : RPC_FAILED;
	int rc = reply_error(c, m, code, t, err);
	free(t);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * ui.*, log */

static struct plugin_bar *find_bar(struct plugin_conn *c, const char *id)
{
	for (size_t i = 0; i < c->nbars; i++)
		if (strcmp(c->bars[i].id, id) == 0)
			return &c->bars[i];
	return NULL;
}

static void end_bar(struct plugin_conn *c, struct plugin_bar *b)
{
	ui_progress_finish(b->progress);
	free(b->id);
	*b = c->bars[--c->nbars];
}

static int serve_progress(struct plugin_conn *c, const struct rpc_msg *m, struct kiln_error *err)
{
	const char *id = param_str(m, "id");
	if (!id)
		return reply_error(c, m, RPC_INVALID_PARAMS, "ui.progress needs an \"id\"", err);
	struct plugin_bar *b = find_bar(c, id);
	const json_t *total = json_object_get(m->params, "total");
	const json_t *done = json_object_get(m->params, "done");
	if (!b) {
		if (param_bool(m, "finished", false))
			return reply(c, m, NULL, NULL, 0, err);
		const char *label = param_str(m, "label");
		c->bars = xgrow(c->bars, &c->capbars, c->nbars + 1, sizeof *c->bars);
		b = &c->bars[c->nbars++];
		b->id = xstrdup(id);
		b->progress = ui_progress_start(svc_ui(c), label ? label : id,
						json_is_integer(total) && json_integer_value(total) > 0
							? (uint64_t)json_integer_value(total) : 0);
	} else if (json_is_integer(total) && json_integer_value(total) > 0) {
		ui_progress_set_total(b->progress, (uint64_t)json_integer_value(total));
	}
	if (json_is_integer(done) && json_integer_value(done) >= 0)
		ui_progress_update(b->progress, (uint64_t)json_integer_value(done));
	if (param_bool(m, "finished", false))
		end_bar(c, b);
	return reply(c, m, NULL, NULL, 0, err);
}

static int serve_ui(struct plugin_conn *c, const struct rpc_msg *m, struct kiln_error *err)
{
	const char *what = m->method + 3;
	if (strcmp(what, "progress") == 0)
		return serve_progress(c, m, err);
	if (strcmp(what, "secret") == 0) {
		const char *v = param_str(m, "value");
		if (v)
			ui_secret_add(v);
		return reply(c, m, NULL, NULL, 0, err);
	}
	const char *msg = param_str(m, "message");
	if (!msg)
		return reply_error(c, m, RPC_INVALID_PARAMS, "needs a string \"message\"", err);
	struct ui *ui = svc_ui(c);
	if (strcmp(what, "say") == 0)
		ui_say(ui, "%s", msg);
	else if (strcmp(what, "message") == 0)
		ui_message(ui, "%s", msg);
	else if (strcmp(what, "error") == 0)
		ui_error(ui, "%s", msg);
	else if (strcmp(what, "warn") == 0)
		ui_warn(ui, "%s", msg);
	else
		return reply_error(c, m, RPC_METHOD_NOT_FOUND, "no such method", err);
	return reply(c, m, NULL, NULL, 0, err);
}

static int serve_log(struct plugin_conn *c, const struct rpc_msg *m, struct kiln_error *err)
{
	const char *msg = param_str(m, "message");
	const char *level = param_str(m, "level");
	if (msg && level && strcmp(level, "info") == 0)
		log_info("plugin %s: %s", c->proc->name, msg);
	else if (msg)
		log_debug("plugin %s: %s", c->proc->name, msg);
	return reply(c, m, NULL, NULL, 0, err);
}

/* ------------------------------------------------------------------------------------------------
 * comm.* */

struct exec_out {
	struct plugin_conn *c;
	json_t *id;
	bool show, stream;
	bool broken;            /* the plugin stopped reading: stop streaming to it */
};

static void on_exec_line(void *arg, bool is_stderr, const char *line)
{
	struct exec_out *o = arg;
	if (o->show) {
		if (is_stderr)
			ui_error(svc_ui(o->c), "%s", line);
		else
			ui_message(svc_ui(o->c), "%s", line);
	}
	if (o->stream && !o->broken) {
		json_t *p = json_pack("{s:O, s:s}", "id", o->id, "stream", is_stderr ? "stderr" : "stdout");
		json_object_set_new(p, "line", rpc_string(line));
		struct kiln_error e = ERR_INIT;
		if (plugin_send(o->c, rpc_notification("comm.output", p), NULL, 0, &e) < 0)
			o->broken = true;
		err_clear(&e);
	}
}

static int serve_exec(struct plugin_conn *c, struct kiln_comm *comm, const struct rpc_msg *m, struct kiln_error *err)
{
	const char *cmd = param_str(m, "command");
	if (!cmd)
		return reply_error(c, m, RPC_INVALID_PARAMS, "comm.exec needs a string \"command\"", err);
	struct exec_out o = {c, m->id, param_bool(m, "show", true), param_bool(m, "stream", false), false};
	int status = 0;
	struct kiln_error e = ERR_INIT;
	log_debug("plugin %s: comm.exec %s", c->proc->name, cmd);
	int rc = comm->ops->exec(comm, cmd, on_exec_line, &o, &status, &e);
	if (rc < 0) {
		rc = reply_failure(c, m, &e, err);
		err_clear(&e);
		return rc;
	}
	return reply(c, m, json_pack("{s:i}", "exit_status", status), NULL, 0, err);
}

/* A name for the far side: one path element. */
static bool good_name(const char *n)
{
	return n && *n && !strchr(n, '/') && strcmp(n, ".") != 0 && strcmp(n, "..") != 0 && strlen(n) < 256;
}

/* A path in kiln's link directory, named `name`, that opens the descriptor. */
static int named_link(struct plugin_conn *c, int fd, const char *name, char **out, struct kiln_error *err)
{
	if (!c->linkdir && !(c->linkdir = tmpdir_make("kiln-plugin", err)))
		return -1;
	char *target = xasprintf("/proc/self/fd/%d", fd);
	char *sub = xasprintf("%s/%d", c->linkdir, fd);
	char *link = path_join(sub, name);
	int rc = 0;
	if ((mkdir(sub, 0700) < 0 && errno != EEXIST) || (unlink(link) < 0 && errno != ENOENT) ||
	    symlink(target, link) < 0)
		rc = err_set_errno(err, errno, "cannot prepare the upload of %s", name);
	free(target);
	free(sub);
	if (rc == 0)
		*out = link;
	else
		free(link);
	return rc;
}

static int serve_upload(struct plugin_conn *c, struct kiln_comm *comm, struct rpc_msg *m, struct kiln_error *err)
{
	const char *remote = param_str(m, "remote");
	const char *name = param_str(m, "name");
	if (!remote || m->nfds != 1)
		return reply_error(c, m, RPC_INVALID_PARAMS, "comm.upload needs \"remote\" and one descriptor", err);
	if (name && !good_name(name))
		return reply_error(c, m, RPC_INVALID_PARAMS, "comm.upload's \"name\" must be one path element", err);
	struct stat st;
	if (fstat(m->fds[0], &st) < 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return reply_error(c, m, RPC_INVALID_PARAMS,
				   "comm.upload's descriptor must be a regular file or a directory (not a pipe or a "
				   "socket): write the data to a file or a memfd first",
				   err);
	char *link = NULL;
	struct kiln_error e = ERR_INIT;
	int rc = named_link(c, m->fds[0], name ? name : S_ISDIR(st.st_mode) ? "dir" : "file", &link, &e);
	if (rc == 0 && S_ISREG(st.st_mode)) {
		log_debug("plugin %s: comm.upload of a %lld-byte file to %s", c->proc->name, (long long)st.st_size, remote);
		rc = comm->ops->upload_file(comm, link, remote, &e);
	} else if (rc == 0) {
		bool contents = param_bool(m, "contents", false);
		char *src = contents ? xasprintf("%s/", link) : xstrdup(link);
		log_debug("plugin %s: comm.upload of a directory%s to %s", c->proc->name, contents ? "'s contents" : "",
			  remote);
		rc = comm->ops->upload_dir(comm, src, remote, &e);
		free(src);
	}
	if (link) {
		unlink(link);
		free(link);
	}
	if (rc < 0) {
		rc = reply_failure(c, m, &e, err);
		err_clear(&e);
		return rc;
	}
	return reply(c, m, NULL, NULL, 0, err);
}

static int serve_download(struct plugin_conn *c, struct kiln_comm *comm, struct rpc_msg *m, struct kiln_error *err)
{
	const char *remote = param_str(m, "remote");
	if (!remote || m->nfds != 1)
		return reply_error(c, m, RPC_INVALID_PARAMS, "comm.download needs \"remote\" and one descriptor", err);
	struct stat st;
	if (fstat(m->fds[0], &st) < 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return reply_error(c, m, RPC_INVALID_PARAMS,
				   "comm.download's descriptor must be a regular file open for writing, or a directory",
				   err);
	char *path = xasprintf("/proc/self/fd/%d", m->fds[0]);
	struct kiln_error e = ERR_INIT;
	log_debug("plugin %s: comm.download of %s", c->proc->name, remote);
	int rc = S_ISREG(st.st_mode) ? comm->ops->download_file(comm, remote, path, &e)
				     : comm->ops->download_dir(comm, remote, path, &e);
	free(path);
	if (rc < 0) {
		rc = reply_failure(c, m, &e, err);
		err_clear(&e);
		return rc;
	}
	return reply(c, m, NULL, NULL, 0, err);
}

static int serve_comm(struct plugin_conn *c, struct rpc_msg *m, struct kiln_error *err)
{
	struct kiln_comm *comm = c->svc ? c->svc->comm : NULL;
	if (!comm)
		return reply_error(c, m, RPC_NO_COMMUNICATOR,
				   "this build has no communicator (communicator = \"none\", or a step that runs without one)",
				   err);
	const char *what = m->method + 5;
	if (strcmp(what, "exec") == 0)
		return serve_exec(c, comm, m, err);
	if (strcmp(what, "upload") == 0)
		return serve_upload(c, comm, m, err);
	if (strcmp(what, "download") == 0)
		return serve_download(c, comm, m, err);
	struct kiln_error e = ERR_INIT;
	if (strcmp(what, "is_dir") == 0) {
		const char *remote = param_str(m, "remote");
		bool dir = false;
		if (!remote)
			return reply_error(c, m, RPC_INVALID_PARAMS, "comm.is_dir needs \"remote\"", err);
		if (comm->ops->is_dir(comm, remote, &dir, &e) < 0)
			goto failed;
		return reply(c, m, json_pack("{s:b}", "is_dir", dir), NULL, 0, err);
	}
	if (strcmp(what, "reconnect") == 0) {
		const json_t *t = json_object_get(m->params, "timeout_ms");
		int64_t ms = json_is_integer(t) && json_integer_value(t) > 0 ? json_integer_value(t) : 300000;
		if (comm->ops->reconnect(comm, ms, &e) < 0)
			goto failed;
		return reply(c, m, NULL, NULL, 0, err);
	}
	return reply_error(c, m, RPC_METHOD_NOT_FOUND, "no such method", err);
failed:;
	int rc = reply_failure(c, m, &e, err);
	err_clear(&e);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * artifact.open */

static int serve_artifact(struct plugin_conn *c, struct rpc_msg *m, struct kiln_error *err)
{
	const struct kiln_artifact *a = c->svc ? c->svc->artifact : NULL;
	if (strcmp(m->method, "artifact.open") != 0)
		return reply_error(c, m, RPC_METHOD_NOT_FOUND, "no such method", err);
	if (!a)
		return reply_error(c, m, RPC_UNSUPPORTED, "artifact.open is for post-processors: there is no input artifact",
				   err);
	const json_t *idx = json_object_get(m->params, "index");
	if (!json_is_integer(idx) || json_integer_value(idx) < 0 || (size_t)json_integer_value(idx) >= a->files.n)
		return reply_error(c, m, RPC_INVALID_PARAMS, "artifact.open's \"index\" is not one of the artifact's files",
				   err);
	const char *path = a->files.v[json_integer_value(idx)];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		char *msg = xasprintf("cannot open %s: %s", path, strerror(errno));
		int rc = reply_error(c, m, RPC_FAILED, msg, err);
		free(msg);
		return rc;
	}
	int rc = reply(c, m, json_pack("{s:i}", "fds", 1), &fd, 1, err);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------------------------------------------ */

int plugin_serve(struct plugin_conn *c, struct rpc_msg *m, struct kiln_error *err)
{
	const char *meth = m->method;
	if (strncmp(meth, "ui.", 3) == 0)
		return serve_ui(c, m, err);
	if (strcmp(meth, "log") == 0)
		return serve_log(c, m, err);
	if (strncmp(meth, "comm.", 5) == 0)
		return serve_comm(c, m, err);
	if (strncmp(meth, "artifact.", 9) == 0)
		return serve_artifact(c, m, err);
	return reply_error(c, m, RPC_METHOD_NOT_FOUND, "kiln has no such method", err);
}

void plugin_services_end(struct plugin_conn *c)
{
	while (c->nbars)
		end_bar(c, &c->bars[c->nbars - 1]);
	free(c->bars);
	c->bars = NULL;
	c->capbars = 0;
	if (c->linkdir) {
		tmpdir_release(c->linkdir);
		free(c->linkdir);
		c->linkdir = NULL;
	}
}
