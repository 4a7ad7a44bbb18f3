/* test-engine-run.c — the build engine with fake components: provisioner order and hook, error-cleanup
 * provisioner, max_retries, timeout, keep_input_artifact rules, -parallel-builds, prepare failures, and
 * the summary Packer prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "component.h"
#include "engine/engine.h"
#include "ui/ui.h"
#include "ui-capture.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

/* --- fake configuration: the step's type string tells the fake components what to do --- */
struct kiln_config {
	const char *behaviour;
};

static int fake_eval(struct tmpl *t, const struct plan_build *b, const struct plan_step *s,
		     const struct strv *build_data, struct kiln_config **cfg, struct kiln_error *err)
{
	(void)t;
	(void)b;
	/* the builder set Host before provisioning: late evaluation must see it */
	bool has_host = false;
	for (size_t i = 0; i < build_data->n; i++)
		if (strcmp(build_data->v[i], "Host=127.0.0.1") == 0)
			has_host = true;
	if (s->provisioner && !has_host)
		return err_set(err, "build.Host was not known when the provisioner was evaluated");
	*cfg = xcalloc(1, sizeof **cfg);
	(*cfg)->behaviour = s->name ? s->name : "ok";
	return 0;
}

static void fake_config_free(struct kiln_config *c)
{
	free(c);
}

static const struct engine_tmpl_ops fake_ops = {fake_eval, fake_config_free, NULL};

/* --- a journal of what ran, shared by the fakes --- */
static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;
static struct strv journal;
static int running, max_running;
static int flaky_failures_left;
static char *workdir;

static void note(const char *fmt, const char *arg)
{
	pthread_mutex_lock(&journal_lock);
	strv_pushf(&journal, fmt, arg);
	pthread_mutex_unlock(&journal_lock);
}

/* --- fake builder --- */
static int fb_prepare(const struct kiln_config *cfg, void **inst, struct strv *warnings, struct kiln_error *err)
{
	const char *b = cfg ? cfg->behaviour : "ok";
	if (strcmp(b, "bad-config") == 0)
		return err_set(err, "iso_url is required");
	if (strcmp(b, "warn") == 0)
		strv_push(warnings, "a deprecated key");
	*inst = (void *)b;
	return 0;
}

static int fb_run(void *inst, struct kiln_ctx *ctx, struct kiln_artifact **artifact, struct kiln_error *err)
{
	const char *b = inst;
	pthread_mutex_lock(&journal_lock);
	running++;
	if (running > max_running)
		max_running = running;
	pthread_mutex_unlock(&journal_lock);
	note("builder:%s", ctx->build_name);
	kiln_ctx_set(ctx, "Host", "127.0.0.1");
	if (strcmp(b, "slow") == 0)
		sleep_cancellable_ms(300);
	int rc = ctx->ops->provision(ctx, NULL, err);
	pthread_mutex_lock(&journal_lock);
	running--;
	pthread_mutex_unlock(&journal_lock);
	if (rc < 0)
		return -1;
	char *file = xasprintf("%s/%s.img", workdir, ctx->source_name);
	struct kiln_error e = ERR_INIT;
	file_write(file, "disk", 4, 0644, &e);
	*artifact = kiln_artifact_new("fake.builder", ctx->source_name, "VM files in directory: out");
	kiln_artifact_add_file(*artifact, file);
	free(file);
	return 0;
}

static const struct kiln_builder fake_builder = {
	.type = "fake", .builder_id = "fake.builder",
	.prepare = fb_prepare, .run = fb_run,
};

/* --- fake provisioner: behaviour from its config --- */
static int fp_prepare(const struct kiln_config *cfg, void **inst, struct strv *warnings, struct kiln_error *err)
{
	(void)warnings;
	(void)err;
	*inst = (void *)cfg->behaviour;
	return 0;
}

static int fp_provision(void *inst, struct kiln_ctx *ctx, struct kiln_comm *comm, struct kiln_error *err)
{
	(void)comm;
	const char *b = inst;
	note("provision:%s", b);
	if (strcmp(b, "fail") == 0)
		return err_set(err, "Script exited with non-zero exit status: 3");
	if (strcmp(b, "flaky") == 0) {
		pthread_mutex_lock(&journal_lock);
		int left = flaky_failures_left--;
		pthread_mutex_unlock(&journal_lock);
		if (left > 0)
			return err_set(err, "flaky failure");
	}
	if (strcmp(b, "hang") == 0) {
		if (sleep_cancellable_ms(20000) < 0)
			return err_set_kind(err, ERR_CANCELLED, "cancelled");
	}
	(void)ctx;
	return 0;
}

static const struct kiln_provisioner fake_prov = {
	.type = "fakeprov", .prepare = fp_prepare, .provision = fp_provision,
};

/* --- fake post-processor: "compress" makes a new artifact (keep=false), "manifest" returns its input --- */
static int fpp_prepare(const struct kiln_config *cfg, void **inst, struct strv *warnings, struct kiln_error *err)
{
	(void)warnings;
	(void)err;
	*inst = (void *)cfg->behaviour;
	return 0;
}

static int fpp_run(void *inst, struct kiln_ctx *ctx, struct kiln_artifact *in, struct kiln_artifact **out,
		   bool *keep, struct kiln_error *err)
{
	const char *b = inst;
	note("post:%s", b);
	if (strcmp(b, "fail") == 0)
		return err_set(err, "cannot compress");
	if (strcmp(b, "manifest") == 0) {
		*out = in;
		*keep = true;
		return 0;
	}
	char *file = xasprintf("%s/%s.%s", workdir, ctx->source_name, b);
	struct kiln_error e = ERR_INIT;
	file_write(file, "x", 1, 0644, &e);
	*out = kiln_artifact_new("fake.pp", b, b);
	kiln_artifact_add_file(*out, file);
	free(file);
	*keep = false;
	return 0;
}

static const struct kiln_postprocessor fake_pp = {
	.type = "fakepp", .prepare = fpp_prepare, .run = fpp_run,
};

/* --- plan construction --- */
static struct kiln_config builder_cfgs[8];

static struct plan_step prov(const char *behaviour)
{
	return (struct plan_step){.type = "fakeprov", .name = behaviour, .provisioner = &fake_prov,
				  .location = "build.pkr.hcl:7"};
}

static struct plan_step pp(const char *behaviour)
{
	return (struct plan_step){.type = "fakepp", .name = behaviour, .postprocessor = &fake_pp};
}

static struct plan_build mkbuild(size_t i, const char *behaviour, const char *source)
{
	builder_cfgs[i].behaviour = behaviour;
	struct plan_build b = {0};
	b.name = xasprintf("fake.%s", source);
	b.builder_type = "fake";
	b.source_name = (char *)source;
	b.builder = &fake_builder;
	b.builder_config = &builder_cfgs[i];
	return b;
}

static void reset(void)
{
	strv_free(&journal);
	running = max_running = 0;
	struct kiln_error e = ERR_INIT;
	if (workdir)
		tmpdir_release(workdir);
	free(workdir);
	workdir = tmpdir_make("kiln-engine-test", &e);
}

static int run_plan(struct plan_build *builds, size_t n, int parallel, bool machine, struct engine_result *res)
{
	struct plan plan = {.builds = builds, .nbuilds = n, .template_dir = "."};
	struct engine_opts opts = {.parallel_builds = parallel, .tmpl_ops = &fake_ops};
	capture_start(machine);
	int rc = engine_run(&plan, &opts, res);
	capture_stop();
	for (size_t i = 0; i < n; i++)
		free(builds[i].name);
	return rc;
}

static bool exists_in_workdir(const char *name)
{
	char *p = path_join(workdir, name);
	bool e = file_exists(p);
	free(p);
	return e;
}

static void test_success_order_and_summary(void **state)
{
	(void)state;
	reset();
	struct plan_step provs[] = {prov("one"), prov("two")};
	struct plan_build b = mkbuild(0, "ok", "a");
	b.provisioners = provs;
	b.nprovisioners = 2;
	struct engine_result res;
	assert_int_equal(run_plan(&b, 1, 0, false, &res), 0);
	assert_int_equal(res.succeeded, 1);
	assert_int_equal(res.artifacts, 1);
	assert_int_equal(journal.n, 3);
	assert_string_equal(journal.v[0], "builder:fake.a");
	assert_string_equal(journal.v[1], "provision:one");
	assert_string_equal(journal.v[2], "provision:two");
	assert_non_null(strstr(out_data, "Build 'fake.a' finished after "));
	assert_non_null(strstr(out_data, "\n==> Wait completed after "));
	assert_non_null(strstr(out_data, "\n==> Builds finished. The artifacts of successful builds are:\n"
					 "--> fake.a: VM files in directory: out\n"));
	assert_true(exists_in_workdir("a.img"));
	capture_free();
}

static void test_failure_runs_error_cleanup(void **state)
{
	(void)state;
	reset();
	struct plan_step provs[] = {prov("fail"), prov("never")};
	struct plan_step cleanup = prov("cleanup");
	struct plan_build b = mkbuild(0, "ok", "a");
	b.provisioners = provs;
	b.nprovisioners = 2;
	b.error_cleanup = &cleanup;
	struct engine_result res;
	assert_int_equal(run_plan(&b, 1, 0, false, &res), -1);
	assert_int_equal(res.failed, 1);
	assert_int_equal(res.artifacts, 0);
	assert_true(strv_contains(&journal, "provision:cleanup"));
	assert_false(strv_contains(&journal, "provision:never"));
	assert_non_null(strstr(out_data, "==> fake.a: Provisioning step had errors: Running the cleanup provisioner, if present...\n"));
	/* the error names the provisioner and where it is declared */
	assert_non_null(strstr(err_data, "Build 'fake.a' errored after "));
	assert_non_null(strstr(err_data, "provisioner \"fakeprov\" (fail) at build.pkr.hcl:7: Script exited with non-zero exit status: 3"));
	assert_non_null(strstr(err_data, "\n==> Some builds didn't complete successfully and had errors:\n--> fake.a: "));
	assert_non_null(strstr(out_data, "\n==> Builds finished but no artifacts were created.\n"));
	capture_free();
}

static void test_max_retries(void **state)
{
	(void)state;
	reset();
	struct plan_step provs[] = {prov("flaky")};
	provs[0].max_retries = 2;
	flaky_failures_left = 2;
	struct plan_build b = mkbuild(0, "ok", "a");
	b.provisioners = provs;
	b.nprovisioners = 1;
	struct engine_result res;
	assert_int_equal(run_plan(&b, 1, 0, false, &res), 0);
	assert_int_equal(journal.n, 4); /* builder + 3 attempts */
	assert_non_null(strstr(out_data, "Retrying provisioner \"fakeprov\" (flaky) at build.pkr.hcl:7 (attempt 3 of 3)..."));
	capture_free();

	reset();
	flaky_failures_left = 5;
	struct plan_build b2 = mkbuild(0, "ok", "a");
	provs[0].max_retries = 1;
	b2.provisioners = provs;
	b2.nprovisioners = 1;
	assert_int_equal(run_plan(&b2, 1, 0, false, &res), -1);
	assert_int_equal(journal.n, 3); /* builder + 2 attempts, then give up */
	capture_free();
}

static void test_timeout(void **state)
{
	(void)state;
	reset();
	struct plan_step provs[] = {prov("hang"), prov("after")};
	provs[0].timeout_ms = 300;
	struct plan_build b = mkbuild(0, "ok", "a");
	b.provisioners = provs;
	b.nprovisioners = 2;
	struct engine_result res;
	assert_int_equal(run_plan(&b, 1, 0, false, &res), -1);
	assert_non_null(strstr(err_data, "provisioner \"fakeprov\" (hang) at build.pkr.hcl:7: timed out after 300ms"));
	assert_false(strv_contains(&journal, "provision:after"));
	assert_false(sig_cancelled()); /* the deadline belonged to that provisioner only */
	capture_free();
}

static void test_keep_input_artifact(void **state)
{
	(void)state;
	/* compress-like post-processor with default keep=false: the builder's files are deleted */
	reset();
	struct plan_step chain1[] = {pp("gz")};
	struct plan_chain chains[] = {{chain1, 1}};
	struct plan_build b = mkbuild(0, "ok", "a");
	b.chains = chains;
	b.nchains = 1;
	struct engine_result res;
	assert_int_equal(run_plan(&b, 1, 0, false, &res), 0);
	assert_int_equal(res.artifacts, 1);
	assert_false(exists_in_workdir("a.img"));
	assert_true(exists_in_workdir("a.gz"));
	assert_non_null(strstr(out_data, "==> fake.a: Running post-processor: gz (type fakepp)\n"));
	capture_free();

	/* keep_input_artifact = true keeps it, and it is listed first */
	reset();
	chain1[0].keep_input_artifact = true;
	chain1[0].keep_input_artifact_set = true;
	struct plan_build b2 = mkbuild(0, "ok", "a");
	b2.chains = chains;
	b2.nchains = 1;
	assert_int_equal(run_plan(&b2, 1, 0, false, &res), 0);
	assert_int_equal(res.artifacts, 2);
	assert_true(exists_in_workdir("a.img"));
	assert_non_null(strstr(out_data, "--> fake.a: VM files in directory: out\n--> fake.a: gz\n"));
	capture_free();

	/* in a chain, an intermediate artifact is deleted unless kept; manifest returns its input */
	reset();
	struct plan_step chain2[] = {pp("tar"), pp("xz")};
	struct plan_step chain3[] = {pp("manifest")};
	struct plan_chain chains2[] = {{chain2, 2}, {chain3, 1}};
	struct plan_build b3 = mkbuild(0, "ok", "a");
	b3.chains = chains2;
	b3.nchains = 2;
	assert_int_equal(run_plan(&b3, 1, 0, false, &res), 0);
	assert_false(exists_in_workdir("a.tar"));
	assert_true(exists_in_workdir("a.xz"));
	assert_true(exists_in_workdir("a.img")); /* the manifest chain keeps the original */
	/* the original, the xz, and the original again as the manifest chain's result: Packer's list */
	assert_int_equal(res.artifacts, 3);
	capture_free();
}

static void test_parallel_builds(void **state)
{
	(void)state;
	reset();
	struct plan_build bs[3] = {mkbuild(0, "slow", "a"), mkbuild(1, "slow", "b"), mkbuild(2, "slow", "c")};
	struct engine_result res;
	assert_int_equal(run_plan(bs, 3, 1, false, &res), 0);
	assert_int_equal(max_running, 1);
	assert_int_equal(res.succeeded, 3);
	capture_free();

	reset();
	struct plan_build bs2[3] = {mkbuild(0, "slow", "a"), mkbuild(1, "slow", "b"), mkbuild(2, "slow", "c")};
	assert_int_equal(run_plan(bs2, 3, 0, false, &res), 0);
	assert_true(max_running >= 2);
	capture_free();
}

static void test_prepare_failure_runs_nothing(void **state)
{
	(void)state;
	reset();
	struct plan_build bs[2] = {mkbuild(0, "ok", "a"), mkbuild(1, "bad-config", "b")};
	struct engine_result res;
	assert_int_equal(run_plan(bs, 2, 0, false, &res), -1);
	assert_int_equal(journal.n, 0);
	assert_non_null(strstr(err_data, "==> fake.b: Failed preparing build: source \"fake\" \"b\": iso_url is required"));
	capture_free();
}

static void test_machine_readable_artifacts(void **state)
{
	(void)state;
	reset();
	struct plan_build b = mkbuild(0, "warn", "a");
	struct engine_result res;
	assert_int_equal(run_plan(&b, 1, 0, true, &res), 0);
	assert_non_null(strstr(out_data, ",fake.a,artifact-count,1\n"));
	assert_non_null(strstr(out_data, ",fake.a,artifact,0,builder-id,fake.builder\n"));
	assert_non_null(strstr(out_data, ",fake.a,artifact,0,string,VM files in directory: out\n"));
	assert_non_null(strstr(out_data, ",fake.a,artifact,0,files-count,1\n"));
	assert_non_null(strstr(out_data, ",fake.a,artifact,0,end\n"));
	assert_non_null(strstr(out_data, ",,ui,say,\\n==> Builds finished. The artifacts of successful builds are:\n"));
	assert_non_null(strstr(out_data, ",,ui,error,==> fake.a: Warning: a deprecated key\n"));
	capture_free();
}

static int teardown(void **state)
{
	(void)state;
	strv_free(&journal);
	if (workdir)
		tmpdir_release(workdir);
	free(workdir);
	workdir = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success_order_and_summary),
		cmocka_unit_test(test_failure_runs_error_cleanup),
		cmocka_unit_test(test_max_retries),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_keep_input_artifact),
		cmocka_unit_test(test_parallel_builds),
		cmocka_unit_test(test_prepare_failure_runs_nothing),
		cmocka_unit_test(test_machine_readable_artifacts),
	};
	return cmocka_run_group_tests_name("engine-run", tests, NULL, teardown);
}
