/* kiln-plugin-fixture — a plugin for kiln's tests, built on the C SDK: what its provisioner does is
 * chosen by its configuration, including every way a plugin can misbehave.
 *
 *   mode = "ok"           say hello, run `command` (streamed back when stream = true), upload `file`
 *                         to `destination`, upload `data` as a file, download `fetch` to `fetch_to`
 *   mode = "crash"        write a line to stderr, then die of SIGSEGV
 *   mode = "exit"         write a line to stderr, then exit(3) without answering
 *   mode = "hang"         write a line to stderr, then sleep, ignoring cancel
 *   mode = "wait-cancel"  sleep until kiln cancels, then fail with "stopped after cancel"
 *   mode = "garbage"      write a line that is not JSON to kiln's socket
 *   mode = "fail"         fail with `message` (and a hint)
 * pid_file: the plugin writes its process id there first (tests check nothing is left running).
 * The post-processor copies the input artifact's first file (read through kp_artifact_open) to
 * `output`; the data source returns {value = `value`, pid = its process id}. */
#include <errno.h>
#include <fcntl.h>
#include <kiln-plugin.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Under AddressSanitizer (the test suite's second run), a SIGSEGV must still kill the fixture as it
 * would any program, not be turned into a report and exit(1): the crash is what is tested. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "handle_segv=0";
}

static void note_pid(struct kp_ctx *ctx)
{
	const char *pf = kp_json_get_string(kp_config(ctx), "pid_file", NULL);
	if (!pf)
		return;
	FILE *f = fopen(pf, "w");
	if (f) {
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
}

static void on_line(void *arg, bool is_stderr, const char *line)
{
	kp_message(arg, "streamed %s: %s", is_stderr ? "stderr" : "stdout", line);
}

static int run_ok(struct kp_ctx *ctx, const struct kp_json *cfg)
{
	kp_say(ctx, "fixture on %s (build %s)", kp_build_value(ctx, "Host") ? kp_build_value(ctx, "Host") : "?",
	       kp_build_name(ctx));
	const char *cmd = kp_json_get_string(cfg, "command", NULL);
	if (cmd) {
		int status = 0;
		bool stream = kp_json_get_bool(cfg, "stream", false);
		if (kp_exec(ctx, cmd, stream ? on_line : NULL, ctx, &status) < 0)
			return -1;
		kp_say(ctx, "exit status %d", status);
		if (status != 0)
			return kp_fail(ctx, "the command exited with status %d", status);
	}
	const char *file = kp_json_get_string(cfg, "file", NULL);
	const char *dest = kp_json_get_string(cfg, "destination", "/tmp/");
	if (file && kp_upload_file(ctx, file, dest) < 0)
		return -1;
	const char *data = kp_json_get_string(cfg, "data", NULL);
	if (data && kp_upload_data(ctx, data, strlen(data), kp_json_get_string(cfg, "data_to", "/tmp/data"), 0640) < 0)
		return -1;
	const char *fetch = kp_json_get_string(cfg, "fetch", NULL);
	if (fetch && kp_download_file(ctx, fetch, kp_json_get_string(cfg, "fetch_to", "fetched")) < 0)
		return -1;
	return 0;
}

static int provision(struct kp_ctx *ctx, void *instance)
{
	(void)instance;
	const struct kp_json *cfg = kp_config(ctx);
	const char *mode = kp_json_get_string(cfg, "mode", "ok");
	note_pid(ctx);
	if (strcmp(mode, "ok") == 0)
		return run_ok(ctx, cfg);
	if (strcmp(mode, "fail") == 0) {
		kp_hint(ctx, "the fixture was told to fail");
		return kp_fail(ctx, "%s", kp_json_get_string(cfg, "message", "failed on purpose"));
	}
	fprintf(stderr, "fixture: about to %s\n", mode);
	fflush(stderr);
	if (strcmp(mode, "crash") == 0) {
		raise(SIGSEGV);
	} else if (strcmp(mode, "exit") == 0) {
		exit(3);
	} else if (strcmp(mode, "hang") == 0) {
		for (;;)
			pause();
	} else if (strcmp(mode, "wait-cancel") == 0) {
		kp_say(ctx, "waiting to be cancelled");
		while (!kp_cancelled(ctx))
			usleep(20000);
		return kp_fail(ctx, "stopped after cancel");
	} else if (strcmp(mode, "garbage") == 0) {
		static const char junk[] = "this is not JSON\n";
		ssize_t w = write(3, junk, sizeof junk - 1);
		(void)w;
		for (;;)
			pause();
	}
	return kp_fail(ctx, "unknown mode %s", mode);
}

static int prepare(struct kp_ctx *ctx, void **instance)
{
	*instance = NULL;
	const char *mode = kp_json_get_string(kp_config(ctx), "mode", "ok");
	static const char *const modes[] = {"ok", "crash", "exit", "hang", "wait-cancel", "garbage", "fail", NULL};
	for (int i = 0; modes[i]; i++)
		if (strcmp(modes[i], mode) == 0)
			return 0;
	return kp_config_error(ctx, "mode", "mode must be one of ok, crash, exit, hang, wait-cancel, garbage, fail");
}

#define SCHEMA_COMMON                                                                                   \
	"{\"name\": \"mode\", \"type\": \"string\", \"description\": \"What to do (see the source).\"},"        \
	"{\"name\": \"pid_file\", \"type\": \"string\", \"description\": \"for the tests\"},"

static const struct kp_provisioner provisioner = {
	.description = "kiln's test fixture",
	.schema = "{\"attributes\": [" SCHEMA_COMMON
		  "{\"name\": \"command\", \"type\": \"string\", \"description\": \"for the tests\"},"
		  "{\"name\": \"stream\", \"type\": \"bool\", \"description\": \"for the tests\"},"
		  "{\"name\": \"file\", \"type\": \"string\", \"description\": \"for the tests\"},"
		  "{\"name\": \"destination\", \"type\": \"string\", \"description\": \"for the tests\"},"
		  "{\"name\": \"data\", \"type\": \"string\", \"description\": \"for the tests\"},"
		  "{\"name\": \"data_to\", \"type\": \"string\", \"description\": \"for the tests\"},"
		  "{\"name\": \"fetch\", \"type\": \"string\", \"description\": \"for the tests\"},"
		  "{\"name\": \"fetch_to\", \"type\": \"string\", \"description\": \"for the tests\"},"
		  "{\"name\": \"message\", \"type\": \"string\", \"description\": \"for the tests\"},"
		  "{\"name\": \"secret\", \"type\": \"string\", \"sensitive\": true, \"description\": \"for the tests\"}"
		  "], \"conflicts\": [[\"data\", \"fetch\"]]}",
	.prepare = prepare,
	.provision = provision,
};

static int post_process(struct kp_ctx *ctx, void *instance, const struct kp_artifact *in, struct kp_artifact **out,
			bool *keep_input)
{
	(void)instance;
	note_pid(ctx);
	const char *output = kp_json_get_string(kp_config(ctx), "output", "copy");
	if (in->nfiles == 0)
		return kp_fail(ctx, "the artifact has no files");
	int fd = kp_artifact_open(ctx, 0);
	if (fd < 0)
		return -1;
	int o = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (o < 0) {
		close(fd);
		return kp_fail(ctx, "cannot create %s: %s", output, strerror(errno));
	}
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		if (write(o, buf, (size_t)n) != n)
			break;
	close(fd);
	close(o);
	*out = kp_artifact_new("kiln.test.fixture", "copy", "a copy of the first file");
	kp_artifact_add_file(*out, output);
	kp_artifact_set(*out, "source", in->files[0]);
	*keep_input = false;
	return 0;
}

static const struct kp_postprocessor postprocessor = {
	.schema = "{\"attributes\": [" SCHEMA_COMMON "{\"name\": \"output\", \"type\": \"string\", \"description\": \"for the tests\"}]}",
	.post_process = post_process,
};

static int execute(struct kp_ctx *ctx, void *instance, struct kp_json **value)
{
	(void)instance;
	*value = kp_json_object();
	kp_json_set(*value, "value", kp_json_string(kp_json_get_string(kp_config(ctx), "value", "")));
	kp_json_set(*value, "pid", kp_json_number(getpid()));
	return 0;
}

static const struct kp_datasource datasource = {
	.schema = "{\"attributes\": [{\"name\": \"value\", \"type\": \"string\", \"required\": true, \"description\": \"for the tests\"}]}",
	.output_type = "object({value=string, pid=number})",
	.execute = execute,
};

static const struct kp_plugin plugin = {
	.name = "fixture",
	.version = "0.3.0",
	.provisioners = (const struct kp_provisioner *const[]){&provisioner, NULL},
	.postprocessors = (const struct kp_postprocessor *const[]){&postprocessor, NULL},
	.datasources = (const struct kp_datasource *const[]){&datasource, NULL},
};

int main(int argc, char **argv)
{
	return kp_serve(&plugin, argc, argv);
}
