/* dirlock.c — the lock file of a directory a build writes (see dirlock.h): an flock() held for the
 * owner's lifetime, and a few "key=value" lines saying who the owner is. */
#include "util/dirlock.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct dirlock {
	int fd;
	char *dir;
};

static char *this_host(void)
{
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	return xstrdup(host);
}

static char *lock_path(const char *dir)
{
	return path_join(dir, DIRLOCK_FILE);
}

int dirlock_create_dir(const char *dir, mode_t mode, const char *what, struct dirlock **out, struct kiln_error *err)
{
	*out = NULL;
	if (mkdir(dir, mode) < 0)
		return err_set_errno(err, errno, "creating %s", dir);
	char *path = lock_path(dir);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		err_set_errno(err, errno, "creating %s", path);
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		/* nobody else can hold a file we just created: this file system has no flock */
		err_set_errno(err, errno, "locking %s", path);
		close(fd);
		unlink(path);
		free(path);
		return -1;
	}
	char *host = this_host();
	char *now = time_now_rfc3339();
	struct buf b = BUF_INIT;
	buf_printf(&b, "pid=%ld\nhost=%s\nstarted=%s\nwhat=%s\n", (long)getpid(), host, now, what ? what : "");
	const char *p = buf_cstr(&b);
	size_t left = b.len;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		left -= (size_t)w;
	}
	int rc = 0;
	if (left > 0) {
		rc = err_set_errno(err, errno ? errno : EIO, "writing %s", path);
		close(fd);
		unlink(path);
	} else {
		struct dirlock *l = xcalloc(1, sizeof *l);
		l->fd = fd;
		l->dir = xstrdup(dir);
		*out = l;
	}
	buf_free(&b);
	free(now);
	free(host);
	free(path);
	return rc;
}

static void parse_owner(const char *text, struct dirlock_owner *o)
{
	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");
		const char *eq = memchr(line, '=', n);
		if (eq) {
			size_t kl = (size_t)(eq - line);
			char *v = xstrndup(eq + 1, n - kl - 1);
			if (kl == 3 && memcmp(line, "pid", 3) == 0) {
				o->pid = atol(v);
				free(v);
			} else if (kl == 4 && memcmp(line, "host", 4) == 0) {
				free(o->host);
				o->host = v;
			} else if (kl == 7 && memcmp(line, "started", 7) == 0) {
				free(o->started);
				o->started = v;
			} else if (kl == 4 && memcmp(line, "what", 4) == 0) {
				free(o->what);
				o->what = v;
			} else {
				free(v);
			}
		}
		line += n;
		if (*line)
			line++;
	}
}

int dirlock_probe(const char *dir, enum dirlock_status *status, struct dirlock_owner *owner, struct dirlock **taken,
		  struct kiln_error *err)
{
	struct dirlock_owner o = {0};
	*status = DIRLOCK_NONE;
	if (taken)
		*taken = NULL;
	char *path = lock_path(dir);
	int rc = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			rc = err_set_errno(err, errno, "opening %s", path);
		goto out;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		goto out;   /* not a lock of ours */
	}
	char text[1024];
	ssize_t n = pread(fd, text, sizeof text - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	parse_owner(text, &o);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			*status = DIRLOCK_HELD;
		} else {
			rc = err_set_errno(err, errno, "locking %s", path);
		}
		close(fd);
		goto out;
	}
	char *host = this_host();
	bool here = !o.host || strcmp(o.host, host) == 0;
	free(host);
	if (!here) {
		*status = DIRLOCK_ELSEWHERE;
		close(fd);   /* unlocks */
		goto out;
	}
	*status = DIRLOCK_STALE;
	if (taken) {
		struct dirlock *l = xcalloc(1, sizeof *l);
		l->fd = fd;
		l->dir = xstrdup(dir);
		*taken = l;
	} else {
		close(fd);
	}
out:
	if (owner)
		*owner = o;
	else
		dirlock_owner_free(&o);
	free(path);
	return rc;
}

char *dirlock_owner_describe(const struct dirlock_owner *o)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "kiln pid %ld on host %s", o->pid, o->host && *o->host ? o->host : "(unknown)");
	if ((o->what && *o->what) || (o->started && *o->started)) {
		buf_puts(&b, " (");
		if (o->what && *o->what)
			buf_printf(&b, "%s%s", o->what, o->started && *o->started ? ", " : "");
		if (o->started && *o->started)
			buf_printf(&b, "since %s", o->started);
		buf_puts(&b, ")");
	}
	return buf_detach(&b);
}

void dirlock_owner_free(struct dirlock_owner *o)
{
	if (!o)
		return;
	free(o->host);
	free(o->started);
	free(o->what);
	memset(o, 0, sizeof *o);
}

void dirlock_moved(struct dirlock *l, const char *newdir)
{
	if (!l)
		return;
	free(l->dir);
	l->dir = xstrdup(newdir);
}

void dirlock_release(struct dirlock *l)
{
	if (!l)
		return;
	char *path = lock_path(l->dir);
	unlink(path);   /* before unlocking: nobody may see a free lock on a finished directory */
	free(path);
	dirlock_drop(l);
}

void dirlock_drop(struct dirlock *l)
{
	if (!l)
		return;
	close(l->fd);
	free(l->dir);
	free(l);
}
