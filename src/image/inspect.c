/* inspect.c — a read-only look into a disk (kiln inspect-image, the manifest post-processor): the OS
 * libguestfs recognises, and whether the image still carries the identity of the machine that built it
 * (host keys, machine-id, cloud-init instance state, logs, shell history, authorized keys). */
#include "image/guest.h"
#include "util/buf.h"
#include "util/mem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int count_visit(void *arg, const char *path, const struct guestfs_statns *st)
{
	(void)path;
	unsigned *count = arg;
	if ((st->st_mode & 0170000) == 0100000 && st->st_size > 0)
		(*count)++;
	return 0;
}

static unsigned count_nonempty_logs(struct img_guest *s)
{
	unsigned count = 0;
	struct kiln_error e = ERR_INIT;
	if (img_guest_is_dir(s, "/var/log"))
		img_guest_walk(s, "/var/log", count_visit, &count, &e);
	err_clear(&e);
	return count;
}

static unsigned count_keys(struct img_guest *s, const char *path)
{
	struct buf b = BUF_INIT;
	struct kiln_error e = ERR_INIT;
	unsigned n = 0;
	if (img_guest_is_file(s, path) && img_guest_read(s, path, &b, &e) == 0) {
		const char *p = buf_cstr(&b);
		while (*p) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p && *p != '#' && *p != '\n')
				n++;
			const char *nl = strchr(p, '\n');
			if (!nl)
				break;
			p = nl + 1;
		}
	}
	err_clear(&e);
	buf_free(&b);
	return n;
}

static void check_sanity(struct img_guest *s, struct img_sanity *y)
{
	memset(y, 0, sizeof *y);
	struct strv v = STRV_INIT;
	img_guest_glob(s, "/etc/ssh/ssh_host_*", &v);
	y->ssh_host_keys = (unsigned)v.n;
	strv_free(&v);
	y->machine_id_present = img_guest_is_file(s, "/etc/machine-id");
	int64_t sz = y->machine_id_present ? img_guest_size(s, "/etc/machine-id") : 0;
	y->machine_id_size = sz > 0 ? (uint64_t)sz : 0;
	y->cloud_instances = img_guest_exists(s, "/var/lib/cloud/instances");
	y->nonempty_logs = count_nonempty_logs(s);
	img_guest_glob(s, "/root/.ssh/authorized_keys", &v);
	img_guest_glob(s, "/home/*/.ssh/authorized_keys", &v);
	for (size_t i = 0; i < v.n; i++)
		y->authorized_keys += count_keys(s, v.v[i]);
	strv_free(&v);
	img_guest_glob(s, "/root/.bash_history", &v);
	img_guest_glob(s, "/home/*/.bash_history", &v);
	for (size_t i = 0; i < v.n; i++)
		if (img_guest_size(s, v.v[i]) > 0)
			y->bash_histories++;
	strv_free(&v);
	y->looks_sanitized = y->ssh_host_keys == 0 && y->machine_id_size == 0 && !y->cloud_instances &&
			     y->nonempty_logs == 0 && y->bash_histories == 0;
}

int img_inspect_os(const char *disk, const char *format, enum img_accel accel, bool list_packages,
		   struct img_os *os, bool *has_os, struct img_sanity *sanity, struct kiln_error *err)
{
	struct img_guest s = {.force_handle = -1};
	int rc = -1;
	*has_os = false;
	memset(os, 0, sizeof *os);
	if (sanity)
		memset(sanity, 0, sizeof *sanity);
	if (img_guest_launch(&s, disk, format, true, accel, err) < 0)
		goto out;
	if (img_guest_inspect(&s, os, has_os, err) < 0)
		goto out;
	if (*has_os) {
		if (img_guest_mount(&s, true, err) < 0)
			goto out;
		img_guest_list_kernels(&s, os);
		if (list_packages && *os->package_format && img_guest_list_packages(&s, os, err) < 0)
			goto out;
		if (sanity && strcmp(os->type, "linux") == 0)
			check_sanity(&s, sanity);
	}
	rc = 0;
out:
	if (img_guest_close(&s, err) < 0)
		rc = -1;
	if (rc < 0) {
		img_os_free(os);
		*has_os = false;
		err_wrap(err, "inspecting %s", disk);
	}
	return rc;
}
