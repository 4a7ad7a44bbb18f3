/* test-postprocessor.c — the checksum, manifest, compress and artifice post-processors, configured from a
 * real template (decoded by src/template against each schema, as `kiln build` does) and run on a
 * hand-made artifact: Packer's file formats, kiln's extra manifest fields, archives read back with
 * libarchive, and the errors (unknown checksum type, level out of range, several files for a
 * single-file codec, a missing artifice file, an output that exists). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <dirent.h>
#include <archive_entry.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "component.h"
#include "engine/plan.h"
#include "hcl/diag.h"
#include "postprocessor/common.h"
#include "template/template.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/mem.h"

static char *dir, *oldcwd;

static void write_file(const char *name, const char *text)
{
	struct kiln_error err = ERR_INIT;
	assert_int_equal(file_write(name, text, strlen(text), 0644, &err), 0);
}

static int setup(void **state)
{
	(void)state;
	struct kiln_error err = ERR_INIT;
	dir = tmpdir_make("kiln-test-pp", &err);
	oldcwd = getcwd(NULL, 0);
	if (!dir || chdir(dir) < 0)
		return -1;
	/* A 300 KiB "disk" with varied bytes, and a small text file. */
	struct buf b = BUF_INIT;
	for (int i = 0; i < 300 * 1024; i++)
		buf_putc(&b, (char)((i * 7 + i / 1000) & 0xff));
	assert_int_equal(file_write("disk.img", b.data, b.len, 0644, &err), 0);
	buf_free(&b);
	write_file("notes.txt", "built by kiln\n");
	write_file("extra.txt", "from the guest\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (oldcwd && chdir(oldcwd) < 0)
		return -1;
	free(oldcwd);
	tmpdir_release(dir);
	free(dir);
	return 0;
}

static const char build_tmpl[] =
	"source \"null\" \"debian\" {\n  communicator = \"none\"\n}\n"
	"build {\n  sources = [\"source.null.debian\"]\n"
	"  post-processor \"checksum\" {\n"
	"    checksum_types = [\"md5\", \"sha256\"]\n"
	"    output = \"sums/{{.BuildName}}_{{.BuilderType}}_{{.ChecksumType}}.txt\"\n  }\n"
	"  post-processor \"manifest\" {\n    output = \"manifest.json\"\n    strip_path = true\n"
	"    custom_data = { who = \"{{.BuildName}}\", n = \"1\" }\n  }\n"
	"  post-processor \"compress\" {\n    output = \"arch/{{.BuildName}}.tar.zst\"\n    compression_level = 3\n  }\n"
	"  post-processor \"compress\" {\n    output = \"both.zip\"\n  }\n"
	"  post-processor \"compress\" {\n    output = \"single.xz\"\n  }\n"
	"  post-processor \"artifice\" {\n    files = [\"extra.txt\", \"note*.txt\", \"extra.txt\"]\n  }\n"
	"  post-processor \"artifice\" {\n    files = [\"missing.txt\"]\n  }\n"
	"  post-processor \"shell-local\" {\n"
	"    inline = [\"echo ran-after-the-build >shell-local.out\", \"echo \\\"$PACKER_BUILDER_TYPE\\\" >>shell-local.out\"]\n"
	"  }\n"
	"}\n";

static const char bad_tmpl[] =
	"source \"null\" \"debian\" {\n  communicator = \"none\"\n}\n"
	"build {\n  sources = [\"source.null.debian\"]\n"
	"  post-processor \"checksum\" {\n    checksum_types = [\"md5\", \"crc32\"]\n  }\n"
	"  post-processor \"compress\" {\n    output = \"x.tar.gz\"\n    compression_level = 12\n  }\n"
	"  post-processor \"compress\" {\n    output = \"x\"\n    format = \"tar.zst\"\n    compression_level = 12\n  }\n"
	"}\n";

struct loaded {
	struct tmpl *t;
	struct plan p;
	struct strv bd;
};

static void load(struct loaded *l, const char *subdir, const char *text)
{
	struct kiln_error err = ERR_INIT;
	assert_int_equal(mkdir_p(subdir, 0755, &err), 0);
	char *file = path_join(subdir, "build.pkr.hcl");
	write_file(file, text);
	free(file);
	struct hcl_diags d = HCL_DIAGS_INIT;
	char *const env[] = {NULL};
	struct tmpl_options o = {0};
	o.env = env;
	l->t = tmpl_load(subdir, &o, &d);
	hcl_diags_free(&d);
	/* The null builder is a placeholder: the plan reports it, and still holds the build. */
	tmpl_plan_diags(l->t, NULL, &l->p, &d);
	hcl_diags_free(&d);
	assert_int_equal(l->p.nbuilds, 1);
	memset(&l->bd, 0, sizeof l->bd);
}

static void unload(struct loaded *l)
{
	plan_free(&l->p);
	tmpl_free(l->t);
	strv_free(&l->bd);
}

/* Decode chain c's only step and prepare it. */
static int prepare(struct loaded *l, size_t c, const struct kiln_postprocessor **pp, void **inst, struct kiln_error *err)
{
	struct plan_build *b = &l->p.builds[0];
	assert_true(c < b->nchains);
	struct plan_step *s = &b->chains[c].steps[0];
	*pp = kiln_find_postprocessor(s->type);
	assert_non_null(*pp);
	assert_ptr_equal(s->postprocessor, *pp);
	struct kiln_config *cfg = NULL;
	assert_int_equal(tmpl_eval_step(l->t, b, s, &l->bd, &cfg, err), 0);
	struct strv warnings = STRV_INIT;
	int rc = (*pp)->prepare(cfg, inst, &warnings, err);
	strv_free(&warnings);
	kiln_config_free(cfg);
	return rc;
}

static struct kiln_ctx mkctx(void)
{
	struct kiln_ctx ctx = {0};
	ctx.ui = ui_global();
	ctx.build_name = "qemu.debian";
	ctx.builder_type = "null";
	ctx.source_name = "debian";
	return ctx;
}

static struct kiln_artifact *input(void)
{
	struct kiln_artifact *a = kiln_artifact_new("transcend.qemu", "debian", "VM files in directory: out");
	kiln_artifact_add_file(a, "disk.img");
	kiln_artifact_add_file(a, "notes.txt");
	kiln_artifact_set(a, "formats", "qcow2 ova");
	kiln_artifact_set(a, "sanitize", "{\"operations\":{\"machine-id\":{\"removed\":0,\"emptied\":1,\"edited\":0}},\"trimmed_filesystems\":1}");
	kiln_artifact_set(a, "os", "{\"type\":\"linux\",\"distro\":\"debian\",\"version\":\"12.7\",\"packages\":[{\"name\":\"openssh-server\",\"version\":\"1:9.2p1-2\"}]}");
	return a;
}

static char *hex_of(const char *algo, const char *path)
{
	char *hex = NULL;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(hash_file_hex(algo, path, &hex, &err), 0);
	return hex;
}

static void test_checksum(void **state)
{
	(void)state;
	struct loaded l;
	struct kiln_error err = ERR_INIT;
	load(&l, "t1", build_tmpl);
	const struct kiln_postprocessor *pp;
	void *inst = NULL;
	assert_int_equal(prepare(&l, 0, &pp, &inst, &err), 0);
	struct kiln_ctx ctx = mkctx();
	struct kiln_artifact *in = input(), *out = NULL;
	bool keep = false;
	assert_int_equal(pp->run(inst, &ctx, in, &out, &keep, &err), 0);
	assert_true(keep);
	assert_string_equal(out->builder_id, "packer.post-processor.checksum");
	assert_int_equal(out->files.n, 4);
	assert_string_equal(out->files.v[2], "sums/debian_null_md5.txt");
	assert_string_equal(out->files.v[3], "sums/debian_null_sha256.txt");
	/* Packer's format: "<hex>\t<base name>" per file. */
	struct buf got = BUF_INIT;
	assert_int_equal(file_read_all("sums/debian_null_sha256.txt", &got, &err), 0);
	char *a = hex_of("sha256", "disk.img"), *b = hex_of("sha256", "notes.txt");
	char *want = xasprintf("%s\tdisk.img\n%s\tnotes.txt\n", a, b);
	assert_string_equal(buf_cstr(&got), want);
	free(a), free(b), free(want);
	buf_reset(&got);
	assert_int_equal(file_read_all("sums/debian_null_md5.txt", &got, &err), 0);
	a = hex_of("md5", "disk.img");
	assert_int_equal(strncmp(buf_cstr(&got), a, 32), 0);
	free(a);
	buf_free(&got);
	/* The state flows on for a later manifest. */
	assert_string_equal(kiln_artifact_get(out, "formats"), "qcow2 ova");
	kiln_artifact_free(out);
	pp->destroy(inst);
	kiln_artifact_free(in);
	unload(&l);
}

static void test_manifest(void **state)
{
	(void)state;
	struct loaded l;
	struct kiln_error err = ERR_INIT;
	load(&l, "t2", build_tmpl);
	const struct kiln_postprocessor *pp;
	void *inst = NULL;
	assert_int_equal(prepare(&l, 1, &pp, &inst, &err), 0);
	struct kiln_ctx ctx = mkctx();
	struct kiln_artifact *in = input(), *out = NULL;
	bool keep = false;
	assert_int_equal(pp->run(inst, &ctx, in, &out, &keep, &err), 0);
	assert_ptr_equal(out, in);   /* passed on unchanged */
	assert_true(keep);
	/* A second build of the same run appends. */
	assert_int_equal(pp->run(inst, &ctx, in, &out, &keep, &err), 0);
	pp->destroy(inst);

	json_error_t je;
	json_t *m = json_load_file("manifest.json", 0, &je);
	assert_non_null(m);
	json_t *builds = json_object_get(m, "builds");
	assert_int_equal(json_array_size(builds), 2);
	json_t *e = json_array_get(builds, 0);
	assert_string_equal(json_string_value(json_object_get(e, "name")), "debian");
	assert_string_equal(json_string_value(json_object_get(e, "builder_type")), "null");
	assert_true(json_integer_value(json_object_get(e, "build_time")) > 1600000000);
	assert_string_equal(json_string_value(json_object_get(e, "artifact_id")), "debian");
	const char *uuid = json_string_value(json_object_get(e, "packer_run_uuid"));
	assert_non_null(uuid);
	assert_int_equal(strlen(uuid), 36);
	assert_string_equal(json_string_value(json_object_get(m, "last_run_uuid")), uuid);
	json_t *f = json_array_get(json_object_get(e, "files"), 0);
	assert_string_equal(json_string_value(json_object_get(f, "name")), "disk.img");   /* strip_path */
	assert_int_equal(json_integer_value(json_object_get(f, "size")), 300 * 1024);
	char *hex = hex_of("sha256", "disk.img");
	assert_string_equal(json_string_value(json_object_get(f, "sha256")), hex);
	free(hex);
	json_t *cd = json_object_get(e, "custom_data");
	assert_string_equal(json_string_value(json_object_get(cd, "who")), "debian");
	assert_string_equal(json_string_value(json_object_get(cd, "n")), "1");
	/* kiln's fields */
	assert_string_equal(json_string_value(json_array_get(json_object_get(e, "formats"), 1)), "ova");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(json_object_get(e, "sanitize"),
		"operations"), "machine-id"), "emptied")), 1);
	json_t *os = json_object_get(e, "os");
	assert_string_equal(json_string_value(json_object_get(os, "distro")), "debian");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(os, "packages"), 0), "name")),
			    "openssh-server");
	json_decref(m);
	kiln_artifact_free(in);
	unload(&l);
}

/* Entries of an archive: "name:size" each, and the first entry's data into first (may be NULL). */
static void read_archive(const char *path, struct strv *entries, struct buf *first)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	archive_read_support_format_raw(a);
	assert_int_equal(archive_read_open_filename(a, path, 65536), ARCHIVE_OK);
	struct archive_entry *e;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		char buf[8192];
		la_ssize_t n;
		size_t total = 0;
		while ((n = archive_read_data(a, buf, sizeof buf)) > 0) {
			if (first && entries->n == 0)
				buf_append(first, buf, (size_t)n);
			total += (size_t)n;
		}
		strv_pushf(entries, "%s:%zu", archive_entry_pathname(e), total);
	}
	archive_read_free(a);
}

static void test_compress(void **state)
{
	(void)state;
	struct loaded l;
	struct kiln_error err = ERR_INIT;
	load(&l, "t3", build_tmpl);
	struct kiln_ctx ctx = mkctx();
	struct kiln_artifact *in = input(), *out = NULL;
	const struct kiln_postprocessor *pp;
	void *inst = NULL;
	bool keep = true;

	/* tar.zst, level 3, output from the template, parent directory created */
	assert_int_equal(prepare(&l, 2, &pp, &inst, &err), 0);
	assert_int_equal(pp->run(inst, &ctx, in, &out, &keep, &err), 0);
	pp->destroy(inst);
	assert_false(keep);
	assert_string_equal(out->builder_id, "packer.post-processor.compress");
	assert_int_equal(out->files.n, 1);
	assert_string_equal(out->files.v[0], "arch/debian.tar.zst");
	kiln_artifact_free(out);
	struct strv entries = STRV_INIT;
	struct buf data = BUF_INIT, orig = BUF_INIT;
	read_archive("arch/debian.tar.zst", &entries, &data);
	assert_int_equal(entries.n, 2);
	assert_string_equal(entries.v[0], "disk.img:307200");
	assert_string_equal(entries.v[1], "notes.txt:14");
	assert_int_equal(file_read_all("disk.img", &orig, &err), 0);
	assert_int_equal(data.len, orig.len);
	assert_memory_equal(data.data, orig.data, orig.len);
	strv_free(&entries);
	buf_reset(&data);
	/* no temporary file left beside it */
	DIR *d = opendir("arch");
	assert_non_null(d);
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	assert_int_equal(n, 1);

	/* zip */
	assert_int_equal(prepare(&l, 3, &pp, &inst, &err), 0);
	assert_int_equal(pp->run(inst, &ctx, in, &out, &keep, &err), 0);
	pp->destroy(inst);
	kiln_artifact_free(out);
	read_archive("both.zip", &entries, NULL);
	assert_int_equal(entries.n, 2);
	assert_string_equal(entries.v[1], "notes.txt:14");
	strv_free(&entries);

	/* a single-file codec with two files */
	assert_int_equal(prepare(&l, 4, &pp, &inst, &err), 0);
	assert_int_equal(pp->run(inst, &ctx, in, &out, &keep, &err), -1);
	assert_string_equal(err_cause(&err), "Can only have 1 input file when not using tar/zip. Found 2 files");
	err_clear(&err);
	assert_false(file_exists("single.xz"));
	/* ... and with one: the raw stream */
	struct kiln_artifact *one = kiln_artifact_new("x", "y", NULL);
	kiln_artifact_add_file(one, "notes.txt");
	assert_int_equal(pp->run(inst, &ctx, one, &out, &keep, &err), 0);
	pp->destroy(inst);
	kiln_artifact_free(out);
	kiln_artifact_free(one);
	read_archive("single.xz", &entries, &data);
	assert_int_equal(entries.n, 1);
	assert_string_equal(buf_cstr(&data), "built by kiln\n");
	strv_free(&entries);

	/* an output that was there before this run is not overwritten without -force */
	write_file("both2.zip", "precious");
	bool append = false;
	assert_int_equal(pp_claim_output("both2.zip", false, &append, &err), -1);
	assert_non_null(strstr(err_cause(&err), "both2.zip already exists"));
	err_clear(&err);
	assert_int_equal(pp_claim_output("both2.zip", true, &append, &err), 0);
	assert_false(append);
	/* a file this run wrote is appended to */
	assert_int_equal(pp_claim_output("both2.zip", false, &append, &err), 0);
	assert_true(append);

	buf_free(&data);
	buf_free(&orig);
	kiln_artifact_free(in);
	unload(&l);
}

static void test_artifice(void **state)
{
	(void)state;
	struct loaded l;
	struct kiln_error err = ERR_INIT;
	load(&l, "t4", build_tmpl);
	struct kiln_ctx ctx = mkctx();
	struct kiln_artifact *in = input(), *out = NULL;
	const struct kiln_postprocessor *pp;
	void *inst = NULL;
	bool keep = false;
	assert_int_equal(prepare(&l, 5, &pp, &inst, &err), 0);
	assert_int_equal(pp->run(inst, &ctx, in, &out, &keep, &err), 0);
	pp->destroy(inst);
	assert_true(keep);
	assert_string_equal(out->builder_id, "packer.post-processor.artifice");
	/* a glob, and a file named twice only once */
	assert_int_equal(out->files.n, 2);
	assert_string_equal(out->files.v[0], "extra.txt");
	assert_string_equal(out->files.v[1], "notes.txt");
	kiln_artifact_free(out);
	out = NULL;
	assert_int_equal(prepare(&l, 6, &pp, &inst, &err), 0);
	assert_int_equal(pp->run(inst, &ctx, in, &out, &keep, &err), -1);
	assert_true(err_is(&err, ERR_NOT_FOUND));
	assert_non_null(strstr(err_cause(&err), "missing.txt does not exist"));
	assert_null(out);
	err_clear(&err);
	pp->destroy(inst);
	kiln_artifact_free(in);
	unload(&l);
}

/* The provisioner of the same name, run once the artifact exists; the artifact passes on. */
static void test_shell_local(void **state)
{
	(void)state;
	struct loaded l;
	struct kiln_error err = ERR_INIT;
	load(&l, "t6", build_tmpl);
	struct kiln_ctx ctx = mkctx();
	struct kiln_artifact *in = input(), *out = NULL;
	const struct kiln_postprocessor *pp;
	void *inst = NULL;
	bool keep = false;
	assert_int_equal(prepare(&l, 7, &pp, &inst, &err), 0);
	assert_ptr_equal(pp->schema, kiln_find_provisioner("shell-local")->schema);
	assert_int_equal(pp->run(inst, &ctx, in, &out, &keep, &err), 0);
	pp->destroy(inst);
	assert_ptr_equal(out, in);
	assert_true(keep);
	struct buf got = BUF_INIT;
	assert_int_equal(file_read_all("shell-local.out", &got, &err), 0);
	assert_string_equal(buf_cstr(&got), "ran-after-the-build\nnull\n");
	buf_free(&got);
	kiln_artifact_free(in);
	unload(&l);
}

static void test_prepare_errors(void **state)
{
	(void)state;
	struct loaded l;
	struct kiln_error err = ERR_INIT;
	load(&l, "t5", bad_tmpl);
	const struct kiln_postprocessor *pp;
	void *inst = NULL;
	/* an unknown checksum type is the schema's to report, when the block is evaluated */
	struct kiln_config *cfg = NULL;
	struct plan_build *b = &l.p.builds[0];
	assert_int_equal(tmpl_eval_step(l.t, b, &b->chains[0].steps[0], &l.bd, &cfg, &err), -1);
	assert_null(cfg);
	char *flat = xstrdup(err_cause(&err));   /* the diagnostic is wrapped at 80 columns */
	for (char *c = flat; *c; c++)
		if (*c == '\n')
			*c = ' ';
	assert_non_null(strstr(flat, "checksum_types[1] = \"crc32\" is not one of: md5, sha1, sha224, sha256, sha384, "
				     "sha512"));
	free(flat);
	assert_non_null(strstr(err_cause(&err), "line 7"));   /* checksum_types, in the template above */
	err_clear(&err);
	assert_int_equal(prepare(&l, 1, &pp, &inst, &err), -1);
	assert_non_null(strstr(err_cause(&err), "compression_level 12 is out of range for gzip (1 to 9)"));
	err_clear(&err);
	/* zstd goes to 19 */
	assert_int_equal(prepare(&l, 2, &pp, &inst, &err), 0);
	pp->destroy(inst);
	unload(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_compress),
		cmocka_unit_test(test_artifice),
		cmocka_unit_test(test_shell_local),
		cmocka_unit_test(test_prepare_errors),
	};
	return cmocka_run_group_tests_name("postprocessor", tests, setup, teardown);
}
