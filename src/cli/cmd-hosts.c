/* cmd-hosts.c — `kiln hosts`: the build pool's hosts, what each has and what kiln keeps there; with
 * -clean, remove what kiln processes of this machine that are gone left on them (and with -cache, the
 * cached base images no build uses). */
#include "cli/cli.h"
#include "cli/poolargs.h"
#include "component.h"
#include "ui/ui.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_host(const struct kiln_host *h, const struct kiln_host_ops *ops, void *conn,
		       const struct kiln_error *why)
{
	printf("%s\n  uri:          %s\n", h->name, h->uri);
	if (!conn) {
		printf("  state:        cannot be reached: %s\n", err_cause(why));
		return;
	}
	struct kiln_host_info info = {0};
	struct kiln_error e = ERR_INIT;
	if (ops->probe(conn, &info, &e) < 0) {
		printf("  state:        reached, but it does not answer: %s\n", err_cause(&e));
		err_clear(&e);
		return;
	}
	char *mem = ui_format_bytes(info.memory), *fr = ui_format_bytes(info.free_memory);
	printf("  state:        up (%s)\n", info.version ? info.version : "");
	printf("  capacity:     %d CPUs, %s memory, %s free\n", info.cpus, mem, fr);
	free(mem);
	free(fr);
	char *res = ui_format_bytes(h->reserve_memory);
	if (h->max_builds > 0)
		printf("  limits:       %d builds at once, %s memory kept free\n", h->max_builds, res);
	else
		printf("  limits:       %d builds at once (its CPUs), %s memory kept free\n", info.cpus, res);
	free(res);
	printf("  kiln builds:  %d running\n", info.other_builds);
	size_t images = 0;
	uint64_t bytes = 0;
	if (info.local) {
		printf("  image cache:  not used (the host sees this machine's files: builds read images in place)\n");
	} else if (ops->cache_usage && ops->cache_usage(conn, &images, &bytes, &e) == 0) {
		char *b = ui_format_bytes(bytes), *lim = ui_format_bytes(h->cache_size);
		printf("  image cache:  %zu image%s, %s (limit %s)\n", images, images == 1 ? "" : "s", b,
		       h->cache_size ? lim : "none");
		free(b);
		free(lim);
	} else if (ops->cache_usage) {
		printf("  image cache:  cannot be read: %s\n", err_cause(&e));
	}
	err_clear(&e);
	kiln_host_info_free(&info);
}

static int clean_host(const struct kiln_host *h, const struct kiln_host_ops *ops, void *conn, bool cache)
{
	struct strv removed = STRV_INIT;
	struct kiln_error e = ERR_INIT;
	unsigned what = KILN_HOST_CLEAN_STRAYS | KILN_HOST_CLEAN_LEFTOVERS | (cache ? KILN_HOST_CLEAN_CACHE : 0);
	int rc = ops->clean(conn, what, &removed, &e);
	for (size_t i = 0; i < removed.n; i++)
		printf("%s: removed %s\n", h->name, removed.v[i]);
	if (!removed.n && rc == 0)
		printf("%s: nothing to remove\n", h->name);
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", h->name, err_cause(&e));
	err_clear(&e);
	strv_free(&removed);
	return rc;
}

static int run_hosts(struct cli_args *a)
{
	bool clean = cli_bool(a, "clean"), cache = cli_bool(a, "cache");
	if (cache && !clean) {
		fprintf(stderr, "kiln hosts: -cache goes with -clean (kiln hosts -clean -cache)\n");
		return 1;
	}
	struct config cfg = {0};
	struct config_pool pool = {0};
	if (cli_load_pool(a, &cfg, &pool) != 0)
		return 1;
	int rc = 0;
	if (!pool.n) {
		fprintf(stderr, "No hosts: give -hosts=URI,..., set KILN_HOSTS, or add host blocks to %s (docs/hosts.md).\n",
			cfg.path ? cfg.path : "$XDG_CONFIG_HOME/kiln/config.hcl");
		rc = 1;
		goto out;
	}
	const struct kiln_builder *qemu = kiln_find_builder("qemu");
	const struct kiln_host_ops *ops = qemu ? qemu->host_ops : NULL;
	if (!ops) {
		fprintf(stderr, "Error: the qemu builder cannot be loaded, and with it the host operations\n");
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < pool.n; i++) {
		const struct kiln_host *h = &pool.hosts[i];
		void *conn = NULL;
		struct kiln_error e = ERR_INIT;
		if (ops->open(h, &conn, &e) < 0)
			conn = NULL;
		if (clean) {
			if (!conn) {
				fprintf(stderr, "%s: cannot be reached: %s\n", h->name, err_cause(&e));
				rc = 1;
			} else if (clean_host(h, ops, conn, cache) < 0) {
				rc = 1;
			}
		} else {
			if (i)
				printf("\n");
			print_host(h, ops, conn, &e);
		}
		err_clear(&e);
		if (conn)
			ops->close(conn);
	}
out:
	config_pool_free(&pool);
	config_free(&cfg);
	return rc;
}

const struct cli_command cmd_hosts = {
	.name = "hosts",
	.synopsis = "List the build pool's libvirt hosts, or clean what kiln left on them",
	.usage = "kiln hosts [-hosts=NAME|URI,...] [-clean [-cache]]",
	.help = "  Lists each host of the build pool (-hosts, else KILN_HOSTS, else the host blocks of\n"
		"  $XDG_CONFIG_HOME/kiln/config.hcl): whether it can be reached, its CPUs and memory, kiln builds\n"
		"  running there, and the base images kiln keeps in its storage pools.\n"
		"\n"
		"  -clean removes what kiln processes of this machine that are gone left on the hosts: domains,\n"
		"  temporary volumes and unfinished uploads. With -cache it also removes the cached base images\n"
		"  that no build uses (the next build on the host uploads its image again).\n",
	.flags = (const struct cli_flag[]){
		{"cache", CLI_BOOL, NULL, NULL, "With -clean: also remove the cached base images no build uses"},
		{"clean", CLI_BOOL, NULL, NULL, "Remove what kiln processes that are gone left on the hosts"},
		CLI_HOSTS_FLAG,
		{NULL},
	},
	.min_args = 0,
	.max_args = 0,
	.run = run_hosts,
};
