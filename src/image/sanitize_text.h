/* sanitize_text.h — the text edits sanitize makes to guest files (passwd/shadow/group/gshadow,
 * sudoers, authorized_keys, ifcfg, hostname, hosts), as pure functions over strings so they are tested without an
 * appliance. Each returns a new malloc'd text and counts what it removed. */
#ifndef KILN_IMAGE_SANITIZE_TEXT_H
#define KILN_IMAGE_SANITIZE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strv.h"

/* Lines of passwd, shadow, subuid or subgid whose first field is `user` removed. */
char *img_text_remove_user_entries(const char *text, const char *user, unsigned *removed);

/* group (gshadow = false: name:pw:gid:members) or gshadow (name:pw:admins:members): `user` removed
 * from every member list (and gshadow's admin lists); the group named `user` is removed when no other
 * member is left in it (the user's private group). *edited counts changed or removed lines. */
char *img_text_remove_user_from_groups(const char *text, const char *user, bool gshadow, unsigned *edited);

/* Sudoers lines that grant `user` something ("user ALL=(ALL) NOPASSWD:ALL") removed. *rest_empty is
 * set when nothing but comments and blank lines is left. */
char *img_text_remove_sudoers_user(const char *text, const char *user, unsigned *removed, bool *rest_empty);

/* authorized_keys lines holding the same key as `pubkey` (a "type base64 [comment]" line; compared by
 * the base64 key blob, whatever the options or comment) removed. *rest_empty: no key is left. */
char *img_text_remove_authorized_key(const char *text, const char *pubkey, unsigned *removed, bool *rest_empty);

/* Lines beginning with `prefix` removed (ifcfg HWADDR=). */
char *img_text_remove_prefixed(const char *text, const char *prefix, unsigned *removed);

/* The host name an /etc/hostname names: its first line that is not blank or a comment, trimmed;
 * NULL when there is none. Caller frees. */
char *img_text_hostname(const char *etc_hostname);
/* Is `name` already no particular host ("localhost", "localhost.localdomain")? */
bool img_text_hostname_is_generic(const char *name);
/* /etc/sysconfig/network: a HOSTNAME= line naming another host set to HOSTNAME=localhost; *old gets
 * the name it had (caller frees; NULL when unchanged). */
char *img_text_sysconfig_reset_hostname(const char *text, unsigned *edited, char **old);
/* /etc/hosts: the names with the same first label as `hostname` ("build", "build.example.com") removed
 * from 127.0.1.1 lines (Debian's line for the machine's own name); a line left without a name is
 * removed. *edited counts lines. */
char *img_text_hosts_forget(const char *text, const char *hostname, unsigned *edited);

/* The passwd entry of `user`: home directory (caller frees) and uid. false when not found. */
bool img_text_passwd_lookup(const char *passwd, const char *user, long *uid, char **home);
/* Users with uid_min <= uid < 60000 (ordinary accounts), appended to out. */
void img_text_passwd_ordinary_users(const char *passwd, long uid_min, struct strv *out);
/* UID_MIN from login.defs text; 1000 when unset. */
long img_text_login_defs_uid_min(const char *login_defs);

/* The installed packages of a dpkg status file, as libguestfs' inspect_list_applications2 lists them
 * (so a sanitize that reused a cached inspection gives the manifest the same list): an entry counts
 * when its Status names "installed" and it has a Version, whose "epoch:" prefix and "-release" (from
 * the first dash) are split off; entries end at a blank line; sorted by name. */
struct img_package;
void img_text_dpkg_status(const char *text, struct img_package **out, size_t *n);

/* Is `name` a rotated or compressed log (syslog.1, auth.log.2.gz, messages-20240101, x.old)? */
bool img_log_is_rotated(const char *name);

#endif
