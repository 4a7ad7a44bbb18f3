/* shell.c — the "shell" provisioner: each script (the inline commands make one) is uploaded to the
 * machine and run through execute_command with the build's environment in {{ .Vars }}. A script may
 * reboot the machine: with expect_disconnect the dropped connection is fine, and uploads, runs and
 * clean-ups are retried while the machine comes back, until start_retry_timeout. Packer's keys and
 * defaults; environment values are quoted so that they arrive as they are and never run as code. */
#include "component.h"
#include "provisioner/common.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/shellquote.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* execute_command's default, which depends on use_env_var_file (shell_derive_defaults). */
#define EXECUTE_VARS "chmod +x {{.Path}}; {{.Vars}} {{.Path}}"
#define EXECUTE_ENV_FILE "chmod +x {{.Path}}; . {{.EnvVarFile}} && {{.Path}}"

static const struct kiln_attr shell_attrs[] = {
	{.name = "inline", .type = "list(string)", .doc = "Commands to run, one per line of a single script."},
	{.name = "script", .type = "string", .doc = "A local script to upload and run."},
	{.name = "scripts", .type = "list(string)", .doc = "Local scripts to upload and run, in order, each on its own."},
	PROV_ENV_ATTRS,
	{.name = "use_env_var_file", .type = "bool", .def = "false", .doc = "Put the environment in a file that execute_command sources."},
	{.name = "execute_command", .type = "string", .flags = KILN_ATTR_TEMPLATE,
	 .default_doc = "\"" EXECUTE_VARS "\" (with use_env_var_file: \"" EXECUTE_ENV_FILE "\")",
	 .doc = "How to run a script: {{ .Path }}, {{ .Vars }}, {{ .EnvVarFile }}."},
	PROV_INLINE_SHEBANG_ATTR,
	{.name = "remote_folder", .type = "string", .def = "\"/tmp\"", .doc = "Where scripts are uploaded."},
	{.name = "remote_file", .type = "string", .default_doc = "\"script_NNNN.sh\" (NNNN random)", .doc = "File name of the uploaded script."},
	{.name = "remote_path", .type = "string", .default_doc = "remote_folder/remote_file", .doc = "Full path of the uploaded script (overrides the two above)."},
	{.name = "skip_clean", .type = "bool", .def = "false", .doc = "Leave the uploaded scripts on the machine."},
	{.name = "expect_disconnect", .type = "bool", .def = "false", .doc = "A dropped connection (a reboot) is not an error."},
	{.name = "start_retry_timeout", .type = "duration", .def = "\"5m\"", .doc = "How long to retry starting a script while the machine reboots."},
	{.name = "pause_after", .type = "duration", .def = "\"0s\"", .doc = "Wait this long after the scripts ran."},
	PROV_VALID_EXIT_CODES_ATTR,
	{.name = "binary", .type = "bool", .def = "false", .doc = "Upload scripts as they are (no CRLF to LF)."},
	{.name = NULL},
};
static const char *const one_source[] = {"inline", "script", "scripts", NULL};
static const char *const *const shell_conflicts[] = {one_source, NULL};
static const struct kiln_schema shell_schema = {shell_attrs, shell_conflicts};

struct shell {
	struct prov_scripts src;
	bool use_env_var_file;
	char *execute_command;
	char *remote_folder;
	char *remote_path;
	bool skip_clean, expect_disconnect, binary;
	int64_t start_retry_timeout_ms, pause_after_ms;
	struct prov_exit_codes codes;
};

static void shell_destroy(void *instance)
{
	struct shell *p = instance;
	if (!p)
		return;
	prov_scripts_free(&p->src);
	free(p->execute_command);
	free(p->remote_folder);
	free(p->remote_path);
	prov_exit_codes_free(&p->codes);
	free(p);
}

static unsigned random_below(unsigned n)
{
	unsigned r = 0;
	if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
		r = (unsigned)time_mono_ns();
	return r % n;
}

/* The defaults that depend on other keys: execute_command on use_env_var_file, remote_path on
 * remote_folder and remote_file (a random name by default, as in Packer). */
static void shell_derive_defaults(const struct kiln_config *cfg, struct shell *p)
{
	const char *cmd = kiln_config_string(cfg, "execute_command");
	if (cmd && *cmd)
		p->execute_command = xstrdup(cmd);
	else if (p->use_env_var_file)
		p->execute_command = xstrdup(EXECUTE_ENV_FILE);
	else
		p->execute_command = xstrdup(EXECUTE_VARS);
	const char *remote_path = kiln_config_string(cfg, "remote_path");
	const char *file = kiln_config_string(cfg, "remote_file");
	if (remote_path && *remote_path)
		p->remote_path = xstrdup(remote_path);
	else if (file && *file)
		p->remote_path = xasprintf("%s/%s", p->remote_folder, file);
	else
		p->remote_path = xasprintf("%s/script_%u.sh", p->remote_folder, random_below(10000));
}

static int shell_prepare(const struct kiln_config *cfg, void **instance, struct strv *warnings, struct kiln_error *err)
{
	(void)warnings;
	struct shell *p = xcalloc(1, sizeof *p);
	if (!kiln_config_has(cfg, "inline") && !kiln_config_has(cfg, "script") && !kiln_config_has(cfg, "scripts")) {
		kiln_config_error(cfg, "inline", err, "either a script file or inline script must be specified "
						      "(inline, script or scripts)");
		goto fail;
	}
	if (prov_scripts_decode(cfg, false, &p->src, err) < 0)
		goto fail;
	p->use_env_var_file = kiln_config_bool(cfg, "use_env_var_file");
	p->remote_folder = xstrdup(kiln_config_string(cfg, "remote_folder"));
	p->skip_clean = kiln_config_bool(cfg, "skip_clean");
	p->expect_disconnect = kiln_config_bool(cfg, "expect_disconnect");
	p->binary = kiln_config_bool(cfg, "binary");
	p->start_retry_timeout_ms = kiln_config_duration_ms(cfg, "start_retry_timeout");
	p->pause_after_ms = kiln_config_duration_ms(cfg, "pause_after");
	if (prov_exit_codes_decode(cfg, &p->codes, err) < 0)
		goto fail;
	shell_derive_defaults(cfg, p);
	*instance = p;
	return 0;
fail:
	shell_destroy(p);
	return -1;
}

/* ------------------------------------------------------------------------------------------------ */

struct run {
	struct shell *p;
	struct kiln_ctx *ctx;
	struct kiln_comm *comm;
	int64_t deadline;        /* start_retry_timeout */
	bool link_dropped;       /* the last command ended with the connection */
};

/* Do one piece of work; while it fails because the link is down, reconnect and do it again, until
 * start_retry_timeout. Other failures (permission denied, a full disk) are reported at once. */
static int retrying(struct run *r, int (*fn)(struct run *r, void *arg, struct kiln_error *err), void *arg,
		    struct kiln_error *err)
{
	for (;;) {
		if (r->link_dropped) {
			int64_t left = r->deadline - time_mono_ms();
			if (r->comm->ops->reconnect(r->comm, left > 1000 ? left : 1000, err) < 0) {
				if (!err_is(err, ERR_TIMEOUT))
					return -1;   /* the machine is gone (powered off, paused): not slow */
				err_wrap(err, "the machine did not come back within start_retry_timeout");
				free(err->hint);   /* the connect hint names ssh_timeout, which is not the limit here */
				err->hint = NULL;
				err_hint(err, "raise start_retry_timeout if the machine takes longer to restart");
				return -1;
			}
			r->link_dropped = false;
		}
		struct kiln_error e = ERR_INIT;
		if (fn(r, arg, &e) == 0)
			return 0;
		if (!err_is(&e, ERR_IO) || time_mono_ms() >= r->deadline) {
			err_move(err, &e);
			return -1;
		}
		log_info("shell: %s; reconnecting (start_retry_timeout)", err_cause(&e));
		err_clear(&e);
		r->link_dropped = true;
	}
}

struct script_job {
	const char *content;
	size_t len;
	const char *command;
	int status;
};

static int upload_and_run(struct run *r, void *arg, struct kiln_error *err)
{
	struct script_job *j = arg;
	if (r->comm->ops->upload_data(r->comm, j->content, j->len, r->p->remote_path, 0755, err) < 0)
		return err_wrap(err, "uploading the script");
	if (r->comm->ops->exec(r->comm, j->command, prov_print_line, r->ctx->ui, &j->status, err) < 0)
		return -1;
	if (j->status == KILN_EXIT_DISCONNECTED)
		r->link_dropped = true;
	return 0;
}

static int remove_file(struct run *r, void *arg, struct kiln_error *err)
{
	char *q = shell_quote(arg);
	char *cmd = xasprintf("rm -f %s", q);
	int status = 0;
	int rc = r->comm->ops->exec(r->comm, cmd, prov_print_line, r->ctx->ui, &status, err);
	if (rc == 0 && status == KILN_EXIT_DISCONNECTED)
		rc = err_set_kind(err, ERR_IO, "the connection dropped while removing %s", (const char *)arg);
	else if (rc == 0 && status != 0)
		rc = err_set(err, "removing %s on the machine failed (exit status %d)", (const char *)arg, status);
	free(cmd);
	free(q);
	return rc;
}

/* Remove path on the machine. After a failure (rc < 0) it is a quick best effort that keeps the first
 * error: the build stops anyway, but should leave nothing behind. */
static int clean_up(struct run *r, const char *path, int rc, struct kiln_error *err)
{
	if (sig_cancelled())
		return rc;
	if (rc == 0)
		return retrying(r, remove_file, (void *)path, err);
	if (!r->link_dropped && !err_is(err, ERR_IO) && !err_is(err, ERR_TIMEOUT)) {
		struct kiln_error ignored = ERR_INIT;
		remove_file(r, (void *)path, &ignored);
		err_clear(&ignored);
	}
	return rc;
}

struct upload_job {
	const char *content;
	const char *path;
};

static int upload_file(struct run *r, void *arg, struct kiln_error *err)
{
	struct upload_job *u = arg;
	return r->comm->ops->upload_data(r->comm, u->content, strlen(u->content), u->path, 0600, err);
}

static int run_script(struct run *r, const char *name, const struct buf *content, const char *vars,
		      const char *env_file, struct kiln_error *err)
{
	struct shell *p = r->p;
	ui_say(r->ctx->ui, "Provisioning with shell script: %s", name);
	char *path_q = shell_quote(p->remote_path);
	char *file_q = env_file ? shell_quote(env_file) : xstrdup("");
	char *extra_vars = xasprintf("Vars=%s", vars);
	char *extra_path = xasprintf("Path=%s", path_q);
	char *extra_file = xasprintf("EnvVarFile=%s", file_q);
	char *extra[] = {extra_vars, extra_path, extra_file, NULL};
	char *command = NULL;
	int rc = kiln_ctx_expand(r->ctx, p->execute_command, extra, &command, err);
	if (rc < 0) {
		err_wrap(err, "execute_command");
		goto out;
	}
	struct script_job job = {.content = buf_cstr(content), .len = content->len, .command = command};
	rc = retrying(r, upload_and_run, &job, err);
	if (rc == 0 && job.status == KILN_EXIT_DISCONNECTED) {
		if (!p->expect_disconnect && !prov_exit_code_ok(&p->codes, PROV_PACKER_DISCONNECT_STATUS)) {
			rc = err_set(err, "script disconnected unexpectedly");
			err_hint(err, "if the script restarts the machine or sshd, set expect_disconnect = true");
		} else {
			ui_message(r->ctx->ui, "The connection dropped, as expected (expect_disconnect)");
		}
	} else if (rc == 0 && !prov_exit_code_ok(&p->codes, job.status)) {
		char *allowed = prov_exit_codes_text(&p->codes);
		rc = err_set(err, "script exited with non-zero exit status: %d; allowed exit codes are: %s", job.status,
			     allowed);
		free(allowed);
	}
	if (!p->skip_clean)
		rc = clean_up(r, p->remote_path, rc, err);
out:
	free(command);
	free(extra_vars);
	free(extra_path);
	free(extra_file);
	free(file_q);
	free(path_q);
	return rc;
}

static int shell_provision(void *instance, struct kiln_ctx *ctx, struct kiln_comm *comm, struct kiln_error *err)
{
	struct shell *p = instance;
	if (!comm)
		return err_set_kind(err, ERR_INVALID, "the shell provisioner needs a communicator, and this build has "
						      "communicator = \"none\"; use shell-local for commands on this computer");
	struct run r = {.p = p, .ctx = ctx, .comm = comm, .deadline = time_mono_ms() + p->start_retry_timeout_ms};
	struct strv env = STRV_INIT;
	prov_env_build(ctx, &p->src.env, &env);
	char *vars = prov_env_render(&env, p->use_env_var_file ? NULL : p->src.env_var_format);
	char *env_file = NULL;
	struct buf content = BUF_INIT;
	int rc = 0;
	if (p->use_env_var_file) {
		env_file = xasprintf("%s/varfile_%u.sh", p->remote_folder, random_below(10000));
		char *lines = prov_env_file(&env, p->src.env_var_format);
		struct upload_job u = {lines, env_file};
		rc = retrying(&r, upload_file, &u, err);
		free(lines);
		if (rc < 0)
			err_wrap(err, "uploading the environment file %s", env_file);
	}
	if (rc == 0 && p->src.inline_cmds.n) {
		prov_inline_script(p->src.inline_shebang, &p->src.inline_cmds, &content);
		char *name = xasprintf("inline (%zu %s)", p->src.inline_cmds.n, p->src.inline_cmds.n == 1 ? "command" : "commands");
		rc = run_script(&r, name, &content, vars, env_file, err);
		free(name);
	}
	for (size_t i = 0; rc == 0 && i < p->src.scripts.n; i++) {
		buf_reset(&content);
		rc = prov_read_script(p->src.scripts.v[i], p->binary, &content, err);
		if (rc == 0)
			rc = run_script(&r, p->src.scripts.v[i], &content, vars, env_file, err);
	}
	if (env_file && !p->skip_clean)
		rc = clean_up(&r, env_file, rc, err);
	if (rc == 0 && p->pause_after_ms > 0) {
		char *d = duration_format_ns(p->pause_after_ms * 1000000LL);
		ui_say(ctx->ui, "Pausing %s after this provisioner...", d);
		free(d);
		if (sleep_cancellable_ms((long)p->pause_after_ms) < 0)
			rc = err_set_kind(err, ERR_CANCELLED, "cancelled during pause_after");
	}
	buf_free(&content);
	free(env_file);
	free(vars);
	strv_free(&env);
	return rc;
}

/* Checkpoint keys: the scripts' content (inline commands are in the configuration itself). */
static int shell_checkpoint_inputs(void *instance, struct strv *inputs, const char **why_not)
{
	struct shell *p = instance;
	(void)why_not;
	for (size_t i = 0; i < p->src.scripts.n; i++)
		strv_push(inputs, p->src.scripts.v[i]);
	return 0;
}

const struct kiln_provisioner shell_provisioner = {
	.type = "shell",
	.doc = "Runs shell scripts on the machine over the communicator.",
	.schema = &shell_schema,
	.prepare = shell_prepare,
	.provision = shell_provision,
	.destroy = shell_destroy,
	.checkpoint_inputs = shell_checkpoint_inputs,
};
