/* sanitize_inspect.c — what OS inspection found, remembered for the next sanitize of the same OS.
 * guestfs_inspect_os probes every filesystem and parses fstab with augeas: the longest part of a
 * sanitize under TCG. A rebuild from a checkpoint sanitizes a disk whose OS is the one inspected
 * last time, so the result is kept in a small file keyed by the disk's filesystems (device, type,
 * UUID, label) and libguestfs' version, and reused only when the files inspection reads for a Linux
 * root (release files, fstab, mdadm.conf, host name files, the shells it takes the architecture from)
 * have the same inode, size, times and mode as when it was stored. Anything else inspects again. */
#include "image/sanitize_internal.h"
#include "image/sanitize_text.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/mem.h"

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INSPECT_CACHE_FORMAT 1
/* Entries are a few hundred bytes each; the oldest go beyond this many. */
#define INSPECT_CACHE_MAX_ENTRIES 64

char *img_inspect_cache_default_dir(void)
{
	return xdg_cache_path(IMG_INSPECT_CACHE_SUBDIR);
}

/* The files libguestfs' Linux inspection reads, outside /etc's own release and version files (which
 * are found by name, so a new one changes the fingerprint too). */
static const struct {
	const char *dir;
	const char *names[6];
} watched[] = {
	{"/etc/cirros", {"version", NULL}},
	{"/etc/mdadm", {"mdadm.conf", NULL}},
	{"/etc/sysconfig", {"network", NULL}},
	{"/usr/lib", {"os-release", NULL}},
	{"/usr/share/cirros", {"logo", NULL}},
	{"/bin", {"bash", "ls", "echo", "rm", "sh", NULL}},
};

static bool watched_in_etc(const char *name)
{
	static const char *const exact[] = {"fstab", "hostname", "HOSTNAME", "mdadm.conf", NULL};
	for (size_t i = 0; exact[i]; i++)
		if (strcmp(name, exact[i]) == 0)
			return true;
	return strstr(name, "release") || strstr(name, "version") || strstr(name, "-target");
}

/* One round trip for all names of dir; a symlink adds its target's stat (one more each). */
static void stat_names(struct img_guest *s, const char *dir, char *const *names, struct buf *out)
{
	if (!names[0])
		return;
	struct guestfs_statns_list *st = guestfs_lstatnslist(s->g, dir, (char **)names);
	if (!st) {
		buf_printf(out, "%s: none\n", dir);
		return;
	}
	for (size_t i = 0; names[i] && i < st->len; i++) {
		const struct guestfs_statns *e = &st->val[i];
		buf_printf(out, "%s/%s %lld %lld %lld %lld.%lld %lld.%lld\n", dir, names[i], (long long)e->st_ino,
			   (long long)e->st_mode, (long long)e->st_size, (long long)e->st_mtime_sec,
			   (long long)e->st_mtime_nsec, (long long)e->st_ctime_sec, (long long)e->st_ctime_nsec);
		if (e->st_ino >= 0 && (e->st_mode & 0170000) == 0120000) {
			char *path = xasprintf("%s/%s", dir, names[i]);
			struct guestfs_statns *t = guestfs_statns(s->g, path);
			if (t)
				buf_printf(out, "-> %lld %lld %lld %lld.%lld %lld.%lld\n", (long long)t->st_ino,
					   (long long)t->st_mode, (long long)t->st_size, (long long)t->st_mtime_sec,
					   (long long)t->st_mtime_nsec, (long long)t->st_ctime_sec,
					   (long long)t->st_ctime_nsec);
			else
				buf_puts(out, "-> dangling\n");
			guestfs_free_statns(t);
			free(path);
		}
	}
	guestfs_free_statns_list(st);
}

/* The mounted guest's inspection inputs as a digest. */
static char *fingerprint(struct img_guest *s)
{
	struct buf b = BUF_INIT;
	struct strv etc = STRV_INIT;
	char **names = guestfs_ls(s->g, "/etc");
	for (size_t i = 0; names && names[i]; i++)
		if (watched_in_etc(names[i]))
			strv_push(&etc, names[i]);
	img_strings_free(names);
	strv_sort(&etc);
	stat_names(s, "/etc", (char *const *)strv_argv(&etc), &b);
	for (size_t i = 0; i < sizeof watched / sizeof watched[0]; i++)
		stat_names(s, watched[i].dir, (char *const *)watched[i].names, &b);
	char *hex = hash_hex("sha256", b.data ? b.data : "", b.len);
	strv_free(&etc);
	buf_free(&b);
	return hex;
}

/* The cache file for this disk: its filesystems (from list_block_filesystems' pairs) and libguestfs'
 * version name it. */
static char *entry_path(struct img_guest *s, const char *dir, const struct strv *fs)
{
	struct buf b = BUF_INIT;
	struct guestfs_version *v = guestfs_version(s->g);
	buf_printf(&b, "kiln-inspect %d libguestfs %lld.%lld.%lld%s\n", INSPECT_CACHE_FORMAT,
		   v ? (long long)v->major : 0, v ? (long long)v->minor : 0, v ? (long long)v->release : 0,
		   v && v->extra ? v->extra : "");
	guestfs_free_version(v);
	for (size_t i = 0; i + 1 < fs->n; i += 2) {
		buf_printf(&b, "%s %s", fs->v[i], fs->v[i + 1]);
		if (*fs->v[i + 1]) {
			char *uuid = guestfs_vfs_uuid(s->g, fs->v[i]);
			char *label = guestfs_vfs_label(s->g, fs->v[i]);
			buf_printf(&b, " uuid=%s label=%s", uuid ? uuid : "?", label ? label : "?");
			free(uuid);
			free(label);
		}
		buf_putc(&b, '\n');
	}
	char *hex = hash_hex("sha256", b.data ? b.data : "", b.len);
	buf_free(&b);
	char *name = xasprintf("%s.json", hex);
	char *path = path_join(dir, name);
	free(name);
	free(hex);
	return path;
}

static const char *const os_fields[] = {"type", "distro", "product_name", "version", "hostname", "arch",
					"package_format", "osinfo", NULL};

static char **os_field(struct img_os *os, size_t i)
{
	char **f[] = {&os->type, &os->distro, &os->product_name, &os->version, &os->hostname, &os->arch,
		      &os->package_format, &os->osinfo};
	return f[i];
}

static const char *json_str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : NULL;
}

/* What inspect_list_applications2 would list, for the formats kiln reads itself (dpkg). */
static int list_dpkg(struct img_guest *s, struct img_os *os, struct kiln_error *err)
{
	struct buf status = BUF_INIT;
	if (img_guest_read(s, "/var/lib/dpkg/status", &status, err) < 0) {
		buf_free(&status);
		return err_wrap(err, "listing the installed packages");
	}
	img_package_list_free(os->packages, os->npackages);
	img_text_dpkg_status(buf_cstr(&status), &os->packages, &os->npackages);
	os->packages_listed = true;
	buf_free(&status);
	return 0;
}

int img_inspect_cache_lookup(struct img_guest *s, const char *dir, const struct strv *fs, bool packages,
			     struct img_os *os, char **entry, struct kiln_error *err)
{
	*entry = entry_path(s, dir, fs);
	json_t *j = json_load_file(*entry, 0, NULL);
	char **mp = NULL;
	char *fp = NULL;
	int rc = 0;
	if (!j)
		return 0;
	json_t *jos = json_object_get(j, "os"), *jmp = json_object_get(j, "mountpoints");
	const char *root = json_str(j, "root"), *want = json_str(j, "fingerprint");
	if (json_integer_value(json_object_get(j, "format")) != INSPECT_CACHE_FORMAT || !json_is_object(jos) ||
	    !json_is_array(jmp) || !root || !want) {
		log_info("image: ignoring the unreadable inspection cache entry %s", *entry);
		goto out;
	}
	const char *format = json_str(jos, "package_format");
	if (packages && format && *format && strcmp(format, "deb") != 0)
		goto out;   /* only libguestfs lists those packages, and only after its own inspection */
	size_t n = json_array_size(jmp);
	mp = xcalloc(2 * n + 1, sizeof *mp);
	for (size_t i = 0; i < n; i++) {
		json_t *pair = json_array_get(jmp, i);
		const char *m = json_string_value(json_array_get(pair, 0)), *d = json_string_value(json_array_get(pair, 1));
		if (!m || !d)
			goto out;
		mp[2 * i] = xstrdup(m);
		mp[2 * i + 1] = xstrdup(d);
	}
	if (img_guest_mount_pairs(s, mp, false, err) < 0) {
		/* the root named there does not mount: not this OS any more */
		err_clear(err);
		if (img_guest_umount_all(s, err) < 0)
			rc = -1;
		goto out;
	}
	fp = fingerprint(s);
	if (strcmp(fp, want) != 0) {
		log_debug("image: the OS inspection cached in %s no longer holds: inspecting again", *entry);
		if (img_guest_umount_all(s, err) < 0)
			rc = -1;
		goto out;
	}
	memset(os, 0, sizeof *os);
	os->root = xstrdup(root);
	for (size_t i = 0; os_fields[i]; i++) {
		const char *v = json_str(jos, os_fields[i]);
		*os_field(os, i) = xstrdup(v ? v : "");
	}
	s->root = xstrdup(root);
	rc = 1;
	if (packages && *os->package_format && list_dpkg(s, os, err) < 0)
		rc = -1;
out:
	img_strings_free(mp);
	free(fp);
	json_decref(j);
	return rc;
}

/* Keep at most INSPECT_CACHE_MAX_ENTRIES: the least recently written go. */
static void prune(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct strv names = STRV_INIT;
	struct dirent *e;
	while ((e = readdir(d)))
		if (path_has_suffix(e->d_name, ".json"))
			strv_push(&names, e->d_name);
	closedir(d);
	while (names.n > INSPECT_CACHE_MAX_ENTRIES) {
		size_t oldest = 0;
		time_t t_oldest = 0;
		for (size_t i = 0; i < names.n; i++) {
			char *p = path_join(dir, names.v[i]);
			struct stat st;
			if (stat(p, &st) == 0 && (t_oldest == 0 || st.st_mtime < t_oldest)) {
				t_oldest = st.st_mtime;
				oldest = i;
			}
			free(p);
		}
		char *p = path_join(dir, names.v[oldest]);
		unlink(p);
		free(p);
		free(names.v[oldest]);
		names.v[oldest] = names.v[--names.n];
		names.v[names.n] = NULL;
	}
	strv_free(&names);
}

void img_inspect_cache_store(struct img_guest *s, const char *entry, const struct img_os *os)
{
	struct kiln_error e = ERR_INIT;
	char **mp = guestfs_inspect_get_mountpoints(s->g, s->root);
	if (!mp)
		return;
	json_t *j = json_object(), *jos = json_object(), *jmp = json_array();
	for (size_t i = 0; mp[i] && mp[i + 1]; i += 2) {
		json_t *pair = json_array();
		json_array_append_new(pair, json_string(mp[i]));
		json_array_append_new(pair, json_string(mp[i + 1]));
		json_array_append_new(jmp, pair);
	}
	img_strings_free(mp);
	for (size_t i = 0; os_fields[i]; i++) {
		char *v = *os_field((struct img_os *)os, i);
		json_object_set_new(jos, os_fields[i], json_string(v ? v : ""));
	}
	char *fp = fingerprint(s);
	json_object_set_new(j, "format", json_integer(INSPECT_CACHE_FORMAT));
	json_object_set_new(j, "root", json_string(s->root));
	json_object_set_new(j, "mountpoints", jmp);
	json_object_set_new(j, "os", jos);
	json_object_set_new(j, "fingerprint", json_string(fp));
	char *text = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	char *dir = path_dirname(entry);
	if (!text || mkdir_p(dir, 0700, &e) < 0 || file_write_atomic(entry, text, strlen(text), 0600, &e) < 0)
		log_info("image: not caching the OS inspection: %s", e.set ? err_cause(&e) : "out of memory");
	else
		prune(dir);
	err_clear(&e);
	free(dir);
	free(text);
	free(fp);
	json_decref(j);
}
