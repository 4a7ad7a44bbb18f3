/* hosts.h — the qemu builder as the build pool sees it: how to reach and ask a libvirt host, what
 * kiln leaves on one (names that say which kiln process made them), and what a build could not remove
 * from a host that went away (removed when it is back). Internal to qemu/. */
#ifndef KILN_QEMU_HOSTS_H
#define KILN_QEMU_HOSTS_H

#include <stdbool.h>

#include "component.h"

struct qemu_virt;

extern const struct kiln_host_ops qemu_host_ops;

/* The name of a temporary volume of a build: "<domain>-<role>_<pid>_<host>", so that the volumes of a
 * kiln process that is gone can be told from those of one still running. Caller frees. */
char *qemu_temp_volume_name(const char *domain_name, const char *role);
/* Is `name` a temporary volume, and whose? host has room for 64 bytes. */
bool qemu_temp_volume_owner(const char *name, long *pid, char *host);

/* Remove the domains (and with volumes, the temporary volumes and unfinished uploads) that kiln
 * processes of this machine that are gone left on the host; each is named in a warning on ui. */
struct ui;
void qemu_remove_strays(struct qemu_virt *v, struct ui *ui, bool volumes);

/* A build could not remove this from the host at `uri` (it was lost): pool NULL for a domain. */
void qemu_leftover_add(const char *uri, const char *pool, const char *name);

#endif
