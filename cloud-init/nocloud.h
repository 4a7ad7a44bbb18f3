/* nocloud.h — cloud-init NoCloud seeds: the generated default seed, validation of user-supplied
 * seed files (libyaml), and the two ways a guest gets them:
 *   - a `cidata` CD (nocloud_write_cidata_iso), or
 *   - the network form: the SMBIOS system serial "ds=nocloud-net;s=http://IP:PORT/"
 *     (nocloud_net_serial) with the seed files served by the HTTP seed server at that URL
 *     (nocloud_seed_files with NOCLOUD_NET, which adds the empty vendor-data the guest asks for).
 *
 * The module knows nothing of templates; the builder passes plain strings. */
#ifndef KILN_CLOUD_INIT_NOCLOUD_H
#define KILN_CLOUD_INIT_NOCLOUD_H

#include <stddef.h>

#include "util/error.h"

/* The seed's files; NULL means absent. All strings are owned (nocloud_seed_free). */
struct nocloud_seed {
	char *user_data;       /* "#cloud-config ..." or a "#!" script */
	char *meta_data;       /* YAML: instance-id, local-hostname */
	char *network_config;  /* optional */
	char *vendor_data;     /* optional */
};

void nocloud_seed_free(struct nocloud_seed *seed);   /* frees the members, not the struct */

/* What the generated seed needs from the build. */
struct nocloud_defaults {
	const char *vm_name;         /* local-hostname (made a valid host name: nocloud_hostname) */
	const char *ssh_username;    /* the user created, with passwordless sudo; "root" keeps root */
	const char *ssh_public_key;  /* one authorized_keys line: the build's temporary key */
	const char *ssh_password;    /* optional: set as the user's password, and SSH password login is
	                              * switched on (ssh_pwauth); then the key may be NULL */
	const char *instance_id;     /* NULL: "kiln-" + 16 random hex digits, unique per build */
};

/* The minimal seed for a stock cloud image when the template brings none: meta-data with a fresh
 * instance-id and local-hostname; user-data that authorizes the key for ssh_username, gives it
 * passwordless sudo and locks its password (or sets ssh_password). Nothing else (no locale, packages
 * or /etc/hosts changes), so the image is changed as little as possible. ERR_INVALID for an empty or
 * unsafe user name, a key that is not one line, or neither a key nor a password. */
int nocloud_seed_generate(const struct nocloud_defaults *d, struct nocloud_seed *out, struct kiln_error *err);

/* A host name from a VM name: a disk extension (.qcow2, .raw, .img, .vmdk, .vhdx) dropped,
 * lower-cased, every character outside [a-z0-9-] made '-', at most 63 characters, no '-' at either
 * end; "kiln" when nothing is left. Caller frees. */
char *nocloud_hostname(const char *vm_name);

/* Validate one seed file by its name (the base name decides):
 *   user-data, vendor-data: empty, a "#!" script, or "#cloud-config" followed by a YAML mapping
 *                           ("#cloud-config-archive": a YAML sequence);
 *   meta-data, network-config: empty or a YAML mapping;
 *   any other name: not checked.
 * `origin` names the file in errors (a path, or "cd_content[\"user-data\"]"); YAML errors carry
 * err_location(origin, line, column). ERR_INVALID on failure. */
int nocloud_validate_file(const char *name, const char *origin, const char *data, size_t len,
                          struct kiln_error *err);

/* nocloud_validate_file() on every file the seed has. */
int nocloud_seed_validate(const struct nocloud_seed *seed, struct kiln_error *err);

/* Write the seed as a `cidata` ISO (Joliet + Rock Ridge) at `path`. */
int nocloud_write_cidata_iso(const char *path, const struct nocloud_seed *seed, struct kiln_error *err);

/* The SMBIOS system serial that points cloud-init at the seed server:
 * "ds=nocloud-net;s=http://HOST:PORT/" (an IPv6 HOST is bracketed). Spelled nocloud-net because
 * Debian 12's cloud-init 22.4 ignores a URL given to plain "nocloud". Caller frees. */
char *nocloud_net_serial(const char *host, int port);

/* The files to put on a CD or behind the seed URL, borrowed from `seed` (valid while it is).
 * NOCLOUD_NET always includes vendor-data, empty when the seed has none: cloud-init asks for it and
 * a 404 costs the guest several seconds of retries. Returns the count (at most NOCLOUD_MAX_FILES);
 * the server path of a file is "/" + name. */
enum nocloud_form { NOCLOUD_CD, NOCLOUD_NET };
#define NOCLOUD_MAX_FILES 4
struct nocloud_file {
	const char *name;   /* "user-data", "meta-data", "vendor-data", "network-config" */
	const char *data;
	size_t len;
};
size_t nocloud_seed_files(const struct nocloud_seed *seed, enum nocloud_form form,
                          struct nocloud_file out[NOCLOUD_MAX_FILES]);

#endif
