/* builder_config.h — the qemu builder's configuration: its schema (every key of Packer's qemu builder, plus
 * kiln's own, with their defaults, allowed values and ranges) and the decoded, validated, defaulted form
 * the build steps read. */
#ifndef KILN_QEMU_BUILDER_CONFIG_H
#define KILN_QEMU_BUILDER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "comm/ssh.h"
#include "component.h"
#include "util/error.h"
#include "qemu/disk.h"
#include "util/strv.h"

extern const struct kiln_schema qemu_schema;

struct qemu_kvpair {
	char *key;
	char *value;
};

/* One of boot_steps: keys typed like a boot_command, and what they do (shown while typing). */
struct qemu_boot_step {
	char *keys;
	char *description;               /* NULL when the step has none */
};

struct qemu_config {
	const struct kiln_config *raw;   /* the block (for located errors and other modules' decoders) */

	/* source */
	struct strv iso_urls;            /* iso_url, or iso_urls */
	char *iso_checksum;
	char *iso_target_path;
	char *iso_target_extension;
	bool disk_image;
	bool use_backing_file;

	/* disks */
	char *disk_size;                 /* as qemu-img takes it: "40960M" */
	uint64_t disk_size_bytes;
	bool disk_size_set;
	bool skip_resize_disk;
	struct strv disk_additional_size;
	char *disk_interface;            /* virtio, virtio-scsi, scsi, sata, ide */
	char *disk_cache;
	char *disk_discard;
	char *disk_detect_zeroes;
	char *format;                    /* qcow2, raw */
	bool disk_compression;
	bool skip_compaction;
	struct strv qemu_img_create, qemu_img_convert, qemu_img_resize;
	char *cdrom_interface;           /* NULL: the machine's default */

	/* machine */
	char *accelerator;               /* "auto" (unset), "kvm", "tcg", "none" */
	int cpus, sockets, cores, threads;
	int memory;                      /* MiB */
	char *cpu_model;                 /* QEMU's -cpu syntax: "host", "max", "model[,+feat,-feat,feat=on]" */
	char *machine_type;
	char *firmware;                  /* a ROM file (-bios) */
	bool use_pflash;                 /* load `firmware` as pflash */
	bool efi_drop_efivars;
	bool efi_boot;
	char *efi_firmware_code, *efi_firmware_vars;
	bool efi_secure_boot;            /* kiln */
	bool vtpm, use_tpm1;
	char *tpm_device_type;
	char *qemu_binary;
	struct strv *qemuargs;           /* each one switch with its values */
	size_t nqemuargs;

	/* network and consoles */
	char *net_device;
	char *net_bridge;
	char *network;                   /* kiln: a libvirt network */
	int host_port_min, host_port_max;
	bool skip_nat_mapping;
	bool disable_vnc;
	char *vga;                       /* Packer's -vga name: none, std, cirrus, vmware, qxl, virtio */
	char *vnc_bind_address;
	bool vnc_use_password;
	int vnc_port_min, vnc_port_max;
	bool serial_log;                 /* kiln */
	char *libvirt_uri;               /* kiln */
	char *libvirt_pool;              /* kiln: storage pool for remote hypervisors */
	int64_t libvirt_reconnect_timeout_ms;   /* kiln: wait for a lost libvirt connection to come back */

	/* boot */
	int64_t boot_wait_ms;
	struct strv boot_command;
	struct qemu_boot_step *boot_steps;   /* boot_steps (never with boot_command) */
	size_t nboot_steps;
	int64_t boot_key_interval_ms;
	bool key_interval_env_bad;       /* $PACKER_KEY_INTERVAL is not a duration */

	/* HTTP seed and CD */
	char *http_directory;
	struct qemu_kvpair *http_content;
	size_t nhttp_content;
	int http_port_min, http_port_max;
	char *http_bind_address;
	struct strv cd_files;
	struct qemu_kvpair *cd_content;
	size_t ncd_content;
	char *cd_label;
	bool cloud_init;                 /* kiln: generate a NoCloud seed */
	char *cloud_init_seed;           /* kiln: "cd" or "net" */

	/* communicator: every communicator key, decoded by src/comm/ */
	struct ssh_config ssh;
	bool ssh_timeout_set;            /* the template set ssh_timeout (or ssh_wait_timeout) */

	/* shutdown */
	char *shutdown_command;
	int64_t shutdown_timeout_ms;
	bool shutdown_timeout_set;

	/* output */
	char *output_directory;          /* as configured (relative to the working directory); NULL: unset and the
	                                    build not known yet (qemu_config_derive_defaults) */
	char *vm_name;                   /* likewise */
};

/* Decode and validate a qemu source block. build_name is "qemu.<source>" (Packer's defaults for
 * output_directory and vm_name), or NULL when the build is not known yet. Problems found are all
 * reported in err, located at the key. */
int qemu_config_decode(const struct kiln_config *cfg, const char *build_name, struct qemu_config *out,
		       struct strv *warnings, struct kiln_error *err);
void qemu_config_free(struct qemu_config *c);
/* The defaults that depend on other keys, the environment ($KILN_LIBVIRT_URI, $PACKER_KEY_INTERVAL) or
 * the build (output_directory "output-<source>", vm_name "packer-<source>": only with source_name).
 * qemu_config_decode calls it; a build calls it again once its source name is known. Idempotent. */
void qemu_config_derive_defaults(struct qemu_config *c, const char *source_name);


#endif
