/* sanitize.c — one libguestfs appliance launch that inspects the guest, runs the selected operations
 * (sanitize_ops.c), trims free space so the export is small, and reports what each operation changed. */
#include "image/guest.h"
#include "image/sanitize_internal.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

const struct img_operation_info *img_sanitize_operation(size_t i)
{
	return i < img_nops ? &img_ops[i].info : NULL;
}

static const struct img_op *find_op(const char *name)
{
	for (size_t i = 0; i < img_nops; i++)
		if (strcmp(img_ops[i].info.name, name) == 0)
			return &img_ops[i];
	return NULL;
}

void img_sanitize_opts_init(struct img_sanitize_opts *o)
{
	memset(o, 0, sizeof *o);
	o->enabled = true;
	o->trim = true;
	o->list_packages = true;
	for (size_t i = 0; i < img_nops; i++)
		if (img_ops[i].info.is_default)
			strv_push(&o->operations, img_ops[i].info.name);
}

void img_sanitize_opts_free(struct img_sanitize_opts *o)
{
	if (!o)
		return;
	strv_free(&o->operations);
	strv_free(&o->keep_user_accounts);
}

static int unknown_operation(const char *name, struct kiln_error *err)
{
	struct buf known = BUF_INIT;
	for (size_t i = 0; i < img_nops; i++)
		buf_printf(&known, "%s%s", i ? ", " : "", img_ops[i].info.name);
	err_set_kind(err, ERR_INVALID, "unknown sanitize operation \"%s\"", name);
	err_hint(err, "known operations: %s (or \"defaults\", \"all\")", buf_cstr(&known));
	buf_free(&known);
	return -1;
}

int img_sanitize_opts_select(struct img_sanitize_opts *o, char *const *operations, char *const *exclude,
			     struct kiln_error *err)
{
	bool *want = xcalloc(img_nops, sizeof *want);
	int rc = -1;
	if (!operations) {
		for (size_t i = 0; i < img_nops; i++)
			want[i] = img_ops[i].info.is_default;
	}
	for (size_t k = 0; operations && operations[k]; k++) {
		const char *name = operations[k];
		if (strcmp(name, "defaults") == 0 || strcmp(name, "all") == 0) {
			bool all = name[0] == 'a';
			for (size_t i = 0; i < img_nops; i++)
				want[i] |= all || img_ops[i].info.is_default;
			continue;
		}
		const struct img_op *op = find_op(name);
		if (!op) {
			unknown_operation(name, err);
			goto out;
		}
		want[op - img_ops] = true;
	}
	for (size_t k = 0; exclude && exclude[k]; k++) {
		const struct img_op *op = find_op(exclude[k]);
		if (!op) {
			unknown_operation(exclude[k], err);
			goto out;
		}
		want[op - img_ops] = false;
	}
	strv_free(&o->operations);
	for (size_t i = 0; i < img_nops; i++)
		if (want[i])
			strv_push(&o->operations, img_ops[i].info.name);
	rc = 0;
out:
	free(want);
	return rc;
}

bool img_sanitize_opts_has(const struct img_sanitize_opts *o, const char *operation)
{
	return strv_contains(&o->operations, operation);
}

char *img_op_result_summary(const struct img_op_result *r)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s: ", r->name);
	size_t start = b.len;
	if (r->emptied)
		buf_printf(&b, "%u emptied", r->emptied);
	if (r->removed)
		buf_printf(&b, "%s%u removed", b.len > start ? ", " : "", r->removed);
	if (r->edited)
		buf_printf(&b, "%s%u edited", b.len > start ? ", " : "", r->edited);
	if (b.len == start)
		buf_puts(&b, "nothing to do");
	if (r->note)
		buf_printf(&b, " (%s)", r->note);
	return buf_detach(&b);
}

/* ------------------------------------------------------------------------------------------------
 * Trim */

static bool trimmable_fs(const char *type)
{
	static const char *const t[] = {"ext2", "ext3", "ext4", "xfs", "btrfs", "vfat", "f2fs", "jfs", "ntfs", NULL};
	for (size_t i = 0; t[i]; i++)
		if (strcmp(type, t[i]) == 0)
			return true;
	return false;
}

/* Swap holds no data worth keeping: discard it all and recreate it with the same UUID and label, so
 * the guest's fstab still finds it. */
static int trim_swap(struct img_guest *s, const char *dev, struct kiln_error *err)
{
	char *uuid = guestfs_vfs_uuid(s->g, dev);
	char *label = guestfs_vfs_label(s->g, dev);
	int rc = 0;
	if (!uuid || !label || guestfs_blkdiscard(s->g, dev) < 0) {
		log_info("image: not discarding swap %s: %s", dev, guestfs_last_error(s->g));
		rc = 1;
	} else if ((*label ? guestfs_mkswap_opts(s->g, dev, GUESTFS_MKSWAP_OPTS_UUID, uuid, GUESTFS_MKSWAP_OPTS_LABEL, label, -1)
			    : guestfs_mkswap_opts(s->g, dev, GUESTFS_MKSWAP_OPTS_UUID, uuid, -1)) < 0) {
		rc = img_guest_fail(s, err, "recreating the swap area %s", dev);
	}
	free(uuid);
	free(label);
	return rc;
}

/* Every block device guestfs_list_filesystems would probe, with its type: unpartitioned devices,
 * partitions, md devices and, when a physical volume is among them, the logical volumes. That call
 * also asks parted and sfdisk about each partition (seconds under TCG) only to skip extended and
 * Windows partitions, which blkid reports with no filesystem type anyway, so they are skipped here
 * all the same. Pairs (device, type) in out. */
static int list_block_filesystems(struct img_guest *s, struct strv *out, struct kiln_error *err)
{
	char **devs = guestfs_list_devices(s->g);
	char **parts = devs ? guestfs_list_partitions(s->g) : NULL;
	char **mds = parts ? guestfs_list_md_devices(s->g) : NULL;
	struct strv cand = STRV_INIT, whole = STRV_INIT;
	int rc = -1;
	if (!mds) {
		img_guest_fail(s, err, "listing the block devices");
		goto out;
	}
	for (size_t i = 0; parts[i]; i++) {
		char *dev = guestfs_part_to_dev(s->g, parts[i]);
		if (!dev) {
			img_guest_fail(s, err, "finding the device of %s", parts[i]);
			goto out;
		}
		strv_push_owned(&whole, dev);
	}
	for (size_t i = 0; devs[i]; i++)
		if (!strv_contains(&whole, devs[i]))
			strv_push(&cand, devs[i]);
	for (size_t i = 0; parts[i]; i++)
		strv_push(&cand, parts[i]);
	for (size_t i = 0; mds[i]; i++)
		strv_push(&cand, mds[i]);
	bool pv = false;
	for (size_t i = 0; i < cand.n; i++) {
		char *type = guestfs_vfs_type(s->g, cand.v[i]);
		pv |= type && strcmp(type, "LVM2_member") == 0;
		strv_push(out, cand.v[i]);
		strv_push_owned(out, type ? type : xstrdup(""));
	}
	if (pv && guestfs_feature_available(s->g, (char *[]){"lvm2", NULL}) > 0) {
		char **lvs = guestfs_lvs(s->g);
		if (!lvs) {
			img_guest_fail(s, err, "listing the logical volumes");
			goto out;
		}
		for (size_t i = 0; lvs[i]; i++) {
			char *type = guestfs_vfs_type(s->g, lvs[i]);
			strv_push(out, lvs[i]);
			strv_push_owned(out, type ? type : xstrdup(""));
		}
		img_strings_free(lvs);
	}
	rc = 0;
out:
	img_strings_free(devs);
	img_strings_free(parts);
	img_strings_free(mds);
	strv_free(&cand);
	strv_free(&whole);
	return rc;
}

/* Trim every filesystem on the disk, each mounted alone on / (a fresh mount trims fastest: measured
 * against trimming where inspection mounted it), and recreate swap areas empty. fs: the pairs
 * list_block_filesystems gives, listed here when empty. */
static int trim_all(struct img_guest *s, struct strv *fs, unsigned *trimmed, struct kiln_error *err)
{
	if (img_guest_umount_all(s, err) < 0)
		return -1;
	if (fs->n == 0 && list_block_filesystems(s, fs, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i + 1 < fs->n && rc == 0; i += 2) {
		const char *dev = fs->v[i], *type = fs->v[i + 1];
		if (sig_cancelled()) {
			rc = err_set_kind(err, ERR_CANCELLED, "sanitize cancelled");
			break;
		}
		if (strcmp(type, "swap") == 0) {
			int r = trim_swap(s, dev, err);
			if (r < 0)
				rc = -1;
			else if (r == 0)
				(*trimmed)++;
			continue;
		}
		if (!trimmable_fs(type))
			continue;
		if (guestfs_mount(s->g, dev, "/") < 0) {
			log_info("image: not trimming %s: %s", dev, guestfs_last_error(s->g));
			continue;
		}
		if (guestfs_fstrim(s->g, "/", -1) < 0) {
			/* No discard support: zeroes also let the conversion skip the space, only slower. */
			log_info("image: fstrim failed on %s (%s), zeroing free space", dev, guestfs_last_error(s->g));
			if (guestfs_zero_free_space(s->g, "/") < 0)
				rc = img_guest_fail(s, err, "zeroing the free space of %s", dev);
		}
		if (rc == 0)
			(*trimmed)++;
		if (guestfs_umount(s->g, "/") < 0 && rc == 0)
			rc = img_guest_fail(s, err, "unmounting %s", dev);
	}
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Run */

int img_sanitize(const char *disk, const char *format, const struct img_sanitize_opts *opts,
		 const struct img_sanitize_facts *facts, enum img_accel accel, struct ui *ui,
		 struct img_sanitize_report *report, struct kiln_error *err)
{
	static const struct img_sanitize_facts no_facts;
	if (!facts)
		facts = &no_facts;
	struct img_guest s = {.force_handle = -1};
	struct strv fs = STRV_INIT;   /* the disk's (device, type) pairs, once listed */
	char *cache_entry = NULL;
	int rc = -1;
	long t0 = time_mono_ms(), t_launch = 0, t_inspect = 0, t_ops = 0, t_trim = 0;
	memset(report, 0, sizeof *report);
	if (!opts->enabled)
		return 0;
	if (ui)
		ui_say(ui, "Sanitizing the disk with libguestfs (%s)...",
		       accel == IMG_ACCEL_TCG ? "TCG" : accel == IMG_ACCEL_KVM ? "KVM" : "default accelerator");
	if (img_guest_launch(&s, disk, format, false, accel, err) < 0)
		goto out;
	t_launch = time_mono_ms();
	bool found = false, reused = false;
	if (facts->inspect_cache) {
		if (list_block_filesystems(&s, &fs, err) < 0)
			goto out;
		int r = img_inspect_cache_lookup(&s, facts->inspect_cache, &fs, opts->list_packages, &report->os,
						 &cache_entry, err);
		if (r < 0)
			goto out;
		found = reused = r == 1;
		if (reused)
			log_debug("image: OS inspection reused from %s", cache_entry);
	}
	if (!reused && img_guest_inspect(&s, &report->os, &found, err) < 0)
		goto out;
	if (!found) {
		err_set_kind(err, ERR_INVALID, "libguestfs found no operating system in %s", disk);
		err_hint(err, "check that the build installed an OS on this disk, or set `sanitize = false` to "
			      "export it without sanitizing");
		goto out;
	}
	report->has_os = true;
	if (strcmp(report->os.type, "linux") != 0) {
		err_set_kind(err, ERR_INVALID, "sanitize supports Linux guests; %s holds a %s system", disk,
			     *report->os.type ? report->os.type : "unknown");
		err_hint(err, "set `sanitize = false` for this source");
		goto out;
	}
	if (ui) {
		/* Debian's product name is its version: say it once. */
		bool product = *report->os.product_name && strcmp(report->os.product_name, report->os.version) != 0;
		ui_message(ui, "Found %s %s%s%s%s on %s", *report->os.distro ? report->os.distro : report->os.type,
			   report->os.version, product ? " (" : "", product ? report->os.product_name : "",
			   product ? ")" : "", report->os.root);
	}
	if (!reused) {
		if (img_guest_mount(&s, false, err) < 0)
			goto out;
		if (cache_entry)
			img_inspect_cache_store(&s, cache_entry, &report->os);
	}
	img_guest_list_kernels(&s, &report->os);
	/* The package list while the appliance is up anyway: the manifest's SBOM costs no extra launch
	 * (a reused inspection listed it already). */
	if (!reused && opts->list_packages && *report->os.package_format &&
	    img_guest_list_packages(&s, &report->os, err) < 0)
		goto out;

	t_inspect = time_mono_ms();
	report->ops = xcalloc(opts->operations.n ? opts->operations.n : 1, sizeof *report->ops);
	for (size_t i = 0; i < img_nops; i++) {
		const struct img_op *op = &img_ops[i];
		if (!img_sanitize_opts_has(opts, op->info.name))
			continue;
		if (sig_cancelled()) {
			err_set_kind(err, ERR_CANCELLED, "sanitize cancelled");
			goto out;
		}
		struct img_op_result *r = &report->ops[report->nops++];
		r->name = op->info.name;
		struct img_op_ctx c = {&s, opts, facts, r};
		if (op->run(&c, err) < 0) {
			err_wrap(err, "sanitize operation %s", op->info.name);
			goto out;
		}
		if (ui) {
			char *line = img_op_result_summary(r);
			ui_message(ui, "%s", line);
			free(line);
		}
	}
	t_ops = time_mono_ms();
	if (opts->trim) {
		if (trim_all(&s, &fs, &report->trimmed, err) < 0)
			goto out;
		if (ui)
			ui_message(ui, "trimmed free space of %u filesystem%s", report->trimmed, report->trimmed == 1 ? "" : "s");
	}
	t_trim = time_mono_ms();
	rc = 0;
out:
	if (img_guest_close(&s, err) < 0)
		rc = -1;
	strv_free(&fs);
	free(cache_entry);
	report->elapsed_ms = time_mono_ms() - t0;
	if (rc == 0)
		/* where the appliance's time goes (bench/checkpoint.sh reads it): launch = its boot,
		 * inspect = OS inspection, mounting and the package list, close = sync and shutdown */
		log_debug("image: sanitize timings (s): launch=%.3f inspect=%.3f ops=%.3f trim=%.3f close=%.3f total=%.3f",
			  (double)(t_launch - t0) / 1e3, (double)(t_inspect - t_launch) / 1e3,
			  (double)(t_ops - t_inspect) / 1e3, (double)(t_trim - t_ops) / 1e3,
			  (double)(t0 + report->elapsed_ms - t_trim) / 1e3, (double)report->elapsed_ms / 1e3);
	if (rc < 0)
		err_wrap(err, "sanitizing %s", disk);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Report */

void img_os_free(struct img_os *os)
{
	if (!os)
		return;
	free(os->root);
	free(os->type);
	free(os->distro);
	free(os->product_name);
	free(os->version);
	free(os->hostname);
	free(os->arch);
	free(os->package_format);
	free(os->osinfo);
	strv_free(&os->kernels);
	img_package_list_free(os->packages, os->npackages);
	memset(os, 0, sizeof *os);
}

void img_sanitize_report_free(struct img_sanitize_report *r)
{
	if (!r)
		return;
	free(r->ops);
	img_os_free(&r->os);
	memset(r, 0, sizeof *r);
}

static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	char *out = xstrdup(s ? s : "{}");
	free(s);
	return out;
}

char *img_sanitize_report_json(const struct img_sanitize_report *r)
{
	json_t *root = json_object(), *ops = json_object();
	for (size_t i = 0; i < r->nops; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "removed", json_integer(r->ops[i].removed));
		json_object_set_new(o, "emptied", json_integer(r->ops[i].emptied));
		json_object_set_new(o, "edited", json_integer(r->ops[i].edited));
		if (r->ops[i].note)
			json_object_set_new(o, "note", json_string(r->ops[i].note));
		json_object_set_new(ops, r->ops[i].name, o);
	}
	json_object_set_new(root, "operations", ops);
	json_object_set_new(root, "trimmed_filesystems", json_integer(r->trimmed));
	json_object_set_new(root, "elapsed_ms", json_integer(r->elapsed_ms));
	return dump(root);
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

char *img_os_json(const struct img_os *os)
{
	json_t *root = json_object();
	json_object_set_new(root, "type", str_or_null(os->type));
	json_object_set_new(root, "distro", str_or_null(os->distro));
	json_object_set_new(root, "product_name", str_or_null(os->product_name));
	json_object_set_new(root, "version", str_or_null(os->version));
	json_object_set_new(root, "arch", str_or_null(os->arch));
	json_object_set_new(root, "hostname", str_or_null(os->hostname));
	json_object_set_new(root, "osinfo", str_or_null(os->osinfo));
	json_object_set_new(root, "package_format", str_or_null(os->package_format));
	json_t *k = json_array();
	for (size_t i = 0; i < os->kernels.n; i++)
		json_array_append_new(k, json_string(os->kernels.v[i]));
	json_object_set_new(root, "kernels", k);
	if (os->packages_listed) {
		json_t *pk = json_array();
		for (size_t i = 0; i < os->npackages; i++) {
			const struct img_package *p = &os->packages[i];
			json_t *o = json_object();
			json_object_set_new(o, "name", json_string(p->name));
			/* Debian's "epoch:version-release", as dpkg shows it. */
			struct buf v = BUF_INIT;
			if (p->epoch > 0)
				buf_printf(&v, "%d:", p->epoch);
			buf_puts(&v, p->version);
			if (*p->release)
				buf_printf(&v, "-%s", p->release);
			json_object_set_new(o, "version", json_string(buf_cstr(&v)));
			buf_free(&v);
			if (*p->arch)
				json_object_set_new(o, "arch", json_string(p->arch));
			json_array_append_new(pk, o);
		}
		json_object_set_new(root, "packages", pk);
	}
	return dump(root);
}
