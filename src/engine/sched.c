/* sched.c — which host of the pool takes a build now (see sched.h). */
#include "engine/sched.h"
#include "ui/ui.h"
#include "util/mem.h"

#include <stdlib.h>

uint64_t sched_memory_left(const struct sched_host *h)
{
	uint64_t taken = h->reserve + h->running_memory;
	return h->free_memory > taken ? h->free_memory - taken : 0;
}

/* Could the host take the build once this process's builds there have finished? Another kiln's builds
 * may finish too, so a host running some is never given up on. */
static bool could_ever_fit(const struct sched_host *h, const struct sched_need *need)
{
	if (!h->usable)
		return false;
	if (h->others > 0 && need->memory <= (h->memory > h->reserve ? h->memory - h->reserve : 0))
		return true;
	uint64_t free_then = h->free_memory + h->running_memory;
	return free_then > h->reserve && need->memory <= free_then - h->reserve;
}

/* Is a less loaded than b? Loads are busy/slots; compared without division. */
static int load_cmp(const struct sched_host *a, const struct sched_host *b)
{
	long long la = (long long)(a->running + a->others) * b->slots;
	long long lb = (long long)(b->running + b->others) * a->slots;
	return la < lb ? -1 : la > lb ? 1 : 0;
}

int sched_pick(const struct sched_host *hosts, size_t n, const struct sched_need *need)
{
	int best = -1;
	bool any_ever = false;
	for (size_t i = 0; i < n; i++) {
		const struct sched_host *h = &hosts[i];
		if (!could_ever_fit(h, need))
			continue;
		any_ever = true;
		int slots = h->slots > 0 ? h->slots : 1;
		if (h->running + h->others >= slots || need->memory > sched_memory_left(h))
			continue;
		if (best < 0) {
			best = (int)i;
			continue;
		}
		const struct sched_host *b = &hosts[best];
		int c = load_cmp(h, b);
		if (c == 0) {
			bool hc = h->cpus >= need->cpus, bc = b->cpus >= need->cpus;
			c = hc != bc ? (hc ? -1 : 1) : 0;
		}
		if (c == 0) {
			uint64_t hm = sched_memory_left(h), bm = sched_memory_left(b);
			c = hm > bm ? -1 : hm < bm ? 1 : 0;
		}
		if (c < 0)
			best = (int)i;
	}
	if (best >= 0)
		return best;
	return any_ever ? SCHED_WAIT : SCHED_NEVER;
}

char *sched_never_reason(const struct sched_host *hosts, const char *const *names, size_t n,
			 const struct sched_need *need)
{
	char *want = ui_format_bytes(need->memory);
	int best = -1;
	uint64_t best_left = 0;
	for (size_t i = 0; i < n; i++) {
		if (!hosts[i].usable)
			continue;
		uint64_t f = hosts[i].free_memory + hosts[i].running_memory;
		uint64_t left = f > hosts[i].reserve ? f - hosts[i].reserve : 0;
		if (best < 0 || left > best_left) {
			best = (int)i;
			best_left = left;
		}
	}
	char *r;
	if (best < 0) {
		r = xstrdup("no host of the pool can be reached");
	} else {
		char *left = ui_format_bytes(best_left);
		char *reserve = ui_format_bytes(hosts[best].reserve);
		r = xasprintf("the build needs %s of memory; the host with the most, %s, has %s free beyond the %s it "
			      "keeps in reserve", want, names[best], left, reserve);
		free(left);
		free(reserve);
	}
	free(want);
	return r;
}
