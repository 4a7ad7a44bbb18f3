/* guest.h — one libguestfs appliance session over one disk, shared by sanitize and inspect: the
 * accelerator choice, launch with the disk attached (discard on, so a trim shrinks the image), OS
 * inspection and mounting, errors turned into kiln_error, and the appliance killed on a forced exit. */
#ifndef KILN_IMAGE_GUEST_H
#define KILN_IMAGE_GUEST_H

#include <guestfs.h>
#include <stdbool.h>

#include "image/image.h"
#include "util/buf.h"
#include "util/strv.h"

struct img_guest {
	guestfs_h *g;
	char *disk;
	char *root;            /* inspected root device, once inspected */
	struct strv mounted;   /* mountpoints, in mount order */
	struct strv mounted_devs;   /* the device mounted on each of them (same index) */
	int force_handle;
	int pid;
};

/* Create the handle, attach disk and launch the appliance. */
int img_guest_launch(struct img_guest *s, const char *disk, const char *format, bool readonly,
		     enum img_accel accel, struct kiln_error *err);
/* Find the guest OS and fill os (also *found); no OS is not an error. */
int img_guest_inspect(struct img_guest *s, struct img_os *os, bool *found, struct kiln_error *err);
/* Mount the inspected OS's filesystems (shortest mountpoint first). */
int img_guest_mount(struct img_guest *s, bool readonly, struct kiln_error *err);
/* The same from a NULL-terminated list of (mountpoint, device) pairs, which it sorts in place. */
int img_guest_mount_pairs(struct img_guest *s, char **mp, bool readonly, struct kiln_error *err);
int img_guest_umount_all(struct img_guest *s, struct kiln_error *err);
/* Package list (needs the OS mounted) and kernels in /boot. */
int img_guest_list_packages(struct img_guest *s, struct img_os *os, struct kiln_error *err);
void img_guest_list_kernels(struct img_guest *s, struct img_os *os);
/* Unmount everything, shut the appliance down (checking qemu's exit) and close. Safe to call on a
 * failed or never-launched session; err may already be set (the first error wins). */
int img_guest_close(struct img_guest *s, struct kiln_error *err);

/* The libguestfs error of the last call as a kiln_error "what: libguestfs message". Returns -1. */
int img_guest_fail(struct img_guest *s, struct kiln_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Small helpers over guestfs calls: paths are guest paths. */
void img_guest_glob(struct img_guest *s, const char *pattern, struct strv *out);
void img_guest_ls(struct img_guest *s, const char *dir, struct strv *out);   /* with dotfiles */
bool img_guest_is_file(struct img_guest *s, const char *path);    /* regular file, not a symlink */
bool img_guest_is_dir(struct img_guest *s, const char *path);     /* directory, not a symlink */
bool img_guest_exists(struct img_guest *s, const char *path);     /* anything, a dangling symlink too */
int64_t img_guest_size(struct img_guest *s, const char *path);    /* -1 when it is not a regular file */
int img_guest_read(struct img_guest *s, const char *path, struct buf *out, struct kiln_error *err);
int img_guest_write(struct img_guest *s, const char *path, const char *text, struct kiln_error *err);

/* Visit everything under dir (not following symlinks), depth first, with its lstat. fn returns 0 to
 * go on, 1 to skip a directory's contents, -1 to stop (the walk then returns -1). Two appliance round
 * trips per directory. */
typedef int (*img_walk_fn)(void *arg, const char *path, const struct guestfs_statns *st);
int img_guest_walk(struct img_guest *s, const char *dir, img_walk_fn fn, void *arg, struct kiln_error *err);

void img_package_list_free(struct img_package *p, size_t n);
/* Free a NULL-terminated string list as libguestfs returns them. */
void img_strings_free(char **v);

#endif
