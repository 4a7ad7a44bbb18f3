/* kiln-plugin-hello — an example kiln plugin in C: copy this directory to start your own.
 *
 * It provides, under the name it is required as (`hello` below):
 *   provisioner "hello"     runs `commands` on the machine and uploads `file` to `destination`
 *   post-processor "hello"  reads every file of the artifact and writes a manifest (`output`) with
 *                           each file's size and CRC-32; the manifest is the new artifact
 *   data "hello"            { greeting = "hello, <name>", length = <letters in name> }
 *
 *     packer {
 *       required_plugins {
 *         hello = { source = "github.com/kiln-examples/hello", version = ">= 1.0" }
 *       }
 *     }
 *     data "hello" "me" { name = "kiln" }
 *     build {
 *       sources = ["source.null.box"]
 *       provisioner "hello" {
 *         commands    = ["echo ${data.hello.me.greeting}"]
 *         file        = "motd"
 *         destination = "/tmp/motd"
 *       }
 *       post-processor "hello" { output = "manifest.txt" }
 *     }
 *
 * Build: cc -o kiln-plugin-hello hello.c $(pkg-config --cflags --libs kiln-plugin)   (see Makefile) */
#include <errno.h>
#include <kiln-plugin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VERSION "1.0.0"

/* ------------------------------------------------------------------------------------------------
 * The provisioner */

static int provision(struct kp_ctx *ctx, void *instance)
{
	(void)instance;
	const struct kp_json *cfg = kp_config(ctx);
	const struct kp_json *commands = kp_json_get(cfg, "commands");
	kp_say(ctx, "hello from the C example plugin, on %s", kp_build_value(ctx, "Host") ? kp_build_value(ctx, "Host") : "?");
	for (size_t i = 0; i < kp_json_len(commands); i++) {
		const char *cmd = kp_json_as_string(kp_json_at(commands, i));
		int status;
		kp_say(ctx, "running: %s", cmd);
		if (kp_exec(ctx, cmd, NULL, NULL, &status) < 0)
			return -1; /* kiln's message becomes the step's error */
		if (status != 0)
			return kp_fail(ctx, "\"%s\" exited with status %d", cmd, status);
	}
	const char *file = kp_json_get_string(cfg, "file", NULL);
	if (file) {
		const char *dest = kp_json_get_string(cfg, "destination", "/tmp/");
		kp_say(ctx, "uploading %s to %s", file, dest);
		if (kp_upload_file(ctx, file, dest) < 0)
			return -1;
	}
	return 0;
}

/* prepare checks what the schema cannot say: the file exists (a relative path is relative to the
 * directory kiln runs in, where it starts the plugin: the same as for kiln's own components). */
static int provisioner_prepare(struct kp_ctx *ctx, void **instance)
{
	const char *file = kp_json_get_string(kp_config(ctx), "file", NULL);
	*instance = NULL;
	if (file && access(file, R_OK) < 0)
		return kp_config_error(ctx, "file", "cannot read %s: %s", file, strerror(errno));
	if (file && !kp_json_get(kp_config(ctx), "destination"))
		kp_warning(ctx, "no destination for %s: it goes to /tmp/", file);
	return 0;
}

static const struct kp_provisioner provisioner = {
	.description = "Runs commands on the machine and uploads a file (an example).",
	.schema = "{\"attributes\": ["
		  "{\"name\": \"commands\", \"type\": \"list(string)\", \"description\": \"Shell commands to run, in order.\"},"
		  "{\"name\": \"file\", \"type\": \"string\", \"description\": \"A local file to upload.\"},"
		  "{\"name\": \"destination\", \"type\": \"string\", \"default\": \"/tmp/\","
		  " \"description\": \"Where the file goes on the machine.\"}]}",
	.prepare = provisioner_prepare,
	.provision = provision,
};

/* ------------------------------------------------------------------------------------------------
 * The post-processor */

static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static int post_process(struct kp_ctx *ctx, void *instance, const struct kp_artifact *in, struct kp_artifact **out,
			bool *keep_input)
{
	(void)instance;
	const char *output = kp_json_get_string(kp_config(ctx), "output", NULL);
	FILE *f = fopen(output, "w");
	if (!f)
		return kp_fail(ctx, "cannot create %s: %s", output, strerror(errno));
	unsigned char *chunk = malloc(1 << 20);
	int rc = 0;
	for (size_t i = 0; i < in->nfiles && rc == 0; i++) {
		/* the file comes from kiln as a descriptor: the plugin needs no access to the path */
		int fd = kp_artifact_open(ctx, i);
		if (fd < 0) {
			rc = -1;
			break;
		}
		uint64_t size = 0;
		uint32_t crc = 0;
		ssize_t n;
		while ((n = read(fd, chunk, 1 << 20)) > 0) {
			crc = crc32_update(crc, chunk, (size_t)n);
			size += (uint64_t)n;
			if (kp_cancelled(ctx)) {
				rc = kp_fail(ctx, "cancelled");
				break;
			}
		}
		if (n < 0)
			rc = kp_fail(ctx, "cannot read %s: %s", in->files[i], strerror(errno));
		close(fd);
		fprintf(f, "%08x %llu %s\n", crc, (unsigned long long)size, in->files[i]);
		kp_message(ctx, "%s: %llu bytes, crc32 %08x", in->files[i], (unsigned long long)size, crc);
	}
	free(chunk);
	if (fclose(f) != 0 && rc == 0)
		rc = kp_fail(ctx, "cannot write %s: %s", output, strerror(errno));
	if (rc < 0) {
		unlink(output);
		return -1;
	}
	char *description = kp_printf("Manifest of %zu file(s): %s", in->nfiles, output);
	*out = kp_artifact_new("kiln-examples.hello", output, description);
	free(description);
	kp_artifact_add_file(*out, output);
	char count[32];
	snprintf(count, sizeof count, "%zu", in->nfiles);
	kp_artifact_set(*out, "files", count);
	*keep_input = true; /* a manifest describes the input: keep it, as kiln's manifest does */
	return 0;
}

static const struct kp_postprocessor postprocessor = {
	.description = "Writes a manifest of the artifact's files (an example).",
	.schema = "{\"attributes\": [{\"name\": \"output\", \"type\": \"string\", \"required\": true,"
		  " \"description\": \"The manifest file to write.\"}]}",
	.post_process = post_process,
};

/* ------------------------------------------------------------------------------------------------
 * The data source */

static int execute(struct kp_ctx *ctx, void *instance, struct kp_json **value)
{
	(void)instance;
	const char *name = kp_json_get_string(kp_config(ctx), "name", "world");
	char *greeting = kp_printf("hello, %s", name);
	*value = kp_json_object();
	kp_json_set(*value, "greeting", kp_json_string(greeting));
	kp_json_set(*value, "length", kp_json_number((double)strlen(name)));
	free(greeting);
	return 0;
}

static const struct kp_datasource datasource = {
	.description = "A greeting (an example).",
	.schema = "{\"attributes\": [{\"name\": \"name\", \"type\": \"string\", \"required\": true,"
		  " \"description\": \"Whom to greet.\"}]}",
	.output_type = "object({greeting=string, length=number})",
	.execute = execute,
};

/* ------------------------------------------------------------------------------------------------ */

static const struct kp_plugin plugin = {
	.name = "hello",
	.version = VERSION,
	.provisioners = (const struct kp_provisioner *const[]){&provisioner, NULL},
	.postprocessors = (const struct kp_postprocessor *const[]){&postprocessor, NULL},
	.datasources = (const struct kp_datasource *const[]){&datasource, NULL},
};

int main(int argc, char **argv)
{
	return kp_serve(&plugin, argc, argv);
}
