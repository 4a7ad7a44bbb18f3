/* export_internal.h — what export.c, ova.c, vagrant.c and gce.c share inside src/image (and unit tests). */
#ifndef KILN_IMAGE_EXPORT_INTERNAL_H
#define KILN_IMAGE_EXPORT_INTERNAL_H

#include "image/image.h"
#include "util/buf.h"
#include "util/strv.h"

/* Run qemu-img (argv must include -p for progress) with a progress bar labelled `label` over `total`. */
int img_qemu_img(struct strv *argv, struct ui *ui, const char *label, uint64_t total, struct kiln_error *err);
/* One qemu-img conversion of src into dst as format f (a disk format, not ova/vagrant). */
int img_convert(const char *src, const char *src_fmt, const char *dst, enum img_format f,
		enum img_compression compression, uint64_t vsize, struct ui *ui, struct kiln_error *err);
const char *img_compression_name(enum img_compression c);
/* The disk as a file in format f for a writer that packs it (OVA, box, gce): `given` when the export
 * already wrote one, else a copy converted into workdir/name, which is *own (the writer ends with
 * img_work_copy_drop(*own)). NULL on failure. */
const char *img_work_copy(const char *disk, const char *disk_format, uint64_t vsize, const char *given,
			  enum img_format f, enum img_compression c, const char *workdir, const char *name,
			  struct ui *ui, char **own, struct kiln_error *err);
/* Remove and free a work copy made by img_work_copy (NULL: nothing). */
void img_work_copy_drop(char *own);

/* The OVF descriptor of an OVA whose only disk is `disk_file` (streamOptimized VMDK, `disk_size`
 * bytes, `capacity` virtual bytes). Caller frees. */
char *img_ovf_descriptor(const char *vm_name, const char *disk_file, uint64_t disk_size, uint64_t capacity,
			 const struct img_export_opts *opts);
/* The CIM operating system id OVF uses for a libguestfs distro name (101: "Linux 64-bit"). */
int img_ovf_os_id(const char *distro, const char **description);

/* Write the OVA to tmp (its final name gives the VM and file names). vmdk: an already converted
 * streamOptimized VMDK to reuse, or NULL to convert one into workdir. */
int img_write_ova(const char *disk, const char *disk_format, const struct img_info *info, const char *vmdk,
		  const struct img_export_opts *opts, const char *final, const char *tmp, const char *workdir,
		  struct ui *ui, struct kiln_error *err);
/* Write the Vagrant box (libvirt provider) to tmp. qcow2: a compressed qcow2 to reuse as box.img, or
 * NULL to convert one into workdir. */
int img_write_vagrant_box(const char *disk, const char *disk_format, const struct img_info *info,
			  const char *qcow2, const struct img_export_opts *opts, const char *tmp,
			  const char *workdir, struct ui *ui, struct kiln_error *err);
/* A run of data in a sparse file. */
struct img_extent {
	uint64_t offset;
	uint64_t length;
};
/* The data extents of a file of `size` bytes (SEEK_DATA/SEEK_HOLE; all of it where the file system
 * cannot tell). */
int img_data_extents(int fd, uint64_t size, struct img_extent **out, size_t *nout, struct kiln_error *err);
/* The old-GNU-format tar header of a sparse file `name` of realsize bytes whose data is ext[] (then its
 * extension blocks), appended to out. */
void img_gce_tar_headers(const char *name, const struct img_extent *ext, size_t next, uint64_t realsize,
			 int64_t mtime, struct buf *out);
/* Write the gce export (NAME.tar.gz holding disk.raw, GNU sparse) to tmp. raw: an already converted raw
 * disk to reuse, or NULL to convert one into workdir. */
int img_write_gce(const char *disk, const char *disk_format, const struct img_info *info, const char *raw,
		  const char *tmp, const char *workdir, struct ui *ui, struct kiln_error *err);

/* metadata.json and Vagrantfile of the box. Caller frees. */
char *img_vagrant_metadata(uint64_t virtual_size);
char *img_vagrant_vagrantfile(void);

#endif
