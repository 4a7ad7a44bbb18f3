/* file.h — files, directories, paths and temporary directories. */
#ifndef KILN_UTIL_FILE_H
#define KILN_UTIL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/error.h"

int file_read_all(const char *path, struct buf *out, struct kiln_error *err);
/* Whole writes and reads on a descriptor, retrying on EINTR; -1 with errno (a short read is -1 too). */
int fd_write_all(int fd, const void *data, size_t len);
int fd_read_exact(int fd, void *buf, size_t len);
/* Write to "<path>.tmp-XXXXXX" in the same directory, fsync, rename over path: readers never see a
 * half-written file. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct kiln_error *err);
int file_write(const char *path, const void *data, size_t len, mode_t mode, struct kiln_error *err);
bool file_exists(const char *path);   /* anything at path (no symlink follow) */
bool file_is_dir(const char *path);
bool file_is_regular(const char *path);
int file_size(const char *path, off_t *size, struct kiln_error *err);
int mkdir_p(const char *path, mode_t mode, struct kiln_error *err);
/* Remove a file or a whole tree; missing is not an error. Never follows symlinks out of the tree. */
int rm_rf(const char *path, struct kiln_error *err);
int file_copy(const char *src, const char *dst, mode_t mode, struct kiln_error *err);

char *path_join(const char *a, const char *b);
char *path_basename(const char *path);
char *path_dirname(const char *path);
/* Absolute, lexically cleaned path (no symlink resolution); relative paths against cwd. */
char *path_abs(const char *path);
/* Lexically clean: collapse //, ., and .. (Go's filepath.Clean). */
char *path_clean(const char *path);
bool path_has_suffix(const char *path, const char *suffix);

/* Temporary directories, removed at exit (normal exit and forced Ctrl-C) unless released earlier. */
char *tmpdir_make(const char *prefix, struct kiln_error *err);
void tmpdir_release(const char *path);   /* remove now */
void tmpdir_cleanup_all(void);

#endif
