/* kiln-plugin.h — write a kiln plugin in C.
 *
 * A kiln plugin is an executable named kiln-plugin-NAME that kiln starts as a child process and talks
 * to over a socket (docs/plugins.md is the protocol). This library speaks the protocol for you: you
 * describe your components in a `struct kp_plugin` and call kp_serve() from main(). It needs only the
 * C library; build with
 *
 *     cc -o kiln-plugin-hello hello.c $(pkg-config --cflags --libs kiln-plugin)
 *
 * A minimal provisioner:
 *
 *     #include <kiln-plugin.h>
 *
 *     static int hello_provision(struct kp_ctx *ctx, void *instance)
 *     {
 *             const char *who = kp_json_get_string(kp_config(ctx), "who", NULL); // the default is in the schema
 *             int status;
 *             char *cmd = kp_printf("echo hello, %s", who);   // quoting is yours: see kp_shell_quote
 *             int rc = kp_exec(ctx, cmd, NULL, NULL, &status);
 *             free(cmd);
 *             if (rc < 0)
 *                     return -1;                                // kiln's error is passed on
 *             return status == 0 ? 0 : kp_fail(ctx, "the command exited with status %d", status);
 *     }
 *
 *     static const struct kp_provisioner hello = {
 *             .schema = "{\"attributes\": [{\"name\": \"who\", \"type\": \"string\", \"default\": \"world\","
 *                       " \"description\": \"Whom to greet.\"}]}",
 *             .provision = hello_provision,
 *     };
 *     static const struct kp_plugin plugin = {
 *             .name = "hello", .version = "0.1.0",
 *             .provisioners = (const struct kp_provisioner *const[]){&hello, NULL},
 *     };
 *     int main(int argc, char **argv) { return kp_serve(&plugin, argc, argv); }
 *
 * Threads: call the kp_* functions that take a ctx from the thread that runs kp_serve (the one your
 * callbacks are called on). Functions returning int return 0 on success and -1 on failure. */
#ifndef KILN_PLUGIN_H
#define KILN_PLUGIN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The plugin protocol version this library speaks (docs/plugins.md, "Versions"). */
#define KP_PROTOCOL_MAJOR 1
#define KP_PROTOCOL_MINOR 0
#define KP_SDK_VERSION "1.0.0"

#if defined(__GNUC__)
#define KP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define KP_PRINTF(f, a)
#endif

/* ------------------------------------------------------------------------------------------------
 * JSON values: configurations, build values, data source results, artifact state */

enum kp_json_type { KP_JSON_NULL, KP_JSON_BOOL, KP_JSON_NUMBER, KP_JSON_STRING, KP_JSON_ARRAY, KP_JSON_OBJECT };

struct kp_json;

struct kp_json *kp_json_parse(const char *text, size_t len, char **error /* malloc'ed, may be NULL */);
char *kp_json_dump(const struct kp_json *v);          /* compact text; caller frees */
void kp_json_free(struct kp_json *v);
struct kp_json *kp_json_copy(const struct kp_json *v);

/* Builders: new values; kp_json_append and kp_json_set take ownership of v. */
struct kp_json *kp_json_null(void);
struct kp_json *kp_json_bool(bool b);
struct kp_json *kp_json_number(double n);
struct kp_json *kp_json_string(const char *s);        /* NULL gives null */
struct kp_json *kp_json_array(void);
struct kp_json *kp_json_object(void);
void kp_json_append(struct kp_json *array, struct kp_json *v);
void kp_json_set(struct kp_json *object, const char *key, struct kp_json *v);   /* replaces */

/* Readers: NULL, false, 0 or the default when v is NULL or of another type. */
enum kp_json_type kp_json_type(const struct kp_json *v);
size_t kp_json_len(const struct kp_json *v);                      /* array or object */
const struct kp_json *kp_json_at(const struct kp_json *array, size_t i);
const char *kp_json_key(const struct kp_json *object, size_t i);
const struct kp_json *kp_json_value_at(const struct kp_json *object, size_t i);
const struct kp_json *kp_json_get(const struct kp_json *object, const char *key);
const char *kp_json_as_string(const struct kp_json *v);
double kp_json_as_number(const struct kp_json *v, double def);
bool kp_json_as_bool(const struct kp_json *v, bool def);
/* The same on an object's member. */
const char *kp_json_get_string(const struct kp_json *object, const char *key, const char *def);
double kp_json_get_number(const struct kp_json *object, const char *key, double def);
int64_t kp_json_get_int(const struct kp_json *object, const char *key, int64_t def);
bool kp_json_get_bool(const struct kp_json *object, const char *key, bool def);

/* ------------------------------------------------------------------------------------------------
 * Artifacts: what builders and post-processors produce */

struct kp_artifact {
	char *builder_id;     /* "acme.hello": who made it */
	char *id;
	char *description;    /* what kiln prints at the end of the build */
	char **files;         /* paths */
	size_t nfiles;
	struct kp_json *state;   /* object of strings: "format", ... */
};

struct kp_artifact *kp_artifact_new(const char *builder_id, const char *id, const char *description);
void kp_artifact_add_file(struct kp_artifact *a, const char *path);
void kp_artifact_set(struct kp_artifact *a, const char *key, const char *value);
const char *kp_artifact_get(const struct kp_artifact *a, const char *key);
void kp_artifact_free(struct kp_artifact *a);

/* ------------------------------------------------------------------------------------------------
 * Components */

struct kp_ctx;   /* one call from kiln: its configuration, the build, kiln's services */

/* `name` is the component's name in the plugin: "" (or NULL) for the component named like the
 * plugin ("hello"), or a suffix: "local" in the plugin "hello" is used as "hello-local".
 * `schema` is the configuration's schema as JSON text, in the form docs/schema.md specifies: kiln
 * checks every block against it before calling you and fills in its defaults, so prepare only checks
 * what a schema cannot say.
 * `prepare` (optional) checks the configuration (kp_config(ctx)) and makes an instance; kiln calls
 * it during `kiln validate` too, where values not known yet are missing from the configuration and
 * listed by kp_unknown(ctx). `destroy` (optional) frees the instance. */

struct kp_provisioner {
	const char *name;
	const char *description;   /* one line: what it does */
	const char *schema;
	int (*prepare)(struct kp_ctx *ctx, void **instance);
	int (*provision)(struct kp_ctx *ctx, void *instance);
	void (*destroy)(void *instance);
};

struct kp_postprocessor {
	const char *name;
	const char *description;   /* one line: what it does */
	const char *schema;
	int (*prepare)(struct kp_ctx *ctx, void **instance);
	/* Read `in` (kp_artifact_open gives its files), make *out (a new artifact), or leave *out NULL to
	 * pass `in` on unchanged. *keep_input: keep the input artifact's files when the user did not set
	 * keep_input_artifact (default false). */
	int (*post_process)(struct kp_ctx *ctx, void *instance, const struct kp_artifact *in, struct kp_artifact **out,
			    bool *keep_input);
	void (*destroy)(void *instance);
};

struct kp_datasource {
	const char *name;
	const char *description;   /* one line: what it does */
	const char *schema;
	const char *output_type;   /* the result's HCL type: "object({greeting=string, count=number})" */
	int (*prepare)(struct kp_ctx *ctx, void **instance);
	int (*execute)(struct kp_ctx *ctx, void *instance, struct kp_json **value);
	void (*destroy)(void *instance);
};

struct kp_builder {
	const char *name;
	const char *description;   /* one line: what it does */
	const char *schema;
	const char *builder_id;
	int (*prepare)(struct kp_ctx *ctx, void **instance);
	int (*build)(struct kp_ctx *ctx, void *instance, struct kp_artifact **out);
	void (*destroy)(void *instance);
};

struct kp_plugin {
	const char *name;       /* the NAME of kiln-plugin-NAME */
	const char *version;    /* "1.2.0" */
	const struct kp_provisioner *const *provisioners;       /* NULL-terminated, or NULL */
	const struct kp_postprocessor *const *postprocessors;
	const struct kp_datasource *const *datasources;
	const struct kp_builder *const *builders;
};

/* Serve kiln until it closes the connection; returns the exit status for main(). Run by hand,
 * `kiln-plugin-NAME describe` prints the description and `--version` the version; anything else says
 * this is a kiln plugin. */
int kp_serve(const struct kp_plugin *plugin, int argc, char **argv);

/* ------------------------------------------------------------------------------------------------
 * The call: configuration, build, failure */

const struct kp_json *kp_config(struct kp_ctx *ctx);     /* the component's configuration object */
const struct kp_json *kp_unknown(struct kp_ctx *ctx);    /* array of keys not known yet (validate) */
/* A build value ("Host", "Port", "User", "SSHPrivateKey", "PackerHTTPAddr", ...) or NULL. Available
 * while a component runs (not in prepare). */
const char *kp_build_value(struct kp_ctx *ctx, const char *key);
const struct kp_json *kp_build(struct kp_ctx *ctx);      /* the whole "build" object (docs/plugins.md) */
const char *kp_build_name(struct kp_ctx *ctx);           /* "qemu.debian" */
const char *kp_template_dir(struct kp_ctx *ctx);         /* path.root (the plugin also runs there) */
const char *kp_http_address(struct kp_ctx *ctx);         /* the HTTP seed's "IP:port", or NULL */
bool kp_has_communicator(struct kp_ctx *ctx);

/* Fail the call with a message (returns -1: `return kp_fail(ctx, ...)`). */
int kp_fail(struct kp_ctx *ctx, const char *fmt, ...) KP_PRINTF(2, 3);
/* In prepare: the value of `attribute` is wrong; kiln points at it in the template (returns -1). */
int kp_config_error(struct kp_ctx *ctx, const char *attribute, const char *fmt, ...) KP_PRINTF(3, 4);
/* A hint for the user to go with the failure: what to do about it. */
void kp_hint(struct kp_ctx *ctx, const char *fmt, ...) KP_PRINTF(2, 3);
/* In prepare: a warning kiln prints before the step runs. */
void kp_warning(struct kp_ctx *ctx, const char *fmt, ...) KP_PRINTF(2, 3);
/* kiln's message for the last kp_* call that failed. */
const char *kp_last_error(struct kp_ctx *ctx);
/* Has kiln asked the plugin to stop (Ctrl-C, or the step's timeout)? Long work should look now and
 * then and return -1; kiln kills a plugin that has not answered some seconds after asking. */
bool kp_cancelled(struct kp_ctx *ctx);

/* ------------------------------------------------------------------------------------------------
 * Services: the UI and kiln's log */

void kp_say(struct kp_ctx *ctx, const char *fmt, ...) KP_PRINTF(2, 3);      /* "==> build: ..." */
void kp_message(struct kp_ctx *ctx, const char *fmt, ...) KP_PRINTF(2, 3);  /* "    build: ..." */
void kp_error(struct kp_ctx *ctx, const char *fmt, ...) KP_PRINTF(2, 3);
void kp_warn(struct kp_ctx *ctx, const char *fmt, ...) KP_PRINTF(2, 3);
void kp_log(struct kp_ctx *ctx, const char *fmt, ...) KP_PRINTF(2, 3);      /* KILN_LOG=1 */
/* A value kiln must mask in everything it prints and logs. */
void kp_secret(struct kp_ctx *ctx, const char *value);
/* A progress bar: kp_progress(ctx, "id", "uploading x", total, 0) starts it, later calls update
 * `done`, kp_progress_done ends it. total 0: unknown. */
void kp_progress(struct kp_ctx *ctx, const char *id, const char *label, uint64_t total, uint64_t done);
void kp_progress_done(struct kp_ctx *ctx, const char *id);

/* ------------------------------------------------------------------------------------------------
 * Services: the build's communicator (the machine being built) */

typedef void (*kp_line_fn)(void *arg, bool is_stderr, const char *line);

/* Run a shell command on the machine. on_line NULL: kiln prints the output as its shell provisioner
 * does; otherwise each line comes to on_line instead. *exit_status is the command's exit status, or -1
 * when the connection dropped (a reboot). */
int kp_exec(struct kp_ctx *ctx, const char *command, kp_line_fn on_line, void *arg, int *exit_status);
/* Upload a local file to remote (a directory there receives it under the file's name), with its mode. */
int kp_upload_file(struct kp_ctx *ctx, const char *local_path, const char *remote_path);
/* Upload bytes as a file with that mode. */
int kp_upload_data(struct kp_ctx *ctx, const void *data, size_t len, const char *remote_path, unsigned mode);
/* Upload an open file (a regular file) or directory under the given name. */
int kp_upload_fd(struct kp_ctx *ctx, int fd, const char *name, const char *remote_path);
/* Upload a directory, Packer's rule: "dir/" uploads its contents into remote, "dir" the directory
 * itself (remote/dir). */
int kp_upload_dir(struct kp_ctx *ctx, const char *local_dir, const char *remote_dir);
/* Download a file (local_path is created or truncated) or a directory tree (into local_dir, which is
 * created; "dir/" downloads the contents, "dir" the directory itself). */
int kp_download_file(struct kp_ctx *ctx, const char *remote_path, const char *local_path);
int kp_download_dir(struct kp_ctx *ctx, const char *remote_dir, const char *local_dir);
int kp_is_dir(struct kp_ctx *ctx, const char *remote_path, bool *is_dir);
/* Drop the connection and connect again (after a reboot), waiting up to timeout_ms. */
int kp_reconnect(struct kp_ctx *ctx, int64_t timeout_ms);

/* ------------------------------------------------------------------------------------------------
 * Services: the post-processor's input artifact */

/* A read-only descriptor for the input artifact's file i (the caller closes it), or -1. */
int kp_artifact_open(struct kp_ctx *ctx, size_t i);

/* ------------------------------------------------------------------------------------------------
 * Small helpers */

char *kp_printf(const char *fmt, ...) KP_PRINTF(1, 2);   /* malloc'ed; never NULL */
/* s quoted for a POSIX shell ('...'), malloc'ed. */
char *kp_shell_quote(const char *s);

#ifdef __cplusplus
}
#endif

#endif
