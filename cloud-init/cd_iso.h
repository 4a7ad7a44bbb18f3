/* cd_iso.h — ISO9660 images (Joliet + Rock Ridge) written with libarchive: Packer's cd_files /
 * cd_content / cd_label CD for any content, and the base of the NoCloud `cidata` seed.
 *
 *     const char *files[] = {"./http/meta-data", "*.ps1"};
 *     struct cd_iso_content content[] = {{"user-data", ud, strlen(ud)}};
 *     struct cd_iso_spec spec = {files, 2, content, 1, "cidata"};
 *     if (cd_iso_write("out/seed.iso", &spec, err) < 0) ...
 */
#ifndef KILN_CLOUD_INIT_CD_ISO_H
#define KILN_CLOUD_INIT_CD_ISO_H

#include <stddef.h>

#include "util/error.h"

/* One cd_content entry: `path` on the CD ("user-data", "dir/sub/file"; a leading '/' is ignored,
 * ".." is refused), with these bytes. Parent directories are created. */
struct cd_iso_content {
	const char *path;
	const char *data;
	size_t len;
};

struct cd_iso_spec {
	/* cd_files: paths or glob patterns (relative to the working directory), with Packer's meaning:
	 * a file goes to the CD root under its own name; a directory goes to the root with its name
	 * and its whole tree ("dir/" or a glob of its entries puts its contents at the root instead); symlinks are followed
	 * (their target's content is copied); a pattern that matches nothing adds nothing, a plain
	 * path that does not exist is an error. A later entry replaces an earlier one of the same path. */
	const char *const *files;
	size_t n_files;
	/* cd_content: wins over a cd_files entry of the same path */
	const struct cd_iso_content *content;
	size_t n_content;
	/* cd_label: the volume ID, at most 32 characters; NULL or "" means "packer" like Packer.
	 * When it is "cidata" (any case) the NoCloud files at the root (user-data, meta-data,
	 * vendor-data, network-config) are validated first with nocloud_validate_file(). */
	const char *label;
};

/* Write the image to `path` (atomically: a temporary file renamed into place). Errors name the
 * offending cd_files path or cd_content entry: ERR_INVALID (bad path, label, or seed file),
 * ERR_NOT_FOUND (missing file), ERR_IO. */
int cd_iso_write(const char *path, const struct cd_iso_spec *spec, struct kiln_error *err);

#endif
