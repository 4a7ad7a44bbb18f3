/* shell_local.c — the "shell-local" provisioner: runs commands or scripts on the computer kiln runs on,
 * through execute_command (an argv list, by default /bin/sh -c "{{.Vars}} {{.Script}}") with the build's
 * environment. Works without a communicator. Packer's keys and defaults. */
#include "component.h"
#include "provisioner/common.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/proc.h"
#include "util/shellquote.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct kiln_attr shell_local_attrs[] = {
	{.name = "command", .type = "string", .doc = "One command to run (written to a script like inline)."},
	{.name = "inline", .type = "list(string)", .doc = "Commands to run, one per line of a single script."},
	{.name = "script", .type = "string", .doc = "A local script to run."},
	{.name = "scripts", .type = "list(string)", .doc = "Local scripts to run, in order."},
	PROV_ENV_ATTRS,
	{.name = "execute_command", .type = "list(string)", .flags = KILN_ATTR_TEMPLATE,
	 .def = "[\"/bin/sh\", \"-c\", \"{{.Vars}} {{.Script}}\"]",
	 .doc = "The program and arguments that run a script: {{ .Script }}, {{ .Vars }}."},
	PROV_INLINE_SHEBANG_ATTR,
	{.name = "only_on", .type = "list(string)", .doc = "Run only on these operating systems (linux, darwin, windows, ...); without linux it is skipped."},
	{.name = "use_linux_pathing", .type = "bool", .flags = KILN_ATTR_IGNORED, .def = "false", .doc = "Windows hosts only; ignored."},
	{.name = "tempfile_extension", .type = "string", .def = "\"\"", .doc = "Extension of the temporary inline script."},
	PROV_VALID_EXIT_CODES_ATTR,
	{.name = NULL},
};
static const char *const one_source[] = {"command", "inline", "script", "scripts", NULL};
static const char *const *const shell_local_conflicts[] = {one_source, NULL};
/* Shared with the shell-local post-processor (src/postprocessor/shell_local.c), which is this component. */
const struct kiln_schema prov_shell_local_schema = {shell_local_attrs, shell_local_conflicts};

struct shell_local {
	struct prov_scripts src;
	struct strv execute_command;
	char *tempfile_extension;
	bool skip;                 /* only_on does not list linux */
	struct prov_exit_codes codes;
};

static void shell_local_destroy(void *instance)
{
	struct shell_local *p = instance;
	if (!p)
		return;
	prov_scripts_free(&p->src);
	strv_free(&p->execute_command);
	free(p->tempfile_extension);
	prov_exit_codes_free(&p->codes);
	free(p);
}

static int shell_local_prepare(const struct kiln_config *cfg, void **instance, struct strv *warnings,
			       struct kiln_error *err)
{
	struct shell_local *p = xcalloc(1, sizeof *p);
	if (!kiln_config_has(cfg, "command") && !kiln_config_has(cfg, "inline") && !kiln_config_has(cfg, "script") &&
	    !kiln_config_has(cfg, "scripts")) {
		kiln_config_error(cfg, "command", err, "command, inline, script or scripts must be specified");
		goto fail;
	}
	const char *command = kiln_config_string(cfg, "command");
	if (command && *command)
		strv_push(&p->src.inline_cmds, command);
	/* scripts made absolute, as in Packer: `sh -c "x.sh"` would look for x.sh in PATH */
	if (prov_scripts_decode(cfg, true, &p->src, err) < 0)
		goto fail;
	for (size_t i = 0; i < p->src.scripts.n; i++)
		if (access(p->src.scripts.v[i], X_OK) != 0)
			strv_pushf(warnings, "shell-local: %s is not executable; the default execute_command runs it as "
					     "a program (chmod +x it, or set execute_command = [\"/bin/sh\", \"{{.Script}}\"])",
				   p->src.scripts.v[i]);
	kiln_config_list_strv(cfg, "execute_command", &p->execute_command);
	p->tempfile_extension = xstrdup(kiln_config_string(cfg, "tempfile_extension"));
	size_t n = kiln_config_list_len(cfg, "only_on");
	p->skip = n > 0;
	for (size_t i = 0; i < n; i++) {
		const char *os = kiln_config_list_string(cfg, "only_on", i);
		if (os && strcmp(os, "linux") == 0)
			p->skip = false;
	}
	if (prov_exit_codes_decode(cfg, &p->codes, err) < 0)
		goto fail;
	*instance = p;
	return 0;
fail:
	shell_local_destroy(p);
	return -1;
}

/* One element of execute_command. {{.Script}} alone is an argument and stays as it is; inside a longer
 * element it is part of a shell command line and is quoted. */
static int expand_arg(struct kiln_ctx *ctx, const char *arg, const char *script, const char *vars, char **out,
		      struct kiln_error *err)
{
	char *trimmed = xstrdup(arg);
	char *s = trimmed, *e = trimmed + strlen(trimmed);
	while (*s == ' ')
		s++;
	while (e > s && e[-1] == ' ')
		*--e = '\0';
	bool alone = strcmp(s, "{{.Script}}") == 0 || strcmp(s, "{{ .Script }}") == 0 || strcmp(s, "{{.Command}}") == 0 ||
		     strcmp(s, "{{ .Command }}") == 0;
	free(trimmed);
	char *q = alone ? xstrdup(script) : shell_quote(script);
	char *x_script = xasprintf("Script=%s", q);
	char *x_command = xasprintf("Command=%s", q);
	char *x_vars = xasprintf("Vars=%s", vars);
	char *extra[] = {x_script, x_command, x_vars, NULL};
	int rc = kiln_ctx_expand(ctx, arg, extra, out, err);
	free(x_vars);
	free(x_command);
	free(x_script);
	free(q);
	return rc;
}

static int run_one(struct shell_local *p, struct kiln_ctx *ctx, const char *script, const char *vars,
		   const struct strv *env, struct kiln_error *err)
{
	struct strv argv = STRV_INIT;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < p->execute_command.n; i++) {
		char *a = NULL;
		rc = expand_arg(ctx, p->execute_command.v[i], script, vars, &a, err);
		if (rc == 0)
			strv_push_owned(&argv, a);
	}
	if (rc < 0) {
		err_wrap(err, "execute_command");
		goto out;
	}
	int status = 0;
	struct proc_opts o = {.on_line = prov_print_line, .line_arg = ctx->ui, .env_extra = strv_argv((struct strv *)env)};
	rc = proc_run(strv_argv(&argv), &o, &status, err);
	if (rc == 0 && !prov_exit_code_ok(&p->codes, status)) {
		char *allowed = prov_exit_codes_text(&p->codes);
		rc = err_set(err, "script exited with non-zero exit status: %d; allowed exit codes are: %s", status, allowed);
		free(allowed);
	}
out:
	strv_free(&argv);
	return rc;
}

static int shell_local_provision(void *instance, struct kiln_ctx *ctx, struct kiln_comm *comm, struct kiln_error *err)
{
	(void)comm;
	struct shell_local *p = instance;
	if (p->skip) {
		ui_say(ctx->ui, "Skipping shell-local due to runtime OS");
		return 0;
	}
	struct strv env = STRV_INIT;
	prov_env_build(ctx, &p->src.env, &env);
	char *vars = prov_env_render(&env, p->src.env_var_format);
	char *dir = NULL;
	int rc = 0;
	if (p->src.inline_cmds.n) {
		dir = tmpdir_make("kiln-shell-local", err);
		if (!dir) {
			rc = -1;
			goto out;
		}
		struct buf text = BUF_INIT;
		prov_inline_script(p->src.inline_shebang, &p->src.inline_cmds, &text);
		char *path = xasprintf("%s/script%s", dir, p->tempfile_extension);
		rc = file_write(path, text.data, text.len, 0700, err);
		buf_free(&text);
		if (rc == 0) {
			ui_say(ctx->ui, "Running local shell script: %s", path);
			rc = run_one(p, ctx, path, vars, &env, err);
		}
		free(path);
	}
	for (size_t i = 0; rc == 0 && i < p->src.scripts.n; i++) {
		ui_say(ctx->ui, "Running local shell script: %s", p->src.scripts.v[i]);
		rc = run_one(p, ctx, p->src.scripts.v[i], vars, &env, err);
	}
out:
	if (dir)
		tmpdir_release(dir);
	free(dir);
	free(vars);
	strv_free(&env);
	return rc;
}

/* Its effects are on this machine: a restored checkpoint would skip them. */
static int shell_local_checkpoint_inputs(void *instance, struct strv *inputs, const char **why_not)
{
	(void)instance;
	(void)inputs;
	*why_not = "it runs on this machine, and a checkpoint holds only the guest";
	return 0;
}

const struct kiln_provisioner shell_local_provisioner = {
	.type = "shell-local",
	.doc = "Runs commands or scripts on the computer kiln runs on.",
	.schema = &prov_shell_local_schema,
	.prepare = shell_local_prepare,
	.provision = shell_local_provision,
	.destroy = shell_local_destroy,
	.checkpoint_inputs = shell_local_checkpoint_inputs,
};
