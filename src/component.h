/* component.h — the interface every builder, provisioner, post-processor and data source implements.
 *
 * Built-in components are `const struct` values listed in the registry table (src/registry.c); the
 * plugin host (src/plugin/adapter.c) turns each component of an external plugin, which speaks the
 * protocol of docs/plugins.md and never sees this header, into the same structs. A component never sees
 * HCL syntax: the engine decodes its block against the component's schema (unknown key, wrong type,
 * missing required are reported before anything runs) and hands it a struct kiln_config to read through
 * the accessors below.
 *
 * Versioning: this header is private to kiln and its module kiln-components.so, built from one tree.
 * KILN_COMPONENT_ABI numbers its layout; the module records the number it was built with and
 * src/registry.c refuses a module built with another, so a change to a struct here bumps it. */
#ifndef KILN_COMPONENT_H
#define KILN_COMPONENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/strv.h"

#define KILN_COMPONENT_ABI 4

struct ui;
struct hcl_value;

/* ------------------------------------------------------------------------------------------------
 * Configuration schema: the one place a component's configuration is defined. The template layer
 * validates a block against it before the component sees anything (unknown keys with a suggestion,
 * types, required keys, allowed values, ranges, durations, conflicts, unsupported keys), fills in the
 * defaults, and the accessors below read typed values from the result. Documentation (docs/ key
 * tables), `kiln describe-component` and the JSON form the plugin protocol sends (docs/schema.md) are
 * generated from it. */

enum kiln_attr_flags {
	KILN_ATTR_REQUIRED = 1 << 0,    /* must be set */
	KILN_ATTR_SENSITIVE = 1 << 1,   /* value is a secret: masked in every output */
	KILN_ATTR_BLOCK = 1 << 2,       /* a nested block `name { ... }` described by .block; with a
	                                   non-NULL .type an attribute of that type is accepted instead
	                                   (e.g. `sanitize = false` or `sanitize { ... }`) */
	KILN_ATTR_REPEATED = 1 << 3,    /* with KILN_ATTR_BLOCK: the block may appear several times */
	KILN_ATTR_DEPRECATED = 1 << 4,  /* accepted with a warning that quotes .doc */
	KILN_ATTR_TEMPLATE = 1 << 5,    /* string holds Go-template text ({{ .HTTPIP }}) expanded at run time */
	KILN_ATTR_IGNORED = 1 << 6,     /* accepted for Packer compatibility, has no effect (.doc says why) */
	KILN_ATTR_UNSUPPORTED = 1 << 7, /* Packer's key that kiln cannot honour: setting it to anything but an
	                                   empty value is an error whose text is .doc */
	KILN_ATTR_HOST_SIDE = 1 << 8,   /* builders: does not shape the machine provisioners see (output,
	                                   ports, timeouts, how to reach it): left out of checkpoint keys
	                                   (docs/checkpoints.md). Unflagged settings are hashed, so a
	                                   forgotten flag costs a cache miss, never a wrong reuse. */
};

struct kiln_schema;

/* Inclusive bounds of a number (or of each element of a list(number)). */
struct kiln_range {
	double min, max;
};

/* Shorthands for schema tables: .allowed = KILN_VALUES("a", "b"), .range = KILN_RANGE(1, 65535). */
#define KILN_VALUES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define KILN_RANGE(lo, hi) (&(const struct kiln_range){(lo), (hi)})

struct kiln_attr {
	const char *name;
	/* HCL type constraint: "string", "number", "bool", "list(string)", "map(string)",
	 * "list(list(string))", "any", or "duration" (a string holding a Go duration, "90s", "1h30m", or a
	 * number of seconds: checked when the template is read). NULL for a pure block. */
	const char *type;
	unsigned flags;                    /* enum kiln_attr_flags */
	/* A default that depends on other keys or on the build ("output-<source name>", "computed"), as
	 * documentation shows it; the component's derive-defaults function computes it. NULL when .def
	 * says it all. */
	const char *default_doc;
	const char *doc;                   /* one line: what it does */
	const struct kiln_schema *block;   /* KILN_ATTR_BLOCK: the nested block's schema */
	/* The default as JSON text ("\"5m\"", "512", "true", "[\"md5\"]"): what the accessors return when
	 * the key is unset, null, or set to its type's zero value: "", 0, an empty list or map (Packer's rule:
	 * Go's zero value means unset; false is not one, so a bool default of true can be turned off). */
	const char *def;
	const char *const *allowed;        /* NULL-terminated values a string (or each element of a
	                                      list(string)) may take; NULL: any */
	const struct kiln_range *range;    /* bounds of a number; NULL: any */
};

struct kiln_schema {
	const struct kiln_attr *attrs;     /* terminated by an entry with name == NULL */
	/* Keys that cannot be set together, as NULL-terminated groups: {"iso_url", "iso_urls", NULL}. The
	 * list of groups is terminated by a NULL group. */
	const char *const *const *conflicts;
};

/* ------------------------------------------------------------------------------------------------
 * Decoded configuration (implemented in src/template/config.c over HCL values)
 *
 * A config holds what the user set, validated against the schema, and every schema default. The
 * readers return the user's value, else the schema's default, else the type's zero value (NULL, false,
 * 0, an empty list). A value that is not known yet (it refers to build.* or a data source during
 * `validate`) reads as unset; check kiln_config_is_known() where that matters. Strings are owned by the
 * config.
 *
 * Asking for a key the schema does not have is a programming error: the process stops with a message
 * naming the component and the key (tests/unit/test-schema.c checks every component against its
 * schema). */

struct kiln_config;

bool kiln_config_has(const struct kiln_config *c, const char *name);        /* set by the user */
bool kiln_config_is_known(const struct kiln_config *c, const char *name);
const char *kiln_config_string(const struct kiln_config *c, const char *name);
bool kiln_config_bool(const struct kiln_config *c, const char *name);
int64_t kiln_config_int(const struct kiln_config *c, const char *name);
/* A "duration" key in milliseconds (checked when the template was read). */
int64_t kiln_config_duration_ms(const struct kiln_config *c, const char *name);
/* The schema's default of a key as text (NULL when it has none), for rules where a special value means
 * the default (Packer's disk_size = "0"). */
const char *kiln_config_default_string(const struct kiln_config *c, const char *name);
size_t kiln_config_list_len(const struct kiln_config *c, const char *name);
const char *kiln_config_list_string(const struct kiln_config *c, const char *name, size_t i);
/* list(string) as a strv (appended to out). */
void kiln_config_list_strv(const struct kiln_config *c, const char *name, struct strv *out);
/* list(list(string)): the i-th inner list (appended to out). */
void kiln_config_list_strv_at(const struct kiln_config *c, const char *name, size_t i, struct strv *out);
size_t kiln_config_map_len(const struct kiln_config *c, const char *name);
const char *kiln_config_map_key(const struct kiln_config *c, const char *name, size_t i);
const char *kiln_config_map_string(const struct kiln_config *c, const char *name, size_t i);
size_t kiln_config_block_count(const struct kiln_config *c, const char *name);
const struct kiln_config *kiln_config_block(const struct kiln_config *c, const char *name, size_t i);
/* Fail with a message located at the attribute (file:line:col), e.g. for conflicting or invalid values.
 * Returns -1. */
int kiln_config_error(const struct kiln_config *c, const char *name, struct kiln_error *err,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* "source.qemu.debian" style label of the block, for messages. */
const char *kiln_config_label(const struct kiln_config *c);
/* The schema the configuration was decoded against (a plugin's components find themselves by it). */
const struct kiln_schema *kiln_config_schema(const struct kiln_config *c);
/* The configuration as the plugin protocol sends it (docs/plugins.md, "Prepare"): JSON text of an
 * object holding every key that is set or has a default (the user's value, else the default; blocks
 * as objects, repeated ones as arrays of objects). Keys whose value is not known yet are left out and
 * named in unknown ("key", "block.key", "block[1].key"). Caller frees. */
char *kiln_config_json(const struct kiln_config *c, struct strv *unknown);

/* ------------------------------------------------------------------------------------------------
 * Artifacts */

struct kiln_kv {
	char *key;
	char *value;
};

struct kiln_artifact {
	char *builder_id;        /* Packer-compatible id: "transcend.qemu", "packer.post-processor.checksum" */
	char *id;                /* e.g. the VM name */
	char *description;       /* what `kiln build` prints at the end: "VM files in directory: output" */
	struct strv files;       /* every file that makes up the artifact */
	struct kiln_kv *state;   /* data for later post-processors: "format", "accelerator", ... */
	size_t nstate, capstate;
};

struct kiln_artifact *kiln_artifact_new(const char *builder_id, const char *id, const char *description);
void kiln_artifact_add_file(struct kiln_artifact *a, const char *path);
void kiln_artifact_set(struct kiln_artifact *a, const char *key, const char *value);
const char *kiln_artifact_get(const struct kiln_artifact *a, const char *key);
/* The artifact's files moved from directory `from` to `to`: its file list and every state value naming a
 * path in `from` follow. */
void kiln_artifact_rebase(struct kiln_artifact *a, const char *from, const char *to);
/* Remove the artifact's files from disk (keep_input_artifact = false). */
int kiln_artifact_destroy_files(struct kiln_artifact *a, struct kiln_error *err);
void kiln_artifact_free(struct kiln_artifact *a);

/* ------------------------------------------------------------------------------------------------
 * Communicator: how provisioners reach the machine being built */

#define KILN_EXIT_DISCONNECTED (-1)  /* exit status when the connection dropped mid-command */

typedef void (*kiln_line_fn)(void *arg, bool is_stderr, const char *line);

struct kiln_comm;

struct kiln_comm_ops {
	/* Run a shell command; stream output lines; *exit_status gets its exit code, or
	 * KILN_EXIT_DISCONNECTED when the connection dropped (a reboot) — not an error. */
	int (*exec)(struct kiln_comm *c, const char *command, kiln_line_fn on_line, void *arg,
		    int *exit_status, struct kiln_error *err);
	int (*upload_file)(struct kiln_comm *c, const char *local_path, const char *remote_path, struct kiln_error *err);
	int (*upload_data)(struct kiln_comm *c, const void *data, size_t len, const char *remote_path,
			   unsigned mode, struct kiln_error *err);
	/* Packer's rule: local "dir/" uploads the contents, "dir" uploads the directory itself. */
	int (*upload_dir)(struct kiln_comm *c, const char *local_dir, const char *remote_dir, struct kiln_error *err);
	int (*download_file)(struct kiln_comm *c, const char *remote_path, const char *local_path, struct kiln_error *err);
	int (*download_dir)(struct kiln_comm *c, const char *remote_dir, const char *local_dir, struct kiln_error *err);
	/* Drop the connection and connect again, waiting up to timeout_ms (after expect_disconnect). */
	int (*reconnect)(struct kiln_comm *c, int64_t timeout_ms, struct kiln_error *err);
	/* Is the remote path a directory? (file provisioner download) */
	int (*is_dir)(struct kiln_comm *c, const char *remote_path, bool *is_dir, struct kiln_error *err);
	/* The machine's host key the communicator pinned at its first connection, as known_hosts writes a
	 * key ("ssh-ed25519 AAAA..."), for tools that connect to the machine themselves; NULL when unknown.
	 * May be NULL (a communicator without host keys). */
	const char *(*host_key)(struct kiln_comm *c);
};

struct kiln_comm {
	const struct kiln_comm_ops *ops;
	void *impl;
	const char *type;  /* "ssh" */
};

/* ------------------------------------------------------------------------------------------------
 * Run context: what the engine gives a component while it runs */

enum kiln_on_error { KILN_ON_ERROR_CLEANUP = 0, KILN_ON_ERROR_ABORT, KILN_ON_ERROR_ASK, KILN_ON_ERROR_RUN_CLEANUP_PROVISIONER };

/* A hypervisor host of the build pool (-hosts, KILN_HOSTS, the kiln configuration file: docs/hosts.md).
 * The engine places each build on one and hands it to the builder in ctx->host. */
struct kiln_host {
	const char *name;              /* what the UI shows: "rack1", or derived from the URI */
	const char *uri;               /* libvirt URI: "qemu+ssh://builder@rack1/system" */
	int max_builds;                /* builds at once; 0: the host's CPU count */
	uint64_t reserve_memory;       /* bytes to leave free on the host */
	const char *storage_pool;      /* libvirt storage pool for volumes; NULL: the template's libvirt_pool */
	uint64_t cache_size;           /* limit of the cached base images on the host (bytes); 0: no limit */
};

/* The cache_size of a host nobody configured (a template's own libvirt_uri, -hosts=URI). */
#define KILN_HOST_DEFAULT_CACHE_SIZE (20ULL << 30)

struct kiln_ctx;

/* Checkpoints (docs/checkpoints.md): what a builder that can keep its machine's state tells the engine,
 * and what the engine gives back. The engine decides when and under which key; the builder saves and
 * restores. */
struct kiln_checkpoint_start {
	const char *base_path;          /* the local file the machine's first disk starts from, or NULL */
	const char *base_digest;        /* its content: "sha256:<hex>" (required with base_path) */
	const char *identity;           /* builder-specific facts that shape the guest and are not in its
	                                   configuration (e.g. the public key cloud-init installs), or NULL */
	const char *const *inputs;      /* local files and directories the boot reads (NULL-terminated) */
	const char *why_not;            /* non-NULL: this build cannot be checkpointed, and why */
	/* Save the running machine into dir (empty, on the store's file system; final_dir is where it
	 * will live once committed, for paths that must point at it). with_memory: the engine allows the
	 * memory state; *memory_saved tells whether it was kept. */
	int (*save)(void *arg, const char *dir, const char *final_dir, bool with_memory, bool *memory_saved,
		    struct kiln_error *err);
	void *save_arg;
	/* Non-NULL: save also works once the machine has powered off cleanly after the last provisioner
	 * (disk only, the machine's final disk), and this text says what the power-off does to the disk
	 * (the shutdown command). The checkpoint after the last provisioner is then that one, taken when the
	 * builder calls ops->checkpoint_machine_off: nothing runs in the guest after the last provisioner,
	 * so its memory would never be used. Its key adds this text to the last provisioner's; a build
	 * that finds it covers every provisioner (kiln_checkpoint.whole) and needs no machine at all. */
	const char *offline_identity;
};

struct kiln_checkpoint {            /* a stored checkpoint a build starts from */
	const char *dir;                /* its directory in the store (read only) */
	size_t after;                   /* provisioners it covers (0: taken after boot) */
	bool memory;                    /* it holds the machine's memory state */
	bool whole;                     /* taken with the machine off after the last provisioner (see
	                                   offline_identity): its disk is final, no machine needs to run */
};

struct kiln_ctx_ops {
	/* Builders call this once the communicator is up: runs the build's provisioners through comm. */
	int (*provision)(struct kiln_ctx *ctx, struct kiln_comm *comm, struct kiln_error *err);
	/* -debug: wait for the user before the named step; returns -1 when cancelled. */
	int (*pause)(struct kiln_ctx *ctx, const char *step_name);
	/* Checkpoints, when ctx->checkpoints: the builder calls this once, before it makes its disks.
	 * *restore: the checkpoint to start from (NULL: boot as usual); base_link: the path the first
	 * disk layer must name as its backing file (instead of base_path); work_dir: a directory on the
	 * store's file system for the builder's working disks, removed after the build. */
	int (*checkpoint_begin)(struct kiln_ctx *ctx, const struct kiln_checkpoint_start *start,
				const struct kiln_checkpoint **restore, const char **base_link, const char **work_dir,
				struct kiln_error *err);
	/* Checkpoints: the machine is off after provisioning (clean: it powered off by itself; false: it
	 * was forced off). With start->offline_identity and clean, the engine takes the checkpoint it
	 * deferred (calling save with the machine off). Every checkpoint is committed when this returns:
	 * the final_dir paths save named exist from here on, for steps that open the disks by path. */
	void (*checkpoint_machine_off)(struct kiln_ctx *ctx, bool clean);
};

struct kiln_ctx {
	struct ui *ui;                 /* prefixed with the build's name */
	const char *build_name;        /* "qemu.debian" */
	const char *builder_type;      /* "qemu" */
	const char *source_name;       /* "debian" */
	const char *template_dir;      /* path.root: relative paths in the config are relative to it */
	bool debug;                    /* -debug */
	bool force;                    /* -force */
	enum kiln_on_error on_error;
	const struct kiln_ctx_ops *ops;
	struct strv build_data;        /* build.* / Go-template values as "Key=Value" entries */
	void *engine;                  /* the engine's own state */
	bool checkpoints;              /* -resume/-cache: call ops->checkpoint_begin (docs/checkpoints.md) */
	/* The pool host the engine placed this build on (the builder connects there instead of its own
	 * default), or NULL when there is no pool or the builder does not take placements. */
	const struct kiln_host *host;
};

/* build.* values (Host, Port, User, SSHPublicKey, PackerHTTPAddr, ...); components set, templates read. */
void kiln_ctx_set(struct kiln_ctx *ctx, const char *key, const char *value);
const char *kiln_ctx_get(const struct kiln_ctx *ctx, const char *key);
/* Expand Go-template text ({{ .HTTPIP }}, {{ .Name }}, {{ build `Host` }}) against the ctx values and
 * `extra` ("Key=Value" entries, may be NULL). Unknown names are an error naming the key. */
int kiln_ctx_expand(const struct kiln_ctx *ctx, const char *text, char *const *extra, char **out,
		    struct kiln_error *err);

/* ------------------------------------------------------------------------------------------------
 * The four component kinds */

/* What a build needs from a host, for the engine's scheduler (kiln_builder.placement). */
struct kiln_placement {
	int cpus;
	uint64_t memory;               /* bytes */
	const char *pinned_uri;        /* the template names its host (libvirt_uri): the build runs there
	                                  (on the pool host of that URI, if any); NULL: any pool host */
};

/* What a host reports (kiln_host_ops.probe). */
struct kiln_host_info {
	int cpus;
	uint64_t memory;               /* total, bytes */
	uint64_t free_memory;          /* bytes */
	int other_builds;              /* builds running there that this process did not start (another kiln's) */
	uint64_t other_memory;         /* their memory */
	char *version;                 /* hypervisor and libvirt versions, for `kiln hosts` (owned) */
	bool local;                    /* the host sees this machine's files: builds there upload nothing */
};

enum kiln_host_clean {
	KILN_HOST_CLEAN_LEFTOVERS = 1 << 0,  /* what this process's builds could not remove while the host was gone */
	KILN_HOST_CLEAN_STRAYS = 1 << 1,     /* domains and temporary volumes of kiln processes of this machine that are gone */
	KILN_HOST_CLEAN_CACHE = 1 << 2,      /* the cached base images (not in use) */
};

/* How the engine and `kiln hosts` talk to the hosts of a builder that can run on a pool. */
struct kiln_host_ops {
	int (*open)(const struct kiln_host *h, void **conn, struct kiln_error *err);
	void (*close)(void *conn);
	/* Is the connection still up? */
	bool (*alive)(void *conn);
	int (*probe)(void *conn, struct kiln_host_info *info, struct kiln_error *err);
	/* Remove what `what` (enum kiln_host_clean) selects; one line per thing removed is appended to
	 * removed ("domain kiln-x-1234", "volume kiln-x-1234-disk"). */
	int (*clean)(void *conn, unsigned what, struct strv *removed, struct kiln_error *err);
	/* Does this process still have leftovers recorded for the host (a build lost it)? Appended to names. */
	bool (*leftovers)(const struct kiln_host *h, struct strv *names);
	/* The cached base images kept there: how many, their size (`kiln hosts`). */
	int (*cache_usage)(void *conn, size_t *images, uint64_t *bytes, struct kiln_error *err);
};

struct kiln_builder {
	const char *type;               /* "qemu" */
	const char *builder_id;         /* Packer's artifact builder id */
	const char *doc;                /* one line */
	const struct kiln_schema *schema;
	/* Check the configuration and build an instance. warnings may be appended to. */
	int (*prepare)(const struct kiln_config *cfg, void **instance, struct strv *warnings, struct kiln_error *err);
	/* Build. Steps clean up after themselves in reverse order on failure or cancellation, honouring
	 * ctx->on_error. On success *artifact is set. */
	int (*run)(void *instance, struct kiln_ctx *ctx, struct kiln_artifact **artifact, struct kiln_error *err);
	void (*destroy)(void *instance);
	/* Optional: builders that run on hypervisor hosts say what a build needs (the engine schedules
	 * it on the pool, ctx->host) and how to talk to a host. A failure with ERR_HOST_LOST (the host
	 * went away during the build) is retried once on another host. */
	int (*placement)(void *instance, struct kiln_placement *p);
	const struct kiln_host_ops *host_ops;
};

void kiln_host_info_free(struct kiln_host_info *info);

struct kiln_provisioner {
	const char *type;               /* "shell" */
	const char *doc;
	const struct kiln_schema *schema;
	int (*prepare)(const struct kiln_config *cfg, void **instance, struct strv *warnings, struct kiln_error *err);
	/* comm is NULL for provisioners that run locally with builders that have no communicator. */
	int (*provision)(void *instance, struct kiln_ctx *ctx, struct kiln_comm *comm, struct kiln_error *err);
	void (*destroy)(void *instance);
	/* Checkpoints (docs/checkpoints.md), optional: the local files and directories the provisioner
	 * will read (appended to inputs, as it resolves them), or *why_not set to a static sentence when
	 * what it does cannot be cached ("it runs on this machine"). A provisioner without this method
	 * cannot be cached. Called on a prepared instance, before anything runs. */
	int (*checkpoint_inputs)(void *instance, struct strv *inputs, const char **why_not);
};

struct kiln_postprocessor {
	const char *type;               /* "checksum" */
	const char *doc;
	const struct kiln_schema *schema;
	int (*prepare)(const struct kiln_config *cfg, void **instance, struct strv *warnings, struct kiln_error *err);
	/* Produce *out from in (*out may be `in` itself when the post-processor only adds files beside it,
	 * like manifest). *keep_input: the post-processor's default for keeping the input artifact, used
	 * when the user did not set keep_input_artifact (checksum and manifest keep it; compress does not). */
	int (*run)(void *instance, struct kiln_ctx *ctx, struct kiln_artifact *in, struct kiln_artifact **out,
		   bool *keep_input, struct kiln_error *err);
	void (*destroy)(void *instance);
};

struct kiln_datasource {
	const char *type;
	const char *doc;
	const struct kiln_schema *schema;
	/* The HCL type of the result, as a type-constraint string: "object({id=string})". */
	const char *output_type;
	int (*execute)(const struct kiln_config *cfg, struct kiln_ctx *ctx, struct hcl_value **out, struct kiln_error *err);
};

/* ------------------------------------------------------------------------------------------------
 * Registry (src/registry.c): the table of built-in components */

const struct kiln_builder *kiln_find_builder(const char *type);
const struct kiln_provisioner *kiln_find_provisioner(const char *type);
const struct kiln_postprocessor *kiln_find_postprocessor(const char *type);
const struct kiln_datasource *kiln_find_datasource(const char *type);
/* What every kind of component has in common, for tools that describe components (describe-component,
 * docs, tests). kind: "builder", "provisioner", "post-processor", "data". */
struct kiln_component_info {
	const char *kind;
	const char *type;
	const char *doc;
	const char *builder_id;              /* builders only, else NULL */
	const struct kiln_schema *schema;
};
bool kiln_find_component(const char *kind, const char *type, struct kiln_component_info *out);
/* The component kinds in the order kiln lists them, NULL-terminated. */
extern const char *const kiln_component_kinds[];
/* Names of all registered components of a kind ("builder", "provisioner", "post-processor",
 * "data"), sorted, appended to out. */
void kiln_component_names(const char *kind, struct strv *out);

#endif
