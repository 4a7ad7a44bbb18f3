/* step_finish.c — after the VM is off: bring a remote hypervisor's disks home, sanitize and export (or
 * compact with qemu-img convert, as Packer does, unless skip_compaction), and describe the artifact. */
#include "qemu/build.h"
#include "qemu/checkpoint.h"
#include "qemu/disk.h"
#include "qemu/libvirt.h"
#include "ui/ui.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Download the remote disk volumes into the output directory. The main disk is an overlay on the
 * uploaded base: it comes back as one, re-pointed at the local base image, then flattened unless
 * use_backing_file keeps it an overlay. */
static int bring_home(struct qemu_build *b, struct kiln_error *err)
{
	const struct qemu_config *c = b->cfg;
	ui_say(b->ui, "Downloading the disk from %s...", qemu_virt_host(b->virt));
	char *tmp = xasprintf("%s.remote", b->disk_path);
	int rc = -1;
	if (qemu_vol_download(b->virt, b->pool, b->disk_volume, tmp, err) < 0)
		goto out;
	if (c->disk_image) {
		if (qemu_img_rebase_unsafe(tmp, b->source.path, b->source_format, err) < 0)
			goto out;
		if (c->use_backing_file) {
			if (rename(tmp, b->disk_path) < 0) {
				err_set_errno(err, errno, "renaming %s", tmp);
				goto out;
			}
		} else if (qemu_img_convert(tmp, "qcow2", b->disk_path, c->format, false, &c->qemu_img_convert, err) < 0) {
			goto out;
		}
	} else if (rename(tmp, b->disk_path) < 0) {
		err_set_errno(err, errno, "renaming %s", tmp);
		goto out;
	}
	free(b->disk_format);
	b->disk_format = xstrdup(c->format);
	for (size_t i = 0; i < b->extra_volumes.n; i++) {
		char *path = qemu_build_extra_disk_path(b, i);
		strv_push_owned(&b->extra_disks, path);
		if (qemu_vol_download(b->virt, b->pool, b->extra_volumes.v[i], path, err) < 0)
			goto out;
	}
	rc = 0;
out:
	unlink(tmp);
	free(tmp);
	return rc;
}

/* The artifact's state for later post-processors: "sanitize" (the report as JSON) and "os" (the OS
 * inspection), which the manifest post-processor reads. */
static void record_sanitize_report(const struct img_sanitize_report *r, struct kiln_artifact *a)
{
	if (r->nops) {
		char *js = img_sanitize_report_json(r);
		kiln_artifact_set(a, "sanitize", js);
		free(js);
	}
	if (r->has_os) {
		char *os = img_os_json(&r->os);
		kiln_artifact_set(a, "os", os);
		free(os);
	}
}

/* Each exported file, "file.<format>" (its path) and "formats" ("qcow2 ova"). */
static void record_export(const struct img_export_result *x, struct kiln_artifact *a)
{
	for (size_t i = 0; i < x->files.n; i++) {
		kiln_artifact_add_file(a, x->files.v[i]);
		char *key = xasprintf("file.%s", x->formats.v[i]);
		kiln_artifact_set(a, key, x->files.v[i]);
		free(key);
	}
	char *list = strv_join(&x->formats, " ");
	kiln_artifact_set(a, "formats", list);
	free(list);
}

int qemu_step_finish_disk(void *state, struct kiln_error *err)
{
	struct qemu_build *b = state;
	const struct qemu_config *c = b->cfg;
	if (b->remote && bring_home(b, err) < 0)
		return -1;
	if (qemu_ckpt_finish_disks(b, err) < 0)
		return -1;
	b->artifact = kiln_artifact_new(qemu_builder.builder_id, b->vm_name, NULL);
	struct qemu_instance *inst = b->inst;
	enum img_accel accel = b->accel.kvm ? IMG_ACCEL_KVM : IMG_ACCEL_TCG;
	long t0 = time_mono_ms();
	if (inst->sanitize.enabled) {
		struct img_sanitize_facts facts = {
			.build_user = c->ssh.username,
			.build_user_created = c->cloud_init && c->ssh.username && strcmp(c->ssh.username, "root") != 0,
			/* Only a key kiln made is the build's to take away: the public half of
			 * ssh_private_key_file (b->public_key then) is the user's own, and stays in the image. */
			.build_pubkey = b->keypair ? b->keypair->public_line : NULL,
		};
		/* A checkpointed build is rebuilt over the same OS: its inspection is worth keeping. */
		char *inspect_cache = b->ck ? img_inspect_cache_default_dir() : NULL;
		facts.inspect_cache = inspect_cache;
		struct img_sanitize_report report;
		memset(&report, 0, sizeof report);
		/* img_sanitize announces itself ("Sanitizing the disk with libguestfs (TCG)..."): no line here */
		int rc = img_sanitize(b->disk_path, b->disk_format, &inst->sanitize, &facts, accel, b->ui, &report, err);
		free(inspect_cache);
		if (rc == 0)
			record_sanitize_report(&report, b->artifact);
		img_sanitize_report_free(&report);
		if (rc < 0)
			return err_wrap(err, "sanitizing the disk");
	}
	if (!c->skip_compaction || inst->export.nformats > 1 ||
	    (inst->export.nformats == 1 && strcmp(img_format_name(inst->export.formats[0]), b->disk_format) != 0)) {
		ui_say(b->ui, "Converting hard drive...");
		struct img_export_result exported = {STRV_INIT, STRV_INIT, 0};
		long t_export = time_mono_ms();
		int rc = img_export(b->disk_path, b->disk_format, &inst->export, b->output_dir, b->vm_name, b->ui,
				    &exported, err);
		log_debug("qemu: finish disk: sanitize %.3fs, export %.3fs", (double)(t_export - t0) / 1e3,
			  (double)(time_mono_ms() - t_export) / 1e3);
		if (rc == 0) {
			record_export(&exported, b->artifact);
			b->exported_qcow2 = exported.formats.n && strcmp(exported.formats.v[0], "qcow2") == 0;
			b->exported_virtual_size = exported.virtual_size;
		}
		img_export_result_free(&exported);
		if (rc < 0)
			return -1;
		/* the working disk is not an output of its own when only other formats were asked for */
		if (!strv_contains(&b->artifact->files, b->disk_path))
			unlink(b->disk_path);
		return 0;
	}
	kiln_artifact_add_file(b->artifact, b->disk_path);
	return 0;
}

int qemu_step_artifact(void *state, struct kiln_error *err)
{
	struct qemu_build *b = state;
	struct kiln_artifact *a = b->artifact;
	if (qemu_outdir_commit(b, err) < 0)
		return -1;
	free(a->description);
	a->description = xasprintf("VM files in directory: %s", b->cfg->output_directory && b->inst->output_dir_set
								       ? b->cfg->output_directory : b->output_dir);
	for (size_t i = 0; i < b->extra_disks.n; i++)
		kiln_artifact_add_file(a, b->extra_disks.v[i]);
	if (b->nvram_path && b->cfg->efi_drop_efivars)
		unlink(b->nvram_path);
	if (b->nvram_path && file_exists(b->nvram_path))
		kiln_artifact_add_file(a, b->nvram_path);
	struct qemu_img_info info;
	struct kiln_error e = ERR_INIT;
	char size[32] = "";
	const char *main_disk = a->files.n ? a->files.v[0] : b->disk_path;
	if (b->exported_qcow2) {
		/* what qemu-img info would say of the qcow2 the export just wrote */
		snprintf(size, sizeof size, "%llu", (unsigned long long)b->exported_virtual_size);
		kiln_artifact_set(a, "format", "qcow2");
		kiln_artifact_set(a, "diskType", "qcow2");
	} else if (qemu_img_info(main_disk, &info, &e) == 0) {
		snprintf(size, sizeof size, "%llu", (unsigned long long)info.virtual_size);
		kiln_artifact_set(a, "format", info.format);
		kiln_artifact_set(a, "diskType", info.format);
		qemu_img_info_free(&info);
	} else {
		kiln_artifact_set(a, "format", b->cfg->format);
		kiln_artifact_set(a, "diskType", b->cfg->format);
	}
	err_clear(&e);
	log_debug("qemu: artifact disk %s: format %s, virtual size %s", main_disk, kiln_artifact_get(a, "format"), size);
	kiln_artifact_set(a, "diskName", b->vm_name);
	kiln_artifact_set(a, "disk_path", main_disk);
	kiln_artifact_set(a, "diskSize", size);
	kiln_artifact_set(a, "disk_size", size);
	kiln_artifact_set(a, "accelerator", qemu_accel_name(&b->accel));
	kiln_artifact_set(a, "domainType", b->accel.kvm ? "kvm" : "qemu");
	kiln_artifact_set(a, "vm_name", b->vm_name);
	kiln_artifact_set(a, "output_directory", b->output_dir);
	kiln_artifact_set(a, "firmware", b->cfg->efi_boot ? "efi" : "bios");
	if (b->nvram_path && file_exists(b->nvram_path))
		kiln_artifact_set(a, "efi_vars", b->nvram_path);
	if (b->serial_path)
		kiln_artifact_set(a, "serial_log", b->serial_path);
	kiln_artifact_set(a, "libvirt_uri", b->uri);
	if (b->cfg->use_backing_file)
		kiln_artifact_set(a, "backing_file", b->source.path);
	return 0;
}
