/* ssh_sftp.c — moving files and directory trees to and from the machine over SFTP, with their
 * permission bits. Directories follow Packer's (rsync's) trailing-slash rule: "dir/" means the
 * contents of dir, "dir" means dir itself, created inside the destination. Symbolic links are
 * followed, as Packer's SSH communicator does. */
#include "comm/ssh_internal.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/strv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes of this size measured as fast as any larger one against OpenSSH's sftp-server on loopback
 * (with TCP_NODELAY); the server takes messages up to 256 KiB. */
#define CHUNK (128 * 1024)
#define PROGRESS_MIN_BYTES (8u << 20)
#define MAX_DEPTH 64

static int sftp_ready(struct ssh_comm *c, struct kiln_error *err)
{
	if (sshc_session(c, err) < 0)
		return -1;
	if (c->sftp)
		return 0;
	c->sftp = sftp_new(c->session);
	if (!c->sftp || sftp_init(c->sftp) != SSH_OK) {
		err_set(err, "cannot start SFTP on %s:%d: %s", c->host, c->port, sshc_error(c));
		err_hint(err, "the machine's sshd needs an sftp subsystem (Debian: openssh-sftp-server)");
		if (c->sftp)
			sftp_free(c->sftp);
		c->sftp = NULL;
		return -1;
	}
	return 0;
}

static const char *sftp_reason(struct ssh_comm *c)
{
	if (!sshc_alive(c))
		return "the connection dropped";
	switch (c->sftp ? sftp_get_error(c->sftp) : -1) {
	case SSH_FX_NO_SUCH_FILE:
	case SSH_FX_NO_SUCH_PATH:
		return "no such file or directory";
	case SSH_FX_PERMISSION_DENIED:
		return "permission denied";
	case SSH_FX_FILE_ALREADY_EXISTS:
		return "it already exists";
	case SSH_FX_WRITE_PROTECT:
		return "read-only file system";
	case SSH_FX_FAILURE:
		return "the server reported a failure (a directory in the way, or a full disk?)";
	default:
		return sshc_error(c);
	}
}

/* Fail with the SFTP reason; a dropped link also drops the session, so that the next call reconnects. */
static int sftp_fail(struct ssh_comm *c, struct kiln_error *err, const char *fmt, const char *path)
{
	/* ERR_IO says "the link, not the request": callers may reconnect and try again */
	bool alive = sshc_alive(c);
	err_set_kind(err, alive ? ERR_GENERIC : ERR_IO, fmt, path, sftp_reason(c));
	if (!alive)
		sshc_disconnect(c);
	return -1;
}

static char *remote_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	return n && dir[n - 1] == '/' ? xasprintf("%s%s", dir, name) : xasprintf("%s/%s", dir, name);
}

static bool remote_is_dir(struct ssh_comm *c, const char *path)
{
	sftp_attributes a = sftp_stat(c->sftp, path);
	bool dir = a && a->type == SSH_FILEXFER_TYPE_DIRECTORY;
	sftp_attributes_free(a);
	return dir;
}

/* mkdir -p on the machine. */
static int remote_mkdir_p(struct ssh_comm *c, const char *path, struct kiln_error *err)
{
	if (!*path || remote_is_dir(c, path))
		return 0;
	char *copy = xstrdup(path);
	int rc = 0;
	for (char *p = copy + 1; rc == 0; p++) {
		bool end = *p == '\0';
		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (!remote_is_dir(c, copy) && sftp_mkdir(c->sftp, copy, 0755) < 0 && !remote_is_dir(c, copy))
			rc = sftp_fail(c, err, "cannot create the directory %s on the machine: %s", copy);
		if (end)
			break;
		*p = '/';
	}
	free(copy);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Upload */

/* Write from fd (or from data when fd < 0) to remote, then give it mode. */
static int put(struct ssh_comm *c, int fd, const void *data, uint64_t size, const char *remote, unsigned mode,
	       const char *label, struct kiln_error *err)
{
	sftp_file f = sftp_open(c->sftp, remote, O_WRONLY | O_CREAT | O_TRUNC, mode & 07777);
	if (!f)
		return sftp_fail(c, err, "cannot create %s on the machine: %s", remote);
	struct ui_progress *prog = c->ui && size >= PROGRESS_MIN_BYTES ? ui_progress_start(c->ui, label, size) : NULL;
	char *chunk = fd >= 0 ? xmalloc(CHUNK) : NULL;
	uint64_t done = 0;
	int rc = 0;
	for (;;) {
		const char *p;
		size_t n;
		if (fd >= 0) {
			ssize_t r = read(fd, chunk, CHUNK);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				rc = err_set_errno(err, errno, "cannot read %s", label);
				break;
			}
			p = chunk;
			n = (size_t)r;
		} else {
			p = (const char *)data + done;
			n = size - done > CHUNK ? CHUNK : (size_t)(size - done);
		}
		if (n == 0)
			break;
		if (sig_cancelled()) {
			rc = err_set_kind(err, ERR_CANCELLED, "cancelled while uploading %s", label);
			break;
		}
		ssize_t w = sftp_write(f, p, n);
		if (w < 0 || (size_t)w != n) {
			rc = sftp_fail(c, err, "cannot write %s on the machine: %s", remote);
			break;
		}
		done += n;
		if (prog)
			ui_progress_update(prog, done);
	}
	if (prog)
		ui_progress_finish(prog);
	free(chunk);
	if (sftp_close(f) < 0 && rc == 0)
		rc = sftp_fail(c, err, "cannot finish writing %s on the machine: %s", remote);
	/* The server's umask shaped the mode at create, and an existing file kept its old one. */
	if (rc == 0 && sftp_chmod(c->sftp, remote, mode & 07777) < 0)
		rc = sftp_fail(c, err, "cannot set the mode of %s on the machine: %s", remote);
	return rc;
}

static int put_file(struct ssh_comm *c, const char *local, const char *remote, struct kiln_error *err)
{
	int fd = open(local, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set_errno(err, errno, "cannot open %s", local);
	struct stat st;
	int rc = -1;
	if (fstat(fd, &st) < 0)
		err_set_errno(err, errno, "cannot stat %s", local);
	else if (!S_ISREG(st.st_mode))
		err_set_kind(err, ERR_INVALID, "%s is not a regular file", local);
	else
		rc = put(c, fd, NULL, (uint64_t)st.st_size, remote, st.st_mode, local, err);
	close(fd);
	return rc;
}

int sshc_upload_file(struct kiln_comm *comm, const char *local, const char *remote, struct kiln_error *err)
{
	struct ssh_comm *c = (struct ssh_comm *)comm;
	if (sftp_ready(c, err) < 0)
		return -1;
	log_debug("ssh: upload %s to %s", local, remote);
	/* An existing directory receives the file under its own name, as scp does. */
	char *target = NULL;
	if (remote_is_dir(c, remote)) {
		char *base = path_basename(local);
		target = remote_join(remote, base);
		free(base);
	}
	int rc = put_file(c, local, target ? target : remote, err);
	free(target);
	return rc < 0 ? err_wrap(err, "uploading %s", local) : 0;
}

int sshc_upload_data(struct kiln_comm *comm, const void *data, size_t len, const char *remote, unsigned mode,
		     struct kiln_error *err)
{
	struct ssh_comm *c = (struct ssh_comm *)comm;
	if (sftp_ready(c, err) < 0)
		return -1;
	log_debug("ssh: upload %zu bytes to %s", len, remote);
	return put(c, -1, data, len, remote, mode, remote, err) < 0 ? err_wrap(err, "uploading to %s", remote) : 0;
}

static int sorted_entries(const char *dir, struct strv *out, struct kiln_error *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return err_set_errno(err, errno, "cannot read the directory %s", dir);
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			strv_push(out, e->d_name);
	closedir(d);
	strv_sort(out);
	return 0;
}

/* Copy the local tree at local to remote (which is created). */
static int put_tree(struct ssh_comm *c, const char *local, const char *remote, int depth, struct kiln_error *err)
{
	struct stat st;
	if (stat(local, &st) < 0)
		return err_set_errno(err, errno, "cannot stat %s", local);
	if (S_ISREG(st.st_mode))
		return put_file(c, local, remote, err);
	if (!S_ISDIR(st.st_mode)) {
		log_info("ssh: skipping %s: not a regular file or directory", local);
		return 0;
	}
	if (depth > MAX_DEPTH)
		return err_set_kind(err, ERR_INVALID, "%s is nested too deeply (a symbolic link loop?)", local);
	if (!remote_is_dir(c, remote) && sftp_mkdir(c->sftp, remote, 0700) < 0)
		return sftp_fail(c, err, "cannot create the directory %s on the machine: %s", remote);
	struct strv names = STRV_INIT;
	int rc = sorted_entries(local, &names, err);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		char *l = path_join(local, names.v[i]);
		char *r = remote_join(remote, names.v[i]);
		rc = put_tree(c, l, r, depth + 1, err);
		free(l);
		free(r);
	}
	strv_free(&names);
	/* last, so that a read-only directory could still be filled */
	if (rc == 0 && sftp_chmod(c->sftp, remote, st.st_mode & 07777) < 0)
		rc = sftp_fail(c, err, "cannot set the mode of %s on the machine: %s", remote);
	return rc;
}

static bool has_trailing_slash(const char *p)
{
	size_t n = strlen(p);
	return n > 0 && p[n - 1] == '/';
}

int sshc_upload_dir(struct kiln_comm *comm, const char *local_dir, const char *remote_dir, struct kiln_error *err)
{
	struct ssh_comm *c = (struct ssh_comm *)comm;
	if (!file_is_dir(local_dir))
		return err_set_kind(err, ERR_NOT_FOUND, "%s is not a directory", local_dir);
	if (sftp_ready(c, err) < 0)
		return -1;
	log_debug("ssh: upload directory %s to %s", local_dir, remote_dir);
	int rc = remote_mkdir_p(c, remote_dir, err);
	if (rc == 0 && has_trailing_slash(local_dir)) {
		struct strv names = STRV_INIT;
		rc = sorted_entries(local_dir, &names, err);
		for (size_t i = 0; rc == 0 && i < names.n; i++) {
			char *l = path_join(local_dir, names.v[i]);
			char *r = remote_join(remote_dir, names.v[i]);
			rc = put_tree(c, l, r, 1, err);
			free(l);
			free(r);
		}
		strv_free(&names);
	} else if (rc == 0) {
		char *base = path_basename(local_dir);
		char *r = remote_join(remote_dir, base);
		rc = put_tree(c, local_dir, r, 0, err);
		free(r);
		free(base);
	}
	return rc < 0 ? err_wrap(err, "uploading the directory %s", local_dir) : 0;
}

/* ------------------------------------------------------------------------------------------------
 * Download */

static int get_file(struct ssh_comm *c, const char *remote, const char *local, struct kiln_error *err)
{
	sftp_file f = sftp_open(c->sftp, remote, O_RDONLY, 0);
	if (!f)
		return sftp_fail(c, err, "cannot open %s on the machine: %s", remote);
	sftp_attributes a = sftp_fstat(f);
	unsigned mode = a && (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) ? a->permissions & 07777 : 0644;
	uint64_t size = a ? a->size : 0;
	sftp_attributes_free(a);
	int rc = 0;
	int fd = open(local, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		sftp_close(f);
		return err_set_errno(err, errno, "cannot create %s", local);
	}
	struct ui_progress *prog = c->ui && size >= PROGRESS_MIN_BYTES ? ui_progress_start(c->ui, remote, size) : NULL;
	char *chunk = xmalloc(CHUNK);
	uint64_t done = 0;
	for (;;) {
		if (sig_cancelled()) {
			rc = err_set_kind(err, ERR_CANCELLED, "cancelled while downloading %s", remote);
			break;
		}
		ssize_t n = sftp_read(f, chunk, CHUNK);
		if (n == 0)
			break;
		if (n < 0) {
			rc = sftp_fail(c, err, "cannot read %s on the machine: %s", remote);
			break;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, chunk + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = err_set_errno(err, errno, "cannot write %s", local);
				break;
			}
			off += w;
		}
		if (rc < 0)
			break;
		done += (uint64_t)n;
		if (prog)
			ui_progress_update(prog, done);
	}
	if (prog)
		ui_progress_finish(prog);
	free(chunk);
	sftp_close(f);
	if (rc == 0 && fchmod(fd, mode) < 0)
		rc = err_set_errno(err, errno, "cannot set the mode of %s", local);
	if (close(fd) < 0 && rc == 0)
		rc = err_set_errno(err, errno, "cannot write %s", local);
	return rc;
}

int sshc_download_file(struct kiln_comm *comm, const char *remote, const char *local, struct kiln_error *err)
{
	struct ssh_comm *c = (struct ssh_comm *)comm;
	if (sftp_ready(c, err) < 0)
		return -1;
	log_debug("ssh: download %s to %s", remote, local);
	return get_file(c, remote, local, err) < 0 ? err_wrap(err, "downloading %s", remote) : 0;
}

static int get_tree(struct ssh_comm *c, const char *remote, const char *local, int depth, struct kiln_error *err)
{
	sftp_attributes a = sftp_stat(c->sftp, remote);
	if (!a)
		return sftp_fail(c, err, "cannot stat %s on the machine: %s", remote);
	uint8_t type = a->type;
	unsigned mode = a->permissions & 07777;
	sftp_attributes_free(a);
	if (type == SSH_FILEXFER_TYPE_REGULAR)
		return get_file(c, remote, local, err);
	if (type != SSH_FILEXFER_TYPE_DIRECTORY) {
		log_info("ssh: skipping %s: not a regular file or directory", remote);
		return 0;
	}
	if (depth > MAX_DEPTH)
		return err_set_kind(err, ERR_INVALID, "%s is nested too deeply (a symbolic link loop?)", remote);
	if (mkdir(local, 0700) < 0 && !(errno == EEXIST && file_is_dir(local)))
		return err_set_errno(err, errno, "cannot create the directory %s", local);
	sftp_dir d = sftp_opendir(c->sftp, remote);
	if (!d)
		return sftp_fail(c, err, "cannot list %s on the machine: %s", remote);
	struct strv names = STRV_INIT;
	sftp_attributes e;
	while ((e = sftp_readdir(c->sftp, d))) {
		if (strcmp(e->name, ".") != 0 && strcmp(e->name, "..") != 0)
			strv_push(&names, e->name);
		sftp_attributes_free(e);
	}
	int rc = sftp_dir_eof(d) ? 0 : sftp_fail(c, err, "cannot list %s on the machine: %s", remote);
	sftp_closedir(d);
	strv_sort(&names);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		char *r = remote_join(remote, names.v[i]);
		char *l = path_join(local, names.v[i]);
		rc = get_tree(c, r, l, depth + 1, err);
		free(r);
		free(l);
	}
	strv_free(&names);
	if (rc == 0 && chmod(local, mode) < 0)
		rc = err_set_errno(err, errno, "cannot set the mode of %s", local);
	return rc;
}

int sshc_download_dir(struct kiln_comm *comm, const char *remote_dir, const char *local_dir, struct kiln_error *err)
{
	struct ssh_comm *c = (struct ssh_comm *)comm;
	if (sftp_ready(c, err) < 0)
		return -1;
	log_debug("ssh: download directory %s to %s", remote_dir, local_dir);
	int rc = mkdir_p(local_dir, 0755, err);
	if (rc == 0 && has_trailing_slash(remote_dir)) {
		rc = get_tree(c, remote_dir, local_dir, 0, err);
	} else if (rc == 0) {
		char *base = path_basename(remote_dir);
		char *l = path_join(local_dir, base);
		rc = get_tree(c, remote_dir, l, 0, err);
		free(l);
		free(base);
	}
	return rc < 0 ? err_wrap(err, "downloading the directory %s", remote_dir) : 0;
}

int sshc_is_dir(struct kiln_comm *comm, const char *remote, bool *is_dir, struct kiln_error *err)
{
	struct ssh_comm *c = (struct ssh_comm *)comm;
	*is_dir = false;
	if (sftp_ready(c, err) < 0)
		return -1;
	sftp_attributes a = sftp_stat(c->sftp, remote);
	if (!a) {
		int e = sftp_get_error(c->sftp);
		if (e == SSH_FX_NO_SUCH_FILE || e == SSH_FX_NO_SUCH_PATH)
			return 0;
		return sftp_fail(c, err, "cannot stat %s on the machine: %s", remote);
	}
	*is_dir = a->type == SSH_FILEXFER_TYPE_DIRECTORY;
	sftp_attributes_free(a);
	return 0;
}
