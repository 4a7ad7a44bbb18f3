/* sched.h — the scheduler's decision, kept apart from threads and connections so it can be tested on
 * its own: given what each host of the pool reports and what kiln runs there, which host takes a build
 * now (engine internal; the pool that feeds it is pool.c). */
#ifndef KILN_ENGINE_SCHED_H
#define KILN_ENGINE_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One host as the scheduler sees it. */
struct sched_host {
	bool usable;              /* reachable, not lost, allowed for this build */
	int cpus;                 /* what the host reports */
	uint64_t memory;          /* total bytes */
	uint64_t free_memory;     /* bytes free as last reported */
	uint64_t reserve;         /* bytes to leave free */
	int slots;                /* builds at once (max_builds, else cpus) */
	int running;              /* builds this process runs there */
	uint64_t running_memory;  /* their memory */
	int others;               /* builds another kiln runs there */
};

struct sched_need {
	int cpus;
	uint64_t memory;
};

enum {
	SCHED_WAIT = -1,   /* every host that could take it is busy now: wait for one to finish */
	SCHED_NEVER = -2,  /* no usable host could ever take it (too little memory in all of them) */
};

/* The index of the host to start the build on now, or SCHED_WAIT / SCHED_NEVER. Among the hosts with
 * a free slot and the memory the build needs (free memory, less the reserve, less what kiln's running
 * builds there were given: guests take their memory lazily, so what the host reports free does not
 * show them yet), the least loaded wins (running / slots), then one with at least the build's CPUs,
 * then the most memory left, then the first listed. */
int sched_pick(const struct sched_host *hosts, size_t n, const struct sched_need *need);

/* Memory left on a host for another build (0 when none). */
uint64_t sched_memory_left(const struct sched_host *h);

/* When sched_pick says SCHED_NEVER: a sentence saying why ("needs 8.0 GiB of memory; the largest host,
 * rack1, can give 3.5 GiB"). names[i] names hosts[i]. Caller frees. */
char *sched_never_reason(const struct sched_host *hosts, const char *const *names, size_t n,
			 const struct sched_need *need);

#endif
