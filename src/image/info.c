/* info.c — a disk's format and sizes from `qemu-img info --output=json`, plus the one thing qemu-img
 * cannot say: a fixed VHD (no header, only a 512-byte footer) probes as raw, so the footer is read. */
#include "image/image.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The VHD footer: "conectix" cookie, disk type (big-endian u32) at offset 60: 2 fixed, 3 dynamic. */
static const char *vhd_footer_type(const unsigned char footer[512])
{
	if (memcmp(footer, "conectix", 8) != 0)
		return NULL;
	uint32_t t = (uint32_t)footer[60] << 24 | (uint32_t)footer[61] << 16 | (uint32_t)footer[62] << 8 | footer[63];
	return t == 2 ? "fixed" : t == 3 ? "dynamic" : t == 4 ? "differencing" : "";
}

/* "fixed"/"dynamic" when path is a VHD, NULL otherwise. */
static const char *vhd_subformat(const char *path)
{
	unsigned char footer[512];
	const char *type = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (pread(fd, footer, sizeof footer, 0) == (ssize_t)sizeof footer)
		type = vhd_footer_type(footer);   /* dynamic disks keep a copy of the footer first */
	if (!type && fstat(fd, &st) == 0 && st.st_size >= 512 &&
	    pread(fd, footer, sizeof footer, st.st_size - 512) == (ssize_t)sizeof footer)
		type = vhd_footer_type(footer);
	close(fd);
	return type;
}

static char *json_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return xstrdup(s ? s : "");
}

int img_info_read(const char *path, const char *format, struct img_info *out, struct kiln_error *err)
{
	memset(out, 0, sizeof *out);
	if (access(path, R_OK) < 0)
		return err_set_errno(err, errno, "cannot read %s", path);
	struct strv argv = STRV_INIT;
	struct buf js = BUF_INIT;
	int rc = -1;
	json_t *root = NULL;
	const char *vhd = format && strcmp(format, "raw") != 0 && strcmp(format, "vpc") != 0 ? NULL : vhd_subformat(path);
	strv_push(&argv, "qemu-img");
	strv_push(&argv, "info");
	strv_push(&argv, "--output=json");
	/* -U: a read-only look is fine while another process (a running build) holds the image lock. */
	strv_push(&argv, "-U");
	if (format || vhd) {
		strv_push(&argv, "-f");
		strv_push(&argv, vhd ? "vpc" : format);
	}
	strv_push(&argv, path);
	struct proc_opts o = {.out = &js};
	if (proc_run_checked(strv_argv(&argv), &o, err) < 0) {
		err_wrap(err, "reading the image format of %s", path);
		goto out;
	}
	json_error_t jerr;
	root = json_loads(buf_cstr(&js), 0, &jerr);
	if (!json_is_object(root)) {
		err_set(err, "qemu-img info printed unreadable JSON for %s: %s", path, jerr.text);
		goto out;
	}
	out->format = json_str(root, "format");
	out->virtual_size = (uint64_t)json_integer_value(json_object_get(root, "virtual-size"));
	out->actual_size = (uint64_t)json_integer_value(json_object_get(root, "actual-size"));
	out->backing_file = json_str(root, "backing-filename");
	json_t *spec = json_object_get(json_object_get(root, "format-specific"), "data");
	out->compression = xstrdup(strcmp(out->format, "qcow2") == 0 && json_string_value(json_object_get(spec, "compression-type"))
				   ? json_string_value(json_object_get(spec, "compression-type")) : "");
	if (strcmp(out->format, "vmdk") == 0)
		out->subformat = json_str(spec, "create-type");
	else if (strcmp(out->format, "vpc") == 0)
		out->subformat = xstrdup(vhd ? vhd : "");
	else
		out->subformat = xstrdup("");
	rc = 0;
out:
	json_decref(root);
	buf_free(&js);
	strv_free(&argv);
	if (rc < 0)
		img_info_free(out);
	return rc;
}

void img_info_free(struct img_info *i)
{
	if (!i)
		return;
	free(i->format);
	free(i->subformat);
	free(i->compression);
	free(i->backing_file);
	memset(i, 0, sizeof *i);
}

static int measure(const char *path, const char *format, const char *out_format, uint64_t *bytes, struct kiln_error *err)
{
	struct strv argv = STRV_INIT;
	struct buf js = BUF_INIT;
	strv_push(&argv, "qemu-img");
	strv_push(&argv, "measure");
	strv_push(&argv, "--output=json");
	strv_push(&argv, "-U");
	if (format) {
		strv_push(&argv, "-f");
		strv_push(&argv, format);
	}
	strv_push(&argv, "-O");
	strv_push(&argv, out_format);
	strv_push(&argv, path);
	struct proc_opts o = {.out = &js};
	int rc = proc_run_checked(strv_argv(&argv), &o, err);
	if (rc == 0) {
		json_t *root = json_loads(buf_cstr(&js), 0, NULL);
		json_t *req = json_object_get(root, "required");
		if (json_is_integer(req))
			*bytes = (uint64_t)json_integer_value(req);
		else
			rc = err_set(err, "qemu-img measure printed no required size for %s", path);
		json_decref(root);
	}
	buf_free(&js);
	strv_free(&argv);
	return rc;
}

int img_measure(const char *path, const char *format, const char *out_format, uint64_t *bytes, struct kiln_error *err)
{
	*bytes = 0;
	bool measurable = strcmp(out_format, "qcow2") == 0 || strcmp(out_format, "raw") == 0;
	if (measure(path, format, measurable ? out_format : "qcow2", bytes, err) < 0)
		return err_wrap(err, "measuring %s", path);
	return 0;
}
