/* gce.c — the `gce` export: NAME.tar.gz holding one file, disk.raw, in GNU tar's sparse format, as
 * `gcloud compute images create --source-uri` takes it (Google's instructions make it with
 * `tar --format=oldgnu -Sczf`). disk.raw's size is rounded up to a whole GiB, as Compute Engine requires;
 * only the raw disk's data extents are stored, so an 8 GiB disk holding 1 GiB of data costs 1 GiB of
 * reading and gzip, not 8.
 *
 * libarchive reads GNU sparse archives but writes sparse files only in the pax form, which the old
 * Compute Engine importer does not read; so the tar headers (512-byte blocks with the sparse map, as
 * GNU tar's manual describes the old GNU format) are made here and the stream goes through libarchive's
 * gzip writer. */
#include "image/archive.h"
#include "image/export_internal.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 512
#define RECORD (20 * BLOCK)   /* GNU tar's default blocking factor */
#define GIB (1ull << 30)

/* A numeric field: octal with a NUL when it fits, else GNU's base-256 (high bit of the first byte set). */
static void put_num(unsigned char *f, size_t width, uint64_t v)
{
	uint64_t max_octal = (width - 1) * 3 >= 64 ? UINT64_MAX : (1ull << ((width - 1) * 3)) - 1;
	if (v <= max_octal) {
		char tmp[32];
		snprintf(tmp, sizeof tmp, "%0*llo", (int)(width - 1), (unsigned long long)v);
		memcpy(f, tmp, width - 1);
		f[width - 1] = '\0';
		return;
	}
	memset(f, 0, width);
	f[0] = 0x80;
	for (size_t i = width - 1; i >= 1 && v; i--) {
		f[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static void put_sparse(unsigned char *at, const struct img_extent *e)
{
	put_num(at, 12, e->offset);
	put_num(at + 12, 12, e->length);
}

void img_gce_tar_headers(const char *name, const struct img_extent *ext, size_t next, uint64_t realsize,
			 int64_t mtime, struct buf *out)
{
	/* the map ends with an empty extent at the end when the file ends in a hole, as GNU tar writes it */
	struct img_extent *map = xcalloc(next + 1, sizeof *map);
	size_t n = 0;
	uint64_t stored = 0;
	for (size_t i = 0; i < next; i++) {
		map[n++] = ext[i];
		stored += ext[i].length;
	}
	if (n == 0 || map[n - 1].offset + map[n - 1].length < realsize)
		map[n++] = (struct img_extent){realsize, 0};

	unsigned char h[BLOCK];
	memset(h, 0, sizeof h);
	snprintf((char *)h, 100, "%s", name);
	put_num(h + 100, 8, 0644);
	put_num(h + 108, 8, 0);
	put_num(h + 116, 8, 0);
	put_num(h + 124, 12, stored);
	put_num(h + 136, 12, mtime > 0 ? (uint64_t)mtime : 0);
	h[156] = 'S';                           /* GNUTYPE_SPARSE */
	memcpy(h + 257, "ustar  ", 8);          /* old GNU magic and version, with its NUL */
	memcpy(h + 265, "root", 4);
	memcpy(h + 297, "root", 4);
	size_t k = 0;
	for (; k < n && k < 4; k++)
		put_sparse(h + 386 + 24 * k, &map[k]);
	h[482] = k < n ? 1 : 0;                 /* isextended */
	put_num(h + 483, 12, realsize);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (size_t i = 0; i < BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	buf_append(out, h, BLOCK);
	/* extension blocks of 21 entries each */
	while (k < n) {
		memset(h, 0, sizeof h);
		size_t j = 0;
		for (; j < 21 && k < n; j++, k++)
			put_sparse(h + 24 * j, &map[k]);
		h[504] = k < n ? 1 : 0;
		buf_append(out, h, BLOCK);
	}
	free(map);
}

int img_data_extents(int fd, uint64_t size, struct img_extent **out, size_t *nout, struct kiln_error *err)
{
	struct img_extent *v = NULL;
	size_t n = 0, cap = 0;
	off_t pos = 0;
	while ((uint64_t)pos < size) {
		off_t d = lseek(fd, pos, SEEK_DATA);
		if (d < 0 && errno == ENXIO)
			break;   /* only a hole is left */
		if (d < 0) {
			if (errno == EINVAL) {
				/* no SEEK_DATA on this file system: all of it is data */
				free(v);
				v = xcalloc(1, sizeof *v);
				v[0] = (struct img_extent){0, size};
				*out = v;
				*nout = size ? 1 : 0;
				return 0;
			}
			free(v);
			return err_set_errno(err, errno, "cannot find the data of the raw disk");
		}
		off_t h = lseek(fd, d, SEEK_HOLE);
		if (h < 0)
			h = (off_t)size;
		if ((uint64_t)h > size)
			h = (off_t)size;
		v = xgrow(v, &cap, n + 1, sizeof *v);
		v[n++] = (struct img_extent){(uint64_t)d, (uint64_t)(h - d)};
		pos = h;
	}
	*out = v;
	*nout = n;
	return 0;
}

int img_write_gce(const char *disk, const char *disk_format, const struct img_info *info, const char *raw,
		  const char *tmp, const char *workdir, struct ui *ui, struct kiln_error *err)
{
	int rc = -1, fd = -1;
	char *own = NULL, *data = NULL;
	struct img_extent *ext = NULL;
	size_t next = 0;
	struct img_archive *ar = NULL;
	struct ui_progress *p = NULL;
	struct buf head = BUF_INIT;

	raw = img_work_copy(disk, disk_format, info->virtual_size, raw, IMG_FORMAT_RAW, IMG_COMPRESS_NONE, workdir,
			    "disk.raw", ui, &own, err);
	if (!raw)
		goto out;
	fd = open(raw, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_set_errno(err, errno, "cannot open %s", raw);
		goto out;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err_set_errno(err, errno, "cannot stat %s", raw);
		goto out;
	}
	uint64_t size = (uint64_t)st.st_size;
	uint64_t realsize = (size + GIB - 1) / GIB * GIB;
	if (realsize == 0)
		realsize = GIB;
	if (img_data_extents(fd, size, &ext, &next, err) < 0)
		goto out;
	uint64_t stored = 0;
	for (size_t i = 0; i < next; i++)
		stored += ext[i].length;
	struct stat dst;
	int64_t mtime = stat(disk, &dst) == 0 ? (int64_t)dst.st_mtime : (int64_t)st.st_mtime;
	img_gce_tar_headers("disk.raw", ext, next, realsize, mtime, &head);
	uint64_t body = head.len + (stored + BLOCK - 1) / BLOCK * BLOCK + 2 * BLOCK;
	uint64_t total = (body + RECORD - 1) / RECORD * RECORD;

	struct img_archive_opts ao = {.container = IMG_ARCHIVE_RAW, .filter = IMG_FILTER_GZIP};
	if (img_archive_open(tmp, &ao, &ar, err) < 0 || img_archive_entry_begin(ar, "disk.raw.tar", total, err) < 0 ||
	    img_archive_entry_write(ar, head.data, head.len, err) < 0)
		goto out;
	const size_t chunk = 1 << 20;
	data = xmalloc(chunk);
	uint64_t done = 0;
	p = ui ? ui_progress_start(ui, "Packing disk.raw for Compute Engine (sparse, gzip)", stored) : NULL;
	for (size_t i = 0; i < next; i++) {
		uint64_t off = ext[i].offset, left = ext[i].length;
		while (left) {
			if (sig_cancelled()) {
				err_set_kind(err, ERR_CANCELLED, "cancelled while writing %s", tmp);
				goto out;
			}
			size_t want = left < chunk ? (size_t)left : chunk;
			ssize_t n = pread(fd, data, want, (off_t)off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				err_set_errno(err, n < 0 ? errno : EIO, "cannot read %s", raw);
				goto out;
			}
			if (img_archive_entry_write(ar, data, (size_t)n, err) < 0)
				goto out;
			off += (uint64_t)n;
			left -= (uint64_t)n;
			done += (uint64_t)n;
			ui_progress_update(p, done);
		}
	}
	/* pad the data to a block, two zero blocks end the archive, then the record */
	uint64_t pad = total - head.len - stored;
	memset(data, 0, chunk);
	while (pad) {
		size_t k = pad < chunk ? (size_t)pad : chunk;
		if (img_archive_entry_write(ar, data, k, err) < 0)
			goto out;
		pad -= k;
	}
	if (img_archive_entry_end(ar, err) < 0)
		goto out;
	if (img_archive_close(&ar, err) < 0)
		goto out;
	rc = 0;
out:
	ui_progress_finish(p);
	img_archive_abort(ar);
	if (fd >= 0)
		close(fd);
	img_work_copy_drop(own);
	if (rc < 0)
		err_wrap(err, "writing the Compute Engine image");
	free(data);
	free(ext);
	buf_free(&head);
	return rc;
}
