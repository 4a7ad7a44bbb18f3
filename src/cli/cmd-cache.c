/* cmd-cache.c — `kiln cache list | prune | clear`: the checkpoint store of -resume and -cache
 * (docs/checkpoints.md). Each subcommand is a struct cli_command of its own, parsed after its name. */
#include "cli/cli.h"
#include "cli/diagout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/checkpoint_store.h"
#include "image/image.h"
#include "ui/ui.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/timeutil.h"
#include "util/units.h"

static char *store_root(void)
{
	return ckstore_default_root();
}

static int open_store(struct ckstore **s)
{
	char *root = store_root();
	struct kiln_error e = ERR_INIT;
	int rc = ckstore_open(root, s, &e);
	if (rc < 0)
		cli_print_error_line("kiln cache", &e);
	err_clear(&e);
	free(root);
	return rc;
}

static char *ago(int64_t t)
{
	int64_t d = (int64_t)time(NULL) - t;
	if (d < 0)
		d = 0;
	char *h = duration_human_ms(d * 1000);
	char *s = xasprintf("%s ago", h);
	free(h);
	return s;
}

static int run_list(struct cli_args *a)
{
	struct ckstore *s;
	if (open_store(&s) < 0)
		return 1;
	struct ckstore_entry *v = NULL;
	size_t n = 0;
	struct strv broken = STRV_INIT;
	struct kiln_error e = ERR_INIT;
	if (ckstore_list(s, &v, &n, &broken, &e) < 0) {
		cli_print_error_line("kiln cache list", &e);
		ckstore_close(s);
		return 1;
	}
	bool machine = cli_bool(a, "machine-readable");
	if (machine) {
		struct ui_settings us = {.color = UI_COLOR_NEVER, .machine_readable = true};
		ui_configure(&us);
	}
	uint64_t total = 0, limit = 0;
	if (ckstore_max_bytes_from_env(&limit, &e) < 0) {
		err_clear(&e);
		limit = CKSTORE_DEFAULT_MAX_BYTES;
	}
	if (!machine && n)
		printf("%-12s  %-20s  %-6s  %10s  %-14s  %-6s  %s\n", "ID", "BUILD", "MEMORY", "SIZE", "LAST USED", "KEEP", "AFTER");
	/* newest use first: what a user looks for */
	for (size_t k = n; k-- > 0;) {
		const struct ckstore_entry *x = &v[k];
		total += x->bytes;
		if (machine) {
			char after[32], bytes[32], used[32], created[32];
			snprintf(after, sizeof after, "%zu", x->after);
			snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)x->bytes);
			snprintf(used, sizeof used, "%lld", (long long)x->last_used);
			snprintf(created, sizeof created, "%lld", (long long)x->created);
			ui_machine(ui_global(), "checkpoint", x->id, x->build, after, x->step, x->memory ? "memory" : "disk",
				   bytes, created, used, x->keep, x->parent ? x->parent : "", NULL);
			continue;
		}
		char *size = ui_format_bytes(x->bytes), *used = ago(x->last_used);
		printf("%-12.12s  %-20s  %-6s  %10s  %-14s  %-6s  %s\n", x->id, x->build, x->memory ? "yes" : "no", size, used,
		       x->keep, x->after == 0 ? "boot" : x->step);
		free(size);
		free(used);
	}
	if (!machine) {
		char *t = ui_format_bytes(total), *l = ui_format_bytes(limit);
		printf("%s%zu checkpoint%s, %s of %s (KILN_CACHE_MAX_SIZE) in %s\n", n ? "\n" : "", n, n == 1 ? "" : "s", t, l,
		       ckstore_root(s));
		if (broken.n)
			printf("%zu unreadable checkpoint%s (`kiln cache prune` removes them)\n", broken.n, broken.n == 1 ? "" : "s");
		free(t);
		free(l);
	}
	strv_free(&broken);
	ckstore_entries_free(v, n);
	ckstore_close(s);
	return 0;
}

static int run_prune(struct cli_args *a)
{
	uint64_t max = 0;
	struct kiln_error e = ERR_INIT;
	const char *size = cli_string(a, "max-size");
	if (size ? size_parse(size, 'B', &max, &e) < 0 : ckstore_max_bytes_from_env(&max, &e) < 0) {
		cli_print_error_line("kiln cache prune", &e);
		return 1;
	}
	int64_t older_ms = 0;
	const char *older = cli_string(a, "older-than");
	if (older && duration_parse(older, &older_ms, &e) < 0) {
		cli_print_error_line("kiln cache prune: -older-than", &e);
		return 1;
	}
	struct ckstore *s;
	if (open_store(&s) < 0)
		return 1;
	size_t removed = 0, busy = 0;
	int rc = 0;
	if (older) {
		struct ckstore_entry *v = NULL;
		size_t n = 0;
		if (ckstore_list(s, &v, &n, NULL, &e) < 0) {
			cli_print_error_line("kiln cache prune", &e);
			ckstore_close(s);
			return 1;
		}
		int64_t cutoff = (int64_t)time(NULL) - older_ms / 1000;
		for (size_t i = 0; i < n; i++) {
			if (v[i].last_used >= cutoff)
				continue;
			bool b = false;
			size_t gone = 0;
			if (ckstore_remove(s, v[i].id, &b, &gone, &e) < 0) {
				cli_print_error_line("kiln cache prune", &e);
				rc = 1;
			}
			if (b)
				busy++;
			removed += gone;
		}
		ckstore_entries_free(v, n);
	}
	struct strv gone = STRV_INIT;
	if (ckstore_evict(s, max, &gone, &e) < 0) {
		cli_print_error_line("kiln cache prune", &e);
		rc = 1;
	}
	removed += gone.n;
	uint64_t after = ckstore_total_bytes(s);
	char *lim = ui_format_bytes(max), *now = ui_format_bytes(after);
	printf("Removed %zu checkpoint%s; the store holds %s (limit %s)\n", removed, removed == 1 ? "" : "s", now, lim);
	if (busy)
		printf("%zu checkpoint%s in use by a running build kept\n", busy, busy == 1 ? "" : "s");
	free(lim);
	free(now);
	strv_free(&gone);
	ckstore_close(s);
	return rc;
}

static int run_clear(struct cli_args *a)
{
	(void)a;
	struct ckstore *s;
	if (open_store(&s) < 0)
		return 1;
	struct ckstore_entry *v = NULL;
	size_t n = 0;
	struct kiln_error e = ERR_INIT;
	int rc = 0;
	size_t removed = 0, busy = 0;
	if (ckstore_list(s, &v, &n, NULL, &e) < 0) {
		cli_print_error_line("kiln cache clear", &e);
		ckstore_close(s);
		return 1;
	}
	uint64_t before = ckstore_total_bytes(s);
	/* roots first: removing one removes what builds on it */
	for (size_t i = 0; i < n; i++) {
		if (v[i].parent)
			continue;
		bool b = false;
		size_t gone = 0;
		if (ckstore_remove(s, v[i].id, &b, &gone, &e) < 0) {
			cli_print_error_line("kiln cache clear", &e);
			rc = 1;
		}
		busy += b;
		removed += gone;
	}
	ckstore_entries_free(v, n);
	/* and whatever is left (orphans, broken entries) */
	struct strv gone = STRV_INIT;
	if (ckstore_evict(s, 0, &gone, &e) < 0) {
		cli_print_error_line("kiln cache clear", &e);
		rc = 1;
	}
	removed += gone.n;
	uint64_t after = ckstore_total_bytes(s);
	char *freed = ui_format_bytes(before > after ? before - after : 0);
	printf("Cleared the checkpoint store %s: %zu checkpoint%s removed, %s freed\n", ckstore_root(s), removed,
	       removed == 1 ? "" : "s", freed);
	if (busy || after)
		printf("Checkpoints in use by a running build were kept\n");
	/* and the sanitize step's inspection cache, kept for checkpointed builds (docs/sanitize.md) */
	char *inspect = xdg_cache_path(IMG_INSPECT_CACHE_SUBDIR);
	if (file_exists(inspect)) {
		if (rm_rf(inspect, &e) < 0) {
			cli_print_error_line("kiln cache clear", &e);
			rc = 1;
		} else {
			printf("Cleared the inspection cache %s\n", inspect);
		}
	}
	free(inspect);
	free(freed);
	strv_free(&gone);
	ckstore_close(s);
	return rc;
}

static const struct cli_command sub_list = {
	.name = "list",
	.synopsis = "List the checkpoints",
	.usage = "kiln cache list [-machine-readable]",
	.help = "  Lists the stored checkpoints, most recently used first: the build and step each was taken\n"
		"  after, whether it holds the machine's memory, its size, when it was last used, and whether it\n"
		"  is kept for -resume or for -cache.\n",
	.flags = (const struct cli_flag[]){
		{"machine-readable", CLI_BOOL, NULL, NULL, "One machine-readable line per checkpoint"},
		{NULL},
	},
	.min_args = 0,
	.max_args = 0,
	.run = run_list,
};

static const struct cli_command sub_prune = {
	.name = "prune",
	.synopsis = "Trim the checkpoint store",
	.usage = "kiln cache prune [-max-size SIZE] [-older-than DURATION]",
	.help = "  Removes least recently used checkpoints until the store fits its limit, unreadable ones, and\n"
		"  what crashed builds left behind. Checkpoints in use by a running build stay.\n",
	.flags = (const struct cli_flag[]){
		{"max-size", CLI_STRING, "SIZE", NULL, "Trim to this size (\"5G\"); default KILN_CACHE_MAX_SIZE, else 20G"},
		{"older-than", CLI_STRING, "DURATION", NULL, "Also remove checkpoints unused for this long (\"72h\")"},
		{NULL},
	},
	.min_args = 0,
	.max_args = 0,
	.run = run_prune,
};

static const struct cli_command sub_clear = {
	.name = "clear",
	.synopsis = "Remove every checkpoint",
	.usage = "kiln cache clear",
	.help = "  Removes every checkpoint not in use by a running build.\n",
	.flags = (const struct cli_flag[]){{NULL}},
	.min_args = 0,
	.max_args = 0,
	.run = run_clear,
};

static const struct cli_command *const subcommands[] = {&sub_list, &sub_prune, &sub_clear, NULL};

static int run_cache(struct cli_args *a)
{
	return cli_run_subcommand(a, subcommands, ": use list, prune or clear");
}

const struct cli_command cmd_cache = {
	.name = "cache",
	.synopsis = "List, trim or clear the checkpoint store",
	.usage = "kiln cache list|prune|clear [options]",
	.help = "  The checkpoints that `kiln build -resume` and `-cache` keep, in $XDG_CACHE_HOME/kiln/checkpoints\n"
		"  (docs/checkpoints.md).\n"
		"\n"
		"    list    the checkpoints, most recently used first (-machine-readable)\n"
		"    prune   trim to the size limit (-max-size), drop old ones (-older-than) and leftovers\n"
		"    clear   remove every checkpoint not in use, and the sanitize step's inspection cache\n"
		"            ($XDG_CACHE_HOME/kiln/inspect)\n"
		"\n"
		"  KILN_CACHE_MAX_SIZE sets the store's limit (default 20G); builds evict least recently used\n"
		"  checkpoints beyond it.\n",
	.flags = (const struct cli_flag[]){{NULL}},
	.min_args = 1,
	.max_args = -1,
	.run = run_cache,
};
