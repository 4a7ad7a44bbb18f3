/* disk.c — qemu-img subcommands as argv arrays (see disk.h). */
#include "qemu/disk.h"
#include "image/image.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/proc.h"
#include "util/units.h"

#include <errno.h>
#include <ctype.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void add_extra(struct strv *argv, const struct strv *extra)
{
	for (size_t i = 0; extra && i < extra->n; i++)
		strv_push(argv, extra->v[i]);
}

/* Every file written here is in the build's output directory. */
#define SPACE_ADVICE "set output_directory to a larger file system"

static int run(struct strv *argv, struct buf *out, struct kiln_error *err)
{
	if (log_enabled()) {
		char *line = strv_join(argv, " ");
		log_debug("qemu-img: %s", line);
		free(line);
	}
	struct proc_opts o = {.out = out};
	int rc = proc_run_checked(strv_argv(argv), &o, err);
	strv_free(argv);
	return rc;
}

int qemu_img_info(const char *path, struct qemu_img_info *out, struct kiln_error *err)
{
	memset(out, 0, sizeof *out);
	struct strv argv = STRV_INIT;
	strv_push(&argv, "qemu-img");
	strv_push(&argv, "info");
	strv_push(&argv, "--output=json");
	/* a raw image being inspected must not be probed as something else later: -U tolerates a
	 * running VM's lock */
	strv_push(&argv, "-U");
	strv_push(&argv, path);
	struct buf b = BUF_INIT;
	if (run(&argv, &b, err) < 0) {
		buf_free(&b);
		return err_wrap(err, "inspecting %s", path);
	}
	json_error_t je;
	json_t *root = json_loads(buf_cstr(&b), 0, &je);
	buf_free(&b);
	if (!root)
		return err_set(err, "qemu-img info %s: unreadable output: %s", path, je.text);
	const char *fmt = json_string_value(json_object_get(root, "format"));
	out->format = xstrdup(fmt ? fmt : "raw");
	out->virtual_size = (uint64_t)json_integer_value(json_object_get(root, "virtual-size"));
	out->actual_size = (uint64_t)json_integer_value(json_object_get(root, "actual-size"));
	const char *bf = json_string_value(json_object_get(root, "backing-filename"));
	out->backing_file = bf ? xstrdup(bf) : NULL;
	json_decref(root);
	return 0;
}

void qemu_img_info_free(struct qemu_img_info *i)
{
	if (!i)
		return;
	free(i->format);
	free(i->backing_file);
	memset(i, 0, sizeof *i);
}

int qemu_img_create(const char *path, const char *format, const char *size, const char *backing,
		    const char *backing_format, const struct strv *extra, struct kiln_error *err)
{
	struct strv argv = STRV_INIT;
	strv_push(&argv, "qemu-img");
	strv_push(&argv, "create");
	strv_push(&argv, "-q");
	strv_push(&argv, "-f");
	strv_push(&argv, format);
	add_extra(&argv, extra);
	if (backing) {
		strv_push(&argv, "-b");
		strv_push(&argv, backing);
		strv_push(&argv, "-F");
		strv_push(&argv, backing_format ? backing_format : "qcow2");
	}
	strv_push(&argv, path);
	if (size)
		strv_push(&argv, size);
	if (run(&argv, NULL, err) < 0) {
		img_err_nospace(err, path, SPACE_ADVICE);
		return err_wrap(err, "creating disk %s", path);
	}
	return 0;
}

int qemu_img_convert(const char *src, const char *src_format, const char *dst, const char *dst_format,
		     bool compress, const struct strv *extra, struct kiln_error *err)
{
	uint64_t needed = 0;
	char *dir = path_dirname(dst);
	int checked = img_measure(src, src_format, dst_format, &needed, err) < 0 ||
		      img_space_check(dir, needed, "the copy", SPACE_ADVICE, err) < 0 ? -1 : 0;
	free(dir);
	if (checked < 0)
		return err_wrap(err, "converting %s to %s", src, dst_format);
	char *tmp = xasprintf("%s.kiln-tmp", dst);
	struct strv argv = STRV_INIT;
	strv_push(&argv, "qemu-img");
	strv_push(&argv, "convert");
	add_extra(&argv, extra);
	if (src_format) {
		strv_push(&argv, "-f");
		strv_push(&argv, src_format);
	}
	strv_push(&argv, "-O");
	strv_push(&argv, dst_format);
	if (compress)
		strv_push(&argv, "-c");
	strv_push(&argv, src);
	strv_push(&argv, tmp);
	int rc = run(&argv, NULL, err);
	if (rc == 0 && rename(tmp, dst) < 0)
		rc = err_set_errno(err, errno, "renaming %s", tmp);
	if (rc < 0) {
		unlink(tmp);
		img_err_nospace(err, dst, SPACE_ADVICE);
		err_wrap(err, "converting %s to %s", src, dst_format);
	}
	free(tmp);
	return rc;
}

/* qemu-img's option syntax: a comma inside a value is written twice. */
static void push_opt_value(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == ',')
			buf_putc(b, ',');
		buf_putc(b, *v);
	}
}

/* The disk is the build's working disk: an overlay, or a copy just written by qemu-img convert and
 * still in the page cache. qemu-img's closing flush would make this resize wait for all of a copy to
 * reach the disk (~0.25 s for a 500 MiB image here), a wait nothing needs — the VM's own flushes and
 * the kernel's writeback store it while the guest boots. So the image is opened with no-flush
 * (--image-opts, which names the format). */
int qemu_img_resize(const char *path, const char *format, uint64_t bytes, const struct strv *extra,
		    struct kiln_error *err)
{
	struct buf opts = BUF_INIT;
	buf_printf(&opts, "driver=%s,file.driver=file,cache.no-flush=on,file.filename=", format);
	push_opt_value(&opts, path);
	struct strv argv = STRV_INIT;
	strv_push(&argv, "qemu-img");
	strv_push(&argv, "resize");
	strv_push(&argv, "-q");
	add_extra(&argv, extra);
	strv_push(&argv, "--image-opts");
	strv_push(&argv, buf_cstr(&opts));
	strv_pushf(&argv, "%llu", (unsigned long long)bytes);
	buf_free(&opts);
	if (run(&argv, NULL, err) < 0) {
		img_err_nospace(err, path, SPACE_ADVICE);
		return err_wrap(err, "resizing %s", path);
	}
	return 0;
}

/* qemu-img rebase: safe (copies what differs) or -u (only the header's backing file name). */
static int rebase(const char *path, const char *backing, const char *backing_format, bool unsafe, struct kiln_error *err)
{
	struct strv argv = STRV_INIT;
	strv_push(&argv, "qemu-img");
	strv_push(&argv, "rebase");
	strv_push(&argv, unsafe ? "-u" : "-q");
	strv_push(&argv, "-b");
	strv_push(&argv, backing);
	strv_push(&argv, "-F");
	strv_push(&argv, backing_format);
	strv_push(&argv, path);
	if (run(&argv, NULL, err) < 0)
		return err_wrap(err, unsafe ? "re-pointing %s at %s" : "rebasing %s onto %s", path, backing);
	return 0;
}

int qemu_img_rebase_unsafe(const char *path, const char *backing, const char *backing_format, struct kiln_error *err)
{
	return rebase(path, backing, backing_format, true, err);
}

int qemu_img_rebase(const char *path, const char *backing, const char *backing_format, struct kiln_error *err)
{
	return rebase(path, backing, backing_format, false, err);
}

int qemu_img_create_overlay_unsafe(const char *path, const char *backing, const char *backing_format, uint64_t bytes,
				   struct kiln_error *err)
{
	/* -u: qemu-img create then neither opens the backing file nor needs it to exist */
	struct strv extra = STRV_INIT;
	strv_push(&extra, "-u");
	char *size = xasprintf("%llu", (unsigned long long)bytes);
	int rc = qemu_img_create(path, "qcow2", size, backing, backing_format, &extra, err);
	free(size);
	strv_free(&extra);
	return rc;
}

/* Formats whose metadata qemu-img check can verify. */
static bool checkable(const char *format)
{
	static const char *const f[] = {"qcow2", "qed", "vdi", "vhdx", "vmdk", "parallels"};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (strcmp(format, f[i]) == 0)
			return true;
	return false;
}

/* The volume space of an ISO 9660 image (primary volume descriptor at 32 KiB: the number of logical
 * blocks at offset 80, the block size at 128, both little-endian in their both-endian fields); 0 when
 * path is not one. */
static uint64_t iso_volume_bytes(const char *path)
{
	unsigned char pvd[2048];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = pread(fd, pvd, sizeof pvd, 16 * 2048);
	close(fd);
	if (n != (ssize_t)sizeof pvd || pvd[0] != 1 || memcmp(pvd + 1, "CD001", 5) != 0)
		return 0;
	uint64_t blocks = (uint64_t)pvd[80] | (uint64_t)pvd[81] << 8 | (uint64_t)pvd[82] << 16 | (uint64_t)pvd[83] << 24;
	uint64_t bsize = (uint64_t)pvd[128] | (uint64_t)pvd[129] << 8;
	return blocks * bsize;
}

int qemu_base_check(const char *path, const char *format, struct kiln_error *err)
{
	off_t size = 0;
	if (file_size(path, &size, err) < 0)
		return -1;
	if (!format) {
		uint64_t need = iso_volume_bytes(path);
		if (need > (uint64_t)size) {
			char *have = ui_format_bytes((uint64_t)size), *want = ui_format_bytes(need);
			err_set_kind(err, ERR_INVALID, "%s is truncated: the file has %s, its ISO 9660 volume %s", path, have, want);
			err_hint(err, "download it again (a download that was cut short?), and check iso_checksum");
			free(have);
			free(want);
			return -1;
		}
		return 0;
	}
	if (!checkable(format))
		return 0;
	struct strv argv = STRV_INIT;
	strv_push(&argv, "qemu-img");
	strv_push(&argv, "check");
	strv_push(&argv, "--output=json");
	strv_push(&argv, "-U");
	strv_push(&argv, "-f");
	strv_push(&argv, format);
	strv_push(&argv, path);
	struct buf out = BUF_INIT, errout = BUF_INIT;
	struct proc_opts o = {.out = &out, .errout = &errout};
	int status = 0, rc = 0;
	log_debug("qemu-img: check %s", path);
	if (proc_run(strv_argv(&argv), &o, &status, err) < 0) {
		rc = err_wrap(err, "checking %s", path);
		goto out;
	}
	/* 0: clean, 3: only leaked clusters (harmless: space, not data), 63: the format has no check */
	if (status == 0 || status == 3 || status == 63)
		goto out;
	json_t *root = json_loads(buf_cstr(&out), 0, NULL);
	long long corrupt = json_integer_value(json_object_get(root, "corruptions"));
	long long errors = json_integer_value(json_object_get(root, "check-errors"));
	long long end = json_integer_value(json_object_get(root, "image-end-offset"));
	json_decref(root);
	/* the clusters the metadata accounts for end past the file: it was cut short */
	bool truncated = end > (long long)size;
	char *have = ui_format_bytes((uint64_t)size);
	char *said = proc_condense_stderr(buf_cstr(&errout), 1);
	if (truncated)
		err_set_kind(err, ERR_INVALID, "%s (%s) is truncated: its %s metadata points past the end of the file "
					       "(qemu-img check: %lld corruptions)", path, have, format, corrupt);
	else if (corrupt || errors)
		err_set_kind(err, ERR_INVALID, "%s is damaged: qemu-img check found %lld corruptions and %lld errors in its "
					       "%s metadata%s%s", path, corrupt, errors, format, *said ? ": " : "", said);
	else
		err_set_kind(err, ERR_INVALID, "%s is damaged: qemu-img check exited with status %d%s%s", path, status,
			     *said ? ": " : "", said);
	err_detail(err, "qemu-img check %s:\n%s%s", path, buf_cstr(&out), buf_cstr(&errout));
	err_hint(err, "download it again (a download that was cut short?) and check iso_checksum; booting it would "
		      "only wait for an SSH that never comes");
	free(have);
	free(said);
	rc = -1;
out:
	buf_free(&out);
	buf_free(&errout);
	strv_free(&argv);
	return rc;
}

int qemu_parse_size(const char *s, char bare_unit, uint64_t *bytes, struct kiln_error *err)
{
	return size_parse(s, bare_unit, bytes, err);
}
