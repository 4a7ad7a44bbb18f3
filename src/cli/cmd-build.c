/* cmd-build.c — `kiln build`: load the template, make the plan, run it. */
#include "cli/cli.h"
#include "cli/diagout.h"
#include "cli/poolargs.h"
#include "cli/requirements.h"
#include "cli/tmplargs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/checkpoint_store.h"
#include "engine/engine.h"
#include "engine/plan.h"
#include "template/template.h"
#include "ui/ui.h"
#include "util/mem.h"
#include "util/signals.h"

static int parse_on_error(const char *s, enum kiln_on_error *out)
{
	static const struct { const char *name; enum kiln_on_error v; } modes[] = {
		{"cleanup", KILN_ON_ERROR_CLEANUP}, {"abort", KILN_ON_ERROR_ABORT}, {"ask", KILN_ON_ERROR_ASK},
		{"run-cleanup-provisioner", KILN_ON_ERROR_RUN_CLEANUP_PROVISIONER},
	};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (strcmp(s, modes[i].name) == 0) {
			*out = modes[i].v;
			return 0;
		}
	return -1;
}

static const struct engine_tmpl_ops tmpl_ops = {tmpl_eval_step, kiln_config_free, tmpl_config_fingerprint};

/* -resume, -cache, and KILN_CACHE (1/true/yes/on turns -cache on; an explicit -cache=false wins). */
static int checkpoint_mode(struct cli_args *a, enum engine_checkpoints *mode)
{
	*mode = ENGINE_CHECKPOINTS_OFF;
	bool cache = false;
	if (cli_flag_set(a, "cache")) {
		cache = cli_bool(a, "cache");
	} else {
		const char *env = getenv("KILN_CACHE");
		if (env && *env) {
			if (!strcmp(env, "1") || !strcasecmp(env, "true") || !strcasecmp(env, "yes") || !strcasecmp(env, "on"))
				cache = true;
			else if (strcmp(env, "0") != 0 && strcasecmp(env, "false") != 0 && strcasecmp(env, "no") != 0 &&
				 strcasecmp(env, "off") != 0) {
				fprintf(stderr, "kiln build: KILN_CACHE must be 1 or 0 (true/false, yes/no, on/off), not \"%s\"\n", env);
				return -1;
			}
		}
	}
	if (cache)
		*mode = ENGINE_CHECKPOINTS_CACHE;
	else if (cli_bool(a, "resume"))
		*mode = ENGINE_CHECKPOINTS_RESUME;
	return 0;
}

static int run_build(struct cli_args *a)
{
	enum kiln_on_error on_error;
	if (parse_on_error(cli_string(a, "on-error"), &on_error) < 0) {
		fprintf(stderr, "kiln build: -on-error must be cleanup, abort, ask or run-cleanup-provisioner, not \"%s\"\n",
			cli_string(a, "on-error"));
		return 1;
	}
	if (cli_int(a, "parallel-builds") < 0) {
		fprintf(stderr, "kiln build: -parallel-builds must be 0 (no limit) or more\n");
		return 1;
	}
	enum engine_checkpoints checkpoints;
	if (checkpoint_mode(a, &checkpoints) < 0)
		return 1;
	uint64_t max_bytes = 0;
	if (checkpoints != ENGINE_CHECKPOINTS_OFF) {
		struct kiln_error e = ERR_INIT;
		if (ckstore_max_bytes_from_env(&max_bytes, &e) < 0) {
			cli_print_error_line("kiln build", &e);
			return 1;
		}
	}
	struct ui_settings us = {
		.color = cli_bool(a, "color") ? UI_COLOR_AUTO : UI_COLOR_NEVER,
		.machine_readable = cli_bool(a, "machine-readable"),
		.timestamps = cli_bool(a, "timestamp-ui"),
	};
	ui_configure(&us);

	struct config cfg = {0};
	struct config_pool pool = {0};
	if (cli_load_pool(a, &cfg, &pool) != 0)
		return 1;
	struct hcl_diags diags = HCL_DIAGS_INIT;
	struct tmpl *t = cli_load_template(a, a->argv[0], TMPL_FULL, false, &diags);
	const struct strv *only = cli_list(a, "only"), *except = cli_list(a, "except");
	struct plan plan = {0};
	int rc = 1;

	cli_check_required_plugins(t, &diags);
	if (!hcl_diags_has_errors(&diags)) {
		/* validate's checks first, exactly: every selected source, provisioner and post-processor is
		 * decoded and prepared (build.* unknown) and every file it names checked, so that a typo in
		 * the last provisioner stops the build before anything is downloaded or booted */
		struct plan_options popts = {.only = only, .except = except};
		tmpl_validate(t, &popts, &diags);
		size_t nvalidate = diags.n;
		if (!hcl_diags_has_errors(&diags))
			tmpl_plan_diags(t, &popts, &plan, &diags);
		hcl_diags_dedup(&diags, nvalidate); /* planning decodes again: say each warning once */
	}
	cli_print_diags(stderr, &diags, tmpl_files(t));
	if (hcl_diags_has_errors(&diags))
		goto out;
	if (plan.nbuilds == 0) {
		fprintf(stderr, "Error: no builds to run\n\n%s\n",
			only->n || except->n ? "-only/-except left no build of the template to run."
					     : "The template has no build block with sources.");
		goto out;
	}
	struct engine_opts eopts = {
		.debug = cli_bool(a, "debug"),
		.force = cli_bool(a, "force"),
		.on_error = on_error,
		.parallel_builds = (int)cli_int(a, "parallel-builds"),
		.tmpl = t,
		.tmpl_ops = &tmpl_ops,
		.checkpoints = checkpoints,
		.checkpoint_max_bytes = max_bytes,
		.hosts = pool.hosts,
		.nhosts = pool.n,
	};
	struct engine_result res;
	rc = engine_run(&plan, &eopts, &res) == 0 ? 0 : 1;
	if (res.cancelled)
		rc = 130;
out:
	plan_free(&plan);
	hcl_diags_free(&diags);
	tmpl_free(t);
	config_pool_free(&pool);
	config_free(&cfg);
	return rc;
}

const struct cli_command cmd_build = {
	.name = "build",
	.synopsis = "Build image(s) from a template",
	.usage = "kiln build [options] PATH",
	.help = "  Runs every build of the template at PATH (a .pkr.hcl file or a directory of them, with its\n"
		"  *.auto.pkrvars.hcl files): each source is booted, provisioned, shut down, sanitized and\n"
		"  exported, then handed to the post-processors. Builds run in parallel.\n"
		"\n"
		"  Before anything is downloaded or booted, build makes every check `kiln validate` makes\n"
		"  on the builds it will run: each source, provisioner and post-processor is decoded and\n"
		"  prepared (values only a running build knows, build.*, left unknown) and every file they\n"
		"  name is checked. Any error stops the build there, with every problem reported.\n"
		"\n"
		"  With a pool of libvirt hosts (-hosts, KILN_HOSTS or the configuration file; see `kiln hosts`),\n"
		"  each build runs on the host that can take it, base images are uploaded to each host once,\n"
		"  and a build whose host goes away is retried once on another.\n",
	.flags = (const struct cli_flag[]){
		{"cache", CLI_BOOL, NULL, NULL, "Reuse matching checkpoints of earlier builds and keep new ones (KILN_CACHE=1 sets it; see docs/checkpoints.md)"},
		{"color", CLI_BOOL, NULL, "true", "Colour the output (only on a terminal; NO_COLOR turns it off)"},
		{"debug", CLI_BOOL, NULL, NULL, "Pause before each step; builds run one at a time"},
		{"except", CLI_LIST, "foo,bar.*", NULL, "Run every build except these (globs on build names); post-processors named so (or of that type, when unnamed) are skipped too"},
		{"only", CLI_LIST, "foo,bar.*", NULL, "Run only these builds (globs on build names)"},
		{"force", CLI_BOOL, NULL, NULL, "Replace existing artifacts and output directories"},
		CLI_HOSTS_FLAG,
		{"machine-readable", CLI_BOOL, NULL, NULL, "Print Packer's machine-readable lines"},
		{"on-error", CLI_STRING, "cleanup|abort|ask|run-cleanup-provisioner", "cleanup",
		 "What to do when a build fails"},
		{"parallel-builds", CLI_INT, "N", "0", "Run at most N builds at once (0: no limit)"},
		{"resume", CLI_BOOL, NULL, NULL, "Keep a checkpoint after each provisioner; after a failure, start again from the last good one"},
		{"timestamp-ui", CLI_BOOL, NULL, NULL, "Prefix every line with an RFC 3339 timestamp"},
		{"warn-on-undeclared-var", CLI_BOOL, NULL, NULL,
		 "Warn about values in variable files for variables the template does not declare"},
		CLI_VAR_FLAGS,
		{NULL},
	},
	.min_args = 1,
	.max_args = 1,
	.run = run_build,
	.winds_down = true,
};
