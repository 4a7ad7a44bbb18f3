/* disk.h — disk images on this machine through qemu-img (argv, never a shell): inspect, create (empty or
 * as a qcow2 overlay on a base image), copy, resize, convert/compact, re-point a backing file. Packer's
 * qemu_img_args are passed in as extra arguments of each subcommand. */
#ifndef KILN_QEMU_DISK_H
#define KILN_QEMU_DISK_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"
#include "util/strv.h"

struct qemu_img_info {
	char *format;            /* "qcow2", "raw", ... */
	uint64_t virtual_size;
	uint64_t actual_size;
	char *backing_file;      /* NULL when none */
};

int qemu_img_info(const char *path, struct qemu_img_info *out, struct kiln_error *err);
void qemu_img_info_free(struct qemu_img_info *i);

/* An empty disk, or (backing != NULL) a qcow2 overlay on backing whose format is backing_format.
 * size NULL: the backing file's size. */
int qemu_img_create(const char *path, const char *format, const char *size, const char *backing,
		    const char *backing_format, const struct strv *extra, struct kiln_error *err);
/* Copy or convert src (format src_format, NULL probes) to dst in dst_format, optionally compressed.
 * The result appears at dst only when complete. */
int qemu_img_convert(const char *src, const char *src_format, const char *dst, const char *dst_format,
		     bool compress, const struct strv *extra, struct kiln_error *err);
int qemu_img_resize(const char *path, const char *format, uint64_t bytes, const struct strv *extra,
		    struct kiln_error *err);
/* Point an overlay at a different (identical) backing file without touching data (rebase -u). */
int qemu_img_rebase_unsafe(const char *path, const char *backing, const char *backing_format, struct kiln_error *err);
/* Checkpoints: a qcow2 overlay of `bytes` whose backing file need not exist yet (create -u). */
int qemu_img_create_overlay_unsafe(const char *path, const char *backing, const char *backing_format, uint64_t bytes,
				   struct kiln_error *err);
/* Rebase path onto backing, copying into it what differs between its chain and backing (safe mode). */
int qemu_img_rebase(const char *path, const char *backing, const char *backing_format, struct kiln_error *err);
/* Before booting from it: is this base image whole? Formats with metadata get `qemu-img check` (a
 * truncated or corrupt qcow2 fails in a second instead of booting garbage); format NULL means an ISO,
 * whose length is checked against its volume descriptor. Fails ERR_INVALID naming the file and what is
 * wrong. Leaked clusters are not an error. */
int qemu_base_check(const char *path, const char *format, struct kiln_error *err);
/* Parse a qemu-img size ("40960M", "10G", "1024", "512k"); a bare number is bytes when bare_unit is
 * 'B', mebibytes when 'M' (Packer's disk_size rule). */
int qemu_parse_size(const char *s, char bare_unit, uint64_t *bytes, struct kiln_error *err);

#endif
