/* services.c — what a component can ask of kiln while it runs (kiln-plugin.h): the configuration and
 * the build, failing, the UI and log, the communicator, the input artifact. */
#define _GNU_SOURCE
#include "kiln-plugin.h"
#include "sdk-ctx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------------
 * The call */

const struct kp_json *kp_config(struct kp_ctx *ctx)
{
	return ctx->config;
}

const struct kp_json *kp_unknown(struct kp_ctx *ctx)
{
	return ctx->unknown;
}

const struct kp_json *kp_build(struct kp_ctx *ctx)
{
	return ctx->build;
}

const char *kp_build_value(struct kp_ctx *ctx, const char *key)
{
	return kp_json_get_string(kp_json_get(ctx->build, "values"), key, NULL);
}

const char *kp_build_name(struct kp_ctx *ctx)
{
	return kp_json_get_string(ctx->build, "name", "");
}

const char *kp_template_dir(struct kp_ctx *ctx)
{
	return kp_json_get_string(ctx->build, "template_dir", ".");
}

const char *kp_http_address(struct kp_ctx *ctx)
{
	const char *a = kp_build_value(ctx, "PackerHTTPAddr");
	return a && *a ? a : NULL;
}

bool kp_has_communicator(struct kp_ctx *ctx)
{
	return kp_json_get_bool(ctx->build, "communicator", false);
}

int kp_fail(struct kp_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(ctx->fail_msg);
	ctx->fail_msg = kp_vprintf(fmt, ap);
	va_end(ap);
	return -1;
}

int kp_config_error(struct kp_ctx *ctx, const char *attribute, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(ctx->fail_msg);
	ctx->fail_msg = kp_vprintf(fmt, ap);
	va_end(ap);
	free(ctx->fail_attr);
	ctx->fail_attr = kp_xstrdup(attribute);
	return -1;
}

void kp_hint(struct kp_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(ctx->fail_hint);
	ctx->fail_hint = kp_vprintf(fmt, ap);
	va_end(ap);
}

void kp_warning(struct kp_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = kp_vprintf(fmt, ap);
	va_end(ap);
	if (!ctx->warnings)
		ctx->warnings = kp_json_array();
	kp_json_append(ctx->warnings, kp_json_string(s));
	free(s);
}

const char *kp_last_error(struct kp_ctx *ctx)
{
	return ctx->last_error ? ctx->last_error : "";
}

/* ------------------------------------------------------------------------------------------------
 * UI and log */

static void ui(struct kp_ctx *ctx, const char *method, const char *fmt, va_list ap)
{
	char *s = kp_vprintf(fmt, ap);
	struct kp_json *p = kp_json_object();
	kp_json_set(p, "message", kp_json_string(s));
	free(s);
	kp_notify(ctx, method, p);
}

#define UI_FN(fn, method)                                      \
	void fn(struct kp_ctx *ctx, const char *fmt, ...)      \
	{                                                      \
		va_list ap;                                    \
		va_start(ap, fmt);                             \
		ui(ctx, method, fmt, ap);                      \
		va_end(ap);                                    \
	}

UI_FN(kp_say, "ui.say")
UI_FN(kp_message, "ui.message")
UI_FN(kp_error, "ui.error")
UI_FN(kp_warn, "ui.warn")

void kp_log(struct kp_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = kp_vprintf(fmt, ap);
	va_end(ap);
	struct kp_json *p = kp_json_object();
	kp_json_set(p, "level", kp_json_string("debug"));
	kp_json_set(p, "message", kp_json_string(s));
	free(s);
	kp_notify(ctx, "log", p);
}

void kp_secret(struct kp_ctx *ctx, const char *value)
{
	if (!value || !*value)
		return;
	struct kp_json *p = kp_json_object();
	kp_json_set(p, "value", kp_json_string(value));
	kp_notify(ctx, "ui.secret", p);
}

void kp_progress(struct kp_ctx *ctx, const char *id, const char *label, uint64_t total, uint64_t done)
{
	struct kp_json *p = kp_json_object();
	kp_json_set(p, "id", kp_json_string(id));
	if (label)
		kp_json_set(p, "label", kp_json_string(label));
	if (total)
		kp_json_set(p, "total", kp_json_number((double)total));
	kp_json_set(p, "done", kp_json_number((double)done));
	kp_notify(ctx, "ui.progress", p);
}

void kp_progress_done(struct kp_ctx *ctx, const char *id)
{
	struct kp_json *p = kp_json_object();
	kp_json_set(p, "id", kp_json_string(id));
	kp_json_set(p, "finished", kp_json_bool(true));
	kp_notify(ctx, "ui.progress", p);
}

/* ------------------------------------------------------------------------------------------------
 * The communicator */

/* A failure of the plugin's own (opening a local file): reported like kiln's. */
static int local_failure(struct kp_ctx *ctx, const char *what, const char *path)
{
	free(ctx->last_error);
	ctx->last_error = kp_printf("cannot %s %s: %s", what, path, strerror(errno));
	return -1;
}

int kp_exec(struct kp_ctx *ctx, const char *command, kp_line_fn on_line, void *arg, int *exit_status)
{
	struct kp_json *p = kp_json_object();
	kp_json_set(p, "command", kp_json_string(command));
	kp_json_set(p, "show", kp_json_bool(on_line == NULL));
	kp_json_set(p, "stream", kp_json_bool(on_line != NULL));
	ctx->on_line = on_line;
	ctx->line_arg = arg;
	struct kp_json *r = NULL;
	int rc = kp_call(ctx, "comm.exec", p, NULL, 0, &r, NULL);
	ctx->on_line = NULL;
	ctx->line_arg = NULL;
	if (rc == 0 && exit_status)
		*exit_status = (int)kp_json_get_int(r, "exit_status", -1);
	kp_json_free(r);
	return rc;
}

static int upload(struct kp_ctx *ctx, int fd, const char *name, const char *remote, bool contents)
{
	struct kp_json *p = kp_json_object();
	kp_json_set(p, "remote", kp_json_string(remote));
	if (name)
		kp_json_set(p, "name", kp_json_string(name));
	if (contents)
		kp_json_set(p, "contents", kp_json_bool(true));
	kp_json_set(p, "fds", kp_json_number(1));
	return kp_call(ctx, "comm.upload", p, &fd, 1, NULL, NULL);
}

int kp_upload_fd(struct kp_ctx *ctx, int fd, const char *name, const char *remote_path)
{
	return upload(ctx, fd, name, remote_path, false);
}

/* The last path element, without trailing slashes (malloc'ed). */
static char *base_name(const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	size_t s = n;
	while (s > 0 && path[s - 1] != '/')
		s--;
	char *b = kp_xmalloc(n - s + 1);
	memcpy(b, path + s, n - s);
	b[n - s] = '\0';
	return b;
}

int kp_upload_file(struct kp_ctx *ctx, const char *local_path, const char *remote_path)
{
	int fd = open(local_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return local_failure(ctx, "open", local_path);
	char *name = base_name(local_path);
	int rc = upload(ctx, fd, name, remote_path, false);
	free(name);
	close(fd);
	return rc;
}

int kp_upload_data(struct kp_ctx *ctx, const void *data, size_t len, const char *remote_path, unsigned mode)
{
	int fd = memfd_create("kiln-upload", MFD_CLOEXEC);
	if (fd < 0)
		return local_failure(ctx, "create a memory file for", remote_path);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			close(fd);
			return local_failure(ctx, "write the data for", remote_path);
		}
		off += (size_t)w;
	}
	fchmod(fd, mode & 07777);
	char *name = base_name(remote_path);
	int rc = upload(ctx, fd, name, remote_path, false);
	free(name);
	close(fd);
	return rc;
}

int kp_upload_dir(struct kp_ctx *ctx, const char *local_dir, const char *remote_dir)
{
	int fd = open(local_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return local_failure(ctx, "open the directory", local_dir);
	size_t n = strlen(local_dir);
	bool contents = n > 0 && local_dir[n - 1] == '/';
	char *name = base_name(local_dir);
	int rc = upload(ctx, fd, name, remote_dir, contents);
	free(name);
	close(fd);
	return rc;
}

static int download(struct kp_ctx *ctx, int fd, const char *remote)
{
	struct kp_json *p = kp_json_object();
	kp_json_set(p, "remote", kp_json_string(remote));
	kp_json_set(p, "fds", kp_json_number(1));
	return kp_call(ctx, "comm.download", p, &fd, 1, NULL, NULL);
}

int kp_download_file(struct kp_ctx *ctx, const char *remote_path, const char *local_path)
{
	int fd = open(local_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return local_failure(ctx, "create", local_path);
	int rc = download(ctx, fd, remote_path);
	close(fd);
	return rc;
}

static int mkdir_p(const char *path)
{
	char *p = kp_xstrdup(path);
	int rc = 0;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			rc = -1;
		*s = c;
		if (!c || rc < 0)
			break;
	}
	free(p);
	return rc;
}

int kp_download_dir(struct kp_ctx *ctx, const char *remote_dir, const char *local_dir)
{
	if (mkdir_p(local_dir) < 0)
		return local_failure(ctx, "create the directory", local_dir);
	int fd = open(local_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return local_failure(ctx, "open the directory", local_dir);
	int rc = download(ctx, fd, remote_dir);
	close(fd);
	return rc;
}

int kp_is_dir(struct kp_ctx *ctx, const char *remote_path, bool *is_dir)
{
	struct kp_json *p = kp_json_object();
	kp_json_set(p, "remote", kp_json_string(remote_path));
	struct kp_json *r = NULL;
	int rc = kp_call(ctx, "comm.is_dir", p, NULL, 0, &r, NULL);
	if (rc == 0 && is_dir)
		*is_dir = kp_json_get_bool(r, "is_dir", false);
	kp_json_free(r);
	return rc;
}

int kp_reconnect(struct kp_ctx *ctx, int64_t timeout_ms)
{
	struct kp_json *p = kp_json_object();
	kp_json_set(p, "timeout_ms", kp_json_number((double)timeout_ms));
	return kp_call(ctx, "comm.reconnect", p, NULL, 0, NULL, NULL);
}

/* ------------------------------------------------------------------------------------------------
 * Artifacts */

int kp_artifact_open(struct kp_ctx *ctx, size_t i)
{
	struct kp_json *p = kp_json_object();
	kp_json_set(p, "index", kp_json_number((double)i));
	int fd = -1;
	if (kp_call(ctx, "artifact.open", p, NULL, 0, NULL, &fd) < 0)
		return -1;
	if (fd < 0) {
		free(ctx->last_error);
		ctx->last_error = kp_xstrdup("kiln answered artifact.open without a descriptor");
	}
	return fd;
}

struct kp_artifact *kp_artifact_new(const char *builder_id, const char *id, const char *description)
{
	struct kp_artifact *a = kp_xcalloc(1, sizeof *a);
	a->builder_id = kp_xstrdup(builder_id);
	a->id = kp_xstrdup(id);
	a->description = kp_xstrdup(description);
	a->state = kp_json_object();
	return a;
}

void kp_artifact_add_file(struct kp_artifact *a, const char *path)
{
	a->files = kp_xrealloc(a->files, (a->nfiles + 1) * sizeof *a->files);
	a->files[a->nfiles++] = kp_xstrdup(path);
}

void kp_artifact_set(struct kp_artifact *a, const char *key, const char *value)
{
	kp_json_set(a->state, key, kp_json_string(value ? value : ""));
}

const char *kp_artifact_get(const struct kp_artifact *a, const char *key)
{
	return kp_json_get_string(a->state, key, NULL);
}

void kp_artifact_free(struct kp_artifact *a)
{
	if (!a)
		return;
	free(a->builder_id);
	free(a->id);
	free(a->description);
	for (size_t i = 0; i < a->nfiles; i++)
		free(a->files[i]);
	free(a->files);
	kp_json_free(a->state);
	free(a);
}
