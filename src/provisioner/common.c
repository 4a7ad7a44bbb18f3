/* common.c — environment, exit codes and output for the shell-like provisioners (see common.h). */
#include "provisioner/common.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/shellquote.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int check_name(const struct kiln_config *cfg, const char *key, const char *name, struct kiln_error *err)
{
	if (shell_is_name(name))
		return 0;
	return kiln_config_error(cfg, key, err,
				 "\"%s\" is not a valid environment variable name (letters, digits and _, not starting "
				 "with a digit)",
				 name);
}

/* environment_vars (a list of "KEY=value") and env (a map) as "KEY=value" entries, env last so it wins.
 * Keys must be shell variable names: they are pasted unquoted. */
static int prov_env_decode(const struct kiln_config *cfg, struct strv *out, struct kiln_error *err)
{
	size_t n = kiln_config_list_len(cfg, "environment_vars");
	for (size_t i = 0; i < n; i++) {
		const char *kv = kiln_config_list_string(cfg, "environment_vars", i);
		if (!kv)
			continue;
		const char *eq = strchr(kv, '=');
		if (!eq || eq == kv)
			return kiln_config_error(cfg, "environment_vars", err,
						 "\"%s\" is not in the form KEY=value", kv);
		char *name = xstrndup(kv, (size_t)(eq - kv));
		int rc = check_name(cfg, "environment_vars", name, err);
		free(name);
		if (rc < 0)
			return -1;
		strv_push(out, kv);
	}
	n = kiln_config_map_len(cfg, "env");
	for (size_t i = 0; i < n; i++) {
		const char *k = kiln_config_map_key(cfg, "env", i);
		const char *v = kiln_config_map_string(cfg, "env", i);
		if (!k)
			continue;
		if (check_name(cfg, "env", k, err) < 0)
			return -1;
		strv_pushf(out, "%s=%s", k, v ? v : "");
	}
	return 0;
}

static void env_set(struct strv *env, const char *key, const char *value)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i < env->n; i++) {
		if (strncmp(env->v[i], key, kl) == 0 && env->v[i][kl] == '=') {
			free(env->v[i]);
			env->v[i] = xasprintf("%s=%s", key, value);
			return;
		}
	}
	strv_pushf(env, "%s=%s", key, value);
}

static int key_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t lx = strcspn(x, "="), ly = strcspn(y, "=");
	int c = strncmp(x, y, lx < ly ? lx : ly);
	return c ? c : (lx > ly) - (lx < ly);
}

void prov_env_build(const struct kiln_ctx *ctx, const struct strv *user, struct strv *out)
{
	const char *v;
	env_set(out, "PACKER_BUILD_NAME", ctx && ctx->build_name ? ctx->build_name : "");
	env_set(out, "PACKER_BUILDER_TYPE", ctx && ctx->builder_type ? ctx->builder_type : "");
	static const char *const http[][2] = {
		{"PackerHTTPAddr", "PACKER_HTTP_ADDR"}, {"PackerHTTPIP", "PACKER_HTTP_IP"}, {"PackerHTTPPort", "PACKER_HTTP_PORT"},
	};
	for (size_t i = 0; ctx && i < 3; i++)
		if ((v = kiln_ctx_get(ctx, http[i][0])) && *v)
			env_set(out, http[i][1], v);
	for (size_t i = 0; user && i < user->n; i++) {
		char *key = xstrndup(user->v[i], strcspn(user->v[i], "="));
		env_set(out, key, user->v[i] + strlen(key) + 1);
		free(key);
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, key_cmp);
}

/* One entry through a Packer env_var_format: %s key, %s value, %% a percent sign; nothing else is
 * special (the format is the user's text, never a printf format). */
static void render_format(struct buf *b, const char *format, const char *key, const char *value)
{
	int arg = 0;
	for (const char *p = format; *p; p++) {
		if (p[0] == '%' && p[1] == '%') {
			buf_putc(b, '%');
			p++;
		} else if (p[0] == '%' && p[1] == 's' && arg < 2) {
			if (arg++ == 0) {
				buf_puts(b, key);
			} else {
				for (const char *q = value; *q; q++) {
					if (*q == '\'')
						buf_puts(b, "'\"'\"'");
					else
						buf_putc(b, *q);
				}
			}
			p++;
		} else {
			buf_putc(b, *p);
		}
	}
}

static char *render(const struct strv *env, const char *format, bool as_file)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < env->n; i++) {
		const char *eq = strchr(env->v[i], '=');
		char *key = xstrndup(env->v[i], (size_t)(eq - env->v[i]));
		if (format && *format) {
			render_format(&b, format, key, eq + 1);
		} else {
			if (as_file)
				buf_puts(&b, "export ");
			else if (i)
				buf_putc(&b, ' ');
			buf_printf(&b, "%s=", key);
			shell_quote_append(&b, eq + 1);
			if (as_file)
				buf_putc(&b, '\n');
		}
		free(key);
	}
	return buf_detach(&b);
}

char *prov_env_render(const struct strv *env, const char *format)
{
	return render(env, format, false);
}

char *prov_env_file(const struct strv *env, const char *format)
{
	return render(env, format, true);
}

int prov_exit_codes_decode(const struct kiln_config *cfg, struct prov_exit_codes *out, struct kiln_error *err)
{
	size_t n = kiln_config_list_len(cfg, "valid_exit_codes");
	out->v = xcalloc(n ? n : 1, sizeof *out->v);
	out->n = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = kiln_config_list_string(cfg, "valid_exit_codes", i);
		char *end = NULL;
		errno = 0;
		long code = s ? strtol(s, &end, 10) : 0;
		if (!s || end == s || *end || errno) {
			prov_exit_codes_free(out);
			return kiln_config_error(cfg, "valid_exit_codes", err, "\"%s\" is not a whole number", s ? s : "");
		}
		out->v[out->n++] = code;
	}
	return 0;
}

bool prov_exit_code_ok(const struct prov_exit_codes *codes, long status)
{
	for (size_t i = 0; i < codes->n; i++)
		if (codes->v[i] == status)
			return true;
	return false;
}

char *prov_exit_codes_text(const struct prov_exit_codes *codes)
{
	struct buf b = BUF_INIT;
	buf_putc(&b, '[');
	for (size_t i = 0; i < codes->n; i++)
		buf_printf(&b, "%s%ld", i ? ", " : "", codes->v[i]);
	buf_putc(&b, ']');
	return buf_detach(&b);
}

void prov_exit_codes_free(struct prov_exit_codes *codes)
{
	free(codes->v);
	codes->v = NULL;
	codes->n = 0;
}

void prov_print_line(void *ui, bool is_stderr, const char *line)
{
	if (is_stderr)
		ui_error(ui, "%s", line);
	else
		ui_message(ui, "%s", line);
}

/* Why path cannot be a script, or NULL when it can (caller frees): Packer takes any path that exists
 * and is not a directory — /dev/null too (packer-maas's default customize script) — and kiln also needs
 * to read it. */
static char *prov_script_problem(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return xstrdup(errno == ENOENT ? "no such file" : strerror(errno));
	if (S_ISDIR(st.st_mode))
		return xstrdup("it is a directory");
	if (access(path, R_OK) < 0)
		return xasprintf("it cannot be read: %s", strerror(errno));
	return NULL;
}

int prov_scripts_decode(const struct kiln_config *cfg, bool absolute, struct prov_scripts *out,
			struct kiln_error *err)
{
	kiln_config_list_strv(cfg, "inline", &out->inline_cmds);
	const char *script = kiln_config_string(cfg, "script");
	if (script && *script)
		strv_push(&out->scripts, script);
	kiln_config_list_strv(cfg, "scripts", &out->scripts);
	for (size_t i = 0; i < out->scripts.n; i++) {
		if (absolute) {
			char *abs = path_abs(out->scripts.v[i]);
			free(out->scripts.v[i]);
			out->scripts.v[i] = abs;
		}
		char *why = prov_script_problem(out->scripts.v[i]);
		if (why) {
			kiln_config_error(cfg, kiln_config_has(cfg, "script") ? "script" : "scripts", err,
					  "bad script \"%s\": %s", out->scripts.v[i], why);
			free(why);
			return -1;
		}
	}
	out->inline_shebang = xstrdup(kiln_config_string(cfg, "inline_shebang"));
	if (prov_env_decode(cfg, &out->env, err) < 0)
		return -1;
	const char *format = kiln_config_string(cfg, "env_var_format");
	out->env_var_format = format && *format ? xstrdup(format) : NULL;
	return 0;
}

void prov_scripts_free(struct prov_scripts *s)
{
	strv_free(&s->inline_cmds);
	free(s->inline_shebang);
	strv_free(&s->scripts);
	strv_free(&s->env);
	free(s->env_var_format);
	memset(s, 0, sizeof *s);
}


int prov_read_script(const char *path, bool binary, struct buf *out, struct kiln_error *err)
{
	if (file_read_all(path, out, err) < 0)
		return -1;
	if (binary)
		return 0;
	size_t w = 0;
	for (size_t r = 0; r < out->len; r++)
		if (!(out->data[r] == '\r' && r + 1 < out->len && out->data[r + 1] == '\n'))
			out->data[w++] = out->data[r];
	buf_truncate(out, w);
	return 0;
}

void prov_inline_script(const char *shebang, const struct strv *cmds, struct buf *out)
{
	buf_printf(out, "#!%s\n", shebang);
	for (size_t i = 0; i < cmds->n; i++)
		buf_printf(out, "%s\n", cmds->v[i]);
}
