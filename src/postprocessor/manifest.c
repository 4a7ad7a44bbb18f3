/* manifest.c — the `manifest` post-processor: Packer's JSON manifest (builds[], last_run_uuid; one entry
 * per build appended, the file truncated on -force when the run differs), plus kiln's fields: each
 * file's sha256, the export formats, the sanitize report and the OS inspection (distro, version,
 * kernels, installed packages: a small SBOM). The OS comes from the artifact (the builder's sanitize
 * step inspected it in its one appliance launch); only when it is missing does the manifest launch a
 * read-only inspection itself. */
#include "component.h"
#include "image/image.h"
#include "postprocessor/common.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

struct manifest_pp {
	char *output;
	bool strip_path, strip_time, sha256, os_inspection;
	struct strv custom_keys, custom_values;
};

static const struct kiln_attr manifest_attrs[] = {
	{.name = "output", .type = "string", .flags = KILN_ATTR_TEMPLATE, .def = "\"packer-manifest.json\"", .doc = "where to write the manifest"},
	{.name = "strip_path", .type = "bool", .def = "false", .doc = "write only file names, without their directories"},
	{.name = "strip_time", .type = "bool", .def = "false", .doc = "leave out build_time"},
	{.name = "custom_data", .type = "map(string)", .flags = KILN_ATTR_TEMPLATE, .doc = "arbitrary data added to the build's entry"},
	{.name = "sha256", .type = "bool", .def = "true", .doc = "kiln: record each file's SHA256"},
	{.name = "os_inspection", .type = "bool", .def = "true", .doc = "kiln: record the guest OS and its packages (from the sanitize step, else one read-only inspection)"},
	{.name = NULL},
};
static const struct kiln_schema manifest_schema = {manifest_attrs, NULL};

static int manifest_prepare(const struct kiln_config *cfg, void **instance, struct strv *warnings,
			    struct kiln_error *err)
{
	(void)warnings;
	(void)err;
	struct manifest_pp *p = xcalloc(1, sizeof *p);
	p->output = xstrdup(kiln_config_string(cfg, "output"));
	p->strip_path = kiln_config_bool(cfg, "strip_path");
	p->strip_time = kiln_config_bool(cfg, "strip_time");
	p->sha256 = kiln_config_bool(cfg, "sha256");
	p->os_inspection = kiln_config_bool(cfg, "os_inspection");
	for (size_t i = 0; i < kiln_config_map_len(cfg, "custom_data"); i++) {
		strv_push(&p->custom_keys, kiln_config_map_key(cfg, "custom_data", i));
		strv_push(&p->custom_values, kiln_config_map_string(cfg, "custom_data", i));
	}
	*instance = p;
	return 0;
}

/* One UUID per kiln run, shared by every build's manifest entry, unless Packer's variable says one. */
static const char *run_uuid(const struct kiln_ctx *ctx)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char uuid[37];
	const char *v = kiln_ctx_get(ctx, "PackerRunUUID");
	if (v && *v)
		return v;
	v = getenv("PACKER_RUN_UUID");
	if (v && *v)
		return v;
	pthread_mutex_lock(&lock);
	if (!uuid[0]) {
		unsigned char b[16];
		if (RAND_bytes(b, sizeof b) != 1)
			for (size_t i = 0; i < sizeof b; i++)
				b[i] = (unsigned char)(rand() & 0xff);
		b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
		b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
		snprintf(uuid, sizeof uuid, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
			 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	}
	pthread_mutex_unlock(&lock);
	return uuid;
}

/* A disk of the artifact to inspect: the exported formats first, else any file qemu-img reads as an
 * image. NULL when there is none. */
static char *pick_disk(const struct kiln_artifact *in, char **format)
{
	static const char *const prefer[] = {"qcow2", "raw", "vmdk", "vhdx", "vpc", NULL};
	for (size_t i = 0; prefer[i]; i++) {
		char *key = xasprintf("file.%s", prefer[i]);
		const char *f = kiln_artifact_get(in, key);
		free(key);
		if (f && file_is_regular(f)) {
			*format = xstrdup(prefer[i]);
			return xstrdup(f);
		}
	}
	for (size_t i = 0; i < in->files.n; i++) {
		struct img_info info;
		struct kiln_error e = ERR_INIT;
		if (img_info_read(in->files.v[i], NULL, &info, &e) == 0) {
			bool disk = strcmp(info.format, "raw") != 0 || path_has_suffix(in->files.v[i], ".raw") ||
				    path_has_suffix(in->files.v[i], ".img");
			if (disk) {
				*format = xstrdup(info.format);
				img_info_free(&info);
				return xstrdup(in->files.v[i]);
			}
			img_info_free(&info);
		}
		err_clear(&e);
	}
	return NULL;
}

static json_t *os_json(struct manifest_pp *p, struct kiln_ctx *ctx, const struct kiln_artifact *in,
		       struct kiln_error *err, int *rc)
{
	*rc = 0;
	const char *state = kiln_artifact_get(in, "os");
	if (state)
		return json_loads(state, 0, NULL);
	if (!p->os_inspection)
		return NULL;
	char *format = NULL;
	char *disk = pick_disk(in, &format);
	if (!disk)
		return NULL;
	enum img_accel accel = IMG_ACCEL_TCG;
	const char *a = kiln_artifact_get(in, "accelerator");
	struct kiln_error ignore = ERR_INIT;
	if (a && img_accel_parse(a, &accel, &ignore) < 0)
		accel = IMG_ACCEL_TCG;
	err_clear(&ignore);
	ui_say(ctx->ui, "Inspecting %s for the manifest (libguestfs, %s)...", disk, img_accel_name(accel));
	struct img_os os;
	bool has_os = false;
	json_t *j = NULL;
	if (img_inspect_os(disk, format, accel, true, &os, &has_os, NULL, err) < 0) {
		*rc = -1;
	} else if (has_os) {
		char *text = img_os_json(&os);
		j = json_loads(text, 0, NULL);
		free(text);
		img_os_free(&os);
	}
	free(disk);
	free(format);
	return j;
}

static json_t *build_entry(struct manifest_pp *p, struct kiln_ctx *ctx, const struct kiln_artifact *in,
			   struct kiln_error *err)
{
	json_t *e = json_object();
	struct strv extra = STRV_INIT;
	pp_template_values(ctx, &extra);
	json_object_set_new(e, "name", json_string(ctx->source_name ? ctx->source_name : ""));
	json_object_set_new(e, "builder_type", json_string(ctx->builder_type ? ctx->builder_type : ""));
	if (!p->strip_time)
		json_object_set_new(e, "build_time", json_integer((json_int_t)time(NULL)));
	json_t *files = in->files.n ? json_array() : json_null();
	for (size_t i = 0; i < in->files.n; i++) {
		const char *name = in->files.v[i];
		json_t *f = json_object();
		char *base = p->strip_path ? path_basename(name) : xstrdup(name);
		json_object_set_new(f, "name", json_string(base));
		free(base);
		off_t size = 0;
		file_size(name, &size, NULL);
		json_object_set_new(f, "size", json_integer((json_int_t)size));
		if (p->sha256 && file_is_regular(name)) {
			char *hex = NULL;
			if (hash_file_hex("sha256", name, &hex, err) < 0)
				goto fail;
			json_object_set_new(f, "sha256", json_string(hex));
			free(hex);
		}
		json_array_append_new(files, f);
	}
	json_object_set_new(e, "files", files);
	json_object_set_new(e, "artifact_id", json_string(in->id ? in->id : ""));
	json_object_set_new(e, "packer_run_uuid", json_string(run_uuid(ctx)));
	if (p->custom_keys.n) {
		json_t *cd = json_object();
		for (size_t i = 0; i < p->custom_keys.n; i++) {
			char *v = NULL;
			if (pp_expand(ctx, p->custom_values.v[i], &extra, &v, err) < 0) {
				json_decref(cd);
				err_wrap(err, "Error interpolating custom data %s", p->custom_keys.v[i]);
				goto fail;
			}
			json_object_set_new(cd, p->custom_keys.v[i], json_string(v));
			free(v);
		}
		json_object_set_new(e, "custom_data", cd);
	} else {
		json_object_set_new(e, "custom_data", json_null());
	}
	/* kiln's fields. */
	const char *formats = kiln_artifact_get(in, "formats");
	if (formats) {
		json_t *fa = json_array();
		char *copy = xstrdup(formats);
		for (char *save = NULL, *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
			json_array_append_new(fa, json_string(t));
		free(copy);
		json_object_set_new(e, "formats", fa);
	}
	const char *san = kiln_artifact_get(in, "sanitize");
	if (san) {
		json_t *sj = json_loads(san, 0, NULL);
		if (sj)
			json_object_set_new(e, "sanitize", sj);
	}
	int rc = 0;
	json_t *oj = os_json(p, ctx, in, err, &rc);
	if (rc < 0)
		goto fail;
	if (oj)
		json_object_set_new(e, "os", oj);
	strv_free(&extra);
	return e;
fail:
	strv_free(&extra);
	json_decref(e);
	return NULL;
}

static pthread_mutex_t manifest_lock = PTHREAD_MUTEX_INITIALIZER;

static int manifest_run(void *instance, struct kiln_ctx *ctx, struct kiln_artifact *in, struct kiln_artifact **out,
			bool *keep_input, struct kiln_error *err)
{
	struct manifest_pp *p = instance;
	char *path = NULL, *lockpath = NULL, *text = NULL;
	json_t *entry = NULL, *root = NULL;
	struct strv extra = STRV_INIT;
	struct buf old = BUF_INIT;
	int rc = -1, lockfd = -1;
	bool locked = false;

	pp_template_values(ctx, &extra);
	if (pp_expand(ctx, p->output, &extra, &path, err) < 0) {
		err_wrap(err, "Error parsing target template");
		goto out;
	}
	if (!(entry = build_entry(p, ctx, in, err)))
		goto out;
	if (pp_make_parent(path, err) < 0)
		goto out;

	/* Parallel builds append to one manifest: a mutex inside this process, a lock file across
	 * processes (as Packer's "<output>.lock"). */
	pthread_mutex_lock(&manifest_lock);
	locked = true;
	lockpath = xasprintf("%s.lock", path);
	lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd >= 0)
		flock(lockfd, LOCK_EX);
	if (file_exists(path)) {
		if (file_read_all(path, &old, err) < 0)
			goto out;
		json_error_t jerr;
		root = old.len ? json_loads(old.data, 0, &jerr) : json_object();
		if (!json_is_object(root)) {
			err_set(err, "Unable to parse content from %s: %s", path, root ? "not a JSON object" : jerr.text);
			goto out;
		}
	} else {
		root = json_object();
	}
	const char *uuid = run_uuid(ctx);
	const char *last = json_string_value(json_object_get(root, "last_run_uuid"));
	/* -force starts the manifest over, unless this run already wrote to it. */
	if (ctx->force && !(last && strcmp(last, uuid) == 0)) {
		json_decref(root);
		root = json_object();
	}
	json_t *builds = json_object_get(root, "builds");
	if (!json_is_array(builds)) {
		builds = json_array();
		json_object_set_new(root, "builds", builds);
	}
	json_array_append_new(builds, entry);
	entry = NULL;
	json_object_set_new(root, "last_run_uuid", json_string(uuid));
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text) {
		err_set(err, "Unable to marshal JSON for %s", path);
		goto out;
	}
	size_t len = strlen(text);
	char *with_nl = xasprintf("%s\n", text);
	int w = file_write_atomic(path, with_nl, len + 1, 0664, err);
	free(with_nl);
	if (w < 0) {
		img_err_nospace(err, path, "set output to a larger file system");
		err_wrap(err, "Unable to write %s", path);
		goto out;
	}
	ui_message(ctx->ui, "Manifest: %s", path);
	/* The manifest records the artifact and passes it on unchanged. */
	*out = in;
	*keep_input = true;
	rc = 0;
out:
	if (lockfd >= 0) {
		flock(lockfd, LOCK_UN);
		close(lockfd);
		unlink(lockpath);
	}
	if (locked)
		pthread_mutex_unlock(&manifest_lock);
	json_decref(entry);
	json_decref(root);
	free(text);
	free(path);
	free(lockpath);
	strv_free(&extra);
	buf_free(&old);
	return rc;
}

static void manifest_destroy(void *instance)
{
	struct manifest_pp *p = instance;
	if (!p)
		return;
	free(p->output);
	strv_free(&p->custom_keys);
	strv_free(&p->custom_values);
	free(p);
}

const struct kiln_postprocessor manifest_postprocessor = {
	.type = "manifest",
	.doc = "Records the build's artifacts in a JSON manifest (Packer's format, plus sha256, formats, "
	       "sanitize report and the guest's OS and packages)",
	.schema = &manifest_schema,
	.prepare = manifest_prepare,
	.run = manifest_run,
	.destroy = manifest_destroy,
};
