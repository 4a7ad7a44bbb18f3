/* checkpoint_key.h — the hash chain that names checkpoints (docs/checkpoints.md, "What is hashed").
 *
 *   root  = SHA-256("kiln checkpoint 1", kiln's version, builder type, the builder's configuration
 *           without its host-side settings, the builder's identity text, the base image's digest,
 *           the content of the files the boot reads)
 *   key_0 = SHA-256(root, "boot")                                  the checkpoint taken after boot
 *   key_i = SHA-256(key_{i-1}, provisioner i's type, its evaluated configuration, the content of
 *           the files it uploads or runs)
 *   key_off = SHA-256(key_n, "machine off", what the power-off does)  the final disk, after the last
 *           provisioner n and the shutdown (builders that can save a machine that is off)
 *
 * Every field is length-prefixed, so no text can imitate another field's boundary. */
#ifndef KILN_ENGINE_CHECKPOINT_KEY_H
#define KILN_ENGINE_CHECKPOINT_KEY_H

#include <stddef.h>

#include "util/error.h"

/* Keys are 64 lowercase hex characters; callers free them. */
char *ckkey_root(const char *builder_type, const char *builder_fingerprint, const char *identity,
		 const char *base_digest, const char *inputs_digest);
char *ckkey_boot(const char *root);
char *ckkey_step(const char *prev, const char *type, const char *fingerprint, const char *inputs_digest);
/* key_off = SHA-256(key_n, "machine off", what the power-off does): the final disk, after the shutdown */
char *ckkey_off(const char *prev, const char *identity);

/* A digest of what the local paths hold: a file's bytes and whether it is executable, a directory's
 * names, kinds and contents recursively (symbolic links followed, as uploads do). Paths are hashed as
 * given (they are part of the configuration too). -1 when one cannot be read. */
int ckkey_inputs_digest(char *const *paths, size_t n, char **hex, struct kiln_error *err);

#endif
