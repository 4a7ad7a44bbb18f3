/* vagrant.c — a Vagrant box for the libvirt provider: box.img (qcow2), metadata.json and a Vagrantfile
 * in a gzip-compressed tar. box.img is a compressed qcow2 (qemu compresses it on several threads), so
 * the outer gzip runs at its fastest level: it has little left to gain. */
#include "image/archive.h"
#include "image/export_internal.h"
#include "ui/ui.h"
#include "util/file.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *img_vagrant_metadata(uint64_t virtual_size)
{
	/* vagrant-libvirt reads virtual_size in GiB (whole numbers); round up so the disk fits. */
	uint64_t gib = 1024ULL * 1024 * 1024;
	unsigned long long size_gib = (unsigned long long)((virtual_size + gib - 1) / gib);
	if (size_gib == 0)
		size_gib = 1;
	return xasprintf("{\n  \"provider\": \"libvirt\",\n  \"format\": \"qcow2\",\n  \"virtual_size\": %llu\n}\n",
			 size_gib);
}

char *img_vagrant_vagrantfile(void)
{
	return xstrdup("# Built by kiln: defaults for boxes of the libvirt provider.\n"
		       "Vagrant.configure(\"2\") do |config|\n"
		       "  config.vm.provider :libvirt do |libvirt|\n"
		       "    libvirt.driver = \"kvm\"\n"
		       "    libvirt.disk_bus = \"virtio\"\n"
		       "  end\n"
		       "end\n");
}

int img_write_vagrant_box(const char *disk, const char *disk_format, const struct img_info *info,
			  const char *qcow2, const struct img_export_opts *opts, const char *tmp,
			  const char *workdir, struct ui *ui, struct kiln_error *err)
{
	int rc = -1;
	char *own = NULL, *meta = NULL, *vf = NULL;

	enum img_compression c = opts->compression != IMG_COMPRESS_NONE ? opts->compression : IMG_COMPRESS_ZLIB;
	qcow2 = img_work_copy(disk, disk_format, info->virtual_size, qcow2, IMG_FORMAT_QCOW2, c, workdir, "box.img", ui,
			      &own, err);
	if (!qcow2)
		goto out;
	meta = img_vagrant_metadata(info->virtual_size);
	vf = img_vagrant_vagrantfile();
	off_t img_size;
	if (file_size(qcow2, &img_size, err) < 0)
		goto out;
	struct img_archive_opts ao = {.container = IMG_ARCHIVE_TAR, .filter = IMG_FILTER_GZIP, .level = 1};
	const struct img_archive_text texts[] = {{"metadata.json", meta}, {"Vagrantfile", vf}};
	if (img_archive_pack(tmp, &ao, texts, 2, qcow2, "box.img", (uint64_t)img_size, ui, "Packing the Vagrant box",
			     err) < 0)
		goto out;
	rc = 0;
out:
	img_work_copy_drop(own);
	if (rc < 0)
		err_wrap(err, "writing the Vagrant box");
	free(meta);
	free(vf);
	return rc;
}
