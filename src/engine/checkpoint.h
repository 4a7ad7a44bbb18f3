/* checkpoint.h — what the engine does about checkpoints in one build (docs/checkpoints.md): compute the
 * keys once the builder knows its base, pick the checkpoint to start from, take one after boot and
 * after each cacheable provisioner, and keep or drop them when the build ends. Engine internal; the
 * store is engine/checkpoint_store.h, the keys engine/checkpoint_key.h. */
#ifndef KILN_ENGINE_CHECKPOINT_H
#define KILN_ENGINE_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "component.h"

struct build_run;

/* ctx->ops->checkpoint_begin */
int ckpt_begin(struct kiln_ctx *ctx, const struct kiln_checkpoint_start *start, const struct kiln_checkpoint **restore,
	       const char **base_link, const char **work_dir, struct kiln_error *err);
/* Provisioning starts: how many provisioners the restored checkpoint covers (0 when none or only the
 * boot), announcing what is skipped and the time saved; takes the after-boot checkpoint when the
 * build booted. */
size_t ckpt_provision_start(struct build_run *r);
/* Provisioner `index` (1-based) succeeded after step_ms: checkpoint it if it is cacheable. */
void ckpt_after_provisioner(struct build_run *r, size_t index, int64_t step_ms);
/* ctx->ops->checkpoint_machine_off: the machine is off after the provisioners; when it powered off
 * cleanly, take the checkpoint after the last one (deferred by ckpt_after_provisioner when the builder
 * can save offline). Either way every checkpoint is committed when it returns, since the builder's
 * finishing steps open the disk's layers by path. */
void ckpt_machine_off(struct kiln_ctx *ctx, bool clean);
/* The build ended: keep or drop its checkpoints (by mode and outcome), release them, trim the store. */
void ckpt_finish(struct build_run *r, bool succeeded);

#endif
