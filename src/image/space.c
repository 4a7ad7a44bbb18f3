/* space.c — room on the file system an image is written to: a check before a conversion or an export
 * (fail in seconds with both numbers, not after minutes with a half-written file), and "no space left
 * on <mount point>" for an ENOSPC that happens anyway, whoever reported it (a system call, qemu-img). */
#include "image/image.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int img_space_check(const char *dir, uint64_t needed, const char *what, const char *advice, struct kiln_error *err)
{
	uint64_t avail = 0, total = 0;
	struct kiln_error e = ERR_INIT;
	if (file_fs_space(dir, &avail, &total, &e) < 0) {
		/* cannot tell: let the write itself say */
		err_clear(&e);
		return 0;
	}
	if (needed <= avail)
		return 0;
	char *mp = file_mount_point(dir);
	char *need = ui_format_bytes(needed), *have = ui_format_bytes(avail), *size = ui_format_bytes(total);
	err_set_kind(err, ERR_IO, "not enough space on %s for %s: it can need up to %s, and %s has %s free (of %s)",
		     mp, what, need, mp, have, size);
	err->errnum = ENOSPC;
	err_hint(err, "free some space on %s%s%s", mp, advice ? ", or " : "", advice ? advice : "");
	free(need);
	free(have);
	free(size);
	free(mp);
	return -1;
}

bool img_space_ample(const char *dir, uint64_t needed)
{
	uint64_t avail = 0;
	struct kiln_error e = ERR_INIT;
	bool known = file_fs_space(dir, &avail, NULL, &e) == 0;
	err_clear(&e);
	return known && needed <= avail;
}

/* Does err say "no space left on device" (errno ENOSPC, or a subprocess's message)? */
static bool img_err_is_nospace(const struct kiln_error *err)
{
	if (!err_isset(err))
		return false;
	if (err->errnum == ENOSPC)
		return true;
	for (size_t i = 0; i < err->frames.n; i++)
		if (strstr(err->frames.v[i], "No space left on device"))
			return true;
	return false;
}

void img_err_nospace(struct kiln_error *err, const char *path, const char *advice)
{
	if (!img_err_is_nospace(err) || !path || strncmp(err_cause(err), "no space left on ", 17) == 0 ||
	    strncmp(err_cause(err), "not enough space on ", 20) == 0)
		return;
	char *mp = file_mount_point(path);
	uint64_t avail = 0, total = 0;
	struct kiln_error e = ERR_INIT;
	bool known = file_fs_space(path, &avail, &total, &e) == 0;
	err_clear(&e);
	/* the cause becomes the file system that is full; what said so stays behind it, shortened */
	char *old = err->frames.v[0];
	err->frames.v[0] = xasprintf("no space left on %s (%s)", mp, old);
	free(old);
	err->kind = ERR_IO;
	err->errnum = ENOSPC;
	free(err->hint);
	err->hint = NULL;
	if (known) {
		char *have = ui_format_bytes(avail), *size = ui_format_bytes(total);
		err_hint(err, "%s has %s free of %s now: free some space there%s%s", mp, have, size, advice ? ", or " : "",
			 advice ? advice : "");
		free(have);
		free(size);
	} else {
		err_hint(err, "free some space on %s%s%s", mp, advice ? ", or " : "", advice ? advice : "");
	}
	free(mp);
}
