/* image-driver.c — drives the src/image API from shell tests and bench/export.sh, the way the qemu
 * builder calls it after shutdown (there is no user-facing command for sanitize or export alone).
 *
 *   image-driver export [-f FMT] [-c none|zlib|zstd] [-force] [-cpus N] [-memory MB] [-distro D]
 *                       DISK OUTDIR NAME FORMAT[,FORMAT...]
 *   image-driver sanitize [-f FMT] [-accel A] [-ops a,b] [-exclude a,b] [-keep u,v] [-user U] [-created]
 *                         [-pubkey FILE] [-no-trim] [-report FILE] [-os FILE] [-inspect-cache DIR] DISK
 *   image-driver sanitize-export [sanitize flags] [export flags] DISK OUTDIR NAME FORMATS
 *   image-driver info DISK [FMT]
 *
 * Exit status 0 on success, 1 with "error: ..." on stderr otherwise. */
#include "image/image.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/strv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void split_commas(const char *s, struct strv *out)
{
	char *copy = xstrdup(s);
	for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		strv_push(out, t);
	free(copy);
}

struct args {
	const char *format;
	const char *accel;
	struct strv ops, exclude, keep;
	const char *user;
	bool created;
	const char *pubkey_file;
	const char *inspect_cache;
	bool no_trim;
	const char *report_file;
	const char *os_file;
	const char *compression;
	bool force;
	int cpus, memory;
	const char *distro;
	struct strv pos;
};

static int fail(struct kiln_error *e)
{
	char *t = err_text(e);
	fprintf(stderr, "error: %s\n", t);
	if (e->hint)
		fprintf(stderr, "hint: %s\n", e->hint);
	free(t);
	return 1;
}

static int parse(int argc, char **argv, struct args *a)
{
	for (int i = 2; i < argc; i++) {
		const char *f = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKES(name) (strcmp(f, name) == 0 && v && (i++, 1))
		if (TAKES("-f")) a->format = v;
		else if (TAKES("-accel")) a->accel = v;
		else if (TAKES("-ops")) split_commas(v, &a->ops);
		else if (TAKES("-exclude")) split_commas(v, &a->exclude);
		else if (TAKES("-keep")) split_commas(v, &a->keep);
		else if (TAKES("-user")) a->user = v;
		else if (strcmp(f, "-created") == 0) a->created = true;
		else if (TAKES("-pubkey")) a->pubkey_file = v;
		else if (TAKES("-inspect-cache")) a->inspect_cache = v;
		else if (strcmp(f, "-no-trim") == 0) a->no_trim = true;
		else if (TAKES("-report")) a->report_file = v;
		else if (TAKES("-os")) a->os_file = v;
		else if (TAKES("-c")) a->compression = v;
		else if (strcmp(f, "-force") == 0) a->force = true;
		else if (TAKES("-cpus")) a->cpus = atoi(v);
		else if (TAKES("-memory")) a->memory = atoi(v);
		else if (TAKES("-distro")) a->distro = v;
		else if (f[0] == '-' && f[1]) {
			fprintf(stderr, "error: unknown flag %s\n", f);
			return -1;
		} else
			strv_push(&a->pos, f);
#undef TAKES
	}
	return 0;
}

static int do_sanitize(struct args *a, const char *disk, struct img_sanitize_report *rep, struct kiln_error *e)
{
	struct img_sanitize_opts o;
	struct buf pubkey = BUF_INIT;
	enum img_accel accel;
	int rc = -1;
	img_sanitize_opts_init(&o);
	if (img_accel_parse(a->accel, &accel, e) < 0)
		goto out;
	if (img_sanitize_opts_select(&o, a->ops.n ? a->ops.v : NULL, a->exclude.v, e) < 0)
		goto out;
	for (size_t i = 0; i < a->keep.n; i++)
		strv_push(&o.keep_user_accounts, a->keep.v[i]);
	o.trim = !a->no_trim;
	struct img_sanitize_facts facts = {.build_user = a->user, .build_user_created = a->created,
					   .inspect_cache = a->inspect_cache};
	if (a->pubkey_file) {
		if (file_read_all(a->pubkey_file, &pubkey, e) < 0)
			goto out;
		facts.build_pubkey = buf_cstr(&pubkey);
	}
	if (img_sanitize(disk, a->format ? a->format : "qcow2", &o, &facts, accel, ui_global(), rep, e) < 0)
		goto out;
	if (a->report_file) {
		char *js = img_sanitize_report_json(rep);
		int w = file_write(a->report_file, js, strlen(js), 0644, e);
		free(js);
		if (w < 0)
			goto out;
	}
	if (a->os_file) {
		char *js = img_os_json(&rep->os);
		int w = file_write(a->os_file, js, strlen(js), 0644, e);
		free(js);
		if (w < 0)
			goto out;
	}
	rc = 0;
out:
	img_sanitize_opts_free(&o);
	buf_free(&pubkey);
	return rc;
}

static int do_export(struct args *a, const char *disk, const char *outdir, const char *name, const char *formats,
		     const struct img_sanitize_report *rep, struct kiln_error *e)
{
	struct img_export_opts o;
	struct strv fl = STRV_INIT;
	int rc = -1;
	img_export_opts_init(&o);
	split_commas(formats, &fl);
	for (size_t i = 0; i < fl.n; i++)
		if (img_export_opts_add(&o, fl.v[i], e) < 0)
			goto out;
	if (a->compression && img_compression_parse(a->compression, &o.compression, e) < 0)
		goto out;
	o.force = a->force;
	if (a->cpus)
		o.cpus = a->cpus;
	if (a->memory)
		o.memory_mb = a->memory;
	if (a->distro)
		o.os_distro = xstrdup(a->distro);
	else if (rep && rep->has_os && *rep->os.distro)
		o.os_distro = xstrdup(rep->os.distro);
	struct img_export_result made = {STRV_INIT, STRV_INIT, 0};
	rc = img_export(disk, a->format ? a->format : "qcow2", &o, outdir, name, ui_global(), &made, e);
	if (rc == 0) {
		for (size_t i = 0; i < made.files.n; i++)
			printf("file: %s\n", made.files.v[i]);
		char *list = strv_join(&made.formats, " ");
		printf("formats: %s\n", list);
		free(list);
	}
	img_export_result_free(&made);
out:
	strv_free(&fl);
	img_export_opts_free(&o);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = {0};
	struct kiln_error e = ERR_INIT;
	int rc = 1;
	sig_setup();
	log_init_from_env();
	if (argc < 2 || parse(argc, argv, &a) < 0) {
		fprintf(stderr, "usage: image-driver export|sanitize|sanitize-export|info ...\n");
		goto out;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "export") == 0 && a.pos.n == 4) {
		rc = do_export(&a, a.pos.v[0], a.pos.v[1], a.pos.v[2], a.pos.v[3], NULL, &e) < 0 ? fail(&e) : 0;
	} else if (strcmp(cmd, "sanitize") == 0 && a.pos.n == 1) {
		struct img_sanitize_report rep = {0};
		rc = do_sanitize(&a, a.pos.v[0], &rep, &e) < 0 ? fail(&e) : 0;
		img_sanitize_report_free(&rep);
	} else if (strcmp(cmd, "sanitize-export") == 0 && a.pos.n == 4) {
		struct img_sanitize_report rep = {0};
		rc = do_sanitize(&a, a.pos.v[0], &rep, &e) < 0 ||
		     do_export(&a, a.pos.v[0], a.pos.v[1], a.pos.v[2], a.pos.v[3], &rep, &e) < 0 ? fail(&e) : 0;
		img_sanitize_report_free(&rep);
	} else if (strcmp(cmd, "info") == 0 && (a.pos.n == 1 || a.pos.n == 2)) {
		struct img_info info;
		if (img_info_read(a.pos.v[0], a.pos.n == 2 ? a.pos.v[1] : NULL, &info, &e) < 0) {
			rc = fail(&e);
		} else {
			printf("format=%s\nsubformat=%s\ncompression=%s\nvirtual_size=%llu\nactual_size=%llu\n",
			       info.format, info.subformat, info.compression, (unsigned long long)info.virtual_size,
			       (unsigned long long)info.actual_size);
			img_info_free(&info);
			rc = 0;
		}
	} else {
		fprintf(stderr, "error: bad arguments for %s\n", cmd);
	}
out:
	err_clear(&e);
	strv_free(&a.ops);
	strv_free(&a.exclude);
	strv_free(&a.keep);
	strv_free(&a.pos);
	tmpdir_cleanup_all();
	log_close();
	return rc;
}
