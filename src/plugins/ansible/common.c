/* common.c — what the ansible and ansible-local provisioners share: strings, the inventory and its
 * template, galaxy files, quoting Ansible's failures, running a local tool with its output streamed
 * through kiln's UI, temporary files (see ansible.h). */
#define _GNU_SOURCE
#include "ansible.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------------
 * Strings */

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		abort();
	return q;
}

void ans_strv_push_owned(struct ans_strv *s, char *text)
{
	if (s->n + 2 > s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xrealloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = text;
	s->v[s->n] = NULL;
}

void ans_strv_push(struct ans_strv *s, const char *text)
{
	ans_strv_push_owned(s, kp_printf("%s", text));
}

void ans_strv_pushf(struct ans_strv *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *t = NULL;
	if (vasprintf(&t, fmt, ap) < 0)
		abort();
	va_end(ap);
	ans_strv_push_owned(s, t);
}

void ans_strv_free(struct ans_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

void ans_strv_from_json(struct ans_strv *s, const struct kp_json *array)
{
	for (size_t i = 0; i < kp_json_len(array); i++) {
		const char *t = kp_json_as_string(kp_json_at(array, i));
		if (t)
			ans_strv_push(s, t);
	}
}

char *ans_strv_display(const struct ans_strv *s)
{
	struct ans_buf b = ANS_BUF_INIT;
	for (size_t i = 0; i < s->n; i++) {
		const char *a = s->v[i];
		bool plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_") == strlen(a);
		if (i)
			ans_buf_puts(&b, " ");
		if (plain) {
			ans_buf_puts(&b, a);
		} else {
			char *q = kp_shell_quote(a);
			ans_buf_puts(&b, q);
			free(q);
		}
	}
	ans_buf_cstr(&b);
	return b.s;
}

void ans_buf_add(struct ans_buf *b, const char *text, size_t len)
{
	if (b->n + len + 1 > b->cap) {
		b->cap = (b->n + len + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->n, text, len);
	b->n += len;
	b->s[b->n] = '\0';
}

void ans_buf_puts(struct ans_buf *b, const char *text)
{
	ans_buf_add(b, text, strlen(text));
}

void ans_buf_printf(struct ans_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *t = NULL;
	int n = vasprintf(&t, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	ans_buf_add(b, t, (size_t)n);
	free(t);
}

const char *ans_buf_cstr(struct ans_buf *b)
{
	if (!b->s)
		ans_buf_add(b, "", 0);
	return b->s;
}

void ans_buf_free(struct ans_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->n = b->cap = 0;
}

/* ------------------------------------------------------------------------------------------------
 * The inventory */

char *ans_render_template(const char *tmpl, ans_lookup_fn lookup, void *arg, char **error)
{
	struct ans_buf b = ANS_BUF_INIT;
	const char *p = tmpl;
	*error = NULL;
	for (;;) {
		const char *open = strstr(p, "{{");
		if (!open) {
			ans_buf_puts(&b, p);
			break;
		}
		ans_buf_add(&b, p, (size_t)(open - p));
		const char *close = strstr(open + 2, "}}");
		if (!close) {
			*error = kp_printf("\"{{\" without a closing \"}}\" in \"%.40s\"", open);
			goto fail;
		}
		const char *s = open + 2, *e = close;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		size_t n = (size_t)(e - s);
		if (n < 2 || *s != '.' || strspn(s + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n - 1) {
			*error = kp_printf("\"%.*s\" is not a value: only {{ .Name }} is understood (HostAlias, Host, Port, "
					   "User, ...)", (int)(close + 2 - open), open);
			goto fail;
		}
		char *name = kp_printf("%.*s", (int)(n - 1), s + 1);
		const char *v = lookup(arg, name);
		if (!v) {
			*error = kp_printf("{{ .%s }} is not a value this build has (HostAlias, Host, Port, User, ID, ConnType, "
					   "PackerHTTPAddr, ...)", name);
			free(name);
			goto fail;
		}
		free(name);
		ans_buf_puts(&b, v);
		p = close + 2;
	}
	ans_buf_cstr(&b);
	return b.s;
fail:
	ans_buf_free(&b);
	return NULL;
}

char *ans_inventory(const char *host_line, const struct kp_json *groups, const struct kp_json *empty_groups)
{
	struct ans_buf b = ANS_BUF_INIT;
	ans_buf_puts(&b, host_line);
	for (size_t i = 0; i < kp_json_len(groups); i++)
		ans_buf_printf(&b, "[%s]\n%s", kp_json_as_string(kp_json_at(groups, i)), host_line);
	for (size_t i = 0; i < kp_json_len(empty_groups); i++)
		ans_buf_printf(&b, "[%s]\n", kp_json_as_string(kp_json_at(empty_groups, i)));
	ans_buf_cstr(&b);
	return b.s;
}

static bool has_line_starting(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (strncmp(l, prefix, n) == 0)
			return true;
	return false;
}

void ans_galaxy_kinds(const char *text, bool *roles, bool *collections)
{
	bool r = has_line_starting(text, "roles:"), c = has_line_starting(text, "collections:");
	*roles = r || !c;
	*collections = c;
}

bool ans_config_sets(const char *text, const char *key)
{
	size_t n = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		l += strspn(l, " \t");
		if (strncmp(l, key, n) != 0)
			continue;
		const char *after = l + n + strspn(l + n, " \t");
		if (*after == '=' || *after == ':')
			return true;
	}
	return false;
}

struct kp_json *ans_packer_vars(struct kp_ctx *ctx)
{
	struct kp_json *v = kp_json_object();
	const char *name = kp_build_value(ctx, "PackerBuildName");
	const char *type = kp_build_value(ctx, "PackerBuilderType");
	kp_json_set(v, "packer_build_name", kp_json_string(name && *name ? name : kp_json_get_string(kp_build(ctx), "source", "")));
	kp_json_set(v, "packer_builder_type", kp_json_string(type && *type ? type : kp_json_get_string(kp_build(ctx), "type", "")));
	if (kp_http_address(ctx))
		kp_json_set(v, "packer_http_addr", kp_json_string(kp_http_address(ctx)));
	return v;
}

/* ------------------------------------------------------------------------------------------------
 * Failures and secrets */

#define TAIL_LINES 8

static void keep_last(struct ans_strv *s, const char *line, size_t max)
{
	if (s->n == max) {
		free(s->v[0]);
		memmove(s->v, s->v + 1, (s->n - 1) * sizeof *s->v);
		s->n--;
		s->v[s->n] = NULL;
	}
	ans_strv_push(s, line);
}

void ans_tail_add(struct ans_tail *t, const char *line)
{
	while (*line == ' ')
		line++;
	if (!*line)
		return;
	if (strncmp(line, "fatal: [", 8) == 0 || strncmp(line, "failed: [", 9) == 0 || strncmp(line, "ERROR!", 6) == 0)
		keep_last(&t->marked, line, 4);
	keep_last(&t->last, line, TAIL_LINES);
}

char *ans_tail_text(const struct ans_tail *t)
{
	const struct ans_strv *s = t->marked.n ? &t->marked : &t->last;
	struct ans_buf b = ANS_BUF_INIT;
	for (size_t i = 0; i < s->n; i++)
		ans_buf_printf(&b, "%s%s", i ? "\n" : "", s->v[i]);
	ans_buf_cstr(&b);
	return b.s;
}

void ans_tail_free(struct ans_tail *t)
{
	ans_strv_free(&t->marked);
	ans_strv_free(&t->last);
}

void ans_secret_args(const struct ans_strv *args, struct ans_strv *out)
{
	for (size_t i = 0; i < args->n; i++) {
		const char *eq = strchr(args->v[i], '=');
		if (!eq || !eq[1])
			continue;
		char *key = kp_printf("%.*s", (int)(eq - args->v[i]), args->v[i]);
		for (char *k = key; *k; k++)
			*k = (char)(*k >= 'A' && *k <= 'Z' ? *k - 'A' + 'a' : *k);
		if (strstr(key, "password") || strstr(key, "secret"))
			ans_strv_push(out, eq + 1);
		free(key);
	}
}

char *ans_mask(const char *text, const struct ans_strv *secrets)
{
	char *out = kp_printf("%s", text);
	for (size_t i = 0; i < secrets->n; i++) {
		const char *sv = secrets->v[i];
		size_t n = strlen(sv);
		if (!n)
			continue;
		struct ans_buf b = ANS_BUF_INIT;
		const char *p = out, *hit;
		while ((hit = strstr(p, sv))) {
			ans_buf_add(&b, p, (size_t)(hit - p));
			ans_buf_puts(&b, "*****");
			p = hit + n;
		}
		ans_buf_puts(&b, p);
		free(out);
		out = b.s;
	}
	return out;
}

/* ------------------------------------------------------------------------------------------------
 * Running a local tool */

static void child_exec(const struct ans_strv *argv, const struct ans_strv *env, int out_fd, int err_fd)
{
	setpgid(0, 0);
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0)
		dup2(devnull, 0);
	dup2(out_fd, 1);
	dup2(err_fd, 2);
	for (size_t i = 0; env && i < env->n; i++) {
		char *eq = strchr(env->v[i], '=');
		if (!eq)
			continue;
		*eq = '\0';
		setenv(env->v[i], eq + 1, 1);
		*eq = '=';
	}
	/* kiln's plugin descriptor is ours, not the tool's */
	for (int fd = 3; fd < 1024; fd++)
		if (fd != out_fd && fd != err_fd)
			close(fd);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv->v[0], argv->v);
	fprintf(stderr, "cannot run %s: %s\n", argv->v[0], strerror(errno));
	_exit(127);
}

struct stream {
	int fd;
	bool is_err;
	struct ans_buf pending;
};

static void emit(struct kp_ctx *ctx, struct stream *s, struct ans_tail *tail, const char *line)
{
	if (tail)
		ans_tail_add(tail, line);
	if (s->is_err)
		kp_error(ctx, "%s", line);
	else
		kp_message(ctx, "%s", line);
}

/* Read what is there; emit whole lines. false at end of file. */
static bool pump(struct kp_ctx *ctx, struct stream *s, struct ans_tail *tail)
{
	char chunk[8192];
	ssize_t n = read(s->fd, chunk, sizeof chunk);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		if (s->pending.n)
			emit(ctx, s, tail, ans_buf_cstr(&s->pending));
		s->pending.n = 0;
		return false;
	}
	ans_buf_add(&s->pending, chunk, (size_t)n);
	char *start = s->pending.s, *nl;
	while ((nl = memchr(start, '\n', s->pending.n - (size_t)(start - s->pending.s)))) {
		*nl = '\0';
		if (nl > start && nl[-1] == '\r')
			nl[-1] = '\0';
		emit(ctx, s, tail, start);
		start = nl + 1;
	}
	size_t rest = s->pending.n - (size_t)(start - s->pending.s);
	memmove(s->pending.s, start, rest);
	s->pending.n = rest;
	s->pending.s[rest] = '\0';
	return true;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ans_run(struct kp_ctx *ctx, const struct ans_strv *argv, const struct ans_strv *env, struct ans_tail *tail,
	    int *status)
{
	int out[2], err[2];
	*status = -1;
	if (pipe2(out, O_CLOEXEC) < 0)
		return kp_fail(ctx, "cannot run %s: %s", argv->v[0], strerror(errno));
	if (pipe2(err, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return kp_fail(ctx, "cannot run %s: %s", argv->v[0], strerror(errno));
	}
	pid_t pid = fork();
	if (pid == 0)
		child_exec(argv, env, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	if (pid < 0) {
		close(out[0]);
		close(err[0]);
		return kp_fail(ctx, "cannot run %s: %s", argv->v[0], strerror(errno));
	}
	setpgid(pid, pid);
	struct stream streams[2] = {{out[0], false, ANS_BUF_INIT}, {err[0], true, ANS_BUF_INIT}};
	bool open_[2] = {true, true};
	bool cancelled = false;
	int64_t killed_at = 0;
	while (open_[0] || open_[1]) {
		struct pollfd p[2];
		nfds_t np = 0;
		int which[2];
		for (int i = 0; i < 2; i++)
			if (open_[i]) {
				p[np] = (struct pollfd){.fd = streams[i].fd, .events = POLLIN};
				which[np++] = i;
			}
		int r = poll(p, np, 200);
		if (r < 0 && errno != EINTR)
			break;
		for (nfds_t i = 0; r > 0 && i < np; i++)
			if (p[i].revents)
				open_[which[i]] = pump(ctx, &streams[which[i]], tail);
		if (!cancelled && kp_cancelled(ctx)) {
			cancelled = true;
			killed_at = now_ms();
			kill(-pid, SIGTERM);
		} else if (cancelled && killed_at && now_ms() - killed_at > 5000) {
			kill(-pid, SIGKILL);
			killed_at = 0;
		}
	}
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	/* what it left running in its group (an ssh it started in the background) goes with it */
	kill(-pid, SIGKILL);
	for (int i = 0; i < 2; i++) {
		close(streams[i].fd);
		ans_buf_free(&streams[i].pending);
	}
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : -1;
	if (cancelled)
		return kp_fail(ctx, "cancelled: %s was stopped", argv->v[0]);
	return 0;
}

int ans_capture(const struct ans_strv *argv, char **output, int *status, char **error)
{
	int p[2];
	*output = *error = NULL;
	*status = -1;
	if (pipe2(p, O_CLOEXEC) < 0) {
		*error = kp_printf("%s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0)
		child_exec(argv, NULL, p[1], p[1]);
	close(p[1]);
	if (pid < 0) {
		*error = kp_printf("%s", strerror(errno));
		close(p[0]);
		return -1;
	}
	struct ans_buf b = ANS_BUF_INIT;
	char chunk[4096];
	ssize_t n;
	while ((n = read(p[0], chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (b.n < (1u << 20))
			ans_buf_add(&b, chunk, (size_t)n);
	}
	close(p[0]);
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : -1;
	ans_buf_cstr(&b);
	*output = b.s;
	return 0;
}

bool ans_on_path(const char *name)
{
	if (!name || !*name)
		return false;
	if (strchr(name, '/'))
		return access(name, X_OK) == 0;
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;;) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		char *cand = kp_printf("%.*s/%s", (int)n, n ? p : ".", name);
		bool ok = access(cand, X_OK) == 0;
		free(cand);
		if (ok)
			return true;
		if (!colon)
			return false;
		p = colon + 1;
	}
}

/* ------------------------------------------------------------------------------------------------
 * Files */

char *ans_tempdir(const char *prefix)
{
	const char *t = getenv("TMPDIR");
	char *path = kp_printf("%s/%s.XXXXXX", t && *t ? t : "/tmp", prefix);
	if (!mkdtemp(path)) {
		int e = errno;
		free(path);
		errno = e;
		return NULL;
	}
	return path;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void ans_remove_tree(const char *path)
{
	if (path)
		nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int ans_write_file(const char *path, const char *text, unsigned mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	size_t len = strlen(text), done = 0;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		done += (size_t)n;
	}
	return close(fd);
}

char *ans_read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	struct ans_buf b = ANS_BUF_INIT;
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		ans_buf_add(&b, chunk, n);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		ans_buf_free(&b);
		errno = EIO;
		return NULL;
	}
	ans_buf_cstr(&b);
	return b.s;
}

char *ans_abs_path(const char *path)
{
	if (path[0] == '/')
		return kp_printf("%s", path);
	char *cwd = getcwd(NULL, 0);
	char *r = kp_printf("%s/%s", cwd ? cwd : ".", path);
	free(cwd);
	return r;
}

/* ------------------------------------------------------------------------------------------------
 * prepare's checks */

bool ans_unknown(struct kp_ctx *ctx, const char *key)
{
	const struct kp_json *u = kp_unknown(ctx);
	for (size_t i = 0; i < kp_json_len(u); i++) {
		const char *k = kp_json_as_string(kp_json_at(u, i));
		if (k && strcmp(k, key) == 0)
			return true;
	}
	return false;
}

int ans_check_file(struct kp_ctx *ctx, const char *key, const char *path)
{
	struct stat st;
	if (!path || ans_unknown(ctx, key))
		return 0;
	if (stat(path, &st) < 0)
		return kp_config_error(ctx, key, "%s: %s is invalid: %s", key, path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return kp_config_error(ctx, key, "%s: %s must point to a file", key, path);
	return 0;
}

int ans_check_dir(struct kp_ctx *ctx, const char *key, const char *path)
{
	struct stat st;
	if (!path || ans_unknown(ctx, key))
		return 0;
	if (stat(path, &st) < 0)
		return kp_config_error(ctx, key, "%s: %s is invalid: %s", key, path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return kp_config_error(ctx, key, "%s: %s must point to a directory", key, path);
	return 0;
}
