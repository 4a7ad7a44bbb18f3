/* checkpoint.h — the qemu builder's side of checkpoints (docs/checkpoints.md): the disks of a
 * checkpointed build are qcow2 layers in the store, the running domain is snapshotted externally
 * (its memory with it) after each provisioner, and a build that starts from a checkpoint restores the
 * memory — through a pipe that gives the saved image this build's domain name — or boots the disk.
 * Internal to qemu/. */
#ifndef KILN_QEMU_CHECKPOINT_H
#define KILN_QEMU_CHECKPOINT_H

#include <stdbool.h>

#include "util/error.h"

struct qemu_build;
struct qemu_ckpt;

/* Step "checkpoints" (after download): tell the engine what the build starts from; learn whether it
 * starts from a checkpoint. Nothing happens unless the build takes checkpoints. */
int qemu_step_checkpoints(void *state, struct kiln_error *err);
void qemu_cleanup_checkpoints(void *state);

/* The build starts from a checkpoint (its memory or its disk): no boot command, no first boot. */
bool qemu_ckpt_restoring(const struct qemu_build *b);
/* It starts from the final disk of an identical build (taken after the shutdown): no machine runs, the
 * disk goes straight to sanitize and export. */
bool qemu_ckpt_final(const struct qemu_build *b);
/* The guest is off after the provisioners (clean: it powered off by itself, and the engine may save the
 * final disk). When it returns, every checkpoint the disks stand on is committed in the store. */
void qemu_ckpt_machine_off(struct qemu_build *b, bool clean);
/* The SSH key the checkpoint's guest authorizes, instead of a new temporary one: 1 when loaded, 0 when
 * the checkpoint has none. */
int qemu_ckpt_load_key(struct qemu_build *b, struct kiln_error *err);
/* Where the working disks go, and the link to the base image their first layer names (or NULL). */
const char *qemu_ckpt_work_dir(const struct qemu_build *b);
const char *qemu_ckpt_base_link(const struct qemu_build *b);
/* Working disks: with a checkpoint to start from, layers on its disks (sets disk_path, extra_disks);
 * otherwise record the first layers step_prepare made in the work directory. */
int qemu_ckpt_make_disks(struct qemu_build *b, struct kiln_error *err);
/* The uuid the domain XML must carry (the restored memory image gets it), or NULL. */
const char *qemu_ckpt_uuid(const struct qemu_build *b);
/* Start the domain from the checkpoint's memory with xml: 0 and b->vm set, or -1 (the caller boots the
 * disk instead, unless err is a port clash it retries). */
int qemu_ckpt_restore_vm(struct qemu_build *b, const char *xml, struct kiln_error *err);
/* After SSH connects to a restored guest: set its clock, which stopped when the memory was saved. */
void qemu_ckpt_connected(struct qemu_build *b);
/* After shutdown: the working disks are layers on the store; make the output disks what the build
 * would have produced without checkpoints (flattened, or an overlay on the base image). */
int qemu_ckpt_finish_disks(struct qemu_build *b, struct kiln_error *err);

#endif
