/* config.h — kiln's own configuration file (HCL): the hosts of the build pool, each a libvirt URI with
 * its limits (docs/hosts.md). Found at $KILN_CONFIG, else $XDG_CONFIG_HOME/kiln/config.hcl, else
 * ~/.config/kiln/config.hcl; a missing file is an empty configuration.
 *
 *     host "rack1" {
 *       uri            = "qemu+ssh://builder@rack1.example.com/system"
 *       max_builds     = 4          # builds at once (default: the host's CPUs)
 *       reserve_memory = "2G"       # memory to leave free
 *       storage_pool   = "default"  # where volumes go (default: the template's libvirt_pool)
 *       cache_size     = "40G"      # cached base images kept there (default 20G; 0: no limit)
 *     }
 *
 * The pool of a run is `-hosts=A,B`, else $KILN_HOSTS, else every host of the file; A and B are names
 * of the file's hosts or libvirt URIs (a URI of a host of the file takes that host's settings). */
#ifndef KILN_CONFIG_CONFIG_H
#define KILN_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "component.h"
#include "hcl/ast.h"
#include "hcl/diag.h"

#define CONFIG_DEFAULT_CACHE_SIZE KILN_HOST_DEFAULT_CACHE_SIZE

struct config_host {
	char *name;
	char *uri;
	int max_builds;              /* 0: the host's CPUs */
	uint64_t reserve_memory;
	char *storage_pool;          /* NULL: the template's libvirt_pool */
	uint64_t cache_size;         /* 0: no limit */
};

struct config {
	char *path;                  /* the file read, or NULL when there was none */
	struct config_host *hosts;
	size_t nhosts;
};

/* Where the configuration file is looked for (caller frees). */
char *config_default_path(void);

/* Read the file at path (NULL: config_default_path(); a missing default file is no error). Every
 * problem is a diagnostic with file:line:col; the parsed file is added to files for rendering them.
 * Returns 0, or -1 when there were errors. */
int config_load(const char *path, struct config *out, struct hcl_fileset *files, struct hcl_diags *diags);
void config_free(struct config *c);

/* The pool of a run: spec is -hosts (or $KILN_HOSTS when NULL; every host of the file when that is unset
 * too): comma-separated names of the file's hosts or libvirt URIs. *hosts (n of them) point into c and
 * into *owned (names and URIs made for hosts not in the file); free both with config_pool_free. */
struct config_pool {
	struct kiln_host *hosts;
	size_t n;
	struct strv owned;
};
int config_pool(const struct config *c, const char *spec, struct config_pool *out, struct kiln_error *err);
void config_pool_free(struct config_pool *p);

/* The name kiln gives a host known only by its URI: "local" for qemu:///system, the host (and port)
 * for a remote one ("rack1", "127.0.0.1:16601"). Caller frees. */
char *config_host_name_from_uri(const char *uri);

#endif
