/* export.c — converting the finished disk into the formats the next system imports. Every conversion
 * is `qemu-img convert` from an argv with its progress (`-p`) shown; the OVA and the Vagrant box are
 * assembled with libarchive (ova.c, vagrant.c). All outputs go to temporary names first and are renamed
 * into place together at the end, so a failure or Ctrl-C leaves no half file under a final name. */
#include "image/archive.h"
#include "image/export_internal.h"
#include "image/image.h"
#include "ui/ui.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/proc.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	const char *name;
	const char *ext;
	const char *alias;
} format_table[IMG_FORMAT_COUNT] = {
	[IMG_FORMAT_QCOW2] = {"qcow2", "qcow2", NULL},
	[IMG_FORMAT_RAW] = {"raw", "raw", "img"},
	[IMG_FORMAT_VMDK] = {"vmdk", "vmdk", NULL},
	[IMG_FORMAT_VHDX] = {"vhdx", "vhdx", NULL},
	[IMG_FORMAT_VPC] = {"vpc", "vhd", "vhd"},
	[IMG_FORMAT_OVA] = {"ova", "ova", NULL},
	[IMG_FORMAT_VAGRANT] = {"vagrant", "box", "box"},
	[IMG_FORMAT_GCE] = {"gce", "tar.gz", NULL},
};

int img_format_parse(const char *name, enum img_format *out, struct kiln_error *err)
{
	for (int i = 0; i < IMG_FORMAT_COUNT; i++) {
		if ((name && strcmp(name, format_table[i].name) == 0) ||
		    (name && format_table[i].alias && strcmp(name, format_table[i].alias) == 0)) {
			*out = (enum img_format)i;
			return 0;
		}
	}
	err_set_kind(err, ERR_INVALID, "kiln cannot write the image format \"%s\"", name ? name : "");
	err_hint(err, "use one of qcow2, raw, vmdk, vhdx, vpc, ova, vagrant, gce");
	return -1;
}

const char *img_format_name(enum img_format f)
{
	return f < IMG_FORMAT_COUNT ? format_table[f].name : "?";
}

const char *img_format_extension(enum img_format f)
{
	return f < IMG_FORMAT_COUNT ? format_table[f].ext : "";
}

int img_compression_parse(const char *name, enum img_compression *out, struct kiln_error *err)
{
	if (!name || !*name || strcmp(name, "none") == 0)
		*out = IMG_COMPRESS_NONE;
	else if (strcmp(name, "zlib") == 0)
		*out = IMG_COMPRESS_ZLIB;
	else if (strcmp(name, "zstd") == 0)
		*out = IMG_COMPRESS_ZSTD;
	else {
		err_set_kind(err, ERR_INVALID, "unknown qcow2 compression \"%s\"", name);
		err_hint(err, "use \"none\", \"zlib\" or \"zstd\"");
		return -1;
	}
	return 0;
}

void img_export_opts_init(struct img_export_opts *o)
{
	memset(o, 0, sizeof *o);
	o->cpus = 1;
	o->memory_mb = 1024;
}

void img_export_opts_free(struct img_export_opts *o)
{
	if (!o)
		return;
	free(o->os_distro);
	o->os_distro = NULL;
}

int img_export_opts_add(struct img_export_opts *o, const char *name, struct kiln_error *err)
{
	enum img_format f;
	if (img_format_parse(name, &f, err) < 0)
		return -1;
	for (size_t i = 0; i < o->nformats; i++)
		if (o->formats[i] == f)
			return 0;
	o->formats[o->nformats++] = f;
	return 0;
}

char *img_export_path(const struct img_export_opts *o, const char *outdir, const char *name, enum img_format f)
{
	if (o->nformats == 1 && (f == IMG_FORMAT_QCOW2 || f == IMG_FORMAT_RAW))
		return path_join(outdir, name);
	char *base = xstrdup(name);
	static const char *const strip[] = {".qcow2", ".raw", ".img", ".vmdk", ".vhdx", ".vhd", ".ova", ".box",
					    ".tar.gz"};
	for (size_t i = 0; i < sizeof strip / sizeof strip[0]; i++) {
		size_t bl = strlen(base), sl = strlen(strip[i]);
		if (bl > sl && strcmp(base + bl - sl, strip[i]) == 0) {
			base[bl - sl] = '\0';
			break;
		}
	}
	char *file = xasprintf("%s.%s", base, img_format_extension(f));
	char *path = path_join(outdir, file);
	free(file);
	free(base);
	return path;
}

/* ------------------------------------------------------------------------------------------------
 * qemu-img with progress */

struct convert_progress {
	struct ui_progress *p;
	uint64_t total;
};

static void on_progress_line(void *arg, bool is_stderr, const char *line)
{
	struct convert_progress *cp = arg;
	double pct;
	const char *open = strchr(line, '(');
	if (is_stderr || !cp->p || !open || sscanf(open, "(%lf/100%%)", &pct) != 1)
		return;
	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	ui_progress_update(cp->p, (uint64_t)((double)cp->total * pct / 100.0));
}

int img_qemu_img(struct strv *argv, struct ui *ui, const char *label, uint64_t total, struct kiln_error *err)
{
	struct convert_progress cp = {NULL, total};
	if (ui && label)
		cp.p = ui_progress_start(ui, label, total);
	struct proc_opts o = {.on_line = on_progress_line, .line_arg = &cp, .split_cr = true};
	int rc = proc_run_checked(strv_argv(argv), &o, err);
	if (cp.p) {
		if (rc == 0)
			ui_progress_update(cp.p, total);
		ui_progress_finish(cp.p);
	}
	return rc;
}

const char *img_compression_name(enum img_compression c)
{
	return c == IMG_COMPRESS_ZLIB ? "zlib" : c == IMG_COMPRESS_ZSTD ? "zstd" : "none";
}

/* qemu-img writes through the page cache and flushes nothing (-t unsafe): what must be durable is
 * fsynced by the caller before it is renamed into place (img_tmp_commit), with its write-back started
 * while qemu-img still writes (file_writeback_start, export_write); work copies that are read once and
 * removed never wait for the disk at all. Measured on the AMD host on the 500 MiB Debian image (convert
 * and fsync, load 3-4): O_DIRECT (-t none -m 8 -W) 0.85-1.45 s; page cache and one fsync 0.66-0.89 s;
 * page cache with write-back started along the way 0.46-0.75 s. */
static void push_convert(struct strv *argv)
{
	strv_push(argv, "convert");
	strv_push(argv, "-p");
	strv_push(argv, "-t");
	strv_push(argv, "unsafe");
}

int img_convert(const char *src, const char *src_fmt, const char *dst, enum img_format f,
		enum img_compression compression, uint64_t vsize, struct ui *ui, struct kiln_error *err)
{
	struct strv argv = STRV_INIT;
	int rc = -1;
	char *label = NULL;
	strv_push(&argv, "qemu-img");
	if (f == IMG_FORMAT_VPC) {
		/* Azure wants a fixed VHD whose virtual size is a whole number of MiB; force_size keeps qemu
		 * from rounding it to CHS geometry. Create it at that size, then fill it in place. */
		uint64_t mib = 1024 * 1024, aligned = (vsize + mib - 1) / mib * mib;
		struct strv create = STRV_INIT;
		strv_push(&create, "qemu-img");
		strv_push(&create, "create");
		strv_push(&create, "-q");
		strv_push(&create, "-f");
		strv_push(&create, "vpc");
		strv_push(&create, "-o");
		strv_push(&create, "subformat=fixed,force_size=on");
		strv_push(&create, dst);
		strv_pushf(&create, "%llu", (unsigned long long)aligned);
		rc = proc_run_checked(strv_argv(&create), NULL, err);
		strv_free(&create);
		if (rc < 0)
			goto out;
		rc = -1;
		push_convert(&argv);
		strv_push(&argv, "-n");
		strv_push(&argv, "--target-is-zero");
		strv_push(&argv, "-f");
		strv_push(&argv, src_fmt);
		strv_push(&argv, "-O");
		strv_push(&argv, "vpc");
	} else {
		push_convert(&argv);
		strv_push(&argv, "-f");
		strv_push(&argv, src_fmt);
		strv_push(&argv, "-O");
		switch (f) {
		case IMG_FORMAT_QCOW2:
			strv_push(&argv, "qcow2");
			if (compression != IMG_COMPRESS_NONE) {
				strv_push(&argv, "-c");
				strv_push(&argv, "-o");
				strv_pushf(&argv, "compression_type=%s", img_compression_name(compression));
			}
			/* Several requests in flight: qemu compresses clusters on its thread pool. */
			strv_push(&argv, "-m");
			strv_push(&argv, "8");
			strv_push(&argv, "-W");
			break;
		case IMG_FORMAT_RAW:
			strv_push(&argv, "raw");
			break;
		case IMG_FORMAT_VMDK:
			strv_push(&argv, "vmdk");
			strv_push(&argv, "-o");
			strv_push(&argv, "subformat=streamOptimized,adapter_type=lsilogic");
			break;
		case IMG_FORMAT_VHDX:
			strv_push(&argv, "vhdx");
			strv_push(&argv, "-o");
			strv_push(&argv, "subformat=dynamic");
			break;
		default:
			err_set(err, "%s is not a disk format qemu-img writes", img_format_name(f));
			goto out;
		}
	}
	strv_push(&argv, src);
	strv_push(&argv, dst);
	if (f == IMG_FORMAT_QCOW2 && compression != IMG_COMPRESS_NONE)
		label = xasprintf("Converting to qcow2 (%s compressed)", img_compression_name(compression));
	else
		label = xasprintf("Converting to %s", f == IMG_FORMAT_VMDK ? "vmdk (streamOptimized)"
						   : f == IMG_FORMAT_VPC ? "vhd (fixed)" : img_format_name(f));
	rc = img_qemu_img(&argv, ui, label, vsize, err);
out:
	free(label);
	strv_free(&argv);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * The export */

struct export_job {
	enum img_format fmt;
	char *final;
	char *tmp;
	bool done;
};

struct export_run {
	struct export_job jobs[IMG_FORMAT_COUNT];
	size_t njobs;
	char *workdir;
	pthread_mutex_t lock;
	bool finished;
	bool durable;   /* the outputs are fsynced and renamed into place (img_export) */
};

/* Second Ctrl-C: remove what is half written. Runs on the signal thread. */
static void export_force_exit(void *arg)
{
	struct export_run *r = arg;
	pthread_mutex_lock(&r->lock);
	if (!r->finished) {
		for (size_t i = 0; i < r->njobs; i++)
			if (r->jobs[i].tmp)
				unlink(r->jobs[i].tmp);
		if (r->workdir)
			rm_rf(r->workdir, NULL);
	}
	pthread_mutex_unlock(&r->lock);
}

/* The export is over: a second Ctrl-C from now on removes nothing. */
static void export_run_finish(struct export_run *r, int handle)
{
	if (handle >= 0)
		sig_forget(handle);
	pthread_mutex_lock(&r->lock);
	r->finished = true;
	pthread_mutex_unlock(&r->lock);
}

static struct export_job *find_job(struct export_run *r, enum img_format f)
{
	for (size_t i = 0; i < r->njobs; i++)
		if (r->jobs[i].fmt == f)
			return &r->jobs[i];
	return NULL;
}

/* Write job j's format into j->tmp, reusing what an earlier job of the run wrote where it can: the OVA
 * the VMDK, the box a compressed qcow2, gce the raw disk. */
static int export_write(struct export_run *run, const struct export_job *j, const char *disk,
			const char *disk_format, const struct img_info *info, const struct img_export_opts *opts,
			struct ui *ui, struct kiln_error *err)
{
	const struct export_job *vmdk = find_job(run, IMG_FORMAT_VMDK), *qcow2 = find_job(run, IMG_FORMAT_QCOW2),
				*raw = find_job(run, IMG_FORMAT_RAW);
	switch (j->fmt) {
	case IMG_FORMAT_OVA:
		return img_write_ova(disk, disk_format, info, vmdk ? vmdk->tmp : NULL, opts, j->final, j->tmp,
				     run->workdir, ui, err);
	case IMG_FORMAT_VAGRANT:
		return img_write_vagrant_box(disk, disk_format, info,
					     qcow2 && opts->compression != IMG_COMPRESS_NONE ? qcow2->tmp : NULL, opts,
					     j->tmp, run->workdir, ui, err);
	case IMG_FORMAT_GCE:
		return img_write_gce(disk, disk_format, info, raw ? raw->tmp : NULL, j->tmp, run->workdir, ui, err);
	default: {
		/* an output img_export fsyncs before it renames it: its write-back runs beside qemu-img */
		struct file_writeback *wb = run->durable ? file_writeback_start(j->tmp) : NULL;
		long t0 = time_mono_ms();
		int rc = img_convert(disk, disk_format, j->tmp, j->fmt, opts->compression, info->virtual_size, ui, err);
		uint64_t asked = file_writeback_stop(wb);
		if (wb)
			log_debug("export: %s: write-back of %llu MiB started while converting (%.3fs)", j->tmp,
				  (unsigned long long)(asked >> 20), (double)(time_mono_ms() - t0) / 1e3);
		return rc;
	}
	}
}

const char *img_work_copy(const char *disk, const char *disk_format, uint64_t vsize, const char *given,
			  enum img_format f, enum img_compression c, const char *workdir, const char *name,
			  struct ui *ui, char **own, struct kiln_error *err)
{
	if (given)
		return given;
	*own = path_join(workdir, name);
	if (img_convert(disk, disk_format, *own, f, c, vsize, ui, err) < 0)
		return NULL;
	return *own;
}

void img_work_copy_drop(char *own)
{
	if (own)
		unlink(own);
	free(own);
}

static bool same_file(const char *a, const char *b)
{
	char *pa = path_abs(a), *pb = path_abs(b);
	bool same = strcmp(pa, pb) == 0;
	free(pa);
	free(pb);
	return same;
}

#define SPACE_ADVICE "choose an output directory on a larger file system"

/* What the selected formats can need in outdir at most, written one after another and all kept, when
 * the disk's data comes to `data` bytes as qcow2 (what qemu-img measures): that much per format, a
 * fixed VHD's whole size, the OVA's and the box's work copies. */
static uint64_t export_needs(const struct img_info *info, const struct export_run *run, uint64_t data)
{
	uint64_t mib = 1024 * 1024, sum = 0;
	for (size_t i = 0; i < run->njobs; i++) {
		switch (run->jobs[i].fmt) {
		case IMG_FORMAT_VPC:
			sum += (info->virtual_size + mib - 1) / mib * mib + mib;
			break;
		case IMG_FORMAT_OVA:
			sum += find_job((struct export_run *)run, IMG_FORMAT_VMDK) ? data : 2 * data;
			break;
		case IMG_FORMAT_VAGRANT:
			sum += 2 * data;
			break;
		default:
			sum += data;
		}
	}
	return sum;
}

/* More than `qemu-img measure -O qcow2` can say of any disk of this virtual size: all of it allocated,
 * plus qcow2's tables for its default 64 KiB clusters (an 8-byte L2 entry and a 2-byte refcount per
 * cluster, 1/6554 of the size: counted as 1/1024) and its header. */
static uint64_t qcow2_bound(uint64_t virtual_size)
{
	return virtual_size + virtual_size / 1024 + (4u << 20);
}

/* Room for the export in outdir. Measuring the disk is a qemu-img run (~50 ms on the bench host): it
 * is skipped when the file system has room even for a fully allocated disk, where it could not change
 * the answer; otherwise the measured need decides, and is what the error reports. */
static int export_space_check(const char *disk, const char *disk_format, const struct img_info *info,
			      const struct export_run *run, const char *outdir, struct kiln_error *err)
{
	if (img_space_ample(outdir, export_needs(info, run, qcow2_bound(info->virtual_size))))
		return 0;
	uint64_t data = 0;
	if (img_measure(disk, disk_format, "qcow2", &data, err) < 0)
		return -1;
	return img_space_check(outdir, export_needs(info, run, data), "the export", SPACE_ADVICE, err);
}

int img_export(const char *disk, const char *disk_format, const struct img_export_opts *opts,
	       const char *outdir, const char *name, struct ui *ui, struct img_export_result *out,
	       struct kiln_error *err)
{
	struct export_run run = {.lock = PTHREAD_MUTEX_INITIALIZER, .durable = true};
	struct img_info info = {0};
	int rc = -1, handle = -1;

	if (opts->nformats == 0)
		return err_set_kind(err, ERR_INVALID, "no export format selected");
	if (!file_is_dir(outdir)) {
		err_set_kind(err, ERR_NOT_FOUND, "output directory %s does not exist", outdir);
		return -1;
	}
	if (img_info_read(disk, disk_format, &info, err) < 0)
		return err_wrap(err, "exporting %s", disk);

	/* Every output name is checked before any work starts. */
	for (size_t i = 0; i < opts->nformats; i++) {
		struct export_job *j = &run.jobs[run.njobs++];
		j->fmt = opts->formats[i];
		j->final = img_export_path(opts, outdir, name, j->fmt);
		if (file_exists(j->final) && !opts->force && !same_file(j->final, disk)) {
			err_set_kind(err, ERR_INVALID, "output file %s already exists", j->final);
			err_hint(err, "remove it or build with -force to replace it");
			goto out;
		}
	}
	if (export_space_check(disk, disk_format, &info, &run, outdir, err) < 0)
		goto cleanup;
	for (size_t i = 0; i < run.njobs; i++)
		if (!(run.jobs[i].tmp = img_tmp_reserve(run.jobs[i].final, err)))
			goto cleanup;
	char *wd = xasprintf("%s/.kiln-export-XXXXXX", outdir);
	if (!mkdtemp(wd)) {
		err_set_errno(err, errno, "cannot create a work directory in %s", outdir);
		free(wd);
		goto cleanup;
	}
	run.workdir = wd;
	handle = sig_on_force_exit(export_force_exit, &run);

	/* Plain disk formats first: the OVA reuses the VMDK, the box a compressed qcow2, gce the raw disk. */
	static const enum img_format order[] = {IMG_FORMAT_QCOW2, IMG_FORMAT_RAW, IMG_FORMAT_VMDK, IMG_FORMAT_VHDX,
						IMG_FORMAT_VPC, IMG_FORMAT_OVA, IMG_FORMAT_VAGRANT, IMG_FORMAT_GCE};
	for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
		struct export_job *j = find_job(&run, order[k]);
		if (!j)
			continue;
		if (sig_cancelled()) {
			err_set_kind(err, ERR_CANCELLED, "export cancelled");
			goto cleanup;
		}
		if (export_write(&run, j, disk, disk_format, &info, opts, ui, err) < 0)
			goto cleanup;
		j->done = true;
	}

	/* All complete: move them into place. */
	long t_commit = time_mono_ms();
	for (size_t i = 0; i < run.njobs; i++) {
		struct export_job *j = &run.jobs[i];
		if (img_tmp_commit(j->tmp, j->final, err) < 0)
			goto cleanup;
		free(j->tmp);
		j->tmp = NULL;
		if (ui) {
			off_t sz = 0;
			file_size(j->final, &sz, NULL);
			char *h = ui_format_bytes((uint64_t)sz);
			ui_message(ui, "Exported %s: %s (%s)", img_format_name(j->fmt), j->final, h);
			free(h);
		}
		if (out) {
			strv_push(&out->files, j->final);
			strv_push(&out->formats, img_format_name(j->fmt));
		}
	}
	if (out)
		out->virtual_size = info.virtual_size;
	log_debug("export: fsync and rename of %zu file(s): %.3fs", run.njobs, (double)(time_mono_ms() - t_commit) / 1e3);
	rc = 0;
cleanup:
	export_run_finish(&run, handle);
	if (rc < 0) {
		img_err_nospace(err, outdir, SPACE_ADVICE);
		err_wrap(err, "exporting %s", disk);
	}
	for (size_t i = 0; i < run.njobs; i++)
		if (run.jobs[i].tmp)
			unlink(run.jobs[i].tmp);
	if (run.workdir)
		rm_rf(run.workdir, NULL);
out:
	for (size_t i = 0; i < run.njobs; i++) {
		free(run.jobs[i].final);
		free(run.jobs[i].tmp);
	}
	free(run.workdir);
	img_info_free(&info);
	pthread_mutex_destroy(&run.lock);
	return rc;
}

int img_export_file(const char *disk, const char *disk_format, enum img_format f, const char *dst, struct ui *ui,
		    struct kiln_error *err)
{
	struct export_run run = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct img_info info = {0};
	struct img_export_opts opts;
	img_export_opts_init(&opts);
	int rc = -1, handle = -1;
	char *dir = path_dirname(dst);
	char *wd = xasprintf("%s/.kiln-export-XXXXXX", dir);
	free(dir);
	if (img_info_read(disk, disk_format, &info, err) < 0)
		goto out;
	if (!mkdtemp(wd)) {
		err_set_errno(err, errno, "cannot create a work directory beside %s", dst);
		goto out;
	}
	run.workdir = wd;
	wd = NULL;
	/* one job, written in place: nothing of an earlier job to reuse, no compression */
	run.jobs[0] = (struct export_job){.fmt = f, .final = xstrdup(dst), .tmp = xstrdup(dst)};
	run.njobs = 1;
	handle = sig_on_force_exit(export_force_exit, &run);
	rc = export_write(&run, &run.jobs[0], disk, disk_format, &info, &opts, ui, err);
out:
	export_run_finish(&run, handle);
	if (rc < 0) {
		unlink(dst);
		err_wrap(err, "converting %s to %s", disk, img_format_name(f));
	}
	if (run.workdir)
		rm_rf(run.workdir, NULL);
	free(run.workdir);
	free(run.jobs[0].final);
	free(run.jobs[0].tmp);
	free(wd);
	img_info_free(&info);
	img_export_opts_free(&opts);
	pthread_mutex_destroy(&run.lock);
	return rc;
}

void img_export_result_free(struct img_export_result *r)
{
	if (!r)
		return;
	strv_free(&r->files);
	strv_free(&r->formats);
}
