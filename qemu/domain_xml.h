/* domain_xml.h — the libvirt domain a build boots, as a plain struct, and its XML.
 *
 * The builder fills a struct qemu_domain from the configuration (qemu_domain_from_config in
 * qemu/vm_config.c) and this module renders it; nothing else writes domain XML. Golden files under
 * tests/data/domain-xml/ pin the output (template in, expected XML out). */
#ifndef KILN_QEMU_DOMAIN_XML_H
#define KILN_QEMU_DOMAIN_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strv.h"

#define QEMU_KILN_XMLNS "urn:kiln:domain:1"
#define QEMU_KILN_XMLNS_PREFIX "kiln"

enum qemu_firmware {
	QEMU_FW_BIOS = 0,    /* SeaBIOS, QEMU's default */
	QEMU_FW_ROM,         /* Packer's `firmware`: a file loaded like -bios */
	QEMU_FW_EFI_AUTO,    /* libvirt's firmware auto-selection (efi_boot without explicit files) */
	QEMU_FW_EFI_FILES,   /* efi_firmware_code + efi_firmware_vars */
};

enum qemu_net_mode {
	QEMU_NET_USER = 0,   /* QEMU user-mode networking with host port forwards (qemu:commandline) */
	QEMU_NET_BRIDGE,     /* net_bridge */
	QEMU_NET_NETWORK,    /* a libvirt network (`network`) */
	QEMU_NET_NONE,       /* the user's qemuargs bring their own -netdev */
};

enum qemu_serial_mode { QEMU_SERIAL_FILE = 0, QEMU_SERIAL_PTY, QEMU_SERIAL_NONE };

enum qemu_cpu_mode {
	QEMU_CPU_DEFAULT = 0,      /* host-passthrough on KVM, QEMU's default model on TCG */
	QEMU_CPU_HOST_PASSTHROUGH, /* the host's CPU (KVM only) */
	QEMU_CPU_MAXIMUM,          /* every feature the accelerator offers (QEMU's "max") */
	QEMU_CPU_CUSTOM,           /* a named model (cpu_model) */
};

struct qemu_cpu_feature {
	const char *name;
	bool enable;               /* require; false: disable */
};

struct qemu_domain_disk {
	const char *path;          /* file path on the hypervisor host (type='file') */
	const char *pool;          /* or a storage volume (type='volume') */
	const char *volume;
	const char *format;        /* "qcow2", "raw" */
	bool cdrom;
	const char *bus;           /* "virtio", "scsi", "sata", "ide"; NULL: the machine's cdrom bus */
	const char *cache;         /* "writeback", ...; NULL: hypervisor default */
	const char *discard;       /* "unmap", "ignore"; NULL */
	const char *detect_zeroes; /* "on", "unmap"; NULL or "off": omitted */
	unsigned boot_order;       /* 0: not bootable */
};

struct qemu_port_forward {
	const char *host_addr;     /* "127.0.0.1"; "" for all addresses */
	unsigned host_port;
	unsigned guest_port;
};

struct qemu_kv {
	const char *key;
	const char *value;
};

struct qemu_domain {
	const char *name;
	const char *uuid;          /* NULL: libvirt picks one (a restored checkpoint names its own) */
	const char *type;          /* "kvm" or "qemu" (TCG) */
	const char *arch;          /* "x86_64" */
	const char *machine;       /* "pc", "q35", "pc-q35-7.1" */
	const char *emulator;      /* qemu_binary when it is a path; NULL: libvirt's choice */
	uint64_t memory_mib;
	unsigned vcpus;            /* current vCPUs */
	unsigned max_vcpus;        /* sockets*cores*threads when a topology is set, else = vcpus */
	unsigned sockets, cores, threads;   /* 0: no topology */
	enum qemu_cpu_mode cpu_mode;
	const char *cpu_model;     /* CUSTOM: the model name */
	const struct qemu_cpu_feature *cpu_features;
	size_t ncpu_features;

	enum qemu_firmware firmware;
	const char *loader;        /* ROM: the firmware file; EFI_FILES: the CODE file */
	const char *nvram;         /* EFI: where the guest's variable store lives */
	const char *nvram_template;/* EFI_FILES: the VARS file copied into nvram */
	bool secure_boot;

	bool tpm;
	const char *tpm_model;     /* "tpm-tis" */
	const char *tpm_version;   /* "2.0", "1.2" */

	struct qemu_domain_disk *disks;
	size_t ndisks;

	enum qemu_serial_mode serial;
	const char *serial_path;   /* FILE */

	bool vnc;
	const char *vnc_listen;
	unsigned vnc_port;         /* 0: autoport */
	const char *vnc_password;  /* NULL: none */
	const char *video;         /* libvirt video model ("vga", "qxl", "none", ...); NULL: libvirt's default */

	enum qemu_net_mode net;
	const char *net_model;     /* QEMU device ("virtio-net-pci", "e1000") for USER; libvirt model otherwise */
	const char *net_source;    /* bridge or network name */
	struct qemu_port_forward *forwards;
	size_t nforwards;

	const char *smbios_serial; /* SMBIOS system serial (cloud-init's "ds=nocloud-net;s=..."), or NULL */

	bool dac_label;            /* run QEMU as dac_uid:dac_gid and leave file ownership alone */
	unsigned dac_uid, dac_gid;

	struct qemu_kv *metadata;  /* kiln's marks: build, pid, host, started... */
	size_t nmetadata;

	struct strv qemu_args;     /* extra QEMU arguments (qemuargs), already expanded */
	char *machine_store;       /* owned copy behind `machine` when qemuargs set it */
	char *cpu_store;           /* owned text behind cpu_model and the feature names */
	struct qemu_cpu_feature *cpu_features_store;
};

/* Render the domain. Caller frees. */
char *qemu_domain_xml(const struct qemu_domain *d);
/* The bus a cdrom uses on this machine type when none was asked for. */
const char *qemu_default_cdrom_bus(const char *machine);
bool qemu_machine_is_q35(const char *machine);

#endif
