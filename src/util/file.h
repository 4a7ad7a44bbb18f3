/* file.h — files, directories, paths and temporary directories. */
#ifndef KILN_UTIL_FILE_H
#define KILN_UTIL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/error.h"

/* Read a whole file (or anything that can be read to its end) into out, sized from its length. */
int file_read_all(const char *path, struct buf *out, struct kiln_error *err);
/* Read a whole regular file of at most max bytes into out. Anything else is refused with an error
 * naming the path and what it is (a FIFO or a device could block or never end, a directory is no
 * text), as is a file larger than max ("... is larger than the 1 MiB limit ..."). Opening never
 * blocks, even on a FIFO no one writes to. err->kind is ERR_NOT_FOUND when nothing is at path,
 * ERR_INVALID when it is not a regular file or too large. */
int file_read_regular(const char *path, size_t max, struct buf *out, struct kiln_error *err);
/* Read an open descriptor (a pipe, standard input) to its end, at most max bytes (0: no limit):
 * more is an ERR_INVALID error naming `name`. */
int file_read_stream(int fd, const char *name, size_t max, struct buf *out, struct kiln_error *err);
/* What a file of this mode is, for messages: "a FIFO (named pipe)", "a directory", "a socket", ... */
const char *file_kind_name(mode_t mode);
/* Whole writes and reads on a descriptor, retrying on EINTR; -1 with errno (a short read is -1 too). */
int fd_write_all(int fd, const void *data, size_t len);
int fd_read_exact(int fd, void *buf, size_t len);
/* Write to "<path>.tmp-XXXXXX" in the same directory, fsync, rename over path: readers never see a
 * half-written file. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct kiln_error *err);
int file_write(const char *path, const void *data, size_t len, mode_t mode, struct kiln_error *err);
/* Write back, while another process (qemu-img) writes the file at path, what it has written so far:
 * a thread asks the kernel every few milliseconds to start writing out the pages written since its last
 * look (sync_file_range, without waiting), so the fsync that makes the file durable afterwards waits
 * only for the last ones instead of the whole file. Nothing is made durable by this alone. NULL (a
 * no-op) when the file cannot be opened. file_writeback_stop ends the thread and returns how many
 * bytes it had asked to be written; it accepts NULL. */
struct file_writeback;
struct file_writeback *file_writeback_start(const char *path);
uint64_t file_writeback_stop(struct file_writeback *w);
/* fsync the directory that holds path: a rename into it is then on disk as well. */
int file_sync_parent(const char *path, struct kiln_error *err);
bool file_exists(const char *path);   /* anything at path (no symlink follow) */
bool file_is_dir(const char *path);
bool file_is_regular(const char *path);
int file_size(const char *path, off_t *size, struct kiln_error *err);
int mkdir_p(const char *path, mode_t mode, struct kiln_error *err);
/* Remove a file or a whole tree; missing is not an error. Never follows symlinks out of the tree. */
int rm_rf(const char *path, struct kiln_error *err);
int file_copy(const char *src, const char *dst, mode_t mode, struct kiln_error *err);

char *path_join(const char *a, const char *b);
/* $XDG_CACHE_HOME/rel, else ~/.cache/rel (else /tmp/.cache/rel without a home). Caller frees. */
char *xdg_cache_path(const char *rel);
char *path_basename(const char *path);
char *path_dirname(const char *path);
/* Absolute, lexically cleaned path (no symlink resolution); relative paths against cwd. */
char *path_abs(const char *path);
/* Lexically clean: collapse //, ., and .. (Go's filepath.Clean). */
char *path_clean(const char *path);
bool path_has_suffix(const char *path, const char *suffix);
/* The mount point of the file system that holds path (or would: its nearest existing ancestor's).
 * Caller frees. */
char *file_mount_point(const char *path);
/* Free space (what an unprivileged writer may use) and size of the file system holding path (or its
 * nearest existing ancestor). */
int file_fs_space(const char *path, uint64_t *avail, uint64_t *total, struct kiln_error *err);
/* path moved from directory `from` to `to` ("/a/b/c" from "/a/b" to "/x" is "/x/c"); NULL when path is
 * not from or inside it. Caller frees. */
char *path_rebase(const char *path, const char *from, const char *to);

/* Temporary directories, removed at exit (normal exit and forced Ctrl-C) unless released earlier. They
 * live in the process's root, $TMPDIR/kiln-run.XXXXXX (mode 0700), locked for the process's lifetime;
 * creating the root first removes the roots of kiln processes that died without removing theirs. */
char *tmpdir_make(const char *prefix, struct kiln_error *err);
/* The root itself (created on first use; caller frees), for libraries that make their own temporary
 * files (libguestfs). */
char *tmpdir_root(struct kiln_error *err);
/* Remove base's kiln-run.* roots whose owner is gone. Returns how many were removed. */
int tmpdir_sweep_stale(const char *base);
void tmpdir_release(const char *path);   /* remove now */
void tmpdir_cleanup_all(void);

#endif
