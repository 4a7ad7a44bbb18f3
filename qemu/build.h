/* build.h — the state one qemu build carries through its steps (qemu/step_*.c), and the step functions.
 * Internal to qemu/. */
#ifndef KILN_QEMU_BUILD_H
#define KILN_QEMU_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "component.h"
#include "engine/steps.h"
#include "qemu/accel.h"
#include "qemu/builder_config.h"
#include "qemu/download.h"
#include "qemu/ports.h"
#include "util/strv.h"

#include "comm/ssh.h"
#include "image/image.h"

/* The label of the CD that carries http_directory/http_content to a VM on a remote host. */
#define QEMU_HTTP_CD_LABEL "http"

struct qemu_virt;
struct qemu_vm;
struct qemu_serial;
struct seed_server;
struct dirlock;
struct qemu_ckpt;

struct qemu_instance {
	struct qemu_config cfg;          /* with the communicator's keys (cfg.ssh) */
	struct img_sanitize_opts sanitize;
	struct img_export_opts export;
	bool output_dir_set;             /* the template named output_directory (the artifact says it as given) */
	bool libvirt_uri_set;            /* the template pins its host */
	bool ssh_timeout_scaled;         /* the default ssh_timeout was tripled for TCG */
};

extern const struct kiln_builder qemu_builder;   /* builder.c: the type, Packer's builder id */

struct qemu_build {
	struct qemu_instance *inst;
	struct qemu_config *cfg;
	struct kiln_ctx *ctx;
	struct ui *ui;
	enum steps_outcome outcome;
	int attempt;                  /* 1, or 2 when retrying under TCG */

	char *output_dir;             /* absolute: where the build writes (final_output_dir, or a staging
				       * directory beside it when -force replaces an existing one) */
	char *final_output_dir;       /* absolute: where the output ends up */
	bool output_dir_created;
	bool output_staged;           /* output_dir is a staging directory, swapped in by qemu_outdir_commit */
	struct dirlock *outdir_lock;
	char *kept_serial_path;       /* a failed build's serial log, kept beside the output directory */
	char *vm_name;
	char *tmpdir;                 /* seed ISOs, console pump, removed at the end */

	struct qemu_virt *virt;
	bool remote;
	const char *uri;              /* where the build runs: the pool host's URI, else libvirt_uri */
	const char *pool;             /* storage pool for volumes: the pool host's, else libvirt_pool */
	char *source_sha256;          /* content address of the base image or ISO on a remote host */
	bool source_held;             /* a hold on its cached volume (qemu_volcache_release) */
	struct qemu_accel accel;
	bool kvm_died;                /* the guest died with a KVM internal error */
	long panic_seen_ms;           /* when the serial console first showed a kernel panic (0: never) */

	struct qemu_fetch_result source;
	char *source_format;
	uint64_t source_size;

	/* disks as the VM sees them */
	char *disk_path;              /* local: output_dir/vm_name (while running and after) */
	char *disk_format;            /* format of disk_path while the VM runs */
	struct strv extra_disks;      /* local paths, output_dir/vm_name-N (checkpoints: the work directory's) */
	struct strv extra_disk_formats;   /* with checkpoints: their formats while the VM runs */
	char *base_volume, *disk_volume, *iso_volume, *cd_volume, *seed_volume;   /* remote */
	struct strv extra_volumes;
	char *nvram_path;

	char *cd_iso;                 /* cd_files/cd_content CD (local path) */
	char *seed_iso;               /* generated cloud-init seed (local path) */
	char *seed_serial;            /* SMBIOS serial of the network seed form */
	bool seed_on_cd;              /* a remote build: the net seed and HTTP files went on CDs instead */
	char *http_iso;               /* http_directory/http_content on a CD (remote builds; local path) */
	char *http_volume;

	struct seed_server *http;
	char *http_ip;
	int http_port;

	struct ssh_keypair *keypair;
	char *public_key;             /* {{ .SSHPublicKey }} */

	struct qemu_port ssh_port;
	char *ssh_host;               /* where to connect */
	int ssh_connect_port;
	char *domain_name;
	struct qemu_vm *vm;
	int force_exit_handle;
	char *serial_path;
	struct qemu_serial *serial;
	struct kiln_comm *comm;
	int64_t vm_started_ms;

	struct qemu_ckpt *ck;         /* checkpoints (qemu/checkpoint.c), or NULL */

	struct kiln_artifact *artifact;
	/* the artifact's first file is a qcow2 export of this virtual size: no qemu-img info to ask */
	bool exported_qcow2;
	uint64_t exported_virtual_size;
	struct strv template_vars;    /* HTTPIP=, HTTPPort=, Name=, SSHHostPort=, ... */
	int64_t timing_boot_to_ssh_ms, timing_provision_ms, timing_shutdown_ms;
};

/* The Go-template values boot_command, qemuargs and cloud-init text may use. */
void qemu_build_set_var(struct qemu_build *b, const char *key, const char *value);

/* Where additional disk i (from 0) ends in the output directory: VM_NAME-N, N from 1, as Packer names it. */
char *qemu_build_extra_disk_path(const struct qemu_build *b, size_t i);

/* Is the VM still running? -1 with a helpful error (and b->kvm_died) when it stopped by itself. */
int qemu_build_check_vm(void *build, struct kiln_error *err);
/* Sleep up to ms while watching the VM. */
int qemu_build_sleep(struct qemu_build *b, int64_t ms, struct kiln_error *err);

/* The output directory (qemu/outdir.c): the finished output takes the place of the one -force replaces
 * (paths in b and its artifact follow), and the lock goes; or, after -on-error=abort, the lock goes and
 * the directory stays as it is for the user. */
int qemu_outdir_commit(struct qemu_build *b, struct kiln_error *err);
void qemu_outdir_abandon(struct qemu_build *b);

/* Steps (see builder.c for their order). */
int qemu_step_output_dir(void *state, struct kiln_error *err);
void qemu_cleanup_output_dir(void *state);
int qemu_step_connect(void *state, struct kiln_error *err);
void qemu_cleanup_connect(void *state);
int qemu_step_fetch(void *state, struct kiln_error *err);
int qemu_step_ssh_key(void *state, struct kiln_error *err);
void qemu_cleanup_ssh_key(void *state);
int qemu_step_http(void *state, struct kiln_error *err);
void qemu_cleanup_http(void *state);
int qemu_step_disk(void *state, struct kiln_error *err);
void qemu_cleanup_disk(void *state);
int qemu_step_cd(void *state, struct kiln_error *err);
void qemu_cleanup_cd(void *state);
int qemu_step_start_vm(void *state, struct kiln_error *err);
void qemu_cleanup_vm(void *state);
int qemu_step_boot(void *state, struct kiln_error *err);
int qemu_step_wait_ssh(void *state, struct kiln_error *err);
void qemu_cleanup_comm(void *state);
int qemu_step_provision(void *state, struct kiln_error *err);
int qemu_step_shutdown(void *state, struct kiln_error *err);
int qemu_step_finish_disk(void *state, struct kiln_error *err);
int qemu_step_artifact(void *state, struct kiln_error *err);

#endif
