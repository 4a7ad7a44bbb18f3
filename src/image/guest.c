/* guest.c — libguestfs sessions (see guest.h). libguestfs picks KVM whenever /dev/kvm exists and hangs
 * for minutes where that KVM is broken, so the accelerator the build settled on is passed down and TCG
 * is forced through the backend setting force_tcg. */
#include "image/guest.h"
#include "ui/ui.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

int img_accel_parse(const char *s, enum img_accel *out, struct kiln_error *err)
{
	if (!s || !*s || strcmp(s, "auto") == 0)
		*out = IMG_ACCEL_AUTO;
	else if (strcmp(s, "kvm") == 0)
		*out = IMG_ACCEL_KVM;
	else if (strcmp(s, "tcg") == 0)
		*out = IMG_ACCEL_TCG;
	else {
		err_set_kind(err, ERR_INVALID, "unknown accelerator \"%s\"", s);
		err_hint(err, "use \"kvm\", \"tcg\" or \"auto\"");
		return -1;
	}
	return 0;
}

const char *img_accel_name(enum img_accel a)
{
	return a == IMG_ACCEL_KVM ? "kvm" : a == IMG_ACCEL_TCG ? "tcg" : "auto";
}

void img_strings_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

int img_guest_fail(struct img_guest *s, struct kiln_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	const char *msg = s->g ? guestfs_last_error(s->g) : NULL;
	err_set(err, "%s: %s", what, msg && *msg ? msg : "libguestfs error");
	free(what);
	return -1;
}

/* Appliance and library messages go to the debug log (KILN_LOG=1), never to the terminal. */
static void on_event(guestfs_h *g, void *opaque, uint64_t event, int handle, int flags, const char *buf,
		     size_t buf_len, const uint64_t *array, size_t array_len)
{
	(void)g, (void)opaque, (void)handle, (void)flags, (void)array, (void)array_len;
	if (!log_enabled() || !buf)
		return;
	const char *kind = event == GUESTFS_EVENT_APPLIANCE ? "appliance" : event == GUESTFS_EVENT_WARNING ? "warning" : "libguestfs";
	while (buf_len && (buf[buf_len - 1] == '\n' || buf[buf_len - 1] == '\r'))
		buf_len--;
	if (buf_len)
		log_debug("guestfs %s: %.*s", kind, (int)buf_len, buf);
}

/* Second Ctrl-C: the appliance must not outlive kiln. */
static void kill_appliance(void *arg)
{
	struct img_guest *s = arg;
	if (s->pid > 0)
		kill((pid_t)s->pid, SIGKILL);
}

static int set_accel(struct img_guest *s, enum img_accel accel, struct kiln_error *err)
{
	if (!getenv("LIBGUESTFS_BACKEND") && guestfs_set_backend(s->g, "direct") < 0)
		return img_guest_fail(s, err, "cannot select the libguestfs direct backend");
	if (accel == IMG_ACCEL_TCG) {
		/* Append the bare flag to whatever settings the environment gave. */
		char **cur = guestfs_get_backend_settings(s->g);
		struct strv set = STRV_INIT;
		bool have = false;
		for (size_t i = 0; cur && cur[i]; i++) {
			have |= strcmp(cur[i], "force_tcg") == 0;
			strv_push(&set, cur[i]);
		}
		img_strings_free(cur);
		if (!have)
			strv_push(&set, "force_tcg");
		int r = guestfs_set_backend_settings(s->g, strv_argv(&set));
		strv_free(&set);
		if (r < 0)
			return img_guest_fail(s, err, "cannot force TCG for the libguestfs appliance");
	}
	/* KVM and AUTO: libguestfs' own choice, or what LIBGUESTFS_BACKEND_SETTINGS says. */
	return 0;
}

int img_guest_launch(struct img_guest *s, const char *disk, const char *format, bool readonly,
		     enum img_accel accel, struct kiln_error *err)
{
	memset(s, 0, sizeof *s);
	s->force_handle = -1;
	s->disk = xstrdup(disk);
	s->g = guestfs_create();
	if (!s->g)
		return err_set(err, "cannot create a libguestfs handle");
	guestfs_set_error_handler(s->g, NULL, NULL);
	if (log_enabled())
		guestfs_set_event_callback(s->g, on_event,
					   GUESTFS_EVENT_APPLIANCE | GUESTFS_EVENT_LIBRARY | GUESTFS_EVENT_WARNING, 0, NULL);
	if (set_accel(s, accel, err) < 0)
		return -1;
	guestfs_set_identifier(s->g, "kiln");
	/* libguestfs' own temporary files go in this process's temporary root, which the next kiln removes
	 * when this one is killed before it could (util/file.h) */
	char *root = tmpdir_root(err);
	if (!root)
		return -1;
	int tr = guestfs_set_tmpdir(s->g, root);
	free(root);
	if (tr < 0)
		return img_guest_fail(s, err, "cannot set libguestfs' temporary directory");
	/* autosync off: img_guest_close syncs and checks explicitly. */
	guestfs_set_autosync(s->g, 0);
	int r;
	if (readonly)
		r = guestfs_add_drive_opts(s->g, disk, GUESTFS_ADD_DRIVE_OPTS_FORMAT, format, GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1);
	else
		/* discard: fstrim reaches the qcow2 and frees its clusters. cache=unsafe: the appliance's
		 * flushes cost much under TCG, and the image is synced before the appliance shuts down. */
		r = guestfs_add_drive_opts(s->g, disk, GUESTFS_ADD_DRIVE_OPTS_FORMAT, format,
					   GUESTFS_ADD_DRIVE_OPTS_DISCARD, "besteffort",
					   GUESTFS_ADD_DRIVE_OPTS_CACHEMODE, "unsafe", -1);
	if (r < 0)
		return img_guest_fail(s, err, "cannot attach %s", disk);
	if (sig_cancelled())
		return err_set_kind(err, ERR_CANCELLED, "cancelled");
	log_debug("image: launching the libguestfs appliance for %s (accel %s)", disk, img_accel_name(accel));
	if (guestfs_launch(s->g) < 0) {
		img_guest_fail(s, err, "cannot launch the libguestfs appliance");
		err_hint(err, "run with KILN_LOG=1 to see the appliance's messages; libguestfs needs a readable "
			      "kernel in /boot and, under TCG, a few minutes at worst");
		return -1;
	}
	s->pid = guestfs_get_pid(s->g);
	s->force_handle = sig_on_force_exit(kill_appliance, s);
	return 0;
}

static char *dup_or_empty(char *s)
{
	return s ? s : xstrdup("");
}

int img_guest_inspect(struct img_guest *s, struct img_os *os, bool *found, struct kiln_error *err)
{
	*found = false;
	char **roots = guestfs_inspect_os(s->g);
	if (!roots)
		return img_guest_fail(s, err, "inspecting %s", s->disk);
	if (!roots[0]) {
		img_strings_free(roots);
		return 0;
	}
	/* Prefer the first Linux root (multi-boot images are rare in builds). */
	const char *root = roots[0];
	for (size_t i = 0; roots[i]; i++) {
		char *t = guestfs_inspect_get_type(s->g, roots[i]);
		bool linux_root = t && strcmp(t, "linux") == 0;
		free(t);
		if (linux_root) {
			root = roots[i];
			break;
		}
	}
	s->root = xstrdup(root);
	img_strings_free(roots);
	memset(os, 0, sizeof *os);
	os->root = xstrdup(s->root);
	os->type = dup_or_empty(guestfs_inspect_get_type(s->g, s->root));
	os->distro = dup_or_empty(guestfs_inspect_get_distro(s->g, s->root));
	os->product_name = dup_or_empty(guestfs_inspect_get_product_name(s->g, s->root));
	int major = guestfs_inspect_get_major_version(s->g, s->root);
	int minor = guestfs_inspect_get_minor_version(s->g, s->root);
	os->version = major >= 0 ? xasprintf("%d.%d", major, minor >= 0 ? minor : 0) : xstrdup("");
	os->hostname = dup_or_empty(guestfs_inspect_get_hostname(s->g, s->root));
	os->arch = dup_or_empty(guestfs_inspect_get_arch(s->g, s->root));
	os->package_format = dup_or_empty(guestfs_inspect_get_package_format(s->g, s->root));
	os->osinfo = dup_or_empty(guestfs_inspect_get_osinfo(s->g, s->root));
	/* "unknown" is libguestfs' word for not known; kiln says "". */
	char **fields[] = {&os->distro, &os->hostname, &os->arch, &os->package_format, &os->osinfo, &os->product_name};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (strcmp(*fields[i], "unknown") == 0) {
			free(*fields[i]);
			*fields[i] = xstrdup("");
		}
	}
	*found = true;
	return 0;
}

static int cmp_mountpoint(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	size_t lx = strlen(x[0]), ly = strlen(y[0]);
	return lx < ly ? -1 : lx > ly ? 1 : strcmp(x[0], y[0]);
}

int img_guest_mount_pairs(struct img_guest *s, char **mp, bool readonly, struct kiln_error *err)
{
	size_t n = 0;
	while (mp[n])
		n++;
	/* Pairs (mountpoint, device), mounted parents first. */
	qsort(mp, n / 2, 2 * sizeof *mp, cmp_mountpoint);
	for (size_t i = 0; i + 1 < n; i += 2) {
		int r = readonly ? guestfs_mount_ro(s->g, mp[i + 1], mp[i]) : guestfs_mount(s->g, mp[i + 1], mp[i]);
		if (r < 0) {
			if (strcmp(mp[i], "/") == 0)
				return img_guest_fail(s, err, "cannot mount the root filesystem %s", mp[i + 1]);
			/* Like virt-sysprep: a filesystem that will not mount is skipped, not fatal. */
			log_info("image: skipping %s on %s: %s", mp[i + 1], mp[i], guestfs_last_error(s->g));
			continue;
		}
		strv_push(&s->mounted, mp[i]);
		strv_push(&s->mounted_devs, mp[i + 1]);
	}
	return 0;
}

int img_guest_mount(struct img_guest *s, bool readonly, struct kiln_error *err)
{
	char **mp = guestfs_inspect_get_mountpoints(s->g, s->root);
	if (!mp)
		return img_guest_fail(s, err, "reading the mountpoints of %s", s->root);
	int rc = img_guest_mount_pairs(s, mp, readonly, err);
	img_strings_free(mp);
	return rc;
}

int img_guest_umount_all(struct img_guest *s, struct kiln_error *err)
{
	strv_free(&s->mounted);
	strv_free(&s->mounted_devs);
	if (guestfs_umount_all(s->g) < 0)
		return img_guest_fail(s, err, "unmounting the guest's filesystems");
	return 0;
}

void img_package_list_free(struct img_package *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++) {
		free(p[i].name);
		free(p[i].version);
		free(p[i].release);
		free(p[i].arch);
	}
	free(p);
}

int img_guest_list_packages(struct img_guest *s, struct img_os *os, struct kiln_error *err)
{
	struct guestfs_application2_list *apps = guestfs_inspect_list_applications2(s->g, s->root);
	if (!apps)
		return img_guest_fail(s, err, "listing the installed packages");
	img_package_list_free(os->packages, os->npackages);
	os->packages = xcalloc(apps->len ? apps->len : 1, sizeof *os->packages);
	os->npackages = apps->len;
	for (uint32_t i = 0; i < apps->len; i++) {
		struct guestfs_application2 *a = &apps->val[i];
		os->packages[i].name = xstrdup(a->app2_name ? a->app2_name : "");
		os->packages[i].version = xstrdup(a->app2_version ? a->app2_version : "");
		os->packages[i].release = xstrdup(a->app2_release ? a->app2_release : "");
		os->packages[i].arch = xstrdup(a->app2_arch ? a->app2_arch : "");
		os->packages[i].epoch = a->app2_epoch;
	}
	os->packages_listed = true;
	guestfs_free_application2_list(apps);
	return 0;
}

void img_guest_list_kernels(struct img_guest *s, struct img_os *os)
{
	struct strv files = STRV_INIT;
	img_guest_glob(s, "/boot/vmlinuz-*", &files);
	for (size_t i = 0; i < files.n; i++)
		strv_push(&os->kernels, files.v[i] + strlen("/boot/vmlinuz-"));
	strv_free(&files);
}

int img_guest_close(struct img_guest *s, struct kiln_error *err)
{
	int rc = 0;
	if (s->g) {
		if (s->pid > 0) {
			/* Flush the guest's writes and stop qemu cleanly; an error here means the image may
			 * not hold what the operations wrote. */
			if (guestfs_umount_all(s->g) < 0 || guestfs_sync(s->g) < 0)
				rc = img_guest_fail(s, err, "flushing %s", s->disk);
			if (guestfs_shutdown(s->g) < 0 && rc == 0)
				rc = img_guest_fail(s, err, "shutting the libguestfs appliance down");
		}
		guestfs_close(s->g);
		s->g = NULL;
	}
	if (s->force_handle >= 0)
		sig_forget(s->force_handle);
	s->force_handle = -1;
	free(s->disk);
	free(s->root);
	strv_free(&s->mounted);
	strv_free(&s->mounted_devs);
	s->disk = s->root = NULL;
	return rc;
}

void img_guest_glob(struct img_guest *s, const char *pattern, struct strv *out)
{
	char **v = guestfs_glob_expand(s->g, pattern);
	for (size_t i = 0; v && v[i]; i++)
		strv_push(out, v[i]);
	img_strings_free(v);
}

void img_guest_ls(struct img_guest *s, const char *dir, struct strv *out)
{
	if (!img_guest_is_dir(s, dir))
		return;
	char **v = guestfs_ls(s->g, dir);
	for (size_t i = 0; v && v[i]; i++)
		strv_pushf(out, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, v[i]);
	img_strings_free(v);
}

bool img_guest_is_file(struct img_guest *s, const char *path)
{
	return guestfs_is_file_opts(s->g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 0, -1) > 0;
}

bool img_guest_is_dir(struct img_guest *s, const char *path)
{
	return guestfs_is_dir_opts(s->g, path, GUESTFS_IS_DIR_OPTS_FOLLOWSYMLINKS, 0, -1) > 0;
}

bool img_guest_exists(struct img_guest *s, const char *path)
{
	if (guestfs_exists(s->g, path) > 0)
		return true;
	return guestfs_is_symlink(s->g, path) > 0;
}

int64_t img_guest_size(struct img_guest *s, const char *path)
{
	if (!img_guest_is_file(s, path))
		return -1;
	return guestfs_filesize(s->g, path);
}

int img_guest_read(struct img_guest *s, const char *path, struct buf *out, struct kiln_error *err)
{
	size_t n = 0;
	char *data = guestfs_read_file(s->g, path, &n);
	if (!data)
		return img_guest_fail(s, err, "reading %s in the guest", path);
	buf_append(out, data, n);
	free(data);
	return 0;
}

int img_guest_write(struct img_guest *s, const char *path, const char *text, struct kiln_error *err)
{
	if (guestfs_write(s->g, path, text, strlen(text)) < 0)
		return img_guest_fail(s, err, "writing %s in the guest", path);
	return 0;
}

int img_guest_walk(struct img_guest *s, const char *dir, img_walk_fn fn, void *arg, struct kiln_error *err)
{
	char **names = guestfs_ls(s->g, dir);
	if (!names)
		return img_guest_fail(s, err, "listing %s", dir);
	int rc = 0;
	if (!names[0]) {
		img_strings_free(names);
		return 0;
	}
	struct guestfs_statns_list *st = guestfs_lstatnslist(s->g, dir, names);
	if (!st) {
		img_strings_free(names);
		return img_guest_fail(s, err, "reading %s", dir);
	}
	for (size_t i = 0; names[i] && i < st->len && rc == 0; i++) {
		char *path = xasprintf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir, names[i]);
		int r = fn(arg, path, &st->val[i]);
		if (r < 0)
			rc = -1;
		else if (r == 0 && (st->val[i].st_mode & 0170000) == 0040000)
			rc = img_guest_walk(s, path, fn, arg, err);
		free(path);
	}
	guestfs_free_statns_list(st);
	img_strings_free(names);
	return rc;
}
