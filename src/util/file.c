/* file.c — files, paths and temporary directories (see file.h). */
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/strv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* Read fd to its end into out, reserving size_hint bytes up front. With max > 0, reading stops
 * once more than max bytes came: returns 1 then. -1 with err set when reading fails. */
static int read_fd_all(int fd, const char *path, size_t size_hint, size_t max, struct buf *out,
		       struct kiln_error *err)
{
	buf_reserve(out, size_hint + 1);
	out->data[out->len] = '\0'; /* terminated even when nothing comes */
	size_t start = out->len;
	for (;;) {
		if (out->cap - out->len < 2)
			buf_reserve(out, out->len - start < 65536 ? 65536 : out->len - start);
		size_t room = out->cap - out->len - 1;
		if (max && room > max - (out->len - start) + 1)
			room = max - (out->len - start) + 1;
		ssize_t n = read(fd, out->data + out->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set_errno(err, errno, "cannot read %s", path);
		if (n == 0)
			return 0;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
		if (max && out->len - start > max)
			return 1;
	}
}

int file_read_all(const char *path, struct buf *out, struct kiln_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set_errno(err, errno, "cannot open %s", path);
	struct stat st;
	size_t hint = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size : 0;
	int rc = read_fd_all(fd, path, hint, 0, out, err);
	close(fd);
	if (rc == 0 && !out->data)
		buf_append(out, "", 0);
	return rc;
}

static void size_text(size_t n, char *out, size_t outlen);

int file_read_stream(int fd, const char *name, size_t max, struct buf *out, struct kiln_error *err)
{
	int rc = read_fd_all(fd, name, 0, max, out, err);
	if (rc > 0) {
		char limit[32];
		size_text(max, limit, sizeof limit);
		rc = err_set_kind(err, ERR_INVALID, "%s is larger than the %s limit", name, limit);
	}
	if (rc == 0 && !out->data)
		buf_append(out, "", 0);
	return rc;
}

const char *file_kind_name(mode_t mode)
{
	static const struct {
		mode_t type;
		const char *name;
	} kinds[] = {
		{S_IFREG, "a regular file"},
		{S_IFDIR, "a directory"},
		{S_IFIFO, "a FIFO (named pipe)"},
		{S_IFCHR, "a character device"},
		{S_IFBLK, "a block device"},
		{S_IFSOCK, "a socket"},
		{S_IFLNK, "a symbolic link"},
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if ((mode & S_IFMT) == kinds[i].type)
			return kinds[i].name;
	return "not a regular file";
}

/* "16 MiB", "512 KiB", "100 bytes" */
static void size_text(size_t n, char *out, size_t outlen)
{
	if (n >= (1u << 20) && n % (1u << 20) == 0)
		snprintf(out, outlen, "%zu MiB", n >> 20);
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(out, outlen, "%zu KiB", n >> 10);
	else
		snprintf(out, outlen, "%zu bytes", n);
}

int file_read_regular(const char *path, size_t max, struct buf *out, struct kiln_error *err)
{
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return err_set_kind(err, ERR_NOT_FOUND, "%s does not exist", path);
		/* a socket cannot be opened at all: say what it is */
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
			return err_set_kind(err, ERR_INVALID, "%s is %s, not a regular file", path,
					    file_kind_name(st.st_mode));
		return err_set_errno(err, e, "cannot open %s", path);
	}
	int rc = -1;
	char limit[32];
	size_text(max, limit, sizeof limit);
	if (fstat(fd, &st) < 0) {
		err_set_errno(err, errno, "cannot read %s", path);
	} else if (!S_ISREG(st.st_mode)) {
		err_set_kind(err, ERR_INVALID, "%s is %s, not a regular file", path, file_kind_name(st.st_mode));
	} else if ((uintmax_t)st.st_size > max) {
		err_set_kind(err, ERR_INVALID, "%s is larger than the %s limit (%jd bytes)", path, limit,
			     (intmax_t)st.st_size);
	} else {
		rc = read_fd_all(fd, path, (size_t)st.st_size, max, out, err);
		if (rc > 0)
			rc = err_set_kind(err, ERR_INVALID, "%s is larger than the %s limit (it grew while it was read)",
					  path, limit);
	}
	close(fd);
	if (rc == 0 && !out->data)
		buf_append(out, "", 0);
	return rc;
}

int fd_read_exact(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fd_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int file_write(const char *path, const void *data, size_t len, mode_t mode, struct kiln_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return err_set_errno(err, errno, "cannot create %s", path);
	if (fd_write_all(fd, data, len) < 0) {
		int e = errno;
		close(fd);
		return err_set_errno(err, e, "cannot write %s", path);
	}
	if (close(fd) < 0)
		return err_set_errno(err, errno, "cannot write %s", path);
	return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct kiln_error *err)
{
	char *tmp = xasprintf("%s.tmp-XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err_set_errno(err, errno, "cannot create a temporary file next to %s", path);
		free(tmp);
		return -1;
	}
	int rc = -1;
	if (fchmod(fd, mode) < 0 || fd_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		err_set_errno(err, errno, "cannot write %s", tmp);
		close(fd);
		goto out;
	}
	if (close(fd) < 0) {
		err_set_errno(err, errno, "cannot write %s", tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		err_set_errno(err, errno, "cannot rename %s to %s", tmp, path);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Writing back a file another process is writing */

/* How often the thread looks, and how much must have grown before it asks: small enough that the
 * device is kept busy while the writer runs (qemu-img writes a 500 MiB image in ~0.4 s here), large
 * enough to be a few requests per look. The last LAG bytes are left alone: a writer with requests in
 * flight (qemu-img -m 8 of up to 2 MiB) may not have finished them. */
#define WRITEBACK_TICK_MS 10
#define WRITEBACK_CHUNK (8u << 20)
#define WRITEBACK_LAG (8u << 20)

struct file_writeback {
	int fd;
	int stop[2];   /* a pipe: written to end the thread */
	pthread_t thread;
	uint64_t asked;
};

static void *writeback_run(void *arg)
{
	struct file_writeback *w = arg;
	off_t done = 0;
	struct pollfd p = {.fd = w->stop[0], .events = POLLIN};
	for (;;) {
		int r = poll(&p, 1, WRITEBACK_TICK_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != 0)
			break;
		struct stat st;
		if (fstat(w->fd, &st) < 0)
			break;
		if (st.st_size < done)   /* the writer truncated the file (qemu-img creates, then writes) */
			done = 0;
		off_t upto = st.st_size - (off_t)WRITEBACK_LAG;
		if (upto - done < (off_t)WRITEBACK_CHUNK)
			continue;
		if (sync_file_range(w->fd, done, upto - done, SYNC_FILE_RANGE_WRITE) == 0)
			w->asked += (uint64_t)(upto - done);
		done = upto;
	}
	return NULL;
}

struct file_writeback *file_writeback_start(const char *path)
{
	struct file_writeback *w = xcalloc(1, sizeof *w);
	w->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (w->fd < 0)
		goto fail;
	if (pipe2(w->stop, O_CLOEXEC) < 0) {
		close(w->fd);
		goto fail;
	}
	if (pthread_create(&w->thread, NULL, writeback_run, w) != 0) {
		close(w->stop[0]);
		close(w->stop[1]);
		close(w->fd);
		goto fail;
	}
	return w;
fail:
	free(w);
	return NULL;
}

uint64_t file_writeback_stop(struct file_writeback *w)
{
	if (!w)
		return 0;
	ssize_t n;
	do
		n = write(w->stop[1], "x", 1);
	while (n < 0 && errno == EINTR);
	pthread_join(w->thread, NULL);
	uint64_t asked = w->asked;
	close(w->stop[0]);
	close(w->stop[1]);
	close(w->fd);
	free(w);
	return asked;
}

int file_sync_parent(const char *path, struct kiln_error *err)
{
	char *dir = path_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;
	if (fd < 0 || fsync(fd) < 0)
		rc = err_set_errno(err, errno, "cannot write the directory %s", dir);
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

bool file_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

bool file_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool file_is_regular(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int file_size(const char *path, off_t *size, struct kiln_error *err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return err_set_errno(err, errno, "cannot stat %s", path);
	*size = st.st_size;
	return 0;
}

int mkdir_p(const char *path, mode_t mode, struct kiln_error *err)
{
	char *p = xstrdup(path);
	int rc = 0;
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				rc = err_set_errno(err, errno, "cannot create directory %s", p);
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	if (rc == 0 && !file_is_dir(path))
		rc = err_set(err, "%s exists and is not a directory", path);
	free(p);
	return rc;
}

static int rm_at(int parent, const char *name, struct kiln_error *err, const char *shown)
{
	struct stat st;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_set_errno(err, errno, "cannot stat %s", shown);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
			return err_set_errno(err, errno, "cannot remove %s", shown);
		return 0;
	}
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_set_errno(err, errno, "cannot open %s", shown);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_set_errno(err, errno, "cannot open %s", shown);
	}
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *child = xasprintf("%s/%s", shown, de->d_name);
		rc = rm_at(dirfd(d), de->d_name, err, child);
		free(child);
		if (rc < 0)
			break;
	}
	closedir(d);
	if (rc == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = err_set_errno(err, errno, "cannot remove %s", shown);
	return rc;
}

int rm_rf(const char *path, struct kiln_error *err)
{
	return rm_at(AT_FDCWD, path, err, path);
}

int file_copy(const char *src, const char *dst, mode_t mode, struct kiln_error *err)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return err_set_errno(err, errno, "cannot open %s", src);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0) {
		int e = errno;
		close(in);
		return err_set_errno(err, e, "cannot create %s", dst);
	}
	int rc = 0;
	char *tmp = xmalloc(1 << 20);
	for (;;) {
		ssize_t n = read(in, tmp, 1 << 20);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set_errno(err, errno, "cannot read %s", src);
			break;
		}
		if (n == 0)
			break;
		if (fd_write_all(out, tmp, (size_t)n) < 0) {
			rc = err_set_errno(err, errno, "cannot write %s", dst);
			break;
		}
	}
	free(tmp);
	close(in);
	if (close(out) < 0 && rc == 0)
		rc = err_set_errno(err, errno, "cannot write %s", dst);
	return rc;
}

char *path_join(const char *a, const char *b)
{
	if (!a || !*a)
		return xstrdup(b);
	if (b[0] == '/')
		return xstrdup(b);
	size_t la = strlen(a);
	return xasprintf("%s%s%s", a, (la && a[la - 1] == '/') ? "" : "/", b);
}

char *xdg_cache_path(const char *rel)
{
	const char *x = getenv("XDG_CACHE_HOME");
	if (x && *x)
		return path_join(x, rel);
	const char *home = getenv("HOME");
	char *cache = path_join(home && *home ? home : "/tmp", ".cache");
	char *r = path_join(cache, rel);
	free(cache);
	return r;
}

char *path_basename(const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	size_t start = n;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (n == 0)
		return xstrdup(".");
	return xstrndup(path + start, n - start);
}

char *path_dirname(const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	while (n > 0 && path[n - 1] != '/')
		n--;
	if (n == 0)
		return xstrdup(".");
	while (n > 1 && path[n - 1] == '/')
		n--;
	return xstrndup(path, n);
}

char *path_clean(const char *path)
{
	if (!*path)
		return xstrdup(".");
	bool rooted = path[0] == '/';
	struct strv parts = STRV_INIT;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		const char *s = p;
		while (*p && *p != '/')
			p++;
		size_t n = (size_t)(p - s);
		if (n == 0 || (n == 1 && s[0] == '.'))
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (parts.n && strcmp(parts.v[parts.n - 1], "..") != 0) {
				free(parts.v[--parts.n]);
				parts.v[parts.n] = NULL;
				continue;
			}
			if (rooted)
				continue;
		}
		strv_push_owned(&parts, xstrndup(s, n));
	}
	char *joined = strv_join(&parts, "/");
	strv_free(&parts);
	char *out;
	if (rooted)
		out = xasprintf("/%s", joined);
	else
		out = xstrdup(*joined ? joined : ".");
	free(joined);
	return out;
}

char *path_abs(const char *path)
{
	if (path[0] == '/')
		return path_clean(path);
	char *cwd = getcwd(NULL, 0);
	char *j = path_join(cwd ? cwd : "/", path);
	free(cwd);
	char *c = path_clean(j);
	free(j);
	return c;
}

/* path, or its nearest ancestor that exists, made absolute and resolved. */
static char *existing_ancestor(const char *path)
{
	char *p = path_abs(path);
	for (;;) {
		char *real = realpath(p, NULL);
		if (real) {
			free(p);
			return real;
		}
		if (strcmp(p, "/") == 0)
			return p;
		char *up = path_dirname(p);
		free(p);
		p = up;
	}
}

char *file_mount_point(const char *path)
{
	char *cur = existing_ancestor(path);
	struct stat st;
	if (stat(cur, &st) < 0)
		return cur;
	dev_t dev = st.st_dev;
	while (strcmp(cur, "/") != 0) {
		char *up = path_dirname(cur);
		if (stat(up, &st) < 0 || st.st_dev != dev) {
			free(up);
			break;
		}
		free(cur);
		cur = up;
	}
	return cur;
}

int file_fs_space(const char *path, uint64_t *avail, uint64_t *total, struct kiln_error *err)
{
	char *p = existing_ancestor(path);
	struct statvfs vfs;
	int rc = 0;
	if (statvfs(p, &vfs) < 0) {
		rc = err_set_errno(err, errno, "cannot read the free space of %s", p);
	} else {
		if (avail)
			*avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
		if (total)
			*total = (uint64_t)vfs.f_blocks * vfs.f_frsize;
	}
	free(p);
	return rc;
}

char *path_rebase(const char *path, const char *from, const char *to)
{
	size_t n = strlen(from);
	while (n > 1 && from[n - 1] == '/')
		n--;
	if (strncmp(path, from, n) != 0 || (path[n] != '\0' && path[n] != '/'))
		return NULL;
	return xasprintf("%s%s", to, path + n);
}

bool path_has_suffix(const char *path, const char *suffix)
{
	size_t a = strlen(path), b = strlen(suffix);
	return a >= b && strcmp(path + a - b, suffix) == 0;
}

/* --- temporary directories ---
 * Every temporary directory of a kiln process lives in one root, $TMPDIR/kiln-run.XXXXXX, whose .lock
 * the process holds (flock) for as long as it lives. A kiln killed with SIGKILL cannot remove its root;
 * the next kiln that makes a temporary directory removes every root whose lock is free. */

static pthread_mutex_t tmp_lock = PTHREAD_MUTEX_INITIALIZER;
static struct strv tmp_dirs;
static bool tmp_registered;
static char *tmp_root;
static int tmp_root_fd = -1;

#define TMP_ROOT_PREFIX "kiln-run."
#define TMP_ROOT_LOCK ".kiln-run-lock"

static void tmp_remove_all_locked(void)
{
	for (size_t i = 0; i < tmp_dirs.n; i++)
		rm_rf(tmp_dirs.v[i], NULL);
	strv_free(&tmp_dirs);
	if (tmp_root) {
		rm_rf(tmp_root, NULL);
		free(tmp_root);
		tmp_root = NULL;
	}
	if (tmp_root_fd >= 0) {
		close(tmp_root_fd);
		tmp_root_fd = -1;
	}
}

void tmpdir_cleanup_all(void)
{
	pthread_mutex_lock(&tmp_lock);
	tmp_remove_all_locked();
	pthread_mutex_unlock(&tmp_lock);
}

static void tmp_force_exit(void *arg)
{
	(void)arg;
	/* The main thread may hold tmp_lock; a forced exit must not wait for it. */
	if (pthread_mutex_trylock(&tmp_lock) == 0) {
		tmp_remove_all_locked();
		pthread_mutex_unlock(&tmp_lock);
	}
}

static const char *tmp_base(void)
{
	const char *base = getenv("TMPDIR");
	return base && *base ? base : "/tmp";
}

int tmpdir_sweep_stale(const char *base)
{
	DIR *d = opendir(base);
	if (!d)
		return 0;
	int removed = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, TMP_ROOT_PREFIX, strlen(TMP_ROOT_PREFIX)) != 0)
			continue;
		char *dir = path_join(base, e->d_name);
		char *lock = path_join(dir, TMP_ROOT_LOCK);
		/* only a root: a directory of ours with our lock file in it, that nobody holds (a directory
		 * that merely has the name, or one still being made, has no lock file and is left alone) */
		bool stale = false;
		struct stat ds, ls;
		int fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0) {
			stale = lstat(dir, &ds) == 0 && S_ISDIR(ds.st_mode) && ds.st_uid == geteuid() &&
				fstat(fd, &ls) == 0 && S_ISREG(ls.st_mode) && ls.st_uid == geteuid() &&
				flock(fd, LOCK_EX | LOCK_NB) == 0;
			close(fd);
		}
		if (stale && rm_rf(dir, NULL) == 0)
			removed++;
		free(lock);
		free(dir);
	}
	closedir(d);
	return removed;
}

/* with tmp_lock held */
static const char *tmp_root_locked(struct kiln_error *err)
{
	if (tmp_root)
		return tmp_root;
	const char *base = tmp_base();
	tmpdir_sweep_stale(base);
	char *root = xasprintf("%s/" TMP_ROOT_PREFIX "XXXXXX", base);
	if (!mkdtemp(root)) {
		err_set_errno(err, errno, "cannot create a temporary directory in %s", base);
		free(root);
		return NULL;
	}
	char *lock = path_join(root, TMP_ROOT_LOCK);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lock);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		err_set_errno(err, errno, "cannot lock a temporary directory in %s", base);
		if (fd >= 0)
			close(fd);
		rm_rf(root, NULL);
		free(root);
		return NULL;
	}
	tmp_root = root;
	tmp_root_fd = fd;
	if (!tmp_registered) {
		tmp_registered = true;
		atexit(tmpdir_cleanup_all);
		sig_on_force_exit(tmp_force_exit, NULL);
	}
	return tmp_root;
}

char *tmpdir_root(struct kiln_error *err)
{
	pthread_mutex_lock(&tmp_lock);
	const char *r = tmp_root_locked(err);
	char *copy = r ? xstrdup(r) : NULL;
	pthread_mutex_unlock(&tmp_lock);
	return copy;
}

char *tmpdir_make(const char *prefix, struct kiln_error *err)
{
	pthread_mutex_lock(&tmp_lock);
	char *path = NULL;
	const char *root = tmp_root_locked(err);
	if (root) {
		path = xasprintf("%s/%s-XXXXXX", root, prefix);
		if (!mkdtemp(path)) {
			err_set_errno(err, errno, "cannot create a temporary directory in %s", root);
			free(path);
			path = NULL;
		} else {
			strv_push(&tmp_dirs, path);
		}
	}
	pthread_mutex_unlock(&tmp_lock);
	return path;
}

void tmpdir_release(const char *path)
{
	if (!path)
		return;
	pthread_mutex_lock(&tmp_lock);
	for (size_t i = 0; i < tmp_dirs.n; i++) {
		if (strcmp(tmp_dirs.v[i], path) == 0) {
			free(tmp_dirs.v[i]);
			memmove(&tmp_dirs.v[i], &tmp_dirs.v[i + 1], (tmp_dirs.n - i) * sizeof *tmp_dirs.v);
			tmp_dirs.n--;
			break;
		}
	}
	pthread_mutex_unlock(&tmp_lock);
	rm_rf(path, NULL);
}
