/* vm_config.h — from a build's configuration and what it decided at run time (paths, ports, accelerator)
 * to the plain struct qemu_domain that domain_xml.c renders. Golden tests drive this with fixed run-time
 * values, so everything that shapes the XML goes through here. */
#ifndef KILN_QEMU_VM_CONFIG_H
#define KILN_QEMU_VM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "component.h"
#include "qemu/builder_config.h"
#include "qemu/domain_xml.h"
#include "util/error.h"
#include "util/strv.h"

struct qemu_vm_plan {
	const char *name;              /* domain name */
	const char *uuid;              /* NULL: libvirt's choice */
	bool kvm;                      /* accelerator decided for this attempt */
	const char *pool;              /* remote: the storage pool of the volumes below */
	const char *disk;              /* main disk: a path on the hypervisor host ... */
	const char *disk_volume;       /* ... or a volume in pool */
	const char *disk_format;
	const char *const *extra_disks;   /* additional disks (paths, or volumes when remote) */
	const char *const *extra_disk_formats;   /* their formats; NULL: the configured `format` */
	size_t nextra_disks;
	const char *iso;               /* installer ISO (not disk_image): path or volume */
	const char *cd_iso;            /* cd_files/cd_content CD */
	const char *seed_iso;          /* generated cloud-init seed */
	const char *http_iso;          /* http_directory/http_content for a VM that cannot reach our HTTP server */
	bool volumes;                  /* iso/cd_iso/seed_iso/extra_disks are volumes in pool */
	const char *serial_path;       /* NULL: a pty (the console is streamed) */
	unsigned ssh_host_port;        /* forwarded to the guest's ssh_port; 0: none */
	const char *forward_addr;      /* "127.0.0.1" (local) or "" (all addresses on a remote host) */
	unsigned vnc_port;             /* 0: autoport */
	const char *vnc_password;      /* NULL: none (see qemu_vnc_wants_password) */
	const char *nvram;             /* UEFI variable store path */
	const char *smbios_serial;     /* cloud-init network seed: "ds=nocloud-net;s=http://..." */
	bool dac;                      /* run QEMU as uid:gid, no relabelling */
	unsigned uid, gid;
	const struct qemu_kv *metadata;
	size_t nmetadata;
	struct kiln_ctx *ctx;          /* Go-template expansion of qemuargs (may be NULL) */
	char *const *template_vars;    /* "HTTPIP=10.0.2.2", "SSHHostPort=2222", ... */
};

/* Does the VNC display need a password? When vnc_use_password says so, and always when it listens on an
 * address other machines can reach (vnc_bind_address not a loopback address): a display without a
 * password there lets anyone type into the build's console. */
bool qemu_vnc_wants_password(const struct qemu_config *c);

/* Fill d (strings borrowed from c and p; arrays owned: qemu_domain_release). Unsupported qemuargs are
 * dropped with a warning. */
int qemu_domain_build(const struct qemu_config *c, const struct qemu_vm_plan *p, struct qemu_domain *d,
		      struct strv *warnings, struct kiln_error *err);
void qemu_domain_release(struct qemu_domain *d);

/* A cpu_model in QEMU's -cpu syntax ("host", "max", "Skylake-Client,+pcid,-hle,vmx=on"): the model and its
 * features. `store` owns the text the names point into, `features` the array (free both). Fails on text
 * libvirt's <cpu> cannot express. */
int qemu_cpu_model_parse(const char *spec, char **store, const char **model, struct qemu_cpu_feature **features,
			 size_t *nfeatures, struct kiln_error *err);
/* Packer's vga names (QEMU's -vga: none, std, cirrus, vmware, qxl, virtio) as libvirt video models; NULL
 * for a name libvirt cannot express. */
const char *qemu_vga_libvirt_model(const char *vga);

/* Packer's net_device names as QEMU devices ("virtio-net" -> "virtio-net-pci") and libvirt models. */
const char *qemu_net_qemu_device(const char *net_device);
const char *qemu_net_libvirt_model(const char *net_device);

#endif
