/* common.h — what kiln's post-processors share: Packer's template values for output names, copying an
 * artifact's state forward, and the rule for output files (never overwrite one kiln did not write in
 * this run, unless -force). */
#ifndef KILN_POSTPROCESSOR_COMMON_H
#define KILN_POSTPROCESSOR_COMMON_H

#include <stdbool.h>

#include "component.h"
#include "util/strv.h"

/* The values Packer's post-processors offer their `output` templates: BuildName (the source's name,
 * "debian" for source "qemu" "debian", as Packer 1.6 sets it), BuilderType; appended to extra. */
void pp_template_values(const struct kiln_ctx *ctx, struct strv *extra);
/* Expand Go-template text against ctx and extra ("Key=Value", may be empty). */
int pp_expand(const struct kiln_ctx *ctx, const char *text, struct strv *extra, char **out, struct kiln_error *err);

/* Copy every state entry of from into to (entries already in to are replaced). */
void pp_copy_state(struct kiln_artifact *to, const struct kiln_artifact *from);

/* May this post-processor write path? A file this process created earlier in the run (another file of
 * the same artifact, another build of the same run) is appended to: *append = true. An existing file
 * from before is an error unless force, which truncates it. Registers path as created by this run. */
int pp_claim_output(const char *path, bool force, bool *append, struct kiln_error *err);

/* Make the parent directories of path. */
int pp_make_parent(const char *path, struct kiln_error *err);

#endif
