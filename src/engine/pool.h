/* pool.h — the build pool: the hypervisor hosts builds may run on, what each reports, which builds run
 * where, and the hosts that went away (engine internal; `kiln build -hosts`, docs/hosts.md).
 *
 * Every host has a thread of its own that keeps a connection (through the builder's kiln_host_ops),
 * asks the host what it has every few seconds, and reconnects to a host that cannot be reached or was
 * lost. A host that comes back gets what this run could not remove there while it was gone (and what
 * dead kiln processes of this machine left) removed before it takes builds again. The decision itself
 * is sched.c's. */
#ifndef KILN_ENGINE_POOL_H
#define KILN_ENGINE_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "component.h"

struct pool;
struct ui;

struct pool_options {
	long first_probe_ms;      /* how long to wait for the hosts' first answers (0: 10 s) */
	long reprobe_ms;          /* how often a host is asked again (0: 2 s) */
	long reconnect_ms;        /* how often an unreachable host is tried again (0: 3 s) */
};

/* Connect to every host (in parallel) and ask what it has; unreachable hosts are skipped with a
 * warning (and tried again in the background). Never NULL; hosts and ops must outlive the pool. */
struct pool *pool_open(const struct kiln_host *hosts, size_t n, const struct kiln_host_ops *ops,
		       const struct pool_options *opts);
/* Stop the host threads, close the connections; warn about leftovers on hosts still gone. */
void pool_close(struct pool *p);

const struct kiln_host *pool_host(const struct pool *p, size_t i);
/* The host of that URI, or -1. */
int pool_find_uri(const struct pool *p, const char *uri);
/* Hosts reachable now. */
size_t pool_usable(struct pool *p);

/* Wait until a host can take a build that needs `need`, and count the build there. exclude: a host not
 * to use (-1: none); only: the one host allowed (-1: any). ui says once that the build waits. Returns the
 * host's index, or -1 with err set: cancelled, no host could ever take it (too big), or no host left. */
int pool_acquire(struct pool *p, const struct kiln_placement *need, int exclude, int only, struct ui *ui,
		 struct kiln_error *err);
/* The build is over there. lost: it failed because the host went away (the host is marked lost and
 * reconnected to in the background). */
void pool_release(struct pool *p, int host, const struct kiln_placement *need, bool lost);

/* Mean scheduling cost per placement so far, in ns (the first probe shared among the placements, plus
 * each decision), for the log and bench/farm.sh. */
int64_t pool_overhead_ns(const struct pool *p);

#endif
