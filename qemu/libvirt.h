/* libvirt.h — kiln's use of libvirt's C API: connections, transient domains that carry kiln's metadata
 * (so strays left by a crashed kiln can be found and removed), key presses, power, state, and storage
 * volumes for hypervisors that do not share our file system (remote URIs). Never virsh. */
#ifndef KILN_QEMU_LIBVIRT_H
#define KILN_QEMU_LIBVIRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/strv.h"

struct qemu_virt;
struct qemu_vm;
struct ui;

/* Connect. A URI with a transport (qemu+ssh://, qemu+tcp://) or a host name is remote: its disks and
 * consoles are not on this machine's file system. */
int qemu_virt_open(const char *uri, struct qemu_virt **out, struct kiln_error *err);
void qemu_virt_close(struct qemu_virt *v);
/* When the connection to the daemon is lost (libvirtd restarted, crashed, the network to a remote host
 * dropped), the VM calls below open it again for up to timeout_ms (0: fail at once), saying so on ui, and
 * find their domain again: libvirt keeps a guest running across a daemon restart unless it was started
 * to be destroyed with its connection (autodestroy) and the daemon stopped normally. A domain that did
 * not survive is then qemu_vm_gone() and reads as off. */
void qemu_virt_set_reconnect(struct qemu_virt *v, int64_t timeout_ms, struct ui *ui);
bool qemu_virt_is_remote(const struct qemu_virt *v);
const char *qemu_virt_uri(const struct qemu_virt *v);
/* The hypervisor's host name (for a remote URI: the host in the URI). */
const char *qemu_virt_host(const struct qemu_virt *v);
/* Is the connection still open? (false once the daemon or the link to it went away) */
bool qemu_virt_alive(struct qemu_virt *v);
/* CPUs, memory, free memory, versions, and the builds of other kiln processes running there. */
struct kiln_host_info;
int qemu_virt_node_info(struct qemu_virt *v, struct kiln_host_info *info, struct kiln_error *err);
/* Domain types the hypervisor offers for x86_64 ("kvm", "qemu"). */
bool qemu_virt_has_domain_type(struct qemu_virt *v, const char *type);

enum qemu_vm_state {
	QEMU_VM_RUNNING,
	QEMU_VM_PAUSED,        /* stopped by QEMU itself: e.g. KVM internal error */
	QEMU_VM_SHUTTING_DOWN,
	QEMU_VM_OFF,           /* shut off, or gone (transient domains vanish when they stop) */
	QEMU_VM_CRASHED,
	QEMU_VM_OTHER,
};

/* Start a transient domain. autodestroy: libvirt destroys it when this connection closes (a kiln that
 * dies cannot leave it running). paused: created paused (resume with qemu_vm_resume). */
int qemu_vm_create(struct qemu_virt *v, const char *xml, bool autodestroy, bool paused, struct qemu_vm **out,
		   struct kiln_error *err);
int qemu_vm_resume(struct qemu_vm *vm, struct kiln_error *err);
int qemu_vm_state(struct qemu_vm *vm, enum qemu_vm_state *state, int *reason, struct kiln_error *err);
/* Did the VM pause because writing a disk failed (QEMU stops a guest on an I/O error: werror=enospc)?
 * *no_space: the error was ENOSPC. */
bool qemu_vm_paused_by_io_error(struct qemu_vm *vm, bool *no_space);
/* "running", "paused (unknown)" ... for messages. */
const char *qemu_vm_state_name(enum qemu_vm_state s);
/* Press keys (Linux keycodes) together, hold them hold_ms (0: libvirt's default), release. */
int qemu_vm_send_keys(struct qemu_vm *vm, const unsigned *keys, size_t n, unsigned hold_ms, struct kiln_error *err);
/* ACPI power button. */
int qemu_vm_shutdown(struct qemu_vm *vm, struct kiln_error *err);
/* Hard stop; a domain already gone is not an error. */
int qemu_vm_destroy(struct qemu_vm *vm, struct kiln_error *err);
/* The VNC port libvirt gave the domain (autoport), or 0. */
int qemu_vm_vnc_port(struct qemu_vm *vm);
/* Open the serial console as a stream and copy it to a local file on a thread until the domain stops
 * (remote hypervisors, whose file-backed serial ports are on their disk, not ours). */
int qemu_vm_console_to_file(struct qemu_vm *vm, const char *path, struct kiln_error *err);
/* The guest's IPv4 address from DHCP leases, ARP or the guest agent (bridged and network modes);
 * *addr NULL while unknown. */
int qemu_vm_guest_address(struct qemu_vm *vm, char **addr, struct kiln_error *err);
/* The domain was not there any more when the connection to libvirt came back (see qemu_virt_set_reconnect). */
bool qemu_vm_gone(const struct qemu_vm *vm);
/* Frees the handle (stops a console pump); does not touch the domain. */
void qemu_vm_free(struct qemu_vm *vm);

/* Checkpoints (qemu/checkpoint.c). An external snapshot of the running domain: each disk whose
 * current image is disks[i] continues on overlays[i] (created beforehand, REUSE_EXT: its backing file
 * name is the caller's), the read-only disks in skip are left alone, and with memory_file the memory
 * is saved there too (the guest pauses meanwhile and runs on). No snapshot metadata is kept. */
int qemu_vm_snapshot(struct qemu_vm *vm, const char *memory_file, char *const *disks, char *const *overlays,
		     size_t n, char *const *skip, size_t nskip, struct kiln_error *err);
/* Start a domain from a saved memory image (what qemu_vm_snapshot wrote, possibly through a pipe),
 * with xml adjusting it (paths, ports; its name and uuid must be the image's). Not autodestroyed:
 * kiln's stray cleanup and force-exit handler cover it. */
int qemu_vm_restore(struct qemu_virt *v, const char *image, const char *xml, const char *name, struct qemu_vm **out,
		    struct kiln_error *err);
/* This machine's host name as kiln writes it into volume names ([A-Za-z0-9.-], at most 63). */
const char *qemu_owner_host(void);
/* Is the kiln process `pid` of the machine `host` (as qemu_owner_host writes it) known to be gone?
 * (false for other machines: kiln cannot tell) */
bool qemu_owner_gone(const char *host, long pid);

/* Domains kiln created on this hypervisor whose kiln process is gone (same host, dead pid). */
int qemu_virt_list_strays(struct qemu_virt *v, struct strv *names, struct kiln_error *err);
/* Destroy a domain by name if it carries kiln's metadata. */
int qemu_virt_remove_domain(struct qemu_virt *v, const char *name, struct kiln_error *err);

/* Storage volumes (remote hypervisors). Creating a volume whose name is taken fails with ERR_EXISTS. */
struct ui;
/* Create the volume and fill it with the local file through a stream (a progress bar on ui for big
 * files; ui may be NULL). The bytes sent are logged. */
int qemu_vol_upload(struct qemu_virt *v, const char *pool, const char *name, const char *local_path,
		    const char *format, uint64_t capacity, struct ui *ui, struct kiln_error *err);
int qemu_vol_create(struct qemu_virt *v, const char *pool, const char *name, const char *format,
		    uint64_t capacity, const char *backing_vol, const char *backing_format, struct kiln_error *err);
int qemu_vol_download(struct qemu_virt *v, const char *pool, const char *name, const char *local_path,
		      struct kiln_error *err);
int qemu_vol_delete(struct qemu_virt *v, const char *pool, const char *name, struct kiln_error *err);
/* The volume's path on the hypervisor host (caller frees). */
int qemu_vol_path(struct qemu_virt *v, const char *pool, const char *name, char **path, struct kiln_error *err);

struct qemu_vol {
	char *name;
	uint64_t capacity, allocation;   /* with QEMU_VOL_SIZES */
	char *backing;                   /* with QEMU_VOL_BACKING: the backing file's path, or NULL */
};
enum { QEMU_VOL_SIZES = 1, QEMU_VOL_BACKING = 2 };
/* The volumes of a pool as libvirt knows them; details: QEMU_VOL_SIZES | QEMU_VOL_BACKING, each a call per
 * volume. */
int qemu_vol_list(struct qemu_virt *v, const char *pool, unsigned details, struct qemu_vol **out, size_t *n,
		  struct kiln_error *err);
void qemu_vols_free(struct qemu_vol *vols, size_t n);
/* The names of the active storage pools. */
int qemu_virt_pools(struct qemu_virt *v, struct strv *names, struct kiln_error *err);

#endif
