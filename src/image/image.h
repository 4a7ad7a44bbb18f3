/* image.h — what kiln does to a finished disk once the guest has shut down: sanitize it in place with
 * libguestfs (one appliance launch for OS inspection, every operation and the trim of free space),
 * inspect it, and export it in the formats the next system imports (qcow2, raw, VMDK, VHDX, VHD, OVA,
 * Vagrant box). The qemu builder calls, after shutdown:
 *
 *     img_sanitize(disk, "qcow2", &sanitize_opts, &facts, accel, ui, &report, err);   (unless disabled)
 *     img_export(disk, "qcow2", &export_opts, output_directory, vm_name, ui, &exported, err);
 *
 * and records the report and what was exported in its artifact: this module returns what it found and
 * made, it never writes into the engine's structures.
 *
 * Options come from the builder's configuration through the schema fragments IMG_SANITIZE_ATTR and
 * IMG_EXPORT_ATTR (include them in the builder's attribute table) and their decoders; every name is
 * checked there, before any guest boots. */
#ifndef KILN_IMAGE_IMAGE_H
#define KILN_IMAGE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "component.h"
#include "util/error.h"
#include "util/strv.h"

struct ui;

/* ------------------------------------------------------------------------------------------------
 * Accelerator of the libguestfs appliance */

enum img_accel {
	IMG_ACCEL_AUTO = 0,  /* libguestfs' choice (KVM when /dev/kvm exists), or LIBGUESTFS_BACKEND_SETTINGS */
	IMG_ACCEL_KVM,
	IMG_ACCEL_TCG,       /* backend setting force_tcg: slower, but never hangs on a broken KVM */
};

/* "kvm", "tcg", "auto" (also NULL or ""). The qemu builder passes what its build settled on (the
 * artifact state "accelerator"). */
int img_accel_parse(const char *s, enum img_accel *out, struct kiln_error *err);
const char *img_accel_name(enum img_accel a);

/* ------------------------------------------------------------------------------------------------
 * Sanitize */

/* The operations kiln knows, named like virt-sysprep's (see docs/sanitize.md). */
struct img_operation_info {
	const char *name;
	const char *doc;
	bool is_default;
};
/* The i-th operation in run order, NULL past the end. */
const struct img_operation_info *img_sanitize_operation(size_t i);

struct img_sanitize_opts {
	bool enabled;                  /* false: `sanitize = false` */
	struct strv operations;        /* the selected operation names, in the table's order */
	struct strv keep_user_accounts;/* never removed by build-user / user-account */
	bool trim;                     /* discard free space (fstrim) after the operations */
	bool list_packages;            /* collect the installed packages (the manifest's SBOM) */
};

/* What the build knows when it sanitizes: facts of this run, not settings (the builder fills them
 * just before img_sanitize; none of them is owned here). */
struct img_sanitize_facts {
	const char *build_user;        /* the SSH user the build logged in as, or NULL */
	bool build_user_created;       /* kiln created that account (cloud-init user-data): remove it */
	const char *build_pubkey;      /* the temporary public key line kiln made: removed from authorized_keys */
	const char *inspect_cache;     /* a directory to remember OS inspections in (img_inspect_cache_default_dir),
					* so a rebuild of the same OS skips guestfs_inspect_os; NULL: inspect always */
};
/* The inspection cache, below the user's cache directory (xdg_cache_path); `kiln cache clear` empties it. */
#define IMG_INSPECT_CACHE_SUBDIR "kiln/inspect"
/* $XDG_CACHE_HOME/kiln/inspect (else ~/.cache/kiln/inspect). Caller frees. */
char *img_inspect_cache_default_dir(void);

/* enabled, the default operations, trim, list_packages. */
void img_sanitize_opts_init(struct img_sanitize_opts *o);
void img_sanitize_opts_free(struct img_sanitize_opts *o);
/* Select operations: `operations` entries are operation names, "defaults" (the default set) or "all";
 * NULL means {"defaults"}. Names in `exclude` are then removed. Unknown names are ERR_INVALID naming
 * the known ones. */
int img_sanitize_opts_select(struct img_sanitize_opts *o, char *const *operations, char *const *exclude,
			     struct kiln_error *err);
bool img_sanitize_opts_has(const struct img_sanitize_opts *o, const char *operation);

/* The `sanitize` attribute for the qemu builder's schema: `sanitize = false` or
 *     sanitize {
 *       operations         = ["defaults", "user-account"]
 *       exclude            = ["logfiles"]
 *       keep_user_accounts = ["vagrant"]
 *       trim               = true
 *     }                                                                                         */
extern const struct kiln_schema img_sanitize_schema;
#define IMG_SANITIZE_ATTR                                                                         \
	{.name = "sanitize", .type = "bool", .flags = KILN_ATTR_BLOCK | KILN_ATTR_HOST_SIDE, .def = "true",                    \
	 .doc = "clean the disk after shutdown (machine-id, host keys, logs, temporary key, ...) with "     \
		"libguestfs; false to skip",                                                           \
	 .block = &img_sanitize_schema}
/* Decode the builder block's `sanitize` (unset: defaults). Errors are located at the attribute. */
int img_sanitize_opts_from_config(const struct kiln_config *builder_cfg, struct img_sanitize_opts *out,
				  struct kiln_error *err);

/* What one operation changed. */
struct img_op_result {
	const char *name;      /* static: the operation's name */
	unsigned removed;      /* files or directories deleted */
	unsigned emptied;      /* files truncated to zero length */
	unsigned edited;       /* lines or entries removed from files */
	const char *note;      /* static: why an operation held back ("kept: ..."), or NULL */
};

struct img_package {
	char *name;
	char *version;
	char *release;
	char *arch;
	int epoch;
};

/* What libguestfs inspection knows of the guest OS. Strings are "" when unknown. */
struct img_os {
	char *root;            /* "/dev/sda1" */
	char *type;            /* linux, windows, ... */
	char *distro;          /* "debian", "ubuntu", "fedora" */
	char *product_name;    /* "Debian GNU/Linux 12 (bookworm)" */
	char *version;         /* "12.7" (major.minor) */
	char *hostname;
	char *arch;
	char *package_format;  /* "deb", "rpm" */
	char *osinfo;          /* libosinfo short id, "debian12" */
	struct strv kernels;   /* kernel versions found in /boot */
	struct img_package *packages;
	size_t npackages;
	bool packages_listed;
};

struct img_sanitize_report {
	struct img_op_result *ops;   /* one per selected operation, in order */
	size_t nops;
	unsigned trimmed;            /* filesystems trimmed (and swap areas discarded) */
	struct img_os os;
	bool has_os;
	int64_t elapsed_ms;
};

/* Sanitize `disk` in place: launch the appliance with the accelerator given, inspect the OS, mount its
 * filesystems, run the selected operations, trim, and shut the appliance down cleanly. The report gets
 * per-operation counts (also shown through ui, which may be NULL) and the OS inspection. A disk with
 * no recognisable Linux OS is an error (ERR_INVALID) and is left unchanged. */
int img_sanitize(const char *disk, const char *format, const struct img_sanitize_opts *opts,
		 const struct img_sanitize_facts *facts, enum img_accel accel, struct ui *ui,
		 struct img_sanitize_report *report, struct kiln_error *err);
void img_sanitize_report_free(struct img_sanitize_report *r);
/* {"operations":{"machine-id":{"removed":0,"emptied":1,"edited":0},...},"trimmed":2,"elapsed_ms":..} */
char *img_sanitize_report_json(const struct img_sanitize_report *r);
/* {"type":"linux","distro":"debian",...,"kernels":[...],"packages":[{"name":..,"version":..}]} */
char *img_os_json(const struct img_os *os);
void img_os_free(struct img_os *os);
/* One line per operation for the UI: "machine-id: 1 emptied", "logfiles: 12 emptied, 3 removed". */
char *img_op_result_summary(const struct img_op_result *r);

/* ------------------------------------------------------------------------------------------------
 * Inspect (kiln inspect-image, the manifest post-processor) */

struct img_info {
	char *format;              /* "qcow2", "raw", "vmdk", "vhdx", "vpc" */
	char *subformat;           /* "streamOptimized", "fixed", "" */
	char *compression;         /* qcow2 compression type, "" otherwise */
	uint64_t virtual_size;
	uint64_t actual_size;      /* bytes allocated on the host */
	char *backing_file;        /* "" when none */
};

/* Only the disk format and sizes (qemu-img info; no appliance). `format` NULL probes (a fixed VHD
 * probes as raw: pass "vpc"). */
int img_info_read(const char *path, const char *format, struct img_info *out, struct kiln_error *err);
void img_info_free(struct img_info *i);

/* How many bytes converting path (format; NULL probes) to out_format can write (`qemu-img measure`:
 * its data through the whole backing chain, and the format's metadata). Formats qemu-img cannot
 * measure get the qcow2 figure (their data, uncompressed). */
int img_measure(const char *path, const char *format, const char *out_format, uint64_t *bytes,
		struct kiln_error *err);

/* ------------------------------------------------------------------------------------------------
 * Space on the file system an image goes to (src/image/space.c) */

/* Before writing up to `needed` bytes of `what` ("the export") into dir: ERR_IO with errno ENOSPC,
 * naming the mount point, what it can need and what is free, when its file system has less free.
 * advice: what else the user can do ("set output_directory to a larger file system"), or NULL. */
int img_space_check(const char *dir, uint64_t needed, const char *what, const char *advice, struct kiln_error *err);
/* Is there certainly room for `needed` bytes in dir? false also when the free space cannot be read. */
bool img_space_ample(const char *dir, uint64_t needed);
/* If it does, say where: the cause becomes "no space left on <mount point of path> (<what said so>)"
 * and the hint how much is free there and what to do (advice as above). Otherwise nothing. */
void img_err_nospace(struct kiln_error *err, const char *path, const char *advice);

/* How sanitized the guest looks. */
struct img_sanity {
	unsigned ssh_host_keys;       /* /etc/ssh/ssh_host_* */
	bool machine_id_present;      /* /etc/machine-id exists */
	uint64_t machine_id_size;     /* 0 = empty: regenerated at first boot */
	bool cloud_instances;         /* /var/lib/cloud/instances exists */
	unsigned nonempty_logs;       /* regular files under /var/log with data */
	unsigned authorized_keys;     /* keys in the authorized_keys of root and of every home */
	unsigned bash_histories;      /* non-empty .bash_history files */
	bool looks_sanitized;
};

/* Read-only appliance launch: OS inspection (with the package list when asked) and the sanity checks.
 * No OS found is not an error: *has_os is false. */
int img_inspect_os(const char *disk, const char *format, enum img_accel accel, bool list_packages,
		   struct img_os *os, bool *has_os, struct img_sanity *sanity, struct kiln_error *err);

/* ------------------------------------------------------------------------------------------------
 * Export */

enum img_format {
	IMG_FORMAT_QCOW2 = 0,
	IMG_FORMAT_RAW,
	IMG_FORMAT_VMDK,     /* streamOptimized */
	IMG_FORMAT_VHDX,
	IMG_FORMAT_VPC,      /* fixed VHD, virtual size rounded up to 1 MiB (Azure) */
	IMG_FORMAT_OVA,      /* OVF descriptor + streamOptimized VMDK + SHA256 manifest, in a tar */
	IMG_FORMAT_VAGRANT,  /* libvirt provider box: box.img, metadata.json, Vagrantfile in a tar.gz */
	IMG_FORMAT_GCE,      /* Compute Engine: disk.raw (whole GiB, GNU sparse) in NAME.tar.gz */
	IMG_FORMAT_COUNT
};

int img_format_parse(const char *name, enum img_format *out, struct kiln_error *err);
const char *img_format_name(enum img_format f);       /* "qcow2", ..., "vagrant" */
/* "qcow2", "raw", "vmdk", "vhdx", "vhd", "ova", "box", "tar.gz" */
const char *img_format_extension(enum img_format f);

enum img_compression { IMG_COMPRESS_NONE = 0, IMG_COMPRESS_ZLIB, IMG_COMPRESS_ZSTD };
int img_compression_parse(const char *name, enum img_compression *out, struct kiln_error *err);

struct img_export_opts {
	enum img_format formats[IMG_FORMAT_COUNT];   /* in order, no duplicates */
	size_t nformats;
	enum img_compression compression;  /* qcow2 clusters (and the Vagrant box's image) */
	int cpus;                          /* the OVA's virtual hardware */
	int memory_mb;
	char *os_distro;                   /* OVF operating system id ("debian"), NULL: generic Linux */
	bool force;                        /* replace outputs that already exist */
};

/* qcow2, no compression, 1 CPU, 1024 MiB. */
void img_export_opts_init(struct img_export_opts *o);
void img_export_opts_free(struct img_export_opts *o);
/* Append a format by name; unknown names (ERR_INVALID) list the known ones; duplicates are ignored. */
int img_export_opts_add(struct img_export_opts *o, const char *name, struct kiln_error *err);

/* The `export` block for the qemu builder's schema:
 *     export {
 *       formats     = ["qcow2", "vmdk", "ova", "vagrant"]
 *       compression = "zstd"     # qcow2: "none", "zlib", "zstd"
 *     }
 * Packer's `format` ("qcow2"/"raw") and `disk_compression` map onto the same options; the builder
 * passes them as defaults to the decoder. */
extern const struct kiln_schema img_export_schema;
#define IMG_EXPORT_ATTR                                                                            \
	{.name = "export", .flags = KILN_ATTR_BLOCK | KILN_ATTR_HOST_SIDE, .doc = "output formats of the finished disk", \
	 .block = &img_export_schema}
/* Decode `export` from the builder block; `default_format` and `default_compression` are Packer's
 * `format` / `disk_compression` (used when the block does not say). */
int img_export_opts_from_config(const struct kiln_config *builder_cfg, const char *default_format,
				bool default_compression, struct img_export_opts *out, struct kiln_error *err);

/* Where img_export writes format f: a lone qcow2 or raw output is `outdir/name` exactly (Packer's
 * vm_name); otherwise `outdir/<name without a disk extension>.<extension>`. Caller frees. */
char *img_export_path(const struct img_export_opts *o, const char *outdir, const char *name, enum img_format f);

/* Convert `disk` into every selected format under outdir (which must exist). Each output is written to
 * a temporary name beside its final one and renamed when complete; on failure or cancellation nothing
 * is left under a final name and no temporary file remains. The disk may itself be the qcow2 output's
 * path (it is replaced). out (may be NULL) gets what was made, for the builder to record in its
 * artifact; after a failure it means nothing (free it all the same). */
struct img_export_result {
	struct strv files;             /* each output's path, in the order they were made */
	struct strv formats;           /* their format names ("qcow2", "ova"), in the same order */
	uint64_t virtual_size;         /* the disk's (a qcow2 or raw output's too), from qemu-img info */
};
int img_export(const char *disk, const char *disk_format, const struct img_export_opts *opts,
	       const char *outdir, const char *name, struct ui *ui, struct img_export_result *out,
	       struct kiln_error *err);
void img_export_result_free(struct img_export_result *r);

/* Convert `disk` into one file of format f at dst (any format, the packaged ones too), for a
 * post-processor that needs a format the build did not export (amazon-import). Intermediate files go to
 * a work directory beside dst. On failure or Ctrl-C nothing is left at dst. */
int img_export_file(const char *disk, const char *disk_format, enum img_format f, const char *dst, struct ui *ui,
		    struct kiln_error *err);

/* What `kiln inspect-image` calls, as one table: the CLI reaches it through the components module
 * (src/registry.h), so that kiln itself does not link libguestfs. */
struct img_api {
	int (*accel_parse)(const char *s, enum img_accel *out, struct kiln_error *err);
	const char *(*accel_name)(enum img_accel a);
	int (*info_read)(const char *path, const char *format, struct img_info *out, struct kiln_error *err);
	void (*info_free)(struct img_info *i);
	int (*inspect_os)(const char *disk, const char *format, enum img_accel accel, bool list_packages,
			  struct img_os *os, bool *has_os, struct img_sanity *sanity, struct kiln_error *err);
	char *(*os_json)(const struct img_os *os);
	void (*os_free)(struct img_os *os);
};

#endif
