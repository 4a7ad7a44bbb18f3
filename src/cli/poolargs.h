/* poolargs.h — what `kiln build` and `kiln hosts` share: the configuration file and the pool of hosts
 * a run uses (-hosts, else KILN_HOSTS, else the hosts of the file). */
#ifndef KILN_CLI_POOLARGS_H
#define KILN_CLI_POOLARGS_H

#include "cli/cli.h"
#include "config/config.h"

#define CLI_HOSTS_FLAG                                                                                          \
	{"hosts", CLI_STRING, "NAME|URI,...", NULL,                                                             \
	 "Spread builds over these libvirt hosts (names of hosts in the configuration file, or URIs); default "  \
	 "$KILN_HOSTS, else every host of $XDG_CONFIG_HOME/kiln/config.hcl"}

/* Read the configuration file and make the pool; problems are printed (stderr). Returns 0, or 1. */
int cli_load_pool(const struct cli_args *a, struct config *cfg, struct config_pool *pool);

#endif
