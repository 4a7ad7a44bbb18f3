/* common.h — what the shell-like provisioners (shell, shell-local) share: the environment they hand a
 * script (Packer's PACKER_* values, environment_vars, env) rendered for a shell as {{ .Vars }}, their
 * valid_exit_codes, and printing a command's output lines. Not a component: a helper for src/provisioner/. */
#ifndef KILN_PROVISIONER_COMMON_H
#define KILN_PROVISIONER_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "component.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strv.h"

/* Packer's exit status for "the connection dropped" (valid_exit_codes may list it). */
#define PROV_PACKER_DISCONNECT_STATUS 2300218

/* The keys the shell-like provisioners share, for their schema tables: the script environment, the
 * inline script's interpreter and the exit statuses that count as success. */
#define PROV_ENV_ATTRS                                                                                      \
	{.name = "environment_vars", .type = "list(string)", .doc = "KEY=value pairs for the scripts' environment."}, \
	{.name = "env", .type = "map(string)", .doc = "More environment for the scripts; wins over environment_vars."}, \
	{.name = "env_var_format", .type = "string", .default_doc = "KEY='value' (quoted for a POSIX shell)",      \
	 .doc = "How one variable is written into {{ .Vars }} (%s key, %s value)."}
#define PROV_INLINE_SHEBANG_ATTR \
	{.name = "inline_shebang", .type = "string", .def = "\"/bin/sh -e\"", .doc = "Interpreter line of the inline script."}
#define PROV_VALID_EXIT_CODES_ATTR                                                                         \
	{.name = "valid_exit_codes", .type = "list(number)", .def = "[0]",                                  \
	 .doc = "Exit statuses that count as success."}

/* The full environment of a script, sorted by key, later entries winning: PACKER_BUILD_NAME,
 * PACKER_BUILDER_TYPE, PACKER_HTTP_ADDR/_IP/_PORT (when the builder serves HTTP), then user. */
void prov_env_build(const struct kiln_ctx *ctx, const struct strv *user, struct strv *out);
/* {{ .Vars }}: with format NULL, "KEY=<value quoted for a POSIX shell>" joined by spaces; otherwise
 * Packer's env_var_format, each entry rendered with its first %s as the key and its second as the value
 * (single quotes in the value written as '"'"'), "%%" as "%", entries concatenated. */
char *prov_env_render(const struct strv *env, const char *format);
/* The lines of an env var file (use_env_var_file): "export KEY=<quoted value>\n" each, or the format. */
char *prov_env_file(const struct strv *env, const char *format);

struct prov_exit_codes {
	long *v;
	size_t n;
};
/* valid_exit_codes (PROV_VALID_EXIT_CODES_ATTR). */
int prov_exit_codes_decode(const struct kiln_config *cfg, struct prov_exit_codes *out, struct kiln_error *err);
bool prov_exit_code_ok(const struct prov_exit_codes *codes, long status);
char *prov_exit_codes_text(const struct prov_exit_codes *codes);   /* "[0, 2]" */
void prov_exit_codes_free(struct prov_exit_codes *codes);

/* A kiln_line_fn printing a command's output to the build's ui (a struct ui *): stdout as messages,
 * stderr as errors, as Packer does. */
void prov_print_line(void *ui, bool is_stderr, const char *line);

/* The shell-local provisioner's schema: the shell-local post-processor has the same keys. */
extern const struct kiln_schema prov_shell_local_schema;

/* What a shell-like provisioner runs, and the environment it runs it in. */
struct prov_scripts {
	struct strv inline_cmds;   /* inline (after shell-local's command) */
	char *inline_shebang;
	struct strv scripts;       /* script, then scripts */
	struct strv env;           /* prov_env_decode */
	char *env_var_format;      /* NULL: the default */
};
/* Decode inline (appended to what out->inline_cmds holds), script + scripts (each made absolute when
 * `absolute`, then checked with prov_script_problem: a located error names the key), inline_shebang,
 * environment_vars/env and env_var_format. The check that one source is given stays with the component
 * (its wording is the component's, as in Packer). */
int prov_scripts_decode(const struct kiln_config *cfg, bool absolute, struct prov_scripts *out,
			struct kiln_error *err);
void prov_scripts_free(struct prov_scripts *s);

/* The script that runs inline commands: "#!shebang" and then each command on its own line. */
void prov_inline_script(const char *shebang, const struct strv *cmds, struct buf *out);

/* Read a local script, turning CRLF into LF unless binary. */
int prov_read_script(const char *path, bool binary, struct buf *out, struct kiln_error *err);

#endif
