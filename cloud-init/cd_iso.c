/* cd_iso.c — collects cd_files and cd_content into one tree (Packer's placement rules, later
 * entries and cd_content winning), then writes it as ISO9660 + Joliet + Rock Ridge with libarchive. */
#include "cloud-init/cd_iso.h"
#include "cloud-init/nocloud.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_LABEL 32

struct node {
	char *path;    /* on the CD, no leading '/' */
	bool dir;
	char *src;     /* file on disk, or NULL for content */
	const struct cd_iso_content *content;
	time_t mtime;
	bool exec;     /* keeps a script runnable from the CD */
};

struct tree {
	struct node *v;
	size_t n, cap;
};

/* Directories on the way down, to refuse symlink loops. */
struct ancestor {
	dev_t dev;
	ino_t ino;
	const struct ancestor *up;
};

static void tree_free(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].path);
		free(t->v[i].src);
	}
	free(t->v);
}

static struct node *tree_find(struct tree *t, const char *path)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].path, path) == 0)
			return &t->v[i];
	return NULL;
}

/* Add or replace the node at path, creating parent directories. */
static int tree_put(struct tree *t, const char *path, bool dir, const char *src,
                    const struct cd_iso_content *content, const struct stat *st, struct kiln_error *err)
{
	for (const char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
		char *parent = xstrndup(path, (size_t)(slash - path));
		int rc = tree_put(t, parent, true, NULL, NULL, st, err);
		free(parent);
		if (rc < 0)
			return -1;
	}
	struct node *n = tree_find(t, path);
	if (n && n->dir != dir)
		return err_set_kind(err, ERR_INVALID, "\"%s\" would be both a file and a directory on the CD", path);
	if (n && dir)
		return 0;
	if (!n) {
		t->v = xgrow(t->v, &t->cap, t->n + 1, sizeof *t->v);
		n = &t->v[t->n++];
		n->path = xstrdup(path);
	} else {
		free(n->src);
	}
	n->dir = dir;
	n->src = src ? xstrdup(src) : NULL;
	n->content = content;
	n->mtime = st->st_mtime;
	n->exec = !dir && (st->st_mode & 0111);
	return 0;
}

/* Copy src (file or directory, symlinks followed) to cd_path ("" = the CD root). */
static int add_path(struct tree *t, const char *src, const char *cd_path, const struct ancestor *up,
                    struct kiln_error *err)
{
	struct stat st;
	if (stat(src, &st) < 0)
		return err_set_errno(err, errno, "cd_files: \"%s\"", src);
	if (S_ISREG(st.st_mode)) {
		if (!*cd_path)
			return err_set_kind(err, ERR_INVALID, "cd_files: \"%s\" is a file, it cannot be the CD root", src);
		return tree_put(t, cd_path, false, src, NULL, &st, err);
	}
	if (!S_ISDIR(st.st_mode))
		return err_set_kind(err, ERR_INVALID, "cd_files: \"%s\" is not a regular file or directory", src);
	for (const struct ancestor *a = up; a; a = a->up)
		if (a->dev == st.st_dev && a->ino == st.st_ino)
			return err_set_kind(err, ERR_INVALID, "cd_files: \"%s\" is a symlink loop", src);
	if (*cd_path && tree_put(t, cd_path, true, NULL, NULL, &st, err) < 0)
		return -1;

	DIR *d = opendir(src);
	if (!d)
		return err_set_errno(err, errno, "cd_files: reading directory \"%s\"", src);
	struct ancestor me = {st.st_dev, st.st_ino, up};
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *child_src = path_join(src, de->d_name);
		char *child_cd = *cd_path ? xasprintf("%s/%s", cd_path, de->d_name) : xstrdup(de->d_name);
		rc = add_path(t, child_src, child_cd, &me, err);
		free(child_src);
		free(child_cd);
	}
	closedir(d);
	return rc;
}

/* One cd_files entry that exists: a file to the root under its name, a directory under its name
 * with its tree, or, for "dir/" and ".", the directory's contents at the root (as Packer does). */
static int add_file_entry(struct tree *t, const char *entry, struct kiln_error *err)
{
	size_t len = strlen(entry);
	char *clean = path_clean(entry);
	char *base = path_basename(clean);
	bool contents = (len > 1 && entry[len - 1] == '/') || strcmp(base, ".") == 0 || strcmp(base, "/") == 0;
	int rc = add_path(t, entry, contents ? "" : base, NULL, err);
	free(clean);
	free(base);
	return rc;
}

static int add_files(struct tree *t, const struct cd_iso_spec *spec, struct kiln_error *err)
{
	for (size_t i = 0; i < spec->n_files; i++) {
		const char *pat = spec->files[i];
		if (!strpbrk(pat, "*?[")) {
			if (add_file_entry(t, pat, err) < 0)
				return -1;
			continue;
		}
		glob_t g;
		int grc = glob(pat, 0, NULL, &g);
		if (grc == GLOB_NOMATCH)
			continue;   /* like Packer: a pattern may match nothing */
		if (grc != 0) {
			globfree(&g);
			return err_set_kind(err, ERR_IO, "cd_files: expanding \"%s\" failed", pat);
		}
		int rc = 0;
		for (size_t j = 0; rc == 0 && j < g.gl_pathc; j++)
			rc = add_file_entry(t, g.gl_pathv[j], err);
		globfree(&g);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int add_content(struct tree *t, const struct cd_iso_spec *spec, struct kiln_error *err)
{
	struct stat now = {.st_mode = S_IFREG | 0644, .st_mtime = time(NULL)};
	for (size_t i = 0; i < spec->n_content; i++) {
		const struct cd_iso_content *c = &spec->content[i];
		const char *p = c->path ? c->path : "";
		while (*p == '/')
			p++;
		char *clean = path_clean(*p ? p : ".");
		bool bad = strcmp(clean, ".") == 0 || strcmp(clean, "..") == 0 || strncmp(clean, "../", 3) == 0;
		int rc = bad ? err_set_kind(err, ERR_INVALID, "cd_content: \"%s\" is not a path inside the CD", c->path ? c->path : "")
		             : tree_put(t, clean, false, NULL, c, &now, err);
		free(clean);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct node *)a)->path, ((const struct node *)b)->path);
}

/* cidata: the NoCloud files at the root must be what cloud-init can read. */
static int validate_seed(const struct tree *t, struct kiln_error *err)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct node *n = &t->v[i];
		if (n->dir || strchr(n->path, '/'))
			continue;
		if (n->content) {
			char *origin = xasprintf("cd_content[\"%s\"]", n->content->path);
			int rc = nocloud_validate_file(n->path, origin, n->content->data, n->content->len, err);
			free(origin);
			if (rc < 0)
				return -1;
		} else if (strcmp(n->path, "user-data") == 0 || strcmp(n->path, "meta-data") == 0 ||
		           strcmp(n->path, "vendor-data") == 0 || strcmp(n->path, "network-config") == 0) {
			struct buf b = BUF_INIT;
			int rc = file_read_all(n->src, &b, err);
			if (rc == 0)
				rc = nocloud_validate_file(n->path, n->src, buf_cstr(&b), b.len, err);
			buf_free(&b);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

static int write_node(struct archive *a, const struct node *n, struct kiln_error *err)
{
	struct archive_entry *e = archive_entry_new();
	int rc = -1;
	int fd = -1;
	int64_t size = 0;
	if (n->src) {
		struct stat st;
		fd = open(n->src, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			err_set_errno(err, errno, "cd_files: \"%s\"", n->src);
			goto out;
		}
		size = st.st_size;
	} else if (n->content) {
		size = (int64_t)n->content->len;
	}
	archive_entry_set_pathname(e, n->path);
	archive_entry_set_filetype(e, n->dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, n->dir || n->exec ? 0755 : 0644);
	archive_entry_set_size(e, n->dir ? 0 : size);
	archive_entry_set_mtime(e, n->mtime, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		err_set_kind(err, ERR_IO, "adding \"%s\" to the ISO: %s", n->path, archive_error_string(a));
		goto out;
	}
	if (n->content && n->content->len &&
	    archive_write_data(a, n->content->data, n->content->len) != (la_ssize_t)n->content->len) {
		err_set_kind(err, ERR_IO, "writing \"%s\" to the ISO: %s", n->path, archive_error_string(a));
		goto out;
	}
	if (fd >= 0) {
		char chunk[65536];
		int64_t done = 0;
		ssize_t got;
		while ((got = read(fd, chunk, sizeof chunk)) > 0 && done < size) {
			if (got > size - done)
				got = (ssize_t)(size - done);
			if (archive_write_data(a, chunk, (size_t)got) != got) {
				err_set_kind(err, ERR_IO, "writing \"%s\" to the ISO: %s", n->path, archive_error_string(a));
				goto out;
			}
			done += got;
		}
		if (got < 0 || done != size) {
			err_set_kind(err, ERR_IO, "cd_files: \"%s\" changed while it was being copied", n->src);
			goto out;
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	archive_entry_free(e);
	return rc;
}

static int write_iso(const char *path, const char *label, struct tree *t, struct kiln_error *err)
{
	char *tmp = xasprintf("%s.tmp-XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	int rc = -1;
	struct archive *a = NULL;
	if (fd < 0) {
		err_set_errno(err, errno, "creating \"%s\"", path);
		free(tmp);
		return -1;
	}
	bool lower = false;
	for (const char *p = label; *p; p++)
		lower |= islower((unsigned char)*p) != 0;

	a = archive_write_new();
	/* iso-level 3: 30-character names in the plain ISO9660 tree and files over 4 GiB; the real
	 * names live in Rock Ridge (Linux) and Joliet (Windows, long names). The 300 KiB of padding at
	 * the end stays, as genisoimage and xorriso write it: busybox's findfs/blkid (volume_id) reads
	 * the first 68 KiB of a device before it looks for a label, and finds none on a smaller one. A
	 * lower-case label stays lower-case, as genisoimage and xorriso write it, so LABEL=cidata finds it. */
	if (archive_write_set_format_iso9660(a) != ARCHIVE_OK ||
	    archive_write_set_option(a, "iso9660", "volume-id", label) != ARCHIVE_OK ||
	    archive_write_set_option(a, "iso9660", "iso-level", "3") != ARCHIVE_OK ||
	    archive_write_set_option(a, "iso9660", "joliet", "long") != ARCHIVE_OK ||
	    archive_write_set_option(a, "iso9660", "rockridge", "useful") != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		err_set_kind(err, ERR_IO, "setting up the ISO writer: %s", archive_error_string(a));
		goto out;
	}
	for (size_t i = 0; i < t->n; i++)
		if (write_node(a, &t->v[i], err) < 0)
			goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		err_set_kind(err, ERR_IO, "writing \"%s\": %s", path, archive_error_string(a));
		goto out;
	}
	/* a CD may hold secrets (user-data, cd_content): readable by its owner only */
	if (fchmod(fd, 0600) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0) {
		err_set_errno(err, errno, "writing \"%s\"", path);
		goto out;
	}
	rc = 0;
out:
	if (a)
		archive_write_free(a);
	close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int cd_iso_write(const char *path, const struct cd_iso_spec *spec, struct kiln_error *err)
{
	struct tree t = {0};
	const char *label = spec->label && *spec->label ? spec->label : "packer";
	int rc = -1;
	if (strlen(label) > MAX_LABEL) {
		err_set_kind(err, ERR_INVALID, "the CD label \"%s\" is longer than %d characters", label, MAX_LABEL);
		goto out;
	}
	if (add_files(&t, spec, err) < 0 || add_content(&t, spec, err) < 0)
		goto out;
	if (t.n)
		qsort(t.v, t.n, sizeof *t.v, node_cmp);   /* parents before children */
	if (strcasecmp(label, "cidata") == 0 && validate_seed(&t, err) < 0)
		goto out;
	rc = write_iso(path, label, &t, err);
out:
	tree_free(&t);
	return rc;
}
