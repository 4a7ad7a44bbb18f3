/* lock.h — the dependency lock file, `.kiln.lock.hcl` beside the template (in the spirit of
 * Terraform's .terraform.lock.hcl). `kiln init` writes it; `kiln build` and `kiln validate` refuse
 * a plugin that does not match it. One block per external plugin:
 *
 *     plugin "github.com/acme/hello" {
 *       version     = "1.2.0"
 *       constraints = ">= 1.0, < 2"
 *       protocol    = "1.0"
 *       hashes = [
 *         "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
 *       ]
 *     }
 *
 * hashes lists the SHA-256 of the plugin's executable for every platform the release offers (so a
 * team on several machines shares one lock file); the one installed here must be among them. */
#ifndef KILN_PLUGIN_LOCK_H
#define KILN_PLUGIN_LOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"
#include "util/strv.h"

#define PLUGIN_LOCK_FILE ".kiln.lock.hcl"

struct plugin_lock_entry {
	char *source;
	char *version;
	char *constraints;   /* NULL when the requirement has none */
	char *protocol;
	struct strv hashes;  /* "sha256:<hex>", sorted */
};

struct plugin_lock {
	char *path;
	bool exists;
	struct plugin_lock_entry *v;
	size_t n, cap;
};

/* Read dir/.kiln.lock.hcl. A missing file is not an error (exists = false); a malformed one is,
 * with file:line:col. */
int plugin_lock_read(const char *dir, struct plugin_lock *out, struct kiln_error *err);
/* Write it (atomically), entries sorted by source. */
int plugin_lock_write(const struct plugin_lock *l, struct kiln_error *err);
void plugin_lock_free(struct plugin_lock *l);

const struct plugin_lock_entry *plugin_lock_find(const struct plugin_lock *l, const char *source);
/* Replace or add the entry for source (hashes copied). */
void plugin_lock_set(struct plugin_lock *l, const char *source, const char *version, const char *constraints,
		     const char *protocol, const struct strv *hashes);
/* Drop every entry whose source is not in keep. */
void plugin_lock_retain(struct plugin_lock *l, const struct strv *keep);
bool plugin_lock_has_hash(const struct plugin_lock_entry *e, const char *sha256_hex);

#endif
