/* ansible.h — kiln-plugin-ansible: Packer's `ansible` and `ansible-local` provisioners as a kiln plugin,
 * written against the C SDK only (kiln-plugin.h and the C library: nothing private to kiln).
 * remote.c runs ansible-playbook on this machine against the guest's SSH endpoint directly (no proxy
 * adapter); local.c uploads a playbook through kiln's communicator and runs it in the guest. What both
 * share, and the pure pieces the unit tests check, live in common.c. */
#ifndef KILN_PLUGIN_ANSIBLE_H
#define KILN_PLUGIN_ANSIBLE_H

#include <kiln-plugin.h>
#include <stdbool.h>
#include <stddef.h>

#define ANSIBLE_PLUGIN_VERSION "1.0.0"

/* A growable NULL-terminated array of malloc'ed strings (argv, environment additions). */
struct ans_strv {
	char **v;
	size_t n, cap;
};
#define ANS_STRV_INIT {NULL, 0, 0}
void ans_strv_push(struct ans_strv *s, const char *text);
void ans_strv_pushf(struct ans_strv *s, const char *fmt, ...) KP_PRINTF(2, 3);
void ans_strv_push_owned(struct ans_strv *s, char *text);
void ans_strv_free(struct ans_strv *s);
/* The array's strings joined by spaces, each shell-quoted when it needs to be (for "Executing ..."). */
char *ans_strv_display(const struct ans_strv *s);
/* The strings of a JSON array of strings. */
void ans_strv_from_json(struct ans_strv *s, const struct kp_json *array);

/* A growable string. */
struct ans_buf {
	char *s;
	size_t n, cap;
};
#define ANS_BUF_INIT {NULL, 0, 0}
void ans_buf_add(struct ans_buf *b, const char *text, size_t len);
void ans_buf_puts(struct ans_buf *b, const char *text);
void ans_buf_printf(struct ans_buf *b, const char *fmt, ...) KP_PRINTF(2, 3);
const char *ans_buf_cstr(struct ans_buf *b);
void ans_buf_free(struct ans_buf *b);

/* Render Packer's inventory_file_template: `{{ .Name }}` (spaces inside the braces optional) is
 * replaced by lookup(arg, "Name"); nothing else of Go's template language is understood. Returns the
 * text, or NULL with *error set (malloc'ed) naming what could not be rendered. */
typedef const char *(*ans_lookup_fn)(void *arg, const char *name);
char *ans_render_template(const char *tmpl, ans_lookup_fn lookup, void *arg, char **error);

/* The inventory Packer writes: the host line, then each group holding the host, then each empty
 * group. */
char *ans_inventory(const char *host_line, const struct kp_json *groups, const struct kp_json *empty_groups);

/* Does a galaxy requirements file list roles, collections? (Packer's test: a line starting with
 * `roles:` / `collections:`; a file with neither is a list of roles.) */
void ans_galaxy_kinds(const char *text, bool *roles, bool *collections);

/* Whether the text of an ansible.cfg sets KEY ("key = value" or "key: value", in any section; comment
 * lines do not count). */
bool ans_config_sets(const char *text, const char *key);

/* Packer's variables for a playbook: packer_build_name, packer_builder_type and, when the build serves
 * HTTP, packer_http_addr (a new JSON object). */
struct kp_json *ans_packer_vars(struct kp_ctx *ctx);

/* Lines of a tool's output worth quoting in the step's error: Ansible's `fatal:`/`failed:` task
 * results and `ERROR!` messages; without any, the last lines. */
struct ans_tail {
	struct ans_strv marked;   /* the last few marked lines */
	struct ans_strv last;     /* the last few lines */
};
void ans_tail_add(struct ans_tail *t, const char *line);
/* What to quote: marked lines, else the last ones, joined by "\n"; "" when there was no output. */
char *ans_tail_text(const struct ans_tail *t);
void ans_tail_free(struct ans_tail *t);

/* Values the user wants masked in a printed command line (Packer masks extra_arguments whose
 * key=value key names a password or a secret). Pushes the values onto out. */
void ans_secret_args(const struct ans_strv *args, struct ans_strv *out);
/* text with every non-empty secret replaced by "*****" (malloc'ed). */
char *ans_mask(const char *text, const struct ans_strv *secrets);

/* Run argv (argv[0] found on PATH) on this machine with kiln's environment plus env ("KEY=VALUE"; a
 * later entry overrides an earlier one), in its own process group, stdin /dev/null. Each line of its
 * standard output goes to kp_message and each of its standard error to kp_error (with a prefix when
 * prefix is not NULL); lines also go into tail when it is not NULL. kp_cancelled is checked while it
 * runs: the group then gets SIGTERM, and SIGKILL five seconds later. *status: the exit status,
 * 128+N for a signal. Returns -1 (kp_fail) when it could not start it or when it was cancelled. */
int ans_run(struct kp_ctx *ctx, const struct ans_strv *argv, const struct ans_strv *env, struct ans_tail *tail,
	    int *status);
/* Run argv and collect its standard output and error (for `--version`). 0 and *status, or -1 with
 * *error (malloc'ed) when it could not start. */
int ans_capture(const struct ans_strv *argv, char **output, int *status, char **error);

/* Is name an executable found on PATH (or a path to one)? */
bool ans_on_path(const char *name);

/* A new private directory ($TMPDIR or /tmp, 0700) for what one run writes; removed with
 * ans_remove_tree. NULL with errno on failure. */
char *ans_tempdir(const char *prefix);
void ans_remove_tree(const char *path);
/* Write text to path with mode (created or truncated). 0, or -1 with errno. */
int ans_write_file(const char *path, const char *text, unsigned mode);
/* A file's whole content (malloc'ed), or NULL with errno. */
char *ans_read_file(const char *path);
/* An absolute form of path (relative to the current directory: kiln's, where the plugin runs). */
char *ans_abs_path(const char *path);

/* prepare's checks on paths, skipping keys whose values are not known yet: 0, or -1 after
 * kp_config_error on that key. */
bool ans_unknown(struct kp_ctx *ctx, const char *key);
int ans_check_file(struct kp_ctx *ctx, const char *key, const char *path);
int ans_check_dir(struct kp_ctx *ctx, const char *key, const char *path);

extern const struct kp_provisioner ans_remote_provisioner;
extern const struct kp_provisioner ans_local_provisioner;

#endif
